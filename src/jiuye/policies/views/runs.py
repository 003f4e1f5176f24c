"""政策找人 pages: the runs, a new run, a run's live progress and its push list.

The push list is what a run found in its region, grouped by township and village: who
qualifies (or is a candidate that fails a condition), for which policy, how much, and why —
each condition with the policy's own wording. Filters by policy, outcome and region; Excel
export. ID numbers are masked unless the viewer may see them in full (``Perm.VIEW_FULL_ID``)
and asks to; every full view and export is audited.

A run is started here with ``jiuye.policies.runs.start_run``, which returns at once and runs
in the background; the run page polls a small progress partial (HTMX) while the run is queued
or running and reloads itself when it ends.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, DecimalField, Q, Sum, Value
from django.db.models.functions import Coalesce, Substr
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from jiuye.accounts.permissions import Perm
from jiuye.accounts.scoping import get_scoped_or_404, has_perm, scope_for, scoped
from jiuye.core import audit
from jiuye.core.errors import JiuyeError
from jiuye.core.excel import xlsx_response
from jiuye.core.masking import mask_id_number
from jiuye.policies.models import PolicyResult, PolicyRun, RunStatus, SubjectType
from jiuye.policies.rules import all_policies
from jiuye.policies.runs import start_run
from jiuye.regions.codes import InvalidRegionCode, level_of, normalize, prefix_of
from jiuye.regions.models import Region
from jiuye.regions.selectors import region_names
from jiuye.registry.models import Employer, Person
from jiuye.web.paging import paginate

PUSH_PAGE_SIZE = 50
EXPORT_LIMIT = 200_000
ACTIVE = (RunStatus.QUEUED, RunStatus.RUNNING)
STAGES = {
    "loading": gettext_lazy("Reading the registry"),
    "evaluating": gettext_lazy("Evaluating the policies"),
    "notifying": gettext_lazy("Queueing notices"),
    "done": gettext_lazy("Finished"),
}


# ---- forms ------------------------------------------------------------------------------


def region_choices(user) -> list[tuple[str, str]]:
    """Regions the user may run: each top region of their EDIT scope and the regions below
    it down to the county (or one level down, for a county or below)."""
    scope = scope_for(user, Perm.EDIT)
    current = Region.objects.current()
    tops = list(
        current.filter(level=1) if scope.everything else current.filter(code__in=scope.top_codes)
    )
    out = []
    for top in sorted(tops, key=lambda r: r.code):
        deepest = max(3, top.level + 1)
        below = current.filter(
            code__startswith=top.prefix, level__gt=top.level, level__lte=deepest
        ).order_by("code")
        for region in [top, *below]:
            indent = "\u3000" * (region.level - top.level)
            out.append((region.code, f"{indent}{region.name}（{region.code}）"))
    return out


def policy_choices(codes=None) -> list[tuple[str, str]]:
    policies = all_policies()
    codes = codes or list(policies)
    return [(code, policies[code].name) for code in codes if code in policies]


class RunForm(forms.Form):
    policy = forms.ChoiceField(label=gettext_lazy("Policy"), required=False)
    as_of = forms.DateField(
        label=gettext_lazy("As of"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=gettext_lazy("Who qualifies on this date, from the registry as it stands."),
    )
    region_code = forms.ChoiceField(label=gettext_lazy("Region"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["policy"].choices = [("", gettext_lazy("All policies")), *policy_choices()]
        self.fields["region_code"].choices = region_choices(user)
        if not self.is_bound:
            self.initial.setdefault("as_of", timezone.localdate())
            self.initial.setdefault("region_code", user.home_region_code)


class PushFilterForm(forms.Form):
    policy = forms.ChoiceField(label=gettext_lazy("Policy"), required=False)
    outcome = forms.ChoiceField(
        label=gettext_lazy("Show"),
        required=False,
        choices=[
            ("eligible", gettext_lazy("Eligible only")),
            ("all", gettext_lazy("All candidates")),
            ("ineligible", gettext_lazy("Candidates not eligible")),
        ],
    )
    region = forms.RegexField(
        label=gettext_lazy("Region code"),
        required=False,
        regex=r"^\d{2}(\d{2}(\d{2}(\d{3}(\d{3})?)?)?)?$",
    )

    def __init__(self, *args, run: PolicyRun, **kwargs):
        super().__init__(*args, **kwargs)
        # The run's policies first; any policy may be asked for (it then lists nobody).
        ran = list((run.counts or {}).keys())
        others = [code for code in all_policies() if code not in ran]
        self.fields["policy"].choices = [
            ("", gettext_lazy("All policies")),
            *policy_choices(ran + others),
        ]


def _filter_data(form: forms.Form) -> dict:
    """The filters that are valid (an invalid one is dropped, not all of them)."""
    form.is_valid()
    return getattr(form, "cleaned_data", {}) if form.is_bound else {}


# ---- reads ------------------------------------------------------------------------------


def get_run_for(user, pk, permission: str = Perm.VIEW) -> PolicyRun:
    return get_scoped_or_404(PolicyRun.objects.all(), user, permission, pk=pk)


def push_results(user, run: PolicyRun, data: dict):
    """The run's results the user may see, filtered; in push-list order."""
    qs = scoped(PolicyResult.objects.filter(run=run), user, Perm.VIEW)
    outcome = data.get("outcome") or "eligible"
    if outcome == "eligible":
        qs = qs.filter(eligible=True)
    elif outcome == "ineligible":
        qs = qs.filter(eligible=False)
    if data.get("policy"):
        qs = qs.filter(policy=data["policy"])
    if data.get("region"):
        try:
            prefix = prefix_of(normalize(data["region"]))
        except InvalidRegionCode:
            prefix = ""
        if prefix:
            qs = qs.filter(region_code__startswith=prefix)
    return qs.order_by("region_code", "policy", "subject_type", "subject_id")


