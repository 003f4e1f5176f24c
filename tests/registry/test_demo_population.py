"""The seeded demo population: valid, consistent, deterministic and idempotent."""

from __future__ import annotations

import io
from collections import Counter, defaultdict
from datetime import date

import pytest
from django.db.models import F

from jiuye.core.crypto import blind_index
from jiuye.core.idnumber import age_on, parse_id_number
from jiuye.core.uscc import validate_uscc
from jiuye.regions.models import Region
from jiuye.registry import codes
from jiuye.registry import demo_population as dp
from jiuye.registry.models import (
    Employer,
    EmploymentEvent,
    EventKind,
    Household,
    HouseholdMember,
    HukouType,
    InsuranceContribution,
    InsuredHeadcount,
    KeyGroup,
    KeyGroupMembership,
    Person,
    Relation,
)
from jiuye.registry.status import derive_status, facts_by_person

AS_OF = dp.DEFAULT_AS_OF
PEOPLE = 3000


@pytest.fixture
def population(regions):
    """3,000 people in the conftest slice under 山西 (2 villages of 曲沃县, 1 community of
    侯马市), generated once per test."""
    out = io.StringIO()
    calls = []
    report = dp.generate_population(
        region_prefix="14", people=PEOPLE, stdout=out, progress=lambda *a: calls.append(a)
    )
    assert calls[-1] == (PEOPLE, PEOPLE) and len(calls) == 2  # one call per county
    return report, out.getvalue()


@pytest.mark.django_db
def test_size_summary_and_residence(population):
    report, text = population
    assert report.people == Person.objects.count() == PEOPLE
    assert f"{PEOPLE} people" in text
    villages = set(
        Region.objects.current()
        .filter(code__startswith="14", level=5)
        .values_list("code", flat=True)
    )
    assert set(Person.objects.values_list("region_code", flat=True)) == villages
    assert report.households == Household.objects.count()
    assert 2.5 < PEOPLE / report.households < 3.2
    assert report.employers == Employer.objects.count() > 0
    assert report.events == EmploymentEvent.objects.count() > 0
    assert report.contributions == InsuranceContribution.objects.count() > 0
    assert report.headcounts == InsuredHeadcount.objects.count() > 0
    # The community in 侯马市 is urban; 曲沃县's villages are mostly rural.
    urban = Counter(
        Person.objects.filter(region_code="141081001001").values_list("hukou_type", flat=True)
    )
    assert urban[HukouType.URBAN] > 0.9 * sum(urban.values())
    rural = Counter(Person.objects.filter(region_code__startswith="141021").values_list(
        "hukou_type", flat=True))  # fmt: skip
    assert rural[HukouType.RURAL] > 0.85 * sum(rural.values())


@pytest.mark.django_db
def test_job_seekers_have_intentions(population):
    from jiuye.registry.codes import occupation
    from jiuye.registry.models import EmploymentStatus, JobIntention

    report, _ = population
    intentions = list(JobIntention.objects.select_related("person"))
    assert report.intentions == len(intentions) > 0
    unemployed = Person.objects.filter(employment_status=EmploymentStatus.UNEMPLOYED)
    seeking = {i.person_id for i in intentions}
    # Most registered unemployed people of working age registered what job they want.
    assert sum(p.pk in seeking for p in unemployed) > 0.6 * unemployed.count()
    for i in intentions:
        assert i.title and 2000 <= i.expected_wage <= 30000
        assert not i.occupation_code or occupation(i.occupation_code).level == 4
        assert i.region_code == "" or i.person.region_code.startswith(i.region_code[:4])
        assert i.active == (i.ended_on is None)
        assert i.created_at.date() <= AS_OF
    coded = sum(1 for i in intentions if i.occupation_code)
    assert 0.6 < coded / len(intentions) < 0.9  # a quarter left for the occupation coder


@pytest.mark.django_db
def test_id_numbers_valid_unique_and_consistent(population):
    people = list(Person.objects.all())
    numbers = [p.id_number for p in people]
    assert len(set(numbers)) == len(numbers)
    assert len({p.id_hash for p in people}) == len(people)
    native_counties = Counter()
    for person in people:
        info = parse_id_number(person.id_number, today=AS_OF)
        assert info.number == person.id_number
        assert info.birth_date == person.birth_date
        assert info.sex == person.sex
        assert person.native_region_code == info.region_code6 + "000000"
        assert person.id_hash == blind_index(person.id_number)
        assert person.hukou_region_code[:6] == info.region_code6
        native_counties[info.region_code6 == person.region_code[:6]] += 1
    # About 90% hold a hukou of the county they live in.
    assert 0.8 < native_counties[True] / len(people) < 0.97
    phones = [p.phone for p in people if p.phone]
    assert len(set(phones)) == len(phones)
    assert all(len(ph) == 11 and ph[0] == "1" and ph[1] in "3456789" for ph in phones)
    assert not any(p.phone for p in people if age_on(p.birth_date, AS_OF) < 16)


