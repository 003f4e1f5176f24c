"""Internship allocation pages, export, API and command: what they show and do, and that each
answers 404 for a round outside the caller's region (a 侯马 user on a 曲沃 round)."""

from __future__ import annotations

import datetime
import io
import json

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from django.utils import translation
from tests.conftest import valid_uscc as make_uscc

from jiuye.core.models import AuditLog
from jiuye.jobs.models import Posting, PostingKind
from jiuye.matching import actions
from jiuye.matching.models import Assignment, InternshipRound, RoundStatus
from jiuye.registry.models import Employer


@pytest.fixture(autouse=True)
def english(settings):
    """Messages are matched in English (the msgids), whatever the catalogue translates."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


QUWO = "141021000000"
HOUMA = "141081000000"


def _posting(employer, title, region):
    day = datetime.date(2026, 3, 1)
    return Posting.objects.create(
        employer=employer,
        title=title,
        region_code=region,
        kind=PostingKind.INTERNSHIP,
        valid_from=day,
        valid_to=day + datetime.timedelta(days=90),
    )


@pytest.fixture
def world(staff, person_factory):
    """A 曲沃 round with two posts and three applicants, and a 侯马 round."""
    op = staff["county_operator"]
    employer = Employer.objects.create(
        uscc=make_uscc(11, "141021"), name="曲沃见习单位", region_code=QUWO
    )
    p1 = _posting(employer, "文秘见习", "141021100000")
    p2 = _posting(employer, "会计见习", "141021100000")
    p3 = _posting(employer, "备用见习", "141021101000")
    people = [
        person_factory(name, "141021100200", datetime.date(2003, 5, i + 1))
        for i, name in enumerate(["甲同学", "乙同学", "丙同学"])
    ]
    rnd = actions.create_round(actor=op, name="曲沃见习批次", region_code=QUWO)
    a = actions.add_post(rnd, actor=op, posting=p1, capacity=1)
    b = actions.add_post(rnd, actor=op, posting=p2, capacity=1)
    for person, choices, score in zip(people, [[a, b], [a, b], [a]], [90, 80, 70], strict=True):
        actions.add_applicant(
            rnd, actor=op, person=person, choices=[c.pk for c in choices], score=score
        )
    hm_op = staff["houma_operator"]
    h_employer = Employer.objects.create(
        uscc=make_uscc(12, "141081"), name="侯马见习单位", region_code=HOUMA
    )
    h_posting = _posting(h_employer, "侯马见习岗", "141081001000")
    h_round = actions.create_round(actor=hm_op, name="侯马见习批次", region_code=HOUMA)
    actions.add_post(h_round, actor=hm_op, posting=h_posting, capacity=2)
    return {
        "round": rnd,
        "posts": (a, b),
        "postings": (p1, p2, p3),
        "people": people,
        "houma_round": h_round,
    }


@pytest.fixture
def qw(staff, client_for):
    return client_for(staff["county_operator"])


@pytest.fixture
def hm(staff, client_for):
    return client_for(staff["houma_operator"])


def _url(rnd, suffix=""):
    return f"/matching/allocation/{rnd.pk}/{suffix}"


# ---- pages ------------------------------------------------------------------------------


def test_round_list_is_scoped(qw, hm, world):
    page = qw.get("/matching/allocation/").content.decode()
    assert "曲沃见习批次" in page and "侯马见习批次" not in page
    page = hm.get("/matching/allocation/").content.decode()
    assert "侯马见习批次" in page and "曲沃见习批次" not in page


def test_create_round_page(qw, hm, world):
    response = qw.post(
        "/matching/allocation/new/",
        {"name": "秋季见习", "region_code": QUWO, "max_choices": 10},
    )
    rnd = InternshipRound.objects.get(name="秋季见习")
    assert response.status_code == 302 and response.url == _url(rnd)
    assert rnd.max_choices == 10
    # A 侯马 operator cannot create a round in 曲沃: the form shows the error, nothing is made.
    response = hm.post(
        "/matching/allocation/new/", {"name": "越权", "region_code": QUWO, "max_choices": 5}
    )
    assert response.status_code == 200 and not InternshipRound.objects.filter(name="越权").exists()
    assert qw.get("/matching/allocation/new/").status_code == 200


def test_create_round_needs_edit(staff, client_for, world):
    leader = client_for(staff["province_leader"])
    assert leader.get("/matching/allocation/new/").status_code == 404
    assert leader.get("/matching/allocation/").status_code == 200


def test_detail_page_before_and_after_running(qw, world):
    rnd = world["round"]
    page = qw.get(_url(rnd)).content.decode()
    assert "文秘见习" in page and "甲同学" in page and "Run the allocation" in page
    assert "Publish the result" not in page  # operators have no review permission
    assert qw.post(_url(rnd, "run/"), {"method": "da"}).status_code == 302
    page = qw.get(_url(rnd)).content.decode()
    assert 'id="figures"' in page
    # 甲 (90) wins 文秘, 乙 (80) gets 会计 as second choice, 丙 (70) only listed 文秘.
    assert "full with applicants the host ranked higher" in page
    htmx = qw.get(_url(rnd), {"outcome": "unassigned"}, headers={"HX-Request": "true"})
    body = htmx.content.decode()
    assert "丙同学" in body and "甲同学" not in body and "<html" not in body


def test_detail_shows_publish_to_reviewers(staff, client_for, qw, world):
    rnd = world["round"]
    qw.post(_url(rnd, "run/"), {"method": "mcf"})
    reviewer = client_for(staff["county_reviewer"])
    assert "Publish the result" in reviewer.get(_url(rnd)).content.decode()


def test_pages_answer_404_outside_the_region(hm, world):
    rnd = world["round"]
    post = world["posts"][0]
    for url in (_url(rnd), _url(rnd, f"posts/{post.pk}/"), _url(rnd, "export/")):
        assert hm.get(url).status_code == 404, url
    for suffix in ("posts/", f"posts/{post.pk}/", "applicants/", "import/", "run/", "publish/"):
        assert hm.post(_url(rnd, suffix), {}).status_code == 404, suffix
    assert not Assignment.objects.filter(round=rnd).exists()


def test_add_post_page(qw, hm, world):
    rnd = world["round"]
    p3 = world["postings"][2]
    response = qw.post(_url(rnd, "posts/"), {"posting": p3.pk, "capacity": 4})
    assert response.status_code == 302
    assert rnd.posts.get(posting=p3).capacity == 4
    # A posting of another county is absent to this user.
    houma_post = world["houma_round"].posts.get()
    assert (
        qw.post(_url(rnd, "posts/"), {"posting": houma_post.posting_id, "capacity": 1}).status_code
        == 404
    )


def test_post_edit_page_sets_ranking_and_scores(qw, world):
    rnd = world["round"]
    a, _b = world["posts"]
    apps = list(rnd.applicants.order_by("pk"))
    url = _url(rnd, f"posts/{a.pk}/")
    assert qw.get(url).status_code == 200
    response = qw.post(url, {"capacity": 1, "ranking": f"{apps[2].pk}, {apps[0].pk}", "scores": ""})
    assert response.status_code == 302
    a.refresh_from_db()
    assert a.host_ranking == [apps[2].pk, apps[0].pk]
    response = qw.post(url, {"capacity": 2, "ranking": "", "scores": f"{apps[1].pk}: 95.5"})
    a.refresh_from_db()
    assert a.host_ranking == [] and a.host_scores == {str(apps[1].pk): 95.5} and a.capacity == 2
    bad = qw.post(url, {"capacity": 1, "ranking": "1, x", "scores": ""})
    assert bad.status_code == 200 and "numbers" in bad.content.decode()


def test_add_applicant_page(qw, world, person_factory):
    rnd = world["round"]
    p1, p2, _p3 = world["postings"]
    newcomer = person_factory("丁同学", "141021100201", datetime.date(2004, 1, 1))
    response = qw.post(
        _url(rnd, "applicants/"),
        {"id_number": newcomer.id_number, "choices": f"{p2.pk}，{p1.pk}", "score": "66"},
    )
    assert response.status_code == 302
    app = rnd.applicants.get(person=newcomer)
    assert app.choices == [world["posts"][1].pk, world["posts"][0].pk] and app.score == 66
    outsider = person_factory("侯马同学", "141081001001", datetime.date(2004, 2, 2))
    qw.post(_url(rnd, "applicants/"), {"id_number": outsider.id_number, "choices": str(p1.pk)})
    assert not rnd.applicants.filter(person=outsider).exists()


def test_import_page(qw, world, person_factory):
    rnd = world["round"]
    p1 = world["postings"][0]
    newcomer = person_factory("戊同学", "141021100201", datetime.date(2004, 3, 3))
    wb = openpyxl.Workbook()
    wb.active.append(["身份证号", "志愿1"])
    wb.active.append([newcomer.id_number, p1.pk])
    buf = io.BytesIO()
    wb.save(buf)
    buf.name = "choices.xlsx"
    buf.seek(0)
    response = qw.post(_url(rnd, "import/"), {"file": buf}, follow=True)
    assert "1 added" in response.content.decode()
    assert rnd.applicants.filter(person=newcomer).exists()


def test_run_publish_and_export(staff, client_for, qw, world):
    rnd = world["round"]
    reviewer = client_for(staff["county_reviewer"])
    assert qw.get(_url(rnd, "export/")).status_code == 404  # nothing to export before a run
    qw.post(_url(rnd, "run/"), {"method": "da"})
    # An operator may not publish; the reviewer may, once.
    assert qw.post(_url(rnd, "publish/")).status_code == 404
    assert reviewer.post(_url(rnd, "publish/")).status_code == 302
    rnd.refresh_from_db()
    assert rnd.status == RoundStatus.PUBLISHED
    again = reviewer.post(_url(rnd, "publish/"), follow=True)
    assert "already published" in again.content.decode()
    rerun = qw.post(_url(rnd, "run/"), {"method": "mcf"}, follow=True)
    assert "can no longer change" in rerun.content.decode()
    response = qw.get(_url(rnd, "export/"))
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.values)
    assert len(rows) == 4
    names = {r[1] for r in rows[1:]}
    assert names == {"甲同学", "乙同学", "丙同学"}
    assert all("*" in r[2] for r in rows[1:])  # masked ID numbers
    assert AuditLog.objects.filter(action="matching.round.export", object_id=str(rnd.pk)).exists()


# ---- API --------------------------------------------------------------------------------


def test_api_is_scoped(qw, hm, world):
    rnd = world["round"]
    base = f"/api/matching/allocation/rounds/{rnd.pk}"
    listing = hm.get("/api/matching/allocation/rounds").json()
    assert [(r["name"], r["posts"]) for r in listing["items"]] == [("侯马见习批次", 1)]
    for url in (base, f"{base}/results"):
        assert hm.get(url).status_code == 404
    for url in (f"{base}/run", f"{base}/publish"):
        response = hm.post(url, json.dumps({}), content_type="application/json")
        assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert qw.get(base).json()["name"] == "曲沃见习批次"


def test_api_run_results_publish(staff, client_for, qw, world):
    rnd = world["round"]
    base = f"/api/matching/allocation/rounds/{rnd.pk}"
    body = qw.post(f"{base}/run", json.dumps({"method": "da"}), content_type="application/json")
    assert body.status_code == 200
    data = body.json()
    assert data["status"] == "allocated" and data["stats"]["blocking_pairs"] == 0
    assert data["posts"] == 2 and data["applicants"] == 3
    results = qw.get(f"{base}/results").json()
    assert results["count"] == 3
    first = results["items"][0]
    assert first["name"] == "甲同学" and first["choice_rank"] == 1
    assert first["posting_id"] == world["postings"][0].pk
    assert "*" in first["id_number"] and first["reasons"]
    unplaced = qw.get(f"{base}/results", {"outcome": "unassigned"}).json()["items"]
    assert [r["name"] for r in unplaced] == ["丙同学"]
    assert unplaced[0]["explanation"]["better"][0]["reason"] == "full"
    bad = qw.post(f"{base}/run", json.dumps({"method": "x"}), content_type="application/json")
    assert bad.status_code == 422
    # Operators cannot publish (404); reviewers can, once (then 409).
    assert qw.post(f"{base}/publish").status_code == 404
    reviewer = client_for(staff["county_reviewer"])
    assert reviewer.post(f"{base}/publish").json()["status"] == "published"
    again = reviewer.post(f"{base}/publish")
    assert again.status_code == 409 and again.json()["code"] == "conflict"
    rerun = qw.post(f"{base}/run", json.dumps({"method": "da"}), content_type="application/json")
    assert rerun.status_code == 409


# ---- command ----------------------------------------------------------------------------


def test_allocate_command(staff, world):
    rnd = world["round"]
    out = io.StringIO()
    call_command("allocate", str(rnd.pk), "--method", "mcf", "--user", "qw_operator", stdout=out)
    assert "2/3 placed" in out.getvalue()
    rnd.refresh_from_db()
    assert rnd.status == RoundStatus.ALLOCATED and rnd.method == "mcf"
    with pytest.raises(CommandError, match="no round"):
        call_command("allocate", str(rnd.pk), "--user", "hm_operator", stdout=io.StringIO())
    # An operator cannot publish: the (default, da) run stands, the publish is refused.
    with pytest.raises(CommandError):
        call_command("allocate", str(rnd.pk), "--publish", "--user", "qw_operator", stdout=out)
    rnd.refresh_from_db()
    assert rnd.status == RoundStatus.ALLOCATED
    # The reviewer publishes the current result without running it again.
    call_command("allocate", str(rnd.pk), "--publish-only", "--user", "qw_reviewer", stdout=out)
    rnd.refresh_from_db()
    assert rnd.status == RoundStatus.PUBLISHED and rnd.method == "da"
    with pytest.raises(CommandError, match="no active user"):
        call_command("allocate", str(rnd.pk), "--user", "nobody", stdout=out)


# ---- person page panel ------------------------------------------------------------------


def test_person_panel(staff, client_for, qw, hm, world):
    rnd = world["round"]
    person = world["people"][2]
    url = f"/matching/allocation/person/{person.pk}/"
    body = qw.get(url).content.decode()
    assert "曲沃见习批次" in body and "not allocated yet" in body
    actions.run_round(rnd, actor=staff["county_operator"])
    body = qw.get(url).content.decode()
    assert "Not assigned" in body and "full with applicants the host ranked higher" in body
    assert hm.get(url).status_code == 404  # the person lives in 曲沃
    # The same person in a 侯马 round (made by the city): the 曲沃 operator's panel leaves it
    # out, the city operator's shows both.
    city = staff["city_operator"]
    h_round = actions.create_round(actor=city, name="侯马城市批次", region_code=HOUMA)
    h_post = actions.add_post(
        h_round, actor=city, posting=world["houma_round"].posts.get().posting, capacity=1
    )
    actions.add_applicant(h_round, actor=city, person=person, choices=[h_post.pk])
    assert "侯马城市批次" not in qw.get(url).content.decode()
    body = client_for(city).get(url).content.decode()
    assert "侯马城市批次" in body and "曲沃见习批次" in body
