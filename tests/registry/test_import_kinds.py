"""Importing households, employers, registrations and insurance contributions, end to end."""

from __future__ import annotations

import datetime
from decimal import Decimal

import openpyxl
import pytest
from django.utils import translation
from tests.conftest import valid_uscc as make_uscc

from jiuye.core.models import AuditLog
from jiuye.registry.imports import preview_import, run_import
from jiuye.registry.models import (
    Employer,
    EmploymentEvent,
    EmploymentStatus,
    Household,
    HouseholdMember,
    InsuranceContribution,
    InsuredHeadcount,
    Person,
)

D = datetime.date
VILLAGE = "141021100200"
OTHER_VILLAGE = "141021100201"
HOUMA_COMMUNITY = "141081001001"


@pytest.fixture(autouse=True)
def chinese():
    with translation.override("zh-hans"):
        yield


@pytest.fixture
def operator(staff):
    return staff["county_operator"]


def write_xlsx(path, header, rows):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(header)
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def errors_by_row(outcome):
    out = {}
    for e in outcome.iter_errors():
        out.setdefault(e.row, []).append((e.column, e.reason))
    return out


@pytest.fixture
def people(person_factory):
    """Eight people in 曲沃县 (东北街村 and 西南街村) and one in 侯马市."""
    made = {
        name: person_factory(name, region, D(1960 + i * 5, 3, 1), female=i % 2 == 1)
        for i, (name, region) in enumerate(
            [
                ("王大山", VILLAGE),
                ("李秀英", VILLAGE),
                ("王小明", VILLAGE),
                ("赵建国", OTHER_VILLAGE),
                ("赵丽", OTHER_VILLAGE),
                ("孙强", VILLAGE),
                ("钱七", VILLAGE),
                ("周八", VILLAGE),
            ]
        )
    }
    made["侯马人"] = person_factory("侯马人", HOUMA_COMMUNITY, D(1980, 1, 1))
    return made


# --- households ------------------------------------------------------------------------------

HH_HEADER = ["户编号", "户主身份证号", "成员身份证号", "姓名", "与户主关系", "区划", "地址"]


