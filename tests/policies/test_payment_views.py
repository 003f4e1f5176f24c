"""The payment, blacklist and performance pages and API through the test client: the flows a
clerk follows, and scope — a 侯马 user gets 404 for every 曲沃 batch, entry, export and
endpoint."""

from __future__ import annotations

import csv
import datetime
import io
import json

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from tests.policies.test_blacklist import xlsx as blacklist_xlsx
from tests.policies.test_payments import (
    ACCOUNT,
    entitlement,
    make_employer,
    result_csv,
    result_xlsx,
)

from jiuye.core.models import AuditLog
from jiuye.policies import blacklist, payments
from jiuye.policies.models import (
    BatchStatus,
    BlacklistEntry,
    Entitlement,
    Fund,
    PaymentBatch,
    PaymentItem,
)
from jiuye.web import panels

D = datetime.date
QUWO = "141021000000"
HOUMA = "141081000000"
UI = Fund.UNEMPLOYMENT_INSURANCE
API = "/api/policies/payments"


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def qw(staff, client_for):
    return client_for(staff["county_operator"])


@pytest.fixture
def hm(staff, client_for):
    return client_for(staff["houma_operator"])


@pytest.fixture
def world(staff, person_factory):
    """A 曲沃 batch with two approved entitlements waiting and a 曲沃 blacklist entry."""
    admin, operator = staff["province_admin"], staff["county_operator"]
    employer = make_employer(admin, 1, "141021100000", "曲沃测试企业")
    houma_employer = make_employer(admin, 2, "141081001000", "侯马测试企业")
    people = [person_factory(f"人{i}", "141021100200") for i in range(3)]
    ents = [entitlement(p, payee=employer) for p in people]
    batch = payments.create_batch(
        actor=operator,
        name="曲沃第1批",
        fund=UI,
        region_code=QUWO,
        declared_count=2,
        declared_total="3000",
    )
    entry = blacklist.add_entry(
        actor=operator, employer=employer, listed_on=D(2024, 3, 1), reason="拖欠工资"
    )
    return {
        "employer": employer,
        "houma_employer": houma_employer,
        "people": people,
        "ents": ents,
        "batch": batch,
        "entry": entry,
    }


# ---- scope: every URL of these pages and endpoints -------------------------------------------


def test_a_houma_user_gets_404_for_every_quwo_object(world, hm):
    batch, entry, employer = world["batch"], world["entry"], world["employer"]
    pk = batch.pk
    pages = [
        ("get", f"/policies/payments/{pk}/", {}),
        ("post", f"/policies/payments/{pk}/add/", {"entitlement": [world["ents"][0].pk]}),
        ("post", f"/policies/payments/{pk}/export/", {"format": "xlsx"}),
        ("post", f"/policies/payments/{pk}/result/", {"file": _upload(result_xlsx([]))}),
        ("get", f"/policies/blacklist/{entry.pk}/edit/", {}),
        (
            "post",
            f"/policies/blacklist/{entry.pk}/edit/",
            {"reason": "x", "listed_on": "2024-03-01"},
        ),
        ("post", f"/policies/blacklist/{entry.pk}/remove/", {"removed_on": "2024-05-01"}),
        ("get", f"/policies/blacklist/employer/{employer.pk}/", {}),
        ("get", "/policies/performance/", {"region": QUWO}),
        ("get", "/policies/performance/export/", {"region": QUWO}),
        ("get", f"{API}/batches/{pk}", {}),
        ("post", f"{API}/batches/{pk}/export", {}),
        ("post", f"{API}/batches/{pk}/result", {"file": _upload(result_xlsx([]))}),
    ]
    for method, url, data in pages:
        response = getattr(hm, method)(url, data)
        assert response.status_code == 404, (method, url, response.status_code)
    response = hm.post(
        f"{API}/batches/{pk}/items",
        json.dumps({"entitlement_ids": [world["ents"][0].pk]}),
        content_type="application/json",
    )
    assert response.status_code == 404
    # Nothing changed, nothing leaked into lists.
    batch.refresh_from_db()
    assert batch.status == BatchStatus.OPEN and not batch.items.exists()
    entry.refresh_from_db()
    assert entry.removed_on is None and entry.reason == "拖欠工资"
    assert (
        b"\xe6\x9b\xb2\xe6\xb2\x83\xe7\xac\xac1\xe6\x89\xb9"
        not in hm.get("/policies/payments/").content
    )
    assert hm.get(f"{API}/batches").json()["count"] == 0
    assert hm.get(f"{API}/blacklist").json()["count"] == 0
    assert "曲沃测试企业" not in hm.get("/policies/blacklist/").content.decode()


