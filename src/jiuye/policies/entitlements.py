"""直补快办: entitlements from eligibility results, the subject's bank account, the review.

For a policy flagged 免申即享 (``Policy.no_application``) that pays money, every eligible result
of a run becomes an ``Entitlement`` awaiting the subject's confirmation of their bank account
(``grant_from_run``). Staff confirm on the subject's behalf for now (the portal will let the
subject do it); the subject may decline. A reviewer at county level or above then approves —
against the applicable fund budget (``budgets.reserve``) — or rejects. Payment batches move
approved entitlements on (``payments.py``).

Statuses: awaiting → confirmed (``confirm_account``) → approved (``approve``) / rejected
(``reject``); awaiting → declined (``decline``); awaiting → rejected. The account may be
corrected while the entitlement is still awaiting review.
"""

from __future__ import annotations

import datetime
import unicodedata
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from jiuye.accounts.permissions import Perm, roles_with
from jiuye.accounts.scoping import Scope, get_scoped_or_404, require, scoped
from jiuye.core import audit
from jiuye.core.errors import ErrorCode, JiuyeError, PermissionDeniedError
from jiuye.policies import budgets
from jiuye.policies.models import (
    Entitlement,
    EntitlementStatus,
    PolicyResult,
    PolicyRun,
    RunStatus,
    SubjectType,
)
from jiuye.policies.rules import all_policies, get_policy
from jiuye.regions.codes import level_of, normalize, prefix_of

# The coarsest region level whose reviewers may approve money: county (3) or above. Township
# and village offices hold no fund.
APPROVING_LEVELS = {1, 2, 3}
CHUNK = 2000

AUDIT_FIELDS = ["status", "amount", "account_holder", "bank_name", "confirmed_at", "note"]


def _snapshot(e: Entitlement) -> dict:
    data = audit.snapshot(e, AUDIT_FIELDS)
    data["bank_account"] = mask_account(e.bank_account)
    return data


def mask_account(account: str) -> str:
    """Only the last four digits of a bank account are shown or audited."""
    account = account or ""
    if len(account) <= 4:
        return "*" * len(account)
    return "*" * (len(account) - 4) + account[-4:]


# ---- grant ----------------------------------------------------------------------------------


@transaction.atomic
def grant_from_run(*, run: PolicyRun, actor) -> dict:
    """Entitlements for the eligible results of ``run`` whose policy is 免申即享 and pays.

    Idempotent: a result whose (policy, subject, period) already has an entitlement is left
    alone (``existing``); one whose exclusion key is already held by a live entitlement — the
    same person's 扩岗补助 from an earlier year, or its mutually exclusive 吸纳就业补贴 — is
    skipped (``excluded``), never an error. The exclusion key is what the run stored in the
    result's facts (``facts["exclusion_key"]``); blank when the policy has no exclusion group.
    """
    require(actor, Perm.EDIT, run.region_code, refuse_visible=True)
    if run.status != RunStatus.DONE:
        # A run still going (or failed half-way) has stored only some policies' results.
        raise JiuyeError(
            ErrorCode.CONFLICT, _("Entitlements are made from a finished run."), status=409
        )
    policies = {code: p for code, p in all_policies().items() if p.no_application and p.pays}
    results = (
        PolicyResult.objects.filter(run=run, eligible=True, policy__in=list(policies))
        # Only the run's own region: the actor's right to edit was checked there.
        .filter(Scope.of([run.region_code]).q())
        .order_by("id")
    )
    report = {"created": 0, "existing": 0, "excluded": 0, "zero_amount": 0}
    batch: list[PolicyResult] = []
    for result in results.iterator(chunk_size=CHUNK):
        batch.append(result)
        if len(batch) >= CHUNK:
            _grant_batch(batch, policies, report)
            batch = []
    if batch:
        _grant_batch(batch, policies, report)
    audit.record(
        actor=actor,
        action="policies.entitlement.grant",
        obj=run,
        after={**report, "run": run.pk},
    )
    return report


