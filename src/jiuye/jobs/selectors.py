"""Scoped reads of postings, applications and job fairs.

Everything a user sees goes through ``scoped``/``get_scoped_or_404`` on the record's own
``region_code`` (a posting's workplace, a fair's organising region; applications, interviews
and hires copy their posting's). Attendees and intentions are read through their fair.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from jiuye.accounts.permissions import Perm
from jiuye.accounts.scoping import get_scoped_or_404, scoped
from jiuye.core.models import AuditLog
from jiuye.jobs.models import (
    Application,
    FairAttendee,
    FairEmployer,
    FairIntention,
    Hire,
    IntentionOutcome,
    Interview,
    JobFair,
    Posting,
    PostingStatus,
)
from jiuye.regions.codes import InvalidRegionCode, prefix_of
from jiuye.registry.models import Person


def _region_range(region_code: str) -> tuple[str, str] | None:
    try:
        prefix = prefix_of(region_code)
    except InvalidRegionCode:
        return None
    pad = 12 - len(prefix)
    return prefix + "0" * pad, prefix + "9" * pad


# ---- postings -----------------------------------------------------------------------------


@dataclass
class PostingFilters:
    q: str = ""
    region_code: str = ""
    status: str = ""
    kind: str = ""
    channel: str = ""
    occupation: str = ""  # a code prefix: the 大类 ("6") or any finer code
    employer: int | None = None
    valid_on: datetime.date | None = None


def posting_list(
    user, filters: PostingFilters | None = None, *, permission: str = Perm.VIEW
) -> QuerySet[Posting]:
    f = filters or PostingFilters()
    qs = scoped(Posting.objects.select_related("employer"), user, permission)
    if f.region_code:
        bounds = _region_range(f.region_code)
        if bounds is None:
            return qs.none()
        qs = qs.filter(region_code__range=bounds)
    if f.status:
        qs = qs.filter(status=f.status)
    if f.kind:
        qs = qs.filter(kind=f.kind)
    if f.channel:
        qs = qs.filter(channel=f.channel)
    if f.occupation:
        code = f.occupation.strip()
        # "6" is the 大类 6 and everything below it; "6-18" a 中类 and below.
        qs = qs.filter(Q(occupation_code=code) | Q(occupation_code__startswith=code + "-"))
    if f.employer:
        qs = qs.filter(employer_id=f.employer)
    if f.valid_on:
        qs = qs.filter(valid_from__lte=f.valid_on, valid_to__gte=f.valid_on)
    q = (f.q or "").strip()
    if q:
        qs = qs.filter(
            Q(title__icontains=q)
            | Q(description__icontains=q)
            | Q(employer__name__icontains=q)
            | Q(external_id=q)
        )
    return qs.order_by("-id")


def open_postings(
    user, *, as_of: datetime.date | None = None, permission: str = Perm.VIEW
) -> QuerySet[Posting]:
    """Published postings valid on ``as_of`` (today): the vacancies (有效岗位) in scope."""
    day = as_of or timezone.localdate()
    return posting_list(
        user, PostingFilters(status=PostingStatus.PUBLISHED, valid_on=day), permission=permission
    )


def get_posting_for(user, pk, permission: str = Perm.VIEW) -> Posting:
    return get_scoped_or_404(
        Posting.objects.select_related("employer", "created_by", "reviewed_by"),
        user,
        permission,
        pk=pk,
    )


def review_queue(user) -> QuerySet[Posting]:
    """Postings waiting for review where the user may review, oldest first."""
    return (
        scoped(Posting.objects.select_related("employer"), user, Perm.REVIEW)
        .filter(status=PostingStatus.REVIEW)
        .order_by("updated_at", "id")
    )


def posting_history(posting: Posting) -> QuerySet[AuditLog]:
    """The posting's audit rows, oldest first: its status history with who and why."""
    return AuditLog.objects.filter(object_type="jobs.posting", object_id=str(posting.pk)).order_by(
        "created_at", "id"
    )


def hires_count(posting: Posting) -> int:
    return Hire.objects.filter(application__posting=posting).count()


# ---- applications -------------------------------------------------------------------------


def applications_for_posting(posting: Posting) -> QuerySet[Application]:
    """All applications on a posting the caller may see (the posting is already in scope)."""
    return (
        posting.applications.select_related("person", "hire")
        .prefetch_related("interviews")
        .order_by("-id")
    )


def applications_for_person(person: Person) -> QuerySet[Application]:
    """Every application of a person the caller may see (the person is already in scope):
    the applications are about them, wherever the job is."""
    return (
        person.applications.select_related("posting", "posting__employer", "hire")
        .prefetch_related("interviews")
        .order_by("-id")
    )


def application_list(
    user, *, posting_id: int | None = None, status: str = "", permission: str = Perm.VIEW
) -> QuerySet[Application]:
    qs = scoped(
        Application.objects.select_related("person", "posting", "posting__employer"),
        user,
        permission,
    )
    if posting_id:
        qs = qs.filter(posting_id=posting_id)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-id")


def get_application_for(user, pk, permission: str = Perm.VIEW) -> Application:
    return get_scoped_or_404(
        Application.objects.select_related("person", "posting", "posting__employer"),
        user,
        permission,
        pk=pk,
    )


def get_interview_for(user, pk, permission: str = Perm.VIEW) -> Interview:
    return get_scoped_or_404(
        Interview.objects.select_related("application"), user, permission, pk=pk
    )


