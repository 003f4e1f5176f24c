"""Fund budgets: what is committed (status, year, region share), which budget an approval
spends, the locked check, creating, changing and importing budgets."""

from __future__ import annotations

import datetime
import decimal
import io
import threading

import openpyxl
import pytest
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from tests.policies import entitlement_fixtures as fx

from jiuye.core.errors import JiuyeError, NotFoundError, PermissionDeniedError
from jiuye.core.models import AuditLog
from jiuye.policies import budgets
from jiuye.policies.models import Entitlement, EntitlementStatus, FundBudget

FUND = "employment_fund"


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def w(staff, person_factory, monkeypatch, settings, tmp_path):
    return fx.build_world(staff, person_factory, monkeypatch, settings, tmp_path)


_n = iter(range(1, 10_000))


def _entitlement(region, amount, status="approved", year=2025, fund=FUND):
    n = next(_n)
    return Entitlement.objects.create(
        policy="test_subsidy",
        subject_type="person",
        subject_id=n,
        payee_type="person",
        payee_id=n,
        period=str(year),
        region_code=region,
        fund=fund,
        amount=decimal.Decimal(amount),
        status=status,
        reviewed_at=datetime.datetime(year, 6, 1, 12, tzinfo=timezone.get_current_timezone()),
    )


def test_committed_counts_approved_batched_paid_and_failed(w):
    for status in ("approved", "in_batch", "paid", "pay_failed"):
        _entitlement(fx.VILLAGE, "100", status)
    for status in ("awaiting", "confirmed", "rejected", "declined"):
        _entitlement(fx.VILLAGE, "1000", status)
    _entitlement(fx.VILLAGE, "1000", year=2024)  # another year
    _entitlement(fx.VILLAGE, "1000", fund="ui_fund")  # another fund
    _entitlement(fx.HOUMA_COMMUNITY, "1000")  # another county
    assert budgets.committed(FUND, fx.QUWO, 2025) == decimal.Decimal("400.00")
    assert budgets.remaining(FUND, fx.QUWO, 2025) is None  # no row
    fx.budget(1000)
    assert budgets.remaining(FUND, fx.QUWO, 2025) == 600


def test_year_follows_the_local_approval_date(w):
    e = _entitlement(fx.VILLAGE, "100")
    # 2025-12-31 20:00 in 山西 is 12:00 UTC: still 2025.
    e.reviewed_at = datetime.datetime(2025, 12, 31, 12, tzinfo=datetime.UTC)
    e.save()
    assert budgets.committed(FUND, fx.QUWO, 2025) == 100
    # 2026-01-01 01:00 in 山西 is 2025-12-31 17:00 UTC: already 2026.
    e.reviewed_at = datetime.datetime(2025, 12, 31, 17, tzinfo=datetime.UTC)
    e.save()
    assert budgets.committed(FUND, fx.QUWO, 2025) == 0
    assert budgets.committed(FUND, fx.QUWO, 2026) == 100


def test_nearest_budget_applies_and_shares_do_not_overlap(w):
    city = fx.budget(10_000, region=fx.LINFEN)
    assert budgets.applicable_budget(FUND, fx.VILLAGE, 2025) == city
    county = fx.budget(1_000, region=fx.QUWO)
    assert budgets.applicable_budget(FUND, fx.VILLAGE, 2025) == county
    assert budgets.applicable_budget(FUND, fx.HOUMA_COMMUNITY, 2025) == city
    assert budgets.applicable_budget(FUND, "140105000000", 2025) is None  # 太原
    _entitlement(fx.VILLAGE, "300")
    _entitlement(fx.HOUMA_COMMUNITY, "500")
    assert budgets.committed(FUND, fx.QUWO, 2025) == 300
    assert budgets.committed(FUND, fx.LINFEN, 2025) == 500  # 曲沃's spending is 曲沃's
    rows = {r["budget"].region_code: r for r in budgets.budget_rows([city, county])}
    assert rows[fx.LINFEN]["remaining"] == 9_500 and rows[fx.QUWO]["remaining"] == 700


