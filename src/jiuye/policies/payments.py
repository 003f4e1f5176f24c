"""Payment batches: money out, once.

The path of the money::

    Entitlement approved ──add_items──▶ in_batch ──bank result──▶ paid
                                                         └──────▶ pay_failed ──▶ a later batch

* ``create_batch`` declares the batch's count and total *before* any item is added; the
  declaration is the control total the fund office signs off, so ``add_items`` refuses
  anything that would go beyond either (nothing is added then, not even the items that fit).
* ``add_items`` copies policy, subject, period, amount, payee and account onto one
  ``PaymentItem`` per entitlement. The database refuses a second pending or paid item for the
  same (policy, subject, period) (``payment_once_per_policy_subject_period``), so nobody is paid
  twice even if two clerks fill two batches at the same moment; the refusal comes back as an
  error naming the person or employer.
* ``export_bank_file`` writes the bank payment file (``.xlsx`` or ``.csv``); from then on the
  batch takes no more items. The file carries full account numbers because it goes to the bank.
* ``import_bank_result`` reads the bank's result file and marks items paid or failed. Every bad
  row is reported with its row number and reason and the good rows are kept; importing the same
  file again changes nothing; an item once paid never becomes failed.

Every function here is an action: keyword-only, atomic, ``actor=`` checked with
``scoping.require`` at the batch's region, and audited.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from jiuye.accounts.permissions import Perm
from jiuye.accounts.scoping import require, scoped
from jiuye.core import audit
from jiuye.core.errors import ErrorCode, JiuyeError
from jiuye.core.middleware import current_client_ip
from jiuye.core.models import AuditLog
from jiuye.core.tabular import TableError, normalize_header, read_table
from jiuye.policies.entitlements import subject_names
from jiuye.policies.models import (
    BatchStatus,
    Entitlement,
    EntitlementStatus,
    Fund,
    PaymentBatch,
    PaymentItem,
    PaymentItemStatus,
    SubjectType,
)
from jiuye.regions.codes import InvalidRegionCode, prefix_of
from jiuye.regions.selectors import require_region

# Entitlements that may go into a batch: approved ones, and those whose payment failed and
# which wait for a later batch.
PAYABLE = (EntitlementStatus.APPROVED, EntitlementStatus.PAYMENT_FAILED)
MAX_DECLARED_TOTAL = Decimal("999999999999.99")  # 14 digits, 2 decimals (the column)


# ---- reading helpers (scoped) ---------------------------------------------------------------


def batch_list(
    user,
    *,
    status: str = "",
    fund: str = "",
    region_code: str = "",
    q: str = "",
    permission: str = Perm.VIEW,
) -> QuerySet[PaymentBatch]:
    """Batches in the user's scope, with their item count and sum (``item_count``,
    ``item_total``, ``paid_count``, ``paid_total``, ``failed_count``)."""
    qs = scoped(PaymentBatch.objects.all(), user, permission)
    if status:
        qs = qs.filter(status=status)
    if fund:
        qs = qs.filter(fund=fund)
    if region_code:
        try:
            qs = qs.filter(region_code__startswith=prefix_of(region_code))
        except InvalidRegionCode:
            return qs.none()
    if q:
        qs = qs.filter(name__contains=q.strip())
    return qs.annotate(
        item_count=Count("items"),
        item_total=Sum("items__amount"),
        paid_count=Count("items", filter=Q(items__status=PaymentItemStatus.PAID)),
        paid_total=Sum("items__amount", filter=Q(items__status=PaymentItemStatus.PAID)),
        failed_count=Count("items", filter=Q(items__status=PaymentItemStatus.FAILED)),
    ).order_by("-created_at", "-id")


def get_batch_for(user, pk, permission: str = Perm.VIEW) -> PaymentBatch:
    """The batch if it lies in the user's scope for ``permission``; 404 otherwise."""
    from jiuye.accounts.scoping import get_scoped_or_404

    return get_scoped_or_404(PaymentBatch.objects.all(), user, permission, pk=pk)


@dataclass(frozen=True)
class Totals:
    count: int
    total: Decimal
    paid_count: int = 0
    paid_total: Decimal = Decimal("0")
    failed_count: int = 0
    failed_total: Decimal = Decimal("0")
    pending_count: int = 0


