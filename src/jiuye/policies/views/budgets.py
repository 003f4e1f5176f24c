"""Fund budget pages: the list by fund, region and year with what is committed and what is
left, creating and changing a budget (case officers at the region or above it), and an Excel
import that reports its bad rows. ``jiuye.policies.budgets`` writes."""

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
from jiuye.accounts.scoping import Scope, get_scoped_or_404, has_perm, scoped
from jiuye.core.errors import JiuyeError
from jiuye.policies import budgets as actions
from jiuye.policies.models import Fund, FundBudget
from jiuye.regions.codes import normalize
from jiuye.regions.selectors import region_names
from jiuye.web.paging import paginate

REGION_RE = r"^\d{2}(\d{2}(\d{2}(\d{3}(\d{3})?)?)?)?$"


class FilterForm(forms.Form):
    fund = forms.ChoiceField(
        label=gettext_lazy("Fund"),
        required=False,
        choices=[("", gettext_lazy("All")), *Fund.choices],
    )
    region = forms.RegexField(label=gettext_lazy("Region code"), required=False, regex=REGION_RE)
    year = forms.IntegerField(
        label=gettext_lazy("Year"), required=False, min_value=2000, max_value=2100
    )


class BudgetForm(forms.Form):
    fund = forms.ChoiceField(label=gettext_lazy("Fund"), choices=Fund.choices)
    region_code = forms.RegexField(
        label=gettext_lazy("Region code"), regex=REGION_RE, max_length=12
    )
    year = forms.IntegerField(label=gettext_lazy("Year"), min_value=2000, max_value=2100)
    amount = forms.DecimalField(
        label=gettext_lazy("Budget (yuan)"), min_value=0, max_digits=14, decimal_places=2
    )
    note = forms.CharField(label=gettext_lazy("Note"), required=False, max_length=200)


class BudgetEditForm(forms.Form):
    amount = forms.DecimalField(
        label=gettext_lazy("Budget (yuan)"), min_value=0, max_digits=14, decimal_places=2
    )
    note = forms.CharField(label=gettext_lazy("Note"), required=False, max_length=200)


class ImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("File"),
        help_text=gettext_lazy(
            "An .xlsx, .xls or .csv file with the columns 资金, 区划代码, 年度, 预算金额 and "
            "optionally 备注; a row for an existing budget changes its amount."
        ),
    )


@login_required
def budget_list(request):
    form = FilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    qs = scoped(FundBudget.objects.all(), request.user, Perm.VIEW)
    if data.get("fund"):
        qs = qs.filter(fund=data["fund"])
    if data.get("region"):
        qs = qs.filter(Scope.of([normalize(data["region"])]).q())
    if data.get("year"):
        qs = qs.filter(year=data["year"])
    page = paginate(request, qs)
    rows = actions.budget_rows(page)
    names = region_names(r["budget"].region_code for r in rows)
    for r in rows:
        r["region"] = names.get(r["budget"].region_code, r["budget"].region_code)
        r["can_edit"] = has_perm(request.user, Perm.EDIT, r["budget"].region_code)
    can_edit = has_perm(request.user, Perm.EDIT)
    return render(
        request,
        "policies/budget_list.html",
        {
            "filter_form": form,
            "page": page,
            "rows": rows,
            "can_edit": can_edit,
            "import_form": ImportForm() if can_edit else None,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def budget_create(request):
    if not has_perm(request.user, Perm.EDIT):
        raise Http404
    initial = {"region_code": request.user.home_region_code, "year": timezone.localdate().year}
    form = BudgetForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            actions.create_budget(actor=request.user, **form.cleaned_data)
        except JiuyeError as exc:
            form.add_error(None, str(exc.message))
        else:
            messages.success(request, _("Budget saved."))
            return redirect("policies:budgets")
    return render(
        request, "policies/budget_form.html", {"form": form, "title": _("New fund budget")}
    )


@login_required
@require_http_methods(["GET", "POST"])
def budget_edit(request, pk):
    budget = get_scoped_or_404(FundBudget.objects.all(), request.user, Perm.EDIT, pk=pk)
    form = BudgetEditForm(
        request.POST or None, initial={"amount": budget.amount, "note": budget.note}
    )
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_budget(
                actor=request.user,
                budget=budget,
                amount=form.cleaned_data["amount"],
                note=form.cleaned_data["note"],
            )
        except JiuyeError as exc:
            form.add_error(None, str(exc.message))
        else:
            messages.success(request, _("Budget saved."))
            return redirect("policies:budgets")
    (row,) = actions.budget_rows([budget])
    return render(
        request,
        "policies/budget_form.html",
        {
            "form": form,
            "title": f"{budget.get_fund_display()} · {budget.region_code} · {budget.year}",
            "row": row,
        },
    )


@login_required
@require_POST
def budget_import(request):
    if not has_perm(request.user, Perm.EDIT):
        raise Http404
    form = ImportForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            report = actions.import_budgets(actor=request.user, source=upload, filename=upload.name)
        except JiuyeError as exc:
            messages.error(request, str(exc.message))
        else:
            messages.success(
                request,
                _(
                    "Imported: %(created)s created, %(updated)s changed, %(errors)s rows with "
                    "errors."
                )
                % {
                    "created": report.created,
                    "updated": report.updated,
                    "errors": len(report.errors),
                },
            )
            for row, reason in report.errors[:50]:
                messages.error(
                    request, _("Row %(row)s: %(reason)s") % {"row": row, "reason": reason}
                )
    else:
        for errors in form.errors.values():
            for e in errors:
                messages.error(request, e)
    return redirect("policies:budgets")


def ready():
    from jiuye.core.audit import register_labels
    from jiuye.web.navigation import NavItem, register

    register(
        NavItem("budgets", gettext_lazy("Fund budgets"), "policies:budgets", Perm.VIEW, order=85)
    )
    register_labels(
        {
            "policies.budget.create": gettext_lazy("Fund budget created"),
            "policies.budget.update": gettext_lazy("Fund budget changed"),
            "policies.budget.import": gettext_lazy("Fund budgets imported"),
        }
    )


urlpatterns = [
    path("budgets/", budget_list, name="budgets"),
    path("budgets/new/", budget_create, name="budget_create"),
    path("budgets/import/", budget_import, name="budget_import"),
    path("budgets/<int:pk>/", budget_edit, name="budget_edit"),
]
