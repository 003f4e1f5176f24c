from datetime import date

import pytest

from jiuye.registry.ages import is_working_age, retirement_date, retirement_delay_months


@pytest.mark.parametrize(
    "birth, sex, original, delay",
    [
        # Men: the published table — born 1964-12 retire at 60; 1965-01 → 60y1m; every 4 months
        # one month more; born 1976-09 and later retire at 63.
        (date(1964, 12, 15), "1", 60, 0),
        (date(1965, 1, 15), "1", 60, 1),
        (date(1965, 4, 15), "1", 60, 1),
        (date(1965, 5, 15), "1", 60, 2),
        (date(1976, 8, 15), "1", 60, 35),
        (date(1976, 9, 15), "1", 60, 36),
        (date(1990, 1, 1), "1", 60, 36),
        # Women, original 55: 1970-01 → +1; 1981-09 and later → 58.
        (date(1969, 12, 1), "2", 55, 0),
        (date(1970, 1, 1), "2", 55, 1),
        (date(1981, 9, 1), "2", 55, 36),
        # Women, original 50: one month per two months; 1975-01 → +1, 1975-03 → +2; 55 at most.
        (date(1974, 12, 1), "2", 50, 0),
        (date(1975, 1, 1), "2", 50, 1),
        (date(1975, 2, 1), "2", 50, 1),
        (date(1975, 3, 1), "2", 50, 2),
        (date(1984, 12, 1), "2", 50, 60),
    ],
)
def test_delay_months(birth, sex, original, delay):
    assert retirement_delay_months(birth, sex, original) == delay


def test_retirement_dates():
    assert retirement_date(date(1965, 1, 15), "1", 60) == date(2025, 2, 15)
    assert retirement_date(date(1980, 6, 30), "1", 60) == date(2043, 6, 30)
    assert retirement_date(date(1975, 3, 31), "2", 50) == date(2025, 5, 31)
    # Born on the 31st, retiring in a 30-day month: the last day of that month.
    assert retirement_date(date(1965, 5, 31), "1", 60) == date(2025, 7, 31)
    assert retirement_date(date(1965, 7, 31), "1", 60) == date(2025, 9, 30)


def test_working_age_boundaries():
    day = date(2026, 11, 1)
    assert not is_working_age(date(2010, 11, 2), "1", day)  # 15 the day before 16
    assert is_working_age(date(2010, 11, 1), "1", day)  # 16 today
    assert is_working_age(date(1966, 7, 1), "1", day)  # retires at 60y5m: 2026-12-01
    assert not is_working_age(date(1966, 6, 1), "1", day)  # retired on 2026-11-01
    assert not is_working_age(date(1960, 1, 1), "1", day)
