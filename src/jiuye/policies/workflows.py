"""Approval workflows declared as data, checked by one function (django-oscar's pipeline).

A workflow is an ordered list of steps. Each step says

* which **level** of region acts (1 province, 2 city, 3 county, 4 township/street,
  5 village/community — a level is fixed by the 12-digit region code, ``jiuye.regions.codes``),
* which **permission** the actor needs there (``Perm.EDIT`` for 受理 and the village check,
  done by case officers; ``Perm.REVIEW`` for reviews and the decision),
* the **time limit** in working days, or for a 公示 step the **notice period** in days.

Who may act on a step: someone holding the step's permission through a role assignment at a
region **of exactly the step's level** that contains the application's region. So a county
reviewer cannot do a village's 初审 (wrong level), a village worker cannot approve (wrong level
and no REVIEW), and 侯马's reviewer cannot touch 曲沃's applications (wrong region). When the
application's region is coarser than the step's level (an employer registered at the county,
a village step), the application's own level acts instead: there is no finer office. Grants
held by superusers without a role assignment do not count; a decision needs a named office.

Dates: a step's due date is counted in working days (Monday to Friday). Public holidays and
the weekend days worked in their place (调休) are **not modelled**; a holiday calendar per
year would be a parameter file, and until it exists due dates around 春节 and 国庆 are early.
A 公示 step's period is counted in calendar days: the notice goes up on the day the step starts
and the step may complete on the day the period has passed (start + ``notice_days``), either
by staff confirming that no objection came in or by ``complete_public_notices`` (a daily job).
An objection is recorded by returning or rejecting the application at the 公示 step, with the
objection as the comment.

Actions: ``approve`` (the step is done; the next step starts, or after the last step the
application is approved), ``return`` (back to the applicant for correction; a resubmission
starts again at the first step, since the materials changed) and ``reject`` (final).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _

from jiuye.accounts.permissions import Perm, roles_with
from jiuye.accounts.scoping import require
from jiuye.core import audit
from jiuye.core.errors import ErrorCode, JiuyeError, PermissionDeniedError
from jiuye.policies.models import Application, ApplicationStatus, ApplicationStep
from jiuye.regions.codes import level_of, normalize, prefix_of


class Action(models.TextChoices):
    APPROVE = "approve", _("Approve")
    RETURN = "return", _("Return for correction")
    REJECT = "reject", _("Reject")


# Entries of the step history that are not decisions on a step.
SUBMIT = "submit"
WITHDRAW = "withdraw"
NOTICE_PASSED = "notice_passed"

HISTORY_LABELS = {
    Action.APPROVE.value: Action.APPROVE.label,
    Action.RETURN.value: Action.RETURN.label,
    Action.REJECT.value: Action.REJECT.label,
    SUBMIT: _("Submitted"),
    WITHDRAW: _("Withdrawn"),
    NOTICE_PASSED: _("Notice period passed without objection"),
}

LEVEL_LABELS = {
    1: _("Province"),
    2: _("City"),
    3: _("County"),
    4: _("Township / street"),
    5: _("Village / community"),
}


@dataclass(frozen=True)
class Step:
    code: str
    label: object  # a lazy translation
    level: int  # the region level that acts (1–5)
    permission: str
    days: int = 0  # working days to act
    notice_days: int = 0  # for a 公示 step: calendar days the notice stays up
    # Four-eyes rule: the actor must not have approved an earlier step of this submission.
    separate_actor: bool = False

    @property
    def is_notice(self) -> bool:
        return self.notice_days > 0

    @property
    def level_label(self):
        return LEVEL_LABELS[self.level]


@dataclass(frozen=True)
class Workflow:
    code: str
    label: object
    steps: tuple[Step, ...]
    reference: str = ""

    def __post_init__(self):
        codes = [s.code for s in self.steps]
        if not codes or len(codes) != len(set(codes)):
            raise ValueError(f"workflow {self.code}: steps missing or duplicated")

    @property
    def first(self) -> Step:
        return self.steps[0]

    def step(self, code: str) -> Step:
        for s in self.steps:
            if s.code == code:
                return s
        raise KeyError(f"workflow {self.code} has no step {code}")

    def next_step(self, code: str) -> Step | None:
        codes = [s.code for s in self.steps]
        i = codes.index(code)
        return self.steps[i + 1] if i + 1 < len(self.steps) else None


WORKFLOWS: dict[str, Workflow] = {
    # Subsidies paid on application (技能提升补贴, 社会保险补贴, 一次性创业补贴 …). The county
    # bureau holds the funds and decides, so every step is at county level: the 经办 accepts
    # (受理) and checks completeness; two different reviewers do 初审 and 复审 (four eyes, in
    # place of a city 复审, which most Shanxi counties do not send subsidies to); the list is
    # publicly posted for 7 days (公示); the decision (审批) is the county's. The limits follow
    # the common "5 working days per step" of local service guides; they are data, change
    # them here.
    "subsidy": Workflow(
        code="subsidy",
        label=_("Subsidy application"),
        steps=(
            Step("accept", _("Accept"), 3, Perm.EDIT, days=5),
            Step("first_review", _("First review"), 3, Perm.REVIEW, days=5),
            Step("second_review", _("Second review"), 3, Perm.REVIEW, days=5, separate_actor=True),
            Step("public_notice", _("Public notice"), 3, Perm.EDIT, notice_days=7),
            Step("approval", _("Approval"), 3, Perm.REVIEW, days=3),
        ),
    ),
    # 就业困难人员认定, 晋政办发〔2024〕33号 (policy brief §1): apply where one lives or where
    # one's 户籍 is → the community/village committee checks within 7 working days → public
    # posting → the township/street PES reviews → the county bureau confirms. Village and
    # community committees have case officers, not reviewers, so their check needs EDIT. The
    # posting period and the township and county limits are not in the text we have
    # (UNCONFIRMED): 5 days of posting and 5 working days each until checked.
    "difficulty_recognition": Workflow(
        code="difficulty_recognition",
        label=_("Recognition of a person with employment difficulty"),
        reference="晋政办发〔2024〕33号",
        steps=(
            Step("village_review", _("First review"), 5, Perm.EDIT, days=7),
            Step("public_notice", _("Public notice"), 5, Perm.EDIT, notice_days=5),
            Step("township_review", _("Township review"), 4, Perm.REVIEW, days=5),
            Step("county_recognition", _("County recognition"), 3, Perm.REVIEW, days=5),
        ),
    ),
}


def get_workflow(code: str) -> Workflow:
    try:
        return WORKFLOWS[code]
    except KeyError:
        raise JiuyeError(ErrorCode.INVALID, _t("Unknown workflow.")) from None


# ---- dates ----------------------------------------------------------------------------------


def add_working_days(start: datetime.date, days: int) -> datetime.date:
    """The day ``days`` working days after ``start``. Weekends are skipped; public holidays
    are not modelled (see the module docstring)."""
    day = start
    added = 0
    while added < days:
        day += datetime.timedelta(days=1)
        if day.weekday() < 5:
            added += 1
    return day


def due_date(step: Step, start: datetime.date) -> datetime.date:
    """When a step entered on ``start`` must be done; for a 公示 step, when its period ends."""
    if step.is_notice:
        return start + datetime.timedelta(days=step.notice_days)
    return add_working_days(start, step.days)


def is_overdue(application: Application, today: datetime.date | None = None) -> bool:
    today = today or timezone.localdate()
    return (
        application.status == ApplicationStatus.IN_PROGRESS
        and application.step_due is not None
        and application.step_due < today
    )


def overdue_q(today: datetime.date | None = None) -> models.Q:
    """The list filter: in progress and past the current step's due date."""
    return models.Q(
        status=ApplicationStatus.IN_PROGRESS, step_due__lt=today or timezone.localdate()
    )


