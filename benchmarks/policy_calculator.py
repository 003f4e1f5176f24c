"""Policy calculator latency: ``POST /api/policies/calculate`` for one realistic situation.

    .venv/bin/python benchmarks/policy_calculator.py                 # PostgreSQL, 2,000 requests
    .venv/bin/python benchmarks/policy_calculator.py --sqlite        # the same on SQLite
    .venv/bin/python benchmarks/policy_calculator.py --ci            # what CI runs: SQLite, 200
    .venv/bin/python benchmarks/policy_calculator.py --profile 300   # + cProfile of 300 requests

The situation is ``docs/examples/benchmark-situation.json``: one person (a 2024 graduate from
an ex-poverty family, registered unemployed for 7 months before the hire), one micro employer
with last year's insurance figures, one hire and one skills certificate; every installed
policy is evaluated. Each request goes through the whole stack with the Django test client: a
logged-in 曲沃县 operator's session, authentication, the JSON body, the calculator, the
response schema and the JSON answer. After ``--warmup`` requests (caches, connections), the
p50/p95/p99 of ``--requests`` requests are printed, then the engine alone
(``calculator.calculate``) for comparison.

Goal (issue): p99 ≤ 50 ms for one situation through the API.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import DEFAULT_PG, bench_database, percentile

ROOT = Path(__file__).resolve().parent.parent
SITUATION = ROOT / "docs" / "examples" / "benchmark-situation.json"
QUWO = "141021000000"
GOAL_P99_MS = 50.0


def _figures(times_ms: list[float]) -> str:
    return (
        f"p50 {percentile(times_ms, 50):.2f} ms, p95 {percentile(times_ms, 95):.2f} ms, "
        f"p99 {percentile(times_ms, 99):.2f} ms, max {max(times_ms):.2f} ms"
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2_000)
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--ci", action="store_true", help="SQLite, 200 requests (CI)")
    parser.add_argument("--sqlite", action="store_true", help="SQLite file instead of PostgreSQL")
    parser.add_argument("--database-url", default=DEFAULT_PG)
    parser.add_argument("--db-name", default="jiuye_bench_policy_calculator")
    parser.add_argument(
        "--profile", type=int, default=0, metavar="N", help="also profile N requests (cProfile)"
    )
    args = parser.parse_args(argv)
    if args.ci:
        args.sqlite = True
        args.requests = min(args.requests, 200)
        args.warmup = min(args.warmup, 20)

    body = SITUATION.read_bytes()
    with bench_database(
        args.db_name + ("_ci" if args.ci else ""),
        postgres_url=None if args.sqlite else args.database_url,
    ) as vendor:
        from django.test import Client

        from jiuye.accounts.models import Role, RoleAssignment, User
        from jiuye.policies.calculator import calculate
        from jiuye.policies.rules import all_policies

        user = User.objects.create_user(username="bench_qw", home_region_code=QUWO)
        RoleAssignment.objects.create(user=user, role=Role.OPERATOR, region_code=QUWO)
        client = Client()
        client.force_login(user)

        def request() -> float:
            started = time.perf_counter()
            response = client.post("/api/policies/calculate", body, content_type="application/json")
            elapsed = (time.perf_counter() - started) * 1000
            assert response.status_code == 200, response.content[:300]
            return elapsed

        for _ in range(args.warmup):
            request()
        answer = client.post(
            "/api/policies/calculate", body, content_type="application/json"
        ).json()
        policies = len(answer["policies"])
        rows = sum(len(p["results"]) for p in answer["policies"])
        eligible = sum(r["eligible"] for p in answer["policies"] for r in p["results"])

        times = [request() for _ in range(args.requests)]
        p99 = percentile(times, 99)
        print(
            f"POST /api/policies/calculate ({vendor}, {policies} policies, {rows} results, "
            f"{eligible} eligible, {len(body)} bytes in, "
            f"{len(json.dumps(answer, ensure_ascii=False).encode())} bytes out): "
            f"{_figures(times)} over {args.requests} requests after {args.warmup} warm-up"
        )

        situation = json.loads(body)
        engine = []
        for _ in range(min(args.requests, 500)):
            started = time.perf_counter()
            calculate(situation)
            engine.append((time.perf_counter() - started) * 1000)
        print(f"calculator.calculate alone: {_figures(engine)} over {len(engine)} calls")
        per_policy = {}
        repeat = max(10, min(50, args.requests // 40))
        for code in all_policies():
            started = time.perf_counter()
            for _ in range(repeat):
                calculate(situation, [code])
            per_policy[code] = (time.perf_counter() - started) * 1000 / repeat
        print(
            "engine per policy (mean ms, situation read included): "
            + ", ".join(f"{code} {ms:.2f}" for code, ms in per_policy.items())
        )
        verdict = "MET" if p99 <= GOAL_P99_MS else "NOT MET"
        print(f"goal p99 ≤ {GOAL_P99_MS:.0f} ms through the API: {verdict} (p99 {p99:.2f} ms)")

        if args.profile:
            import cProfile
            import io
            import pstats

            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(args.profile):
                request()
            profiler.disable()
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(30)
            print(f"cProfile of {args.profile} requests, by cumulative time:")
            print(out.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main())
