"""Internship allocation over HTTP (mounted at /api/matching/allocation/): the same selectors
and actions as the pages. A round outside the caller's regions answers 404."""

from __future__ import annotations

import datetime

from ninja import Query, Router, Schema
from pydantic import Field

from jiuye.accounts.permissions import Perm
from jiuye.core.masking import mask_id_number
from jiuye.matching import actions, selectors
from jiuye.matching.models import AllocationMethod, InternshipRound

router = Router()


class RoundOut(Schema):
    id: int
    name: str
    region_code: str
    status: str
    method: str
    max_choices: int
    run_at: datetime.datetime | None
    published_at: datetime.datetime | None
    posts: int
    applicants: int
    stats: dict


class RoundPage(Schema):
    count: int
    page: int
    page_size: int
    items: list[RoundOut]


class RunIn(Schema):
    method: AllocationMethod = AllocationMethod.DA


class ResultOut(Schema):
    applicant_id: int
    person_id: int
    name: str
    id_number: str  # masked
    choices: list[int]  # posting ids, most wanted first
    post_id: int | None  # the RoundPost
    posting_id: int | None  # the jobs.Posting
    choice_rank: int | None
    fit: float | None
    explanation: dict
    reasons: list[str]
    published_at: datetime.datetime | None


class ResultPage(Schema):
    count: int
    page: int
    page_size: int
    items: list[ResultOut]


class Paging(Schema):
    page: int = Field(1, ge=1)
    page_size: int = Field(50, ge=1, le=500)


class ResultQuery(Paging):
    q: str = ""
    outcome: str = Field("", pattern="^(|assigned|unassigned|first)$")


def _round_out(r: InternshipRound) -> dict:
    return {
        "id": r.pk,
        "name": r.name,
        "region_code": r.region_code,
        "status": r.status,
        "method": r.method,
        "max_choices": r.max_choices,
        "run_at": r.run_at,
        "published_at": r.published_at,
        "posts": getattr(r, "post_count", None) or r.posts.count(),
        "applicants": getattr(r, "applicant_count", None) or r.applicants.count(),
        "stats": r.stats,
    }


@router.get(
    "/rounds", response=RoundPage, summary="Internship allocation rounds in the caller's regions"
)
def allocation_list_rounds(request, query: Query[Paging], status: str = ""):
    qs = selectors.round_list(request.user, status=status)
    start = (query.page - 1) * query.page_size
    return {
        "count": qs.count(),
        "page": query.page,
        "page_size": query.page_size,
        "items": [_round_out(r) for r in qs[start : start + query.page_size]],
    }


@router.get("/rounds/{int:round_id}", response=RoundOut)
def allocation_get_round(request, round_id: int):
    return _round_out(selectors.get_round_for(request.user, round_id))


@router.post("/rounds/{int:round_id}/run", response=RoundOut)
def allocation_run_round(request, round_id: int, payload: RunIn):
    """Run deferred acceptance (``da``, stable) or maximum total fit (``mcf``); replaces the
    previous result unless the round is published (409)."""
    rnd = selectors.get_round_for(request.user, round_id, Perm.EDIT)
    return _round_out(actions.run_round(rnd, actor=request.user, method=payload.method))


@router.get("/rounds/{int:round_id}/results", response=ResultPage)
def allocation_results(request, round_id: int, query: Query[ResultQuery]):
    """One row per applicant: the post, the choice rank, the fit and why (ID numbers masked)."""
    rnd = selectors.get_round_for(request.user, round_id)
    qs = selectors.round_results(rnd, selectors.ResultFilters(q=query.q, outcome=query.outcome))
    start = (query.page - 1) * query.page_size
    titles = selectors.post_titles(rnd)
    posting_of = dict(rnd.posts.values_list("pk", "posting_id"))
    items = []
    for a in qs[start : start + query.page_size]:
        person = a.applicant.person
        items.append(
            {
                "applicant_id": a.applicant_id,
                "person_id": person.pk,
                "name": person.name,
                "id_number": mask_id_number(person.id_number),
                "choices": [posting_of.get(c) for c in a.applicant.choices if c in posting_of],
                "post_id": a.post_id,
                "posting_id": posting_of.get(a.post_id) if a.post_id else None,
                "choice_rank": a.choice_rank,
                "fit": a.fit,
                "explanation": a.explanation,
                "reasons": selectors.describe(a.explanation, titles),
                "published_at": a.published_at,
            }
        )
    return {"count": qs.count(), "page": query.page, "page_size": query.page_size, "items": items}


@router.post("/rounds/{int:round_id}/publish", response=RoundOut)
def allocation_publish_round(request, round_id: int):
    """Publish the result as one batch (review permission); a second publish answers 409."""
    rnd = selectors.get_round_for(request.user, round_id, Perm.REVIEW)
    return _round_out(actions.publish_round(rnd, actor=request.user))
