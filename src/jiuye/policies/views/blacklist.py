"""Blacklist pages: the list with search, add / edit / remove an entry, the import with its
error report, and the "欠薪失信名单" panel on the employer page.

``jiuye.policies.blacklist`` writes; every entry and employer is read through the caller's
scope, so another county's entry answers 404.
"""

from __future__ import annotations

from pathlib import Path

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

from jiuye.accounts.forms import RegionCodeField
from jiuye.accounts.permissions import Perm
from jiuye.accounts.scoping import has_perm
from jiuye.core.errors import JiuyeError
from jiuye.core.tabular import SUFFIXES
from jiuye.core.uscc import normalize_uscc
from jiuye.policies import blacklist
from jiuye.regions.selectors import drilldown, region_names
from jiuye.registry import selectors as registry_selectors
from jiuye.web.paging import paginate

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
MAX_UPLOAD_BYTES = 20 * 1024 * 1024


class EntryFilterForm(forms.Form):
    q = forms.CharField(
        label=gettext_lazy("Search"),
        required=False,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": gettext_lazy("Employer name or credit code")}
        ),
    )
    state = forms.ChoiceField(
        label=gettext_lazy("State"),
        required=False,
        choices=[
            ("", "—"),
            (blacklist.LISTED, gettext_lazy("Listed today")),
            (blacklist.ENDED, gettext_lazy("Listing ended")),
        ],
    )
    region_code = RegionCodeField(label=gettext_lazy("Region code"), required=False)


class EntryForm(forms.Form):
    listed_on = forms.DateField(label=gettext_lazy("Listed on"), widget=DATE)
    removed_on = forms.DateField(
        label=gettext_lazy("Removed on"),
        required=False,
        widget=DATE,
        help_text=gettext_lazy(
            "Blank while listed; without a removal date the listing ends after the listing "
            "period (three years)."
        ),
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )
    decision_number = forms.CharField(
        label=gettext_lazy("Decision number"), max_length=100, required=False
    )
    authority = forms.CharField(
        label=gettext_lazy("Listing authority"), max_length=100, required=False
    )


class NewEntryForm(EntryForm):
    uscc = forms.CharField(label=gettext_lazy("Unified social credit code"), max_length=30)

    field_order = ["uscc"]


class RemoveForm(forms.Form):
    removed_on = forms.DateField(label=gettext_lazy("Removed on"), widget=DATE)


class ImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("File"),
        help_text=gettext_lazy(
            "Excel or CSV with the columns 统一社会信用代码, 列入日期, 列入事由 and optionally "
            "移出日期, 决定书文号, 列入机关."
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


def _rows(entries) -> list[dict]:
    today = timezone.localdate()
    return [
        {
            "entry": e,
            "listed": blacklist.is_listed(e, today),
            "ends_on": blacklist.ends_on(e, today),
        }
        for e in entries
    ]


@login_required
def entry_list(request):
    form = EntryFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    filters = {k: v for k, v in data.items() if v}
    page = paginate(request, blacklist.entry_list(request.user, **filters))
    context = {
        **drilldown(request.user, filters.get("region_code", "")),
        "form": form,
        "page": page,
        "rows": _rows(page),
        "names": region_names(e.region_code for e in page),
        "can_edit": has_perm(request.user, Perm.EDIT),
    }
    template = (
        "policies/blacklist_list.html#table" if request.htmx else "policies/blacklist_list.html"
    )
    return render(request, template, context)


@login_required
@require_http_methods(["GET", "POST"])
def entry_create(request):
    if not has_perm(request.user, Perm.EDIT):
        raise Http404
    form = NewEntryForm(request.POST or None, initial={"uscc": request.GET.get("uscc", "")})
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        uscc = normalize_uscc(data.pop("uscc"))
        employer = (
            registry_selectors.employer_list(request.user, permission=Perm.EDIT)
            .filter(uscc=uscc)
            .first()
        )
        if employer is None:
            form.add_error("uscc", _("No employer with that credit code in your region."))
        else:
            try:
                blacklist.add_entry(actor=request.user, employer=employer, **data)
            except JiuyeError as exc:
                form.add_error(None, str(exc.message))
            else:
                messages.success(request, _("%(name)s is on the list.") % {"name": employer.name})
                return redirect("policies:blacklist")
    return render(
        request,
        "policies/blacklist_form.html",
        {"form": form, "title": _("Add an employer to the list")},
    )


@login_required
@require_http_methods(["GET", "POST"])
def entry_edit(request, pk):
    entry = blacklist.get_entry_for(request.user, pk, Perm.EDIT)
    initial = {name: getattr(entry, name) for name in blacklist.FIELDS}
    form = EntryForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            blacklist.update_entry(actor=request.user, entry=entry, **form.cleaned_data)
        except JiuyeError as exc:
            form.add_error(None, str(exc.message))
        else:
            messages.success(request, _("Saved."))
            return redirect("policies:blacklist")
    return render(
        request,
        "policies/blacklist_form.html",
        {
            "form": form,
            "entry": entry,
            "title": _("%(name)s: listing of %(date)s")
            % {"name": entry.employer.name, "date": entry.listed_on.isoformat()},
            "remove_form": RemoveForm(initial={"removed_on": timezone.localdate()}),
        },
    )


@login_required
@require_POST
def entry_remove(request, pk):
    entry = blacklist.get_entry_for(request.user, pk, Perm.EDIT)
    form = RemoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Enter the removal date."))
        return redirect("policies:blacklist_edit", pk=pk)
    try:
        blacklist.remove_entry(
            actor=request.user, entry=entry, removed_on=form.cleaned_data["removed_on"]
        )
    except JiuyeError as exc:
        messages.error(request, str(exc.message))
        return redirect("policies:blacklist_edit", pk=pk)
    messages.success(
        request,
        _("%(name)s is off the list from %(date)s.")
        % {"name": entry.employer.name, "date": entry.removed_on.isoformat()},
    )
    return redirect("policies:blacklist")


@login_required
@require_http_methods(["GET", "POST"])
def entry_import(request):
    if not has_perm(request.user, Perm.EDIT):
        raise Http404
    form = ImportForm(request.POST or None, request.FILES or None)
    report = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                report = blacklist.import_entries(
                    actor=request.user, file=upload, filename=upload.name
                )
            except JiuyeError as exc:
                form.add_error("file", str(exc.message))
                status = 400
        else:
            status = 400
    return render(
        request,
        "policies/blacklist_import.html",
        {"form": form, "report": report},
        status=status,
    )


@login_required
def employer_panel(request, pk):
    """The employer page's panel: every listing of the employer, and whether it is listed today
    (which makes it ineligible for every subsidy)."""
    employer = registry_selectors.get_employer_for(request.user, pk)
    entries = list(blacklist.entry_list(request.user, employer_id=employer.pk))
    rows = _rows(entries)
    context = {
        "employer": employer,
        "rows": rows,
        "listed_now": any(r["listed"] for r in rows),
        "can_edit": has_perm(request.user, Perm.EDIT, employer.region_code),
    }
    template = "policies/blacklist_panel.html"
    return render(request, f"{template}#panel" if request.htmx else template, context)


urlpatterns = [
    path("blacklist/", entry_list, name="blacklist"),
    path("blacklist/new/", entry_create, name="blacklist_create"),
    path("blacklist/import/", entry_import, name="blacklist_import"),
    path("blacklist/<int:pk>/edit/", entry_edit, name="blacklist_edit"),
    path("blacklist/<int:pk>/remove/", entry_remove, name="blacklist_remove"),
    path("blacklist/employer/<int:pk>/", employer_panel, name="blacklist_employer"),
]


def ready():
    from jiuye.core.audit import register_labels
    from jiuye.web import navigation, panels

    register_labels(
        {
            "policies.blacklist.add": gettext_lazy("Employer put on the wage-arrears blacklist"),
            "policies.blacklist.update": gettext_lazy("Blacklist entry changed"),
            "policies.blacklist.remove": gettext_lazy("Employer taken off the blacklist"),
            "policies.blacklist.import": gettext_lazy("Blacklist imported"),
        }
    )
    navigation.register(
        navigation.NavItem(
            "blacklist",
            gettext_lazy("Wage-arrears blacklist"),
            "policies:blacklist",
            Perm.VIEW,
            order=78,
        )
    )
    # Shown on the employer page once it renders ``{% detail_panels "employer" employer %}``.
    panels.register(
        panels.Panel(
            "blacklist",
            "employer",
            gettext_lazy("Wage-arrears blacklist"),
            "policies:blacklist_employer",
            Perm.VIEW,
            order=30,
        )
    )