# ---- who may act ----------------------------------------------------------------------------


def acting_level(step: Step, region_code: str) -> int:
    """The step's level, or the application's own level where that is coarser."""
    return min(step.level, level_of(region_code))


def acting_region(actor, step: Step, region_code: str) -> str | None:
    """The region (of the acting level, containing ``region_code``) through which ``actor``
    holds the step's permission; None when they hold none."""
    if actor is None or not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return None
    level = acting_level(step, region_code)
    code = normalize(region_code)
    assignments = actor.role_assignments.filter(role__in=roles_with(step.permission))
    for assigned in sorted(assignments.values_list("region_code", flat=True)):
        if level_of(assigned) == level and code.startswith(prefix_of(assigned)):
            return normalize(assigned)
    return None


def _current_step(application: Application) -> Step | None:
    if application.status != ApplicationStatus.IN_PROGRESS or not application.step:
        return None
    return get_workflow(application.workflow).step(application.step)


def _approved_earlier(application: Application, actor) -> bool:
    """Whether ``actor`` approved a step of the current submission already."""
    last_submit = (
        application.steps.filter(action=SUBMIT).order_by("-at", "-id").values_list("id", flat=True)
    ).first()
    qs = application.steps.filter(action=Action.APPROVE, actor=actor)
    if last_submit is not None:
        qs = qs.filter(id__gt=last_submit)
    return qs.exists()


