"""Entitlements and applications over HTTP (mounted at /api/policies/entitlements/): the same
selectors and actions as the pages. An object outside the caller's regions answers 404; an
action the caller's role or level does not allow answers 403; a state that does not allow it
(already approved, budget exhausted) answers 409.

Applications live under ``/api/policies/entitlements/applications`` because this module is the
feature's one router."""

from __future__ import annotations

import datetime
import decimal

from ninja import Query, Router, Schema
from pydantic import Field

from jiuye.policies import applications as app_actions
from jiuye.policies import entitlements as actions
from jiuye.policies import workflows
from jiuye.policies.models import Application, Entitlement

router = Router()


class Paging(Schema):
    page: int = Field(1, ge=1)
    page_size: int = Field(50, ge=1, le=500)


class EntitlementQuery(Paging):
    policy: str = ""
    status: str = ""
    fund: str = ""
    region: str = Field("", pattern=r"^(\d{2}|\d{4}|\d{6}|\d{9}|\d{12})?$")
    period: str = ""


class ConditionOut(Schema):
    code: str
    label: str
    passed: bool


class EntitlementOut(Schema):
    id: int
    policy: str
    policy_name: str
    subject_type: str
    subject_id: int
    subject_name: str
    payee_type: str
    payee_id: int
    payee_name: str
    period: str
    region_code: str
    fund: str
    amount: decimal.Decimal
    status: str
    exclusion_key: str
    account_holder: str
    bank_name: str
    bank_account: str  # masked: only the last four digits
    confirmed_at: datetime.datetime | None
    reviewed_at: datetime.datetime | None
    note: str
    result_id: int | None


class EntitlementDetailOut(EntitlementOut):
    conditions: list[ConditionOut]
    facts: dict


class EntitlementPage(Schema):
    count: int
    page: int
    page_size: int
    items: list[EntitlementOut]


class ConfirmIn(Schema):
    account_holder: str = Field(..., max_length=100)
    bank_name: str = Field(..., max_length=100)
    bank_account: str = Field(..., max_length=60)


class ReasonIn(Schema):
    reason: str = Field(..., min_length=1, max_length=500)


def _entitlement_out(e: Entitlement, names: dict, detail: bool = False) -> dict:
    out = {
        "id": e.pk,
        "policy": e.policy,
        "policy_name": actions.policy_name(e.policy),
        "subject_type": e.subject_type,
        "subject_id": e.subject_id,
        "subject_name": names.get((e.subject_type, e.subject_id), ""),
        "payee_type": e.payee_type,
        "payee_id": e.payee_id,
        "payee_name": names.get((e.payee_type, e.payee_id), ""),
        "period": e.period,
        "region_code": e.region_code,
        "fund": e.fund,
        "amount": e.amount,
        "status": e.status,
        "exclusion_key": e.exclusion_key,
        "account_holder": e.account_holder,
        "bank_name": e.bank_name,
        "bank_account": actions.mask_account(e.bank_account),
        "confirmed_at": e.confirmed_at,
        "reviewed_at": e.reviewed_at,
        "note": e.note,
        "result_id": e.result_id,
    }
    if detail:
        out["conditions"] = actions.result_conditions(e.result)
        out["facts"] = (e.result.facts if e.result else {}) or {}
    return out


def _names_for(items) -> dict:
    return actions.subject_names(
        [(e.subject_type, e.subject_id) for e in items]
        + [(e.payee_type, e.payee_id) for e in items]
    )


def _one(e: Entitlement) -> dict:
    return _entitlement_out(e, _names_for([e]), detail=True)


@router.get("", response=EntitlementPage, summary="Entitlements in the caller's regions")
def policies_entitlement_list(request, query: Query[EntitlementQuery]):
    qs = actions.entitlement_list(
        request.user,
        actions.EntitlementFilters(
            policy=query.policy,
            status=query.status,
            fund=query.fund,
            region=query.region,
            period=query.period,
        ),
    )
    start = (query.page - 1) * query.page_size
    items = list(qs[start : start + query.page_size])
    names = _names_for(items)
    return {
        "count": qs.count(),
        "page": query.page,
        "page_size": query.page_size,
        "items": [_entitlement_out(e, names) for e in items],
    }


@router.get("/{int:entitlement_id}", response=EntitlementDetailOut)
def policies_entitlement_detail(request, entitlement_id: int):
    """One entitlement with the conditions and facts of the eligibility result behind it."""
    return _one(actions.get_entitlement_for(request.user, entitlement_id))


@router.post("/{int:entitlement_id}/confirm", response=EntitlementDetailOut)
def policies_entitlement_confirm(request, entitlement_id: int, payload: ConfirmIn):
    """Record the bank account the subject confirmed (case officer; 12–30 digits)."""
    e = actions.get_entitlement_for(request.user, entitlement_id)
    return _one(actions.confirm_account(e, actor=request.user, **payload.dict()))


@router.post("/{int:entitlement_id}/approve", response=EntitlementDetailOut)
def policies_entitlement_approve(request, entitlement_id: int):
    """Approve within the fund budget (reviewer at county level or above)."""
    e = actions.get_entitlement_for(request.user, entitlement_id)
    return _one(actions.approve(e, actor=request.user))


