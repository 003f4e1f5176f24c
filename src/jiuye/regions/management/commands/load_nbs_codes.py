"""``jiuye load_nbs_codes FILE [--valid-from YYYY-MM-DD]``: load the official NBS code file."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from jiuye.regions.loaders import load_nbs_code_file


class Command(BaseCommand):
    help = (
        "加载国家统计局12位统计用区划代码文件（CSV：代码,名称,层级,上级代码,城乡分类代码）/ "
        "Load the official NBS 12-digit code file."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="CSV file (UTF-8 with or without BOM, or GBK)")
        parser.add_argument(
            "--valid-from",
            type=date.fromisoformat,
            default=None,
            help="生效日期 / date the codes take effect, YYYY-MM-DD (default: today)",
        )

    def handle(self, *args, path, valid_from, **options):
        try:
            report = load_nbs_code_file(
                path, valid_from=valid_from or timezone.localdate(), stdout=self.stdout
            )
        except OSError as exc:
            raise CommandError(f"无法读取文件 / cannot read {path}: {exc}") from exc
        if not report.ok:
            raise CommandError(
                f"文件被拒绝：{len(report.errors)} 行有错误 / file rejected: "
                f"{len(report.errors)} bad rows"
            )
