from django.core.management.base import BaseCommand, CommandError

from jiuye.accounts import actions
from jiuye.accounts.models import User


class Command(BaseCommand):
    help = "Issue an API token for a user (for another system); the token is printed once."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("name", help="what the token is for, e.g. 社保系统对接")

    def handle(self, *args, username, name, **options):
        try:
            user = User.objects.get(username=username, is_active=True)
        except User.DoesNotExist as exc:
            raise CommandError(f"no active user {username!r}") from exc
        _row, clear = actions.create_api_token(actor=user, user=user, name=name)
        self.stdout.write(clear)
