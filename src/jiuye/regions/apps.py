from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegionsConfig(AppConfig):
    name = "jiuye.regions"
    label = "regions"
    verbose_name = _("Regions")

    def ready(self):
        from jiuye.accounts.permissions import Perm
        from jiuye.web.navigation import NavItem, register

        register(NavItem("regions", _("Regions"), "regions:home", Perm.VIEW, order=10))
        register(
            NavItem(
                "service_points", _("Service points"), "regions:service_points", Perm.VIEW, order=20
            )
        )
