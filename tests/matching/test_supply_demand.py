"""Supply and demand (求人倍率): every number of a small example, computed by hand below.

THE EXAMPLE (``build_example``), analysed for 曲沃县 in 2026Q3 (2026-07-01 … 2026-09-30):

Employers: E1 industry 3611 (section C, division 36 → 第二产业), private;
           E2 industry 0511 (section A, division 05 → 第三产业 by the 2018 rule), state-owned.

Postings that count (all published):
  P1 焊工 6-18-02-04, headcount 10, education 21 (→ 20 本科), ages 18–40, E1, 东北街村 (乐昌镇),
     valid from 2026-05-01, published 2026-05-01                     → carried over
  P2 中式烹调师 4-03-02-01, headcount 6, education blank (无要求), ages 25–34, E2, 史村镇,
     valid from 2026-07-15, published 2026-07-15                     → new
  P3 焊工 6-18-02-04, headcount 4, education 61 (→ 60 高中), no age limits, E1, 西南街村 (乐昌镇),
     valid from 2026-08-01, published 2026-08-01                     → new
Postings that do not: P4 a draft (100), P5 under review (50), P6 published but valid only to
2026-06-30 (30), P7 in 侯马 (7; counts for 侯马 only).

Seekers (intention = the person's most recent valid one; age on 2026-09-30):
  S1 男, born 2000-03-01 (26 → 25–34), education 21 (→ 20), lives 东北街村; intentions 4-03-02-01
     created 2026-04-01 and 6-18-02-04 created 2026-06-01, both open → counted once, as
     6-18-02-04, carried over (created before the period)
  S2 女, born 1990-01-01 (36 → 35–44), education 61 (→ 60), lives 东北街村 but wants 史村镇;
     4-03-02-01 created 2026-07-10                                    → new, placed in 史村镇
  S3 男, born 2004-05-01 (22 → 16–24), education blank, lives 西南街村; no occupation (无要求),
     created 2026-08-01                                               → new
  S4 女, born 1975-01-01, 6-18-02-04 created 2026-01-01, ended 2026-06-15 → not counted
  S5 男, merged into S1; 4-03-02-01 created 2026-07-01                → not counted
  S6 女, born 1996-06-01 (30 → 25–34), education 31 (→ 30 大专), lives 东北街村;
     2-02-01-01 created 2026-07-20                                    → new
  S7 in 侯马, 6-18-02-04 created 2026-07-05                          → counts for 侯马 only

TOTALS  vacancies 10 carried + 10 new = 20; seekers 1 carried + 3 new = 4; ratio 20/4 = 5.00.

OCCUPATION (the same at 大类 6/4/2, 中类 6-18/4-03/2-02 and 小类 6-18-02/4-03-02/2-02-01):
  raw: 6 → 14 vacancies (P1+P3), 1 seeker (S1); 4 → 6 (P2), 1 (S2); 2 → 0, 1 (S6); 无要求 → 1 (S3)
  S3 spread by vacancies 14:6:0 → 6 gets 0.7, 4 gets 0.3, 2 gets 0
  adjusted seekers 1.7 / 1.3 / 1; ratios 14/1.7 = 8.235… → 8.24; 6/1.3 = 4.615… → 4.62; 0/1 = 0.00
  gaps (小类): 6-18-02 14 − 1.7 = 12.3, 4-03-02 6 − 1.3 = 4.7, 2-02-01 0 − 1 = −1
  → top shortage [6-18-02, 4-03-02], top surplus [2-02-01]

EDUCATION  vacancies 20 → 10, 60 → 4, 无要求 → 6 (P2); seekers 20 → 1, 60 → 1, 30 → 1, blank → 1
  spread 6 by seekers 1:1:1 over 20/30/60 → 2 each; adjusted vacancies 20 → 12, 30 → 2, 60 → 6
  ratios 12.00, 2.00, 6.00; the other categories have no seekers (—); "not recorded" 0 / 1.

AGE  seekers 16–24: 1 (S3), 25–34: 2 (S1, S6), 35–44: 1 (S2), 45+: 0
  P2 25–34 lies in one band → 25–34 raw 6; P1 18–40 covers 16–24…35–44 and P3 (no limits) all
  four: 无要求 raw 14. P1's 10 by seekers 1:2:1 → 2.5, 5, 2.5; P3's 4 by 1:2:1:0 → 1, 2, 1, 0.
  adjusted 16–24 3.5, 25–34 6+5+2 = 13, 35–44 3.5, 45+ 0 → ratios 3.50, 6.50, 3.50, —

SEX  seekers 男 2 (S1, S3), 女 2 (S2, S6); all 20 vacancies 无要求 → 10 / 10; ratios 5.00, 5.00

REGION (children of 曲沃县)  乐昌镇 14 vacancies (P1, P3), 3 seekers (S1, S3, S6) → 4.67;
  史村镇 6 (P2), 1 (S2) → 6.00

SECTOR  第一 0, 第二 14 (70.00 %), 第三 6 (30.00 %). INDUSTRY  A 6 (05 6), C 14 (36 14).
OWNERSHIP  private 14 (70.00 %), state 6 (30.00 %).
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from fractions import Fraction

import pytest
from django.utils import timezone
from tests.conftest import valid_uscc

from jiuye.jobs.models import Posting, PostingStatus
from jiuye.matching import supply_demand as sd
from jiuye.registry.models import Employer, JobIntention, Ownership

D = datetime.date
QUWO = "141021000000"
HOUMA = "141081000000"
LECHANG = "141021100000"
SHICUN = "141021101000"
DONGBEI = "141021100200"
XINAN = "141021100201"
HOUMA_COMMUNITY = "141081001001"
WELDER = "6-18-02-04"
COOK = "4-03-02-01"
GEOLOGIST = "2-02-01-01"
Q3 = sd.parse_period("2026Q3")


def at(day: datetime.date, hour: int = 9, minute: int = 0) -> datetime.datetime:
    """A local (Asia/Shanghai) time on ``day``."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def make_employer(n: int, region_code: str, **fields) -> Employer:
    return Employer.objects.create(
        uscc=valid_uscc(n, region_code[:6]), name=f"单位{n}", region_code=region_code, **fields
    )


