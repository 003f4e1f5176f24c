"""The error report (.xlsx with 行号 and 错误原因) and the ``jiuye import`` command."""

from __future__ import annotations

import datetime
import io

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from django.utils import translation
from tests.conftest import valid_id

from jiuye.core.models import AuditLog
from jiuye.registry.imports import error_report_xlsx, preview_import, run_import
from jiuye.registry.models import Person

D = datetime.date
HEADER = ["序号", "姓名", "身份证号", "出生日期", "现居住地", "学历"]


@pytest.fixture(autouse=True)
def chinese():
    with translation.override("zh-hans"):
        yield


def write_xlsx(path, header, rows, *, title=None):
    wb = openpyxl.Workbook()
    ws = wb.active
    if title:
        ws.append([title])
    ws.append(header)
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def ids(n):
    return [valid_id("141021", D(1990, 1, 1), i) for i in range(1, n + 1)]


@pytest.fixture
def mixed_file(tmp_path):
    a, b, c, d = ids(4)
    rows = [
        [1, "张三", a, D(1990, 1, 1), "东北街村", "本科"],
        [2, "李四", a, None, "东北街村", "本科"],  # duplicate of row 3
        [3, "王五", b[:-1] + ("0" if b[-1] != "0" else "1"), None, "西南街村", "高中"],
        [4, "赵六", c, "1990-02-30", "桃花源村", "幼儿园"],  # three errors
        [5, "钱七", d, "1990年1月1日", "西南街村", "初中"],
    ]
    return write_xlsx(tmp_path / "台账.xlsx", HEADER, rows, title="曲沃县实名制台账")


def test_error_report_lists_bad_rows_with_reasons(mixed_file, staff):
    result = run_import("persons", mixed_file, mixed_file.name, actor=staff["county_operator"])
    assert (result.created, result.invalid_rows) == (2, 3)
    wb = openpyxl.load_workbook(io.BytesIO(error_report_xlsx(result)))
    ws = wb.active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0] == ("行号", *HEADER, "错误原因")
    assert [r[0] for r in rows[1:]] == [4, 5, 6]
    assert rows[1][1:3] == (2, "李四")  # the original cells, as they were
    assert rows[1][-1].startswith("身份证号：与第 3 行重复")
    reasons = rows[3][-1].split("；")
    assert [r.split("：")[0] for r in reasons] == ["出生日期", "现居住地", "学历"]
    assert "桃花源村" in reasons[1]
    # The cells to fix are shaded.
    assert ws.cell(row=4, column=1 + HEADER.index("出生日期") + 1).fill.fgColor.rgb.endswith(
        "FFC7CE"
    )


def test_error_report_from_a_preview(mixed_file, staff):
    preview = preview_import(
        "persons", mixed_file, mixed_file.name, actor=staff["county_operator"], max_errors=2
    )
    assert len(preview.errors) == 2 and preview.error_count == 5
    rows = list(openpyxl.load_workbook(io.BytesIO(error_report_xlsx(preview))).active.values)
    assert len(rows) == 1 + 3


# --- the command -----------------------------------------------------------------------------


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("import", *map(str, args), stdout=out, stderr=err)
    return out.getvalue()


def test_command_imports_and_writes_the_error_report(mixed_file, staff, tmp_path):
    report = tmp_path / "errors.xlsx"
    out = run("persons", mixed_file, "--user", "qw_operator", "--errors", report)
    assert "共 5 行" in out and "有效 2" in out and "有错 3" in out
    assert "新增 2" in out
    assert "第 4 行" in out and "与第 3 行重复" in out
    assert Person.objects.count() == 2
    rows = list(openpyxl.load_workbook(report).active.values)
    assert rows[0][0] == "行号" and rows[0][-1] == "错误原因" and len(rows) == 4
    assert AuditLog.objects.filter(action="registry.import.persons").count() == 1


def test_command_dry_run_writes_nothing(mixed_file, staff):
    out = run("persons", mixed_file, "--user", "qw_operator", "--dry-run")
    assert "将新增 2" in out
    assert Person.objects.count() == 0


def test_command_exits_1_when_every_row_is_bad(tmp_path, staff):
    path = write_xlsx(tmp_path / "bad.xlsx", HEADER, [[1, "张三", "123", None, "东北街村", None]])
    with pytest.raises(CommandError) as info:
        run("persons", path, "--user", "qw_operator")
    assert "全部 1 行均有错误" in str(info.value)
    assert info.value.returncode == 1
    assert Person.objects.count() == 0


def test_command_rerun_is_harmless(mixed_file, staff):
    run("persons", mixed_file, "--user", "qw_operator")
    with pytest.raises(CommandError):
        run("persons", mixed_file, "--user", "qw_operator")
    assert Person.objects.count() == 2


def test_command_needs_an_active_user_with_scope(mixed_file, staff):
    with pytest.raises(CommandError, match="nobody"):
        run("persons", mixed_file, "--user", "nobody")
    with pytest.raises(CommandError):
        run("persons", mixed_file, "--user", "sx_leader")  # no EDIT permission
    with pytest.raises(CommandError):
        call_command("import", "persons", str(mixed_file))  # --user is required


def test_command_reports_a_missing_column(tmp_path, staff):
    path = write_xlsx(tmp_path / "a.csv", ["姓名"], [])
    path.write_text("姓名,手机\n张三,13800000000\n", encoding="gbk")
    with pytest.raises(CommandError) as info:
        run("persons", path, "--user", "qw_operator")
    assert "身份证号" in str(info.value) and "现居住地" in str(info.value)
