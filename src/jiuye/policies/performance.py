"""Fund performance (资金绩效): spent against budget, and what the money achieved, by region.

For one fund, one calendar year and one region (in the viewer's scope), one row per region one
level down, plus the region's total. Definitions:

* **Budget** — ``FundBudget`` for the fund and year. A region's budget is its own row when
  there is one, otherwise the sum of the budgets set further down (a county's own budget is not
  added to its townships' budgets again).
* **Committed** — entitlements of the fund approved but not yet paid (approved, in a batch, or
  waiting for a new batch after a failed payment), approved in the year (the review time, or
  the creation time where there was no review).
* **Paid** — payment items of the fund's batches that the bank paid in the year (settled).
* **Remaining** — budget − paid − committed. **Execution rate** — paid ÷ budget.
* **People employed** — distinct people behind paid hiring subsidies (``hire_policies``: the
  one-off expansion subsidy, the one-off absorption subsidy, the employer's social-insurance
  subsidy for a hire, and any policy evaluated over hires).
* **Jobs stabilised** — for every employer paid a 稳岗返还 (``STABILISATION_POLICIES``) in the
  year, its insured headcount in the last month of the period paid for (the latest recorded
  month up to then).
* **People paid** — distinct people that paid items are about (paid to them or to their
  employer); **amount per person** — what was paid for them ÷ people paid.

Each row counts what lies in that region; distinct people are counted again for the total, so
someone paid in two townships counts once in the county.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Coalesce, Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from jiuye.accounts.permissions import Perm
from jiuye.accounts.scoping import scoped
from jiuye.policies.models import (
    Entitlement,
    EntitlementStatus,
    FundBudget,
    PaymentItem,
    PaymentItemStatus,
    SubjectType,
)
from jiuye.regions.models import Region
from jiuye.regions.selectors import children_of

# Policy codes whose paid entitlements stand for a person employed. Policies evaluated over
# hires are added automatically (``hire_policies``).
HIRE_POLICIES = ("expansion_subsidy", "absorption_subsidy", "social_insurance_subsidy_employer")
# 失业保险稳岗返还: the employers' insured headcount counts as jobs stabilised.
STABILISATION_POLICIES = ("stabilisation_refund",)
COMMITTED = (
    EntitlementStatus.APPROVED,
    EntitlementStatus.IN_BATCH,
    EntitlementStatus.PAYMENT_FAILED,
)
ZERO = Decimal("0")


def hire_policies() -> set[str]:
    from jiuye.policies.rules import all_policies

    found = {code for code, p in all_policies().items() if p.entity == "hire" and p.pays}
    return found | set(HIRE_POLICIES)


def stabilisation_policies() -> set[str]:
    return set(STABILISATION_POLICIES)


@dataclass
class Row:
    code: str  # a region's 12-digit code, or "" for records directly at the chosen region
    name: str
    budget: Decimal | None = None
    committed: Decimal = ZERO
    paid: Decimal = ZERO
    people_employed: int = 0
    jobs_stabilised: int = 0
    people_paid: int = 0
    paid_for_people: Decimal = ZERO
    has_children: bool = False

    @property
    def remaining(self) -> Decimal | None:
        if self.budget is None:
            return None
        return self.budget - self.paid - self.committed

    @property
    def execution_rate(self) -> Decimal | None:
        """Paid as a percentage of the budget, one decimal."""
        if not self.budget:
            return None
        return (self.paid * 100 / self.budget).quantize(Decimal("0.1"), ROUND_HALF_UP)

    @property
    def amount_per_person(self) -> Decimal | None:
        if not self.people_paid:
            return None
        return (self.paid_for_people / self.people_paid).quantize(Decimal("0.01"), ROUND_HALF_UP)


@dataclass
class Performance:
    fund: str
    year: int
    region: Region
    rows: list[Row] = field(default_factory=list)
    total: Row | None = None


def _year_bounds(year: int) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_current_timezone()
    return (
        dt.datetime(year, 1, 1, tzinfo=tz),
        dt.datetime(year + 1, 1, 1, tzinfo=tz),
    )


def _within(prefix: str) -> Q:
    pad = 12 - len(prefix)
    return Q(region_code__range=(prefix + "0" * pad, prefix + "9" * pad))


def _minimal(codes_amounts: list[tuple[str, Decimal]]) -> Decimal | None:
    """The sum over the top-most budget rows: a row inside another row's region is part of it."""
    if not codes_amounts:
        return None
    kept: list[tuple[str, Decimal]] = []
    for code, amount in sorted(codes_amounts, key=lambda ca: (len(_prefix(ca[0])), ca[0])):
        if not any(_prefix(code).startswith(_prefix(k)) for k, _a in kept):
            kept.append((code, amount))
    return sum((a for _c, a in kept), ZERO)