def make_posting(
    employer,
    *,
    published: datetime.date | None,
    valid_from: datetime.date,
    valid_to: datetime.date | None = None,
    status=PostingStatus.PUBLISHED,
    **fields,
) -> Posting:
    fields.setdefault("region_code", employer.region_code)
    fields.setdefault("title", "岗位")
    posting = Posting.objects.create(
        employer=employer,
        status=status,
        valid_from=valid_from,
        valid_to=valid_to or D(2026, 12, 31),
        published_at=at(published) if published else None,
        **fields,
    )
    return posting


def make_intention(person, occupation_code: str, created: datetime.datetime, **fields):
    intention = JobIntention.objects.create(
        person=person, occupation_code=occupation_code, **fields
    )
    # created_at is auto_now_add: set the date the seeker registered afterwards.
    JobIntention.objects.filter(pk=intention.pk).update(created_at=created)
    intention.refresh_from_db()
    return intention


def build_example(person_factory) -> dict:
    e1 = make_employer(1, LECHANG, industry_code="3611", ownership=Ownership.PRIVATE)
    e2 = make_employer(2, SHICUN, industry_code="0511", ownership=Ownership.STATE)
    houma_employer = make_employer(3, HOUMA_COMMUNITY, industry_code="3611")
    p = {
        "P1": make_posting(e1, published=D(2026, 5, 1), valid_from=D(2026, 5, 1),
                           occupation_code=WELDER, headcount=10, education="21", age_min=18,
                           age_max=40, region_code=DONGBEI),
        "P2": make_posting(e2, published=D(2026, 7, 15), valid_from=D(2026, 7, 15),
                           occupation_code=COOK, headcount=6, age_min=25, age_max=34),
        "P3": make_posting(e1, published=D(2026, 8, 1), valid_from=D(2026, 8, 1),
                           occupation_code=WELDER, headcount=4, education="61", region_code=XINAN),
        "P4": make_posting(e1, published=None, status=PostingStatus.DRAFT,
                           valid_from=D(2026, 7, 1), occupation_code=WELDER, headcount=100),
        "P5": make_posting(e1, published=None, status=PostingStatus.REVIEW,
                           valid_from=D(2026, 7, 1), occupation_code=COOK, headcount=50),
        "P6": make_posting(e1, published=D(2026, 3, 1), valid_from=D(2026, 3, 1),
                           valid_to=D(2026, 6, 30), occupation_code=WELDER, headcount=30),
        "P7": make_posting(houma_employer, published=D(2026, 7, 1), valid_from=D(2026, 7, 1),
                           occupation_code=WELDER, headcount=7),
    }  # fmt: skip
    s1 = person_factory("甲一", DONGBEI, D(2000, 3, 1), education="21")
    make_intention(s1, COOK, at(D(2026, 4, 1)))
    make_intention(s1, WELDER, at(D(2026, 6, 1)))
    s2 = person_factory("乙二", DONGBEI, D(1990, 1, 1), female=True, education="61")
    make_intention(s2, COOK, at(D(2026, 7, 10)), region_code=SHICUN)
    s3 = person_factory("丙三", XINAN, D(2004, 5, 1))
    make_intention(s3, "", at(D(2026, 8, 1)))
    s4 = person_factory("丁四", DONGBEI, D(1975, 1, 1), female=True, education="61")
    make_intention(s4, WELDER, at(D(2026, 1, 1)), ended_on=D(2026, 6, 15), active=False)
    s5 = person_factory("戊五", DONGBEI, D(1988, 1, 1))
    make_intention(s5, COOK, at(D(2026, 7, 1)))
    s5.merged_into = s1
    s5.save(update_fields=["merged_into"])
    s6 = person_factory("己六", DONGBEI, D(1996, 6, 1), female=True, education="31")
    make_intention(s6, GEOLOGIST, at(D(2026, 7, 20)))
    s7 = person_factory("庚七", HOUMA_COMMUNITY, D(1995, 1, 1), female=True)
    make_intention(s7, WELDER, at(D(2026, 7, 5)))
    return {"postings": p, "people": [s1, s2, s3, s4, s5, s6, s7]}