def test_a_houma_user_cannot_create_in_quwo(world, hm):
    response = hm.post(
        "/policies/payments/new/",
        {"name": "x", "fund": UI, "region_code": QUWO, "declared_count": 1, "declared_total": 1},
    )
    assert response.status_code == 200 and "outside your jurisdiction" in response.content.decode()
    response = hm.post(
        f"{API}/batches",
        json.dumps(
            {"name": "x", "fund": UI, "region_code": QUWO, "declared_count": 1, "declared_total": 1}
        ),
        content_type="application/json",
    )
    assert response.status_code == 403
    response = hm.post(
        "/policies/blacklist/new/",
        {"uscc": world["employer"].uscc, "listed_on": "2024-01-01", "reason": "x"},
    )
    assert "No employer with that credit code" in response.content.decode()
    report = hm.post(
        "/policies/blacklist/import/",
        {
            "file": _upload(
                blacklist_xlsx([(world["employer"].uscc, "", "2024-01-02", "", "x", "", "")])
            )
        },
    ).context["report"]
    assert report.created == 0 and "registered in your region" in report.errors[0].reason
    assert PaymentBatch.objects.count() == 1 and BlacklistEntry.objects.count() == 1


def test_pages_need_the_permission(world, staff, client_for):
    leader = client_for(staff["province_leader"])  # view and export, no edit
    assert leader.get(f"/policies/payments/{world['batch'].pk}/").status_code == 200
    assert leader.get("/policies/payments/new/").status_code == 404
    assert leader.post(f"/policies/payments/{world['batch'].pk}/add/").status_code == 404
    assert leader.get("/policies/blacklist/new/").status_code == 404
    assert leader.get("/policies/blacklist/import/").status_code == 404
    assert leader.get(f"/policies/blacklist/{world['entry'].pk}/edit/").status_code == 404
    assert leader.get("/policies/performance/export/", {"region": QUWO}).status_code == 200


# ---- payment pages ---------------------------------------------------------------------------


def _upload(buf):
    return SimpleUploadedFile(buf.name, buf.getvalue())


