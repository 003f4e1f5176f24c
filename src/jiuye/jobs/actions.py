"""Writes on postings, applications, interviews, hires and job fairs.

Each action is atomic, takes ``actor=``, checks the actor's scope and leaves an audit row.
Statuses move only along the transitions declared below (workflows as data, one check each);
anything else raises ``JiuyeError``. A hire is one action: the ``Hire``, the registry's
employment registration (``jiuye.registry.actions.record_event``, which re-derives the person's
status), the application, the person's job intentions, the posting's headcount and any signed
fair intention change together or not at all.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jiuye.accounts.permissions import Perm
from jiuye.accounts.scoping import require, scope_for
from jiuye.core import audit
from jiuye.core.errors import ErrorCode, JiuyeError, NotFoundError, PermissionDeniedError
from jiuye.core.middleware import current_client_ip
from jiuye.core.models import AuditLog
from jiuye.jobs.models import (
    Application,
    ApplicationSource,
    ApplicationStatus,
    Channel,
    FairAttendee,
    FairEmployer,
    FairIntention,
    FairKind,
    FairMode,
    FairStatus,
    Hire,
    IntentionOutcome,
    Interview,
    InterviewResult,
    JobFair,
    Posting,
    PostingKind,
    PostingStatus,
)
from jiuye.jobs.review import scan_posting
from jiuye.regions.selectors import require_region
from jiuye.registry import codes
from jiuye.registry.ages import MIN_WORKING_AGE, age_on
from jiuye.registry.models import (
    ContractType,
    Employer,
    EmploymentForm,
    EventKind,
    JobIntention,
    Person,
    WorkPlace,
)

# ---- workflows ----------------------------------------------------------------------------

S = PostingStatus
POSTING_TRANSITIONS: dict[str, frozenset[str]] = {
    S.DRAFT: frozenset({S.REVIEW, S.WITHDRAWN}),  # submit; withdraw
    S.REVIEW: frozenset({S.PUBLISHED, S.DRAFT, S.WITHDRAWN}),  # approve; reject; withdraw
    S.PUBLISHED: frozenset({S.FILLED, S.EXPIRED, S.WITHDRAWN}),
    # Someone interviewed before the posting expired may still be hired afterwards.
    S.EXPIRED: frozenset({S.FILLED}),
    S.FILLED: frozenset(),
    S.WITHDRAWN: frozenset(),
}
A = ApplicationStatus
OPEN_APPLICATION = frozenset({A.APPLIED, A.INTERVIEW, A.OFFERED})
APPLICATION_TRANSITIONS: dict[str, frozenset[str]] = {
    A.APPLIED: frozenset({A.INTERVIEW, A.OFFERED, A.HIRED, A.REJECTED, A.WITHDRAWN}),
    A.INTERVIEW: frozenset({A.INTERVIEW, A.OFFERED, A.HIRED, A.REJECTED, A.WITHDRAWN}),
    A.OFFERED: frozenset({A.HIRED, A.REJECTED, A.WITHDRAWN}),
    A.HIRED: frozenset(),
    A.REJECTED: frozenset(),
    A.WITHDRAWN: frozenset(),
}
F = FairStatus
FAIR_TRANSITIONS: dict[str, frozenset[str]] = {
    F.PLANNED: frozenset({F.OPEN, F.CLOSED, F.CANCELLED}),
    F.OPEN: frozenset({F.CLOSED}),
    F.CLOSED: frozenset(),
    F.CANCELLED: frozenset(),
}
# A fair takes new employers, attendees and intentions until it is closed; outcomes of the
# intentions signed there are recorded afterwards (hires come weeks later).
FAIR_ACCEPTING = frozenset({F.PLANNED, F.OPEN})

POSTING_FIELDS = [
    "employer_id",
    "title",
    "occupation_code",
    "occupation_coded_by",
    "occupation_score",
    "description",
    "headcount",
    "wage_min",
    "wage_max",
    "education",
    "age_min",
    "age_max",
    "experience_years",
    "region_code",
    "address",
    "longitude",
    "latitude",
    "kind",
    "channel",
    "valid_from",
    "valid_to",
    "external_id",
]
# What may change on a published posting without a new review: none of it is text an
# applicant reads as a requirement.
OPERATIONAL_FIELDS = frozenset(
    {"headcount", "wage_min", "wage_max", "valid_to", "address", "longitude", "latitude"}
)
EDITABLE_FIELDS = frozenset(POSTING_FIELDS) - {"employer_id"} | {"employer"}
FAIR_FIELDS = [
    "name",
    "kind",
    "mode",
    "region_code",
    "service_point_id",
    "venue",
    "starts_at",
    "ends_at",
    "theme",
    "description",
]
MAX_DESCRIPTION = 5000
SIX_PLACES = Decimal("1e-6")


def _today() -> datetime.date:
    return timezone.localdate()


def _require(actor, permission: str, region_code: str) -> None:
    """Outside the actor's view the object does not exist for them (404); inside it, a role
    without ``permission`` there is refused (403)."""
    require(actor, permission, region_code, refuse_visible=True)


def _invalid(message) -> JiuyeError:
    return JiuyeError(ErrorCode.INVALID, message)


def _label(choices, value) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value)


def _check_transition(table: dict, choices, current: str, new: str) -> None:
    if new not in table.get(current, ()):
        raise _invalid(
            _("This cannot go from “%(current)s” to “%(new)s”.")
            % {"current": _label(choices, current), "new": _label(choices, new)}
        )


def _posting_snapshot(posting: Posting) -> dict:
    return audit.snapshot(posting, POSTING_FIELDS)


# ---- posting fields -----------------------------------------------------------------------


def clean_occupation(value) -> str:
    """The 2022 classification code at 小类 or 细类 level (细类 preferred); "" for blank."""
    if value in (None, ""):
        return ""
    try:
        record = codes.occupation(value)
    except codes.CodeLookupError as exc:
        raise _invalid(str(exc)) from exc
    if record.level < 3:
        raise _invalid(
            _("%(code)s %(name)s is too broad: give the 小类 or, better, the 细类 code.")
            % {"code": record.code, "name": record.name}
        )
    return record.code


NO_REQUIREMENT = frozenset({"不限", "无要求", "学历不限", "无", "不要求", "-", "—"})


def clean_education(value) -> str:
    """GB/T 4658 code; blank (or 不限/无要求) means no requirement."""
    if value in (None, "") or str(value).strip() in NO_REQUIREMENT:
        return ""
    try:
        return codes.education_code(value)
    except codes.CodeLookupError as exc:
        raise _invalid(str(exc)) from exc


def default_coordinates(region_code: str) -> tuple[Decimal | None, Decimal | None]:
    """The region's point (its county's, from the shipped table), or (None, None)."""
    from jiuye.regions.geo import coordinates_of

    point = coordinates_of(region_code)
    if point is None:
        return None, None
    lon, lat = point
    return Decimal(f"{lon:.6f}"), Decimal(f"{lat:.6f}")


def _check_ranges(values: dict) -> None:
    """Cross-field rules of a posting; ``values`` holds every field (new or current)."""
    if not values.get("title"):
        raise _invalid(_("Give the job title."))
    if len(values["title"]) > 100:
        raise _invalid(_("The job title is longer than 100 characters."))
    if len(values.get("description") or "") > MAX_DESCRIPTION:
        raise _invalid(
            _("The description is longer than %(max)s characters.") % {"max": MAX_DESCRIPTION}
        )
    if len(values.get("address") or "") > 200:
        raise _invalid(_("The address is longer than 200 characters."))
    headcount = values.get("headcount")
    if headcount is None or headcount < 1:
        raise _invalid(_("The headcount must be at least 1."))
    lo, hi = values.get("wage_min"), values.get("wage_max")
    if (lo is not None and lo < 0) or (hi is not None and hi < 0):
        raise _invalid(_("A wage cannot be negative."))
    if lo is not None and hi is not None and lo > hi:
        raise _invalid(_("The lower wage is above the upper wage."))
    age_min, age_max = values.get("age_min"), values.get("age_max")
    if age_min is not None and age_min < MIN_WORKING_AGE:
        # 劳动法 第15条: employers must not hire anyone under 16.
        raise _invalid(_("The minimum age cannot be below 16 (劳动法 第15条)."))
    if age_max is not None and age_max > 80:
        raise _invalid(_("The maximum age is not plausible."))
    if age_min is not None and age_max is not None and age_min > age_max:
        raise _invalid(_("The minimum age is above the maximum age."))
    years = values.get("experience_years")
    if years is not None and not 0 <= years <= 50:
        raise _invalid(_("The years of experience are not plausible."))
    if not values.get("valid_from") or not values.get("valid_to"):
        raise _invalid(_("Give the dates the posting is valid."))
    if values["valid_from"] > values["valid_to"]:
        raise _invalid(_("The posting ends before it starts."))
    if values.get("kind") not in PostingKind.values:
        raise _invalid(_("Unknown type of job."))
    if values.get("channel") not in Channel.values:
        raise _invalid(_("Unknown channel."))
    lon, lat = values.get("longitude"), values.get("latitude")
    if (lon is None) != (lat is None):
        raise _invalid(_("Give both longitude and latitude, or neither."))
    if lon is not None and not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise _invalid(_("The coordinates are not valid."))


def _clean_changes(actor, changes: dict, *, current: Posting | None) -> dict:
    """Normalised values of the given fields; the employer must be visible to the actor and the
    workplace inside their EDIT scope."""
    out: dict[str, Any] = {}
    for key, value in changes.items():
        if key not in EDITABLE_FIELDS:
            raise _invalid(f"unknown field: {key}")
        if isinstance(value, str):
            value = value.strip()
        if key == "employer":
            if not isinstance(value, Employer) or not scope_for(actor, Perm.VIEW).contains(
                value.region_code
            ):
                raise JiuyeError(
                    ErrorCode.NOT_FOUND, _("No such employer in your region."), status=404
                )
            out["employer_id"] = value.pk
        elif key == "occupation_code":
            out[key] = clean_occupation(value)
        elif key == "education":
            out[key] = clean_education(value)
        elif key == "region_code":
            out[key] = require_region(actor, value, Perm.EDIT)
        elif key in ("longitude", "latitude"):
            out[key] = None if value in (None, "") else Decimal(str(value)).quantize(SIX_PLACES)
        elif key in ("description", "address", "external_id", "occupation_coded_by"):
            out[key] = value or ""
        else:
            out[key] = value
    # A code set by hand replaces an automatic one.
    recoded = "occupation_code" in out and "occupation_coded_by" not in out
    if recoded and (current is None or out["occupation_code"] != current.occupation_code):
        out["occupation_coded_by"] = ""
        out["occupation_score"] = None
    return out


def _apply_default_coordinates(posting: Posting, moved: bool) -> None:
    if posting.longitude is None or moved:
        posting.longitude, posting.latitude = default_coordinates(posting.region_code)


# ---- postings -----------------------------------------------------------------------------


@transaction.atomic
def create_posting(
    *,
    actor,
    employer: Employer,
    title: str,
    region_code: str,
    valid_from: datetime.date,
    valid_to: datetime.date,
    **fields,
) -> Posting:
    """A new draft. Its text is checked at once, so the draft shows any findings early."""
    values = _clean_changes(
        actor,
        {
            "employer": employer,
            "title": title,
            "region_code": region_code,
            "valid_from": valid_from,
            "valid_to": valid_to,
            **fields,
        },
        current=None,
    )
    posting = Posting(status=PostingStatus.DRAFT, **values)
    if getattr(actor, "pk", None):
        posting.created_by = actor
    _apply_default_coordinates(posting, moved=False)
    _check_ranges(posting.__dict__)
    posting.review_flags = scan_posting(posting)
    posting.save()
    audit.record(
        actor=actor,
        action="jobs.posting.create",
        obj=posting,
        after={**_posting_snapshot(posting), "findings": len(posting.review_flags)},
    )
    return posting


@transaction.atomic
def update_posting(*, actor, posting: Posting, **changes) -> Posting:
    """A draft may change in full. A published posting may change only what needs no new
    review (headcount, wages, end date, address, coordinates); anything else, or a posting in
    any other status, is refused."""
    posting = Posting.objects.select_for_update().get(pk=posting.pk)
    _require(actor, Perm.EDIT, posting.region_code)
    if posting.status == PostingStatus.PUBLISHED:
        reviewed = {
            k for k, v in changes.items() if k not in OPERATIONAL_FIELDS and _differs(posting, k, v)
        }
        if reviewed:
            raise _invalid(
                _(
                    "A published posting can only change its headcount, wages, end date and "
                    "address. Withdraw it and post it again to change anything else."
                )
            )
    elif posting.status != PostingStatus.DRAFT:
        raise _invalid(
            _("A posting that is “%(status)s” cannot be changed.")
            % {"status": posting.get_status_display()}
        )
    values = _clean_changes(actor, changes, current=posting)
    before = _posting_snapshot(posting)
    moved = "region_code" in values and values["region_code"] != posting.region_code
    # Coordinates given keep; left empty, they are the (new) region's point.
    coords_given = values.get("longitude") is not None or values.get("latitude") is not None
    for key, value in values.items():
        setattr(posting, key, value)
    if not coords_given:
        _apply_default_coordinates(posting, moved=moved)
    _check_ranges(posting.__dict__)
    if posting.status == PostingStatus.DRAFT:
        posting.review_flags = scan_posting(posting)
    posting.save()
    b, a = audit.changed(before, _posting_snapshot(posting))
    if a:
        audit.record(actor=actor, action="jobs.posting.update", obj=posting, before=b, after=a)
    if posting.status == PostingStatus.PUBLISHED:
        _fill_if_complete(actor, posting)
    return posting


def _differs(posting: Posting, key: str, value) -> bool:
    if key == "employer":
        return getattr(value, "pk", value) != posting.employer_id
    current = getattr(posting, key, None)
    if isinstance(value, str):
        value = value.strip()
    return value not in (current, None if current == "" else current)


def _set_posting_status(
    actor, posting: Posting, new: str, action: str, *, after: dict | None = None, **fields
) -> Posting:
    old = posting.status
    _check_transition(POSTING_TRANSITIONS, PostingStatus, old, new)
    posting.status = new
    for key, value in fields.items():
        setattr(posting, key, value)
    posting.save()
    audit.record(
        actor=actor,
        action=action,
        obj=posting,
        before={"status": old},
        after={"status": new, **(after or {})},
    )
    return posting


def _locked(posting: Posting) -> Posting:
    return Posting.objects.select_for_update().select_related("employer").get(pk=posting.pk)


@transaction.atomic
def submit_posting(*, actor, posting: Posting) -> Posting:
    """Draft → under review. The forbidden-requirement check runs again and its findings are
    stored for the reviewer."""
    posting = _locked(posting)
    _require(actor, Perm.EDIT, posting.region_code)
    _check_transition(POSTING_TRANSITIONS, PostingStatus, posting.status, PostingStatus.REVIEW)
    if not posting.occupation_code:
        raise _invalid(_("Give the occupation code before submitting the posting."))
    if posting.valid_to < _today():
        raise _invalid(_("The posting's validity has already ended; change the end date."))
    flags = scan_posting(posting)
    return _set_posting_status(
        actor,
        posting,
        PostingStatus.REVIEW,
        "jobs.posting.submit",
        after={"findings": flags},
        review_flags=flags,
    )


@transaction.atomic
def approve_posting(
    *, actor, posting: Posting, acknowledge_findings: bool = False, note: str = ""
) -> Posting:
    """Under review → published, by someone with REVIEW at the posting's region who did not
    create it. A posting whose text has findings is published only when the reviewer
    acknowledges them and says why (e.g. 井下作业 is work the state keeps from women, 就业促进法
    第27条); otherwise the text must be fixed first (reject it back to draft)."""
    posting = _locked(posting)
    _require(actor, Perm.REVIEW, posting.region_code)
    _check_transition(POSTING_TRANSITIONS, PostingStatus, posting.status, PostingStatus.PUBLISHED)
    if posting.created_by_id and posting.created_by_id == getattr(actor, "pk", None):
        raise PermissionDeniedError(_("Someone else must review a posting you created."))
    if posting.valid_to < _today():
        raise _invalid(_("The posting's validity has already ended; return it to draft."))
    flags = scan_posting(posting)
    note = (note or "").strip()
    if flags and not acknowledge_findings:
        raise JiuyeError(
            ErrorCode.INVALID,
            _(
                "The text has %(count)s finding(s) of requirements the law forbids. Return "
                "it to draft to be fixed, or confirm that they are lawful and say why."
            )
            % {"count": len(flags)},
            detail=flags,
        )
    if flags and not note:
        raise _invalid(_("Say why the findings are acceptable."))
    now = timezone.now()
    return _set_posting_status(
        actor,
        posting,
        PostingStatus.PUBLISHED,
        "jobs.posting.approve",
        after={"note": note, "acknowledged_findings": flags},
        review_flags=flags,
        review_note=note[:500],
        reviewed_by=actor if getattr(actor, "pk", None) else None,
        reviewed_at=now,
        published_at=now,
    )


@transaction.atomic
def reject_posting(*, actor, posting: Posting, note: str) -> Posting:
    """Under review → back to draft, with the reviewer's note saying what to fix."""
    posting = _locked(posting)
    _require(actor, Perm.REVIEW, posting.region_code)
    _check_transition(POSTING_TRANSITIONS, PostingStatus, posting.status, PostingStatus.DRAFT)
    note = (note or "").strip()
    if not note:
        raise _invalid(_("Say what must be fixed."))
    return _set_posting_status(
        actor,
        posting,
        PostingStatus.DRAFT,
        "jobs.posting.reject",
        after={"note": note},
        review_note=note[:500],
        reviewed_by=actor if getattr(actor, "pk", None) else None,
        reviewed_at=timezone.now(),
    )


