"""Postings, applications and job fairs over HTTP: the same selectors and actions as the pages.

Every object is looked up within the caller's regions (404 outside them); actions raise
``JiuyeError``, which the API answers as JSON with its code.
"""

from __future__ import annotations

import dataclasses
import datetime

from ninja import Query, Router, Schema, Status
from pydantic import Field

from jiuye.core.errors import ErrorCode, JiuyeError
from jiuye.jobs import actions, selectors
from jiuye.jobs.models import Application, Posting
from jiuye.jobs.schemas import (
    ApplicationOut,
    ApplyIn,
    ApproveIn,
    FairOut,
    FairPage,
    FairResultsOut,
    HireIn,
    NoteIn,
    PostingIn,
    PostingOut,
    PostingPage,
)
from jiuye.registry import selectors as registry_selectors

router = Router(tags=["jobs"])


def _posting_out(p: Posting) -> dict:
    return {
        "id": p.pk,
        "title": p.title,
        "employer_id": p.employer_id,
        "employer_name": p.employer.name,
        "employer_uscc": p.employer.uscc,
        "occupation_code": p.occupation_code,
        "occupation_coded_by": p.occupation_coded_by,
        "occupation_score": p.occupation_score,
        "description": p.description,
        "headcount": p.headcount,
        "wage_min": p.wage_min,
        "wage_max": p.wage_max,
        "education": p.education,
        "age_min": p.age_min,
        "age_max": p.age_max,
        "experience_years": p.experience_years,
        "region_code": p.region_code,
        "address": p.address,
        "longitude": float(p.longitude) if p.longitude is not None else None,
        "latitude": float(p.latitude) if p.latitude is not None else None,
        "kind": p.kind,
        "channel": p.channel,
        "valid_from": p.valid_from,
        "valid_to": p.valid_to,
        "status": p.status,
        "review_flags": p.review_flags or [],
        "review_note": p.review_note,
        "closed_reason": p.closed_reason,
        "external_id": p.external_id,
        "published_at": p.published_at,
    }


def _application_out(a: Application) -> dict:
    hire = getattr(a, "hire", None)
    return {
        "id": a.pk,
        "posting_id": a.posting_id,
        "person_id": a.person_id,
        "person_name": a.person.name,
        "status": a.status,
        "source": a.source,
        "reason": a.reason,
        "created_at": a.created_at,
        "decided_at": a.decided_at,
        "hire": (
            {
                "id": hire.pk,
                "start_date": hire.start_date,
                "monthly_wage": hire.monthly_wage,
                "contract_type": hire.contract_type,
                "contract_end": hire.contract_end,
                "event_id": hire.event_id,
            }
            if hire is not None
            else None
        ),
    }


class PostingQuery(Schema):
    q: str = ""
    region_code: str = ""
    status: str = ""
    kind: str = ""
    channel: str = ""
    occupation: str = ""
    employer: int | None = None
    valid_on: datetime.date | None = None
    page: int = Field(1, ge=1)
    page_size: int = Field(20, ge=1, le=200)


@router.get("/postings", response=PostingPage, summary="Job postings in the caller's regions")
def list_postings(request, query: Query[PostingQuery]):
    data = query.dict()
    page, size = data.pop("page"), data.pop("page_size")
    filters = selectors.PostingFilters(**{k: v for k, v in data.items() if v not in ("", None)})
    qs = selectors.posting_list(request.user, filters)
    start = (page - 1) * size
    return {
        "count": qs.count(),
        "page": page,
        "page_size": size,
        "items": [_posting_out(p) for p in qs[start : start + size]],
    }


@router.get("/postings/{int:posting_id}", response=PostingOut)
def get_posting(request, posting_id: int):
    return _posting_out(selectors.get_posting_for(request.user, posting_id))


@router.post("/postings", response={201: PostingOut}, summary="Create a draft posting")
def create_posting(request, payload: PostingIn):
    data = payload.dict()
    uscc = data.pop("employer_uscc").strip().upper()
    employer = registry_selectors.employer_list(request.user).filter(uscc=uscc).first()
    if employer is None:
        raise JiuyeError(ErrorCode.NOT_FOUND, status=404)
    posting = actions.create_posting(actor=request.user, employer=employer, **data)
    return Status(201, _posting_out(posting))


@router.post("/postings/{int:posting_id}/submit", response=PostingOut)
def submit_posting(request, posting_id: int):
    posting = selectors.get_posting_for(request.user, posting_id)
    return _posting_out(actions.submit_posting(actor=request.user, posting=posting))


@router.post("/postings/{int:posting_id}/approve", response=PostingOut)
def approve_posting(request, posting_id: int, payload: ApproveIn):
    """A posting with review findings is published only with ``acknowledge_findings`` and a
    note saying why they are lawful; the findings are in the error's ``detail`` otherwise."""
    posting = selectors.get_posting_for(request.user, posting_id)
    return _posting_out(
        actions.approve_posting(
            actor=request.user,
            posting=posting,
            acknowledge_findings=payload.acknowledge_findings,
            note=payload.note,
        )
    )


@router.post("/postings/{int:posting_id}/reject", response=PostingOut)
def reject_posting(request, posting_id: int, payload: NoteIn):
    posting = selectors.get_posting_for(request.user, posting_id)
    return _posting_out(
        actions.reject_posting(actor=request.user, posting=posting, note=payload.note)
    )


@router.get("/postings/{int:posting_id}/applications", response=list[ApplicationOut])
def list_posting_applications(request, posting_id: int):
    posting = selectors.get_posting_for(request.user, posting_id)
    return [_application_out(a) for a in selectors.applications_for_posting(posting)]


@router.post("/postings/{int:posting_id}/applications", response={201: ApplicationOut})
def apply_to_posting(request, posting_id: int, payload: ApplyIn):
    posting = selectors.get_posting_for(request.user, posting_id)
    person = registry_selectors.get_person_for(request.user, payload.person_id)
    application = actions.apply(actor=request.user, posting=posting, person=person)
    return Status(201, _application_out(application))


@router.post("/applications/{int:application_id}/hire", response={201: ApplicationOut})
def hire_application(request, application_id: int, payload: HireIn):
    """Hire: records the employment registration too (one action)."""
    application = selectors.get_application_for(request.user, application_id)
    actions.hire(actor=request.user, application=application, **payload.dict())
    application = selectors.get_application_for(request.user, application_id)
    return Status(201, _application_out(application))


class FairQuery(Schema):
    q: str = ""
    region_code: str = ""
    status: str = ""
    kind: str = ""
    mode: str = ""
    page: int = Field(1, ge=1)
    page_size: int = Field(20, ge=1, le=200)


@router.get("/fairs", response=FairPage, summary="Job fairs in the caller's regions")
def list_fairs(request, query: Query[FairQuery]):
    data = query.dict()
    page, size = data.pop("page"), data.pop("page_size")
    filters = selectors.FairFilters(**{k: v for k, v in data.items() if v})
    qs = selectors.fair_list(request.user, filters)
    start = (page - 1) * size
    return {
        "count": qs.count(),
        "page": page,
        "page_size": size,
        "items": list(qs[start : start + size]),
    }


@router.get("/fairs/{int:fair_id}", response=FairOut)
def get_fair(request, fair_id: int):
    return selectors.get_fair_for(request.user, fair_id)


@router.get("/fairs/{int:fair_id}/results", response=FairResultsOut)
def get_fair_results(request, fair_id: int):
    fair = selectors.get_fair_for(request.user, fair_id)
    return {"fair_id": fair.pk, **dataclasses.asdict(selectors.fair_results(fair))}
