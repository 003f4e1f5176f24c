"""Policies pages: calculator (placeholder until written)."""

urlpatterns = []