@pytest.fixture
def example(regions, person_factory):
    return build_example(person_factory)


def quwo_analysis(user, period=Q3):
    region = sd.region_for_analysis(user, QUWO)
    return sd.analysis_for(user, region, period)


def numbers(table: sd.Table) -> dict:
    """{key: (vacancies, seekers, adjusted vacancies, adjusted seekers, ratio)} of a table."""
    return {
        r.key: (r.vacancies, r.seekers, r.adjusted_vacancies, r.adjusted_seekers, r.ratio)
        for r in table.rows
        if r.is_category
    }


R = Decimal


def test_totals_and_their_two_parts(example, staff):
    a = quwo_analysis(staff["county_operator"])
    t = a.totals
    assert (t.vacancies, t.vacancies_carried, t.vacancies_new) == (20, 10, 10)
    assert (t.seekers, t.seekers_carried, t.seekers_new) == (4, 1, 3)
    assert t.postings == 3
    assert t.ratio == R("5.00")
    assert a.region_name == "曲沃县" and a.period.key == "2026Q3"


@pytest.mark.parametrize(
    ("level", "codes_"),
    [(1, ("6", "4", "2")), (2, ("6-18", "4-03", "2-02")), (3, ("6-18-02", "4-03-02", "2-02-01"))],
)
def test_occupation_tables_spread_the_seekers_without_preference(example, staff, level, codes_):
    table = quwo_analysis(staff["county_operator"]).tables[f"occupation_{level}"]
    welder, cook, geologist = codes_
    got = numbers(table)
    assert got[welder] == (14, 1, 14, Fraction(17, 10), R("8.24"))
    assert got[cook] == (6, 1, 6, Fraction(13, 10), R("4.62"))
    assert got[geologist] == (0, 1, 0, 1, R("0.00"))
    no_req = table.no_requirement
    assert (no_req.vacancies, no_req.seekers, no_req.ratio) == (0, 1, None)
    assert (table.total.vacancies, table.total.seekers, table.total.ratio) == (20, 4, R("5.00"))
    assert table.spread == "seekers"
    if level == 1:  # all eight major groups are listed
        assert len(got) == 8 and got["1"] == (0, 0, 0, 0, None)
    else:
        assert set(got) == set(codes_)
    # Spreading moves no one: the adjusted seekers add up to the total.
    assert sum(r.adjusted_seekers for r in table.rows if r.is_category) == 4


