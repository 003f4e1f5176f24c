"""Payment batch pages: the list, a new batch, and one batch with its items, the entitlements
that may go into it, the bank file and the bank's result.

Views validate and render; ``jiuye.policies.payments`` writes. Every batch is read through the
caller's scope for the permission the page needs, so another county's batch answers 404.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from urllib.parse import quote

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from jiuye.accounts.forms import RegionCodeField
from jiuye.accounts.permissions import Perm
from jiuye.accounts.scoping import has_perm
from jiuye.core.errors import JiuyeError
from jiuye.core.masking import mask_id_number
from jiuye.core.tabular import SUFFIXES
from jiuye.policies import payments
from jiuye.policies.models import BatchStatus, Fund, PaymentItemStatus
from jiuye.regions.selectors import drilldown, region_names, region_path
from jiuye.web.paging import paginate

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
SHOWN_CANDIDATES = 200


def _blank(choices):
    return [("", "—"), *choices]


def policy_choices():
    from jiuye.policies.rules import all_policies

    return [(code, str(p.name)) for code, p in all_policies().items() if p.pays]


class BatchFilterForm(forms.Form):
    q = forms.CharField(
        label=gettext_lazy("Search"),
        required=False,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": gettext_lazy("Name")}),
    )
    status = forms.ChoiceField(
        label=gettext_lazy("Status"), required=False, choices=_blank(BatchStatus.choices)
    )
    fund = forms.ChoiceField(
        label=gettext_lazy("Fund"), required=False, choices=_blank(Fund.choices)
    )
    region_code = RegionCodeField(label=gettext_lazy("Region code"), required=False)


class BatchForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    fund = forms.ChoiceField(label=gettext_lazy("Fund"), choices=Fund.choices)
    region_code = RegionCodeField(label=gettext_lazy("Region"))
    declared_count = forms.IntegerField(
        label=gettext_lazy("Declared count"),
        min_value=1,
        help_text=gettext_lazy("How many payments the batch will hold at most."),
    )
    declared_total = forms.DecimalField(
        label=gettext_lazy("Declared total (yuan)"),
        min_value=Decimal("0.01"),
        max_digits=14,
        decimal_places=2,
        help_text=gettext_lazy("The most the batch will pay in all."),
    )


class CandidateFilterForm(forms.Form):
    policy = forms.ChoiceField(label=gettext_lazy("Policy"), required=False, choices=())
    region = RegionCodeField(label=gettext_lazy("Region code"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["policy"].choices = _blank(policy_choices())


class ResultForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("The bank's result file"),
        help_text=gettext_lazy(
            "Excel or CSV with the columns 业务编号, 状态 (成功/失败), 银行流水号 and 失败原因."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(SUFFIXES)}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if Path(upload.name).suffix.lower() not in SUFFIXES:
            raise forms.ValidationError(_("Upload an Excel (.xlsx, .xls), .ods or .csv file."))
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is too large."))
        return upload


# ---- list and create ------------------------------------------------------------------------


@login_required
def batch_list(request):
    form = BatchFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    filters = {k: v for k, v in data.items() if v}
    page = paginate(request, payments.batch_list(request.user, **filters))
    context = {
        **drilldown(request.user, filters.get("region_code", "")),
        "form": form,
        "page": page,
        "names": region_names(b.region_code for b in page),
        "can_edit": has_perm(request.user, Perm.EDIT),
    }
    template = (
        "policies/payment_batch_list.html#table"
        if request.htmx
        else "policies/payment_batch_list.html"
    )
    return render(request, template, context)


@login_required
@require_http_methods(["GET", "POST"])
def batch_create(request):
    if not has_perm(request.user, Perm.EDIT):
        raise Http404
    form = BatchForm(
        request.POST or None,
        initial={
            "region_code": request.user.home_region_code,
            "fund": Fund.UNEMPLOYMENT_INSURANCE,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            batch = payments.create_batch(actor=request.user, **form.cleaned_data)
        except JiuyeError as exc:
            form.add_error(None, str(exc.message))
        else:
            messages.success(request, _("Batch created. Add approved entitlements to it."))
            return redirect("policies:payment_batch_detail", pk=batch.pk)
    return render(
        request, "policies/payment_batch_form.html", {"form": form, "title": _("New payment batch")}
    )


# ---- one batch ------------------------------------------------------------------------------


def _item_rows(items, names) -> list[dict]:
    return [
        {
            "item": item,
            "subject": names.get((item.subject_type, item.subject_id), f"#{item.subject_id}"),
            "account": mask_id_number(item.bank_account),
            "policy": payments.policy_name(item.policy),
        }
        for item in items
    ]


def _candidate_rows(user, batch, form) -> tuple[list, dict]:
    data = form.cleaned_data if form.is_valid() else {}
    found = payments.candidates(
        user, batch, policy=data.get("policy") or "", region_code=data.get("region") or ""
    )
    fit = payments.fitting(batch, found)
    names = payments.subject_names((e.subject_type, e.subject_id) for e in found[:SHOWN_CANDIDATES])
    rows = [
        {
            "entitlement": e,
            "subject": names.get((e.subject_type, e.subject_id), f"#{e.subject_id}"),
            "account": mask_id_number(e.bank_account),
            "policy": payments.policy_name(e.policy),
        }
        for e in found[:SHOWN_CANDIDATES]
    ]
    return rows, {"count": len(found), "fit": len(fit)}


def _detail_context(request, batch, *, report=None, result_form=None) -> dict:
    user = request.user
    totals = payments.batch_totals(batch)
    page = paginate(request, batch.items.order_by("id"), per_page=50)
    names = payments.subject_names((i.subject_type, i.subject_id) for i in page)
    can_edit = has_perm(user, Perm.EDIT, batch.region_code)
    is_open = batch.status == BatchStatus.OPEN
    context = {
        "batch": batch,
        "region_path": region_path(batch.region_code),
        "totals": totals,
        "count_left": batch.declared_count - totals.count,
        "total_left": batch.declared_total - totals.total,
        "page": page,
        "rows": _item_rows(page, names),
        "statuses": PaymentItemStatus,
        "can_add": can_edit and is_open,
        "can_export": has_perm(user, Perm.EXPORT, batch.region_code) and totals.count > 0,
        "can_import": can_edit and not is_open,
        "result_form": result_form or ResultForm(),
        "report": report,
    }
    if context["can_add"]:
        candidate_form = CandidateFilterForm(request.GET or None)
        rows, counts = _candidate_rows(user, batch, candidate_form)
        context.update(
            candidate_form=candidate_form,
            candidates=rows,
            candidate_counts=counts,
            shown_limit=SHOWN_CANDIDATES,
        )
    return context


@login_required
def batch_detail(request, pk):
    batch = payments.get_batch_for(request.user, pk)
    return render(request, "policies/payment_batch_detail.html", _detail_context(request, batch))


@login_required
@require_POST
def batch_add(request, pk):
    batch = payments.get_batch_for(request.user, pk, Perm.EDIT)
    if request.POST.get("all"):
        form = CandidateFilterForm(request.POST)
        data = form.cleaned_data if form.is_valid() else {}
        found = payments.candidates(
            request.user,
            batch,
            policy=data.get("policy") or "",
            region_code=data.get("region") or "",
        )
        chosen = payments.fitting(batch, found)
    else:
        chosen = request.POST.getlist("entitlement")
    if not chosen:
        messages.error(request, _("Nothing to add: no approved entitlement fits."))
        return redirect("policies:payment_batch_detail", pk=pk)
    try:
        items = payments.add_items(actor=request.user, batch=batch, entitlements=chosen)
    except JiuyeError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("%(n)s payments added to the batch.") % {"n": len(items)})
    return redirect("policies:payment_batch_detail", pk=pk)


@login_required
@require_POST
def batch_export(request, pk):
    batch = payments.get_batch_for(request.user, pk, Perm.EXPORT)
    try:
        bank = payments.export_bank_file(
            actor=request.user, batch=batch, format=request.POST.get("format", "xlsx")
        )
    except JiuyeError as exc:
        messages.error(request, str(exc.message))
        return redirect("policies:payment_batch_detail", pk=pk)
    response = HttpResponse(bank.content, content_type=bank.content_type)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(bank.filename)}"
    return response


@login_required
@require_POST
def batch_result(request, pk):
    batch = payments.get_batch_for(request.user, pk, Perm.EDIT)
    form = ResultForm(request.POST, request.FILES)
    report = None
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            report = payments.import_bank_result(
                actor=request.user, batch=batch, file=upload, filename=upload.name
            )
        except JiuyeError as exc:
            form.add_error("file", str(exc.message))
        else:
            batch.refresh_from_db()
            messages.success(
                request,
                _("%(paid)s paid, %(failed)s failed, %(same)s unchanged, %(bad)s rows with errors.")
                % {
                    "paid": report.paid,
                    "failed": report.failed,
                    "same": report.unchanged,
                    "bad": len(report.errors),
                },
            )
    return render(
        request,
        "policies/payment_batch_detail.html",
        _detail_context(request, batch, report=report, result_form=form),
        status=200 if form.is_valid() else 400,
    )


urlpatterns = [
    path("payments/", batch_list, name="payment_batches"),
    path("payments/new/", batch_create, name="payment_batch_create"),
    path("payments/<int:pk>/", batch_detail, name="payment_batch_detail"),
    path("payments/<int:pk>/add/", batch_add, name="payment_batch_add"),
    path("payments/<int:pk>/export/", batch_export, name="payment_batch_export"),
    path("payments/<int:pk>/result/", batch_result, name="payment_batch_result"),
]


def ready():
    from jiuye.core.audit import register_labels
    from jiuye.web import navigation

    register_labels(
        {
            "policies.payment_batch.create": gettext_lazy("Payment batch created"),
            "policies.payment_batch.add_items": gettext_lazy("Payments added to a batch"),
            "policies.payment_batch.export": gettext_lazy("Bank payment file exported"),
            "policies.payment_batch.result": gettext_lazy("Bank result file imported"),
            "policies.payment_item.settle": gettext_lazy("Payment marked paid or failed"),
            "policies.entitlement.in_batch": gettext_lazy("Entitlement put into a payment batch"),
            "policies.entitlement.settle": gettext_lazy("Entitlement paid or payment failed"),
        }
    )
    navigation.register(
        navigation.NavItem(
            "payment_batches",
            gettext_lazy("Payments"),
            "policies:payment_batches",
            Perm.VIEW,
            order=75,
        )
    )
