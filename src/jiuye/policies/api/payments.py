"""Payment batches and the employer blacklist over HTTP (``/api/policies/payments/…``).

The same actions and selectors as the pages: every batch is read within the caller's regions
(404 outside them), and the actions check the permission again at the batch's region. The bank
file comes back as the file itself; the bank's result file goes up as ``multipart/form-data``.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from urllib.parse import quote

from django.http import HttpResponse
from ninja import File, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field

from jiuye.accounts.permissions import Perm
from jiuye.core.masking import mask_id_number
from jiuye.policies import blacklist, payments
from jiuye.policies.models import PaymentBatch

router = Router(tags=["policies"])


class BatchIn(Schema):
    name: str
    fund: str
    region_code: str
    declared_count: int = Field(ge=1)
    declared_total: Decimal = Field(gt=0, max_digits=14, decimal_places=2)


class BatchOut(Schema):
    id: int
    name: str
    fund: str
    region_code: str
    status: str
    declared_count: int
    declared_total: Decimal
    item_count: int
    item_total: Decimal
    paid_count: int
    paid_total: Decimal
    failed_count: int
    created_at: datetime.datetime
    exported_at: datetime.datetime | None
    reconciled_at: datetime.datetime | None


class BatchPage(Schema):
    count: int
    page: int
    page_size: int
    items: list[BatchOut]


class ItemOut(Schema):
    id: int
    entitlement_id: int
    policy: str
    subject_type: str
    subject_id: int
    period: str
    region_code: str
    amount: Decimal
    payee_name: str
    bank_name: str
    bank_account_masked: str
    status: str
    bank_reference: str
    failure_reason: str
    settled_at: datetime.datetime | None


class BatchDetailOut(BatchOut):
    items: list[ItemOut]


class ItemsIn(Schema):
    entitlement_ids: list[int] = Field(min_length=1, max_length=10000)


class ResultErrorOut(Schema):
    row: int
    column: str
    reason: str


class ResultOut(Schema):
    rows: int
    paid: int
    failed: int
    unchanged: int
    errors: list[ResultErrorOut]
    batch: BatchOut


class BatchQuery(Schema):
    q: str = ""
    status: str = ""
    fund: str = ""
    region_code: str = ""
    page: int = Field(1, ge=1)
    page_size: int = Field(20, ge=1, le=200)


class BlacklistOut(Schema):
    id: int
    employer_id: int
    employer_name: str
    employer_uscc: str
    region_code: str
    listed_on: datetime.date
    removed_on: datetime.date | None
    ends_on: datetime.date | None
    listed_today: bool
    reason: str
    decision_number: str
    authority: str


class BlacklistPage(Schema):
    count: int
    page: int
    page_size: int
    items: list[BlacklistOut]


class BlacklistQuery(Schema):
    q: str = ""
    state: str = ""  # listed | ended
    region_code: str = ""
    page: int = Field(1, ge=1)
    page_size: int = Field(20, ge=1, le=200)


def _batch_out(batch: PaymentBatch) -> dict:
    if hasattr(batch, "item_count"):  # annotated by payments.batch_list: no query per batch
        zero = Decimal("0")
        totals = payments.Totals(
            count=batch.item_count,
            total=batch.item_total or zero,
            paid_count=batch.paid_count,
            paid_total=batch.paid_total or zero,
            failed_count=batch.failed_count,
        )
    else:
        totals = payments.batch_totals(batch)
    return {
        "id": batch.pk,
        "name": batch.name,
        "fund": batch.fund,
        "region_code": batch.region_code,
        "status": batch.status,
        "declared_count": batch.declared_count,
        "declared_total": batch.declared_total,
        "item_count": totals.count,
        "item_total": totals.total,
        "paid_count": totals.paid_count,
        "paid_total": totals.paid_total,
        "failed_count": totals.failed_count,
        "created_at": batch.created_at,
        "exported_at": batch.exported_at,
        "reconciled_at": batch.reconciled_at,
    }


def _item_out(item) -> dict:
    return {
        "id": item.pk,
        "entitlement_id": item.entitlement_id,
        "policy": item.policy,
        "subject_type": item.subject_type,
        "subject_id": item.subject_id,
        "period": item.period,
        "region_code": item.region_code,
        "amount": item.amount,
        "payee_name": item.payee_name,
        "bank_name": item.bank_name,
        # The full number goes only into the bank file (an audited export).
        "bank_account_masked": mask_id_number(item.bank_account),
        "status": item.status,
        "bank_reference": item.bank_reference,
        "failure_reason": item.failure_reason,
        "settled_at": item.settled_at,
    }


@router.get(
    "/batches",
    response=BatchPage,
    url_name="policies_payment_batches",
    summary="Payment batches in the caller's regions",
)
def list_payment_batches(request, query: Query[BatchQuery]):
    data = query.dict()
    page, size = data.pop("page"), data.pop("page_size")
    qs = payments.batch_list(request.user, **{k: v for k, v in data.items() if v})
    start = (page - 1) * size
    return {
        "count": qs.count(),
        "page": page,
        "page_size": size,
        "items": [_batch_out(b) for b in qs[start : start + size]],
    }


@router.get("/batches/{int:batch_id}", response=BatchDetailOut, url_name="policies_payment_batch")
def get_payment_batch(request, batch_id: int):
    batch = payments.get_batch_for(request.user, batch_id)
    return {**_batch_out(batch), "items": [_item_out(i) for i in batch.items.order_by("id")]}


@router.post(
    "/batches",
    response={201: BatchOut},
    url_name="policies_payment_batch_create",
    summary="Declare a new batch (count and total first)",
)
def create_payment_batch(request, payload: BatchIn):
    batch = payments.create_batch(actor=request.user, **payload.dict())
    return Status(201, _batch_out(batch))


@router.post(
    "/batches/{int:batch_id}/items",
    response={201: BatchDetailOut},
    url_name="policies_payment_batch_add",
    summary="Add approved entitlements (all or nothing)",
)
def add_payment_items(request, batch_id: int, payload: ItemsIn):
    batch = payments.get_batch_for(request.user, batch_id, Perm.EDIT)
    payments.add_items(actor=request.user, batch=batch, entitlements=payload.entitlement_ids)
    batch.refresh_from_db()
    return Status(
        201, {**_batch_out(batch), "items": [_item_out(i) for i in batch.items.order_by("id")]}
    )


@router.post(
    "/batches/{int:batch_id}/export",
    url_name="policies_payment_batch_export",
    summary="The bank payment file (.xlsx or .csv); closes the batch to new items",
)
def export_payment_batch(request, batch_id: int, format: str = "xlsx"):
    batch = payments.get_batch_for(request.user, batch_id, Perm.EXPORT)
    bank = payments.export_bank_file(actor=request.user, batch=batch, format=format)
    response = HttpResponse(bank.content, content_type=bank.content_type)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(bank.filename)}"
    return response


@router.post(
    "/batches/{int:batch_id}/result",
    response=ResultOut,
    url_name="policies_payment_batch_result",
    summary="Import the bank's result file (paid / failed per item)",
)
def import_payment_result(request, batch_id: int, file: File[UploadedFile]):
    batch = payments.get_batch_for(request.user, batch_id, Perm.EDIT)
    report = payments.import_bank_result(
        actor=request.user, batch=batch, file=file, filename=file.name
    )
    batch.refresh_from_db()
    return {
        "rows": report.rows,
        "paid": report.paid,
        "failed": report.failed,
        "unchanged": report.unchanged,
        "errors": [{"row": e.row, "column": e.column, "reason": e.reason} for e in report.errors],
        "batch": _batch_out(batch),
    }


@router.get(
    "/blacklist",
    response=BlacklistPage,
    url_name="policies_blacklist",
    summary="Employers on the wage-arrears blacklist in the caller's regions",
)
def list_blacklist(request, query: Query[BlacklistQuery]):
    data = query.dict()
    page, size = data.pop("page"), data.pop("page_size")
    qs = blacklist.entry_list(request.user, **{k: v for k, v in data.items() if v})
    start = (page - 1) * size
    items = []
    for e in qs[start : start + size]:
        items.append(
            {
                "id": e.pk,
                "employer_id": e.employer_id,
                "employer_name": e.employer.name,
                "employer_uscc": e.employer.uscc,
                "region_code": e.region_code,
                "listed_on": e.listed_on,
                "removed_on": e.removed_on,
                "ends_on": blacklist.ends_on(e),
                "listed_today": blacklist.is_listed(e),
                "reason": e.reason,
                "decision_number": e.decision_number,
                "authority": e.authority,
            }
        )
    return {"count": qs.count(), "page": page, "page_size": size, "items": items}
