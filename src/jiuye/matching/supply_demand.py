"""Supply and demand analysis (人力资源市场供求分析, 求人倍率), policy brief §3.

The quarterly analysis a public employment service makes from its own records [S36]–[S39]:
how many vacancies and job seekers were valid in a period, and their ratio by occupation,
industry, region, education, age and sex. Everything is computed with SQL aggregation
(``values(...).annotate(Sum/Count)``) over querysets the caller has already scoped; Python only
touches the aggregated groups (a few thousand at most). See "Cost" at the end.

Definitions
===========

**Period.** A quarter (the default is the current one), a calendar month, or a custom range of
dates, inclusive at both ends (:class:`Period`, :func:`parse_period`: ``2026Q3``, ``2026-07``,
``2026-07-01..2026-08-15``). Dates are local dates (Asia/Shanghai).

**Valid numbers (有效数).** Brief §3: "still-valid entries carried over from before the period
+ new entries in the period" [S36][S39]. Both parts are shown in the totals table.

**Vacancies (需求人数)** = the sum of ``headcount`` over the postings valid in the period:

* the posting was published: ``status`` is published, filled, expired or withdrawn and
  ``published_at`` is set, on or before the last day of the period (drafts and postings under
  review never count, whatever their dates);
* its window ``[valid_from, valid_to]`` intersects the period;
* a filled or withdrawn posting stopped being open when its status changed. The posting keeps
  no closing date, so the status change is taken to be its last update: one whose
  ``updated_at`` is before the period started was closed before it and does not count. (An
  expired one simply reached ``valid_to``.)

A posting is *new* in the period when it became valid in it (``valid_from`` or
``published_at`` inside the period), otherwise *carried over*.

**Job seekers (求职人数)** = people with a job intention (``registry.JobIntention``) valid in
the period: created on or before its last day, and not ended before its first day
(``ended_on`` empty or on/after the first day). ``active`` is not read: it says whether an
intention is open today, not when it ended. Each person counts once: when a person has several
valid intentions, the most recent one (latest ``created_at``, then highest id) gives the
occupation and the region. People merged into another record (``Person.merged_into`` set) do
not count; their intentions were moved to the surviving record. A seeker is *carried over*
when they already had an intention open on the first day of the period, otherwise *new*
(registered during it); a change of preference during the period does not make a seeker new.

**Where.** A vacancy is where the posting's workplace is (``Posting.region_code``). A seeker is
where they want to work (``JobIntention.region_code``), or where they live
(``Person.region_code``) when the intention names no region. The analysis covers one region
chosen at or below the user's scope; the region table splits it into its children (a county
into its townships). Records placed at the region itself or above the children's level (e.g.
a seeker who wants "anywhere in the county" in a county analysis) are shown in a row of their
own and are not split.

**求人倍率** = vacancies ÷ seekers [S37][S39], rounded half-up to two decimals; none ("—") when
there are no seekers.

**The 无要求 rule** [S36]. Seekers without an occupation preference (blank
``occupation_code``) are shown as a raw "无要求" row, but when each occupation's ratio is
computed they are spread across the occupations in proportion to the vacancies there. In the
same way, vacancies that do not restrict a seeker attribute are shown as a raw 无要求 row and
spread across that attribute's categories in proportion to the seekers in each when computing
ratios:

* education: a posting with a blank minimum education is 无要求;
* sex: postings may not restrict sex (就业促进法 art. 27; a posting has no field for it), so
  every vacancy is 无要求;
* age: a posting's age range (``age_min``/``age_max``, an open end reaching the first or last
  band) lies in one band or covers several. A range inside one band counts in that band; a
  range over several bands is 无要求 *for those bands*: its headcount is in the raw 无要求 row
  and is spread only across the bands it covers, in proportion to their seekers. Each vacancy
  is thus counted once, and a 16–30 posting is never given to the 45+ band.

The adjusted counts are raw + the spread share; a category's ratio is its adjusted vacancies
÷ adjusted seekers. Spreading never changes the totals. When the weights of a spread are all
zero (no vacancies in any occupation, no seekers in any covered band) nothing is spread. Codes
that do not reach a table's level (a seeker coded only to 中类, in the 小类 table), blank or
unknown codes and blank seeker education are shown as a "not classified" row, without a ratio.

Breakdowns
==========

* **Occupation** (职业分类大典 2022): postings and intentions carry 细类 codes (``6-18-02-04``)
  that roll up by prefix to 小类 ``6-18-02``, 中类 ``6-18`` and 大类 ``6``.
* **Industry and sector** — demand only, as in the standard tables [S36]: seekers state no
  industry. The employer's GB/T 4754-2017 ``industry_code`` gives the section (门类) and the
  division (大类). The sector (产业) follows 国家统计局《三次产业划分规定》(2012, revised 2018
  for GB/T 4754-2017): 第一产业 is section A except division 05 (农、林、牧、渔专业及辅助性活动);
  第二产业 is sections B–E except divisions 11 (开采专业及辅助性活动) and 43 (金属制品、机械和设
  备修理业); everything else, including 05, 11 and 43, is 第三产业.
* **Employer ownership** (单位性质) — demand only.
* **Region**: the children of the analysed region.
* **Education**: GB/T 4658-2006 categories (``education_category``: 10 研究生 … 90 其他).
* **Age band**: 16–24, 25–34, 35–44, 45+, by age on the last day of the period (the registry
  holds no one under 16; anyone younger would fall in the first band).
* **Sex**: GB/T 2261.1 (1 男, 2 女).
* **Top 10** 小类 occupations where (adjusted) vacancies most exceed seekers (gap = vacancies
  − seekers, after spreading), and the top 10 where seekers most exceed vacancies.

Cost
====

Three grouped queries over the postings and two per part of the seekers (:func:`intentions_for`).
A county or anything smaller is read through indexes (its residents, each seeker's other
intentions); a city or a province is hashed whole, with more ``work_mem`` and no JIT on
PostgreSQL (:func:`_analytics_session`). ``benchmarks/supply_demand.py`` measured, on
PostgreSQL 15 with 1,000,000 people, 1,096,043 intentions and 200,000 postings on a shared
2-core machine: a county 0.3 s, a city 2.8 s, the province 4.4 s.
"""