def available_actions(
    application: Application, actor, today: datetime.date | None = None
) -> list[str]:
    """The actions ``actor`` may take on the current step now: what the page shows, and only
    that."""
    step = _current_step(application)
    if step is None or acting_region(actor, step, application.region_code) is None:
        return []
    if step.separate_actor and _approved_earlier(application, actor):
        return []
    today = today or timezone.localdate()
    actions = [Action.APPROVE.value, Action.RETURN.value, Action.REJECT.value]
    if step.is_notice and application.step_due and today < application.step_due:
        actions.remove(Action.APPROVE.value)
    return actions


# ---- transitions ----------------------------------------------------------------------------


def enter_first_step(application: Application, today: datetime.date) -> Step:
    """Put a (re)submitted application on its workflow's first step."""
    step = get_workflow(application.workflow).first
    application.status = ApplicationStatus.IN_PROGRESS
    application.step = step.code
    application.step_due = due_date(step, today)
    return step


def _snapshot(application: Application) -> dict:
    return audit.snapshot(application, ["status", "step", "step_due", "entitlement_id"])


@transaction.atomic
def advance(
    application: Application,
    action: str,
    *,
    actor,
    comment: str = "",
    today: datetime.date | None = None,
) -> Application:
    """The one transition check: ``actor`` takes ``action`` on the application's current step.

    Refused (with a clear error) when the application is not in progress, the action is
    unknown, the actor does not hold the step's permission at a region of the step's level
    containing the application's region (404 when they cannot even see it, 403 otherwise),
    the four-eyes rule forbids it, a 公示 is still running, or a return/rejection has no
    comment. The final approval hands over to ``applications.finish_approved`` (entitlement
    with the budget check, or the recognition).
    """
    today = today or timezone.localdate()
    application = Application.objects.select_for_update().get(pk=application.pk)
    require(actor, Perm.VIEW, application.region_code)
    if action not in Action.values:
        raise JiuyeError(ErrorCode.INVALID, _t("Unknown action."))
    step = _current_step(application)
    if step is None:
        raise JiuyeError(
            ErrorCode.CONFLICT,
            _t("The application is not waiting for a decision."),
            status=409,
        )
    region = acting_region(actor, step, application.region_code)
    if region is None:
        raise PermissionDeniedError(
            _t("Step “%(step)s” is decided by the %(level)s with the permission to %(perm)s.")
            % {
                "step": step.label,
                "level": LEVEL_LABELS[acting_level(step, application.region_code)],
                "perm": _t("review") if step.permission == Perm.REVIEW else _t("edit"),
            }
        )
    if step.separate_actor and _approved_earlier(application, actor):
        raise PermissionDeniedError(
            _t("Someone who approved an earlier step cannot also decide “%(step)s”.")
            % {"step": step.label}
        )
    comment = (comment or "").strip()[:500]
    if action in (Action.RETURN, Action.REJECT) and not comment:
        raise JiuyeError(ErrorCode.INVALID, _t("Say why the application is returned or rejected."))
    if (
        action == Action.APPROVE
        and step.is_notice
        and application.step_due
        and today < application.step_due
    ):
        raise JiuyeError(
            ErrorCode.CONFLICT,
            _t("The public notice runs until %(day)s.") % {"day": application.step_due},
            status=409,
        )
    return _move(
        application, step, action, actor=actor, region=region, comment=comment, today=today
    )


