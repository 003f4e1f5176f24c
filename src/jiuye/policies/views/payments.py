"""Policies pages: payments (placeholder until written)."""

urlpatterns = []