from __future__ import annotations

import contextlib
import datetime
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from django.db import connection, transaction
from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Substr
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiuye.accounts.permissions import Perm
from jiuye.accounts.scoping import scope_for, scoped
from jiuye.jobs.models import Posting, PostingStatus
from jiuye.regions.codes import LEVEL_DIGITS, level_of, prefix_of
from jiuye.registry import codes
from jiuye.registry.models import JobIntention, Ownership, Sex

# --- periods --------------------------------------------------------------------------------


class PeriodError(ValueError):
    """A period that cannot be read; the message is for the person who typed it."""


QUARTER = "quarter"
MONTH = "month"
CUSTOM = "custom"

_QUARTER_RE = re.compile(r"^(\d{4})\s*-?\s*Q([1-4])$", re.IGNORECASE)
_MONTH_RE = re.compile(r"^(\d{4})-(\d{1,2})$")
_RANGE_RE = re.compile(r"^(\d{4}-\d{2}-\d{2})\s*(?:\.\.|~|/|至)\s*(\d{4}-\d{2}-\d{2})$")
# A custom range longer than this is refused: it is not a supply-demand period.
MAX_CUSTOM_DAYS = 366 * 2


@dataclass(frozen=True)
class Period:
    start: datetime.date
    end: datetime.date  # inclusive
    kind: str = CUSTOM

    @property
    def key(self) -> str:
        """The form :func:`parse_period` reads back: ``2026Q3``, ``2026-07`` or a range."""
        if self.kind == QUARTER:
            return f"{self.start.year}Q{(self.start.month - 1) // 3 + 1}"
        if self.kind == MONTH:
            return f"{self.start:%Y-%m}"
        return f"{self.start.isoformat()}..{self.end.isoformat()}"

    @property
    def label(self) -> str:
        if self.kind == QUARTER:
            return _("%(year)s Q%(quarter)s") % {
                "year": self.start.year,
                "quarter": (self.start.month - 1) // 3 + 1,
            }
        if self.kind == MONTH:
            return _("%(year)s-%(month)s") % {
                "year": self.start.year,
                "month": f"{self.start.month:02d}",
            }
        return _("%(start)s to %(end)s") % {"start": self.start, "end": self.end}

    def __str__(self) -> str:
        return self.label

    @property
    def start_at(self) -> datetime.datetime:
        """The first instant of the period, local time."""
        return timezone.make_aware(datetime.datetime.combine(self.start, datetime.time.min))

    @property
    def end_before(self) -> datetime.datetime:
        """The first instant after the period, local time."""
        day = self.end + datetime.timedelta(days=1)
        return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def quarter_of(day: datetime.date) -> Period:
    first_month = (day.month - 1) // 3 * 3 + 1
    start = datetime.date(day.year, first_month, 1)
    return Period(start, _month_end(datetime.date(day.year, first_month + 2, 1)), QUARTER)


def month_of(day: datetime.date) -> Period:
    start = day.replace(day=1)
    return Period(start, _month_end(start), MONTH)


