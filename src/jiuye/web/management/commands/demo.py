from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from jiuye.web.demo import DEMO_PASSWORD, build_demo


class Command(BaseCommand):
    help = (
        "Build the demo database (regions, service points, staff at five levels, a generated "
        "population); serve it."
    )

    def add_arguments(self, parser):
        parser.add_argument("--no-serve", action="store_true", help="build only, do not serve")
        parser.add_argument("--reset", action="store_true", help="empty the database first")
        parser.add_argument("--addr", default="127.0.0.1:8000", help="address:port to serve on")
        parser.add_argument(
            "--scale",
            choices=("county", "province", "none"),
            default="county",
            help="demo population: 曲沃县 (~40,000 people, default), all of Shanxi "
            "(1,000,000 people) or none",
        )
        parser.add_argument(
            "--people", type=int, default=None, help="size of the demo population (overrides)"
        )

    def handle(
        self,
        *args,
        no_serve=False,
        reset=False,
        addr="127.0.0.1:8000",
        scale="county",
        people=None,
        **options,
    ):
        db = settings.DATABASES["default"]
        self.stdout.write(f"数据库 / database: {db['ENGINE'].rsplit('.', 1)[-1]} {db['NAME']}")
        logins = build_demo(stdout=self.stdout, reset=reset, scale=scale, people=people)
        self.stdout.write("")
        self.stdout.write(
            self.style.SUCCESS(f"演示账号 / demo logins (password 密码: {DEMO_PASSWORD})")
        )
        for login in logins:
            self.stdout.write(
                f"  {login.username:<12} {login.role:<9} {login.region_code}  {login.full_name}"
            )
        self.stdout.write("")
        if no_serve:
            return
        self.stdout.write(
            self.style.SUCCESS(f"打开 / open http://{addr}/  (Ctrl+C 停止 / to stop)")
        )
        call_command("runserver", addr, use_reloader=False)
