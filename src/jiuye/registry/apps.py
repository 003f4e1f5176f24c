from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "jiuye.registry"
    label = "registry"
    verbose_name = _("Registry")

    def ready(self):
        from jiuye.core.audit import register_labels

        register_labels(
            {
                "registry.person.create": _("Registered"),
                "registry.person.update": _("Details changed"),
                "registry.person.view_full_id": _("Full ID number viewed"),
                "registry.person.merge": _("Duplicate record merged in"),
                "registry.person.merged_into": _("Merged into another record"),
                "registry.person.import_update": _("Updated by an import"),
            }
        )
        from jiuye.accounts.permissions import Perm
        from jiuye.web.navigation import NavItem, register

        register(NavItem("people", _("Registry"), "registry:people", Perm.VIEW, order=30))
        register(NavItem("employers", _("Employers"), "registry:employers", Perm.VIEW, order=40))
        register(NavItem("households", _("Households"), "registry:households", Perm.VIEW, order=45))
