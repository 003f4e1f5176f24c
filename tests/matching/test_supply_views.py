"""The supply and demand page, its Excel export and its API: numbers, layout and scope.

The data is the hand-computed example of ``test_supply_demand.py`` (see its docstring).
"""

from __future__ import annotations

import io
import json

import openpyxl
import pytest
from django.utils import translation
from tests.matching.test_supply_demand import HOUMA, LECHANG, QUWO, SHICUN, build_example

from jiuye.core.models import AuditLog
from jiuye.matching.views.supply import SHEETS
from jiuye.registry.models import Ownership

PAGE = "/matching/supply-demand/"
EXPORT = "/matching/supply-demand/export/"
API = "/api/matching/supply-demand/"
CITY = "141000000000"


@pytest.fixture
def example(regions, person_factory):
    return build_example(person_factory)


@pytest.fixture
def qw(staff, client_for):
    return client_for(staff["county_operator"])


@pytest.fixture
def hm(staff, client_for):
    return client_for(staff["houma_operator"])


@pytest.fixture
def province(staff, client_for):
    return client_for(staff["province_leader"])


# --- the page -------------------------------------------------------------------------------


def test_page_renders_for_a_county_user(example, qw):
    response = qw.get(PAGE, {"period": "2026Q3"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "曲沃县" in body and "vendor/echarts/echarts.min.js" in body
    assert 'id="supply-chart-data"' in body and "cdn" not in body.lower()
    ctx = response.context
    assert ctx["region"].code == QUWO and ctx["period"].key == "2026Q3"
    assert ctx["analysis"].totals.vacancies == 20
    # The totals table with both parts of the valid numbers, and the ratio.
    totals = body.split('id="supply-totals"', 1)[1].split("</table>", 1)[0]
    for number in ("20", "10", "4", "1", "3", "5.00"):
        assert f'<td class="num">{number}</td>' in totals or f">{number}<" in totals
    # Each breakdown with its 无要求 row; the region rows drill down with the period kept.
    for key in ("occupation_1", "region", "education", "age", "sex", "sector", "industry"):
        assert f'data-table="{key}"' in body
    assert f"?region={LECHANG}&amp;period=2026Q3" in body
    assert 'data-kind="no_requirement"' in body
    assert 'id="top-shortage"' in body and 'data-key="6-18-02"' in body
    charts = ctx["charts"]
    # Major groups 1 … 8 in order: 2 has a seeker and no vacancy; 1, 3, 5, 7, 8 no seekers.
    assert charts["ratio"]["values"] == [None, 0.0, None, 4.62, None, 8.24, None, None]
    assert charts["gap"]["values"] == [12.3, 4.7, -1.0]
    assert ctx["can_export"]


def test_page_defaults_to_the_users_region_and_the_current_quarter(example, qw):
    from jiuye.matching.supply_demand import current_quarter

    response = qw.get(PAGE)
    assert response.status_code == 200
    assert response.context["region"].code == QUWO
    assert response.context["period"] == current_quarter()


def test_page_periods_month_and_custom(example, qw):
    july = qw.get(PAGE, {"period": "2026-07"}).context["analysis"]
    # July: P1 (carried), P2 (new, from 07-15); S1 carried, S2 and S6 new.
    assert (july.totals.vacancies, july.totals.seekers) == (16, 3)
    custom = qw.get(PAGE, {"period": "custom", "date_from": "2026-08-01", "date_to": "2026-08-31"})
    period = custom.context["period"]
    assert (period.kind, str(period.start), str(period.end)) == (
        "custom",
        "2026-08-01",
        "2026-08-31",
    )
    assert custom.context["analysis"].totals.vacancies == 20


def test_page_explains_a_bad_period(example, qw):
    response = qw.get(PAGE, {"period": "2026Q9"})
    assert response.status_code == 200
    assert response.context["period_error"]
    assert 'class="msg-error"' in response.content.decode()


def test_htmx_gets_the_results_partial(example, qw):
    response = qw.get(PAGE, {"region": SHICUN, "period": "2026Q3"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body
    assert 'data-table="occupation_1"' in body and "史村镇" in body
    totals = body.split('id="supply-totals"', 1)[1].split("</tr>", 2)[1]
    assert '<td class="num">6</td>' in totals  # 史村镇's vacancies: P2


def test_page_scope(example, qw, hm, province):
    for code in (HOUMA, CITY, "140000000000", "14", "nonsense", "141081001001"):
        assert qw.get(PAGE, {"region": code}).status_code == 404
        assert qw.get(PAGE, {"region": code}, HTTP_HX_REQUEST="true").status_code == 404
    assert hm.get(PAGE, {"region": QUWO}).status_code == 404
    # 侯马's own page holds only 侯马's numbers.
    houma = hm.get(PAGE, {"period": "2026Q3"}).context["analysis"]
    assert (houma.region_code, houma.totals.vacancies, houma.totals.seekers) == (HOUMA, 7, 1)
    # The province sees both counties, each with the county's own numbers.
    city = province.get(PAGE, {"region": CITY, "period": "2026Q3"})
    assert city.status_code == 200
    rows = {r.key: (r.vacancies, r.seekers) for r in city.context["analysis"].tables["region"].rows}
    assert rows == {QUWO: (20, 4), HOUMA: (7, 1)}
    body = city.content.decode()
    assert "曲沃县" in body and "侯马市" in body
    quwo = province.get(PAGE, {"region": QUWO, "period": "2026Q3"}).context["analysis"]
    assert (quwo.totals.vacancies, quwo.totals.seekers) == (20, 4)


def test_page_needs_a_login(example, client):
    response = client.get(PAGE)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# --- the export -----------------------------------------------------------------------------


def _workbook(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    return openpyxl.load_workbook(io.BytesIO(response.content))


def _rows(ws):
    return [tuple(row) for row in ws.iter_rows(values_only=True)]


def _by_code(ws, column=0):
    return {row[column]: row for row in _rows(ws)[4:] if row and row[column]}


def test_export_has_the_standard_sheets_and_the_numbers(example, qw, staff):
    wb = _workbook(qw.get(EXPORT, {"region": QUWO, "period": "2026Q3"}))
    with translation.override("zh-hans"):
        names = {key: str(name) for key, name in SHEETS.items()}
    assert wb.sheetnames == list(names.values())
    for ws in wb.worksheets:
        title = ws.cell(1, 1).value
        assert "曲沃县" in title and "2026" in title
        assert ws.cell(4, 1).value  # the second header row
    summary = _rows(wb[names["summary"]])
    assert summary[4][1:] == (20, 10, 10)
    assert summary[5][1:] == (4, 1, 3)
    assert summary[6][1] == 5.0
    occupation = _by_code(wb[names["occupation"]], column=1)
    # Level, code, name, vacancies, seekers, ratio, adjusted vacancies, adjusted seekers.
    assert occupation["6"][3:] == (14, 1, 8.24, 14, 1.7)
    assert occupation["6-18-02"][3:] == (14, 1, 8.24, 14, 1.7)
    assert occupation["4-03"][3:] == (6, 1, 4.62, 6, 1.3)
    no_preference = [r for r in _rows(wb[names["occupation"]]) if r[3] == 0 and r[4] == 1]
    assert any(r[5] == "—" for r in no_preference)  # the raw 无要求 row has no ratio
    shortage = _rows(wb[names["top_shortage"]])[4:6]
    assert [(r[0], r[1], r[6]) for r in shortage] == [(1, "6-18-02", 12.3), (2, "4-03-02", 4.7)]
    assert _rows(wb[names["top_surplus"]])[4][:2] == (1, "2-02-01")
    education = _by_code(wb[names["education"]])
    assert education["20"][2:] == (10, 1, 12.0, 12.0, 1)
    assert education["60"][2:] == (4, 1, 6.0, 6.0, 1)
    no_requirement = [r for r in _rows(wb[names["education"]]) if r[2] == 6 and r[3] == 0]
    assert len(no_requirement) == 1
    age = _by_code(wb[names["age"]])
    assert age["25-34"][2:] == (6, 2, 6.5, 13.0, 2)
    sex = _by_code(wb[names["sex"]])
    assert sex["1"][2:] == (0, 2, 5.0, 10.0, 2)
    region = _by_code(wb[names["region"]])
    assert region[LECHANG][2:5] == (14, 3, 4.67)
    assert region[SHICUN][2:5] == (6, 1, 6.0)
    # Total, then 第一/第二/第三产业; ownership rows in the order of the choices.
    sector = _rows(wb[names["sector"]])[4:8]
    assert [r[2:] for r in sector] == [(20, 100.0), (0, 0.0), (14, 70.0), (6, 30.0)]
    with translation.override("zh-hans"):
        private = str(Ownership.PRIVATE.label)
    ownership = {r[1]: r[2:] for r in _rows(wb[names["ownership"]])[4:] if r[1]}
    assert ownership[private] == (14, 70.0)
    industry = _by_code(wb[names["industry"]])
    assert industry["C"][2:] == (14, 70.0) and industry["05"][2:] == (6, 30.0)
    log = AuditLog.objects.get(action="matching.supply_demand.export")
    assert log.actor == staff["county_operator"] and log.region_code == QUWO
    assert log.after["period"] == "2026Q3" and log.after["vacancies"] == 20


def test_export_scope(example, qw, hm, province):
    assert qw.get(EXPORT, {"region": HOUMA, "period": "2026Q3"}).status_code == 404
    assert qw.get(EXPORT, {"region": CITY}).status_code == 404
    assert hm.get(EXPORT, {"region": QUWO}).status_code == 404
    assert not AuditLog.objects.filter(action="matching.supply_demand.export").exists()
    wb = _workbook(hm.get(EXPORT, {"period": "2026Q3"}))
    assert _rows(wb.worksheets[0])[4][1:] == (7, 0, 7)  # P7, valid from 07-01: new
    wb = _workbook(province.get(EXPORT, {"region": CITY, "period": "2026Q3"}))
    with translation.override("zh-hans"):
        region = _by_code(wb[str(SHEETS["region"])])
    assert region[QUWO][2:4] == (20, 4) and region[HOUMA][2:4] == (7, 1)


def test_export_refuses_a_bad_period(example, qw):
    assert qw.get(EXPORT, {"period": "nonsense"}).status_code == 400


# --- the API --------------------------------------------------------------------------------


def test_api_returns_every_table(example, qw):
    response = qw.get(API, {"region": QUWO, "period": "2026Q3"})
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["region_name"] == "曲沃县" and data["period"]["key"] == "2026Q3"
    assert data["period"]["start"] == "2026-07-01" and data["period"]["end"] == "2026-09-30"
    assert data["totals"] == {
        "vacancies": 20,
        "vacancies_carried": 10,
        "vacancies_new": 10,
        "seekers": 4,
        "seekers_carried": 1,
        "seekers_new": 3,
        "postings": 3,
        "ratio": 5.0,
    }
    tables = {t["key"]: t for t in data["tables"]}
    assert set(tables) == {
        "sector",
        "industry",
        "ownership",
        "occupation_1",
        "occupation_2",
        "occupation_3",
        "region",
        "education",
        "age",
        "sex",
    }
    major = {r["key"]: r for r in tables["occupation_1"]["rows"]}
    assert major["6"]["ratio"] == 8.24 and major["6"]["seekers_adjusted"] == 1.7
    assert major[""]["kind"] == "no_requirement" and major[""]["seekers"] == 1
    assert major[""]["ratio"] is None
    age = {r["key"]: r for r in tables["age"]["rows"]}
    assert age["16-24"]["vacancies_adjusted"] == 3.5 and age["16-24"]["ratio"] == 3.5
    assert age[""]["vacancies"] == 14
    assert tables["sector"]["has_seekers"] is False
    assert {r["key"]: r["share"] for r in tables["sector"]["rows"]} == {
        "1": 0.0,
        "2": 70.0,
        "3": 30.0,
    }
    assert [t["code"] for t in data["top_shortage"]] == ["6-18-02", "4-03-02"]
    assert data["top_shortage"][0]["gap"] == 12.3
    assert [t["code"] for t in data["top_surplus"]] == ["2-02-01"]


def test_api_scope(example, qw, hm, province):
    for code in (HOUMA, CITY, "nonsense"):
        response = qw.get(API, {"region": code})
        assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert hm.get(API, {"region": QUWO}).status_code == 404
    houma = hm.get(API, {"period": "2026Q3"}).json()
    assert (houma["region_code"], houma["totals"]["vacancies"]) == (HOUMA, 7)
    city = province.get(API, {"region": CITY, "period": "2026Q3"}).json()
    assert city["totals"]["vacancies"] == 27 and city["totals"]["seekers"] == 5
    rows = {
        r["key"]: r["vacancies"] for t in city["tables"] if t["key"] == "region" for r in t["rows"]
    }
    assert rows == {QUWO: 20, HOUMA: 7}


def test_api_errors(example, qw, client):
    response = qw.get(API, {"period": "2026Q9"})
    assert response.status_code == 400 and response.json()["code"] == "invalid"
    assert client.get(API).status_code == 401
    custom = qw.get(API, {"date_from": "2026-08-01", "date_to": "2026-08-31"}).json()
    assert custom["period"]["kind"] == "custom" and custom["totals"]["vacancies"] == 20
    assert json.dumps(custom)  # plain JSON all the way down


def test_page_for_a_village_has_no_subdivisions(example, staff, client_for):
    response = client_for(staff["village_operator"]).get(PAGE, {"period": "2026Q3"})
    assert response.status_code == 200
    analysis = response.context["analysis"]
    # 东北街村: P1 (10); S1, S2 (who lives there but wants 史村镇 is placed in 史村镇) and S6.
    assert analysis.region_code == "141021100200"
    assert (analysis.totals.vacancies, analysis.totals.seekers) == (10, 2)
    assert analysis.tables["region"].rows == []
