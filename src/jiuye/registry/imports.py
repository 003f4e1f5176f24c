"""Importing registry ledgers (实名制台账): people, households, employers, registrations and
insurance contributions, from .xlsx/.xls/.ods or .csv files.

The upload page and ``jiuye import`` call the same two functions:

* ``preview_import`` reads and validates every row and writes nothing;
* ``run_import`` validates the same way, then saves the good rows in one transaction with bulk
  operations, writes one summary audit row (plus one per changed record when updating) and
  returns every bad row with its row number, column and reason.

Validation is plain Python over plain values: one pass over the rows with a parser per
column (memoised for columns with few distinct values, such as regions and education), then
one query per 10,000 rows against the registry. No form or ORM object is built per row. New
people, the one kind imported by the hundred thousand, are written by ``insert_records``
(``COPY`` on PostgreSQL, ``executemany`` on SQLite); the other kinds with ``bulk_create``.
That is what lets a 100,000-row ledger through in about ten seconds
(``benchmarks/registry_import.py``).

Records are matched on the ID number's blind index (people) and on the credit code
(employers). A row that matches an existing record is an error unless the caller asked to
update existing records; then only the fields the file fills in and that differ are written,
and each changed record gets an audit row with its before and after values. A re-run of the
same file therefore changes nothing.
"""

from __future__ import annotations

import abc
import contextlib
import datetime
import gc
import io
import json
import operator
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, connections, router, transaction
from django.db.models import DateField, DateTimeField, DecimalField, Model, TextChoices
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _

from jiuye.accounts.permissions import Perm
from jiuye.accounts.scoping import Scope, scope_for
from jiuye.core import audit, crypto
from jiuye.core.crypto import EncryptedCharField, blind_index
from jiuye.core.errors import PermissionDeniedError
from jiuye.core.idnumber import IdNumberInfo, InvalidIdNumber, parse_id_number
from jiuye.core.middleware import current_client_ip
from jiuye.core.models import AuditLog
from jiuye.core.tabular import Table, TableError, normalize_header, read_table
from jiuye.core.uscc import InvalidUSCC, validate_uscc
from jiuye.regions.codes import normalize as normalize_region_code
from jiuye.regions.models import Region, RegionLevel
from jiuye.registry import codes
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
    LabourBrand,
    Ownership,
    Person,
    Relation,
    Sex,
    SizeClass,
    WorkPlace,
)
from jiuye.registry.normalize import (
    CellError,
    clean_text,
    parse_bool,
    parse_date,
    parse_decimal,
    parse_int,
    parse_month,
    parse_phone,
)
from jiuye.registry.status import refresh_statuses

__all__ = [
    "KINDS",
    "SPECS",
    "Column",
    "ImportConflictError",
    "ImportPreview",
    "ImportResult",
    "ImportSpec",
    "MissingColumnsError",
    "RowError",
    "error_report_xlsx",
    "insert_records",
    "preview_import",
    "register_kind",
    "run_import",
]

# The kinds the page and ``jiuye import`` offer. Other apps add theirs with ``register_kind``
# (the list is extended in place, so every module that imported it sees them).
KINDS: list[str] = ["persons", "households", "employers", "registrations", "insurance"]
# Labels of the kinds other apps register (the registry's own are in ``import_views``).
KIND_LABELS: dict[str, Any] = {}
BATCH_SIZE = 2000
LOOKUP_CHUNK = 10_000
PROGRESS_EVERY = 5000
ERROR_JOINER = "；"


class MissingColumnsError(TableError):
    """The header lacks columns every row needs; nothing in the file can be imported."""

    def __init__(self, message, columns: list[str]):
        super().__init__(message)
        self.columns = columns


class ImportConflictError(TableError):
    """Another import wrote the same records between validation and saving."""


# --- outcome ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    row: int
    column: str  # the column as the file names it ("公民身份号码"), or "" for the whole row
    value: str
    reason: str

    def __str__(self) -> str:
        where = f"{self.column}“{self.value}”" if self.column else ""
        return _("Row %(row)s: %(where)s %(reason)s") % {
            "row": self.row,
            "where": where,
            "reason": self.reason,
        }


@dataclass
class BadRow:
    number: int
    cells: list[Any]
    errors: list[RowError]

    @property
    def reason(self) -> str:
        return ERROR_JOINER.join(
            f"{e.column}：{e.reason}" if e.column else e.reason for e in self.errors
        )


@dataclass
class _Outcome:
    kind: str
    filename: str
    header: list[str]
    header_row: int
    columns: list[tuple[str, str]]  # (header as in the file, the column it was read as)
    column_index: dict[str, int]  # recognised header → its index in the row
    unrecognised: list[str]
    total_rows: int
    valid_rows: int
    invalid_rows: int
    unchanged: int
    update_existing: bool
    bad_rows: list[BadRow]

    @property
    def error_count(self) -> int:
        return sum(len(b.errors) for b in self.bad_rows)

    def iter_errors(self) -> Iterator[RowError]:
        for bad in self.bad_rows:
            yield from bad.errors


@dataclass
class ImportPreview(_Outcome):
    would_create: int = 0
    would_update: int = 0
    max_errors: int = 50

    @property
    def errors(self) -> list[RowError]:
        out: list[RowError] = []
        for error in self.iter_errors():
            if len(out) >= self.max_errors:
                break
            out.append(error)
        return out

    @property
    def all_bad(self) -> bool:
        return self.valid_rows == 0


@dataclass
class ImportResult(_Outcome):
    created: int = 0
    updated: int = 0
    written: bool = False
    message: str = ""
    extra: dict[str, int] = field(default_factory=dict)

    @property
    def errors(self) -> list[RowError]:
        return list(self.iter_errors())


# --- rows and context ------------------------------------------------------------------------


class Row:
    """One data row while it is validated: parsed values, errors, and what to do with it."""

    __slots__ = (
        "action",
        "cells",
        "changes",
        "errors",
        "extra",
        "missing",
        "number",
        "target",
        "values",
    )

    def __init__(self, number: int, cells: list[Any]):
        self.number = number
        self.cells = cells
        self.values: dict[str, Any] = {}
        self.errors: list[tuple[str, str, str]] | None = None
        self.action = "create"  # "create", "update" or "unchanged"
        self.target: Any = None  # the existing record matched, if any
        self.changes: dict[str, Any] | None = None
        self.extra: Any = None
        # Required (not identity) columns left empty: an error only if the row creates.
        self.missing: list[str] | None = None

    def fail(self, column: str, value: Any, reason: str) -> None:
        if self.errors is None:
            self.errors = []
        self.errors.append((column, value if isinstance(value, str) else clean_text(value), reason))

    @property
    def ok(self) -> bool:
        return self.errors is None


class RegionIndex:
    """Current regions inside a scope (and their ancestors) by code and by name.

    Built once per import with one query; a name path such as "乐昌镇东北街村" or
    "山西省临汾市曲沃县乐昌镇东北街村" is matched from its end: the last name picks the
    candidates, and the rest must be made of their ancestors' names, in order, any of which
    may be left out.
    """

    def __init__(self, scope: Scope):
        qs = Region.objects.current()
        if not scope.everything:
            qs = qs.filter(scope.q("code"))
        self.info: dict[str, tuple[str, int, str | None]] = {
            code: (name, level, parent)
            for code, name, level, parent in qs.values_list(
                "code", "name", "level", "parent__code"
            ).iterator(chunk_size=5000)
        }
        # Ancestors above the scope, so that paths may start at the province.
        missing = {p for _n, _l, p in self.info.values() if p and p not in self.info}
        while missing:
            found = Region.objects.current().filter(code__in=missing)
            new = {
                code: (name, level, parent)
                for code, name, level, parent in found.values_list(
                    "code", "name", "level", "parent__code"
                )
            }
            self.info.update(new)
            missing = {p for _n, _l, p in new.values() if p and p not in self.info}
        self.by_name: dict[str, list[str]] = defaultdict(list)
        for code, (name, _level, _parent) in self.info.items():
            self.by_name[name].append(code)
        self.longest = max((len(n) for n in self.by_name), default=0)

    def __contains__(self, code: str) -> bool:
        return code in self.info

    def level(self, code: str) -> int:
        return self.info[code][1]

    def path(self, code: str) -> str:
        names = []
        while code:
            name, _level, code = self.info.get(code, ("", 0, None))
            names.append(name)
        return "".join(reversed(names))

    def find(self, text: str) -> list[str]:
        found = []
        for length in range(min(len(text), self.longest), 0, -1):
            for code in self.by_name.get(text[-length:], ()):
                rest = text[:-length]
                parent = self.info[code][2]
                while rest and parent and parent in self.info:
                    name = self.info[parent][0]
                    if rest.endswith(name):
                        rest = rest[: -len(name)]
                    parent = self.info[parent][2]
                if not rest:
                    found.append(code)
        return found


_REGION_SEPARATORS = re.compile(r"[\s/\\>＞\-—_,，、|·.]+")