def test_households(tmp_path, operator, people):
    p = {k: v.id_number for k, v in people.items()}
    rows = [
        ["H001", p["王大山"], p["王大山"], "王大山", "户主", "东北街村", "东北街1号"],
        ["H001", p["王大山"], p["李秀英"], "李秀英", "配偶", None, None],
        ["H001", None, p["王小明"], "王小明", "儿子", None, None],
        [None, p["赵建国"], p["赵建国"], "赵建国", "户主", None, None],  # grouped by the head
        [None, p["赵建国"], p["赵丽"], "赵丽", "30", None, None],  # GB/T 4761 code: 女
        ["H001", None, p["孙强"], "孙强", "户主", None, None],  # a second head
        ["H002", None, p["侯马人"], "侯马人", "户主", None, None],  # outside the scope
        ["H002", None, p["李秀英"], "李秀英", "配偶", None, None],  # twice in the file
        [None, None, p["钱七"], "钱七", "其他", None, None],  # no household number or head
        ["H003", None, p["周八"], "张冠李", "其他", None, None],  # wrong name for the ID
    ]
    path = write_xlsx(tmp_path / "hh.xlsx", HH_HEADER, rows)
    result = run_import("households", path, path.name, actor=operator)
    errors = errors_by_row(result)
    assert sorted(errors) == [7, 8, 9, 10, 11]
    assert errors[7][0][0] == "与户主关系" and "第 2 行" in errors[7][0][1]
    assert errors[8][0][0] == "成员身份证号" and "管辖范围" in errors[8][0][1]
    assert errors[9][0][1].startswith("与第 3 行重复")
    assert errors[10][0][0] == "户编号"
    assert errors[11][0][0] == "姓名" and "周八" in errors[11][0][1]
    assert (result.created, result.extra["households_created"]) == (5, 2)

    h1 = Household.objects.get(external_id="H001")
    assert (h1.region_code, h1.address) == (VILLAGE, "东北街1号")
    assert dict(h1.members.values_list("person__name", "relation")) == {
        "王大山": "head",
        "李秀英": "spouse",
        "王小明": "child",
    }
    zhao = HouseholdMember.objects.get(person=people["赵建国"]).household
    assert zhao.region_code == OTHER_VILLAGE  # the head's residence
    assert HouseholdMember.objects.get(person=people["赵丽"]).household == zhao
    assert HouseholdMember.objects.get(person=people["赵丽"]).relation == "child"

    # Re-running the file changes nothing: every member is already in a household.
    again = run_import("households", path, path.name, actor=operator)
    assert (again.created, again.written) == (0, False)
    assert Household.objects.count() == 2 and HouseholdMember.objects.count() == 5

    # Updating: 王小明 is really a grandchild, and 孙强 moves into H001 as "其他".
    fix = [
        ["H001", None, p["王小明"], None, "孙子", None, "东北街2号"],
        ["H001", None, p["孙强"], None, "其他", None, None],
        ["H001", None, p["李秀英"], None, "配偶", None, None],
    ]
    path = write_xlsx(tmp_path / "fix.xlsx", HH_HEADER, fix)
    result = run_import("households", path, path.name, actor=operator, update_existing=True)
    assert (result.created, result.updated, result.invalid_rows) == (1, 1, 0), result.errors
    assert HouseholdMember.objects.get(person=people["王小明"]).relation == "grandchild"
    assert HouseholdMember.objects.get(person=people["孙强"]).household == h1
    h1.refresh_from_db()
    assert h1.address == "东北街2号"
    member_log = AuditLog.objects.get(action="registry.household.update_member")
    assert member_log.before == {"relation": "child"} and member_log.after == {
        "relation": "grandchild"
    }
    household_log = AuditLog.objects.get(action="registry.household.update")
    assert household_log.before == {"address": "东北街1号"}
    assert household_log.after == {"address": "东北街2号"}


# --- employers -------------------------------------------------------------------------------

EMP_HEADER = [
    "统一社会信用代码",
    "单位名称",
    "所属行业",
    "登记注册类型",
    "企业规模",
    "所在地",
    "法人",
    "联系人",
    "联系电话",
    "地址",
    "参保人数",
    "月份",
]