@transaction.atomic
def withdraw_posting(*, actor, posting: Posting, reason: str) -> Posting:
    posting = _locked(posting)
    _require(actor, Perm.EDIT, posting.region_code)
    reason = (reason or "").strip()
    if not reason:
        raise _invalid(_("Give the reason."))
    return _set_posting_status(
        actor,
        posting,
        PostingStatus.WITHDRAWN,
        "jobs.posting.withdraw",
        after={"reason": reason},
        closed_reason=reason[:200],
    )


def _fill_if_complete(actor, posting: Posting) -> bool:
    """A posting whose hires reach its headcount is filled."""
    if posting.status not in (PostingStatus.PUBLISHED, PostingStatus.EXPIRED):
        return False
    hires = Hire.objects.filter(application__posting=posting).count()
    if hires < posting.headcount:
        return False
    _set_posting_status(
        actor,
        posting,
        PostingStatus.FILLED,
        "jobs.posting.fill",
        after={"hires": hires},
        closed_reason=_("Headcount reached")[:200],
    )
    return True


@transaction.atomic
def expire_postings(today: datetime.date | None = None, *, actor=None) -> int:
    """Close every published posting whose validity ended before ``today``; returns how many.
    One audit row per posting (bulk), so each posting's history shows its expiry."""
    today = today or _today()
    qs = Posting.objects.select_for_update().filter(
        status=PostingStatus.PUBLISHED, valid_to__lt=today
    )
    rows = list(qs.values_list("pk", "region_code", "title", "valid_to"))
    if not rows:
        return 0
    ids = [pk for pk, *_rest in rows]
    now = timezone.now()
    for start in range(0, len(ids), 5000):
        Posting.objects.filter(pk__in=ids[start : start + 5000]).update(
            status=PostingStatus.EXPIRED, updated_at=now
        )
    user = actor if getattr(actor, "is_authenticated", False) else None
    ip = current_client_ip()
    AuditLog.objects.bulk_create(
        [
            AuditLog(
                actor=user,
                actor_username=getattr(actor, "username", "") or "",
                action="jobs.posting.expire",
                object_type="jobs.posting",
                object_id=str(pk),
                object_repr=title[:200],
                region_code=region_code,
                before={"status": PostingStatus.PUBLISHED.value},
                after={"status": PostingStatus.EXPIRED.value, "valid_to": valid_to.isoformat()},
                ip_address=ip,
            )
            for pk, region_code, title, valid_to in rows
        ],
        batch_size=2000,
    )
    return len(rows)


