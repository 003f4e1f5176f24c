"""Every jobs page, export and API endpoint is limited to the caller's region: a 侯马 user gets
404 on a 曲沃 posting, application, interview, fair, attendee or intention, and lists and
exports show only their own county's records.

URL names covered here (for tests/web/test_endpoint_scoping.py): every ``jobs:*`` name and
api:list_postings, api:get_posting, api:create_posting, api:submit_posting,
api:approve_posting, api:reject_posting, api:list_posting_applications, api:apply_to_posting,
api:hire_application, api:list_fairs, api:get_fair, api:get_fair_results.
"""

from __future__ import annotations

import datetime
import io
import json

import openpyxl
import pytest
from django.utils import timezone

from jiuye.jobs import actions
from jiuye.jobs.models import Application, Hire, JobFair, Posting, PostingStatus

from .conftest import HOUMA_STREET, QUWO_TOWN, today


def _fair(operator, region_code, name, posting, person):
    start = timezone.now() - datetime.timedelta(hours=1)
    fair = actions.create_fair(
        actor=operator,
        name=name,
        kind="fair",
        mode="onsite",
        region_code=region_code,
        starts_at=start,
        ends_at=start + datetime.timedelta(hours=4),
    )
    participant = actions.add_fair_employer(
        actor=operator, fair=fair, employer=posting.employer, postings=[posting]
    )
    attendee = actions.register_attendee(actor=operator, fair=fair, person=person)
    intention = actions.record_intention(actor=operator, fair=fair, person=person, posting=posting)
    return fair, participant, attendee, intention


@pytest.fixture
def world(staff, posting_factory, people):
    made = {}
    for where, person in (("quwo", people["quwo"]), ("houma", people["houma"])):
        operator = staff["county_operator"] if where == "quwo" else staff["houma_operator"]
        posting = posting_factory(where, "published", title=f"{where}-酿造工")
        draft = posting_factory(where, "review", title=f"{where}-待审岗位")
        other = posting_factory(
            where, "published", title=f"{where}-电工", occupation_code="6-31-01-03"
        )
        application = actions.apply(actor=operator, posting=other, person=person)
        interview = actions.schedule_interview(
            actor=operator, application=application, scheduled_at=timezone.now()
        )
        region = "141021000000" if where == "quwo" else "141081000000"
        fair, participant, attendee, intention = _fair(
            operator, region, f"{where}-招聘会", posting, person
        )
        made[where] = {
            "posting": posting,
            "review": draft,
            "application": application,
            "interview": interview,
            "fair": fair,
            "participant": participant,
            "attendee": attendee,
            "intention": intention,
            "person": person,
        }
    return made


@pytest.fixture
def hm(staff, client_for):
    return client_for(staff["houma_operator"])


def test_posting_pages(hm, world):
    mine, theirs = world["houma"], world["quwo"]
    assert hm.get(f"/jobs/{mine['posting'].pk}/").status_code == 200
    pk = theirs["posting"].pk
    assert hm.get(f"/jobs/{pk}/").status_code == 404
    assert hm.get(f"/jobs/{pk}/edit/").status_code == 404
    for action, data in (
        ("edit", {"title": "x"}),
        ("submit", {}),
        ("approve", {}),
        ("reject", {"note": "x"}),
        ("withdraw", {"reason": "x"}),
        ("apply", {"id_number": mine["person"].id_number}),
    ):
        assert hm.post(f"/jobs/{pk}/{action}/", data).status_code == 404, action
    assert hm.post(f"/jobs/{theirs['review'].pk}/approve/", {}).status_code == 404
    assert Posting.objects.get(pk=pk).status == PostingStatus.PUBLISHED
    assert not Application.objects.filter(posting_id=pk, person=mine["person"]).exists()


