"""Fund performance: budget, committed, paid, remaining and outcomes by region, computed by hand
for a small county (乐昌镇 and 史村镇 in 曲沃县) with a neighbour (侯马市) that must stay out.

    乐昌镇  budget 30,000; p1 paid 1,500 (扩岗) + 500 (a person's own subsidy); p2 1,500 in a
            batch and 500 waiting after a failed payment (committed 2,000)
    史村镇  no budget of its own; p3 paid 1,000 (own subsidy), 1,000 approved (吸纳, committed);
            employer e2 paid 20,000 稳岗返还 for 2024: insured 42 in 2024-12
    曲沃县  budget 100,000 (its own row: the 乐昌镇 row is part of it, not added)
    outside the year, another fund, another county: never counted.
"""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
from django.utils import timezone, translation
from tests.policies.test_payments import entitlement, make_employer

from jiuye.core.models import AuditLog
from jiuye.policies import performance as perf
from jiuye.policies.models import (
    BatchStatus,
    EntitlementStatus,
    Fund,
    FundBudget,
    PaymentBatch,
    PaymentItem,
)
from jiuye.regions.models import Region
from jiuye.registry.models import InsuredHeadcount

D = datetime.date
UI = Fund.UNEMPLOYMENT_INSURANCE
QUWO, LECHANG, SHICUN, HOUMA, CITY = (
    "141021000000",
    "141021100000",
    "141021101000",
    "141081000000",
    "141000000000",
)


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def at(year, month, day, hour=12, minute=0):
    return datetime.datetime(year, month, day, hour, minute, tzinfo=timezone.get_current_timezone())


def _batch(region_code=QUWO, fund=UI):
    return PaymentBatch.objects.create(
        name="b",
        fund=fund,
        region_code=region_code,
        declared_count=100,
        declared_total=Decimal("1000000"),
        status=BatchStatus.RECONCILED,
    )


def paid(ent, batch, settled_at):
    """A settled payment of ``ent`` (written directly: the batch actions are tested elsewhere)."""
    ent.status = EntitlementStatus.PAID
    ent.save(update_fields=["status"])
    return PaymentItem.objects.create(
        batch=batch,
        entitlement=ent,
        policy=ent.policy,
        subject_type=ent.subject_type,
        subject_id=ent.subject_id,
        period=ent.period,
        region_code=ent.region_code,
        amount=ent.amount,
        payee_name=ent.account_holder,
        status="paid",
        settled_at=settled_at,
    )