# ---- fairs --------------------------------------------------------------------------------


@dataclass
class FairFilters:
    q: str = ""
    region_code: str = ""
    status: str = ""
    kind: str = ""
    mode: str = ""


def fair_list(user, filters: FairFilters | None = None, *, permission: str = Perm.VIEW):
    f = filters or FairFilters()
    qs = scoped(JobFair.objects.all(), user, permission)
    if f.region_code:
        bounds = _region_range(f.region_code)
        if bounds is None:
            return qs.none()
        qs = qs.filter(region_code__range=bounds)
    for name in ("status", "kind", "mode"):
        value = getattr(f, name)
        if value:
            qs = qs.filter(**{name: value})
    if f.q:
        qs = qs.filter(Q(name__icontains=f.q) | Q(theme__icontains=f.q))
    return qs.annotate(
        employer_count=Count("participants", distinct=True),
        attendee_count=Count("attendees", distinct=True),
    ).order_by("-starts_at", "-id")


def get_fair_for(user, pk, permission: str = Perm.VIEW) -> JobFair:
    return get_scoped_or_404(
        JobFair.objects.select_related("service_point"), user, permission, pk=pk
    )


def get_participant_for(user, pk, permission: str = Perm.VIEW) -> FairEmployer:
    return get_scoped_or_404(
        FairEmployer.objects.select_related("fair", "employer"),
        user,
        permission,
        field="fair__region_code",
        pk=pk,
    )


def get_attendee_for(user, pk, permission: str = Perm.VIEW) -> FairAttendee:
    return get_scoped_or_404(
        FairAttendee.objects.select_related("fair", "person"),
        user,
        permission,
        field="fair__region_code",
        pk=pk,
    )


def get_intention_for(user, pk, permission: str = Perm.VIEW) -> FairIntention:
    return get_scoped_or_404(
        FairIntention.objects.select_related("fair", "person", "posting"),
        user,
        permission,
        field="fair__region_code",
        pk=pk,
    )


@dataclass
class EmployerResult:
    employer_id: int
    name: str
    booth: str
    postings: int = 0
    vacancies: int = 0
    intentions: int = 0
    hires: int = 0


@dataclass
class FairResults:
    employers: int = 0
    postings: int = 0
    vacancies: int = 0  # the sum of the offered postings' headcounts
    attendees: int = 0
    checked_in: int = 0
    intentions: int = 0
    hires: int = 0
    declined: int = 0
    pending: int = 0
    by_employer: list[EmployerResult] = field(default_factory=list)


def fair_results(fair: JobFair) -> FairResults:
    """The figures of a fair (招聘会成效): participating employers, postings offered and their
    vacancies, attendees and how many came, intentions signed and what became of them. A
    posting offered by two participants counts once."""
    participants = list(fair.participants.select_related("employer").order_by("employer__name"))
    links = FairEmployer.postings.through.objects.filter(fairemployer__fair=fair).values_list(
        "fairemployer_id", "posting_id", "posting__headcount", "posting__employer_id"
    )
    by_participant: dict[int, dict[int, int]] = {}
    all_postings: dict[int, int] = {}
    for participant_id, posting_id, headcount, _employer in links:
        by_participant.setdefault(participant_id, {})[posting_id] = headcount
        all_postings[posting_id] = headcount
    outcomes = (
        fair.intentions.values("posting__employer_id", "outcome").annotate(n=Count("id")).order_by()
    )
    intentions_by_employer: dict[int, int] = {}
    hires_by_employer: dict[int, int] = {}
    totals = {o: 0 for o in IntentionOutcome.values}
    for row in outcomes:
        employer_id, outcome, n = row["posting__employer_id"], row["outcome"], row["n"]
        intentions_by_employer[employer_id] = intentions_by_employer.get(employer_id, 0) + n
        if outcome == IntentionOutcome.HIRED:
            hires_by_employer[employer_id] = hires_by_employer.get(employer_id, 0) + n
        totals[outcome] += n
    attendance = fair.attendees.aggregate(
        n=Count("id"), present=Count("id", filter=Q(checked_in=True))
    )
    results = FairResults(
        employers=len(participants),
        postings=len(all_postings),
        vacancies=sum(all_postings.values()),
        attendees=attendance["n"] or 0,
        checked_in=attendance["present"] or 0,
        intentions=sum(totals.values()),
        hires=totals[IntentionOutcome.HIRED],
        declined=totals[IntentionOutcome.DECLINED],
        pending=totals[IntentionOutcome.PENDING],
    )
    for p in participants:
        offered = by_participant.get(p.pk, {})
        results.by_employer.append(
            EmployerResult(
                employer_id=p.employer_id,
                name=p.employer.name,
                booth=p.booth,
                postings=len(offered),
                vacancies=sum(offered.values()),
                intentions=intentions_by_employer.get(p.employer_id, 0),
                hires=hires_by_employer.get(p.employer_id, 0),
            )
        )
    return results


def fair_postings(fair: JobFair) -> QuerySet[Posting]:
    return (
        Posting.objects.filter(fair_entries__fair=fair)
        .select_related("employer")
        .distinct()
        .order_by("employer__name", "title")
    )


def vacancy_total(qs: QuerySet[Posting]) -> int:
    return qs.aggregate(n=Sum("headcount"))["n"] or 0
