"""Supply and demand analysis (求人倍率) of a province, a city and a county.

    .venv/bin/python benchmarks/supply_demand.py            # 1,000,000 seekers, 200,000 postings
    .venv/bin/python benchmarks/supply_demand.py --ci       # a few thousand rows, SQLite, seconds
    .venv/bin/python benchmarks/supply_demand.py --keep     # keep (and reuse) the database
    .venv/bin/python benchmarks/supply_demand.py --database-url postgres://user@host:5432

The people and employers come from the demo population of Shanxi
(``jiuye.registry.demo_population``); each person then gets a job intention (some two, some
ended, one in seven without an occupation, one in four naming a desired region) and the
employers ``--postings`` postings over the last year (mostly published; some drafts, filled,
expired or withdrawn), written with ``COPY`` on PostgreSQL. The timed part is the full
analysis of 2026Q3 (``analysis_for``: every table, both 无要求 spreads, the top 10s) for
山西省, 临汾市 and 曲沃县, as a province-level user; the best and the median of ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import datetime
import json
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import DEFAULT_PG, bench_database

PROVINCE, CITY, COUNTY = "140000000000", "141000000000", "141021000000"
SEED = 20261123


def _converters(model, columns, connection):
    """Per column: the value as the database driver takes it (COPY on PostgreSQL, an INSERT
    parameter on SQLite)."""
    from django.db import models

    out = []
    for name in columns:
        field = model._meta.get_field(name)
        if isinstance(field, models.JSONField):
            if connection.vendor == "postgresql":
                from psycopg.types.json import Jsonb

                out.append(Jsonb)
            else:
                out.append(json.dumps)
        elif connection.vendor != "postgresql" and isinstance(field, models.DateTimeField):
            out.append(connection.ops.adapt_datetimefield_value)
        elif connection.vendor != "postgresql" and isinstance(field, models.DateField):
            out.append(connection.ops.adapt_datefield_value)
        else:
            out.append(None)
    return out


def write_rows(model, rows: list[dict]) -> None:
    """Bulk insert bypassing ``auto_now_add`` (the rows carry their own ``created_at``). Every
    concrete column the rows leave out gets the field's default."""
    from django.db import connection, transaction

    if not rows:
        return
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    columns = [f.attname for f in fields]
    defaults = {f.attname: f.get_default() for f in fields if f.attname not in rows[0]}
    convert = _converters(model, columns, connection)
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(f.column) for f in fields)

    def tuples():
        for row in rows:
            values = []
            for name, fn in zip(columns, convert, strict=True):
                value = row[name] if name in row else defaults[name]
                values.append(fn(value) if fn is not None and value is not None else value)
            yield values

    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for values in tuples():
                    copy.write_row(values)
        else:
            marks = ", ".join(["%s"] * len(columns))
            batch: list = []
            for values in tuples():
                batch.append(values)
                if len(batch) == 5000:
                    cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", batch)
                    batch = []
            if batch:
                cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", batch)


def _aware(day: datetime.date, rng: random.Random) -> datetime.datetime:
    from django.utils import timezone

    moment = datetime.datetime.combine(day, datetime.time(8)) + datetime.timedelta(
        minutes=rng.randrange(600)
    )
    return timezone.make_aware(moment)


def _occupation_picker(rng: random.Random):
    """细类 codes with a long-tailed (Zipf-like) popularity, as real registers have."""
    from jiuye.registry.codes import occupation_choices

    codes = [code for code, _label in occupation_choices(4)]
    rng.shuffle(codes)
    weights = [1 / (rank + 1) for rank in range(len(codes))]
    cumulative = []
    total = 0.0
    for w in weights:
        total += w
        cumulative.append(total)

    def pick() -> str:
        return rng.choices(codes, cum_weights=cumulative, k=1)[0]

    return pick


def build_intentions(rng: random.Random) -> int:
    """One intention per live person without one; some people get a second, some end."""
    from jiuye.registry.models import JobIntention, Person

    people = list(
        Person.objects.filter(merged_into__isnull=True, intentions__isnull=True).values_list(
            "id", "region_code"
        )
    )
    pick = _occupation_picker(rng)
    first_day = datetime.date(2025, 6, 1)
    span = (datetime.date(2026, 10, 31) - first_day).days
    rows = []
    written = 0
    for person_id, region_code in people:
        if len(rows) >= 100_000:  # in chunks, to keep memory flat
            write_rows(JobIntention, rows)
            written += len(rows)
            rows = []
        for _n in range(2 if rng.random() < 0.1 else 1):
            created = first_day + datetime.timedelta(days=rng.randrange(span))
            ended = None
            if rng.random() < 0.35:
                ended = created + datetime.timedelta(days=rng.randrange(15, 240))
            when = _aware(created, rng)
            rows.append(
                {
                    "person_id": person_id,
                    "occupation_code": "" if rng.random() < 0.15 else pick(),
                    # A desired region: the person's township or county, sometimes.
                    "region_code": rng.choice((region_code[:9], region_code[:6])).ljust(12, "0")
                    if rng.random() < 0.25
                    else "",
                    "work_type": "full_time",
                    "active": ended is None,
                    "ended_on": ended,
                    "created_at": when,
                    "updated_at": when,
                }
            )
    write_rows(JobIntention, rows)
    return written + len(rows)


