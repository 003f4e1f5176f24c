"""``jiuye jobs expire [--date YYYY-MM-DD]``: close published postings whose validity ended.

A thin wrapper around ``jiuye.jobs.actions.expire_postings`` (run it daily, e.g. from cron);
running it twice on the same day changes nothing the second time.
"""

from __future__ import annotations

import datetime

from django.core.management.base import BaseCommand, CommandError

from jiuye.jobs.actions import expire_postings


class Command(BaseCommand):
    help = "招聘岗位维护 / Job posting maintenance: expire."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="task", required=True)
        expire = sub.add_parser(
            "expire",
            help="关闭已过有效期的岗位 / close published postings past their end date",
        )
        expire.add_argument(
            "--date",
            help="以此日期为今天 / treat this date (YYYY-MM-DD) as today",
        )

    def handle(self, *args, task, **options):
        if task == "expire":
            today = None
            if options.get("date"):
                try:
                    today = datetime.date.fromisoformat(options["date"])
                except ValueError:
                    raise CommandError(f"日期无效 / not a date: {options['date']}") from None
            n = expire_postings(today=today)
            self.stdout.write(f"已关闭 {n} 个过期岗位 / {n} postings expired")
