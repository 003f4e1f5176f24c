"""Jobs pages. Views validate and render; actions write; selectors read within scope.

Every object is looked up with the permission the page needs (``get_*_for(user, pk, perm)``),
so an object outside the user's region answers 404 like one that does not exist.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from jiuye.accounts.permissions import Perm
from jiuye.accounts.scoping import has_perm
from jiuye.core import audit
from jiuye.core.crypto import blind_index
from jiuye.core.errors import ErrorCode, JiuyeError
from jiuye.core.excel import xlsx_response
from jiuye.core.idnumber import InvalidIdNumber, parse_id_number
from jiuye.jobs import actions, selectors
from jiuye.jobs.forms import (
    ApplyForm,
    ApproveForm,
    AttendeeForm,
    FairEmployerForm,
    FairFilterForm,
    FairForm,
    FairPostingForm,
    FairStatusForm,
    HireForm,
    IntentionForm,
    InterviewForm,
    InterviewResultForm,
    OutcomeForm,
    PostingFilterForm,
    PostingForm,
    ReasonForm,
    RejectForm,
)
from jiuye.jobs.models import (
    ApplicationStatus,
    FairStatus,
    IntentionOutcome,
    JobFair,
    Posting,
    PostingStatus,
)
from jiuye.jobs.review import CATEGORY_LAWS, SCANNED_FIELDS, category_label, highlight
from jiuye.regions.selectors import drilldown, region_names, region_path
from jiuye.registry import selectors as registry_selectors
from jiuye.registry.models import Employer, Person
from jiuye.web.paging import paginate

# ---- helpers ------------------------------------------------------------------------------


def _error_messages(exc) -> list[str]:
    if isinstance(exc, ValidationError):
        return list(exc.messages)
    return [str(exc.message)]


def _form_error(form, exc) -> None:
    for message in _error_messages(exc):
        form.add_error(None, message)


def _flash_form_errors(request, form) -> None:
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        for e in errors:
            messages.error(request, f"{label}: {e}" if label else e)


def _back(request, default: str):
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(default)


def _run(request, form, run, success: str) -> bool:
    """Validate ``form`` and run ``run(cleaned_data)``; errors become messages."""
    if not form.is_valid():
        _flash_form_errors(request, form)
        return False
    try:
        run(form.cleaned_data)
    except (JiuyeError, ValidationError) as exc:
        for message in _error_messages(exc):
            messages.error(request, message)
        return False
    messages.success(request, success)
    return True


def _person_by_id_number(user, raw: str) -> Person:
    """A live person in the user's EDIT scope, by ID number (the keyed hash)."""
    try:
        number = parse_id_number((raw or "").strip()).number
    except InvalidIdNumber as exc:
        raise JiuyeError(ErrorCode.INVALID_ID_NUMBER, exc.message) from exc
    person = (
        registry_selectors.person_list(user, permission=Perm.EDIT)
        .filter(id_hash=blind_index(number))
        .first()
    )
    if person is None:
        raise JiuyeError(
            ErrorCode.NOT_FOUND, _("Nobody with that ID number is registered in your region.")
        )
    return person


def _employer_by_uscc(user, raw: str) -> Employer:
    employer = (
        registry_selectors.employer_list(user).filter(uscc=(raw or "").strip().upper()).first()
    )
    if employer is None:
        raise JiuyeError(
            ErrorCode.NOT_FOUND, _("No employer with that credit code in your region.")
        )
    return employer


def _education_names() -> dict:
    from jiuye.registry.codes import EDUCATION

    return dict(EDUCATION)


def _occupation_name(code: str) -> str:
    if not code:
        return ""
    from jiuye.registry.codes import CodeLookupError, occupation

    try:
        return occupation(code).name
    except (CodeLookupError, KeyError):
        return ""


# ---- postings -----------------------------------------------------------------------------


def _posting_filters(request) -> tuple[PostingFilterForm, selectors.PostingFilters]:
    form = PostingFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    return form, selectors.PostingFilters(**{k: v for k, v in data.items() if v not in (None, "")})


