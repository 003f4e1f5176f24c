"""Time generating the demo population of all of Shanxi into a fresh database.

    .venv/bin/python benchmarks/demo_population.py                  # 1,000,000 people, PostgreSQL
    .venv/bin/python benchmarks/demo_population.py --people 5000 --sqlite
    .venv/bin/python benchmarks/demo_population.py --database-url postgres://user@host:5432

With PostgreSQL a throwaway database ``jiuye_bench_demo`` is created on the server of
``--database-url`` (default postgres://postgres@127.0.0.1:5432) and dropped afterwards;
``--sqlite`` uses a SQLite file in a temporary directory. The Shanxi region tree is loaded
first (not timed), then ``generate_population(region_prefix="14", people=N)`` runs.
The goal for 1,000,000 people on PostgreSQL is under 5 minutes.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import DEFAULT_PG, bench_database

BENCH_DB = "jiuye_bench_demo"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=1_000_000, help="people (default 1000000)")
    parser.add_argument(
        "--database-url", default=DEFAULT_PG, help=f"PostgreSQL server ({DEFAULT_PG})"
    )
    parser.add_argument("--sqlite", action="store_true", help="a SQLite file instead")
    parser.add_argument(
        "--method", choices=("auto", "copy", "orm"), default="auto",
        help="how rows are written (default: COPY on PostgreSQL, bulk_create otherwise)",
    )  # fmt: skip
    parser.add_argument("--seed", type=int, default=None, help="random seed (default: the demo's)")
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL database")
    args = parser.parse_args(argv)

    with bench_database(
        BENCH_DB, postgres_url=None if args.sqlite else args.database_url, keep=args.keep
    ) as vendor:
        from jiuye.regions.loaders import load_region_tree
        from jiuye.registry.demo_population import DEFAULT_SEED, generate_population

        load_region_tree(roots=("14",))
        started = time.perf_counter()
        report = generate_population(
            region_prefix="14",
            people=args.people,
            seed=DEFAULT_SEED if args.seed is None else args.seed,
            method=args.method,
            stdout=sys.stdout if args.people >= 100_000 else None,
        )
        seconds = time.perf_counter() - started
        print(
            f"demo population: {report.people} people, {report.households} households, "
            f"{report.employers} employers, {report.events} events, "
            f"{sum(report.memberships.values())} key-group memberships, "
            f"{report.contributions} contributions, {report.headcounts} headcount rows "
            f"in {seconds:.1f} s ({vendor}, {report.method})"
        )
        print(
            f"  generating {report.seconds_generating:.1f} s, encrypting "
            f"{report.seconds_encrypting:.1f} s, writing {report.seconds_writing:.1f} s; "
            f"{report.people / seconds:,.0f} people/s"
        )
        started = time.perf_counter()
        again = generate_population(region_prefix="14", people=args.people, method=args.method)
        print(
            f"demo population (second run, idempotent): {again.people} people, "
            f"{len(again.skipped_units)} units skipped in {time.perf_counter() - started:.1f} s"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
