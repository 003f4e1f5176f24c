"""Online applications for policies that are not 免申即享: the form, the materials, the workflow.

Staff create an application on behalf of a person or employer in their regions (the portal
will let people apply themselves), fill in the policy's form, upload the materials (PDF, JPEG
or PNG, at most ``MAX_MATERIAL_BYTES``, each stored with its SHA-256) and submit it. The
workflow declared in ``jiuye.policies.workflows`` then moves it step by step. The final
approval

* of a policy that pays money creates an approved ``Entitlement`` within the fund budget
  (``entitlements.create_approved``, which locks the budget row), paid by a later batch;
* of a recognition (``difficulty_recognition``, no money) records a key-group membership
  through the registry's own action (the category comes from the form).

One live application per (policy, subject, period) is a database constraint
(``application_live_unique``); a rejected or withdrawn one may be followed by a new one.
"""

from __future__ import annotations

import datetime
import decimal
import hashlib
import os
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _

from jiuye.accounts.permissions import Perm, roles_with
from jiuye.accounts.scoping import Scope, get_scoped_or_404, require, scoped
from jiuye.core import audit
from jiuye.core.crypto import decrypt, encrypt
from jiuye.core.errors import ErrorCode, JiuyeError, NotFoundError
from jiuye.policies import entitlements, workflows
from jiuye.policies.models import (
    Application,
    ApplicationMaterial,
    ApplicationStatus,
    ApplicationStep,
    Entitlement,
    PolicyResult,
    SubjectType,
)
from jiuye.policies.rules import all_policies, get_policy
from jiuye.regions.codes import level_of, normalize
from jiuye.registry.models import DifficultyCategory, Employer, KeyGroup, Person

# ---- the form and the materials, per policy ---------------------------------------------------


@dataclass(frozen=True)
class FormField:
    name: str
    label: object
    kind: str = "text"  # text | textarea | number | date | choice | bool | bank_account
    required: bool = True
    choices: tuple = ()
    max_length: int = 200


@dataclass(frozen=True)
class MaterialKind:
    code: str
    label: object
    required: bool = False


# Paying policies: where the money goes. The account number is stored encrypted in the form
# (``bank_account_enc``) with only a masked copy in clear.
PAYMENT_FORM = (
    FormField("account_holder", _("Account holder"), max_length=100),
    FormField("bank_name", _("Bank"), max_length=100),
    FormField("bank_account", _("Bank account number"), kind="bank_account"),
    FormField("note", _("Note"), kind="textarea", required=False, max_length=500),
)

# 就业困难人员认定 (晋政办发〔2024〕33号): the category applied for, the circumstances, and the
# signed pledge on marital status and children (承诺书).
RECOGNITION_FORM = (
    FormField("category", _("Category"), kind="choice", choices=tuple(DifficultyCategory.choices)),
    FormField("circumstances", _("Circumstances"), kind="textarea", max_length=1000),
    FormField("pledge", _("The applicant signed the pledge (承诺书)"), kind="bool"),
)

DEFAULT_MATERIALS = (
    MaterialKind("id_card", _("ID card or social security card"), required=True),
    MaterialKind("other", _("Other supporting document")),
)
RECOGNITION_MATERIALS = (
    MaterialKind("recognition_form", _("Recognition form (认定情况表)"), required=True),
    MaterialKind("id_card", _("ID card or household register"), required=True),
    MaterialKind("pledge", _("Signed pledge (承诺书)")),
    MaterialKind("other", _("Other supporting document")),
)

# Per-policy overrides: policy code → fields / materials. Policies not listed get the default
# for their kind (payment or recognition).
FORMS: dict[str, tuple[FormField, ...]] = {}
MATERIALS: dict[str, tuple[MaterialKind, ...]] = {}

# Recognitions recorded in the registry on final approval: workflow → key group.
RECOGNITION_GROUPS = {"difficulty_recognition": KeyGroup.DIFFICULTY}