def test_top_ten_occupations_each_way(example, staff):
    a = quwo_analysis(staff["county_operator"])
    shortage = [(t.rank, t.row.key, t.gap) for t in a.top_shortage]
    assert shortage == [(1, "6-18-02", R("12.30")), (2, "4-03-02", R("4.70"))]
    surplus = [(t.rank, t.row.key, t.gap) for t in a.top_surplus]
    assert surplus == [(1, "2-02-01", R("-1.00"))]
    assert a.top_shortage[0].row.label == "机械热加工人员"


def test_education_spreads_the_vacancies_without_requirement(example, staff):
    table = quwo_analysis(staff["county_operator"]).tables["education"]
    got = numbers(table)
    assert got["20"] == (10, 1, 12, 1, R("12.00"))
    assert got["30"] == (0, 1, 2, 1, R("2.00"))
    assert got["60"] == (4, 1, 6, 1, R("6.00"))
    assert got["10"] == (0, 0, 0, 0, None)
    assert (table.no_requirement.vacancies, table.no_requirement.seekers) == (6, 0)
    unrecorded = table.row("?")
    assert (unrecorded.kind, unrecorded.vacancies, unrecorded.seekers, unrecorded.ratio) == (
        sd.UNCLASSIFIED,
        0,
        1,
        None,
    )
    assert (table.total.vacancies, table.total.seekers) == (20, 4)


def test_age_bands_spread_only_over_the_bands_a_range_covers(example, staff):
    table = quwo_analysis(staff["county_operator"]).tables["age"]
    got = numbers(table)
    assert got["16-24"] == (0, 1, Fraction(7, 2), 1, R("3.50"))
    assert got["25-34"] == (6, 2, 13, 2, R("6.50"))
    assert got["35-44"] == (0, 1, Fraction(7, 2), 1, R("3.50"))
    assert got["45+"] == (0, 0, 0, 0, None)
    assert table.no_requirement.vacancies == 14
    assert sum(r.adjusted_vacancies for r in table.rows if r.is_category) == 20


def test_sex_every_vacancy_is_without_requirement(example, staff):
    table = quwo_analysis(staff["county_operator"]).tables["sex"]
    got = numbers(table)
    assert got["1"] == (0, 2, 10, 2, R("5.00"))
    assert got["2"] == (0, 2, 10, 2, R("5.00"))
    assert table.no_requirement.vacancies == 20


def test_region_table_uses_the_desired_region_else_residence(example, staff):
    table = quwo_analysis(staff["county_operator"]).tables["region"]
    got = numbers(table)
    assert got[LECHANG] == (14, 3, 14, 3, R("4.67"))
    assert got[SHICUN] == (6, 1, 6, 1, R("6.00"))
    assert [r.label for r in table.rows] == ["乐昌镇", "史村镇"]


def test_sector_industry_and_ownership_show_demand(example, staff):
    tables = quwo_analysis(staff["county_operator"]).tables
    sector = {r.key: (r.vacancies, r.share) for r in tables["sector"].rows}
    assert sector == {"1": (0, R("0.00")), "2": (14, R("70.00")), "3": (6, R("30.00"))}
    assert not tables["sector"].has_seekers
    industry = {(r.level, r.key): r.vacancies for r in tables["industry"].rows if r.vacancies}
    assert industry == {(1, "A"): 6, (2, "05"): 6, (1, "C"): 14, (2, "36"): 14}
    assert len([r for r in tables["industry"].rows if r.level == 1]) == 20  # every section
    ownership = {r.key: r.vacancies for r in tables["ownership"].rows if r.vacancies}
    assert ownership == {"private": 14, "state": 6}
    assert tables["ownership"].row("private").share == R("70.00")


