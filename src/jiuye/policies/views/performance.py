"""Policies pages: performance (placeholder until written)."""

urlpatterns = []