def test_the_clerks_path_through_the_pages(world, qw, staff):
    # New batch through the form.
    response = qw.post(
        "/policies/payments/new/",
        {
            "name": "曲沃第2批",
            "fund": UI,
            "region_code": QUWO,
            "declared_count": 2,
            "declared_total": "3000.00",
        },
    )
    batch = PaymentBatch.objects.get(name="曲沃第2批")
    assert response.status_code == 302 and response.url == f"/policies/payments/{batch.pk}/"

    detail = qw.get(f"/policies/payments/{batch.pk}/")
    body = detail.content.decode()
    assert detail.context["candidate_counts"] == {"count": 3, "fit": 2}
    assert ACCOUNT not in body and "6222***********5678" in body  # masked on the page

    # Add all that fit: two of the three.
    response = qw.post(
        f"/policies/payments/{batch.pk}/add/", {"all": "1", "policy": "", "region": ""}
    )
    assert response.status_code == 302
    assert batch.items.count() == 2
    # The third is refused: the declaration is full.
    third = Entitlement.objects.get(status="approved")
    qw.post(f"/policies/payments/{batch.pk}/add/", {"entitlement": [third.pk]})
    assert batch.items.count() == 2
    messages = [str(m) for m in qw.get(f"/policies/payments/{batch.pk}/").context["messages"]]
    assert any("beyond the declared count" in m for m in messages)

    # The bank file.
    response = qw.post(f"/policies/payments/{batch.pk}/export/", {"format": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[2] == payments.BANK_COLUMNS and rows[3][2] == ACCOUNT
    batch.refresh_from_db()
    assert batch.status == BatchStatus.EXPORTED
    response = qw.post(f"/policies/payments/{batch.pk}/export/", {"format": "xlsx"})
    assert openpyxl.load_workbook(io.BytesIO(response.content)).active["A1"].value == "批次名称"

    # The bank's result with one bad row.
    items = list(batch.items.order_by("id"))
    upload = _upload(
        result_xlsx(
            [
                (items[0].pk, "成功", "B1", ""),
                (items[1].pk, "失败", "", "销户"),
                (42, "成功", "", ""),
            ]
        )
    )
    response = qw.post(f"/policies/payments/{batch.pk}/result/", {"file": upload})
    assert response.status_code == 200
    body = response.content.decode()
    errors = body.split('id="result-errors"', 1)[1].split("</table>", 1)[0]
    assert '<td class="num">5</td>' in errors and "42" in errors
    report = response.context["report"]
    assert (report.paid, report.failed) == (1, 1)
    assert [i.status for i in batch.items.order_by("id")] == ["paid", "failed"]

    # The list shows the batch with its counts.
    listing = qw.get("/policies/payments/", {"status": "reconciled"}).content.decode()
    assert "曲沃第2批" in listing


def test_result_upload_errors(world, qw):
    batch = world["batch"]
    response = qw.post(
        f"/policies/payments/{batch.pk}/result/", {"file": SimpleUploadedFile("r.pdf", b"x")}
    )
    assert response.status_code == 400
    # An open batch shows no upload form at all, and refuses a posted file with a reason.
    assert 'id="bank-result"' not in qw.get(f"/policies/payments/{batch.pk}/").content.decode()
    response = qw.post(
        f"/policies/payments/{batch.pk}/result/", {"file": _upload(result_xlsx([(1, "成功")]))}
    )
    assert response.status_code == 400 and "export the bank file first" in response.content.decode()


def test_export_of_an_empty_batch_is_refused_with_a_message(world, qw):
    response = qw.post(f"/policies/payments/{world['batch'].pk}/export/", {"format": "xlsx"})
    assert response.status_code == 302
    world["batch"].refresh_from_db()
    assert world["batch"].status == BatchStatus.OPEN


def test_list_filters_and_htmx(world, qw):
    response = qw.get(
        "/policies/payments/", {"fund": UI, "q": "第1"}, headers={"HX-Request": "true"}
    )
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body and "曲沃第1批" in body
    assert "曲沃第1批" not in qw.get("/policies/payments/", {"status": "exported"}).content.decode()


# ---- the API ---------------------------------------------------------------------------------


def test_api_flow(world, qw):
    response = qw.post(
        f"{API}/batches",
        json.dumps(
            {
                "name": "API批",
                "fund": UI,
                "region_code": QUWO,
                "declared_count": 3,
                "declared_total": "4500",
            }
        ),
        content_type="application/json",
    )
    assert response.status_code == 201
    batch_id = response.json()["id"]
    ids = [e.pk for e in world["ents"]]
    response = qw.post(
        f"{API}/batches/{batch_id}/items",
        json.dumps({"entitlement_ids": ids}),
        content_type="application/json",
    )
    assert response.status_code == 201
    data = response.json()
    assert data["item_count"] == 3 and data["items"][0]["bank_account_masked"].endswith("5678")
    assert ACCOUNT not in response.content.decode()
    # A fourth would go beyond the declaration: a clear 400.
    extra = entitlement(world["people"][0], policy="skills_subsidy", payee=world["employer"])
    response = qw.post(
        f"{API}/batches/{batch_id}/items",
        json.dumps({"entitlement_ids": [extra.pk]}),
        content_type="application/json",
    )
    assert response.status_code == 400 and response.json()["code"] == "invalid"

    response = qw.post(f"{API}/batches/{batch_id}/export?format=csv")
    assert response.status_code == 200 and ACCOUNT in response.content.decode("utf-8-sig")
    items = PaymentItem.objects.filter(batch_id=batch_id).order_by("id")
    file = result_csv(
        [(items[0].pk, "成功", "B1", ""), (items[1].pk, "失败", "", "x"), ("?", "成功", "", "")]
    )
    response = qw.post(f"{API}/batches/{batch_id}/result", {"file": _upload(file)})
    assert response.status_code == 200
    data = response.json()
    assert (data["paid"], data["failed"], len(data["errors"])) == (1, 1, 1)
    assert data["errors"][0]["row"] == 4 and data["batch"]["status"] == "exported"

    listing = qw.get(f"{API}/batches", {"status": "exported"}).json()
    assert listing["count"] == 1 and listing["items"][0]["paid_count"] == 1
    detail = qw.get(f"{API}/batches/{batch_id}").json()
    assert [i["status"] for i in detail["items"]] == ["paid", "failed", "pending"]


def test_api_blacklist_list(world, qw):
    data = qw.get(f"{API}/blacklist", {"q": "曲沃"}).json()
    assert data["count"] == 1
    item = data["items"][0]
    assert item["employer_uscc"] == world["employer"].uscc and item["reason"] == "拖欠工资"
    assert item["ends_on"] == "2027-03-01"


# ---- blacklist pages -------------------------------------------------------------------------


def test_blacklist_pages(world, qw):
    employer = world["employer"]
    listing = qw.get("/policies/blacklist/", {"q": "曲沃"}).content.decode()
    assert "曲沃测试企业" in listing and "拖欠工资" in listing

    response = qw.post(
        "/policies/blacklist/new/",
        {"uscc": employer.uscc.lower(), "listed_on": "2023-01-01", "reason": "再次拖欠"},
    )
    assert response.status_code == 302
    entry = BlacklistEntry.objects.get(listed_on=D(2023, 1, 1))

    response = qw.post(
        f"/policies/blacklist/{entry.pk}/edit/",
        {"listed_on": "2023-01-01", "reason": "再次拖欠", "authority": "曲沃县人社局"},
    )
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.authority == "曲沃县人社局"
    response = qw.post(
        f"/policies/blacklist/{entry.pk}/edit/",
        {"listed_on": "2023-01-01", "removed_on": "2022-01-01", "reason": "x"},
    )
    assert response.status_code == 200 and "before the date of listing" in response.content.decode()

    assert (
        qw.post(f"/policies/blacklist/{entry.pk}/remove/", {"removed_on": "2023-06-01"}).status_code
        == 302
    )
    entry.refresh_from_db()
    assert entry.removed_on == D(2023, 6, 1)


def test_blacklist_import_page_reports_row_errors(world, qw):
    employer = world["employer"]
    file = blacklist_xlsx(
        [
            (employer.uscc, "", "2024-05-05", "", "拖欠", "", ""),
            ("91141021XXXXXXXXXX", "", "2024-05-05", "", "拖欠", "", ""),
        ]
    )
    response = qw.post("/policies/blacklist/import/", {"file": _upload(file)})
    assert response.status_code == 200
    body = response.content.decode()
    errors = body.split('id="import-errors"', 1)[1].split("</table>", 1)[0]
    assert '<td class="num">4</td>' in errors and "统一社会信用代码" in errors
    assert response.context["report"].created == 1
    assert (
        qw.post(
            "/policies/blacklist/import/", {"file": SimpleUploadedFile("a.txt", b"x")}
        ).status_code
        == 400
    )


def test_employer_panel(world, qw, client_for, staff):
    employer = world["employer"]
    assert any(
        p["key"] == "blacklist"
        for p in panels.panels_for("employer", employer, staff["county_operator"])
    )
    response = qw.get(
        f"/policies/blacklist/employer/{employer.pk}/", headers={"HX-Request": "true"}
    )
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body
    assert 'data-listed="1"' in body and "拖欠工资" in body
    other = qw.get(f"/policies/blacklist/employer/{world['houma_employer'].pk}/")
    assert other.status_code == 404
    houma = client_for(staff["houma_operator"]).get(
        f"/policies/blacklist/employer/{world['houma_employer'].pk}/"
    )
    assert houma.status_code == 200 and 'data-listed="0"' in houma.content.decode()


def test_navigation_and_audit_labels(world, qw):
    from jiuye.core.audit import label_for

    body = qw.get("/policies/payments/").content.decode()
    for key in ("payment_batches", "blacklist", "fund_performance"):
        assert f'data-nav="{key}"' in body
    assert label_for("policies.payment_batch.export") == "Bank payment file exported"
    assert label_for("policies.blacklist.add") != "policies.blacklist.add"
    assert AuditLog.objects.filter(action="policies.payment_batch.create").exists()
