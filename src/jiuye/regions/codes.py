"""The 12-digit statistical division code (统计用区划代码) and what follows from it.

province 2 + prefecture 2 + county 2 + township 3 + village 3. A region's level is fixed by how
many leading digits are significant; "X is inside R" is a prefix test on those digits.
"""

from __future__ import annotations

import re

LEVEL_DIGITS = {1: 2, 2: 4, 3: 6, 4: 9, 5: 12}
CODE_RE = re.compile(r"^\d{12}$")


class InvalidRegionCode(ValueError):
    pass


def normalize(code: str) -> str:
    """Accept 2/4/6/9/12-digit codes and return the 12-digit form."""
    code = (code or "").strip()
    if not code.isdigit() or len(code) not in (2, 4, 6, 9, 12):
        raise InvalidRegionCode(code)
    return code.ljust(12, "0")


def level_of(code: str) -> int:
    code = normalize(code)
    if code[2:] == "0" * 10:
        return 1
    if code[4:] == "0" * 8:
        return 2
    if code[6:] == "0" * 6:
        return 3
    if code[9:] == "000":
        return 4
    return 5


def prefix_of(code: str, level: int | None = None) -> str:
    """The significant leading digits of a region code: what records inside it start with."""
    code = normalize(code)
    return code[: LEVEL_DIGITS[level or level_of(code)]]


def parent_code(code: str) -> str | None:
    code = normalize(code)
    level = level_of(code)
    if level == 1:
        return None
    return code[: LEVEL_DIGITS[level - 1]].ljust(12, "0")


def is_within(code: str, region_code: str) -> bool:
    return normalize(code).startswith(prefix_of(region_code))
