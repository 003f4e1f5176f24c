"""Occupation coding over HTTP and on the staff page, and filling blank codes
(``fill_missing_codes`` and ``jiuye occupations fill``): only blank codes, audited, in scope."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from tests.conftest import valid_uscc as make_uscc

from jiuye.accounts.models import User
from jiuye.accounts.permissions import Perm
from jiuye.accounts.scoping import scope_for
from jiuye.core.models import AuditLog
from jiuye.jobs.models import Posting
from jiuye.matching.occupation_fill import (
    ACTION_INTENTION,
    ACTION_POSTING,
    ACTION_RUN,
    fill_missing_codes,
)
from jiuye.registry.models import Employer, JobIntention
from jiuye.registry.occupation_coder import AUTO_CODE_THRESHOLD

URL = "/api/matching/occupations/code"
PAGE = "/matching/occupations/"
QUWO_TOWN = "141021100000"
HOUMA_STREET = "141081001000"


# --- API ---------------------------------------------------------------------------------------


def test_url_names():
    assert reverse("api:occupations_code") == URL
    assert reverse("matching:occupations") == PAGE


def test_api_requires_login(db):
    response = Client().get(URL, {"title": "电焊工"})
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_api_codes_a_title(staff, client_for):
    response = client_for(staff["county_operator"]).get(URL, {"title": "电焊工（持证）", "k": 3})
    assert response.status_code == 200
    body = response.json()
    assert body["title"] == "电焊工（持证）"
    assert body["threshold"] == AUTO_CODE_THRESHOLD
    assert len(body["results"]) == 3
    assert body["results"][0] == {
        "code": "6-18-02-04",
        "name": "焊工",
        "level": 4,
        "score": 1.0,
        "path": "生产制造及有关人员 / 机械制造基础加工人员 / 机械热加工人员 / 焊工",
    }
    assert (
        len(client_for(staff["houma_operator"]).get(URL, {"title": "保洁"}).json()["results"]) == 5
    )


@pytest.mark.parametrize("k", [0, 21, -1, "x"])
def test_api_k_bounds(staff, client_for, k):
    response = client_for(staff["county_operator"]).get(URL, {"title": "保洁", "k": k})
    assert response.status_code == 422
    assert response.json()["code"] == "invalid"


def test_api_k_limits_accepted(staff, client_for):
    client = client_for(staff["county_operator"])
    assert len(client.get(URL, {"title": "保洁", "k": 1}).json()["results"]) == 1
    assert len(client.get(URL, {"title": "保洁", "k": 20}).json()["results"]) == 20


@pytest.mark.parametrize("params", [{}, {"title": ""}, {"title": "   "}])
def test_api_empty_title(staff, client_for, params):
    response = client_for(staff["county_operator"]).get(URL, params)
    assert response.status_code == 422
    assert response.json()["code"] == "invalid"


def test_api_needs_a_role(regions, client_for):
    nobody = User.objects.create_user(username="no_role", password="Test-pass-2026")
    response = client_for(nobody).get(URL, {"title": "保洁"})
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


# --- Page --------------------------------------------------------------------------------------


def test_page(staff, client_for):
    client = client_for(staff["township_operator"])
    empty = client.get(PAGE)
    assert empty.status_code == 200
    assert "<form" in empty.content.decode()
    page = client.get(PAGE, {"title": "快递小哥 中通", "k": 3}).content.decode()
    assert 'data-code="4-02-07-08"' in page and "<html" in page
    # A link with the title only shows five results.
    assert client.get(PAGE, {"title": "保洁"}).content.decode().count("data-code=") == 5
    partial = client.get(PAGE, {"title": "快递小哥", "k": 3}, headers={"HX-Request": "true"})
    body = partial.content.decode()
    assert partial.status_code == 200
    assert "<html" not in body and body.count("data-code=") == 3


def test_page_access(regions, client_for):
    assert Client().get(PAGE).status_code == 302  # to the login page
    nobody = User.objects.create_user(username="no_role", password="Test-pass-2026")
    assert client_for(nobody).get(PAGE).status_code == 404


# --- Filling blank codes -----------------------------------------------------------------------


@pytest.fixture
def records(staff, person_factory):
    quwo = Employer.objects.create(
        uscc=make_uscc(1, "141021"), name="曲沃机械厂", region_code=QUWO_TOWN
    )
    houma = Employer.objects.create(
        uscc=make_uscc(2, "141081"), name="侯马物业公司", region_code=HOUMA_STREET
    )
    dates = {"valid_from": datetime.date(2026, 1, 1), "valid_to": datetime.date(2026, 12, 31)}

    def posting(employer, title, region, code=""):
        return Posting.objects.create(
            employer=employer, title=title, region_code=region, occupation_code=code, **dates
        )

    quwo_person = person_factory("曲沃求职者", "141021100200")
    houma_person = person_factory("侯马求职者", "141081001001")
    return {
        "welder": posting(quwo, "急招电焊工 月薪8000+ 包吃住", QUWO_TOWN),
        "vague": posting(quwo, "羊毛衫厂 套口工", QUWO_TOWN),
        "by_hand": posting(quwo, "保安", QUWO_TOWN, code="4-07-05-02"),
        "houma_cleaner": posting(houma, "保洁阿姨 早八晚五", HOUMA_STREET),
        "quwo_wish": JobIntention.objects.create(person=quwo_person, title="月嫂 （持证）"),
        "quwo_untitled": JobIntention.objects.create(person=quwo_person, title=""),
        "houma_wish": JobIntention.objects.create(
            person=houma_person, title="外卖骑手", region_code="141021000000"
        ),
    }


def _fresh(records):
    for record in records.values():
        record.refresh_from_db()
    return records


def test_fill_codes_only_blank_codes_in_scope(staff, records):
    operator = staff["county_operator"]
    before = AuditLog.objects.count()
    result = fill_missing_codes(actor=operator, scope=scope_for(operator, Perm.EDIT))
    r = _fresh(records)

    assert (r["welder"].occupation_code, r["welder"].occupation_coded_by) == ("6-18-02-04", "auto")
    assert r["welder"].occupation_score >= AUTO_CODE_THRESHOLD
    # Below the threshold: left blank for a person.
    assert (r["vague"].occupation_code, r["vague"].occupation_coded_by) == ("", "")
    # Coded by hand: never touched.
    assert (r["by_hand"].occupation_code, r["by_hand"].occupation_coded_by) == ("4-07-05-02", "")
    assert r["by_hand"].occupation_score is None
    # Outside 曲沃: untouched, even though the 侯马 seeker wants to work in 曲沃.
    assert r["houma_cleaner"].occupation_code == ""
    assert r["houma_wish"].occupation_code == ""
    assert (r["quwo_wish"].occupation_code, r["quwo_wish"].occupation_coded_by) == (
        "4-10-01-06",
        "auto",
    )
    assert r["quwo_untitled"].occupation_code == ""

    assert (result.postings.blank, result.postings.coded, result.postings.below_threshold) == (
        2,
        1,
        1,
    )
    assert (result.intentions.blank, result.intentions.coded) == (1, 1)

    rows = AuditLog.objects.order_by("id")[before:]
    assert [row.action for row in rows] == [ACTION_POSTING, ACTION_INTENTION, ACTION_RUN]
    posting_row, intention_row, summary = rows
    assert posting_row.actor == operator
    assert posting_row.object_type == "jobs.posting"
    assert posting_row.object_id == str(r["welder"].pk)
    assert posting_row.region_code == QUWO_TOWN
    assert posting_row.before == {"occupation_code": ""}
    assert posting_row.after["occupation_code"] == "6-18-02-04"
    assert posting_row.after["occupation_coded_by"] == "auto"
    assert intention_row.object_type == "registry.jobintention"
    assert intention_row.region_code == "141021100200"  # the person's residence
    assert "occupation_score" not in intention_row.after
    assert summary.region_code == "141021000000"
    assert summary.after["postings"] == {"blank": 2, "coded": 1, "below_threshold": 1}

    # Re-running changes nothing but records the run.
    again = fill_missing_codes(actor=operator, scope=scope_for(operator, Perm.EDIT))
    assert again.postings.coded == again.intentions.coded == 0
    assert AuditLog.objects.count() == before + 4


def test_fill_dry_run_writes_nothing(staff, records):
    operator = staff["houma_operator"]
    before = AuditLog.objects.count()
    result = fill_missing_codes(actor=operator, scope=scope_for(operator, Perm.EDIT), dry_run=True)
    assert (result.postings.coded, result.intentions.coded) == (1, 1)
    assert [s[3] for s in result.samples] == ["4-09-08-01", "4-10-08-01"]
    assert AuditLog.objects.count() == before
    r = _fresh(records)
    assert r["houma_cleaner"].occupation_code == r["houma_wish"].occupation_code == ""


def test_fill_respects_a_higher_threshold(staff, records):
    operator = staff["county_operator"]
    result = fill_missing_codes(
        actor=operator, scope=scope_for(operator, Perm.EDIT), dry_run=True, threshold=1.01
    )
    assert result.postings.coded == result.intentions.coded == 0


def test_fill_with_an_empty_scope_touches_nothing(staff, records):
    leader = staff["province_leader"]  # may view, not edit
    result = fill_missing_codes(actor=leader, scope=scope_for(leader, Perm.EDIT))
    assert result.postings.blank == result.intentions.blank == 0
    assert Posting.objects.filter(occupation_coded_by="auto").count() == 0


def test_fill_command_codes_everything_as_the_system(records):
    out = io.StringIO()
    call_command("occupations", "fill", "--dry-run", stdout=out)
    assert Posting.objects.filter(occupation_coded_by="auto").count() == 0
    assert "blank 3" in out.getvalue()

    before = AuditLog.objects.count()
    out = io.StringIO()
    call_command("occupations", "fill", stdout=out)
    r = _fresh(records)
    assert r["welder"].occupation_code == "6-18-02-04"
    assert r["houma_cleaner"].occupation_code == "4-09-08-01"
    assert r["houma_wish"].occupation_code == "4-10-08-01"
    assert r["quwo_wish"].occupation_code == "4-10-01-06"
    assert r["by_hand"].occupation_code == "4-07-05-02"
    rows = list(AuditLog.objects.order_by("id")[before:])
    assert len(rows) == 5  # four records and the summary
    assert rows[-1].action == ACTION_RUN and rows[-1].actor is None and rows[-1].region_code == ""
    assert "已编码 / coded 2" in out.getvalue()
