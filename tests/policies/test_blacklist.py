"""The employer blacklist: entries, dates in force, the import with row errors, and the rule
that a listed employer gets no subsidy (through the calculator, with the listing's reason)."""

from __future__ import annotations

import datetime
import io

import openpyxl
import pytest
from django.utils import timezone, translation
from tests.conftest import valid_uscc
from tests.policies.test_payments import make_employer

from jiuye.core.errors import JiuyeError, NotFoundError
from jiuye.core.models import AuditLog
from jiuye.policies import blacklist
from jiuye.policies.calculator import calculate
from jiuye.policies.models import BlacklistEntry

D = datetime.date
HEADER = (
    "统一社会信用代码",
    "单位名称",
    "列入日期",
    "移出日期",
    "列入事由",
    "决定书文号",
    "列入机关",
)


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def operator(staff):
    return staff["county_operator"]


@pytest.fixture
def employers(staff):
    admin = staff["province_admin"]
    return {
        "quwo": make_employer(admin, 1, "141021100000", "曲沃欠薪建筑公司"),
        "quwo2": make_employer(admin, 2, "141021101000", "史村劳务公司"),
        "houma": make_employer(admin, 3, "141081001000", "侯马某公司"),
    }


MARCH_2024 = D(2024, 3, 1)


def _add(operator, employer, listed=MARCH_2024, **kw):
    return blacklist.add_entry(
        actor=operator,
        employer=employer,
        listed_on=listed,
        reason=kw.pop("reason", "拖欠农民工工资数额较大"),
        **kw,
    )


def xlsx(rows, header=HEADER):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["拖欠农民工工资失信联合惩戒对象名单（2024年第3批）"])
    ws.append(list(header))
    for row in rows:
        ws.append(list(row))
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    buf.name = "名单.xlsx"
    return buf


# ---- entries ---------------------------------------------------------------------------------


def test_add_entry_copies_the_employer_region_and_is_audited(operator, employers):
    entry = _add(operator, employers["quwo"], decision_number="曲人社罚〔2024〕3号")
    assert entry.region_code == employers["quwo"].region_code
    log = AuditLog.objects.get(action="policies.blacklist.add")
    assert log.after["reason"] == "拖欠农民工工资数额较大" and log.region_code == entry.region_code
    assert "曲沃欠薪建筑公司" in log.object_repr


def test_another_county_cannot_list_or_edit(staff, operator, employers):
    with pytest.raises(NotFoundError):
        _add(staff["houma_operator"], employers["quwo"])
    entry = _add(operator, employers["quwo"])
    with pytest.raises(NotFoundError):
        blacklist.update_entry(actor=staff["houma_operator"], entry=entry, reason="x")
    with pytest.raises(NotFoundError):
        blacklist.remove_entry(actor=staff["houma_operator"], entry=entry)
    with pytest.raises(NotFoundError):
        _add(staff["county_reviewer"], employers["quwo"])  # no EDIT permission


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"listed": D(2024, 3, 1), "removed_on": D(2024, 2, 1)}, "before the date of listing"),
        ({"listed": D(2999, 1, 1)}, "in the future"),
        ({"reason": "  "}, "reason"),
        ({"reason": "x" * 501}, "longer than 500"),
    ],
)
def test_bad_entries_are_refused(operator, employers, kw, message):
    with pytest.raises(JiuyeError, match=message):
        _add(operator, employers["quwo"], **kw)
    assert not BlacklistEntry.objects.exists()


def test_the_same_listing_twice_is_a_conflict(operator, employers):
    _add(operator, employers["quwo"])
    with pytest.raises(JiuyeError, match="already listed") as info:
        _add(operator, employers["quwo"])
    assert info.value.code == "conflict"


