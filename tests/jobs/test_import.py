"""Importing job postings: ``jiuye import postings`` and the import page share the registry's
machinery (preview writes nothing, bad rows reported with reasons, re-runs harmless)."""

from __future__ import annotations

import datetime
import io
import sys
import types
from dataclasses import dataclass

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from jiuye.core.models import AuditLog
from jiuye.jobs import imports as jobs_imports
from jiuye.jobs.models import Posting, PostingStatus
from jiuye.registry.imports import KINDS, error_report_xlsx, preview_import, run_import

from .conftest import QUWO_TOWN, make_uscc

CODER = "jiuye.registry.occupation_coder"
HEADER = [
    "单位统一社会信用代码",
    "岗位名称",
    "职业编码",
    "招聘人数",
    "月薪",
    "学历要求",
    "年龄要求",
    "工作地点",
    "岗位类型",
    "有效期起",
    "有效期止",
    "岗位描述",
    "外部编号",
]


def write_xlsx(path, rows, header=HEADER):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["曲沃县2026年春季岗位需求表"])
    ws.append(header)
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


@dataclass
class Match:
    code: str
    name: str
    score: float


@pytest.fixture
def coder(monkeypatch):
    """A stand-in for the occupation coder another helper writes: 叉车司机 codes confidently,
    杂工 does not."""
    module = types.ModuleType(CODER)
    module.AUTO_CODE_THRESHOLD = 0.8
    table = {
        "仓库叉车司机": [Match("4-02-05-01", "装卸搬运工", 0.91)],
        "杂工": [Match("4-02-05-01", "装卸搬运工", 0.3)],
    }
    module.code_title = lambda title: table.get(title, [])
    monkeypatch.setitem(sys.modules, CODER, module)
    return module


@pytest.fixture
def no_coder(monkeypatch):
    """As if the occupation coder were not installed."""
    monkeypatch.setattr(jobs_imports, "code_titles", lambda titles: {})


def test_without_the_coder_nothing_is_coded(monkeypatch):
    monkeypatch.setitem(sys.modules, CODER, None)  # importing it raises ImportError
    assert jobs_imports.code_titles(["电焊工"]) == {}


def rows(employers):
    quwo = employers["quwo"].uscc
    return [
        # 3: good, code given, range wage and age, 见习
        [quwo, "白酒酿造工", "6-02-06-03", 5, "3000-5000", "高中", "18-45", "乐昌镇", "全职",
         "2026-03-01", "2026-12-31", "负责酿造生产，男女不限。", "QW-001"],
        # 4: good, no code (auto-coded), 面议, forbidden phrases in the description
        [quwo, "仓库叉车司机", None, "若干", "面议", "不限", None, "141021100000", "零工",
         "2026/3/1", "2026年12月31日", "限男性，本地户口优先", None],
        # 5: bad: unknown employer
        [make_uscc(77), "电工", "6-31-01-03", 1, None, None, None, "乐昌镇", None,
         "2026-03-01", "2026-12-31", None, None],
        # 6: bad: a workplace outside the jurisdiction and an inverted wage range
        [quwo, "保安员", "4-07-05-01", 2, "5000-3000", None, None, "侯马市", None,
         "2026-03-01", "2026-12-31", None, None],
        # 7: bad: occupation too broad, minimum age below 16, ends before it starts
        [quwo, "普工", "6", 1, None, None, "15-30", "乐昌镇", None,
         "2026-06-01", "2026-03-01", None, None],
        # 8: good, not coded (the coder is not sure)
        [quwo, "杂工", None, 1, "3k-4k", None, "45岁以下", "乐昌镇", "兼职",
         "2026-03-01", "2026-12-31", None, None],
    ]  # fmt: skip


