from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve Jiuye on an address (migrations applied first)."

    def add_arguments(self, parser):
        parser.add_argument("addr", nargs="?", default="127.0.0.1:8000")

    def handle(self, *args, addr="127.0.0.1:8000", **options):
        call_command("migrate", interactive=False, verbosity=0)
        call_command("runserver", addr, use_reloader=False)
