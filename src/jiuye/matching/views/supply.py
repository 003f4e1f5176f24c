"""Supply and demand (人力资源市场供求分析) pages: the analysis and its Excel export.

The numbers come from ``jiuye.matching.supply_demand``; see its docstring for every definition.
The region must lie inside the caller's scope (404 otherwise, like any object outside it).
"""

from __future__ import annotations

import io
from urllib.parse import quote, urlencode

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from jiuye.accounts.permissions import Perm
from jiuye.accounts.scoping import has_perm
from jiuye.core import audit
from jiuye.core.excel import XLSX_CONTENT_TYPE
from jiuye.matching import supply_demand as sd
from jiuye.regions import selectors as region_selectors

CUSTOM = "custom"


class SupplyDemandForm(forms.Form):
    period = forms.CharField(required=False, max_length=40, label=gettext_lazy("Period"))
    date_from = forms.DateField(required=False, label=gettext_lazy("From"))
    date_to = forms.DateField(required=False, label=gettext_lazy("To"))


def selection(user, params, permission: str = Perm.VIEW):
    """(region, period, error) from request parameters ``region``, ``period`` (``2026Q3``,
    ``2026-07``, a range, or ``custom`` with ``date_from``/``date_to``).

    The region defaults to the first region of the caller's scope; a region outside it, or
    no region at all, is a 404. A period that cannot be read gives the current quarter and
    the error to show.
    """
    region = sd.region_for_analysis(user, (params.get("region") or "").strip(), permission)
    form = SupplyDemandForm(params)
    error = "" if form.is_valid() else _("Enter dates as YYYY-MM-DD.")
    data = form.cleaned_data
    text = data.get("period") or ""
    try:
        if text == CUSTOM or (not text and (data.get("date_from") or data.get("date_to"))):
            period = sd.parse_period(date_from=data.get("date_from"), date_to=data.get("date_to"))
        else:
            period = sd.parse_period(text)
    except sd.PeriodError as exc:
        error = str(exc)
        period = sd.current_quarter()
    return region, period, error


def _query(region, period) -> str:
    return urlencode({"region": region.code, "period": period.key})


def _chart_data(analysis: sd.Analysis) -> dict:
    majors = [r for r in analysis.tables["occupation_1"].rows if r.is_category]
    gaps = [t for t in analysis.top_shortage] + [t for t in analysis.top_surplus]
    return {
        "ratio": {
            "title": _("Ratio of vacancies to seekers by occupation major group"),
            "series": _("Ratio"),
            "names": [r.label for r in majors],
            "values": [float(r.ratio) if r.ratio is not None else None for r in majors],
        },
        "gap": {
            "title": _("Largest gaps: vacancies minus seekers (minor groups)"),
            "series": _("Vacancies minus seekers"),
            "names": [f"{t.row.key} {t.row.label}" for t in gaps],
            "values": [float(t.gap) for t in gaps],
        },
    }


def _period_options(period: sd.Period) -> list[tuple[str, str]]:
    options = [(p.key, p.label) for p in sd.recent_periods()]
    if period.kind != sd.CUSTOM and period.key not in {k for k, _label in options}:
        options.insert(0, (period.key, period.label))
    options.append((CUSTOM, _("Custom range")))
    return options


@login_required
def supply_demand(request):
    region, period, error = selection(request.user, request.GET)
    analysis = sd.analysis_for(request.user, region, period)
    tables = analysis.tables
    context = {
        "region": region,
        "period": period,
        "period_error": error,
        "period_value": CUSTOM if period.kind == sd.CUSTOM else period.key,
        "period_options": _period_options(period),
        "analysis": analysis,
        "demand_tables": [tables["sector"], tables["industry"], tables["ownership"]],
        "attribute_tables": [tables["education"], tables["age"], tables["sex"]],
        "occupation_tables": [tables["occupation_2"], tables["occupation_3"]],
        "crumbs": region_selectors.breadcrumbs_for(request.user, region),
        "query": _query(region, period),
        "period_query": urlencode({"period": period.key}),
        "charts": _chart_data(analysis),
        "can_export": has_perm(request.user, Perm.EXPORT, region.code),
    }
    template = "matching/supply.html#results" if request.htmx else "matching/supply.html"
    return render(request, template, context)


@login_required
def supply_demand_export(request):
    if not has_perm(request.user, Perm.EXPORT):
        raise Http404
    region, period, error = selection(request.user, request.GET, Perm.EXPORT)
    if error:
        return HttpResponseBadRequest(error)
    analysis = sd.analysis_for(request.user, region, period, Perm.EXPORT)
    content = build_workbook(analysis)
    audit.record(
        actor=request.user,
        action="matching.supply_demand.export",
        object_type="matching.supply_demand",
        object_repr=analysis.title,
        region_code=region.code,
        after={
            "region": region.code,
            "period": period.key,
            "vacancies": analysis.totals.vacancies,
            "seekers": analysis.totals.seekers,
        },
    )
    filename = f"{_('supply-demand')}-{region.name}-{period.key}.xlsx"
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


