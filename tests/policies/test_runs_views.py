"""政策找人 pages and API: scoping (a 侯马 user gets 404 for a 曲沃 run), starting a run,
live progress, the push list grouped by township and village, filters, full ID numbers
audited, and the Excel export."""

from __future__ import annotations

import io
import json

import openpyxl
import pytest
from django.utils import translation
from tests.policies.test_loader import AS_OF, QUWO
from tests.policies.test_runs import hires  # noqa: F401  (a fixture)

from jiuye.core.models import AuditLog
from jiuye.policies.models import PolicyRun, RunStatus
from jiuye.policies.runs import create_run, run_policies

EXPANSION = "expansion_subsidy"


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def run(staff, hires):  # noqa: F811
    return run_policies(
        actor=staff["county_operator"], as_of=AS_OF, region_code=QUWO, policies=[EXPANSION]
    )


@pytest.fixture
def qw(staff, client_for):
    return client_for(staff["county_operator"])


@pytest.fixture
def hm(staff, client_for):
    return client_for(staff["houma_operator"])


def test_houma_user_gets_404_for_a_quwo_run(run, hm):
    for url in (
        f"/policies/runs/{run.pk}/",
        f"/policies/runs/{run.pk}/progress/",
        f"/policies/runs/{run.pk}/export/",
        f"/api/policies/runs/{run.pk}",
        f"/api/policies/runs/{run.pk}/results",
    ):
        assert hm.get(url).status_code == 404, url
    assert f"/policies/runs/{run.pk}/" not in hm.get("/policies/runs/").content.decode()
    assert hm.get("/api/policies/runs").json()["count"] == 0


def test_run_list(run, qw):
    body = qw.get("/policies/runs/").content.decode()
    assert f"/policies/runs/{run.pk}/" in body and "曲沃县" in body
    assert "Policy targeting" in qw.get("/").content.decode()  # the navigation item


def test_start_a_run_from_the_page(staff, hires, qw):  # noqa: F811
    response = qw.post(
        "/policies/runs/new/",
        {"policy": EXPANSION, "as_of": AS_OF.isoformat(), "region_code": QUWO},
    )
    run = PolicyRun.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/policies/runs/{run.pk}/"
    assert run.status == RunStatus.DONE and run.policies == [EXPANSION]  # inline in tests
    assert run.created_by == staff["county_operator"]


def test_a_region_outside_the_users_scope_is_refused(staff, hires, qw, client_for):  # noqa: F811
    response = qw.post(
        "/policies/runs/new/",
        {"policy": "", "as_of": AS_OF.isoformat(), "region_code": "141081000000"},
    )
    assert response.status_code == 200  # the form again, with the error
    assert not PolicyRun.objects.exists()
    api = qw.post(
        "/api/policies/runs",
        json.dumps({"as_of": AS_OF.isoformat(), "region_code": "141081000000"}),
        content_type="application/json",
    )
    assert api.status_code == 404
    # A leader sees runs but may not start one.
    leader = client_for(staff["province_leader"])
    assert leader.get("/policies/runs/new/").status_code == 404
    assert not PolicyRun.objects.exists()


def test_the_form_offers_the_users_regions(staff, hires, qw):  # noqa: F811
    body = qw.get("/policies/runs/new/").content.decode()
    assert 'value="141021000000"' in body and 'value="141021100000"' in body
    assert 'value="141081000000"' not in body


def test_progress_polls_while_running_and_reloads_when_done(staff, hires, qw):  # noqa: F811
    queued = create_run(actor=staff["county_operator"], as_of=AS_OF, region_code=QUWO)
    page = qw.get(f"/policies/runs/{queued.pk}/").content.decode()
    assert f'hx-get="/policies/runs/{queued.pk}/progress/"' in page and "every 2s" in page
    partial = qw.get(f"/policies/runs/{queued.pk}/progress/", HTTP_HX_REQUEST="true")
    assert "every 2s" in partial.content.decode() and "HX-Refresh" not in partial
    PolicyRun.objects.filter(pk=queued.pk).update(
        status=RunStatus.RUNNING, stage="evaluating", total=10, processed=4
    )
    partial = qw.get(f"/policies/runs/{queued.pk}/progress/", HTTP_HX_REQUEST="true")
    text = partial.content.decode()
    assert "40%" in text and "4 of 10 rows evaluated" in text and "every 2s" in text
    run_policies(
        actor=staff["county_operator"],
        as_of=AS_OF,
        region_code=QUWO,
        policies=None,
        run=PolicyRun.objects.get(pk=queued.pk),
    )
    partial = qw.get(f"/policies/runs/{queued.pk}/progress/", HTTP_HX_REQUEST="true")
    assert partial["HX-Refresh"] == "true" and "every 2s" not in partial.content.decode()
    assert "every 2s" not in qw.get(f"/policies/runs/{queued.pk}/").content.decode()