def test_scope_a_county_excludes_other_counties(example, staff):
    houma_user = staff["houma_operator"]
    region = sd.region_for_analysis(houma_user, HOUMA)
    a = sd.analysis_for(houma_user, region, Q3)
    assert (a.totals.vacancies, a.totals.seekers) == (7, 1)
    from django.http import Http404

    with pytest.raises(Http404):
        sd.region_for_analysis(houma_user, QUWO)
    with pytest.raises(Http404):
        sd.region_for_analysis(staff["county_operator"], HOUMA)
    # A user below the county sees only their township.
    town = staff["township_operator"]
    a = sd.analysis_for(town, sd.region_for_analysis(town), Q3)
    assert (a.region_code, a.totals.vacancies, a.totals.seekers) == (LECHANG, 14, 3)


def test_scope_the_province_sees_both_counties(example, staff):
    user = staff["province_leader"]
    city = sd.analysis_for(user, sd.region_for_analysis(user, "141000000000"), Q3)
    assert (city.totals.vacancies, city.totals.seekers) == (27, 5)
    rows = {r.key: (r.vacancies, r.seekers) for r in city.tables["region"].rows}
    assert rows == {QUWO: (20, 4), HOUMA: (7, 1)}
    # The county seen from the province is the county seen by its own staff.
    assert quwo_analysis(user).as_dict() == quwo_analysis(staff["county_operator"]).as_dict()


def test_querysets_go_through_the_scoping_mechanism(example, staff):
    # Even asked for the whole province, a county user's querysets hold only their county.
    qw = staff["county_operator"]
    postings = sd.valid_postings(sd.postings_for(qw, "140000000000"), Q3)
    assert sorted(p.region_code[:6] for p in postings) == ["141021"] * 3
    # Seekers are in scope where they are placed: a region the scope does not cover gives none.
    assert sd.intentions_for(qw, "140000000000") == []
    assert sd.intentions_for(qw, HOUMA) == []
    parts = sd.intentions_for(qw, QUWO)  # a small area: by desired region, by residence
    assert [sd.valid_seekers(p, Q3).count() for p in parts] == [1, 3]
    city = sd.intentions_for(staff["province_leader"], "141000000000")
    assert [sd.valid_seekers(p, Q3).count() for p in city] == [5]


# --- period boundaries ---------------------------------------------------------------------


def test_period_boundaries_for_postings(regions, staff):
    e = make_employer(9, LECHANG, industry_code="3611")

    def post(headcount, published, valid_from, **fields):
        fields.setdefault("occupation_code", WELDER)
        return make_posting(
            e, published=published, valid_from=valid_from, headcount=headcount, **fields
        )

    # Valid until the first day of the period: carried over.
    post(1, D(2026, 6, 1), D(2026, 6, 1), valid_to=D(2026, 7, 1))
    # Valid from the last day: new.
    post(2, D(2026, 9, 30), D(2026, 9, 30))
    # Valid only after the period; published only after it: neither counts.
    post(4, D(2026, 6, 1), D(2026, 10, 1))
    post(8, D(2026, 10, 1), D(2026, 9, 1))
    # Expired before the period: no; expired during it: carried over.
    post(16, D(2026, 5, 1), D(2026, 5, 1), valid_to=D(2026, 6, 30), status=PostingStatus.EXPIRED)
    post(32, D(2026, 5, 1), D(2026, 5, 1), valid_to=D(2026, 8, 31), status=PostingStatus.EXPIRED)
    # Valid and published before the period, still open: carried over.
    post(64, D(2026, 6, 20), D(2026, 6, 1))
    # Withdrawn the evening before the period (no), filled on its first morning (carried).
    withdrawn = post(128, D(2026, 5, 1), D(2026, 5, 1), status=PostingStatus.WITHDRAWN)
    filled = post(256, D(2026, 5, 1), D(2026, 5, 1), status=PostingStatus.FILLED)
    Posting.objects.filter(pk=withdrawn.pk).update(updated_at=at(D(2026, 6, 30), 23, 59))
    Posting.objects.filter(pk=filled.pk).update(updated_at=at(D(2026, 7, 1), 0, 0))
    # Drafts and postings under review never count, whatever their dates.
    post(512, None, D(2026, 7, 1), status=PostingStatus.DRAFT)
    post(1024, D(2026, 7, 2), D(2026, 7, 1), status=PostingStatus.REVIEW)
    t = quwo_analysis(staff["county_operator"]).totals
    assert (t.vacancies_carried, t.vacancies_new) == (1 + 32 + 64 + 256, 2)
    assert t.postings == 5
    # Valid from before the period but published inside it: new.
    post(2048, D(2026, 7, 3), D(2026, 6, 1))
    t = quwo_analysis(staff["county_operator"]).totals
    assert (t.vacancies_carried, t.vacancies_new) == (353, 2 + 2048)


