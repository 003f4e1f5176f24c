"""``jiuye match export --k 10 --out recs.jsonl [--region CODE] [--user USERNAME]``.

A thin wrapper around ``jiuye.matching.recommend.export_recommendations``: one JSON line per
available job seeker (live, with an active intention) with their top ``k`` open postings::

    {"person": "<external id, else the internal id>", "person_id": 17,
     "recommendations": [{"rank": 1, "posting": "<external id, else id>", "posting_id": 9,
                          "score": 0.8123, "reasons": ["…"], "components": {"occupation": 1.0,
                          …}}, …]}

With ``--user`` only the seekers in that account's EXPORT scope are covered; without it (a
system run) everyone, or everyone under ``--region``. The run is recorded in the audit log.
"""

from __future__ import annotations

import os

from django.core.management.base import BaseCommand, CommandError

from jiuye.accounts.models import User
from jiuye.core.errors import JiuyeError
from jiuye.matching.recommend import export_recommendations


class Command(BaseCommand):
    help = "岗位推荐 / Job recommendations: `export` writes every seeker's top-k to JSON lines."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        export = sub.add_parser(
            "export", help="批量导出推荐结果 / export recommendations for every job seeker"
        )
        export.add_argument("--k", type=int, default=10, help="每人推荐数 / postings per person")
        export.add_argument("--out", required=True, help="输出文件 / the .jsonl file to write")
        export.add_argument("--region", default="", help="区划代码 / only seekers living here")
        export.add_argument(
            "--user", default="", help="账号 / limit to this account's export scope"
        )
        export.add_argument(
            "--workers",
            type=int,
            default=min(2, os.cpu_count() or 1),
            help="进程数 / processes ranking in parallel (default: up to 2)",
        )
        export.add_argument(
            "--candidates",
            type=int,
            default=50,
            help="re-ranking pool per seeker for the exposure-aware pass (default 50)",
        )
        export.add_argument("--seed", type=int, default=20261123, help="random order seed")
        export.add_argument(
            "--no-components", action="store_true", help="omit the component scores"
        )
        export.add_argument("--language", default=None, help="reasons in this language")

    def handle(self, *args, action, **options):
        if action == "export":
            self._export(**options)

    def _export(self, *, k, out, region, user, workers, candidates, seed, **options):
        if k < 1:
            raise CommandError("--k 至少为 1 / must be at least 1")
        actor = None
        if user:
            try:
                actor = User.objects.get(username=user, is_active=True)
            except User.DoesNotExist:
                raise CommandError(f"没有这个有效账号 / no active user named {user!r}") from None
        progress = None
        if options["verbosity"] >= 1:

            def progress(message):
                self.stderr.write(message)

        try:
            report = export_recommendations(
                out_path=out,
                k=k,
                user=actor,
                region=region.strip(),
                workers=max(1, workers),
                candidates=candidates,
                seed=seed,
                components=not options["no_components"],
                language=options["language"],
                progress=progress,
            )
        except JiuyeError as exc:
            raise CommandError(str(exc.message)) from exc
        self.stdout.write(report.text())