def _grant_batch(results: list[PolicyResult], policies: dict, report: dict) -> None:
    keys = {(r.policy, r.subject_type, r.subject_id, r.period) for r in results}
    subject_ids = {r.subject_id for r in results}
    existing = set(
        Entitlement.objects.filter(
            policy__in={k[0] for k in keys}, subject_id__in=subject_ids
        ).values_list("policy", "subject_type", "subject_id", "period")
    )
    exclusion_keys = {str((r.facts or {}).get("exclusion_key") or "") for r in results} - {""}
    held = set(
        Entitlement.objects.filter(exclusion_key__in=exclusion_keys)
        .exclude(status__in=[EntitlementStatus.REJECTED, EntitlementStatus.DECLINED])
        .values_list("exclusion_key", flat=True)
    )
    new = []
    for r in results:
        key = (r.policy, r.subject_type, r.subject_id, r.period)
        if key in existing:
            report["existing"] += 1
            continue
        if r.amount <= 0:
            report["zero_amount"] += 1
            continue
        exclusion = str((r.facts or {}).get("exclusion_key") or "")[:80]
        if exclusion and exclusion in held:
            report["excluded"] += 1
            continue
        existing.add(key)
        if exclusion:
            held.add(exclusion)
        new.append(
            Entitlement(
                policy=r.policy,
                subject_type=r.subject_type,
                subject_id=r.subject_id,
                payee_type=r.payee_type,
                payee_id=r.payee_id,
                period=r.period,
                region_code=r.region_code,
                fund=policies[r.policy].fund,
                amount=r.amount,
                exclusion_key=exclusion,
                result=r,
            )
        )
    if not new:
        return
    # A concurrent grant may have inserted some of these since the checks above: the
    # conflicting rows are skipped by the database, and counted as existing.
    Entitlement.objects.bulk_create(new, ignore_conflicts=True)
    created = Entitlement.objects.filter(result_id__in=[e.result_id for e in new]).count()
    report["created"] += created
    report["existing"] += len(new) - created


# ---- the subject's account ------------------------------------------------------------------


def clean_bank_account(text: str) -> str:
    """Digits only, 12–30 long. Full-width digits and the spaces or hyphens people type are
    accepted. No Luhn check: UnionPay card numbers carry one, but Chinese corporate (对公)
    and passbook accounts do not, and both are paid here."""
    text = unicodedata.normalize("NFKC", text or "")
    digits = "".join(ch for ch in text if ch not in " -\u00a0\t")
    if not digits.isdigit() or not 12 <= len(digits) <= 30:
        raise JiuyeError(
            ErrorCode.INVALID, _("A bank account number is 12 to 30 digits."), detail="bank_account"
        )
    return digits


def _locked(entitlement: Entitlement) -> Entitlement:
    return Entitlement.objects.select_for_update().get(pk=entitlement.pk)


def _require_status(e: Entitlement, allowed, message) -> None:
    if e.status not in allowed:
        raise JiuyeError(ErrorCode.CONFLICT, message, status=409)


@transaction.atomic
def confirm_account(
    entitlement: Entitlement,
    *,
    account_holder: str,
    bank_name: str,
    bank_account: str,
    actor,
) -> Entitlement:
    """Record the account the subject confirmed; the entitlement then awaits review."""
    require(actor, Perm.EDIT, entitlement.region_code, refuse_visible=True)
    e = _locked(entitlement)
    _require_status(
        e,
        {EntitlementStatus.AWAITING_CONFIRMATION, EntitlementStatus.CONFIRMED},
        _("Only an entitlement awaiting confirmation or review can take an account."),
    )
    holder = unicodedata.normalize("NFKC", account_holder or "").strip()
    bank = unicodedata.normalize("NFKC", bank_name or "").strip()
    if not holder or len(holder) > 100:
        raise JiuyeError(ErrorCode.INVALID, _("Enter the account holder's name."))
    if not bank or len(bank) > 100:
        raise JiuyeError(ErrorCode.INVALID, _("Enter the bank."))
    before = _snapshot(e)
    e.account_holder = holder
    e.bank_name = bank
    e.bank_account = clean_bank_account(bank_account)
    e.confirmed_at = timezone.now()
    e.status = EntitlementStatus.CONFIRMED
    e.save()
    b, a = audit.changed(before, _snapshot(e))
    audit.record(actor=actor, action="policies.entitlement.confirm", obj=e, before=b, after=a)
    return e