@router.post("/{int:entitlement_id}/reject", response=EntitlementDetailOut)
def policies_entitlement_reject(request, entitlement_id: int, payload: ReasonIn):
    e = actions.get_entitlement_for(request.user, entitlement_id)
    return _one(actions.reject(e, actor=request.user, reason=payload.reason))


# ---- applications ---------------------------------------------------------------------------


class ApplicationQuery(Paging):
    policy: str = ""
    status: str = ""
    step: str = ""
    overdue: bool = False
    mine: bool = False
    region: str = Field("", pattern=r"^(\d{2}|\d{4}|\d{6}|\d{9}|\d{12})?$")


class StepOut(Schema):
    step: str
    action: str
    comment: str
    actor: str
    actor_region_code: str
    at: datetime.datetime
    overdue: bool


class MaterialOut(Schema):
    id: int
    kind: str
    original_name: str
    size: int
    sha256: str
    uploaded_at: datetime.datetime


class ApplicationOut(Schema):
    id: int
    policy: str
    policy_name: str
    workflow: str
    subject_type: str
    subject_id: int
    subject_name: str
    payee_type: str
    payee_id: int
    period: str
    region_code: str
    amount: decimal.Decimal
    status: str
    step: str
    step_due: datetime.date | None
    overdue: bool
    submitted_at: datetime.datetime | None
    decided_at: datetime.datetime | None
    entitlement_id: int | None


class ApplicationDetailOut(ApplicationOut):
    form: dict
    materials: list[MaterialOut]
    history: list[StepOut]
    available_actions: list[str]


class ApplicationPage(Schema):
    count: int
    page: int
    page_size: int
    items: list[ApplicationOut]


class AdvanceIn(Schema):
    action: workflows.Action
    comment: str = Field("", max_length=500)


def _application_out(a: Application, names: dict) -> dict:
    return {
        "id": a.pk,
        "policy": a.policy,
        "policy_name": actions.policy_name(a.policy),
        "workflow": a.workflow,
        "subject_type": a.subject_type,
        "subject_id": a.subject_id,
        "subject_name": names.get((a.subject_type, a.subject_id), ""),
        "payee_type": a.payee_type,
        "payee_id": a.payee_id,
        "period": a.period,
        "region_code": a.region_code,
        "amount": a.amount,
        "status": a.status,
        "step": a.step,
        "step_due": a.step_due,
        "overdue": workflows.is_overdue(a),
        "submitted_at": a.submitted_at,
        "decided_at": a.decided_at,
        "entitlement_id": a.entitlement_id,
    }


def _application_detail(a: Application, user) -> dict:
    out = _application_out(a, actions.subject_names([(a.subject_type, a.subject_id)]))
    out["form"] = {k: v for k, v in (a.form or {}).items() if not k.endswith("_enc")}
    out["materials"] = [
        {
            "id": m.pk,
            "kind": m.kind,
            "original_name": m.original_name,
            "size": m.size,
            "sha256": m.sha256,
            "uploaded_at": m.uploaded_at,
        }
        for m in a.materials.all()
    ]
    out["history"] = [
        {
            "step": s.step,
            "action": s.action,
            "comment": s.comment,
            "actor": s.actor.username if s.actor_id else "",
            "actor_region_code": s.actor_region_code,
            "at": s.at,
            "overdue": s.overdue,
        }
        for s in a.steps.select_related("actor")
    ]
    out["available_actions"] = workflows.available_actions(a, user)
    return out


@router.get(
    "/applications", response=ApplicationPage, summary="Applications in the caller's regions"
)
def policies_application_list(request, query: Query[ApplicationQuery]):
    qs = app_actions.application_list(
        request.user,
        app_actions.ApplicationFilters(
            policy=query.policy,
            status=query.status,
            step=query.step,
            overdue=query.overdue,
            mine=query.mine,
            region=query.region,
        ),
    )
    start = (query.page - 1) * query.page_size
    items = list(qs[start : start + query.page_size])
    names = actions.subject_names([(a.subject_type, a.subject_id) for a in items])
    return {
        "count": qs.count(),
        "page": query.page,
        "page_size": query.page_size,
        "items": [_application_out(a, names) for a in items],
    }


@router.get("/applications/{int:application_id}", response=ApplicationDetailOut)
def policies_application_detail(request, application_id: int):
    """One application with its materials, step history and the actions the caller may take."""
    a = app_actions.get_application_for(request.user, application_id)
    return _application_detail(a, request.user)


@router.post("/applications/{int:application_id}/advance", response=ApplicationDetailOut)
def policies_application_advance(request, application_id: int, payload: AdvanceIn):
    """Approve, return or reject the current step (the workflow says who may, at which
    level); a return or rejection needs a comment."""
    a = app_actions.get_application_for(request.user, application_id)
    a = workflows.advance(a, payload.action, actor=request.user, comment=payload.comment)
    return _application_detail(a, request.user)
