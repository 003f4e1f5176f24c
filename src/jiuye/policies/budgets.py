"""Fund budgets (失业保险基金, 就业补助资金 …) per fund, region and year, and the check that no
approval spends more than is left.

Which budget applies to an entitlement: the **nearest ancestor-or-self region of the
entitlement's region that has a budget row for the fund and year** — a county's own budget
when the county has one, else the city's, else the province's. A budget therefore covers its
region's subtree *less the parts that have a budget of their own*: if 临汾市 and 曲沃县 both have
a 失业保险基金 budget for 2025, a 曲沃 approval spends 曲沃's, and 临汾's counts only what was
approved in its other counties. ``committed`` computes exactly that share, so the budgets of a
tree never count the same yuan twice.

The year of an approval is the calendar (fiscal) year of its approval date
(``Entitlement.reviewed_at`` in Asia/Shanghai); that is when the money is committed.
Committed means approved, in a payment batch, paid, or whose payment failed (still owed; a
later batch retries it). Awaiting, confirmed, rejected and declined entitlements commit
nothing.

``reserve`` is called inside the approving transaction. It locks the budget row
(``SELECT … FOR UPDATE``) before summing, so two concurrent approvals against the same budget
are serialised on PostgreSQL; the second sees the first's amount. On SQLite every write
transaction takes the database's write lock when it begins (``transaction_mode IMMEDIATE``),
which serialises them the same way. No budget row means no approval, with a clear error.
"""

from __future__ import annotations

import datetime
import decimal
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from jiuye.accounts.permissions import Perm
from jiuye.accounts.scoping import Scope, require
from jiuye.core import audit
from jiuye.core.errors import ErrorCode, JiuyeError
from jiuye.core.tabular import TableError, normalize_header, read_table
from jiuye.policies.models import Entitlement, EntitlementStatus, Fund, FundBudget
from jiuye.regions.codes import InvalidRegionCode, normalize, parent_code
from jiuye.regions.models import Region

COMMITTED_STATUSES = (
    EntitlementStatus.APPROVED,
    EntitlementStatus.IN_BATCH,
    EntitlementStatus.PAID,
    EntitlementStatus.PAYMENT_FAILED,
)

ZERO = decimal.Decimal("0.00")


def _year_range(year: int) -> tuple[datetime.datetime, datetime.datetime]:
    tz = timezone.get_current_timezone()
    start = datetime.datetime(year, 1, 1, tzinfo=tz)
    return start, datetime.datetime(year + 1, 1, 1, tzinfo=tz)


def _ancestors_or_self(region_code: str) -> list[str]:
    codes = []
    code: str | None = normalize(region_code)
    while code:
        codes.append(code)
        code = parent_code(code)
    return codes


def _own_share_q(fund: str, region_code: str, year: int) -> Q:
    """Entitlement regions a budget at ``region_code`` covers: its subtree less the subtrees
    of regions below it that have a budget of their own."""
    region_code = normalize(region_code)
    within = Scope.of([region_code])
    nested = (
        FundBudget.objects.filter(fund=fund, year=year)
        .filter(within.q())
        .exclude(region_code=region_code)
        .values_list("region_code", flat=True)
    )
    condition = within.q()
    own = Scope.of(list(nested))
    if own.prefixes:
        condition &= ~own.q()
    return condition


def committed(fund: str, region_code: str, year: int) -> decimal.Decimal:
    """What the budget of ``fund`` at ``region_code`` for ``year`` has committed: approved,
    in-batch, paid and payment-failed entitlements of that fund approved in that year, in the
    region's subtree less sub-regions with their own budget."""
    start, end = _year_range(year)
    total = (
        Entitlement.objects.filter(
            fund=fund,
            status__in=COMMITTED_STATUSES,
            reviewed_at__gte=start,
            reviewed_at__lt=end,
        )
        .filter(_own_share_q(fund, region_code, year))
        .aggregate(total=Sum("amount"))["total"]
    )
    return (total or ZERO).quantize(ZERO)


def remaining(fund: str, region_code: str, year: int) -> decimal.Decimal | None:
    """The budget row's amount less what it has committed; None when there is no row."""
    budget = FundBudget.objects.filter(
        fund=fund, region_code=normalize(region_code), year=year
    ).first()
    if budget is None:
        return None
    return budget.amount - committed(fund, budget.region_code, year)


def applicable_budget(fund: str, region_code: str, year: int) -> FundBudget | None:
    """The budget an approval in ``region_code`` spends: the nearest ancestor-or-self region
    with a row for the fund and year."""
    rows = {
        b.region_code: b
        for b in FundBudget.objects.filter(
            fund=fund, year=year, region_code__in=_ancestors_or_self(region_code)
        )
    }
    for code in _ancestors_or_self(region_code):
        if code in rows:
            return rows[code]
    return None


