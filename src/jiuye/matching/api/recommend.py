"""Recommendations over HTTP, mounted at ``/api/matching/recommendations/``.

``GET person/{id}?k=20``: open postings for a person in the caller's scope (postings outside
the scope are public ads and are listed, with ``in_scope: false``). ``GET posting/{id}?k=20``:
people in the caller's scope for a posting in scope, ID numbers and phones masked. Both answer
404 for an object outside the caller's scope; see ``jiuye.matching.recommend``.
"""

from __future__ import annotations

from ninja import Field, Query, Router, Schema

from jiuye.core.masking import mask_id_number, mask_phone
from jiuye.jobs.selectors import get_posting_for
from jiuye.matching import recommend
from jiuye.registry.selectors import get_person_for

router = Router()


class KQuery(Schema):
    k: int = Field(20, ge=1, le=100)


class ComponentOut(Schema):
    value: object | None = None
    score: float
    weight: float


class Explained(Schema):
    score: float
    components: dict[str, ComponentOut]
    reasons: list[str]


class JobOut(Explained):
    posting_id: int
    external_id: str
    title: str
    employer: str
    region_code: str
    wage_min: int | None
    wage_max: int | None
    in_scope: bool


class JobsOut(Schema):
    person_id: int
    available: bool
    items: list[JobOut]


class PersonOut(Explained):
    person_id: int
    external_id: str
    name: str
    id_number: str
    phone: str
    region_code: str
    education: str


class PeopleOut(Schema):
    posting_id: int
    open: bool
    items: list[PersonOut]


def _explained(rec) -> dict:
    return {
        "score": round(rec.score, 4),
        "components": {name: c.as_dict() for name, c in rec.components.items()},
        "reasons": rec.reasons,
    }


@router.get("/person/{int:person_id}", response=JobsOut, summary="Recommended jobs for a person")
def jobs_for_person(request, person_id: int, query: Query[KQuery]):
    person = get_person_for(request.user, person_id)
    result = recommend.jobs_for_person(request.user, person, k=query.k)
    return {
        "person_id": person.pk,
        "available": result.available,
        "items": [
            {
                **_explained(item.rec),
                "posting_id": item.posting.pk,
                "external_id": item.posting.external_id,
                "title": item.posting.title,
                "employer": item.posting.employer.name,
                "region_code": item.posting.region_code,
                "wage_min": item.posting.wage_min,
                "wage_max": item.posting.wage_max,
                "in_scope": item.linked,
            }
            for item in result.items
        ],
    }


@router.get(
    "/posting/{int:posting_id}", response=PeopleOut, summary="Recommended people for a posting"
)
def people_for_posting(request, posting_id: int, query: Query[KQuery]):
    posting = get_posting_for(request.user, posting_id)
    result = recommend.people_for_posting(request.user, posting, k=query.k)
    return {
        "posting_id": posting.pk,
        "open": result.is_open,
        "items": [
            {
                **_explained(item.rec),
                "person_id": item.person.pk,
                "external_id": item.person.external_id,
                "name": item.person.name,
                "id_number": mask_id_number(item.person.id_number),
                "phone": mask_phone(item.person.phone),
                "region_code": item.person.region_code,
                "education": item.person.education,
            }
            for item in result.items
        ],
    }