def _move(application, step, action, *, actor, region, comment, today) -> Application:
    before = _snapshot(application)
    overdue = bool(application.step_due and today > application.step_due)
    ApplicationStep.objects.create(
        application=application,
        step=step.code,
        action=action,
        comment=comment,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        actor_region_code=region or "",
        overdue=overdue,
    )
    now = timezone.now()
    if action in (Action.APPROVE, NOTICE_PASSED):
        following = get_workflow(application.workflow).next_step(step.code)
        if following is not None:
            application.step = following.code
            application.step_due = due_date(following, today)
        else:
            from jiuye.policies.applications import finish_approved

            finish_approved(application, actor=actor, today=today)
            application.status = ApplicationStatus.APPROVED
            application.step = ""
            application.step_due = None
            application.decided_at = now
    elif action == Action.RETURN:
        application.status = ApplicationStatus.RETURNED
        application.step = ""
        application.step_due = None
    else:
        application.status = ApplicationStatus.REJECTED
        application.step = ""
        application.step_due = None
        application.decided_at = now
    application.save()
    audit.record(
        actor=actor,
        action=f"policies.application.{action}",
        obj=application,
        before=before,
        after={**_snapshot(application), "at_step": step.code, "comment": comment},
    )
    return application


def complete_public_notices(*, today: datetime.date | None = None) -> int:
    """Close every 公示 whose period has passed without objection (a daily job; the system
    acts, so the audit row has no actor). Returns how many applications moved on."""
    today = today or timezone.localdate()
    notice_steps = {(wf.code, s.code) for wf in WORKFLOWS.values() for s in wf.steps if s.is_notice}
    moved = 0
    candidates = Application.objects.filter(
        status=ApplicationStatus.IN_PROGRESS, step_due__lte=today
    ).values_list("pk", "workflow", "step")
    for pk, workflow, step_code in candidates:
        if (workflow, step_code) not in notice_steps:
            continue
        with transaction.atomic():
            application = Application.objects.select_for_update().get(pk=pk)
            if application.step != step_code or application.status != ApplicationStatus.IN_PROGRESS:
                continue
            step = get_workflow(workflow).step(step_code)
            _move(
                application,
                step,
                NOTICE_PASSED,
                actor=None,
                region="",
                comment="",
                today=today,
            )
            moved += 1
    return moved


def step_rows(application: Application) -> list[dict]:
    """The workflow's steps with where the application stands, for the detail page."""
    workflow = get_workflow(application.workflow)
    codes = [s.code for s in workflow.steps]
    current = codes.index(application.step) if application.step in codes else None
    rows = []
    for i, s in enumerate(workflow.steps):
        if application.status == ApplicationStatus.APPROVED:
            state = "done"
        elif current is None:
            state = "todo"
        else:
            state = "done" if i < current else "current" if i == current else "todo"
        rows.append(
            {
                "step": s,
                "level": LEVEL_LABELS[acting_level(s, application.region_code)],
                "state": state,
                "limit": s.notice_days if s.is_notice else s.days,
            }
        )
    return rows
