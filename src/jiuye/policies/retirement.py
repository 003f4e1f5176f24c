"""Statutory retirement age under the progressive reform in force from 2025-01-01.

全国人民代表大会常务委员会关于实施渐进式延迟法定退休年龄的决定 (2024-09-13) [S7]:

* men, original age 60: born from January 1965, one month later per 4 months of birth, up
  to 63 (36 months);
* women, original age 55: born from January 1970, one month per 4 months, up to 58;
* women, original age 50: born from January 1975, one month per 2 months, up to 55 (60
  months).

Everyone born before the first month keeps the original age. A person reaches retirement in
the month of birth plus the retirement age in months. The schedule's numbers are parameters
(``retirement.*``) so a later decision changes YAML, not code.

All functions are vectorised over ``datetime64[D]`` birth dates.
"""

from __future__ import annotations

import numpy as np

CATEGORIES = ("m60", "f55", "f50")


def _schedule(params) -> dict[str, tuple[int, np.datetime64, int, int]]:
    """category -> (original age in months, first birth month delayed, birth months per
    month of delay, maximum delay in months)."""
    out = {}
    for cat in CATEGORIES:
        out[cat] = (
            int(params(f"retirement.{cat}.original_age")) * 12,
            np.datetime64(str(params(f"retirement.{cat}.reform_first_birth_month")), "M"),
            int(params(f"retirement.{cat}.birth_months_per_month_of_delay")),
            int(params(f"retirement.{cat}.max_delay_months")),
        )
    return out


def effective_category(sex: np.ndarray, category: np.ndarray, params) -> np.ndarray:
    """The person's category; blank falls back to m60 for men and the female default."""
    sex = np.asarray(sex).astype(str)
    category = np.asarray(category).astype("<U3")
    default_female = str(params("retirement.default_female_category"))
    out = category.copy()
    blank = (out == "") | ~np.isin(out, CATEGORIES)
    out[blank & (sex == "1")] = "m60"
    out[blank & (sex != "1")] = default_female
    return out


def retirement_age_months(birth: np.ndarray, category: np.ndarray, params) -> np.ndarray:
    birth_month = np.asarray(birth, dtype="datetime64[D]").astype("datetime64[M]")
    category = np.asarray(category)
    months = np.zeros(birth_month.shape, dtype=np.int64)
    for cat, (original, first, per, cap) in _schedule(params).items():
        mask = category == cat
        if not mask.any():
            continue
        k = (birth_month[mask] - first).astype(np.int64)
        delay = np.where(k >= 0, np.minimum(k // per + 1, cap), 0)
        months[mask] = original + delay
    return months


def retirement_month(birth: np.ndarray, category: np.ndarray, params) -> np.ndarray:
    """The month (``datetime64[M]``) in which each person reaches retirement age."""
    birth_month = np.asarray(birth, dtype="datetime64[D]").astype("datetime64[M]")
    return birth_month + retirement_age_months(birth, category, params).astype("timedelta64[M]")


def retirement_date(birth: np.ndarray, category: np.ndarray, params) -> np.ndarray:
    """The day the person reaches retirement age: the birthday in the retirement month (the
    month's last day where it is shorter)."""
    birth = np.asarray(birth, dtype="datetime64[D]")
    month = retirement_month(birth, category, params)
    day_offset = (birth - birth.astype("datetime64[M]").astype("datetime64[D]")).astype(np.int64)
    last_day = ((month + 1).astype("datetime64[D]") - month.astype("datetime64[D]")).astype(
        np.int64
    ) - 1
    return month.astype("datetime64[D]") + np.minimum(day_offset, last_day).astype("timedelta64[D]")
