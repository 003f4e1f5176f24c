"""Policies pages. Each feature keeps its views and URL patterns in ``views/<feature>.py``."""

from jiuye.policies.views import (
    applications,
    blacklist,
    budgets,
    calculator,
    catalogue,
    entitlements,
    payments,
    performance,
    runs,
)

app_name = "policies"

urlpatterns = [
    *catalogue.urlpatterns,
    *calculator.urlpatterns,
    *runs.urlpatterns,
    *entitlements.urlpatterns,
    *applications.urlpatterns,
    *budgets.urlpatterns,
    *payments.urlpatterns,
    *blacklist.urlpatterns,
    *performance.urlpatterns,
]