@transaction.atomic
def decline(entitlement: Entitlement, *, actor, reason: str = "") -> Entitlement:
    """The subject does not want the money (recorded by staff on their behalf)."""
    require(actor, Perm.EDIT, entitlement.region_code, refuse_visible=True)
    e = _locked(entitlement)
    _require_status(
        e,
        {EntitlementStatus.AWAITING_CONFIRMATION, EntitlementStatus.CONFIRMED},
        _("Only an entitlement not yet reviewed can be declined."),
    )
    before = _snapshot(e)
    e.status = EntitlementStatus.DECLINED
    e.note = (reason or "").strip()[:500]
    e.save()
    b, a = audit.changed(before, _snapshot(e))
    audit.record(actor=actor, action="policies.entitlement.decline", obj=e, before=b, after=a)
    return e


# ---- review ---------------------------------------------------------------------------------


def approving_region(actor, region_code: str) -> str | None:
    """The county-or-higher region through which ``actor`` may approve money at
    ``region_code`` (a REVIEW role there), or None."""
    if actor is None or not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return None
    code = normalize(region_code)
    assigned = actor.role_assignments.filter(role__in=roles_with(Perm.REVIEW)).values_list(
        "region_code", flat=True
    )
    # The nearest office decides: the longest matching prefix.
    matching = [
        normalize(c)
        for c in assigned
        if level_of(c) in APPROVING_LEVELS and code.startswith(prefix_of(c))
    ]
    return max(matching, key=lambda c: len(prefix_of(c))) if matching else None


def can_approve(actor, entitlement: Entitlement) -> bool:
    return approving_region(actor, entitlement.region_code) is not None


def _require_approver(actor, region_code: str) -> None:
    require(actor, Perm.REVIEW, region_code, refuse_visible=True)
    if approving_region(actor, region_code) is None:
        raise PermissionDeniedError(_("Money is approved by a reviewer at county level or above."))


@transaction.atomic
def approve(entitlement: Entitlement, *, actor, today: datetime.date | None = None) -> Entitlement:
    """Approve a confirmed entitlement within the applicable fund budget (locked)."""
    _require_approver(actor, entitlement.region_code)
    e = _locked(entitlement)
    _require_status(
        e,
        {EntitlementStatus.CONFIRMED},
        _("Only an entitlement whose account has been confirmed can be approved."),
    )
    if not e.bank_account:
        raise JiuyeError(ErrorCode.INVALID, _("The bank account is missing."))
    budget = budgets.reserve(fund=e.fund, region_code=e.region_code, amount=e.amount, on=today)
    before = _snapshot(e)
    e.status = EntitlementStatus.APPROVED
    e.reviewed_by = actor
    e.reviewed_at = _approval_time(today)
    e.save()
    b, a = audit.changed(before, _snapshot(e))
    audit.record(
        actor=actor,
        action="policies.entitlement.approve",
        obj=e,
        before=b,
        after={**a, "budget": budget.pk},
    )
    return e


def _approval_time(today: datetime.date | None) -> datetime.datetime:
    """Now; or, when a caller decides as of another day (tests, back-dated imports), noon of
    that day, so the budget year follows the decision day."""
    now = timezone.now()
    if today is None or today == timezone.localdate(now):
        return now
    return datetime.datetime.combine(
        today, datetime.time(12), tzinfo=timezone.get_current_timezone()
    )


@transaction.atomic
def reject(entitlement: Entitlement, *, reason: str, actor) -> Entitlement:
    """Refuse the entitlement (not eligible after all, wrong account holder…)."""
    require(actor, Perm.REVIEW, entitlement.region_code, refuse_visible=True)
    reason = (reason or "").strip()
    if not reason:
        raise JiuyeError(ErrorCode.INVALID, _("Say why the entitlement is rejected."))
    e = _locked(entitlement)
    _require_status(
        e,
        {EntitlementStatus.AWAITING_CONFIRMATION, EntitlementStatus.CONFIRMED},
        _("Only an entitlement not yet approved can be rejected."),
    )
    before = _snapshot(e)
    e.status = EntitlementStatus.REJECTED
    e.note = reason[:500]
    e.reviewed_by = actor
    e.reviewed_at = timezone.now()
    e.save()
    b, a = audit.changed(before, _snapshot(e))
    audit.record(actor=actor, action="policies.entitlement.reject", obj=e, before=b, after=a)
    return e