def test_edit_and_remove(operator, employers):
    entry = _add(operator, employers["quwo"])
    blacklist.update_entry(actor=operator, entry=entry, authority="曲沃县人社局", reason="改")
    entry.refresh_from_db()
    assert entry.authority == "曲沃县人社局" and entry.reason == "改"
    with pytest.raises(JiuyeError, match="before the date of listing"):
        blacklist.update_entry(actor=operator, entry=entry, removed_on=D(2020, 1, 1))
    with pytest.raises(JiuyeError, match="unknown field"):
        blacklist.update_entry(actor=operator, entry=entry, employer_id=1)
    blacklist.remove_entry(actor=operator, entry=entry, removed_on=D(2024, 9, 1))
    entry.refresh_from_db()
    assert entry.removed_on == D(2024, 9, 1)
    actions = list(
        AuditLog.objects.filter(
            object_type="policies.blacklistentry", object_id=str(entry.pk)
        ).values_list("action", flat=True)
    )
    assert sorted(actions) == [
        "policies.blacklist.add",
        "policies.blacklist.remove",
        "policies.blacklist.update",
    ]


# ---- when an employer is listed ------------------------------------------------------------


def test_listed_on_follows_listing_removal_and_the_three_year_period(operator, employers):
    quwo, quwo2 = employers["quwo"], employers["quwo2"]
    _add(operator, quwo, D(2022, 3, 1), reason="三年期满自动移出")
    _add(operator, quwo2, D(2024, 1, 10), removed_on=D(2024, 6, 1), reason="已整改移出")
    ids = [quwo.pk, quwo2.pk]
    assert blacklist.listed_on(ids, D(2022, 2, 28)) == {}
    assert set(blacklist.listed_on(ids, D(2022, 3, 1))) == {quwo.pk}
    assert set(blacklist.listed_on(ids, D(2024, 5, 31))) == {quwo.pk, quwo2.pk}
    # Removed on 2024-06-01: off the list from that day.
    assert set(blacklist.listed_on(ids, D(2024, 6, 1))) == {quwo.pk}
    # No removal recorded: three years (blacklist.listing_years), the last day 2025-02-28.
    assert set(blacklist.listed_on(ids, D(2025, 2, 28))) == {quwo.pk}
    assert blacklist.listed_on(ids, D(2025, 3, 1)) == {}
    assert blacklist.listed_on(None, D(2024, 5, 31))[quwo2.pk].reason == "已整改移出"
    entry = BlacklistEntry.objects.get(employer=quwo)
    assert blacklist.ends_on(entry) == D(2025, 3, 1)
    assert blacklist.is_listed(entry, D(2025, 2, 28)) and not blacklist.is_listed(
        entry, D(2025, 3, 1)
    )


def test_a_listing_of_29_february_ends_on_28_february(operator, employers):
    quwo = employers["quwo"]
    entry = _add(operator, quwo, D(2024, 2, 29))
    assert blacklist.ends_on(entry) == D(2027, 2, 28)
    assert set(blacklist.listed_on([quwo.pk], D(2027, 2, 27))) == {quwo.pk}
    assert blacklist.listed_on([quwo.pk], D(2027, 2, 28)) == {}
    assert blacklist.is_listed(entry, D(2027, 2, 27)) and not blacklist.is_listed(
        entry, D(2027, 2, 28)
    )


def test_the_latest_overlapping_listing_gives_the_reason(operator, employers):
    quwo = employers["quwo"]
    _add(operator, quwo, D(2023, 1, 1), reason="第一次")
    _add(operator, quwo, D(2024, 1, 1), reason="第二次")
    assert blacklist.listed_on([quwo.pk], D(2024, 2, 1))[quwo.pk].reason == "第二次"


def test_entry_list_is_scoped_and_searchable(staff, operator, employers):
    today = timezone.localdate()
    _add(operator, employers["quwo"], today - datetime.timedelta(days=10))
    _add(operator, employers["quwo2"], D(2020, 1, 1), removed_on=D(2021, 1, 1))
    _add(staff["houma_operator"], employers["houma"])
    assert blacklist.entry_list(operator).count() == 2
    assert blacklist.entry_list(staff["houma_operator"]).count() == 1
    assert blacklist.entry_list(staff["province_leader"]).count() == 3
    assert [e.employer.name for e in blacklist.entry_list(operator, q="欠薪")] == [
        "曲沃欠薪建筑公司"
    ]
    assert blacklist.entry_list(operator, q=employers["quwo2"].uscc).count() == 1
    assert [e.employer_id for e in blacklist.entry_list(operator, state="listed")] == [
        employers["quwo"].pk
    ]
    assert [e.employer_id for e in blacklist.entry_list(operator, state="ended")] == [
        employers["quwo2"].pk
    ]


