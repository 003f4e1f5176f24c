"""Importing the person ledger: every validation rule, duplicates, scope, update and re-runs."""

from __future__ import annotations

import datetime

import openpyxl
import pytest
from django.db import connection
from django.utils import translation
from tests.conftest import valid_id

from jiuye.core.crypto import blind_index
from jiuye.core.errors import JiuyeError
from jiuye.core.models import AuditLog
from jiuye.core.tabular import TableError
from jiuye.regions.models import Region
from jiuye.registry.imports import MissingColumnsError, preview_import, run_import
from jiuye.registry.models import LabourBrand, Person

D = datetime.date
HEADER = ["姓名", "身份证号", "手机号码", "现居住地", "户籍性质", "学历", "民族"]
VILLAGE = "141021100200"  # 东北街村, 乐昌镇, 曲沃县
OTHER_VILLAGE = "141021100201"  # 西南街村
HOUMA_COMMUNITY = "141081001001"  # 市府北巷社区, 侯马市


@pytest.fixture(autouse=True)
def chinese():
    with translation.override("zh-hans"):
        yield


@pytest.fixture
def operator(staff):
    return staff["county_operator"]  # EDIT at 曲沃县


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


BIRTH = D(1990, 1, 1)


def person_row(seq, *, name=None, region=VILLAGE, birth=BIRTH, female=False, **cells):
    row = {
        "姓名": name or f"张{'一二三四五六七八九十'[seq % 10]}",
        "身份证号": valid_id("141021", birth, seq, female=female),
        "手机号码": f"1380000{seq:04d}",
        "现居住地": region,
        "户籍性质": "农村",
        "学历": "高中",
        "民族": "汉族",
    }
    row.update(cells)
    return row


def ledger(tmp_path, rows, *, header=None, name="ledger.xlsx", title=None):
    header = header or list(rows[0])
    return write_xlsx(
        tmp_path / name, header, [[r.get(h) for h in header] for r in rows], title=title
    )


def errors_by_row(outcome):
    out = {}
    for e in outcome.iter_errors():
        out.setdefault(e.row, []).append((e.column, e.reason))
    return out


def test_a_clean_ledger_is_imported(tmp_path, operator):
    rows = [person_row(i, female=i % 2 == 0) for i in range(1, 6)]
    path = ledger(tmp_path, rows, title="曲沃县乐昌镇实名制台账")
    result = run_import("persons", path, path.name, actor=operator)
    assert (result.total_rows, result.valid_rows, result.invalid_rows) == (5, 5, 0)
    assert (result.created, result.updated, result.written) == (5, 0, True)
    assert result.header_row == 2
    person = Person.objects.get(id_hash=blind_index(rows[0]["身份证号"]))
    assert person.id_number == rows[0]["身份证号"]
    assert (person.birth_date, person.sex) == (D(1990, 1, 1), "1")
    assert person.native_region_code == "141021000000"
    assert (person.region_code, person.hukou_type) == (VILLAGE, "rural")
    assert (person.education, person.ethnicity, person.phone) == ("60", "01", "13800000001")
    assert Person.objects.get(id_hash=blind_index(rows[1]["身份证号"])).sex == "2"
    assert (person.employment_status, person.status_since, person.merged_into) == (
        "unknown",
        None,
        None,
    )
    assert person.created_at and person.created_at == person.updated_at
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number FROM registry_person WHERE id = %s", [person.pk])
        stored = cursor.fetchone()[0]
    assert rows[0]["身份证号"] not in stored and len(stored) > 60  # encrypted at rest
    summary = AuditLog.objects.get(action="registry.import.persons")
    assert summary.after["created"] == 5 and summary.after["rows"] == 5
    assert summary.actor == operator and summary.object_repr == "ledger.xlsx"


