from __future__ import annotations

import datetime

from ninja import Schema
from pydantic import Field


class PersonOut(Schema):
    id: int
    name: str
    id_number: str  # masked unless the caller may see it in full and asked to
    sex: str
    birth_date: datetime.date
    phone: str
    region_code: str
    hukou_region_code: str
    hukou_type: str
    education: str
    ethnicity: str
    employment_status: str
    status_since: datetime.date | None
    labour_brand: str | None


class PersonPage(Schema):
    count: int
    page: int
    page_size: int
    items: list[PersonOut]


class PersonIn(Schema):
    name: str = Field(min_length=1, max_length=50)
    id_number: str = Field(min_length=15, max_length=25)
    region_code: str
    phone: str = ""
    hukou_region_code: str = ""
    hukou_type: str = ""
    education: str = ""
    ethnicity: str = ""
    disability_certificate: str = ""


class EventOut(Schema):
    id: int
    kind: str
    occurred_on: datetime.date
    region_code: str
    employer_id: int | None
    employer_name: str
    form: str
    contract_type: str
    contract_end: datetime.date | None
    work_place: str
    occupation_code: str
    reason: str
    supersedes_id: int | None


class EventIn(Schema):
    kind: str
    occurred_on: datetime.date
    employer_uscc: str = ""
    employer_name: str = ""
    form: str = ""
    contract_type: str = ""
    contract_end: datetime.date | None = None
    work_place: str = ""
    occupation_code: str = ""
    reason: str = ""
    supersedes_id: int | None = None


class MembershipOut(Schema):
    id: int
    group: str
    category: str
    valid_from: datetime.date
    valid_to: datetime.date | None
    source: str
    details: dict


class HouseholdMemberOut(Schema):
    person_id: int
    name: str
    relation: str
    employment_status: str


class HouseholdOut(Schema):
    id: int
    region_code: str
    address: str
    external_id: str
    zero_employment: bool
    members: list[HouseholdMemberOut]


class EmployerOut(Schema):
    id: int
    uscc: str
    name: str
    industry_code: str
    ownership: str
    size_class: str
    region_code: str
    address: str
    legal_representative: str


class EmployerIn(Schema):
    uscc: str
    name: str
    region_code: str
    industry_code: str = ""
    ownership: str = ""
    size_class: str = ""
    address: str = ""
    legal_representative: str = ""
    contact_person: str = ""
    contact_phone: str = ""


class EmployerPage(Schema):
    count: int
    page: int
    page_size: int
    items: list[EmployerOut]