class Context:
    """What every parser and handler of one import shares: the actor, their scope, indexes."""

    def __init__(self, actor, scope: Scope, *, update_existing: bool):
        self.actor = actor
        self.update_existing = update_existing
        self.scope = scope
        self.today = timezone.localdate()
        self.regions = RegionIndex(self.scope)
        self._all_regions: RegionIndex | None = None
        self._provinces: set[str] | None = None
        self._brands: dict[str, int] | None = None

    @property
    def all_regions(self) -> RegionIndex:
        if self.scope.everything:
            return self.regions
        if self._all_regions is None:
            self._all_regions = RegionIndex(Scope(everything=True))
        return self._all_regions

    @property
    def loaded_provinces(self) -> set[str]:
        if self._provinces is None:
            self._provinces = {
                code[:2]
                for code in Region.objects.current()
                .filter(level=RegionLevel.PROVINCE)
                .values_list("code", flat=True)
            }
        return self._provinces

    @property
    def brands(self) -> dict[str, int]:
        if self._brands is None:
            self._brands = {
                clean_text(name): pk for pk, name in LabourBrand.objects.values_list("pk", "name")
            }
        return self._brands

    # Regions -----------------------------------------------------------------------------

    def region(self, raw, *, in_scope: bool, levels: Iterable[int] | None = None) -> str:
        """A region code from a code (12, 9 or 6 digits) or a name path; raises CellError.

        ``in_scope``: the region must lie inside the actor's EDIT scope (residence, where a
        registration is made). Otherwise any region will do (hukou, place of work), and a code
        from a province whose tree is not loaded is accepted as it is.
        """
        if raw.__class__ is str and raw.isascii() and raw.isdigit():
            text = compact = raw  # the common case: a code typed as text
        else:
            text = clean_text(raw)
            compact = _REGION_SEPARATORS.sub("", text)
        levels = levels if isinstance(levels, frozenset) else frozenset(levels or ())
        if compact.isdigit():
            return self._region_by_code(compact, text, in_scope=in_scope, levels=levels)
        candidates = self.regions.find(compact)
        index = self.regions
        if in_scope:
            candidates = [c for c in candidates if self.scope.contains(c)]
        elif not candidates and index is not self.all_regions:
            index = self.all_regions
            candidates = index.find(compact)
        if not candidates:
            if in_scope:
                if self.all_regions is not self.regions and self.all_regions.find(compact):
                    raise CellError(
                        _("%(value)s is not within your jurisdiction.") % {"value": text}
                    )
                raise CellError(
                    _("There is no region named “%(name)s” within your jurisdiction.")
                    % {"name": text}
                )
            raise CellError(_("There is no region named “%(name)s”.") % {"name": text})
        if levels:
            fitting = [c for c in candidates if index.level(c) in levels]
            if not fitting:
                raise self._level_error(text, index.level(candidates[0]), levels)
            candidates = fitting
        if len(candidates) > 1:
            shown = "、".join(f"{index.path(c)}（{c}）" for c in sorted(candidates)[:5])
            raise CellError(
                _(
                    "More than one region is named “%(name)s”: %(candidates)s. Write the "
                    "township or county in front of it, or use the region code."
                )
                % {"name": text, "candidates": shown}
            )
        return candidates[0]

    def _region_by_code(self, digits: str, text: str, *, in_scope: bool, levels: frozenset) -> str:
        if len(digits) not in (6, 9, 12):
            raise CellError(_("A region code has 12 digits (or 9 or 6 for a township or county)."))
        code = normalize_region_code(digits)
        if in_scope and not self.scope.contains(code):
            raise CellError(_("%(value)s is not within your jurisdiction.") % {"value": text})
        index = self.regions
        if code not in index and not in_scope:
            index = self.all_regions
            if code not in index and code[:2] not in self.loaded_provinces:
                # Another province's code: its tree is not loaded here, so it cannot be
                # checked further than its form.
                return code
        if code not in index:
            raise CellError(_("No current region has the code %(code)s.") % {"code": code})
        if levels and index.level(code) not in levels:
            raise self._level_error(text, index.level(code), levels)
        return code

    @staticmethod
    def _level_error(text: str, level: int, levels: frozenset) -> CellError:
        wanted = "、".join(str(RegionLevel(lv).label) for lv in sorted(levels, reverse=True))
        return CellError(
            _("%(value)s is a %(level)s; a %(wanted)s is needed here.")
            % {"value": text, "level": RegionLevel(level).label, "wanted": wanted}
        )


# --- column parsers --------------------------------------------------------------------------

Parser = Callable[[Any, Context], Any]
_NAME_SEPARATORS = str.maketrans({"•": "·", "・": "·", "‧": "·", "∙": "·", ".": "·"})
_CJK_SPACE = re.compile(r"(?<=[\u3400-\u9fff])\s+(?=[\u3400-\u9fff])")
_DIGIT = re.compile(r"\d")


def _text(max_length: int) -> Parser:
    def parse(raw, ctx):
        text = clean_text(raw)
        if len(text) > max_length:
            raise CellError(_("This is longer than %(max)s characters.") % {"max": max_length})
        return text

    return parse


def _person_name(raw, ctx) -> str:
    text = clean_text(raw).translate(_NAME_SEPARATORS)
    if " " in text:
        text = _CJK_SPACE.sub("", text)  # 王 芳 → 王芳, but Mary Smith stays
    if len(text) > 50:
        raise CellError(_("This is longer than %(max)s characters.") % {"max": 50})
    if _DIGIT.search(text):
        raise CellError(_("A name cannot contain digits."))
    return text


def _id_number(raw, ctx) -> IdNumberInfo:
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        digits = str(int(raw)) if float(raw).is_integer() else str(raw)
        if len(digits) > 15:
            raise CellError(
                _(
                    "The ID number was stored as a number, so Excel dropped its last digits. "
                    "Format the column as text and type the numbers again."
                )
            )
        raw = digits
    try:
        return parse_id_number(raw, today=ctx.today)
    except InvalidIdNumber as exc:
        raise CellError(str(exc)) from None


def _uscc(raw, ctx) -> str:
    try:
        return validate_uscc(clean_text(raw))
    except InvalidUSCC as exc:
        raise CellError(str(exc)) from None


def _phone(raw, ctx) -> str:
    return parse_phone(raw) or ""


def _date(raw, ctx) -> datetime.date | None:
    return parse_date(raw)


def _past_date(raw, ctx) -> datetime.date | None:
    day = parse_date(raw)
    if day and day > ctx.today:
        raise CellError(_("The date is in the future."))
    return day


def _month(raw, ctx) -> datetime.date | None:
    return parse_month(raw)


def _bool(raw, ctx) -> bool | None:
    return parse_bool(raw)


def _region(*, in_scope: bool, levels: Iterable[int] | None = None) -> Parser:
    levels = frozenset(levels or ())

    def parse(raw, ctx):
        return ctx.region(raw, in_scope=in_scope, levels=levels)

    return parse


def _lookup(function: Callable[[str], str]) -> Parser:
    def parse(raw, ctx):
        try:
            return function(raw)
        except codes.CodeLookupError as exc:
            raise CellError(str(exc)) from None

    return parse


def _labour_brand(raw, ctx) -> int:
    name = clean_text(raw)
    try:
        return ctx.brands[name]
    except KeyError:
        raise CellError(_("There is no labour brand named “%(name)s”.") % {"name": name}) from None


def _choice_key(text: str) -> str:
    return re.sub(r"[\s()（）]", "", clean_text(text)).lower()


def _choice(
    choices: type[TextChoices],
    names: dict[str, Iterable[str]],
    *,
    by_code: Callable[[str], str | None] | None = None,
    contains: Iterable[tuple[str, str]] = (),
) -> Parser:
    """A parser for a ``TextChoices`` field from the names staff write (and the value itself).

    ``names`` maps each value to its accepted names (the first is the one shown in errors);
    ``by_code`` maps a numeric code to a value; ``contains`` lists (substring, value) tried
    last, in order, for long official names such as 城镇职工基本养老保险.
    """
    table: dict[str, str] = {}
    for value in choices.values:
        table[_choice_key(value)] = value
    for value, aliases in names.items():
        for alias in aliases:
            table[_choice_key(alias)] = value
    shown = "、".join(next(iter(aliases)) for aliases in names.values())
    contains = tuple(contains)

    def parse(raw, ctx):
        key = _choice_key(raw)
        if key in table:
            return table[key]
        if by_code and key.isdigit():
            value = by_code(key)
            if value:
                return value
        for label_value in choices.values:
            if key == _choice_key(str(choices(label_value).label)):
                return label_value
        for part, value in contains:
            if part in key:
                return value
        raise CellError(
            _("“%(value)s” is not one of: %(options)s.")
            % {"value": clean_text(raw), "options": shown}
        )

    return parse


_sex = _choice(Sex, {Sex.MALE: ("男", "男性", "m"), Sex.FEMALE: ("女", "女性", "f")})
_hukou_type = _choice(
    HukouType,
    {
        HukouType.URBAN: ("城镇", "非农业", "非农", "城镇户口", "非农业户口", "居民", "城市"),
        HukouType.RURAL: ("农村", "农业", "农业户口", "农村户口", "农"),
    },
)


def _relation_by_code(code: str) -> str | None:
    # GB/T 4761-2008 家庭关系代码: 01/02 本人/户主, 1x 配偶, 2x 子, 3x 女, 4x 孙子女,
    # 5x 父母, 6x 祖父母, 7x 兄弟姐妹, 28 儿媳, 38 女婿, 8x/9x 其他.
    if len(code) != 2:
        return None
    if code in ("28", "38"):
        return Relation.CHILD_IN_LAW
    return {
        "0": Relation.HEAD,
        "1": Relation.SPOUSE,
        "2": Relation.CHILD,
        "3": Relation.CHILD,
        "4": Relation.GRANDCHILD,
        "5": Relation.PARENT,
        "6": Relation.GRANDPARENT,
        "7": Relation.SIBLING,
        "8": Relation.OTHER,
        "9": Relation.OTHER,
    }.get(code[0])


_relation = _choice(
    Relation,
    {
        Relation.HEAD: ("户主", "本人"),
        Relation.SPOUSE: ("配偶", "妻", "夫", "妻子", "丈夫", "爱人"),
        Relation.CHILD: (
            "子",
            "女",
            "子女",
            "儿子",
            "女儿",
            "长子",
            "次子",
            "长女",
            "次女",
            "三子",
            "三女",
            "独生子",
            "独生女",
            "养子",
            "养女",
            "继子",
            "继女",
        ),
        Relation.PARENT: ("父母", "父亲", "母亲", "父", "母", "岳父", "岳母", "公公", "婆婆"),
        Relation.GRANDCHILD: ("孙子女", "孙子", "孙女", "外孙", "外孙子", "外孙女", "外孙子女"),
        Relation.GRANDPARENT: ("祖父母", "祖父", "祖母", "外祖父", "外祖母", "爷爷", "奶奶"),
        Relation.SIBLING: (
            "兄弟姐妹",
            "兄",
            "弟",
            "姐",
            "妹",
            "哥哥",
            "弟弟",
            "姐姐",
            "妹妹",
            "兄弟",
            "姐妹",
        ),
        Relation.CHILD_IN_LAW: ("儿媳", "女婿", "儿媳妇"),
        Relation.OTHER: ("其他", "其他亲属", "其它"),
    },
    by_code=_relation_by_code,
)


def _ownership_by_code(code: str) -> str | None:
    # 登记注册类型代码 (国家统计局): 110 国有, 120 集体, 130-160 股份合作/联营/有限责任/
    # 股份有限, 17x 私营, 190 其他, 2xx 港澳台商投资, 3xx 外商投资, 4xx 个体经营.
    if len(code) != 3:
        return None
    if code == "110" or code == "151":  # 151 国有独资公司
        return Ownership.STATE
    if code == "120":
        return Ownership.COLLECTIVE
    if code.startswith("17"):
        return Ownership.PRIVATE
    return {"1": Ownership.OTHER, "2": Ownership.HMT, "3": Ownership.FOREIGN}.get(
        code[0], Ownership.INDIVIDUAL if code[0] == "4" else None
    )


