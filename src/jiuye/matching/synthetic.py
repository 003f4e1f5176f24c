"""A synthetic local labour market with a hidden truth, for judging recommendations.

``generate_market(seekers=20000, postings=4000, seed=...)`` returns a :class:`Market`: the
*observed* side is plain :class:`~jiuye.matching.recommend_index.SeekerRecord` and
:class:`~jiuye.matching.recommend_index.PostingRecord` objects, exactly what the recommender
gets from the registry; the *latent* side (:class:`Truth`) holds what only the generator knows
and the recommender never sees:

* each seeker's true occupation (细类), reservation wage, commute tolerance (km) and exact home
  (the registry only knows the county), and true education where the record leaves it blank;
* each posting's true occupation and the wage it really pays (the top of its range).

What is observed is messy the way registry data is: wanted-job titles in the seeker's own words
(colloquial names, qualifiers, two jobs at once), intention codes that are missing (25%) or
wrong (a sibling occupation 10%, anything 5%), expected wages that are rounded guesses around
the reservation wage or missing; posting titles with 急招/包吃住 noise, sometimes uncoded or
miscoded, descriptions from templates.

Graded relevance (:meth:`Truth.relevance`), 0 for a pair that breaks a hard constraint (the
posting's age range, or its minimum education against the seeker's *true* education):

* 3: same true 细类, the posting pays at least the reservation wage, within commuting range;
* 2: same 小类 with pay and distance right, or 1: same 中类 with pay and distance right;
* a pair whose pay or distance is wrong drops two grades (same 细类 → 1, else 0).

The markets are deterministic for a seed. Counties are the 17 of 临汾市 with their real codes
and coordinates (``jiuye.regions.sources.county_coordinates``).
"""

from __future__ import annotations

import datetime
import math
import random
from dataclasses import dataclass

import numpy as np

from jiuye.matching.recommend_index import PostingRecord, SeekerRecord

DEFAULT_SEED = 20260601
DEFAULT_TODAY = datetime.date(2026, 6, 1)

# 临汾市: county code → (name, share of seekers, share of postings).
COUNTIES = {
    "141002": ("尧都区", 3.0, 3.8),
    "141021": ("曲沃县", 1.0, 0.9),
    "141022": ("翼城县", 1.0, 0.8),
    "141023": ("襄汾县", 1.5, 1.1),
    "141024": ("洪洞县", 1.6, 1.3),
    "141025": ("古县", 0.4, 0.3),
    "141026": ("安泽县", 0.4, 0.3),
    "141027": ("浮山县", 0.5, 0.3),
    "141028": ("吉县", 0.4, 0.3),
    "141029": ("乡宁县", 0.6, 0.5),
    "141030": ("大宁县", 0.3, 0.2),
    "141031": ("隰县", 0.4, 0.3),
    "141032": ("永和县", 0.3, 0.2),
    "141033": ("蒲县", 0.4, 0.3),
    "141034": ("汾西县", 0.5, 0.3),
    "141081": ("侯马市", 1.3, 1.6),
    "141082": ("霍州市", 1.0, 1.0),
}


@dataclass(frozen=True)
class Occ:
    code: str
    name: str
    colloquial: tuple[str, ...]
    duty: str
    wage: int  # median monthly wage, yuan
    edu: tuple[int, int]  # education rank range of people doing it
    weight: float  # share of the market


