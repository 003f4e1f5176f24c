"""Entitlement, application and budget pages, exports and API: what they show and do, the
action buttons each user gets (only those they may use), and that every endpoint answers 404
for a 曲沃 object to a 侯马 user."""

from __future__ import annotations

import io
import json

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone, translation
from tests.policies import entitlement_fixtures as fx

from jiuye.core.models import AuditLog
from jiuye.policies import applications, entitlements
from jiuye.policies.models import Application, Entitlement, FundBudget


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def w(staff, person_factory, monkeypatch, settings, tmp_path):
    w = fx.build_world(staff, person_factory, monkeypatch, settings, tmp_path)
    year = timezone.localdate().year
    w.year = year
    w.budget = fx.budget(100_000, fund="ui_fund", year=year)
    run = fx.run_for()
    fx.result_for(w.quwo, run=run, facts={"exclusion_key": "k1", "age_at_hire": 23})
    fx.result_for(w.quwo2, run=run, facts={"exclusion_key": "k2"})
    entitlements.grant_from_run(run=run, actor=w.u.county_operator)
    w.e = Entitlement.objects.get(subject_id=w.quwo.pk)
    w.e2 = Entitlement.objects.get(subject_id=w.quwo2.pk)
    w.run = run
    w.app = fx.draft(w)
    w.material = applications.upload_material(
        w.app, actor=w.u.county_operator, kind="id_card", upload=fx.pdf()
    )
    return w


def _get(client, name, *args, **query):
    return client.get(reverse(name, args=args), query)


# ---- scoping: every endpoint ------------------------------------------------------------------


PAGES = [
    ("get", "policies:entitlement_detail", "e"),
    ("get", "policies:entitlement_confirm", "e"),
    ("post", "policies:entitlement_confirm", "e"),
    ("post", "policies:entitlement_decline", "e"),
    ("post", "policies:entitlement_approve", "e"),
    ("post", "policies:entitlement_reject", "e"),
    ("get", "policies:application_detail", "app"),
    ("post", "policies:application_upload", "app"),
    ("post", "policies:application_submit", "app"),
    ("post", "policies:application_withdraw", "app"),
    ("post", "policies:application_advance", "app"),
    ("get", "policies:application_material", "material"),
    ("post", "policies:application_material_delete", "material"),
    ("get", "policies:budget_edit", "budget"),
    ("post", "policies:budget_edit", "budget"),
    ("get", "api:policies_entitlement_detail", "e"),
    ("post", "api:policies_entitlement_confirm", "e"),
    ("post", "api:policies_entitlement_approve", "e"),
    ("post", "api:policies_entitlement_reject", "e"),
    ("get", "api:policies_application_detail", "app"),
    ("post", "api:policies_application_advance", "app"),
]


def _args(w, kind):
    if kind == "material":
        return [w.app.pk, w.material.pk]
    return [getattr(w, kind).pk]


@pytest.mark.parametrize(("method", "name", "kind"), PAGES)
def test_houma_user_gets_404_for_quwo_objects(w, client_for, method, name, kind):
    for user in (w.u.houma_operator, w.u.houma_reviewer):
        client = client_for(user)
        url = reverse(name, args=_args(w, kind))
        if name.startswith("api:") and method == "post":
            body = {"reason": "x", "action": "approve", "account_holder": "a", "bank_name": "b"}
            body["bank_account"] = "1" * 16
            r = client.post(url, json.dumps(body), content_type="application/json")
        else:
            r = getattr(client, method)(url, {"reason": "x", "action": "approve", "amount": "1"})
        assert r.status_code == 404, (name, user, r.status_code)
    # Nothing changed.
    w.e.refresh_from_db()
    w.app.refresh_from_db()
    assert (w.e.status, w.app.status) == ("awaiting", "draft")
    assert w.app.materials.count() == 1


def test_lists_exports_and_grant_are_scoped(w, client_for):
    houma = client_for(w.u.houma_operator)
    r = _get(houma, "policies:entitlements")
    assert r.status_code == 200 and "张三" not in r.content.decode()
    r = _get(houma, "policies:applications")
    assert r.status_code == 200 and "张三" not in r.content.decode()
    r = _get(houma, "policies:budgets")
    assert r.status_code == 200 and "100000" not in r.content.decode()
    r = _get(houma, "policies:entitlement_export")
    wb = openpyxl.load_workbook(io.BytesIO(r.content))
    assert wb.active.max_row == 1  # the header only
    r = _get(houma, "api:policies_entitlement_list")
    assert r.json()["count"] == 0
    r = _get(houma, "api:policies_application_list")
    assert r.json()["count"] == 0
    r = houma.post(reverse("policies:entitlement_grant"), {"run": w.run.pk})
    assert r.status_code == 404
    r = houma.post(reverse("policies:budget_create"), {})
    assert r.status_code == 200  # the form; creating in 曲沃 is refused below
    r = houma.post(
        reverse("policies:budget_create"),
        {"fund": "ui_fund", "region_code": fx.QUWO, "year": w.year + 1, "amount": "1"},
    )
    assert not FundBudget.objects.filter(year=w.year + 1).exists()
    # A leader has no EDIT: the create and import pages do not exist for them.
    leader = client_for(w.u.province_leader)
    assert _get(leader, "policies:budget_create").status_code == 404
    assert leader.post(reverse("policies:budget_import")).status_code == 404
    assert _get(leader, "policies:application_create").status_code == 404