def test_push_list_grouped_by_township_and_village(run, hires, qw):  # noqa: F811
    page = qw.get(f"/policies/runs/{run.pk}/").content.decode()
    push = page.split('id="push-list"', 1)[1]
    # Eligible only by default: g1 of 东北街村 (乐昌镇), not g2.
    assert "乐昌镇" in push and "东北街村" in push and "陈一" in push
    assert "陈二" not in push
    assert "1500.00" in push and "One-off job-expansion subsidy" in push
    assert "曲沃县晋韵科技有限公司" in push  # paid to the employer
    number = hires["g1"].id_number
    assert number not in page and number[:4] + "**********" + number[-4:] in page

    everyone = qw.get(f"/policies/runs/{run.pk}/", {"outcome": "all"}).content.decode()
    push = everyone.split('id="push-list"', 1)[1]
    assert push.index("东北街村") < push.index("陈一") < push.index("西南街村") < push.index("陈二")
    assert push.count("乐昌镇") == 1  # one township header for both villages
    assert "✗ Unemployment, work-injury and pension insurance paid for the required months" in push

    village = qw.get(
        f"/policies/runs/{run.pk}/", {"outcome": "all", "region": "141021100201"}
    ).content.decode()
    assert "陈二" in village and "陈一" not in village.split('id="push-list"', 1)[1]
    none = qw.get(f"/policies/runs/{run.pk}/", {"policy": "absorption_subsidy"})
    assert "陈一" not in none.content.decode().split('id="push-list"', 1)[1]
    partial = qw.get(
        f"/policies/runs/{run.pk}/",
        {"outcome": "all"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="push",
    ).content.decode()
    assert "陈二" in partial and "<html" not in partial


def test_full_id_numbers_are_audited(staff, run, hires, qw, client_for):  # noqa: F811
    number = hires["g1"].id_number
    body = qw.get(f"/policies/runs/{run.pk}/", {"full": "1"}).content.decode()
    assert number in body
    assert AuditLog.objects.filter(action="policies.run.view_full").count() == 1
    # A leader may not see full numbers: asking changes nothing and is not audited.
    leader = client_for(staff["province_leader"])
    body = leader.get(f"/policies/runs/{run.pk}/", {"full": "1"}).content.decode()
    assert number not in body and "陈一" in body
    assert AuditLog.objects.filter(action="policies.run.view_full").count() == 1


def _sheet(response):
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    return [list(row) for row in book.active.iter_rows(values_only=True)]


def test_export(run, hires, qw):  # noqa: F811
    rows = _sheet(qw.get(f"/policies/runs/{run.pk}/export/", {"outcome": "all"}))
    header, data = rows[0], rows[1:]
    assert header[:5] == ["Township", "Village or community", "Region code", "Policy", "Subject"]
    assert [r[4] for r in data] == ["陈一", "陈二"]
    assert [r[1] for r in data] == ["东北街村", "西南街村"] and data[0][0] == "乐昌镇"
    assert data[0][5] != hires["g1"].id_number and data[0][5].endswith(hires["g1"].id_number[-4:])
    assert data[0][8] == "yes" and data[0][9] == 1500 and data[1][9] == 0
    assert "Unemployment, work-injury and pension insurance" in data[1][10]
    assert AuditLog.objects.filter(action="policies.run.export").count() == 1
    full = _sheet(qw.get(f"/policies/runs/{run.pk}/export/", {"full": "1"}))
    assert [r[5] for r in full[1:]] == [hires["g1"].id_number]  # eligible only by default
    assert AuditLog.objects.filter(action="policies.run.export_full").count() == 1


def test_export_needs_a_finished_run(staff, hires, qw):  # noqa: F811
    queued = create_run(actor=staff["county_operator"], as_of=AS_OF, region_code=QUWO)
    assert qw.get(f"/policies/runs/{queued.pk}/export/").status_code == 404


def test_api(staff, hires, qw):  # noqa: F811
    response = qw.post(
        "/api/policies/runs",
        json.dumps({"policies": [EXPANSION], "as_of": AS_OF.isoformat(), "region_code": QUWO}),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    run = response.json()
    assert run["status"] == "done" and run["counts"][EXPANSION]["eligible"] == 1
    listing = qw.get("/api/policies/runs").json()
    assert listing["count"] == 1 and listing["items"][0]["id"] == run["id"]
    status = qw.get(f"/api/policies/runs/{run['id']}").json()
    assert status["processed"] == status["total"] == 4
    results = qw.get(f"/api/policies/runs/{run['id']}/results", {"outcome": "all"}).json()
    assert results["count"] == 2
    first = results["items"][0]
    assert first["subject_name"] == "陈一" and first["eligible"] and first["amount"] == 1500
    assert first["id_number"] != hires["g1"].id_number and first["conditions"]["insured"]
    page = qw.get(
        f"/api/policies/runs/{run['id']}/results", {"page_size": 1, "page": 2, "outcome": "all"}
    ).json()
    assert [i["subject_name"] for i in page["items"]] == ["陈二"]
    bad = qw.post(
        "/api/policies/runs",
        json.dumps({"policies": ["nope"], "as_of": AS_OF.isoformat(), "region_code": QUWO}),
        content_type="application/json",
    )
    assert bad.status_code == 400