# ---- applications -------------------------------------------------------------------------


def is_open(posting: Posting, day: datetime.date | None = None) -> bool:
    day = day or _today()
    published = posting.status == PostingStatus.PUBLISHED
    return published and posting.valid_from <= day <= posting.valid_to


def _check_person(person: Person, day: datetime.date) -> None:
    if person.merged_into_id:
        raise _invalid(
            _("This record was merged into another one; use record #%(id)s.")
            % {"id": person.merged_into_id}
        )
    if age_on(person.birth_date, day) < MIN_WORKING_AGE:
        raise _invalid(_("The person is under 16 and may not be employed (劳动法 第15条)."))


def _application_repr(application: Application) -> str:
    return f"{application.person.name} → {application.posting.title}"


def _audit_application(actor, application: Application, action: str, **kwargs):
    audit.record(
        actor=actor,
        action=action,
        obj=application,
        object_repr=_application_repr(application),
        **kwargs,
    )


@transaction.atomic
def apply(
    *,
    actor,
    posting: Posting,
    person: Person,
    source: str = ApplicationSource.STAFF,
    fair: JobFair | None = None,
) -> Application:
    """Refer a person to a posting (推荐). The actor must hold EDIT where the posting is and
    where the person lives; the posting must be published and open."""
    _require(actor, Perm.EDIT, posting.region_code)
    _require(actor, Perm.EDIT, person.region_code)
    person = Person.objects.get(pk=person.pk)
    today = _today()
    _check_person(person, today)
    if not is_open(posting, today):
        raise _invalid(_("The posting is not open for applications."))
    if source not in ApplicationSource.values:
        raise _invalid(_("Unknown source."))
    if Application.objects.filter(posting=posting, person=person).exists():
        raise JiuyeError(ErrorCode.CONFLICT, _("This person has already applied for this job."))
    try:
        with transaction.atomic():
            application = Application.objects.create(
                posting=posting,
                person=person,
                region_code=posting.region_code,
                source=source,
                fair=fair,
            )
    except IntegrityError as exc:
        raise JiuyeError(
            ErrorCode.CONFLICT, _("This person has already applied for this job.")
        ) from exc
    _audit_application(
        actor,
        application,
        "jobs.application.create",
        after={"posting_id": posting.pk, "person_id": person.pk, "source": source},
    )
    return application


