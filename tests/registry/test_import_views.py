"""The import pages, through the Django test client: upload → preview → confirm → result."""

from __future__ import annotations

import datetime
import io
import types

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import NoReverseMatch, URLResolver, include, path, reverse
from tests.conftest import valid_id

from jiuye.core.models import AuditLog
from jiuye.registry.models import Person

D = datetime.date


def _urlconf_with_import_pages():
    """The project's URLs plus the import pages in the ``registry`` namespace."""
    from jiuye import urls as root
    from jiuye.registry import import_urls

    module = types.ModuleType("import_test_urls")
    registry = [
        p for p in root.urlpatterns if isinstance(p, URLResolver) and p.namespace == "registry"
    ]
    patterns = [path("import/", include(import_urls))]
    if registry:
        patterns = [*registry[0].url_patterns, *patterns]
    module.urlpatterns = [
        *(p for p in root.urlpatterns if p not in registry),
        path("registry/", include((patterns, "registry"))),
    ]
    return module


@pytest.fixture(autouse=True)
def import_urls(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.LANGUAGE_CODE = "zh-hans"
    try:
        reverse("registry:import")
    except NoReverseMatch:
        # Until the lead wires import_urls into jiuye.registry.urls.
        settings.ROOT_URLCONF = _urlconf_with_import_pages()


def upload(rows, name="台账.xlsx"):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["曲沃县实名制台账"])
    ws.append(["姓名", "身份证号", "现居住地", "学历"])
    for row in rows:
        ws.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


def good_and_bad():
    a, b = (valid_id("141021", D(1990, 1, 1), i) for i in (1, 2))
    return [
        ["张三", a, "乐昌镇东北街村", "本科"],
        ["李四", b, "市府北巷社区", "高中"],  # outside 曲沃县
        ["王五", "141021199001011234", "东北街村", "初中"],  # wrong check digit
    ]


def test_upload_preview_confirm_result_and_error_report(staff, client_for, settings):
    client = client_for(staff["county_operator"])
    page = client.get(reverse("registry:import"))
    assert page.status_code == 200 and "身份证号" in page.content.decode()

    response = client.post(
        reverse("registry:import"), {"kind": "persons", "file": upload(good_and_bad())}
    )
    assert response.status_code == 302
    preview_url = response["Location"]
    token = preview_url.rstrip("/").rsplit("/", 1)[-1]
    assert list((settings.MEDIA_ROOT / "imports").glob(f"{token}.xlsx"))

    body = client.get(preview_url).content.decode()
    assert "不在您的管辖范围内" in body and "身份证号" in body
    assert Person.objects.count() == 0  # the preview writes nothing
    report = client.get(reverse("registry:import_errors", args=[token]))
    assert report.status_code == 200
    assert "attachment" in report["Content-Disposition"]

    run_url = reverse("registry:import_run", args=[token])
    assert client.get(run_url)["Location"] == preview_url  # a GET does not import
    response = client.post(run_url)
    assert response.status_code == 302 and response["Location"] == run_url
    assert Person.objects.count() == 1
    body = client.get(run_url).content.decode()
    assert reverse("registry:import_errors", args=[token]) in body

    report = client.get(reverse("registry:import_errors", args=[token]))
    ws = openpyxl.load_workbook(io.BytesIO(report.content)).active
    rows = list(ws.values)
    assert rows[0][0] == "行号" and rows[0][-1] == "错误原因"
    assert [r[0] for r in rows[1:]] == [4, 5]
    assert "不在您的管辖范围内" in rows[1][-1]

    # Posting again (a double click, a reload) imports nothing twice.
    client.post(run_url)
    assert Person.objects.count() == 1
    assert AuditLog.objects.filter(action="registry.import.persons").count() == 1
    # The uploaded file is gone once imported.
    assert not list((settings.MEDIA_ROOT / "imports").glob(f"{token}.xlsx"))


def test_update_option_and_all_bad_file(staff, client_for, person_factory):
    client = client_for(staff["county_operator"])
    bad = [["王五", "141021199001011234", "东北街村", "初中"]]
    response = client.post(reverse("registry:import"), {"kind": "persons", "file": upload(bad)})
    token = response["Location"].rstrip("/").rsplit("/", 1)[-1]
    body = client.get(response["Location"]).content.decode()
    assert reverse("registry:import_run", args=[token]) not in body  # no import button
    client.post(reverse("registry:import_run", args=[token]))
    body = client.get(reverse("registry:import_run", args=[token])).content.decode()
    assert "全部 1 行均有错误" in body
    assert Person.objects.count() == 0

    person = person_factory("赵六", "141021100200")
    rows = [["赵六", person.id_number, "西南街村", "本科"]]
    response = client.post(
        reverse("registry:import"),
        {"kind": "persons", "file": upload(rows), "update_existing": "on"},
    )
    token = response["Location"].rstrip("/").rsplit("/", 1)[-1]
    client.post(reverse("registry:import_run", args=[token]))
    person.refresh_from_db()
    assert person.region_code == "141021100201"
    assert AuditLog.objects.filter(action="registry.person.update", object_id=str(person.pk))


def test_bad_uploads_are_refused_with_a_message(staff, client_for):
    client = client_for(staff["county_operator"])
    response = client.post(
        reverse("registry:import"),
        {"kind": "persons", "file": SimpleUploadedFile("scan.pdf", b"%PDF-1.4")},
    )
    assert response.status_code == 200 and "errorlist" in response.content.decode()
    # A file without the required columns: the preview names them.
    wb = openpyxl.Workbook()
    wb.active.append(["姓名", "电话"])
    wb.active.append(["张三", "13800000000"])
    buffer = io.BytesIO()
    wb.save(buffer)
    response = client.post(
        reverse("registry:import"),
        {"kind": "persons", "file": SimpleUploadedFile("a.xlsx", buffer.getvalue())},
    )
    body = client.get(response["Location"]).content.decode()
    assert "身份证号" in body and "现居住地" in body


def test_only_staff_with_edit_permission_and_only_the_uploader(staff, client_for):
    leader = client_for(staff["province_leader"])  # VIEW and EXPORT only
    assert leader.get(reverse("registry:import")).status_code == 404
    owner = client_for(staff["county_operator"])
    response = owner.post(
        reverse("registry:import"), {"kind": "persons", "file": upload(good_and_bad())}
    )
    token = response["Location"].rstrip("/").rsplit("/", 1)[-1]
    other = client_for(staff["houma_operator"])
    for name in ("registry:import_preview", "registry:import_run", "registry:import_errors"):
        assert other.get(reverse(name, args=[token])).status_code == 404
    assert other.post(reverse("registry:import_run", args=[token])).status_code == 404
    assert Person.objects.count() == 0
    anonymous = client_for(staff["county_operator"])
    anonymous.logout()
    assert anonymous.get(reverse("registry:import")).status_code == 302


def test_the_file_is_processed_with_the_users_scope(staff, client_for):
    client = client_for(staff["houma_operator"])
    response = client.post(
        reverse("registry:import"), {"kind": "persons", "file": upload(good_and_bad())}
    )
    token = response["Location"].rstrip("/").rsplit("/", 1)[-1]
    client.post(reverse("registry:import_run", args=[token]))
    assert list(Person.objects.values_list("name", "region_code")) == [("李四", "141081001001")]
