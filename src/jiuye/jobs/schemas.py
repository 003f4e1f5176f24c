from __future__ import annotations

import datetime

from ninja import Schema
from pydantic import Field


class FindingOut(Schema):
    field: str
    start: int
    end: int
    phrase: str
    category: str


class PostingOut(Schema):
    id: int
    title: str
    employer_id: int
    employer_name: str
    employer_uscc: str
    occupation_code: str
    occupation_coded_by: str
    occupation_score: float | None
    description: str
    headcount: int
    wage_min: int | None
    wage_max: int | None
    education: str
    age_min: int | None
    age_max: int | None
    experience_years: int | None
    region_code: str
    address: str
    longitude: float | None
    latitude: float | None
    kind: str
    channel: str
    valid_from: datetime.date
    valid_to: datetime.date
    status: str
    review_flags: list[FindingOut]
    review_note: str
    closed_reason: str
    external_id: str
    published_at: datetime.datetime | None


class PostingPage(Schema):
    count: int
    page: int
    page_size: int
    items: list[PostingOut]


class PostingIn(Schema):
    employer_uscc: str = Field(min_length=18, max_length=20)
    title: str = Field(min_length=1, max_length=100)
    region_code: str
    valid_from: datetime.date
    valid_to: datetime.date
    occupation_code: str = ""
    description: str = Field("", max_length=5000)
    headcount: int = Field(1, ge=1, le=100_000)
    wage_min: int | None = Field(None, ge=0)
    wage_max: int | None = Field(None, ge=0)
    education: str = ""
    age_min: int | None = Field(None, ge=16, le=80)
    age_max: int | None = Field(None, ge=16, le=80)
    experience_years: int | None = Field(None, ge=0, le=50)
    address: str = Field("", max_length=200)
    longitude: float | None = None
    latitude: float | None = None
    kind: str = "full_time"
    channel: str = "employer"
    external_id: str = Field("", max_length=64)


class ApproveIn(Schema):
    acknowledge_findings: bool = False
    note: str = Field("", max_length=500)


class NoteIn(Schema):
    note: str = Field(min_length=1, max_length=500)


class ApplyIn(Schema):
    person_id: int


class HireOut(Schema):
    id: int
    start_date: datetime.date
    monthly_wage: int | None
    contract_type: str
    contract_end: datetime.date | None
    event_id: int


class ApplicationOut(Schema):
    id: int
    posting_id: int
    person_id: int
    person_name: str
    status: str
    source: str
    reason: str
    created_at: datetime.datetime
    decided_at: datetime.datetime | None
    hire: HireOut | None


class HireIn(Schema):
    start_date: datetime.date
    monthly_wage: int | None = Field(None, ge=0)
    contract_type: str = ""
    contract_end: datetime.date | None = None


class FairOut(Schema):
    id: int
    name: str
    kind: str
    mode: str
    region_code: str
    venue: str
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    status: str
    theme: str
    description: str


class FairPage(Schema):
    count: int
    page: int
    page_size: int
    items: list[FairOut]


class EmployerResultOut(Schema):
    employer_id: int
    name: str
    booth: str
    postings: int
    vacancies: int
    intentions: int
    hires: int


class FairResultsOut(Schema):
    fair_id: int
    employers: int
    postings: int
    vacancies: int
    attendees: int
    checked_in: int
    intentions: int
    hires: int
    declined: int
    pending: int
    by_employer: list[EmployerResultOut]
