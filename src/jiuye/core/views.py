from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from jiuye.accounts.permissions import Perm
from jiuye.accounts.scoping import has_perm
from jiuye.core.excel import xlsx_response
from jiuye.core.selectors import audit_log_list
from jiuye.web.paging import paginate


class AuditFilterForm(forms.Form):
    actor = forms.CharField(label=_l("Actor"), required=False)
    action = forms.CharField(label=_l("Action"), required=False)
    q = forms.CharField(label=_l("Object"), required=False)
    date_from = forms.DateField(
        label=_l("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_l("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


def _filtered(request):
    if not has_perm(request.user, Perm.VIEW_AUDIT):
        raise Http404
    form = AuditFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    return form, audit_log_list(request.user, **{k: v for k, v in filters.items() if v})


@login_required
def audit_list(request):
    form, qs = _filtered(request)
    template = "core/audit_list.html#table" if request.htmx else "core/audit_list.html"
    return render(request, template, {"form": form, "page": paginate(request, qs, 50)})


@login_required
def audit_export(request):
    _form, qs = _filtered(request)
    headers = [
        _("Time"),
        _("Actor"),
        _("Action"),
        _("Object type"),
        _("Object id"),
        _("Object"),
        _("Region code"),
        _("Before"),
        _("After"),
        _("IP address"),
    ]
    rows = (
        [
            r.created_at.astimezone().strftime("%Y-%m-%d %H:%M:%S"),
            r.actor_username,
            r.action,
            r.object_type,
            r.object_id,
            r.object_repr,
            r.region_code,
            str(r.before or ""),
            str(r.after or ""),
            r.ip_address,
        ]
        for r in qs[:100_000]
    )
    return xlsx_response(_("audit-log") + ".xlsx", headers, rows, title=_("Audit log"))
