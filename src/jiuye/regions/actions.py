"""Writes on service points (the region tree itself changes only through the loaders)."""

from __future__ import annotations

from django.db import transaction

from jiuye.accounts.permissions import Perm
from jiuye.core import audit
from jiuye.regions.models import ServicePoint
from jiuye.regions.selectors import require_region

EDITABLE = [
    "kind",
    "name",
    "region_code",
    "address",
    "longitude",
    "latitude",
    "opening_hours",
    "contact_person",
    "contact_phone",
    "is_active",
]


def _check_region(actor, region_code: str) -> str:
    return require_region(actor, region_code, Perm.MANAGE_REGIONS)


@transaction.atomic
def create_service_point(*, actor, **fields) -> ServicePoint:
    fields = {k: v for k, v in fields.items() if k in EDITABLE}
    fields["region_code"] = _check_region(actor, fields.get("region_code", ""))
    point = ServicePoint(**fields)
    point.full_clean()
    point.save()
    audit.record(
        actor=actor,
        action="regions.service_point.create",
        obj=point,
        after=audit.snapshot(point, EDITABLE),
    )
    return point


@transaction.atomic
def update_service_point(*, actor, point: ServicePoint, **changes) -> ServicePoint:
    # The object must already be in the actor's scope, and so must any region it moves to.
    _check_region(actor, point.region_code)
    if "region_code" in changes:
        changes["region_code"] = _check_region(actor, changes["region_code"])
    before = audit.snapshot(point, EDITABLE)
    for key, value in changes.items():
        if key in EDITABLE:
            setattr(point, key, value)
    point.full_clean()
    point.save()
    b, a = audit.changed(before, audit.snapshot(point, EDITABLE))
    if a:
        audit.record(
            actor=actor, action="regions.service_point.update", obj=point, before=b, after=a
        )
    return point
