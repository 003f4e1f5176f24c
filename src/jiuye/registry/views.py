"""Registry pages. Views validate and render; actions write; selectors read within scope."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from jiuye.accounts.permissions import Perm
from jiuye.accounts.scoping import has_perm, scope_for
from jiuye.core import audit
from jiuye.core.crypto import blind_index
from jiuye.core.errors import JiuyeError
from jiuye.core.excel import xlsx_response
from jiuye.core.idnumber import InvalidIdNumber, parse_id_number
from jiuye.core.masking import mask_id_number, mask_phone
from jiuye.regions.selectors import drilldown, region_names, region_path
from jiuye.registry import actions, selectors
from jiuye.registry.forms import (
    CertificateForm,
    EmployerForm,
    EventForm,
    HouseholdForm,
    HouseholdMemberForm,
    IntentionForm,
    MembershipForm,
    PersonEditForm,
    PersonFilterForm,
    PersonForm,
)
from jiuye.registry.models import (
    Ownership,
    Person,
    SizeClass,
)
from jiuye.web.paging import paginate


def _form_error(form, exc):
    if isinstance(exc, ValidationError):
        for message in exc.messages:
            form.add_error(None, message)
    else:
        form.add_error(None, str(exc.message))


def _person_filters(request) -> tuple[PersonFilterForm, selectors.PersonFilters]:
    form = PersonFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    return form, selectors.PersonFilters(**{k: v for k, v in data.items() if v not in (None, "")})


def _education_names():
    from jiuye.registry.codes import EDUCATION

    return EDUCATION


@login_required
def person_list(request):
    form, filters = _person_filters(request)
    page = paginate(request, selectors.person_list(request.user, filters))
    context = {
        **drilldown(request.user, filters.region_code),
        "form": form,
        "page": page,
        "names": region_names(p.region_code for p in page),
        "education": _education_names(),
        "can_edit": has_perm(request.user, Perm.EDIT),
        "can_export": has_perm(request.user, Perm.EXPORT),
        "can_full": has_perm(request.user, Perm.VIEW_FULL_ID),
    }
    template = "registry/person_list.html#table" if request.htmx else "registry/person_list.html"
    return render(request, template, context)


@login_required
def person_export(request):
    if not has_perm(request.user, Perm.EXPORT):
        raise Http404
    _form, filters = _person_filters(request)
    qs = selectors.person_list(request.user, filters, permission=Perm.EXPORT)
    # Full numbers only where the role allows them everywhere in the exported set; the export
    # itself is then one audited full view.
    full = request.GET.get("full") == "1" and _covers(request.user, Perm.VIEW_FULL_ID, Perm.EXPORT)
    people = list(qs.select_related("labour_brand")[:200_000])
    names = region_names({p.region_code for p in people} | {p.hukou_region_code for p in people})
    edu = _education_names()
    headers = [
        _("Name"),
        _("ID number"),
        _("Sex"),
        _("Birth date"),
        _("Phone"),
        _("Residence region code"),
        _("Residence"),
        _("Hukou region"),
        _("Hukou type"),
        _("Education"),
        _("Employment status"),
        _("Status since"),
        _("Labour brand"),
    ]
    rows = (
        [
            p.name,
            p.id_number if full else mask_id_number(p.id_number),
            p.get_sex_display(),
            p.birth_date,
            p.phone if full else mask_phone(p.phone),
            p.region_code,
            names.get(p.region_code, ""),
            names.get(p.hukou_region_code, p.hukou_region_code),
            p.get_hukou_type_display(),
            edu.get(p.education, p.education),
            p.get_employment_status_display(),
            p.status_since,
            p.labour_brand.name if p.labour_brand else "",
        ]
        for p in people
    )
    audit.record(
        actor=request.user,
        action="registry.person.export_full" if full else "registry.person.export",
        object_type="registry.person",
        object_repr=f"{len(people)} rows",
        region_code=request.user.home_region_code,
        after={"filters": request.GET.dict(), "rows": len(people)},
    )
    return xlsx_response(_("people") + ".xlsx", headers, rows, title=_("People"))


def _covers(user, permission: str, over: str) -> bool:
    """True when ``permission`` is held wherever ``over`` is (e.g. full view over export)."""
    wide, narrow = scope_for(user, permission), scope_for(user, over)
    return wide.everything or all(wide.contains(code) for code in narrow.top_codes)


def _occupation_names(codes) -> dict[str, str]:
    from jiuye.registry.codes import occupation

    names = {}
    for code in codes:
        try:
            names[code] = occupation(code).name
        except (ValueError, KeyError):
            continue
    return names


@login_required
def person_detail(request, pk):
    person = selectors.get_person_for(request.user, pk)
    household = getattr(person, "household_membership", None)
    codes = [person.region_code, person.hukou_region_code, person.native_region_code]
    intentions = list(person.intentions.order_by("-active", "-created_at"))
    return render(
        request,
        "registry/person_detail.html",
        {
            "person": person,
            "paths": {c: region_path(c) for c in codes if c},
            "age": selectors.age_of(person),
            "education": _education_names().get(person.education, person.education),
            "memberships": person.memberships.all(),
            "active_groups": set(
                selectors.active_memberships(person).values_list("group", flat=True)
            ),
            "certificates": person.certificates.all(),
            "intentions": intentions,
            "occupation_names": _occupation_names(i.occupation_code for i in intentions),
            "household": household.household if household else None,
            "timeline": selectors.person_timeline(person),
            "can_edit": has_perm(request.user, Perm.EDIT, person.region_code),
            "can_full": has_perm(request.user, Perm.VIEW_FULL_ID, person.region_code),
            "event_form": EventForm(),
            "membership_form": MembershipForm(),
            "certificate_form": CertificateForm(),
            "intention_form": IntentionForm(),
        },
    )


@login_required
@require_POST
def person_full_id(request, pk):
    person = selectors.get_person_for(request.user, pk)
    try:
        number = actions.reveal_id_number(actor=request.user, person=person)
    except JiuyeError as exc:
        raise Http404 from exc
    return render(request, "registry/_full_id.html", {"number": number, "phone": person.phone})


@login_required
@require_http_methods(["GET", "POST"])
def person_create(request):
    if not has_perm(request.user, Perm.EDIT):
        raise Http404
    form = PersonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            person = actions.register_person(actor=request.user, **form.cleaned_data)
        except (JiuyeError, ValidationError) as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Registered."))
            return redirect("registry:person_detail", pk=person.pk)
    return render(request, "registry/form.html", {"form": form, "title": _("Register a person")})


@login_required
@require_http_methods(["GET", "POST"])
def person_edit(request, pk):
    person = selectors.get_person_for(request.user, pk, Perm.EDIT)
    initial = {f: getattr(person, f) for f in PersonEditForm.base_fields if f != "id_number"}
    form = PersonEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_person(actor=request.user, person=person, **form.cleaned_data)
        except (JiuyeError, ValidationError) as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("registry:person_detail", pk=person.pk)
    return render(request, "registry/form.html", {"form": form, "title": person.name})


def _post_on_person(request, pk, form_class, run):
    person = selectors.get_person_for(request.user, pk, Perm.EDIT)
    form = form_class(request.POST)
    if form.is_valid():
        try:
            run(person, form.cleaned_data)
        except (JiuyeError, ValidationError) as exc:
            for m in exc.messages if isinstance(exc, ValidationError) else [exc.message]:
                messages.error(request, m)
        else:
            messages.success(request, _("Saved."))
    else:
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            for e in errors:
                messages.error(request, f"{label}: {e}" if label else e)
    return redirect("registry:person_detail", pk=pk)


@login_required
@require_POST
def event_create(request, pk):
    def run(person, d):
        employer = None
        if d["employer_uscc"]:
            employer = (
                selectors.employer_list(request.user, permission=Perm.VIEW)
                .filter(uscc=d["employer_uscc"].strip().upper())
                .first()
            )
            if employer is None:
                raise JiuyeError("invalid", _("No employer with that credit code in your region."))
        actions.record_event(
            actor=request.user,
            person=person,
            kind=d["kind"],
            occurred_on=d["occurred_on"],
            employer=employer,
            employer_name=d["employer_name"],
            form=d["form"],
            contract_type=d["contract_type"],
            contract_end=d["contract_end"],
            work_place=d["work_place"],
            occupation_code=d["occupation_code"],
            reason=d["reason"],
        )

    return _post_on_person(request, pk, EventForm, run)


@login_required
@require_POST
def membership_create(request, pk):
    def run(person, d):
        details = {k: d[k] for k in ("graduation_year", "school", "degree") if d.get(k)}
        actions.add_membership(
            actor=request.user,
            person=person,
            group=d["group"],
            category=d["category"],
            valid_from=d["valid_from"],
            valid_to=d["valid_to"],
            source=d["source"] or "manual",
            details=details,
        )

    return _post_on_person(request, pk, MembershipForm, run)


@login_required
@require_POST
def certificate_create(request, pk):
    return _post_on_person(
        request,
        pk,
        CertificateForm,
        lambda person, d: actions.add_certificate(
            actor=request.user, person=person, **{k: v for k, v in d.items() if v not in ("", None)}
        ),
    )


@login_required
@require_POST
def intention_create(request, pk):
    return _post_on_person(
        request,
        pk,
        IntentionForm,
        lambda person, d: actions.add_intention(
            actor=request.user, person=person, **{k: v for k, v in d.items() if v not in ("", None)}
        ),
    )


# ---- households ---------------------------------------------------------------------------


@login_required
def household_list(request):
    zero = request.GET.get("zero") == "1"
    qs = selectors.household_list(
        request.user, region_code=request.GET.get("region_code", ""), zero_employment=zero
    )
    page = paginate(request, qs)
    zero_ids = set(selectors.zero_employment_household_ids(qs.filter(pk__in=[h.pk for h in page])))
    return render(
        request,
        "registry/household_list.html",
        {
            "page": page,
            "zero": zero,
            "zero_ids": zero_ids,
            "names": region_names(h.region_code for h in page),
            "region_code": request.GET.get("region_code", ""),
        },
    )


@login_required
def household_detail(request, pk):
    household = selectors.get_household_for(request.user, pk)
    members = selectors.household_members(household)
    from django.utils import timezone

    from jiuye.registry.ages import is_working_age

    today = timezone.localdate()
    rows = [
        (m, selectors.age_of(m.person), is_working_age(m.person.birth_date, m.person.sex, today))
        for m in members
    ]
    zero = selectors.is_zero_employment(
        [(m.person.birth_date, m.person.sex, m.person.employment_status) for m in members], today
    )
    return render(
        request,
        "registry/household_detail.html",
        {
            "household": household,
            "rows": rows,
            "zero": zero,
            "region_path": region_path(household.region_code),
            "can_edit": has_perm(request.user, Perm.EDIT, household.region_code),
            "member_form": HouseholdMemberForm(),
        },
    )


def _person_by_id_number(user, raw: str) -> Person:
    try:
        number = parse_id_number(raw).number
    except InvalidIdNumber as exc:
        raise JiuyeError("invalid_id_number", exc.message) from exc
    person = (
        selectors.person_list(user, permission=Perm.EDIT)
        .filter(id_hash=blind_index(number))
        .first()
    )
    if person is None:
        raise JiuyeError("not_found", _("Nobody with that ID number is registered in your region."))
    return person


@login_required
@require_http_methods(["GET", "POST"])
def household_create(request):
    if not has_perm(request.user, Perm.EDIT):
        raise Http404
    form = HouseholdForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            head = _person_by_id_number(request.user, d["head_id_number"])
            household = actions.create_household(
                actor=request.user,
                region_code=d["region_code"],
                head=head,
                address=d["address"],
                hukou_type=d["hukou_type"],
                external_id=d["external_id"],
            )
        except JiuyeError as exc:
            _form_error(form, exc)
        else:
            return redirect("registry:household_detail", pk=household.pk)
    return render(request, "registry/form.html", {"form": form, "title": _("New household")})


@login_required
@require_POST
def household_add_member(request, pk):
    household = selectors.get_household_for(request.user, pk)
    form = HouseholdMemberForm(request.POST)
    if form.is_valid():
        try:
            person = _person_by_id_number(request.user, form.cleaned_data["id_number"])
            actions.add_household_member(
                actor=request.user,
                household=household,
                person=person,
                relation=form.cleaned_data["relation"],
            )
        except JiuyeError as exc:
            messages.error(request, exc.message)
    return redirect("registry:household_detail", pk=pk)


# ---- employers ----------------------------------------------------------------------------


def _employer_filters(request):
    return {
        k: request.GET.get(k, "").strip()
        for k in ("q", "region_code", "industry", "ownership", "size_class")
    }


@login_required
def employer_list(request):
    filters = _employer_filters(request)
    page = paginate(request, selectors.employer_list(request.user, **filters))
    template = (
        "registry/employer_list.html#table" if request.htmx else "registry/employer_list.html"
    )
    return render(
        request,
        template,
        {
            "page": page,
            "filters": filters,
            "names": region_names(e.region_code for e in page),
            "ownerships": Ownership.choices,
            "sizes": SizeClass.choices,
            "can_edit": has_perm(request.user, Perm.EDIT),
            "can_export": has_perm(request.user, Perm.EXPORT),
        },
    )


@login_required
def employer_export(request):
    if not has_perm(request.user, Perm.EXPORT):
        raise Http404
    qs = selectors.employer_list(request.user, permission=Perm.EXPORT, **_employer_filters(request))
    employers = list(qs[:200_000])
    names = region_names(e.region_code for e in employers)
    headers = [
        _("Unified social credit code"),
        _("Name"),
        _("Industry code"),
        _("Ownership"),
        _("Size"),
        _("Region code"),
        _("Region"),
        _("Address"),
        _("Legal representative"),
        _("Contact person"),
        _("Contact phone"),
    ]
    rows = (
        [
            e.uscc,
            e.name,
            e.industry_code,
            e.get_ownership_display(),
            e.get_size_class_display(),
            e.region_code,
            names.get(e.region_code, ""),
            e.address,
            e.legal_representative,
            e.contact_person,
            e.contact_phone,
        ]
        for e in employers
    )
    audit.record(
        actor=request.user,
        action="registry.employer.export",
        object_type="registry.employer",
        object_repr=f"{len(employers)} rows",
        region_code=request.user.home_region_code,
        after={"rows": len(employers)},
    )
    return xlsx_response(_("employers") + ".xlsx", headers, rows, title=_("Employers"))


@login_required
def employer_detail(request, pk):
    employer = selectors.get_employer_for(request.user, pk)
    workforce = paginate(request, selectors.employer_workforce(request.user, employer))
    return render(
        request,
        "registry/employer_detail.html",
        {
            "employer": employer,
            "region_path": region_path(employer.region_code),
            "headcounts": employer.headcounts.all()[:24],
            "workforce": workforce,
            "industry": _industry_name(employer.industry_code),
        },
    )


def _industry_name(code: str) -> str:
    if not code:
        return ""
    from jiuye.registry.codes import industry

    try:
        return industry(code).name
    except (KeyError, ValueError):
        return ""


@login_required
@require_http_methods(["GET", "POST"])
def employer_create(request):
    if not has_perm(request.user, Perm.EDIT):
        raise Http404
    form = EmployerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            employer = actions.register_employer(actor=request.user, **form.cleaned_data)
        except (JiuyeError, ValidationError) as exc:
            _form_error(form, exc)
        else:
            return redirect("registry:employer_detail", pk=employer.pk)
    return render(request, "registry/form.html", {"form": form, "title": _("Register an employer")})


# ---- labour brands, duplicates -------------------------------------------------------------


@login_required
def brand_list(request):
    brands = selectors.labour_brands(request.user)
    return render(
        request,
        "registry/brand_list.html",
        {"brands": brands, "names": region_names(b.region_code for b in brands)},
    )


@login_required
def duplicate_list(request):
    if not has_perm(request.user, Perm.EDIT):
        raise Http404
    candidates = selectors.duplicate_candidates(
        request.user, region_code=request.GET.get("region_code", "")
    )
    return render(request, "registry/duplicate_list.html", {"candidates": candidates})


@login_required
@require_POST
def person_merge(request):
    keep = selectors.get_person_for(request.user, request.POST.get("keep"), Perm.EDIT)
    duplicate = selectors.get_person_for(request.user, request.POST.get("duplicate"), Perm.EDIT)
    try:
        actions.merge_persons(actor=request.user, keep=keep, duplicate=duplicate)
    except JiuyeError as exc:
        messages.error(request, exc.message)
        return redirect("registry:duplicates")
    messages.success(request, _("Merged."))
    return redirect("registry:person_detail", pk=keep.pk)