# ---- import ----------------------------------------------------------------------------------


def test_import_keeps_good_rows_and_reports_bad_ones(operator, employers):
    quwo, quwo2, houma = employers["quwo"], employers["quwo2"], employers["houma"]
    bad_check = quwo.uscc[:-1] + ("0" if quwo.uscc[-1] != "0" else "1")
    rows = [
        (quwo.uscc, quwo.name, "2024年3月1日", "", "拖欠工资", "曲人社〔2024〕1号", "曲沃县人社局"),
        (quwo2.uscc, quwo2.name, "2024/1/10", "2024-06-01", "拖欠工资", "", ""),
        (bad_check, "校验位错", "2024-03-01", "", "x", "", ""),
        (valid_uscc(77, "141021"), "未登记", "2024-03-01", "", "x", "", ""),
        (houma.uscc, houma.name, "2024-03-01", "", "x", "", ""),
        (quwo.uscc, quwo.name, "2024-13-01", "", "x", "", ""),
        (quwo.uscc, quwo.name, "2024-05-01", "2024-04-01", "x", "", ""),
        (quwo.uscc, quwo.name, "2024-05-02", "", "", "", ""),
        (quwo.uscc, quwo.name, "", "", "x", "", ""),
    ]
    report = blacklist.import_entries(actor=operator, file=xlsx(rows))
    assert (report.rows, report.created, report.updated, report.unchanged) == (9, 2, 0, 0)
    by_row = {e.row: (e.column, e.reason) for e in report.errors}
    assert set(by_row) == {5, 6, 7, 8, 9, 10, 11}
    assert by_row[5][0] == "统一社会信用代码" and "check character" in by_row[5][1]
    assert by_row[6][0] == "统一社会信用代码" and "registered in your region" in by_row[6][1]
    assert by_row[7][0] == "统一社会信用代码"  # 侯马: not in a 曲沃 operator's region
    assert by_row[8][0] == "列入日期" and "no such date" in by_row[8][1].lower()
    assert by_row[9][0] == "移出日期"
    assert by_row[10][0] == "列入事由"
    assert by_row[11][0] == "列入日期" and "missing" in by_row[11][1]
    entry = BlacklistEntry.objects.get(employer=quwo)
    assert (entry.listed_on, entry.decision_number, entry.authority) == (
        D(2024, 3, 1),
        "曲人社〔2024〕1号",
        "曲沃县人社局",
    )
    assert BlacklistEntry.objects.get(employer=quwo2).removed_on == D(2024, 6, 1)
    assert AuditLog.objects.get(action="policies.blacklist.import").after["created"] == 2


def test_reimport_is_harmless_and_blank_cells_clear_nothing(operator, employers):
    quwo = employers["quwo"]
    rows = [(quwo.uscc, quwo.name, "2024-03-01", "", "拖欠工资", "文号1", "曲沃县人社局")]
    blacklist.import_entries(actor=operator, file=xlsx(rows))
    again = blacklist.import_entries(actor=operator, file=xlsx(rows))
    assert (again.created, again.updated, again.unchanged, again.errors) == (0, 0, 1, [])
    assert BlacklistEntry.objects.count() == 1
    entry = BlacklistEntry.objects.get()
    blacklist.remove_entry(actor=operator, entry=entry, removed_on=D(2024, 8, 1))
    # The old list has no removal date: importing it again must not put the employer back.
    blacklist.import_entries(actor=operator, file=xlsx(rows))
    entry.refresh_from_db()
    assert entry.removed_on == D(2024, 8, 1)
    # A new list with a removal date updates the entry.
    moved = [(quwo.uscc, quwo.name, "2024-03-01", "2024-09-01", "拖欠工资", "文号1", "")]
    report = blacklist.import_entries(actor=operator, file=xlsx(moved))
    assert report.updated == 1
    entry.refresh_from_db()
    assert entry.removed_on == D(2024, 9, 1) and entry.authority == "曲沃县人社局"


