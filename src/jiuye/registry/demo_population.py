"""A seeded, documented demo population: households, people, employers and two years of events.

``generate_population(region_prefix="141021")`` fills every village and community (level-5
region) under the prefix with households and people, creates employers with valid unified
social credit codes, and writes two years of employment and unemployment registrations,
key-group memberships, monthly insurance contributions and insured headcounts. Everything is
drawn from ``random.Random`` seeded with ``seed`` and the area, so the same seed and area give
the same people. ``docs/demo-data.md`` lists the sources of the distributions and what is and
is not realistic; the numbers here are the place to change them.

How it runs:

* The area is cut into units: one per county (or the area itself when it is smaller than a
  county). A unit that already has people is skipped, so running it again creates nothing
  and a province run after a county run fills only the other counties.
* Each unit is generated in memory and written in one transaction. Primary keys are assigned
  here (the next free ids), so households, members, events and contributions can refer to
  each other without reading anything back; on PostgreSQL the id sequences are reset after
  each unit. Nothing else may write these tables while the generator runs.
* On PostgreSQL the rows go in with binary ``COPY`` (psycopg), encrypting ID numbers here;
  outside a transaction a second thread writes one unit while the next is generated, so the
  server's work (indexes, WAL, foreign-key checks at commit) overlaps Python's. On other
  databases: ``bulk_create(batch_size=5000)``, where the encrypted field encrypts them.
* A person's cached ``employment_status``/``status_since`` is computed with
  :func:`jiuye.registry.status.derive_status` from the events generated for them.
"""

from __future__ import annotations

import bisect
import queue
import random
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from datetime import time as dtime
from decimal import Decimal
from typing import TextIO

from django.core.management.color import no_style
from django.db import connection, connections, transaction
from django.db.models import Max
from django.utils import timezone

from jiuye.core import audit
from jiuye.core.crypto import blind_index, encrypt
from jiuye.core.idnumber import check_character
from jiuye.core.uscc import CHARSET, organization_code_check_character, uscc_check_character
from jiuye.regions.codes import prefix_of
from jiuye.regions.models import Region
from jiuye.registry.ages import retirement_date
from jiuye.registry.codes import occupation as occupation_entry
from jiuye.registry.models import (
    ContractType,
    Employer,
    EmploymentEvent,
    EmploymentForm,
    EmploymentStatus,
    EventKind,
    Household,
    HouseholdMember,
    HukouType,
    InsuranceContribution,
    InsuranceType,
    InsuredHeadcount,
    JobIntention,
    KeyGroup,
    KeyGroupMembership,
    LabourBrand,
    Ownership,
    Person,
    Relation,
    SizeClass,
    WorkPlace,
)
from jiuye.registry.status import EventFact, derive_status

__all__ = ["DEFAULT_AS_OF", "DEFAULT_SEED", "PopulationReport", "generate_population"]

DEFAULT_SEED = 20261123
DEFAULT_AS_OF = date(2026, 11, 1)
# The default size: a registry of about 250 people per village or community, so 曲沃县 (158
# villages in the shipped tree) gets about 40,000. Province runs pass ``people`` explicitly.
PEOPLE_PER_VILLAGE = 250
# A small total spread over many villages would give each a person or two: below this many
# people per village, only a weighted sample of the villages is populated.
MIN_PEOPLE_PER_VILLAGE = 20
BATCH_SIZE = 5000
HISTORY_MONTHS = 24  # employment histories: as_of minus 24 months to as_of
CONTRIBUTION_MONTHS = 24  # insurance contributions: as long as the employment histories
WORKING_AGE_PER_EMPLOYER = 40  # one employer per 40 working-age residents (30 in urban units)
SOURCE = "demo"

# --- distributions --------------------------------------------------------------------------


class _Weighted:
    """Pick from ``items`` with fixed weights: one random() and a bisect per draw."""

    __slots__ = ("cum", "items", "total")

    def __init__(self, pairs: Sequence[tuple[object, float]]):
        self.items = [item for item, _ in pairs]
        self.cum = []
        total = 0.0
        for _, weight in pairs:
            total += weight
            self.cum.append(total)
        self.total = total

    def pick(self, rng: random.Random):
        return self.items[bisect.bisect_right(self.cum, rng.random() * self.total)]


# Surnames: the top ~110 in the national order of the 2020 household-registration report
# (公安部户政管理研究中心), weights in per mille of the population, adjusted up for surnames
# that are markedly more common in Shanxi (郭 武 贾 韩 薛 任 梁 郝 乔 闫 霍 畅 原 卫 段 史
# 牛 申 常 温 裴 靳 樊 焦 柴) and down for southern ones (陈 黄 林 罗 谢 曾 邓 钟 廖 赖 覃).
SURNAMES = _Weighted(
    [
        ("王", 80), ("李", 72), ("张", 70), ("刘", 58), ("杨", 34), ("郭", 28), ("赵", 28),
        ("陈", 20), ("高", 16), ("武", 15), ("贾", 15), ("韩", 14), ("孙", 13), ("马", 13),
        ("梁", 13), ("任", 12), ("吴", 11), ("周", 11), ("田", 10), ("薛", 10), ("史", 9),
        ("宋", 9), ("胡", 9), ("郝", 9), ("冯", 9), ("白", 9), ("闫", 8), ("段", 8),
        ("程", 8), ("侯", 8), ("黄", 8), ("朱", 8), ("徐", 8), ("吕", 7), ("许", 7),
        ("乔", 7), ("范", 7), ("杜", 7), ("魏", 7), ("董", 7), ("曹", 7), ("崔", 6),
        ("牛", 6), ("秦", 6), ("孟", 6), ("石", 6), ("贺", 6), ("常", 6), ("郑", 6),
        ("申", 5), ("康", 5), ("苏", 5), ("何", 5), ("于", 5), ("姚", 5), ("苗", 5),
        ("温", 5), ("霍", 4), ("卫", 4), ("樊", 4), ("焦", 4), ("裴", 4), ("柴", 4),
        ("袁", 4), ("卢", 4), ("姜", 4), ("丁", 4), ("雷", 4), ("安", 4), ("靳", 3),
        ("阎", 3), ("原", 3), ("唐", 4), ("彭", 3), ("潘", 3), ("蒋", 3), ("蔡", 3),
        ("尹", 3), ("景", 3), ("尚", 3), ("聂", 3), ("邢", 3), ("路", 3), ("解", 3),
        ("成", 3), ("毛", 3), ("谢", 3), ("林", 3), ("罗", 3), ("邓", 3), ("曾", 2),
        ("叶", 2), ("余", 2), ("沈", 2), ("傅", 2), ("钟", 1), ("廖", 1), ("汪", 2),
        ("陆", 2), ("金", 2), ("戴", 2), ("夏", 2), ("方", 2), ("邱", 2), ("畅", 2),
        ("兰", 2), ("葛", 2), ("庞", 2), ("齐", 2), ("严", 2), ("孔", 2), ("耿", 2),
        ("翟", 2), ("晋", 2), ("冀", 2), ("岳", 2), ("祁", 2), ("卜", 1), ("药", 1),
    ]
)  # fmt: skip

# Given-name characters by sex and birth era (before 1960, 1960s–70s, 1980s–90s, 2000 on).
_GIVEN = {
    ("1", 0): "国 建 德 明 福 贵 富 保 生 海 山 林 春 忠 永 全 志 文 武 成 宝 金 俊 长 树 平 "
    "根 庆 喜 才 有 玉 秀 兴 发 振 银 锁 虎 狗 旺 仁 义 存 吉",
    ("1", 1): "军 伟 勇 强 刚 斌 涛 波 华 明 杰 磊 平 峰 辉 东 林 超 鹏 亮 建 志 海 红 卫 新 利 "
    "江 兵 国 文 宏 晓 小 锋 永 忠 爱 学 云",
    ("1", 2): "杰 浩 磊 鹏 超 帅 宇 博 凯 飞 晨 阳 斌 鑫 龙 俊 涛 伟 健 旭 辉 亮 峰 晓 鹏 泽 "
    "强 文 刚 佳 家 明 成 宁 朋 亚 腾 琦",
    ("1", 3): "子 浩 宇 轩 博 睿 泽 宸 铭 皓 梓 涵 阳 航 晨 一 俊 逸 辰 锦 然 沐 奕 嘉 昊 "
    "泓 钰 煜 文 天 瑞 明 豪 翔",
    ("2", 0): "秀 英 兰 桂 凤 玉 珍 芳 梅 翠 莲 花 华 琴 云 荣 香 淑 素 巧 爱 月 金 银 彩 "
    "枝 贞 娥 仙 菊 改 存 叶",
    ("2", 1): "红 丽 霞 燕 艳 萍 芳 静 敏 娟 玲 华 英 梅 莉 琴 慧 晓 小 俊 春 红 雪 丽 "
    "利 瑞 美 荣 平 彩",
    ("2", 2): "婷 丹 静 娜 敏 倩 雪 琳 晶 璐 佳 慧 颖 欣 蕾 瑶 媛 洁 楠 琪 艳 丽 晓 亚 "
    "妮 莹 梦 雅 瑞 茹",
    ("2", 3): "欣 怡 梓 涵 雨 萱 诗 思 子 佳 琪 语 馨 可 悦 一 依 若 晨 彤 沐 芮 诺 嘉 "
    "雅 璇 妍 瑶 宁 安",
}
GIVEN_CHARS = {key: text.split() for key, text in _GIVEN.items()}
# Characters that only start a two-character name (no 杨子, no 王小 or 李亚, and no 徐彩小).
FIRST_ONLY = frozenset(
    [
        "小",
        "晓",
        "子",
        "梓",
        "雨",
        "诗",
        "思",
        "语",
        "一",
        "依",
        "若",
        "沐",
        "亚",
        "佳",
        "嘉",
        "家",
        "天",
        "爱",
        "学",
        "存",
        "改",
    ]
)
SECOND_CHARS = {
    key: [c for c in chars if c not in FIRST_ONLY] for key, chars in GIVEN_CHARS.items()
}
SINGLE_CHAR_SHARE = (0.12, 0.28, 0.32, 0.18)  # share of one-character given names by era

# The age pyramid the households are drawn towards: Shanxi, 2020 census, per cent by 5-year
# band (0–4 … 85+), applied at ``as_of``. Households are built from a composition model
# (below) and accepted with probability ``_PYRAMID_ACCEPT`` averaged over their members; the
# acceptance weights were fitted by iterating accept ← accept × (target / simulated)^0.8 on
# 60,000 households and give the target within about a quarter point per band.
PYRAMID_TARGET = (4.6, 5.9, 5.9, 5.0, 5.3, 6.6, 9.0, 7.3, 6.9, 8.7, 9.1, 7.8, 5.5, 5.2,
                  3.4, 2.2, 1.4, 0.9)  # fmt: skip
_PYRAMID_ACCEPT = (0.06, 0.68, 1.0, 0.86, 0.22, 0.21, 0.41, 0.29, 0.23, 0.42, 0.47, 0.33,
                   0.28, 0.52, 0.28, 0.33, 0.44, 0.16)  # fmt: skip

# Household size 1–6 (mean ≈ 2.8; Shanxi's 2020 census mean is 2.52 for all households,
# registries list fewer single-person households of migrants).
HOUSEHOLD_SIZES = _Weighted([(1, 18), (2, 28), (3, 24), (4, 17), (5, 9), (6, 4)])

# Education (GB/T 4658 category codes) by birth cohort, per cent, order:
# 10 postgraduate, 20 bachelor, 30 junior college, 40 secondary vocational, 60 senior high,
# 70 junior high, 80 primary, 90 other (incl. never schooled). Shaped on the 2020 census
# (Shanxi: 17.4% of residents with college or more) and the expansion of higher education.
_EDU_CODES = ("10", "20", "30", "40", "60", "70", "80", "90")
_EDU_COHORTS = (
    (1946, (0.0, 0.5, 1.0, 1.5, 5.0, 15.0, 50.0, 27.0)),
    (1956, (0.0, 1.0, 2.0, 3.0, 9.0, 28.0, 45.0, 12.0)),
    (1966, (0.1, 2.0, 3.0, 5.0, 15.0, 45.0, 27.0, 3.0)),
    (1976, (0.3, 4.0, 6.0, 7.0, 15.0, 50.0, 17.0, 0.7)),
    (1986, (1.0, 8.0, 11.0, 9.0, 14.0, 47.0, 9.5, 0.5)),
    (1996, (2.5, 16.0, 18.0, 12.0, 13.0, 33.0, 5.0, 0.5)),
    (9999, (4.0, 24.0, 25.0, 14.0, 12.0, 19.0, 2.0, 0.0)),
)
_EDU_URBAN = (1.8, 1.8, 1.6, 1.2, 1.2, 0.8, 0.6, 0.6)
_EDU_RURAL = (0.6, 0.7, 0.8, 1.0, 1.0, 1.1, 1.1, 1.1)


