"""The progressive statutory retirement age (``jiuye.policies.retirement``) at its boundaries.

全国人大常委会关于实施渐进式延迟法定退休年龄的决定 (2024-09-13) [S7], 附件1 and 附件2: men
60 → 63 and women of original age 55 → 58 one month later per 4 months of birth from January
1965 / January 1970; women of original age 50 → 55 one month later per 2 months of birth from
January 1975. The expected values below are read from the decision's tables, not computed.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from jiuye.policies import retirement
from jiuye.policies.engine import Ctx, Population
from jiuye.policies.parameters import Params
from jiuye.policies.rules import get_policy

AS_OF = dt.date(2025, 6, 30)


@pytest.fixture
def params():
    return Params(AS_OF)


def _months(birth: str, category: str, params) -> int:
    births = np.array([birth], dtype="datetime64[D]")
    return int(retirement.retirement_age_months(births, np.array([category]), params)[0])


def _date(birth: str, category: str, params) -> str:
    births = np.array([birth], dtype="datetime64[D]")
    return str(retirement.retirement_date(births, np.array([category]), params)[0])


@pytest.mark.parametrize(
    ("birth", "years", "months"),
    [
        ("1964-12-31", 60, 0),  # the last birth month before the reform keeps 60
        ("1965-01-01", 60, 1),  # the first month of the reform: one month later
        ("1965-04-30", 60, 1),  # four birth months share one month of delay
        ("1965-05-01", 60, 2),
        ("1968-12-15", 61, 0),  # 48 birth months later: 12 months of delay
        ("1976-08-20", 62, 11),  # one birth month before the cap
        ("1976-09-01", 63, 0),  # the cap: born September 1976 onward retire at 63
        ("1976-12-01", 63, 0),
        ("1990-03-10", 63, 0),
    ],
)
def test_men(params, birth, years, months):
    assert _months(birth, "m60", params) == years * 12 + months


@pytest.mark.parametrize(
    ("birth", "years", "months"),
    [
        ("1969-12-31", 55, 0),
        ("1970-01-01", 55, 1),
        ("1970-04-30", 55, 1),
        ("1970-05-01", 55, 2),
        ("1981-08-01", 57, 11),
        ("1981-09-01", 58, 0),  # the cap at 58
        ("1995-01-01", 58, 0),
    ],
)
def test_women_original_55(params, birth, years, months):
    assert _months(birth, "f55", params) == years * 12 + months


@pytest.mark.parametrize(
    ("birth", "years", "months"),
    [
        ("1974-12-31", 50, 0),
        ("1975-01-01", 50, 1),
        ("1975-02-28", 50, 1),  # two birth months share one month of delay
        ("1975-03-01", 50, 2),
        ("1984-10-01", 54, 11),
        ("1984-11-01", 55, 0),  # the cap at 55: born November 1984 onward
        ("2000-06-15", 55, 0),
    ],
)
def test_women_original_50(params, birth, years, months):
    assert _months(birth, "f50", params) == years * 12 + months


@pytest.mark.parametrize(
    ("birth", "category", "expected"),
    [
        ("1964-12-31", "m60", "2024-12-31"),
        # 60 years and 1 month after 1965-01-31 is February 2025, which has no 31st.
        ("1965-01-31", "m60", "2025-02-28"),
        # 60 years and 2 months after 1965-05-31: July 2025 has a 31st.
        ("1965-05-31", "m60", "2025-07-31"),
        # 50 years and 2 months after 1975-03-31: May 2025 has a 31st.
        ("1975-03-31", "f50", "2025-05-31"),
        # 50 years and 3 months after 1975-05-31: August 2025.
        ("1975-05-31", "f50", "2025-08-31"),
        # 50 years and 4 months after 1975-07-31: November 2025 has 30 days.
        ("1975-07-31", "f50", "2025-11-30"),
        # A leap-day birth, 60 years and 10 months (born 1968-02): December 2028.
        ("1968-02-29", "m60", "2028-12-29"),
        # A leap-day birth before the reform: 2024 is a leap year, so the 29th exists.
        ("1964-02-29", "m60", "2024-02-29"),
    ],
)
def test_retirement_date(params, birth, category, expected):
    assert _date(birth, category, params) == expected


def test_unknown_birth_date_has_no_retirement_date(params):
    births = np.array(["NaT", "1970-01-01"], dtype="datetime64[D]")
    dates = retirement.retirement_date(births, np.array(["m60", "m60"]), params)
    assert np.isnat(dates[0])
    assert str(dates[1]) == "2031-05-01"  # 60 birth months into the schedule: 61y4m


def test_blank_category_defaults(params):
    sex = np.array(["1", "2", "2", "2", "1", ""])
    category = np.array(["", "", "f55", "bogus", "m60", ""])
    out = retirement.effective_category(sex, category, params)
    default_female = params("retirement.default_female_category")
    assert default_female == "f50"
    # Men default to m60, women to the configured female category; a known category stays;
    # an unknown code is treated as blank. Unknown sex falls back to the female default,
    # the earlier retirement age, which is the conservative reading of "working age".
    assert out.tolist() == ["m60", "f50", "f55", "f50", "m60", "f50"]


def test_default_female_category_is_a_parameter():
    params = Params(AS_OF, overrides={"retirement.default_female_category": "f55"})
    out = retirement.effective_category(np.array(["2", "1"]), np.array(["", ""]), params)
    assert out.tolist() == ["f55", "m60"]


def test_ctx_working_age_ends_on_the_retirement_date():
    """``Ctx.working_age``: working age on the day before the retirement date, not on it."""
    births = np.array(["1965-01-31", "1965-01-31", "2009-07-01", "2009-06-30"], "datetime64[D]")
    tables = {
        "person": {
            "id": np.arange(1, 5, dtype=np.int64),
            "birth_date": births,
            "sex": np.array(["1", "1", "2", "2"]),
            "retirement_category": np.array(["", "", "", ""]),
        }
    }
    policy = get_policy("difficulty_recognition")
    population = Population(dt.date(2025, 2, 28), tables)
    ctx = Ctx(policy, population["person"], population, Params(population.as_of))
    on = np.array(["2025-02-27", "2025-02-28", "2025-06-30", "2025-06-30"], "datetime64[D]")
    # Rows 3 and 4: the 16th birthday is the first day of working age.
    assert ctx.working_age(on).tolist() == [True, False, False, True]


def test_retirement_before_2025_as_of_date():
    # Before the reform took effect the original ages apply without delay.
    params = Params(dt.date(2024, 6, 1))
    assert _date("1960-05-10", "m60", params) == "2020-05-10"
    assert _date("1966-05-10", "m60", params) == "2026-05-10"