def _township(code: str) -> str:
    return code[:9].ljust(12, "0") if len(code) == 12 else code


def _subjects(results) -> tuple[dict, dict]:
    """People and employers named in ``results`` (subjects and payees)."""
    person_ids, employer_ids = set(), set()
    for r in results:
        for kind, pk in ((r.subject_type, r.subject_id), (r.payee_type, r.payee_id)):
            (person_ids if kind == SubjectType.PERSON else employer_ids).add(pk)
    people = {
        p.pk: p
        for p in Person.objects.filter(pk__in=person_ids).only("name", "id_number", "region_code")
    }
    employers = {e.pk: e for e in Employer.objects.filter(pk__in=employer_ids).only("name", "uscc")}
    return people, employers


def _describe(results, *, full: bool) -> list[dict]:
    """Each result as the push list shows it."""
    policies = all_policies()
    people, employers = _subjects(results)
    names = region_names(
        {r.region_code for r in results} | {_township(r.region_code) for r in results}
    )
    rows = []
    for r in results:
        policy = policies.get(r.policy)
        if r.subject_type == SubjectType.PERSON:
            person = people.get(r.subject_id)
            name = person.name if person else f"#{r.subject_id}"
            number = (
                (person.id_number if full else mask_id_number(person.id_number)) if person else ""
            )
        else:
            employer = employers.get(r.subject_id)
            name = employer.name if employer else f"#{r.subject_id}"
            number = employer.uscc if employer else ""
        if r.payee_type == r.subject_type and r.payee_id == r.subject_id:
            payee = ""
        elif r.payee_type == SubjectType.PERSON:
            payee = getattr(people.get(r.payee_id), "name", f"#{r.payee_id}")
        else:
            payee = getattr(employers.get(r.payee_id), "name", f"#{r.payee_id}")
        conditions = []
        if policy is not None:
            for c in policy.conditions:
                if c.code in r.conditions:
                    conditions.append({"label": str(c.label), "passed": r.conditions[c.code]})
        else:
            conditions = [{"label": k, "passed": v} for k, v in r.conditions.items()]
        township = _township(r.region_code)
        rows.append(
            {
                "result": r,
                "policy": str(policy.name) if policy else r.policy,
                "pays": policy.pays if policy else True,
                "name": name,
                "number": number,
                "payee": payee,
                "township": township,
                "township_name": names.get(township, township),
                "village": r.region_code if level_of(r.region_code) == 5 else "",
                "village_name": names.get(r.region_code, r.region_code),
                "failed": [c["label"] for c in conditions if not c["passed"]],
                "passed": [c["label"] for c in conditions if c["passed"]],
                "facts": {
                    k: v for k, v in (r.facts or {}).items() if k != "exclusion_key" and v != ""
                },
            }
        )
    return rows


