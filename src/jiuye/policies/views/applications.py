"""Application pages: the list (filters for policy, status, step, overdue and "waiting for
me"), creating an application on a person's or employer's behalf, the detail with materials,
the workflow's steps and history, and the actions the current user may take — only those.
Views validate and render; ``jiuye.policies.applications`` and ``workflows`` write."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from jiuye.accounts.permissions import Perm
from jiuye.accounts.scoping import has_perm, scoped
from jiuye.core.crypto import blind_index
from jiuye.core.errors import ErrorCode, JiuyeError
from jiuye.core.idnumber import InvalidIdNumber, parse_id_number
from jiuye.policies import applications as actions
from jiuye.policies import workflows
from jiuye.policies.entitlements import policy_name, subject_names
from jiuye.policies.models import ApplicationStatus, SubjectType
from jiuye.policies.rules import all_policies
from jiuye.regions.selectors import region_names
from jiuye.registry.models import Employer, Person
from jiuye.web.paging import paginate

EDITABLE = {ApplicationStatus.DRAFT, ApplicationStatus.RETURNED}
UNDECIDED = {ApplicationStatus.DRAFT, ApplicationStatus.IN_PROGRESS, ApplicationStatus.RETURNED}


class FilterForm(forms.Form):
    policy = forms.ChoiceField(label=gettext_lazy("Policy"), required=False)
    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        required=False,
        choices=[("", gettext_lazy("All")), *ApplicationStatus.choices],
    )
    step = forms.ChoiceField(label=gettext_lazy("Step"), required=False)
    overdue = forms.BooleanField(label=gettext_lazy("Overdue only"), required=False)
    mine = forms.BooleanField(label=gettext_lazy("Waiting for me"), required=False)
    region = forms.RegexField(
        label=gettext_lazy("Region code"),
        required=False,
        regex=r"^\d{2}(\d{2}(\d{2}(\d{3}(\d{3})?)?)?)?$",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["policy"].choices = [("", gettext_lazy("All"))] + [
            (p.code, p.name) for p in actions.application_policies()
        ]
        self.fields["step"].choices = [("", gettext_lazy("All")), *actions.step_codes()]


class MaterialForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Material"))
    file = forms.FileField(
        label=gettext_lazy("File"),
        help_text=gettext_lazy("PDF, JPEG or PNG, at most 10 MB."),
    )

    def __init__(self, *args, policy=None, **kwargs):
        super().__init__(*args, **kwargs)
        kinds = actions.material_kinds(policy) if policy else ()
        self.fields["kind"].choices = [(m.code, m.label) for m in kinds]


def application_form_class(policy):
    """The create form: who, the period, the amount, then the policy's own fields."""
    fields = {
        "subject": forms.CharField(
            label=gettext_lazy("ID number")
            if policy.subject_type == SubjectType.PERSON
            else gettext_lazy("Unified social credit code"),
            max_length=25,
        ),
        "period": forms.CharField(
            label=gettext_lazy("Period"),
            max_length=40,
            help_text=gettext_lazy("e.g. 2025, 2025-Q3, 2025-07 or once"),
        ),
    }
    if policy.payee_type != policy.subject_type:
        fields["payee"] = forms.CharField(
            label=gettext_lazy("Payee's ID number")
            if policy.payee_type == SubjectType.PERSON
            else gettext_lazy("Payee's unified social credit code"),
            max_length=25,
        )
    if policy.pays:
        fields["amount"] = forms.DecimalField(
            label=gettext_lazy("Amount claimed (yuan)"),
            required=False,
            min_value=0,
            max_digits=12,
            decimal_places=2,
            help_text=gettext_lazy("Leave empty to use the amount the eligibility run computed."),
        )
    for f in actions.form_fields(policy):
        name = f"form_{f.name}"
        if f.kind == "bool":
            fields[name] = forms.BooleanField(label=f.label, required=f.required)
        elif f.kind == "choice":
            fields[name] = forms.ChoiceField(
                label=f.label, required=f.required, choices=[("", "—"), *f.choices]
            )
        elif f.kind == "textarea":
            fields[name] = forms.CharField(
                label=f.label,
                required=f.required,
                max_length=f.max_length,
                widget=forms.Textarea(attrs={"rows": 3}),
            )
        elif f.kind == "date":
            fields[name] = forms.DateField(
                label=f.label, required=f.required, widget=forms.DateInput(attrs={"type": "date"})
            )
        else:
            fields[name] = forms.CharField(
                label=f.label, required=f.required, max_length=f.max_length
            )
    return type("ApplicationForm", (forms.Form,), fields)


