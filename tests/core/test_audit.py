import json

from django.test import Client

from jiuye.core.models import AuditLog
from jiuye.regions import actions
from jiuye.regions.models import ServicePoint


def test_service_point_create_and_update_write_audit_rows(staff, regions):
    actor = staff["county_operator"]
    point = actions.create_service_point(
        actor=actor, kind="gig_station", name="西南街村零工驿站", region_code="141021100201"
    )
    actions.update_service_point(actor=actor, point=point, opening_hours="每日 7:00-19:00")
    rows = list(AuditLog.objects.filter(object_type="regions.servicepoint").order_by("id"))
    assert [r.action for r in rows] == [
        "regions.service_point.create",
        "regions.service_point.update",
    ]
    assert rows[0].actor == actor and rows[0].region_code == "141021100201"
    assert rows[0].after["name"] == "西南街村零工驿站"
    assert rows[1].before == {"opening_hours": ""}
    assert rows[1].after == {"opening_hours": "每日 7:00-19:00"}


def test_unchanged_update_writes_nothing(staff, points):
    actions.update_service_point(
        actor=staff["county_operator"], point=points["quwo_market"], name="曲沃县公共零工市场"
    )
    assert not AuditLog.objects.filter(action="regions.service_point.update").exists()


def test_audit_row_records_the_client_ip(staff, regions):
    client = Client(REMOTE_ADDR="10.14.21.7")
    client.force_login(staff["county_operator"])
    client.post(
        "/api/service-points/",
        json.dumps({"kind": "gig_station", "name": "东北街村驿站", "region_code": "141021100200"}),
        content_type="application/json",
    )
    row = AuditLog.objects.get(action="regions.service_point.create")
    assert row.ip_address == "10.14.21.7"
    assert row.actor_username == "qw_operator"


def test_page_edit_writes_audit(staff, points, client_for):
    client = client_for(staff["county_operator"])
    point = points["quwo_market"]
    response = client.post(
        f"/regions/service-points/{point.pk}/edit/",
        {
            "kind": "gig_market",
            "name": "曲沃县零工市场",
            "region_code": "141021000000",
            "address": "曲沃县乐昌镇",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    assert ServicePoint.objects.get(pk=point.pk).name == "曲沃县零工市场"
    row = AuditLog.objects.get(action="regions.service_point.update")
    assert row.before == {"name": "曲沃县公共零工市场"}


def test_audit_page_filters(staff, client_for):
    AuditLog.objects.create(
        action="regions.service_point.create",
        region_code="141021000000",
        actor_username="qw_operator",
        object_repr="甲",
    )
    AuditLog.objects.create(
        action="accounts.user.create",
        region_code="141021000000",
        actor_username="qw_admin",
        object_repr="乙",
    )
    client = client_for(staff["province_admin"])
    body = client.get("/audit/", {"action": "regions."}).content.decode()
    assert "甲" in body and ">乙<" not in body
    body = client.get("/audit/", {"actor": "qw_admin"}).content.decode()
    assert "乙" in body
