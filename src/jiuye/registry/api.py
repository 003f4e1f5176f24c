"""The registry over HTTP, for other systems and the portal: same selectors and actions."""

from __future__ import annotations

from django.utils import timezone
from ninja import Query, Router, Schema, Status
from pydantic import Field

from jiuye.accounts.permissions import Perm
from jiuye.core.errors import ErrorCode, JiuyeError
from jiuye.core.masking import mask_id_number, mask_phone
from jiuye.registry import actions, selectors
from jiuye.registry.models import Person
from jiuye.registry.schemas import (
    EmployerIn,
    EmployerOut,
    EmployerPage,
    EventIn,
    EventOut,
    HouseholdOut,
    MembershipOut,
    PersonIn,
    PersonOut,
    PersonPage,
)

router = Router(tags=["registry"])


def _person_out(p: Person, *, full: bool = False) -> dict:
    return {
        "id": p.pk,
        "name": p.name,
        "id_number": p.id_number if full else mask_id_number(p.id_number),
        "sex": p.sex,
        "birth_date": p.birth_date,
        "phone": p.phone if full else mask_phone(p.phone),
        "region_code": p.region_code,
        "hukou_region_code": p.hukou_region_code,
        "hukou_type": p.hukou_type,
        "education": p.education,
        "ethnicity": p.ethnicity,
        "employment_status": p.employment_status,
        "status_since": p.status_since,
        "labour_brand": p.labour_brand.name if p.labour_brand_id else None,
    }


class PersonQuery(Schema):
    q: str = ""
    region_code: str = ""
    group: str = ""
    status: str = ""
    sex: str = ""
    min_age: int | None = None
    max_age: int | None = None
    education: str = ""
    intention: str = ""
    page: int = Field(1, ge=1)
    page_size: int = Field(20, ge=1, le=200)


@router.get("/people", response=PersonPage, summary="People in the caller's regions (masked)")
def list_people(request, query: Query[PersonQuery]):
    data = query.dict()
    page, size = data.pop("page"), data.pop("page_size")
    filters = selectors.PersonFilters(**{k: v for k, v in data.items() if v not in ("", None)})
    qs = selectors.person_list(request.user, filters).select_related("labour_brand")
    start = (page - 1) * size
    return {
        "count": qs.count(),
        "page": page,
        "page_size": size,
        "items": [_person_out(p) for p in qs[start : start + size]],
    }


@router.get("/people/{int:person_id}", response=PersonOut)
def get_person(request, person_id: int, full: bool = False):
    """``full=true`` returns the unmasked ID number and phone where the caller's role allows
    it; the view is recorded in the audit log."""
    person = selectors.get_person_for(request.user, person_id)
    if full:
        actions.reveal_id_number(actor=request.user, person=person)
    return _person_out(person, full=full)


@router.post("/people", response={201: PersonOut})
def create_person(request, payload: PersonIn):
    person = actions.register_person(actor=request.user, **payload.dict())
    return Status(201, _person_out(person))


@router.get("/people/{int:person_id}/events", response=list[EventOut])
def list_events(request, person_id: int):
    person = selectors.get_person_for(request.user, person_id)
    return list(person.events.order_by("occurred_on", "id"))


@router.post("/people/{int:person_id}/events", response={201: EventOut})
def create_event(request, person_id: int, payload: EventIn):
    person = selectors.get_person_for(request.user, person_id, Perm.EDIT)
    data = payload.dict()
    uscc = data.pop("employer_uscc")
    supersedes_id = data.pop("supersedes_id")
    employer = None
    if uscc:
        employer = selectors.employer_list(request.user).filter(uscc=uscc.upper()).first()
        if employer is None:
            raise JiuyeError(ErrorCode.NOT_FOUND, status=404)
    supersedes = person.events.filter(pk=supersedes_id).first() if supersedes_id else None
    if supersedes_id and supersedes is None:
        raise JiuyeError(ErrorCode.NOT_FOUND, status=404)
    event = actions.record_event(
        actor=request.user, person=person, employer=employer, supersedes=supersedes, **data
    )
    return Status(201, event)


@router.get("/people/{int:person_id}/memberships", response=list[MembershipOut])
def list_memberships(request, person_id: int):
    return list(selectors.get_person_for(request.user, person_id).memberships.all())


@router.get("/households/{int:household_id}", response=HouseholdOut)
def get_household(request, household_id: int):
    household = selectors.get_household_for(request.user, household_id)
    members = selectors.household_members(household)
    return {
        "id": household.pk,
        "region_code": household.region_code,
        "address": household.address,
        "external_id": household.external_id,
        "zero_employment": selectors.is_zero_employment(
            [(m.person.birth_date, m.person.sex, m.person.employment_status) for m in members],
            timezone.localdate(),
        ),
        "members": [
            {
                "person_id": m.person_id,
                "name": m.person.name,
                "relation": m.relation,
                "employment_status": m.person.employment_status,
            }
            for m in members
        ],
    }


class EmployerQuery(Schema):
    q: str = ""
    region_code: str = ""
    industry: str = ""
    ownership: str = ""
    size_class: str = ""
    page: int = Field(1, ge=1)
    page_size: int = Field(20, ge=1, le=200)


@router.get("/employers", response=EmployerPage)
def list_employers(request, query: Query[EmployerQuery]):
    data = query.dict()
    page, size = data.pop("page"), data.pop("page_size")
    qs = selectors.employer_list(request.user, **data)
    start = (page - 1) * size
    return {
        "count": qs.count(),
        "page": page,
        "page_size": size,
        "items": list(qs[start : start + size]),
    }


@router.get("/employers/{int:employer_id}", response=EmployerOut)
def get_employer(request, employer_id: int):
    return selectors.get_employer_for(request.user, employer_id)


@router.post("/employers", response={201: EmployerOut})
def create_employer(request, payload: EmployerIn):
    return Status(201, actions.register_employer(actor=request.user, **payload.dict()))