def _subject_by_identifier(user, subject_type: str, text: str):
    """A person by ID number or an employer by credit code, among those the user edits."""
    text = (text or "").strip().upper()
    if subject_type == SubjectType.PERSON:
        try:
            number = parse_id_number(text).number
        except InvalidIdNumber as exc:
            raise JiuyeError(ErrorCode.INVALID_ID_NUMBER, exc.message) from exc
        qs = Person.objects.filter(merged_into__isnull=True, id_hash=blind_index(number))
    else:
        qs = Employer.objects.filter(uscc=text)
    found = scoped(qs, user, Perm.VIEW).first()
    if found is None:
        raise JiuyeError(ErrorCode.NOT_FOUND, _("Not found in your regions."))
    return found


def _filters(request):
    form = FilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    return form, actions.ApplicationFilters(
        policy=data.get("policy", ""),
        status=data.get("status", ""),
        step=data.get("step", ""),
        overdue=bool(data.get("overdue")),
        mine=bool(data.get("mine")),
        region=data.get("region", ""),
    )


def _rows(items) -> list[dict]:
    items = list(items)
    names = subject_names([(a.subject_type, a.subject_id) for a in items])
    regions = region_names(a.region_code for a in items)
    today = timezone.localdate()
    rows = []
    for a in items:
        step = None
        if a.step:
            try:
                step = workflows.get_workflow(a.workflow).step(a.step)
            except (JiuyeError, KeyError):
                step = None
        rows.append(
            {
                "a": a,
                "policy": policy_name(a.policy),
                "subject": names.get((a.subject_type, a.subject_id), ""),
                "region": regions.get(a.region_code, a.region_code),
                "step": step,
                "overdue": workflows.is_overdue(a, today),
            }
        )
    return rows


