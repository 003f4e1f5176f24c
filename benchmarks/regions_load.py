"""Time loading the shipped region tree into a fresh database.

    .venv/bin/python benchmarks/regions_load.py                      # SQLite file in a temp dir
    .venv/bin/python benchmarks/regions_load.py --database-url postgres://postgres@127.0.0.1:5432

With a PostgreSQL URL a throwaway database ``jiuye_bench_regions`` is created on that server
and dropped afterwards. The issue's goal: the full Shanxi tree into SQLite in under 30 s.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import bench_database


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="PostgreSQL server URL (default: SQLite file)")
    parser.add_argument("--roots", default="14,6328", help="region roots (default 14,6328)")
    args = parser.parse_args(argv)

    with bench_database("jiuye_bench_regions", postgres_url=args.database_url) as vendor:
        from jiuye.regions.loaders import load_region_tree

        roots = tuple(r.strip() for r in args.roots.split(",") if r.strip())
        started = time.perf_counter()
        report = load_region_tree(roots=roots)
        seconds = time.perf_counter() - started
        total = sum(report.current_by_level.values())
        print(f"regions_load: {total} regions in {seconds:.2f} s ({vendor})")
        started = time.perf_counter()
        again = load_region_tree(roots=roots)
        print(
            f"regions_load (second run, idempotent): created {sum(again.created.values())}, "
            f"updated {sum(again.updated.values())} in {time.perf_counter() - started:.2f} s"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