def test_employers(tmp_path, operator):
    a, b, c = make_uscc(1), make_uscc(2), make_uscc(3)
    houma = make_uscc(4, "141081")
    bad = a[:17] + ("0" if a[17] != "0" else "1")
    rows = [
        [a, "曲沃县晋园食品有限公司", "C14", "私营企业", "小型", "乐昌镇", "王某", "李某",
         "0357-5123456", "乐昌镇1号", 35, "2024-03"],
        [b.lower(), "曲沃县机械厂", "金属制品业", "110", "中型", "141021", None, None,
         "13800001111", None, None, None],
        [c, "某合作社", "01", "集体", "微型", "曲沃县", None, None, None, None, 5, None],
        [a, "重复的单位", None, None, None, "曲沃县", None, None, None, None, None, None],
        [bad, "校验位错", None, None, None, "曲沃县", None, None, None, None, None, None],
        [houma, "侯马市某厂", None, None, None, "侯马市", None, None, None, None, None, None],
        [make_uscc(5), "规模不对", None, None, "巨型", "曲沃县", None, None, None, None, None,
         None],
    ]  # fmt: skip
    path = write_xlsx(tmp_path / "emp.xlsx", EMP_HEADER, rows)
    result = run_import("employers", path, path.name, actor=operator)
    errors = errors_by_row(result)
    assert sorted(errors) == [4, 5, 6, 7, 8]
    assert errors[4] == [("月份", errors[4][0][1])]  # a headcount needs its month
    assert errors[5][0][0] == "统一社会信用代码" and "第 2 行" in errors[5][0][1]
    assert errors[6][0][0] == "统一社会信用代码"
    assert errors[7][0][0] == "所在地" and "管辖范围" in errors[7][0][1]
    assert errors[8][0][0] == "企业规模"
    assert result.created == 2
    first = Employer.objects.get(uscc=a)
    assert (first.industry_code, first.ownership, first.size_class) == ("14", "private", "small")
    assert (first.region_code, first.contact_phone) == ("141021100000", "0357-5123456")
    assert first.legal_representative == "王某"
    assert InsuredHeadcount.objects.get(employer=first).insured == 35
    second = Employer.objects.get(uscc=b)
    assert (second.industry_code, second.ownership, second.region_code) == (
        "33",
        "state",
        "141021000000",
    )

    again = run_import("employers", path, path.name, actor=operator)
    assert again.created == 0 and not again.written

    update = [
        [a, "曲沃县晋园食品股份有限公司", None, None, None, None, None, None, None, None, 36,
         "2024年4月"],
        [b, "曲沃县机械厂", None, None, None, None, None, None, None, None, None, None],
    ]  # fmt: skip
    path = write_xlsx(tmp_path / "upd.xlsx", EMP_HEADER, update)
    preview = preview_import("employers", path, path.name, actor=operator, update_existing=True)
    assert (preview.would_update, preview.unchanged) == (1, 1)
    result = run_import("employers", path, path.name, actor=operator, update_existing=True)
    assert (result.updated, result.unchanged) == (1, 1)
    first.refresh_from_db()
    assert first.name == "曲沃县晋园食品股份有限公司" and first.industry_code == "14"
    assert dict(first.headcounts.values_list("month", "insured")) == {
        D(2024, 3, 1): 35,
        D(2024, 4, 1): 36,
    }
    log = AuditLog.objects.get(action="registry.employer.update")
    assert log.before == {"name": "曲沃县晋园食品有限公司", "insured_2024-04": None}
    assert log.after == {"name": "曲沃县晋园食品股份有限公司", "insured_2024-04": 36}


# --- registrations ---------------------------------------------------------------------------

REG_HEADER = [
    "身份证号",
    "姓名",
    "登记类型",
    "登记日期",
    "单位信用代码",
    "单位名称",
    "就业形式",
    "合同类型",
    "合同期限至",
    "工作地点",
    "职业",
    "失业原因",
]