# --- the workbook: one sheet per standard table ----------------------------------------------

SHEETS = {
    # sheet key → sheet name (the standard names: 总表, 按产业, 按行业, 按单位性质, 按职业,
    # 缺工前十, 求职前十, 按地区, 按学历, 按年龄, 按性别)
    "summary": pgettext_lazy("supply-demand sheet", "Summary"),
    "sector": pgettext_lazy("supply-demand sheet", "By sector"),
    "industry": pgettext_lazy("supply-demand sheet", "By industry"),
    "ownership": pgettext_lazy("supply-demand sheet", "By ownership"),
    "occupation": pgettext_lazy("supply-demand sheet", "By occupation"),
    "top_shortage": pgettext_lazy("supply-demand sheet", "Top 10 shortages"),
    "top_surplus": pgettext_lazy("supply-demand sheet", "Top 10 surpluses"),
    "region": pgettext_lazy("supply-demand sheet", "By region"),
    "education": pgettext_lazy("supply-demand sheet", "By education"),
    "age": pgettext_lazy("supply-demand sheet", "By age"),
    "sex": pgettext_lazy("supply-demand sheet", "By sex"),
}

_BOLD = Font(bold=True)
_TITLE = Font(bold=True, size=14)
_CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
_NUMBER = "0.00"


def _cell(value):
    """Numbers stay numbers; a missing ratio is the dash the printed tables use."""
    if value is None:
        return "—"
    if hasattr(value, "as_integer_ratio") and not isinstance(value, int):
        return float(value)
    return value


def _start_sheet(wb, key: str, analysis: sd.Analysis, subtitle: str, groups, headers):
    """Title row, subtitle, then two header rows: ``groups`` is [(label, span)], ``headers``
    the column names."""
    ws = wb.create_sheet(str(SHEETS[key])[:31])
    width = len(headers)
    ws.append([analysis.title])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    ws.cell(1, 1).font = _TITLE
    ws.cell(1, 1).alignment = _CENTER
    ws.append([subtitle, *[""] * (width - 2), _("Unit: persons")])
    ws.cell(2, width).alignment = Alignment(horizontal="right")
    ws.append([cell for label, span in groups for cell in [label, *[""] * (span - 1)]])
    column = 1
    for _label, span in groups:
        if span > 1:
            ws.merge_cells(
                start_row=3, start_column=column, end_row=3, end_column=column + span - 1
            )
        column += span
    ws.append(headers)
    for r in (3, 4):
        for c in range(1, width + 1):
            ws.cell(r, c).font = _BOLD
            ws.cell(r, c).alignment = _CENTER
    ws.column_dimensions["B"].width = 36
    ws.freeze_panes = "A5"
    return ws


def _append(ws, values):
    ws.append([_cell(v) for v in values])
    for cell in ws[ws.max_row]:
        if isinstance(cell.value, float):
            cell.number_format = _NUMBER


def _note(ws, text: str):
    ws.append([])
    ws.append([str(text)])


def _seeker_table_headers():
    groups = [
        ("", 2),
        (_("Raw counts"), 2),
        ("", 1),
        (_("After spreading 无要求"), 2),
    ]
    headers = [
        _("Code"),
        _("Name"),
        _("Vacancies"),
        _("Seekers"),
        _("Ratio of vacancies to seekers"),
        _("Vacancies"),
        _("Seekers"),
    ]
    return groups, headers


def _seeker_row(row: sd.Row, *, level_name: str | None = None):
    values = [
        row.key if row.kind in (sd.CATEGORY,) else "",
        row.label,
        row.vacancies,
        row.seekers,
        row.ratio,
        row.vacancies_adjusted_display,
        row.seekers_adjusted_display,
    ]
    if row.kind in (sd.NO_REQUIREMENT, sd.UNCLASSIFIED):
        values[4:] = ["—", "", ""]
    return values if level_name is None else [level_name, *values]


def _seeker_sheet(wb, key: str, analysis: sd.Analysis, table: sd.Table, note: str):
    groups, headers = _seeker_table_headers()
    ws = _start_sheet(wb, key, analysis, table.title, groups, headers)
    _append(ws, _seeker_row(table.total))
    for row in table.rows:
        _append(ws, _seeker_row(row))
    _note(ws, note)


def _demand_sheet(wb, key: str, analysis: sd.Analysis, table: sd.Table):
    groups = [("", 2), (_("Vacancies"), 2)]
    headers = [_("Code"), _("Name"), _("Vacancies"), _("Share (%)")]
    ws = _start_sheet(wb, key, analysis, table.title, groups, headers)
    _append(ws, ["", table.total.label, table.total.vacancies, table.total.share])
    for row in table.rows:
        label = ("　" * (row.level - 1)) + row.label
        code = row.key if row.kind == sd.CATEGORY and table.shows_codes else ""
        _append(ws, [code, label, row.vacancies, row.share])
    _note(ws, _("Job seekers state no industry or employer: these tables show demand only."))


