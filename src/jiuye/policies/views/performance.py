"""The fund performance page (资金绩效): budget, committed, paid and outcomes by region, a bar
chart, and the Excel export. The numbers and their definitions are in
``jiuye.policies.performance``; a region outside the caller's scope answers 404.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiuye.accounts.permissions import Perm
from jiuye.accounts.scoping import has_perm
from jiuye.core import audit
from jiuye.core.excel import xlsx_response
from jiuye.policies import performance as perf
from jiuye.policies.models import Fund
from jiuye.regions import selectors as region_selectors


def selection(user, params, permission: str = Perm.VIEW):
    """(fund, year, region) from the request; the region defaults to the top of the user's
    scope and must lie inside it."""
    fund = params.get("fund") or Fund.UNEMPLOYMENT_INSURANCE
    if fund not in Fund.values:
        fund = Fund.UNEMPLOYMENT_INSURANCE
    try:
        year = int(params.get("year") or timezone.localdate().year)
    except ValueError:
        year = timezone.localdate().year
    if not 2000 <= year <= 2100:
        year = timezone.localdate().year
    code = (params.get("region") or "").strip()
    if code:
        region = region_selectors.region_for(user, code, permission)
    else:
        region = region_selectors.top_regions_for(user, permission).order_by("code").first()
        if region is None:
            raise Http404
    return fund, year, region


@login_required
def performance_page(request):
    fund, year, region = selection(request.user, request.GET)
    result = perf.performance(request.user, fund=fund, year=year, region=region)
    query = urlencode({"fund": fund, "year": year, "region": region.code})
    context = {
        "result": result,
        "fund": fund,
        "fund_label": Fund(fund).label,
        "funds": Fund.choices,
        "year": year,
        "years": perf.available_years(request.user, fund),
        "region": region,
        "crumbs": region_selectors.breadcrumbs_for(request.user, region),
        "query": query,
        "keep": urlencode({"fund": fund, "year": year}),
        "chart": perf.chart_data(result),
        "can_export": has_perm(request.user, Perm.EXPORT, region.code),
    }
    template = (
        "policies/performance_page.html#results"
        if request.htmx
        else "policies/performance_page.html"
    )
    return render(request, template, context)


@login_required
def performance_export(request):
    if not has_perm(request.user, Perm.EXPORT):
        raise Http404
    fund, year, region = selection(request.user, request.GET, Perm.EXPORT)
    result = perf.performance(request.user, fund=fund, year=year, region=region)
    rows = perf.export_rows(result)
    audit.record(
        actor=request.user,
        action="policies.performance.export",
        object_type="policies.performance",
        object_repr=f"{region.name} {year} {fund}",
        region_code=region.code,
        after={"fund": fund, "year": year, "region": region.code, "rows": len(rows)},
    )
    filename = f"{_('fund-performance')}-{region.name}-{year}-{fund}.xlsx"
    return xlsx_response(filename, perf.export_headers(), rows, title=str(Fund(fund).label))


urlpatterns = [
    path("performance/", performance_page, name="performance"),
    path("performance/export/", performance_export, name="performance_export"),
]


def ready():
    from jiuye.core.audit import register_labels
    from jiuye.web import navigation

    register_labels({"policies.performance.export": gettext_lazy("Fund performance exported")})
    navigation.register(
        navigation.NavItem(
            "fund_performance",
            gettext_lazy("Fund performance"),
            "policies:performance",
            Perm.VIEW,
            order=80,
        )
    )