def test_registrations(tmp_path, operator, people):
    employer = Employer.objects.create(
        uscc=make_uscc(7), name="曲沃县晋园食品有限公司", region_code="141021100000"
    )
    p = {k: v.id_number for k, v in people.items()}
    rows = [
        [p["王大山"], "王大山", "就业登记", "2024/3/5", employer.uscc, None, "单位就业",
         "固定期限", "2027年3月4日", "县内", "焊工", None],
        [p["李秀英"], None, "失业登记", 45356, None, None, None, None, None, None, None,
         "企业裁员"],
        [p["王小明"], None, "就业", "2024.3.1", None, "某个体户", "灵活就业", None, None,
         "省外", None, None],
        [p["王小明"], None, "终止就业", "20240601", None, None, None, None, None, None, None,
         "合同到期"],
        [p["王大山"], None, "就业登记", "2024-03-05", None, None, None, None, None, None, None,
         None],  # the same registration twice
        [p["赵丽"], None, "就业登记", "2099-01-01", None, None, None, None, None, None, None,
         None],  # in the future
        [p["侯马人"], None, "失业登记", "2024-01-01", None, None, None, None, None, None, None,
         None],  # outside the scope
        [p["赵建国"], None, "就业登记", "2024-01-01", make_uscc(8), None, None, None, None,
         None, None, None],  # unknown employer
        [p["孙强"], None, "就业登记", "2024-01-01", None, None, None, None, "2023-01-01",
         None, None, None],  # the contract ends before it starts
        [p["孙强"], None, "入伍", "2024-01-01", None, None, None, None, None, None, None, None],
    ]  # fmt: skip
    path = write_xlsx(tmp_path / "reg.xlsx", REG_HEADER, rows)
    result = run_import("registrations", path, path.name, actor=operator)
    errors = errors_by_row(result)
    assert sorted(errors) == [6, 7, 8, 9, 10, 11]
    assert errors[6][0][1].startswith("与第 2 行重复")
    assert errors[7][0][0] == "登记日期"
    assert errors[8][0][0] == "身份证号"
    assert errors[9][0][0] == "单位信用代码"
    assert errors[10][0][0] == "合同期限至"
    assert errors[11][0][0] == "登记类型"
    assert result.created == 4

    event = EmploymentEvent.objects.get(person=people["王大山"])
    assert (event.kind, event.occurred_on, event.employer, event.employer_name) == (
        "employment",
        D(2024, 3, 5),
        employer,
        "曲沃县晋园食品有限公司",
    )
    assert (event.form, event.contract_type, event.contract_end) == (
        "unit",
        "fixed",
        D(2027, 3, 4),
    )
    assert (event.work_place, event.occupation_code) == ("in_county", "6-18-02-04")
    assert (event.region_code, event.source, event.recorded_by) == (VILLAGE, "import", operator)
    statuses = dict(Person.objects.values_list("name", "employment_status"))
    assert statuses["王大山"] == EmploymentStatus.EMPLOYED
    assert statuses["李秀英"] == EmploymentStatus.UNEMPLOYED
    assert statuses["王小明"] == EmploymentStatus.UNKNOWN  # employed, then ended
    assert Person.objects.get(name="李秀英").status_since == D(2024, 3, 5)

    again = run_import("registrations", path, path.name, actor=operator)
    assert again.created == 0 and not again.written
    assert EmploymentEvent.objects.count() == 4

    # With "update", a changed row is a correction: a new event superseding the old one.
    fix = [[p["王大山"], None, "就业登记", "2024-03-05", None, None, "灵活就业", None, None,
            None, None, None]]  # fmt: skip
    path = write_xlsx(tmp_path / "fix.xlsx", REG_HEADER, fix)
    result = run_import("registrations", path, path.name, actor=operator, update_existing=True)
    assert (result.created, result.updated) == (0, 1)
    correction = EmploymentEvent.objects.get(supersedes=event)
    assert (correction.form, correction.employer, correction.contract_end) == (
        "flexible",
        employer,
        D(2027, 3, 4),
    )
    log = AuditLog.objects.get(action="registry.event.correct")
    assert log.before == {"form": "unit"}
    assert log.after == {"form": "flexible", "supersedes_id": event.pk}
    assert Person.objects.get(name="王大山").employment_status == EmploymentStatus.EMPLOYED
    # And the corrected file, once more, is unchanged.
    result = run_import("registrations", path, path.name, actor=operator, update_existing=True)
    assert (result.created, result.updated, result.unchanged) == (0, 0, 1)


# --- insurance -------------------------------------------------------------------------------

INS_HEADER = ["身份证号", "单位信用代码", "险种", "费款所属期", "缴费金额", "补缴"]


