"""Policies pages: applications (placeholder until written)."""

urlpatterns = []