def _locked_application(application: Application) -> Application:
    return (
        Application.objects.select_for_update()
        .select_related("posting", "person", "posting__employer")
        .get(pk=application.pk)
    )


def _move_application(
    actor, application: Application, new: str, action: str, *, after: dict | None = None, **fields
) -> Application:
    old = application.status
    _check_transition(APPLICATION_TRANSITIONS, ApplicationStatus, old, new)
    application.status = new
    for key, value in fields.items():
        setattr(application, key, value)
    application.save()
    _audit_application(
        actor,
        application,
        action,
        before={"status": old},
        after={"status": new, **(after or {})},
    )
    return application


@transaction.atomic
def schedule_interview(
    *,
    actor,
    application: Application,
    scheduled_at: datetime.datetime,
    place: str = "",
    notes: str = "",
) -> Interview:
    application = _locked_application(application)
    _require(actor, Perm.EDIT, application.region_code)
    _move_application(
        actor,
        application,
        ApplicationStatus.INTERVIEW,
        "jobs.application.interview",
        after={"scheduled_at": scheduled_at, "place": place},
    )
    interview = Interview(
        application=application,
        region_code=application.region_code,
        scheduled_at=scheduled_at,
        place=(place or "").strip(),
        notes=(notes or "").strip(),
    )
    interview.full_clean(exclude=["application"])
    interview.save()
    return interview


