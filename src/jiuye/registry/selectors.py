"""Scoped reads of the registry. Everything goes through ``scoped``/``get_scoped_or_404``."""

from __future__ import annotations

import datetime
import re
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from jiuye.accounts.permissions import Perm
from jiuye.accounts.scoping import get_scoped_or_404, scoped
from jiuye.core.audit import label_for as audit_label
from jiuye.core.crypto import blind_index
from jiuye.core.idnumber import InvalidIdNumber, parse_id_number
from jiuye.core.models import AuditLog
from jiuye.regions.codes import InvalidRegionCode, prefix_of
from jiuye.registry.ages import age_on, is_working_age
from jiuye.registry.models import (
    Employer,
    EmploymentEvent,
    EmploymentStatus,
    EventKind,
    Household,
    HouseholdMember,
    JobIntention,
    KeyGroupMembership,
    LabourBrand,
    Person,
)

_PHONE = re.compile(r"^\+?\d[\d\- ]{5,}$")


@dataclass
class PersonFilters:
    q: str = ""
    region_code: str = ""
    group: str = ""
    status: str = ""
    min_age: int | None = None
    max_age: int | None = None
    education: str = ""
    intention: str = ""
    sex: str = ""


def _on_day(as_of: datetime.date | None) -> datetime.date:
    return as_of or timezone.localdate()


