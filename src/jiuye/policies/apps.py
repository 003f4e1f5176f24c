from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# Each feature module under views/ may define ``ready()`` to register its navigation items,
# panels and audit labels.
FEATURES = (
    "catalogue",
    "calculator",
    "runs",
    "entitlements",
    "applications",
    "budgets",
    "payments",
    "blacklist",
    "performance",
)


class PoliciesConfig(AppConfig):
    name = "jiuye.policies"
    label = "policies"
    verbose_name = _("Policies")

    def ready(self):
        import importlib

        for feature in FEATURES:
            module = importlib.import_module(f"jiuye.policies.views.{feature}")
            hook = getattr(module, "ready", None)
            if hook is not None:
                hook()
