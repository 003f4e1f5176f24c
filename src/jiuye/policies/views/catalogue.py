"""Policies pages: catalogue (placeholder until written)."""

urlpatterns = []