MAX_MATERIAL_BYTES = 10 * 1024 * 1024
# Allowed types: by suffix, and the file's first bytes must agree (a renamed .exe is refused).
MATERIAL_TYPES = {
    ".pdf": (b"%PDF-",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".png": (b"\x89PNG\r\n\x1a\n",),
}


def _is_recognition(policy) -> bool:
    return not policy.pays and policy.workflow in RECOGNITION_GROUPS


def form_fields(policy) -> tuple[FormField, ...]:
    if policy.code in FORMS:
        return FORMS[policy.code]
    if _is_recognition(policy):
        return RECOGNITION_FORM
    return PAYMENT_FORM if policy.pays else ()


def material_kinds(policy) -> tuple[MaterialKind, ...]:
    if policy.code in MATERIALS:
        return MATERIALS[policy.code]
    return RECOGNITION_MATERIALS if _is_recognition(policy) else DEFAULT_MATERIALS


def application_policies() -> list:
    """Policies one applies for (not 免申即享)."""
    return [p for p in all_policies().values() if not p.no_application]


def clean_form(policy, data: dict | None, previous: dict | None = None) -> dict:
    """The form's values checked against the policy's fields; a ``JiuyeError`` whose
    ``detail`` maps each bad field to its message. With ``previous`` (the stored form), a
    bank account left as its masked copy keeps the stored, encrypted number."""
    data = data or {}
    previous = previous or {}
    out: dict = {}
    errors: dict[str, str] = {}
    for f in form_fields(policy):
        raw = data.get(f.name)
        if f.kind == "bool":
            value = raw in (True, "true", "True", "on", "1", 1, "yes")
            if f.required and not value:
                errors[f.name] = _t("This must be confirmed.")
            out[f.name] = value
            continue
        text = "" if raw is None else str(raw).strip()
        if not text:
            if f.required:
                errors[f.name] = _t("This field is required.")
            continue
        if len(text) > f.max_length:
            errors[f.name] = _t("At most %(n)s characters.") % {"n": f.max_length}
            continue
        if f.kind == "choice" and text not in {str(v) for v, _label in f.choices}:
            errors[f.name] = _t("Not one of the choices.")
            continue
        if f.kind == "number":
            try:
                text = str(decimal.Decimal(text))
            except decimal.InvalidOperation:
                errors[f.name] = _t("Enter a number.")
                continue
        if f.kind == "date":
            try:
                text = datetime.date.fromisoformat(text).isoformat()
            except ValueError:
                errors[f.name] = _t("Enter a date as YYYY-MM-DD.")
                continue
        if (
            f.kind == "bank_account"
            and text == previous.get(f.name)
            and previous.get(f"{f.name}_enc")
        ):
            out[f.name], out[f"{f.name}_enc"] = text, previous[f"{f.name}_enc"]
            continue
        if f.kind == "bank_account":
            try:
                digits = entitlements.clean_bank_account(text)
            except JiuyeError as exc:
                errors[f.name] = str(exc.message)
                continue
            out[f"{f.name}_enc"] = encrypt(digits)
            text = entitlements.mask_account(digits)
        out[f.name] = text
    if errors:
        raise JiuyeError(
            ErrorCode.INVALID, _t("Some fields of the form are not valid."), detail=errors
        )
    return out


# ---- create, edit, materials, submit, withdraw ----------------------------------------------


def _subject(actor, policy, subject_id, permission=Perm.EDIT):
    model = Person if policy.subject_type == SubjectType.PERSON else Employer
    qs = model.objects.all()
    if model is Person:
        qs = qs.filter(merged_into__isnull=True)
    try:
        return scoped(qs, actor, permission).get(pk=int(subject_id))
    except (model.DoesNotExist, TypeError, ValueError):
        raise NotFoundError() from None


def _snapshot(a: Application) -> dict:
    data = audit.snapshot(a, ["status", "step", "step_due", "amount", "period"])
    data["form"] = {k: v for k, v in (a.form or {}).items() if not k.endswith("_enc")}
    return data


@transaction.atomic
def create_application(
    *,
    actor,
    policy_code: str,
    subject_id: int,
    period: str,
    payee_id: int | None = None,
    amount=None,
    form: dict | None = None,
) -> Application:
    """A draft application for a person or employer in the actor's regions."""
    try:
        policy = get_policy(policy_code)
    except KeyError:
        raise JiuyeError(ErrorCode.INVALID, _t("Unknown policy.")) from None
    if policy.no_application:
        raise JiuyeError(
            ErrorCode.INVALID,
            _t("This policy needs no application: entitlements come from eligibility runs."),
        )
    workflows.get_workflow(policy.workflow)
    subject = _subject(actor, policy, subject_id)
    require(actor, Perm.EDIT, subject.region_code)
    if policy.payee_type == policy.subject_type:
        payee_id = subject.pk
    else:
        if not payee_id:
            raise JiuyeError(ErrorCode.INVALID, _t("Choose who is paid."))
        payee_model = Person if policy.payee_type == SubjectType.PERSON else Employer
        payee_id = get_scoped_or_404(payee_model.objects.all(), actor, Perm.VIEW, pk=payee_id).pk
    period = (period or "").strip()
    if not period or len(period) > 40:
        raise JiuyeError(ErrorCode.INVALID, _t("Enter the period (e.g. 2025, 2025-Q3, once)."))
    if Entitlement.objects.filter(
        policy=policy.code, subject_type=policy.subject_type, subject_id=subject.pk, period=period
    ).exists():
        raise JiuyeError(
            ErrorCode.CONFLICT,
            _t("This subject already has an entitlement of this policy for this period."),
            status=409,
        )
    amount = _amount(policy, subject.pk, period, amount)
    cleaned = clean_form(policy, form)
    try:
        with transaction.atomic():
            application = Application.objects.create(
                policy=policy.code,
                workflow=policy.workflow,
                subject_type=policy.subject_type,
                subject_id=subject.pk,
                payee_type=policy.payee_type,
                payee_id=payee_id,
                period=period,
                region_code=subject.region_code,
                form=cleaned,
                amount=amount,
                created_by=actor,
            )
    except IntegrityError:
        raise JiuyeError(
            ErrorCode.CONFLICT,
            _t(
                "There is already an application of this policy for this subject and period "
                "that is not rejected or withdrawn."
            ),
            status=409,
        ) from None
    audit.record(
        actor=actor,
        action="policies.application.create",
        obj=application,
        after=_snapshot(application),
    )
    return application


def _amount(policy, subject_id: int, period: str, amount) -> decimal.Decimal:
    """The amount claimed, or the one the latest eligibility result computed."""
    if not policy.pays:
        return decimal.Decimal("0.00")
    if amount not in (None, ""):
        try:
            value = decimal.Decimal(str(amount)).quantize(decimal.Decimal("0.01"))
        except decimal.InvalidOperation:
            raise JiuyeError(ErrorCode.INVALID, _t("The amount is not a number.")) from None
        if value <= 0 or value >= decimal.Decimal("1e10"):
            raise JiuyeError(ErrorCode.INVALID, _t("The amount must be more than zero."))
        return value
    result = PolicyResult.objects.filter(
        policy=policy.code,
        subject_type=policy.subject_type,
        subject_id=subject_id,
        period=period,
        eligible=True,
    ).first()
    if result is None or result.amount <= 0:
        raise JiuyeError(
            ErrorCode.INVALID,
            _t("Enter the amount claimed: no eligibility result computes it for this period."),
        )
    return result.amount


def _editable(application: Application) -> Application:
    application = Application.objects.select_for_update().get(pk=application.pk)
    if application.status not in (ApplicationStatus.DRAFT, ApplicationStatus.RETURNED):
        raise JiuyeError(
            ErrorCode.CONFLICT,
            _t("Only a draft or a returned application can be changed."),
            status=409,
        )
    return application


@transaction.atomic
def update_application(
    application: Application, *, actor, amount=None, form: dict | None = None
) -> Application:
    """Correct a draft or a returned application's amount or form."""
    require(actor, Perm.EDIT, application.region_code, refuse_visible=True)
    application = _editable(application)
    policy = get_policy(application.policy)
    before = _snapshot(application)
    if amount not in (None, ""):
        application.amount = _amount(policy, application.subject_id, application.period, amount)
    if form is not None:
        application.form = clean_form(policy, form, application.form)
    application.save()
    b, a = audit.changed(before, _snapshot(application))
    if a:
        audit.record(
            actor=actor, action="policies.application.update", obj=application, before=b, after=a
        )
    return application


def _check_upload(upload, name: str) -> tuple[str, bytes]:
    suffix = os.path.splitext(name or "")[1].lower()
    if suffix not in MATERIAL_TYPES:
        raise JiuyeError(
            ErrorCode.INVALID_FILE, _t("Upload a PDF, JPEG or PNG file."), detail="type"
        )
    size = getattr(upload, "size", None)
    if size is not None and size > MAX_MATERIAL_BYTES:
        raise JiuyeError(
            ErrorCode.INVALID_FILE,
            _t("The file is larger than %(mb)s MB.") % {"mb": MAX_MATERIAL_BYTES // (1024 * 1024)},
            detail="size",
        )
    chunks, total = [], 0
    for chunk in upload.chunks() if hasattr(upload, "chunks") else [upload.read()]:
        total += len(chunk)
        if total > MAX_MATERIAL_BYTES:
            raise JiuyeError(
                ErrorCode.INVALID_FILE,
                _t("The file is larger than %(mb)s MB.")
                % {"mb": MAX_MATERIAL_BYTES // (1024 * 1024)},
                detail="size",
            )
        chunks.append(chunk)
    data = b"".join(chunks)
    if not data:
        raise JiuyeError(ErrorCode.INVALID_FILE, _t("The file is empty."), detail="empty")
    if not data.startswith(MATERIAL_TYPES[suffix]):
        raise JiuyeError(
            ErrorCode.INVALID_FILE,
            _t("The file's content is not a %(type)s file.") % {"type": suffix.lstrip(".").upper()},
            detail="content",
        )
    return (".jpg" if suffix == ".jpeg" else suffix), data


@transaction.atomic
def upload_material(
    application: Application, *, actor, kind: str, upload, filename: str = ""
) -> ApplicationMaterial:
    """Attach one material to a draft or returned application. The stored name is the kind
    and the file's hash; the original name is kept for display."""
    require(actor, Perm.EDIT, application.region_code, refuse_visible=True)
    application = _editable(application)
    policy = get_policy(application.policy)
    if kind not in {m.code for m in material_kinds(policy)}:
        raise JiuyeError(ErrorCode.INVALID, _t("Unknown kind of material."), detail="kind")
    name = filename or getattr(upload, "name", "") or ""
    suffix, data = _check_upload(upload, name)
    digest = hashlib.sha256(data).hexdigest()
    material = ApplicationMaterial(
        application=application,
        kind=kind,
        original_name=os.path.basename(name)[:200],
        size=len(data),
        sha256=digest,
        uploaded_by=actor,
    )
    material.file.save(f"{kind}-{digest[:16]}{suffix}", ContentFile(data), save=False)
    material.save()
    audit.record(
        actor=actor,
        action="policies.application.upload",
        obj=application,
        after={"material": material.pk, "kind": kind, "size": len(data), "sha256": digest},
    )
    return material


@transaction.atomic
def delete_material(material: ApplicationMaterial, *, actor) -> None:
    application = material.application
    require(actor, Perm.EDIT, application.region_code, refuse_visible=True)
    _editable(application)
    info = {"material": material.pk, "kind": material.kind, "sha256": material.sha256}
    material.file.delete(save=False)
    material.delete()
    audit.record(
        actor=actor, action="policies.application.delete_material", obj=application, before=info
    )


@transaction.atomic
def submit(application: Application, *, actor, today: datetime.date | None = None) -> Application:
    """Send a draft (or a corrected, returned) application into its workflow's first step."""
    require(actor, Perm.EDIT, application.region_code, refuse_visible=True)
    application = _editable(application)
    policy = get_policy(application.policy)
    clean_form(policy, application.form, application.form)  # still complete and valid
    have = set(application.materials.values_list("kind", flat=True))
    missing = [m for m in material_kinds(policy) if m.required and m.code not in have]
    if missing:
        raise JiuyeError(
            ErrorCode.INVALID,
            _t("Materials missing: %(list)s") % {"list": "、".join(str(m.label) for m in missing)},
            detail=[m.code for m in missing],
        )
    today = today or timezone.localdate()
    before = _snapshot(application)
    step = workflows.enter_first_step(application, today)
    application.submitted_at = timezone.now()
    application.save()
    ApplicationStep.objects.create(
        application=application,
        step=step.code,
        action=workflows.SUBMIT,
        actor=actor,
        actor_region_code=getattr(actor, "home_region_code", "") or "",
    )
    audit.record(
        actor=actor,
        action="policies.application.submit",
        obj=application,
        before=before,
        after=_snapshot(application),
    )
    return application


@transaction.atomic
def withdraw(application: Application, *, actor, reason: str = "") -> Application:
    """The applicant withdraws (recorded by staff on their behalf) before a decision."""
    require(actor, Perm.EDIT, application.region_code, refuse_visible=True)
    application = Application.objects.select_for_update().get(pk=application.pk)
    if application.status not in (
        ApplicationStatus.DRAFT,
        ApplicationStatus.IN_PROGRESS,
        ApplicationStatus.RETURNED,
    ):
        raise JiuyeError(
            ErrorCode.CONFLICT, _t("A decided application cannot be withdrawn."), status=409
        )
    before = _snapshot(application)
    ApplicationStep.objects.create(
        application=application,
        step=application.step,
        action=workflows.WITHDRAW,
        comment=(reason or "").strip()[:500],
        actor=actor,
        actor_region_code=getattr(actor, "home_region_code", "") or "",
    )
    application.status = ApplicationStatus.WITHDRAWN
    application.step = ""
    application.step_due = None
    application.decided_at = timezone.now()
    application.save()
    audit.record(
        actor=actor,
        action="policies.application.withdraw",
        obj=application,
        before=before,
        after=_snapshot(application),
    )
    return application


def finish_approved(application: Application, *, actor, today: datetime.date) -> None:
    """The final approval's effect (called by ``workflows.advance`` inside its transaction):
    an approved entitlement within the budget, or the recognition in the registry."""
    policy = get_policy(application.policy)
    if policy.pays:
        form = application.form or {}
        account = decrypt(form["bank_account_enc"]) if form.get("bank_account_enc") else ""
        if not account:
            raise JiuyeError(ErrorCode.INVALID, _t("The application has no bank account."))
        e = entitlements.create_approved(
            policy_code=policy.code,
            subject_type=application.subject_type,
            subject_id=application.subject_id,
            payee_type=application.payee_type,
            payee_id=application.payee_id,
            period=application.period,
            region_code=application.region_code,
            amount=application.amount,
            account_holder=form.get("account_holder", ""),
            bank_name=form.get("bank_name", ""),
            bank_account=account,
            actor=actor,
            today=today,
        )
        application.entitlement = e
    elif _is_recognition(policy):
        from jiuye.registry.actions import add_membership

        person = Person.objects.get(pk=application.subject_id)
        add_membership(
            actor=actor,
            person=person,
            group=RECOGNITION_GROUPS[policy.workflow],
            category=(application.form or {}).get("category", ""),
            valid_from=today,
            source="policies.application",
            details={"application": application.pk, "policy": policy.code},
            # The county reviewer decides the recognition: the workflow has checked them.
            permission=Perm.REVIEW,
        )


# ---- reads ----------------------------------------------------------------------------------


@dataclass
class ApplicationFilters:
    policy: str = ""
    status: str = ""
    step: str = ""
    overdue: bool = False
    mine: bool = False  # waiting for a decision the user may take
    region: str = ""


def waiting_for_q(user) -> Q:
    """Applications whose current step ``user`` may decide (same rule as
    ``workflows.acting_region``): one Q per role assignment and step."""
    condition = Q(pk__in=[])
    if user is None or not getattr(user, "is_authenticated", False):
        return condition
    assignments = list(user.role_assignments.values_list("role", "region_code"))
    for wf in workflows.WORKFLOWS.values():
        for step in wf.steps:
            roles = roles_with(step.permission)
            for role, code in assignments:
                if role not in roles:
                    continue
                level = level_of(code)
                at_step = Q(status=ApplicationStatus.IN_PROGRESS, workflow=wf.code, step=step.code)
                if level == step.level:
                    condition |= at_step & Scope.of([code]).q()
                elif level < step.level:
                    # The application's region is coarser than the step: its own level acts.
                    condition |= at_step & Q(region_code=normalize(code))
    return condition


def application_list(
    user, filters: ApplicationFilters | None = None, today: datetime.date | None = None
) -> QuerySet[Application]:
    f = filters or ApplicationFilters()
    qs = scoped(Application.objects.all(), user, Perm.VIEW)
    if f.policy:
        qs = qs.filter(policy=f.policy)
    if f.status:
        qs = qs.filter(status=f.status)
    if f.step:
        qs = qs.filter(step=f.step)
    if f.overdue:
        qs = qs.filter(workflows.overdue_q(today))
    if f.mine:
        qs = qs.filter(waiting_for_q(user))
    if f.region:
        try:
            qs = qs.filter(Scope.of([normalize(f.region)]).q())
        except ValueError:
            qs = qs.none()
    return qs


def get_application_for(user, pk, permission: str = Perm.VIEW) -> Application:
    return get_scoped_or_404(Application.objects.all(), user, permission, pk=pk)


def get_material_for(user, application_pk, pk) -> ApplicationMaterial:
    application = get_application_for(user, application_pk)
    return get_scoped_or_404(
        ApplicationMaterial.objects.filter(application=application).select_related("application"),
        user,
        Perm.VIEW,
        field="application__region_code",
        pk=pk,
    )


def step_codes() -> list[tuple[str, str]]:
    """Every (step code, label) of every workflow, for the list filter."""
    seen: dict[str, str] = {}
    for wf in workflows.WORKFLOWS.values():
        for s in wf.steps:
            seen.setdefault(s.code, str(s.label))
    return list(seen.items())
