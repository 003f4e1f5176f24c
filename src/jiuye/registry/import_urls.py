"""Import pages; included under ``/registry/import/`` in the ``registry`` namespace."""

from django.urls import path

from jiuye.registry import import_views as views

urlpatterns = [
    path("", views.import_upload, name="import"),
    path("<slug:token>/", views.import_preview, name="import_preview"),
    path("<slug:token>/run/", views.import_run, name="import_run"),
    path("<slug:token>/errors.xlsx", views.import_errors, name="import_errors"),
]
