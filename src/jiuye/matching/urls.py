"""Matching pages. Each feature keeps its views and URL patterns in ``views/<feature>.py``."""

from jiuye.matching.views import allocation, occupations, recommend, supply

app_name = "matching"

urlpatterns = [
    *occupations.urlpatterns,
    *recommend.urlpatterns,
    *supply.urlpatterns,
    *allocation.urlpatterns,
]