def reserve(*, fund: str, region_code: str, amount, on: datetime.date | None = None) -> FundBudget:
    """Check, inside the approving transaction, that ``amount`` fits the applicable budget;
    lock its row so a concurrent approval waits for this one. Raises a ``JiuyeError`` when
    there is no budget or not enough left. The caller then marks the entitlement approved
    in the same transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("reserve() must run inside the approving transaction")
    year = (on or timezone.localdate()).year
    found = applicable_budget(fund, region_code, year)
    fund_label = Fund(fund).label if fund in Fund.values else fund
    if found is None:
        raise JiuyeError(
            ErrorCode.CONFLICT,
            _(
                "There is no %(year)s budget of the %(fund)s for this region or any region "
                "above it; enter the budget before approving."
            )
            % {"year": year, "fund": fund_label},
            status=409,
        )
    budget = FundBudget.objects.select_for_update().get(pk=found.pk)
    left = budget.amount - committed(fund, budget.region_code, year)
    amount = decimal.Decimal(amount)
    if amount > left:
        raise JiuyeError(
            ErrorCode.CONFLICT,
            _(
                "Not enough budget: %(amount)s yuan asked, %(left)s yuan left of the %(year)s "
                "%(fund)s budget of region %(region)s."
            )
            % {
                "amount": amount,
                "left": left,
                "year": year,
                "fund": fund_label,
                "region": budget.region_code,
            },
            status=409,
            detail={"budget": budget.pk, "remaining": str(left), "asked": str(amount)},
        )
    return budget


# ---- reads ----------------------------------------------------------------------------------


def budget_rows(budgets: QuerySet[FundBudget] | list[FundBudget]) -> list[dict]:
    """Each budget with its committed and remaining amounts (one sum query per row; a page of
    budgets is a few dozen rows)."""
    rows = []
    for b in budgets:
        spent = committed(b.fund, b.region_code, b.year)
        rows.append(
            {
                "budget": b,
                "committed": spent,
                "remaining": b.amount - spent,
                "share": float(spent / b.amount) if b.amount else 0.0,
            }
        )
    return rows


# ---- writes ---------------------------------------------------------------------------------


def _clean(fund: str, region_code: str, year, amount) -> tuple[str, str, int, decimal.Decimal]:
    if fund not in Fund.values:
        raise JiuyeError(ErrorCode.INVALID, _("Unknown fund."))
    try:
        region_code = normalize(str(region_code))
    except InvalidRegionCode as exc:
        raise JiuyeError(ErrorCode.INVALID_REGION) from exc
    if not Region.objects.current().filter(code=region_code).exists():
        raise JiuyeError(ErrorCode.INVALID_REGION)
    try:
        year = int(year)
    except (TypeError, ValueError):
        raise JiuyeError(ErrorCode.INVALID, _("The year is not valid.")) from None
    if not 2000 <= year <= 2100:
        raise JiuyeError(ErrorCode.INVALID, _("The year is not valid."))
    try:
        amount = decimal.Decimal(str(amount)).quantize(ZERO)
    except (decimal.InvalidOperation, ValueError):
        raise JiuyeError(ErrorCode.INVALID, _("The amount is not a number.")) from None
    if amount < 0 or amount >= decimal.Decimal("1e12"):
        raise JiuyeError(ErrorCode.INVALID, _("The amount must be between 0 and 999,999,999,999."))
    return fund, region_code, year, amount


@transaction.atomic
def create_budget(
    *, actor, fund: str, region_code: str, year: int, amount, note: str = ""
) -> FundBudget:
    """A budget row; the actor edits at the region or above it."""
    fund, region_code, year, amount = _clean(fund, region_code, year, amount)
    require(actor, Perm.EDIT, region_code, refuse_visible=True)
    try:
        with transaction.atomic():
            budget = FundBudget.objects.create(
                fund=fund, region_code=region_code, year=year, amount=amount, note=note[:200]
            )
    except IntegrityError:
        raise JiuyeError(
            ErrorCode.CONFLICT,
            _("This region already has a budget of that fund for that year."),
            status=409,
        ) from None
    audit.record(
        actor=actor,
        action="policies.budget.create",
        obj=budget,
        after=audit.snapshot(budget, ["fund", "region_code", "year", "amount", "note"]),
    )
    return budget


@transaction.atomic
def update_budget(*, actor, budget: FundBudget, amount, note: str | None = None) -> FundBudget:
    """Change the amount (never below what is committed) or the note."""
    require(actor, Perm.EDIT, budget.region_code, refuse_visible=True)
    budget = FundBudget.objects.select_for_update().get(pk=budget.pk)
    _f, _r, _y, amount = _clean(budget.fund, budget.region_code, budget.year, amount)
    spent = committed(budget.fund, budget.region_code, budget.year)
    if amount < spent:
        raise JiuyeError(
            ErrorCode.CONFLICT,
            _("The budget cannot be less than the %(spent)s yuan already committed.")
            % {"spent": spent},
            status=409,
        )
    before = audit.snapshot(budget, ["amount", "note"])
    budget.amount = amount
    if note is not None:
        budget.note = note[:200]
    budget.save()
    b, a = audit.changed(before, audit.snapshot(budget, ["amount", "note"]))
    if a:
        audit.record(actor=actor, action="policies.budget.update", obj=budget, before=b, after=a)
    return budget


# ---- import ---------------------------------------------------------------------------------

FUND_HEADERS = {"资金", "资金类型", "fund"}
REGION_HEADERS = {"区划代码", "行政区划代码", "regioncode", "region"}
YEAR_HEADERS = {"年度", "年份", "year"}
AMOUNT_HEADERS = {"预算", "预算金额", "金额", "金额（元）", "金额(元)", "amount", "budget"}
NOTE_HEADERS = {"备注", "note"}

# What people write in the fund column, besides the codes.
FUND_ALIASES = {
    "失业保险基金": Fund.UNEMPLOYMENT_INSURANCE,
    "就业补助资金": Fund.EMPLOYMENT_SUBSIDY,
    "创业担保贷款贴息资金": Fund.STARTUP_LOAN,
    "创业担保贷款贴息": Fund.STARTUP_LOAN,
}


def _fund_of(text: str) -> str | None:
    text = (text or "").strip()
    if text in Fund.values:
        return text
    if text in FUND_ALIASES:
        return FUND_ALIASES[text]
    for value, label in Fund.choices:
        if text.lower() == str(label).lower():
            return value
    return None


@dataclass
class BudgetImportReport:
    created: int = 0
    updated: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)  # (row, reason)


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


@transaction.atomic
def import_budgets(*, actor, source, filename: str = "") -> BudgetImportReport:
    """Budgets from a table (.xlsx/.xls/.ods/.csv) with columns 资金, 区划代码, 年度, 预算金额 and
    optionally 备注: a row creates the budget or changes its amount. Good rows are saved, bad
    rows are reported with their row number and reason and change nothing."""
    known = [*FUND_HEADERS, *REGION_HEADERS, *YEAR_HEADERS, *AMOUNT_HEADERS, *NOTE_HEADERS]
    try:
        table = read_table(source, filename, known_headers=known)
    except TableError as exc:
        raise JiuyeError(ErrorCode.INVALID_FILE, str(exc)) from exc
    header = [normalize_header(h) for h in table.header]

    def column(names):
        normalized = {normalize_header(n) for n in names}
        return next((i for i, h in enumerate(header) if h in normalized), None)

    cols = {
        "fund": column(FUND_HEADERS),
        "region": column(REGION_HEADERS),
        "year": column(YEAR_HEADERS),
        "amount": column(AMOUNT_HEADERS),
        "note": column(NOTE_HEADERS),
    }
    if None in (cols["fund"], cols["region"], cols["year"], cols["amount"]):
        raise JiuyeError(
            ErrorCode.INVALID_FILE,
            _("The file needs the columns 资金, 区划代码, 年度 and 预算金额."),
        )
    report = BudgetImportReport()
    seen: set[tuple[str, str, int]] = set()
    for row_number, cells in table.rows:

        def get(name, cells=cells):
            i = cols[name]
            return _cell(cells[i]) if i is not None and i < len(cells) else ""

        fund = _fund_of(get("fund"))
        if fund is None:
            report.errors.append((row_number, _("Unknown fund: %(v)s") % {"v": get("fund")}))
            continue
        amount_text = get("amount").replace(",", "").replace("，", "")
        try:
            clean = _clean(fund, get("region"), get("year"), amount_text)
            require(actor, Perm.EDIT, clean[1])
        except JiuyeError as exc:
            message = (
                _("The region is outside your jurisdiction.")
                if exc.code == ErrorCode.NOT_FOUND
                else str(exc.message)
            )
            report.errors.append((row_number, message))
            continue
        key = clean[:3]
        if key in seen:
            report.errors.append((row_number, _("The same budget appears twice in the file.")))
            continue
        seen.add(key)
        fund, region_code, year, amount = clean
        existing = FundBudget.objects.filter(fund=fund, region_code=region_code, year=year).first()
        try:
            with transaction.atomic():
                if existing is None:
                    create_budget(
                        actor=actor,
                        fund=fund,
                        region_code=region_code,
                        year=year,
                        amount=amount,
                        note=get("note"),
                    )
                    report.created += 1
                else:
                    update_budget(
                        actor=actor, budget=existing, amount=amount, note=get("note") or None
                    )
                    report.updated += 1
        except JiuyeError as exc:
            report.errors.append((row_number, str(exc.message)))
    audit.record(
        actor=actor,
        action="policies.budget.import",
        object_type="policies.fundbudget",
        region_code=getattr(actor, "home_region_code", "") or "",
        after={
            "file": filename,
            "created": report.created,
            "updated": report.updated,
            "errors": len(report.errors),
        },
    )
    return report