@login_required
def posting_list(request):
    form, filters = _posting_filters(request)
    page = paginate(request, selectors.posting_list(request.user, filters))
    context = {
        **drilldown(request.user, filters.region_code),
        "form": form,
        "page": page,
        "names": region_names(p.region_code for p in page),
        "can_edit": has_perm(request.user, Perm.EDIT),
        "can_export": has_perm(request.user, Perm.EXPORT),
        "can_review": has_perm(request.user, Perm.REVIEW),
    }
    template = "jobs/posting_list.html#table" if request.htmx else "jobs/posting_list.html"
    return render(request, template, context)


EXPORT_LIMIT = 200_000


@login_required
def posting_export(request):
    if not has_perm(request.user, Perm.EXPORT):
        raise Http404
    _form, filters = _posting_filters(request)
    postings = list(
        selectors.posting_list(request.user, filters, permission=Perm.EXPORT)[:EXPORT_LIMIT]
    )
    names = region_names(p.region_code for p in postings)
    edu = _education_names()
    headers = [
        _("Number"),
        _("Job title"),
        _("Employer"),
        _("Unified social credit code"),
        _("Occupation code"),
        _("Occupation"),
        _("Type"),
        _("Channel"),
        _("Status"),
        _("Headcount"),
        _("Monthly wage from"),
        _("Monthly wage to"),
        _("Minimum education"),
        _("Minimum age"),
        _("Maximum age"),
        _("Years of experience"),
        _("Workplace region code"),
        _("Workplace region"),
        _("Workplace address"),
        _("Valid from"),
        _("Valid to"),
        _("Findings"),
        _("External id"),
    ]
    rows = (
        [
            p.pk,
            p.title,
            p.employer.name,
            p.employer.uscc,
            p.occupation_code,
            _occupation_name(p.occupation_code),
            p.get_kind_display(),
            p.get_channel_display(),
            p.get_status_display(),
            p.headcount,
            p.wage_min,
            p.wage_max,
            edu.get(p.education, p.education) or _("No requirement"),
            p.age_min,
            p.age_max,
            p.experience_years,
            p.region_code,
            names.get(p.region_code, ""),
            p.address,
            p.valid_from,
            p.valid_to,
            len(p.review_flags or ()),
            p.external_id,
        ]
        for p in postings
    )
    audit.record(
        actor=request.user,
        action="jobs.posting.export",
        object_type="jobs.posting",
        object_repr=f"{len(postings)} rows",
        region_code=request.user.home_region_code,
        after={"filters": request.GET.dict(), "rows": len(postings)},
    )
    return xlsx_response(_("job postings") + ".xlsx", headers, rows, title=_("Job postings"))


def _posting_values(data: dict) -> dict:
    values = {k: v for k, v in data.items() if k != "employer_uscc"}
    for key in ("wage_min", "wage_max", "age_min", "age_max", "experience_years"):
        values.setdefault(key, None)
    return values


@login_required
@require_http_methods(["GET", "POST"])
def posting_create(request):
    if not has_perm(request.user, Perm.EDIT):
        raise Http404
    initial = {"headcount": 1, "valid_from": timezone.localdate()}
    employer_id = request.GET.get("employer")
    if employer_id:
        employer = registry_selectors.employer_list(request.user).filter(pk=employer_id).first()
        if employer is not None:
            initial.update(employer_uscc=employer.uscc, region_code=employer.region_code)
    form = PostingForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            employer = _employer_by_uscc(request.user, data["employer_uscc"])
            posting = actions.create_posting(
                actor=request.user, employer=employer, **_posting_values(data)
            )
        except (JiuyeError, ValidationError) as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Saved as a draft."))
            return redirect("jobs:posting_detail", pk=posting.pk)
    return render(request, "jobs/form.html", {"form": form, "title": _("New job posting")})