def test_preview_writes_nothing(tmp_path, operator):
    rows = [person_row(1), person_row(2), person_row(3, region="没有这个村")]
    path = ledger(tmp_path, rows)
    audit_before = AuditLog.objects.count()
    preview = preview_import("persons", path, path.name, actor=operator)
    assert (preview.total_rows, preview.valid_rows, preview.invalid_rows) == (3, 2, 1)
    assert (preview.would_create, preview.would_update) == (2, 0)
    assert ("身份证号", "身份证号") in preview.columns
    assert preview.errors[0].row == 4 and preview.errors[0].column == "现居住地"
    assert Person.objects.count() == 0
    assert AuditLog.objects.count() == audit_before


def test_column_mapping_and_unrecognised_headers(tmp_path, operator):
    header = ["序号", "名字", "公民身份号码", "联系电话", "所在村（社区）", "文化程度", "备注"]
    row = person_row(1)
    values = [1, row["姓名"], row["身份证号"], row["手机号码"], VILLAGE, "大学本科", "无"]
    path = write_xlsx(tmp_path / "a.xlsx", header, [values])
    preview = preview_import("persons", path, path.name, actor=operator)
    assert dict(preview.columns) == {
        "名字": "姓名",
        "公民身份号码": "身份证号",
        "联系电话": "手机号码",
        "所在村(社区)": "现居住地",
        "文化程度": "学历",
    }
    assert preview.unrecognised == ["序号", "备注"]
    assert preview.valid_rows == 1


def test_missing_required_columns_name_the_column(tmp_path, operator):
    path = write_xlsx(
        tmp_path / "a.xlsx", ["姓名", "手机号码", "学历"], [["张三", "13800000000", "本科"]]
    )
    with pytest.raises(MissingColumnsError) as info:
        preview_import("persons", path, path.name, actor=operator)
    assert info.value.columns == ["身份证号", "现居住地"]
    assert "身份证号" in str(info.value) and "公民身份号码" in str(info.value)


def test_a_user_without_edit_permission_cannot_import(tmp_path, staff):
    path = ledger(tmp_path, [person_row(1)])
    with pytest.raises(JiuyeError):
        preview_import("persons", path, path.name, actor=staff["province_leader"])


# --- ID numbers ------------------------------------------------------------------------------


def test_id_number_rules(tmp_path, operator):
    good = valid_id("141021", D(1985, 6, 1), 3)
    wrong_check = good[:17] + ("0" if good[17] != "0" else "1")
    old = valid_id("141021", D(1967, 4, 1), 5)
    fifteen = old[:6] + old[8:17]
    with_x = next(
        valid_id("141021", D(1980, 1, 1), n)
        for n in range(1, 200)
        if valid_id("141021", D(1980, 1, 1), n).endswith("X")
    )
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in with_x.lower())  # ｘ as well
    rows = [
        person_row(1, **{"身份证号": wrong_check}),
        person_row(2, **{"身份证号": fifteen}),
        person_row(3, **{"身份证号": full_width}),
        person_row(4, **{"身份证号": f"  {good[:6]} {good[6:14]} {good[14:]} "}),
        person_row(5, **{"身份证号": "12345"}),
        person_row(6, **{"身份证号": "141021203001010011"}),  # born in the future
    ]
    path = ledger(tmp_path, rows)
    result = run_import("persons", path, path.name, actor=operator)
    errors = errors_by_row(result)
    assert set(errors) == {2, 6, 7}
    assert errors[2][0][0] == "身份证号" and "校验" in errors[2][0][1]
    assert "18" in errors[6][0][1]
    assert Person.objects.get(id_hash=blind_index(old)).id_number == old  # 15 → 18
    assert Person.objects.get(id_hash=blind_index(with_x)).id_number == with_x
    assert Person.objects.filter(id_hash=blind_index(good)).exists()
    assert result.created == 3


def test_an_id_number_stored_as_a_number_is_explained(tmp_path, operator):
    row = person_row(1)
    path = ledger(tmp_path, [row | {"身份证号": int(row["身份证号"][:17] + "1")}])
    preview = preview_import("persons", path, path.name, actor=operator)
    assert "文本" in preview.errors[0].reason


