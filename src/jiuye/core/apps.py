from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "jiuye.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self):
        from jiuye.accounts.permissions import Perm
        from jiuye.web.navigation import NavItem, register

        register(NavItem("audit", _("Audit log"), "core:audit", Perm.VIEW_AUDIT, order=910))
        register(NavItem("api", _("API"), "api:openapi-view", Perm.VIEW, order=990))