def build_postings(count: int, rng: random.Random) -> int:
    from jiuye.jobs.models import Posting, PostingStatus
    from jiuye.registry.codes import EDUCATION_CATEGORIES
    from jiuye.registry.models import Employer

    employers = list(Employer.objects.values_list("id", "region_code").order_by("id"))
    if not employers:
        raise SystemExit("no employers: build the population first")
    pick = _occupation_picker(rng)
    statuses = [
        (PostingStatus.PUBLISHED, 70),
        (PostingStatus.FILLED, 10),
        (PostingStatus.EXPIRED, 10),
        (PostingStatus.WITHDRAWN, 3),
        (PostingStatus.DRAFT, 4),
        (PostingStatus.REVIEW, 3),
    ]
    status_values = [s for s, _w in statuses]
    status_weights = [w for _s, w in statuses]
    first_day = datetime.date(2025, 10, 1)
    span = (datetime.date(2026, 10, 31) - first_day).days
    rows = []
    for _n in range(count):
        employer_id, region_code = rng.choice(employers)
        valid_from = first_day + datetime.timedelta(days=rng.randrange(span))
        valid_to = valid_from + datetime.timedelta(days=rng.randrange(30, 180))
        status = rng.choices(status_values, weights=status_weights, k=1)[0]
        published = status not in (PostingStatus.DRAFT, PostingStatus.REVIEW)
        created = _aware(valid_from - datetime.timedelta(days=rng.randrange(0, 5)), rng)
        updated = created
        if status in (PostingStatus.FILLED, PostingStatus.WITHDRAWN):
            updated = _aware(valid_from + datetime.timedelta(days=rng.randrange(1, 60)), rng)
        age_min = rng.choice((None, None, 16, 18, 20, 25, 30))
        age_max = rng.choice((None, 30, 35, 40, 45, 50, 55))
        if age_min is not None and age_max is not None and age_max < age_min:
            age_min, age_max = age_max, age_min
        rows.append(
            {
                "employer_id": employer_id,
                "title": "岗位",
                "occupation_code": "" if rng.random() < 0.05 else pick(),
                "headcount": rng.choice((1, 1, 1, 2, 2, 3, 5, 10, 20)),
                "education": "" if rng.random() < 0.3 else rng.choice(EDUCATION_CATEGORIES[1:6]),
                "age_min": age_min,
                "age_max": age_max,
                "region_code": region_code,
                "kind": "full_time",
                "channel": "employer",
                "valid_from": valid_from,
                "valid_to": valid_to,
                "status": status,
                "published_at": _aware(valid_from, rng) if published else None,
                "created_at": created,
                "updated_at": updated,
            }
        )
    write_rows(Posting, rows)
    return len(rows)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--postings", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sqlite", action="store_true", help="SQLite file instead of PostgreSQL")
    parser.add_argument("--database-url", default=DEFAULT_PG)
    parser.add_argument("--keep", action="store_true", help="keep and reuse the database")
    parser.add_argument(
        "--ci", action="store_true", help="small and quick: 3,000 people, 600 postings, SQLite"
    )
    args = parser.parse_args(argv)
    if args.ci:
        args.people, args.postings, args.sqlite, args.repeat = 3000, 600, True, 1

    with bench_database(
        "jiuye_bench_supply",
        postgres_url=None if args.sqlite else args.database_url,
        keep=args.keep,
    ) as vendor:
        from django.db import connection

        from jiuye.accounts.models import Role, RoleAssignment, User
        from jiuye.jobs.models import Posting
        from jiuye.matching import supply_demand as sd
        from jiuye.regions.loaders import load_region_tree
        from jiuye.regions.models import Region
        from jiuye.registry.demo_population import generate_population
        from jiuye.registry.models import JobIntention, Person

        rng = random.Random(SEED)
        if not Region.objects.filter(code=COUNTY).exists():
            load_region_tree(roots=("14",))
        have = Person.objects.count()
        if have < args.people:
            started = time.perf_counter()
            generate_population(
                region_prefix="14",
                people=args.people - have,
                stdout=sys.stdout if args.people >= 100_000 else None,
            )
            print(f"built {args.people - have} people in {time.perf_counter() - started:.0f} s")
        started = time.perf_counter()
        made = build_intentions(rng)
        postings = Posting.objects.count()
        if postings < args.postings:
            build_postings(args.postings - postings, rng)
        if made or postings < args.postings:
            if vendor == "postgresql":
                with connection.cursor() as cursor:
                    for model in (JobIntention, Posting):
                        cursor.execute(f"ANALYZE {model._meta.db_table}")
            print(f"built intentions and postings in {time.perf_counter() - started:.0f} s")
        user, _ = User.objects.get_or_create(username="bench_sx", home_region_code=PROVINCE)
        RoleAssignment.objects.get_or_create(user=user, role=Role.LEADER, region_code=PROVINCE)
        period = sd.parse_period("2026Q3")
        print(
            f"{Person.objects.count()} people, {JobIntention.objects.count()} intentions, "
            f"{Posting.objects.count()} postings ({vendor})"
        )
        for label, code in (("province", PROVINCE), ("city", CITY), ("county", COUNTY)):
            region = sd.region_for_analysis(user, code)
            times = []
            for _n in range(args.repeat):
                started = time.perf_counter()
                analysis = sd.analysis_for(user, region, period)
                times.append(time.perf_counter() - started)
            t = analysis.totals
            print(
                f"supply-demand {period.key} {label} ({region.name}): "
                f"best {min(times):.2f} s, median {statistics.median(times):.2f} s; "
                f"{t.vacancies} vacancies in {t.postings} postings, {t.seekers} seekers, "
                f"ratio {t.ratio}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