def _township_summary(qs) -> list[dict]:
    money = DecimalField(max_digits=14, decimal_places=2)
    rows = list(
        qs.order_by()
        .annotate(town=Substr("region_code", 1, 9))
        .values("town")
        .annotate(
            listed=Count("id"),
            eligible_count=Count("id", filter=Q(eligible=True)),
            eligible_amount=Coalesce(
                Sum("amount", filter=Q(eligible=True)), Value(0), output_field=money
            ),
        )
        .order_by("town")
    )
    names = region_names(r["town"].ljust(12, "0") for r in rows)
    for r in rows:
        r["code"] = r["town"].ljust(12, "0")
        r["name"] = names.get(r["code"], r["code"])
    return rows


def _progress(run: PolicyRun) -> dict:
    percent = 0
    if run.status == RunStatus.DONE:
        percent = 100
    elif run.total:
        percent = min(99, int(100 * run.processed / run.total))
    current = ""
    if run.status == RunStatus.RUNNING and run.stage == "evaluating":
        done = set(run.counts or {})
        codes = run.policies or list(all_policies())
        pending = [c for c in codes if c not in done]
        if pending:
            current = str(all_policies()[pending[0]].name) if pending[0] in all_policies() else ""
    return {
        "active": run.status in ACTIVE,
        "percent": percent,
        "stage": STAGES.get(run.stage, run.stage),
        "current": current,
    }


def _policy_counts(run: PolicyRun) -> list[dict]:
    policies = all_policies()
    out = []
    for code, figures in (run.counts or {}).items():
        policy = policies.get(code)
        out.append(
            {
                "code": code,
                "name": str(policy.name) if policy else code,
                "pays": policy.pays if policy else True,
                **figures,
            }
        )
    return out


# ---- pages ------------------------------------------------------------------------------


