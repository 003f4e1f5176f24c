"""Legal working age under the progressive retirement-age rules in force from 2025-01-01.

全国人大常委会关于实施渐进式延迟法定退休年龄的决定 (2024-09-13), brief §1 [S7]:
- men, original age 60: from births in January 1965, one month later per four months of birth,
  up to 63;
- women, original age 55: from births in January 1970, one month per four months, up to 58;
- women, original age 50: from births in January 1975, one month per two months, up to 55.
The original category of a woman (50 for workers, 55 for cadres and similar posts) is a fact of
her employment record; where it is unknown the caller chooses (``DEFAULT_FEMALE_ORIGINAL_AGE``).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

MIN_WORKING_AGE = 16
DEFAULT_FEMALE_ORIGINAL_AGE = 55


@dataclass(frozen=True)
class Rule:
    original_years: int
    first_birth_month: tuple[int, int]  # (year, month) of the first cohort that is delayed
    months_per_step: int
    max_delay_months: int


RULES = {
    ("1", 60): Rule(60, (1965, 1), 4, 36),
    ("2", 55): Rule(55, (1970, 1), 4, 36),
    ("2", 50): Rule(50, (1975, 1), 2, 60),
}


def _add_months(day: datetime.date, months: int) -> datetime.date:
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    # Retirement falls in the month reached; the day is the birthday, clipped to month end.
    for d in (day.day, 30, 29, 28):
        try:
            return datetime.date(year, month + 1, d)
        except ValueError:
            continue
    raise ValueError(day)


def retirement_delay_months(
    birth_date: datetime.date, sex: str, original_age: int | None = None
) -> int:
    rule = RULES[(sex, original_age or (60 if sex == "1" else DEFAULT_FEMALE_ORIGINAL_AGE))]
    y, m = rule.first_birth_month
    elapsed = (birth_date.year * 12 + birth_date.month - 1) - (y * 12 + m - 1)
    if elapsed < 0:
        return 0
    return min(rule.max_delay_months, elapsed // rule.months_per_step + 1)


def retirement_date(
    birth_date: datetime.date, sex: str, original_age: int | None = None
) -> datetime.date:
    """The day the person reaches statutory retirement age."""
    original = original_age or (60 if sex == "1" else DEFAULT_FEMALE_ORIGINAL_AGE)
    delay = retirement_delay_months(birth_date, sex, original)
    return _add_months(birth_date, original * 12 + delay)


def age_on(birth_date: datetime.date, day: datetime.date) -> int:
    years = day.year - birth_date.year
    if (day.month, day.day) < (birth_date.month, birth_date.day):
        years -= 1
    return years


def is_working_age(
    birth_date: datetime.date, sex: str, day: datetime.date, original_age: int | None = None
) -> bool:
    return age_on(birth_date, day) >= MIN_WORKING_AGE and day < retirement_date(
        birth_date, sex, original_age
    )


def years_to_retirement(
    birth_date: datetime.date, sex: str, day: datetime.date, original_age: int | None = None
) -> float:
    return (retirement_date(birth_date, sex, original_age) - day).days / 365.2425
