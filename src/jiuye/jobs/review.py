"""The forbidden-requirement check (招聘信息合规审查): requirements Chinese law forbids in a
job advertisement, found in the free text of a posting.

What the law forbids, and where:

* 就业促进法 第3条: workers are not to be discriminated against for ethnicity, race, sex or
  religious belief; 第26条: employers and agencies must offer equal opportunity and fair
  conditions and must not discriminate.
* 就业促进法 第27条 and 妇女权益保障法 (2022) 第43条: no "men only" or "men preferred" (except
  for the types of work the state declares unsuitable for women), no questions about or
  conditions on marriage and childbearing, no pregnancy test at hiring, no "will not marry or
  have children" clauses.
* 就业促进法 第28条: equal rights for every ethnic group; minority workers get appropriate
  consideration (so "少数民族优先" is lawful and is not flagged).
* 就业促进法 第29条: no discrimination against people with disabilities.
* 就业促进法 第30条: nobody may be refused because they carry the pathogen of an infectious
  disease (乙肝 / HBV and HIV carriers; 人社部发〔2010〕12号 also bans hepatitis B tests in
  hiring check-ups).
* 就业促进法 第31条: rural workers who move to town have the same rights; no discriminatory
  restrictions on them (hence no 户籍 / 本地户口 conditions).
* 人力资源市场暂行条例 第24条: advertisements must not contain discrimination by ethnicity,
  race, sex, religious belief and the like.
* 就业服务与就业管理规定 第20条: an employer's recruitment notice must not contain
  discriminatory content (and 第19条 the same for agencies).

Appearance and height are not named in those articles; they fall under "and the like" (等)
when unrelated to the job. They are flagged so that a reviewer confirms the job needs them
(a security guard's height may be a real requirement; a cashier's looks are not). Age is
deliberately not a text finding: the posting's structured age fields say what the employer
asks, and age limits are not forbidden as such.

The check is a list of patterns per category, plus "allowed" patterns — ordinary phrases
such as 男女不限, 不限户籍, 欢迎女性 — whose spans suppress any finding they overlap. Offsets
are into the text exactly as stored, so the review page can highlight each phrase.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import asdict, dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

# The free-text fields of a posting that are scanned, in display order.
SCANNED_FIELDS = ("title", "description", "address")

CATEGORY_LABELS = {
    "sex": _("Sex"),
    "ethnicity": _("Ethnicity"),
    "hukou": _("Hukou or native place"),
    "marriage": _("Marriage or childbearing"),
    "health": _("Infectious-disease carrier"),
    "disability": _("Disability"),
    "religion": _("Religion"),
    "appearance": _("Appearance or height"),
}

# The legal basis shown next to each finding.
CATEGORY_LAWS = {
    "sex": "就业促进法 第27条；妇女权益保障法 第43条；人力资源市场暂行条例 第24条",
    "ethnicity": "就业促进法 第3条、第28条；人力资源市场暂行条例 第24条",
    "hukou": "就业促进法 第26条、第31条；就业服务与就业管理规定 第20条",
    "marriage": "就业促进法 第27条；妇女权益保障法 第43条",
    "health": "就业促进法 第30条",
    "disability": "就业促进法 第29条",
    "religion": "就业促进法 第3条；人力资源市场暂行条例 第24条",
    "appearance": "就业促进法 第3条、第26条；就业服务与就业管理规定 第20条",
}

_HAN = "[\u4e00-\u9fff]"
# Words that make what follows a condition. The strong ones ("limited to", "only") make even
# a bare 男/女 a condition (只招女服务员); after the weak ones ("needs", "must") the sex must be
# spelt out (需女性), since 急需女装导购 is about clothes.
_STRONG = r"(?:仅限于?|只限于?|限于?|只招收?|仅招收?|只收|仅收|只要|只需)"
_WEAK = r"(?:要求|需要?|须|必须是?|应为|须为)"
_ONLY = rf"(?:{_STRONG}|{_WEAK})"
# Words that refuse or warn off a group, before it (不招女性) and after it (女性勿扰).
_REFUSE = r"(?:不招收?|不要|不收|不录用|不予录用|谢绝|拒绝|不接受|不考虑|不适合)"
_REFUSED = r"(?:勿扰|免谈|勿投|莫扰|不要|不招|不收|不录用|不予考虑|谢绝|请绕行|绕道)"
# 男 or 女 as a sex (not 男女, "both"), with or without 性/士/生/工.
_SEX = r"(?<![子儿])(?:男|女)(?![男女])(?:性|士|生|工|的)?"
_SEX_SPELT = r"(?:男|女)(?![男女])(?:性|士|生|工)"
_NOT = r"(?<![不无非])"

# The 56 ethnic groups' names (GB/T 3304), for "限汉族" and the like; 水族馆 is an aquarium.
_ETHNIC_NAMES = [
    "汉",
    "蒙古",
    "回",
    "藏",
    "维吾尔",
    "苗",
    "彝",
    "壮",
    "布依",
    "朝鲜",
    "满",
    "侗",
    "瑶",
    "白",
    "土家",
    "哈尼",
    "哈萨克",
    "傣",
    "黎",
    "傈僳",
    "佤",
    "畲",
    "高山",
    "拉祜",
    "水",
    "东乡",
    "纳西",
    "景颇",
    "柯尔克孜",
    "土",
    "达斡尔",
    "仫佬",
    "羌",
    "布朗",
    "撒拉",
    "毛南",
    "仡佬",
    "锡伯",
    "阿昌",
    "普米",
    "塔吉克",
    "怒",
    "乌孜别克",
    "俄罗斯",
    "鄂温克",
    "德昂",
    "保安",
    "裕固",
    "京",
    "塔塔尔",
    "独龙",
    "鄂伦春",
    "赫哲",
    "门巴",
    "珞巴",
    "基诺",
]
_ETHNIC = (
    "(?:"
    + "|".join(sorted((n + "族" for n in _ETHNIC_NAMES), key=len, reverse=True))
    + ")(?![馆箱店类群])"
)
# Where a 户籍 condition points: here, or a named province, city or county.
_LOCAL = rf"(?:本地|本市|本县|本区|本省|本镇|当地|{_HAN}{{2,4}}?[省市县区])"
_HUKOU = r"(?:户籍|户口)(?![本簿页证复])"  # 户口本复印件 is a document to bring
# Native place (籍贯): a province by name or by its one-character short name.
_PROVINCES = [
    "北京",
    "天津",
    "河北",
    "山西",
    "内蒙古",
    "辽宁",
    "吉林",
    "黑龙江",
    "上海",
    "江苏",
    "浙江",
    "安徽",
    "福建",
    "江西",
    "山东",
    "河南",
    "湖北",
    "湖南",
    "广东",
    "广西",
    "海南",
    "重庆",
    "四川",
    "贵州",
    "云南",
    "西藏",
    "陕西",
    "甘肃",
    "青海",
    "宁夏",
    "新疆",
    "本省",
    "本市",
    "本地",
    "本县",
]
_SHORT_PROVINCES = "[京津沪渝冀晋辽吉黑苏浙皖闽赣鲁豫鄂湘粤琼川蜀贵黔云滇陕秦甘陇蒙桂宁]"
_NATIVE = "(?:" + "|".join(_PROVINCES) + "|" + _SHORT_PROVINCES + ")籍(?!贯)"


@dataclass(frozen=True)
class Finding:
    field: str
    start: int
    end: int
    phrase: str
    category: str

    def as_dict(self) -> dict:
        return asdict(self)


def _compile(pattern: str) -> re.Pattern:
    return re.compile(pattern, re.IGNORECASE)


# Pieces the rules share.
_MARITAL = r"(?:已婚|未婚|单身|已育|未育|已生育|未生育|离异)"
_CHILDBEARING = r"(?:生育|怀孕|要孩子|生孩子|生小孩|结婚)"
_NOT_ALLOWED = r"(?:不得?|不能|不可|不准|不许)"
_HBV = (
    r"乙肝(?:病毒)?(?:表面抗原)?(?:携带者?|阳性|患者|五项|两对半)?"
    r"|乙型肝炎(?:病毒)?(?:携带者?)?|澳抗\s*阳?性?|大三阳|小三阳|两对半|(?:HBsAg|HBV)(?:阳性|携带者?)?"
)
_HIV = r"(?:艾滋病?|HIV)(?:病毒)?(?:携带者?|感染者|阳性)?"
_BELIEVERS = r"(?:穆斯林|基督徒|佛教徒|天主教徒|教徒|信教(?:者|人员|群众)?)"
_HEIGHT = r"(?:\d{3}|1\.\d{1,2}\s*米)\s*(?:cm|厘米|公分|米)?\s*(?:以上|及以上|以下|或以上)?"
_OUTSIDERS = r"(?:外地|外省|外县|外市|农村)\s*(?:人|户籍|户口|人员)"

RULES: tuple[tuple[str, re.Pattern], ...] = tuple(
    (category, _compile(pattern))
    for category, pattern in [
        # --- sex (就业促进法 27, 妇女权益保障法 43) ------------------------------------------
        ("sex", rf"{_NOT}{_STRONG}\s*{_SEX}"),
        ("sex", rf"{_NOT}{_WEAK}\s*(?:{_SEX_SPELT}|(?:男|女)(?![\u4e00-\u9fff]))"),
        ("sex", rf"{_SEX}\s*(?:者|员工|同志|求职者)?\s*优先"),
        ("sex", rf"性别\s*(?:要求|限制)?\s*[：:]?\s*(?:限|仅限)?\s*{_SEX}"),
        ("sex", rf"{_REFUSE}\s*{_SEX}"),
        ("sex", rf"{_SEX}\s*(?:者|求职者)?\s*{_REFUSED}"),
        ("sex", r"(?:招聘?|招收|聘请?|聘用)\s*(?:男|女)(?:性|士|生|工)(?![男女])"),
        ("sex", r"(?:更?适合|适宜|宜)\s*(?:男|女)(?:性|士|生)"),
        # Quotas by sex ("男3名、女2名"), but not a description of the staff (其中女性80人).
        (
            "sex",
            r"(?:(?<![\u4e00-\u9fff])|(?<=[工员师手]))(?:男|女)(?:性|士|工|生)?\s*\d+\s*[名人位]",
        ),
        # --- ethnicity (就业促进法 3, 28) ---------------------------------------------------
        ("ethnicity", rf"{_NOT}{_ONLY}\s*{_ETHNIC}"),
        ("ethnicity", r"汉族\s*(?:者|员工)?\s*优先"),
        ("ethnicity", rf"民族\s*(?:要求|限制)?\s*[：:]\s*(?:限|仅限)?\s*{_ETHNIC}"),
        ("ethnicity", rf"{_REFUSE}\s*(?:{_ETHNIC}|少数民族)"),
        ("ethnicity", rf"(?:{_ETHNIC}|少数民族)\s*(?:者|人)?\s*{_REFUSED}"),
        # --- hukou and native place (就业促进法 26, 31) -------------------------------------
        ("hukou", rf"{_NOT}{_ONLY}\s*(?:{_LOCAL}|城镇|农村|农业|非农业?)?\s*{_HUKOU}"),
        ("hukou", rf"{_LOCAL}\s*{_HUKOU}\s*(?:者|人员)?\s*(?:优先|{_REFUSED})?"),
        ("hukou", rf"(?:城镇|农村|农业|非农业?)\s*{_HUKOU}\s*(?:者|人员)?\s*(?:优先|{_REFUSED})"),
        (
            "hukou",
            rf"(?:户籍|户口)\s*(?:要求|限制|所在地)?\s*[：:]\s*(?:限|仅限|须为|为)?\s*{_LOCAL}",
        ),
        ("hukou", rf"{_NOT}{_ONLY}\s*(?:本地|当地|本市|本县)人(?![员才力工])"),
        ("hukou", r"(?:本地|当地|本市|本县)人\s*优先"),
        ("hukou", rf"{_REFUSE}\s*{_OUTSIDERS}|{_OUTSIDERS}\s*{_REFUSED}"),
        ("hukou", rf"{_NOT}{_ONLY}\s*{_NATIVE}|{_NATIVE}\s*(?:者|人员)?\s*优先"),
        # --- marriage and childbearing (就业促进法 27, 妇女权益保障法 43) --------------------
        ("marriage", r"(?:已婚|未婚)\s*(?:已育|未育|已孕|未孕|有孩子?|无孩子?|已生育|未生育)"),
        ("marriage", rf"{_NOT}{_ONLY}\s*{_MARITAL}"),
        ("marriage", rf"{_MARITAL}\s*(?:者|人员|女性)?\s*(?:优先|{_REFUSED})"),
        ("marriage", rf"(?:无|没有|暂无|近期无)\s*{_CHILDBEARING}\s*(?:计划|打算|意愿)"),
        ("marriage", rf"(?:\d+|[一二两三五几])\s*年\s*内\s*{_NOT_ALLOWED}\s*{_CHILDBEARING}"),
        ("marriage", rf"(?:不得|不能|不准|不许|禁止)\s*{_CHILDBEARING}"),
        ("marriage", rf"(?:孕妇|孕期|怀孕|哺乳期)\s*(?:者|女性|人员)?\s*{_REFUSED}"),
        ("marriage", r"妊娠\s*(?:测试|检测|试验)"),
        ("marriage", r"(?:入职|岗前)\s*(?:体检)?\s*(?:含|包括|需|须)?\s*(?:孕检|妊娠检查)"),
        (
            "marriage",
            rf"(?:婚育|婚姻|婚否)\s*(?:状况|情况|要求)?\s*[：:]\s*(?:限|要求)?\s*{_MARITAL}",
        ),
        # --- infectious-disease carriers (就业促进法 30) ------------------------------------
        ("health", rf"(?:{_HBV})(?:\s*者?\s*{_REFUSED})?"),
        ("health", rf"{_HIV}\s*(?:者)?\s*{_REFUSED}|{_REFUSE}\s*{_HIV}"),
        # --- disability (就业促进法 29) -----------------------------------------------------
        ("disability", r"身体健全|肢体健全|四肢健全|无(?:任何)?残疾|非残疾人?"),
        ("disability", rf"残疾人?\s*(?:者|人士)?\s*{_REFUSED}|{_REFUSE}\s*残疾人?"),
        # --- religion (就业促进法 3, 人力资源市场暂行条例 24) -------------------------------
        ("religion", r"无宗教信仰|不信(?:仰)?宗教|不信教"),
        ("religion", r"宗教\s*(?:信仰)?\s*[：:]\s*(?:无|不|限)"),
        ("religion", rf"{_BELIEVERS}\s*{_REFUSED}|{_REFUSE}\s*{_BELIEVERS}"),
        ("religion", rf"{_NOT}{_ONLY}\s*(?:穆斯林|基督徒|佛教徒|天主教徒|信仰{_HAN}{{1,3}}教)"),
        # --- appearance and height (就业促进法 3 "等"; confirm the job needs it) -------------
        ("appearance", r"(?:五官|相貌|长相|容貌|外貌)\s*(?:端正|姣好|甜美|出众|好|佳|漂亮|清秀)"),
        ("appearance", r"颜值\s*(?:高|在线|佳)|(?:长得|长相)\s*漂亮|身材\s*(?:好|匀称|苗条|高挑)"),
        ("appearance", rf"身高\s*(?:要求)?\s*[：:]?\s*(?:男|女)?\s*(?:性|士|生)?\s*{_HEIGHT}"),
        (
            "appearance",
            r"体重\s*(?:要求)?\s*[：:]?\s*\d{2,3}\s*(?:kg|公斤|斤)\s*(?:以下|以内|以上)",
        ),
    ]
)

# Ordinary phrases that contain words of a rule but state no forbidden requirement: their
# spans suppress every finding they overlap.
ALLOWED: tuple[re.Pattern, ...] = tuple(
    _compile(pattern)
    for pattern in [
        r"男女\s*(?:不限|均可|皆可|都可|兼收|不论|平等|同工同酬)",
        r"(?:不限|无论|不论|不分|无)\s*(?:男女|性别|民族|户籍|户口|籍贯|婚否|婚育|婚姻状况|地域)",
        r"(?:性别|民族|户籍|户口|籍贯|婚否|婚育|婚姻状况|地域)\s*(?:不限|均可|皆可|无要求|无限制|不作?要求)",
        r"(?:欢迎|鼓励|接受)\s*(?:女性|女士|妇女|男性|残疾人|少数民族|外地|农村|乙肝|各民族)",
        r"(?:解决|办理|协助办理|帮助办理|代办|可|可以|落实)\s*(?:本地|本市|本县|城镇)?\s*(?:落户|户口|户籍)",
        r"少数民族\s*(?:者|人员)?\s*(?:优先|同等条件下优先)",
        r"残疾人\s*(?:优先|可|均可|亦可|也可)",
        r"(?:不歧视|欢迎|接受|不限)\s*(?:乙肝|HBV|HIV|艾滋)(?:病毒)?(?:携带者)?",
        r"(?:乙肝|HBV)(?:病毒)?(?:携带者)?\s*(?:可|均可|亦可|也可|不受影响|不影响录用)",
        r"(?:不含|不包括|不检查?|不查|不做|不作|免查|取消)\s*(?:乙肝|HBV|两对半)(?:五项|检测|检查|项目)?",
        r"(?:女|男)(?:职工|员工)\s*(?:享受|享有|依法)",
        r"(?:已婚|双职工)\s*(?:职工|员工)?\s*(?:可|提供|安排|享受)",
        r"单身\s*(?:公寓|宿舍)",
        r"孕期\s*(?:及|和|、)?\s*(?:哺乳期|产期)?\s*(?:享受|保护|待遇|不降薪|照常)",
    ]
)


def _normalized(text: str) -> str:
    """NFKC per character where that keeps one character for one (full-width ＡＢ１２, ：),
    so that the offsets of a finding are offsets into the text as stored."""
    out = []
    for ch in text:
        if ch.isascii():
            out.append(ch)
            continue
        n = unicodedata.normalize("NFKC", ch)
        out.append(n if len(n) == 1 else ch)
    return "".join(out)


def scan_text(text: str, field: str = "description") -> list[Finding]:
    """The forbidden requirements in ``text``: non-overlapping, in order of position."""
    if not text:
        return []
    norm = _normalized(text)
    allowed = [m.span() for pattern in ALLOWED for m in pattern.finditer(norm)]
    found: list[tuple[int, int, str]] = []
    for category, pattern in RULES:
        for m in pattern.finditer(norm):
            start, end = m.span()
            # Trim spaces the pattern allowed at the edges.
            while end > start and norm[end - 1].isspace():
                end -= 1
            if end <= start:
                continue
            if any(a < end and start < b for a, b in allowed):
                continue
            found.append((start, end, category))
    # Overlapping findings become one (已婚已育 + 已育优先 → 已婚已育优先), named by the
    # category of its longest part.
    found.sort()
    merged: list[list] = []  # [start, end, category, length of the longest part]
    for start, end, category in found:
        if merged and start < merged[-1][1]:
            last = merged[-1]
            if end - start > last[3]:
                last[2], last[3] = category, end - start
            last[1] = max(last[1], end)
        else:
            merged.append([start, end, category, end - start])
    return [Finding(field, s, e, text[s:e], c) for s, e, c, _n in merged]


def scan_fields(values: dict[str, str]) -> list[dict]:
    """Findings over the scanned fields of a posting given as ``{field: text}``, as stored in
    ``Posting.review_flags``."""
    out: list[dict] = []
    for field in SCANNED_FIELDS:
        out.extend(f.as_dict() for f in scan_text(values.get(field) or "", field))
    return out


def scan_posting(posting) -> list[dict]:
    return scan_fields({field: getattr(posting, field, "") for field in SCANNED_FIELDS})


def highlight(text: str, flags: list[dict], field: str) -> SafeString:
    """``text`` escaped, with each finding of ``field`` wrapped in ``<mark>``."""
    text = text or ""
    spans = sorted(
        (f["start"], f["end"], f.get("category", ""))
        for f in flags or ()
        if f.get("field") == field and 0 <= f.get("start", -1) < f.get("end", -1) <= len(text)
    )
    out: list[str] = []
    position = 0
    for start, end, category in spans:
        if start < position:
            continue  # overlapping findings (hand-edited data): the first one wins
        out.append(escape(text[position:start]))
        label = escape(str(CATEGORY_LABELS.get(category, category)))
        out.append(f'<mark title="{label}" data-category="{escape(category)}">')
        out.append(escape(text[start:end]))
        out.append("</mark>")
        position = end
    out.append(escape(text[position:]))
    return mark_safe("".join(out))  # every piece of text is escaped above


def category_label(category: str) -> str:
    return str(CATEGORY_LABELS.get(category, category))