def _prefix(code: str) -> str:
    from jiuye.regions.codes import prefix_of

    return prefix_of(code)


def period_end_month(period: str, fallback: dt.date) -> dt.date:
    """The first day of the last month a period covers: ``2024`` → 2024-12-01, ``2025-Q2`` →
    2025-06-01, ``2025-07`` → 2025-07-01; the fallback's month for anything else."""
    if m := re.fullmatch(r"(\d{4})", period):
        return dt.date(int(m[1]), 12, 1)
    if m := re.fullmatch(r"(\d{4})-Q([1-4])", period):
        return dt.date(int(m[1]), 3 * int(m[2]), 1)
    if (m := re.fullmatch(r"(\d{4})-(\d{2})", period)) and 1 <= int(m[2]) <= 12:
        return dt.date(int(m[1]), int(m[2]), 1)
    return fallback.replace(day=1)


def _paid_items(user, fund: str, year: int, prefix: str) -> QuerySet[PaymentItem]:
    start, end = _year_bounds(year)
    return scoped(PaymentItem.objects.all(), user, Perm.VIEW).filter(
        _within(prefix),
        batch__fund=fund,
        status=PaymentItemStatus.PAID,
        settled_at__gte=start,
        settled_at__lt=end,
    )


def _committed(user, fund: str, year: int, prefix: str) -> QuerySet[Entitlement]:
    start, end = _year_bounds(year)
    return (
        scoped(Entitlement.objects.all(), user, Perm.VIEW)
        .filter(_within(prefix), fund=fund, status__in=COMMITTED)
        .annotate(decided=Coalesce("reviewed_at", "created_at"))
        .filter(decided__gte=start, decided__lt=end)
    )


def _item_aggregates(hire: set[str]) -> dict:
    person = Q(subject_type=SubjectType.PERSON)
    return {
        "paid": Sum("amount"),
        "people_paid": Count("subject_id", filter=person, distinct=True),
        "paid_for_people": Sum("amount", filter=person),
        "people_employed": Count(
            "subject_id", filter=person & Q(policy__in=sorted(hire)), distinct=True
        ),
    }


def _jobs_stabilised(items: QuerySet[PaymentItem], key_length: int | None) -> dict[str, int]:
    """{region key: insured headcount} over the employers paid a 稳岗返还 (each employer once,
    at its latest period); key "" when ``key_length`` is None (the total)."""
    rows = items.filter(
        subject_type=SubjectType.EMPLOYER, policy__in=sorted(stabilisation_policies())
    ).values_list("subject_id", "period", "settled_at", "region_code")
    latest: dict[int, tuple[dt.date, str]] = {}
    for employer_id, period, settled_at, region_code in rows:
        month = period_end_month(period, timezone.localdate(settled_at))
        if employer_id not in latest or month > latest[employer_id][0]:
            key = region_code[:key_length] if key_length else ""
            latest[employer_id] = (month, key)
    if not latest:
        return {}
    from jiuye.registry.models import InsuredHeadcount

    counts: dict[int, list[tuple[dt.date, int]]] = defaultdict(list)
    for employer_id, month, insured in InsuredHeadcount.objects.filter(
        employer_id__in=list(latest), month__lte=max(m for m, _k in latest.values())
    ).values_list("employer_id", "month", "insured"):
        counts[employer_id].append((month, insured))
    out: dict[str, int] = defaultdict(int)
    for employer_id, (month, key) in latest.items():
        known = [(m, n) for m, n in counts.get(employer_id, []) if m <= month]
        if known:
            out[key] += max(known)[1]
    return dict(out)