@pytest.mark.django_db
def test_households_have_one_head_and_plausible_ages(population):
    by_household = defaultdict(list)
    for member in HouseholdMember.objects.select_related("person", "household"):
        by_household[member.household_id].append(member)
    assert len(by_household) == Household.objects.count()
    sizes = Counter()
    for members in by_household.values():
        sizes[len(members)] += 1
        assert 1 <= len(members) <= 6
        heads = [m for m in members if m.relation == Relation.HEAD]
        assert len(heads) == 1
        head = heads[0].person
        assert {m.person.region_code for m in members} == {members[0].household.region_code}
        head_age = age_on(head.birth_date, AS_OF)
        assert head_age >= 18
        spouses = [m.person for m in members if m.relation == Relation.SPOUSE]
        assert len(spouses) <= 1
        parents_of_children = [head, *spouses]
        for m in members:
            age = age_on(m.person.birth_date, AS_OF)
            if m.relation == Relation.CHILD:
                for parent in parents_of_children:
                    gap = age_on(parent.birth_date, AS_OF) - age
                    assert 20 <= gap <= 40, (gap, m.relation)
            elif m.relation == Relation.PARENT:
                assert 20 <= age - head_age <= 40
            elif m.relation == Relation.GRANDCHILD:
                assert 40 <= head_age - age <= 80
            elif m.relation == Relation.SPOUSE:
                assert age >= 20 and abs(age - head_age) <= 15
                assert m.person.sex != head.sex
    assert set(sizes) >= {1, 2, 3, 4, 5}


@pytest.mark.django_db
def test_age_pyramid_education_and_ethnicity(population):
    people = list(Person.objects.values("birth_date", "education", "ethnicity"))
    ages = [age_on(p["birth_date"], AS_OF) for p in people]
    n = len(ages)
    assert 0.11 < sum(a < 15 for a in ages) / n < 0.22  # Shanxi 2020: 16.4% aged 0–14
    assert 0.14 < sum(a >= 60 for a in ages) / n < 0.25  # Shanxi 2020: 18.9% aged 60+
    assert all(p["education"] in codes.EDUCATION for p in people if p["education"])
    young = [p["education"] for p, a in zip(people, ages, strict=True) if 25 <= a <= 35]
    old = [p["education"] for p, a in zip(people, ages, strict=True) if a >= 70]
    college = frozenset({"10", "20", "30"})
    assert sum(e in college for e in young) / len(young) > 3 * max(
        0.01, sum(e in college for e in old) / len(old)
    )
    assert all(p["ethnicity"] in codes.ETHNICITY for p in people)
    assert sum(p["ethnicity"] == "01" for p in people) / n > 0.98


@pytest.mark.django_db
def test_employers_have_valid_credit_codes(population):
    employers = list(Employer.objects.all())
    assert len({e.uscc for e in employers}) == len(employers)
    assert len({e.name for e in employers}) == len(employers)
    for employer in employers:
        assert validate_uscc(employer.uscc) == employer.uscc
        assert employer.uscc[2:8] == employer.region_code[:6]
        assert employer.region_code.startswith(("141021", "141081"))
        assert codes.industry_code(employer.industry_code, level=2) == employer.industry_code
        assert employer.legal_representative
        if employer.uscc[:2] == "92":  # 个体工商户
            assert employer.ownership == "individual"


@pytest.mark.django_db
def test_cached_status_is_derived_and_events_are_consistent(population):
    people = {p.pk: p for p in Person.objects.only("id", "employment_status", "status_since")}
    facts = facts_by_person(people)
    for pk, person in people.items():
        assert (person.employment_status, person.status_since) == derive_status(facts.get(pk, ()))
    statuses = Counter(p.employment_status for p in people.values())
    assert statuses["employed"] > 0.3 * len(people) and statuses["unemployed"] > 0

    events = defaultdict(list)
    for event in EmploymentEvent.objects.order_by("occurred_on", "id"):
        events[event.person_id].append(event)
    window_start = date(2024, 11, 1)
    for person_events in events.values():
        employed = unemployed = False
        for event in person_events:
            assert event.occurred_on <= AS_OF
            if event.kind == EventKind.EMPLOYMENT:
                assert not employed, "a second job without ending the first"
                employed, unemployed = True, False
                assert event.form
                if event.occupation_code:
                    assert codes.occupation_code(event.occupation_code) == event.occupation_code
            elif event.kind == EventKind.EMPLOYMENT_END:
                assert employed, "employment ended without an employment"
                employed = False
            elif event.kind == EventKind.UNEMPLOYMENT:
                assert not employed and not unemployed
                unemployed = True
            else:
                assert unemployed, "unemployment ended without a registration"
                unemployed = False
        # Only the first event (the state someone was in when the window opened) is older.
        assert all(e.occurred_on >= window_start for e in person_events[1:])
    # Working age only.
    ages = dict(Person.objects.values_list("id", "birth_date"))
    for person_id, person_events in events.items():
        assert age_on(ages[person_id], person_events[0].occurred_on) >= 16


