"""``jiuye load_regions [--roots 14,6328]``: load the shipped five-level region tree."""

from django.core.management.base import BaseCommand, CommandError

from jiuye.regions.loaders import load_region_tree
from jiuye.regions.sources import DEFAULT_ROOTS, RegionSourceError


class Command(BaseCommand):
    help = "加载内置的五级区划树 / Load the shipped five-level region tree (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--roots",
            default=",".join(DEFAULT_ROOTS),
            help="省/市/县代码，逗号分隔 / comma-separated 2/4/6-digit codes (%(default)s)",
        )

    def handle(self, *args, roots, **options):
        codes = tuple(code.strip() for code in roots.split(",") if code.strip())
        try:
            load_region_tree(roots=codes, stdout=self.stdout)
        except (RegionSourceError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