def _years_before(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def person_list(
    user,
    filters: PersonFilters | None = None,
    *,
    permission: str = Perm.VIEW,
    as_of: datetime.date | None = None,
) -> QuerySet[Person]:
    f = filters or PersonFilters()
    qs = scoped(Person.objects.filter(merged_into__isnull=True), user, permission)
    day = _on_day(as_of)
    if f.region_code:
        try:
            prefix = prefix_of(f.region_code)
        except InvalidRegionCode:
            return qs.none()
        pad = 12 - len(prefix)
        qs = qs.filter(region_code__range=(prefix + "0" * pad, prefix + "9" * pad))
    q = (f.q or "").strip()
    if q:
        qs = qs.filter(_search_condition(q))
    if f.group:
        active = KeyGroupMembership.objects.filter(
            person=OuterRef("pk"),
            group=f.group,
            valid_from__lte=day,
        ).filter(Q(valid_to__isnull=True) | Q(valid_to__gte=day))
        qs = qs.filter(Exists(active))
    if f.status:
        qs = qs.filter(employment_status=f.status)
    if f.sex:
        qs = qs.filter(sex=f.sex)
    if f.min_age is not None:
        qs = qs.filter(birth_date__lte=_years_before(day, f.min_age))
    if f.max_age is not None:
        qs = qs.filter(birth_date__gt=_years_before(day, f.max_age + 1))
    if f.education:
        # A category code ("20") covers its detail codes ("21", "22", …).
        qs = (
            qs.filter(education__startswith=f.education[0])
            if f.education.endswith("0")
            else qs.filter(education=f.education)
        )
    if f.intention:
        qs = qs.filter(
            Exists(
                JobIntention.objects.filter(
                    person=OuterRef("pk"), occupation_code__startswith=f.intention
                )
            )
        )
    return qs.order_by("-id")


def _search_condition(q: str) -> Q:
    """A whole ID number matches by its keyed hash; digits look like a phone; else a name."""
    compact = q.replace(" ", "")
    if len(compact) in (15, 18) and compact[:-1].isdigit():
        try:
            return Q(id_hash=blind_index(parse_id_number(compact).number))
        except InvalidIdNumber:
            return Q(pk__in=[])
    if _PHONE.match(q):
        digits = re.sub(r"\D", "", q)
        return Q(phone__endswith=digits) if len(digits) < 11 else Q(phone=digits[-11:])
    return Q(name__contains=q)


def get_person_for(user, pk, permission: str = Perm.VIEW) -> Person:
    return get_scoped_or_404(
        Person.objects.select_related("labour_brand", "merged_into"), user, permission, pk=pk
    )


@dataclass(frozen=True)
class TimelineEntry:
    day: datetime.date
    at: datetime.datetime | None
    kind: str  # "event" | "membership" | "change"
    title: str
    detail: str
    obj: object


def person_timeline(person: Person) -> list[TimelineEntry]:
    entries: list[TimelineEntry] = []
    for e in person.events.select_related("employer").order_by("occurred_on", "id"):
        detail = " · ".join(
            x
            for x in [
                e.employer_name,
                e.get_form_display() if e.form else "",
                e.get_work_place_display() if e.work_place else "",
                e.reason,
            ]
            if x
        )
        entries.append(
            TimelineEntry(
                e.occurred_on, e.recorded_at, "event", str(e.get_kind_display()), detail, e
            )
        )
    for m in person.memberships.all():
        entries.append(
            TimelineEntry(m.valid_from, None, "membership", str(m.get_group_display()), m.source, m)
        )
    changes = AuditLog.objects.filter(object_type="registry.person", object_id=str(person.pk))
    for row in changes.order_by("created_at")[:200]:
        local = timezone.localtime(row.created_at)
        entries.append(
            TimelineEntry(
                local.date(),
                row.created_at,
                "change",
                audit_label(row.action),
                row.actor_username,
                row,
            )
        )
    return sorted(entries, key=lambda t: (t.day, t.kind != "event"))


def active_memberships(person: Person, as_of: datetime.date | None = None):
    day = _on_day(as_of)
    return person.memberships.filter(valid_from__lte=day).filter(
        Q(valid_to__isnull=True) | Q(valid_to__gte=day)
    )


# ---- households ---------------------------------------------------------------------------


def household_list(
    user,
    *,
    region_code: str = "",
    zero_employment: bool = False,
    as_of: datetime.date | None = None,
) -> QuerySet[Household]:
    qs = scoped(Household.objects.all(), user)
    if region_code:
        try:
            qs = qs.filter(region_code__startswith=prefix_of(region_code))
        except InvalidRegionCode:
            return qs.none()
    qs = qs.annotate(member_count=Count("members"))
    if zero_employment:
        ids = zero_employment_household_ids(qs, as_of=as_of)
        qs = qs.filter(pk__in=ids)
    return qs.order_by("region_code", "id")


def get_household_for(user, pk) -> Household:
    return get_scoped_or_404(Household.objects.all(), user, pk=pk)


def household_members(household: Household) -> list[HouseholdMember]:
    return list(
        household.members.select_related("person").order_by("relation", "person__birth_date")
    )


def is_zero_employment(members: list[tuple[datetime.date, str, str]], day: datetime.date) -> bool:
    """零就业家庭 (就业促进法 art. 56; 晋政办发〔2024〕33号 category 4): the family has working-age
    members, and every one of them is registered unemployed; nobody of working age is
    employed. ``members`` are (birth_date, sex, employment_status)."""
    working = [status for birth, sex, status in members if is_working_age(birth, sex, day)]
    return bool(working) and all(s == EmploymentStatus.UNEMPLOYED for s in working)


def zero_employment_household_ids(
    households: QuerySet[Household], *, as_of: datetime.date | None = None
) -> list[int]:
    day = _on_day(as_of)
    by_household: dict[int, list] = defaultdict(list)
    rows = HouseholdMember.objects.filter(household__in=households.values("pk")).values_list(
        "household_id", "person__birth_date", "person__sex", "person__employment_status"
    )
    for household_id, birth, sex, status in rows:
        by_household[household_id].append((birth, sex, status))
    return [hid for hid, members in by_household.items() if is_zero_employment(members, day)]


# ---- employers ----------------------------------------------------------------------------


def employer_list(
    user,
    *,
    q: str = "",
    region_code: str = "",
    industry: str = "",
    ownership: str = "",
    size_class: str = "",
    permission: str = Perm.VIEW,
) -> QuerySet[Employer]:
    qs = scoped(Employer.objects.all(), user, permission)
    if region_code:
        try:
            qs = qs.filter(region_code__startswith=prefix_of(region_code))
        except InvalidRegionCode:
            return qs.none()
    if q:
        qs = qs.filter(Q(name__contains=q) | Q(uscc=q.strip().upper()))
    if industry:
        qs = qs.filter(industry_code__startswith=industry)
    if ownership:
        qs = qs.filter(ownership=ownership)
    if size_class:
        qs = qs.filter(size_class=size_class)
    return qs.order_by("region_code", "name")


def get_employer_for(user, pk) -> Employer:
    return get_scoped_or_404(Employer.objects.all(), user, pk=pk)


def employer_workforce(user, employer: Employer) -> QuerySet[Person]:
    """People in the viewer's scope whose latest employment registration is with this employer
    and who are still employed."""
    latest = (
        EmploymentEvent.objects.filter(
            person=OuterRef("pk"), kind=EventKind.EMPLOYMENT, superseded_by__isnull=True
        )
        .order_by("-occurred_on", "-id")
        .values("employer_id")[:1]
    )
    qs = (
        Person.objects.filter(
            merged_into__isnull=True,
            employment_status=EmploymentStatus.EMPLOYED,
            pk__in=EmploymentEvent.objects.filter(employer=employer).values("person_id"),
        )
        .annotate(latest_employer=Subquery(latest))
        .filter(latest_employer=employer.pk)
    )
    return scoped(qs, user).order_by("name")


def labour_brands(user) -> QuerySet[LabourBrand]:
    return scoped(LabourBrand.objects.all(), user).annotate(
        member_count=Count("members", filter=Q(members__merged_into__isnull=True))
    )


# ---- duplicates ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DuplicateCandidate:
    a: Person
    b: Person
    score: float
    reasons: tuple[str, ...]


def duplicate_candidates(
    user, *, region_code: str = "", threshold: float = 85.0, limit: int = 200
) -> list[DuplicateCandidate]:
    """Records that may be one person: same birth date and sex in the same county, with
    similar names (rapidfuzz) — the typical trace of a mistyped ID number. Identical ID numbers
    cannot occur twice: the keyed hash is unique among live records."""
    from rapidfuzz import fuzz

    qs = person_list(user, PersonFilters(region_code=region_code), permission=Perm.EDIT)
    # order_by() first: an ordering on id would join the GROUP BY and make each group one row.
    groups = (
        qs.order_by()
        .values("birth_date", "sex")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .values_list("birth_date", "sex")
    )
    out: list[DuplicateCandidate] = []
    keys = list(groups[:5000])
    if not keys:
        return out
    cond = Q()
    for birth, sex in keys:
        cond |= Q(birth_date=birth, sex=sex)
    people = list(qs.filter(cond).order_by("birth_date", "id"))
    buckets: dict[tuple, list[Person]] = defaultdict(list)
    for p in people:
        buckets[(p.birth_date, p.sex, p.region_code[:6])].append(p)
    for bucket in buckets.values():
        for i, a in enumerate(bucket):
            for b in bucket[i + 1 :]:
                score = fuzz.ratio(a.name, b.name)
                if score < threshold:
                    continue
                reasons = ["birth_date", "county"]
                if a.name == b.name:
                    reasons.append("same_name")
                if a.phone and a.phone == b.phone:
                    reasons.append("same_phone")
                    score = min(100.0, score + 5)
                out.append(DuplicateCandidate(a, b, round(score, 1), tuple(reasons)))
    out.sort(key=lambda c: -c.score)
    return out[:limit]


def age_of(person: Person, as_of: datetime.date | None = None) -> int:
    return age_on(person.birth_date, _on_day(as_of))