def test_reserve(w):
    fx.budget(1000)
    _entitlement(fx.VILLAGE, "600")
    with transaction.atomic():
        assert budgets.reserve(fund=FUND, region_code=fx.VILLAGE, amount=400, on=fx.MONDAY)
        with pytest.raises(JiuyeError, match=r"400\.01 yuan asked, 400\.00 yuan left"):
            budgets.reserve(fund=FUND, region_code=fx.VILLAGE, amount="400.01", on=fx.MONDAY)
        with pytest.raises(JiuyeError, match="no 2026 budget"):
            budgets.reserve(
                fund=FUND, region_code=fx.VILLAGE, amount=1, on=datetime.date(2026, 1, 1)
            )


def test_reserve_locks_the_budget_row(w):
    fx.budget(1000)
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        budgets.reserve(fund=FUND, region_code=fx.VILLAGE, amount=1, on=fx.MONDAY)
    locking = [q["sql"] for q in queries.captured_queries if "FOR UPDATE" in q["sql"]]
    if connection.features.has_select_for_update:
        assert len(locking) == 1 and "policies_fundbudget" in locking[0]
    else:
        # SQLite: no row locks; every write transaction takes the database lock at BEGIN.
        assert connection.vendor == "sqlite" and not locking


@pytest.mark.django_db(transaction=True)
def test_concurrent_approvals_cannot_both_pass(
    staff, person_factory, monkeypatch, settings, tmp_path
):
    """Two reviewers approve at once against a budget that holds one of them: the second waits
    for the first's lock and then sees its amount. PostgreSQL only (SQLite in memory has one
    connection)."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks: PostgreSQL")
    from jiuye.policies import entitlements

    w = fx.build_world(staff, person_factory, monkeypatch, settings, tmp_path)
    fx.budget(1500, fund="ui_fund", year=timezone.localdate().year)
    run = fx.run_for()
    fx.result_for(w.quwo, run=run, amount="1000")
    fx.result_for(w.quwo2, run=run, amount="1000")
    entitlements.grant_from_run(run=run, actor=w.u.county_operator)
    ids = []
    for e in Entitlement.objects.order_by("id"):
        entitlements.confirm_account(
            e, actor=w.u.county_operator, account_holder="x", bank_name="y", bank_account="1" * 16
        )
        ids.append(e.pk)

    first_holds_lock = threading.Event()
    release_first = threading.Event()
    outcomes = {}

    def first():
        try:
            with transaction.atomic():
                entitlements.approve(Entitlement.objects.get(pk=ids[0]), actor=w.u.county_reviewer)
                first_holds_lock.set()
                release_first.wait(30)
            outcomes["first"] = "approved"
        except JiuyeError as exc:
            outcomes["first"] = str(exc.message)
        finally:
            first_holds_lock.set()
            connections.close_all()

    def second():
        try:
            entitlements.approve(Entitlement.objects.get(pk=ids[1]), actor=w.u.county_reviewer2)
            outcomes["second"] = "approved"
        except JiuyeError as exc:
            outcomes["second"] = str(exc.message)
        finally:
            connections.close_all()

    t1 = threading.Thread(target=first)
    t1.start()
    assert first_holds_lock.wait(30)
    t2 = threading.Thread(target=second)
    t2.start()
    # Wait until the second approval is blocked on the budget row's lock, then let the first
    # commit. (Polled from a third connection: no sleeping on a guess.)
    with connection.cursor() as cursor:
        for _ in range(3000):
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE wait_event_type = 'Lock' AND datname = current_database()"
            )
            if cursor.fetchone()[0]:
                break
            threading.Event().wait(0.01)
    release_first.set()
    t1.join(30)
    t2.join(30)
    assert outcomes["first"] == "approved"
    assert outcomes["second"].startswith("Not enough budget")
    statuses = dict(Entitlement.objects.values_list("pk", "status"))
    assert statuses == {ids[0]: EntitlementStatus.APPROVED, ids[1]: EntitlementStatus.CONFIRMED}


# ---- writes -----------------------------------------------------------------------------------


def test_create_budget_permissions(w):
    b = budgets.create_budget(
        actor=w.u.county_operator, fund=FUND, region_code=fx.LECHANG, year=2025, amount="5000"
    )
    assert (b.region_code, b.amount) == (fx.LECHANG, 5000)
    assert AuditLog.objects.filter(action="policies.budget.create", object_id=str(b.pk)).exists()
    with pytest.raises(NotFoundError):
        budgets.create_budget(
            actor=w.u.houma_operator, fund=FUND, region_code=fx.QUWO, year=2025, amount=1
        )
    with pytest.raises(NotFoundError):  # above the actor's region
        budgets.create_budget(
            actor=w.u.county_operator, fund=FUND, region_code=fx.LINFEN, year=2025, amount=1
        )
    with pytest.raises(PermissionDeniedError):
        budgets.create_budget(
            actor=w.u.county_reviewer, fund=FUND, region_code=fx.QUWO, year=2025, amount=1
        )
    with pytest.raises(JiuyeError, match="already has a budget"):
        budgets.create_budget(
            actor=w.u.city_operator, fund=FUND, region_code=fx.LECHANG, year=2025, amount=1
        )
    with pytest.raises(JiuyeError, match="Unknown fund"):
        budgets.create_budget(
            actor=w.u.county_operator, fund="x", region_code=fx.QUWO, year=2025, amount=1
        )
    with pytest.raises(JiuyeError):
        budgets.create_budget(
            actor=w.u.county_operator, fund=FUND, region_code="141021999999", year=2025, amount=1
        )


def test_update_budget_not_below_committed(w):
    b = fx.budget(1000)
    _entitlement(fx.VILLAGE, "700")
    with pytest.raises(JiuyeError, match=r"700\.00 yuan already committed"):
        budgets.update_budget(actor=w.u.county_operator, budget=b, amount="699")
    b = budgets.update_budget(actor=w.u.county_operator, budget=b, amount="700", note="调减")
    assert (b.amount, b.note) == (700, "调减")
    with pytest.raises(NotFoundError):
        budgets.update_budget(actor=w.u.houma_operator, budget=b, amount="1")


def _xlsx(rows, name="budgets.xlsx"):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["2025年就业资金预算"])
    ws.append(["资金", "区划代码", "年度", "预算金额", "备注"])
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    buf.name = name
    return buf


def test_import_budgets_with_row_errors(w):
    existing = fx.budget(100, region=fx.LECHANG)
    source = _xlsx(
        [
            ["就业补助资金", "141021", 2025, "1,000,000", "年初预算"],
            ["失业保险基金", 141021000000, 2025, 500000.0, ""],
            ["employment_fund", "141021100000", "2025", "2000", ""],  # changes the existing one
            ["养老保险基金", "141021", 2025, 1, ""],  # unknown fund
            ["就业补助资金", "141081", 2025, 1, ""],  # 侯马: outside
            ["就业补助资金", "1410219", 2025, 1, ""],  # not a code
            ["就业补助资金", "141021", 2025, "abc", ""],  # not a number
            ["就业补助资金", "141021", 2025, 5, ""],  # twice in the file
            ["就业补助资金", "141021", 1999, 5, ""],  # bad year
        ]
    )
    report = budgets.import_budgets(actor=w.u.county_operator, source=source, filename="b.xlsx")
    assert (report.created, report.updated) == (2, 1)
    errors = dict(report.errors)
    assert sorted(errors) == [6, 7, 8, 9, 10, 11]  # the sheet's own row numbers
    assert "Unknown fund" in errors[6]
    assert "outside your jurisdiction" in errors[7]
    assert "twice" in errors[10]
    assert FundBudget.objects.get(fund=FUND, region_code=fx.QUWO).amount == 1_000_000
    assert FundBudget.objects.get(fund="ui_fund", region_code=fx.QUWO).amount == 500_000
    existing.refresh_from_db()
    assert existing.amount == 2000
    assert AuditLog.objects.filter(action="policies.budget.import").count() == 1


def test_import_needs_the_columns(w):
    wb = openpyxl.Workbook()
    wb.active.append(["资金", "金额"])
    wb.active.append(["就业补助资金", 1])
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    with pytest.raises(JiuyeError, match="needs the columns"):
        budgets.import_budgets(actor=w.u.county_operator, source=buf, filename="x.xlsx")
    with pytest.raises(JiuyeError):
        budgets.import_budgets(
            actor=w.u.county_operator, source=io.BytesIO(b"x"), filename="x.docx"
        )