def _occupation_sheet(wb, analysis: sd.Analysis):
    groups, headers = _seeker_table_headers()
    groups = [("", 1), *groups]
    headers = [_("Level"), *headers]
    tables = [analysis.tables[f"occupation_{level}"] for level in (1, 2, 3)]
    ws = _start_sheet(wb, "occupation", analysis, _("By occupation"), groups, headers)
    levels = {1: _("Major group"), 2: _("Middle group"), 3: _("Minor group")}
    _append(ws, _seeker_row(tables[0].total, level_name=""))
    middles = [r for r in tables[1].rows if r.is_category]
    minors = [r for r in tables[2].rows if r.is_category]
    for major in tables[0].rows:
        if not major.is_category:
            continue
        _append(ws, _seeker_row(major, level_name=levels[1]))
        for middle in middles:
            if middle.key.split("-")[0] != major.key:
                continue
            _append(ws, _seeker_row(middle, level_name=levels[2]))
            for minor in minors:
                if minor.key.startswith(middle.key + "-"):
                    _append(ws, _seeker_row(minor, level_name=levels[3]))
    for row in tables[0].rows:
        if not row.is_category:
            _append(ws, _seeker_row(row, level_name=""))
    _note(ws, NOTES["occupation"])


def _top_sheet(wb, key: str, analysis: sd.Analysis, top: list[sd.TopRow], subtitle: str):
    groups = [("", 3), (_("Raw counts"), 2), (_("After spreading 无要求"), 3)]
    headers = [
        _("Rank"),
        _("Code"),
        _("Occupation (minor group)"),
        _("Vacancies"),
        _("Seekers"),
        _("Seekers"),
        _("Vacancies minus seekers"),
        _("Ratio of vacancies to seekers"),
    ]
    ws = _start_sheet(wb, key, analysis, subtitle, groups, headers)
    for t in top:
        r = t.row
        _append(
            ws,
            [
                t.rank,
                r.key,
                r.label,
                r.vacancies,
                r.seekers,
                r.seekers_adjusted_display,
                t.gap,
                r.ratio,
            ],
        )
    _note(ws, NOTES["occupation"])


NOTES = {
    "occupation": gettext_lazy(
        "Seekers with no occupation preference (无要求) are shown as they are and, for each "
        "occupation's ratio, spread across occupations in proportion to vacancies."
    ),
    "attribute": gettext_lazy(
        "Vacancies with no requirement (无要求) are shown as they are and, for each ratio, spread "
        "across the categories in proportion to seekers."
    ),
    "age": gettext_lazy(
        "A posting whose age range covers several bands has no requirement (无要求) for those "
        "bands and is spread across them only, in proportion to seekers."
    ),
    "sex": gettext_lazy(
        "Postings may not restrict sex: every vacancy has no requirement (无要求) and is spread "
        "in proportion to seekers."
    ),
    "region": gettext_lazy(
        "Vacancies by workplace; seekers by desired region, or residence when none is given."
    ),
}


def build_workbook(analysis: sd.Analysis) -> bytes:
    wb = Workbook()
    wb.remove(wb.active)
    t = analysis.totals
    ws = _start_sheet(
        wb,
        "summary",
        analysis,
        _("Totals"),
        [("", 1), (_("Valid numbers (有效数)"), 3)],
        [_("Item"), _("Total"), _("Carried over"), _("New in the period")],
    )
    _append(ws, [_("Vacancies"), t.vacancies, t.vacancies_carried, t.vacancies_new])
    _append(ws, [_("Seekers"), t.seekers, t.seekers_carried, t.seekers_new])
    _append(ws, [_("Ratio of vacancies to seekers"), t.ratio, "", ""])
    _append(ws, [_("Postings"), t.postings, "", ""])
    _note(
        ws,
        _("Period: %(start)s to %(end)s")
        % {"start": analysis.period.start, "end": analysis.period.end},
    )
    tables = analysis.tables
    _demand_sheet(wb, "sector", analysis, tables["sector"])
    _demand_sheet(wb, "industry", analysis, tables["industry"])
    _demand_sheet(wb, "ownership", analysis, tables["ownership"])
    _occupation_sheet(wb, analysis)
    _top_sheet(
        wb,
        "top_shortage",
        analysis,
        analysis.top_shortage,
        _("Top 10 occupations where vacancies most exceed seekers"),
    )
    _top_sheet(
        wb,
        "top_surplus",
        analysis,
        analysis.top_surplus,
        _("Top 10 occupations where seekers most exceed vacancies"),
    )
    _seeker_sheet(wb, "region", analysis, tables["region"], str(NOTES["region"]))
    _seeker_sheet(wb, "education", analysis, tables["education"], str(NOTES["attribute"]))
    _seeker_sheet(wb, "age", analysis, tables["age"], str(NOTES["age"]))
    _seeker_sheet(wb, "sex", analysis, tables["sex"], str(NOTES["sex"]))
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


urlpatterns = [
    path("supply-demand/", supply_demand, name="supply_demand"),
    path("supply-demand/export/", supply_demand_export, name="supply_demand_export"),
]