# Occupations of a county-level labour market: "code name median-wage education-ranks weight
# duty" and, indented below, what people call the job.
_OCCUPATION_TABLE = """
6-18-01-01 车工 5500 2-4 1.0 操作普通车床或数控车床加工轴类零件
    车床工 数控车工 车床师傅 普车工
6-18-01-02 铣工 5500 2-4 0.6 操作铣床加工平面和沟槽，会看图纸
    铣床工 数控铣 铣床操作工
6-18-01-04 磨工 5200 2-4 0.5 操作磨床对零件进行精加工
    磨床工 磨床师傅 外圆磨
6-18-01-12 冲压工 4800 1-3 0.6 操作冲床进行钣金冲压
    冲床工 冲压操作工 冲床操作
6-18-02-04 焊工 6500 1-3 1.6 钢结构件焊接，会二保焊氩弧焊
    电焊工 二保焊 氩弧焊工 焊接工 电焊师傅
6-18-02-01 铸造工 5200 1-3 0.6 铸造车间造型浇注
    翻砂工 浇铸工 铸工
6-18-02-02 锻造工 5300 1-3 0.4 锻压设备操作，锻件成型
    锻工 锻压工 锻造操作工
6-18-03-03 涂装工 5000 1-3 0.6 工件表面喷涂和打磨
    喷漆工 喷涂工 油漆工
6-29-01-01 砌筑工 6500 1-2 1.0 工地砌墙抹灰
    瓦工 泥瓦工 砌砖工 大工
6-29-01-03 混凝土工 6000 1-2 0.7 混凝土浇筑振捣养护
    砼工 打灰工 混凝土浇筑工
6-29-01-04 钢筋工 6500 1-2 0.8 钢筋下料绑扎
    钢筋师傅 扎钢筋 钢筋绑扎工
6-29-01-05 架子工 7000 1-2 0.5 搭设拆除脚手架，持高处作业证
    搭架子 脚手架工 架子师傅
6-29-02-08 防水工 6000 1-2 0.4 屋面地下室防水施工
    防水师傅 防水施工
6-29-02-03 筑路工 5500 1-2 0.5 道路路基路面施工
    修路工 路桥工人 道路施工
6-29-03-04 管工 6000 1-3 0.6 给排水暖通管道安装
    水暖工 管道工 水电工
6-29-03-03 电梯安装维修工 6500 2-4 0.4 电梯安装调试维护保养
    电梯维保 电梯安装工 电梯维修
6-29-04-01 装饰装修工 6500 1-3 0.9 室内装修贴砖刮腻子
    装修工 刮大白 装修师傅 木工装修
6-31-01-03 电工 5800 2-4 1.2 厂区配电设备维护检修
    电工师傅 维修电工 持证电工 低压电工
6-31-01-02 机修钳工 5800 2-4 0.7 生产设备机械维修保养
    钳工 设备维修工 机修工
6-16-01-04 矿井开掘工 9000 1-3 0.7 煤矿井下巷道掘进
    掘进工 井下掘进 掘进机司机
6-16-01-06 井下支护工 8500 1-3 0.5 井下巷道支护锚杆施工
    支护工 井下支柱工 锚杆支护
6-16-01-12 矿山救护工 7500 3-4 0.2 矿山应急救援值守
    救护队员 矿山救护
4-03-02-01 中式烹调师 5000 1-3 1.3 饭店后厨炒菜配菜
    厨师 炒菜师傅 大厨 中餐厨师 炒锅
4-03-02-02 中式面点师 4300 1-3 0.6 面食包子饺子制作
    面点师 白案师傅 面食师傅
4-03-02-04 西式面点师 4200 2-4 0.4 蛋糕面包烘焙裱花
    烘焙师 蛋糕师 西点师
4-03-02-05 餐厅服务员 3000 1-3 1.4 餐厅点餐传菜收台
    服务员 传菜员 饭店服务员 前厅服务员
4-03-02-07 茶艺师 3500 3-4 0.2 茶楼茶艺表演接待
    茶艺员 茶艺 泡茶师
4-03-01-02 客房服务员 2900 1-3 0.6 酒店客房清扫整理
    客房保洁 酒店客房 做房员
4-01-02-01 营销员 4500 3-5 1.4 开发客户推广产品完成业绩
    销售 业务员 销售代表 销售专员
4-01-02-04 收银员 2700 2-4 0.9 超市商场收银结账
    收银 超市收银 收银台
4-01-06-01 电子商务师 4500 4-5 0.5 网店日常运营推广
    电商运营 网店运营 淘宝运营
4-01-06-02 互联网营销师 5000 3-5 0.5 直播间带货讲解产品
    主播 带货主播 直播销售
4-02-02-02 道路货运汽车驾驶员 7500 1-3 1.2 重型货车长途运输
    货车司机 大车司机 A2司机 半挂司机
4-02-05-01 装卸搬运工 4500 1-2 0.9 货物装卸搬运
    搬运工 装卸工 力工 装车工
4-02-06-01 仓储管理员 4000 3-4 0.8 仓库出入库盘点管理
    库管 仓管员 仓库管理 仓库管理员
4-02-06-02 理货员 3500 2-3 0.6 商品分拣上架理货
    理货 分拣员 理货员
4-02-07-08 快递员 5500 2-3 1.0 快递收件派件
    快递小哥 快递派送员 收派员 快递
4-07-05-01 保安员 2800 1-3 1.5 小区厂区门岗巡逻值守
    保安 门卫 安保 小区保安
4-09-08-01 保洁员 2300 0-2 1.4 写字楼小区日常清洁
    保洁 清洁工 打扫卫生 保洁阿姨
4-10-01-05 养老护理员 3800 1-3 0.9 养老院老人生活照料
    护工 养老院护理 护理员 养老护理
4-10-01-06 家政服务员 4500 1-3 1.0 家庭保洁做饭照顾老人孩子
    家政 保姆 钟点工 月嫂 住家保姆
4-10-03-01 美容师 4000 2-4 0.5 美容院皮肤护理
    美容 皮肤管理师 美容顾问
4-10-03-02 美发师 4500 2-3 0.6 理发烫染造型
    理发师 发型师 美发 剪发师傅
4-10-04-02 保健按摩师 4500 1-3 0.4 保健按摩推拿足疗
    按摩师 推拿 足疗师
4-10-08-01 网约配送员 6000 1-3 1.1 外卖订单配送
    外卖骑手 送餐员 骑手 外卖员
4-12-01-01 汽车维修工 5000 2-4 0.8 汽车机电维修保养
    汽修 汽车修理工 修车师傅 汽修学徒
4-14-01-02 医疗护理员 3800 1-3 0.5 医院病房病人生活护理
    陪护 医院护工 病房护理员
6-05-01-03 缝纫工 4200 1-3 0.7 服装厂平车缝制
    缝纫 车位工 制衣工 平车工
6-22-02-01 汽车装调工 5500 2-4 0.5 汽车总装线装配调试
    汽车装配工 总装工 汽车装调
6-25-04-07 电子设备装接工 4500 2-4 0.6 电子产品插件焊锡装配
    电子装配工 插件工 焊锡工 电子厂普工
3-01-01-01 行政办事员 3500 3-5 0.9 办公室日常行政事务
    行政专员 文员 办公室文员 行政助理
3-01-02-02 秘书 4000 4-5 0.4 文字材料会务接待
    文秘 总经理助理 秘书助理
2-06-03-00 会计专业人员 4500 4-5 0.9 账务处理纳税申报
    会计 主办会计 出纳会计 记账会计
2-06-08-01 人力资源管理专业人员 4500 4-5 0.5 招聘培训员工关系
    人事专员 HR 招聘专员 人事
2-05-08-01 内科护士 4800 4-5 0.8 病房临床护理执业护士
    护士 病房护士 临床护士
5-03-02-01 家畜饲养员 4500 0-2 0.6 养殖场猪牛羊饲喂防疫
    养殖工 喂猪 饲养员 养猪场工人
"""


