"""Internship allocation pages (见习岗位分配): rounds, their posts and applicants, running,
publishing and exporting the result. Views validate and render; ``actions`` write;
``selectors`` read within the user's scope."""

from __future__ import annotations

import re

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from jiuye.accounts.permissions import Perm
from jiuye.accounts.scoping import get_scoped_or_404, has_perm, scoped
from jiuye.core import audit
from jiuye.core.crypto import blind_index
from jiuye.core.errors import ErrorCode, JiuyeError
from jiuye.core.excel import xlsx_response
from jiuye.core.idnumber import InvalidIdNumber, parse_id_number
from jiuye.core.masking import mask_id_number
from jiuye.jobs.models import Posting
from jiuye.matching import actions, selectors
from jiuye.matching.models import AllocationMethod, RoundStatus
from jiuye.regions.selectors import region_names
from jiuye.registry.models import Person
from jiuye.web.paging import paginate

# ---- forms ------------------------------------------------------------------------------


class RoundForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    region_code = forms.CharField(
        label=gettext_lazy("Region code"),
        max_length=12,
        help_text=gettext_lazy("The organising region; posts must lie inside it."),
    )
    max_choices = forms.IntegerField(
        label=gettext_lazy("Choices per applicant"),
        min_value=1,
        max_value=actions.MAX_CHOICES_LIMIT,
        initial=30,
    )


class PostForm(forms.Form):
    posting = forms.IntegerField(label=gettext_lazy("Posting number"), min_value=1)
    capacity = forms.IntegerField(label=gettext_lazy("Seats"), min_value=0, max_value=100_000)


