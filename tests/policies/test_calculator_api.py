"""The policy calculator and catalogue over HTTP: ``POST /api/policies/calculate``,
``GET /api/policies/``, ``GET /api/policies/{code}``, ``GET /api/policies/schema``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from jiuye.accounts import actions as account_actions
from jiuye.policies.inputs import SCHEMA
from jiuye.policies.rules import all_policies

CALCULATE = "/api/policies/calculate"
EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"


def graduate() -> dict:
    return json.loads((EXAMPLES / "graduate-small-firm.json").read_text(encoding="utf-8"))


def post(client, body, **extra):
    if not isinstance(body, str | bytes):
        body = json.dumps(body)
    return client.post(CALCULATE, body, content_type="application/json", **extra)


def expansion(answer: dict) -> dict:
    (policy,) = [p for p in answer["policies"] if p["code"] == "expansion_subsidy"]
    return policy


def test_url_names():
    assert reverse("api:policies_calculate") == CALCULATE
    assert reverse("api:policies_list") == "/api/policies/"
    assert reverse("api:policies_schema") == "/api/policies/schema"
    assert reverse("api:policies_detail", args=["expansion_subsidy"]) == (
        "/api/policies/expansion_subsidy"
    )


def test_calculates_every_policy_by_default(staff, client_for):
    response = post(client_for(staff["county_operator"]), graduate())
    assert response.status_code == 200
    answer = response.json()
    assert answer["as_of"] == "2025-10-10"
    assert [p["code"] for p in answer["policies"]] == list(all_policies())
    (result,) = expansion(answer)["results"]
    assert result["subject"] == "p1" and result["payee"] == "e1"
    assert result["eligible"] is True and result["amount"] == 1500
    assert result["outcome"] == "eligible"
    codes = [c["code"] for c in result["conditions"]]
    assert codes == [c.code for c in all_policies()["expansion_subsidy"].conditions]
    assert all(c["passed"] for c in result["conditions"])
    insured = next(c for c in result["conditions"] if c["code"] == "insured")
    assert "3" in insured["detail"]


def test_the_answer_names_the_parameter_values_and_their_references(staff, client_for):
    policy = expansion(post(client_for(staff["county_operator"]), graduate()).json())
    params = {p["name"]: p for p in policy["parameters"]}
    amount = params["expansion_subsidy.amount"]
    assert amount["version"] == "expansion_subsidy.amount@2022-07-01"
    (value,) = amount["values"]
    assert value["value"] == 1500 and value["from"] == "2022-07-01"
    assert value["to"] == "2025-12-31" and "人社部发〔2022〕41号" in value["reference"]
    # The hire was in 2025: the 3-month rule of 2024–2025 applied, not the 1-month one of 2023.
    (months,) = params["expansion_subsidy.min_insured_months"]["values"]
    assert months["value"] == 3


def test_policies_in_the_body_select_policies(staff, client_for):
    situation = {**graduate(), "policies": ["expansion_subsidy"]}
    answer = post(client_for(staff["county_operator"]), situation).json()
    assert [p["code"] for p in answer["policies"]] == ["expansion_subsidy"]


def test_chinese_by_default_english_on_request(staff, client_for):
    client = client_for(staff["county_operator"])
    zh = post(client, graduate())
    assert zh["Content-Language"] == "zh-hans"
    answer = zh.json()
    assert answer["language"] == "zh-hans"
    with translation.override("zh-hans"):
        assert expansion(answer)["results"][0]["outcome_label"] == translation.gettext("Eligible")
        assert expansion(answer)["results"][0]["conditions"][0]["label"] == str(
            all_policies()["expansion_subsidy"].conditions[0].label
        )
        assert expansion(answer)["name"] == str(all_policies()["expansion_subsidy"].name)
    en = post(client, graduate(), HTTP_ACCEPT_LANGUAGE="en")
    assert en["Content-Language"] == "en"
    answer = en.json()
    assert answer["language"] == "en"
    assert expansion(answer)["name"] == "One-off job-expansion subsidy"
    assert expansion(answer)["results"][0]["outcome_label"] == "Eligible"
    with translation.override("en"):
        assert expansion(answer)["results"][0]["conditions"][0]["label"] == str(
            all_policies()["expansion_subsidy"].conditions[0].label
        )


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda s: s["people"][0].update(birth_date="2002-13-01"), "people[0].birth_date"),
        (lambda s: s["hires"][0].update(person_id="nobody"), "hires[0].person_id"),
        (lambda s: s["hires"][0].update(contract_months="long"), "hires[0].contract_months"),
        (lambda s: s.pop("as_of"), "as_of"),
        (lambda s: s.update(as_of="yesterday"), "as_of"),
        (lambda s: s.update(policies=["no_such_policy"]), "policies"),
        (lambda s: s["people"][0].update(favourite_colour="blue"), "people[0]"),
        (lambda s: s.update(hires={"not": "a list"}), "hires"),
        (lambda s: s.update(planets=[]), ""),
    ],
)
def test_bad_situations_answer_422_naming_the_field(staff, client_for, change, field):
    situation = graduate()
    change(situation)
    response = post(client_for(staff["county_operator"]), situation, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid"
    assert body["detail"]["field"] == field
    assert body["message"].startswith("The situation cannot be read")
    if field:
        assert field in body["message"]


def test_bodies_that_are_not_json_objects(staff, client_for):
    client = client_for(staff["county_operator"])
    for body, fragment in [
        ('{"as_of": ', "not valid JSON"),
        ("", "empty"),
        ("[1, 2]", "must be a JSON object"),
        (b"\xff\xfe", "UTF-8"),
    ]:
        response = post(client, body, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 422, body
        assert response.json()["code"] == "invalid"
        assert fragment in response.json()["message"], response.json()


def test_an_as_of_date_before_the_policies_is_a_422_on_as_of(staff, client_for):
    situation = {**graduate(), "as_of": "1990-01-01"}
    response = post(client_for(staff["county_operator"]), situation)
    assert response.status_code == 422
    assert response.json()["detail"]["field"] == "as_of"


def test_unauthenticated_calls_get_401():
    for response in (
        post(Client(), graduate()),
        Client().get("/api/policies/"),
        Client().get("/api/policies/schema"),
        Client().get("/api/policies/expansion_subsidy"),
    ):
        assert response.status_code == 401
        assert response.json()["code"] == "not_authenticated"


def test_an_api_token_may_calculate(staff):
    _row, token = account_actions.create_api_token(
        actor=staff["county_admin"], user=staff["county_operator"], name="社保对接"
    )
    response = post(Client(), graduate(), HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200
    assert expansion(response.json())["results"][0]["eligible"] is True


def test_no_region_scope_everyone_gets_the_same_answer(staff, client_for):
    """The calculator holds no regional data: a 侯马 operator calculating a 曲沃 situation gets
    the same answer as a 曲沃 operator, and a village worker the same as the province."""
    situation = graduate()  # people and employer in 曲沃县
    answers = {
        name: post(client_for(staff[name]), situation).json()
        for name in ("county_operator", "houma_operator", "village_operator", "province_leader")
    }
    first = answers.pop("county_operator")
    for answer in answers.values():
        assert answer == first


def test_policy_list(staff, client_for):
    response = client_for(staff["houma_operator"]).get("/api/policies/")
    assert response.status_code == 200
    rows = {p["code"]: p for p in response.json()}
    assert list(rows) == list(all_policies())
    row = rows["expansion_subsidy"]
    assert row["fund"] == "ui_fund" and row["no_application"] is True and row["pays"] is True
    assert "人社部发〔2022〕41号" in row["reference"]
    assert set(row) >= {"code", "name", "reference", "fund", "no_application", "pays"}


def test_policy_detail_with_conditions_and_dated_parameters(staff, client_for):
    response = client_for(staff["county_operator"]).get("/api/policies/expansion_subsidy")
    assert response.status_code == 200
    detail = response.json()
    assert [c["code"] for c in detail["conditions"]] == [
        c.code for c in all_policies()["expansion_subsidy"].conditions
    ]
    assert detail["conditions"][0]["gate"] is True
    params = {p["name"]: p for p in detail["parameters"]}
    months = params["expansion_subsidy.min_insured_months"]
    assert [(v["value"], v["from"], v["to"]) for v in months["values"]] == [
        (1, "2022-07-01", "2023-12-31"),
        (3, "2024-01-01", "2025-12-31"),
    ]
    assert all(v["reference"] for v in months["values"])
    assert months["shared"] is False and months["unconfirmed"] is False
    # Shared parameters the rule reads are listed too, flagged as shared.
    assert params["blacklist.blocks_subsidies"]["shared"] is True


def test_every_policy_has_a_detail(staff, client_for):
    client = client_for(staff["county_operator"])
    for code, policy in all_policies().items():
        response = client.get(f"/api/policies/{code}")
        assert response.status_code == 200, code
        assert len(response.json()["conditions"]) == len(policy.conditions)


def test_unconfirmed_parameters_are_flagged(staff, client_for):
    from jiuye.policies.parameters import all_parameters

    client = client_for(staff["county_operator"])
    definitions = all_parameters()
    seen = 0
    for code in all_policies():
        for p in client.get(f"/api/policies/{code}").json()["parameters"]:
            assert p["unconfirmed"] is definitions[p["name"]].unconfirmed, p["name"]
            seen += p["unconfirmed"]
    # common.yaml marks the default retirement category of women UNCONFIRMED; every rule that
    # reads the working age shows it.
    assert definitions["retirement.default_female_category"].unconfirmed
    assert seen


def test_unknown_policy_is_404(staff, client_for):
    response = client_for(staff["county_operator"]).get("/api/policies/no_such_policy")
    assert response.status_code == 404


def test_schema_lists_every_column(staff, client_for):
    response = client_for(staff["county_operator"]).get("/api/policies/schema")
    assert response.status_code == 200
    body = response.json()
    entities = {e["entity"]: e for e in body["entities"]}
    assert set(entities) == set(SCHEMA)
    for entity, columns in SCHEMA.items():
        assert [c["name"] for c in entities[entity]["columns"]] == [c.name for c in columns]
    assert entities["person"]["key"] == "people"
    props = body["json_schema"]["properties"]
    assert set(props["people"]["items"]["properties"]) == {c.name for c in SCHEMA["person"]}
    assert body["json_schema"]["required"] == ["as_of"]


def test_openapi_documents_the_calculator(staff, client_for):
    schema = client_for(staff["county_operator"]).get("/api/openapi.json").json()
    calculate = schema["paths"][CALCULATE]["post"]
    body = calculate["requestBody"]["content"]["application/json"]
    assert "people" in body["schema"]["properties"]
    assert "/api/policies/{code}" in schema["paths"]


@pytest.mark.parametrize("name", sorted(p.name for p in EXAMPLES.glob("*.json")))
def test_the_documented_response_schema_describes_the_answer(staff, client_for, name):
    """The answer is written out directly (no second validation, for speed); the OpenAPI
    schema must still describe it exactly, field for field and in order."""
    from jiuye.policies.api.catalogue import CalculationOut

    body = (EXAMPLES / name).read_bytes()
    response = client_for(staff["county_operator"]).post(
        CALCULATE, body, content_type="application/json"
    )
    assert response["Content-Type"].startswith("application/json")
    answer = response.json()
    dumped = CalculationOut.model_validate(answer).model_dump(mode="json", by_alias=True)
    assert dumped == answer
    assert json.dumps(dumped) == json.dumps(answer)  # the same key order too


def test_the_detail_path_does_not_shadow_sibling_routes():
    """``/api/policies/{code}`` is mounted before the runs, entitlements and payments routers;
    only known policy codes match it, so ``/api/policies/runs`` still reaches the runs API."""
    from django.urls import Resolver404, resolve

    assert resolve("/api/policies/expansion_subsidy").url_name == "policies_detail"
    for path in ("/api/policies/runs", "/api/policies/entitlements", "/api/policies/payments"):
        try:
            match = resolve(path)
        except Resolver404:
            continue  # that sibling has no route at its root
        assert match.url_name != "policies_detail", path
    with pytest.raises(Resolver404):
        resolve("/api/policies/no_such_policy")