@pytest.fixture
def example(staff, person_factory):
    admin = staff["province_admin"]
    p1 = person_factory("甲", "141021100200")
    p2 = person_factory("乙", "141021100201")
    p3 = person_factory("丙", SHICUN)
    p4 = person_factory("丁", "141081001001")
    e1 = make_employer(admin, 1, LECHANG, "乐昌企业")
    e2 = make_employer(admin, 2, SHICUN, "史村企业")
    e3 = make_employer(admin, 3, "141081001000", "侯马企业")
    for code, amount in ((QUWO, 100000), (LECHANG, 30000), (HOUMA, 50000), (CITY, 500000)):
        FundBudget.objects.create(fund=UI, region_code=code, year=2025, amount=amount)
    FundBudget.objects.create(fund=UI, region_code=QUWO, year=2024, amount=1)
    FundBudget.objects.create(fund=Fund.EMPLOYMENT_SUBSIDY, region_code=QUWO, year=2025, amount=7)

    quwo, houma = _batch(), _batch(HOUMA)
    reviewed = at(2025, 5, 1)
    paid(entitlement(p1, payee=e1, reviewed_at=reviewed), quwo, at(2025, 6, 1))
    paid(
        entitlement(p1, policy="skills_subsidy", period="2025", amount=500, reviewed_at=reviewed),
        quwo,
        at(2025, 1, 1, 0, 30),  # 2025 in Shanghai, still 2024 in UTC
    )
    entitlement(p2, payee=e1, status=EntitlementStatus.IN_BATCH, reviewed_at=reviewed)
    entitlement(
        p2,
        policy="skills_subsidy",
        period="2025",
        amount=500,
        status=EntitlementStatus.PAYMENT_FAILED,
        reviewed_at=reviewed,
    )
    paid(entitlement(p3, policy="skills_subsidy", period="2025", amount=1000), quwo, at(2025, 3, 3))
    entitlement(p3, payee=e2, policy="absorption_subsidy", amount=1000, reviewed_at=reviewed)
    paid(
        entitlement(e2, policy="stabilisation_refund", period="2024", amount=20000),
        quwo,
        at(2025, 4, 4),
    )
    for month, insured in ((D(2024, 11, 1), 40), (D(2024, 12, 1), 42), (D(2025, 1, 1), 50)):
        InsuredHeadcount.objects.create(employer=e2, month=month, insured=insured)

    # Never in 曲沃 2025 ui_fund: paid in 2024 (Shanghai time), approved in 2024, other fund.
    paid(
        entitlement(p2, policy="skills_subsidy", period="2024", amount=9, reviewed_at=reviewed),
        quwo,
        at(2024, 12, 31, 23, 30),
    )
    entitlement(p1, policy="skills_subsidy", period="2024", amount=9, reviewed_at=at(2024, 7, 1))
    paid(
        entitlement(p1, policy="other", amount=9, fund=Fund.EMPLOYMENT_SUBSIDY),
        _batch(fund=Fund.EMPLOYMENT_SUBSIDY),
        at(2025, 6, 1),
    )
    # 侯马: only in the city's figures.
    paid(entitlement(p4, payee=e3), houma, at(2025, 6, 1))
    return {"p1": p1, "p2": p2, "p3": p3, "e2": e2}


def region(code):
    return Region.objects.get(code=code)


def test_county_rows_and_total(example, staff):
    result = perf.performance(staff["county_operator"], fund=UI, year=2025, region=region(QUWO))
    rows = {r.name: r for r in result.rows}
    assert list(rows) == ["乐昌镇", "史村镇"]
    lechang, shicun, total = rows["乐昌镇"], rows["史村镇"], result.total

    assert lechang.budget == Decimal("30000")
    assert lechang.committed == Decimal("2000")
    assert lechang.paid == Decimal("2000")
    assert lechang.remaining == Decimal("26000")
    assert lechang.execution_rate == Decimal("6.7")
    assert (lechang.people_employed, lechang.jobs_stabilised, lechang.people_paid) == (1, 0, 1)
    assert lechang.amount_per_person == Decimal("2000.00")
    assert lechang.has_children

    assert shicun.budget is None and shicun.remaining is None and shicun.execution_rate is None
    assert shicun.committed == Decimal("1000")
    assert shicun.paid == Decimal("21000")
    assert (shicun.people_employed, shicun.jobs_stabilised, shicun.people_paid) == (0, 42, 1)
    assert shicun.amount_per_person == Decimal("1000.00")

    assert total.name == "曲沃县"
    assert total.budget == Decimal("100000")
    assert total.committed == Decimal("3000")
    assert total.paid == Decimal("23000")
    assert total.remaining == Decimal("74000")
    assert total.execution_rate == Decimal("23.0")
    assert (total.people_employed, total.jobs_stabilised, total.people_paid) == (1, 42, 2)
    assert total.amount_per_person == Decimal("1500.00")


def test_city_drill_level_and_scope(example, staff):
    result = perf.performance(staff["province_leader"], fund=UI, year=2025, region=region(CITY))
    rows = {r.name: r for r in result.rows}
    assert rows["曲沃县"].budget == Decimal("100000") and rows["曲沃县"].paid == Decimal("23000")
    assert rows["侯马市"].budget == Decimal("50000") and rows["侯马市"].paid == Decimal("1500")
    assert rows["侯马市"].people_employed == 1
    assert result.total.budget == Decimal("500000")
    assert result.total.paid == Decimal("24500") and result.total.people_employed == 2

    # A county user asking for the city sees only what lies in their county.
    county = perf.performance(staff["county_operator"], fund=UI, year=2025, region=region(CITY))
    assert county.total.paid == Decimal("23000") and county.total.budget == Decimal("100000")


