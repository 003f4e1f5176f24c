"""Region drill-down, search and service points. Views validate; actions and selectors work."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from jiuye.accounts.permissions import Perm
from jiuye.accounts.scoping import has_perm
from jiuye.core.errors import JiuyeError
from jiuye.core.excel import xlsx_response
from jiuye.regions import actions, selectors
from jiuye.regions.forms import ServicePointForm
from jiuye.regions.models import RegionLevel, ServicePointKind
from jiuye.web.paging import paginate


@login_required
def region_home(request):
    tops = list(selectors.top_regions_for(request.user))
    if len(tops) == 1:
        return redirect("regions:detail", code=tops[0].code)
    return render(request, "regions/region_home.html", {"regions": tops})


@login_required
def region_detail(request, code):
    region = selectors.region_for(request.user, code)
    children = list(selectors.children_of(region))
    points = selectors.service_point_list(request.user, region_code=region.code)
    counts = selectors.descendant_counts(region)
    context = {
        "region": region,
        "breadcrumbs": selectors.breadcrumbs_for(request.user, region),
        "children": children,
        "level_counts": [
            (RegionLevel(lvl).label, counts.get(lvl, 0)) for lvl in range(region.level + 1, 6)
        ],
        "points_page": paginate(request, points, per_page=10),
        "point_count": points.count(),
    }
    return render(request, "regions/region_detail.html", context)


@login_required
def region_search(request):
    q = request.GET.get("q", "")
    results = selectors.search_regions(request.user, q, limit=30)
    template = (
        "regions/region_search.html#results" if request.htmx else "regions/region_search.html"
    )
    paths = {r.code: selectors.region_path(r.code) for r in results}
    return render(request, template, {"q": q, "results": results, "paths": paths})


def _point_filters(request):
    return {k: request.GET.get(k, "").strip() for k in ("q", "kind", "region_code", "active")}


@login_required
def service_point_list(request):
    filters = _point_filters(request)
    qs = selectors.service_point_list(request.user, **filters)
    page = paginate(request, qs)
    names = selectors.region_names(p.region_code for p in page)
    context = {
        "page": page,
        "filters": filters,
        "kinds": ServicePointKind.choices,
        "names": names,
        "can_edit": has_perm(request.user, Perm.MANAGE_REGIONS),
        "can_export": has_perm(request.user, Perm.EXPORT),
    }
    template = (
        "regions/service_point_list.html#table"
        if request.htmx
        else "regions/service_point_list.html"
    )
    return render(request, template, context)


@login_required
def service_point_export(request):
    if not has_perm(request.user, Perm.EXPORT):
        raise Http404
    qs = selectors.service_point_list(
        request.user, permission=Perm.EXPORT, **_point_filters(request)
    )
    points = list(qs[:100_000])
    names = selectors.region_names(p.region_code for p in points)
    headers = [
        _("Type"),
        _("Name"),
        _("Region code"),
        _("Region"),
        _("Address"),
        _("Longitude"),
        _("Latitude"),
        _("Opening hours"),
        _("Contact person"),
        _("Contact phone"),
        _("Active"),
    ]
    rows = (
        [
            p.get_kind_display(),
            p.name,
            p.region_code,
            names.get(p.region_code, ""),
            p.address,
            float(p.longitude) if p.longitude is not None else None,
            float(p.latitude) if p.latitude is not None else None,
            p.opening_hours,
            p.contact_person,
            p.contact_phone,
            _("Yes") if p.is_active else _("No"),
        ]
        for p in points
    )
    return xlsx_response(_("service-points") + ".xlsx", headers, rows, title=_("Service points"))


@login_required
def service_point_detail(request, pk):
    point = selectors.get_service_point_for(request.user, pk)
    return render(
        request,
        "regions/service_point_detail.html",
        {
            "point": point,
            "region_path": selectors.region_path(point.region_code),
            "can_edit": has_perm(request.user, Perm.MANAGE_REGIONS, point.region_code),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def service_point_edit(request, pk=None):
    point = None
    if pk is not None:
        point = selectors.get_service_point_for(request.user, pk, Perm.MANAGE_REGIONS)
    elif not has_perm(request.user, Perm.MANAGE_REGIONS):
        raise Http404
    initial = {"region_code": request.GET.get("region_code", "")} if point is None else None
    form = ServicePointForm(request.POST or None, instance=point, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = {f: form.cleaned_data[f] for f in form.Meta.fields}
        try:
            if point is None:
                point = actions.create_service_point(actor=request.user, **data)
            else:
                # The form mutated the instance while validating; start from the stored row.
                stored = selectors.get_service_point_for(request.user, pk, Perm.MANAGE_REGIONS)
                point = actions.update_service_point(actor=request.user, point=stored, **data)
        except JiuyeError as exc:
            form.add_error("region_code" if "region" in exc.code else None, str(exc.message))
        else:
            messages.success(request, _("Saved."))
            return redirect("regions:service_point_detail", pk=point.pk)
    return render(request, "regions/service_point_form.html", {"form": form, "point": point})