_ownership = _choice(
    Ownership,
    {
        Ownership.STATE: ("国有", "国有企业", "国有独资", "国有控股", "国企"),
        Ownership.COLLECTIVE: ("集体", "集体企业"),
        Ownership.PRIVATE: ("私营", "私营企业", "民营", "民营企业", "私人"),
        Ownership.FOREIGN: ("外商投资", "外资", "外资企业", "中外合资", "中外合作", "外商独资"),
        Ownership.HMT: ("港澳台", "港澳台投资", "港澳台商投资", "港资", "澳资", "台资"),
        Ownership.INDIVIDUAL: ("个体", "个体工商户", "个体经营", "个体户"),
        Ownership.PUBLIC_INSTITUTION: ("事业单位", "事业"),
        Ownership.GOVERNMENT: ("机关", "国家机关", "党政机关", "机关单位", "政府机关"),
        Ownership.SOCIAL: ("社会组织", "社会团体", "民办非企业", "民办非企业单位", "基金会"),
        Ownership.OTHER: ("其他", "其它", "有限责任公司", "股份有限公司", "股份合作", "联营"),
    },
    by_code=_ownership_by_code,
    contains=(
        ("港澳台", Ownership.HMT),
        ("外商", Ownership.FOREIGN),
        ("国有", Ownership.STATE),
        ("集体", Ownership.COLLECTIVE),
        ("私营", Ownership.PRIVATE),
        ("个体", Ownership.INDIVIDUAL),
        ("事业单位", Ownership.PUBLIC_INSTITUTION),
        ("机关", Ownership.GOVERNMENT),
    ),
)
_size = _choice(
    SizeClass,
    {
        SizeClass.LARGE: ("大型", "大", "大型企业"),
        SizeClass.MEDIUM: ("中型", "中", "中型企业"),
        SizeClass.SMALL: ("小型", "小", "小型企业"),
        SizeClass.MICRO: ("微型", "微", "微型企业"),
    },
)
_event_kind = _choice(
    EventKind,
    {
        EventKind.EMPLOYMENT: ("就业登记", "就业"),
        EventKind.UNEMPLOYMENT: ("失业登记", "失业"),
        EventKind.EMPLOYMENT_END: ("终止就业", "终止就业登记", "就业终止", "就业登记注销"),
        EventKind.UNEMPLOYMENT_END: ("注销失业登记", "失业登记注销", "注销失业", "失业注销"),
    },
)
_employment_form = _choice(
    EmploymentForm,
    {
        EmploymentForm.UNIT: ("单位就业", "单位", "用人单位就业"),
        EmploymentForm.FLEXIBLE: ("灵活就业", "灵活"),
        EmploymentForm.SELF_EMPLOYED: ("自主创业", "自谋职业", "创业", "个体经营"),
        EmploymentForm.PUBLIC_WELFARE: ("公益性岗位", "公益岗", "公益性岗位安置"),
    },
)
_contract_type = _choice(
    ContractType,
    {
        ContractType.FIXED: ("固定期限", "固定期限劳动合同", "固定期限合同"),
        ContractType.OPEN_ENDED: ("无固定期限", "无固定期限劳动合同", "无固定期限合同"),
        ContractType.TASK: (
            "以完成一定工作任务为期限",
            "以完成一定工作任务为期限的劳动合同",
            "完成一定工作任务",
        ),
        ContractType.NONE: ("未签订", "未签", "无", "无合同", "未签订劳动合同"),
    },
)
_work_place = _choice(
    WorkPlace,
    {
        WorkPlace.IN_COUNTY: ("县内", "本县", "县内就业", "本县内", "县域内", "乡内", "村内"),
        WorkPlace.IN_PROVINCE: ("省内县外", "县外省内", "省内", "本省县外", "省内跨县"),
        WorkPlace.OUT_PROVINCE: ("省外", "外省", "省外就业", "出省"),
    },
)


def _insurance_by_code(code: str) -> str | None:
    # 金保工程险种代码: 1xx 养老, 2xx 失业, 3xx 医疗, 4xx 工伤, 5xx 生育.
    if len(code) != 3:
        return None
    return {
        "1": InsuranceType.PENSION,
        "2": InsuranceType.UNEMPLOYMENT,
        "3": InsuranceType.MEDICAL,
        "4": InsuranceType.INJURY,
        "5": InsuranceType.MATERNITY,
    }.get(code[0])


_insurance_type = _choice(
    InsuranceType,
    {
        InsuranceType.PENSION: ("养老", "养老保险", "基本养老保险"),
        InsuranceType.MEDICAL: ("医疗", "医疗保险", "基本医疗保险"),
        InsuranceType.UNEMPLOYMENT: ("失业", "失业保险"),
        InsuranceType.INJURY: ("工伤", "工伤保险"),
        InsuranceType.MATERNITY: ("生育", "生育保险"),
    },
    by_code=_insurance_by_code,
    contains=(
        ("养老", InsuranceType.PENSION),
        ("医疗", InsuranceType.MEDICAL),
        ("医保", InsuranceType.MEDICAL),
        ("失业", InsuranceType.UNEMPLOYMENT),
        ("工伤", InsuranceType.INJURY),
        ("生育", InsuranceType.MATERNITY),
    ),
)


def _amount(raw, ctx):
    return parse_decimal(raw, max_digits=10, decimal_places=2, minimum=0)


def _headcount(raw, ctx):
    return parse_int(raw, minimum=0, maximum=10_000_000)


# --- specs -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    key: str
    label: str  # the canonical header, as staff write it
    aliases: tuple[str, ...]
    parse: Parser
    # A required column must be filled in on every row that creates a record; an identity
    # column (how a row finds its record) on every row, updates included.
    required: bool = False
    identity: bool = False
    # Parse each distinct raw value once: for columns with few distinct values (regions,
    # codes, choices) this saves most of the work.
    memo: bool = False


ID_ALIASES = (
    "身份证号",
    "身份证号码",
    "公民身份号码",
    "证件号码",
    "身份证",
    "身份证件号码",
    "证件号",
    "社会保障号码",
)
USCC_ALIASES = (
    "单位信用代码",
    "统一社会信用代码",
    "信用代码",
    "社会信用代码",
    "单位统一社会信用代码",
)


def _column(key, label, aliases, parse, *, required=False, identity=False, memo=False) -> Column:
    return Column(key, label, (label, *aliases), parse, required or identity, identity, memo)


PERSON_COLUMNS = (
    _column("name", "姓名", ("名字", "人员姓名", "劳动者姓名"), _person_name, required=True),
    _column("id_number", "身份证号", ID_ALIASES, _id_number, identity=True),
    _column(
        "phone",
        "手机号码",
        ("手机", "手机号", "联系电话", "电话", "联系方式", "电话号码"),
        _phone,
    ),
    _column(
        "region_code",
        "现居住地",
        (
            "居住地",
            "常住地",
            "现住址区划",
            "所在村(社区)",
            "村(社区)",
            "所在村",
            "村(社区)代码",
            "区划代码",
            "现居住地区划",
            "常住地区划",
            "居住地区划代码",
        ),
        _region(in_scope=True, levels=(RegionLevel.TOWNSHIP, RegionLevel.VILLAGE)),
        required=True,
        memo=True,
    ),
    _column(
        "hukou_region_code",
        "户籍地",
        ("户籍所在地", "户口所在地", "户籍地区划", "户籍地区划代码"),
        _region(in_scope=False),
        memo=True,
    ),
    _column("hukou_type", "户籍性质", ("户口性质", "户籍类型", "户口类型"), _hukou_type, memo=True),
    _column(
        "education",
        "学历",
        ("文化程度", "最高学历", "学历代码"),
        _lookup(codes.education_code),
        memo=True,
    ),
    _column("ethnicity", "民族", ("民族代码",), _lookup(codes.ethnicity_code), memo=True),
    _column("disability_certificate", "残疾证号", ("残疾证号码", "残疾人证号"), _text(30)),
    _column("labour_brand_id", "劳务品牌", (), _labour_brand, memo=True),
    # Checked against the ID number, never stored from here.
    _column("sex", "性别", (), _sex, memo=True),
    _column("birth_date", "出生日期", ("出生年月日", "生日"), _date),
)

HOUSEHOLD_COLUMNS = (
    _column("household_no", "户编号", ("户号", "家庭编号", "户口簿编号"), _text(64)),
    _column(
        "head_id",
        "户主身份证号",
        ("户主身份证号码", "户主公民身份号码", "户主证件号码"),
        _id_number,
    ),
    _column(
        "member_id",
        "成员身份证号",
        ("成员身份证号码", "家庭成员身份证号", *ID_ALIASES),
        _id_number,
        identity=True,
    ),
    _column("name", "姓名", ("成员姓名",), _person_name),
    _column(
        "relation",
        "与户主关系",
        ("与户主的关系", "家庭关系", "关系"),
        _relation,
        required=True,
        memo=True,
    ),
    _column(
        "region_code",
        "区划",
        ("所在地", "区划代码", "所在村(社区)", "村(社区)", "现居住地"),
        _region(in_scope=True, levels=(RegionLevel.TOWNSHIP, RegionLevel.VILLAGE)),
        memo=True,
    ),
    _column("address", "地址", ("家庭住址", "住址", "家庭地址"), _text(200)),
    _column("hukou_type", "户籍性质", ("户口性质",), _hukou_type, memo=True),
)

EMPLOYER_COLUMNS = (
    _column(
        "uscc",
        "统一社会信用代码",
        ("信用代码", "社会信用代码", "统一代码", "单位信用代码"),
        _uscc,
        identity=True,
    ),
    _column(
        "name",
        "单位名称",
        ("企业名称", "名称", "用人单位名称", "用人单位"),
        _text(200),
        required=True,
    ),
    _column(
        "industry_code",
        "行业",
        ("所属行业", "行业代码", "行业类别", "国民经济行业"),
        _lookup(codes.industry_code),
        memo=True,
    ),
    _column(
        "ownership",
        "经济类型",
        ("登记注册类型", "单位性质", "企业类型", "经济性质", "所有制"),
        _ownership,
        memo=True,
    ),
    _column("size_class", "企业规模", ("规模", "单位规模"), _size, memo=True),
    _column(
        "region_code",
        "所在地",
        ("区划", "所在地区划", "区划代码", "注册地区划", "所属区划"),
        _region(in_scope=True),
        required=True,
        memo=True,
    ),
    _column("legal_representative", "法定代表人", ("法人", "法人代表", "负责人"), _text(50)),
    _column("contact_person", "联系人", (), _text(50)),
    _column("contact_phone", "联系电话", ("电话", "联系人电话", "手机"), _phone),
    _column("address", "地址", ("单位地址", "注册地址", "经营地址"), _text(200)),
    _column("insured", "参保人数", (), _headcount),
    _column("month", "月份", ("参保月份", "统计月份"), _month, memo=True),
)