def test_other_year_and_fund(example, staff):
    user = staff["county_operator"]
    last = perf.performance(user, fund=UI, year=2024, region=region(QUWO)).total
    assert last.budget == Decimal("1") and last.paid == Decimal("9") and last.committed == 9
    other = perf.performance(
        user, fund=Fund.EMPLOYMENT_SUBSIDY, year=2025, region=region(QUWO)
    ).total
    assert other.budget == Decimal("7") and other.paid == Decimal("9")
    assert (
        perf.available_years(user, UI)[:3]
        == sorted({2024, 2025, timezone.localdate().year}, reverse=True)[:3]
    )


def test_records_directly_at_the_county_get_their_own_row(example, staff):
    county_level = example["p3"]
    ent = entitlement(county_level, policy="skills_subsidy", period="x", region_code=QUWO)
    paid(ent, _batch(), at(2025, 8, 8))
    result = perf.performance(staff["county_operator"], fund=UI, year=2025, region=region(QUWO))
    direct = result.rows[-1]
    assert direct.code == "" and "曲沃县" in direct.name and direct.paid == Decimal("1500")
    assert result.total.paid == Decimal("24500")


def test_a_village_has_only_its_total(example, staff):
    result = perf.performance(
        staff["county_operator"], fund=UI, year=2025, region=region("141021100200")
    )
    assert result.rows == [] and result.total.paid == Decimal("2000")


@pytest.mark.parametrize(
    ("period", "expected"),
    [
        ("2024", D(2024, 12, 1)),
        ("2025-Q2", D(2025, 6, 1)),
        ("2025-07", D(2025, 7, 1)),
        ("once", D(2025, 3, 1)),
        ("2025-13", D(2025, 3, 1)),
    ],
)
def test_period_end_month(period, expected):
    assert perf.period_end_month(period, D(2025, 3, 17)) == expected


# ---- the page --------------------------------------------------------------------------------

PAGE = "/policies/performance/"
EXPORT = "/policies/performance/export/"


def test_page_shows_the_table_and_the_chart(example, staff, client_for):
    response = client_for(staff["county_operator"]).get(PAGE, {"year": 2025})
    assert response.status_code == 200
    body = response.content.decode()
    assert "vendor/echarts/echarts.min.js" in body and 'id="performance-chart-data"' in body
    assert response.context["region"].code == QUWO
    chart = response.context["chart"]
    assert chart["names"] == ["乐昌镇", "史村镇"]
    assert chart["series"][1]["values"] == [2000.0, 21000.0]
    table = body.split('id="performance-table"', 1)[1].split("</table>", 1)[0]
    assert "23000" in table and "74000" in table and "23.0" in table
    # 乐昌镇 has villages: a drill-down link keeping fund and year.
    assert f"?region={LECHANG}&amp;fund=ui_fund&amp;year=2025" in table


def test_page_drills_down_and_answers_404_outside_scope(example, staff, client_for):
    qw = client_for(staff["county_operator"])
    response = qw.get(PAGE, {"region": LECHANG, "year": 2025}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body
    assert "东北街村" in body and "西南街村" in body and "史村镇" not in body
    hm = client_for(staff["houma_operator"])
    assert hm.get(PAGE, {"region": QUWO}).status_code == 404
    assert hm.get(EXPORT, {"region": QUWO}).status_code == 404
    assert hm.get(PAGE).context["region"].code == HOUMA


def test_export_reads_back(example, staff, client_for):
    response = client_for(staff["county_operator"]).get(
        EXPORT, {"region": QUWO, "year": 2025, "fund": "ui_fund"}
    )
    assert response.status_code == 200
    ws = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    assert rows[0][:3] == ["Region code", "Region", "Budget (yuan)"]
    assert rows[1][:2] == [LECHANG, "乐昌镇"] and rows[1][4] == 2000
    assert rows[-1][1] == "Total: 曲沃县" and rows[-1][4] == 23000 and rows[-1][8] == 42
    log = AuditLog.objects.get(action="policies.performance.export")
    assert log.region_code == QUWO and log.after["year"] == 2025