def _month_end(day: datetime.date) -> datetime.date:
    following = (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    return following - datetime.timedelta(days=1)


def current_quarter(today: datetime.date | None = None) -> Period:
    return quarter_of(today or timezone.localdate())


def parse_period(
    text: str | None = None,
    *,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    today: datetime.date | None = None,
) -> Period:
    """``2026Q3`` / ``2026-Q3``, ``2026-07``, ``2026-07-01..2026-08-15``; or ``date_from`` and
    ``date_to``; nothing at all gives the current quarter."""
    if date_from or date_to:
        if not (date_from and date_to):
            raise PeriodError(_("Give both the first and the last day of the period."))
        return _custom(date_from, date_to)
    text = (text or "").strip()
    if not text:
        return current_quarter(today)
    if match := _QUARTER_RE.match(text):
        year, quarter = int(match[1]), int(match[2])
        return quarter_of(datetime.date(year, quarter * 3, 1))
    if match := _MONTH_RE.match(text):
        year, month = int(match[1]), int(match[2])
        if not 1 <= month <= 12:
            raise PeriodError(_("Unknown period: %(value)s") % {"value": text})
        return month_of(datetime.date(year, month, 1))
    if match := _RANGE_RE.match(text):
        try:
            first, last = (datetime.date.fromisoformat(match[i]) for i in (1, 2))
        except ValueError as exc:
            raise PeriodError(_("Unknown period: %(value)s") % {"value": text}) from exc
        return _custom(first, last)
    raise PeriodError(_("Unknown period: %(value)s") % {"value": text})


def _custom(first: datetime.date, last: datetime.date) -> Period:
    if last < first:
        raise PeriodError(_("The period ends before it starts."))
    if (last - first).days > MAX_CUSTOM_DAYS:
        raise PeriodError(_("A period may be at most two years long."))
    return Period(first, last, CUSTOM)


def recent_periods(today: datetime.date | None = None, *, quarters=8, months=12) -> list[Period]:
    """The current and previous quarters, then months, for a period selector."""
    today = today or timezone.localdate()
    out: list[Period] = []
    day = today
    for _i in range(quarters):
        q = quarter_of(day)
        out.append(q)
        day = q.start - datetime.timedelta(days=1)
    day = today
    for _i in range(months):
        m = month_of(day)
        out.append(m)
        day = m.start - datetime.timedelta(days=1)
    return out


# --- valid records --------------------------------------------------------------------------

COUNTED_STATUSES = (
    PostingStatus.PUBLISHED,
    PostingStatus.FILLED,
    PostingStatus.EXPIRED,
    PostingStatus.WITHDRAWN,
)
CLOSED_STATUSES = (PostingStatus.FILLED, PostingStatus.WITHDRAWN)


def valid_postings(qs: QuerySet[Posting], period: Period) -> QuerySet[Posting]:
    """The postings of ``qs`` that were open vacancies at some time in ``period``."""
    return qs.filter(
        status__in=COUNTED_STATUSES,
        published_at__isnull=False,
        published_at__lt=period.end_before,
        valid_from__lte=period.end,
        valid_to__gte=period.start,
    ).exclude(status__in=CLOSED_STATUSES, updated_at__lt=period.start_at)


def _valid_intention_q(period: Period) -> Q:
    return Q(created_at__lt=period.end_before) & (
        Q(ended_on__isnull=True) | Q(ended_on__gte=period.start)
    )


def valid_seekers(qs: QuerySet[JobIntention], period: Period) -> QuerySet[JobIntention]:
    """One intention per person: each live person's most recent intention valid in ``period``.

    "Most recent" is an anti-join (no later valid intention of the same person exists), which
    the database runs as one hash over the table for a large area and as an index probe per
    seeker for a small one.
    """
    later = JobIntention.objects.filter(
        _valid_intention_q(period), person=OuterRef("person")
    ).filter(
        Q(created_at__gt=OuterRef("created_at"))
        | Q(created_at=OuterRef("created_at"), id__gt=OuterRef("id"))
    )
    return qs.filter(_valid_intention_q(period), person__merged_into__isnull=True).filter(
        ~Exists(later)
    )


def _range_q(field: str, prefixes) -> Q:
    """Codes starting with one of ``prefixes``, as ranges (the scoping module's index-friendly
    form of a prefix test); no prefixes match nothing."""
    condition = None
    for prefix in prefixes:
        pad = 12 - len(prefix)
        q = Q(**{f"{field}__range": (prefix + "0" * pad, prefix + "9" * pad)})
        condition = q if condition is None else condition | q
    return Q(pk__in=[]) if condition is None else condition


def seeker_area_q(prefixes) -> Q:
    """Intentions placed inside one of ``prefixes``: by their desired region, or by the
    person's residence when they name none. (A blank code never falls in a range of codes.)"""
    prefixes = list(prefixes)
    return _range_q("region_code", prefixes) | (
        Q(region_code="") & _range_q("person__region_code", prefixes)
    )


def postings_for(user, region_code: str, permission: str = Perm.VIEW) -> QuerySet[Posting]:
    """The postings of a region (by workplace), through the scoping mechanism."""
    qs = scoped(Posting.objects.all(), user, permission)
    return qs.filter(_range_q("region_code", [prefix_of(region_code)]))


# From this level down (county, township, village) an area holds few seekers: the queries read
# them through indexes and look up each one's other intentions, rather than hashing the whole
# table as they do for a province or a city.
SMALL_AREA_LEVEL = 3


def intentions_for(
    user, region_code: str, permission: str = Perm.VIEW
) -> list[QuerySet[JobIntention]]:
    """The job intentions placed in a region (:func:`seeker_area_q`), through the scoping
    mechanism: a seeker is in the user's scope where they are placed, so a region the scope
    covers needs no second filter, and any other region gives nothing.

    Returned as disjoint parts to be counted separately and added up. A small area comes in
    two parts, by desired region and by residence, so that each can use its own index (the
    people of a region, the intentions of a person); a large one is a single part.
    """
    if not scope_for(user, permission).covers_region(region_code):
        return []
    prefixes = [prefix_of(region_code)]
    if level_of(region_code) < SMALL_AREA_LEVEL:
        return [JobIntention.objects.filter(seeker_area_q(prefixes))]
    return [
        JobIntention.objects.filter(_range_q("region_code", prefixes)),
        JobIntention.objects.filter(region_code="").filter(
            _range_q("person__region_code", prefixes)
        ),
    ]


# --- result types ---------------------------------------------------------------------------

CATEGORY = "category"
NO_REQUIREMENT = "no_requirement"  # 无要求, raw; spread when computing ratios
UNCLASSIFIED = "unclassified"  # blank, unknown or too coarse a code; no ratio
TOTAL = "total"

TWO_PLACES = Decimal("0.01")


def to_decimal(value: Fraction | int | None) -> Decimal | None:
    """Exact rounding half-up to two decimals."""
    if value is None:
        return None
    value = Fraction(value)
    sign = -1 if value < 0 else 1
    cents = int(abs(value) * 100 + Fraction(1, 2))
    return (Decimal(sign * cents) / 100).quantize(TWO_PLACES)


def ratio_of(vacancies, seekers) -> Decimal | None:
    """求人倍率: vacancies ÷ seekers to two decimals; None when there are no seekers."""
    if not seekers:
        return None
    return to_decimal(Fraction(vacancies) / Fraction(seekers))


def _float(value) -> float | None:
    return None if value is None else float(value)


@dataclass
class Row:
    key: str
    label: str
    vacancies: int = 0
    seekers: int = 0
    kind: str = CATEGORY
    level: int = 1  # nesting in tables that list two levels (industry: section, division)
    vacancies_adjusted: Fraction | None = None
    seekers_adjusted: Fraction | None = None
    share: Decimal | None = None  # percentage of the table's vacancies (demand-only tables)

    @property
    def ratio(self) -> Decimal | None:
        if self.kind == TOTAL:
            return ratio_of(self.vacancies, self.seekers)
        if self.kind != CATEGORY:
            return None
        return ratio_of(self.adjusted_vacancies, self.adjusted_seekers)

    @property
    def adjusted_vacancies(self) -> Fraction:
        return (
            Fraction(self.vacancies) if self.vacancies_adjusted is None else self.vacancies_adjusted
        )

    @property
    def adjusted_seekers(self) -> Fraction:
        return Fraction(self.seekers) if self.seekers_adjusted is None else self.seekers_adjusted

    @property
    def vacancies_adjusted_display(self) -> Decimal | None:
        return to_decimal(self.adjusted_vacancies) if self.kind in (CATEGORY, TOTAL) else None

    @property
    def seekers_adjusted_display(self) -> Decimal | None:
        return to_decimal(self.adjusted_seekers) if self.kind in (CATEGORY, TOTAL) else None

    @property
    def gap(self) -> Fraction:
        return self.adjusted_vacancies - self.adjusted_seekers

    @property
    def is_category(self) -> bool:
        return self.kind == CATEGORY

    def as_dict(self, *, with_seekers: bool = True) -> dict:
        out = {
            "key": self.key,
            "label": str(self.label),
            "kind": self.kind,
            "level": self.level,
            "vacancies": self.vacancies,
        }
        if with_seekers:
            adjusted = self.kind in (CATEGORY, TOTAL)
            out.update(
                seekers=self.seekers,
                vacancies_adjusted=_float(to_decimal(self.adjusted_vacancies))
                if adjusted
                else None,
                seekers_adjusted=_float(to_decimal(self.adjusted_seekers)) if adjusted else None,
                ratio=_float(self.ratio),
            )
        else:
            out["share"] = _float(self.share)
        return out


@dataclass
class Table:
    key: str
    title: str
    dimension: str  # the header of the first column
    rows: list[Row]
    total: Row
    has_seekers: bool = True
    spread: str = ""  # "seekers" or "vacancies": whose 无要求 row was spread; "" for none

    @property
    def shows_codes(self) -> bool:
        """Whether the row keys are codes people read (occupation, industry, education)."""
        return self.key.startswith("occupation") or self.key in ("industry", "education")

    @property
    def no_requirement(self) -> Row | None:
        return next((r for r in self.rows if r.kind == NO_REQUIREMENT), None)

    def row(self, key: str) -> Row:
        return next(r for r in self.rows if r.key == key)

    def as_dict(self) -> dict:
        return {
            "key": self.key,
            "title": str(self.title),
            "dimension": str(self.dimension),
            "has_seekers": self.has_seekers,
            "spread": self.spread,
            "total": self.total.as_dict(with_seekers=self.has_seekers),
            "rows": [r.as_dict(with_seekers=self.has_seekers) for r in self.rows],
        }


@dataclass
class Totals:
    vacancies_carried: int = 0
    vacancies_new: int = 0
    seekers_carried: int = 0
    seekers_new: int = 0
    postings: int = 0  # posting records behind the vacancies

    @property
    def vacancies(self) -> int:
        return self.vacancies_carried + self.vacancies_new

    @property
    def seekers(self) -> int:
        return self.seekers_carried + self.seekers_new

    @property
    def ratio(self) -> Decimal | None:
        return ratio_of(self.vacancies, self.seekers)

    def as_dict(self) -> dict:
        return {
            "vacancies": self.vacancies,
            "vacancies_carried": self.vacancies_carried,
            "vacancies_new": self.vacancies_new,
            "seekers": self.seekers,
            "seekers_carried": self.seekers_carried,
            "seekers_new": self.seekers_new,
            "postings": self.postings,
            "ratio": _float(self.ratio),
        }


@dataclass
class TopRow:
    rank: int
    row: Row

    @property
    def gap(self) -> Decimal:
        return to_decimal(self.row.gap)

    def as_dict(self) -> dict:
        return {
            "rank": self.rank,
            "code": self.row.key,
            "name": self.row.label,
            "vacancies": self.row.vacancies,
            "seekers": self.row.seekers,
            "vacancies_adjusted": _float(to_decimal(self.row.adjusted_vacancies)),
            "seekers_adjusted": _float(to_decimal(self.row.adjusted_seekers)),
            "gap": _float(to_decimal(self.row.gap)),
            "ratio": _float(self.row.ratio),
        }


@dataclass
class Analysis:
    region_code: str
    region_name: str
    period: Period
    totals: Totals
    tables: dict[str, Table] = field(default_factory=dict)
    top_shortage: list[TopRow] = field(default_factory=list)  # vacancies exceed seekers
    top_surplus: list[TopRow] = field(default_factory=list)  # seekers exceed vacancies

    @property
    def title(self) -> str:
        return _("Human resources market supply and demand (%(region)s %(period)s)") % {
            "region": self.region_name,
            "period": self.period.label,
        }

    def as_dict(self) -> dict:
        return {
            "region_code": self.region_code,
            "region_name": self.region_name,
            "period": {
                "key": self.period.key,
                "kind": self.period.kind,
                "start": self.period.start,
                "end": self.period.end,
                "label": self.period.label,
            },
            "title": self.title,
            "totals": self.totals.as_dict(),
            "tables": [t.as_dict() for t in self.tables.values()],
            "top_shortage": [t.as_dict() for t in self.top_shortage],
            "top_surplus": [t.as_dict() for t in self.top_surplus],
        }


# --- the rule: spreading 无要求 ------------------------------------------------------------


def spread(amount, weights: dict[str, int | Fraction]) -> dict[str, Fraction]:
    """``amount`` divided over ``weights``' keys in proportion to the weights, exactly.

    Nothing is spread when the weights sum to zero (there is nothing to be proportional to).
    """
    total = sum(weights.values(), Fraction(0))
    if not amount or not total:
        return {}
    return {key: Fraction(amount) * weight / total for key, weight in weights.items() if weight}


# --- dimensions -----------------------------------------------------------------------------

AGE_BANDS: tuple[tuple[str, int, int | None], ...] = (
    ("16-24", 16, 24),
    ("25-34", 25, 34),
    ("35-44", 35, 44),
    ("45+", 45, None),
)
LAST_BAND = len(AGE_BANDS) - 1

SECTORS = (
    ("1", gettext_lazy("Primary sector")),  # 第一产业
    ("2", gettext_lazy("Secondary sector")),  # 第二产业
    ("3", gettext_lazy("Tertiary sector")),  # 第三产业
)
# 《三次产业划分规定》(国家统计局, 2018): divisions of sections A–C counted as services.
TERTIARY_DIVISIONS = frozenset({"05", "11", "43"})
_SECTOR_OF_SECTION = {"A": "1", "B": "2", "C": "2", "D": "2", "E": "2"}

_OCCUPATION_CODE = re.compile(r"^\d(-\d\d){0,3}$")
OCCUPATION_LEVEL_LENGTH = {1: 1, 2: 4, 3: 7}  # 大类 "6", 中类 "6-18", 小类 "6-18-02"


def sector_of(industry_code: str) -> str:
    """ "1", "2" or "3" for a GB/T 4754 code (section letter, or 2–4 digits); "" if unknown."""
    section, division = industry_parts(industry_code)
    if not section:
        return ""
    if division in TERTIARY_DIVISIONS:
        return "3"
    return _SECTOR_OF_SECTION.get(section, "3")


def industry_parts(industry_code: str) -> tuple[str, str]:
    """(section letter, division digits) of a stored industry code; blanks where unknown."""
    code = (industry_code or "").strip().upper()
    table = codes.INDUSTRY
    if len(code) == 1:
        return (code, "") if code in table else ("", "")
    if code[:1].isalpha():
        code = code[1:]
    division = code[:2]
    record = table.get(division)
    if record is None or record.level != 2:
        return "", ""
    return record.section, division


def occupation_at(code: str, level: int) -> str:
    """The 大类 (1), 中类 (2) or 小类 (3) code a 细类 code rolls up to; "" if it cannot."""
    code = (code or "").strip()
    if not _OCCUPATION_CODE.match(code):
        return ""
    length = OCCUPATION_LEVEL_LENGTH[level]
    return code[:length] if len(code) >= length else ""


def education_category_of(code: str) -> str:
    code = (code or "").strip()
    if not code:
        return ""
    category = code[0] + "0"
    return category if category in codes.EDUCATION_CATEGORIES else ""


def _years_before(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def seeker_band_expression(reference: datetime.date) -> Case:
    """The age band index (0–3) of ``person.birth_date`` on ``reference``."""
    whens = []
    for index in range(LAST_BAND, 0, -1):
        lowest_age = AGE_BANDS[index][1]
        # Aged at least ``lowest_age`` on the reference day: born on or before this day.
        whens.append(When(person__birth_date__lte=_years_before(reference, lowest_age), then=index))
    return Case(*whens, default=Value(0), output_field=IntegerField())


def _posting_band_expression(field: str, *, open_end: int) -> Case:
    whens = [When(**{f"{field}__isnull": True}, then=Value(open_end))]
    for index, (_key, _low, high) in enumerate(AGE_BANDS[:-1]):
        whens.append(When(**{f"{field}__lte": high}, then=Value(index)))
    return Case(*whens, default=Value(LAST_BAND), output_field=IntegerField())


def _area_expression(field: str, digits: int | None):
    if digits is None:
        return Value("", output_field=CharField())
    return Substr(field, 1, digits)


def _seeker_area_expression(digits: int | None):
    if digits is None:
        return Value("", output_field=CharField())
    return Substr(
        Case(
            When(region_code="", then=F("person__region_code")),
            default=F("region_code"),
            output_field=CharField(),
        ),
        1,
        digits,
    )


# --- the analysis ---------------------------------------------------------------------------


@contextlib.contextmanager
def _analytics_session():
    """On PostgreSQL, the grouped scans of a whole province get the memory to hash in (rather
    than sort on disk), and no JIT compilation (which costs seconds here and saves nothing).
    ``SET LOCAL`` ends with the transaction: this one, or the caller's if there is one."""
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL work_mem = %s", [ANALYTICS_WORK_MEM])
            cursor.execute("SET LOCAL jit = off")
        yield


ANALYTICS_WORK_MEM = "128MB"


@dataclass
class _Groups:
    """What the SQL queries return, keyed by the dimension values."""

    # (education category digit, band_lo, band_hi, area prefix, is_new) → headcount
    posting_low: dict[tuple, int] = field(default_factory=dict)
    posting_occupation: dict[str, int] = field(default_factory=dict)
    posting_employer: dict[tuple[str, str], int] = field(default_factory=dict)
    posting_count: int = 0
    # (education digit, band, sex, area prefix, is_new) → people
    seeker_low: dict[tuple, int] = field(default_factory=dict)
    seeker_occupation: dict[str, int] = field(default_factory=dict)


def _query_groups(
    postings: QuerySet[Posting],
    seeker_parts: Sequence[QuerySet[JobIntention]],
    period: Period,
    area_digits: int | None,
    *,
    small_area: bool,
) -> _Groups:
    groups = _Groups()
    postings = valid_postings(postings, period).order_by()
    is_new_posting = Case(
        When(Q(valid_from__gte=period.start) | Q(published_at__gte=period.start_at), then=1),
        default=0,
        output_field=IntegerField(),
    )
    rows = (
        postings.annotate(
            g_edu=Substr("education", 1, 1),
            g_lo=_posting_band_expression("age_min", open_end=0),
            g_hi=_posting_band_expression("age_max", open_end=LAST_BAND),
            g_area=_area_expression("region_code", area_digits),
            g_new=is_new_posting,
        )
        .values("g_edu", "g_lo", "g_hi", "g_area", "g_new")
        .annotate(n=Sum("headcount"), records=Count("id"))
    )
    for r in rows:
        key = (r["g_edu"] or "", r["g_lo"], r["g_hi"], r["g_area"] or "", r["g_new"])
        groups.posting_low[key] = groups.posting_low.get(key, 0) + (r["n"] or 0)
        groups.posting_count += r["records"]
    for r in postings.values("occupation_code").annotate(n=Sum("headcount")):
        groups.posting_occupation[r["occupation_code"] or ""] = r["n"] or 0
    for r in postings.values("employer__industry_code", "employer__ownership").annotate(
        n=Sum("headcount")
    ):
        key = (r["employer__industry_code"] or "", r["employer__ownership"] or "")
        groups.posting_employer[key] = r["n"] or 0

    # Carried over: the person already had an intention open on the first day of the period.
    # That is so when the counted intention itself is older; otherwise another one may be. A
    # small area looks that up per seeker (an index probe); a large one asks an uncorrelated
    # subquery, which PostgreSQL hashes once.
    opened_before = Q(ended_on__isnull=True) | Q(ended_on__gte=period.start)
    if small_area:
        earlier = JobIntention.objects.filter(
            opened_before, person=OuterRef("person"), created_at__lt=period.start_at
        )
        carried = Exists(earlier)
    else:
        earlier = JobIntention.objects.filter(opened_before, created_at__lt=period.start_at)
        carried = Q(person_id__in=earlier.values("person_id"))
    is_new_seeker = Case(
        When(created_at__lt=period.start_at, then=0),
        When(carried, then=0),
        default=1,
        output_field=IntegerField(),
    )
    for part in seeker_parts:
        seekers = valid_seekers(part, period).order_by()
        rows = (
            seekers.annotate(
                g_edu=Substr("person__education", 1, 1),
                g_band=seeker_band_expression(period.end),
                g_sex=F("person__sex"),
                g_area=_seeker_area_expression(area_digits),
                g_new=is_new_seeker,
            )
            .values("g_edu", "g_band", "g_sex", "g_area", "g_new")
            .annotate(n=Count("id"))
        )
        for r in rows:
            key = (r["g_edu"] or "", r["g_band"], r["g_sex"] or "", r["g_area"] or "", r["g_new"])
            groups.seeker_low[key] = groups.seeker_low.get(key, 0) + r["n"]
        for r in seekers.values("occupation_code").annotate(n=Count("id")):
            code = r["occupation_code"] or ""
            groups.seeker_occupation[code] = groups.seeker_occupation.get(code, 0) + r["n"]
    return groups


def _sum_by(data: dict[tuple, int], index: int) -> dict:
    out: dict = defaultdict(int)
    for key, n in data.items():
        out[key[index]] += n
    return out


def _no_requirement_label():
    return _("No requirement")


def _total_row(vacancies: int, seekers: int) -> Row:
    return Row("total", _("Total"), vacancies, seekers, kind=TOTAL)


def occupation_table(
    level: int, vacancies: dict[str, int], seekers: dict[str, int], *, all_majors: bool = True
) -> Table:
    """Occupations at one level, with the 无要求 seekers spread in proportion to vacancies."""
    names = codes.OCCUPATION
    v_by: dict[str, int] = defaultdict(int)
    s_by: dict[str, int] = defaultdict(int)
    v_unclassified = s_unclassified = 0
    s_no_requirement = seekers.get("", 0)
    for code, n in vacancies.items():
        at = occupation_at(code, level)
        if at:
            v_by[at] += n
        else:
            v_unclassified += n
    for code, n in seekers.items():
        if not code:
            continue
        at = occupation_at(code, level)
        if at:
            s_by[at] += n
        else:
            s_unclassified += n
    keys = set(v_by) | set(s_by)
    if level == 1 and all_majors:
        keys |= {code for code, _name in codes.occupation_choices(1)}
    shares = spread(s_no_requirement, {k: v_by.get(k, 0) for k in keys})
    rows = []
    for key in sorted(keys, key=_occupation_sort_key):
        record = names.get(key)
        rows.append(
            Row(
                key,
                record.name if record else key,
                v_by.get(key, 0),
                s_by.get(key, 0),
                seekers_adjusted=s_by.get(key, 0) + shares.get(key, Fraction(0)),
            )
        )
    rows.append(Row("", _no_requirement_label(), 0, s_no_requirement, kind=NO_REQUIREMENT))
    if v_unclassified or s_unclassified:
        label = _("Not coded") if level == 1 else _("Not coded to this level")
        rows.append(Row("?", label, v_unclassified, s_unclassified, kind=UNCLASSIFIED))
    titles = {
        1: (_("By occupation (major group)"), _("Major group")),
        2: (_("By occupation (middle group)"), _("Middle group")),
        3: (_("By occupation (minor group)"), _("Minor group")),
    }
    title, dimension = titles[level]
    return Table(
        key=f"occupation_{level}",
        title=title,
        dimension=dimension,
        rows=rows,
        total=_total_row(sum(vacancies.values()), sum(seekers.values())),
        spread="seekers",
    )


def _occupation_sort_key(code: str):
    return [int(part) for part in code.split("-")]


def _attribute_table(
    key: str,
    title: str,
    dimension: str,
    categories: list[tuple[str, str]],
    vacancies: dict[str, int],
    seekers: dict[str, int],
    no_requirement: dict[tuple[int, int], int] | int,
    *,
    unclassified_label: str,
) -> Table:
    """A seeker attribute (education, age, sex): 无要求 vacancies spread over the categories
    in proportion to seekers. ``no_requirement`` is an amount to spread over all categories,
    or {(first, last) category index: amount} to spread over a run of categories (age)."""
    keys = [k for k, _label in categories]
    runs = (
        no_requirement if isinstance(no_requirement, dict) else {(0, len(keys) - 1): no_requirement}
    )
    shares: dict[str, Fraction] = defaultdict(Fraction)
    for (first, last), amount in runs.items():
        covered = keys[first : last + 1]
        for k, share in spread(amount, {k: seekers.get(k, 0) for k in covered}).items():
            shares[k] += share
    rows = [
        Row(
            k,
            label,
            vacancies.get(k, 0),
            seekers.get(k, 0),
            vacancies_adjusted=vacancies.get(k, 0) + shares.get(k, Fraction(0)),
        )
        for k, label in categories
    ]
    no_req_total = sum(runs.values())
    rows.append(Row("", _no_requirement_label(), no_req_total, 0, kind=NO_REQUIREMENT))
    v_other = sum(n for k, n in vacancies.items() if k not in keys)
    s_other = sum(n for k, n in seekers.items() if k not in keys)
    if v_other or s_other:
        rows.append(Row("?", unclassified_label, v_other, s_other, kind=UNCLASSIFIED))
    total_v = sum(vacancies.values()) + no_req_total
    return Table(
        key=key,
        title=title,
        dimension=dimension,
        rows=rows,
        total=_total_row(total_v, sum(seekers.values())),
        spread="vacancies",
    )


def _demand_table(
    key: str, title: str, dimension: str, rows: list[Row], total: int, *, unknown: int
) -> Table:
    if unknown:
        rows.append(Row("?", _("Not recorded"), unknown, kind=UNCLASSIFIED))
    for row in rows:
        row.seekers = 0
        row.share = to_decimal(Fraction(row.vacancies * 100, total)) if total else None
    total_row = _total_row(total, 0)
    total_row.share = Decimal("100.00") if total else None
    return Table(key, title, dimension, rows, total_row, has_seekers=False)


def analyse(
    *,
    postings: QuerySet[Posting],
    seekers: Sequence[QuerySet[JobIntention]],
    period: Period,
    region_code: str,
    region_name: str = "",
    children: list[tuple[str, str]] | None = None,
) -> Analysis:
    """The full analysis of already-scoped querysets (``postings_for``/``intentions_for``;
    ``seekers`` are disjoint parts, counted separately and added up).

    ``children`` are the (code, name) of the region's children, for the region table; their
    codes must all be of the same level.
    """
    children = list(children or [])
    area_digits = LEVEL_DIGITS[_level_of_children(children)] if children else None
    with _analytics_session():
        g = _query_groups(
            postings,
            seekers,
            period,
            area_digits,
            small_area=level_of(region_code) >= SMALL_AREA_LEVEL,
        )

    totals = Totals(postings=g.posting_count)
    for key, n in g.posting_low.items():
        if key[4]:
            totals.vacancies_new += n
        else:
            totals.vacancies_carried += n
    for key, n in g.seeker_low.items():
        if key[4]:
            totals.seekers_new += n
        else:
            totals.seekers_carried += n
    analysis = Analysis(region_code, region_name, period, totals)
    tables = analysis.tables

    # Sector, industry, ownership: demand only.
    by_sector: dict[str, int] = defaultdict(int)
    by_section: dict[str, int] = defaultdict(int)
    by_division: dict[str, int] = defaultdict(int)
    by_ownership: dict[str, int] = defaultdict(int)
    for (industry_code, ownership), n in g.posting_employer.items():
        section, division = industry_parts(industry_code)
        by_sector[sector_of(industry_code)] += n
        by_section[section] += n
        if division:
            by_division[division] += n
        by_ownership[ownership if ownership in Ownership.values else ""] += n
    total_v = totals.vacancies
    tables["sector"] = _demand_table(
        "sector",
        _("By sector"),
        _("Sector"),
        [Row(k, str(label), by_sector.get(k, 0)) for k, label in SECTORS],
        total_v,
        unknown=by_sector.get("", 0),
    )
    industry_rows = []
    for section, _label in codes.industry_choices(1):
        industry_rows.append(Row(section, codes.INDUSTRY[section].name, by_section.get(section, 0)))
        for division in sorted(d for d in by_division if codes.INDUSTRY[d].section == section):
            industry_rows.append(
                Row(division, codes.INDUSTRY[division].name, by_division[division], level=2)
            )
    tables["industry"] = _demand_table(
        "industry",
        _("By industry"),
        _("Industry"),
        industry_rows,
        total_v,
        unknown=by_section.get("", 0),
    )
    tables["ownership"] = _demand_table(
        "ownership",
        _("By employer ownership"),
        _("Ownership"),
        [Row(k, str(label), by_ownership.get(k, 0)) for k, label in Ownership.choices],
        total_v,
        unknown=by_ownership.get("", 0),
    )

    # Occupation at three levels; the top 10s come from the minor groups.
    for level in (1, 2, 3):
        tables[f"occupation_{level}"] = occupation_table(
            level, g.posting_occupation, g.seeker_occupation
        )
    minor = [r for r in tables["occupation_3"].rows if r.is_category]
    shortage = sorted((r for r in minor if r.gap > 0), key=lambda r: (-r.gap, r.key))[:10]
    surplus = sorted((r for r in minor if r.gap < 0), key=lambda r: (r.gap, r.key))[:10]
    analysis.top_shortage = [TopRow(i, r) for i, r in enumerate(shortage, 1)]
    analysis.top_surplus = [TopRow(i, r) for i, r in enumerate(surplus, 1)]

    # Region: no 无要求 on either side (every seeker is placed somewhere).
    v_area = _sum_by(g.posting_low, 3)
    s_area = _sum_by(g.seeker_low, 3)
    prefix_digits = area_digits or 0
    region_rows = [
        Row(code, name, v_area.get(code[:prefix_digits], 0), s_area.get(code[:prefix_digits], 0))
        for code, name in children
    ]
    child_prefixes = {code[:prefix_digits] for code, _name in children}
    v_rest = sum(n for k, n in v_area.items() if k not in child_prefixes)
    s_rest = sum(n for k, n in s_area.items() if k not in child_prefixes)
    if children and (v_rest or s_rest):
        region_rows.append(
            Row("?", _("Not placed in a subdivision"), v_rest, s_rest, kind=UNCLASSIFIED)
        )
    tables["region"] = Table(
        "region",
        _("By region"),
        _("Region"),
        region_rows,
        _total_row(totals.vacancies, totals.seekers),
    )

    # Education: postings' minimum education, blank = 无要求.
    v_edu: dict[str, int] = defaultdict(int)
    no_req_edu = 0
    for key, n in g.posting_low.items():
        if key[0] == "":
            no_req_edu += n
        else:
            v_edu[education_category_of(key[0]) or "?"] += n
    s_edu: dict[str, int] = defaultdict(int)
    for key, n in g.seeker_low.items():
        s_edu[education_category_of(key[0]) or "?"] += n
    tables["education"] = _attribute_table(
        "education",
        _("By education"),
        _("Education"),
        [(c, codes.EDUCATION[c]) for c in codes.EDUCATION_CATEGORIES],
        v_edu,
        s_edu,
        no_req_edu,
        unclassified_label=_("Not recorded"),
    )

    # Age: a range inside one band counts there; a range over several is 无要求 for them.
    band_keys = [key for key, _low, _high in AGE_BANDS]
    v_band: dict[str, int] = defaultdict(int)
    runs: dict[tuple[int, int], int] = defaultdict(int)
    for key, n in g.posting_low.items():
        lo, hi = key[1], key[2]
        if hi < lo:  # e.g. 30–20 cannot happen (a check constraint), but never lose a count
            lo, hi = hi, lo
        if lo == hi:
            v_band[band_keys[lo]] += n
        else:
            runs[(lo, hi)] += n
    s_band: dict[str, int] = defaultdict(int)
    for key, n in g.seeker_low.items():
        s_band[band_keys[key[1]]] += n
    tables["age"] = _attribute_table(
        "age",
        _("By age"),
        _("Age"),
        [(k, _band_label(k)) for k in band_keys],
        v_band,
        s_band,
        dict(runs),
        unclassified_label=_("Not recorded"),
    )

    # Sex: no posting may restrict it, so every vacancy is 无要求.
    s_sex = _sum_by(g.seeker_low, 2)
    tables["sex"] = _attribute_table(
        "sex",
        _("By sex"),
        _("Sex"),
        [(k, str(label)) for k, label in Sex.choices],
        {},
        {k or "?": n for k, n in s_sex.items()},
        totals.vacancies,
        unclassified_label=_("Not recorded"),
    )
    return analysis


def _band_label(key: str) -> str:
    if key.endswith("+"):
        return _("%(age)s and over") % {"age": key[:-1]}
    low, high = key.split("-")
    return _("%(low)s–%(high)s") % {"low": low, "high": high}


def _level_of_children(children: list[tuple[str, str]]) -> int:
    from jiuye.regions.codes import level_of

    levels = {level_of(code) for code, _name in children}
    if len(levels) != 1:
        raise ValueError("the children of a region must all be of one level")
    return levels.pop()


def region_for_analysis(user, code: str = "", permission: str = Perm.VIEW):
    """The region to analyse: ``code`` if it lies in the caller's scope, else a 404 (as for any
    object outside it); no code gives the first region of the scope."""
    from django.http import Http404

    from jiuye.regions import selectors as region_selectors

    if code:
        return region_selectors.region_for(user, code, permission)
    region = region_selectors.top_regions_for(user, permission).order_by("code").first()
    if region is None:
        raise Http404
    return region


def analysis_for(user, region, period: Period, permission: str = Perm.VIEW) -> Analysis:
    """The analysis of ``region`` (a Region the caller has already checked is in scope, e.g.
    with ``regions.selectors.region_for``), reading only records in ``user``'s scope."""
    from jiuye.regions.models import Region

    children = list(
        Region.objects.current().filter(parent=region).order_by("code").values_list("code", "name")
    )
    return analyse(
        postings=postings_for(user, region.code, permission),
        seekers=intentions_for(user, region.code, permission),
        period=period,
        region_code=region.code,
        region_name=region.name,
        children=children,
    )
