"""Shared set-up for the benchmarks: a throwaway database, SQLite file or PostgreSQL."""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

DEFAULT_PG = "postgres://postgres@127.0.0.1:5432"


def _admin(url: str):
    import psycopg

    return psycopg.connect(urlunsplit(urlsplit(url)._replace(path="/postgres")), autocommit=True)


def _exists(url: str, name: str) -> bool:
    with _admin(url) as conn:
        return (
            conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
            is not None
        )


@contextlib.contextmanager
def bench_database(name: str, *, postgres_url: str | None = None, keep: bool = False):
    """Set up Django on a fresh database named ``name`` and yield its vendor.

    ``keep=True`` keeps (and reuses, if present) the PostgreSQL database or the SQLite file
    under ``var/bench/``, so a slow data build can serve several runs; the caller then skips
    building what is already there.
    """
    src = Path(__file__).resolve().parent.parent / "src"
    sys.path.insert(0, str(src))
    os.environ["DJANGO_SETTINGS_MODULE"] = "jiuye.settings.test"
    tmp = tempfile.TemporaryDirectory(prefix="jiuye-bench-")
    if postgres_url:
        if not (keep and _exists(postgres_url, name)):
            with _admin(postgres_url) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
                conn.execute(f'CREATE DATABASE "{name}"')
        os.environ["DATABASE_URL"] = urlunsplit(urlsplit(postgres_url)._replace(path=f"/{name}"))
        vendor = "postgresql"
    else:
        os.environ.pop("DATABASE_URL", None)
        vendor = "sqlite"
    import django
    from django.conf import settings

    if vendor == "sqlite":
        folder = (
            Path(__file__).resolve().parent.parent / "var" / "bench" if keep else Path(tmp.name)
        )
        folder.mkdir(parents=True, exist_ok=True)
        settings.DATABASES["default"] = {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(folder / f"{name}.sqlite3"),
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    django.setup()
    from django.core.management import call_command
    from django.db import connections

    try:
        call_command("migrate", verbosity=0, interactive=False)
        yield vendor
    finally:
        connections.close_all()
        if postgres_url and not keep:
            with _admin(postgres_url) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        tmp.cleanup()


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)
