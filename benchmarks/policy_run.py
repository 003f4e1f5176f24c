"""政策找人 for all policies over a province: load, evaluate, store — and the per-person ORM way.

    .venv/bin/python benchmarks/policy_run.py               # 1,000,000 people, 200,000 employers
    .venv/bin/python benchmarks/policy_run.py --ci          # 3,000 people, SQLite, seconds
    .venv/bin/python benchmarks/policy_run.py --keep        # keep (and reuse) the database
    .venv/bin/python benchmarks/policy_run.py --database-url postgres://user@host:5432

Goals: every policy over 1,000,000 people and 200,000 employers on PostgreSQL, end to end
(read the registry, evaluate, store the results) within 60 s on 2 cores; the evaluation alone
reported in people × policies per second; and at least 50× faster than evaluating the same
population one person at a time through the ORM.

The data: the demo population of Shanxi (``jiuye.registry.demo_population``: households,
people, key groups, two years of registrations, a year of contributions, employers with
insured headcounts), then, written with ``COPY`` on PostgreSQL, more employers up to
``--employers`` (with two years of headcounts), certificates for one person in thirty,
internships, blacklist entries for one employer in a hundred and a year of earlier
entitlements — so every policy has rows to read.

Timed: ``jiuye.policies.runs.run_policies`` for the whole province as a province operator,
from reading the registry to the stored results (its own timings: load, evaluate, store, and
the notices queued after it), then the same run again (idempotent: the same rows updated).
Then the baseline: for a random sample of people (``--sample``) and employers, each one's
records are read through the ORM one query at a time, made into a one-row population and
evaluated by every policy — the straightforward implementation — and the time per person and
per employer is extrapolated to the whole registry.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import DEFAULT_PG, bench_database
from supply_demand import write_rows

PROVINCE = "140000000000"
SEED = 20261123
CHUNK = 200_000


# --------------------------------------------------------------------------------------------
# Data


def build(people: int, employers: int) -> None:
    from jiuye.regions.loaders import load_region_tree
    from jiuye.regions.models import Region
    from jiuye.registry.demo_population import generate_population, refresh_planner_statistics
    from jiuye.registry.models import Employer, Person

    if not Region.objects.filter(code="141021000000").exists():
        load_region_tree(roots=("14",))
    have = Person.objects.count()
    if have < people:
        started = time.perf_counter()
        generate_population(
            region_prefix="14",
            people=people - have,
            stdout=sys.stdout if people >= 100_000 else None,
        )
        print(f"built {people - have:,} people in {time.perf_counter() - started:.0f} s")
    rng = random.Random(SEED)
    started = time.perf_counter()
    added = _more_employers(employers - Employer.objects.count(), rng)
    extras = _extras(rng)
    refresh_planner_statistics()
    _analyze()
    if added or extras:
        print(
            f"built {added:,} more employers and {extras:,} certificates, internships, "
            f"blacklist entries and entitlements in {time.perf_counter() - started:.0f} s"
        )


def _analyze() -> None:
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    from jiuye.policies.models import BlacklistEntry, Entitlement, Internship, PolicyResult
    from jiuye.registry.models import Certificate, InsuredHeadcount

    with connection.cursor() as cursor:
        for model in (
            BlacklistEntry,
            Entitlement,
            Internship,
            PolicyResult,
            Certificate,
            InsuredHeadcount,
        ):
            cursor.execute(f"ANALYZE {model._meta.db_table}")


def _more_employers(count: int, rng: random.Random) -> int:
    """Employers up to the wanted number, seated in the province's townships and villages,
    each with two years of insured headcounts."""
    from django.db.models import Max
    from django.utils import timezone

    from jiuye.core.uscc import organization_code_check_character, uscc_check_character
    from jiuye.regions.models import Region
    from jiuye.registry.demo_population import DEFAULT_AS_OF
    from jiuye.registry.models import Employer, InsuredHeadcount

    if count <= 0:
        return 0
    regions = list(
        Region.objects.current()
        .filter(code__startswith="14", level__in=(4, 5))
        .values_list("code", flat=True)
    )
    first = (Employer.objects.aggregate(n=Max("id"))["n"] or 0) + 1
    now = timezone.now()
    month0 = DEFAULT_AS_OF.year * 12 + DEFAULT_AS_OF.month - 1
    months = [dt.date((month0 - k) // 12, (month0 - k) % 12 + 1, 1) for k in range(1, 25)]
    # (size class, share, mean insured headcount)
    sizes = [("micro", 0.6, 3), ("small", 0.3, 15), ("medium", 0.08, 80), ("large", 0.02, 400)]
    mean = {name: m for name, _share, m in sizes}
    ownerships = ["private"] * 8 + ["state", "collective", "individual", "social"]
    rows, heads = [], []
    written = 0
    for i in range(count):
        serial = 90_000_000 + first + i
        org = f"{serial % 100_000_000:08d}"
        region = rng.choice(regions)
        body = "91" + region[:6] + org + organization_code_check_character(org)
        size = rng.choices([name for name, _s, _m in sizes], [s for _n, s, _m in sizes])[0]
        rows.append(
            {
                "uscc": body + uscc_check_character(body),
                "name": f"山西基准{serial}有限公司",
                "industry_code": rng.choice(("13", "18", "47", "51", "61", "72")),
                "ownership": rng.choice(ownerships),
                "size_class": size,
                "region_code": region,
                "contact_phone": f"139{serial % 100_000_000:08d}",
                "created_at": now,
                "updated_at": now,
            }
        )
        if len(rows) >= CHUNK // 24 or i == count - 1:
            write_rows(Employer, rows)
            written += len(rows)
            ids = Employer.objects.filter(uscc__in=[row["uscc"] for row in rows]).values_list(
                "id", "size_class"
            )
            for employer_id, size_class in ids:
                level = max(1, int(rng.expovariate(1 / mean[size_class])))
                for month in months:
                    level = max(0, level + rng.choice((-1, 0, 0, 0, 1)))
                    heads.append({"employer_id": employer_id, "month": month, "insured": level})
            write_rows(InsuredHeadcount, heads)
            rows, heads = [], []
    return written


def _extras(rng: random.Random) -> int:
    """Certificates, internships, blacklist entries and earlier entitlements, once."""
    from django.utils import timezone

    from jiuye.policies.models import BlacklistEntry, Entitlement, Internship
    from jiuye.registry.demo_population import DEFAULT_AS_OF
    from jiuye.registry.models import Certificate, Employer, Person

    if Certificate.objects.exists():
        return 0
    now = timezone.now()
    as_of = DEFAULT_AS_OF
    people = list(
        Person.objects.filter(
            merged_into__isnull=True, birth_date__gte=dt.date(1970, 1, 1)
        ).values_list("id", "region_code", "birth_date")
    )
    employers = list(Employer.objects.values_list("id", "region_code"))
    occupations = ["6-18-02-04", "4-03-02-01", "6-29-01-01", "4-10-01-01", "6-31-01-03"]
    made = 0
    certificates = []
    for person_id, _region, _birth in rng.sample(people, len(people) // 30):
        certificates.append(
            {
                "person_id": person_id,
                "name": "职业技能等级证书",
                "occupation_code": rng.choice(occupations),
                "level": rng.choice((5, 5, 4, 4, 3)),
                "issued_on": as_of - dt.timedelta(days=rng.randrange(900)),
                "created_at": now,
                "updated_at": now,
            }
        )
    write_rows(Certificate, certificates)
    made += len(certificates)
    young = [p for p in people if p[2] >= dt.date(as_of.year - 26, 1, 1)]
    internships = []
    for person_id, _region, _birth in rng.sample(young, min(len(young), len(people) // 200)):
        employer_id, region = rng.choice(employers)
        start = as_of - dt.timedelta(days=rng.randrange(30, 500))
        planned = start + dt.timedelta(days=rng.choice((90, 180, 365)))
        ended = planned if planned < as_of else None
        internships.append(
            {
                "person_id": person_id,
                "host_id": employer_id,
                "region_code": region,
                "start_on": start,
                "planned_end_on": planned,
                "ended_on": ended,
                "retained_on": ended if ended and rng.random() < 0.5 else None,
                "created_at": now,
                "updated_at": now,
            }
        )
    write_rows(Internship, internships)
    made += len(internships)
    blacklist = []
    for employer_id, region in rng.sample(employers, len(employers) // 100):
        blacklist.append(
            {
                "employer_id": employer_id,
                "region_code": region,
                "listed_on": as_of - dt.timedelta(days=rng.randrange(1500)),
                "reason": "拖欠农民工工资",
                "created_at": now,
                "updated_at": now,
            }
        )
    write_rows(BlacklistEntry, blacklist)
    made += len(blacklist)
    entitlements = []
    for person_id, region, _birth in rng.sample(people, len(people) // 50):
        employer_id, _employer_region = rng.choice(employers)
        entitlements.append(
            {
                "policy": "expansion_subsidy",
                "subject_type": "person",
                "subject_id": person_id,
                "payee_type": "employer",
                "payee_id": employer_id,
                "period": "once",
                "region_code": region,
                "fund": "ui_fund",
                "amount": 1500,
                "status": "paid",
                "exclusion_key": f"hire_subsidy:person:{person_id}",
                "created_at": now - dt.timedelta(days=rng.randrange(30, 600)),
                "updated_at": now,
            }
        )
    write_rows(Entitlement, entitlements)
    return made + len(entitlements)


# --------------------------------------------------------------------------------------------
# The straightforward way: one person (or employer) at a time through the ORM


def one_person_population(person_id: int, as_of: dt.date):
    """Read one person's records with the ORM and build a one-row population, as a simple
    implementation would: a query per kind of record, aggregates in Python."""
    from jiuye.policies.engine import Population
    from jiuye.policies.inputs import SCHEMA, column_array
    from jiuye.policies.models import Entitlement, Internship
    from jiuye.registry.models import (
        Certificate,
        EmploymentEvent,
        HouseholdMember,
        InsuranceContribution,
        KeyGroupMembership,
        Person,
    )
    from jiuye.registry.status import EventFact, derive_status

    person = Person.objects.get(pk=person_id)
    events = list(
        EmploymentEvent.objects.filter(person=person, occurred_on__lte=as_of).order_by(
            "occurred_on", "id"
        )
    )
    corrected = {e.supersedes_id for e in events if e.supersedes_id}
    live = [e for e in events if e.pk not in corrected]
    status, since = derive_status(
        [EventFact(e.pk, e.kind, e.occurred_on, e.supersedes_id) for e in events], as_of=as_of
    )
    current = next((e for e in reversed(live) if e.kind in ("employment", "unemployment")), None)
    groups = {
        m.group: m
        for m in KeyGroupMembership.objects.filter(person=person, valid_from__lte=as_of)
        if m.valid_to is None or m.valid_to >= as_of or m.group == "graduate"
    }
    household_id = 0
    member = HouseholdMember.objects.filter(person=person).first()
    family_groups = set()
    if member is not None:
        household_id = member.household_id
        for other in HouseholdMember.objects.filter(household_id=household_id):
            family_groups |= set(
                KeyGroupMembership.objects.filter(
                    person_id=other.person_id, valid_from__lte=as_of
                ).values_list("group", flat=True)
            )
    contributions = list(InsuranceContribution.objects.filter(person=person, month__lte=as_of))
    ui_months = len(
        {
            c.month
            for c in contributions
            if c.insurance_type == "unemployment" and not c.is_back_payment
        }
    )
    graduate = groups.get("graduate")
    row = {
        "id": person.pk,
        "region_code": person.region_code,
        "birth_date": person.birth_date,
        "sex": person.sex,
        "retirement_category": person.retirement_category,
        "hukou_region_code": person.hukou_region_code,
        "hukou_type": person.hukou_type,
        "education": person.education,
        "disabled": bool(person.disability_certificate) or "disabled" in groups,
        "employment_status": status,
        "unemployed_since": since if status == "unemployed" else None,
        "employed_since": since if status == "employed" else None,
        "employment_form": current.form if current and status == "employed" else "",
        "employer_id": (current.employer_id or 0) if current and status == "employed" else 0,
        "household_id": household_id,
        "graduate": graduate is not None,
        "graduate_year": graduate.valid_from.year if graduate else 0,
        "left_school_on": graduate.valid_from if graduate else None,
        "ex_poverty": "ex_poverty" in family_groups,
        "monitored": "monitored" in family_groups,
        "dibao": "dibao" in family_groups,
        "zero_family": "zero_family" in family_groups,
        "veteran": "veteran" in groups,
        "land_lost": "land_lost" in groups,
        "long_unemployed": "long_unemployed" in groups,
        "former_soe_worker": person.former_soe_worker,
        "difficulty": "difficulty" in groups,
        "difficulty_category": groups["difficulty"].category if "difficulty" in groups else "",
        "difficulty_since": groups["difficulty"].valid_from if "difficulty" in groups else None,
        "ui_months": ui_months,
    }
    hires, employers = [], {}
    window = as_of - dt.timedelta(days=3 * 365)
    for event in live:
        if event.kind != "employment" or not event.employer_id or event.occurred_on <= window:
            continue
        start = event.occurred_on.replace(day=1)
        paid = [
            c
            for c in contributions
            if c.employer_id == event.employer_id and c.month >= start and not c.is_back_payment
        ]
        hires.append(
            {
                "id": event.pk,
                "person_id": person.pk,
                "employer_id": event.employer_id,
                "hired_on": event.occurred_on,
                "contract_months": 12 if event.contract_type else 0,
                "region_code": event.region_code,
                "ui_months_after": sum(c.insurance_type == "unemployment" for c in paid),
                "injury_months_after": sum(c.insurance_type == "injury" for c in paid),
                "pension_months_after": sum(c.insurance_type == "pension" for c in paid),
                "still_employed": current is not None and current.pk == event.pk,
            }
        )
        employers[event.employer_id] = one_employer_row(event.employer_id, as_of)
    certificates = [
        {
            "id": c.pk,
            "person_id": person.pk,
            "occupation_code": c.occupation_code,
            "level": c.level or 0,
            "issued_on": c.issued_on,
        }
        for c in Certificate.objects.filter(person=person)
    ]
    internships = [
        {
            "id": i.pk,
            "person_id": person.pk,
            "employer_id": i.host_id,
            "region_code": i.region_code,
            "start_on": i.start_on,
            "planned_end_on": i.planned_end_on,
            "ended_on": i.ended_on,
            "retained_on": i.retained_on,
        }
        for i in Internship.objects.filter(person=person)
    ]
    history = [
        {
            "policy": e.policy,
            "subject_type": e.subject_type,
            "subject_id": e.subject_id,
            "period": e.period,
            "granted_on": e.created_at.date(),
            "amount": float(e.amount),
        }
        for e in Entitlement.objects.filter(subject_type="person", subject_id=person.pk).exclude(
            status__in=["rejected", "declined"]
        )
    ]
    rows = {
        "person": [row],
        "employer": list(employers.values()),
        "hire": hires,
        "certificate": certificates,
        "internship": internships,
        "history": history,
    }
    tables = {}
    for entity, items in rows.items():
        columns = {c.name: c for c in SCHEMA[entity]}
        tables[entity] = {
            name: column_array(columns[name], [item.get(name) for item in items])
            for name in (items[0] if items else {})
            if name in columns
        }
    return Population(as_of, tables)


def one_employer_row(employer_id: int, as_of: dt.date) -> dict:
    from django.db.models import Avg, Sum

    from jiuye.policies.models import BlacklistEntry
    from jiuye.registry.models import (
        Employer,
        EmploymentEvent,
        InsuranceContribution,
        InsuredHeadcount,
    )

    employer = Employer.objects.get(pk=employer_id)
    last_year = as_of.year - 1
    heads = InsuredHeadcount.objects.filter(employer=employer)
    now = heads.filter(month__lte=as_of).order_by("-month").first()
    paid = InsuranceContribution.objects.filter(
        employer=employer,
        insurance_type="unemployment",
        is_back_payment=False,
        month__year=last_year,
    ).aggregate(s=Sum("amount"))["s"]
    months = sorted(
        set(
            InsuranceContribution.objects.filter(
                employer=employer, insurance_type="unemployment", month__lt=as_of.replace(day=1)
            ).values_list("month", flat=True)
        ),
        reverse=True,
    )
    consecutive = 0
    expected = (as_of.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    for month in months:
        if month != expected:
            break
        consecutive += 1
        expected = (expected - dt.timedelta(days=1)).replace(day=1)
    listed = [
        b
        for b in BlacklistEntry.objects.filter(employer=employer, listed_on__lte=as_of)
        if b.removed_on is None or b.removed_on > as_of
    ]
    return {
        "id": employer.pk,
        "region_code": employer.region_code,
        "ownership": employer.ownership,
        "size_class": employer.size_class,
        "industry_code": employer.industry_code,
        "insured_now": now.insured if now else 0,
        "insured_start": getattr(
            heads.filter(month=dt.date(last_year, 1, 1)).first(), "insured", 0
        ),
        "insured_end": getattr(heads.filter(month=dt.date(last_year, 12, 1)).first(), "insured", 0),
        "insured_avg": heads.filter(month__year=last_year).aggregate(a=Avg("insured"))["a"],
        "separations": EmploymentEvent.objects.filter(
            employer=employer, kind="employment_end", occurred_on__year=last_year
        ).count(),
        "ui_paid": float(paid or 0),
        "ui_months_full": consecutive,
        "blacklisted": bool(listed),
        "blacklist_reason": listed[0].reason if listed else "",
    }


def baseline(sample_people: list[int], sample_employers: list[int], as_of) -> tuple[float, float]:
    """Seconds per person and per employer, the straightforward way."""
    from jiuye.policies.engine import Population, evaluate
    from jiuye.policies.inputs import SCHEMA, column_array
    from jiuye.policies.parameters import Params
    from jiuye.policies.rules import all_policies

    policies = list(all_policies().values())
    started = time.perf_counter()
    for person_id in sample_people:
        population = one_person_population(person_id, as_of)
        for policy in policies:
            if policy.entity != "employer":
                evaluate(policy, population, Params(as_of))
    per_person = (time.perf_counter() - started) / max(1, len(sample_people))
    employer_policies = [p for p in policies if p.entity == "employer"]
    started = time.perf_counter()
    for employer_id in sample_employers:
        row = one_employer_row(employer_id, as_of)
        columns = {c.name: c for c in SCHEMA["employer"]}
        population = Population(
            as_of, {"employer": {k: column_array(columns[k], [v]) for k, v in row.items()}}
        )
        for policy in employer_policies:
            evaluate(policy, population, Params(as_of))
    per_employer = (time.perf_counter() - started) / max(1, len(sample_employers))
    return per_person, per_employer


# --------------------------------------------------------------------------------------------


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--employers", type=int, default=200_000)
    parser.add_argument("--sample", type=int, default=300, help="people for the ORM baseline")
    parser.add_argument("--sqlite", action="store_true", help="SQLite file instead of PostgreSQL")
    parser.add_argument("--database-url", default=DEFAULT_PG)
    parser.add_argument("--database-name", default="jiuye_bench_policy_run")
    parser.add_argument("--keep", action="store_true", help="keep and reuse the database")
    parser.add_argument(
        "--ci", action="store_true", help="small and quick: 3,000 people, 600 employers, SQLite"
    )
    parser.add_argument(
        "--as-of",
        default="2025-12-15",
        help="the run's date (default: a day when the 2023–2025 measures are still in force)",
    )
    args = parser.parse_args(argv)
    if args.ci:
        args.people, args.employers, args.sample, args.sqlite = 3000, 600, 50, True

    with bench_database(
        args.database_name,
        postgres_url=None if args.sqlite else args.database_url,
        keep=args.keep,
    ) as vendor:
        from jiuye.accounts.models import Role, RoleAssignment, User
        from jiuye.policies.models import Notice, PolicyResult, RunStatus
        from jiuye.policies.rules import all_policies
        from jiuye.policies.runs import run_policies
        from jiuye.registry.models import Employer, Person

        build(args.people, args.employers)
        as_of = dt.date.fromisoformat(args.as_of)
        user, _ = User.objects.get_or_create(username="bench_sx", home_region_code=PROVINCE)
        RoleAssignment.objects.get_or_create(user=user, role=Role.OPERATOR, region_code=PROVINCE)
        people = Person.objects.filter(merged_into__isnull=True).count()
        employers = Employer.objects.count()
        policies = len(all_policies())
        print(f"{people:,} people, {employers:,} employers, {policies} policies ({vendor})")

        # A run left "running" by an interrupted benchmark would block the next for a while.
        from jiuye.policies.models import PolicyRun

        PolicyRun.objects.filter(status__in=[RunStatus.QUEUED, RunStatus.RUNNING]).update(
            status=RunStatus.FAILED, error="interrupted"
        )
        figures = []
        for attempt in ("first run", "second run (same period)"):
            run = run_policies(actor=user, as_of=as_of, region_code=PROVINCE)
            if run.status != RunStatus.DONE:
                print(f"run failed: {run.error}")
                return 1
            t = run.timings
            end_to_end = t["load"] + t["evaluate"] + t["store"]
            figures.append(end_to_end)
            candidates = sum(c["candidates"] for c in run.counts.values())
            eligible = sum(c["eligible"] for c in run.counts.values())
            print(
                f"policy run, {attempt}: {end_to_end:.1f} s end to end "
                f"(load {t['load']:.1f} s, evaluate {t['evaluate']:.1f} s, "
                f"store {t['store']:.1f} s); notices queued in {t['notices']:.1f} s; "
                f"{candidates:,} candidates, {eligible:,} eligible, "
                f"{PolicyResult.objects.count():,} results stored, "
                f"{Notice.objects.count():,} notices"
            )
            print(
                f"  evaluation alone: {people:,} people × {policies} policies in "
                f"{t['evaluate']:.2f} s = {people * policies / t['evaluate']:,.0f} "
                f"person-policies/s ({run.total:,} entity rows)"
            )
        for code, counts in run.counts.items():
            print(f"  {code}: {counts}")

        rng = random.Random(SEED)
        ids = list(Person.objects.filter(merged_into__isnull=True).values_list("id", flat=True))
        employer_ids = list(Employer.objects.values_list("id", flat=True))
        sample_people = rng.sample(ids, min(args.sample, len(ids)))
        sample_employers = rng.sample(
            employer_ids, min(max(1, args.sample // 3), len(employer_ids))
        )
        per_person, per_employer = baseline(sample_people, sample_employers, as_of)
        extrapolated = per_person * people + per_employer * employers
        best = min(figures)
        print(
            f"per-person ORM baseline: {per_person * 1000:.1f} ms per person, "
            f"{per_employer * 1000:.1f} ms per employer (samples of {len(sample_people)} and "
            f"{len(sample_employers)}) → {extrapolated:,.0f} s for the whole registry "
            f"({extrapolated / 3600:.1f} h); batch {best:.1f} s: {extrapolated / best:,.0f}× faster"
        )
        if statistics.mean(figures) > 60 and not args.ci and vendor == "postgresql":
            print("  (over the 60 s goal)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