def test_import_good_and_bad_rows(tmp_path, staff, employers, coder):
    path = write_xlsx(tmp_path / "postings.xlsx", rows(employers))
    operator = staff["county_operator"]
    preview = preview_import("postings", path, "postings.xlsx", actor=operator)
    assert (preview.total_rows, preview.valid_rows, preview.would_create) == (6, 3, 3)
    assert not Posting.objects.exists()  # a preview writes nothing
    result = run_import("postings", path, "postings.xlsx", actor=operator)
    assert (result.created, result.invalid_rows) == (3, 3)
    assert result.extra == {"auto_coded": 1, "flagged": 1, "submitted": 0}
    errors = {}
    for e in result.iter_errors():
        errors.setdefault(e.row, []).append((e.column, e.reason))
    assert [c for c, _r in errors[5]] == ["单位统一社会信用代码"]
    assert {c for c, _r in errors[6]} == {"工作地点", "月薪"}
    assert "within your jurisdiction" in " ".join(r for _c, r in errors[6])
    assert {c for c, _r in errors[7]} == {"职业编码", "年龄要求", "有效期止"}

    brew = Posting.objects.get(external_id="QW-001")
    assert (brew.title, brew.headcount, brew.wage_min, brew.wage_max) == (
        "白酒酿造工",
        5,
        3000,
        5000,
    )
    assert (brew.education, brew.age_min, brew.age_max) == ("60", 18, 45)
    assert (brew.region_code, brew.status, brew.kind) == (
        QUWO_TOWN,
        PostingStatus.DRAFT,
        "full_time",
    )
    assert brew.valid_from == datetime.date(2026, 3, 1) and brew.created_by == operator
    assert brew.longitude is not None and brew.review_flags == []
    forklift = Posting.objects.get(title="仓库叉车司机")
    assert (forklift.occupation_code, forklift.occupation_coded_by) == ("4-02-05-01", "auto")
    assert forklift.occupation_score == pytest.approx(0.91)
    assert (forklift.headcount, forklift.wage_min, forklift.education, forklift.kind) == (
        1,
        None,
        "",
        "gig",
    )
    assert [f["phrase"] for f in forklift.review_flags] == ["限男性", "本地户口优先"]
    assert forklift.review_flags[0]["field"] == "description"
    odd = Posting.objects.get(title="杂工")
    assert (odd.occupation_code, odd.occupation_coded_by) == ("", "")
    assert (odd.wage_min, odd.wage_max, odd.age_min, odd.age_max) == (3000, 4000, None, 45)
    assert AuditLog.objects.filter(action="jobs.posting.import_create").count() == 3
    summary = AuditLog.objects.get(action="registry.import.postings")
    assert summary.after["created"] == 3 and summary.after["flagged"] == 1

    # The error report: 行号, the file's columns, 错误原因.
    report = openpyxl.load_workbook(io.BytesIO(error_report_xlsx(result))).active
    values = list(report.values)
    assert values[0][0] == "行号" and values[0][-1] == "错误原因"
    assert [r[0] for r in values[1:]] == [5, 6, 7]
    assert "jurisdiction" in values[2][-1]


def test_rerun_creates_nothing_and_update_changes_drafts(tmp_path, staff, employers, coder):
    operator = staff["county_operator"]
    path = write_xlsx(tmp_path / "p.xlsx", rows(employers))
    run_import("postings", path, "p.xlsx", actor=operator)
    again = run_import("postings", path, "p.xlsx", actor=operator)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert Posting.objects.count() == 3
    # Same external id, new headcount: with "update existing", the draft takes it.
    changed = rows(employers)
    changed[0][3] = 8
    changed[0][1] = "白酒酿造工（熟手）"
    path = write_xlsx(tmp_path / "p2.xlsx", changed)
    quiet = run_import("postings", path, "p2.xlsx", actor=operator)
    assert (quiet.created, quiet.updated) == (0, 0)
    result = run_import("postings", path, "p2.xlsx", actor=operator, update_existing=True)
    assert result.updated == 1
    brew = Posting.objects.get(external_id="QW-001")
    assert (brew.headcount, brew.title) == (8, "白酒酿造工(熟手)")  # NFKC, as every cell
    row = AuditLog.objects.get(action="jobs.posting.import_update")
    assert row.before == {"title": "白酒酿造工", "headcount": 5}
    # Once submitted, a posting is changed on its page, not by an import.
    Posting.objects.filter(pk=brew.pk).update(status=PostingStatus.REVIEW)
    changed[0][3] = 9
    path = write_xlsx(tmp_path / "p3.xlsx", changed)
    result = run_import("postings", path, "p3.xlsx", actor=operator, update_existing=True)
    assert result.updated == 0 and result.invalid_rows == 4
    assert Posting.objects.get(pk=brew.pk).headcount == 8