@transaction.atomic
def record_interview_result(
    *, actor, interview: Interview, result: str, notes: str = ""
) -> Interview:
    interview = Interview.objects.select_for_update().get(pk=interview.pk)
    application = _locked_application(interview.application)
    _require(actor, Perm.EDIT, interview.region_code)
    if result not in InterviewResult.values or result == InterviewResult.PENDING:
        raise _invalid(_("Choose the result."))
    if application.status not in OPEN_APPLICATION:
        raise _invalid(_("The application is already decided."))
    before = {"result": interview.result, "notes": interview.notes}
    interview.result = result
    if notes:
        interview.notes = notes.strip()[:500]
    interview.save()
    _audit_application(
        actor,
        application,
        "jobs.interview.result",
        before=before,
        after={"interview_id": interview.pk, "result": result, "notes": interview.notes},
    )
    return interview


@transaction.atomic
def offer(*, actor, application: Application, note: str = "") -> Application:
    application = _locked_application(application)
    _require(actor, Perm.EDIT, application.region_code)
    return _move_application(
        actor,
        application,
        ApplicationStatus.OFFERED,
        "jobs.application.offer",
        after={"note": note},
    )


def _close_with_reason(actor, application, status, action, reason) -> Application:
    application = _locked_application(application)
    _require(actor, Perm.EDIT, application.region_code)
    reason = (reason or "").strip()
    if not reason:
        raise _invalid(_("Give the reason."))
    application = _move_application(
        actor,
        application,
        status,
        action,
        after={"reason": reason},
        reason=reason[:200],
        decided_at=timezone.now(),
    )
    _end_fair_intentions(application, IntentionOutcome.DECLINED, reason)
    return application


