"""The registry as rule input: a small registry built by hand, loaded, and every column checked
against values worked out by hand from the definitions in ``jiuye.policies.loader``."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pytest
from tests.conftest import valid_uscc

from jiuye.accounts.scoping import Scope
from jiuye.policies.inputs import SCHEMA
from jiuye.policies.loader import SITUATION_ONLY, load_population, missing_columns
from jiuye.policies.models import BlacklistEntry, Entitlement, Internship
from jiuye.registry.models import (
    Certificate,
    Employer,
    EmploymentEvent,
    Household,
    HouseholdMember,
    InsuranceContribution,
    InsuredHeadcount,
    KeyGroupMembership,
    Person,
)
from jiuye.registry.status import derive_status, facts_by_person

AS_OF = dt.date(2025, 10, 15)
QUWO = "141021000000"
HOUMA = "141081000000"
VILLAGE = "141021100200"
VILLAGE2 = "141021100201"
HOUMA_COMMUNITY = "141081001001"


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def _event(person, kind, on, **fields):
    return EmploymentEvent.objects.create(
        person=person, kind=kind, occurred_on=d(on), region_code=person.region_code, **fields
    )


def _paid(person, employer, kind, month, amount="20.00", back=False):
    return InsuranceContribution.objects.create(
        person=person,
        employer=employer,
        insurance_type=kind,
        month=d(month),
        amount=Decimal(amount),
        is_back_payment=back,
    )


def _employer(n, region, **fields):
    return Employer.objects.create(
        uscc=valid_uscc(n, region[:6]), name=f"单位{n}", region_code=region, **fields
    )


@pytest.fixture
def registry(person_factory):
    """People and employers of 曲沃 (and a few of 侯马) with everything the loader reads."""
    e1 = _employer(1, "141021100000", ownership="private", size_class="small", industry_code="13")
    e2 = _employer(2, VILLAGE, ownership="government", size_class="small", industry_code="92")
    e3 = _employer(3, HOUMA_COMMUNITY, ownership="private", size_class="micro")

    # p1: graduate of 2025, registered unemployed, hired by e1 on 2025-08-01.
    p1 = person_factory("张一", VILLAGE, d("2002-05-01"), education="21")
    KeyGroupMembership.objects.create(
        person=p1,
        group="graduate",
        valid_from=d("2025-07-01"),
        details={"year": 2025, "school": "山西大学", "degree": "本科"},
    )
    _event(p1, "unemployment", "2025-07-10")
    hire1 = _event(
        p1,
        "employment",
        "2025-08-01",
        employer=e1,
        form="unit",
        contract_type="fixed",
        contract_end=d("2028-07-31"),
    )
    for month in ("2025-08-01", "2025-09-01", "2025-10-01"):
        _paid(p1, e1, "unemployment", month)
        _paid(p1, e1, "injury", month)
        _paid(p1, e1, "pension", month, back=month == "2025-10-01")
    Certificate.objects.create(
        person=p1, name="电工", occupation_code="6-31-01-03", level=4, issued_on=d("2025-09-01")
    )
    Certificate.objects.create(
        person=p1, name="电工", occupation_code="6-31-01-03", level=3, issued_on=d("2025-12-01")
    )

    # p2 and p3: one urban household on 低保; p3 holds a disability certificate.
    household = Household.objects.create(region_code=VILLAGE, hukou_type="urban")
    p2 = person_factory("李二", VILLAGE, d("1980-03-03"), female=True)
    p3 = person_factory("王三", VILLAGE, d("1975-01-01"), disability_certificate="14102119750101")
    HouseholdMember.objects.create(household=household, person=p2, relation="head")
    HouseholdMember.objects.create(household=household, person=p3, relation="spouse")
    KeyGroupMembership.objects.create(person=p2, group="dibao", valid_from=d("2020-01-01"))
    KeyGroupMembership.objects.create(
        person=p2, group="difficulty", category="dibao", valid_from=d("2025-02-01")
    )
    # An ended recognition and a future one do not count.
    KeyGroupMembership.objects.create(
        person=p2, group="veteran", valid_from=d("2010-01-01"), valid_to=d("2020-01-01")
    )
    KeyGroupMembership.objects.create(person=p2, group="land_lost", valid_from=d("2026-01-01"))
    _event(p2, "unemployment", "2024-01-05")
    for month, amount in (("2025-06-01", "400"), ("2025-07-01", "500"), ("2025-08-01", "500")):
        _paid(p2, None, "pension", month, amount)
    _paid(p2, None, "pension", "2025-09-01", "500", back=True)
    _paid(p2, None, "medical", "2025-09-01", "120.50")
    # p3 runs an individual business since 2023 and pays flexible-worker insurance.
    _event(p3, "employment", "2023-03-01", form="self_employed", employer_name="王三小吃店")
    _paid(p3, None, "medical", "2025-09-01", "300")

    # p4 lives in 侯马 and was hired by e1 (曲沃) in May.
    p4 = person_factory("赵四", HOUMA_COMMUNITY, d("1990-09-09"))
    _event(p4, "employment", "2025-05-01", employer=e1, form="unit", contract_type="none")
    for month in ("2024-11-01", "2024-12-01", *[f"2025-0{m}-01" for m in range(5, 10)]):
        _paid(p4, e1, "unemployment", month)
    _paid(p4, e1, "unemployment", "2024-10-01", back=True)

    # p5 was merged into p1: never loaded.
    p5 = person_factory("张一", VILLAGE, d("2002-05-02"))
    Person.objects.filter(pk=p5.pk).update(merged_into=p1)

    # p6: an employment registration corrected into an unemployment registration.
    p6 = person_factory("孙六", VILLAGE2, d("1995-06-06"))
    wrong = _event(p6, "employment", "2025-01-01", employer=e2, form="unit")
    _event(p6, "unemployment", "2025-01-01", supersedes=wrong)

    # p7: an open-ended job at e2 that ended, then unemployed again.
    p7 = person_factory("周七", VILLAGE2, d("1985-07-07"))
    hire7 = _event(
        p7, "employment", "2024-09-01", employer=e2, form="unit", contract_type="open_ended"
    )
    _event(p7, "employment_end", "2025-06-30", employer=e2, reason="用人单位经济性裁员")
    _event(p7, "unemployment", "2025-07-05")

    # p8 and p9 left e2 in 2024: a layoff and a retirement (not a layoff).
    p8 = person_factory("吴八", VILLAGE2, d("1970-08-08"))
    _event(p8, "employment", "2020-01-01", employer=e2, form="unit")
    _event(p8, "employment_end", "2024-05-01", employer=e2, reason="双方协商一致解除劳动合同")
    p9 = person_factory("郑九", VILLAGE2, d("1964-09-09"))
    _event(p9, "employment", "2020-01-01", employer=e2, form="unit")
    _event(p9, "employment_end", "2024-06-01", employer=e2, reason="达到法定退休年龄")

    # Headcounts of e1: last year January, June and December, and this October.
    for month, insured in (("2024-01-01", 10), ("2024-06-01", 11), ("2024-12-01", 12)):
        InsuredHeadcount.objects.create(employer=e1, month=d(month), insured=insured)
    InsuredHeadcount.objects.create(employer=e1, month=d("2025-08-01"), insured=14)

    # Blacklist: e1 listed in 2023 (three years, still listed); e2 removed; e3 expired.
    BlacklistEntry.objects.create(
        employer=e1, region_code=e1.region_code, listed_on=d("2023-01-10"), reason="拖欠工资"
    )
    BlacklistEntry.objects.create(
        employer=e2,
        region_code=e2.region_code,
        listed_on=d("2021-05-01"),
        removed_on=d("2022-05-01"),
        reason="旧案",
    )
    BlacklistEntry.objects.create(
        employer=e3, region_code=e3.region_code, listed_on=d("2022-01-01"), reason="已到期"
    )

    internship = Internship.objects.create(
        person=p2,
        host=e3,
        region_code=e3.region_code,
        start_on=d("2025-03-01"),
        planned_end_on=d("2025-09-01"),
        ended_on=d("2025-09-01"),
    )

    common = {"payee_type": "person", "fund": "employment_fund", "region_code": VILLAGE}
    Entitlement.objects.create(
        policy="skill_subsidy",
        subject_type="person",
        subject_id=p3.pk,
        payee_id=p3.pk,
        period="2025",
        amount=Decimal("1000"),
        status="approved",
        **common,
    )
    Entitlement.objects.create(
        policy="expansion_subsidy",
        subject_type="person",
        subject_id=p1.pk,
        payee_id=p1.pk,
        period="once",
        amount=Decimal("1500"),
        status="rejected",
        **common,
    )
    return {
        **{f"p{i}": p for i, p in enumerate([None, p1, p2, p3, p4, p5, p6, p7, p8, p9]) if p},
        "e1": e1,
        "e2": e2,
        "e3": e3,
        "hire1": hire1,
        "hire7": hire7,
        "internship": internship,
    }


def row(population, entity: str, id_: int) -> dict:
    table = population[entity]
    (index,) = np.flatnonzero(table["id"] == id_)
    return table.row(int(index))


@pytest.fixture
def loaded(registry):
    return load_population(as_of=AS_OF, region_prefixes=QUWO)


def test_every_column_is_computed_or_declared_situation_only():
    assert missing_columns() == {}
    for entity, names in SITUATION_ONLY.items():
        known = {c.name for c in SCHEMA[entity]}
        assert names <= known, f"{entity}: {sorted(names - known)} are not in SCHEMA"


def test_tables_have_every_schema_column_with_its_type(loaded):
    kinds = {"int": "i", "float": "f", "bool": "b", "date": "M", "str": "U"}
    for entity, columns in SCHEMA.items():
        table = loaded[entity]
        for column in columns:
            assert table[column.name].dtype.kind == kinds[column.kind], (entity, column.name)


def test_who_is_loaded(registry, loaded):
    ids = set(loaded["person"]["id"].tolist())
    r = registry
    # Residents of 曲沃, plus p4 (侯马) hired by an employer of 曲沃; never the merged p5.
    assert ids == {r[f"p{i}"].pk for i in (1, 2, 3, 4, 6, 7, 8, 9)}
    # e1 and e2 are in 曲沃; e3 (侯马) hosts p2's internship.
    assert set(loaded["employer"]["id"].tolist()) == {r["e1"].pk, r["e2"].pk, r["e3"].pk}
    houma = load_population(as_of=AS_OF, region_prefixes=HOUMA)
    # 侯马: p4 lives there; e1 employs p4; p2 interns at e3.
    assert set(houma["person"]["id"].tolist()) == {r["p4"].pk, r["p2"].pk}
    assert set(houma["employer"]["id"].tolist()) == {r["e1"].pk, r["e3"].pk}


def test_targeted_load_and_scopes(registry):
    r = registry
    one = load_population(as_of=AS_OF, region_prefixes=QUWO, person_ids=[r["p1"].pk])
    assert one["person"]["id"].tolist() == [r["p1"].pk]
    assert one["employer"]["id"].tolist() == [r["e1"].pk]  # only as p1's employer
    outside = load_population(as_of=AS_OF, region_prefixes=HOUMA, person_ids=[r["p1"].pk])
    assert len(outside["person"]) == 0
    employers = load_population(as_of=AS_OF, region_prefixes=QUWO, employer_ids=[r["e2"].pk])
    # e2's hires in the window: p7 (2024-09-01); p6's hire was corrected away.
    assert set(employers["person"]["id"].tolist()) == {r["p7"].pk}
    everything = load_population(as_of=AS_OF, region_prefixes=Scope(everything=True))
    assert len(everything["person"]) == 8
    several = load_population(as_of=AS_OF, region_prefixes=["141021100200", HOUMA])
    # The village's residents, 侯马's p4, and p7 of the other village hired by e2 (seated in
    # this village); not p6, p8 or p9 of the other village.
    expected = {r[f"p{i}"].pk for i in (1, 2, 3, 4, 7)}
    assert set(several["person"]["id"].tolist()) == expected


def test_person_columns(registry, loaded):
    r = registry
    p1 = row(loaded, "person", r["p1"].pk)
    assert p1["region_code"] == VILLAGE
    assert p1["birth_date"] == np.datetime64("2002-05-01")
    assert p1["sex"] == "1" and p1["education"] == "21"
    assert p1["employment_status"] == "employed"
    assert p1["employed_since"] == np.datetime64("2025-08-01")
    assert np.isnat(p1["unemployed_since"])
    assert p1["employment_form"] == "unit" and p1["employer_id"] == r["e1"].pk
    assert p1["graduate"] and p1["graduate_year"] == 2025 and not p1["in_school"]
    assert p1["left_school_on"] == np.datetime64("2025-07-01")
    assert p1["ui_months"] == 3
    assert p1["household_id"] == 0 and not p1["dibao"] and not p1["disabled"]

    p2 = row(loaded, "person", r["p2"].pk)
    assert p2["sex"] == "2" and p2["hukou_type"] == "urban"  # from the household
    assert p2["employment_status"] == "unemployed"
    assert p2["unemployed_since"] == np.datetime64("2024-01-05")
    assert p2["dibao"] and p2["poor_disabled_family"] and not p2["disabled"]
    assert p2["difficulty"] and p2["difficulty_category"] == "dibao"
    assert p2["difficulty_since"] == np.datetime64("2025-02-01")
    assert not p2["veteran"] and not p2["land_lost"]  # ended; not yet valid
    # The quarter before 2025-10-15 is July–September: 500 + 500 (back-paid, still paid)
    # + 120.50 in months July, August, September; June does not count.
    assert p2["flex_contrib_period"] == pytest.approx(1620.50)
    assert p2["flex_months_period"] == 3
    assert p2["ui_months"] == 0
    assert not p2["graduate"] and p2["graduate_year"] == 0 and np.isnat(p2["left_school_on"])

    p3 = row(loaded, "person", r["p3"].pk)
    assert p3["disabled"] and p3["dibao"] and p3["poor_disabled_family"]  # household-wide
    assert not p3["difficulty"]
    assert p3["employment_status"] == "employed" and p3["employment_form"] == "self_employed"
    assert p3["employer_id"] == 0
    assert p3["business_started_on"] == np.datetime64("2023-03-01")
    assert p3["business_kind"] == "individual"
    assert p3["business_running"] and p3["business_insured"] and p3["first_business"]
    assert p3["flex_contrib_period"] == pytest.approx(300.0) and p3["flex_months_period"] == 1

    assert row(loaded, "person", r["p1"].pk)["business_kind"] == ""
    p6 = row(loaded, "person", r["p6"].pk)
    assert p6["employment_status"] == "unemployed"
    assert p6["unemployed_since"] == np.datetime64("2025-01-01")
    p7 = row(loaded, "person", r["p7"].pk)
    assert p7["employment_status"] == "unemployed"
    assert p7["unemployed_since"] == np.datetime64("2025-07-05")
    p9 = row(loaded, "person", r["p9"].pk)
    assert p9["employment_status"] == "unknown" and p9["employer_id"] == 0
    # SITUATION_ONLY columns keep their empty value.
    assert not p1["drawing_ui_benefit"] and np.isnan(p1["loan_amount"])


def test_status_matches_the_registry_derivation(registry):
    people = [registry[f"p{i}"] for i in (1, 2, 3, 4, 6, 7, 8, 9)]
    facts = facts_by_person([p.pk for p in people])
    for as_of in (dt.date(2024, 3, 1), dt.date(2025, 1, 1), dt.date(2025, 7, 6), AS_OF):
        population = load_population(as_of=as_of, region_prefixes="14")
        for person in people:
            status, since = derive_status(facts.get(person.pk, ()), as_of=as_of)
            got = row(population, "person", person.pk)
            assert got["employment_status"] == status, (person.name, as_of)
            if status != "unknown":
                column = "employed_since" if status == "employed" else "unemployed_since"
                assert got[column] == np.datetime64(since), (person.name, as_of)


def test_hire_columns(registry, loaded):
    r = registry
    hire1 = row(loaded, "hire", r["hire1"].pk)
    assert hire1["person_id"] == r["p1"].pk and hire1["employer_id"] == r["e1"].pk
    assert hire1["hired_on"] == np.datetime64("2025-08-01")
    assert hire1["contract_months"] == 36  # to 2028-07-31 inclusive
    assert hire1["region_code"] == VILLAGE
    assert hire1["ui_months_after"] == 3 and hire1["injury_months_after"] == 3
    assert hire1["pension_months_after"] == 2  # October was a back payment
    assert hire1["still_employed"]
    assert hire1["unemployed_months_before"] == 1  # registered 2025-07-10, under a month
    assert not hire1["difficulty_at_hire"]

    hire7 = row(loaded, "hire", r["hire7"].pk)
    assert hire7["contract_months"] == 999 and not hire7["still_employed"]
    assert hire7["unemployed_months_before"] == 0
    assert hire7["ui_months_after"] == 0

    hires = loaded["hire"]
    p4 = np.flatnonzero(hires["person_id"] == r["p4"].pk)
    assert len(p4) == 1
    assert hires["contract_months"][p4[0]] == 0  # no written contract
    assert hires["ui_months_after"][p4[0]] == 5  # May–September 2025
    # p6's corrected registration is no hire; p8 and p9 were hired before the window.
    assert set(hires["person_id"].tolist()) == {r["p1"].pk, r["p4"].pk, r["p7"].pk}


def test_difficulty_at_hire(registry):
    r = registry
    KeyGroupMembership.objects.create(
        person=r["p7"],
        group="difficulty",
        category="long_term",
        valid_from=d("2024-01-01"),
        valid_to=d("2025-01-01"),
    )
    population = load_population(as_of=AS_OF, region_prefixes=QUWO)
    assert row(population, "hire", r["hire7"].pk)["difficulty_at_hire"]
    assert not row(population, "person", r["p7"].pk)["difficulty"]  # ended before as_of


def test_employer_columns(registry, loaded):
    r = registry
    e1 = row(loaded, "employer", r["e1"].pk)
    assert e1["region_code"] == "141021100000"
    assert e1["ownership"] == "private" and e1["size_class"] == "small"
    assert e1["industry_code"] == "13"
    # No October report yet, September neither: August's 14 (two months' lag allowed).
    assert e1["insured_now"] == 14
    assert e1["insured_start"] == 10 and e1["insured_end"] == 12
    assert e1["insured_avg"] == pytest.approx(11.0)
    assert e1["ui_paid"] == pytest.approx(40.0)  # 2024-11 and 2024-12; not the back payment
    # Months paid up to September 2025: 2024-11, 2024-12, 2025-05 … 2025-09.
    assert e1["ui_months_full"] == 5
    assert e1["blacklisted"] and e1["blacklist_reason"] == "拖欠工资"
    assert e1["new_key_hires"] == 1  # p1 (graduate, registered unemployed); not p4
    assert e1["separations"] == 0

    e2 = row(loaded, "employer", r["e2"].pk)
    assert e2["ownership"] == "government"
    assert e2["separations"] == 1  # p8; p9 retired
    assert e2["insured_now"] == 0 and np.isnan(e2["insured_avg"])
    assert not e2["blacklisted"] and e2["blacklist_reason"] == ""
    e3 = row(loaded, "employer", r["e3"].pk)
    assert not e3["blacklisted"]  # listed 2022-01-01, three years, no removal date
    assert e3["ui_claimants"] == 0  # SITUATION_ONLY


def test_certificates_internships_history(registry, loaded):
    r = registry
    certificates = loaded["certificate"]
    assert certificates["person_id"].tolist() == [r["p1"].pk]  # not the one issued later
    assert certificates["level"].tolist() == [4]
    assert certificates["occupation_code"].tolist() == ["6-31-01-03"]
    assert certificates["issued_on"].tolist() == [dt.date(2025, 9, 1)]

    internship = row(loaded, "internship", r["internship"].pk)
    assert internship["person_id"] == r["p2"].pk and internship["employer_id"] == r["e3"].pk
    assert internship["region_code"] == HOUMA_COMMUNITY
    assert internship["start_on"] == np.datetime64("2025-03-01")
    assert internship["ended_on"] == np.datetime64("2025-09-01")
    assert np.isnat(internship["retained_on"])

    history = loaded["history"]
    assert history["policy"].tolist() == ["skill_subsidy"]  # the rejected one is left out
    assert history["subject_id"].tolist() == [r["p3"].pk]
    assert history["amount"].tolist() == [1000.0]
    assert history["period"].tolist() == ["2025"]
    assert not np.isnat(history["granted_on"]).any()


def test_empty_region(regions):
    population = load_population(as_of=AS_OF, region_prefixes="140105000000")
    for entity in SCHEMA:
        assert len(population[entity]) == 0


def test_employer_share_of_contributions_last_quarter(registry):
    """``employer_contrib_period``: the unit's own share (pension, medical, unemployment) for
    the person in the previous quarter (2025-Q3 for an as-of day in October), back payments
    not counted; unknown (NaN) where no row reports the share."""
    r = registry

    def share(kind, month, amount, unit, back=False):
        c = _paid(r["p1"], r["e1"], kind, month, amount=amount, back=back)
        c.employer_amount = Decimal(unit)
        c.save()

    # hire1's own rows (created by the fixture) report no share; these do.
    InsuranceContribution.objects.filter(person=r["p1"], employer=r["e1"]).delete()
    share("pension", "2025-08-01", "240.00", "160.00")
    share("medical", "2025-09-01", "85.00", "65.00")
    share("unemployment", "2025-09-01", "10.00", "5.00", back=True)  # back payment: not counted
    share("pension", "2025-10-01", "240.00", "160.00")  # this quarter: not counted
    share("injury", "2025-09-01", "8.00", "8.00")  # not one of the three insurances
    population = load_population(as_of=AS_OF, region_prefixes=QUWO)
    assert row(population, "hire", r["hire1"].pk)["employer_contrib_period"] == 225.0
    assert np.isnan(row(population, "hire", r["hire7"].pk)["employer_contrib_period"])
