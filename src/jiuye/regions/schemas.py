from __future__ import annotations

from decimal import Decimal

from ninja import Schema
from pydantic import Field


class RegionOut(Schema):
    code: str
    name: str
    level: int
    level_label: str
    parent_code: str | None
    code_source: str
    urban_rural_code: str
    valid_from: str
    valid_to: str | None


class RegionChildOut(RegionOut):
    child_count: int


class BreadcrumbOut(Schema):
    code: str
    name: str


class RegionDetailOut(RegionOut):
    breadcrumbs: list[BreadcrumbOut]
    descendant_counts: dict[str, int]
    children: list[RegionChildOut]


class ServicePointOut(Schema):
    id: int
    kind: str
    kind_label: str
    name: str
    region_code: str
    region_name: str
    address: str
    longitude: Decimal | None
    latitude: Decimal | None
    opening_hours: str
    contact_person: str
    contact_phone: str
    is_active: bool


class ServicePointIn(Schema):
    kind: str
    name: str = Field(min_length=1, max_length=100)
    region_code: str = Field(min_length=2, max_length=12)
    address: str = ""
    longitude: Decimal | None = None
    latitude: Decimal | None = None
    opening_hours: str = ""
    contact_person: str = ""
    contact_phone: str = ""
    is_active: bool = True


class ServicePointPatch(Schema):
    kind: str | None = None
    name: str | None = None
    region_code: str | None = None
    address: str | None = None
    longitude: Decimal | None = None
    latitude: Decimal | None = None
    opening_hours: str | None = None
    contact_person: str | None = None
    contact_phone: str | None = None
    is_active: bool | None = None


class ServicePointPage(Schema):
    count: int
    page: int
    page_size: int
    items: list[ServicePointOut]