def test_insurance(tmp_path, operator, people):
    employer = Employer.objects.create(uscc=make_uscc(9), name="某厂", region_code=VILLAGE)
    p = {k: v.id_number for k, v in people.items()}
    rows = [
        [p["王大山"], employer.uscc, "养老", "202403", 512.4, "否"],
        [p["王大山"], employer.uscc, "310", "2024-03", "1,024.00", None],
        [p["王大山"], employer.uscc, "城镇职工基本医疗保险", "2024年4月", 100, "是"],
        [p["李秀英"], None, "110", 202403, 300, "N"],
        [p["王大山"], employer.uscc, "110", "2024/03", 1, None],  # same as row 2
        [p["李秀英"], None, "意外险", "202403", 1, None],
        [p["李秀英"], None, "失业", "202403", -5, None],
        [p["侯马人"], None, "失业", "202403", 5, None],
        [p["李秀英"], None, "工伤", "2024-03", "12.345", None],
    ]
    path = write_xlsx(tmp_path / "ins.xlsx", INS_HEADER, rows)
    result = run_import("insurance", path, path.name, actor=operator)
    errors = errors_by_row(result)
    assert sorted(errors) == [6, 7, 8, 9, 10]
    assert errors[6][0][1].startswith("与第 2 行重复")
    assert errors[7][0][0] == "险种" and errors[8][0][0] == "缴费金额"
    assert errors[9][0][0] == "身份证号" and errors[10][0][0] == "缴费金额"
    assert result.created == 4
    wang = people["王大山"]
    assert set(
        InsuranceContribution.objects.filter(person=wang).values_list(
            "insurance_type", "month", "amount", "is_back_payment"
        )
    ) == {
        ("pension", D(2024, 3, 1), Decimal("512.40"), False),
        ("medical", D(2024, 3, 1), Decimal("1024.00"), False),
        ("medical", D(2024, 4, 1), Decimal("100.00"), True),
    }
    assert InsuranceContribution.objects.get(person=people["李秀英"]).employer is None

    again = run_import("insurance", path, path.name, actor=operator)
    assert again.created == 0 and not again.written

    fix = [[p["王大山"], employer.uscc, "养老", "202403", 600, "否"]]
    path = write_xlsx(tmp_path / "fix.xlsx", INS_HEADER, fix)
    result = run_import("insurance", path, path.name, actor=operator, update_existing=True)
    assert result.updated == 1
    log = AuditLog.objects.get(action="registry.contribution.update")
    assert log.before == {"amount": "512.40"} and log.after == {"amount": "600.00"}


def test_registrations_follow_the_same_sequence_rules_as_manual_entry(tmp_path, operator, people):
    p = {k: v.id_number for k, v in people.items()}
    empty = [None] * 8
    rows = [
        [p["钱七"], None, "终止就业", "2024-05-01", *empty],  # nothing to end
        [p["周八"], None, "注销失业登记", "2024-05-01", *empty],  # not registered unemployed
        [p["孙强"], None, "就业登记", "2024-02-01", None, None, "灵活就业", *[None] * 5],
        [p["孙强"], None, "失业登记", "2024-03-01", *empty],  # still employed
        [p["孙强"], None, "终止就业", "2024-06-01", *empty],  # fine: ends the job above
        [p["孙强"], None, "失业登记", "2024-07-01", *empty],  # fine after the end
    ]
    path = write_xlsx(tmp_path / "seq.xlsx", REG_HEADER, rows)
    result = run_import("registrations", path, path.name, actor=operator)
    errors = errors_by_row(result)
    assert sorted(errors) == [2, 3, 5]
    assert all(column == "登记类型" for row in errors.values() for column, _ in row)
    assert "没有未终止的就业登记" in errors[2][0][1]
    assert "请先办理终止就业" in errors[5][0][1]
    assert result.created == 3
    people["孙强"].refresh_from_db()
    assert (people["孙强"].employment_status, people["孙强"].status_since) == (
        "unemployed",
        D(2024, 7, 1),
    )


def test_insurance_with_the_employers_share(tmp_path, operator, people):
    employer = Employer.objects.create(uscc=make_uscc(9), name="某厂", region_code=VILLAGE)
    wang = people["王大山"]
    header = ["身份证号", "单位信用代码", "险种", "费款所属期", "缴费金额", "单位缴费金额"]
    rows = [
        [wang.id_number, employer.uscc, "养老", "202403", 1200, 800],
        [wang.id_number, employer.uscc, "失业", "202403", 20, None],  # no split reported
    ]
    path = write_xlsx(tmp_path / "ins.xlsx", header, rows)
    result = run_import("insurance", path, path.name, actor=operator)
    assert result.created == 2 and not errors_by_row(result)
    assert set(
        InsuranceContribution.objects.filter(person=wang).values_list(
            "insurance_type", "amount", "employer_amount"
        )
    ) == {
        ("pension", Decimal("1200.00"), Decimal("800.00")),
        ("unemployment", Decimal("20.00"), None),
    }