def _edu_tables(factors):
    tables = []
    for until, weights in _EDU_COHORTS:
        scaled = [w * f for w, f in zip(weights, factors, strict=True)]
        tables.append((until, _Weighted(list(zip(_EDU_CODES, scaled, strict=True)))))
    return tables


EDUCATION_URBAN = _edu_tables(_EDU_URBAN)
EDUCATION_RURAL = _edu_tables(_EDU_RURAL)
# Age at which a level is completed (July of that year) and the level held while studying.
EDU_COMPLETION_AGE = {"80": 12, "70": 15, "60": 18, "40": 18, "30": 21, "20": 22, "10": 25}
EDU_PREVIOUS = {"10": "20", "20": "60", "30": "60", "40": "70", "60": "70", "70": "80", "80": ""}
COLLEGE = frozenset({"10", "20", "30"})

ETHNICITIES = _Weighted([("01", 99.7), ("03", 0.2), ("11", 0.05), ("02", 0.05)])

PHONE_PREFIXES = [
    "130",
    "131",
    "132",
    "133",
    "134",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "153",
    "155",
    "156",
    "157",
    "158",
    "159",
    "166",
    "173",
    "175",
    "176",
    "177",
    "178",
    "180",
    "181",
    "182",
    "183",
    "184",
    "185",
    "186",
    "187",
    "188",
    "189",
    "191",
    "198",
    "199",
]

# Landline area codes of Shanxi's cities (for employers' contact phones).
AREA_CODES = {
    "1401": "0351", "1402": "0352", "1403": "0353", "1404": "0355", "1405": "0356",
    "1406": "0349", "1407": "0354", "1408": "0359", "1409": "0350", "1410": "0357",
    "1411": "0358",
}  # fmt: skip

UNIVERSITIES = [
    "山西大学",
    "太原理工大学",
    "山西财经大学",
    "山西医科大学",
    "中北大学",
    "山西师范大学",
    "太原科技大学",
    "山西农业大学",
    "山西中医药大学",
    "太原师范学院",
    "山西大同大学",
    "运城学院",
    "长治学院",
    "忻州师范学院",
    "晋中学院",
    "太原学院",
    "吕梁学院",
    "太原工业学院",
    "山西工程技术学院",
    "山西传媒学院",
    "山西能源学院",
    "长治医学院",
    "西安交通大学",
    "郑州大学",
    "河北大学",
    "西北大学",
]
POSTGRADUATE_SCHOOLS = [
    "山西大学",
    "太原理工大学",
    "山西医科大学",
    "山西财经大学",
    "中北大学",
    "山西农业大学",
]
COLLEGES = [
    "山西职业技术学院",
    "山西机电职业技术学院",
    "山西工程职业学院",
    "临汾职业技术学院",
    "山西药科职业学院",
    "山西省财政税务专科学校",
    "运城幼儿师范高等专科学校",
    "晋中职业技术学院",
    "山西水利职业技术学院",
    "山西铁道职业技术学院",
    "长治职业技术学院",
    "山西金融职业学院",
    "山西林业职业技术学院",
    "山西煤炭职业技术学院",
]
MAJORS_BACHELOR = [
    "计算机科学与技术",
    "会计学",
    "护理学",
    "机械设计制造及其自动化",
    "土木工程",
    "汉语言文学",
    "英语",
    "电子商务",
    "市场营销",
    "临床医学",
    "学前教育",
    "法学",
    "采矿工程",
    "化学工程与工艺",
    "电气工程及其自动化",
    "数学与应用数学",
    "财务管理",
    "工商管理",
    "小学教育",
    "软件工程",
]
MAJORS_COLLEGE = [
    "软件技术",
    "护理",
    "建筑工程技术",
    "汽车检测与维修技术",
    "大数据与会计",
    "学前教育",
    "机电一体化技术",
    "电子商务",
    "煤矿智能开采技术",
    "药学",
    "工程造价",
    "酒店管理与数字化运营",
]

# GB/T 4754-2017 divisions with a plausible share of a Shanxi county's employers (per cent,
# from the shape of the 2018 economic census: trade, catering and services dominate by count;
# coal, coking, building materials and construction are strong in Shanxi).
INDUSTRIES = _Weighted(
    [
        ("01", 4), ("03", 3), ("05", 1), ("06", 2), ("08", 0.5), ("10", 0.5), ("13", 2),
        ("14", 1), ("15", 0.5), ("18", 0.5), ("25", 1.5), ("26", 1), ("29", 0.5), ("30", 2.5),
        ("31", 1), ("33", 1.5), ("34", 1), ("38", 0.5), ("44", 0.8), ("47", 5), ("48", 3),
        ("49", 1.5), ("50", 3), ("51", 10), ("52", 20), ("54", 5), ("59", 1), ("60", 0.5),
        ("61", 2), ("62", 10), ("65", 0.5), ("66", 0.5), ("70", 2), ("71", 1), ("72", 3),
        ("75", 0.5), ("78", 0.5), ("80", 5), ("81", 3), ("82", 1), ("85", 0.5), ("88", 0.3),
        ("90", 0.5),
    ]
)  # fmt: skip
# Divisions where individual businesses (个体工商户) are common, and their shop words.
INDIVIDUAL_SHOPS = {
    "52": "超市 便利店 百货店 五金店 农资店 副食店 水果店 服装店 手机店 建材门市部",
    "62": "饭店 面馆 小吃店 烧烤店 饺子馆 刀削面馆 餐馆",
    "80": "理发店 家政服务部 洗浴中心 照相馆 裁缝店",
    "81": "汽车修理部 摩托车修理部 家电维修部",
    "54": "运输队 货运部",
    "61": "宾馆 旅馆",
    "01": "种植园 家庭农场",
    "03": "养殖场",
}


def _restrict(weighted: _Weighted, keep) -> _Weighted:
    pairs, previous = [], 0.0
    for item, cum in zip(weighted.items, weighted.cum, strict=True):
        if item in keep:
            pairs.append((item, cum - previous))
        previous = cum
    return _Weighted(pairs)


INDIVIDUAL_INDUSTRIES = _restrict(INDUSTRIES, INDIVIDUAL_SHOPS)
COMPANY_WORDS = {
    "01": "农业开发 农业科技 种植", "03": "畜牧 养殖 牧业", "05": "农机服务 农业服务",
    "06": "煤业 煤矿 煤炭运销", "08": "矿业", "10": "石料 矿业", "13": "食品 粮油 面粉",
    "14": "食品", "15": "酒业 饮品", "18": "服饰", "25": "焦化 煤化", "26": "化工",
    "29": "塑料制品", "30": "建材 水泥制品 新型建材 砖业", "31": "钢铁 铸管", "33": "金属制品 铸造",
    "34": "机械制造 机械", "38": "电气设备", "44": "热力 电力 新能源", "47": "建筑工程 建筑安装",
    "48": "路桥工程 市政工程", "49": "安装工程 水电安装", "50": "装饰工程 装饰装修",
    "51": "商贸 贸易 物资", "52": "商贸 连锁超市 百货", "54": "运输 物流 汽车运输",
    "59": "仓储 物流", "60": "快递", "61": "酒店管理 宾馆", "62": "餐饮管理 餐饮",
    "65": "信息技术 网络科技", "66": "村镇银行", "70": "房地产开发 物业管理",
    "71": "机械设备租赁 租赁", "72": "劳务派遣 人力资源 商务咨询",
    "75": "农业技术推广 科技服务", "78": "园林绿化 环境卫生", "80": "家政服务 保洁服务",
    "81": "汽车维修", "82": "洗涤服务", "85": "养老服务", "88": "文化传媒", "90": "文化娱乐",
}  # fmt: skip
BRAND_FIRST = (
    "鑫 恒 宏 晋 华 兴 永 金 瑞 顺 昌 汇 泰 隆 盛 德 佳 富 鼎 通 万 亿 嘉 宝 天 福 尧 绛 新 远"
)
BRAND_SECOND = (
    "达 通 远 丰 泰 旺 盛 鼎 源 祥 昌 和 鑫 诚 宇 隆 辉 利 发 顺 康 安 宏 晟 润 博 悦 凯 邦 信"
)
BRAND_FIRST_CHARS = BRAND_FIRST.split()
BRAND_SECOND_CHARS = BRAND_SECOND.split()
ROADS = [
    "迎宾路",
    "建设路",
    "新华街",
    "滨河路",
    "南环路",
    "北环路",
    "兴业街",
    "人民路",
    "解放路",
    "工业园区",
    "开发区",
    "车站街",
]

# 职业分类大典 2022 细类 codes (checked against jiuye.registry.codes by the tests).
OCC_AGRI = ("5-01-02-01", "5-01-02-02", "5-03-02-01", "5-03-02-02")  # 农艺工 园艺工 饲养员
OCC_COAL = ("6-16-01-05", "6-16-01-04", "6-16-01-06", "6-16-01-07", "6-31-01-03")
OCC_MANUF = ("6-18-02-04", "6-31-01-02", "6-31-01-03", "6-18-01-01", "4-02-06-01")
OCC_FOOD = ("6-02-03-01", "6-01-04-03", "4-02-06-01")
OCC_BUILD = ("6-29-01-01", "6-29-01-03", "6-29-01-04", "6-29-01-05", "6-29-04-01", "6-30-05-05")
OCC_TRADE = ("4-01-02-01", "4-01-02-03", "4-01-02-04", "4-02-06-02", "4-01-01-00")
OCC_TRANSPORT = ("4-02-02-02", "4-02-02-01", "4-02-05-01", "4-02-06-01", "4-02-07-08")
OCC_CATERING = ("4-03-02-01", "4-03-02-02", "4-03-02-05")
OCC_SERVICE = ("4-10-01-06", "4-10-01-05", "4-10-03-02", "4-09-08-01", "4-07-05-01", "4-12-01-01")
OCC_OFFICE = ("3-01-01-01", "2-06-03-00", "4-07-02-03")
OCC_ENERGY = ("6-28-01-06", "6-31-01-08", "6-28-01-01")
OCC_IT = ("4-04-05-01", "2-02-10-03", "4-04-05-02")
OCC_EDU = ("2-08-02-04", "2-08-02-03", "2-08-02-01", "4-10-01-03")
OCC_HEALTH = ("2-05-08-05", "2-05-01-01", "4-14-01-02")
OCC_FLEXIBLE = ("4-10-08-01", "4-02-05-01", "4-10-01-06", "4-09-08-01", "6-29-01-01",
                "6-29-04-01", "4-02-02-02", "4-01-02-05", "5-01-02-01")  # fmt: skip
OCC_SELF = ("4-01-02-05", "4-03-02-01", "4-10-03-02", "4-12-01-01", "4-01-02-03",
            "5-03-02-01", "5-01-02-02")  # fmt: skip
OCC_PUBLIC_WELFARE = ("4-09-08-01", "4-07-05-01", "4-09-08-02", "3-01-01-02", "4-10-01-05")
_OCC_BY_DIVISION = {
    **dict.fromkeys(("01", "03", "05"), OCC_AGRI),
    **dict.fromkeys(("06", "08", "10"), OCC_COAL),
    **dict.fromkeys(("13", "14", "15"), OCC_FOOD),
    **dict.fromkeys(("18", "25", "26", "29", "30", "31", "33", "34", "38"), OCC_MANUF),
    "44": OCC_ENERGY,
    **dict.fromkeys(("47", "48", "49", "50"), OCC_BUILD),
    **dict.fromkeys(("51", "52"), OCC_TRADE),
    **dict.fromkeys(("54", "59", "60"), OCC_TRANSPORT),
    **dict.fromkeys(("61", "62"), OCC_CATERING),
    "65": OCC_IT,
    **dict.fromkeys(("66", "70", "71", "72", "75", "88", "90", "92"), OCC_OFFICE),
    **dict.fromkeys(("78", "80", "81", "82", "85"), OCC_SERVICE),
    "83": OCC_EDU,
    "84": OCC_HEALTH,
}