def _parse_occupations(text: str) -> tuple[Occ, ...]:
    out: list[Occ] = []
    head = None
    for line in text.strip("\n").splitlines():
        if line.startswith(" "):
            code, name, wage, edu, weight, duty = head
            low, high = (int(x) for x in edu.split("-"))
            out.append(
                Occ(code, name, tuple(line.split()), duty, int(wage), (low, high), float(weight))
            )
        else:
            head = line.split(" ", 5)
    return tuple(out)


OCCUPATIONS: tuple[Occ, ...] = _parse_occupations(_OCCUPATION_TABLE)

SEEKER_PREFIXES = ("", "", "", "找", "求职", "想找", "应聘", "寻")
SEEKER_SUFFIXES = ("", "", "", "（有经验）", "，熟练", " 长期", "（持证）", "/普工也行",
                   "，夜班可", " 3年经验", " 学徒", "工作", "的活")  # fmt: skip
POSTING_PREFIXES = ("", "", "急招", "招聘", "诚聘", "高薪招聘", "长期招")
POSTING_SUFFIXES = ("", "", "（包吃住）", " 5000起", "多名", " 学徒", "，五险一金", " 长白班",
                    " 男女不限", "（可兼职）")  # fmt: skip
BENEFITS = ("包吃住", "缴纳五险", "月休四天", "年底双薪", "包住宿", "交通补贴", "节日福利", "")
REQUIREMENTS = ("吃苦耐劳", "有相关经验者优先", "身体健康", "服从管理", "责任心强", "能适应倒班")