def test_sex_and_birth_date_columns_must_agree_with_the_id(tmp_path, operator):
    header = [*HEADER, "性别", "出生日期"]
    rows = [
        person_row(1, **{"性别": "男", "出生日期": "1990年1月1日"}),
        person_row(2, **{"性别": "女", "出生日期": "1990-01-01"}),
        person_row(3, **{"性别": "男", "出生日期": "1991/1/1"}),
        person_row(4, female=True, **{"性别": "女", "出生日期": 32874}),  # serial = 1990-01-01
    ]
    path = ledger(tmp_path, rows, header=header)
    result = run_import("persons", path, path.name, actor=operator)
    errors = errors_by_row(result)
    assert {row: [(c, r.rstrip("。")) for c, r in e] for row, e in errors.items()} == {
        3: [("性别", "性别与身份证号不符")],
        4: [("出生日期", "出生日期与身份证号不符")],
    }
    assert result.created == 2


# --- text, names, phones ----------------------------------------------------------------------


def test_stray_spaces_and_full_width_characters(tmp_path, operator):
    row = person_row(
        1,
        name=" 王\u3000 芳\u200b ",
        **{
            "手机号码": "１３８ ０００１ ２３４５",
            "现居住地": " １４１０２１１００２００ ",
            "学历": " 本科 ",
        },
    )
    path = ledger(tmp_path, [row])
    result = run_import("persons", path, path.name, actor=operator)
    assert result.created == 1, result.errors
    person = Person.objects.get()
    assert (person.name, person.phone, person.region_code) == ("王芳", "13800012345", VILLAGE)
    assert person.education == "20"


def test_bad_cells_are_reported_with_column_and_reason(tmp_path, operator):
    rows = [
        person_row(1, **{"手机号码": "12345"}),
        person_row(2, name="张三3"),
        person_row(3, **{"户籍性质": "外星"}),
        person_row(4, **{"学历": "幼儿园大班"}),
        person_row(5, **{"民族": "火星族"}),
        person_row(6, **{"姓名": "  "}),
    ]
    path = ledger(tmp_path, rows)
    result = run_import("persons", path, path.name, actor=operator)
    errors = errors_by_row(result)
    assert [c for c, _r in errors[2]] == ["手机号码"]
    assert [c for c, _r in errors[3]] == ["姓名"]
    assert [c for c, _r in errors[4]] == ["户籍性质"] and "农村" in errors[4][0][1]
    assert [c for c, _r in errors[5]] == ["学历"]
    assert [c for c, _r in errors[6]] == ["民族"]
    assert [c for c, _r in errors[7]] == ["姓名"] and "必填" in errors[7][0][1]
    assert result.created == 0 and not result.written
    assert result.message.startswith("全部 6 行均有错误，未写入任何数据")


# --- regions ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cell",
    [
        VILLAGE,
        int(VILLAGE),
        "东北街村",
        "乐昌镇东北街村",
        "曲沃县乐昌镇东北街村",
        "山西省临汾市曲沃县乐昌镇东北街村",
        "临汾市 曲沃县 乐昌镇 东北街村",
        "曲沃县/乐昌镇/东北街村",
        "曲沃县东北街村",  # a level left out
    ],
)
def test_residence_by_code_or_name_path(tmp_path, operator, cell):
    path = ledger(tmp_path, [person_row(1, region=cell)])
    result = run_import("persons", path, path.name, actor=operator)
    assert result.created == 1, result.errors
    assert Person.objects.get().region_code == VILLAGE


def test_residence_may_be_a_township(tmp_path, operator):
    rows = [person_row(1, region="乐昌镇"), person_row(2, region="141021100")]
    path = ledger(tmp_path, rows)
    result = run_import("persons", path, path.name, actor=operator)
    assert result.created == 2, result.errors
    assert set(Person.objects.values_list("region_code", flat=True)) == {"141021100000"}