# Where people from the area work outside their county. In the province: city-district codes
# of the big Shanxi employment centres; outside: the usual destinations of Shanxi migrants.
IN_PROVINCE_DESTINATIONS = _Weighted(
    [
        (("140105", "太原"), 20), (("140106", "太原"), 12), (("140109", "太原"), 8),
        (("141002", "临汾"), 10), (("140702", "晋中"), 8), (("140802", "运城"), 7),
        (("140403", "长治"), 7), (("140213", "大同"), 6), (("140502", "晋城"), 5),
        (("141102", "吕梁"), 4), (("140902", "忻州"), 3), (("140602", "朔州"), 3),
        (("140302", "阳泉"), 2),
    ]
)  # fmt: skip
OUT_PROVINCE_DESTINATIONS = _Weighted(
    [
        (("110105", "北京"), 14), (("110108", "北京"), 6), (("120116", "天津"), 8),
        (("130102", "石家庄"), 5), (("150602", "鄂尔多斯"), 6), (("610113", "西安"), 9),
        (("410105", "郑州"), 7), (("310115", "上海"), 8), (("320571", "苏州"), 8),
        (("330110", "杭州"), 7), (("440306", "深圳"), 8), (("441900", "东莞"), 5),
        (("370211", "青岛"), 4),
    ]
)  # fmt: skip

REASONS_UNIT_END = _Weighted(
    [
        ("劳动合同期满终止", 35), ("劳动者提出解除劳动合同", 30), ("双方协商一致解除劳动合同", 20),
        ("用人单位经济性裁员", 5), ("用人单位依法宣告破产或关闭", 3), ("其他", 7),
    ]
)  # fmt: skip
REASONS_UNEMPLOYED_AFTER_JOB = {
    "劳动合同期满终止": "劳动合同期满",
    "劳动者提出解除劳动合同": "本人辞职",
    "双方协商一致解除劳动合同": "协商解除劳动合同",
    "用人单位经济性裁员": "单位裁员",
    "用人单位依法宣告破产或关闭": "单位破产或关闭",
    "灵活就业终止": "灵活就业中断",
    "个体经营停业": "个体经营停业",
    "公益性岗位期满": "公益性岗位期满",
    "其他": "其他",
}
REASONS_UNEMPLOYMENT_END = _Weighted(
    [
        ("本人申请注销", 45), ("连续6个月未与公共就业服务机构联系", 35),
        ("入学、服兵役或移居境外", 10), ("其他", 10),
    ]
)  # fmt: skip
RETIREMENT = "达到法定退休年龄"
FOUND_WORK = "已实现就业"

# Monthly insurance: amount = contribution base × (employer + employee rate), one row per
# person × employer × type × month. Rates: pension 16% + 8%, medical about 6.5% + 2%
# (Shanxi cities vary), unemployment 0.5% + 0.5%. Base floor and ceiling: about 60% and 300%
# of Shanxi's average wage used for contributions (approximate, not the official figures).
INSURANCE_RATES = (  # (type, employer's rate, employee's rate)
    (InsuranceType.PENSION, Decimal("0.16"), Decimal("0.08")),
    (InsuranceType.MEDICAL, Decimal("0.065"), Decimal("0.02")),
    (InsuranceType.UNEMPLOYMENT, Decimal("0.005"), Decimal("0.005")),
)
BASE_FLOOR, BASE_CEILING = 4200, 21000
CENT = Decimal("0.01")
BASE_BY_EDUCATION = {"10": 8000, "20": 6500, "30": 5500, "40": 4800, "60": 4800}

# Job seekers (求职登记): who registers a job intention, and how they name the job they want.
# Seekers write titles in their own words; a quarter leave the occupation code blank (the
# occupation coder fills it), the rest carry the code staff picked.
SEEKING_SHARE = {"unemployed": 0.85, "employed": 0.03, "unknown": 0.04}
INTENTION_UNCODED_SHARE = 0.25
INTENTION_DAYS = 365  # intentions registered over the last year
INTENTION_ENDED_SHARE = 0.12  # of those, ended already (found work or withdrew)
COLLOQUIAL_TITLES = {
    "6-18-02-04": ("电焊工", "焊工（持证）", "电焊", "氩弧焊工"),
    "6-29-01-01": ("瓦工", "砌筑工", "泥瓦匠"),
    "6-29-01-03": ("混凝土工", "打灰工"),
    "6-29-01-04": ("钢筋工", "绑钢筋"),
    "6-29-04-01": ("装修工", "室内装修"),
    "4-02-02-02": ("货车司机", "大车司机", "司机（A2）"),
    "4-02-02-01": ("出租车司机", "网约车司机"),
    "4-02-05-01": ("装卸工", "搬运工"),
    "4-02-06-01": ("仓管", "仓库保管员"),
    "4-02-07-08": ("快递员", "快递小哥"),
    "4-03-02-01": ("厨师", "炒锅", "中餐厨师"),
    "4-03-02-02": ("面点师", "面点"),
    "4-03-02-05": ("服务员", "餐厅服务员"),
    "4-01-02-01": ("销售", "业务员", "营销"),
    "4-01-02-03": ("营业员", "导购", "售货员"),
    "4-10-01-06": ("家政", "家政阿姨", "钟点工"),
    "4-10-01-05": ("护工", "养老护理"),
    "4-10-01-03": ("保育员", "幼儿园保育"),
    "4-10-03-02": ("美发师", "理发"),
    "4-07-05-01": ("保安", "保安员"),
    "4-09-08-01": ("保洁", "保洁员", "保洁阿姨"),
    "4-04-05-01": ("程序员", "软件开发"),
    "3-01-01-01": ("文员", "办公室文员"),
    "2-06-03-00": ("会计", "出纳会计"),
    "5-01-02-01": ("农业工人", "种植"),
    "5-03-02-01": ("养殖工", "饲养员"),
    "6-31-01-03": ("电工", "维修电工（持证）"),
}
TITLE_NOISE = ("", "", "", "（有经验）", " 附近", "，长期", "（持证）", " 求职", "、能吃苦")

DISABILITY_TYPES = _Weighted([(1, 15), (2, 15), (3, 2), (4, 45), (5, 8), (6, 10), (7, 5)])
DISABILITY_LEVELS = _Weighted([(1, 10), (2, 20), (3, 30), (4, 40)])

SIZE_HIRING_WEIGHT = {
    SizeClass.MICRO: 1.0,
    SizeClass.SMALL: 6.0,
    SizeClass.MEDIUM: 30.0,
    SizeClass.LARGE: 120.0,
}
_FEMALE_BRAND_WORDS = ("保姆", "护工", "绣娘", "巧娘", "月嫂", "家政")
LABOUR_BRAND_SHARE = 0.04  # of workers living in a brand's home region

# --- the report -----------------------------------------------------------------------------


@dataclass
class PopulationReport:
    region_prefix: str
    seed: int
    as_of: date
    requested: int = 0
    people: int = 0
    households: int = 0
    employers: int = 0
    events: int = 0
    contributions: int = 0
    headcounts: int = 0
    intentions: int = 0
    labour_brand_members: int = 0
    memberships: Counter = field(default_factory=Counter)
    statuses: Counter = field(default_factory=Counter)
    units: int = 0
    skipped_units: list[str] = field(default_factory=list)
    vendor: str = ""
    method: str = ""
    pipelined: bool = False  # written from a second thread while generating
    seconds: float = 0.0
    seconds_generating: float = 0.0
    seconds_encrypting: float = 0.0
    seconds_writing: float = 0.0

    @property
    def created(self) -> bool:
        return self.people > 0

    def text(self) -> str:
        if not self.units:
            return (
                f"演示人口 / demo population {self.region_prefix}: 区域内没有村/社区 / no villages"
            )
        if not self.people:
            return (
                f"演示人口 / demo population {self.region_prefix}: 已有人员，未生成 / the area "
                f"already has people; nothing generated ({len(self.skipped_units)} units)"
            )
        groups = ", ".join(
            f"{KeyGroup(group).label} {count}"
            for group, count in sorted(self.memberships.items(), key=lambda kv: -kv[1])
        )
        statuses = ", ".join(f"{k} {v}" for k, v in sorted(self.statuses.items()))
        lines = [
            f"演示人口 / demo population {self.region_prefix} (seed {self.seed}, as of "
            f"{self.as_of}): {self.people} people, {self.households} households, "
            f"{self.employers} employers, {self.events} events, {self.contributions} "
            f"contributions, {self.headcounts} headcount rows, {self.intentions} job "
            f"intentions in {self.seconds:.1f} s "
            f"({self.vendor}, {self.method})",
            f"  status: {statuses}",
            f"  key groups: {groups}",
            f"  labour-brand members: {self.labour_brand_members}",
        ]
        if self.skipped_units:
            more = " …" if len(self.skipped_units) > 5 else ""
            lines.append(
                f"  skipped (already have people): {len(self.skipped_units)} units "
                f"({', '.join(self.skipped_units[:5])}{more})"
            )
        return "\n".join(lines)


# --- the area -------------------------------------------------------------------------------


@dataclass
class _Village:
    code: str
    name: str
    township: str  # 12-digit code
    urban: bool
    seat: bool  # in the county seat's township
    quota: int = 0


@dataclass
class _Unit:
    prefix: str  # what the unit's records start with
    county: str  # 6 digits
    county_name: str
    city_name: str  # short: 临汾, 太原
    villages: list[_Village]
    townships: dict[str, str]  # code -> name
    seat_townships: list[str]


def _is_urban_village(code: str, name: str, urban_rural_code: str) -> bool:
    if urban_rural_code:
        return urban_rural_code.startswith("1")
    # NBS numbering: 居民委员会 001–199, 村民委员会 200–399.
    return name.endswith(("社区", "居委会", "居民委员会")) or int(code[9:12]) < 200


def _short_city(name: str) -> str:
    for suffix in ("市", "地区", "盟", "自治州"):
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


def _load_units(area_prefix: str) -> list[_Unit]:
    rows = list(
        Region.objects.current()
        .filter(code__startswith=area_prefix)
        .order_by("code")
        .values_list("code", "name", "level", "urban_rural_code")
    )
    names = dict(
        Region.objects.current()
        .filter(code__startswith=area_prefix[:2], level__lte=3)
        .values_list("code", "name")
    )
    names.update({code: name for code, name, _level, _urc in rows})
    by_county: dict[str, list[tuple[str, str, int, str]]] = defaultdict(list)
    for row in rows:
        if row[2] >= 4:
            by_county[row[0][:6]].append(row)
    units = []
    for county in sorted(by_county):
        townships = {code: name for code, name, level, _ in by_county[county] if level == 4}
        streets = [code for code in townships if code[6:9] < "100"]
        seats = streets or sorted(townships)[:1]
        villages = [
            _Village(
                code=code,
                name=name,
                township=code[:9] + "000",
                urban=_is_urban_village(code, name, urc),
                seat=code[:9] + "000" in seats,
            )
            for code, name, level, urc in by_county[county]
            if level == 5
        ]
        if not villages:
            continue
        for village in villages:
            townships.setdefault(village.township, names.get(village.township, ""))
        county_name = names.get(county + "000000", "")
        city_code = county[:4] + "00000000"
        unit_prefix = area_prefix if len(area_prefix) > 6 else county
        units.append(
            _Unit(
                prefix=unit_prefix,
                county=county,
                county_name=county_name,
                city_name=_short_city(names.get(city_code, "") or county_name),
                villages=villages,
                townships=townships,
                seat_townships=seats,
            )
        )
    return units


def _allocate(total: int, weights: list[float]) -> list[int]:
    """Split ``total`` in proportion to ``weights`` (largest remainder; deterministic)."""
    whole = sum(weights)
    exact = [total * w / whole for w in weights]
    quotas = [int(x) for x in exact]
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - quotas[i]), i))
    for i in order[: total - sum(quotas)]:
        quotas[i] += 1
    return quotas


# --- the per-person record ------------------------------------------------------------------


class _P:
    __slots__ = (
        "age",
        "birth",
        "brand",
        "cert",
        "disabled",
        "education",
        "events",
        "grad",
        "group_rows",
        "hash",
        "hh",
        "id",
        "migrant",
        "name",
        "number",
        "phone",
        "region",
        "relation",
        "retire",
        "sex",
        "since",
        "spells",
        "status",
        "student",
        "u_spells",
    )

    def __init__(self, relation: str, age: int, sex: str):
        self.relation = relation
        self.age = age
        self.sex = sex
        self.brand = None
        self.cert = ""
        self.disabled = False
        self.migrant = False
        self.grad = None  # (ordinal, level) of a graduation the person went through
        self.student = False  # still at school or university on as_of
        self.events: list[tuple] = []
        self.spells: list[list] = []  # unit employment with a local employer
        self.u_spells: list[list] = []  # [start, end or None]
        self.group_rows: list[tuple] = []
        self.status = EmploymentStatus.UNKNOWN.value
        self.since = None


class _H:
    __slots__ = (
        "dibao",
        "ex_poverty",
        "hukou_county",
        "hukou_region",
        "hukou_type",
        "id",
        "land_lost",
        "members",
        "monitored",
        "number",
        "village",
    )  # fmt: skip

    def __init__(self, village: _Village):
        self.village = village
        self.members: list[_P] = []
        self.ex_poverty = self.dibao = self.land_lost = self.monitored = False


# --- the generator --------------------------------------------------------------------------


