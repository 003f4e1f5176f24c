"""Code tables the registry ships, and lookups that turn what staff type into canonical codes.

* Education: GB/T 4658-2006 (学历代码), two digits.
* Ethnicity: GB/T 3304-1991 (民族代码), two digits.
* Industry: GB/T 4754-2017 (国民经济行业分类), section letter A–T, then 2/3/4-digit codes.
* Occupation: 职业分类大典 2022, codes like ``6-02-01-01``.

Every ``*_code(value)`` function accepts a code or a name as staff write them in Excel
(full-width digits, stray spaces, numbers that lost their leading zero where that is
unambiguous) and returns the canonical code, or raises :class:`CodeLookupError`. The industry
and occupation tables are read from ``data/`` on first use and kept in memory; every lookup is
a dict access, so an import of 100,000 rows can call these per cell. See ``data/README.md``
for where the data comes from.
"""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from django.utils.translation import gettext as _

DATA_DIR = Path(__file__).resolve().parent / "data"
INDUSTRY_FILE = DATA_DIR / "industries-2017.json"
OCCUPATION_FILE = DATA_DIR / "occupations-2022.json"


class CodeLookupError(ValueError):
    """A value is not a known code or name; the message is for the person who typed it."""


def _clean(value) -> str:
    """NFKC (full-width to half-width), no whitespace anywhere. ``21.0`` from Excel is ``21``."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return "".join(unicodedata.normalize("NFKC", str(value)).split())


def _code_list(codes) -> str:
    return "、".join(codes)


# --- Education: GB/T 4658-2006 ------------------------------------------------------------

# Names as GB/T 4658-2006 gives them. 70 and 80 have no 结业 code (72 and 82 do not exist).
EDUCATION: Mapping[str, str] = MappingProxyType(
    {
        "10": "研究生教育",
        "11": "博士研究生毕业",
        "12": "博士研究生结业",
        "13": "博士研究生肄业",
        "14": "硕士研究生毕业",
        "15": "硕士研究生结业",
        "16": "硕士研究生肄业",
        "17": "研究生班毕业",
        "18": "研究生班结业",
        "19": "研究生班肄业",
        "20": "大学本科教育",
        "21": "大学本科毕业",
        "22": "大学本科结业",
        "23": "大学本科肄业",
        "28": "大学普通班毕业",
        "30": "大学专科教育",
        "31": "大学专科毕业",
        "32": "大学专科结业",
        "33": "大学专科肄业",
        "40": "中等职业教育",
        "41": "中等专科毕业",
        "42": "中等专科结业",
        "43": "中等专科肄业",
        "44": "职业高中毕业",
        "45": "职业高中结业",
        "46": "职业高中肄业",
        "47": "技工学校毕业",
        "48": "技工学校结业",
        "49": "技工学校肄业",
        "60": "普通高级中学教育",
        "61": "普通高中毕业",
        "62": "普通高中结业",
        "63": "普通高中肄业",
        "70": "初级中学教育",
        "71": "初中毕业",
        "73": "初中肄业",
        "80": "小学教育",
        "81": "小学毕业",
        "83": "小学肄业",
        "90": "其他",
    }
)

EDUCATION_CATEGORIES = ("10", "20", "30", "40", "60", "70", "80", "90")

# Category-level codes for list filters: (code, name).
EDUCATION_CHOICES: tuple[tuple[str, str], ...] = tuple(
    (code, EDUCATION[code]) for code in EDUCATION_CATEGORIES
)

# Ordering for "at least senior high" comparisons. 90 (其他, including illiterate) is lowest;
# secondary vocational (40s) ranks with general senior high (60s).
RANK_OTHER = 0
RANK_PRIMARY = 1
RANK_JUNIOR = 2
RANK_SENIOR = 3
RANK_COLLEGE = 4
RANK_BACHELOR = 5
RANK_POSTGRADUATE = 6
_CATEGORY_RANK = {
    "10": RANK_POSTGRADUATE,
    "20": RANK_BACHELOR,
    "30": RANK_COLLEGE,
    "40": RANK_SENIOR,
    "60": RANK_SENIOR,
    "70": RANK_JUNIOR,
    "80": RANK_PRIMARY,
    "90": RANK_OTHER,
}

# What staff write for a level of education. An alias names a level, not how the person left
# it, so it maps to the category code: 本科 → 20, 大专 → 30, 中专/中职/职高/技校 → 40 (the
# generic 中专 is often used for any secondary vocational school), 高中 → 60. 博士 and 硕士
# have no category of their own in GB/T 4658 and map to 10.
_EDUCATION_ALIASES = {
    "10": "研究生 研究生及以上 博士 博士研究生 博士生 博士后 硕士 硕士研究生 硕士生 研究生班",
    "20": "本科 大学本科 大本 大学 学士 本科生 第二学士学位",
    "30": "大专 专科 大学专科 大学专科和专科学校 高职 高专 高职高专 专科生",
    "40": "中专 中职 中技 职高 技校 中等专科 中等专业学校 中等技术学校 职业高中 技工学校 "
    "中等职业 中等职业学校",
    "60": "高中 普高 普通高中 高级中学",
    "70": "初中 初级中学",
    "80": "小学",
    "90": "其它 文盲 半文盲 文盲或半文盲 文盲半文盲 不识字 未上学",
}

# "<kind><status>" as staff write it, e.g. 本科毕业 → 21, 高中肄业 → 63. None: no such code.
_EDUCATION_KINDS = {
    ("博士研究生", "博士"): ("11", "12", "13"),
    ("硕士研究生", "硕士"): ("14", "15", "16"),
    ("研究生班",): ("17", "18", "19"),
    ("大学本科", "本科", "大学", "大本"): ("21", "22", "23"),
    ("大学专科", "专科", "大专", "高职", "高专"): ("31", "32", "33"),
    ("中等专科", "中专"): ("41", "42", "43"),
    ("职业高中", "职高"): ("44", "45", "46"),
    ("技工学校", "技校"): ("47", "48", "49"),
    ("普通高中", "高中", "普高"): ("61", "62", "63"),
    ("初中", "初级中学"): ("71", None, "73"),
    ("小学",): ("81", None, "83"),
}
_EDUCATION_STATUSES = ("毕业", "结业", "肄业")
# Tried after an exact match fails: 本科学历, 初中文化, 高中文化程度 …
_EDUCATION_SUFFIXES = ("文化程度", "学历", "文化", "程度", "水平")


@functools.cache
def _education_lookup() -> dict[str, str]:
    table: dict[str, str] = {}
    for kinds, codes in _EDUCATION_KINDS.items():
        for kind in kinds:
            for status, code in zip(_EDUCATION_STATUSES, codes, strict=True):
                if code:
                    table[kind + status] = code
    for code, aliases in _EDUCATION_ALIASES.items():
        for alias in aliases.split():
            table[alias] = code
    for code, name in EDUCATION.items():
        table[name] = code
        table[code] = code
    # Older and shortened forms of the category names.
    table.update({"大学本科教育": "20", "大学专科教育": "30", "普通高中教育": "60"})
    table.update({"初级中学教育": "70", "初中教育": "70", "小学教育": "80", "其他教育": "90"})
    return table


def education_code(value) -> str:
    """The GB/T 4658 code for a code, a name or an alias; see ``_EDUCATION_ALIASES``."""
    table = _education_lookup()
    if isinstance(value, str) and value in table:
        return table[value]
    text = _clean(value)
    code = table.get(text)
    if code is None:
        for suffix in _EDUCATION_SUFFIXES:
            if text.endswith(suffix) and len(text) > len(suffix):
                code = table.get(text[: -len(suffix)])
                break
    if code is None:
        raise CodeLookupError(_("Unknown education: %(value)s") % {"value": value})
    return code


def education_category(value) -> str:
    """The category code (10, 20, … 90) that a code or name falls in."""
    return education_code(value)[0] + "0"


def education_rank(value) -> int:
    """Primary < junior < senior high or secondary vocational < college < bachelor <
    postgraduate; 90 (其他) ranks lowest. Accepts what ``education_code`` accepts; a blank
    or unknown value raises ``CodeLookupError``."""
    return _CATEGORY_RANK[education_category(value)]


def education_codes_at_least(value) -> tuple[str, ...]:
    """Every code whose rank is at least that of ``value``, for ``education__in`` filters."""
    rank = education_rank(value)
    return tuple(code for code in EDUCATION if _CATEGORY_RANK[code[0] + "0"] >= rank)


# --- Ethnicity: GB/T 3304-1991 ------------------------------------------------------------

ETHNICITY: Mapping[str, str] = MappingProxyType(
    {
        "01": "汉族",
        "02": "蒙古族",
        "03": "回族",
        "04": "藏族",
        "05": "维吾尔族",
        "06": "苗族",
        "07": "彝族",
        "08": "壮族",
        "09": "布依族",
        "10": "朝鲜族",
        "11": "满族",
        "12": "侗族",
        "13": "瑶族",
        "14": "白族",
        "15": "土家族",
        "16": "哈尼族",
        "17": "哈萨克族",
        "18": "傣族",
        "19": "黎族",
        "20": "傈僳族",
        "21": "佤族",
        "22": "畲族",
        "23": "高山族",
        "24": "拉祜族",
        "25": "水族",
        "26": "东乡族",
        "27": "纳西族",
        "28": "景颇族",
        "29": "柯尔克孜族",
        "30": "土族",
        "31": "达斡尔族",
        "32": "仫佬族",
        "33": "羌族",
        "34": "布朗族",
        "35": "撒拉族",
        "36": "毛南族",
        "37": "仡佬族",
        "38": "锡伯族",
        "39": "阿昌族",
        "40": "普米族",
        "41": "塔吉克族",
        "42": "怒族",
        "43": "乌孜别克族",
        "44": "俄罗斯族",
        "45": "鄂温克族",
        "46": "德昂族",
        "47": "保安族",
        "48": "裕固族",
        "49": "京族",
        "50": "塔塔尔族",
        "51": "独龙族",
        "52": "鄂伦春族",
        "53": "赫哲族",
        "54": "门巴族",
        "55": "珞巴族",
        "56": "基诺族",
        "97": "其他",
        "98": "外国血统中国籍人士",
    }
)

ETHNICITY_CHOICES: tuple[tuple[str, str], ...] = tuple(ETHNICITY.items())


@functools.cache
def _ethnicity_lookup() -> dict[str, str]:
    table: dict[str, str] = {}
    for code, name in ETHNICITY.items():
        table[code] = code
        table[name] = code
        if code <= "56":
            table[name.removesuffix("族")] = code  # 汉, 蒙古, 维吾尔 …
            if code < "10":
                table[code[1]] = code  # Excel drops the leading zero: 1 → 01
    table.update(
        {
            "其它": "97",
            "其他民族": "97",
            "未识别民族": "97",
            "其他未识别民族": "97",
            "外国血统": "98",
            "外国人入籍": "98",
            "入籍": "98",
        }
    )
    return table


def ethnicity_code(value) -> str:
    """The GB/T 3304 code for a code (``01`` or ``1``), a full name (汉族) or a short one (汉)."""
    table = _ethnicity_lookup()
    if isinstance(value, str) and value in table:
        return table[value]
    code = table.get(_clean(value))
    if code is None:
        raise CodeLookupError(_("Unknown ethnicity: %(value)s") % {"value": value})
    return code


# --- Industry: GB/T 4754-2017 -------------------------------------------------------------

INDUSTRY_LEVELS = {1: "门类", 2: "大类", 3: "中类", 4: "小类"}


@dataclass(frozen=True, slots=True)
class Industry:
    code: str  # "C" for a section, else 2, 3 or 4 digits
    name: str
    level: int  # 1 section, 2 division, 3 group, 4 class
    section: str
    parent: str | None

    @property
    def lettered_code(self) -> str:
        """``C3611``, the form some systems store; a section is its letter."""
        return self.code if self.level == 1 else self.section + self.code


@dataclass(frozen=True, slots=True)
class _IndustryTables:
    by_code: Mapping[str, Industry]
    by_name: Mapping[str, tuple[str, ...]]
    children: Mapping[str, tuple[str, ...]]


@functools.cache
def _industries() -> _IndustryTables:
    with INDUSTRY_FILE.open(encoding="utf-8") as fh:
        items = json.load(fh)["items"]
    by_code: dict[str, Industry] = {}
    by_name: dict[str, list[str]] = {}
    children: dict[str, list[str]] = {}
    for item in items:
        record = Industry(
            code=item["code"],
            name=item["name"],
            level=item["level"],
            section=item["section"],
            parent=item["parent"],
        )
        by_code[record.code] = record
        by_name.setdefault(_clean(record.name), []).append(record.code)
        children.setdefault(record.code, [])
        if record.parent:
            children[record.parent].append(record.code)
    return _IndustryTables(
        by_code=MappingProxyType(by_code),
        by_name=MappingProxyType({k: tuple(v) for k, v in by_name.items()}),
        children=MappingProxyType({k: tuple(v) for k, v in children.items()}),
    )


_INDUSTRY_CODE_RE = re.compile(r"([A-T]?)(\d{2,4})")


def _industry_by_name(text: str, value, level: int | None) -> str:
    tables = _industries()
    codes = tables.by_name.get(text, ())
    if level is not None:
        codes = tuple(c for c in codes if tables.by_code[c].level == level)
    if not codes:
        raise CodeLookupError(_("Unknown industry: %(value)s") % {"value": value})
    if len(codes) == 1:
        return codes[0]
    # A section, division or group whose only content is one row of the standard carries that
    # row's name (e.g. 97 / 970 / 9700 国际组织): the name denotes the deepest of them.
    deepest = max(codes, key=lambda c: tables.by_code[c].level)
    chain = set(industry_ancestors(deepest, codes_only=True))
    if all(c == deepest or c in chain for c in codes):
        return deepest
    raise CodeLookupError(
        _("Industry name %(value)s is used by several codes: %(codes)s")
        % {"value": value, "codes": _code_list(codes)}
    )


def _industry_from_number(value) -> str:
    tables = _industries()
    text = _clean(value)
    candidates = [c for c in (text, "0" + text) if c in tables.by_code] if text.isdigit() else []
    if len(candidates) == 1:
        return candidates[0]
    if len(candidates) > 1:
        raise CodeLookupError(
            _("Industry code %(value)s is ambiguous (%(codes)s); write it as text")
            % {"value": value, "codes": _code_list(candidates)}
        )
    raise CodeLookupError(_("Unknown industry: %(value)s") % {"value": value})


def industry_code(value, level: int | None = None) -> str:
    """The GB/T 4754 code for ``36``, ``3611``, ``C36``, ``C3611``, ``C`` or an exact name.

    Returns digits for divisions, groups and classes and the letter for a section. A name
    shared by a row and its only child (199 groups have a single class with the same name)
    returns the deepest code; pass ``level`` (1–4) to choose another level.

    Codes should be text. A *number* from a spreadsheet cell has lost its leading zero: 1–9
    are read as divisions 01–09, and a 3-digit number as the group or the 0xxx class, whichever
    exists (both: an error).
    """
    tables = _industries()
    if isinstance(value, str) and value in tables.by_code:
        code = value
    elif isinstance(value, int | float) and not isinstance(value, bool):
        code = _industry_from_number(value)
    else:
        text = _clean(value).upper()
        match = _INDUSTRY_CODE_RE.fullmatch(text)
        if len(text) == 1 and text in tables.by_code:
            code = text
        elif match:
            letter, code = match.groups()
            record = tables.by_code.get(code)
            if record is None:
                raise CodeLookupError(_("Unknown industry: %(value)s") % {"value": value})
            if letter and letter != record.section:
                raise CodeLookupError(
                    _("Industry %(code)s is not in section %(section)s")
                    % {"code": code, "section": letter}
                )
        else:
            return _industry_by_name(_clean(value), value, level)
    if level is not None and tables.by_code[code].level != level:
        raise CodeLookupError(_("Unknown industry: %(value)s") % {"value": value})
    return code


def industry(value) -> Industry:
    """The record for anything ``industry_code`` accepts."""
    return _industries().by_code[industry_code(value)]


def industry_section(value) -> str:
    """The section letter (A–T) of a code, e.g. ``3611`` → ``C``."""
    return industry(value).section


def industry_children(value) -> list[Industry]:
    tables = _industries()
    return [tables.by_code[c] for c in tables.children[industry_code(value)]]


def industry_ancestors(value, *, codes_only: bool = False) -> list:
    """From the section down to the parent of ``value``."""
    tables = _industries()
    record = tables.by_code[industry_code(value)]
    chain = []
    while record.parent:
        record = tables.by_code[record.parent]
        chain.append(record)
    chain.reverse()
    return [r.code for r in chain] if codes_only else chain


def industry_choices(level: int = 2) -> list[tuple[str, str]]:
    """(code, "code name") for every row of one level, in the standard's order."""
    if level not in INDUSTRY_LEVELS:
        raise ValueError(f"industry level must be 1–4, not {level!r}")
    return [
        (r.code, f"{r.code} {r.name}") for r in _industries().by_code.values() if r.level == level
    ]