def test_period_boundaries_for_seekers(regions, staff, person_factory):
    a = person_factory("甲", DONGBEI)
    make_intention(a, WELDER, at(D(2026, 1, 1)), ended_on=D(2026, 7, 1))  # ends on day one
    b = person_factory("乙", DONGBEI)
    make_intention(b, WELDER, at(D(2026, 9, 30), 23, 59))  # created on the last evening
    c = person_factory("丙", DONGBEI)
    make_intention(c, WELDER, at(D(2026, 10, 1), 0, 0))  # the first instant after it
    d = person_factory("丁", DONGBEI)
    make_intention(d, WELDER, at(D(2026, 1, 1)), ended_on=D(2026, 6, 30))  # ended the day before
    e = person_factory("戊", DONGBEI)
    make_intention(e, WELDER, at(D(2026, 7, 1), 0, 0))  # the first instant: new
    # Two intentions valid in the period: counted once, by the later one (the cook); a seeker
    # since February, so carried over although the cook intention is new.
    f = person_factory("己", DONGBEI)
    make_intention(f, WELDER, at(D(2026, 2, 1)))
    make_intention(f, COOK, at(D(2026, 8, 1)))
    # The later intention ended before the period: the earlier one is the one valid in it.
    g = person_factory("庚", DONGBEI)
    make_intention(g, COOK, at(D(2026, 2, 1)))
    make_intention(g, GEOLOGIST, at(D(2026, 3, 1)), ended_on=D(2026, 5, 1))
    analysis = quwo_analysis(staff["county_operator"])
    t = analysis.totals
    assert (t.seekers_carried, t.seekers_new) == (3, 2)  # a, f, g; b, e
    minor = {r.key: r.seekers for r in analysis.tables["occupation_3"].rows if r.seekers}
    assert minor == {"6-18-02": 3, "4-03-02": 2}  # a, b, e; f, g
    # A city is queried the other way (whole-table hashing, not per-seeker lookups): the same.
    leader = staff["province_leader"]
    city = sd.analysis_for(leader, sd.region_for_analysis(leader, "141000000000"), Q3)
    assert (city.totals.seekers_carried, city.totals.seekers_new) == (3, 2)
    assert city.tables["occupation_3"].as_dict() == analysis.tables["occupation_3"].as_dict()


# --- periods --------------------------------------------------------------------------------


def test_parse_period():
    assert sd.parse_period("2026Q3") == sd.Period(D(2026, 7, 1), D(2026, 9, 30), sd.QUARTER)
    assert sd.parse_period("2026-q1").end == D(2026, 3, 31)
    assert sd.parse_period("2024-02") == sd.Period(D(2024, 2, 1), D(2024, 2, 29), sd.MONTH)
    custom = sd.parse_period("2026-07-01..2026-08-15")
    assert (custom.start, custom.end, custom.kind) == (D(2026, 7, 1), D(2026, 8, 15), sd.CUSTOM)
    assert sd.parse_period(custom.key) == custom
    assert sd.parse_period(date_from=D(2026, 1, 5), date_to=D(2026, 1, 6)).kind == sd.CUSTOM
    assert sd.parse_period("", today=D(2026, 11, 23)).key == "2026Q4"
    for bad in ("2026Q5", "2026-13", "soon", "2026-09-01..2026-08-01", "2020-01-01..2026-01-01"):
        with pytest.raises(sd.PeriodError):
            sd.parse_period(bad)
    with pytest.raises(sd.PeriodError):
        sd.parse_period(date_from=D(2026, 1, 5))
    keys = [p.key for p in sd.recent_periods(D(2026, 2, 10), quarters=2, months=2)]
    assert keys == ["2026Q1", "2025Q4", "2026-02", "2026-01"]