@login_required
@require_http_methods(["GET", "POST"])
def posting_edit(request, pk):
    posting = selectors.get_posting_for(request.user, pk, Perm.EDIT)
    if posting.status not in (PostingStatus.DRAFT, PostingStatus.PUBLISHED):
        messages.error(request, _("This posting can no longer be changed."))
        return redirect("jobs:posting_detail", pk=pk)
    initial = {
        name: getattr(posting, name) for name in PostingForm.base_fields if name != "employer_uscc"
    }
    initial["employer_uscc"] = posting.employer.uscc
    form = PostingForm(request.POST or None, initial=initial)
    education = form.fields["education"]
    if posting.education and posting.education not in dict(education.choices):
        # An imported detail code (e.g. 21 本科毕业) stays selectable.
        names = _education_names()
        education.choices = [
            *education.choices,
            (posting.education, names.get(posting.education, posting.education)),
        ]
    if posting.status == PostingStatus.PUBLISHED:
        # Only what needs no new review may change on a published posting.
        for name, field in form.fields.items():
            if name not in actions.OPERATIONAL_FIELDS:
                field.disabled = True
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            changes = _posting_values(data)
            if posting.status == PostingStatus.PUBLISHED:
                changes = {k: v for k, v in changes.items() if k in actions.OPERATIONAL_FIELDS}
            else:
                changes["employer"] = _employer_by_uscc(request.user, data["employer_uscc"])
            actions.update_posting(actor=request.user, posting=posting, **changes)
        except (JiuyeError, ValidationError) as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("jobs:posting_detail", pk=pk)
    return render(request, "jobs/form.html", {"form": form, "title": posting.title})


def _highlighted_fields(posting: Posting) -> list[dict]:
    labels = {f: Posting._meta.get_field(f).verbose_name for f in SCANNED_FIELDS}
    flags = posting.review_flags or []
    return [
        {
            "name": field,
            "label": labels[field],
            "html": highlight(getattr(posting, field), flags, field),
            "count": sum(1 for f in flags if f.get("field") == field),
        }
        for field in SCANNED_FIELDS
        if getattr(posting, field) or any(f.get("field") == field for f in flags)
    ]


def _findings(posting: Posting) -> list[dict]:
    return [
        {
            **f,
            "label": category_label(f.get("category", "")),
            "law": CATEGORY_LAWS.get(f.get("category", ""), ""),
        }
        for f in posting.review_flags or []
    ]


def _status_label(value) -> str:
    if not value:
        return ""
    try:
        return str(PostingStatus(value).label)
    except ValueError:
        return str(value)


def _history(posting: Posting) -> list[dict]:
    rows = []
    for row in selectors.posting_history(posting):
        before, after = row.before or {}, row.after or {}
        rows.append(
            {
                "row": row,
                "from": _status_label(before.get("status")),
                "to": _status_label(after.get("status")),
                "note": after.get("note") or after.get("reason") or "",
            }
        )
    return rows


@login_required
def posting_detail(request, pk):
    posting = selectors.get_posting_for(request.user, pk)
    user = request.user
    region = posting.region_code
    can_edit = has_perm(user, Perm.EDIT, region)
    can_review = has_perm(user, Perm.REVIEW, region)
    applications = list(selectors.applications_for_posting(posting))
    return render(
        request,
        "jobs/posting_detail.html",
        {
            "posting": posting,
            "region_path": region_path(posting.region_code),
            "occupation_name": _occupation_name(posting.occupation_code),
            "education": _education_names().get(posting.education, posting.education),
            "fields": _highlighted_fields(posting),
            "findings": _findings(posting),
            "history": _history(posting),
            "applications": applications,
            "editable": {a.pk for a in applications} if can_edit else set(),
            "open_statuses": sorted(actions.OPEN_APPLICATION),
            "hires": sum(1 for a in applications if a.status == ApplicationStatus.HIRED),
            "is_open": actions.is_open(posting),
            "can_edit": can_edit,
            "can_review": can_review,
            "can_change": can_edit
            and posting.status in (PostingStatus.DRAFT, PostingStatus.PUBLISHED),
            "can_submit": can_edit and posting.status == PostingStatus.DRAFT,
            "can_decide": can_review and posting.status == PostingStatus.REVIEW,
            "can_withdraw": can_edit
            and posting.status
            in (PostingStatus.DRAFT, PostingStatus.REVIEW, PostingStatus.PUBLISHED),
            "can_apply": can_edit and actions.is_open(posting),
            "approve_form": ApproveForm(auto_id=False),
            "reject_form": RejectForm(auto_id=False),
            "withdraw_form": ReasonForm(auto_id=False),
            "apply_form": ApplyForm(),
            **_application_forms(),
            "here": request.get_full_path(),
            "show_person": True,
        },
    )


