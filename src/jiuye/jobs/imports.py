"""Importing job postings (``jiuye import postings FILE``, and the registry's import page).

The registry's import machinery does the work (``jiuye.registry.imports``: reading the file,
header aliases, per-cell parsers, preview that writes nothing, the error report with row
numbers and reasons, good rows kept, one summary audit row); this module declares the columns
and the ``PostingHandler`` that matches, codes, checks and writes the rows. It is registered as
the kind ``postings`` in ``JobsConfig.ready``.

* A row finds its posting by (employer, external id) when the file gives an external id, else
  by (employer, job title, valid-from date). A row that matches is left alone, so running the
  same file again creates nothing; with "update existing" a matching draft takes the file's
  changes, and a posting already submitted or published is reported instead (change it on its
  page, where the change is reviewed).
* A row without an occupation code is coded from its job title by the occupation coder
  (``jiuye.registry.occupation_coder.code_title``) when that module is installed: the top
  match is taken when its score reaches ``AUTO_CODE_THRESHOLD`` and the posting records
  ``occupation_coded_by="auto"`` and the score.
* Postings arrive as drafts, or submitted for review (状态 待审核) — never published: every
  posting passes a reviewer. Each is checked for forbidden requirements (``jobs.review``) and
  the findings are stored on it.
"""

from __future__ import annotations

import datetime
import importlib
import re
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from jiuye.accounts.permissions import Perm
from jiuye.accounts.scoping import scope_for
from jiuye.core.errors import JiuyeError
from jiuye.core.models import AuditLog
from jiuye.jobs import actions
from jiuye.jobs.models import Channel, Posting, PostingKind, PostingStatus
from jiuye.jobs.review import scan_fields
from jiuye.registry.imports import (
    BATCH_SIZE,
    USCC_ALIASES,
    Handler,
    ImportSpec,
    Row,
    _audit_row,
    _choice,
    _chunks,
    _column,
    _date,
    _in,
    _region,
    _text,
    _uscc,
)
from jiuye.registry.models import Employer
from jiuye.registry.normalize import CellError, clean_text, parse_decimal, parse_int

KIND = "postings"
EMPLOYER_LABEL = "单位统一社会信用代码"

# ---- parsers --------------------------------------------------------------------------------

_RANGE_SEPARATORS = r"\s*(?:-|~|～|—|–|至|到)\s*"
_NUMBER = r"(\d+(?:\.\d+)?)\s*([kKwW千万]?)"
_NO_VALUE = frozenset({"面议", "不限", "无", "无要求", "-", "—", "/", "不详", "待定"})


def _amount(number: str, unit: str) -> int:
    value = float(number)
    if unit in ("k", "K", "千"):
        value *= 1000
    elif unit in ("w", "W", "万"):
        value *= 10000
    return round(value)


def _wage_range(raw, ctx) -> tuple[int | None, int | None]:
    """ "3000-5000", "3000~5000元/月", "3k-5k", "5000元以上", "4000以下", "4500", "面议"."""
    text = clean_text(raw).replace(",", "").replace("，", "")
    if text in _NO_VALUE:
        return (None, None)
    text = re.sub(r"(元|/月|每月|月薪|/人|人民币)", "", text)
    m = re.fullmatch(_NUMBER + _RANGE_SEPARATORS + _NUMBER, text)
    if m:
        lo, hi = _amount(m[1], m[2] or m[4]), _amount(m[3], m[4])
        if lo > hi:
            raise CellError(_("The lower wage is above the upper wage."))
        return (lo, hi)
    m = re.fullmatch(_NUMBER + r"\s*(以上|起|及以上)?", text)
    if m:
        value = _amount(m[1], m[2])
        return (value, None) if m[3] else (value, value)
    m = re.fullmatch(_NUMBER + r"\s*(以下|以内)", text)
    if m:
        return (None, _amount(m[1], m[2]))
    raise CellError(_("Write the monthly wage as 3000-5000, 3000 or 面议."))


def _wage(raw, ctx) -> int | None:
    text = clean_text(raw)
    if text in _NO_VALUE:
        return None
    number = parse_decimal(raw, max_digits=9, decimal_places=2, minimum=0)
    return None if number is None else int(number)