class PostOrderForm(forms.Form):
    capacity = forms.IntegerField(label=gettext_lazy("Seats"), min_value=0, max_value=100_000)
    ranking = forms.CharField(
        label=gettext_lazy("Host ranking"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy(
            "Applicant numbers, best first, separated by commas or spaces. Applicants not "
            "listed are not accepted. Leave empty to order by score."
        ),
    )
    scores = forms.CharField(
        label=gettext_lazy("Host scores"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy(
            "One “applicant number: score” per line, higher is better; applicants without a "
            "score here are ordered by their general score."
        ),
    )

    def clean_ranking(self):
        return [int(x) for x in _numbers(self.cleaned_data["ranking"])]

    def clean_scores(self):
        out = {}
        for line in (self.cleaned_data["scores"] or "").splitlines():
            if not line.strip():
                continue
            m = re.fullmatch(r"\s*(\d+)\s*[:：,，\s]\s*(-?\d+(?:\.\d+)?)\s*", line)
            if not m:
                raise forms.ValidationError(_("Write “applicant number: score” on each line."))
            out[m.group(1)] = float(m.group(2))
        return out


class ApplicantForm(forms.Form):
    id_number = forms.CharField(label=gettext_lazy("ID number"), max_length=25)
    choices = forms.CharField(
        label=gettext_lazy("Choices"),
        help_text=gettext_lazy(
            "Posting numbers, most wanted first, separated by commas or spaces."
        ),
    )
    score = forms.FloatField(label=gettext_lazy("Score"), required=False)

    def clean_choices(self):
        return [int(x) for x in _numbers(self.cleaned_data["choices"])]


class ImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("File"),
        help_text=gettext_lazy(
            "An .xlsx, .xls or .csv file: an ID number column and columns 志愿1, 志愿2, … with "
            "posting numbers; a score column is optional."
        ),
    )


class ResultFilterForm(forms.Form):
    q = forms.CharField(label=gettext_lazy("Name"), required=False)
    outcome = forms.ChoiceField(
        label=gettext_lazy("Result"),
        required=False,
        choices=[
            ("", gettext_lazy("All")),
            ("assigned", gettext_lazy("Assigned")),
            ("first", gettext_lazy("First choice")),
            ("unassigned", gettext_lazy("Not assigned")),
        ],
    )


def _numbers(text: str) -> list[str]:
    parts = [p for p in re.split(r"[\s,，、;；]+", text or "") if p]
    if any(not p.isdigit() for p in parts):
        raise forms.ValidationError(_("Write numbers separated by commas or spaces."))
    return parts


def _messages_for(request, exc) -> None:
    if isinstance(exc, JiuyeError):
        messages.error(request, str(exc.message))
    else:
        for field, errors in exc.items():
            for e in errors:
                messages.error(request, f"{field}: {e}" if field != "__all__" else e)


# ---- pages ------------------------------------------------------------------------------


@login_required
def round_list(request):
    page = paginate(request, selectors.round_list(request.user))
    return render(
        request,
        "matching/allocation_list.html",
        {
            "page": page,
            "names": region_names(r.region_code for r in page),
            "can_edit": has_perm(request.user, Perm.EDIT),
            "form": RoundForm(initial={"region_code": request.user.home_region_code}),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def round_create(request):
    if not has_perm(request.user, Perm.EDIT):
        raise Http404
    form = RoundForm(request.POST or None, initial={"region_code": request.user.home_region_code})
    if request.method == "POST" and form.is_valid():
        try:
            rnd = actions.create_round(actor=request.user, **form.cleaned_data)
        except JiuyeError as exc:
            form.add_error(None, str(exc.message))
        else:
            messages.success(request, _("Round created."))
            return redirect("matching:allocation_round_detail", pk=rnd.pk)
    return render(
        request, "matching/allocation_form.html", {"form": form, "title": _("New allocation round")}
    )


def _results_page(request, rnd):
    form = ResultFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    filters = selectors.ResultFilters(q=data.get("q", ""), outcome=data.get("outcome", ""))
    if rnd.status == RoundStatus.DRAFT:
        qs = selectors.round_applicants(rnd)
        if filters.q:
            qs = qs.filter(person__name__contains=filters.q.strip())
        page = paginate(request, qs)
        rows = [{"applicant": a, "assignment": None} for a in page]
    else:
        page = paginate(request, selectors.round_results(rnd, filters))
        rows = [{"applicant": a.applicant, "assignment": a} for a in page]
    titles = selectors.post_titles(rnd)
    posting_of = dict(rnd.posts.values_list("pk", "posting_id"))
    for row in rows:
        row["choices"] = [posting_of.get(c, "?") for c in row["applicant"].choices]
        if row["assignment"] is not None:
            row["lines"] = selectors.describe(row["assignment"].explanation, titles)
    return form, page, rows


@login_required
def round_detail(request, pk):
    rnd = selectors.get_round_for(request.user, pk)
    form, page, rows = _results_page(request, rnd)
    context = {"round": rnd, "filter_form": form, "page": page, "rows": rows}
    if request.htmx:
        return render(request, "matching/allocation_detail.html#results", context)
    posts = Paginator(selectors.round_posts(rnd), 50).get_page(request.GET.get("posts_page"))
    editable = rnd.status != RoundStatus.PUBLISHED
    can_edit = editable and has_perm(request.user, Perm.EDIT, rnd.region_code)
    context.update(
        {
            "posts": posts,
            "region_name": region_names([rnd.region_code]).get(rnd.region_code, ""),
            "stats": rnd.stats,
            "other": rnd.stats.get("other", {}),
            "can_edit": can_edit,
            "can_publish": rnd.status == RoundStatus.ALLOCATED
            and has_perm(request.user, Perm.REVIEW, rnd.region_code),
            "can_export": rnd.status != RoundStatus.DRAFT
            and has_perm(request.user, Perm.EXPORT, rnd.region_code),
            "methods": AllocationMethod.choices,
            "post_form": PostForm(),
            "applicant_form": ApplicantForm(),
            "import_form": ImportForm(),
            "postings": selectors.internship_postings(request.user, rnd)[:500] if can_edit else [],
        }
    )
    return render(request, "matching/allocation_detail.html", context)


def _round_for_edit(request, pk):
    return selectors.get_round_for(request.user, pk, Perm.EDIT)


@login_required
@require_POST
def post_add(request, pk):
    rnd = _round_for_edit(request, pk)
    form = PostForm(request.POST)
    if form.is_valid():
        posting = get_scoped_or_404(
            Posting.objects.all(), request.user, Perm.VIEW, pk=form.cleaned_data["posting"]
        )
        try:
            actions.add_post(
                rnd, actor=request.user, posting=posting, capacity=form.cleaned_data["capacity"]
            )
        except JiuyeError as exc:
            _messages_for(request, exc)
        else:
            messages.success(request, _("Post added."))
    else:
        _messages_for(request, form.errors)
    return redirect("matching:allocation_round_detail", pk=rnd.pk)


@login_required
@require_http_methods(["GET", "POST"])
def post_edit(request, pk, post_pk):
    rnd = _round_for_edit(request, pk)
    post = selectors.get_post_for(request.user, rnd, post_pk, Perm.EDIT)
    scores = "\n".join(f"{k}: {v:g}" for k, v in post.host_scores.items())
    initial = {
        "capacity": post.capacity,
        "ranking": ", ".join(str(a) for a in post.host_ranking),
        "scores": scores,
    }
    form = PostOrderForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_post(
                post,
                actor=request.user,
                capacity=form.cleaned_data["capacity"],
                host_ranking=form.cleaned_data["ranking"],
                host_scores=form.cleaned_data["scores"],
            )
        except JiuyeError as exc:
            form.add_error(None, str(exc.message))
        else:
            messages.success(request, _("Saved."))
            return redirect("matching:allocation_round_detail", pk=rnd.pk)
    return render(
        request,
        "matching/allocation_form.html",
        {"form": form, "title": str(post.posting), "round": rnd},
    )


def _person_by_id_number(user, number: str) -> Person:
    try:
        info = parse_id_number(number)
    except InvalidIdNumber as exc:
        raise JiuyeError(ErrorCode.INVALID_ID_NUMBER, exc.message) from exc
    qs = scoped(Person.objects.filter(merged_into__isnull=True), user, Perm.VIEW)
    person = qs.filter(id_hash=blind_index(info.number)).first()
    if person is None:
        raise JiuyeError(ErrorCode.NOT_FOUND, _("No such person in your regions."))
    return person


@login_required
@require_POST
def applicant_add(request, pk):
    rnd = _round_for_edit(request, pk)
    form = ApplicantForm(request.POST)
    if form.is_valid():
        post_of_posting = dict(rnd.posts.values_list("posting_id", "pk"))
        choices = [post_of_posting.get(n) for n in form.cleaned_data["choices"]]
        try:
            if None in choices:
                raise JiuyeError(ErrorCode.INVALID, _("A choice names a posting not in the round."))
            person = _person_by_id_number(request.user, form.cleaned_data["id_number"])
            actions.add_applicant(
                rnd,
                actor=request.user,
                person=person,
                choices=choices,
                score=form.cleaned_data["score"],
            )
        except JiuyeError as exc:
            _messages_for(request, exc)
        else:
            messages.success(request, _("Applicant saved."))
    else:
        _messages_for(request, form.errors)
    return redirect("matching:allocation_round_detail", pk=rnd.pk)


@login_required
@require_POST
def choices_import(request, pk):
    rnd = _round_for_edit(request, pk)
    form = ImportForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            report = actions.import_choices(
                rnd, actor=request.user, source=upload, filename=upload.name
            )
        except JiuyeError as exc:
            _messages_for(request, exc)
        else:
            messages.success(
                request,
                _("Imported: %(added)s added, %(updated)s updated, %(errors)s rows with errors.")
                % {"added": report.added, "updated": report.updated, "errors": len(report.errors)},
            )
            for row, reason in report.errors[:20]:
                messages.error(
                    request, _("Row %(row)s: %(reason)s") % {"row": row, "reason": reason}
                )
    else:
        _messages_for(request, form.errors)
    return redirect("matching:allocation_round_detail", pk=rnd.pk)


@login_required
@require_POST
def round_run(request, pk):
    rnd = _round_for_edit(request, pk)
    method = request.POST.get("method", AllocationMethod.DA)
    try:
        rnd = actions.run_round(rnd, actor=request.user, method=method)
    except JiuyeError as exc:
        _messages_for(request, exc)
    else:
        messages.success(
            request,
            _("Allocated: %(assigned)s of %(applicants)s applicants placed.")
            % {"assigned": rnd.stats["assigned"], "applicants": rnd.stats["applicants"]},
        )
    return redirect("matching:allocation_round_detail", pk=rnd.pk)


@login_required
@require_POST
def round_publish(request, pk):
    rnd = selectors.get_round_for(request.user, pk, Perm.REVIEW)
    try:
        actions.publish_round(rnd, actor=request.user)
    except JiuyeError as exc:
        _messages_for(request, exc)
    else:
        messages.success(request, _("Published."))
    return redirect("matching:allocation_round_detail", pk=rnd.pk)


@login_required
def round_export(request, pk):
    rnd = selectors.get_round_for(request.user, pk, Perm.EXPORT)
    if rnd.status == RoundStatus.DRAFT:
        raise Http404
    titles = selectors.post_titles(rnd)
    posting_of = dict(rnd.posts.values_list("pk", "posting_id"))
    results = list(selectors.round_results(rnd))
    headers = [
        _("Applicant number"),
        _("Name"),
        _("ID number"),
        _("Choices (posting numbers)"),
        _("Score"),
        _("Assigned posting number"),
        _("Assigned post"),
        _("Choice"),
        _("Fit"),
        _("Explanation"),
        _("Published at"),
    ]
    rows = (
        [
            a.applicant_id,
            a.applicant.person.name,
            mask_id_number(a.applicant.person.id_number),
            ", ".join(str(posting_of.get(c, "?")) for c in a.applicant.choices),
            a.applicant.score,
            a.post.posting_id if a.post_id else "",
            titles.get(a.post_id, "") if a.post_id else _("Not assigned"),
            a.choice_rank,
            a.fit,
            "\n".join(selectors.describe(a.explanation, titles)),
            a.published_at.strftime("%Y-%m-%d %H:%M") if a.published_at else "",
        ]
        for a in results
    )
    audit.record(
        actor=request.user,
        action="matching.round.export",
        obj=rnd,
        after={"rows": len(results)},
    )
    return xlsx_response(
        f"{_('internship allocation')}-{rnd.pk}.xlsx", headers, rows, title=_("Allocation")
    )


@login_required
def person_panel(request, pk):
    """The person page's panel: the rounds (in the viewer's regions) the person applied in,
    with the result where there is one."""
    from jiuye.registry.selectors import get_person_for

    person = get_person_for(request.user, pk)
    entries = selectors.person_rounds(request.user, person)
    return render(request, "matching/allocation_person_panel.html", {"entries": entries})


urlpatterns = [
    path("allocation/", round_list, name="allocation_rounds"),
    path("allocation/new/", round_create, name="allocation_round_create"),
    path("allocation/<int:pk>/", round_detail, name="allocation_round_detail"),
    path("allocation/<int:pk>/posts/", post_add, name="allocation_post_add"),
    path("allocation/<int:pk>/posts/<int:post_pk>/", post_edit, name="allocation_post_edit"),
    path("allocation/<int:pk>/applicants/", applicant_add, name="allocation_applicant_add"),
    path("allocation/<int:pk>/import/", choices_import, name="allocation_import"),
    path("allocation/<int:pk>/run/", round_run, name="allocation_run"),
    path("allocation/<int:pk>/publish/", round_publish, name="allocation_publish"),
    path("allocation/<int:pk>/export/", round_export, name="allocation_export"),
    path("allocation/person/<int:pk>/", person_panel, name="allocation_person_panel"),
]