REGISTRATION_COLUMNS = (
    _column("id_number", "身份证号", ID_ALIASES, _id_number, identity=True),
    _column("name", "姓名", (), _person_name),
    _column("kind", "登记类型", ("类型", "业务类型"), _event_kind, identity=True, memo=True),
    _column(
        "occurred_on",
        "日期",
        ("登记日期", "就业日期", "失业日期", "办理日期"),
        _past_date,
        identity=True,
    ),
    _column("employer_uscc", "单位信用代码", USCC_ALIASES[1:], _uscc, memo=True),
    _column("employer_name", "单位名称", ("就业单位", "工作单位", "用人单位"), _text(200)),
    _column("form", "就业形式", ("就业类型",), _employment_form, memo=True),
    _column("contract_type", "合同类型", ("劳动合同类型",), _contract_type, memo=True),
    _column(
        "contract_end",
        "合同期限至",
        ("合同终止日期", "合同到期日", "合同截止日期"),
        _date,
    ),
    _column("work_place", "工作地点", ("就业地点", "就业地域"), _work_place, memo=True),
    _column(
        "work_region_code",
        "工作地区划",
        ("就业地区划", "工作地区划代码"),
        _region(in_scope=False),
        memo=True,
    ),
    _column(
        "occupation_code",
        "职业",
        ("职业(工种)", "工种", "职业代码"),
        _lookup(codes.occupation_code),
        memo=True,
    ),
    _column("reason", "原因", ("失业原因", "终止原因"), _text(200)),
    _column(
        "region_code",
        "登记地区划",
        ("登记地", "经办地区划"),
        _region(in_scope=True),
        memo=True,
    ),
)

INSURANCE_COLUMNS = (
    _column("id_number", "身份证号", ID_ALIASES, _id_number, identity=True),
    _column("name", "姓名", (), _person_name),
    _column("employer_uscc", "单位信用代码", USCC_ALIASES[1:], _uscc, memo=True),
    _column(
        "insurance_type",
        "险种",
        ("险种类型", "保险类型", "险种代码"),
        _insurance_type,
        identity=True,
        memo=True,
    ),
    _column(
        "month",
        "缴费月份",
        ("费款所属期", "所属期", "月份", "缴费年月"),
        _month,
        identity=True,
        memo=True,
    ),
    _column(
        "amount",
        "缴费金额",
        ("金额", "缴费额", "应缴金额", "实缴金额"),
        _amount,
        required=True,
    ),
    # Optional: the unit's share, where the social-insurance export gives the split.
    _column("employer_amount", "单位缴费金额", ("单位缴费", "单位部分", "单位缴纳金额"), _amount),
    _column("is_back_payment", "补缴", ("是否补缴",), _bool, memo=True),
)


# --- handlers --------------------------------------------------------------------------------


# Column types that binary COPY sends as they are; any other type falls back to text COPY.
_BINARY_COPY_TYPES = frozenset(
    {
        "bigint",
        "boolean",
        "date",
        "double precision",
        "integer",
        "numeric",
        "smallint",
        "text",
        "timestamp with time zone",
        "uuid",
        "varchar",
    }
)


def _binary_copy_types(fields, connection) -> list[str] | None:
    """PostgreSQL type names for binary COPY (which the server parses faster than text)."""
    types = []
    for f in fields:
        db_type = (f.db_type(connection) or "").split("(")[0].strip()
        if db_type not in _BINARY_COPY_TYPES:
            return None
        types.append(db_type)
    return types


@contextlib.contextmanager
def _sqlite_cache(connection, kib: int = 64 * 1024):
    """A larger SQLite page cache while a big insert updates the table's indexes."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        previous = cursor.fetchone()[0]
        cursor.execute(f"PRAGMA cache_size = {-kib}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(previous)}")


def insert_records(
    model: type[Model], records: Iterable[dict[str, Any]], *, batch_size: int = BATCH_SIZE
) -> int:
    """Insert plain records ({attname: value}) without building a model instance per row.

    The people ledger is the one table imported by the hundred thousand rows, and Django's
    ``bulk_create`` spends most of its time preparing each value of each instance (and on
    SQLite caps a batch at 999 parameters, i.e. 49 people). Here each field's conversion is
    looked up once: values are encrypted (EncryptedCharField) and adapted for the database
    (dates, datetimes, decimals) as ``get_db_prep_save`` would, and the rows go to the
    database with ``COPY`` on PostgreSQL and ``executemany`` elsewhere. Defaults,
    ``auto_now``/``auto_now_add`` and NULLs are filled in as ``save()`` would. No signals are
    sent, as with ``bulk_create``. Returns the number of rows inserted.
    """
    connection = connections[router.db_for_write(model)]
    ops = connection.ops
    postgres = connection.vendor == "postgresql"
    now = timezone.now()
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    names = [f.attname for f in fields]
    defaults: list[Any] = []
    adapters: list[Callable[[Any], Any] | None] = []
    for f in fields:
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            defaults.append(now)
        elif f.has_default():
            defaults.append(f.get_default())
        else:
            defaults.append(None if f.null else "")
        if isinstance(f, EncryptedCharField):
            # The module's cached MultiFernet, looked up once rather than once per value.
            fernet = crypto._fernet()
            adapters.append(lambda v, fernet=fernet: fernet.encrypt(v.encode()).decode("ascii"))
        elif postgres:
            adapters.append(None)  # psycopg adapts dates, datetimes and decimals itself
        elif isinstance(f, DateTimeField):
            adapters.append(ops.adapt_datetimefield_value)
        elif isinstance(f, DateField):
            adapters.append(ops.adapt_datefield_value)
        elif isinstance(f, DecimalField):
            adapters.append(
                lambda v, f=f: ops.adapt_decimalfield_value(v, f.max_digits, f.decimal_places)
            )
        else:
            adapters.append(None)
    # Defaults are the same on every row, so they are adapted once; a row is then the
    # defaults overlaid with the record, adapted where needed, read out by one itemgetter.
    base = {
        name: adapt(default) if adapt is not None and default is not None else default
        for name, default, adapt in zip(names, defaults, adapters, strict=True)
    }
    to_adapt = [
        (name, adapt) for name, adapt in zip(names, adapters, strict=True) if adapt is not None
    ]
    row_of = operator.itemgetter(*names) if len(names) > 1 else lambda m: (m[names[0]],)

    def tuples() -> Iterator[tuple]:
        for record in records:
            merged = base | record
            for name, adapt in to_adapt:
                if name in record and record[name] is not None:
                    merged[name] = adapt(record[name])
            yield row_of(merged)

    table = ops.quote_name(model._meta.db_table)
    columns = ", ".join(ops.quote_name(f.column) for f in fields)
    count = 0
    with connection.cursor() as cursor, _sqlite_cache(connection):
        if postgres:
            types = _binary_copy_types(fields, connection)
            options = " (FORMAT BINARY)" if types else ""
            with cursor.copy(f"COPY {table} ({columns}) FROM STDIN{options}") as copy:
                if types:
                    copy.set_types(types)
                for row in tuples():
                    copy.write_row(row)
                    count += 1
        else:
            sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})"
            batch: list[tuple] = []
            for row in tuples():
                batch.append(row)
                if len(batch) >= batch_size:
                    cursor.executemany(sql, batch)
                    count += len(batch)
                    batch = []
            if batch:
                cursor.executemany(sql, batch)
                count += len(batch)
    return count


def _in(values: list, sql_type: str = "text"):
    """The right-hand side of an ``__in`` filter for a long list of values.

    The list goes to the database as one parameter, an array on PostgreSQL and a JSON array
    on SQLite, rather than as ten thousand: Django prepares each parameter separately and
    the database parses each, which made these look-ups a tenth of a large import.
    """
    vendor = connections[router.db_for_read(Person)].vendor
    if vendor == "postgresql":
        return RawSQL(f"SELECT unnest(%s::{sql_type}[])", (list(values),))
    if vendor == "sqlite":
        return RawSQL("SELECT value FROM json_each(%s)", (json.dumps(list(values)),))
    return values


def _chunks(items: list, size: int = LOOKUP_CHUNK) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _audit_row(actor, action: str, obj: Model, before: dict, after: dict) -> AuditLog:
    return AuditLog(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        actor_username=getattr(actor, "username", "") or "",
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        region_code=getattr(obj, "region_code", "") or "",
        before=audit._jsonable(before),
        after=audit._jsonable(after),
        ip_address=current_client_ip(),
    )


def _diff(obj: Model, values: dict[str, Any], fields: Iterable[str]) -> dict[str, Any]:
    """The fields the file fills in whose value differs from the record's: {field: new}."""
    changes = {}
    for name in fields:
        if name in values:
            new = values[name]
            if new is not None and new != "" and getattr(obj, name) != new:
                changes[name] = new
    return changes


