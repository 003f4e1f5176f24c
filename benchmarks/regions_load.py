"""Time loading the shipped region tree into a fresh database.

    .venv/bin/python benchmarks/regions_load.py                      # SQLite file in a temp dir
    .venv/bin/python benchmarks/regions_load.py --database-url postgres://postgres@127.0.0.1:5432

With a PostgreSQL URL a throwaway database ``jiuye_bench_regions`` is created on that server
and dropped afterwards.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BENCH_DB = "jiuye_bench_regions"


def _admin_connection(url: str):
    import psycopg

    parts = urlsplit(url)
    return psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True)


def _recreate_postgres(url: str) -> str:
    with _admin_connection(url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}"')
        conn.execute(f'CREATE DATABASE "{BENCH_DB}"')
    return urlunsplit(urlsplit(url)._replace(path=f"/{BENCH_DB}"))


def _drop_postgres(url: str) -> None:
    with _admin_connection(url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}"')


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="PostgreSQL server URL (default: SQLite file)")
    parser.add_argument("--roots", default="14,6328", help="region roots (default 14,6328)")
    args = parser.parse_args(argv)

    src = Path(__file__).resolve().parent.parent / "src"
    sys.path.insert(0, str(src))
    os.environ["DJANGO_SETTINGS_MODULE"] = "jiuye.settings.test"

    tmp = tempfile.TemporaryDirectory(prefix="jiuye-bench-")
    if args.database_url:
        os.environ["DATABASE_URL"] = _recreate_postgres(args.database_url)
        vendor = "postgresql"
    else:
        os.environ.pop("DATABASE_URL", None)
        vendor = "sqlite"

    import django
    from django.conf import settings

    if vendor == "sqlite":  # the test settings use :memory:; benchmark a real file instead
        settings.DATABASES["default"] = {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(Path(tmp.name) / "bench.sqlite3"),
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    django.setup()

    from django.core.management import call_command
    from django.db import connections

    from jiuye.regions.loaders import load_region_tree

    try:
        call_command("migrate", verbosity=0, interactive=False)
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
    finally:
        connections.close_all()
        if args.database_url:
            _drop_postgres(args.database_url)
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
