"""Policies pages: runs (placeholder until written)."""

urlpatterns = []