class Handler(abc.ABC):
    """Kind-specific checks and writes; one instance per import. Each kind writes its own rows."""

    key_column = ""  # the label of the column a duplicate is reported on

    def __init__(self, ctx: Context, present: set[str]):
        self.ctx = ctx
        self.present = present
        self.seen: dict[Any, int] = {}
        self.extra: dict[str, int] = {}

    def check_row(self, row: Row) -> None:  # noqa: B027 (an optional hook: no check by default)
        """Cross-column checks and duplicates inside the file, as each row is read."""

    def resolve(self, rows: list[Row]) -> None:  # noqa: B027 (an optional hook)
        """Compare the valid rows with the registry: decide create, update or unchanged."""

    @abc.abstractmethod
    def save(self, rows: list[Row]) -> tuple[int, int]:
        """Write the good rows; returns (created, updated)."""

    def duplicate(self, row: Row, key, column: str, value) -> bool:
        first = self.seen.get(key)
        if first is not None:
            row.fail(column, value, _("Duplicate of row %(row)s.") % {"row": first})
            return True
        self.seen[key] = row.number
        return False

    # People and employers already in the registry, for the kinds that refer to them

    def people_in_scope(self, hashes: Iterable[str]) -> dict[str, tuple[int, str, str]]:
        """{id_hash: (person id, residence region, name)} for active people in EDIT scope."""
        found: dict[str, tuple[int, str, str]] = {}
        scope = self.ctx.scope
        for chunk in _chunks(sorted(set(hashes))):
            qs = Person.objects.filter(id_hash__in=_in(chunk), merged_into__isnull=True)
            for pk, id_hash, region_code, name in scope.filter(qs).values_list(
                "pk", "id_hash", "region_code", "name"
            ):
                found[id_hash] = (pk, region_code, name)
        return found

    def match_people(self, rows: list[Row], key: str, label: str) -> None:
        """Set ``values['person_id']`` from the ID column ``key``; unknown people are errors."""
        people = self.people_in_scope(r.values[key + "_hash"] for r in rows if r.ok)
        for row in rows:
            if not row.ok:
                continue
            found = people.get(row.values[key + "_hash"])
            if found is None:
                row.fail(
                    label,
                    row.values[key].number,
                    _(
                        "No one with this ID number is in the registry within your "
                        "jurisdiction. Import the people first."
                    ),
                )
                continue
            row.values["person_id"], row.values["person_region"], registry_name = found
            name = row.values.get("name")
            if name and name != registry_name:
                row.fail(
                    "姓名",
                    name,
                    _("The registry has another name (%(name)s) for this ID number.")
                    % {"name": registry_name},
                )

    def match_employers(self, rows: list[Row], key: str, label: str) -> None:
        codes_ = sorted({r.values[key] for r in rows if r.ok and key in r.values})
        employers: dict[str, tuple[int, str]] = {}
        for chunk in _chunks(codes_):
            for pk, uscc, name in Employer.objects.filter(uscc__in=_in(chunk)).values_list(
                "pk", "uscc", "name"
            ):
                employers[uscc] = (pk, name)
        for row in rows:
            if row.ok and key in row.values:
                found = employers.get(row.values[key])
                if found is None:
                    row.fail(
                        label,
                        row.values[key],
                        _(
                            "No employer with this credit code is in the registry. Import "
                            "the employers first, or leave the cell empty."
                        ),
                    )
                else:
                    row.values["employer_id"], row.values["registry_employer_name"] = found


PERSON_FIELDS = (
    "name",
    "phone",
    "region_code",
    "hukou_region_code",
    "hukou_type",
    "education",
    "ethnicity",
    "disability_certificate",
    "labour_brand_id",
)


class PersonHandler(Handler):
    def check_row(self, row: Row) -> None:
        values = row.values
        info: IdNumberInfo | None = values.get("id_number")
        if info is None:
            return
        id_hash = values["id_hash"] = blind_index(info.number)
        if id_hash in self.seen:
            self.duplicate(row, id_hash, "身份证号", info.number)
        else:
            self.seen[id_hash] = row.number
        sex = values.pop("sex", None)
        if sex and sex != info.sex:
            row.fail("性别", Sex(sex).label, _("The sex does not match the ID number."))
        birth = values.pop("birth_date", None)
        if birth and birth != info.birth_date:
            row.fail(
                "出生日期", birth.isoformat(), _("The birth date does not match the ID number.")
            )

    def resolve(self, rows: list[Row]) -> None:
        candidates = [r for r in rows if r.ok]
        by_hash = {r.values["id_hash"]: r for r in candidates}
        update = self.ctx.update_existing
        registered = _("This ID number is already registered.")
        for chunk in _chunks(list(by_hash)):
            # Merged-away records are skipped here rather than in SQL, so that the database
            # looks the hashes up in its id_hash index whatever its statistics say.
            qs = Person.objects.filter(id_hash__in=_in(chunk))
            if not update:
                for id_hash, merged_into in qs.values_list("id_hash", "merged_into_id"):
                    if merged_into is None:
                        row = by_hash[id_hash]
                        row.fail("身份证号", row.values["id_number"].number, registered)
                continue
            for person in qs.defer("id_number"):
                if person.merged_into_id is not None:
                    continue
                row = by_hash[person.id_hash]
                if not self.ctx.scope.contains(person.region_code):
                    row.fail(
                        "身份证号",
                        row.values["id_number"].number,
                        _(
                            "This person is registered in a region outside your "
                            "jurisdiction, so the record cannot be updated from here."
                        ),
                    )
                    continue
                row.target = person
                row.changes = _diff(person, row.values, PERSON_FIELDS)
                row.action = "update" if row.changes else "unchanged"

    def save(self, rows: list[Row]) -> tuple[int, int]:
        # In id_hash order, the two indexes on it are filled in order: measurably faster.
        creates = sorted(
            (r for r in rows if r.action == "create"), key=lambda r: r.values["id_hash"]
        )

        def records() -> Iterator[dict[str, Any]]:
            # The parsed values are already keyed by field name; only what the ID number
            # encodes is spelled out. Each row's memory goes as it is written.
            for r in creates:
                v = r.values
                info = v["id_number"]
                v["id_number"] = info.number
                v["birth_date"] = info.birth_date
                v["sex"] = info.sex
                v["native_region_code"] = info.region_code6 + "000000"
                r.values = None  # type: ignore[assignment]
                yield v

        created = insert_records(Person, records())
        updated = _apply_updates(
            self.ctx.actor, [r for r in rows if r.action == "update"], "registry.person.update"
        )
        return created, updated


def _apply_updates(actor, rows: list[Row], action: str) -> int:
    """Write each row's changes to its target, bulk, with one audit row per record."""
    if not rows:
        return 0
    now = timezone.now()
    logs = []
    by_fields: dict[tuple[str, ...], list[Model]] = defaultdict(list)
    for row in rows:
        obj = row.target
        before = {name: getattr(obj, name) for name in row.changes}
        for name, value in row.changes.items():
            setattr(obj, name, value)
        if hasattr(obj, "updated_at"):
            obj.updated_at = now
        logs.append(_audit_row(actor, action, obj, before, row.changes))
        by_fields[tuple(sorted(row.changes))].append(obj)
    for names, objs in by_fields.items():
        model = type(objs[0])
        fields = [*names, "updated_at"] if hasattr(objs[0], "updated_at") else list(names)
        model.objects.bulk_update(objs, fields, batch_size=500)
    AuditLog.objects.bulk_create(logs, batch_size=BATCH_SIZE)
    return len(rows)