def _posting_action(request, pk, permission, form_class, run, success):
    posting = selectors.get_posting_for(request.user, pk, permission)
    form = form_class(request.POST) if form_class else None
    if form is None:
        try:
            run(posting, {})
        except (JiuyeError, ValidationError) as exc:
            for message in _error_messages(exc):
                messages.error(request, message)
        else:
            messages.success(request, success)
    else:
        _run(request, form, lambda d: run(posting, d), success)
    return redirect("jobs:posting_detail", pk=pk)


@login_required
@require_POST
def posting_submit(request, pk):
    return _posting_action(
        request,
        pk,
        Perm.EDIT,
        None,
        lambda p, d: actions.submit_posting(actor=request.user, posting=p),
        _("Submitted for review."),
    )


@login_required
@require_POST
def posting_approve(request, pk):
    return _posting_action(
        request,
        pk,
        Perm.REVIEW,
        ApproveForm,
        lambda p, d: actions.approve_posting(
            actor=request.user, posting=p, acknowledge_findings=d["acknowledge"], note=d["note"]
        ),
        _("Published."),
    )


@login_required
@require_POST
def posting_reject(request, pk):
    return _posting_action(
        request,
        pk,
        Perm.REVIEW,
        RejectForm,
        lambda p, d: actions.reject_posting(actor=request.user, posting=p, note=d["note"]),
        _("Returned to draft."),
    )


@login_required
@require_POST
def posting_withdraw(request, pk):
    return _posting_action(
        request,
        pk,
        Perm.EDIT,
        ReasonForm,
        lambda p, d: actions.withdraw_posting(actor=request.user, posting=p, reason=d["reason"]),
        _("Withdrawn."),
    )


@login_required
@require_POST
def posting_apply(request, pk):
    return _posting_action(
        request,
        pk,
        Perm.EDIT,
        ApplyForm,
        lambda p, d: actions.apply(
            actor=request.user,
            posting=p,
            person=_person_by_id_number(request.user, d["id_number"]),
        ),
        _("Referred."),
    )


@login_required
def review_queue(request):
    if not has_perm(request.user, Perm.REVIEW):
        raise Http404
    page = paginate(request, selectors.review_queue(request.user))
    return render(
        request,
        "jobs/review_queue.html",
        {"page": page, "names": region_names(p.region_code for p in page)},
    )


# ---- applications -------------------------------------------------------------------------


def _application_forms() -> dict:
    # Rendered once per application row: no ids (each input sits inside its label).
    return {
        "interview_form": InterviewForm(auto_id=False),
        "result_form": InterviewResultForm(auto_id=False),
        "hire_form": HireForm(auto_id=False, initial={"start_date": timezone.localdate()}),
        "reason_form": ReasonForm(auto_id=False),
    }


def _application_action(request, pk, form_class, run, success):
    application = selectors.get_application_for(request.user, pk, Perm.EDIT)
    form = form_class(request.POST) if form_class else None
    if form is None:
        try:
            run(application, {})
        except (JiuyeError, ValidationError) as exc:
            for message in _error_messages(exc):
                messages.error(request, message)
        else:
            messages.success(request, success)
    else:
        _run(request, form, lambda d: run(application, d), success)
    return _back(request, reverse("jobs:posting_detail", args=[application.posting_id]))


