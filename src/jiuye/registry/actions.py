"""Writes on the registry. Each action is atomic, checks the actor's scope, leaves an audit row.

Audit rows never hold a full ID number: they carry the masked form.
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from jiuye.accounts.permissions import Perm
from jiuye.accounts.scoping import require, scope_for
from jiuye.core import audit
from jiuye.core.crypto import blind_index
from jiuye.core.errors import ErrorCode, JiuyeError, PermissionDeniedError
from jiuye.core.idnumber import InvalidIdNumber, parse_id_number
from jiuye.core.masking import mask_id_number
from jiuye.core.uscc import InvalidUSCC, validate_uscc
from jiuye.regions.selectors import require_region
from jiuye.registry.models import (
    Certificate,
    Employer,
    EmploymentEvent,
    EmploymentStatus,
    EventKind,
    Household,
    HouseholdMember,
    JobIntention,
    KeyGroup,
    KeyGroupMembership,
    Person,
    Relation,
)
from jiuye.registry.status import refresh_statuses

PERSON_FIELDS = [
    "name",
    "phone",
    "region_code",
    "hukou_region_code",
    "hukou_type",
    "education",
    "ethnicity",
    "disability_certificate",
    "labour_brand_id",
    "external_id",
]
EMPLOYER_FIELDS = [
    "name",
    "industry_code",
    "ownership",
    "size_class",
    "region_code",
    "address",
    "legal_representative",
    "contact_person",
    "contact_phone",
    "external_id",
]


def _region(actor, code: str, *, permission: str = Perm.EDIT, levels=None) -> str:
    return require_region(actor, code, permission, levels=levels)


def clean_name(name: str) -> str:
    """NFKC, trimmed; a Chinese name loses stray inner spaces ("张 伟" → "张伟"), a name with
    Latin letters keeps single spaces, and the middle dot of minority names is unified."""
    import unicodedata

    name = unicodedata.normalize("NFKC", name or "").strip()
    name = name.replace("•", "·").replace("．", "·").replace("・", "·")
    if any("a" <= c.lower() <= "z" for c in name):
        return " ".join(name.split())
    return "".join(name.split())


def _person_snapshot(person: Person) -> dict:
    data = audit.snapshot(person, PERSON_FIELDS)
    data["id_number"] = mask_id_number(person.id_number)
    return data


# ---- people -----------------------------------------------------------------------------


@transaction.atomic
def register_person(*, actor, name: str, id_number: str, region_code: str, **fields) -> Person:
    try:
        info = parse_id_number(id_number)
    except InvalidIdNumber as exc:
        raise JiuyeError(ErrorCode.INVALID_ID_NUMBER, exc.message) from exc
    region_code = _region(actor, region_code, levels={4, 5})
    id_hash = blind_index(info.number)
    if Person.objects.filter(id_hash=id_hash, merged_into__isnull=True).exists():
        # Whether the existing record is in the actor's scope or not, say only that it exists.
        raise JiuyeError(ErrorCode.CONFLICT, _("This ID number is already registered."))
    unknown = set(fields) - set(PERSON_FIELDS) - {"labour_brand"}
    if unknown:
        raise JiuyeError(ErrorCode.INVALID, f"unknown fields: {sorted(unknown)}")
    person = Person(
        name=clean_name(name),
        id_number=info.number,
        id_hash=id_hash,
        birth_date=info.birth_date,
        sex=info.sex,
        native_region_code=info.region_code6.ljust(12, "0"),
        region_code=region_code,
        **fields,
    )
    person.full_clean(exclude=["id_number"])
    person.save()
    audit.record(
        actor=actor, action="registry.person.create", obj=person, after=_person_snapshot(person)
    )
    return person


@transaction.atomic
def update_person(*, actor, person: Person, **changes) -> Person:
    require(actor, Perm.EDIT, person.region_code)
    unknown = set(changes) - set(PERSON_FIELDS) - {"labour_brand"}
    if unknown:
        raise JiuyeError(ErrorCode.INVALID, f"unknown fields: {sorted(unknown)}")
    if "region_code" in changes:
        changes["region_code"] = _region(actor, changes["region_code"], levels={4, 5})
    if "name" in changes:
        changes["name"] = clean_name(changes["name"])
    before = _person_snapshot(person)
    for key, value in changes.items():
        setattr(person, key, value)
    person.full_clean(exclude=["id_number"])
    person.save()
    b, a = audit.changed(before, _person_snapshot(person))
    if a:
        audit.record(actor=actor, action="registry.person.update", obj=person, before=b, after=a)
    return person


@transaction.atomic
def reveal_id_number(*, actor, person: Person) -> str:
    """The full ID number, for a role allowed to see it; every view is audited."""
    if not scope_for(actor, Perm.VIEW_FULL_ID).contains(person.region_code):
        raise PermissionDeniedError()
    audit.record(actor=actor, action="registry.person.view_full_id", obj=person)
    return person.id_number


@transaction.atomic
def add_membership(
    *,
    actor,
    person: Person,
    group: str,
    valid_from: datetime.date,
    valid_to: datetime.date | None = None,
    category: str = "",
    source: str = "manual",
    details: dict | None = None,
    permission: str = Perm.EDIT,
) -> KeyGroupMembership:
    require(actor, permission, person.region_code)
    if group not in KeyGroup.values:
        raise JiuyeError(ErrorCode.INVALID, _("Unknown key group."))
    if valid_to and valid_to < valid_from:
        raise JiuyeError(ErrorCode.INVALID, _("The end date is before the start date."))
    membership = KeyGroupMembership.objects.create(
        person=person,
        group=group,
        category=category,
        valid_from=valid_from,
        valid_to=valid_to,
        source=source,
        details=details or {},
    )
    audit.record(
        actor=actor,
        action="registry.membership.create",
        obj=membership,
        region_code=person.region_code,
        after=audit.snapshot(
            membership, ["group", "category", "valid_from", "valid_to", "source", "details"]
        ),
    )
    return membership


@transaction.atomic
def end_membership(*, actor, membership: KeyGroupMembership, valid_to: datetime.date) -> None:
    person = membership.person
    require(actor, Perm.EDIT, person.region_code)
    if valid_to < membership.valid_from:
        raise JiuyeError(ErrorCode.INVALID, _("The end date is before the start date."))
    before = {"valid_to": membership.valid_to}
    membership.valid_to = valid_to
    membership.save(update_fields=["valid_to", "updated_at"])
    audit.record(
        actor=actor,
        action="registry.membership.end",
        obj=membership,
        region_code=person.region_code,
        before=before,
        after={"valid_to": valid_to},
    )


def _add_person_detail(actor, person: Person, model, action: str, fields: dict, audited: list[str]):
    """A certificate, an intention…: a row that belongs to a person, validated and audited."""
    require(actor, Perm.EDIT, person.region_code)
    row = model(person=person, **fields)
    row.full_clean()
    row.save()
    audit.record(
        actor=actor,
        action=action,
        obj=row,
        region_code=person.region_code,
        after=audit.snapshot(row, audited),
    )
    return row


@transaction.atomic
def add_certificate(*, actor, person: Person, **fields) -> Certificate:
    return _add_person_detail(
        actor,
        person,
        Certificate,
        "registry.certificate.create",
        fields,
        ["name", "occupation_code", "level", "number", "issued_on", "issuer"],
    )


@transaction.atomic
def add_intention(*, actor, person: Person, **fields) -> JobIntention:
    """Register a job intention. A title without a code is coded by the occupation coder when
    its best match is confident enough (``AUTO_CODE_THRESHOLD``); otherwise the code stays blank
    for staff to choose."""
    if fields.get("title") and not fields.get("occupation_code"):
        from jiuye.registry.occupation_coder import AUTO_CODE_THRESHOLD, code_title

        best = code_title(fields["title"], k=1)
        if best and best[0].score >= AUTO_CODE_THRESHOLD:
            fields["occupation_code"] = best[0].code
            fields["occupation_coded_by"] = "auto"
    return _add_person_detail(
        actor,
        person,
        JobIntention,
        "registry.intention.create",
        fields,
        [
            "title",
            "occupation_code",
            "occupation_coded_by",
            "region_code",
            "expected_wage",
            "work_type",
        ],
    )


# ---- registrations (append-only) ----------------------------------------------------------


def _check_sequence(person: Person, kind: str, on: datetime.date) -> None:
    from jiuye.registry.status import derive_status, facts_by_person

    status, since = derive_status(facts_by_person([person.pk]).get(person.pk, ()), as_of=on)
    if since and on < since:
        raise JiuyeError(ErrorCode.INVALID, _("The date is before the person's last registration."))
    if kind == EventKind.EMPLOYMENT_END and status != EmploymentStatus.EMPLOYED:
        raise JiuyeError(ErrorCode.INVALID, _("The person has no open employment registration."))
    if kind == EventKind.UNEMPLOYMENT_END and status != EmploymentStatus.UNEMPLOYED:
        raise JiuyeError(ErrorCode.INVALID, _("The person is not registered unemployed."))
    if kind == EventKind.UNEMPLOYMENT and status == EmploymentStatus.EMPLOYED:
        raise JiuyeError(
            ErrorCode.INVALID, _("The person is registered as employed: end that employment first.")
        )


@transaction.atomic
def record_event(
    *,
    actor,
    person: Person,
    kind: str,
    occurred_on: datetime.date,
    region_code: str | None = None,
    supersedes: EmploymentEvent | None = None,
    **fields,
) -> EmploymentEvent:
    require(actor, Perm.EDIT, person.region_code)
    if kind not in EventKind.values:
        raise JiuyeError(ErrorCode.INVALID, _("Unknown registration type."))
    if occurred_on > datetime.date.today():
        raise JiuyeError(ErrorCode.INVALID, _("The date is in the future."))
    if supersedes is None:
        _check_sequence(person, kind, occurred_on)
    elif supersedes.person_id != person.pk or hasattr(supersedes, "superseded_by"):
        raise JiuyeError(ErrorCode.INVALID, _("That registration cannot be corrected here."))
    region_code = _region(actor, region_code or person.region_code)
    event = EmploymentEvent(
        person=person,
        kind=kind,
        occurred_on=occurred_on,
        region_code=region_code,
        supersedes=supersedes,
        recorded_by=actor if getattr(actor, "pk", None) else None,
        **fields,
    )
    if event.employer_id and not event.employer_name:
        event.employer_name = event.employer.name
    event.full_clean()
    event.save()
    refresh_statuses([person.pk])
    audit.record(
        actor=actor,
        action="registry.event.correct" if supersedes else "registry.event.create",
        obj=event,
        region_code=region_code,
        after=audit.snapshot(
            event,
            [
                "kind",
                "occurred_on",
                "employer_id",
                "form",
                "contract_type",
                "contract_end",
                "work_place",
                "reason",
                "supersedes_id",
            ],
        ),
    )
    return event


# ---- households ---------------------------------------------------------------------------


@transaction.atomic
def create_household(
    *,
    actor,
    region_code: str,
    head: Person,
    address: str = "",
    hukou_type: str = "",
    external_id: str = "",
) -> Household:
    region_code = _region(actor, region_code, levels={4, 5})
    require(actor, Perm.EDIT, head.region_code)
    household = Household.objects.create(
        region_code=region_code, address=address, hukou_type=hukou_type, external_id=external_id
    )
    audit.record(
        actor=actor,
        action="registry.household.create",
        obj=household,
        after={"region_code": region_code, "address": address},
    )
    add_household_member(actor=actor, household=household, person=head, relation=Relation.HEAD)
    return household


@transaction.atomic
def add_household_member(
    *, actor, household: Household, person: Person, relation: str
) -> HouseholdMember:
    require(actor, Perm.EDIT, household.region_code)
    require(actor, Perm.EDIT, person.region_code)
    if relation not in Relation.values:
        raise JiuyeError(ErrorCode.INVALID, _("Unknown relation."))
    if HouseholdMember.objects.filter(person=person).exists():
        raise JiuyeError(ErrorCode.CONFLICT, _("This person already belongs to a household."))
    if relation == Relation.HEAD and household.members.filter(relation=Relation.HEAD).exists():
        raise JiuyeError(ErrorCode.CONFLICT, _("The household already has a head."))
    member = HouseholdMember.objects.create(household=household, person=person, relation=relation)
    audit.record(
        actor=actor,
        action="registry.household.add_member",
        obj=household,
        after={"person_id": person.pk, "relation": relation},
    )
    return member


@transaction.atomic
def remove_household_member(*, actor, member: HouseholdMember) -> None:
    household = member.household
    require(actor, Perm.EDIT, household.region_code)
    audit.record(
        actor=actor,
        action="registry.household.remove_member",
        obj=household,
        before={"person_id": member.person_id, "relation": member.relation},
    )
    member.delete()


# ---- employers ----------------------------------------------------------------------------


@transaction.atomic
def register_employer(*, actor, uscc: str, name: str, region_code: str, **fields) -> Employer:
    try:
        uscc = validate_uscc(uscc)
    except InvalidUSCC as exc:
        raise JiuyeError(ErrorCode.INVALID_USCC, exc.message) from exc
    region_code = _region(actor, region_code)
    if Employer.objects.filter(uscc=uscc).exists():
        raise JiuyeError(ErrorCode.CONFLICT, _("This credit code is already registered."))
    employer = Employer(uscc=uscc, name=name.strip(), region_code=region_code, **fields)
    employer.full_clean()
    employer.save()
    audit.record(
        actor=actor,
        action="registry.employer.create",
        obj=employer,
        after=audit.snapshot(employer, ["uscc", *EMPLOYER_FIELDS]),
    )
    return employer


@transaction.atomic
def update_employer(*, actor, employer: Employer, **changes) -> Employer:
    require(actor, Perm.EDIT, employer.region_code)
    if "region_code" in changes:
        changes["region_code"] = _region(actor, changes["region_code"])
    before = audit.snapshot(employer, EMPLOYER_FIELDS)
    for key, value in changes.items():
        if key not in EMPLOYER_FIELDS:
            raise JiuyeError(ErrorCode.INVALID, f"unknown field: {key}")
        setattr(employer, key, value)
    employer.full_clean()
    employer.save()
    b, a = audit.changed(before, audit.snapshot(employer, EMPLOYER_FIELDS))
    if a:
        audit.record(
            actor=actor, action="registry.employer.update", obj=employer, before=b, after=a
        )
    return employer


# ---- de-duplication -----------------------------------------------------------------------


@transaction.atomic
def merge_persons(*, actor, keep: Person, duplicate: Person) -> Person:
    """Fold ``duplicate`` into ``keep``: its events, memberships, certificates, intentions,
    contributions and household place move over; the duplicate stays, marked merged, so the
    history of both records remains readable."""
    if keep.pk == duplicate.pk or keep.merged_into_id or duplicate.merged_into_id:
        raise JiuyeError(ErrorCode.INVALID, _("These records cannot be merged."))
    for p in (keep, duplicate):
        require(actor, Perm.EDIT, p.region_code)
    moved = {
        "events": duplicate.events.update(person=keep),
        "memberships": duplicate.memberships.update(person=keep),
        "certificates": duplicate.certificates.update(person=keep),
        "intentions": duplicate.intentions.update(person=keep),
        "contributions": _move_contributions(duplicate, keep),
    }
    dup_member = HouseholdMember.objects.filter(person=duplicate).first()
    if dup_member is not None:
        if HouseholdMember.objects.filter(person=keep).exists():
            dup_member.delete()
        else:
            dup_member.person = keep
            dup_member.save(update_fields=["person"])
    filled = {}
    for field in (
        "phone",
        "hukou_region_code",
        "hukou_type",
        "education",
        "ethnicity",
        "disability_certificate",
    ):
        if not getattr(keep, field) and getattr(duplicate, field):
            filled[field] = getattr(duplicate, field)
            setattr(keep, field, getattr(duplicate, field))
    if filled:
        keep.save(update_fields=[*filled, "updated_at"])
    duplicate.merged_into = keep
    duplicate.save(update_fields=["merged_into", "updated_at"])
    refresh_statuses([keep.pk, duplicate.pk])
    audit.record(
        actor=actor,
        action="registry.person.merge",
        obj=keep,
        before={
            "duplicate_id": duplicate.pk,
            "duplicate_id_number": mask_id_number(duplicate.id_number),
        },
        after={"moved": moved, "filled": filled},
    )
    audit.record(
        actor=actor,
        action="registry.person.merged_into",
        obj=duplicate,
        after={"merged_into": keep.pk},
    )
    return keep


def _move_contributions(source: Person, target: Person) -> int:
    # A month the target already has for the same employer and insurance stays as it is.
    moved = 0
    existing = set(target.contributions.values_list("employer_id", "insurance_type", "month"))
    for c in source.contributions.all():
        if (c.employer_id, c.insurance_type, c.month) in existing:
            continue
        c.person = target
        c.save(update_fields=["person"])
        moved += 1
    return moved
