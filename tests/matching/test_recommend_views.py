"""Recommendation panels and API: scoping, hard constraints on database rows, explanations."""

from __future__ import annotations

import datetime
import random

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from tests.conftest import valid_uscc as make_uscc

from jiuye.jobs.models import Posting, PostingStatus
from jiuye.matching import recommend
from jiuye.matching.recommend_index import pair_violations
from jiuye.matching.views.recommend import register_panels
from jiuye.registry import actions as registry_actions
from jiuye.registry.models import JobIntention, Person
from jiuye.web.panels import panels_for

D = datetime.date
QUWO_TOWN = "141021100000"
QUWO_VILLAGE = "141021100200"
HOUMA_STREET = "141081001000"
HOUMA_COMMUNITY = "141081001001"


@pytest.fixture(autouse=True)
def setup_recommendations():
    register_panels()
    recommend.reset_indexes()
    with translation.override("en"):
        yield
    recommend.reset_indexes()


@pytest.fixture
def client_for(client_for):
    """Clients that ask for English pages: the texts are matched by their msgids."""

    def make(user):
        client = client_for(user)
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        return client

    return make


def today() -> datetime.date:
    return timezone.localdate()


@pytest.fixture
def employers(staff):
    admin = staff["province_admin"]
    return {
        "quwo": registry_actions.register_employer(
            actor=admin, uscc=make_uscc(11, "141021"), name="曲沃机械厂", region_code=QUWO_TOWN
        ),
        "houma": registry_actions.register_employer(
            actor=admin, uscc=make_uscc(12, "141081"), name="侯马钢构厂", region_code=HOUMA_STREET
        ),
    }


def make_posting(employer, region_code, **fields) -> Posting:
    values = {
        "title": "急招电焊工",
        "occupation_code": "6-18-02-04",
        "description": "钢结构焊接，会二保焊。",
        "wage_min": 6000,
        "wage_max": 8000,
        "valid_from": today() - datetime.timedelta(days=5),
        "valid_to": today() + datetime.timedelta(days=30),
        "status": PostingStatus.PUBLISHED,
        "published_at": timezone.now() - datetime.timedelta(days=5),
        **fields,
    }
    return Posting.objects.create(employer=employer, region_code=region_code, **values)


BORN = D(1985, 6, 1)


def seeker(person_factory, staff, name, region_code, birth=BORN, *, intention=True,
           education="61", title="电焊工", code="6-18-02-04", **intention_fields):  # fmt: skip
    person = person_factory(name, region_code, birth, education=education)
    if intention:
        registry_actions.add_intention(
            actor=staff["province_admin"],
            person=person,
            title=title,
            occupation_code=code,
            expected_wage=6000,
            **intention_fields,
        )
    return person


@pytest.fixture
def market(staff, employers, person_factory):
    p = {
        "quwo": make_posting(employers["quwo"], QUWO_TOWN, external_id="QW-1"),
        "houma": make_posting(employers["houma"], HOUMA_STREET, title="焊工"),
        "filled": make_posting(employers["quwo"], QUWO_TOWN, status=PostingStatus.FILLED),
        "expired": make_posting(
            employers["quwo"], QUWO_TOWN, valid_to=today() - datetime.timedelta(days=1)
        ),
        "young": make_posting(employers["quwo"], QUWO_TOWN, age_min=18, age_max=30),
        "bachelor": make_posting(employers["quwo"], QUWO_TOWN, education="20"),
        "guard": make_posting(
            employers["houma"], HOUMA_STREET, title="保安", occupation_code="4-07-05-01"
        ),
    }
    people = {
        "quwo": seeker(person_factory, staff, "张明", QUWO_VILLAGE),
        "houma": seeker(person_factory, staff, "王强", HOUMA_COMMUNITY),
        "idle": seeker(person_factory, staff, "赵四", QUWO_VILLAGE, intention=False),
        "ended": seeker(person_factory, staff, "钱五", QUWO_VILLAGE, active=False),
        "merged": seeker(person_factory, staff, "孙六", QUWO_VILLAGE),
    }
    Person.objects.filter(pk=people["merged"].pk).update(merged_into=people["quwo"])
    return p, people


def _ids(response, attr):
    html = response.content.decode()
    return {int(part.split('"')[0]) for part in html.split(f'data-{attr}="')[1:]}


def test_panels_are_registered_on_the_person_and_posting_pages(staff, market):
    postings, people = market
    user = staff["county_operator"]
    person_panels = {p["key"]: p for p in panels_for("person", people["quwo"], user)}
    assert person_panels["recommended_jobs"]["url"] == reverse(
        "matching:recommend_person", args=[people["quwo"].pk]
    )
    posting_panels = {p["key"]: p for p in panels_for("posting", postings["quwo"], user)}
    assert "recommended_people" in posting_panels
    # Outside the user's region the page does not even offer the panel.
    assert "recommended_jobs" not in {p["key"] for p in panels_for("person", people["houma"], user)}