# ---- entitlement pages ------------------------------------------------------------------------


def test_entitlement_list_and_filters(w, client_for):
    client = client_for(w.u.county_operator)
    r = _get(client, "policies:entitlements")
    body = r.content.decode()
    assert "张三" in body and "李四" in body
    r = _get(client, "policies:entitlements", status="approved")
    assert "张三" not in r.content.decode()
    r = client.get(reverse("policies:entitlements"), {"fund": "ui_fund"}, HTTP_HX_REQUEST="true")
    assert "张三" in r.content.decode() and "<html" not in r.content.decode()


def test_detail_shows_why_and_only_allowed_buttons(w, client_for):
    operator = client_for(w.u.county_operator)
    body = _get(operator, "policies:entitlement_detail", w.e.pk).content.decode()
    assert "age_at_hire" in body and "Insured for the required months" in body
    assert reverse("policies:entitlement_confirm", args=[w.e.pk]) in body
    assert reverse("policies:entitlement_approve", args=[w.e.pk]) not in body
    assert reverse("policies:entitlement_reject", args=[w.e.pk]) not in body

    r = operator.post(
        reverse("policies:entitlement_confirm", args=[w.e.pk]),
        {"account_holder": "张三", "bank_name": "农行", "bank_account": "6228 4801 2345 6789"},
    )
    assert r.status_code == 302
    w.e.refresh_from_db()
    assert w.e.status == "confirmed"
    body = _get(operator, "policies:entitlement_detail", w.e.pk).content.decode()
    assert "************6789" in body and "6228480123456789" not in body

    reviewer = client_for(w.u.county_reviewer)
    body = _get(reviewer, "policies:entitlement_detail", w.e.pk).content.decode()
    assert reverse("policies:entitlement_approve", args=[w.e.pk]) in body
    assert reverse("policies:entitlement_confirm", args=[w.e.pk]) not in body
    assert 'id="budget"' in body
    r = reviewer.post(reverse("policies:entitlement_approve", args=[w.e.pk]))
    assert r.status_code == 302
    w.e.refresh_from_db()
    assert w.e.status == "approved"
    # An operator posting the approval is refused with a message, nothing changes.
    r = operator.post(reverse("policies:entitlement_approve", args=[w.e2.pk]), follow=True)
    assert r.status_code == 404  # approving needs REVIEW: an operator finds nothing
    w.e2.refresh_from_db()
    assert w.e2.status == "awaiting"


def test_confirm_page_shows_errors(w, client_for):
    client = client_for(w.u.county_operator)
    r = client.post(
        reverse("policies:entitlement_confirm", args=[w.e.pk]),
        {"account_holder": "张三", "bank_name": "农行", "bank_account": "12345"},
    )
    assert r.status_code == 200 and "12 to 30 digits" in r.content.decode()


def test_reject_and_decline_pages(w, client_for):
    reviewer = client_for(w.u.county_reviewer)
    reviewer.post(reverse("policies:entitlement_reject", args=[w.e.pk]), {"reason": "不符合"})
    w.e.refresh_from_db()
    assert (w.e.status, w.e.note) == ("rejected", "不符合")
    operator = client_for(w.u.county_operator)
    operator.post(reverse("policies:entitlement_decline", args=[w.e2.pk]), {"reason": ""})
    w.e2.refresh_from_db()
    assert w.e2.status == "declined"


