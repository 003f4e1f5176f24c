"""Supply and demand over HTTP: ``GET /api/matching/supply-demand/?region=…&period=2026Q3``.

The same computation as the page (``jiuye.matching.supply_demand``); a region outside the
caller's scope answers 404.
"""

from __future__ import annotations

import datetime

from ninja import Query, Router, Schema

from jiuye.core.errors import ErrorCode, JiuyeError
from jiuye.matching import supply_demand as sd

router = Router()


class SupplyDemandQuery(Schema):
    region: str = ""
    period: str = ""  # 2026Q3, 2026-07 or 2026-07-01..2026-08-15; empty: the current quarter
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None


class PeriodOut(Schema):
    key: str
    kind: str
    start: datetime.date
    end: datetime.date
    label: str


class TotalsOut(Schema):
    vacancies: int
    vacancies_carried: int
    vacancies_new: int
    seekers: int
    seekers_carried: int
    seekers_new: int
    postings: int
    ratio: float | None


class RowOut(Schema):
    key: str
    label: str
    kind: str  # category, no_requirement (无要求), unclassified, total
    level: int
    vacancies: int
    seekers: int | None = None
    vacancies_adjusted: float | None = None
    seekers_adjusted: float | None = None
    ratio: float | None = None
    share: float | None = None  # demand-only tables: per cent of the vacancies


class TableOut(Schema):
    key: str
    title: str
    dimension: str
    has_seekers: bool
    spread: str
    total: RowOut
    rows: list[RowOut]


class TopOut(Schema):
    rank: int
    code: str
    name: str
    vacancies: int
    seekers: int
    vacancies_adjusted: float
    seekers_adjusted: float
    gap: float
    ratio: float | None


class SupplyDemandOut(Schema):
    region_code: str
    region_name: str
    period: PeriodOut
    title: str
    totals: TotalsOut
    tables: list[TableOut]
    top_shortage: list[TopOut]
    top_surplus: list[TopOut]


@router.get(
    "/",
    response=SupplyDemandOut,
    url_name="supply_demand",
    summary="Supply and demand (求人倍率) of a region in a period",
)
def supply_demand(request, query: Query[SupplyDemandQuery]):
    """Every table of the analysis: totals (valid = carried over + new), sector, industry,
    ownership, occupation at three levels, region, education, age and sex, and the top 10
    occupations each way. Raw counts, the counts after spreading 无要求, and the ratios."""
    region = sd.region_for_analysis(request.user, query.region.strip())
    try:
        period = sd.parse_period(query.period, date_from=query.date_from, date_to=query.date_to)
    except sd.PeriodError as exc:
        raise JiuyeError(ErrorCode.INVALID, str(exc)) from exc
    return sd.analysis_for(request.user, region, period).as_dict()