@login_required
@require_POST
def application_interview(request, pk):
    return _application_action(
        request,
        pk,
        InterviewForm,
        lambda a, d: actions.schedule_interview(actor=request.user, application=a, **d),
        _("Interview scheduled."),
    )


@login_required
@require_POST
def interview_result(request, pk):
    interview = selectors.get_interview_for(request.user, pk, Perm.EDIT)
    form = InterviewResultForm(request.POST)
    _run(
        request,
        form,
        lambda d: actions.record_interview_result(actor=request.user, interview=interview, **d),
        _("Saved."),
    )
    return _back(request, reverse("jobs:posting_detail", args=[interview.application.posting_id]))


@login_required
@require_POST
def application_offer(request, pk):
    return _application_action(
        request,
        pk,
        None,
        lambda a, d: actions.offer(actor=request.user, application=a),
        _("Offer recorded."),
    )


@login_required
@require_POST
def application_hire(request, pk):
    def run(application, d):
        actions.hire(
            actor=request.user,
            application=application,
            start_date=d["start_date"],
            monthly_wage=d["monthly_wage"],
            contract_type=d["contract_type"],
            contract_end=d["contract_end"],
        )

    return _application_action(
        request, pk, HireForm, run, _("Hired; the employment registration is recorded.")
    )


@login_required
@require_POST
def application_reject(request, pk):
    return _application_action(
        request,
        pk,
        ReasonForm,
        lambda a, d: actions.reject_application(
            actor=request.user, application=a, reason=d["reason"]
        ),
        _("Rejected."),
    )


@login_required
@require_POST
def application_withdraw(request, pk):
    return _application_action(
        request,
        pk,
        ReasonForm,
        lambda a, d: actions.withdraw_application(
            actor=request.user, application=a, reason=d["reason"]
        ),
        _("Withdrawn."),
    )


@login_required
def person_applications(request, pk):
    """The person page's panel: the person's applications, with actions where allowed."""
    person = registry_selectors.get_person_for(request.user, pk)
    applications = list(selectors.applications_for_person(person))
    editable = {a.pk for a in applications if has_perm(request.user, Perm.EDIT, a.region_code)}
    return render(
        request,
        "jobs/_person_applications.html",
        {
            "person": person,
            "applications": applications,
            "editable": editable,
            "open_statuses": sorted(actions.OPEN_APPLICATION),
            "here": reverse("registry:person_detail", args=[person.pk]),
            "show_posting": True,
            **_application_forms(),
        },
    )


# ---- job fairs ----------------------------------------------------------------------------


def _fair_filters(request) -> tuple[FairFilterForm, selectors.FairFilters]:
    form = FairFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    return form, selectors.FairFilters(**{k: v for k, v in data.items() if v not in (None, "")})


@login_required
def fair_list(request):
    form, filters = _fair_filters(request)
    page = paginate(request, selectors.fair_list(request.user, filters))
    template = "jobs/fair_list.html#table" if request.htmx else "jobs/fair_list.html"
    return render(
        request,
        template,
        {
            **drilldown(request.user, filters.region_code),
            "form": form,
            "page": page,
            "names": region_names(f.region_code for f in page),
            "can_edit": has_perm(request.user, Perm.EDIT),
        },
    )


def _fair_values(data: dict) -> dict:
    return dict(data)


@login_required
@require_http_methods(["GET", "POST"])
def fair_create(request):
    if not has_perm(request.user, Perm.EDIT):
        raise Http404
    form = FairForm(request.POST or None, initial={"region_code": request.user.home_region_code})
    if request.method == "POST" and form.is_valid():
        try:
            fair = actions.create_fair(actor=request.user, **_fair_values(form.cleaned_data))
        except (JiuyeError, ValidationError) as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("jobs:fair_detail", pk=fair.pk)
    return render(request, "jobs/form.html", {"form": form, "title": _("New job fair")})