# Postings in occupations no seeker of the market does (a vacancy in a shortage occupation):
# nobody's natural recommendation, so they show whether a bulk run covers every vacancy.
RARE_POSTING_SHARE = 0.08


def _rare_occupations() -> list[Occ]:
    """Every 细类 of the classification outside the catalogue, under its official name."""
    from jiuye.registry.codes import occupation_choices

    known = {o.code for o in OCCUPATIONS}
    out = []
    for code, label in occupation_choices(4):
        if code in known or code.endswith("-00"):
            continue
        name = label.split(" ", 1)[1]
        out.append(Occ(code, name, (name,), f"从事{name}相关工作", 4500, (2, 4), 0.0))
    return out


_RANK_TO_EDU = {0: "90", 1: "80", 2: "70", 3: "60", 4: "30", 5: "20", 6: "10"}


@dataclass
class Truth:
    """The latent variables. Arrays are aligned with ``Market.seekers`` / ``Market.postings``."""

    seeker_occ: list[str]
    seeker_reservation: np.ndarray
    seeker_tolerance_km: np.ndarray
    seeker_lon: np.ndarray
    seeker_lat: np.ndarray
    seeker_desired_lon: np.ndarray  # nan without a desired county
    seeker_desired_lat: np.ndarray
    seeker_age: np.ndarray
    seeker_edu_rank: np.ndarray
    posting_occ: list[str]
    posting_wage: np.ndarray
    posting_lon: np.ndarray
    posting_lat: np.ndarray
    posting_age_min: np.ndarray
    posting_age_max: np.ndarray
    posting_edu_rank: np.ndarray  # -1 none

    def __post_init__(self):
        keys: dict[str, int] = {}
        self._s_occ = _occ_arrays(self.seeker_occ, keys)
        self._p_occ = _occ_arrays(self.posting_occ, keys)

    def relevance(self, seeker: int | None = None, posting: int | None = None) -> np.ndarray:
        """Graded relevance of one seeker against every posting, or of one posting against
        every seeker."""
        if seeker is not None:
            s, p = np.array([seeker]), np.arange(len(self.posting_occ))
        else:
            s, p = np.arange(len(self.seeker_occ)), np.array([posting])
        level = np.zeros(max(len(s), len(p)), dtype=np.int8)
        so, po = self._s_occ[s], self._p_occ[p]
        for j in range(3):
            level += so[:, j] == po[:, j]
        km = _haversine(self.seeker_lon[s], self.seeker_lat[s], self.posting_lon[p],
                        self.posting_lat[p])  # fmt: skip
        desired = _haversine(self.seeker_desired_lon[s], self.seeker_desired_lat[s],
                             self.posting_lon[p], self.posting_lat[p])  # fmt: skip
        km = np.fmin(km, desired)
        fit = (self.posting_wage[p] >= self.seeker_reservation[s]) & (
            km <= self.seeker_tolerance_km[s]
        )
        grade = np.where(fit, level, np.maximum(level - 2, 0))
        age = self.seeker_age[s]
        ok = (age >= self.posting_age_min[p]) & (age <= self.posting_age_max[p])
        ok &= self.seeker_edu_rank[s] >= self.posting_edu_rank[p]
        return np.where(ok, grade, 0).astype(np.int8)


