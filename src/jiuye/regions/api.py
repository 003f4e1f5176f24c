"""Regions and service points over HTTP: the same selectors and actions as the pages."""

from __future__ import annotations

from django.db import transaction
from ninja import Query, Router, Schema, Status
from pydantic import Field

from jiuye.accounts.permissions import Perm
from jiuye.regions import actions, selectors
from jiuye.regions.codes import parent_code
from jiuye.regions.models import Region, RegionLevel, ServicePoint, ServicePointKind
from jiuye.regions.schemas import (
    RegionChildOut,
    RegionDetailOut,
    RegionOut,
    ServicePointIn,
    ServicePointOut,
    ServicePointPage,
    ServicePointPatch,
)

router = Router(tags=["regions"])
service_points_router = Router(tags=["service points"])


def _region_out(r: Region, **extra) -> dict:
    return {
        "code": r.code,
        "name": r.name,
        "level": r.level,
        "level_label": str(RegionLevel(r.level).label),
        "parent_code": parent_code(r.code),
        "code_source": r.code_source,
        "urban_rural_code": r.urban_rural_code,
        "valid_from": r.valid_from.isoformat(),
        "valid_to": r.valid_to.isoformat() if r.valid_to else None,
        **extra,
    }


def _point_out(p: ServicePoint, names: dict[str, str]) -> dict:
    return {
        "id": p.pk,
        "kind": p.kind,
        "kind_label": str(p.get_kind_display()),
        "name": p.name,
        "region_code": p.region_code,
        "region_name": names.get(p.region_code, ""),
        "address": p.address,
        "longitude": p.longitude,
        "latitude": p.latitude,
        "opening_hours": p.opening_hours,
        "contact_person": p.contact_person,
        "contact_phone": p.contact_phone,
        "is_active": p.is_active,
    }


@router.get("/", response=list[RegionOut], summary="The caller's top regions")
def my_regions(request):
    return [_region_out(r) for r in selectors.top_regions_for(request.user)]


@router.get("/search", response=list[RegionOut], summary="Find regions by name, code or pinyin")
def search(request, q: str, limit: int = 20):
    return [
        _region_out(r)
        for r in selectors.search_regions(request.user, q, limit=max(1, min(limit, 100)))
    ]


@router.get("/{code}", response=RegionDetailOut, summary="A region with breadcrumbs and children")
def region_detail(request, code: str):
    region = selectors.region_for(request.user, code)
    counts = selectors.descendant_counts(region)
    return _region_out(
        region,
        breadcrumbs=[
            {"code": b["code"], "name": b["name"]}
            for b in selectors.breadcrumbs_for(request.user, region)
        ],
        descendant_counts={str(k): v for k, v in counts.items()},
        children=[_region_out(c, child_count=c.child_count) for c in selectors.children_of(region)],
    )


@router.get("/{code}/children", response=list[RegionChildOut])
def region_children(request, code: str):
    region = selectors.region_for(request.user, code)
    return [_region_out(c, child_count=c.child_count) for c in selectors.children_of(region)]


class PointFilters(Schema):
    q: str = ""
    kind: ServicePointKind | None = None
    region_code: str = ""
    active: str = ""
    page: int = Field(1, ge=1)
    page_size: int = Field(20, ge=1, le=200)


@service_points_router.get("/", response=ServicePointPage)
def list_points(request, filters: Query[PointFilters]):
    qs = selectors.service_point_list(
        request.user,
        q=filters.q,
        kind=filters.kind or "",
        region_code=filters.region_code,
        active=filters.active,
    )
    start = (filters.page - 1) * filters.page_size
    rows = list(qs[start : start + filters.page_size])
    names = selectors.region_names(p.region_code for p in rows)
    return {
        "count": qs.count(),
        "page": filters.page,
        "page_size": filters.page_size,
        "items": [_point_out(p, names) for p in rows],
    }


@service_points_router.get("/{int:point_id}", response=ServicePointOut)
def get_point(request, point_id: int):
    p = selectors.get_service_point_for(request.user, point_id)
    return _point_out(p, selectors.region_names([p.region_code]))


@service_points_router.post("/", response={201: ServicePointOut})
def create_point(request, payload: ServicePointIn):
    p = actions.create_service_point(actor=request.user, **payload.dict())
    return Status(201, _point_out(p, selectors.region_names([p.region_code])))


@service_points_router.patch("/{int:point_id}", response=ServicePointOut)
def update_point(request, point_id: int, payload: ServicePointPatch):
    with transaction.atomic():
        p = selectors.get_service_point_for(request.user, point_id, Perm.MANAGE_REGIONS)
        changes = payload.dict(exclude_unset=True)
        p = actions.update_service_point(actor=request.user, point=p, **changes)
    return _point_out(p, selectors.region_names([p.region_code]))