@transaction.atomic
def reject_application(*, actor, application: Application, reason: str) -> Application:
    """The employer (or the bureau) does not take the person; the reason is kept."""
    return _close_with_reason(
        actor, application, ApplicationStatus.REJECTED, "jobs.application.reject", reason
    )


@transaction.atomic
def withdraw_application(*, actor, application: Application, reason: str) -> Application:
    """The person gives up; the reason is kept."""
    return _close_with_reason(
        actor, application, ApplicationStatus.WITHDRAWN, "jobs.application.withdraw", reason
    )


def _end_fair_intentions(application: Application, outcome: str, reason: str = "") -> None:
    FairIntention.objects.filter(
        posting_id=application.posting_id,
        person_id=application.person_id,
        outcome=IntentionOutcome.PENDING,
    ).update(outcome=outcome, reason=reason[:200], updated_at=timezone.now())


def _employment_form(kind: str) -> str:
    # Part-time and gig work are flexible employment (灵活就业); a full-time job or an
    # internship post is employment by a unit.
    if kind in (PostingKind.PART_TIME, PostingKind.GIG):
        return EmploymentForm.FLEXIBLE
    return EmploymentForm.UNIT


def _work_place(person: Person, region_code: str) -> str:
    if region_code[:6] == person.region_code[:6]:
        return WorkPlace.IN_COUNTY
    if region_code[:2] == person.region_code[:2]:
        return WorkPlace.IN_PROVINCE
    return WorkPlace.OUT_PROVINCE


@transaction.atomic
def hire(
    *,
    actor,
    application: Application,
    start_date: datetime.date,
    monthly_wage: int | None = None,
    contract_type: str = "",
    contract_end: datetime.date | None = None,
) -> Hire:
    """Record a hire: one atomic action. It records the 就业登记 through the registry (so the
    person's derived status changes), links it to the ``Hire``, marks the application hired,
    ends the person's active job intentions, marks a pending fair intention hired, and fills
    the posting once its hires reach the headcount."""
    application = _locked_application(application)
    posting = Posting.objects.select_for_update().get(pk=application.posting_id)
    person = application.person
    _require(actor, Perm.EDIT, application.region_code)
    _require(actor, Perm.EDIT, person.region_code)
    _check_transition(
        APPLICATION_TRANSITIONS, ApplicationStatus, application.status, ApplicationStatus.HIRED
    )
    _check_person(person, start_date)
    if posting.status not in (PostingStatus.PUBLISHED, PostingStatus.EXPIRED):
        raise _invalid(
            _("The posting is “%(status)s”; nobody more can be hired on it.")
            % {"status": posting.get_status_display()}
        )
    hires = Hire.objects.filter(application__posting=posting).count()
    if hires >= posting.headcount:
        raise _invalid(_("The posting's headcount is already reached."))
    if start_date > _today():
        raise _invalid(_("The start date is in the future: record the hire once the job starts."))
    if contract_type and contract_type not in ContractType.values:
        raise _invalid(_("Unknown contract type."))
    if contract_end and contract_end <= start_date:
        raise _invalid(_("The contract ends before it starts."))
    if monthly_wage is not None and monthly_wage < 0:
        raise _invalid(_("A wage cannot be negative."))
    from jiuye.registry.actions import record_event

    event = record_event(
        actor=actor,
        person=person,
        kind=EventKind.EMPLOYMENT,
        occurred_on=start_date,
        employer=posting.employer,
        form=_employment_form(posting.kind),
        contract_type=contract_type or "",
        contract_end=contract_end,
        work_place=_work_place(person, posting.region_code),
        work_region_code=posting.region_code,
        occupation_code=posting.occupation_code,
        source="jobs.hire",
    )
    record = Hire.objects.create(
        application=application,
        region_code=application.region_code,
        start_date=start_date,
        monthly_wage=monthly_wage,
        contract_type=contract_type or "",
        contract_end=contract_end,
        event=event,
    )
    _move_application(
        actor,
        application,
        ApplicationStatus.HIRED,
        "jobs.application.hire",
        after={
            "hire_id": record.pk,
            "event_id": event.pk,
            "start_date": start_date,
            "monthly_wage": monthly_wage,
            "contract_type": contract_type,
        },
        decided_at=timezone.now(),
    )
    ended = list(
        JobIntention.objects.filter(person=person, active=True).values_list("pk", flat=True)
    )
    if ended:
        JobIntention.objects.filter(pk__in=ended).update(
            active=False, ended_on=start_date, updated_at=timezone.now()
        )
        audit.record(
            actor=actor,
            action="registry.intention.end",
            obj=person,
            after={"intentions": ended, "ended_on": start_date, "reason": "hired"},
        )
    _end_fair_intentions(application, IntentionOutcome.HIRED)
    _fill_if_complete(actor, posting)
    return record


# ---- job fairs ----------------------------------------------------------------------------


def _clean_fair(actor, values: dict) -> dict:
    out = {}
    for key, value in values.items():
        if key == "service_point":
            key, value = "service_point_id", getattr(value, "pk", value)
        if key not in FAIR_FIELDS:
            raise _invalid(f"unknown field: {key}")
        if isinstance(value, str):
            value = value.strip()
        if key == "region_code":
            value = require_region(actor, value, Perm.EDIT)
        out[key] = value
    return out


