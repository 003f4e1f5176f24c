from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "jiuye.registry"
    label = "registry"
    verbose_name = _("Registry")

    def ready(self):
        from jiuye.accounts.permissions import Perm
        from jiuye.web.navigation import NavItem, register

        register(NavItem("people", _("Registry"), "registry:people", Perm.VIEW, order=30))
        register(NavItem("employers", _("Employers"), "registry:employers", Perm.VIEW, order=40))
        register(NavItem("households", _("Households"), "registry:households", Perm.VIEW, order=45))