def create_approved(
    *,
    policy_code: str,
    subject_type: str,
    subject_id: int,
    payee_type: str,
    payee_id: int,
    period: str,
    region_code: str,
    amount,
    account_holder: str,
    bank_name: str,
    bank_account: str,
    actor,
    today: datetime.date | None = None,
    exclusion_key: str = "",
) -> Entitlement:
    """An entitlement decided through an application's workflow: approved at once, within
    the budget. Called inside the application's final-approval transaction."""
    policy = get_policy(policy_code)
    budget = budgets.reserve(fund=policy.fund, region_code=region_code, amount=amount, on=today)
    try:
        with transaction.atomic():
            e = Entitlement.objects.create(
                policy=policy_code,
                subject_type=subject_type,
                subject_id=subject_id,
                payee_type=payee_type,
                payee_id=payee_id,
                period=period,
                region_code=region_code,
                fund=policy.fund,
                amount=amount,
                status=EntitlementStatus.APPROVED,
                exclusion_key=exclusion_key,
                account_holder=account_holder,
                bank_name=bank_name,
                bank_account=clean_bank_account(bank_account),
                confirmed_at=timezone.now(),
                reviewed_by=actor,
                reviewed_at=_approval_time(today),
            )
    except IntegrityError:
        raise JiuyeError(
            ErrorCode.CONFLICT,
            _("This subject already has an entitlement of this policy for this period."),
            status=409,
        ) from None
    audit.record(
        actor=actor,
        action="policies.entitlement.create",
        obj=e,
        after={**_snapshot(e), "budget": budget.pk},
    )
    return e


# ---- reads ----------------------------------------------------------------------------------


@dataclass
class EntitlementFilters:
    policy: str = ""
    status: str = ""
    fund: str = ""
    region: str = ""  # a region code: records at or below it
    period: str = ""


def entitlement_list(
    user, filters: EntitlementFilters | None = None, permission: str = Perm.VIEW
) -> QuerySet[Entitlement]:
    f = filters or EntitlementFilters()
    qs = scoped(Entitlement.objects.all(), user, permission)
    if f.policy:
        qs = qs.filter(policy=f.policy)
    if f.status:
        qs = qs.filter(status=f.status)
    if f.fund:
        qs = qs.filter(fund=f.fund)
    if f.period:
        qs = qs.filter(period=f.period)
    if f.region:
        try:
            qs = qs.filter(Scope.of([normalize(f.region)]).q())
        except ValueError:
            qs = qs.none()
    return qs.select_related("result")


def get_entitlement_for(user, pk, permission: str = Perm.VIEW) -> Entitlement:
    return get_scoped_or_404(
        Entitlement.objects.select_related("result", "reviewed_by"), user, permission, pk=pk
    )


def subject_names(pairs) -> dict[tuple[str, int], str]:
    """Names of persons and employers, by (type, id), in two queries."""
    from jiuye.registry.models import Employer, Person

    pairs = list(pairs)
    people = {i for t, i in pairs if t == SubjectType.PERSON}
    employers = {i for t, i in pairs if t == SubjectType.EMPLOYER}
    out: dict[tuple[str, int], str] = {}
    for pk, name in Person.objects.filter(pk__in=people).values_list("pk", "name"):
        out[(SubjectType.PERSON.value, pk)] = name
    for pk, name in Employer.objects.filter(pk__in=employers).values_list("pk", "name"):
        out[(SubjectType.EMPLOYER.value, pk)] = name
    return out


def policy_name(code: str) -> str:
    policy = all_policies().get(code)
    return str(policy.name) if policy is not None else code


def result_conditions(result: PolicyResult | None) -> list[dict]:
    """The result's condition outcomes with the policy's labels, in the policy's declared
    order. (The stored dict cannot keep it: PostgreSQL's jsonb reorders keys.)"""
    if result is None:
        return []
    stored = result.conditions or {}
    policy = all_policies().get(result.policy)
    declared = [c for c in policy.conditions if c.code in stored] if policy else []
    rows = [
        {"code": c.code, "label": str(c.label), "passed": bool(stored[c.code])} for c in declared
    ]
    known = {c.code for c in declared}
    rows += [
        {"code": code, "label": code, "passed": bool(passed)}
        for code, passed in sorted(stored.items())
        if code not in known
    ]
    return rows