@login_required
def run_list(request):
    page = paginate(request, scoped(PolicyRun.objects.all(), request.user, Perm.VIEW))
    names = region_names(r.region_code for r in page)
    policies = all_policies()
    for run in page:
        run.policy_names = [str(policies[c].name) for c in run.policies if c in policies]
        run.eligible_total = sum(f.get("eligible", 0) for f in (run.counts or {}).values())
        run.progress = _progress(run)
    can_edit = has_perm(request.user, Perm.EDIT)
    return render(
        request,
        "policies/runs_list.html",
        {
            "page": page,
            "names": names,
            "can_edit": can_edit,
            "form": RunForm(user=request.user) if can_edit else None,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def run_create(request):
    if not has_perm(request.user, Perm.EDIT):
        raise Http404
    form = RunForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            run = start_run(
                actor=request.user,
                as_of=data["as_of"],
                region_code=data["region_code"],
                policies=[data["policy"]] if data["policy"] else None,
            )
        except JiuyeError as exc:
            form.add_error(None, str(exc.message))
        else:
            messages.success(request, _("Run %(id)s started.") % {"id": run.pk})
            return redirect("policies:run_detail", pk=run.pk)
    return render(request, "policies/runs_form.html", {"form": form})


def _push_context(request, run: PolicyRun) -> dict:
    form = PushFilterForm(request.GET or None, run=run)
    data = _filter_data(form)
    qs = push_results(request.user, run, data)
    page = paginate(request, qs, PUSH_PAGE_SIZE)
    can_full = has_perm(request.user, Perm.VIEW_FULL_ID, run.region_code)
    full = can_full and request.GET.get("full") == "1"
    rows = _describe(list(page), full=full)
    if full and rows:
        audit.record(
            actor=request.user,
            action="policies.run.view_full",
            obj=run,
            after={"filters": request.GET.dict(), "rows": len(rows)},
        )
    query = request.GET.copy()
    for key in ("page", "full"):
        query.pop(key, None)
    return {
        "filter_form": form,
        "page": page,
        "rows": rows,
        "full": full,
        "can_full": can_full,
        "query": query.urlencode(),
        "summary": _township_summary(qs),
    }


@login_required
def run_detail(request, pk):
    run = get_run_for(request.user, pk)
    context = {
        "run": run,
        "region_name": region_names([run.region_code]).get(run.region_code, run.region_code),
        "progress": _progress(run),
        "counts": _policy_counts(run),
        "can_edit": has_perm(request.user, Perm.EDIT, run.region_code),
        "can_export": has_perm(request.user, Perm.EXPORT, run.region_code),
        "policy_names": [str(p.name) for p in all_policies().values() if p.code in run.policies],
    }
    if run.status == RunStatus.DONE:
        context.update(_push_context(request, run))
    if request.htmx and request.htmx.target == "push":
        return render(request, "policies/runs_detail.html#push", context)
    return render(request, "policies/runs_detail.html", context)


@login_required
def run_progress(request, pk):
    """The progress partial the run page polls; it asks the page to reload once the run has
    ended so the push list appears."""
    run = get_run_for(request.user, pk)
    context = {"run": run, "progress": _progress(run)}
    response = render(request, "policies/runs_detail.html#progress", context)
    if request.htmx and run.status not in ACTIVE:
        response["HX-Refresh"] = "true"
    return response


def export_rows(user, run: PolicyRun, data: dict, *, full: bool):
    """Header and rows of the push list as a spreadsheet (at most ``EXPORT_LIMIT``)."""
    headers = [
        _("Township"),
        _("Village or community"),
        _("Region code"),
        _("Policy"),
        _("Subject"),
        _("ID number or credit code"),
        _("Payee"),
        _("Period"),
        _("Eligible"),
        _("Amount"),
        _("Conditions not met"),
        _("Conditions met"),
        _("Facts"),
    ]
    results = list(push_results(user, run, data)[:EXPORT_LIMIT])
    rows = []
    for start in range(0, len(results), 5000):
        for row in _describe(results[start : start + 5000], full=full):
            r = row["result"]
            rows.append(
                [
                    row["township_name"],
                    row["village_name"] if row["village"] else "",
                    r.region_code,
                    row["policy"],
                    row["name"],
                    row["number"],
                    row["payee"],
                    r.period,
                    _("yes") if r.eligible else _("no"),
                    float(r.amount),
                    "；".join(row["failed"]),
                    "；".join(row["passed"]),
                    "；".join(f"{k}: {v}" for k, v in row["facts"].items()),
                ]
            )
    return headers, rows


@login_required
def run_export(request, pk):
    run = get_run_for(request.user, pk, Perm.EXPORT)
    if run.status != RunStatus.DONE:
        raise Http404
    data = _filter_data(PushFilterForm(request.GET or None, run=run))
    full = request.GET.get("full") == "1" and has_perm(
        request.user, Perm.VIEW_FULL_ID, run.region_code
    )
    headers, rows = export_rows(request.user, run, data, full=full)
    audit.record(
        actor=request.user,
        action="policies.run.export_full" if full else "policies.run.export",
        obj=run,
        after={"filters": request.GET.dict(), "rows": len(rows)},
    )
    filename = f"{_('push list')}-{run.pk}-{run.as_of:%Y%m%d}.xlsx"
    return xlsx_response(filename, headers, rows, title=_("Push list"))


def ready():
    from jiuye.core.audit import register_labels
    from jiuye.web.navigation import NavItem, register

    register(
        NavItem(
            "policy_runs", gettext_lazy("Policy targeting"), "policies:runs", Perm.VIEW, order=81
        )
    )
    register_labels(
        {
            "policies.run.start": gettext_lazy("Policy targeting run started"),
            "policies.run.finish": gettext_lazy("Policy targeting run finished"),
            "policies.run.view_full": gettext_lazy("Push list viewed with full ID numbers"),
            "policies.run.export": gettext_lazy("Push list exported"),
            "policies.run.export_full": gettext_lazy("Push list exported with full ID numbers"),
        }
    )


urlpatterns = [
    path("runs/", run_list, name="runs"),
    path("runs/new/", run_create, name="run_create"),
    path("runs/<int:pk>/", run_detail, name="run_detail"),
    path("runs/<int:pk>/progress/", run_progress, name="run_progress"),
    path("runs/<int:pk>/export/", run_export, name="run_export"),
]