def batch_totals(batch: PaymentBatch) -> Totals:
    """The batch's items by status; ``count``/``total`` are all items (set against the
    declaration)."""
    rows = batch.items.values("status").annotate(n=Count("id"), s=Sum("amount"))
    by = {r["status"]: (r["n"], r["s"] or Decimal("0")) for r in rows}

    def get(status):
        return by.get(status, (0, Decimal("0")))

    return Totals(
        count=sum(n for n, _s in by.values()),
        total=sum((s for _n, s in by.values()), Decimal("0")),
        paid_count=get(PaymentItemStatus.PAID)[0],
        paid_total=get(PaymentItemStatus.PAID)[1],
        failed_count=get(PaymentItemStatus.FAILED)[0],
        failed_total=get(PaymentItemStatus.FAILED)[1],
        pending_count=get(PaymentItemStatus.PENDING)[0],
    )


def has_account(entitlement: Entitlement) -> bool:
    """The subject confirmed where the money goes: an account holder and an account number."""
    return bool((entitlement.account_holder or "").strip()) and bool(
        (entitlement.bank_account or "").strip()
    )


def candidates(
    user, batch: PaymentBatch, *, policy: str = "", region_code: str = ""
) -> list[Entitlement]:
    """Entitlements the user may put into ``batch``: payable, of the batch's fund, inside the
    batch's region and the user's EDIT scope, with a confirmed bank account. Oldest first."""
    qs = (
        scoped(Entitlement.objects.all(), user, Perm.EDIT)
        .filter(
            status__in=PAYABLE,
            fund=batch.fund,
            region_code__startswith=prefix_of(batch.region_code),
        )
        .exclude(account_holder="")
    )
    if policy:
        qs = qs.filter(policy=policy)
    if region_code:
        try:
            qs = qs.filter(region_code__startswith=prefix_of(region_code))
        except InvalidRegionCode:
            return []
    # The account number is encrypted (no SQL lookup on it), so that check is made here.
    return [e for e in qs.order_by("created_at", "id") if has_account(e)]


def fitting(batch: PaymentBatch, entitlements: Iterable[Entitlement]) -> list[Entitlement]:
    """Those of ``entitlements`` that fit in what is left of the declared count and total,
    taken in order (an entitlement too large for the rest is skipped, a later smaller one may
    still fit)."""
    totals = batch_totals(batch)
    room_count = batch.declared_count - totals.count
    room_total = batch.declared_total - totals.total
    chosen = []
    for e in entitlements:
        if room_count <= 0:
            break
        if e.amount <= room_total:
            chosen.append(e)
            room_count -= 1
            room_total -= e.amount
    return chosen


def _subject_label(subject_type: str, subject_id: int, names: dict | None = None) -> str:
    names = names if names is not None else subject_names([(subject_type, subject_id)])
    name = names.get((subject_type, subject_id)) or f"#{subject_id}"
    kind = _("employer") if subject_type == SubjectType.EMPLOYER else _("person")
    return f"{name}（{kind} {subject_id}）"


def policy_name(code: str) -> str:
    """The policy's name in Chinese (bank files are Chinese whatever the viewer's language)."""
    from jiuye.policies.rules import all_policies

    policy = all_policies().get(code)
    if policy is None:
        return code
    with translation.override("zh-hans"):
        return str(policy.name)


# ---- audit helpers ------------------------------------------------------------------------


def _audit_rows(actor, action: str, objects: list, before: list[dict], after: list[dict]) -> None:
    """One audit row per object in one INSERT: a batch of thousands stays one statement."""
    user = actor if getattr(actor, "is_authenticated", False) else None
    ip = current_client_ip()
    AuditLog.objects.bulk_create(
        [
            AuditLog(
                actor=user,
                actor_username=getattr(actor, "username", "") or "",
                action=action,
                object_type=obj._meta.label_lower,
                object_id=str(obj.pk),
                object_repr=str(obj)[:200],
                region_code=getattr(obj, "region_code", "") or "",
                before=audit._jsonable(b),
                after=audit._jsonable(a),
                ip_address=ip,
            )
            for obj, b, a in zip(objects, before, after, strict=True)
        ],
        batch_size=1000,
    )


# ---- create -------------------------------------------------------------------------------


