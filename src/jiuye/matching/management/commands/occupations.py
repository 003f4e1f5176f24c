"""``jiuye occupations code TITLE [--k 5] [--json]`` and ``jiuye occupations fill [--dry-run]``.

``code`` prints the most likely 职业分类大典 2022 codes for a free-text job title. ``fill`` codes
the postings and job intentions whose occupation code is blank, as the system over every
region, through ``jiuye.matching.occupation_fill.fill_missing_codes`` (the function a page or a
task would call with a user's scope).
"""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from jiuye.accounts.scoping import Scope
from jiuye.matching.occupation_fill import fill_missing_codes
from jiuye.registry.occupation_coder import AUTO_CODE_THRESHOLD, MAX_K, code_title


class Command(BaseCommand):
    help = "职业编码 / Occupation coding: code a job title, or fill blank occupation codes."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="subcommand", required=True)
        code = sub.add_parser("code", help="职位名称编码 / code one job title")
        code.add_argument("title", help="职位名称 / the job title as written")
        code.add_argument(
            "--k", type=int, default=5, help="返回条数 / how many codes (default %(default)s)"
        )
        code.add_argument("--json", action="store_true", help="JSON 输出 / print JSON")
        fill = sub.add_parser(
            "fill",
            help="补全空白职业编码 / code postings and job intentions that have no code",
        )
        fill.add_argument(
            "--dry-run", action="store_true", help="只统计，不写入 / report, write nothing"
        )
        fill.add_argument(
            "--threshold",
            type=float,
            default=None,
            help=f"自动接受的最低分 / lowest score accepted (default {AUTO_CODE_THRESHOLD})",
        )

    def handle(self, *args, subcommand, **options):
        if subcommand == "code":
            return self._code(options["title"], options["k"], options["json"])
        return self._fill(options["dry_run"], options["threshold"])

    def _code(self, title: str, k: int, as_json: bool):
        if not 1 <= k <= MAX_K:
            raise CommandError(f"--k 须在 1–{MAX_K} 之间 / --k must be between 1 and {MAX_K}")
        if not title.strip():
            raise CommandError("职位名称为空 / the title is empty")
        matches = code_title(title, k)
        if as_json:
            body = {
                "title": title,
                "results": [
                    {
                        "code": m.code,
                        "name": m.name,
                        "level": m.level,
                        "score": m.score,
                        "path": m.path,
                    }
                    for m in matches
                ],
            }
            self.stdout.write(json.dumps(body, ensure_ascii=False))
            return
        if not matches:
            self.stdout.write("无匹配 / no match")
        for rank, m in enumerate(matches, 1):
            accepted = " *" if rank == 1 and m.score >= AUTO_CODE_THRESHOLD else ""
            self.stdout.write(f"{rank}. {m.code}  {m.name}  {m.score:.3f}{accepted}  ({m.path})")

    def _fill(self, dry_run: bool, threshold: float | None):
        if threshold is not None and not 0 <= threshold <= 1:
            raise CommandError("--threshold 须在 0–1 之间 / --threshold must be between 0 and 1")
        result = fill_missing_codes(
            actor=None, scope=Scope(everything=True), dry_run=dry_run, threshold=threshold
        )
        write = self.stdout.write
        verb = "将编码 / would code" if dry_run else "已编码 / coded"
        for label, counts in (
            ("招聘岗位 / postings", result.postings),
            ("求职意向 / job intentions", result.intentions),
        ):
            write(
                f"{label}: 空白 {counts.blank}，{verb} {counts.coded}，"
                f"低于阈值 {counts.below_threshold} / blank {counts.blank}, "
                f"below threshold {counts.below_threshold}"
            )
        write(f"阈值 / threshold {result.threshold}")
        for kind, pk, title, code, name, score in result.samples:
            write(f"  {kind} #{pk} “{title}” → {code} {name} ({score:.3f})")
