"""``jiuye allocate ROUND_ID [--method da|mcf] [--publish | --publish-only] --user USERNAME``.

A thin wrapper around ``jiuye.matching.actions`` — the functions the round page calls: the
acting account's scope and permissions apply exactly as on the page (running needs EDIT,
publishing REVIEW, in the round's region).
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.http import Http404

from jiuye.accounts.models import User
from jiuye.accounts.permissions import Perm
from jiuye.core.errors import JiuyeError
from jiuye.matching import actions, selectors
from jiuye.matching.models import AllocationMethod


class Command(BaseCommand):
    help = (
        "见习岗位分配 / Allocate an internship round: deferred acceptance (stable) or "
        "maximum total fit (min-cost flow), optionally publishing the result."
    )

    def add_arguments(self, parser):
        parser.add_argument("round_id", type=int, help="分配批次编号 / the round's id")
        parser.add_argument(
            "--method",
            choices=AllocationMethod.values,
            default=AllocationMethod.DA,
            help="da = 延迟接受（稳定）/ deferred acceptance; mcf = 总匹配度最大 / max total fit",
        )
        parser.add_argument(
            "--publish",
            action="store_true",
            help="分配后发布 / publish the result afterwards (needs the review permission)",
        )
        parser.add_argument(
            "--publish-only",
            action="store_true",
            help="只发布已有结果 / publish the current result without running again",
        )
        parser.add_argument(
            "--user",
            required=True,
            help="经办人账号 / the acting staff account; its scope and role apply",
        )

    def handle(self, *args, round_id, method, publish, publish_only, user, **options):
        try:
            actor = User.objects.get(username=user, is_active=True)
        except User.DoesNotExist:
            raise CommandError(f"没有这个有效账号 / no active user named {user!r}") from None
        try:
            rnd = selectors.get_round_for(actor, round_id, Perm.VIEW)
        except Http404:
            raise CommandError(
                f"没有这个分配批次或不在辖区内 / no round {round_id} in {user}'s regions"
            ) from None
        try:
            if not publish_only:
                self._run(rnd, actor, method)
            if publish or publish_only:
                rnd = actions.publish_round(rnd, actor=actor)
                self.stdout.write(f"published at {rnd.published_at:%Y-%m-%d %H:%M:%S}")
        except JiuyeError as exc:
            raise CommandError(str(exc.message)) from exc

    def _run(self, rnd, actor, method):
        rnd = actions.run_round(rnd, actor=actor, method=method)
        s = rnd.stats
        self.stdout.write(
            f"{rnd.name}: {s['assigned']}/{s['applicants']} placed "
            f"({s['first_choice']} first choices, mean rank {s['mean_rank']}), "
            f"total fit {s['total_fit']}, blocking pairs {s['blocking_pairs']}, "
            f"{s['seconds']} s ({method})"
        )
        o = s["other"]
        self.stdout.write(
            f"  {o['method']} on the same input: {o['assigned']} placed, "
            f"total fit {o['total_fit']}, blocking pairs {o['blocking_pairs']}"
        )