def _declared(count, total) -> tuple[int, Decimal]:
    try:
        count = int(count)
    except (TypeError, ValueError):
        raise JiuyeError(
            ErrorCode.INVALID, _("The declared count must be a whole number.")
        ) from None
    if count < 1:
        raise JiuyeError(ErrorCode.INVALID, _("The declared count must be at least 1."))
    try:
        total = Decimal(str(total))
    except (InvalidOperation, ValueError):
        raise JiuyeError(ErrorCode.INVALID, _("The declared total must be an amount.")) from None
    if not total.is_finite() or total <= 0:
        raise JiuyeError(ErrorCode.INVALID, _("The declared total must be more than zero."))
    if total != total.quantize(Decimal("0.01")):
        raise JiuyeError(
            ErrorCode.INVALID, _("The declared total may have at most two decimal places.")
        )
    if total > MAX_DECLARED_TOTAL:
        raise JiuyeError(ErrorCode.INVALID, _("The declared total is too large."))
    return count, total.quantize(Decimal("0.01"))


@transaction.atomic
def create_batch(
    *, actor, name: str, fund: str, region_code: str, declared_count, declared_total
) -> PaymentBatch:
    """A new open batch; its count and total are declared now and bound every later add."""
    region_code = require_region(actor, region_code, Perm.EDIT)
    name = (name or "").strip()
    if not name:
        raise JiuyeError(ErrorCode.INVALID, _("Give the batch a name."))
    if fund not in Fund.values:
        raise JiuyeError(ErrorCode.INVALID, _("Choose a fund."))
    count, total = _declared(declared_count, declared_total)
    batch = PaymentBatch.objects.create(
        name=name[:200],
        fund=fund,
        region_code=region_code,
        declared_count=count,
        declared_total=total,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    audit.record(
        actor=actor,
        action="policies.payment_batch.create",
        obj=batch,
        after=audit.snapshot(
            batch, ["name", "fund", "region_code", "declared_count", "declared_total"]
        ),
    )
    return batch


# ---- add items ----------------------------------------------------------------------------


def _locked_batch(batch: PaymentBatch) -> PaymentBatch:
    # Lock the batch row so two clerks adding to it at once cannot both pass the count check
    # (PostgreSQL; SQLite serialises writers anyway).
    return PaymentBatch.objects.select_for_update().get(pk=batch.pk)


def _refuse(entitlement: Entitlement, batch: PaymentBatch, names: dict) -> str | None:
    """Why ``entitlement`` cannot go into ``batch``, or None."""
    who = _subject_label(entitlement.subject_type, entitlement.subject_id, names)
    if entitlement.status not in PAYABLE:
        return _("%(who)s: the entitlement is “%(status)s”, not approved.") % {
            "who": who,
            "status": entitlement.get_status_display(),
        }
    if entitlement.fund != batch.fund:
        return _("%(who)s: the entitlement is paid from another fund (%(fund)s).") % {
            "who": who,
            "fund": entitlement.get_fund_display(),
        }
    if not entitlement.region_code.startswith(prefix_of(batch.region_code)):
        return _("%(who)s: the entitlement lies outside the batch's region.") % {"who": who}
    if not has_account(entitlement):
        return _("%(who)s: no confirmed bank account.") % {"who": who}
    if entitlement.amount <= 0:
        return _("%(who)s: the amount is zero.") % {"who": who}
    return None


@transaction.atomic
def add_items(*, actor, batch: PaymentBatch, entitlements: Iterable) -> list[PaymentItem]:
    """Put ``entitlements`` (objects or ids) into the open ``batch``, all or nothing.

    Refused, with nothing added: a closed batch; any entitlement not payable (see ``_refuse``)
    or outside the actor's EDIT scope; a count or sum beyond the declaration; a second pending
    or paid item for the same (policy, subject, period), which the database itself refuses.
    """
    require(actor, Perm.EDIT, batch.region_code)
    locked = _locked_batch(batch)
    if locked.status != BatchStatus.OPEN:
        raise JiuyeError(
            ErrorCode.CONFLICT,
            _("The batch has been sent to the bank and takes no more items."),
        )
    ids = []
    for e in entitlements:
        pk = e.pk if isinstance(e, Entitlement) else e
        try:
            ids.append(int(pk))
        except (TypeError, ValueError):
            raise JiuyeError(ErrorCode.INVALID, _("Not an entitlement: %s") % pk) from None
    ids = list(dict.fromkeys(ids))  # the same one twice is once
    if not ids:
        raise JiuyeError(ErrorCode.INVALID, _("Choose at least one entitlement."))

    found = {
        e.pk: e
        for e in scoped(Entitlement.objects.select_for_update(), actor, Perm.EDIT).filter(
            pk__in=ids
        )
    }
    missing = [pk for pk in ids if pk not in found]
    if missing:
        raise JiuyeError(
            ErrorCode.NOT_FOUND,
            _("Entitlement %(ids)s not found, or outside your region.")
            % {"ids": ", ".join(map(str, missing[:10]))},
            status=404,
        )
    chosen = [found[pk] for pk in ids]
    names = subject_names((e.subject_type, e.subject_id) for e in chosen)
    problems = [p for p in (_refuse(e, locked, names) for e in chosen) if p]
    if problems:
        raise JiuyeError(ErrorCode.INVALID, "；".join(problems[:10]), detail=problems)

    totals = batch_totals(locked)
    adding = sum((e.amount for e in chosen), Decimal("0"))
    if totals.count + len(chosen) > locked.declared_count:
        raise JiuyeError(
            ErrorCode.INVALID,
            _(
                "The batch declares %(declared)s items and holds %(held)s; %(adding)s more "
                "would go beyond the declared count. Nothing was added."
            )
            % {"declared": locked.declared_count, "held": totals.count, "adding": len(chosen)},
        )
    if totals.total + adding > locked.declared_total:
        raise JiuyeError(
            ErrorCode.INVALID,
            _(
                "The batch declares %(declared)s yuan and holds %(held)s; adding %(adding)s "
                "would go beyond the declared total. Nothing was added."
            )
            % {"declared": locked.declared_total, "held": totals.total, "adding": adding},
        )

    items = []
    for e in chosen:
        item = PaymentItem(
            batch=locked,
            entitlement=e,
            policy=e.policy,
            subject_type=e.subject_type,
            subject_id=e.subject_id,
            period=e.period,
            region_code=e.region_code,
            amount=e.amount,
            payee_name=e.account_holder.strip(),
            bank_name=e.bank_name,
            bank_account=e.bank_account.strip(),
        )
        # One savepoint per item: the constraint's refusal names who would be paid twice.
        try:
            with transaction.atomic():
                item.save()
        except IntegrityError:
            raise JiuyeError(
                ErrorCode.CONFLICT,
                _(
                    "%(who)s already has a pending or paid payment for %(policy)s, period "
                    "%(period)s. Nobody is paid twice; nothing was added."
                )
                % {
                    "who": _subject_label(e.subject_type, e.subject_id, names),
                    "policy": policy_name(e.policy),
                    "period": e.period,
                },
            ) from None
        items.append(item)

    before = [{"status": e.status} for e in chosen]
    updated = Entitlement.objects.filter(pk__in=ids, status__in=PAYABLE).update(
        status=EntitlementStatus.IN_BATCH, updated_at=timezone.now()
    )
    if updated != len(ids):
        # Another transaction moved one of them since we read it; start again.
        raise JiuyeError(
            ErrorCode.CONFLICT, _("Some entitlements changed meanwhile; nothing was added.")
        )
    for e in chosen:
        e.status = EntitlementStatus.IN_BATCH
    _audit_rows(
        actor,
        "policies.entitlement.in_batch",
        chosen,
        before,
        [{"status": EntitlementStatus.IN_BATCH, "batch": locked.pk} for _e in chosen],
    )
    audit.record(
        actor=actor,
        action="policies.payment_batch.add_items",
        obj=locked,
        before={"count": totals.count, "total": totals.total},
        after={
            "count": totals.count + len(items),
            "total": totals.total + adding,
            "entitlements": ids,
        },
    )
    return items


# ---- the bank payment file ----------------------------------------------------------------

# A bank file's column names are a format the bank's system reads, not UI text: they stay
# Chinese in every UI language.
BANK_COLUMNS = ["序号", "收款人户名", "收款账号", "开户行", "金额", "用途/摘要", "业务编号"]
PURPOSE_MAX = 60  # banks cut the 用途 field; keep it short


def _purpose(item: PaymentItem) -> str:
    # "once" is the period of one-off subsidies: the policy's name says it already.
    period = "" if item.period == "once" else f" {item.period}"
    return f"{policy_name(item.policy)}{period}"[:PURPOSE_MAX]


def bank_rows(batch: PaymentBatch) -> list[list]:
    """The detail rows of the bank file, in item order."""
    return [
        [
            n,
            item.payee_name,
            item.bank_account,
            item.bank_name,
            item.amount,
            _purpose(item),
            str(item.pk),
        ]
        for n, item in enumerate(batch.items.order_by("id"), start=1)
    ]


def _bank_header(batch: PaymentBatch, count: int, total: Decimal) -> list[list]:
    return [
        ["批次名称", batch.name, "批次编号", str(batch.pk)],
        ["总笔数", count, "总金额", total],
    ]


def _xlsx(batch: PaymentBatch, rows: list[list], count: int, total: Decimal) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "代发明细"
    bold = Font(bold=True)
    for line in _bank_header(batch, count, total):
        ws.append([float(v) if isinstance(v, Decimal) else v for v in line])
    ws.cell(2, 4).number_format = "0.00"
    ws.append([])
    ws.append(BANK_COLUMNS)
    header_row = ws.max_row
    for cell in ws[header_row]:
        cell.font = bold
    for row in rows:
        ws.append([*row[:4], float(row[4]), *row[5:]])
        r = ws.max_row
        # Account numbers and item numbers as text: a 19-digit account is no number.
        ws.cell(r, 3).number_format = "@"
        ws.cell(r, 5).number_format = "0.00"
        ws.cell(r, 7).number_format = "@"
    ws.append(["合计", "", "", "", float(total), f"共 {count} 笔", ""])
    ws.cell(ws.max_row, 5).number_format = "0.00"
    for cell in ws[ws.max_row]:
        cell.font = bold
    for letter, width in zip("ABCDEFG", (6, 20, 24, 24, 12, 30, 10), strict=True):
        ws.column_dimensions[letter].width = width
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _csv(batch: PaymentBatch, rows: list[list], count: int, total: Decimal) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    for line in _bank_header(batch, count, total):
        writer.writerow(line)
    writer.writerow(BANK_COLUMNS)
    for row in rows:
        writer.writerow([*row[:4], f"{row[4]:.2f}", *row[5:]])
    writer.writerow(["合计", "", "", "", f"{total:.2f}", f"共 {count} 笔", ""])
    # UTF-8 with a BOM: Excel on a Chinese Windows opens it without mangling the names.
    return out.getvalue().encode("utf-8-sig")


@dataclass(frozen=True)
class BankFile:
    filename: str
    content: bytes
    content_type: str
    count: int
    total: Decimal


CSV_CONTENT_TYPE = "text/csv; charset=utf-8"


@transaction.atomic
def export_bank_file(*, actor, batch: PaymentBatch, format: str = "xlsx") -> BankFile:
    """The bank payment file of ``batch``. The first export closes the batch to new items
    (status "sent to the bank"); later exports give the same file again (every item of the
    batch, whatever the bank answered since)."""
    from jiuye.core.excel import XLSX_CONTENT_TYPE

    require(actor, Perm.EXPORT, batch.region_code)
    if format not in ("xlsx", "csv"):
        raise JiuyeError(ErrorCode.INVALID, _("Choose .xlsx or .csv."))
    locked = _locked_batch(batch)
    rows = bank_rows(locked)
    if not rows and locked.status == BatchStatus.OPEN:
        raise JiuyeError(ErrorCode.INVALID, _("The batch is empty; add items first."))
    count = len(rows)
    total = sum((r[4] for r in rows), Decimal("0"))
    if format == "xlsx":
        content, content_type = _xlsx(locked, rows, count, total), XLSX_CONTENT_TYPE
    else:
        content, content_type = _csv(locked, rows, count, total), CSV_CONTENT_TYPE
    before_status = locked.status
    if locked.status == BatchStatus.OPEN:
        locked.status = BatchStatus.EXPORTED
        locked.exported_at = timezone.now()
        locked.save(update_fields=["status", "exported_at", "updated_at"])
    batch.status, batch.exported_at = locked.status, locked.exported_at
    audit.record(
        actor=actor,
        action="policies.payment_batch.export",
        obj=locked,
        before={"status": before_status},
        after={"status": locked.status, "format": format, "count": count, "total": total},
    )
    filename = f"代发-{locked.pk}-{locked.name}.{format}"
    return BankFile(filename, content, content_type, count, total)


# ---- the bank's result file ---------------------------------------------------------------

RESULT_COLUMNS = {
    # key: the names banks and staff use for the column (compared after normalize_header).
    "item": ["业务编号", "业务流水号", "客户流水号", "明细编号", "编号", "item", "item id"],
    "status": ["状态", "处理状态", "交易状态", "支付状态", "处理结果", "结果", "status"],
    "reference": ["银行流水号", "交易流水号", "银行交易流水号", "流水号", "reference"],
    "reason": ["失败原因", "原因", "错误信息", "失败信息", "备注", "reason"],
}
# What banks write in the status column (compared lower-cased, without spaces).
_SUCCESS_WORDS = (
    "成功 交易成功 支付成功 处理成功 代发成功 转账成功 已成功 已支付 已到账 "
    "已入账 入账成功 success succeeded successful paid ok s"
)
_FAILURE_WORDS = (
    "失败 交易失败 支付失败 处理失败 代发失败 转账失败 入账失败 已退回 退回 "
    "退票 已退票 拒绝 户名不符 fail failed failure rejected returned f"
)
_SUCCESS = frozenset(_SUCCESS_WORDS.split())
_FAILURE = frozenset(_FAILURE_WORDS.split())


@dataclass
class ResultError:
    row: int
    column: str
    reason: str


@dataclass
class ResultReport:
    rows: int = 0
    paid: int = 0
    failed: int = 0
    unchanged: int = 0
    errors: list[ResultError] = field(default_factory=list)

    @property
    def changed(self) -> int:
        return self.paid + self.failed


def _status_of(raw) -> str | None:
    from jiuye.registry.normalize import clean_text

    text = clean_text(raw).lower().replace(" ", "")
    if text in _SUCCESS:
        return PaymentItemStatus.PAID
    if text in _FAILURE:
        return PaymentItemStatus.FAILED
    return None


def _columns(header: list[str]) -> dict[str, int]:
    index: dict[str, int] = {}
    for key, names in RESULT_COLUMNS.items():
        wanted = [normalize_header(n) for n in names]
        for name in wanted:
            hits = [i for i, h in enumerate(header) if normalize_header(h) == name]
            if hits:
                index[key] = hits[0]
                break
    return index


def _cell(cells: list, i: int | None):
    if i is None or i >= len(cells):
        return None
    return cells[i]


def _item_id(raw) -> int | None:
    from jiuye.registry.normalize import clean_text

    text = clean_text(raw)
    if text.endswith(".0"):
        text = text[:-2]
    return int(text) if text.isdigit() else None


@transaction.atomic
def import_bank_result(
    *, actor, batch: PaymentBatch, file, filename: str | None = None
) -> ResultReport:
    """Mark the items of ``batch`` paid or failed from the bank's result file.

    Each row names an item by 业务编号 and gives 状态 (成功/失败 and common variants), and
    optionally 银行流水号 and 失败原因. Bad rows are reported (row number, column, reason);
    good rows are applied. A row that repeats what is already recorded changes nothing, so the
    same file may be imported twice. A paid item never becomes failed; a failed item is not
    marked paid afterwards either (it may already sit in a later batch)."""
    require(actor, Perm.EDIT, batch.region_code)
    locked = _locked_batch(batch)
    if locked.status == BatchStatus.OPEN:
        raise JiuyeError(
            ErrorCode.INVALID,
            _("The batch has not been sent to the bank yet: export the bank file first."),
        )
    known = [n for names in RESULT_COLUMNS.values() for n in names]
    try:
        table = read_table(file, filename, known_headers=known)
    except TableError as exc:
        raise JiuyeError(ErrorCode.INVALID_FILE, str(exc)) from exc
    columns = _columns(table.header)
    required = (("item", "业务编号"), ("status", "状态"))
    missing = [name for key, name in required if key not in columns]
    if missing:
        raise JiuyeError(
            ErrorCode.INVALID_FILE,
            _("The file has no column %(columns)s (the header is in row %(row)s).")
            % {"columns": "、".join(missing), "row": table.header_row},
        )

    from jiuye.registry.normalize import clean_text

    items = {i.pk: i for i in locked.items.select_related("entitlement").select_for_update()}
    report = ResultReport()
    seen: dict[int, tuple[str, int]] = {}
    changed_items: list[PaymentItem] = []
    item_before: list[dict] = []
    now = timezone.now()

    for row_number, cells in table.rows:
        raw_item = _cell(cells, columns["item"])
        if clean_text(raw_item) in ("合计", "总计", "小计"):
            continue  # the total row of the file we sent, sent back
        report.rows += 1
        item_id = _item_id(raw_item)
        if item_id is None:
            report.errors.append(
                ResultError(
                    row_number,
                    "业务编号",
                    _("“%(value)s” is not an item number.") % {"value": clean_text(raw_item)},
                )
            )
            continue
        item = items.get(item_id)
        if item is None:
            report.errors.append(
                ResultError(
                    row_number,
                    "业务编号",
                    _("Item %(id)s is not in this batch.") % {"id": item_id},
                )
            )
            continue
        raw_status = _cell(cells, columns["status"])
        status = _status_of(raw_status)
        if status is None:
            report.errors.append(
                ResultError(
                    row_number,
                    "状态",
                    _("“%(value)s” is neither success (成功) nor failure (失败).")
                    % {"value": clean_text(raw_status)},
                )
            )
            continue
        if item_id in seen and seen[item_id][0] != status:
            report.errors.append(
                ResultError(
                    row_number,
                    "业务编号",
                    _("Item %(id)s appears again in row %(row)s with another status.")
                    % {"id": item_id, "row": seen[item_id][1]},
                )
            )
            continue
        seen.setdefault(item_id, (status, row_number))
        reference = clean_text(_cell(cells, columns.get("reference")))[:100]
        reason = clean_text(_cell(cells, columns.get("reason")))[:200]

        if item.status == status:
            report.unchanged += 1
            continue
        if item.status == PaymentItemStatus.PAID:
            report.errors.append(
                ResultError(
                    row_number,
                    "状态",
                    _("Item %(id)s is already recorded as paid and cannot become failed.")
                    % {"id": item_id},
                )
            )
            continue
        if item.status == PaymentItemStatus.FAILED:
            report.errors.append(
                ResultError(
                    row_number,
                    "状态",
                    _(
                        "Item %(id)s is already recorded as failed (it may be in a later "
                        "batch by now); a failed payment is not marked paid afterwards."
                    )
                    % {"id": item_id},
                )
            )
            continue
        item_before.append({"status": item.status})
        item.status = status
        item.settled_at = now
        if status == PaymentItemStatus.PAID:
            item.bank_reference = reference
            item.failure_reason = ""
            report.paid += 1
        else:
            item.bank_reference = reference
            item.failure_reason = reason or _("No reason given by the bank")
            report.failed += 1
        changed_items.append(item)

    if changed_items:
        PaymentItem.objects.bulk_update(
            changed_items,
            ["status", "settled_at", "bank_reference", "failure_reason"],
            batch_size=1000,
        )
        _settle_entitlements(actor, changed_items, locked)
        _audit_rows(
            actor,
            "policies.payment_item.settle",
            changed_items,
            item_before,
            [
                {
                    "status": i.status,
                    "bank_reference": i.bank_reference,
                    "failure_reason": i.failure_reason,
                }
                for i in changed_items
            ],
        )

    before_status = locked.status
    if (
        locked.status != BatchStatus.RECONCILED
        and not locked.items.filter(status=PaymentItemStatus.PENDING).exists()
    ):
        locked.status = BatchStatus.RECONCILED
        locked.reconciled_at = now
        locked.save(update_fields=["status", "reconciled_at", "updated_at"])
    batch.status, batch.reconciled_at = locked.status, locked.reconciled_at
    audit.record(
        actor=actor,
        action="policies.payment_batch.result",
        obj=locked,
        before={"status": before_status},
        after={
            "status": locked.status,
            "file": str(filename or getattr(file, "name", "") or ""),
            "rows": report.rows,
            "paid": report.paid,
            "failed": report.failed,
            "unchanged": report.unchanged,
            "errors": len(report.errors),
        },
    )
    return report


def _settle_entitlements(actor, items: list[PaymentItem], batch: PaymentBatch) -> None:
    """Entitlements follow their items: paid, or pay_failed (ready for a later batch)."""
    entitlements = []
    before = []
    for item in items:
        e = item.entitlement
        target = (
            EntitlementStatus.PAID
            if item.status == PaymentItemStatus.PAID
            else EntitlementStatus.PAYMENT_FAILED
        )
        if e.status == target:
            continue
        before.append({"status": e.status})
        e.status = target
        entitlements.append(e)
    if not entitlements:
        return
    stamp = timezone.now()
    for e in entitlements:
        e.updated_at = stamp
    Entitlement.objects.bulk_update(entitlements, ["status", "updated_at"], batch_size=1000)
    _audit_rows(
        actor,
        "policies.entitlement.settle",
        entitlements,
        before,
        [{"status": e.status, "batch": batch.pk} for e in entitlements],
    )