def _occ_arrays(codes: list[str], keys: dict[str, int]) -> np.ndarray:
    """(中类, 小类, 细类) as integers for fast comparisons (大类 adds nothing to the grades)."""
    out = np.zeros((len(codes), 3), dtype=np.int32)
    for i, code in enumerate(codes):
        parts = code.split("-")
        for j, n in enumerate((2, 3, 4)):
            out[i, j] = keys.setdefault("-".join(parts[:n]), len(keys))
    return out


def _haversine(lon1, lat1, lon2, lat2) -> np.ndarray:
    lon1, lat1, lon2, lat2 = (np.radians(np.asarray(x, dtype=np.float64)) for x in
                              (lon1, lat1, lon2, lat2))  # fmt: skip
    a = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0088 * np.arcsin(np.sqrt(np.clip(a, 0, 1)))


@dataclass
class Market:
    seekers: list[SeekerRecord]
    postings: list[PostingRecord]
    truth: Truth
    counties: dict[str, str]  # county code (6 digits) → name
    today: datetime.date
    seed: int

    def seeker_county(self, i: int) -> str:
        return self.seekers[i].region_code[:6]

    def posting_county(self, j: int) -> str:
        return self.postings[j].region_code[:6]


def _pick(rng: random.Random, items, weights):
    return rng.choices(items, weights=weights, k=1)[0]


def _sibling(rng: random.Random, occ: Occ) -> Occ:
    """A wrong but plausible occupation: same 小类 if there is one, else same 中类, else any."""
    for prefix_len in (7, 4):
        same = [o for o in OCCUPATIONS if o.code[:prefix_len] == occ.code[:prefix_len] and o != occ]
        if same:
            return rng.choice(same)
    return rng.choice([o for o in OCCUPATIONS if o != occ])


def _seeker_title(rng: random.Random, occ: Occ) -> str:
    core = rng.choice(occ.colloquial) if rng.random() < 0.8 else occ.name
    if rng.random() < 0.1:
        core = f"{core}/{rng.choice(_sibling(rng, occ).colloquial)}"
    return f"{rng.choice(SEEKER_PREFIXES)}{core}{rng.choice(SEEKER_SUFFIXES)}"


def _posting_title(rng: random.Random, occ: Occ) -> str:
    core = rng.choice(occ.colloquial) if rng.random() < 0.65 else occ.name
    return f"{rng.choice(POSTING_PREFIXES)}{core}{rng.choice(POSTING_SUFFIXES)}"


def _description(rng: random.Random, occ: Occ, wmin: int, wmax: int) -> str:
    reqs = "，".join(rng.sample(REQUIREMENTS, 2))
    benefit = "，".join(b for b in rng.sample(BENEFITS, 2) if b)
    return (
        f"岗位职责：{occ.duty}。任职要求：{reqs}。"
        f"待遇：月薪{wmin}-{wmax}元{('，' + benefit) if benefit else ''}。"
    )