def test_region_errors(tmp_path, operator, regions):
    Region.objects.create(
        code="141021101200",
        prefix="141021101200",
        name="东北街村",
        level=5,
        parent=regions["141021101000"],
        valid_from=D(2024, 1, 1),
    )
    rows = [
        person_row(1, region="东北街村"),  # two villages have this name now
        person_row(2, region="史村镇东北街村"),
        person_row(3, region="曲沃县"),  # a county: too coarse for a residence
        person_row(4, region="141021"),
        person_row(5, region="141021100999"),  # no such village
        person_row(6, region="桃花源村"),
        person_row(7, region="1410211002"),  # ten digits
    ]
    path = ledger(tmp_path, rows)
    result = run_import("persons", path, path.name, actor=operator)
    errors = errors_by_row(result)
    assert set(errors) == {2, 4, 5, 6, 7, 8}
    assert "141021100200" in errors[2][0][1] and "141021101200" in errors[2][0][1]
    assert "乐昌镇东北街村" in errors[2][0][1] and "史村镇东北街村" in errors[2][0][1]
    assert "县" in errors[4][0][1] and "村" in errors[4][0][1]
    assert "141021100999" in errors[6][0][1]
    assert "桃花源村" in errors[7][0][1]
    assert Person.objects.get().region_code == "141021101200"


def test_out_of_scope_regions_are_row_errors(tmp_path, operator):
    rows = [
        person_row(1, region=HOUMA_COMMUNITY),
        person_row(2, region="市府北巷社区"),
        person_row(3, region="侯马市路东街道市府北巷社区"),
        person_row(4),
    ]
    path = ledger(tmp_path, rows)
    result = run_import("persons", path, path.name, actor=operator)
    errors = errors_by_row(result)
    assert set(errors) == {2, 3, 4}
    assert all("不在您的管辖范围内" in errors[n][0][1] for n in (2, 3, 4))
    assert all(column == "现居住地" for e in errors.values() for column, _r in e)
    assert result.created == 1


def test_a_village_operator_cannot_import_the_neighbouring_village(tmp_path, staff):
    rows = [person_row(1), person_row(2, region=OTHER_VILLAGE)]
    path = ledger(tmp_path, rows)
    result = run_import("persons", path, path.name, actor=staff["village_operator"])
    assert result.created == 1
    assert "不在您的管辖范围内" in result.errors[0].reason


def test_hukou_region_may_be_anywhere(tmp_path, operator):
    header = [*HEADER, "户籍地"]
    rows = [
        person_row(1, **{"户籍地": "侯马市"}),  # outside the operator's scope: allowed
        person_row(2, **{"户籍地": "410102"}),  # another province, tree not loaded
        person_row(3, **{"户籍地": "曲沃县"}),
        person_row(4, **{"户籍地": "141021999"}),  # a Shanxi code that does not exist
    ]
    path = ledger(tmp_path, rows, header=header)
    result = run_import("persons", path, path.name, actor=operator)
    assert [e.row for e in result.errors] == [5]
    codes = dict(Person.objects.values_list("phone", "hukou_region_code"))
    assert codes == {
        "13800000001": "141081000000",
        "13800000002": "410102000000",
        "13800000003": "141021000000",
    }


def test_education_by_code_or_name(tmp_path, operator):
    rows = [
        person_row(1, **{"学历": "21"}),
        person_row(2, **{"学历": 20}),
        person_row(3, **{"学历": "大学本科"}),
        person_row(4, **{"学历": "研究生"}),
        person_row(5, **{"学历": "初中"}),
    ]
    path = ledger(tmp_path, rows)
    result = run_import("persons", path, path.name, actor=operator)
    assert result.created == 5, result.errors
    assert dict(Person.objects.values_list("phone", "education")) == {
        "13800000001": "21",
        "13800000002": "20",
        "13800000003": "20",
        "13800000004": "10",
        "13800000005": "70",
    }


