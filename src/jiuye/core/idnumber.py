"""Chinese resident ID numbers (公民身份号码) per GB 11643-1999.

An 18-character number is: 6 digits of address code (GB/T 2260 region), 8 digits of birth
date (yyyyMMdd), 3 digits of sequence (odd for men, even for women) and one check character
(ISO 7064 MOD 11-2, ``X`` standing for 10). Legacy 15-digit numbers (GB 11643-1989) have a
two-digit year (19yy), no check character, and are converted here to 18 characters.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from django.utils.translation import gettext_lazy as _

__all__ = [
    "PROVINCE_CODES",
    "IdNumberInfo",
    "InvalidIdNumber",
    "age_on",
    "check_character",
    "convert_15_to_18",
    "is_valid_id_number",
    "normalize_id_number",
    "parse_id_number",
]

# ISO 7064 MOD 11-2 weights 2^(18-i) mod 11 for positions 1..17, and the check characters
# for a weighted sum mod 11 of 0..10.
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARACTERS = "10X98765432"

# Province-level codes of GB/T 2260, plus 71 (Taiwan) and 81/82/83, which residence
# permits for Hong Kong, Macao and Taiwan residents use as their address code prefix.
PROVINCE_CODES = frozenset(
    {
        "11", "12", "13", "14", "15",
        "21", "22", "23",
        "31", "32", "33", "34", "35", "36", "37",
        "41", "42", "43", "44", "45", "46",
        "50", "51", "52", "53", "54",
        "61", "62", "63", "64", "65",
        "71", "81", "82", "83",
    }
)  # fmt: skip

_EARLIEST_BIRTH_DATE = date(1900, 1, 1)
# Hyphen-like characters people type between groups of digits (NFKC leaves most of them).
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212\u30fc\uff0d]+")
_RE_18 = re.compile(r"[0-9]{17}[0-9X]")
_RE_15 = re.compile(r"[0-9]{15}")

_MESSAGES = {
    "length": _("An ID number has 18 characters (or 15 for an old first-generation card)."),
    "characters": _("An ID number has only digits, except that the last character may be X."),
    "region": _("The ID number does not begin with a valid province code."),
    "birth_date": _("The birth date in the ID number is not a valid date."),
    "future_birth_date": _("The birth date in the ID number is in the future."),
    "check_digit": _("The check digit of the ID number is wrong. Please check the number."),
}


class InvalidIdNumber(ValueError):
    """An ID number that fails a rule of GB 11643; ``reason`` says which, briefly."""

    def __init__(self, reason: str, message=None):
        self.reason = reason
        self.message = message if message is not None else _MESSAGES[reason]
        super().__init__(self.message)

    def __str__(self) -> str:
        return str(self.message)


@dataclass(frozen=True)
class IdNumberInfo:
    number: str  # 18 characters, normalized
    region_code6: str
    birth_date: date
    sex: str  # GB/T 2261.1: "1" male, "2" female
    converted_from_15: bool


def normalize_id_number(raw: str) -> str:
    """Full-width to half-width (NFKC), drop whitespace and hyphens, upper-case the X."""
    if raw is None:
        return ""
    text = unicodedata.normalize("NFKC", str(raw))
    return _SEPARATORS.sub("", text).upper()


def check_character(first17: str) -> str:
    """The 18th character for the first 17 digits: Σ(dᵢ·wᵢ) mod 11 → ``10X98765432``."""
    if len(first17) != 17 or not first17.isascii() or not first17.isdigit():
        raise ValueError("check_character needs exactly 17 ASCII digits")
    total = sum(int(digit) * weight for digit, weight in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARACTERS[total % 11]


def convert_15_to_18(number15: str) -> str:
    """A legacy 15-digit number as 18 characters: insert ``19`` before the year, add the check.

    Only the form is checked here (15 digits); use ``parse_id_number`` for the full rules.
    """
    number = normalize_id_number(number15)
    if len(number) != 15:
        raise InvalidIdNumber("length")
    if not _RE_15.fullmatch(number):
        raise InvalidIdNumber("characters")
    first17 = number[:6] + "19" + number[6:]
    return first17 + check_character(first17)


def parse_id_number(raw: str, *, today: date | None = None) -> IdNumberInfo:
    """Check ``raw`` against GB 11643 and return what it encodes; raise ``InvalidIdNumber``."""
    number = normalize_id_number(raw)
    if len(number) not in (15, 18):
        raise InvalidIdNumber("length")
    pattern = _RE_18 if len(number) == 18 else _RE_15
    if not pattern.fullmatch(number):
        raise InvalidIdNumber("characters")

    converted = len(number) == 15
    if number[:2] not in PROVINCE_CODES:
        raise InvalidIdNumber("region")

    if converted:
        year, month, day = 1900 + int(number[6:8]), int(number[8:10]), int(number[10:12])
    else:
        year, month, day = int(number[6:10]), int(number[10:12]), int(number[12:14])
    try:
        birth_date = date(year, month, day)
    except ValueError:
        raise InvalidIdNumber("birth_date") from None
    if birth_date < _EARLIEST_BIRTH_DATE:
        raise InvalidIdNumber("birth_date")
    if birth_date > (today if today is not None else date.today()):
        raise InvalidIdNumber("future_birth_date")

    if converted:
        number = convert_15_to_18(number)
    elif check_character(number[:17]) != number[17]:
        raise InvalidIdNumber("check_digit")

    return IdNumberInfo(
        number=number,
        region_code6=number[:6],
        birth_date=birth_date,
        sex="1" if int(number[16]) % 2 == 1 else "2",
        converted_from_15=converted,
    )


def is_valid_id_number(raw: str) -> bool:
    try:
        parse_id_number(raw)
    except InvalidIdNumber:
        return False
    return True


def age_on(birth_date: date, day: date) -> int:
    """Full years of age on ``day``; the age goes up on the birthday itself.

    Someone born on 29 February turns a year older on 1 March in common years.
    """
    if day < birth_date:
        raise ValueError("day is before birth_date")
    years = day.year - birth_date.year
    if (day.month, day.day) < (birth_date.month, birth_date.day):
        years -= 1
    return years