def _age_range(raw, ctx) -> tuple[int | None, int | None]:
    """ "18-45", "18至45岁", "45岁以下", "18周岁以上", "不限"."""
    text = clean_text(raw).replace("周岁", "").replace("岁", "")
    if text in _NO_VALUE:
        return (None, None)
    m = re.fullmatch(r"(\d{1,2})" + _RANGE_SEPARATORS + r"(\d{1,2})", text)
    if m:
        return (int(m[1]), int(m[2]))
    m = re.fullmatch(r"(\d{1,2})\s*(以上|及以上|起)", text)
    if m:
        return (int(m[1]), None)
    m = re.fullmatch(r"(\d{1,2})\s*(以下|以内|及以下)", text)
    if m:
        return (None, int(m[1]))
    raise CellError(_("Write the age range as 18-45, 18岁以上 or 45岁以下."))


def _age(raw, ctx) -> int | None:
    text = clean_text(raw).replace("周岁", "").replace("岁", "")
    if text in _NO_VALUE:
        return None
    return parse_int(text, minimum=0, maximum=99)


def _experience(raw, ctx) -> int | None:
    text = clean_text(raw)
    if text in _NO_VALUE or text in ("经验不限", "无经验要求", "应届"):
        return None
    m = re.fullmatch(r"(\d{1,2})\s*(?:年)?\s*(?:以上|及以上)?(?:工作)?(?:经验)?", text)
    if not m:
        raise CellError(_("Write the experience as a number of years, e.g. 2 or 2年以上."))
    return int(m[1])


def _headcount(raw, ctx) -> int | None:
    text = clean_text(raw)
    if text in ("若干", "不限"):
        return None
    return parse_int(text.replace("名", "").replace("人", ""), minimum=1, maximum=100_000)


def _description(raw, ctx) -> str:
    if isinstance(raw, str):
        text = raw.replace("\r\n", "\n").replace("\r", "\n").replace("\u200b", "").strip()
    else:
        text = clean_text(raw)
    if len(text) > actions.MAX_DESCRIPTION:
        raise CellError(
            _("This is longer than %(max)s characters.") % {"max": actions.MAX_DESCRIPTION}
        )
    return text


def _occupation(raw, ctx) -> str:
    try:
        return actions.clean_occupation(clean_text(raw))
    except JiuyeError as exc:
        raise CellError(str(exc.message)) from None


def _education(raw, ctx) -> str:
    try:
        return actions.clean_education(clean_text(raw))
    except JiuyeError as exc:
        raise CellError(str(exc.message)) from None


def _coordinate(raw, ctx):
    return parse_decimal(raw, max_digits=9, decimal_places=6)


def _valid_range(raw, ctx) -> tuple[datetime.date, datetime.date]:
    """ "2025-03-01至2025-05-31" (至, 到 or ~ between the dates)."""
    from jiuye.registry.normalize import parse_date

    parts = re.split(r"\s*(?:至|到|~|～)\s*", clean_text(raw))
    if len(parts) != 2:
        raise CellError(_("Write the validity as 2025-03-01至2025-05-31."))
    start, end = parse_date(parts[0]), parse_date(parts[1])
    if not start or not end:
        raise CellError(_("Write the validity as 2025-03-01至2025-05-31."))
    return (start, end)


_kind = _choice(
    PostingKind,
    {
        PostingKind.FULL_TIME: ("全职", "全日制", "长期", "正式工", "合同工"),
        PostingKind.PART_TIME: ("兼职", "非全日制", "小时工"),
        PostingKind.GIG: ("零工", "临时工", "灵活用工", "日结", "短期工"),
        PostingKind.INTERNSHIP: ("见习", "就业见习", "实习", "见习岗位"),
    },
)
_channel = _choice(
    Channel,
    {
        Channel.EMPLOYER: ("单位自主", "单位", "自主", "单位自主发布", "企业自主"),
        Channel.FAIR: ("招聘会", "现场招聘会", "网络招聘会", "对接会"),
        Channel.PROJECT: ("重大项目", "项目", "重点项目"),
        Channel.GIG: ("零工", "零工市场", "零工驿站"),
    },
)
_status_choice = _choice(
    PostingStatus,
    {
        PostingStatus.DRAFT: ("草稿", "暂存", "未提交"),
        PostingStatus.REVIEW: ("待审核", "提交审核", "送审", "审核中", "已提交"),
    },
)


def _not_imported() -> CellError:
    return CellError(
        _(
            "Imported postings go through review: write 待审核 to submit them, or leave the "
            "cell empty for a draft."
        )
    )


def _status(raw, ctx) -> str:
    if clean_text(raw) in ("已发布", "发布", "已上架", "上架", "published"):
        raise _not_imported()
    value = _status_choice(raw, ctx)
    if value not in (PostingStatus.DRAFT, PostingStatus.REVIEW):
        raise _not_imported()
    return value


# ---- columns --------------------------------------------------------------------------------