class HouseholdHandler(Handler):
    """One row per member. Rows are grouped into households by 户编号, or else by the head's
    ID number; the people must already be in the registry."""

    GROUP_FIELDS = (("region_code", "区划"), ("address", "地址"), ("hukou_type", "户籍性质"))

    def __init__(self, ctx, present):
        super().__init__(ctx, present)
        # group key → {"row": first row, "head": the head's row, field: (value, row)}
        self.groups: dict[str, dict[str, Any]] = {}
        self.new_households: dict[str, Household] = {}
        self.changed_households: list[tuple[Household, dict, dict]] = []

    def check_row(self, row: Row) -> None:
        v = row.values
        member: IdNumberInfo | None = v.get("member_id")
        head: IdNumberInfo | None = v.get("head_id")
        if member is not None:
            v["member_id_hash"] = blind_index(member.number)
            self.duplicate(row, v["member_id_hash"], "成员身份证号", member.number)
        if head is not None:
            v["head_id_hash"] = blind_index(head.number)
        number = v.get("household_no")
        if not number and head is None:
            if not any(e[0] == "户主身份证号" for e in row.errors or ()):
                row.fail("户编号", "", _("Fill in the household number or the head's ID number."))
            return
        key = v["group"] = f"no:{number}" if number else f"head:{v['head_id_hash']}"
        relation = v.get("relation")
        if member is not None and head is not None and relation:
            same = member.number == head.number
            if same and relation != Relation.HEAD:
                row.fail(
                    "与户主关系",
                    Relation(relation).label,
                    _("This member's ID number is the head's, so the relation must be 户主."),
                )
            elif not same and relation == Relation.HEAD:
                row.fail(
                    "与户主关系",
                    Relation(relation).label,
                    _("The relation is 户主, but the head's ID number is another one."),
                )
        group = self.groups.setdefault(key, {"row": row.number, "head": None})
        if relation == Relation.HEAD and row.ok:
            if group["head"] is not None:
                row.fail(
                    "与户主关系",
                    "户主",
                    _("This household already has a head (row %(row)s).") % {"row": group["head"]},
                )
            else:
                group["head"] = row.number
        for name, label in self.GROUP_FIELDS:
            value = v.get(name)
            if not value:
                continue
            if name not in group:
                group[name] = (value, row.number)
            elif group[name][0] != value:
                row.fail(
                    label,
                    value,
                    _("Row %(row)s gives this household another value.") % {"row": group[name][1]},
                )

    def resolve(self, rows: list[Row]) -> None:
        ctx = self.ctx
        hashes = set()
        for r in rows:
            if r.ok:
                hashes.add(r.values["member_id_hash"])
                if "head_id_hash" in r.values:
                    hashes.add(r.values["head_id_hash"])
        people = self.people_in_scope(hashes)
        memberships: dict[int, HouseholdMember] = {}
        for chunk in _chunks(sorted(p[0] for p in people.values())):
            for m in HouseholdMember.objects.filter(
                person_id__in=_in(chunk, "bigint")
            ).select_related("household"):
                memberships[m.person_id] = m
        numbers = sorted(
            {r.values["household_no"] for r in rows if r.ok and "household_no" in r.values}
        )
        by_number: dict[str, list[Household]] = defaultdict(list)
        for chunk in _chunks(numbers):
            for h in ctx.scope.filter(Household.objects.filter(external_id__in=chunk)):
                by_number[h.external_id].append(h)
        with_head: set[int] = set()
        for chunk in _chunks(sorted({m.household_id for m in memberships.values()})):
            with_head.update(
                HouseholdMember.objects.filter(
                    household_id__in=chunk, relation=Relation.HEAD
                ).values_list("household_id", flat=True)
            )
        for chunk in _chunks(sorted({h.pk for hs in by_number.values() for h in hs})):
            with_head.update(
                HouseholdMember.objects.filter(
                    household_id__in=chunk, relation=Relation.HEAD
                ).values_list("household_id", flat=True)
            )

        not_found = _(
            "No one with this ID number is in the registry within your jurisdiction. "
            "Import the people first."
        )
        group_household: dict[str, Household | None] = {}
        for row in rows:
            if not row.ok:
                continue
            v = row.values
            found = people.get(v["member_id_hash"])
            if found is None:
                row.fail("成员身份证号", v["member_id"].number, not_found)
                continue
            v["person_id"], v["person_region"], registry_name = found
            if v.get("name") and v["name"] != registry_name:
                row.fail(
                    "姓名",
                    v["name"],
                    _("The registry has another name (%(name)s) for this ID number.")
                    % {"name": registry_name},
                )
                continue
            if "head_id_hash" in v and v["head_id_hash"] not in people:
                row.fail("户主身份证号", v["head_id"].number, not_found)
                continue
            key = v["group"]
            if key not in group_household:
                household = None
                if key.startswith("no:"):
                    matches = by_number.get(v["household_no"], [])
                    if len(matches) > 1:
                        row.fail(
                            "户编号",
                            v["household_no"],
                            _("More than one household in your jurisdiction has this number."),
                        )
                        continue
                    household = matches[0] if matches else None
                else:
                    head_membership = memberships.get(people[v["head_id_hash"]][0])
                    if head_membership and head_membership.relation == Relation.HEAD:
                        household = head_membership.household
                group_household[key] = household
            household = group_household[key]
            v["household"] = household
            current = memberships.get(v["person_id"])
            relation = v.get("relation")
            if current is None and relation is None:
                row.fail("与户主关系", "", _("This column is required, but the cell is empty."))
                continue
            if current is None:
                if (
                    relation == Relation.HEAD
                    and household is not None
                    and household.pk in with_head
                ):
                    row.fail("与户主关系", "户主", _("The household already has a head."))
                    continue
                row.action = "create"
            elif not ctx.update_existing:
                row.fail(
                    "成员身份证号",
                    v["member_id"].number,
                    _("This person already belongs to a household."),
                )
            else:
                row.target = current
                changes: dict[str, Any] = {}
                if household is None or current.household_id != household.pk:
                    # A person belongs to one household at a time: updating moves them.
                    changes["household"] = household
                if relation and current.relation != relation:
                    changes["relation"] = relation
                row.changes = changes
                row.action = "update" if changes else "unchanged"
        self._plan_households(rows, group_household)

    def _plan_households(self, rows: list[Row], group_household) -> None:
        """New households for groups without one; changed attributes of existing ones.

        A new household's region is the file's 区划 if given, else its head's residence,
        else the residence of its first member in the file.
        """
        fallback: dict[str, str] = {}
        seen_existing: set[int] = set()
        for row in rows:
            if not row.ok:
                continue
            v = row.values
            key = v["group"]
            group = self.groups[key]
            attrs = {name: group[name][0] for name, _label in self.GROUP_FIELDS if name in group}
            household = group_household.get(key)
            if household is None:
                if v.get("relation") == Relation.HEAD or key not in fallback:
                    fallback[key] = v["person_region"]
                if key not in self.new_households:
                    self.new_households[key] = Household(
                        region_code=attrs.get("region_code", ""),
                        address=attrs.get("address", ""),
                        hukou_type=attrs.get("hukou_type", ""),
                        external_id=v.get("household_no", ""),
                    )
            elif self.ctx.update_existing and household.pk not in seen_existing:
                seen_existing.add(household.pk)
                changes = _diff(household, attrs, ("region_code", "address", "hukou_type"))
                if changes:
                    before = {name: getattr(household, name) for name in changes}
                    self.changed_households.append((household, before, changes))
                    if row.action == "unchanged":
                        row.action = "update"
                        row.changes = {}
        for key, household in self.new_households.items():
            if not household.region_code:
                household.region_code = fallback[key]

    def save(self, rows: list[Row]) -> tuple[int, int]:
        actor = self.ctx.actor
        now = timezone.now()
        new = list(self.new_households.values())
        Household.objects.bulk_create(new, batch_size=BATCH_SIZE)
        self.extra["households_created"] = len(new)
        members = []
        moved = []
        logs = []
        for row in rows:
            v = row.values
            if row.action == "create":
                household = v["household"] or self.new_households[v["group"]]
                members.append(
                    HouseholdMember(
                        household_id=household.pk, person_id=v["person_id"], relation=v["relation"]
                    )
                )
            elif row.action == "update" and row.changes:
                member: HouseholdMember = row.target
                before = {"household_id": member.household_id, "relation": member.relation}
                if "household" in row.changes:
                    household = row.changes["household"] or self.new_households[v["group"]]
                    member.household_id = household.pk
                member.relation = row.changes.get("relation", member.relation)
                member.updated_at = now
                moved.append(member)
                b, a = audit.changed(
                    before, {"household_id": member.household_id, "relation": member.relation}
                )
                log = _audit_row(actor, "registry.household.update_member", member, b, a)
                log.region_code = v["person_region"]
                logs.append(log)
        HouseholdMember.objects.bulk_create(members, batch_size=BATCH_SIZE)
        HouseholdMember.objects.bulk_update(
            moved, ["household_id", "relation", "updated_at"], batch_size=500
        )
        changed = []
        for household, before, after in self.changed_households:
            for name, value in after.items():
                setattr(household, name, value)
            household.updated_at = now
            changed.append(household)
            logs.append(_audit_row(actor, "registry.household.update", household, before, after))
        Household.objects.bulk_update(
            changed, ["region_code", "address", "hukou_type", "updated_at"], batch_size=500
        )
        self.extra["households_updated"] = len(changed)
        AuditLog.objects.bulk_create(logs, batch_size=BATCH_SIZE)
        return len(members), sum(1 for r in rows if r.action == "update")


EMPLOYER_FIELDS = (
    "name",
    "industry_code",
    "ownership",
    "size_class",
    "region_code",
    "address",
    "legal_representative",
    "contact_person",
    "contact_phone",
)


class EmployerHandler(Handler):
    def check_row(self, row: Row) -> None:
        v = row.values
        if "uscc" in v:
            self.duplicate(row, v["uscc"], "统一社会信用代码", v["uscc"])
        if "insured" in v and "month" not in v:
            row.fail("月份", "", _("Give the month the insured headcount is for."))
        elif "month" in v and "insured" not in v:
            row.fail("参保人数", "", _("Give the insured headcount for the month."))

    def resolve(self, rows: list[Row]) -> None:
        by_code = {r.values["uscc"]: r for r in rows if r.ok}
        update = self.ctx.update_existing
        for chunk in _chunks(list(by_code)):
            for employer in Employer.objects.filter(uscc__in=_in(chunk)):
                row = by_code[employer.uscc]
                if not update:
                    row.fail(
                        "统一社会信用代码",
                        employer.uscc,
                        _("This credit code is already registered."),
                    )
                elif not self.ctx.scope.contains(employer.region_code):
                    row.fail(
                        "统一社会信用代码",
                        employer.uscc,
                        _(
                            "This employer is registered in a region outside your "
                            "jurisdiction, so the record cannot be updated from here."
                        ),
                    )
                else:
                    row.target = employer
                    row.changes = _diff(employer, row.values, EMPLOYER_FIELDS)
        # Headcounts of existing employers: a new month is created, a changed one updated.
        # row.extra is ("new", None) or ("change", the InsuredHeadcount) when it is written.
        matched = [r for r in rows if r.ok and r.target is not None]
        existing: dict[tuple[int, datetime.date], InsuredHeadcount] = {}
        with_counts = [r for r in matched if "insured" in r.values]
        for chunk in _chunks(with_counts):
            for headcount in InsuredHeadcount.objects.filter(
                employer_id__in=[r.target.pk for r in chunk],
                month__in={r.values["month"] for r in chunk},
            ):
                existing[headcount.employer_id, headcount.month] = headcount
        for row in matched:
            if "insured" in row.values:
                current = existing.get((row.target.pk, row.values["month"]))
                if current is None:
                    row.extra = ("new", None)
                elif current.insured != row.values["insured"]:
                    row.extra = ("change", current)
            row.action = "update" if row.changes or row.extra else "unchanged"

    def save(self, rows: list[Row]) -> tuple[int, int]:
        actor = self.ctx.actor
        now = timezone.now()
        creates = [r for r in rows if r.action == "create"]
        employers = [
            Employer(uscc=r.values["uscc"], **{n: r.values.get(n, "") for n in EMPLOYER_FIELDS})
            for r in creates
        ]
        Employer.objects.bulk_create(employers, batch_size=BATCH_SIZE)
        new_counts = [
            InsuredHeadcount(employer_id=e.pk, month=r.values["month"], insured=r.values["insured"])
            for r, e in zip(creates, employers, strict=True)
            if "insured" in r.values
        ]
        changed_counts = []
        changed_employers = []
        changed_fields: set[str] = set()
        logs = []
        updates = [r for r in rows if r.action == "update"]
        for r in updates:
            employer: Employer = r.target
            before = {name: getattr(employer, name) for name in r.changes}
            after = dict(r.changes)
            if r.changes:
                for name, value in r.changes.items():
                    setattr(employer, name, value)
                employer.updated_at = now
                changed_employers.append(employer)
                changed_fields.update(r.changes)
            if r.extra:
                how, current = r.extra
                month, insured = r.values["month"], r.values["insured"]
                key = f"insured_{month:%Y-%m}"
                if how == "new":
                    before[key] = None
                    new_counts.append(
                        InsuredHeadcount(employer_id=employer.pk, month=month, insured=insured)
                    )
                else:
                    before[key] = current.insured
                    current.insured = insured
                    changed_counts.append(current)
                after[key] = insured
            logs.append(_audit_row(actor, "registry.employer.update", employer, before, after))
        if changed_employers:
            Employer.objects.bulk_update(
                changed_employers, [*sorted(changed_fields), "updated_at"], batch_size=500
            )
        InsuredHeadcount.objects.bulk_create(new_counts, batch_size=BATCH_SIZE)
        InsuredHeadcount.objects.bulk_update(changed_counts, ["insured"], batch_size=500)
        AuditLog.objects.bulk_create(logs, batch_size=BATCH_SIZE)
        self.extra["headcounts_written"] = len(new_counts) + len(changed_counts)
        return len(employers), len(updates)


EVENT_FIELDS = (
    "employer_id",
    "employer_name",
    "form",
    "contract_type",
    "contract_end",
    "work_place",
    "work_region_code",
    "occupation_code",
    "reason",
    "region_code",
)


