"""Every registry page, export and API endpoint is limited to the caller's region."""

import datetime
import io
import json

import openpyxl
import pytest

from jiuye.core.models import AuditLog
from jiuye.registry import actions
from jiuye.registry.models import EventKind

D = datetime.date


@pytest.fixture
def world(staff, person_factory):
    admin = staff["province_admin"]
    quwo = person_factory("曲沃人", "141021100200", phone="13800001111")
    houma = person_factory("侯马人", "141081001001", phone="13900002222")
    e_quwo = actions.register_employer(
        actor=admin, uscc="91350100M000100Y43", name="曲沃公司", region_code="141021100000"
    )
    h_quwo = actions.create_household(actor=admin, region_code="141021100200", head=quwo)
    h_houma = actions.create_household(actor=admin, region_code="141081001001", head=houma)
    actions.record_event(
        actor=admin, person=houma, kind=EventKind.UNEMPLOYMENT, occurred_on=D(2025, 1, 1)
    )
    return {"quwo": quwo, "houma": houma, "e_quwo": e_quwo, "h_quwo": h_quwo, "h_houma": h_houma}


@pytest.fixture
def qw(staff, client_for):
    return client_for(staff["county_operator"])


def test_person_pages(qw, world):
    houma = world["houma"].pk
    assert qw.get(f"/registry/people/{world['quwo'].pk}/").status_code == 200
    for url in (f"/registry/people/{houma}/", f"/registry/people/{houma}/edit/"):
        assert qw.get(url).status_code == 404
    for action in ("full-id", "events", "memberships", "certificates", "intentions", "edit"):
        assert qw.post(f"/registry/people/{houma}/{action}/", {}).status_code == 404
    listing = qw.get("/registry/people/").content.decode()
    assert "曲沃人" in listing and "侯马人" not in listing
    # Searching by another county's phone or name finds nothing.
    assert "侯马人" not in qw.get("/registry/people/", {"q": "13900002222"}).content.decode()
    assert (
        "侯马人"
        not in qw.get("/registry/people/", {"region_code": "141081000000"}).content.decode()
    )


def test_person_search_by_id_number_and_phone(qw, world):
    number = world["quwo"].id_number
    assert "曲沃人" in qw.get("/registry/people/", {"q": number}).content.decode()
    assert "曲沃人" in qw.get("/registry/people/", {"q": "13800001111"}).content.decode()
    assert "曲沃人" not in qw.get("/registry/people/", {"q": number[:-1] + "0"}).content.decode()


def test_person_export_is_scoped_and_masked(qw, world):
    response = qw.get("/registry/people/export/")
    wb = openpyxl.load_workbook(io.BytesIO(response.content))
    rows = list(wb.active.iter_rows(min_row=2, values_only=True))
    assert [r[0] for r in rows] == ["曲沃人"]
    assert "*" in rows[0][1] and rows[0][1] != world["quwo"].id_number
    assert AuditLog.objects.filter(action="registry.person.export").exists()


def test_full_export_needs_the_permission(staff, client_for, world):
    leader = client_for(staff["province_leader"])  # may export, may not see full numbers
    rows = list(
        openpyxl.load_workbook(
            io.BytesIO(leader.get("/registry/people/export/", {"full": "1"}).content)
        ).active.iter_rows(min_row=2, values_only=True)
    )
    assert all("*" in r[1] for r in rows)
    reviewer = client_for(staff["county_reviewer"])
    rows = list(
        openpyxl.load_workbook(
            io.BytesIO(reviewer.get("/registry/people/export/", {"full": "1"}).content)
        ).active.iter_rows(min_row=2, values_only=True)
    )
    assert rows[0][1] == world["quwo"].id_number
    assert AuditLog.objects.filter(action="registry.person.export_full").exists()


def test_full_id_view_is_audited(staff, client_for, world):
    reviewer = client_for(staff["county_reviewer"])
    body = reviewer.post(f"/registry/people/{world['quwo'].pk}/full-id/").content.decode()
    assert world["quwo"].id_number in body
    assert AuditLog.objects.filter(action="registry.person.view_full_id").count() == 1
    leader = client_for(staff["province_leader"])
    assert leader.post(f"/registry/people/{world['quwo'].pk}/full-id/").status_code == 404
    page = leader.get(f"/registry/people/{world['quwo'].pk}/").content.decode()
    assert world["quwo"].id_number not in page


def test_household_and_employer_pages(qw, world):
    assert qw.get(f"/registry/households/{world['h_quwo'].pk}/").status_code == 200
    assert qw.get(f"/registry/households/{world['h_houma'].pk}/").status_code == 404
    assert qw.post(f"/registry/households/{world['h_houma'].pk}/members/", {}).status_code == 404
    assert "141081" not in qw.get("/registry/households/").content.decode().split("<main")[1]
    assert qw.get(f"/registry/employers/{world['e_quwo'].pk}/").status_code == 200
    listing = qw.get("/registry/employers/").content.decode()
    assert "曲沃公司" in listing


def test_employer_out_of_scope(staff, client_for, world):
    hm = client_for(staff["houma_operator"])
    assert hm.get(f"/registry/employers/{world['e_quwo'].pk}/").status_code == 404
    assert "曲沃公司" not in hm.get("/registry/employers/").content.decode()
    export = hm.get("/registry/employers/export/")
    assert openpyxl.load_workbook(io.BytesIO(export.content)).active.max_row == 1


