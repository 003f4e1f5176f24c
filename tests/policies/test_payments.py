"""Payment batches: declared count and total, the database's once-only constraint, the bank
payment file, the bank's result file, and re-batching after a failure without paying twice.

Approved entitlements are created directly (the approval actions are another module's)."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import openpyxl
import pytest
from django.db import IntegrityError, transaction
from django.utils import translation
from tests.conftest import valid_uscc

from jiuye.core.errors import JiuyeError, NotFoundError
from jiuye.core.models import AuditLog
from jiuye.policies import payments
from jiuye.policies.models import (
    BatchStatus,
    Entitlement,
    EntitlementStatus,
    Fund,
    PaymentItem,
    PaymentItemStatus,
    SubjectType,
)

QUWO = "141021000000"
LECHANG_VILLAGE = "141021100200"
HOUMA = "141081001001"
ACCOUNT = "6222021202012345678"


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


# ---- helpers shared with the other payment test files ---------------------------------------


def make_employer(actor, n: int, region_code: str = "141021100000", name: str = ""):
    from jiuye.registry.actions import register_employer

    return register_employer(
        actor=actor,
        uscc=valid_uscc(n, region_code[:6]),
        name=name or f"曲沃测试企业{n}",
        region_code=region_code,
        ownership="private",
    )


def entitlement(
    subject,
    *,
    payee=None,
    policy: str = "expansion_subsidy",
    period: str = "once",
    amount="1500.00",
    fund: str = Fund.UNEMPLOYMENT_INSURANCE,
    status: str = EntitlementStatus.APPROVED,
    account: str = ACCOUNT,
    holder: str | None = None,
    region_code: str | None = None,
    reviewed_at=None,
) -> Entitlement:
    """An entitlement about ``subject`` (a Person or an Employer), paid to ``payee``."""
    from jiuye.registry.models import Employer

    payee = payee or subject
    subject_type = SubjectType.EMPLOYER if isinstance(subject, Employer) else SubjectType.PERSON
    payee_type = SubjectType.EMPLOYER if isinstance(payee, Employer) else SubjectType.PERSON
    return Entitlement.objects.create(
        policy=policy,
        subject_type=subject_type,
        subject_id=subject.pk,
        payee_type=payee_type,
        payee_id=payee.pk,
        period=period,
        region_code=region_code or subject.region_code,
        fund=fund,
        amount=Decimal(str(amount)),
        status=status,
        account_holder=payee.name if holder is None else holder,
        bank_name="中国工商银行曲沃支行",
        bank_account=account,
        reviewed_at=reviewed_at,
    )


def result_xlsx(rows, header=("业务编号", "状态", "银行流水号", "失败原因"), title=True):
    wb = openpyxl.Workbook()
    ws = wb.active
    if title:
        ws.append(["代发结果", "", "", ""])
    ws.append(list(header))
    for row in rows:
        ws.append(list(row))
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    buf.name = "result.xlsx"
    return buf


def result_csv(rows, encoding="utf-8-sig", header=("业务编号", "状态", "银行流水号", "失败原因")):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow(row)
    buf = io.BytesIO(out.getvalue().encode(encoding))
    buf.name = "result.csv"
    return buf


@pytest.fixture
def people(person_factory):
    return [person_factory(f"受益人{i}", LECHANG_VILLAGE) for i in range(1, 6)]


@pytest.fixture
def employer(staff):
    return make_employer(staff["province_admin"], 1)


@pytest.fixture
def operator(staff):
    return staff["county_operator"]


@pytest.fixture
def batch(operator):
    return payments.create_batch(
        actor=operator,
        name="2025年第1批扩岗补助",
        fund=Fund.UNEMPLOYMENT_INSURANCE,
        region_code=QUWO,
        declared_count=3,
        declared_total="4500.00",
    )


def hires(people, employer, n=3, **kw):
    return [entitlement(p, payee=employer, **kw) for p in people[:n]]


# ---- creating and filling a batch ------------------------------------------------------------


def test_create_batch_declares_count_and_total(batch, operator):
    assert batch.status == BatchStatus.OPEN
    assert batch.declared_count == 3 and batch.declared_total == Decimal("4500.00")
    assert batch.created_by == operator
    log = AuditLog.objects.get(action="policies.payment_batch.create")
    assert log.after["declared_count"] == 3 and log.region_code == QUWO


@pytest.mark.parametrize(
    ("count", "total", "message"),
    [
        (0, "100", "at least 1"),
        ("x", "100", "whole number"),
        (1, "0", "more than zero"),
        (1, "1.005", "two decimal places"),
        (1, "abc", "must be an amount"),
    ],
)
def test_create_batch_refuses_bad_declarations(operator, regions, count, total, message):
    with pytest.raises(JiuyeError, match=message):
        payments.create_batch(
            actor=operator,
            name="b",
            fund=Fund.UNEMPLOYMENT_INSURANCE,
            region_code=QUWO,
            declared_count=count,
            declared_total=total,
        )


def test_create_batch_outside_scope_is_refused(staff):
    with pytest.raises(JiuyeError) as info:
        payments.create_batch(
            actor=staff["houma_operator"],
            name="b",
            fund=Fund.UNEMPLOYMENT_INSURANCE,
            region_code=QUWO,
            declared_count=1,
            declared_total=100,
        )
    assert info.value.code == "out_of_scope"


def test_add_items_copies_the_entitlement_and_moves_it_into_the_batch(
    batch, operator, people, employer
):
    ents = hires(people, employer)
    items = payments.add_items(actor=operator, batch=batch, entitlements=ents)
    assert len(items) == 3
    item = PaymentItem.objects.get(entitlement=ents[0])
    assert (item.policy, item.subject_type, item.subject_id, item.period) == (
        "expansion_subsidy",
        "person",
        people[0].pk,
        "once",
    )
    assert item.amount == Decimal("1500.00") and item.payee_name == employer.name
    assert item.bank_account == ACCOUNT and item.status == PaymentItemStatus.PENDING
    assert item.region_code == people[0].region_code
    assert set(Entitlement.objects.values_list("status", flat=True)) == {"in_batch"}
    totals = payments.batch_totals(batch)
    assert totals.count == 3 and totals.total == Decimal("4500.00")
    assert AuditLog.objects.filter(action="policies.entitlement.in_batch").count() == 3
    assert AuditLog.objects.get(action="policies.payment_batch.add_items").after["count"] == 3


def test_items_beyond_the_declared_count_are_refused_and_nothing_is_added(
    operator, people, employer
):
    batch = payments.create_batch(
        actor=operator,
        name="b",
        fund=Fund.UNEMPLOYMENT_INSURANCE,
        region_code=QUWO,
        declared_count=2,
        declared_total="100000",
    )
    ents = hires(people, employer, n=3)
    with pytest.raises(JiuyeError, match="beyond the declared count"):
        payments.add_items(actor=operator, batch=batch, entitlements=ents)
    assert not PaymentItem.objects.exists()
    assert set(Entitlement.objects.values_list("status", flat=True)) == {"approved"}
    payments.add_items(actor=operator, batch=batch, entitlements=ents[:2])
    with pytest.raises(JiuyeError, match="declares 2 items and holds 2"):
        payments.add_items(actor=operator, batch=batch, entitlements=ents[2:])
    assert PaymentItem.objects.count() == 2


def test_items_beyond_the_declared_total_are_refused(operator, people, employer):
    batch = payments.create_batch(
        actor=operator,
        name="b",
        fund=Fund.UNEMPLOYMENT_INSURANCE,
        region_code=QUWO,
        declared_count=10,
        declared_total="3000.00",
    )
    ents = hires(people, employer, n=3)
    with pytest.raises(JiuyeError, match="beyond the declared total"):
        payments.add_items(actor=operator, batch=batch, entitlements=ents)
    assert not PaymentItem.objects.exists()
    payments.add_items(actor=operator, batch=batch, entitlements=ents[:2])
    small = entitlement(people[3], payee=employer, amount="0.01")
    with pytest.raises(JiuyeError, match="declared total"):
        payments.add_items(actor=operator, batch=batch, entitlements=[small])


def test_fitting_takes_what_is_left_of_the_declaration(operator, people, employer):
    batch = payments.create_batch(
        actor=operator,
        name="b",
        fund=Fund.UNEMPLOYMENT_INSURANCE,
        region_code=QUWO,
        declared_count=3,
        declared_total="2600",
    )
    ents = [
        entitlement(people[0], payee=employer, amount="1500"),
        entitlement(people[1], payee=employer, amount="1500"),
        entitlement(people[2], payee=employer, amount="1000"),
        entitlement(people[3], payee=employer, amount="200"),
    ]
    chosen = payments.fitting(batch, ents)
    assert [e.pk for e in chosen] == [ents[0].pk, ents[2].pk]
    payments.add_items(actor=operator, batch=batch, entitlements=chosen)
    assert [e.pk for e in payments.fitting(batch, ents[3:])] == []  # 100 yuan left


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"status": EntitlementStatus.CONFIRMED}, "not approved"),
        ({"status": EntitlementStatus.PAID}, "not approved"),
        ({"fund": Fund.EMPLOYMENT_SUBSIDY}, "another fund"),
        ({"account": ""}, "no confirmed bank account"),
        ({"holder": ""}, "no confirmed bank account"),
    ],
)
def test_unpayable_entitlements_are_refused_with_the_name(
    batch, operator, people, employer, change, message
):
    good = entitlement(people[0], payee=employer)
    bad = entitlement(people[1], payee=employer, **change)
    with pytest.raises(JiuyeError, match=message) as info:
        payments.add_items(actor=operator, batch=batch, entitlements=[good, bad])
    assert people[1].name in str(info.value.message)
    assert not PaymentItem.objects.exists()


def test_entitlements_outside_the_batch_region_are_refused(
    operator, staff, person_factory, employer
):
    batch = payments.create_batch(
        actor=operator,
        name="乐昌镇",
        fund=Fund.UNEMPLOYMENT_INSURANCE,
        region_code="141021100000",
        declared_count=5,
        declared_total=10000,
    )
    shicun = person_factory("史村人", "141021101000")
    ent = entitlement(shicun, payee=employer)
    with pytest.raises(JiuyeError, match="outside the batch's region"):
        payments.add_items(actor=operator, batch=batch, entitlements=[ent])
    # Another county's entitlement does not exist for this operator at all.
    houma = entitlement(person_factory("侯马人", HOUMA), payee=employer)
    with pytest.raises(JiuyeError) as info:
        payments.add_items(actor=operator, batch=batch, entitlements=[houma])
    assert info.value.status == 404


def test_other_county_cannot_touch_the_batch(batch, staff, people, employer):
    ent = entitlement(people[0], payee=employer)
    with pytest.raises(NotFoundError):
        payments.add_items(actor=staff["houma_operator"], batch=batch, entitlements=[ent])
    with pytest.raises(NotFoundError):
        payments.export_bank_file(actor=staff["houma_operator"], batch=batch)
    with pytest.raises(NotFoundError):
        payments.import_bank_result(
            actor=staff["houma_operator"], batch=batch, file=result_xlsx([])
        )


def test_candidates_are_payable_entitlements_of_the_fund_and_region(
    batch, operator, people, employer, person_factory
):
    ok = entitlement(people[0], payee=employer)
    failed_before = entitlement(people[1], payee=employer, status=EntitlementStatus.PAYMENT_FAILED)
    entitlement(people[2], payee=employer, fund=Fund.EMPLOYMENT_SUBSIDY)
    entitlement(people[3], payee=employer, account="")
    entitlement(people[4], payee=employer, status=EntitlementStatus.CONFIRMED)
    entitlement(person_factory("侯马人", HOUMA), payee=employer)
    found = payments.candidates(operator, batch)
    assert [e.pk for e in found] == [ok.pk, failed_before.pk]
    assert payments.candidates(operator, batch, policy="absorption_subsidy") == []


# ---- the database constraint -----------------------------------------------------------------


def _item(batch, ent, status=PaymentItemStatus.PENDING):
    return PaymentItem.objects.create(
        batch=batch,
        entitlement=ent,
        policy=ent.policy,
        subject_type=ent.subject_type,
        subject_id=ent.subject_id,
        period=ent.period,
        region_code=ent.region_code,
        amount=ent.amount,
        payee_name=ent.account_holder,
        status=status,
    )


@pytest.mark.parametrize("second", [PaymentItemStatus.PENDING, PaymentItemStatus.PAID])
@pytest.mark.parametrize("first", [PaymentItemStatus.PENDING, PaymentItemStatus.PAID])
def test_the_database_refuses_a_second_live_item(batch, people, employer, first, second):
    """Written straight with the ORM, past every check in the actions: the constraint holds."""
    ent = entitlement(people[0], payee=employer)
    _item(batch, ent, first)
    with pytest.raises(IntegrityError), transaction.atomic():
        _item(batch, ent, second)
    assert PaymentItem.objects.count() == 1


def test_the_database_allows_a_new_item_after_a_failed_one(batch, people, employer):
    ent = entitlement(people[0], payee=employer)
    _item(batch, ent, PaymentItemStatus.FAILED)
    _item(batch, ent, PaymentItemStatus.FAILED)
    _item(batch, ent, PaymentItemStatus.PENDING)
    assert PaymentItem.objects.count() == 3
    with pytest.raises(IntegrityError), transaction.atomic():
        _item(batch, ent, PaymentItemStatus.PAID)


def test_the_constraint_refusal_becomes_a_clear_error_naming_the_person(
    batch, operator, people, employer
):
    ent = entitlement(people[0], payee=employer)
    other = entitlement(people[1], payee=employer)
    payments.add_items(actor=operator, batch=batch, entitlements=[ent])
    # A stale status (a bug, a hand edit) must still not pay twice: the database refuses.
    Entitlement.objects.filter(pk=ent.pk).update(status=EntitlementStatus.APPROVED)
    second = payments.create_batch(
        actor=operator,
        name="b2",
        fund=Fund.UNEMPLOYMENT_INSURANCE,
        region_code=QUWO,
        declared_count=5,
        declared_total=10000,
    )
    with pytest.raises(JiuyeError) as info:
        payments.add_items(actor=operator, batch=second, entitlements=[other, ent])
    message = str(info.value.message)
    assert people[0].name in message and "already has a pending or paid payment" in message
    assert info.value.code == "conflict"
    assert not second.items.exists()
    assert Entitlement.objects.get(pk=other.pk).status == EntitlementStatus.APPROVED


# ---- the bank payment file -------------------------------------------------------------------


def _filled(batch, operator, people, employer):
    ents = hires(people, employer)
    payments.add_items(actor=operator, batch=batch, entitlements=ents)
    return ents


def test_bank_file_xlsx_has_every_column_the_full_account_and_the_totals(
    batch, operator, people, employer
):
    _filled(batch, operator, people, employer)
    bank = payments.export_bank_file(actor=operator, batch=batch, format="xlsx")
    assert bank.filename.endswith(".xlsx") and bank.count == 3
    ws = openpyxl.load_workbook(io.BytesIO(bank.content)).active
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    assert rows[0][:2] == ["批次名称", batch.name]
    assert rows[1][:4] == ["总笔数", 3, "总金额", 4500]
    header_at = rows.index(payments.BANK_COLUMNS)
    details = rows[header_at + 1 : header_at + 4]
    items = list(batch.items.order_by("id"))
    for n, (row, item) in enumerate(zip(details, items, strict=True), start=1):
        assert row == [
            n,
            employer.name,
            ACCOUNT,
            "中国工商银行曲沃支行",
            1500,
            row[5],
            str(item.pk),
        ]
        assert row[5] == payments.policy_name("expansion_subsidy")
    assert rows[header_at + 4][0] == "合计" and rows[header_at + 4][4] == 4500
    batch.refresh_from_db()
    assert batch.status == BatchStatus.EXPORTED and batch.exported_at is not None
    log = AuditLog.objects.get(action="policies.payment_batch.export")
    assert log.after["count"] == 3 and log.after["format"] == "xlsx"


def test_bank_file_csv_reads_back(batch, operator, people, employer):
    _filled(batch, operator, people, employer)
    bank = payments.export_bank_file(actor=operator, batch=batch, format="csv")
    assert bank.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(bank.content.decode("utf-8-sig"))))
    assert rows[1] == ["总笔数", "3", "总金额", "4500.00"]
    assert rows[2] == payments.BANK_COLUMNS
    assert rows[3][1:5] == [employer.name, ACCOUNT, "中国工商银行曲沃支行", "1500.00"]
    assert rows[-1][:5] == ["合计", "", "", "", "4500.00"]


def test_an_exported_batch_takes_no_more_items(batch, operator, people, employer):
    _filled(batch, operator, people, employer)
    payments.export_bank_file(actor=operator, batch=batch)
    late = entitlement(people[3], payee=employer)
    with pytest.raises(JiuyeError, match="takes no more items"):
        payments.add_items(actor=operator, batch=batch, entitlements=[late])
    # Exporting again gives the same file and leaves the batch as it is.
    again = payments.export_bank_file(actor=operator, batch=batch, format="csv")
    assert again.count == 3


def test_export_needs_items_and_the_export_permission(batch, operator, staff, regions):
    with pytest.raises(JiuyeError, match="empty"):
        payments.export_bank_file(actor=operator, batch=batch)
    with pytest.raises(JiuyeError, match=r"xlsx or \.csv"):
        payments.export_bank_file(actor=operator, batch=batch, format="pdf")


# ---- the bank's result file ------------------------------------------------------------------


@pytest.fixture
def sent(batch, operator, people, employer):
    ents = _filled(batch, operator, people, employer)
    payments.export_bank_file(actor=operator, batch=batch)
    items = list(batch.items.order_by("id"))
    return batch, ents, items


def test_result_marks_items_paid_or_failed_and_reports_bad_rows(sent, operator):
    batch, ents, items = sent
    file = result_xlsx(
        [
            (items[0].pk, "成功", "B0001", ""),
            (items[1].pk, "失败", "", "账户已销户"),
            ("abc", "成功", "", ""),
            (999999, "成功", "", ""),
            (items[2].pk, "处理中", "", ""),
            ("合计", "", "", ""),
        ]
    )
    report = payments.import_bank_result(actor=operator, batch=batch, file=file)
    assert (report.rows, report.paid, report.failed, report.unchanged) == (5, 1, 1, 0)
    errors = {(e.row, e.column) for e in report.errors}
    # Row 1 is the title, row 2 the header: the data starts in row 3.
    assert errors == {(5, "业务编号"), (6, "业务编号"), (7, "状态")}
    reasons = " ".join(e.reason for e in report.errors)
    assert "abc" in reasons and "999999" in reasons and "处理中" in reasons
    paid, failed, pending = (PaymentItem.objects.get(pk=i.pk) for i in items)
    assert paid.status == "paid" and paid.bank_reference == "B0001" and paid.settled_at
    assert failed.status == "failed" and failed.failure_reason == "账户已销户"
    assert pending.status == "pending"
    statuses = [Entitlement.objects.get(pk=e.pk).status for e in ents]
    assert statuses == ["paid", "pay_failed", "in_batch"]
    batch.refresh_from_db()
    assert batch.status == BatchStatus.EXPORTED  # one item still waits for the bank
    payments.import_bank_result(
        actor=operator, batch=batch, file=result_csv([(items[2].pk, "交易成功", "B0003", "")])
    )
    batch.refresh_from_db()
    assert batch.status == BatchStatus.RECONCILED and batch.reconciled_at is not None


def test_reimporting_the_same_file_changes_nothing(sent, operator):
    batch, _ents, items = sent
    rows = [
        (items[0].pk, "成功", "B0001", ""),
        (items[1].pk, "失败", "", "户名不符"),
        (items[2].pk, "success", "B0003", ""),
    ]
    first = payments.import_bank_result(actor=operator, batch=batch, file=result_xlsx(rows))
    assert (first.paid, first.failed, first.errors) == (2, 1, [])
    settled = {i.pk: i.settled_at for i in PaymentItem.objects.all()}
    logs = AuditLog.objects.filter(action="policies.payment_item.settle").count()
    second = payments.import_bank_result(actor=operator, batch=batch, file=result_xlsx(rows))
    assert (second.paid, second.failed, second.unchanged, second.errors) == (0, 0, 3, [])
    assert {i.pk: i.settled_at for i in PaymentItem.objects.all()} == settled
    assert AuditLog.objects.filter(action="policies.payment_item.settle").count() == logs


def test_a_paid_item_cannot_become_failed(sent, operator):
    batch, ents, items = sent
    payments.import_bank_result(
        actor=operator, batch=batch, file=result_xlsx([(items[0].pk, "成功", "B1", "")])
    )
    report = payments.import_bank_result(
        actor=operator, batch=batch, file=result_xlsx([(items[0].pk, "失败", "", "x")])
    )
    assert report.failed == 0 and "cannot become failed" in report.errors[0].reason
    assert PaymentItem.objects.get(pk=items[0].pk).status == "paid"
    assert Entitlement.objects.get(pk=ents[0].pk).status == "paid"


def test_conflicting_rows_for_one_item_in_one_file(sent, operator):
    batch, _ents, items = sent
    report = payments.import_bank_result(
        actor=operator,
        batch=batch,
        file=result_xlsx([(items[0].pk, "成功", "", ""), (items[0].pk, "失败", "", "")]),
    )
    assert report.paid == 1 and len(report.errors) == 1
    assert "another status" in report.errors[0].reason


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gbk"])
def test_result_csv_in_utf8_or_gbk(sent, operator, encoding):
    batch, _ents, items = sent
    file = result_csv(
        [(items[0].pk, "支付成功", "流水1", ""), (items[1].pk, "退票", "", "账号不存在")],
        encoding=encoding,
    )
    report = payments.import_bank_result(actor=operator, batch=batch, file=file)
    assert (report.paid, report.failed, report.errors) == (1, 1, [])
    assert PaymentItem.objects.get(pk=items[1].pk).failure_reason == "账号不存在"


def test_result_file_without_the_needed_columns_is_refused(sent, operator):
    batch, _ents, _items = sent
    with pytest.raises(JiuyeError, match="no column") as info:
        payments.import_bank_result(
            actor=operator,
            batch=batch,
            file=result_xlsx([(1, "x")], header=("业务编号", "金额"), title=False),
        )
    assert info.value.code == "invalid_file"
    with pytest.raises(JiuyeError) as info:
        bad = io.BytesIO(b"not a spreadsheet")
        bad.name = "r.xlsx"
        payments.import_bank_result(actor=operator, batch=batch, file=bad)
    assert info.value.code == "invalid_file"


def test_result_before_export_is_refused(batch, operator, people, employer):
    _filled(batch, operator, people, employer)
    with pytest.raises(JiuyeError, match="export the bank file first"):
        payments.import_bank_result(actor=operator, batch=batch, file=result_xlsx([]))


# ---- failed, then re-batched: paid once ------------------------------------------------------


def _new_batch(operator, name, count=5, total="10000"):
    return payments.create_batch(
        actor=operator,
        name=name,
        fund=Fund.UNEMPLOYMENT_INSURANCE,
        region_code=QUWO,
        declared_count=count,
        declared_total=total,
    )


def test_failed_items_go_into_a_later_batch_and_nobody_is_paid_twice(sent, operator):
    batch, ents, items = sent
    first_file = result_xlsx(
        [
            (items[0].pk, "成功", "B1", ""),
            (items[1].pk, "失败", "", "户名不符"),
            (items[2].pk, "成功", "B3", ""),
        ]
    )
    payments.import_bank_result(actor=operator, batch=batch, file=first_file)
    failed = Entitlement.objects.get(pk=ents[1].pk)
    assert failed.status == EntitlementStatus.PAYMENT_FAILED

    # The paid ones cannot go into another batch; the failed one can.
    later = _new_batch(operator, "补发")
    with pytest.raises(JiuyeError, match="not approved"):
        payments.add_items(actor=operator, batch=later, entitlements=[ents[0]])
    assert [e.pk for e in payments.candidates(operator, later)] == [failed.pk]
    (retry,) = payments.add_items(actor=operator, batch=later, entitlements=[failed])
    assert Entitlement.objects.get(pk=failed.pk).status == EntitlementStatus.IN_BATCH
    payments.export_bank_file(actor=operator, batch=later)
    payments.import_bank_result(
        actor=operator, batch=later, file=result_xlsx([(retry.pk, "成功", "B9", "")])
    )
    assert Entitlement.objects.get(pk=failed.pk).status == EntitlementStatus.PAID

    # Re-running everything: the first result file again, the retry's again, a third batch.
    payments.import_bank_result(actor=operator, batch=batch, file=first_file)
    payments.import_bank_result(
        actor=operator, batch=later, file=result_xlsx([(retry.pk, "成功", "B9", "")])
    )
    third = _new_batch(operator, "再补发")
    assert payments.candidates(operator, third) == []
    with pytest.raises(JiuyeError):
        payments.add_items(actor=operator, batch=third, entitlements=ents)
    for e in ents:
        assert PaymentItem.objects.filter(entitlement=e, status="paid").count() == 1
    assert PaymentItem.objects.filter(entitlement=failed, status="failed").count() == 1


def test_an_item_failed_earlier_is_not_marked_paid_later(sent, operator):
    batch, ents, items = sent
    payments.import_bank_result(
        actor=operator, batch=batch, file=result_xlsx([(items[1].pk, "失败", "", "x")])
    )
    later = _new_batch(operator, "补发")
    payments.add_items(actor=operator, batch=later, entitlements=[ents[1]])
    report = payments.import_bank_result(
        actor=operator, batch=batch, file=result_xlsx([(items[1].pk, "成功", "B2", "")])
    )
    assert report.paid == 0 and "already recorded as failed" in report.errors[0].reason
    assert PaymentItem.objects.get(pk=items[1].pk).status == "failed"


def test_reviewer_may_export_but_not_fill(batch, staff, operator, people, employer):
    ents = hires(people, employer, n=1)
    reviewer = staff["county_reviewer"]
    with pytest.raises(NotFoundError):
        payments.add_items(actor=reviewer, batch=batch, entitlements=ents)
    payments.add_items(actor=operator, batch=batch, entitlements=ents)
    assert payments.export_bank_file(actor=reviewer, batch=batch).count == 1


def test_batch_list_is_scoped_and_annotated(batch, staff, operator, people, employer):
    _filled(batch, operator, people, employer)
    (found,) = payments.batch_list(operator)
    assert found.item_count == 3 and found.item_total == Decimal("4500.00")
    assert list(payments.batch_list(staff["houma_operator"])) == []
    assert payments.batch_list(staff["city_operator"]).count() == 1
    assert payments.batch_list(operator, status="exported").count() == 0


def test_policy_name_is_chinese_for_the_bank():
    """Whatever the clerk's language, the bank file says what the payment is in Chinese."""
    from jiuye.policies.rules.expansion_subsidy import POLICY

    with translation.override("zh-hans"):
        chinese = str(POLICY.name)
    assert payments.policy_name("expansion_subsidy") == chinese
    assert payments.policy_name("no_such_policy") == "no_such_policy"


def test_amount_is_copied_even_if_the_entitlement_changes_later(batch, operator, people, employer):
    (ent,) = hires(people, employer, n=1)
    payments.add_items(actor=operator, batch=batch, entitlements=[ent])
    Entitlement.objects.filter(pk=ent.pk).update(amount=Decimal("1.00"))
    item = PaymentItem.objects.get()
    assert item.amount == Decimal("1500.00")