def test_export(w, client_for):
    entitlements.confirm_account(
        w.e,
        actor=w.u.county_operator,
        account_holder="张三",
        bank_name="农行",
        bank_account="6228480123456789",
    )
    r = _get(client_for(w.u.county_operator), "policies:entitlement_export", policy="test_hire")
    assert r["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = list(openpyxl.load_workbook(io.BytesIO(r.content)).active.values)
    assert len(rows) == 3
    assert any("************6789" in row for row in rows)
    assert not any("6228480123456789" in row for row in rows)
    assert AuditLog.objects.filter(action="policies.entitlement.export").exists()


def test_grant_page(w, client_for):
    run = fx.run_for()
    fx.result_for(w.quwo, run=run, period="2026", facts={"exclusion_key": "k1"})
    r = client_for(w.u.county_operator).post(
        reverse("policies:entitlement_grant"), {"run": run.pk}, follow=True
    )
    assert "1 refused by an exclusion rule" in r.content.decode()


# ---- application pages ------------------------------------------------------------------------


def test_create_application_through_the_page(w, client_for):
    client = client_for(w.u.county_operator)
    r = _get(client, "policies:application_create")
    assert "test_subsidy" in r.content.decode()
    r = _get(client, "policies:application_create", policy="test_recognition")
    assert 'name="form_category"' in r.content.decode()
    r = client.post(
        reverse("policies:application_create"),
        {
            "policy": "test_recognition",
            "subject": w.quwo2.id_number,
            "period": "2025",
            "form_category": "dibao",
            "form_circumstances": "低保户，失业一年",
            "form_pledge": "on",
        },
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    a = Application.objects.get(policy="test_recognition")
    assert (a.subject_id, a.form["category"]) == (w.quwo2.pk, "dibao")
    # A 侯马 person is not found for a 曲沃 officer.
    r = client.post(
        reverse("policies:application_create"),
        {
            "policy": "test_recognition",
            "subject": w.houma.id_number,
            "period": "2025",
            "form_category": "dibao",
            "form_circumstances": "x",
            "form_pledge": "on",
        },
    )
    assert r.status_code == 200 and "Not found in your regions" in r.content.decode()


def test_application_detail_upload_submit_and_decide(w, client_for):
    operator = client_for(w.u.county_operator)
    url = reverse("policies:application_detail", args=[w.app.pk])
    body = operator.get(url).content.decode()
    assert reverse("policies:application_upload", args=[w.app.pk]) in body
    assert 'name="action"' not in body  # a draft has no decision to take

    r = operator.post(
        reverse("policies:application_upload", args=[w.app.pk]),
        {"kind": "other", "file": fx.pdf("x.pdf", fx.PNG)},
        follow=True,
    )
    assert "not a PDF file" in r.content.decode()
    r = operator.post(
        reverse("policies:application_upload", args=[w.app.pk]),
        {"kind": "other", "file": fx.pdf("扫描件.png", fx.PNG)},
        follow=True,
    )
    assert "扫描件.png" in r.content.decode()
    r = _get(operator, "policies:application_material", w.app.pk, w.material.pk)
    assert b"".join(r.streaming_content) == fx.PDF

    operator.post(reverse("policies:application_submit", args=[w.app.pk]))
    w.app.refresh_from_db()
    assert (w.app.status, w.app.step) == ("in_progress", "accept")

    # The operator may decide 受理; the reviewer sees no buttons; the village sees nothing.
    body = operator.get(url).content.decode()
    assert 'value="approve"' in body and 'value="reject"' in body
    reviewer = client_for(w.u.county_reviewer)
    assert 'name="action"' not in reviewer.get(url).content.decode()
    r = reviewer.post(
        reverse("policies:application_advance", args=[w.app.pk]), {"action": "approve"}, follow=True
    )
    assert "decided by the County" in r.content.decode()
    operator.post(reverse("policies:application_advance", args=[w.app.pk]), {"action": "approve"})
    w.app.refresh_from_db()
    assert w.app.step == "first_review"
    body = reviewer.get(url).content.decode()
    assert 'value="approve"' in body
    assert 'name="action"' not in operator.get(url).content.decode()


def test_application_list_filters(w, client_for):
    b = fx.submitted(w, w.quwo2, today=fx.MONDAY)  # long overdue by now
    client = client_for(w.u.county_operator)
    body = _get(client, "policies:applications", overdue="on").content.decode()
    assert f'href="{reverse("policies:application_detail", args=[b.pk])}"' in body
    assert f'href="{reverse("policies:application_detail", args=[w.app.pk])}"' not in body
    assert "Overdue" in body
    body = _get(client, "policies:applications", step="first_review").content.decode()
    assert "李四" not in body
    body = _get(client, "policies:applications", mine="on").content.decode()
    assert "李四" in body
    body = _get(client_for(w.u.county_reviewer), "policies:applications", mine="on").content
    assert "李四" not in body.decode()


def test_withdraw_page(w, client_for):
    client_for(w.u.county_operator).post(
        reverse("policies:application_withdraw", args=[w.app.pk]), {"comment": "撤回"}
    )
    w.app.refresh_from_db()
    assert w.app.status == "withdrawn"


# ---- budget pages -----------------------------------------------------------------------------


def test_budget_pages(w, client_for):
    entitlements.confirm_account(
        w.e, actor=w.u.county_operator, account_holder="a", bank_name="b", bank_account="1" * 16
    )
    entitlements.approve(w.e, actor=w.u.county_reviewer)
    client = client_for(w.u.county_operator)
    body = _get(client, "policies:budgets").content.decode()
    assert "1500.00" in body and "98500.00" in body
    r = client.post(
        reverse("policies:budget_create"),
        {"fund": "employment_fund", "region_code": fx.LECHANG, "year": w.year, "amount": "300"},
    )
    assert r.status_code == 302
    assert FundBudget.objects.filter(region_code=fx.LECHANG).exists()
    r = client.post(reverse("policies:budget_edit", args=[w.budget.pk]), {"amount": "1000"})
    assert "already committed" in r.content.decode()
    r = client.post(reverse("policies:budget_edit", args=[w.budget.pk]), {"amount": "2000"})
    assert r.status_code == 302
    w.budget.refresh_from_db()
    assert w.budget.amount == 2000

    wb = openpyxl.Workbook()
    wb.active.append(["资金", "区划代码", "年度", "预算金额"])
    wb.active.append(["失业保险基金", "141021100000", w.year, 700])
    wb.active.append(["失业保险基金", "141081", w.year, 700])
    buf = io.BytesIO()
    wb.save(buf)
    upload = fx.pdf("预算.xlsx", buf.getvalue())
    r = client.post(reverse("policies:budget_import"), {"file": upload}, follow=True)
    body = r.content.decode()
    assert "1 created" in body and "Row 3" in body


# ---- API --------------------------------------------------------------------------------------


def _post_json(client, name, *args, **body):
    return client.post(reverse(name, args=args), json.dumps(body), content_type="application/json")


def test_entitlement_api(w, client_for):
    operator = client_for(w.u.county_operator)
    r = _get(operator, "api:policies_entitlement_list", status="awaiting")
    assert r.json()["count"] == 2
    r = _get(operator, "api:policies_entitlement_detail", w.e.pk)
    data = r.json()
    assert data["conditions"][0]["code"] == "target_group" and data["facts"]["age_at_hire"] == 23
    r = _post_json(
        operator,
        "api:policies_entitlement_confirm",
        w.e.pk,
        account_holder="张三",
        bank_name="农行",
        bank_account="6228480123456789",
    )
    assert r.status_code == 200 and r.json()["bank_account"] == "************6789"
    r = _post_json(operator, "api:policies_entitlement_approve", w.e.pk)
    assert r.status_code == 403
    reviewer = client_for(w.u.county_reviewer)
    r = _post_json(reviewer, "api:policies_entitlement_approve", w.e.pk)
    assert r.status_code == 200 and r.json()["status"] == "approved"
    r = _post_json(reviewer, "api:policies_entitlement_approve", w.e.pk)
    assert r.status_code == 409
    r = _post_json(reviewer, "api:policies_entitlement_reject", w.e2.pk, reason="重复")
    assert r.json()["status"] == "rejected"


def test_entitlement_api_budget_exhausted(w, client_for):
    w.budget.amount = 1000
    w.budget.save()
    entitlements.confirm_account(
        w.e, actor=w.u.county_operator, account_holder="a", bank_name="b", bank_account="1" * 16
    )
    r = _post_json(client_for(w.u.county_reviewer), "api:policies_entitlement_approve", w.e.pk)
    assert r.status_code == 409 and r.json()["code"] == "conflict"
    assert "Not enough budget" in r.json()["message"]


def test_application_api(w, client_for):
    applications.submit(w.app, actor=w.u.county_operator)
    reviewer = client_for(w.u.county_reviewer)
    r = _get(reviewer, "api:policies_application_detail", w.app.pk)
    data = r.json()
    assert data["available_actions"] == [] and "bank_account_enc" not in data["form"]
    assert data["materials"][0]["sha256"] == w.material.sha256
    r = _post_json(reviewer, "api:policies_application_advance", w.app.pk, action="approve")
    assert r.status_code == 403
    operator = client_for(w.u.county_operator)
    r = _get(operator, "api:policies_application_list", mine=True)
    assert r.json()["count"] == 1
    r = _post_json(operator, "api:policies_application_advance", w.app.pk, action="approve")
    assert r.status_code == 200 and r.json()["step"] == "first_review"
    r = _post_json(reviewer, "api:policies_application_advance", w.app.pk, action="return")
    assert r.status_code == 400  # a return needs a comment
    r = _post_json(
        reviewer, "api:policies_application_advance", w.app.pk, action="return", comment="补材料"
    )
    assert r.json()["status"] == "returned"
    assert [h["action"] for h in r.json()["history"]] == ["submit", "approve", "return"]
    r = _post_json(reviewer, "api:policies_application_advance", w.app.pk, action="fly")
    assert r.status_code == 422