def test_labour_brand_by_name(tmp_path, operator):
    brand = LabourBrand.objects.create(name="吕梁山护工", region_code="141100000000")
    header = [*HEADER, "劳务品牌"]
    rows = [person_row(1, **{"劳务品牌": "吕梁山护工"}), person_row(2, **{"劳务品牌": "月球保安"})]
    path = ledger(tmp_path, rows, header=header)
    result = run_import("persons", path, path.name, actor=operator)
    assert result.created == 1 and result.errors[0].column == "劳务品牌"
    assert Person.objects.get().labour_brand == brand


# --- duplicates, update, re-runs -------------------------------------------------------------


def test_duplicates_inside_the_file(tmp_path, operator):
    first = person_row(1)
    again = person_row(2, **{"身份证号": " " + first["身份证号"].lower()})
    path = ledger(tmp_path, [first, again, person_row(4)])
    result = run_import("persons", path, path.name, actor=operator)
    assert [(e.row, e.column, e.reason.rstrip("。")) for e in result.errors] == [
        (3, "身份证号", "与第 2 行重复")
    ]
    assert result.created == 2
    # A 15-digit number and its 18-digit form are the same person.
    old = valid_id("141021", D(1960, 1, 1), 9)
    rows = [person_row(5, **{"身份证号": old}), person_row(6, **{"身份证号": old[:6] + old[8:17]})]
    path = ledger(tmp_path, rows, name="b.xlsx")
    result = run_import("persons", path, path.name, actor=operator)
    assert [(e.row, e.reason.rstrip("。")) for e in result.errors] == [(3, "与第 2 行重复")]


def test_duplicates_against_the_registry_and_rerun(tmp_path, operator):
    rows = [person_row(i) for i in range(1, 5)]
    path = ledger(tmp_path, rows)
    first = run_import("persons", path, path.name, actor=operator)
    assert first.created == 4
    audit_rows = AuditLog.objects.count()

    again = run_import("persons", path, path.name, actor=operator)
    assert (again.created, again.updated, again.invalid_rows, again.written) == (0, 0, 4, False)
    assert {e.reason for e in again.errors} == {"此身份证号已登记。"}
    assert again.message.startswith("全部 4 行均有错误，未写入任何数据")
    assert Person.objects.count() == 4
    assert AuditLog.objects.count() == audit_rows  # nothing written, not even a summary

    # With "update" and an unchanged file there is nothing to do either.
    same = run_import("persons", path, path.name, actor=operator, update_existing=True)
    assert (same.created, same.updated, same.unchanged, same.invalid_rows) == (0, 0, 4, 0)
    assert AuditLog.objects.filter(action="registry.person.update").count() == 0