def test_duplicate_rows_in_one_file(operator, employers):
    quwo = employers["quwo"]
    row = (quwo.uscc, quwo.name, "2024-03-01", "", "拖欠工资", "", "")
    report = blacklist.import_entries(actor=operator, file=xlsx([row, row]))
    assert report.created == 1 and report.errors[0].row == 4
    assert "row 3" in report.errors[0].reason


def test_import_without_required_columns_is_refused(operator, employers):
    with pytest.raises(JiuyeError, match="列入事由") as info:
        blacklist.import_entries(
            actor=operator,
            file=xlsx(
                [(employers["quwo"].uscc, "2024-03-01")], header=("统一社会信用代码", "列入日期")
            ),
        )
    assert info.value.code == "invalid_file"


def test_import_needs_the_edit_permission(staff, employers):
    quwo = employers["quwo"]
    rows = [(quwo.uscc, quwo.name, "2024-03-01", "", "拖欠工资", "", "")]
    with pytest.raises(JiuyeError) as info:
        blacklist.import_entries(actor=staff["province_leader"], file=xlsx(rows))
    assert info.value.status == 403 and not BlacklistEntry.objects.exists()


def test_import_csv_in_gbk(operator, employers):
    quwo = employers["quwo"]
    text = "统一社会信用代码,列入日期,列入事由\n" + f"{quwo.uscc},2024.3.1,拖欠农民工工资\n"
    buf = io.BytesIO(text.encode("gbk"))
    buf.name = "名单.csv"
    report = blacklist.import_entries(actor=operator, file=buf)
    assert report.created == 1 and report.errors == []


# ---- the rule --------------------------------------------------------------------------------


def _situation(blacklisted: bool, reason: str) -> dict:
    return {
        "as_of": "2025-10-10",
        "people": [
            {
                "id": "p1",
                "birth_date": "2002-05-01",
                "sex": "1",
                "graduate": True,
                "graduate_year": 2025,
                "left_school_on": "2025-07-01",
            }
        ],
        "employers": [
            {
                "id": "e1",
                "ownership": "private",
                "size_class": "small",
                "blacklisted": blacklisted,
                "blacklist_reason": reason,
            }
        ],
        "hires": [
            {
                "person_id": "p1",
                "employer_id": "e1",
                "hired_on": "2025-07-01",
                "contract_months": 36,
                "ui_months_after": 3,
                "injury_months_after": 3,
                "pension_months_after": 3,
                "still_employed": True,
            }
        ],
    }


def test_a_listed_employer_gets_no_expansion_subsidy(operator, employers):
    """End to end: the entry in the database → the employer's ``blacklisted`` and
    ``blacklist_reason`` columns (as the loader computes them with ``listed_on``) → the
    calculator says ineligible, and which condition failed."""
    quwo = employers["quwo"]
    _add(operator, quwo, D(2024, 3, 1), reason="拖欠农民工工资，经责令限期清偿仍未清偿")
    as_of = D(2025, 10, 10)
    listed = blacklist.listed_on([quwo.pk], as_of)
    situation = _situation(quwo.pk in listed, listed[quwo.pk].reason if listed else "")
    assert situation["employers"][0]["blacklist_reason"].startswith("拖欠农民工工资")

    (policy,) = calculate(situation, ["expansion_subsidy"])["policies"]
    (result,) = policy["results"]
    outcomes = {c["code"]: c for c in result["conditions"]}
    assert result["applicable"] and not result["eligible"] and result["amount"] == 0
    assert outcomes["not_blacklisted"]["passed"] is False
    assert "wage arrears" in outcomes["not_blacklisted"]["label"]
    assert all(c["passed"] for code, c in outcomes.items() if code != "not_blacklisted")
    assert policy["parameters"]["blacklist.blocks_subsidies"].startswith(
        "blacklist.blocks_subsidies@"
    )

    # Once the listing ends, the same hire is eligible.
    blacklist.remove_entry(actor=operator, entry=listed[quwo.pk], removed_on=D(2025, 10, 1))
    assert blacklist.listed_on([quwo.pk], as_of) == {}
    (policy,) = calculate(_situation(False, ""), ["expansion_subsidy"])["policies"]
    assert policy["results"][0]["eligible"] is True