@login_required
def application_list(request):
    form, filters = _filters(request)
    page = paginate(request, actions.application_list(request.user, filters))
    context = {
        "filter_form": form,
        "page": page,
        "rows": _rows(page),
        "can_create": has_perm(request.user, Perm.EDIT),
        "policies": actions.application_policies(),
    }
    if request.htmx:
        return render(request, "policies/application_list.html#table", context)
    return render(request, "policies/application_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def application_create(request):
    if not has_perm(request.user, Perm.EDIT):
        raise Http404
    code = request.POST.get("policy") or request.GET.get("policy") or ""
    policy = all_policies().get(code)
    if policy is None or policy.no_application:
        return render(
            request,
            "policies/application_form.html",
            {"policies": actions.application_policies(), "policy": None},
        )
    form_class = application_form_class(policy)
    form = form_class(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            subject = _subject_by_identifier(request.user, policy.subject_type, data["subject"])
            payee_id = None
            if "payee" in data:
                payee_id = _subject_by_identifier(request.user, policy.payee_type, data["payee"]).pk
            values = {
                k.removeprefix("form_"): (v.isoformat() if hasattr(v, "isoformat") else v)
                for k, v in data.items()
                if k.startswith("form_")
            }
            application = actions.create_application(
                actor=request.user,
                policy_code=policy.code,
                subject_id=subject.pk,
                period=data["period"],
                payee_id=payee_id,
                amount=data.get("amount"),
                form=values,
            )
        except JiuyeError as exc:
            form.add_error(None, str(exc.message))
            if isinstance(exc.detail, dict):
                for field_name, message in exc.detail.items():
                    if f"form_{field_name}" in form.fields:
                        form.add_error(f"form_{field_name}", message)
        else:
            messages.success(request, _("Application saved as a draft: upload the materials."))
            return redirect("policies:application_detail", pk=application.pk)
    return render(
        request,
        "policies/application_form.html",
        {"policies": actions.application_policies(), "policy": policy, "form": form},
    )


def _form_display(policy, form: dict) -> list[dict]:
    out = []
    for f in actions.form_fields(policy) if policy else ():
        value = form.get(f.name, "")
        if f.kind == "choice":
            value = dict(f.choices).get(value, value)
        elif f.kind == "bool":
            value = _("Yes") if value else _("No")
        out.append({"label": f.label, "value": value})
    return out


@login_required
def application_detail(request, pk):
    a = actions.get_application_for(request.user, pk)
    user = request.user
    policy = all_policies().get(a.policy)
    (row,) = _rows([a])
    names = subject_names([(a.payee_type, a.payee_id)])
    can_edit = a.status in EDITABLE and has_perm(user, Perm.EDIT, a.region_code)
    history = list(a.steps.select_related("actor"))
    labels = (
        {s.code: s.label for s in workflows.WORKFLOWS[a.workflow].steps}
        if (a.workflow in workflows.WORKFLOWS)
        else {}
    )
    for h in history:
        h.step_label = labels.get(h.step, h.step)
        h.action_label = workflows.HISTORY_LABELS.get(h.action, h.action)
    available = workflows.available_actions(a, user)
    return render(
        request,
        "policies/application_detail.html",
        {
            **row,
            "payee": names.get((a.payee_type, a.payee_id), ""),
            "form_values": _form_display(policy, a.form or {}),
            "materials": list(a.materials.all()),
            "material_kinds": actions.material_kinds(policy) if policy else (),
            "material_form": MaterialForm(policy=policy) if can_edit else None,
            "steps": workflows.step_rows(a),
            "history": history,
            "available": [(code, workflows.Action(code).label) for code in available],
            "can_edit": can_edit,
            "can_submit": can_edit,
            "can_withdraw": a.status in UNDECIDED and has_perm(user, Perm.EDIT, a.region_code),
        },
    )


@login_required
@require_POST
def application_upload(request, pk):
    a = actions.get_application_for(request.user, pk, Perm.EDIT)
    policy = all_policies().get(a.policy)
    form = MaterialForm(request.POST, request.FILES, policy=policy)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            actions.upload_material(
                a, actor=request.user, kind=form.cleaned_data["kind"], upload=upload
            )
        except JiuyeError as exc:
            messages.error(request, str(exc.message))
        else:
            messages.success(request, _("Material uploaded."))
    else:
        for errors in form.errors.values():
            for e in errors:
                messages.error(request, e)
    return redirect("policies:application_detail", pk=a.pk)


@login_required
@require_POST
def application_material_delete(request, pk, material_pk):
    material = actions.get_material_for(request.user, pk, material_pk)
    try:
        actions.delete_material(material, actor=request.user)
    except JiuyeError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Material removed."))
    return redirect("policies:application_detail", pk=pk)


@login_required
def application_material(request, pk, material_pk):
    material = actions.get_material_for(request.user, pk, material_pk)
    try:
        handle = material.file.open("rb")
    except (FileNotFoundError, ValueError) as exc:
        raise Http404 from exc
    return FileResponse(handle, as_attachment=True, filename=material.original_name)


def _do(request, pk, do, done):
    a = actions.get_application_for(request.user, pk)
    try:
        do(a)
    except JiuyeError as exc:
        if exc.status == 404:
            raise Http404 from exc
        messages.error(request, str(exc.message))
    else:
        messages.success(request, done)
    return redirect("policies:application_detail", pk=a.pk)


@login_required
@require_POST
def application_submit(request, pk):
    return _do(request, pk, lambda a: actions.submit(a, actor=request.user), _("Submitted."))


@login_required
@require_POST
def application_withdraw(request, pk):
    reason = request.POST.get("comment", "")
    return _do(
        request,
        pk,
        lambda a: actions.withdraw(a, actor=request.user, reason=reason),
        _("Withdrawn."),
    )


@login_required
@require_POST
def application_advance(request, pk):
    action = request.POST.get("action", "")
    comment = request.POST.get("comment", "")
    return _do(
        request,
        pk,
        lambda a: workflows.advance(a, action, actor=request.user, comment=comment),
        _("Done."),
    )


def ready():
    from jiuye.core.audit import register_labels
    from jiuye.web.navigation import NavItem, register

    register(
        NavItem(
            "applications",
            gettext_lazy("Applications"),
            "policies:applications",
            Perm.VIEW,
            order=83,
        )
    )
    register_labels(
        {
            "policies.application.create": gettext_lazy("Application created"),
            "policies.application.update": gettext_lazy("Application changed"),
            "policies.application.upload": gettext_lazy("Application material uploaded"),
            "policies.application.delete_material": gettext_lazy("Application material removed"),
            "policies.application.submit": gettext_lazy("Application submitted"),
            "policies.application.withdraw": gettext_lazy("Application withdrawn"),
            "policies.application.approve": gettext_lazy("Application step approved"),
            "policies.application.return": gettext_lazy("Application returned for correction"),
            "policies.application.reject": gettext_lazy("Application rejected"),
            "policies.application.notice_passed": gettext_lazy(
                "Public notice passed without objection"
            ),
        }
    )


urlpatterns = [
    path("applications/", application_list, name="applications"),
    path("applications/new/", application_create, name="application_create"),
    path("applications/<int:pk>/", application_detail, name="application_detail"),
    path("applications/<int:pk>/upload/", application_upload, name="application_upload"),
    path(
        "applications/<int:pk>/materials/<int:material_pk>/",
        application_material,
        name="application_material",
    ),
    path(
        "applications/<int:pk>/materials/<int:material_pk>/delete/",
        application_material_delete,
        name="application_material_delete",
    ),
    path("applications/<int:pk>/submit/", application_submit, name="application_submit"),
    path("applications/<int:pk>/withdraw/", application_withdraw, name="application_withdraw"),
    path("applications/<int:pk>/advance/", application_advance, name="application_advance"),
]