# --- the rules on their own -----------------------------------------------------------------


def test_spread_is_exact_and_keeps_the_amount():
    shares = sd.spread(10, {"a": 1, "b": 2, "c": 0})
    assert shares == {"a": Fraction(10, 3), "b": Fraction(20, 3)}
    assert sum(shares.values()) == 10
    assert sd.spread(5, {"a": 0}) == {}  # nothing to be proportional to
    assert sd.spread(0, {"a": 1}) == {}


def test_ratio_rounds_half_up_to_two_places():
    assert sd.ratio_of(1, 8) == R("0.13")  # 0.125
    assert sd.ratio_of(2, 3) == R("0.67")
    assert sd.ratio_of(5, 0) is None
    assert sd.ratio_of(0, 3) == R("0.00")
    assert sd.to_decimal(Fraction(-5, 8)) == R("-0.63")


@pytest.mark.parametrize(
    ("code", "sector"),
    [
        ("0111", "1"),
        ("A", "1"),
        ("0511", "3"),  # 农、林、牧、渔专业及辅助性活动
        ("05", "3"),
        ("0610", "2"),
        ("1120", "3"),  # 开采专业及辅助性活动
        ("3611", "2"),
        ("C3611", "2"),
        ("4310", "3"),  # 金属制品、机械和设备修理业
        ("4411", "2"),
        ("4700", "2"),
        ("5111", "3"),
        ("T", "3"),
        ("", ""),
        ("9999", ""),
    ],
)
def test_sector_follows_the_2018_rule(code, sector):
    assert sd.sector_of(code) == sector


def test_occupation_roll_up():
    assert [sd.occupation_at(WELDER, level) for level in (1, 2, 3)] == ["6", "6-18", "6-18-02"]
    assert sd.occupation_at("6-18", 3) == ""
    assert sd.occupation_at("焊工", 1) == ""


def test_no_seekers_no_ratio(regions, staff):
    e = make_employer(5, LECHANG, industry_code="3611")
    make_posting(e, published=D(2026, 7, 1), valid_from=D(2026, 7, 1), headcount=3)
    a = quwo_analysis(staff["county_operator"])
    assert (a.totals.vacancies, a.totals.seekers, a.totals.ratio) == (3, 0, None)
    # An uncoded posting has no occupation: it is in the "not coded" row, not spread.
    table = a.tables["occupation_1"]
    assert table.row("?").vacancies == 3
    assert all(r.ratio is None for r in table.rows)
    assert a.top_shortage == [] and a.top_surplus == []


def test_records_above_the_subdivisions_have_their_own_row(regions, staff, person_factory):
    # A seeker who wants "anywhere in 曲沃县" and a posting placed at the county itself cannot
    # be split among its townships.
    e = make_employer(6, QUWO, industry_code="3611")
    make_posting(e, published=D(2026, 7, 1), valid_from=D(2026, 7, 1), headcount=5)
    person = person_factory("壬", DONGBEI)
    make_intention(person, WELDER, at(D(2026, 7, 2)), region_code=QUWO)
    table = quwo_analysis(staff["county_operator"]).tables["region"]
    rest = table.row("?")
    assert (rest.kind, rest.vacancies, rest.seekers, rest.ratio) == (sd.UNCLASSIFIED, 5, 1, None)
    assert all((r.vacancies, r.seekers) == (0, 0) for r in table.rows if r.is_category)
    assert (table.total.vacancies, table.total.seekers) == (5, 1)