def test_status_column_and_duplicates_in_the_file(tmp_path, staff, employers, no_coder):
    quwo = employers["quwo"].uscc
    header = ["信用代码", "职位名称", "职业代码", "工作地点", "截止日期", "状态", "岗位编号"]
    path = write_xlsx(
        tmp_path / "s.xlsx",
        [
            [quwo, "电工", "6-31-01-03", "乐昌镇", "2099-12-31", "待审核", "A1"],
            [quwo, "焊工", None, "乐昌镇", "2099-12-31", "待审核", "A2"],  # no code to submit
            [quwo, "车工", "6-18-01-01", "乐昌镇", "2099-12-31", "已发布", "A3"],
            [quwo, "电工二", "6-31-01-03", "乐昌镇", "2099-12-31", None, "A1"],  # duplicate id
        ],
        header=header,
    )
    result = run_import("postings", path, "s.xlsx", actor=staff["county_operator"])
    assert result.created == 1 and result.extra["submitted"] == 1
    posting = Posting.objects.get()
    assert (posting.status, posting.external_id) == (PostingStatus.REVIEW, "A1")
    reasons = {e.row: e.reason for e in result.iter_errors()}
    assert "occupation code" in reasons[4]
    assert "go through review" in reasons[5]
    assert "Duplicate of row 3" in reasons[6]


def test_the_command_and_the_kind_registration(tmp_path, staff, employers, no_coder):
    assert "postings" in KINDS
    path = write_xlsx(tmp_path / "c.xlsx", rows(employers))
    out = io.StringIO()
    errors = tmp_path / "errors.xlsx"
    call_command(
        "import",
        "postings",
        str(path),
        "--user",
        staff["county_operator"].username,
        "--errors",
        str(errors),
        stdout=out,
    )
    assert "created 3" in out.getvalue()
    assert errors.is_file()
    # Without the occupation coder the title stays uncoded.
    assert Posting.objects.get(title="仓库叉车司机").occupation_code == ""


def test_the_import_page_offers_postings(
    tmp_path, staff, employers, client_for, settings, no_coder
):
    settings.MEDIA_ROOT = tmp_path / "media"
    client = client_for(staff["county_operator"])
    page = client.get("/registry/import/").content.decode()
    assert 'value="postings"' in page and "单位统一社会信用代码" in page
    buffer = io.BytesIO()
    write_xlsx(buffer, rows(employers))
    upload = SimpleUploadedFile("岗位.xlsx", buffer.getvalue())
    response = client.post("/registry/import/", {"kind": "postings", "file": upload})
    assert response.status_code == 302
    preview = client.get(response["Location"])
    assert preview.status_code == 200 and not Posting.objects.exists()
    run = client.post(response["Location"] + "run/")
    assert run.status_code == 302 and Posting.objects.count() == 3
    # Another county's operator cannot use this upload (it lives in the uploader's session).
    other = client_for(staff["houma_operator"])
    assert other.get(response["Location"]).status_code == 404


def test_the_real_occupation_coder(tmp_path, staff, employers):
    pytest.importorskip(CODER)
    quwo = employers["quwo"].uscc
    header = ["单位统一社会信用代码", "岗位名称", "工作地点", "有效期止"]
    path = write_xlsx(
        tmp_path / "r.xlsx",
        [[quwo, "电焊工", "乐昌镇", "2099-12-31"], [quwo, "保洁阿姨", "乐昌镇", "2099-12-31"]],
        header=header,
    )
    result = run_import("postings", path, "r.xlsx", actor=staff["county_operator"])
    assert result.extra["auto_coded"] == 2
    coded = dict(Posting.objects.values_list("title", "occupation_code"))
    assert coded == {"电焊工": "6-18-02-04", "保洁阿姨": "4-09-08-01"}
    assert set(Posting.objects.values_list("occupation_coded_by", flat=True)) == {"auto"}