# --- Occupation: 职业分类大典 2022 ---------------------------------------------------------

OCCUPATION_LEVELS = {1: "大类", 2: "中类", 3: "小类", 4: "细类"}


@dataclass(frozen=True, slots=True)
class Occupation:
    code: str  # "6", "6-02", "6-02-01", "6-02-01-01"
    name: str
    level: int  # 1 大类 … 4 细类
    parent: str | None
    gbm: str | None  # GB/T 6565-style code as the source gives it (levels 1–3 only)


@dataclass(frozen=True, slots=True)
class _OccupationTables:
    by_code: Mapping[str, Occupation]
    by_digits: Mapping[str, str]
    by_name: Mapping[str, tuple[str, ...]]
    children: Mapping[str, tuple[str, ...]]


@functools.cache
def _occupations() -> _OccupationTables:
    with OCCUPATION_FILE.open(encoding="utf-8") as fh:
        tree = json.load(fh)["tree"]
    by_code: dict[str, Occupation] = {}
    by_name: dict[str, list[str]] = {}
    children: dict[str, list[str]] = {}

    def walk(node, parent):
        record = Occupation(
            code=node["seq"],
            name=node["name"].strip(),
            level=node["level"],
            parent=parent,
            gbm=node.get("gbm"),
        )
        by_code[record.code] = record
        by_name.setdefault(_clean(record.name), []).append(record.code)
        children[record.code] = [child["seq"] for child in node.get("children", ())]
        for child in node.get("children", ()):
            walk(child, record.code)

    for node in tree:
        walk(node, None)
    by_digits = {code.replace("-", ""): code for code in by_code}
    # Every level has its own digit count (1, 3, 5, 7), so the hyphen-less form is unambiguous.
    assert len(by_digits) == len(by_code)
    return _OccupationTables(
        by_code=MappingProxyType(by_code),
        by_digits=MappingProxyType(by_digits),
        by_name=MappingProxyType({k: tuple(v) for k, v in by_name.items()}),
        children=MappingProxyType({k: tuple(v) for k, v in children.items()}),
    )