class RegistrationHandler(Handler):
    """Registration events are append-only: a row matching a recorded event (same person,
    type and date) is a duplicate, or, when updating, a correction that supersedes it."""

    def check_row(self, row: Row) -> None:
        v = row.values
        info = v.get("id_number")
        if info is None:
            return
        v["id_number_hash"] = blind_index(info.number)
        if "kind" in v and "occurred_on" in v:
            key = (v["id_number_hash"], v["kind"], v["occurred_on"])
            self.duplicate(row, key, "身份证号", info.number)
        end = v.get("contract_end")
        if end and v.get("occurred_on") and end < v["occurred_on"]:
            row.fail("合同期限至", end.isoformat(), _("The contract ends before it starts."))

    def resolve(self, rows: list[Row]) -> None:
        self.match_people(rows, "id_number", "身份证号")
        self.match_employers(rows, "employer_uscc", "单位信用代码")
        ok = [r for r in rows if r.ok]
        live: dict[tuple[int, str, datetime.date], list[EmploymentEvent]] = defaultdict(list)
        if ok:
            first = min(r.values["occurred_on"] for r in ok)
            last = max(r.values["occurred_on"] for r in ok)
        for chunk in _chunks(sorted({r.values["person_id"] for r in ok})):
            corrected = set(
                EmploymentEvent.objects.filter(
                    person_id__in=_in(chunk, "bigint"), supersedes__isnull=False
                ).values_list("supersedes_id", flat=True)
            )
            for event in EmploymentEvent.objects.filter(
                person_id__in=_in(chunk, "bigint"), occurred_on__range=(first, last)
            ):
                if event.pk not in corrected:
                    live[event.person_id, event.kind, event.occurred_on].append(event)
        for r in ok:
            v = r.values
            matches = live.get((v["person_id"], v["kind"], v["occurred_on"]))
            if not matches:
                continue
            if not self.ctx.update_existing:
                r.fail(
                    "身份证号",
                    v["id_number"].number,
                    _("This registration (same person, type and date) is already recorded."),
                )
            elif len(matches) > 1:
                r.fail(
                    "身份证号",
                    v["id_number"].number,
                    _(
                        "The registry has several registrations of this type on this date "
                        "for this person; correct them one by one on the person's page."
                    ),
                )
            else:
                old = r.target = matches[0]
                changes = _diff(old, v, EVENT_FIELDS)
                if "employer_id" in changes and not v.get("employer_name"):
                    changes["employer_name"] = v["registry_employer_name"]
                r.changes = changes
                r.action = "update" if changes else "unchanged"
        self.check_sequences([r for r in ok if r.ok and r.action == "create"])

    def check_sequences(self, rows: list[Row]) -> None:
        """New events must follow the same rules as a registration made by hand
        (``actions._check_sequence``): replay each person's recorded events with the file's new
        ones in date order and refuse an end with nothing open, or an unemployment
        registration while employed."""
        from jiuye.registry.status import CLOSES, OPENS, facts_by_person

        by_person: dict[int, list[Row]] = defaultdict(list)
        for r in rows:
            by_person[r.values["person_id"]].append(r)
        facts = facts_by_person(by_person)
        for person_id, new_rows in by_person.items():
            recorded = facts.get(person_id, [])
            corrected = {f.supersedes_id for f in recorded if f.supersedes_id}
            timeline = [
                (f.occurred_on, 0, f.id, f.kind, None) for f in recorded if f.id not in corrected
            ]
            timeline += [
                (r.values["occurred_on"], 1, r.number, r.values["kind"], r) for r in new_rows
            ]
            status = EmploymentStatus.UNKNOWN
            for _day, _order, _n, kind, row in sorted(timeline, key=lambda t: t[:3]):
                if row is not None:
                    reason = None
                    if kind in CLOSES and status != CLOSES[kind]:
                        reason = (
                            _("The person has no open employment registration.")
                            if kind == EventKind.EMPLOYMENT_END
                            else _("The person is not registered unemployed.")
                        )
                    elif kind == EventKind.UNEMPLOYMENT and status == EmploymentStatus.EMPLOYED:
                        reason = _(
                            "The person is registered as employed: end that employment first."
                        )
                    if reason:
                        row.fail("登记类型", str(EventKind(kind).label), reason)
                        continue
                if kind in OPENS:
                    status = OPENS[kind]
                elif kind in CLOSES and status == CLOSES[kind]:
                    status = EmploymentStatus.UNKNOWN

    def save(self, rows: list[Row]) -> tuple[int, int]:
        actor = self.ctx.actor
        recorded_by = actor if getattr(actor, "pk", None) else None
        events = []
        corrections = []
        for r in rows:
            v = r.values
            if r.action == "create":
                fields = {name: v.get(name, "") for name in EVENT_FIELDS}
                fields["employer_id"] = v.get("employer_id")
                fields["contract_end"] = v.get("contract_end")
                fields["region_code"] = v.get("region_code") or v["person_region"]
                if not fields["employer_name"]:
                    fields["employer_name"] = v.get("registry_employer_name", "")
            else:
                # A correction: a new event superseding the recorded one, which keeps its
                # values where the file leaves a cell empty.
                old: EmploymentEvent = r.target
                fields = {name: getattr(old, name) for name in EVENT_FIELDS} | r.changes
            event = EmploymentEvent(
                person_id=v["person_id"],
                kind=v["kind"],
                occurred_on=v["occurred_on"],
                supersedes=r.target if r.action == "update" else None,
                source="import",
                recorded_by=recorded_by,
                **fields,
            )
            events.append(event)
            if r.action == "update":
                corrections.append((r, event))
        EmploymentEvent.objects.bulk_create(events, batch_size=BATCH_SIZE)
        logs = []
        for r, event in corrections:
            before = {name: getattr(r.target, name) for name in r.changes}
            after = dict(r.changes) | {"supersedes_id": r.target.pk}
            logs.append(_audit_row(actor, "registry.event.correct", event, before, after))
        AuditLog.objects.bulk_create(logs, batch_size=BATCH_SIZE)
        self.extra["statuses_changed"] = refresh_statuses(e.person_id for e in events)
        return len(events) - len(corrections), len(corrections)


class InsuranceHandler(Handler):
    def check_row(self, row: Row) -> None:
        v = row.values
        info = v.get("id_number")
        if info is None:
            return
        v["id_number_hash"] = blind_index(info.number)
        if "insurance_type" in v and "month" in v:
            key = (v["id_number_hash"], v.get("employer_uscc"), v["insurance_type"], v["month"])
            self.duplicate(row, key, "身份证号", info.number)

    def resolve(self, rows: list[Row]) -> None:
        self.match_people(rows, "id_number", "身份证号")
        self.match_employers(rows, "employer_uscc", "单位信用代码")
        ok = [r for r in rows if r.ok]
        existing: dict[tuple, InsuranceContribution] = {}
        months = {r.values["month"] for r in ok}
        for chunk in _chunks(sorted({r.values["person_id"] for r in ok})):
            for c in InsuranceContribution.objects.filter(
                person_id__in=_in(chunk, "bigint"), month__in=months
            ):
                existing[c.person_id, c.employer_id, c.insurance_type, c.month] = c
        for r in ok:
            v = r.values
            current = existing.get(
                (v["person_id"], v.get("employer_id"), v["insurance_type"], v["month"])
            )
            if current is None:
                continue
            if not self.ctx.update_existing:
                r.fail(
                    "身份证号",
                    v["id_number"].number,
                    _(
                        "This contribution (same person, employer, insurance and month) is "
                        "already recorded."
                    ),
                )
                continue
            r.target = current
            r.changes = _diff(current, v, ("amount", "employer_amount", "is_back_payment"))
            r.action = "update" if r.changes else "unchanged"

    def save(self, rows: list[Row]) -> tuple[int, int]:
        contributions = [
            InsuranceContribution(
                person_id=r.values["person_id"],
                employer_id=r.values.get("employer_id"),
                insurance_type=r.values["insurance_type"],
                month=r.values["month"],
                amount=r.values["amount"],
                employer_amount=r.values.get("employer_amount"),
                is_back_payment=bool(r.values.get("is_back_payment")),
            )
            for r in rows
            if r.action == "create"
        ]
        InsuranceContribution.objects.bulk_create(contributions, batch_size=BATCH_SIZE)
        updated = _apply_updates(
            self.ctx.actor,
            [r for r in rows if r.action == "update"],
            "registry.contribution.update",
        )
        return len(contributions), updated


@dataclass(frozen=True)
class ImportSpec:
    kind: str
    columns: tuple[Column, ...]
    handler: type[Handler]

    def aliases(self) -> dict[str, Column]:
        table: dict[str, Column] = {}
        for column in self.columns:
            for alias in column.aliases:
                table.setdefault(normalize_header(alias), column)
        return table

    def map_header(self, header: list[str]) -> tuple[list[tuple[int, Column]], list[str]]:
        """(column index, Column) for the recognised headers, and the unrecognised ones."""
        table = self.aliases()
        mapping: list[tuple[int, Column]] = []
        used: set[str] = set()
        unrecognised: list[str] = []
        for index, text in enumerate(header):
            if not text:
                continue
            column = table.get(normalize_header(text))
            if column is None or column.key in used:
                unrecognised.append(text)
                continue
            used.add(column.key)
            mapping.append((index, column))
        return mapping, unrecognised


SPECS: dict[str, ImportSpec] = {
    "persons": ImportSpec("persons", PERSON_COLUMNS, PersonHandler),
    "households": ImportSpec("households", HOUSEHOLD_COLUMNS, HouseholdHandler),
    "employers": ImportSpec("employers", EMPLOYER_COLUMNS, EmployerHandler),
    "registrations": ImportSpec("registrations", REGISTRATION_COLUMNS, RegistrationHandler),
    "insurance": ImportSpec("insurance", INSURANCE_COLUMNS, InsuranceHandler),
}


def register_kind(spec: ImportSpec, label) -> None:
    """Add an import kind from another app (e.g. job postings), so that the upload page and
    ``jiuye import`` offer it with the same preview, error report and audit. Call it from the
    app's ``AppConfig.ready``; registering a kind again replaces its spec and label."""
    SPECS[spec.kind] = spec
    if spec.kind not in KINDS:
        KINDS.append(spec.kind)
    KIND_LABELS[spec.kind] = label


# --- the import itself -----------------------------------------------------------------------


@dataclass
class _Validated:
    spec: ImportSpec
    table: Table
    mapping: list[tuple[int, Column]]
    unrecognised: list[str]
    handler: Handler
    good: list[Row]
    bad: list[BadRow]
    total: int


_BLANK_OK, _BLANK_ERROR, _BLANK_MISSING = object(), object(), object()
_UNSEEN = object()


