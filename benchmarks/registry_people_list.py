"""People list filtered to a county, page 1, with a province-sized registry loaded.

    .venv/bin/python benchmarks/registry_people_list.py        # 1,000,000 people, PostgreSQL
    .venv/bin/python benchmarks/registry_people_list.py --people 5000 --sqlite   # what CI runs
    .venv/bin/python benchmarks/registry_people_list.py --keep            # keep/reuse the data

Goal (issue 4): p95 under 150 ms through the test client on PostgreSQL with 1,000,000 people.
Each request is a full page: login session, scoping, filters, the count, 20 rows with their
ID numbers decrypted and masked, region names, template rendering.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import DEFAULT_PG, bench_database, percentile


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--sqlite", action="store_true", help="SQLite file instead of PostgreSQL")
    parser.add_argument("--database-url", default=DEFAULT_PG)
    parser.add_argument("--keep", action="store_true", help="keep and reuse the database")
    args = parser.parse_args(argv)

    with bench_database(
        "jiuye_bench_people",
        postgres_url=None if args.sqlite else args.database_url,
        keep=args.keep,
    ) as vendor:
        from django.test import Client

        from jiuye.accounts.models import Role, RoleAssignment, User
        from jiuye.regions.loaders import load_region_tree
        from jiuye.regions.models import Region
        from jiuye.registry.demo_population import generate_population
        from jiuye.registry.models import Person

        if not Region.objects.filter(code="141021000000").exists():
            load_region_tree(roots=("14",))
        have = Person.objects.count()
        if have < args.people:
            started = time.perf_counter()
            generate_population(region_prefix="14", people=args.people - have)
            print(f"built {args.people - have} people in {time.perf_counter() - started:.0f} s")
        total = Person.objects.count()
        quwo = "141021000000"
        user, _ = User.objects.get_or_create(username="bench_qw", home_region_code=quwo)
        RoleAssignment.objects.get_or_create(user=user, role=Role.OPERATOR, region_code=quwo)
        client = Client()
        client.force_login(user)
        in_county = Person.objects.filter(region_code__startswith="141021").count()

        cases = {
            "county, page 1": {},
            "county, unemployed": {"status": "unemployed"},
            "county, age 16-24, key group graduate": {
                "min_age": 16,
                "max_age": 24,
                "group": "graduate",
            },
            "county, name search": {"q": "王"},
        }
        for label, params in cases.items():
            for _ in range(5):  # warm up caches and connections
                client.get("/registry/people/", params)
            times = []
            for _ in range(args.requests):
                started = time.perf_counter()
                response = client.get("/registry/people/", params)
                times.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200
            print(
                f"people list ({label}): p50 {percentile(times, 50):.1f} ms, "
                f"p95 {percentile(times, 95):.1f} ms over {args.requests} requests; "
                f"{in_county} people in the county, {total} in all ({vendor})"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
