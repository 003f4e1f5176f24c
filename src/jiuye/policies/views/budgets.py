"""Policies pages: budgets (placeholder until written)."""

urlpatterns = []