class _Failure:
    """A memoised parse error."""

    __slots__ = ("reason",)

    def __init__(self, reason: str):
        self.reason = reason


def _spec(kind: str) -> ImportSpec:
    try:
        return SPECS[kind]
    except KeyError:
        raise ValueError(f"unknown import kind {kind!r}; one of {', '.join(KINDS)}") from None


def _validate(
    kind: str,
    source,
    filename,
    *,
    actor,
    update_existing: bool,
    progress: Callable[[int, int], None] | None = None,
) -> _Validated:
    spec = _spec(kind)
    scope = scope_for(actor, Perm.EDIT)
    if scope.is_empty:
        raise PermissionDeniedError(_("Your role does not allow importing into the registry."))
    known = [alias for column in spec.columns for alias in column.aliases]
    table = read_table(source, filename, known_headers=known)
    mapping, unrecognised = spec.map_header(table.header)
    present = {column.key for _index, column in mapping}
    missing = [c for c in spec.columns if c.required and c.key not in present]
    if missing:
        labels = "、".join(c.label for c in missing)
        hints = "；".join(f"{c.label}：{'、'.join(c.aliases)}" for c in missing)
        raise MissingColumnsError(
            _(
                "The file has no column %(columns)s (looked for in row %(row)s; accepted "
                "headers: %(hints)s)."
            )
            % {"columns": labels, "row": table.header_row, "hints": hints},
            [c.label for c in missing],
        )
    ctx = Context(actor, scope, update_existing=update_existing)
    handler = spec.handler(ctx, present)
    # What an empty cell means for each column: nothing, an error, or an error only if the
    # row turns out to create a record (required, non-identity columns when updating).
    blank_is = {
        column.key: (
            _BLANK_ERROR
            if column.identity or (column.required and not update_existing)
            else _BLANK_MISSING
            if column.required
            else _BLANK_OK
        )
        for _index, column in mapping
    }
    plan = [
        (index, column.key, column.label, column.parse, {} if column.memo else None,
         blank_is[column.key])
        for index, column in mapping
    ]  # fmt: skip
    required_reason = _("This column is required, but the cell is empty.")
    total = len(table.rows)
    rows: list[Row] = []
    # This loop runs once per row and column (a million times for a large ledger), so it is
    # written for speed: plain locals, memoised parsers, no exceptions on the good path.
    for done, (number, cells) in enumerate(table.rows, start=1):
        row = Row(number, cells)
        values = row.values
        width = len(cells)
        for index, key, label, parse, memo, blank in plan:
            raw = cells[index] if index < width else None
            if raw.__class__ is str and (not raw or raw.isspace()):
                raw = None
            if raw is None:
                if blank is _BLANK_ERROR:
                    row.fail(label, "", required_reason)
                elif blank is _BLANK_MISSING:
                    if row.missing is None:
                        row.missing = []
                    row.missing.append(label)
                continue
            if memo is not None:
                value = memo.get(raw, _UNSEEN)
                if value is _UNSEEN:
                    try:
                        value = parse(raw, ctx)
                    except CellError as exc:
                        value = _Failure(exc.message)
                    memo[raw] = value
                if value.__class__ is _Failure:
                    row.fail(label, raw, value.reason)
                    continue
            else:
                try:
                    value = parse(raw, ctx)
                except CellError as exc:
                    row.fail(label, raw, exc.message)
                    continue
            if value is not None and (value.__class__ is not str or value):
                values[key] = value
        handler.check_row(row)
        rows.append(row)
        if progress is not None and done % PROGRESS_EVERY == 0:
            progress(done, total)
    handler.resolve(rows)
    for r in rows:
        if r.missing and r.ok and r.action == "create":
            for label in r.missing:
                r.fail(label, "", required_reason)
    good = [r for r in rows if r.ok]
    # Errors name a column as the file's header does, which is what the user sees.
    header_of = {column.label: table.header[index] for index, column in mapping}
    bad = [
        BadRow(
            r.number,
            r.cells,
            [
                RowError(r.number, header_of.get(label, label), value, reason)
                for label, value, reason in r.errors
            ],
        )
        for r in rows
        if not r.ok
    ]
    table.rows = []  # the good rows keep what they need; let the raw cells go
    for r in good:
        r.cells = None  # type: ignore[assignment]
    return _Validated(spec, table, mapping, unrecognised, handler, good, bad, total)


def _outcome_fields(v: _Validated, kind: str, filename, update_existing: bool) -> dict:
    return {
        "kind": kind,
        "filename": str(filename or ""),
        "header": v.table.header,
        "header_row": v.table.header_row,
        "columns": [(v.table.header[index], column.label) for index, column in v.mapping],
        "column_index": {v.table.header[index]: index for index, column in v.mapping},
        "unrecognised": v.unrecognised,
        "total_rows": v.total,
        "valid_rows": len(v.good),
        "invalid_rows": len(v.bad),
        "unchanged": sum(1 for r in v.good if r.action == "unchanged"),
        "update_existing": update_existing,
        "bad_rows": v.bad,
    }


@contextlib.contextmanager
def _gc_paused():
    """Pause the cyclic garbage collector while an import allocates its millions of rows.

    Every few hundred allocations the collector would walk the young objects, and, as the
    heap grows, all of them again; none of the rows, dicts and tuples made here form
    cycles, so that walking only costs time: about 15% of a 100,000-row import. Reference
    counting still frees everything as usual, and the collector resumes afterwards (unless
    the caller had paused it).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def preview_import(
    kind: str,
    file,
    filename=None,
    *,
    actor,
    update_existing: bool = False,
    max_errors: int = 50,
) -> ImportPreview:
    """Read and validate ``file`` as ``actor`` would import it; write nothing.

    Raises ``TableError`` (with ``MissingColumnsError`` among its kinds) when the file as a
    whole cannot be used.
    """
    with _gc_paused():
        v = _validate(kind, file, filename, actor=actor, update_existing=update_existing)
    return ImportPreview(
        **_outcome_fields(v, kind, filename, update_existing),
        would_create=sum(1 for r in v.good if r.action == "create"),
        would_update=sum(1 for r in v.good if r.action == "update"),
        max_errors=max_errors,
    )


def run_import(
    kind: str,
    file,
    filename=None,
    *,
    actor,
    update_existing: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> ImportResult:
    """Validate ``file`` and save its good rows in one transaction; see the module docstring."""
    with _gc_paused():
        return _run_import(kind, file, filename, actor, update_existing, progress)


def _run_import(kind, file, filename, actor, update_existing, progress) -> ImportResult:
    v = _validate(
        kind, file, filename, actor=actor, update_existing=update_existing, progress=progress
    )
    fields = _outcome_fields(v, kind, filename, update_existing)
    if not v.good:
        return ImportResult(
            **fields,
            message=_("All %(count)s rows have errors; nothing was written.") % {"count": v.total},
        )
    to_write = [r for r in v.good if r.action != "unchanged"]
    created = updated = 0
    try:
        with transaction.atomic():
            if to_write:
                created, updated = v.handler.save(to_write)
            scope = v.handler.ctx.scope
            audit.record(
                actor=actor,
                action=f"registry.import.{kind}",
                object_type="registry.import",
                object_repr=str(filename or "")[:200],
                region_code=scope.top_codes[0] if len(scope.top_codes) == 1 else "",
                after={
                    "file": str(filename or ""),
                    "rows": v.total,
                    "created": created,
                    "updated": updated,
                    "unchanged": fields["unchanged"],
                    "invalid": len(v.bad),
                    "update_existing": update_existing,
                    **v.handler.extra,
                },
            )
    except IntegrityError as exc:
        raise ImportConflictError(
            _(
                "Some of these records were written by someone else while the file was being "
                "checked. Nothing was saved; please import the file again."
            )
        ) from exc
    if progress is not None:
        progress(v.total, v.total)
    if v.bad:
        message = _(
            "%(created)s created, %(updated)s updated; %(invalid)s rows with errors were skipped."
        ) % {"created": created, "updated": updated, "invalid": len(v.bad)}
    else:
        message = _("%(created)s created, %(updated)s updated.") % {
            "created": created,
            "updated": updated,
        }
    return ImportResult(
        **fields,
        created=created,
        updated=updated,
        written=True,
        message=message,
        extra=dict(v.handler.extra),
    )


# --- the error report ------------------------------------------------------------------------

ROW_HEADER = "行号"
REASON_HEADER = "错误原因"


def error_report_xlsx(outcome: _Outcome) -> bytes:
    """The bad rows as an .xlsx: 行号, the file's own columns, then 错误原因.

    Cells in a column that has an error are shaded, so the user sees at once what to fix;
    the sheet can be corrected and imported again (行号 and 错误原因 are ignored then).
    """
    import xlsxwriter

    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(
        buffer, {"constant_memory": True, "strings_to_numbers": False, "strings_to_urls": False}
    )
    sheet = workbook.add_worksheet("错误行")
    bold = workbook.add_format({"bold": True, "bg_color": "#F2F2F2"})
    flagged = workbook.add_format({"bg_color": "#FFC7CE", "font_color": "#9C0006"})
    date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
    reason_format = workbook.add_format({"font_color": "#9C0006", "text_wrap": False})
    header = list(outcome.header)
    columns = len(header)
    sheet.write_row(0, 0, [ROW_HEADER, *header, REASON_HEADER], bold)
    sheet.freeze_panes(1, 1)
    sheet.set_column(0, 0, 6)
    sheet.set_column(1, columns, 16)
    sheet.set_column(columns + 1, columns + 1, 60)
    for out_row, bad in enumerate(outcome.bad_rows, start=1):
        marked = {outcome.column_index.get(error.column) for error in bad.errors}
        sheet.write_number(out_row, 0, bad.number)
        cells = bad.cells
        for index in range(columns):
            value = cells[index] if index < len(cells) else None
            fmt = flagged if index in marked else None
            col = index + 1
            if value is None:
                if fmt is not None:
                    sheet.write_blank(out_row, col, None, fmt)
            elif isinstance(value, bool):
                sheet.write_boolean(out_row, col, value, fmt)
            elif isinstance(value, int | float):
                sheet.write_number(out_row, col, value, fmt)
            elif isinstance(value, datetime.datetime | datetime.date):
                sheet.write_datetime(out_row, col, value, fmt or date_format)
            else:
                sheet.write_string(out_row, col, str(value), fmt)
        sheet.write_string(out_row, columns + 1, bad.reason, reason_format)
    workbook.close()
    return buffer.getvalue()