# Dashes people type between the groups of an occupation code (after NFKC), and dots.
_OCCUPATION_SEPARATORS = re.compile(r"[\u2010-\u2015\u2212.·_/]")
_OCCUPATION_CODE_RE = re.compile(r"\d(-\d\d){0,3}")


def occupation_code(value, level: int | None = None) -> str:
    """The 2022 classification code for ``6-02-01-01``, ``6020101`` or an exact name.

    Without hyphens a code is read by its length (1, 3, 5 or 7 digits), which is unambiguous.
    The GB/T 6565-style ``gbm`` codes are not accepted: the source has inconsistent values.
    A name must belong to one code; many 小类 share their name with their only 细类 (e.g.
    1-02-01 and 1-02-01-00 国家权力机关负责人), so such a name raises unless ``level`` picks one.
    """
    tables = _occupations()
    if isinstance(value, str) and value in tables.by_code:
        code = value
    else:
        text = _OCCUPATION_SEPARATORS.sub("-", _clean(value))
        if _OCCUPATION_CODE_RE.fullmatch(text):
            code = text
        elif text.isdigit():
            code = tables.by_digits.get(text, text)
        else:
            codes = tables.by_name.get(text, ())
            if level is not None:
                codes = tuple(c for c in codes if tables.by_code[c].level == level)
            if len(codes) > 1:
                raise CodeLookupError(
                    _("Occupation name %(value)s is used by several codes: %(codes)s")
                    % {"value": value, "codes": _code_list(codes)}
                )
            code = codes[0] if codes else ""
        if code not in tables.by_code:
            raise CodeLookupError(_("Unknown occupation: %(value)s") % {"value": value})
    if level is not None and tables.by_code[code].level != level:
        raise CodeLookupError(_("Unknown occupation: %(value)s") % {"value": value})
    return code


def occupation(value) -> Occupation:
    """The record for anything ``occupation_code`` accepts."""
    return _occupations().by_code[occupation_code(value)]


def occupation_children(value) -> list[Occupation]:
    tables = _occupations()
    return [tables.by_code[c] for c in tables.children[occupation_code(value)]]


def occupation_ancestors(value) -> list[Occupation]:
    """From the 大类 down to the parent of ``value``."""
    tables = _occupations()
    record = tables.by_code[occupation_code(value)]
    chain = []
    while record.parent:
        record = tables.by_code[record.parent]
        chain.append(record)
    chain.reverse()
    return chain


def occupation_choices(level: int = 4) -> list[tuple[str, str]]:
    """(code, "code name") for every row of one level, in the classification's order."""
    if level not in OCCUPATION_LEVELS:
        raise ValueError(f"occupation level must be 1–4, not {level!r}")
    return [
        (r.code, f"{r.code} {r.name}") for r in _occupations().by_code.values() if r.level == level
    ]


def __getattr__(name: str):
    # INDUSTRY and OCCUPATION are read from disk on first access, not at import.
    if name == "INDUSTRY":
        return _industries().by_code
    if name == "OCCUPATION":
        return _occupations().by_code
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