def generate_market(
    *,
    seekers: int = 20_000,
    postings: int = 4_000,
    seed: int = DEFAULT_SEED,
    today: datetime.date = DEFAULT_TODAY,
    rare_share: float = RARE_POSTING_SHARE,
) -> Market:
    from jiuye.regions.sources import county_coordinates

    rng = random.Random(seed)
    coords_table = county_coordinates()
    codes = list(COUNTIES)
    coords = {c: coords_table[c + "000000"] for c in codes}
    names = {c: COUNTIES[c][0] for c in codes}
    occ_weights = [o.weight for o in OCCUPATIONS]

    # Postings -------------------------------------------------------------------------------
    p_records: list[PostingRecord] = []
    p_occ, p_wage, p_lon, p_lat, p_amin, p_amax, p_edu = [], [], [], [], [], [], []
    posting_county_w = [COUNTIES[c][2] for c in codes]
    rare = _rare_occupations()
    for j in range(postings):
        occ = (
            _pick(rng, OCCUPATIONS, occ_weights) if rng.random() >= rare_share else rng.choice(rare)
        )
        county = _pick(rng, codes, posting_county_w)
        lon0, lat0 = coords[county]
        lon = lon0 + rng.uniform(-0.07, 0.07)
        lat = lat0 + rng.uniform(-0.06, 0.06)
        wmax = int(round(occ.wage * math.exp(rng.gauss(0.05, 0.2)), -2))
        wmin = int(round(wmax * rng.uniform(0.65, 0.9), -2))
        roll = rng.random()
        if roll < 0.72:
            code = occ.code
        elif roll < 0.9:
            code = ""
        else:
            code = _sibling(rng, occ).code
        age_min = age_max = None
        if rng.random() < 0.4:
            age_min = rng.choice((16, 18, 18, 20, 22))
            age_max = rng.choice((35, 40, 45, 50, 55, 60))
        low_edu = occ.edu[0]
        edu_rank = -1
        if low_edu >= 4 and rng.random() < 0.7:
            edu_rank = 4
        elif low_edu >= 3 and rng.random() < 0.5:
            edu_rank = 3
        elif rng.random() < 0.25:
            edu_rank = max(0, low_edu)
        published = today - datetime.timedelta(days=rng.randint(0, 60))
        record = PostingRecord(
            id=j + 1,
            title=_posting_title(rng, occ),
            occupation_code=code,
            description=_description(rng, occ, wmin, wmax),
            wage_min=wmin if rng.random() > 0.05 else None,
            wage_max=wmax,
            education=_RANK_TO_EDU[edu_rank] if edu_rank >= 0 else "",
            age_min=age_min,
            age_max=age_max,
            region_code=county + "000000",
            longitude=round(lon, 6),
            latitude=round(lat, 6),
            published_on=published,
            valid_from=published,
            valid_to=today + datetime.timedelta(days=rng.randint(5, 90)),
            headcount=min(20, 1 + int(rng.expovariate(0.4))),
            external_id=f"P{j + 1:06d}",
        )
        p_records.append(record)
        p_occ.append(occ.code)
        p_wage.append(wmax)
        p_lon.append(lon)
        p_lat.append(lat)
        p_amin.append(age_min or 0)
        p_amax.append(999 if age_max is None else age_max)
        p_edu.append(edu_rank)

    # Seekers --------------------------------------------------------------------------------
    s_records: list[SeekerRecord] = []
    s_occ, s_res, s_tol, s_lon, s_lat, s_dlon, s_dlat, s_age, s_edu = ([] for _ in range(9))
    seeker_county_w = [COUNTIES[c][1] for c in codes]
    for i in range(seekers):
        occ = _pick(rng, OCCUPATIONS, occ_weights)
        county = _pick(rng, codes, seeker_county_w)
        lon0, lat0 = coords[county]
        lon = lon0 + rng.uniform(-0.06, 0.06)
        lat = lat0 + rng.uniform(-0.05, 0.05)
        reservation = occ.wage * math.exp(rng.gauss(-0.1, 0.2))
        kind = rng.random()
        tolerance = (
            rng.uniform(8, 20) if kind < 0.4 else rng.uniform(20, 50) if kind < 0.8 else
            rng.uniform(50, 120)
        )  # fmt: skip
        age = int(min(62, max(17, rng.gauss(36, 11))))
        edu_rank = rng.randint(*occ.edu)
        roll = rng.random()
        if roll < 0.6:
            code = occ.code
        elif roll < 0.85:
            code = ""
        elif roll < 0.95:
            code = _sibling(rng, occ).code
        else:
            code = rng.choice(OCCUPATIONS).code
        desired = ""
        dlon = dlat = math.nan
        if rng.random() < 0.15:
            desired = _pick(rng, codes, posting_county_w)
            dlon, dlat = coords[desired]
        expected = None
        if rng.random() < 0.8:
            expected = int(round(reservation * rng.uniform(0.95, 1.2), -2))
        certificates: tuple[str, ...] = ()
        cert_codes: tuple[str, ...] = ()
        if rng.random() < 0.15:
            certificates = (f"{occ.name}职业技能等级证书（{rng.choice('五四三')}级）",)
            cert_codes = (occ.code,)
        birth = datetime.date(today.year - age, rng.randint(1, 12), rng.randint(1, 28))
        if birth > today.replace(year=today.year - age):
            birth = birth.replace(year=birth.year - 1)
        s_records.append(
            SeekerRecord(
                id=i + 1,
                birth_date=birth,
                education=_RANK_TO_EDU[edu_rank] if rng.random() > 0.1 else "",
                region_code=county + "000000",
                longitude=lon0,
                latitude=lat0,
                titles=(_seeker_title(rng, occ),),
                occupation_codes=(code,) if code else (),
                certificate_names=certificates,
                certificate_codes=cert_codes,
                expected_wage=expected,
                desired_region_code=desired + "000000" if desired else "",
                desired_longitude=None if not desired else dlon,
                desired_latitude=None if not desired else dlat,
                external_id=f"S{i + 1:06d}",
            )
        )
        s_occ.append(occ.code)
        s_res.append(reservation)
        s_tol.append(tolerance)
        s_lon.append(lon)
        s_lat.append(lat)
        s_dlon.append(dlon)
        s_dlat.append(dlat)
        s_age.append(age_on_day(birth, today))
        s_edu.append(edu_rank)

    truth = Truth(
        seeker_occ=s_occ,
        seeker_reservation=np.array(s_res),
        seeker_tolerance_km=np.array(s_tol),
        seeker_lon=np.array(s_lon),
        seeker_lat=np.array(s_lat),
        seeker_desired_lon=np.array(s_dlon),
        seeker_desired_lat=np.array(s_dlat),
        seeker_age=np.array(s_age),
        seeker_edu_rank=np.array(s_edu),
        posting_occ=p_occ,
        posting_wage=np.array(p_wage, dtype=np.float64),
        posting_lon=np.array(p_lon),
        posting_lat=np.array(p_lat),
        posting_age_min=np.array(p_amin),
        posting_age_max=np.array(p_amax),
        posting_edu_rank=np.array(p_edu),
    )
    return Market(
        seekers=s_records, postings=p_records, truth=truth, counties=names, today=today, seed=seed
    )


def age_on_day(birth: datetime.date, day: datetime.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def seeker_title(rng: random.Random, occupation_code: str) -> str:
    """A messy wanted-job title for an occupation of the catalogue (for other benchmarks)."""
    occ = next((o for o in OCCUPATIONS if o.code == occupation_code), None)
    return _seeker_title(rng, occ) if occ else ""


def posting_text(rng: random.Random, occupation_code: str, wmin: int, wmax: int):
    """(title, description) for an occupation of the catalogue (for other benchmarks)."""
    occ = next(o for o in OCCUPATIONS if o.code == occupation_code)
    return _posting_title(rng, occ), _description(rng, occ, wmin, wmax)