POSTING_COLUMNS = (
    _column(
        "employer_uscc",
        EMPLOYER_LABEL,
        (*USCC_ALIASES, "用人单位信用代码", "企业信用代码"),
        _uscc,
        identity=True,
        memo=True,
    ),
    _column("employer_name", "单位名称", ("用人单位", "企业名称", "招聘单位"), _text(200)),
    _column(
        "title",
        "岗位名称",
        ("职位名称", "招聘岗位", "岗位", "职位", "招聘职位", "工种名称"),
        _text(100),
        identity=True,
    ),
    _column(
        "occupation_code",
        "职业编码",
        ("职业代码", "职业分类代码", "职业分类", "职业", "工种编码"),
        _occupation,
        memo=True,
    ),
    _column(
        "headcount",
        "招聘人数",
        ("人数", "需求人数", "招聘数量", "岗位数量", "用工人数", "计划招聘人数"),
        _headcount,
    ),
    _column("wage_min", "月薪下限", ("最低月薪", "工资下限", "薪资下限", "月工资下限"), _wage),
    _column("wage_max", "月薪上限", ("最高月薪", "工资上限", "薪资上限", "月工资上限"), _wage),
    _column(
        "wage",
        "月薪",
        ("薪资", "工资", "薪酬", "月工资", "薪资待遇", "工资待遇", "薪资范围", "月薪范围"),
        _wage_range,
        memo=True,
    ),
    _column(
        "education",
        "学历要求",
        ("学历", "最低学历", "文化程度", "学历要求(最低)"),
        _education,
        memo=True,
    ),
    _column("age", "年龄要求", ("年龄", "年龄范围", "年龄限制"), _age_range, memo=True),
    _column("age_min", "最低年龄", ("年龄下限",), _age),
    _column("age_max", "最高年龄", ("年龄上限",), _age),
    _column(
        "experience_years",
        "工作经验",
        ("经验要求", "工作年限", "经验", "工作经验(年)"),
        _experience,
        memo=True,
    ),
    _column(
        "region_code",
        "工作地点",
        ("工作地点区划", "工作区划", "工作地区", "工作地", "区划代码", "所在地", "区划"),
        _region(in_scope=True),
        required=True,
        memo=True,
    ),
    _column("address", "详细地址", ("工作地址", "地址", "工作详细地址"), _text(200)),
    _column("longitude", "经度", (), _coordinate),
    _column("latitude", "纬度", (), _coordinate),
    _column(
        "kind",
        "岗位类型",
        ("用工形式", "工作性质", "岗位性质", "用工类型", "类型"),
        _kind,
        memo=True,
    ),
    _column("channel", "发布渠道", ("渠道", "岗位来源", "来源"), _channel, memo=True),
    _column(
        "valid_from",
        "有效期起",
        ("开始日期", "发布日期", "起始日期", "有效期开始", "有效期自"),
        _date,
        identity=False,
    ),
    _column(
        "valid_to",
        "有效期止",
        ("截止日期", "有效期至", "结束日期", "有效期截止", "有效期到", "招聘截止日期"),
        _date,
    ),
    _column("valid", "有效期", ("有效期限", "招聘期限"), _valid_range),
    _column(
        "description",
        "岗位描述",
        ("岗位职责", "任职要求", "职位描述", "岗位要求", "工作内容", "描述", "岗位说明"),
        _description,
    ),
    _column(
        "external_id",
        "外部编号",
        ("external_id", "岗位编号", "职位编号", "编号", "外部系统编号"),
        _text(64),
    ),
    _column("status", "状态", ("发布状态", "岗位状态"), _status, memo=True),
)

# What a posting row writes, in the model's terms.
WRITTEN = (
    "title",
    "occupation_code",
    "occupation_coded_by",
    "occupation_score",
    "description",
    "headcount",
    "wage_min",
    "wage_max",
    "education",
    "age_min",
    "age_max",
    "experience_years",
    "region_code",
    "address",
    "longitude",
    "latitude",
    "kind",
    "channel",
    "valid_from",
    "valid_to",
    "external_id",
)
# Fields compared with an existing draft when updating (not the automatic coding).
COMPARED = tuple(f for f in WRITTEN if f not in ("occupation_coded_by", "occupation_score"))


