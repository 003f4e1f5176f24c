"""Policies API: one sub-router per feature, mounted at /api/policies/.

``POST /api/policies/calculate`` (the calculator) lives in ``catalogue``."""

from ninja import Router

from jiuye.policies.api import catalogue, entitlements, payments, runs

router = Router(tags=["policies"])
router.add_router("", catalogue.router)
router.add_router("/runs", runs.router)
router.add_router("/entitlements", entitlements.router)
router.add_router("/payments", payments.router)
