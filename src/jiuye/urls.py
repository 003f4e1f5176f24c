from django.contrib import admin
from django.urls import include, path

from jiuye.api import api

urlpatterns = [
    path("", include("jiuye.web.urls")),
    path("accounts/", include("jiuye.accounts.urls")),
    path("regions/", include("jiuye.regions.urls")),
    path("registry/", include("jiuye.registry.urls")),
    path("jobs/", include("jiuye.jobs.urls")),
    path("matching/", include("jiuye.matching.urls")),
    path("policies/", include("jiuye.policies.urls")),
    path("audit/", include("jiuye.core.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", api.urls),
    path("django-admin/", admin.site.urls),
]
