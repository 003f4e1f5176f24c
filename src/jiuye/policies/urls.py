"""Policies pages. Each feature keeps its views and URL patterns in ``views/<feature>.py``."""

from django.urls import path
from django.views.generic import RedirectView

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
    path("", RedirectView.as_view(pattern_name="policies:catalogue"), name="index"),
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