def test_jobs_for_a_person_keep_the_hard_constraints(client_for, staff, market):
    postings, people = market
    client = client_for(staff["county_operator"])
    response = client.get(
        reverse("matching:recommend_person", args=[people["quwo"].pk]), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html  # an HTMX fragment
    shown = _ids(response, "posting")
    assert postings["quwo"].pk in shown
    assert postings["houma"].pk in shown  # a public ad just across the county line
    for never in ("filled", "expired", "young", "bachelor"):
        assert postings[never].pk not in shown, never
    # The 侯马 posting is outside the 曲沃 operator's region: listed without a link.
    assert reverse("jobs:posting_detail", args=[postings["quwo"].pk]) in html
    assert reverse("jobs:posting_detail", args=[postings["houma"].pk]) not in html
    assert "outside your region" in html
    assert "Same occupation (细类): 焊工" in html
    assert "<meter" in html


def test_a_person_without_an_active_intention_gets_nothing(client_for, staff, market):
    _postings, people = market
    client = client_for(staff["county_operator"])
    for who in ("idle", "ended"):
        response = client.get(reverse("matching:recommend_person", args=[people[who].pk]))
        assert response.status_code == 200
        assert _ids(response, "posting") == set()
        assert "No active job intention" in response.content.decode()


def test_other_counties_get_404(client_for, staff, market):
    postings, people = market
    houma = client_for(staff["houma_operator"])
    assert (
        houma.get(reverse("matching:recommend_person", args=[people["quwo"].pk])).status_code == 404
    )
    assert houma.get(f"/api/matching/recommendations/person/{people['quwo'].pk}").status_code == 404
    assert (
        houma.get(reverse("matching:recommend_posting", args=[postings["quwo"].pk])).status_code
        == 404
    )
    assert (
        houma.get(f"/api/matching/recommendations/posting/{postings['quwo'].pk}").status_code == 404
    )
    quwo = client_for(staff["county_operator"])
    assert (
        quwo.get(reverse("matching:recommend_posting", args=[postings["houma"].pk])).status_code
        == 404
    )
    assert quwo.get(f"/api/matching/recommendations/person/{people['houma'].pk}").status_code == 404


def test_people_for_a_posting_stay_in_the_users_scope(client_for, staff, market):
    postings, people = market
    quwo = client_for(staff["county_operator"])
    response = quwo.get(reverse("matching:recommend_posting", args=[postings["quwo"].pk]))
    assert response.status_code == 200
    shown = _ids(response, "person")
    assert shown == {people["quwo"].pk}  # not 侯马's welder, not the idle, ended or merged
    html = response.content.decode()
    assert people["quwo"].id_number not in html  # masked
    # A 侯马 user on a 侯马 posting sees 侯马 people only, never 曲沃's welder.
    houma = client_for(staff["houma_operator"])
    response = houma.get(f"/api/matching/recommendations/posting/{postings['houma'].pk}?k=50")
    assert response.status_code == 200
    got = [item["person_id"] for item in response.json()["items"]]
    assert got == [people["houma"].pk]
    item = response.json()["items"][0]
    assert "*" in item["id_number"] and people["houma"].id_number not in item["id_number"]
    # The city sees both counties.
    city = client_for(staff["city_operator"])
    response = city.get(f"/api/matching/recommendations/posting/{postings['quwo'].pk}")
    assert {i["person_id"] for i in response.json()["items"]} == {
        people["quwo"].pk,
        people["houma"].pk,
    }


def test_a_closed_posting_recommends_nobody(client_for, staff, market):
    postings, _people = market
    client = client_for(staff["county_operator"])
    response = client.get(f"/api/matching/recommendations/posting/{postings['filled'].pk}")
    assert response.status_code == 200
    assert response.json() == {"posting_id": postings["filled"].pk, "open": False, "items": []}


def test_api_explains_every_score(client_for, staff, market):
    postings, people = market
    client = client_for(staff["county_operator"])
    response = client.get(f"/api/matching/recommendations/person/{people['quwo'].pk}?k=3")
    assert response.status_code == 200
    body = response.json()
    assert body["available"] is True
    assert 1 <= len(body["items"]) <= 3
    scores = [item["score"] for item in body["items"]]
    assert scores == sorted(scores, reverse=True)
    first = body["items"][0]
    assert first["posting_id"] == postings["quwo"].pk  # same county, same 细类, fresh
    assert first["external_id"] == "QW-1" and first["in_scope"] is True
    total = sum(c["weight"] * c["score"] for c in first["components"].values())
    assert first["score"] == pytest.approx(total, abs=1e-3)
    assert first["components"]["occupation"]["value"]["level"] == "unit"
    assert first["components"]["distance"]["value"] == 0.0
    assert first["reasons"]
    assert (
        client.get(f"/api/matching/recommendations/person/{people['quwo'].pk}?k=0").status_code
        == 422
    )


def test_new_postings_reach_the_cached_index(client_for, staff, market, employers, settings):
    settings.JIUYE_RECOMMEND_REFRESH_SECONDS = 0
    postings, people = market
    client = client_for(staff["county_operator"])
    url = f"/api/matching/recommendations/person/{people['quwo'].pk}?k=50"
    before = {i["posting_id"] for i in client.get(url).json()["items"]}
    fresh = make_posting(employers["quwo"], QUWO_TOWN, title="二保焊工")
    Posting.objects.filter(pk=postings["quwo"].pk).update(
        status=PostingStatus.WITHDRAWN, updated_at=timezone.now()
    )
    after = {i["posting_id"] for i in client.get(url).json()["items"]}
    assert fresh.pk in after and fresh.pk not in before
    assert postings["quwo"].pk in before and postings["quwo"].pk not in after


def test_random_database_rows_never_break_a_constraint(client_for, staff, employers,
                                                       person_factory):  # fmt: skip
    rng = random.Random(3)
    codes = ["6-18-02-04", "6-18-01-01", "4-07-05-01", "4-09-08-01"]
    titles = {"6-18-02-04": "电焊工", "6-18-01-01": "车工", "4-07-05-01": "保安",
              "4-09-08-01": "保洁"}  # fmt: skip
    for i in range(40):
        where = rng.choice(["quwo", "houma"])
        amin = rng.choice([None, 18, 25])
        amax = rng.choice([None, 35, 50])
        code = rng.choice(codes)
        make_posting(
            employers[where], QUWO_TOWN if where == "quwo" else HOUMA_STREET,
            title=titles[code], occupation_code=code, age_min=amin, age_max=amax,
            education=rng.choice(["", "", "70", "60", "30"]),
            status=rng.choice([PostingStatus.PUBLISHED] * 4 + [PostingStatus.FILLED]),
            valid_to=today() + datetime.timedelta(days=rng.choice([-3, 10, 40])),
            external_id=f"R{i}",
        )  # fmt: skip
    for i in range(30):
        code = rng.choice(codes)
        seeker(
            person_factory, staff, f"测试{i}",
            rng.choice([QUWO_VILLAGE, HOUMA_COMMUNITY]),
            D(rng.randint(1965, 2006), rng.randint(1, 12), 10),
            education=rng.choice(["", "81", "71", "61", "31", "21"]),
            title=titles[code], code=rng.choice([code, ""]),
            active=rng.random() < 0.85,
        )  # fmt: skip
    day = today()
    client = client_for(staff["city_operator"])
    person_records = {r.id: r for r in recommend.seeker_records(Person.objects.all(), day)}
    posting_records = {r.id: r for r in recommend.posting_records(Posting.objects.all())}
    pairs = 0
    for person in Person.objects.all():
        body = client.get(f"/api/matching/recommendations/person/{person.pk}?k=100").json()
        if person.pk not in person_records:
            assert body["items"] == []
        for item in body["items"]:
            rec = person_records[person.pk]
            assert pair_violations(posting_records[item["posting_id"]], rec, day) == []
            pairs += 1
    for posting in Posting.objects.all():
        body = client.get(f"/api/matching/recommendations/posting/{posting.pk}?k=100").json()
        for item in body["items"]:
            rec = person_records[item["person_id"]]  # available people only
            assert pair_violations(posting_records[posting.pk], rec, day) == []
            pairs += 1
    assert pairs > 100
    assert JobIntention.objects.filter(active=False).exists()


def test_new_seekers_reach_the_cached_index(client_for, staff, market, person_factory, settings):
    settings.JIUYE_RECOMMEND_SEEKER_REFRESH_SECONDS = 0
    postings, people = market
    client = client_for(staff["county_operator"])
    url = f"/api/matching/recommendations/posting/{postings['quwo'].pk}?k=50"
    before = {i["person_id"] for i in client.get(url).json()["items"]}
    newcomer = seeker(person_factory, staff, "周七", QUWO_VILLAGE, title="二保焊")
    JobIntention.objects.filter(person=people["quwo"]).update(
        active=False, updated_at=timezone.now()
    )
    after = {i["person_id"] for i in client.get(url).json()["items"]}
    assert before == {people["quwo"].pk}
    assert after == {newcomer.pk}