def _check_fair(fair: JobFair) -> None:
    if not fair.name:
        raise _invalid(_("Give the name of the fair."))
    if fair.kind not in FairKind.values or fair.mode not in FairMode.values:
        raise _invalid(_("Choose the type and the mode."))
    if not fair.starts_at or not fair.ends_at or fair.starts_at > fair.ends_at:
        raise _invalid(_("The fair ends before it starts."))
    if fair.service_point_id:
        from jiuye.regions.models import ServicePoint

        point = ServicePoint.objects.filter(pk=fair.service_point_id).first()
        if point is None or not point.region_code.startswith(fair.region_code[:6]):
            raise _invalid(_("The service point is not in the fair's county."))


@transaction.atomic
def create_fair(*, actor, name: str, kind: str, mode: str, region_code: str, **fields) -> JobFair:
    values = _clean_fair(
        actor, {"name": name, "kind": kind, "mode": mode, "region_code": region_code, **fields}
    )
    fair = JobFair(**values)
    _check_fair(fair)
    fair.save()
    audit.record(
        actor=actor, action="jobs.fair.create", obj=fair, after=audit.snapshot(fair, FAIR_FIELDS)
    )
    return fair


@transaction.atomic
def update_fair(*, actor, fair: JobFair, **changes) -> JobFair:
    fair = JobFair.objects.select_for_update().get(pk=fair.pk)
    _require(actor, Perm.EDIT, fair.region_code)
    if fair.status not in FAIR_ACCEPTING:
        raise _invalid(_("A closed or cancelled fair cannot be changed."))
    values = _clean_fair(actor, changes)
    before = audit.snapshot(fair, FAIR_FIELDS)
    for key, value in values.items():
        setattr(fair, key, value)
    _check_fair(fair)
    fair.save()
    b, a = audit.changed(before, audit.snapshot(fair, FAIR_FIELDS))
    if a:
        audit.record(actor=actor, action="jobs.fair.update", obj=fair, before=b, after=a)
    return fair


def _locked_fair(fair: JobFair, actor) -> JobFair:
    fair = JobFair.objects.select_for_update().get(pk=fair.pk)
    _require(actor, Perm.EDIT, fair.region_code)
    return fair


def _accepting(fair: JobFair) -> None:
    if fair.status not in FAIR_ACCEPTING:
        raise _invalid(
            _("The fair is “%(status)s”: it takes no more entries.")
            % {"status": fair.get_status_display()}
        )


def _check_fair_posting(actor, employer_id: int, posting: Posting) -> None:
    if posting.employer_id != employer_id:
        raise _invalid(_("That posting belongs to another employer."))
    if not scope_for(actor, Perm.VIEW).contains(posting.region_code):
        raise NotFoundError()
    if posting.status != PostingStatus.PUBLISHED:
        raise _invalid(_("Only published postings can be offered at a fair."))


@transaction.atomic
def add_fair_employer(
    *,
    actor,
    fair: JobFair,
    employer: Employer,
    booth: str = "",
    postings: Iterable[Posting] = (),
) -> FairEmployer:
    fair = _locked_fair(fair, actor)
    _accepting(fair)
    if not scope_for(actor, Perm.VIEW).contains(employer.region_code):
        raise NotFoundError()
    postings = list(postings)
    for posting in postings:
        _check_fair_posting(actor, employer.pk, posting)
    participant, created = FairEmployer.objects.get_or_create(
        fair=fair, employer=employer, defaults={"booth": (booth or "").strip()[:50]}
    )
    if not created and booth:
        participant.booth = booth.strip()[:50]
        participant.save(update_fields=["booth"])
    if postings:
        participant.postings.add(*postings)
    audit.record(
        actor=actor,
        action="jobs.fair.add_employer",
        obj=fair,
        after={
            "employer_id": employer.pk,
            "employer": employer.name,
            "booth": participant.booth,
            "postings": [p.pk for p in postings],
        },
    )
    return participant


@transaction.atomic
def add_fair_posting(*, actor, participant: FairEmployer, posting: Posting) -> FairEmployer:
    fair = _locked_fair(participant.fair, actor)
    _accepting(fair)
    _check_fair_posting(actor, participant.employer_id, posting)
    participant.postings.add(posting)
    audit.record(
        actor=actor,
        action="jobs.fair.add_posting",
        obj=fair,
        after={"employer_id": participant.employer_id, "posting_id": posting.pk},
    )
    return participant


@transaction.atomic
def register_attendee(*, actor, fair: JobFair, person: Person) -> FairAttendee:
    fair = _locked_fair(fair, actor)
    _accepting(fair)
    _require(actor, Perm.EDIT, person.region_code)
    _check_person(Person.objects.get(pk=person.pk), _today())
    attendee, created = FairAttendee.objects.get_or_create(fair=fair, person=person)
    if not created:
        raise JiuyeError(ErrorCode.CONFLICT, _("This person is already registered for the fair."))
    audit.record(
        actor=actor,
        action="jobs.fair.register",
        obj=fair,
        after={"person_id": person.pk, "name": person.name},
    )
    return attendee