def code_titles(titles) -> dict[str, tuple[str, float]]:
    """{title: (code, score)} from the occupation coder for the titles it codes confidently
    (top match at or above its ``AUTO_CODE_THRESHOLD``); {} while the coder is not installed.
    """
    try:
        # Looked up at call time: the coder is optional (another app's module).
        coder = importlib.import_module("jiuye.registry.occupation_coder")
    except ImportError:
        return {}
    distinct = sorted(set(titles))
    if not distinct:
        return {}
    batch = getattr(coder, "code_titles", None)
    if batch is not None:
        ranked = batch(distinct)
    else:
        ranked = [coder.code_title(title) for title in distinct]
    out: dict[str, tuple[str, float]] = {}
    for title, matches in zip(distinct, ranked, strict=True):
        if not matches or matches[0].score < coder.AUTO_CODE_THRESHOLD:
            continue
        try:
            code = actions.clean_occupation(matches[0].code)
        except JiuyeError:
            continue  # too broad a code to use
        out[title] = (code, float(matches[0].score))
    return out


class PostingHandler(Handler):
    key_column = EMPLOYER_LABEL

    def __init__(self, ctx, present):
        super().__init__(ctx, present)
        self.extra = {"auto_coded": 0, "flagged": 0, "submitted": 0}

    # Cross-column checks, as each row is read ---------------------------------------------

    def check_row(self, row: Row) -> None:
        v = row.values
        if "wage" in v:
            if "wage_min" in v or "wage_max" in v:
                row.fail("月薪", "", _("Give the wage in one column or in two, not both."))
            v["wage_min"], v["wage_max"] = v.pop("wage")
        if "age" in v:
            if "age_min" in v or "age_max" in v:
                row.fail("年龄要求", "", _("Give the age in one column or in two, not both."))
            v["age_min"], v["age_max"] = v.pop("age")
        if "valid" in v:
            if "valid_from" in v or "valid_to" in v:
                row.fail("有效期", "", _("Give the validity in one column or in two, not both."))
            v["valid_from"], v["valid_to"] = v.pop("valid")
        v.setdefault("valid_from", self.ctx.today)
        if "valid_to" not in v:
            row.fail("有效期止", "", _("Give the date the posting ends."))
        v.setdefault("headcount", 1)
        lo, hi = v.get("wage_min"), v.get("wage_max")
        if lo is not None and hi is not None and lo > hi:
            row.fail("月薪上限", hi, _("The lower wage is above the upper wage."))
        lo, hi = v.get("age_min"), v.get("age_max")
        if lo is not None and lo < 16:
            row.fail("年龄要求", lo, _("The minimum age cannot be below 16 (劳动法 第15条)."))
        if lo is not None and hi is not None and lo > hi:
            row.fail("年龄要求", f"{lo}-{hi}", _("The minimum age is above the maximum age."))
        if "valid_to" in v and v["valid_from"] > v["valid_to"]:
            row.fail("有效期止", v["valid_to"], _("The posting ends before it starts."))
        if ("longitude" in v) != ("latitude" in v):
            row.fail("经度", "", _("Give both longitude and latitude, or neither."))
        if row.ok:
            self.duplicate(row, self.key(v), "岗位名称", v.get("title", ""))

    @staticmethod
    def key(v: dict) -> tuple:
        if v.get("external_id"):
            return (v["employer_uscc"], "external", v["external_id"])
        return (v["employer_uscc"], "title", v["title"], v["valid_from"])

    # Against the database -----------------------------------------------------------------

    def resolve(self, rows: list[Row]) -> None:
        good = [r for r in rows if r.ok]
        self._match_employers(good)
        good = [r for r in good if r.ok]
        self._match_existing(good)
        creates = [r for r in good if r.ok and r.action == "create"]
        uncoded = [r for r in creates if not r.values.get("occupation_code")]
        coded = code_titles(r.values["title"] for r in uncoded)
        for row in uncoded:
            found = coded.get(row.values["title"])
            if found:
                row.values["occupation_code"], row.values["occupation_score"] = found
                row.values["occupation_coded_by"] = "auto"
                self.extra["auto_coded"] += 1
        for row in creates:
            if row.values.get("status") == PostingStatus.REVIEW:
                if not row.values.get("occupation_code"):
                    row.fail(
                        "职业编码",
                        "",
                        _("A posting submitted for review needs its occupation code."),
                    )
                elif row.values["valid_to"] < self.ctx.today:
                    row.fail(
                        "有效期止", row.values["valid_to"], _("The posting has already ended.")
                    )

    def _match_employers(self, rows: list[Row]) -> None:
        view = scope_for(self.ctx.actor, Perm.VIEW)
        found: dict[str, tuple[int, str]] = {}
        codes = sorted({r.values["employer_uscc"] for r in rows})
        for chunk in _chunks(codes):
            qs = view.filter(Employer.objects.filter(uscc__in=_in(chunk)))
            for pk, uscc, region_code in qs.values_list("pk", "uscc", "region_code"):
                found[uscc] = (pk, region_code)
        for row in rows:
            hit = found.get(row.values["employer_uscc"])
            if hit is None:
                row.fail(
                    EMPLOYER_LABEL,
                    row.values["employer_uscc"],
                    _(
                        "No employer with this credit code is in the registry within your "
                        "jurisdiction. Import the employers first."
                    ),
                )
            else:
                row.values["employer_id"] = hit[0]

    def _match_existing(self, rows: list[Row]) -> None:
        employer_ids = sorted({r.values["employer_id"] for r in rows})
        by_external: dict[tuple, Posting] = {}
        by_title: dict[tuple, Posting] = {}
        for chunk in _chunks(employer_ids, 1000):
            for posting in Posting.objects.filter(employer_id__in=chunk):
                if posting.external_id:
                    by_external[(posting.employer_id, posting.external_id)] = posting
                by_title.setdefault(
                    (posting.employer_id, posting.title, posting.valid_from), posting
                )
        edit = self.ctx.scope
        for row in rows:
            v = row.values
            if v.get("external_id"):
                existing = by_external.get((v["employer_id"], v["external_id"]))
            else:
                existing = by_title.get((v["employer_id"], v["title"], v["valid_from"]))
            if existing is None:
                continue
            if not edit.contains(existing.region_code):
                row.fail(
                    "岗位名称",
                    v["title"],
                    _(
                        "This posting is registered in a region outside your jurisdiction, "
                        "so it cannot be changed from here."
                    ),
                )
                continue
            row.target = existing
            changes = {
                name: v[name]
                for name in COMPARED
                if name in v and v[name] not in ("", None) and getattr(existing, name) != v[name]
            }
            if not changes or not self.ctx.update_existing:
                row.action = "unchanged"
            elif existing.status != PostingStatus.DRAFT:
                row.fail(
                    "岗位名称",
                    v["title"],
                    _(
                        "This posting is already “%(status)s”; change it on its page, where "
                        "the change is reviewed."
                    )
                    % {"status": existing.get_status_display()},
                )
            else:
                row.action = "update"
                row.changes = changes

    # Writing ------------------------------------------------------------------------------

    def save(self, rows: list[Row]) -> tuple[int, int]:
        actor = self.ctx.actor
        creator = actor if getattr(actor, "pk", None) else None
        now = timezone.now()
        coordinates: dict[str, tuple] = {}
        creates = [r for r in rows if r.action == "create"]
        postings = []
        for r in creates:
            v = r.values
            values: dict[str, Any] = {name: v[name] for name in WRITTEN if name in v}
            if "longitude" not in values:
                code = values["region_code"]
                if code not in coordinates:
                    coordinates[code] = actions.default_coordinates(code)
                values["longitude"], values["latitude"] = coordinates[code]
            status = v.get("status") or PostingStatus.DRAFT
            posting = Posting(
                employer_id=v["employer_id"], status=status, created_by=creator, **values
            )
            posting.review_flags = scan_fields(values)
            if posting.review_flags:
                self.extra["flagged"] += 1
            if status == PostingStatus.REVIEW:
                self.extra["submitted"] += 1
            postings.append(posting)
        Posting.objects.bulk_create(postings, batch_size=BATCH_SIZE)
        logs = [
            _audit_row(
                actor,
                "jobs.posting.import_create",
                p,
                {},
                {
                    **{name: getattr(p, name) for name in ("employer_id", *WRITTEN)},
                    "status": p.status,
                    "findings": len(p.review_flags),
                },
            )
            for p in postings
        ]
        updates = [r for r in rows if r.action == "update"]
        changed = []
        fields: set[str] = set()
        for r in updates:
            posting: Posting = r.target
            before = {name: getattr(posting, name) for name in r.changes}
            for name, value in r.changes.items():
                setattr(posting, name, value)
            posting.review_flags = scan_fields(
                {f: getattr(posting, f) for f in ("title", "description", "address")}
            )
            posting.updated_at = now
            fields.update(r.changes)
            changed.append(posting)
            logs.append(
                _audit_row(actor, "jobs.posting.import_update", posting, before, dict(r.changes))
            )
        if changed:
            Posting.objects.bulk_update(
                changed, [*sorted(fields), "review_flags", "updated_at"], batch_size=500
            )
        AuditLog.objects.bulk_create(logs, batch_size=BATCH_SIZE)
        return len(postings), len(changed)


POSTING_SPEC = ImportSpec(KIND, POSTING_COLUMNS, PostingHandler)
