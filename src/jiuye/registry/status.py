"""Current employment status, derived from the append-only registration events.

The rule: take the person's events that no later event corrects, in date order (ties by
recording order). Employment and unemployment registrations open a state; their "end" events
close it. The state open after the last event is the status, and ``since`` is when it began.
An employment registration also ends an open unemployment registration (a job ends
unemployment, 就业服务与就业管理规定 art. 66 cancels it), and vice versa.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from jiuye.registry.models import EmploymentEvent, EmploymentStatus, EventKind, Person

OPENS = {
    EventKind.EMPLOYMENT: EmploymentStatus.EMPLOYED,
    EventKind.UNEMPLOYMENT: EmploymentStatus.UNEMPLOYED,
}
CLOSES = {
    EventKind.EMPLOYMENT_END: EmploymentStatus.EMPLOYED,
    EventKind.UNEMPLOYMENT_END: EmploymentStatus.UNEMPLOYED,
}


@dataclass(frozen=True)
class EventFact:
    """What the derivation needs of an event (so it runs on ORM rows or on plain tuples)."""

    id: int
    kind: str
    occurred_on: datetime.date
    supersedes_id: int | None = None


def derive_status(
    events: Iterable[EventFact], *, as_of: datetime.date | None = None
) -> tuple[str, datetime.date | None]:
    events = list(events)
    corrected = {e.supersedes_id for e in events if e.supersedes_id}
    live = sorted(
        (e for e in events if e.id not in corrected and (as_of is None or e.occurred_on <= as_of)),
        key=lambda e: (e.occurred_on, e.id),
    )
    status, since = EmploymentStatus.UNKNOWN, None
    for e in live:
        if e.kind in OPENS:
            status, since = OPENS[e.kind], e.occurred_on
        elif e.kind in CLOSES and status == CLOSES[e.kind]:
            status, since = EmploymentStatus.UNKNOWN, e.occurred_on
    return str(status), since


def facts_by_person(person_ids: Iterable[int]) -> dict[int, list[EventFact]]:
    out: dict[int, list[EventFact]] = defaultdict(list)
    ids = list(person_ids)
    for start in range(0, len(ids), 5000):
        rows = EmploymentEvent.objects.filter(person_id__in=ids[start : start + 5000]).values_list(
            "person_id", "id", "kind", "occurred_on", "supersedes_id"
        )
        for person_id, *fact in rows:
            out[person_id].append(EventFact(*fact))
    return out


def refresh_statuses(person_ids: Iterable[int]) -> int:
    """Recompute the cached status of these people from their events; returns how many changed."""
    ids = list(set(person_ids))
    if not ids:
        return 0
    facts = facts_by_person(ids)
    changed = []
    for person in Person.objects.filter(pk__in=ids).only("id", "employment_status", "status_since"):
        status, since = derive_status(facts.get(person.pk, ()))
        if (person.employment_status, person.status_since) != (status, since):
            person.employment_status, person.status_since = status, since
            changed.append(person)
    Person.objects.bulk_update(changed, ["employment_status", "status_since"], batch_size=2000)
    return len(changed)
