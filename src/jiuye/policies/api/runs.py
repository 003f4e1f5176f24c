"""政策找人 runs over HTTP (mounted at /api/policies/runs): the same action and reads as the
pages (``jiuye.policies.runs``, ``jiuye.policies.views.runs``).

* ``GET /api/policies/runs`` — runs in the caller's regions, newest first, paginated;
* ``POST /api/policies/runs`` — start a run (``policies`` empty for all, ``as_of``,
  ``region_code`` inside the caller's editing scope); it returns at once, queued or already
  done, and goes on in the background;
* ``GET /api/policies/runs/{id}`` — its status and progress (poll it while ``queued`` or
  ``running``);
* ``GET /api/policies/runs/{id}/results`` — what it found, filtered like the push list,
  paginated; ID numbers masked.

A run outside the caller's regions answers 404.
"""

from __future__ import annotations

import datetime

from ninja import Query, Router, Schema, Status
from pydantic import Field

from jiuye.accounts.permissions import Perm
from jiuye.accounts.scoping import scoped
from jiuye.core.masking import mask_id_number
from jiuye.policies.models import PolicyRun, SubjectType
from jiuye.policies.runs import start_run
from jiuye.policies.views.runs import get_run_for, push_results
from jiuye.registry.models import Employer, Person

router = Router()


class RunIn(Schema):
    policies: list[str] = Field(default_factory=list, description="Policy codes; empty for all")
    as_of: datetime.date
    region_code: str = Field(pattern=r"^\d{2}(\d{2}(\d{2}(\d{3}(\d{3})?)?)?)?$")


class RunOut(Schema):
    id: int
    policies: list[str]
    as_of: datetime.date
    region_code: str
    status: str
    stage: str
    total: int
    processed: int
    counts: dict
    param_versions: dict
    timings: dict
    error: str
    created_at: datetime.datetime
    started_at: datetime.datetime | None
    finished_at: datetime.datetime | None


class RunPage(Schema):
    count: int
    page: int
    page_size: int
    items: list[RunOut]


class Paging(Schema):
    page: int = Field(1, ge=1)
    page_size: int = Field(50, ge=1, le=500)


class ResultQuery(Paging):
    policy: str = ""
    outcome: str = Field("eligible", pattern="^(eligible|all|ineligible)$")
    region: str = Field("", pattern=r"^(\d{2}(\d{2}(\d{2}(\d{3}(\d{3})?)?)?)?)?$")


class ResultOut(Schema):
    id: int
    policy: str
    subject_type: str
    subject_id: int
    subject_name: str
    id_number: str  # masked for people; the credit code for employers
    payee_type: str
    payee_id: int
    period: str
    region_code: str
    eligible: bool
    amount: float
    conditions: dict
    facts: dict


class ResultPage(Schema):
    count: int
    page: int
    page_size: int
    items: list[ResultOut]


def _run_out(run: PolicyRun) -> dict:
    return {field: getattr(run, "pk" if field == "id" else field) for field in RunOut.model_fields}


@router.get("", response=RunPage, summary="Policy targeting runs in the caller's regions")
def policy_runs_list(request, query: Query[Paging]):
    qs = scoped(PolicyRun.objects.all(), request.user, Perm.VIEW)
    start = (query.page - 1) * query.page_size
    return {
        "count": qs.count(),
        "page": query.page,
        "page_size": query.page_size,
        "items": [_run_out(r) for r in qs[start : start + query.page_size]],
    }


@router.post("", response={201: RunOut}, summary="Start a policy targeting run")
def policy_run_start(request, payload: RunIn):
    run = start_run(
        actor=request.user,
        as_of=payload.as_of,
        region_code=payload.region_code,
        policies=payload.policies or None,
    )
    run.refresh_from_db()
    return Status(201, _run_out(run))


@router.get("/{int:run_id}", response=RunOut, summary="A run's status and progress")
def policy_run_get(request, run_id: int):
    return _run_out(get_run_for(request.user, run_id))


@router.get("/{int:run_id}/results", response=ResultPage, summary="What a run found")
def policy_run_results(request, run_id: int, query: Query[ResultQuery]):
    run = get_run_for(request.user, run_id)
    qs = push_results(
        request.user,
        run,
        {"policy": query.policy, "outcome": query.outcome, "region": query.region},
    )
    start = (query.page - 1) * query.page_size
    results = list(qs[start : start + query.page_size])
    people = {
        p.pk: p
        for p in Person.objects.filter(
            pk__in=[r.subject_id for r in results if r.subject_type == SubjectType.PERSON]
        ).only("name", "id_number")
    }
    employers = {
        pk: (name, uscc)
        for pk, name, uscc in Employer.objects.filter(
            pk__in=[r.subject_id for r in results if r.subject_type == SubjectType.EMPLOYER]
        ).values_list("pk", "name", "uscc")
    }
    items = []
    for r in results:
        if r.subject_type == SubjectType.PERSON:
            person = people.get(r.subject_id)
            name = person.name if person else ""
            number = mask_id_number(person.id_number) if person else ""
        else:
            name, number = employers.get(r.subject_id, ("", ""))
        items.append(
            {
                "id": r.pk,
                "policy": r.policy,
                "subject_type": r.subject_type,
                "subject_id": r.subject_id,
                "subject_name": name,
                "id_number": number,
                "payee_type": r.payee_type,
                "payee_id": r.payee_id,
                "period": r.period,
                "region_code": r.region_code,
                "eligible": r.eligible,
                "amount": float(r.amount),
                "conditions": r.conditions,
                "facts": r.facts,
            }
        )
    return {"count": qs.count(), "page": query.page, "page_size": query.page_size, "items": items}