class _Ids:
    """The next primary key of each table, read once and advanced in memory."""

    MODELS = (Household, Person, HouseholdMember, Employer, InsuredHeadcount,
              KeyGroupMembership, EmploymentEvent, InsuranceContribution, JobIntention)  # fmt: skip

    def __init__(self):
        self.next = {m: (m.objects.aggregate(n=Max("id"))["n"] or 0) + 1 for m in self.MODELS}

    def take(self, model) -> int:
        value = self.next[model]
        self.next[model] = value + 1
        return value


def _month_index(day: date) -> int:
    return day.year * 12 + day.month - 1


def _month_date(index: int) -> date:
    return date(index // 12, index % 12 + 1, 1)


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


class _Generator:
    def __init__(self, *, seed: int, as_of: date):
        self.seed = seed
        self.as_of = as_of
        self.A = as_of.toordinal()
        self.W0 = _add_months_date(as_of, -HISTORY_MONTHS).toordinal()
        self.month_now = _month_index(as_of)
        # Ordinal of the latest birthday that makes someone ``age`` on as_of.
        self.upper = [_add_years(as_of, -a).toordinal() for a in range(0, 112)]
        self.used_numbers: set[str] = set()
        self.used_hashes: set[str] = set()
        self.used_phones: set[str] = set()
        self.used_usccs: set[str] = set()
        self.used_employer_names: set[str] = set()
        self.now = timezone.now()
        self.counties: list[str] = []
        self.brands: list[tuple[int, str, str, bool | None]] = []
        self.dates: dict[int, date] = {}

    # ---- small helpers -----------------------------------------------------------------

    def day(self, ordinal: int) -> date:
        d = self.dates.get(ordinal)
        if d is None:
            d = self.dates[ordinal] = date.fromordinal(ordinal)
        return d

    def given_name(self, rng: random.Random, sex: str, birth_year: int) -> str:
        era = 0 if birth_year < 1960 else 1 if birth_year < 1980 else 2 if birth_year < 2000 else 3
        seconds = SECOND_CHARS[(sex, era)]
        if rng.random() < SINGLE_CHAR_SHARE[era]:
            return rng.choice(seconds)
        first = rng.choice(GIVEN_CHARS[(sex, era)])
        if sex == "2" and era >= 1 and first not in FIRST_ONLY and rng.random() < 0.04:
            return first + first  # 婷婷, 丽丽
        second = rng.choice(seconds)
        while second == first:
            second = rng.choice(seconds)
        return first + second

    @staticmethod
    def trade_name(rng: random.Random, length: int = 2) -> str:
        name = rng.choice(BRAND_FIRST_CHARS) + rng.choice(BRAND_SECOND_CHARS)
        if length > 2:
            name += rng.choice(BRAND_SECOND_CHARS)
        return name

    def phone(self, rng: random.Random) -> str:
        while True:
            number = f"{rng.choice(PHONE_PREFIXES)}{rng.randrange(100_000_000):08d}"
            if number not in self.used_phones:
                self.used_phones.add(number)
                return number

    def id_number(self, rng: random.Random, county: str, birth: date, sex: str) -> tuple[str, str]:
        stem = f"{county}{birth.year:04d}{birth.month:02d}{birth.day:02d}"
        parity = 1 if sex == "1" else 0
        while True:
            first17 = f"{stem}{rng.randrange(500) * 2 + parity:03d}"
            number = first17 + check_character(first17)
            if number in self.used_numbers:
                continue
            digest = blind_index(number)
            if digest in self.used_hashes:
                continue
            self.used_numbers.add(number)
            self.used_hashes.add(digest)
            return number, digest

    def uscc(self, rng: random.Random, authority: str, org_type: str, county: str) -> str:
        while True:
            if rng.random() < 0.7:  # registered since 2015: "MA" + 6 characters
                body = "MA" + "".join(rng.choice(CHARSET) for _ in range(6))
            else:  # an older organization code
                body = f"{rng.randrange(1, 8)}{rng.randrange(10_000_000):07d}"
            first17 = authority + org_type + county + body + organization_code_check_character(body)
            code = first17 + uscc_check_character(first17)
            if code not in self.used_usccs:
                self.used_usccs.add(code)
                return code

    # ---- households ----------------------------------------------------------------------

    def _spouse_age(self, rng, head_age: int, head_male: bool) -> int:
        gap = round(rng.gauss(2, 2.5))
        age = head_age - gap if head_male else head_age + gap
        return max(20, min(age, 99))

    @staticmethod
    def _child_range(a: int, b: int) -> tuple[int, int]:
        """Ages a child of parents aged ``a`` and ``b`` can have: 20–40 years younger than both."""
        return max(0, max(a, b) - 40), min(a, b) - 20

    def _children(self, rng, a: int, b: int, n: int) -> list[int] | None:
        lo, hi = self._child_range(a, b)
        if hi < lo:
            return None
        return [rng.randint(lo, hi) for _ in range(n)]

    def _composition(self, rng, size: int) -> list[tuple[str, int]] | None:
        """(relation, age) of each member; None if the draw is inconsistent (draw again)."""
        H, S, C, P = Relation.HEAD, Relation.SPOUSE, Relation.CHILD, Relation.PARENT
        GC, CIL = Relation.GRANDCHILD, Relation.CHILD_IN_LAW
        r = rng.random()
        if size == 1:
            if r < 0.32:
                return [(H, rng.randint(20, 34))]
            if r < 0.62:
                return [(H, rng.randint(35, 59))]
            return [(H, min(95, 60 + int(rng.expovariate(1 / 9))))]
        if size == 2:
            if r < 0.8:
                k = rng.random()
                head = (
                    rng.randint(22, 34)
                    if k < 0.18
                    else rng.randint(35, 54)
                    if k < 0.5
                    else min(95, 55 + int(rng.expovariate(1 / 11)))
                )
                return [(H, head), (S, self._spouse_age(rng, head, True))]
            head = rng.randint(40, 85)
            kids = self._children(rng, head, head, 1)
            return None if kids is None else [(H, head), (C, kids[0])]
        if size in (3, 4):
            if r < 0.78:
                head = rng.randint(24, 62)
                spouse = self._spouse_age(rng, head, True)
                kids = self._children(rng, head, spouse, size - 2)
                if kids is None:
                    return None
                return [(H, head), (S, spouse)] + [(C, k) for k in kids]
            if r < 0.9:
                head = rng.randint(24, 60)
                spouse = self._spouse_age(rng, head, True)
                parent = head + rng.randint(20, 40)
                if parent > 95:
                    return None
                members = [(H, head), (S, spouse), (P, parent)]
                if size == 4:
                    kids = self._children(rng, head, spouse, 1)
                    if kids is None:
                        return None
                    members.append((C, kids[0]))
                return members
            # Grandparents raising grandchildren whose parents work away (留守儿童).
            head = rng.randint(50, 78)
            grandchildren = [head - rng.randint(45, 70) for _ in range(size - 2)]
            if min(grandchildren) < 0:
                return None
            spouse = self._spouse_age(rng, head, True)
            return [(H, head), (S, spouse)] + [(GC, g) for g in grandchildren]
        # 5 or 6: three generations.
        if r < 0.45:
            head = rng.randint(26, 55)
            spouse = self._spouse_age(rng, head, True)
            kids = self._children(rng, head, spouse, 2 if size == 6 else rng.choice((1, 2)))
            if kids is None:
                return None
            father = head + rng.randint(20, 40)
            if father > 95:
                return None
            members = [(H, head), (S, spouse)] + [(C, k) for k in kids] + [(P, father)]
            while len(members) < size:
                mother = max(head + 20, min(head + 40, father - round(rng.gauss(2, 2.5))))
                members.append((P, mother))
            return members[:size]
        head = rng.randint(46, 75)
        spouse = self._spouse_age(rng, head, True)
        kids = self._children(rng, head, spouse, 1)
        if kids is None or kids[0] < 21:
            return None
        in_law = max(20, kids[0] + round(rng.gauss(-2, 2.5)))
        grandchildren = self._children(rng, kids[0], in_law, size - 4)
        if grandchildren is None:
            return None
        members = [(H, head), (S, spouse), (C, kids[0]), (CIL, in_law)]
        return members + [(GC, g) for g in grandchildren]

    def household_members(self, rng, size: int) -> list[tuple[str, int]]:
        accept = _PYRAMID_ACCEPT
        while True:
            members = self._composition(rng, size)
            if members is None:
                continue
            weight = sum(accept[min(age // 5, 17)] for _, age in members) / len(members)
            if rng.random() < weight:
                return members

    def make_household(self, rng, unit: _Unit, village: _Village, size: int) -> _H:
        hh = _H(village)
        if village.urban:
            hh.hukou_type = HukouType.URBAN.value if rng.random() < 0.95 else HukouType.RURAL.value
        else:
            hh.hukou_type = HukouType.RURAL.value if rng.random() < 0.92 else HukouType.URBAN.value
        if rng.random() < 0.9 or len(self.counties) < 2:
            hh.hukou_county = unit.county
            hh.hukou_region = village.code
        else:
            other = unit.county
            while other == unit.county:
                other = rng.choice(self.counties)
            hh.hukou_county = other
            hh.hukou_region = other + "000000"
        members = self.household_members(rng, size)
        head_age = members[0][1]
        # Heads of couples are mostly men (户主); a single head is a woman more often when old.
        has_spouse = any(rel == Relation.SPOUSE for rel, _ in members)
        has_in_law = any(rel == Relation.CHILD_IN_LAW for rel, _ in members)
        if has_spouse:
            head_sex = "1" if rng.random() < 0.85 else "2"
        else:
            head_sex = "2" if rng.random() < (0.55 if head_age >= 60 else 0.42) else "1"
        family_surname = SURNAMES.pick(rng)
        head_surname = family_surname
        for relation, age in members:
            if relation == Relation.HEAD:
                sex = head_sex
            elif relation == Relation.SPOUSE:
                sex = "2" if head_sex == "1" else "1"
            elif relation == Relation.PARENT:
                parents = [p for p in hh.members if p.relation == Relation.PARENT]
                sex = ("2" if parents[0].sex == "1" else "1") if parents else rng.choice("12")
            elif relation == Relation.CHILD_IN_LAW:
                child = next(p for p in hh.members if p.relation == Relation.CHILD)
                sex = "2" if child.sex == "1" else "1"
            elif relation == Relation.CHILD and has_in_law:
                sex = "1" if rng.random() < 0.85 else "2"  # a son living with his wife
            else:
                sex = "1" if rng.random() < 0.515 else "2"
            person = _P(relation, age, sex)
            # Surnames: the family's for the head, children and grandchildren (mostly), the
            # head's father shares the head's surname, spouses and in-laws their own.
            if relation in (Relation.HEAD, Relation.CHILD, Relation.GRANDCHILD):
                surname = head_surname if rng.random() < 0.93 else SURNAMES.pick(rng)
            elif relation == Relation.PARENT and sex == "1":
                surname = head_surname
            else:
                surname = SURNAMES.pick(rng)
            person.name = surname  # the given name needs the birth year; added below
            hh.members.append(person)
        return hh

    # ---- people --------------------------------------------------------------------------

    def education(self, rng, p: _P, urban: bool) -> str:
        birth_year = p.birth.year
        tables = EDUCATION_URBAN if urban else EDUCATION_RURAL
        final = next(table for until, table in tables if birth_year < until).pick(rng)
        if final == "90":
            return "90"
        # Walk back from the final level to the one completed by as_of; whoever has not
        # reached their final level yet is still studying.
        level = final
        entry_year = birth_year + (1 if p.birth.month >= 9 else 0)
        delay = 1 if rng.random() < 0.1 else 0
        while level:
            done_on = date(entry_year + EDU_COMPLETION_AGE[level] + delay, 7, 1).toordinal()
            if done_on <= self.A:
                if level != "80":
                    p.grad = (done_on, level)
                return level
            p.student = True
            level = EDU_PREVIOUS[level]
        return ""

    def fill_person(self, rng, unit: _Unit, hh: _H, p: _P) -> None:
        age = p.age
        upper = self.upper[age]
        lower = self.upper[age + 1]
        p.birth = self.day(upper - rng.randrange(upper - lower))
        p.name += self.given_name(rng, p.sex, p.birth.year)
        p.number, p.hash = self.id_number(rng, hh.hukou_county, p.birth, p.sex)
        p.retire = retirement_date(p.birth, p.sex).toordinal()
        if age < 16:
            p.phone = ""
        elif age < 18:
            p.phone = self.phone(rng) if rng.random() < 0.6 else ""
        elif age < 60:
            p.phone = self.phone(rng) if rng.random() < 0.98 else ""
        elif age < 75:
            p.phone = self.phone(rng) if rng.random() < 0.85 else ""
        else:
            p.phone = self.phone(rng) if rng.random() < 0.5 else ""
        p.education = self.education(rng, p, hh.hukou_type == HukouType.URBAN) if age >= 6 else ""

    # ---- key groups fixed before the history -------------------------------------------

    def _date_between(self, rng, first: int, last: int) -> int:
        return first if last <= first else rng.randint(first, last)

    def add_group(self, p: _P, group: str, valid_from: int, valid_to: int | None = None,
                  category: str = "", details: dict | None = None) -> None:  # fmt: skip
        p.group_rows.append((group, category, valid_from, valid_to, details or {}))

    def static_groups(self, rng, unit: _Unit, hh: _H) -> None:
        A = self.A
        rural = hh.hukou_type == HukouType.RURAL
        for p in hh.members:
            # 残疾人: about 2% overall, rising with age; two thirds hold a 残疾人证 whose number
            # is the ID number followed by the type (1–7) and level (1–4) digits.
            chance = (0.004, 0.01, 0.02, 0.04, 0.07)[
                0
                if p.age < 16
                else 1
                if p.age < 45
                else 2
                if p.age < 60
                else 3
                if p.age < 75
                else 4
            ]
            if rng.random() < chance:
                p.disabled = True
                first = max(p.birth.toordinal() + 365 * 3, date(2008, 1, 1).toordinal())
                since = self._date_between(rng, min(first, A), A)
                details = {}
                if rng.random() < 0.65:
                    kind, level = DISABILITY_TYPES.pick(rng), DISABILITY_LEVELS.pick(rng)
                    p.cert = f"{p.number}{kind}{level}"
                    details = {"certificate": p.cert, "type": kind, "level": level}
                self.add_group(p, KeyGroup.DISABLED, since, details=details)
            # 退役军人: about 1.5% of men aged 25–65.
            if p.sex == "1" and 25 <= p.age <= 65 and rng.random() < 0.015:
                years = rng.choice((2, 2, 2, 3, 5, 5, 8, 12, 16))
                left = p.birth.toordinal() + int(365.25 * (18 + years)) + rng.randrange(200)
                if left < A:
                    self.add_group(p, KeyGroup.VETERAN, left, details={"service_years": years})
            # 高校毕业生: aged 21–28 with a college degree or more.
            if p.grad and p.grad[1] in COLLEGE and 21 <= p.age <= 28:
                on, level = p.grad
                degree, school = {
                    "10": ("硕士", rng.choice(POSTGRADUATE_SCHOOLS)),
                    "20": ("本科", rng.choice(UNIVERSITIES)),
                    "30": ("专科", rng.choice(COLLEGES)),
                }[level]
                major = rng.choice(MAJORS_COLLEGE if level == "30" else MAJORS_BACHELOR)
                details = {"year": self.day(on).year, "school": school, "degree": degree,
                           "major": major}  # fmt: skip
                self.add_group(p, KeyGroup.GRADUATE, on, details=details)
        any_disabled = any(p.disabled for p in hh.members)
        # 脱贫人口 (~7% of rural people) and 防止返贫监测对象 (~0.8% of rural people): whole
        # households, out of poverty in 2016–2020, monitored from 2021 (some risks cleared).
        if rural and rng.random() < 0.07:
            hh.ex_poverty = True
            year = rng.choice((2016, 2017, 2018, 2019, 2019, 2020, 2020))
            for p in hh.members:
                self.add_group(p, KeyGroup.EX_POVERTY, date(year, 12, 31).toordinal(),
                               details={"year": year})  # fmt: skip
        if rng.random() < ((0.07 if hh.ex_poverty else 0.003) if rural else 0.001):
            hh.monitored = True
            start = self._date_between(rng, date(2021, 6, 1).toordinal(), A - 30)
            end = None
            if rng.random() < 0.4:
                end = self._date_between(rng, start + 180, A)
                end = None if end >= A else end
            for p in hh.members:
                self.add_group(p, KeyGroup.MONITORED, start, end)
        # 低保: ~2.5% of rural and ~1.5% of urban people, more with a disabled member or
        # after poverty; a quarter of the spells have ended.
        chance = (
            (0.02 if rural else 0.013) * (3 if any_disabled else 1) * (2 if hh.ex_poverty else 1)
        )
        if rng.random() < chance:
            hh.dibao = True
            start = self._date_between(rng, date(2015, 1, 1).toordinal(), A - 30)
            end = None
            if rng.random() < 0.25:
                end = self._date_between(rng, start + 365, A)
                end = None if end >= A else end
            for p in hh.members:
                self.add_group(p, KeyGroup.DIBAO, start, end)
            if end is not None:
                hh.dibao = False
        # 被征地农民: rural households near the county seat (5%), elsewhere rarely (0.6%).
        if rural and rng.random() < (0.05 if hh.village.seat else 0.006):
            hh.land_lost = True
            on = self._date_between(rng, date(2012, 1, 1).toordinal(), A - 60)
            for p in hh.members:
                if p.age >= 16:
                    self.add_group(p, KeyGroup.LAND_LOST, on)
        # 农民工: about a quarter of rural people of working age work away from farming.
        if rural:
            for p in hh.members:
                share = 0.33 if p.sex == "1" else 0.19
                if 18 <= p.age <= 58 and p.retire > A and rng.random() < share:
                    p.migrant = True

    # ---- employment history ------------------------------------------------------------

    def participation(self, p: _P, hh: _H) -> tuple[float, float]:
        """(share employed, share registered unemployed) of people like ``p`` at a moment."""
        urban = hh.hukou_type == HukouType.URBAN
        if p.migrant:
            employed, unemployed = 0.9, 0.02
        elif urban:
            if p.sex == "1":
                employed = 0.8 if p.age < 50 else 0.62
            else:
                employed = 0.7 if p.age < 45 else 0.45
            unemployed = 0.07 if p.age >= 40 else 0.05
        else:
            employed, unemployed = (0.62 if p.sex == "1" else 0.45), 0.025
        if p.age < 22:
            employed *= 0.6
        if p.education in COLLEGE:
            employed = min(0.92, employed * 1.15)
        if p.disabled:
            employed, unemployed = employed * 0.5, unemployed * 1.5
        if hh.dibao:
            employed, unemployed = employed * 0.7, unemployed * 2
        return employed, unemployed

    def new_spell(self, rng, unit: _Unit, hh: _H, p: _P, start: int, employers) -> dict:
        """What an employment that begins on ``start`` looks like."""
        urban = hh.hukou_type == HukouType.URBAN
        r = rng.random()
        if p.migrant:
            place = (
                WorkPlace.OUT_PROVINCE
                if r < 0.35
                else WorkPlace.IN_PROVINCE
                if r < 0.7
                else WorkPlace.IN_COUNTY
            )
            form = EmploymentForm.UNIT if rng.random() < 0.55 else EmploymentForm.FLEXIBLE
        else:
            place = (
                WorkPlace.IN_COUNTY
                if r < 0.88
                else WorkPlace.IN_PROVINCE
                if r < 0.97
                else WorkPlace.OUT_PROVINCE
            )
            welfare = 0.02 * (4 if (p.disabled or hh.dibao or p.age >= 50) else 1)
            unit_share = 0.55 if urban else 0.3
            if p.education in COLLEGE:
                unit_share += 0.2
            f = rng.random()
            if f < welfare and place == WorkPlace.IN_COUNTY:
                form = EmploymentForm.PUBLIC_WELFARE
            elif f < welfare + unit_share:
                form = EmploymentForm.UNIT
            elif f < welfare + unit_share + (0.22 if urban else 0.45) * (1 - unit_share):
                form = EmploymentForm.FLEXIBLE
            else:
                form = EmploymentForm.SELF_EMPLOYED
        spell = {
            "form": form.value,
            "place": place.value,
            "employer": None,
            "employer_name": "",
            "contract": "",
            "contract_end": None,
            "occupation": "",
            "insured": False,
            "work_region": unit.county + "000000",
        }
        if place == WorkPlace.IN_PROVINCE:
            if unit.county[:2] == "14":
                code, city = IN_PROVINCE_DESTINATIONS.pick(rng)
                while code == unit.county:
                    code, city = IN_PROVINCE_DESTINATIONS.pick(rng)
            else:
                code, city = rng.choice(self.counties), unit.city_name
            spell["work_region"] = code + "000000"
        elif place == WorkPlace.OUT_PROVINCE:
            code, city = OUT_PROVINCE_DESTINATIONS.pick(rng)
            spell["work_region"] = code + "000000"
        else:
            city = unit.city_name
        if form == EmploymentForm.UNIT:
            r = rng.random()
            if r < 0.7:
                spell["contract"] = ContractType.FIXED.value
                years = rng.choice((1, 1, 2, 2, 3, 3, 3, 5))
                spell["contract_end"] = _add_years(self.day(start), years)
            elif r < 0.8 and p.age > 30:
                spell["contract"] = ContractType.OPEN_ENDED.value
            elif r < 0.85:
                spell["contract"] = ContractType.TASK.value
                spell["contract_end"] = self.day(start + rng.randint(90, 365))
            else:
                spell["contract"] = ContractType.NONE.value
            if place == WorkPlace.IN_COUNTY and employers.items:
                employer = employers.pick(rng)
                spell["employer"] = employer
                spell["employer_name"] = employer["name"]
                spell["work_region"] = employer["region_code"]
                spell["occupation"] = rng.choice(
                    _OCC_BY_DIVISION.get(employer["industry_code"], OCC_OFFICE)
                )
                share = 0.65 if employer["size_class"] == SizeClass.MICRO else 0.9
                spell["insured"] = spell["contract"] != ContractType.NONE and rng.random() < share
            else:
                division = INDUSTRIES.pick(rng)
                words = COMPANY_WORDS.get(division, "商贸").split()
                spell["employer_name"] = (
                    f"{city}{rng.choice(BRAND_FIRST_CHARS)}{rng.choice(BRAND_SECOND_CHARS)}"
                    f"{rng.choice(words)}有限公司"
                )
                spell["occupation"] = rng.choice(_OCC_BY_DIVISION.get(division, OCC_OFFICE))
        elif form == EmploymentForm.FLEXIBLE:
            spell["occupation"] = rng.choice(OCC_FLEXIBLE)
            spell["contract"] = ContractType.NONE.value
        elif form == EmploymentForm.SELF_EMPLOYED:
            division = rng.choice(tuple(INDIVIDUAL_SHOPS))
            spell["employer_name"] = (
                f"{unit.county_name}{rng.choice(BRAND_FIRST_CHARS)}"
                f"{rng.choice(BRAND_SECOND_CHARS)}{rng.choice(INDIVIDUAL_SHOPS[division].split())}"
            )
            spell["occupation"] = rng.choice(OCC_SELF)
        else:  # public-welfare post, a year at a time
            spell["employer_name"] = (
                f"{hh.village.name}{'居民委员会' if hh.village.urban else '村民委员会'}"
                if rng.random() < 0.6
                else f"{unit.townships.get(hh.village.township, '')}"
                f"{'街道办事处' if hh.village.township[6] == '0' else '人民政府'}"
            )
            spell["contract"] = ContractType.FIXED.value
            spell["contract_end"] = _add_years(self.day(start), 1)
            spell["occupation"] = rng.choice(OCC_PUBLIC_WELFARE)
        if p.brand is not None and rng.random() < 0.8:
            spell["occupation"] = p.brand[2]
        return spell

    def history(self, rng, unit: _Unit, hh: _H, p: _P, employers) -> None:
        """Two years of registrations for a person of working age, appended to ``p.events``.

        States: employed (E), registered unemployed (U), not registered (N). Spell lengths are
        exponential; the routes out of each state are chosen so that the shares stay near
        ``participation`` over the two years.
        """
        A, W0 = self.A, self.W0
        entry = _add_years(p.birth, 16).toordinal()
        if p.grad and p.grad[0] > entry:
            entry = p.grad[0]
        if p.student or entry > A or p.retire <= W0:
            return
        retire = p.retire
        pe, pu = self.participation(p, hh)
        pn = max(0.02, 1 - pe - pu)
        mean_e = 420.0 if p.migrant else 900.0  # days
        mean_u = 270.0
        flow_e, flow_u = pe / mean_e, pu / mean_u
        # Routes out of employment: to unemployment (a), to no registration (b), else a new
        # job; out of unemployment: to a job (0.72) or deregistered; out of N: job 0.8, U 0.2.
        b = 0.25
        flow_n = b * flow_e + 0.28 * flow_u
        a = min(0.6, max(0.03, (flow_u - 0.2 * flow_n) / flow_e))
        mean_n = pn / flow_n
        new_job = 1 - a - b

        events = p.events
        # Most registrations are made at the village's service point, some at the township's.
        p.region = hh.village.code if rng.random() < 0.85 else hh.village.township
        t = max(W0, entry)
        if entry < W0:
            r = rng.random()
            state = "E" if r < pe else "U" if r < pe + pu else "N"
        else:
            state = "N"
        spell = None
        if state == "E":
            began = max(entry, W0 - int(rng.expovariate(1 / (mean_e * 1.5))))
            spell = self.new_spell(rng, unit, hh, p, began, employers)
            events.append(("E", began, spell, ""))
            t = W0
        elif state == "U":
            began = max(entry, W0 - int(rng.expovariate(1 / mean_u)))
            reason = "其他" if began > entry + 30 else "毕业后未就业"
            events.append(("U", began, None, reason))
            p.u_spells.append([began, None])
            t = W0
        elif entry >= W0 and p.grad and p.grad[0] == entry:
            # A new graduate: a job or a registration within months, or nothing yet.
            r = rng.random()
            wait = entry + int(rng.expovariate(1 / 90))
            if r < 0.9 and wait <= A and wait < retire:
                if r < 0.7:
                    spell = self.new_spell(rng, unit, hh, p, wait, employers)
                    events.append(("E", wait, spell, ""))
                    state = "E"
                else:
                    events.append(("U", wait, None, "毕业后未就业"))
                    p.u_spells.append([wait, None])
                    state = "U"
                t = wait
        while True:
            if state == "E":
                end = t + 1 + int(rng.expovariate(1 / mean_e))
                if spell["form"] == EmploymentForm.PUBLIC_WELFARE:
                    end = min(end, t + rng.choice((365, 730, 1095)))
                if retire <= end and retire <= A:
                    events.append(("EE", retire, spell, RETIREMENT))
                    break
                if end > A:
                    break
                if spell["form"] == EmploymentForm.UNIT:
                    reason = REASONS_UNIT_END.pick(rng)
                elif spell["form"] == EmploymentForm.FLEXIBLE:
                    reason = "灵活就业终止"
                elif spell["form"] == EmploymentForm.SELF_EMPLOYED:
                    reason = "个体经营停业"
                else:
                    reason = "公益性岗位期满"
                events.append(("EE", end, spell, reason))
                r = rng.random()
                if r < new_job:
                    t = end + rng.randint(0, 60)
                    if t > A or t >= retire:
                        break
                    spell = self.new_spell(rng, unit, hh, p, t, employers)
                    events.append(("E", t, spell, ""))
                elif r < new_job + a:
                    t = end + rng.randint(0, 30)
                    if t > A or t >= retire:
                        break
                    events.append(("U", t, None, REASONS_UNEMPLOYED_AFTER_JOB[reason]))
                    p.u_spells.append([t, None])
                    state = "U"
                else:
                    t = end
                    state = "N"
            elif state == "U":
                # A quarter of the unemployed stay long (mean 20 months), the rest ~7 months.
                mean = 600.0 if rng.random() < 0.25 else 210.0
                end = t + 1 + int(rng.expovariate(1 / mean))
                if retire <= end and retire <= A:
                    events.append(("UE", retire, None, RETIREMENT))
                    p.u_spells[-1][1] = retire
                    break
                if end > A:
                    break
                p.u_spells[-1][1] = end
                if rng.random() < 0.72:
                    if rng.random() < 0.5:
                        events.append(("UE", end, None, FOUND_WORK))
                    spell = self.new_spell(rng, unit, hh, p, end, employers)
                    events.append(("E", end, spell, ""))
                    state = "E"
                else:
                    events.append(("UE", end, None, REASONS_UNEMPLOYMENT_END.pick(rng)))
                    state = "N"
                t = end
            else:
                t = t + 1 + int(rng.expovariate(1 / mean_n))
                if t > A or t >= retire:
                    break
                if rng.random() < 0.8:
                    spell = self.new_spell(rng, unit, hh, p, t, employers)
                    events.append(("E", t, spell, ""))
                    state = "E"
                else:
                    events.append(("U", t, None, "其他"))
                    p.u_spells.append([t, None])
                    state = "U"

    # ---- derived groups ----------------------------------------------------------------

    def derived_groups(self, rng, hh: _H) -> None:
        A = self.A
        for p in hh.members:
            if not p.u_spells:
                continue
            had_unit_job = any(e[0] == "E" and e[2]["form"] == "unit" for e in p.events)
            group_kinds = {row[0] for row in p.group_rows}
            older_from = _add_years(p.birth, 50 if p.sex == "1" else 40).toordinal()
            for start, end in p.u_spells:
                stop = end if end is not None else A + 1
                year_on = _add_years(self.day(start), 1).toordinal()
                if year_on < stop:  # 长期失业人员: registered unemployed for a year
                    self.add_group(p, KeyGroup.LONG_TERM_UNEMPLOYED, year_on, end)
                # 就业困难人员 (晋政办发〔2024〕33号 categories), recognised on application.
                candidates = []
                if had_unit_job or rng.random() < 0.25:
                    candidates.append((max(start, older_from) + rng.randint(15, 60), "older"))
                if year_on < stop:
                    if KeyGroup.DIBAO in group_kinds and hh.hukou_type == HukouType.URBAN:
                        candidates.append((year_on + rng.randint(15, 60), "dibao"))
                    if p.cert:
                        candidates.append((year_on + rng.randint(15, 60), "disabled"))
                    if KeyGroup.LAND_LOST in group_kinds:
                        candidates.append((year_on + rng.randint(15, 60), "land_lost"))
                    candidates.append((year_on + rng.randint(30, 90), "long_term"))
                candidates = [c for c in candidates if c[0] < stop and c[0] <= A]
                if candidates and rng.random() < 0.35:
                    on, category = min(candidates)
                    self.add_group(p, KeyGroup.DIFFICULTY, on, end, category=category)
        # 零就业家庭: an urban household whose working-age members are all registered
        # unemployed (and at least one is); one member applies as a difficulty person.
        if hh.hukou_type != HukouType.URBAN:
            return
        working = [p for p in hh.members if p.age >= 16 and p.retire > A and p.events]
        if not working or any(p.status != EmploymentStatus.UNEMPLOYED for p in working):
            return
        if len(working) < len([p for p in hh.members if p.age >= 18 and p.retire > A]):
            return  # someone of working age has no registration at all
        since = max(p.since for p in working).toordinal()
        for p in working:
            self.add_group(p, KeyGroup.ZERO_EMPLOYMENT_FAMILY, since)
        applicant = working[0]
        if not any(
            row[0] == KeyGroup.DIFFICULTY and row[3] is None for row in applicant.group_rows
        ):
            self.add_group(applicant, KeyGroup.DIFFICULTY, min(A, since + rng.randint(10, 30)),
                           category="zero_family")  # fmt: skip

    # ---- employers -----------------------------------------------------------------------

    def employers(self, rng, unit: _Unit, working_age: int) -> list[dict]:
        urban_share = sum(v.urban for v in unit.villages) / len(unit.villages)
        ratio = 30 if urban_share > 0.5 else WORKING_AGE_PER_EMPLOYER
        count = max(1, round(working_age / ratio))
        county, cname = unit.county, unit.county_name
        villages = unit.villages
        seat_villages = [v for v in villages if v.seat] or villages
        area = AREA_CODES.get(county[:4])
        out = []
        institution_names = [
            f"{cname}人民医院", f"{cname}中医医院", f"{cname}妇幼保健计划生育服务中心",
            f"{cname}第一中学", f"{cname}第二中学", f"{cname}职业中学", f"{cname}实验小学",
        ] + [f"{name}中心学校" for name in unit.townships.values() if name] + [
            f"{name}卫生院" for name in unit.townships.values() if name
        ]  # fmt: skip
        government_names = [f"{cname}{office}" for office in (
            "人力资源和社会保障局", "农业农村局", "住房和城乡建设局", "交通运输局", "民政局",
            "市场监督管理局", "教育局", "卫生健康局")]  # fmt: skip
        village_coops = list(villages)
        rng.shuffle(institution_names)
        rng.shuffle(village_coops)
        for _ in range(count):
            brand = self.trade_name(rng)
            k = rng.random()
            in_seat = rng.random() < 0.45
            village = rng.choice(seat_villages if in_seat else villages)
            township = village.township
            region = township if rng.random() < 0.55 else village.code
            road = f"{rng.choice(ROADS)}{rng.randint(1, 300)}号"
            address = f"{cname}{unit.townships.get(township, '')}{road}"
            kind = (
                "company" if k < 0.62 else "individual" if k < 0.87 else "coop" if k < 0.91
                else "village" if k < 0.94 else "institution" if k < 0.97
                else "government" if k < 0.98 else "social"
            )  # fmt: skip
            size = SizeClass.MICRO
            if kind == "village" and village_coops:
                v = village_coops.pop()
                town = unit.townships.get(v.township, "")
                name, industry = f"{town}{v.name}股份经济合作社", "01"
                authority, org_type, ownership = "N", "2", Ownership.COLLECTIVE
                region, address = v.code, f"{cname}{unit.townships.get(v.township, '')}{v.name}"
            elif kind == "institution" and institution_names:
                name = institution_names.pop()
                industry = "84" if name.endswith(("院", "中心")) else "83"
                authority, org_type, ownership = "1", "2", Ownership.PUBLIC_INSTITUTION
                size = SizeClass.SMALL if rng.random() < 0.7 else SizeClass.MEDIUM
            elif kind == "government" and government_names:
                name = government_names.pop(rng.randrange(len(government_names)))
                industry = "92"
                authority, org_type, ownership = "1", "1", Ownership.GOVERNMENT
                size = SizeClass.SMALL
                region = unit.seat_townships[0] if unit.seat_townships else region
            elif kind == "social":
                if rng.random() < 0.6:
                    name, industry, org_type = f"{cname}{brand}养老服务中心", "85", "2"
                else:
                    name, industry, org_type = f"{cname}{brand}种植养殖协会", "95", "1"
                authority, ownership = "5", Ownership.SOCIAL
            elif kind == "coop":
                what = rng.choice(("种植", "养殖", "果蔬", "农机", "小杂粮"))
                name, industry = f"{cname}{brand}{what}专业合作社", "01" if what != "养殖" else "03"
                authority, org_type, ownership = "9", "3", Ownership.COLLECTIVE
            else:
                industry = (INDIVIDUAL_INDUSTRIES if kind == "individual" else INDUSTRIES).pick(rng)
                if kind == "individual" and industry in INDIVIDUAL_SHOPS:
                    shop = rng.choice(INDIVIDUAL_SHOPS[industry].split())
                    name = f"{cname}{brand}{shop}"
                    authority, org_type, ownership = "9", "2", Ownership.INDIVIDUAL
                    region = village.code
                else:
                    word = rng.choice(COMPANY_WORDS.get(industry, "商贸").split())
                    heavy = industry in ("06", "25", "31", "44", "30")
                    r = rng.random()
                    size = (
                        (SizeClass.MICRO if r < 0.25 else SizeClass.SMALL if r < 0.75
                         else SizeClass.MEDIUM if r < 0.96 else SizeClass.LARGE)
                        if heavy else
                        (SizeClass.MICRO if r < 0.65 else SizeClass.SMALL if r < 0.94
                         else SizeClass.MEDIUM if r < 0.995 else SizeClass.LARGE)
                    )  # fmt: skip
                    p = rng.random()
                    if size in (SizeClass.MEDIUM, SizeClass.LARGE) and p < 0.5:
                        prefix = "山西"
                    else:
                        prefix = cname if p < 0.7 else unit.city_name
                    suffix = "股份有限公司" if size == SizeClass.LARGE else "有限公司"
                    if rng.random() < 0.1 and suffix == "有限公司":
                        suffix = "有限责任公司"
                    name = f"{prefix}{brand}{word}{suffix}"
                    authority, org_type = "9", "1"
                    q = rng.random()
                    state_heavy = industry in ("06", "44", "66")
                    ownership = (
                        Ownership.STATE if q < (0.4 if state_heavy else 0.05)
                        else Ownership.COLLECTIVE if q < (0.43 if state_heavy else 0.08)
                        else Ownership.FOREIGN if q < (0.435 if state_heavy else 0.085)
                        else Ownership.HMT if q < (0.44 if state_heavy else 0.09)
                        else Ownership.PRIVATE
                    )  # fmt: skip
            tries = 0
            while name in self.used_employer_names:
                # Another trade name (字号) in the same pattern; three characters after a while.
                tries += 1
                fresh = self.trade_name(rng, 3 if tries > 5 else 2)
                if brand in name:
                    name = name.replace(brand, fresh, 1)
                elif not name.startswith(cname):
                    name = cname + name
                else:
                    name = f"{name}{fresh}"
                brand = fresh
            self.used_employer_names.add(name)
            rep_sex = "1" if rng.random() < 0.8 else "2"
            rep = SURNAMES.pick(rng) + self.given_name(rng, rep_sex, rng.randint(1958, 1995))
            phone = (
                f"{area}-{rng.randint(2000000, 8999999)}"
                if area and rng.random() < 0.4
                else f"{rng.choice(PHONE_PREFIXES)}{rng.randrange(100_000_000):08d}"
            )
            out.append(
                {
                    "uscc": self.uscc(rng, authority, org_type, county),
                    "name": name,
                    "industry_code": industry,
                    "ownership": ownership.value if hasattr(ownership, "value") else ownership,
                    "size_class": size.value,
                    "region_code": region,
                    "address": address,
                    "legal_representative": rep,
                    "contact_person": rep if rng.random() < 0.6 else "",
                    "contact_phone": phone,
                }
            )
        return out

    # ---- one unit ------------------------------------------------------------------------

    def generate_unit(self, unit: _Unit, ids: _Ids) -> dict[str, list]:
        rng = random.Random(f"{self.seed}/{unit.prefix}")
        households: list[_H] = []
        for village in unit.villages:
            left = village.quota
            number = 0
            while left > 0:
                size = min(HOUSEHOLD_SIZES.pick(rng), left)
                hh = self.make_household(rng, unit, village, size)
                number += 1
                hh.number = f"{village.code}{number:04d}"
                for p in hh.members:
                    self.fill_person(rng, unit, hh, p)
                self.static_groups(rng, unit, hh)
                households.append(hh)
                left -= size
        A = self.A
        working_age = sum(
            1 for hh in households for p in hh.members if p.age >= 16 and p.retire > A
        )
        employer_rows = self.employers(rng, unit, working_age)
        for row in employer_rows:
            row["id"] = ids.take(Employer)
        employers = _Weighted(
            [(row, SIZE_HIRING_WEIGHT[row["size_class"]]) for row in employer_rows]
        )
        brands = [
            b for b in self.brands if unit.prefix.startswith(b[1]) or b[1].startswith(unit.prefix)
        ]
        for hh in households:
            hh.id = ids.take(Household)
            for p in hh.members:
                p.id = ids.take(Person)
                if brands and p.age >= 16 and p.retire > A:
                    choices = [b for b in brands if hh.village.code.startswith(b[1])]
                    if choices and rng.random() < LABOUR_BRAND_SHARE:
                        brand = rng.choice(choices)
                        female = brand[3]
                        if female is None or (p.sex == "2") == female or rng.random() < 0.1:
                            p.brand = brand
                self.history(rng, unit, hh, p, employers)
                if p.brand is not None and not any(e[0] == "E" for e in p.events):
                    p.brand = None  # members of a brand are workers
                self.status_of(p)
            self.derived_groups(rng, hh)
            for p in hh.members:
                self.migrant_group(p, hh)
        return self.rows(rng, unit, households, employer_rows, ids)

    def migrant_group(self, p: _P, hh: _H) -> None:
        if not p.migrant or hh.hukou_type != HukouType.RURAL:
            return
        first = next((e[1] for e in p.events if e[0] == "E"), None)
        if first is not None:
            self.add_group(p, KeyGroup.MIGRANT_WORKER, first)

    def status_of(self, p: _P) -> None:
        if not p.events:
            return
        facts = [EventFact(i, _KIND[e[0]], self.day(e[1])) for i, e in enumerate(p.events)]
        p.status, p.since = derive_status(facts)

    # ---- rows ----------------------------------------------------------------------------

    def rows(self, rng, unit: _Unit, households: list[_H], employer_rows, ids: _Ids):
        now = self.now
        day = self.day
        out: dict[str, list] = defaultdict(list)
        first_month = self.month_now - HISTORY_MONTHS
        first_paid = self.month_now - CONTRIBUTION_MONTHS
        mid = {m: date(m // 12, m % 12 + 1, 15).toordinal() for m in
               range(first_month, self.month_now)}  # fmt: skip
        insured_by_employer: dict[int, Counter] = defaultdict(Counter)
        for row in employer_rows:
            out["employer"].append(
                (row["id"], now, now, row["uscc"], row["name"], row["industry_code"],
                 row["ownership"], row["size_class"], row["region_code"], row["address"],
                 row["legal_representative"], row["contact_person"], row["contact_phone"], "")
            )  # fmt: skip
        for hh in households:
            village = hh.village
            address = f"{unit.county_name}{unit.townships.get(village.township, '')}{village.name}"
            out["household"].append(
                (hh.id, now, now, village.code, address, hh.hukou_type, hh.number)
            )
            for p in hh.members:
                out["person"].append(
                    (p.id, now, now, p.name, p.number, p.hash, p.birth, p.sex,
                     p.number[:6] + "000000", p.phone, village.code, hh.hukou_region,
                     hh.hukou_type, p.education, ETHNICITIES.pick(rng), p.cert,
                     p.brand[0] if p.brand else None, p.status, p.since, None, "",
                     # Without drawing from rng, so the rest of the population stays the
                     # same: about 1 woman in 7 held a cadre post (original age 55), and
                     # about 1 in 11 of those born before 1975 worked for a state or
                     # collective enterprise.
                     "f55" if p.sex == "2" and p.id % 7 == 0 else "",
                     p.birth.year < 1975 and p.id % 11 == 0)
                )  # fmt: skip
                out["member"].append((ids.take(HouseholdMember), now, now, hh.id, p.id, p.relation))
                for group, category, valid_from, valid_to, details in p.group_rows:
                    out["membership"].append(
                        (ids.take(KeyGroupMembership), now, now, p.id, str(group), category,
                         day(valid_from), day(valid_to) if valid_to is not None else None,
                         SOURCE, details)
                    )  # fmt: skip
                intention = self.intention(rng, unit, p, ids)
                if intention is not None:
                    out["intention"].append(intention)
                if not p.events:
                    continue
                region = p.region
                base = None
                open_spell = None
                for kind, on, spell, reason in p.events:
                    event_id = ids.take(EmploymentEvent)
                    if kind == "E":
                        employer = spell["employer"]
                        out["event"].append(
                            (event_id, p.id, EventKind.EMPLOYMENT.value, day(on), region,
                             employer["id"] if employer else None, spell["employer_name"],
                             spell["form"], spell["contract"], spell["contract_end"],
                             spell["place"], spell["work_region"], spell["occupation"], "", None,
                             SOURCE, None, now)
                        )  # fmt: skip
                        open_spell = (on, spell)
                    elif kind == "EE":
                        employer = spell["employer"]
                        out["event"].append(
                            (event_id, p.id, EventKind.EMPLOYMENT_END.value, day(on), region,
                             employer["id"] if employer else None, spell["employer_name"],
                             spell["form"], "", None, "", "", "", reason, None, SOURCE, None, now)
                        )  # fmt: skip
                        if open_spell is not None and spell["insured"] and employer:
                            p.spells.append((open_spell[0], on, spell))
                        open_spell = None
                    else:
                        out["event"].append(
                            (event_id, p.id, _KIND[kind], day(on), region, None, "", "", "", None,
                             "", "", "", reason, None, SOURCE, None, now)
                        )  # fmt: skip
                if (
                    open_spell is not None
                    and open_spell[1]["insured"]
                    and open_spell[1]["employer"]
                ):
                    p.spells.append((open_spell[0], None, open_spell[1]))
                for start, end, spell in p.spells:
                    employer_id = spell["employer"]["id"]
                    counts = insured_by_employer[employer_id]
                    for m, middle in mid.items():
                        if start <= middle and (end is None or middle < end):
                            counts[m] += 1
                            if m >= first_paid:
                                if base is None:
                                    base = self.base(rng, p)
                                month = _month_date(m)
                                for kind, amount, unit_share in base:
                                    out["contribution"].append(
                                        (ids.take(InsuranceContribution), p.id, employer_id, kind,
                                         month, amount, unit_share, False)
                                    )  # fmt: skip
        for employer_id in sorted(insured_by_employer):
            counts = insured_by_employer[employer_id]
            for m in range(first_month, self.month_now):
                out["headcount"].append(
                    (ids.take(InsuredHeadcount), employer_id, _month_date(m), counts.get(m, 0))
                )
        return out

    def intention(self, rng, unit: _Unit, p: _P, ids: _Ids) -> tuple | None:
        """A job intention (求职意向) for some people of working age, else None."""
        if p.student or not 16 <= p.age < 60:
            return None
        if rng.random() >= SEEKING_SHARE.get(p.status, 0.0):
            return None
        code = ""
        for event in reversed(p.events):
            if event[0] == "E" and event[2]["occupation"]:
                code = event[2]["occupation"]
                break
        if not code or rng.random() < 0.2:
            code = rng.choice(OCC_FLEXIBLE + OCC_MANUF + OCC_SERVICE + OCC_CATERING)
        titles = COLLOQUIAL_TITLES.get(code)
        if titles is None:
            try:
                titles = (occupation_entry(code).name,)
            except (ValueError, KeyError):
                titles = ("不限",)
        title = rng.choice(titles) + rng.choice(TITLE_NOISE)
        wage = BASE_BY_EDUCATION.get(p.education, 4300) * rng.lognormvariate(0, 0.2)
        wage = max(2000, round(wage / 500.0) * 500)
        r = rng.random()
        region = (
            unit.county + "000000" if r < 0.7 else (unit.county[:4] + "00000000" if r < 0.9 else "")
        )
        registered = self.as_of.toordinal() - rng.randrange(INTENTION_DAYS)
        created = timezone.make_aware(
            datetime.combine(date.fromordinal(registered), dtime(9, rng.randrange(60)))
        )
        active, ended = True, None
        if p.status != "employed" and rng.random() < INTENTION_ENDED_SHARE:
            active = False
            ended = date.fromordinal(min(self.as_of.toordinal(), registered + rng.randint(7, 120)))
        work_type = (
            "part_time" if rng.random() < 0.08 else ("gig" if rng.random() < 0.08 else "full_time")
        )
        coded = rng.random() >= INTENTION_UNCODED_SHARE
        return (ids.take(JobIntention), created, created, p.id, code if coded else "", region,
                wage, work_type, title, "", active, ended)  # fmt: skip

    def base(self, rng, p: _P) -> list[tuple[str, Decimal, Decimal]]:
        """(type, amount paid, the employer's share of it) per insurance."""
        base = BASE_BY_EDUCATION.get(p.education, 4300) * rng.lognormvariate(0, 0.25)
        base = round(min(BASE_CEILING, max(BASE_FLOOR, base)))
        amount = Decimal(base)
        return [
            (str(kind), (amount * (unit + own)).quantize(CENT), (amount * unit).quantize(CENT))
            for kind, unit, own in INSURANCE_RATES
        ]


_KIND = {
    "E": EventKind.EMPLOYMENT.value,
    "EE": EventKind.EMPLOYMENT_END.value,
    "U": EventKind.UNEMPLOYMENT.value,
    "UE": EventKind.UNEMPLOYMENT_END.value,
}


def _add_months_date(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    for d in (day.day, 30, 29, 28):
        try:
            return date(year, month + 1, d)
        except ValueError:
            continue
    raise ValueError(day)


# --- writing --------------------------------------------------------------------------------

_TABLES = (
    ("employer", Employer),
    ("household", Household),
    ("person", Person),
    ("member", HouseholdMember),
    ("membership", KeyGroupMembership),
    ("event", EmploymentEvent),
    ("contribution", InsuranceContribution),
    ("headcount", InsuredHeadcount),
    ("intention", JobIntention),
)
_COLUMNS = {
    "employer": ("id", "created_at", "updated_at", "uscc", "name", "industry_code", "ownership",
                 "size_class", "region_code", "address", "legal_representative",
                 "contact_person", "contact_phone", "external_id"),
    "household": ("id", "created_at", "updated_at", "region_code", "address", "hukou_type",
                  "external_id"),
    "person": ("id", "created_at", "updated_at", "name", "id_number", "id_hash", "birth_date",
               "sex", "native_region_code", "phone", "region_code", "hukou_region_code",
               "hukou_type", "education", "ethnicity", "disability_certificate",
               "labour_brand_id", "employment_status", "status_since", "merged_into_id",
               "external_id", "retirement_category", "former_soe_worker"),
    "member": ("id", "created_at", "updated_at", "household_id", "person_id", "relation"),
    "membership": ("id", "created_at", "updated_at", "person_id", "group", "category",
                   "valid_from", "valid_to", "source", "details"),
    "event": ("id", "person_id", "kind", "occurred_on", "region_code", "employer_id",
              "employer_name", "form", "contract_type", "contract_end", "work_place",
              "work_region_code", "occupation_code", "reason", "supersedes_id", "source",
              "recorded_by_id", "recorded_at"),
    "contribution": ("id", "person_id", "employer_id", "insurance_type", "month", "amount",
                     "employer_amount", "is_back_payment"),
    "headcount": ("id", "employer_id", "month", "insured"),
    "intention": ("id", "created_at", "updated_at", "person_id", "occupation_code",
                  "region_code", "expected_wage", "work_type", "title", "occupation_coded_by",
                  "active", "ended_on"),
}  # fmt: skip


def _check_columns() -> None:
    for key, model in _TABLES:
        names = {f.attname for f in model._meta.concrete_fields}
        if names != set(_COLUMNS[key]):
            raise RuntimeError(f"demo_population: columns of {model.__name__} changed: {names}")


# Binary COPY type of each kind of model field (a foreign key takes its target's).
_COPY_TYPES = {
    "BigAutoField": "int8",
    "BigIntegerField": "int8",
    "AutoField": "int4",
    "IntegerField": "int4",
    "PositiveIntegerField": "int4",
    "PositiveSmallIntegerField": "int2",
    "SmallIntegerField": "int2",
    "CharField": "text",
    "TextField": "text",
    "DateField": "date",
    "DateTimeField": "timestamptz",
    "DecimalField": "numeric",
    "BooleanField": "bool",
    "JSONField": "jsonb",
}


def _copy_spec(key: str, model) -> tuple[str, list[str]]:
    fields = {f.attname: f for f in model._meta.concrete_fields}
    names, types = [], []
    for attname in _COLUMNS[key]:
        f = fields[attname]
        names.append(connection.ops.quote_name(f.column))
        target = f.target_field if f.is_relation else f
        types.append(_COPY_TYPES[target.get_internal_type()])
    table = connection.ops.quote_name(model._meta.db_table)
    return f"COPY {table} ({', '.join(names)}) FROM STDIN (FORMAT BINARY)", types


def _write_copy(rows: dict[str, list]) -> None:
    """psycopg binary COPY, one statement per table (the ID numbers are encrypted already)."""
    with connection.cursor() as cursor:
        raw = cursor.cursor
        for key, model in _TABLES:
            data = rows.get(key)
            if not data:
                continue
            statement, types = _copy_spec(key, model)
            with raw.copy(statement) as copy:
                copy.set_types(types)
                write = copy.write_row
                for row in data:
                    write(row)


def _write_orm(rows: dict[str, list]) -> None:
    for key, model in _TABLES:
        data = rows.get(key)
        if not data:
            continue
        columns = _COLUMNS[key]
        # The generated rows carry their own timestamps (job intentions are registered over
        # the past year); auto_now(_add) would overwrite them in bulk_create.
        stamped = [
            f
            for f in model._meta.concrete_fields
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
        ]
        saved = [(f, f.auto_now, f.auto_now_add) for f in stamped]
        for f in stamped:
            f.auto_now = f.auto_now_add = False
        try:
            for start in range(0, len(data), BATCH_SIZE):
                objects = [model(**dict(zip(columns, row, strict=True)))
                           for row in data[start : start + BATCH_SIZE]]  # fmt: skip
                model.objects.bulk_create(objects, batch_size=BATCH_SIZE)
        finally:
            for f, auto_now, auto_now_add in saved:
                f.auto_now, f.auto_now_add = auto_now, auto_now_add


def _reset_sequences() -> None:
    if connection.vendor != "postgresql":
        return
    statements = connection.ops.sequence_reset_sql(no_style(), [m for _, m in _TABLES])
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def _write_unit(rows: dict[str, list], method: str) -> float:
    """One unit in one transaction; returns the seconds it took."""
    started = time.perf_counter()
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # Losing the last commits in a server crash is harmless here (the unit is simply
            # generated again), and not waiting for each WAL flush saves time.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        if method == "copy":
            _write_copy(rows)
        else:
            _write_orm(rows)
        _reset_sequences()
    return time.perf_counter() - started


class _BackgroundWriter:
    """Writes units from a second thread (with its own connection) while the next unit is
    generated, so the server's work (indexes, WAL, foreign-key checks) overlaps Python's.
    At most one unit waits in the queue. An error is raised in the caller's thread."""

    def __init__(self, method: str):
        self.method = method
        self.queue: queue.Queue = queue.Queue(maxsize=1)
        self.error: BaseException | None = None
        self.seconds = 0.0
        self.thread = threading.Thread(target=self._run, name="demo-population-writer")
        self.thread.start()

    def _run(self) -> None:
        try:
            while True:
                rows = self.queue.get()
                if rows is None:
                    return
                if self.error is None:
                    try:
                        self.seconds += _write_unit(rows, self.method)
                    except BaseException as exc:  # handed to the caller's thread
                        self.error = exc
        finally:
            connections.close_all()  # this thread's connections

    def put(self, rows: dict[str, list]) -> None:
        if self.error is not None:
            self.close()
        self.queue.put(rows)

    def close(self, *, raise_error: bool = True) -> None:
        if self.thread.is_alive():
            self.queue.put(None)
            self.thread.join()
        if raise_error and self.error is not None:
            raise self.error


# --- the entry point ------------------------------------------------------------------------


def _tally(report: PopulationReport, rows: dict[str, list]) -> None:
    report.people += len(rows["person"])
    report.households += len(rows["household"])
    report.employers += len(rows["employer"])
    report.events += len(rows["event"])
    report.contributions += len(rows["contribution"])
    report.headcounts += len(rows["headcount"])
    report.intentions += len(rows["intention"])
    report.memberships.update(row[4] for row in rows["membership"])
    report.statuses.update(row[17] for row in rows["person"])
    report.labour_brand_members += sum(1 for row in rows["person"] if row[16] is not None)


def _labour_brands(area_prefix: str) -> list[tuple[int, str, str, bool | None]]:
    """(id, region prefix, occupation code, for women?) of the labour brands in the area."""
    if area_prefix[:2] == "14":
        from jiuye.registry.labour_brands import ensure_labour_brands

        ensure_labour_brands()
    out = []
    for brand in LabourBrand.objects.order_by("id"):
        prefix = prefix_of(brand.region_code)
        if not (prefix.startswith(area_prefix) or area_prefix.startswith(prefix)):
            continue
        female = True if any(w in brand.name for w in _FEMALE_BRAND_WORDS) else None
        if female is None and any(w in brand.name for w in ("挖机", "叉车", "厨师")):
            female = False
        out.append((brand.pk, prefix, brand.occupation_code, female))
    return out


def _normalize_prefix(region_prefix: str) -> str:
    prefix = (region_prefix or "").strip()
    if not prefix.isdigit() or not 2 <= len(prefix) <= 12:
        raise ValueError(f"region_prefix must be 2–12 digits, not {region_prefix!r}")
    if len(prefix) == 12:
        prefix = prefix_of(prefix)
    return prefix


def refresh_planner_statistics() -> None:
    """After a bulk load, tell PostgreSQL's planner how big the tables now are. Without it the
    planner still believes the tables are nearly empty and picks plans that scan an index of
    every live person for each list page (seen: 1.3 s instead of milliseconds)."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return
    with connection.cursor() as cursor:
        for model in (
            Person,
            Household,
            HouseholdMember,
            Employer,
            KeyGroupMembership,
            EmploymentEvent,
            InsuranceContribution,
        ):
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def generate_population(
    *,
    region_prefix: str,
    people: int | None = None,
    seed: int = DEFAULT_SEED,
    as_of: date = DEFAULT_AS_OF,
    stdout: TextIO | None = None,
    progress: Callable[[int, int], None] | None = None,
    method: str = "auto",
) -> PopulationReport:
    """Generate the demo population of the villages under ``region_prefix``.

    ``people`` is the total (default ``PEOPLE_PER_VILLAGE`` per village); it is split over
    the villages in proportion to random weights (communities and the county seat larger).
    ``method`` is ``"copy"`` (PostgreSQL only), ``"orm"`` (``bulk_create``) or ``"auto"``.
    ``progress(done, total)`` is called after each unit with people counts.
    """
    started = time.perf_counter()
    prefix = _normalize_prefix(region_prefix)
    if method == "auto":
        method = "copy" if connection.vendor == "postgresql" else "orm"
    if method == "copy" and connection.vendor != "postgresql":
        raise ValueError("method='copy' needs PostgreSQL")
    _check_columns()
    report = PopulationReport(region_prefix=prefix, seed=seed, as_of=as_of,
                              vendor=connection.vendor, method=method)  # fmt: skip
    units = _load_units(prefix)
    report.units = len(units)
    villages = [v for unit in units for v in unit.villages]
    if not villages:
        report.seconds = time.perf_counter() - started
        if stdout is not None:
            stdout.write(report.text() + "\n")
        return report
    total = PEOPLE_PER_VILLAGE * len(villages) if people is None else int(people)
    report.requested = total
    weight_rng = random.Random(f"{seed}/{prefix}/villages")
    weights = [
        weight_rng.lognormvariate(0, 0.35) * (1.5 if v.urban else 1.0) * (1.3 if v.seat else 1.0)
        for v in villages
    ]
    active = min(len(villages), max(1, total // MIN_PEOPLE_PER_VILLAGE))
    if active < len(villages):
        # Weighted sampling without replacement (Efraimidis–Spirakis keys u^(1/w)).
        keys = sorted(
            range(len(villages)), key=lambda i: -(weight_rng.random() ** (1 / weights[i]))
        )
        chosen = set(keys[:active])
        weights = [w if i in chosen else 0.0 for i, w in enumerate(weights)]
    for village, quota in zip(villages, _allocate(total, weights), strict=True):
        village.quota = quota
    todo = []
    for unit in units:
        if not any(v.quota for v in unit.villages):
            continue
        if Person.objects.filter(region_code__startswith=unit.prefix).exists():
            report.skipped_units.append(unit.prefix)
        else:
            todo.append(unit)
    if not todo:
        report.seconds = time.perf_counter() - started
        if stdout is not None:
            stdout.write(report.text() + "\n")
        return report

    gen = _Generator(seed=seed, as_of=as_of)
    gen.counties = sorted(
        Region.objects.current()
        .filter(level=3, code__startswith=prefix[:2])
        .values_list("code", flat=True)
    )
    gen.counties = [code[:6] for code in gen.counties]
    if Person.objects.exists():
        gen.used_hashes.update(Person.objects.values_list("id_hash", flat=True).iterator())
        gen.used_phones.update(
            Person.objects.exclude(phone="").values_list("phone", flat=True).iterator()
        )
    gen.used_usccs.update(Employer.objects.values_list("uscc", flat=True).iterator())
    gen.used_employer_names.update(Employer.objects.values_list("name", flat=True).iterator())
    gen.brands = _labour_brands(prefix)
    ids = _Ids()
    goal = sum(v.quota for unit in todo for v in unit.villages)
    done = 0
    next_note = 0.1
    # Outside a transaction, PostgreSQL units are written from a second thread (inside one,
    # e.g. in a test, another connection would not see this transaction's rows).
    writer = (
        _BackgroundWriter(method) if method == "copy" and not connection.in_atomic_block else None
    )
    report.pipelined = writer is not None
    try:
        for unit in todo:
            t0 = time.perf_counter()
            rows = gen.generate_unit(unit, ids)
            t1 = time.perf_counter()
            if method == "copy":  # the ORM path encrypts in EncryptedCharField.get_prep_value
                rows["person"] = [(*row[:4], encrypt(row[4]), *row[5:]) for row in rows["person"]]
            t2 = time.perf_counter()
            report.seconds_generating += t1 - t0
            report.seconds_encrypting += t2 - t1
            if writer is not None:
                writer.put(rows)
            else:
                report.seconds_writing += _write_unit(rows, method)
            _tally(report, rows)
            done += len(rows["person"])
            if progress is not None:
                progress(done, goal)
            if stdout is not None and done >= next_note * goal and len(todo) > 1:
                stdout.write(f"  … {done}/{goal} people ({time.perf_counter() - started:.0f} s)\n")
                while next_note * goal <= done:
                    next_note += 0.1
    except BaseException:
        if writer is not None:
            writer.close(raise_error=False)  # the first error is the one to see
        raise
    if writer is not None:
        writer.close()
        report.seconds_writing = writer.seconds
    report.memberships = Counter(dict(report.memberships.most_common()))
    refresh_planner_statistics()
    audit.record(
        actor=None,
        action="demo.generate_population",
        object_type="registry.person",
        object_repr=f"{report.people} demo people in {prefix}",
        region_code=prefix.ljust(12, "0"),
        after={
            "seed": seed,
            "as_of": as_of,
            "people": report.people,
            "households": report.households,
            "employers": report.employers,
            "events": report.events,
            "skipped_units": report.skipped_units,
        },
    )
    report.seconds = time.perf_counter() - started
    if stdout is not None:
        stdout.write(report.text() + "\n")
    return report
