"""Entitlement pages (直补快办): the list with filters and Excel export, the detail with the
eligibility result behind it, the account confirmation, approval and rejection. Views validate
and render; ``jiuye.policies.entitlements`` writes and reads within the user's scope."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from jiuye.accounts.permissions import Perm
from jiuye.accounts.scoping import get_scoped_or_404, has_perm
from jiuye.core import audit
from jiuye.core.errors import JiuyeError
from jiuye.core.excel import xlsx_response
from jiuye.policies import budgets
from jiuye.policies import entitlements as actions
from jiuye.policies.models import EntitlementStatus, Fund, PolicyRun
from jiuye.policies.rules import all_policies
from jiuye.regions.selectors import region_names
from jiuye.web.paging import paginate

OPEN = {EntitlementStatus.AWAITING_CONFIRMATION, EntitlementStatus.CONFIRMED}


def _policy_choices():
    return [("", gettext_lazy("All"))] + [
        (code, p.name) for code, p in all_policies().items() if p.pays
    ]


class FilterForm(forms.Form):
    policy = forms.ChoiceField(label=gettext_lazy("Policy"), required=False)
    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        required=False,
        choices=[("", gettext_lazy("All")), *EntitlementStatus.choices],
    )
    fund = forms.ChoiceField(
        label=gettext_lazy("Fund"),
        required=False,
        choices=[("", gettext_lazy("All")), *Fund.choices],
    )
    region = forms.RegexField(
        label=gettext_lazy("Region code"),
        required=False,
        regex=r"^\d{2}(\d{2}(\d{2}(\d{3}(\d{3})?)?)?)?$",
    )
    period = forms.CharField(label=gettext_lazy("Period"), required=False, max_length=40)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["policy"].choices = _policy_choices()


class ConfirmForm(forms.Form):
    account_holder = forms.CharField(label=gettext_lazy("Account holder"), max_length=100)
    bank_name = forms.CharField(label=gettext_lazy("Bank"), max_length=100)
    bank_account = forms.CharField(
        label=gettext_lazy("Bank account number"),
        max_length=60,
        help_text=gettext_lazy("12 to 30 digits; spaces are ignored."),
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )


def _filters(request) -> tuple[FilterForm, actions.EntitlementFilters]:
    form = FilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    return form, actions.EntitlementFilters(
        policy=data.get("policy", ""),
        status=data.get("status", ""),
        fund=data.get("fund", ""),
        region=data.get("region", ""),
        period=data.get("period", ""),
    )


def _rows(items) -> list[dict]:
    items = list(items)
    names = actions.subject_names(
        [(e.subject_type, e.subject_id) for e in items]
        + [(e.payee_type, e.payee_id) for e in items]
    )
    regions = region_names(e.region_code for e in items)
    return [
        {
            "e": e,
            "policy": actions.policy_name(e.policy),
            "subject": names.get((e.subject_type, e.subject_id), ""),
            "payee": names.get((e.payee_type, e.payee_id), ""),
            "region": regions.get(e.region_code, e.region_code),
        }
        for e in items
    ]


@login_required
def entitlement_list(request):
    form, filters = _filters(request)
    page = paginate(request, actions.entitlement_list(request.user, filters))
    context = {
        "filter_form": form,
        "page": page,
        "rows": _rows(page),
        "can_export": has_perm(request.user, Perm.EXPORT),
        "can_grant": has_perm(request.user, Perm.EDIT),
        "query": request.GET.urlencode(),
    }
    if request.htmx:
        return render(request, "policies/entitlement_list.html#table", context)
    return render(request, "policies/entitlement_list.html", context)


@login_required
def entitlement_export(request):
    _form, filters = _filters(request)
    qs = actions.entitlement_list(request.user, filters, Perm.EXPORT).order_by("id")
    items = list(qs[:100_000])
    headers = [
        _("Number"),
        _("Policy"),
        _("Subject"),
        _("Payee"),
        _("Period"),
        _("Region"),
        _("Fund"),
        _("Amount"),
        _("Status"),
        _("Account holder"),
        _("Bank"),
        _("Bank account"),
        _("Confirmed at"),
        _("Reviewed at"),
    ]
    rows = (
        [
            r["e"].pk,
            r["policy"],
            r["subject"],
            r["payee"],
            r["e"].period,
            r["region"],
            r["e"].get_fund_display(),
            float(r["e"].amount),
            r["e"].get_status_display(),
            r["e"].account_holder,
            r["e"].bank_name,
            actions.mask_account(r["e"].bank_account),
            r["e"].confirmed_at.strftime("%Y-%m-%d %H:%M") if r["e"].confirmed_at else "",
            r["e"].reviewed_at.strftime("%Y-%m-%d %H:%M") if r["e"].reviewed_at else "",
        ]
        for r in _rows(items)
    )
    audit.record(
        actor=request.user,
        action="policies.entitlement.export",
        object_type="policies.entitlement",
        region_code=request.user.home_region_code,
        after={"rows": len(items), "filters": request.GET.dict()},
    )
    return xlsx_response(f"{_('entitlements')}.xlsx", headers, rows, title=_("Entitlements"))


@login_required
def entitlement_detail(request, pk):
    e = actions.get_entitlement_for(request.user, pk)
    user = request.user
    (row,) = _rows([e])
    is_open = e.status in OPEN
    can_approve = e.status == EntitlementStatus.CONFIRMED and actions.can_approve(user, e)
    budget = None
    if can_approve:
        year = timezone.localdate().year
        found = budgets.applicable_budget(e.fund, e.region_code, year)
        if found is not None:
            left = budgets.remaining(e.fund, found.region_code, year)
            budget = {
                "budget": found,
                "remaining": left,
                "enough": left is not None and left >= e.amount,
                "region": region_names([found.region_code]).get(found.region_code, ""),
            }
    # The reverse one-to-one raises an AttributeError subclass when there is no application.
    application = getattr(e, "application", None)
    return render(
        request,
        "policies/entitlement_detail.html",
        {
            **row,
            "conditions": actions.result_conditions(e.result),
            "facts": (e.result.facts if e.result else {}) or {},
            "account": actions.mask_account(e.bank_account),
            "can_confirm": is_open and has_perm(user, Perm.EDIT, e.region_code),
            "can_approve": can_approve,
            "can_reject": is_open and has_perm(user, Perm.REVIEW, e.region_code),
            "budget": budget,
            "application": application,
            "reason_form": ReasonForm(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def entitlement_confirm(request, pk):
    e = actions.get_entitlement_for(request.user, pk, Perm.EDIT)
    initial = {"account_holder": e.account_holder, "bank_name": e.bank_name}
    form = ConfirmForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            actions.confirm_account(e, actor=request.user, **form.cleaned_data)
        except JiuyeError as exc:
            form.add_error(None, str(exc.message))
        else:
            messages.success(request, _("The account is confirmed; the entitlement awaits review."))
            return redirect("policies:entitlement_detail", pk=e.pk)
    (row,) = _rows([e])
    return render(request, "policies/entitlement_confirm.html", {**row, "form": form})


def _act(request, pk, permission, do, done_message):
    e = actions.get_entitlement_for(request.user, pk, permission)
    try:
        do(e)
    except JiuyeError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, done_message)
    return redirect("policies:entitlement_detail", pk=e.pk)


@login_required
@require_POST
def entitlement_decline(request, pk):
    reason = request.POST.get("reason", "")
    return _act(
        request,
        pk,
        Perm.EDIT,
        lambda e: actions.decline(e, actor=request.user, reason=reason),
        _("Declined."),
    )


@login_required
@require_POST
def entitlement_approve(request, pk):
    return _act(
        request,
        pk,
        Perm.REVIEW,
        lambda e: actions.approve(e, actor=request.user),
        _("Approved."),
    )


@login_required
@require_POST
def entitlement_reject(request, pk):
    form = ReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    return _act(
        request,
        pk,
        Perm.REVIEW,
        lambda e: actions.reject(e, actor=request.user, reason=reason),
        _("Rejected."),
    )


@login_required
@require_POST
def entitlement_grant(request):
    """Entitlements from one eligibility run (the run page posts its number here)."""
    if not has_perm(request.user, Perm.EDIT):
        raise Http404
    run = get_scoped_or_404(
        PolicyRun.objects.all(), request.user, Perm.EDIT, pk=request.POST.get("run")
    )
    try:
        report = actions.grant_from_run(run=run, actor=request.user)
    except JiuyeError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(
            request,
            _(
                "Entitlements: %(created)s created, %(existing)s already there, %(excluded)s "
                "refused by an exclusion rule."
            )
            % report,
        )
    return redirect("policies:entitlements")


def ready():
    from jiuye.core.audit import register_labels
    from jiuye.web.navigation import NavItem, register

    register(
        NavItem(
            "entitlements",
            gettext_lazy("Entitlements"),
            "policies:entitlements",
            Perm.VIEW,
            order=82,
        )
    )
    register_labels(
        {
            "policies.entitlement.grant": gettext_lazy("Entitlements created from a run"),
            "policies.entitlement.create": gettext_lazy("Entitlement created from an application"),
            "policies.entitlement.confirm": gettext_lazy("Entitlement account confirmed"),
            "policies.entitlement.decline": gettext_lazy("Entitlement declined"),
            "policies.entitlement.approve": gettext_lazy("Entitlement approved"),
            "policies.entitlement.reject": gettext_lazy("Entitlement rejected"),
            "policies.entitlement.export": gettext_lazy("Entitlements exported"),
        }
    )


urlpatterns = [
    path("entitlements/", entitlement_list, name="entitlements"),
    path("entitlements/export/", entitlement_export, name="entitlement_export"),
    path("entitlements/grant/", entitlement_grant, name="entitlement_grant"),
    path("entitlements/<int:pk>/", entitlement_detail, name="entitlement_detail"),
    path("entitlements/<int:pk>/confirm/", entitlement_confirm, name="entitlement_confirm"),
    path("entitlements/<int:pk>/decline/", entitlement_decline, name="entitlement_decline"),
    path("entitlements/<int:pk>/approve/", entitlement_approve, name="entitlement_approve"),
    path("entitlements/<int:pk>/reject/", entitlement_reject, name="entitlement_reject"),
]