@pytest.mark.django_db
def test_key_groups_and_contributions(population):
    groups = Counter(KeyGroupMembership.objects.values_list("group", flat=True))
    assert not KeyGroupMembership.objects.filter(valid_from__gt=AS_OF).exists()
    assert not KeyGroupMembership.objects.filter(valid_to__lte=F("valid_from")).exists()
    for group in (KeyGroup.DISABLED, KeyGroup.EX_POVERTY, KeyGroup.MIGRANT_WORKER,
                  KeyGroup.GRADUATE, KeyGroup.DIBAO):  # fmt: skip
        assert groups[group] > 0, group
    assert 0.01 < groups[KeyGroup.DISABLED] / PEOPLE < 0.04
    for membership in KeyGroupMembership.objects.filter(group=KeyGroup.GRADUATE).select_related(
        "person"
    ):
        assert 21 <= age_on(membership.person.birth_date, AS_OF) <= 28
        assert membership.person.education in ("10", "20", "30")
        assert membership.details["school"] and membership.details["year"] <= AS_OF.year
    for membership in KeyGroupMembership.objects.filter(group=KeyGroup.LONG_TERM_UNEMPLOYED):
        registered = EmploymentEvent.objects.filter(
            person_id=membership.person_id,
            kind=EventKind.UNEMPLOYMENT,
            occurred_on__lte=membership.valid_from.replace(year=membership.valid_from.year - 1),
        )
        assert registered.exists()
    certificates = Person.objects.exclude(disability_certificate="")
    for person in certificates:
        assert person.disability_certificate[:18] == person.id_number
    # Contributions only with an employer the person was employed by, the last 24 months.
    months = set(InsuranceContribution.objects.values_list("month", flat=True))
    assert min(months) == date(2024, 11, 1) and max(months) == date(2026, 10, 1)
    pairs = set(
        EmploymentEvent.objects.filter(
            kind=EventKind.EMPLOYMENT, employer__isnull=False
        ).values_list("person_id", "employer_id")
    )
    paid = set(InsuranceContribution.objects.values_list("person_id", "employer_id"))
    assert paid <= pairs


@pytest.mark.django_db
def test_deterministic_and_idempotent(regions):
    first = dp.generate_population(region_prefix="141021", people=400)
    assert first.people == 400
    snapshot = list(Person.objects.order_by("id").values_list("name", "id_hash", "phone"))
    employers = list(Employer.objects.order_by("id").values_list("uscc", "name"))
    events = EmploymentEvent.objects.count()

    again = dp.generate_population(region_prefix="141021", people=400)
    assert again.people == 0 and again.skipped_units == ["141021"]
    assert "already has people" in again.text()
    assert Person.objects.count() == 400 and EmploymentEvent.objects.count() == events

    # The same seed in an empty database gives the same people and employers.
    Person.objects.all().delete()
    Household.objects.all().delete()
    Employer.objects.all().delete()
    third = dp.generate_population(region_prefix="141021", people=400)
    assert third.people == 400
    assert list(Person.objects.order_by("id").values_list("name", "id_hash", "phone")) == snapshot
    assert list(Employer.objects.order_by("id").values_list("uscc", "name")) == employers

    # Another seed, other people; a wider area fills only the units without people.
    wider = dp.generate_population(region_prefix="14", people=600, seed=7)
    assert wider.skipped_units == ["141021"]
    assert Person.objects.filter(region_code__startswith="141081").count() == wider.people > 0


def test_occupation_and_industry_tables_are_real_codes():
    used = set(dp.OCC_FLEXIBLE + dp.OCC_SELF + dp.OCC_PUBLIC_WELFARE)
    for group in dp._OCC_BY_DIVISION.values():
        used.update(group)
    for code in used:
        assert codes.occupation_code(code, level=4) == code
    for division in [*dp.INDUSTRIES.items, *dp.COMPANY_WORDS, *dp._OCC_BY_DIVISION]:
        assert codes.industry_code(division, level=2) == division


@pytest.mark.django_db(transaction=True)
def test_background_writer_on_postgresql(regions):
    """Outside a transaction, PostgreSQL units are written by a second thread with COPY."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("COPY and the background writer are PostgreSQL-only")
    report = dp.generate_population(region_prefix="14", people=1500)
    assert report.pipelined and report.method == "copy"
    assert Person.objects.count() == report.people == 1500
    people = {p.pk: p for p in Person.objects.only("id", "employment_status", "status_since")}
    facts = facts_by_person(people)
    for pk, person in people.items():
        assert (person.employment_status, person.status_since) == derive_status(facts.get(pk, ()))
    assert all(parse_id_number(p.id_number, today=AS_OF) for p in Person.objects.all()[:200])
    # The id sequences continue after the ids the generator assigned.
    household = Household.objects.create(region_code="141021100200")
    others = Household.objects.exclude(pk=household.pk).values_list("pk", flat=True)
    assert household.pk > max(others)
