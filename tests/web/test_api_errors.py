import json

from django.test import Client


def test_anonymous_api_call_gets_json_401(regions):
    response = Client().get("/api/regions/")
    assert response.status_code == 401
    body = response.json()
    assert body["code"] == "not_authenticated"
    assert body["message"] == "请先登录。"


def test_validation_errors_are_json_with_a_code(staff, client_for):
    client = client_for(staff["county_operator"])
    response = client.post(
        "/api/service-points/", json.dumps({"kind": "gig_station"}), content_type="application/json"
    )
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid"
    assert {tuple(d["loc"])[-1] for d in body["detail"]} >= {"name", "region_code"}


def test_errors_follow_the_language(staff, client_for):
    client = client_for(staff["county_operator"])
    response = client.get("/api/regions/141081000000", HTTP_ACCEPT_LANGUAGE="en")
    assert response.json()["message"] == "Not found, or outside your region."
    response = client.get("/api/regions/141081000000")
    assert response.json()["message"] == "对象不存在，或不在您的管辖范围内。"


def test_openapi_docs_are_served(staff, client_for):
    client = client_for(staff["county_operator"])
    assert client.get("/api/docs").status_code == 200
    schema = client.get("/api/openapi.json").json()
    assert "/api/service-points/" in schema["paths"]
    # The docs page loads its assets from our own static files, never a CDN.
    assert "cdn" not in client.get("/api/docs").content.decode().lower()
