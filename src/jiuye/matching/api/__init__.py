"""Matching API: one sub-router per feature, mounted at /api/matching/."""

from ninja import Router

from jiuye.matching.api import allocation, occupations, recommend, supply

router = Router(tags=["matching"])
router.add_router("/occupations", occupations.router)
router.add_router("/recommendations", recommend.router)
router.add_router("/supply-demand", supply.router)
router.add_router("/allocation", allocation.router)