@login_required
@require_http_methods(["GET", "POST"])
def fair_edit(request, pk):
    fair = selectors.get_fair_for(request.user, pk, Perm.EDIT)
    initial = {name: getattr(fair, name) for name in FairForm.base_fields}
    for name in ("starts_at", "ends_at"):
        initial[name] = timezone.localtime(initial[name])
    form = FairForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_fair(actor=request.user, fair=fair, **_fair_values(form.cleaned_data))
        except (JiuyeError, ValidationError) as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("jobs:fair_detail", pk=pk)
    return render(request, "jobs/form.html", {"form": form, "title": fair.name})


@login_required
def fair_detail(request, pk):
    fair = selectors.get_fair_for(request.user, pk)
    can_edit = has_perm(request.user, Perm.EDIT, fair.region_code)
    accepting = fair.status in actions.FAIR_ACCEPTING
    postings = list(selectors.fair_postings(fair))
    participants = list(
        fair.participants.select_related("employer")
        .prefetch_related("postings")
        .order_by("employer__name")
    )
    if can_edit and accepting and participants:
        # Each employer's published postings not offered yet, to add with one click.
        offered = {p.pk for p in postings}
        candidates = selectors.posting_list(
            request.user, selectors.PostingFilters(status=PostingStatus.PUBLISHED)
        ).filter(employer_id__in=[p.employer_id for p in participants])
        by_employer: dict[int, list[Posting]] = {}
        for posting in candidates:
            if posting.pk not in offered:
                by_employer.setdefault(posting.employer_id, []).append(posting)
        for participant in participants:
            participant.candidates = by_employer.get(participant.employer_id, [])
    return render(
        request,
        "jobs/fair_detail.html",
        {
            "fair": fair,
            "region_path": region_path(fair.region_code),
            "participants": participants,
            "attendees": fair.attendees.select_related("person").order_by("-registered_at"),
            "intentions": fair.intentions.select_related(
                "person", "posting", "posting__employer"
            ).order_by("-id"),
            "results": selectors.fair_results(fair),
            "can_edit": can_edit,
            "accepting": accepting,
            "next_statuses": [
                (s, FairStatus(s).label) for s in actions.FAIR_TRANSITIONS[fair.status]
            ],
            "employer_form": FairEmployerForm(auto_id=False),
            "attendee_form": AttendeeForm(),
            "intention_form": IntentionForm(auto_id=False, postings=postings),
            "outcome_form": OutcomeForm(
                auto_id=False, initial={"start_date": timezone.localdate()}
            ),
            "status_form": FairStatusForm(),
            "pending": IntentionOutcome.PENDING,
        },
    )


def _fair_action(request, pk, form_class, run, success, *, form_kwargs=None):
    fair = selectors.get_fair_for(request.user, pk, Perm.EDIT)
    form = form_class(request.POST, **(form_kwargs(fair) if form_kwargs else {}))
    _run(request, form, lambda d: run(fair, d), success)
    return redirect("jobs:fair_detail", pk=pk)


@login_required
@require_POST
def fair_add_employer(request, pk):
    def run(fair, d):
        employer = _employer_by_uscc(request.user, d["employer_uscc"])
        postings = []
        if d["all_postings"]:
            postings = list(
                selectors.posting_list(
                    request.user,
                    selectors.PostingFilters(status=PostingStatus.PUBLISHED, employer=employer.pk),
                )
            )
        actions.add_fair_employer(
            actor=request.user, fair=fair, employer=employer, booth=d["booth"], postings=postings
        )

    return _fair_action(request, pk, FairEmployerForm, run, _("Employer added."))


@login_required
@require_POST
def fair_add_posting(request, pk):
    participant = selectors.get_participant_for(request.user, pk, Perm.EDIT)
    form = FairPostingForm(request.POST)

    def run(d):
        posting = selectors.get_posting_for(request.user, d["posting"])
        actions.add_fair_posting(actor=request.user, participant=participant, posting=posting)

    _run(request, form, run, _("Posting added."))
    return redirect("jobs:fair_detail", pk=participant.fair_id)