def test_update_existing_changes_only_changed_fields_and_audits(tmp_path, operator):
    rows = [person_row(i) for i in range(1, 4)]
    run_import("persons", ledger(tmp_path, rows), "a.xlsx", actor=operator)
    person = Person.objects.get(id_hash=blind_index(rows[0]["身份证号"]))
    untouched_updated_at = Person.objects.get(id_hash=blind_index(rows[2]["身份证号"])).updated_at

    changed = [
        rows[0] | {"手机号码": "13999999999", "学历": "本科", "现居住地": OTHER_VILLAGE},
        rows[1] | {"手机号码": None},  # an empty cell leaves the field as it is
        rows[2],
        person_row(9),
    ]
    path = ledger(tmp_path, changed, name="b.xlsx")
    preview = preview_import("persons", path, path.name, actor=operator)
    assert preview.invalid_rows == 4 - 1  # without "update", known people are errors
    preview = preview_import("persons", path, path.name, actor=operator, update_existing=True)
    assert (preview.would_create, preview.would_update, preview.unchanged) == (1, 1, 2)

    result = run_import("persons", path, path.name, actor=operator, update_existing=True)
    assert (result.created, result.updated, result.unchanged) == (1, 1, 2)
    person.refresh_from_db()
    assert (person.phone, person.education, person.region_code) == (
        "13999999999",
        "20",
        OTHER_VILLAGE,
    )
    second = Person.objects.get(id_hash=blind_index(rows[1]["身份证号"]))
    assert second.phone == rows[1]["手机号码"]
    third = Person.objects.get(id_hash=blind_index(rows[2]["身份证号"]))
    assert third.updated_at == untouched_updated_at
    log = AuditLog.objects.get(action="registry.person.update")
    assert log.object_id == str(person.pk) and log.actor == operator
    assert log.before == {"phone": "13800000001", "education": "60", "region_code": VILLAGE}
    assert log.after == {"phone": "13999999999", "education": "20", "region_code": OTHER_VILLAGE}
    summary = AuditLog.objects.filter(action="registry.import.persons").latest("id")
    assert summary.after["updated"] == 1 and summary.after["created"] == 1


def test_people_registered_outside_scope_are_not_updated(tmp_path, staff):
    row = person_row(1, region=HOUMA_COMMUNITY)
    houma = staff["houma_operator"]
    run_import("persons", ledger(tmp_path, [row]), "a.xlsx", actor=houma)
    moved = row | {"现居住地": VILLAGE}
    path = ledger(tmp_path, [moved], name="b.xlsx")
    result = run_import(
        "persons", path, path.name, actor=staff["county_operator"], update_existing=True
    )
    assert result.invalid_rows == 1 and "管辖范围" in result.errors[0].reason
    assert Person.objects.get().region_code == HOUMA_COMMUNITY


# --- CSV -------------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_csv_ledgers(tmp_path, operator, encoding):
    rows = [person_row(1), person_row(2, region="乐昌镇西南街村", **{"学历": "大学本科"})]
    lines = ["曲沃县实名制台账", ",".join(HEADER)]
    lines += [",".join(str(r[h]) for h in HEADER) for r in rows]
    path = tmp_path / "ledger.csv"
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    result = run_import("persons", path, path.name, actor=operator)
    assert result.created == 2, result.errors
    assert set(Person.objects.values_list("region_code", flat=True)) == {VILLAGE, OTHER_VILLAGE}
    assert result.header_row == 2


def test_an_unreadable_file_is_a_table_error(tmp_path, operator):
    path = tmp_path / "a.xlsx"
    path.write_bytes(b"not a spreadsheet")
    with pytest.raises(TableError):
        run_import("persons", path, path.name, actor=operator)
    assert Person.objects.count() == 0


def test_progress_is_reported(tmp_path, operator, monkeypatch):
    monkeypatch.setattr("jiuye.registry.imports.PROGRESS_EVERY", 2)
    rows = [person_row(i) for i in range(1, 6)]
    path = ledger(tmp_path, rows)
    calls = []
    run_import(
        "persons", path, path.name, actor=operator, progress=lambda d, t: calls.append((d, t))
    )
    assert calls == [(2, 5), (4, 5), (5, 5)]


def test_a_superuser_imports_anywhere(tmp_path, regions):
    from jiuye.accounts.models import User

    admin = User.objects.create_superuser(username="root", password="x-Long-pass-2026")
    rows = [
        person_row(1, region="侯马市市府北巷社区"),
        person_row(2, region="曲沃县乐昌镇西南街村"),
        person_row(3, region="小店区"),  # a county: not a residence
    ]
    path = ledger(tmp_path, rows)
    result = run_import("persons", path, path.name, actor=admin)
    assert result.created == 2 and [e.row for e in result.errors] == [4]
    assert set(Person.objects.values_list("region_code", flat=True)) == {
        HOUMA_COMMUNITY,
        OTHER_VILLAGE,
    }