def test_posting_list_and_export(hm, world):
    listing = hm.get("/jobs/").content.decode()
    assert "houma-酿造工" in listing and "quwo-酿造工" not in listing
    # Asking for the other county's region or searching its titles widens nothing.
    assert "quwo-" not in hm.get("/jobs/", {"region_code": QUWO_TOWN}).content.decode()
    assert "quwo-" not in hm.get("/jobs/", {"q": "quwo"}).content.decode()
    partial = hm.get("/jobs/", HTTP_HX_REQUEST="true").content.decode()
    assert "houma-电工" in partial and "<html" not in partial
    response = hm.get("/jobs/export/")
    titles = [r[1] for r in openpyxl.load_workbook(io.BytesIO(response.content)).active.values]
    assert sorted(titles[1:]) == ["houma-待审岗位", "houma-电工", "houma-酿造工"]


def test_create_outside_scope_is_refused(hm, world, employers, client_for, staff):
    data = {
        "employer_uscc": employers["quwo"].uscc,
        "title": "越权岗位",
        "headcount": 1,
        "region_code": HOUMA_STREET,
        "kind": "full_time",
        "channel": "employer",
        "valid_from": today().isoformat(),
        "valid_to": today().isoformat(),
    }
    assert hm.post("/jobs/new/", data).status_code == 200  # the form again, with the error
    assert hm.post("/jobs/new/", {**data, "employer_uscc": employers["houma"].uscc,
                                  "region_code": QUWO_TOWN}).status_code == 200  # fmt: skip
    assert not Posting.objects.filter(title="越权岗位").exists()
    # A leader may look but not create.
    assert client_for(staff["province_leader"]).get("/jobs/new/").status_code == 404


def test_review_queue(world, staff, client_for, reviewers):
    body = client_for(reviewers["houma"]).get("/jobs/review/").content.decode()
    assert "houma-待审岗位" in body and "quwo-待审岗位" not in body
    assert client_for(staff["houma_operator"]).get("/jobs/review/").status_code == 404


def test_application_actions(hm, world):
    theirs = world["quwo"]
    pk = theirs["application"].pk
    for action, data in (
        ("interview", {"scheduled_at": "2026-01-01T09:00"}),
        ("offer", {}),
        ("hire", {"start_date": today().isoformat()}),
        ("reject", {"reason": "x"}),
        ("withdraw", {"reason": "x"}),
    ):
        assert hm.post(f"/jobs/applications/{pk}/{action}/", data).status_code == 404, action
    interview = theirs["interview"].pk
    assert hm.post(f"/jobs/interviews/{interview}/result/", {"result": "passed"}).status_code == 404
    assert Application.objects.get(pk=pk).status == "interview"
    assert not Hire.objects.exists()


def test_person_panel(hm, world):
    mine, theirs = world["houma"], world["quwo"]
    body = hm.get(f"/jobs/people/{mine['person'].pk}/applications/").content.decode()
    assert "houma-电工" in body
    assert hm.get(f"/jobs/people/{theirs['person'].pk}/applications/").status_code == 404


def test_fair_pages(hm, world):
    mine, theirs = world["houma"], world["quwo"]
    assert hm.get(f"/jobs/fairs/{mine['fair'].pk}/").status_code == 200
    pk = theirs["fair"].pk
    for url in (f"/jobs/fairs/{pk}/", f"/jobs/fairs/{pk}/edit/", f"/jobs/fairs/{pk}/results/",
                f"/jobs/fairs/{pk}/results.xlsx"):  # fmt: skip
        assert hm.get(url).status_code == 404, url
    for action, data in (
        ("edit", {"name": "x"}),
        ("employers", {"employer_uscc": theirs["posting"].employer.uscc}),
        ("attendees", {"id_number": mine["person"].id_number}),
        ("intentions", {"id_number": mine["person"].id_number, "posting": mine["posting"].pk}),
        ("status", {"status": "closed"}),
    ):
        assert hm.post(f"/jobs/fairs/{pk}/{action}/", data).status_code == 404, action
    participant = theirs["participant"].pk
    assert (
        hm.post(
            f"/jobs/fairs/participants/{participant}/postings/", {"posting": mine["posting"].pk}
        ).status_code
        == 404
    )
    assert hm.post(f"/jobs/fairs/attendees/{theirs['attendee'].pk}/check-in/").status_code == 404
    assert (
        hm.post(
            f"/jobs/fairs/intentions/{theirs['intention'].pk}/outcome/",
            {"outcome": "declined", "reason": "x"},
        ).status_code
        == 404
    )
    assert JobFair.objects.get(pk=pk).status == "planned"
    listing = hm.get("/jobs/fairs/").content.decode()
    assert "houma-招聘会" in listing and "quwo-招聘会" not in listing