@login_required
@require_POST
def fair_register(request, pk):
    return _fair_action(
        request,
        pk,
        AttendeeForm,
        lambda fair, d: actions.register_attendee(
            actor=request.user,
            fair=fair,
            person=_person_by_id_number(request.user, d["id_number"]),
        ),
        _("Registered."),
    )


@login_required
@require_POST
def fair_checkin(request, pk):
    attendee = selectors.get_attendee_for(request.user, pk, Perm.EDIT)
    try:
        actions.check_in(actor=request.user, attendee=attendee)
    except JiuyeError as exc:
        messages.error(request, exc.message)
    return redirect("jobs:fair_detail", pk=attendee.fair_id)


@login_required
@require_POST
def fair_intention(request, pk):
    def postings(fair: JobFair) -> dict:
        return {"postings": selectors.fair_postings(fair)}

    return _fair_action(
        request,
        pk,
        IntentionForm,
        lambda fair, d: actions.record_intention(
            actor=request.user,
            fair=fair,
            person=_person_by_id_number(request.user, d["id_number"]),
            posting=selectors.get_posting_for(request.user, d["posting"]),
            signed_on=d["signed_on"],
        ),
        _("Intention recorded."),
        form_kwargs=postings,
    )


@login_required
@require_POST
def intention_outcome(request, pk):
    intention = selectors.get_intention_for(request.user, pk, Perm.EDIT)
    form = OutcomeForm(request.POST)

    def run(d):
        hire_fields = {}
        if d["outcome"] == IntentionOutcome.HIRED:
            hire_fields = {
                "start_date": d["start_date"],
                "monthly_wage": d["monthly_wage"],
                "contract_type": d["contract_type"],
            }
        actions.set_intention_outcome(
            actor=request.user,
            intention=intention,
            outcome=d["outcome"],
            reason=d["reason"],
            **hire_fields,
        )

    _run(request, form, run, _("Saved."))
    return redirect("jobs:fair_detail", pk=intention.fair_id)


@login_required
@require_POST
def fair_status(request, pk):
    return _fair_action(
        request,
        pk,
        FairStatusForm,
        lambda fair, d: actions.set_fair_status(
            actor=request.user, fair=fair, status=d["status"], note=d["note"]
        ),
        _("Saved."),
    )


@login_required
def fair_results(request, pk):
    fair = selectors.get_fair_for(request.user, pk)
    return render(
        request,
        "jobs/fair_results.html",
        {
            "fair": fair,
            "results": selectors.fair_results(fair),
            "region_path": region_path(fair.region_code),
            "can_export": has_perm(request.user, Perm.EXPORT, fair.region_code),
        },
    )


@login_required
def fair_results_export(request, pk):
    fair = selectors.get_fair_for(request.user, pk, Perm.EXPORT)
    results = selectors.fair_results(fair)
    headers = [
        _("Employer"),
        _("Booth"),
        _("Postings"),
        _("Vacancies"),
        _("Intentions signed"),
        _("Hires"),
    ]
    rows = [
        [r.name, r.booth, r.postings, r.vacancies, r.intentions, r.hires]
        for r in results.by_employer
    ]
    rows.append(
        [_("Total"), "", results.postings, results.vacancies, results.intentions, results.hires]
    )
    rows.append([])
    rows.extend(
        [
            [_("Employers"), results.employers],
            [_("Attendees"), results.attendees],
            [_("Checked in"), results.checked_in],
            [_("Intentions pending"), results.pending],
            [_("Did not proceed"), results.declined],
        ]
    )
    audit.record(
        actor=request.user,
        action="jobs.fair.export",
        obj=fair,
        after={"employers": results.employers, "hires": results.hires},
    )
    return xlsx_response(f"{fair.name}.xlsx", headers, rows, title=_("Results"))
