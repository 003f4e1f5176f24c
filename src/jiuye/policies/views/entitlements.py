"""Policies pages: entitlements (placeholder until written)."""

urlpatterns = []