def test_fair_create_outside_scope_is_refused(hm, world):
    response = hm.post(
        "/jobs/fairs/new/",
        {
            "name": "越权招聘会",
            "kind": "fair",
            "mode": "online",
            "region_code": "141021000000",
            "starts_at": "2026-05-01T09:00",
            "ends_at": "2026-05-01T12:00",
        },
    )
    assert response.status_code == 200
    assert not JobFair.objects.filter(name="越权招聘会").exists()


# ---- API ---------------------------------------------------------------------------------


def test_api_postings(hm, world, employers):
    mine, theirs = world["houma"], world["quwo"]
    listing = hm.get("/api/jobs/postings").json()
    assert {p["title"] for p in listing["items"]} == {
        "houma-酿造工",
        "houma-待审岗位",
        "houma-电工",
    }
    assert hm.get("/api/jobs/postings", {"region_code": QUWO_TOWN}).json()["count"] == 0
    pk = theirs["posting"].pk
    response = hm.get(f"/api/jobs/postings/{pk}")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert hm.get(f"/api/jobs/postings/{mine['posting'].pk}").status_code == 200
    for action, body in (("submit", {}), ("approve", {}), ("reject", {"note": "x"})):
        r = hm.post(f"/api/jobs/postings/{pk}/{action}", json.dumps(body), "application/json")
        assert r.status_code == 404, action
    assert hm.get(f"/api/jobs/postings/{pk}/applications").status_code == 404
    apply = hm.post(
        f"/api/jobs/postings/{pk}/applications",
        json.dumps({"person_id": mine["person"].pk}),
        "application/json",
    )
    assert apply.status_code == 404
    # Referring the other county's person to one's own posting: 404 too.
    apply = hm.post(
        f"/api/jobs/postings/{mine['posting'].pk}/applications",
        json.dumps({"person_id": theirs["person"].pk}),
        "application/json",
    )
    assert apply.status_code == 404
    base = {
        "title": "越权",
        "valid_from": today().isoformat(),
        "valid_to": today().isoformat(),
    }
    created = hm.post(
        "/api/jobs/postings",
        json.dumps({**base, "employer_uscc": employers["quwo"].uscc, "region_code": HOUMA_STREET}),
        "application/json",
    )
    assert created.status_code == 404
    created = hm.post(
        "/api/jobs/postings",
        json.dumps({**base, "employer_uscc": employers["houma"].uscc, "region_code": QUWO_TOWN}),
        "application/json",
    )
    assert created.status_code == 403 and created.json()["code"] == "out_of_scope"
    hire = hm.post(
        f"/api/jobs/applications/{theirs['application'].pk}/hire",
        json.dumps({"start_date": today().isoformat()}),
        "application/json",
    )
    assert hire.status_code == 404
    assert not Posting.objects.filter(title="越权").exists() and not Hire.objects.exists()


def test_api_fairs(hm, world):
    mine, theirs = world["houma"], world["quwo"]
    assert [f["name"] for f in hm.get("/api/jobs/fairs").json()["items"]] == ["houma-招聘会"]
    assert hm.get(f"/api/jobs/fairs/{theirs['fair'].pk}").status_code == 404
    assert hm.get(f"/api/jobs/fairs/{theirs['fair'].pk}/results").status_code == 404
    results = hm.get(f"/api/jobs/fairs/{mine['fair'].pk}/results").json()
    assert (results["employers"], results["intentions"]) == (1, 1)