def performance(user, *, fund: str, year: int, region: Region) -> Performance:
    """The table for ``region`` (already checked to lie in the user's scope) one level down."""
    hire = hire_policies()
    prefix = region.prefix
    children = list(children_of(region))
    # Children are one level down; their prefixes all have the same length.
    child_length = len(children[0].prefix) if children else None

    budgets = list(
        scoped(FundBudget.objects.all(), user, Perm.VIEW)
        .filter(_within(prefix), fund=fund, year=year)
        .values_list("region_code", "amount")
    )
    items = _paid_items(user, fund, year, prefix)
    committed = _committed(user, fund, year, prefix)

    total = Row(code=region.code, name=region.name)
    total.budget = _minimal(budgets)
    total.committed = committed.aggregate(s=Sum("amount"))["s"] or ZERO
    agg = items.aggregate(**_item_aggregates(hire))
    total.paid = agg["paid"] or ZERO
    total.people_paid = agg["people_paid"]
    total.paid_for_people = agg["paid_for_people"] or ZERO
    total.people_employed = agg["people_employed"]
    total.jobs_stabilised = _jobs_stabilised(items, None).get("", 0)

    result = Performance(fund=fund, year=year, region=region, total=total)
    if not children:
        return result

    rows = {
        c.prefix: Row(code=c.code, name=c.name, has_children=bool(c.child_count)) for c in children
    }
    direct = Row(code="", name=_("Directly at %(region)s") % {"region": region.name})

    def row_for(key: str) -> Row:
        return rows.get(key, direct)

    by_child: dict[str, list] = defaultdict(list)
    for code, amount in budgets:
        if code[:child_length] in rows:
            by_child[code[:child_length]].append((code, amount))
    for key, found in by_child.items():
        rows[key].budget = _minimal(found)

    key = Substr("region_code", 1, child_length)
    for r in committed.values(key=key).annotate(s=Sum("amount")).order_by():
        row_for(r["key"]).committed += r["s"] or ZERO
    for r in items.values(key=key).annotate(**_item_aggregates(hire)).order_by():
        row = row_for(r["key"])
        row.paid += r["paid"] or ZERO
        row.people_paid += r["people_paid"]
        row.paid_for_people += r["paid_for_people"] or ZERO
        row.people_employed += r["people_employed"]
    for k, n in _jobs_stabilised(items, child_length).items():
        row_for(k).jobs_stabilised += n

    result.rows = list(rows.values())
    if direct.paid or direct.committed or direct.jobs_stabilised:
        result.rows.append(direct)
    return result


def available_years(user, fund: str = "") -> list[int]:
    """Years with a budget in the user's scope, and the current year, newest first."""
    qs = scoped(FundBudget.objects.all(), user, Perm.VIEW)
    if fund:
        qs = qs.filter(fund=fund)
    years = set(qs.values_list("year", flat=True).distinct())
    years.add(timezone.localdate().year)
    return sorted(years, reverse=True)


def chart_data(perf: Performance) -> dict:
    rows = perf.rows or ([perf.total] if perf.total else [])
    return {
        "names": [r.name for r in rows],
        "series": [
            {"name": _("Budget"), "values": [float(r.budget or 0) for r in rows]},
            {"name": _("Paid"), "values": [float(r.paid) for r in rows]},
            {"name": _("Committed"), "values": [float(r.committed) for r in rows]},
        ],
    }


def export_headers() -> list[str]:
    return [
        _("Region code"),
        _("Region"),
        _("Budget (yuan)"),
        _("Committed (yuan)"),
        _("Paid (yuan)"),
        _("Remaining (yuan)"),
        _("Execution rate (%)"),
        _("People employed"),
        _("Jobs stabilised"),
        _("People paid"),
        _("Amount per person (yuan)"),
    ]


def export_rows(perf: Performance) -> list[list]:
    def cells(r: Row) -> list:
        def num(v):
            return float(v) if v is not None else None

        return [
            r.code,
            r.name,
            num(r.budget),
            num(r.committed),
            num(r.paid),
            num(r.remaining),
            num(r.execution_rate),
            r.people_employed,
            r.jobs_stabilised,
            r.people_paid,
            num(r.amount_per_person),
        ]

    out = [cells(r) for r in perf.rows]
    if perf.total is not None:
        total = cells(perf.total)
        total[1] = _("Total: %(region)s") % {"region": perf.total.name}
        out.append(total)
    return out
