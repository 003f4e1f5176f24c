from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "jiuye.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self):
        from jiuye.accounts.permissions import Perm
        from jiuye.web.navigation import NavItem, register

        register(NavItem("users", _("Users"), "accounts:users", Perm.MANAGE_USERS, order=900))
        from jiuye.accounts import signals  # noqa: F401  (audit of logins and failures)
