"""Policies pages: blacklist (placeholder until written)."""

urlpatterns = []