def test_registry_api(qw, world):
    houma = world["houma"].pk
    listing = qw.get("/api/registry/people").json()
    assert [p["name"] for p in listing["items"]] == ["曲沃人"]
    assert "*" in listing["items"][0]["id_number"]
    for url in (
        f"/api/registry/people/{houma}",
        f"/api/registry/people/{houma}/events",
        f"/api/registry/people/{houma}/memberships",
        f"/api/registry/households/{world['h_houma'].pk}",
    ):
        response = qw.get(url)
        assert response.status_code == 404, url
        assert response.json()["code"] == "not_found"
    created = qw.post(
        f"/api/registry/people/{houma}/events",
        json.dumps({"kind": "unemployment_end", "occurred_on": "2025-06-01"}),
        content_type="application/json",
    )
    assert created.status_code == 404
    assert qw.get(f"/api/registry/employers/{world['e_quwo'].pk}").status_code == 200
    assert qw.get("/api/registry/employers").json()["count"] == 1


def test_api_full_view_is_audited(staff, client_for, world):
    reviewer = client_for(staff["county_reviewer"])
    body = reviewer.get(f"/api/registry/people/{world['quwo'].pk}", {"full": "true"}).json()
    assert body["id_number"] == world["quwo"].id_number
    assert AuditLog.objects.filter(action="registry.person.view_full_id").exists()
    leader = client_for(staff["province_leader"])
    assert (
        leader.get(f"/api/registry/people/{world['quwo'].pk}", {"full": "true"}).status_code == 403
    )


def test_api_create_person_and_event(qw, world):
    from tests.conftest import valid_id

    response = qw.post(
        "/api/registry/people",
        json.dumps(
            {
                "name": "新人",
                "id_number": valid_id("141021", D(1999, 9, 9), 5),
                "region_code": "141021100201",
            }
        ),
        content_type="application/json",
    )
    assert response.status_code == 201
    pid = response.json()["id"]
    event = qw.post(
        f"/api/registry/people/{pid}/events",
        json.dumps({"kind": "employment", "occurred_on": "2025-05-05", "form": "flexible"}),
        content_type="application/json",
    )
    assert event.status_code == 201
    assert qw.get(f"/api/registry/people/{pid}").json()["employment_status"] == "employed"
    outside = qw.post(
        "/api/registry/people",
        json.dumps(
            {
                "name": "越权",
                "id_number": valid_id("141081", D(1999, 9, 9), 6),
                "region_code": "141081001001",
            }
        ),
        content_type="application/json",
    )
    assert outside.status_code == 403


def test_duplicate_candidates_and_merge(qw, staff, person_factory):
    a = person_factory("张伟", birth=D(1988, 8, 8))
    b = person_factory("张 伟", birth=D(1988, 8, 8))
    person_factory("李娜", birth=D(1988, 8, 8))
    far = person_factory("张伟", "141081001001", birth=D(1988, 8, 8))
    body = qw.get("/registry/duplicates/").content.decode()
    assert body.count("张伟") == 2 and f"/registry/people/{far.pk}/" not in body
    response = qw.post("/registry/people/merge/", {"keep": a.pk, "duplicate": b.pk})
    assert response.status_code == 302
    b.refresh_from_db()
    assert b.merged_into_id == a.pk
    assert (
        qw.post("/registry/people/merge/", {"keep": a.pk, "duplicate": far.pk}).status_code == 404
    )


def test_create_pages_need_edit_rights_and_refuse_other_regions(staff, client_for, world):
    leader = client_for(staff["province_leader"])
    for url in (
        "/registry/people/new/",
        "/registry/employers/new/",
        "/registry/households/new/",
        "/registry/duplicates/",
    ):
        assert leader.get(url).status_code == 404, url
    qw = client_for(staff["county_operator"])
    from tests.conftest import valid_id

    response = qw.post(
        "/registry/people/new/",
        {
            "name": "越权",
            "id_number": valid_id("141081", D(1990, 1, 1), 9),
            "region_code": "141081001001",
            "ethnicity": "01",
        },
    )
    assert response.status_code == 200  # the form again, with the error
    response = qw.post(
        "/registry/employers/new/",
        {"uscc": "91350100M000100Y43", "name": "x", "region_code": "141081001000"},
    )
    assert response.status_code == 200
    response = qw.post(
        "/registry/households/new/",
        {"head_id_number": world["houma"].id_number, "region_code": "141081001001"},
    )
    assert response.status_code == 200
    assert not AuditLog.objects.filter(
        action="registry.household.create",
        region_code="141081001001",
        actor=staff["county_operator"],
    ).exists()


def test_labour_brands_page_is_scoped(staff, client_for):
    from jiuye.registry.models import LabourBrand

    LabourBrand.objects.create(name="曲沃品牌", region_code="141021000000")
    LabourBrand.objects.create(name="太原品牌", region_code="140105000000")
    body = client_for(staff["county_operator"]).get("/registry/brands/").content.decode()
    assert "曲沃品牌" in body and "太原品牌" not in body


def test_people_list_drills_down_the_region_tree(qw, world):
    body = qw.get("/registry/people/").content.decode()
    assert 'href="?region_code=141021100000"' in body  # 乐昌镇, a township of the county
    assert 'href="?region_code=141081000000"' not in body
    body = qw.get("/registry/people/", {"region_code": "141021100000"}).content.decode()
    assert 'href="?region_code=141021100200"' in body and "曲沃人" in body
    body = qw.get("/registry/people/", {"region_code": "141021101000"}).content.decode()
    assert "曲沃人" not in body  # 史村镇 has nobody