@transaction.atomic
def check_in(*, actor, attendee: FairAttendee) -> FairAttendee:
    attendee = FairAttendee.objects.select_for_update().select_related("person").get(pk=attendee.pk)
    fair = _locked_fair(attendee.fair, actor)
    _accepting(fair)
    if attendee.checked_in:
        return attendee
    attendee.checked_in = True
    attendee.save(update_fields=["checked_in"])
    audit.record(
        actor=actor,
        action="jobs.fair.check_in",
        obj=fair,
        after={"person_id": attendee.person_id, "name": attendee.person.name},
    )
    return attendee


def fair_posting_ids(fair: JobFair) -> set[int]:
    return set(
        FairEmployer.postings.through.objects.filter(fairemployer__fair=fair).values_list(
            "posting_id", flat=True
        )
    )


@transaction.atomic
def record_intention(
    *,
    actor,
    fair: JobFair,
    person: Person,
    posting: Posting,
    signed_on: datetime.date | None = None,
) -> FairIntention:
    """达成意向: a person and an employer at the fair agree on a posting. The person counts as
    attending, and the intention is also an application (source: the fair), so that turning it
    into a hire is the ordinary hire action."""
    fair = _locked_fair(fair, actor)
    _accepting(fair)
    _require(actor, Perm.EDIT, person.region_code)
    if posting.pk not in fair_posting_ids(fair):
        raise _invalid(_("That posting is not offered at this fair."))
    attendee = FairAttendee.objects.filter(fair=fair, person=person).first()
    if attendee is None:
        raise _invalid(_("Register the person as an attendee first."))
    if not attendee.checked_in:
        attendee.checked_in = True
        attendee.save(update_fields=["checked_in"])
    if FairIntention.objects.filter(fair=fair, person=person, posting=posting).exists():
        raise JiuyeError(ErrorCode.CONFLICT, _("This intention is already recorded."))
    application = Application.objects.filter(posting=posting, person=person).first()
    if application is None:
        application = apply(
            actor=actor, posting=posting, person=person, source=ApplicationSource.FAIR, fair=fair
        )
    elif application.status not in OPEN_APPLICATION:
        raise _invalid(
            _("This person's application for the job is already “%(status)s”.")
            % {"status": application.get_status_display()}
        )
    intention = FairIntention.objects.create(
        fair=fair, person=person, posting=posting, signed_on=signed_on or _today()
    )
    audit.record(
        actor=actor,
        action="jobs.fair.intention",
        obj=fair,
        after={
            "intention_id": intention.pk,
            "person_id": person.pk,
            "posting_id": posting.pk,
            "application_id": application.pk,
        },
    )
    return intention


@transaction.atomic
def set_intention_outcome(
    *,
    actor,
    intention: FairIntention,
    outcome: str,
    reason: str = "",
    start_date: datetime.date | None = None,
    **hire_fields,
) -> FairIntention:
    """Hired: the ordinary hire action on the intention's application. Declined: the reason
    is kept, and the application is withdrawn with it."""
    intention = FairIntention.objects.select_for_update().get(pk=intention.pk)
    _require(actor, Perm.EDIT, intention.fair.region_code)
    if intention.outcome != IntentionOutcome.PENDING:
        raise _invalid(_("The outcome is already recorded."))
    application = Application.objects.filter(
        posting_id=intention.posting_id, person_id=intention.person_id
    ).first()
    if outcome == IntentionOutcome.HIRED:
        if application is None:
            raise _invalid(_("There is no application to hire on."))
        if start_date is None:
            raise _invalid(_("Give the start date."))
        hire(actor=actor, application=application, start_date=start_date, **hire_fields)
    elif outcome == IntentionOutcome.DECLINED:
        reason = (reason or "").strip()
        if not reason:
            raise _invalid(_("Give the reason."))
        if application is not None and application.status in OPEN_APPLICATION:
            withdraw_application(actor=actor, application=application, reason=reason)
        FairIntention.objects.filter(pk=intention.pk).update(
            outcome=IntentionOutcome.DECLINED, reason=reason[:200], updated_at=timezone.now()
        )
    else:
        raise _invalid(_("Choose the outcome."))
    intention.refresh_from_db()
    audit.record(
        actor=actor,
        action="jobs.fair.outcome",
        obj=intention.fair,
        after={"intention_id": intention.pk, "outcome": outcome, "reason": intention.reason},
    )
    return intention


@transaction.atomic
def set_fair_status(*, actor, fair: JobFair, status: str, note: str = "") -> JobFair:
    """Open, close or cancel a fair (cancelling needs a note saying why)."""
    fair = _locked_fair(fair, actor)
    old = fair.status
    _check_transition(FAIR_TRANSITIONS, FairStatus, old, status)
    note = (note or "").strip()
    if status == FairStatus.CANCELLED and not note:
        raise _invalid(_("Give the reason."))
    fair.status = status
    fair.save(update_fields=["status", "updated_at"])
    audit.record(
        actor=actor,
        action="jobs.fair.status",
        obj=fair,
        before={"status": old},
        after={"status": status, "note": note},
    )
    return fair
