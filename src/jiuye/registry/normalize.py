"""Cell parsers shared by every registry import.

Staff ledgers come from many hands: full-width digits typed with a Chinese input method, stray
and zero-width spaces pasted from web pages, dates in every common Chinese form or as Excel
serial numbers, phones with ``+86`` and hyphens. Each parser takes the raw cell value (as
python-calamine or the CSV reader gives it: ``str``, ``int``, ``float``, ``bool``,
``date``/``datetime`` or ``None``) and returns a clean value, or raises ``CellError`` whose
message says in the user's language (Chinese by default) what is wrong.

Blank cells are the caller's business: every parser here returns ``None`` (``""`` for
``clean_text``) for ``None`` and for text that is empty after cleaning.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

__all__ = [
    "CellError",
    "clean_text",
    "excel_serial_to_date",
    "parse_bool",
    "parse_date",
    "parse_decimal",
    "parse_int",
    "parse_month",
    "parse_phone",
]


class CellError(ValueError):
    """A cell value that cannot be used; ``str(error)`` is the reason to show the user."""

    def __init__(self, message):
        self.message = str(message)
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message


# Zero-width and invisible characters that survive copy and paste (and NFKC).
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u200e\u200f\u2060\ufeff\u00ad\u180e"))
_WHITESPACE = re.compile(r"\s+")

# Dates and months well outside a person's lifetime are typing errors, not facts.
MIN_YEAR = 1900
MAX_YEAR = 2100
# Excel's 1900 date system counts days from 1899-12-31 and wrongly treats 1900 as a leap
# year (serial 60 is the non-existent 1900-02-29), so from serial 61 on the epoch is
# 1899-12-30. The largest serial Excel accepts is 2958465 (9999-12-31).
_EXCEL_EPOCH = datetime.date(1899, 12, 30)
_EXCEL_MAX_SERIAL = 2958465

_DATE_RE = re.compile(
    r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:\s*[T ]?\s*\d{1,2}[:：]\d{1,2}(?:[:：]\d{1,2}(?:\.\d+)?)?)?"
)
_MONTH_RE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?(?:份)?")
_COMPACT_DATE_RE = re.compile(r"(\d{4})(\d{2})(\d{2})")
_COMPACT_MONTH_RE = re.compile(r"(\d{4})(\d{2})")
_SERIAL_TEXT_RE = re.compile(r"\d{5}(?:\.0+)?")

_MOBILE_RE = re.compile(r"1[3-9][0-9]{9}")
_PHONE_JUNK = re.compile(r"[\s\-()（）.]+")
_COUNTRY_PREFIX = re.compile(r"^(?:\+|00)?86(?=1[3-9]\d{9}$)")
# Area codes: 010 and 02X have three digits, every other one four (0xxx).
_LANDLINE_RE = re.compile(r"(0(?:10|2\d|[3-9]\d{2}))(\d{7,8})")
_LANDLINE_SPLIT_RE = re.compile(r"\(?(0\d{2,3})(?:\)\s*-?\s*|[\s\-]+)(\d{7,8})")
_EXTENSION_RE = re.compile(r"\s*(?:转|分机|ext\.?|x|#)\s*(\d{1,6})\s*$", re.IGNORECASE)

_TRUE = frozenset({"是", "有", "y", "yes", "1", "true", "t", "√", "✓", "✔", "对"})
_FALSE = frozenset({"否", "无", "没有", "n", "no", "0", "false", "f", "×", "✗", "✘", "错"})

_NUMBER_JUNK = re.compile(r"[,\s¥￥]|元$|人$")


def _number_as_text(value: int | float) -> str:
    """A numeric cell as the digits a person typed: ``13800138000.0`` → ``"13800138000"``."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def clean_text(value) -> str:
    """Half-width (NFKC), invisible characters removed, whitespace collapsed and stripped."""
    if value is None:
        return ""
    if isinstance(value, str):
        text = value
    elif isinstance(value, bool):
        text = "是" if value else "否"
    elif isinstance(value, int | float):
        text = _number_as_text(value)
    elif isinstance(value, datetime.datetime):
        text = value.date().isoformat() if value.time() == datetime.time() else str(value)
    elif isinstance(value, datetime.date):
        text = value.isoformat()
    else:
        text = str(value)
    if text.isascii():
        # The common case: nothing for NFKC to do; strip and collapse only.
        if " " in text or "\t" in text or "\n" in text or "\r" in text:
            return _WHITESPACE.sub(" ", text).strip()
        return text
    text = unicodedata.normalize("NFKC", text).translate(_INVISIBLE)
    return _WHITESPACE.sub(" ", text).strip()


def _year_in_range(day: datetime.date, shown) -> datetime.date:
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        raise CellError(
            _("The date %(value)s is outside the years %(min)s to %(max)s.")
            % {"value": shown, "min": MIN_YEAR, "max": MAX_YEAR}
        )
    return day


def _make_date(year: int, month: int, day: int, shown) -> datetime.date:
    try:
        result = datetime.date(year, month, day)
    except ValueError:
        raise CellError(
            _("There is no such date: %(year)s-%(month)s-%(day)s.")
            % {"year": year, "month": month, "day": day}
        ) from None
    return _year_in_range(result, shown)


def excel_serial_to_date(serial: int | float) -> datetime.date:
    """An Excel serial number (1900 date system) as a date; any time of day is dropped."""
    whole = int(serial)
    if whole < 1 or whole > _EXCEL_MAX_SERIAL:
        raise CellError(_("%(value)s is not a date.") % {"value": _number_as_text(serial)})
    if whole == 60:
        raise CellError(
            _("There is no such date: %(year)s-%(month)s-%(day)s.")
            % {
                "year": 1900,
                "month": 2,
                "day": 29,
            }
        )
    if whole < 60:
        return datetime.date(1899, 12, 31) + datetime.timedelta(days=whole)
    return _EXCEL_EPOCH + datetime.timedelta(days=whole)


def _unrecognised_date(value):
    return CellError(
        _(
            "%(value)s is not a date in a recognised form "
            "(e.g. 2024-03-05, 2024/3/5, 2024.3.5, 2024年3月5日 or 20240305)."
        )
        % {"value": value}
    )


def parse_date(value) -> datetime.date | None:
    """A date from any of the forms staff use; ``None`` for a blank cell."""
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        return _year_in_range(value.date(), value.date().isoformat())
    if isinstance(value, datetime.date):
        return _year_in_range(value, value.isoformat())
    if isinstance(value, bool):
        raise _unrecognised_date(clean_text(value))
    if isinstance(value, int | float):
        if isinstance(value, float) and not value.is_integer():
            # A serial with a time of day; the day is what counts.
            return _year_in_range(excel_serial_to_date(value), _number_as_text(value))
        number = int(value)
        if 10_000_000 <= number <= 99_999_999:  # 20240305 typed into a number cell
            text = str(number)
            return _make_date(int(text[:4]), int(text[4:6]), int(text[6:]), text)
        return _year_in_range(excel_serial_to_date(number), number)
    text = clean_text(value)
    if not text:
        return None
    match = _DATE_RE.fullmatch(text)
    if match:
        return _make_date(int(match[1]), int(match[2]), int(match[3]), text)
    match = _COMPACT_DATE_RE.fullmatch(text)
    if match:
        return _make_date(int(match[1]), int(match[2]), int(match[3]), text)
    if _SERIAL_TEXT_RE.fullmatch(text):
        # A serial number that lost its date format on the way through a CSV export.
        return _year_in_range(excel_serial_to_date(float(text)), text)
    raise _unrecognised_date(text)


def parse_month(value) -> datetime.date | None:
    """The first day of a month: ``2024-03``, ``2024年3月``, ``202403`` or any date."""
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        if float(value).is_integer() and 100_000 <= int(value) <= 999_999:
            text = str(int(value))
            return _make_date(int(text[:4]), int(text[4:]), 1, text)
    elif not isinstance(value, datetime.date):
        text = clean_text(value)
        if not text:
            return None
        match = _MONTH_RE.fullmatch(text) or _COMPACT_MONTH_RE.fullmatch(text)
        if match:
            return _make_date(int(match[1]), int(match[2]), 1, text)
        try:
            day = parse_date(text)
        except CellError:
            raise CellError(
                _(
                    "%(value)s is not a month in a recognised form "
                    "(e.g. 2024-03, 2024年3月 or 202403)."
                )
                % {"value": text}
            ) from None
        return day.replace(day=1) if day else None
    day = parse_date(value)
    return day.replace(day=1) if day else None


def parse_phone(value) -> str | None:
    """An 11-digit mobile number, or a landline as ``area-number`` (``0357-1234567``).

    ``+86``/``0086``, spaces, hyphens and brackets are dropped; a landline may keep an
    extension (``0357-1234567-123``).
    """
    if value is None:
        return None
    if value.__class__ is str and len(value) == 11 and _MOBILE_RE.fullmatch(value):
        return value  # the common case, already clean
    shown = clean_text(value)
    if not shown:
        return None
    text, extension = shown, ""
    match = _EXTENSION_RE.search(text)
    if match:
        text, extension = text[: match.start()], match[1]
    digits = _COUNTRY_PREFIX.sub("", _PHONE_JUNK.sub("", text))
    if not extension and _MOBILE_RE.fullmatch(digits):
        return digits
    # Keep the caller's own split between area code and number when there is one, since
    # "0357 1234567" and "035 71234567" cannot be told apart from the digits alone.
    match = _LANDLINE_SPLIT_RE.fullmatch(text) or _LANDLINE_RE.fullmatch(digits)
    if not match or match[2][0] == "0":
        raise CellError(
            _(
                "%(value)s is not a phone number: a mobile number has 11 digits starting "
                "13-19; a landline starts with its area code (e.g. 0357-1234567)."
            )
            % {"value": shown}
        )
    area, number = match[1], match[2]
    return f"{area}-{number}-{extension}" if extension else f"{area}-{number}"


def parse_bool(value) -> bool | None:
    """是/否, 有/无, Y/N, 1/0, true/false (any case, full- or half-width)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    text = clean_text(value).lower()
    if not text:
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise CellError(_("%(value)s is not yes or no (是/否).") % {"value": clean_text(value)})


def parse_decimal(
    value,
    *,
    max_digits: int | None = None,
    decimal_places: int | None = None,
    minimum: Decimal | int | None = None,
) -> Decimal | None:
    """A decimal number; thousands separators, ``¥`` and ``元`` are allowed."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise CellError(_("%(value)s is not a number.") % {"value": clean_text(value)})
    if isinstance(value, int):
        number = Decimal(value)
        shown = str(value)
    else:
        shown = clean_text(value)
        if not shown:
            return None
        # str() of a float is its shortest repr, so 12.3 becomes Decimal("12.3") exactly.
        try:
            number = Decimal(_NUMBER_JUNK.sub("", shown))
        except InvalidOperation:
            raise CellError(_("%(value)s is not a number.") % {"value": shown}) from None
    if not number.is_finite():
        raise CellError(_("%(value)s is not a number.") % {"value": shown})
    if minimum is not None and number < minimum:
        raise CellError(
            _("%(value)s is less than %(minimum)s.") % {"value": shown, "minimum": minimum}
        )
    if decimal_places is not None:
        quantum = Decimal(1).scaleb(-decimal_places)
        rounded = number.quantize(quantum)
        if rounded != number:
            raise CellError(
                _("%(value)s has more than %(places)s decimal places.")
                % {"value": shown, "places": decimal_places}
            )
        number = rounded
    if max_digits is not None:
        whole_digits = max_digits - (decimal_places or 0)
        if abs(number) >= Decimal(10) ** whole_digits:
            raise CellError(_("%(value)s is too large.") % {"value": shown})
    return number


def parse_int(value, *, minimum: int | None = None, maximum: int | None = None) -> int | None:
    """A whole number; thousands separators and a trailing ``人`` are allowed."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise CellError(_("%(value)s is not a whole number.") % {"value": clean_text(value)})
    if isinstance(value, int):
        number = value
        shown = str(value)
    elif isinstance(value, float):
        shown = _number_as_text(value)
        if not value.is_integer():
            raise CellError(_("%(value)s is not a whole number.") % {"value": shown})
        number = int(value)
    else:
        shown = clean_text(value)
        if not shown:
            return None
        digits = _NUMBER_JUNK.sub("", shown)
        if digits.endswith(".0"):
            digits = digits[:-2]
        if not re.fullmatch(r"[+-]?\d+", digits):
            raise CellError(_("%(value)s is not a whole number.") % {"value": shown})
        number = int(digits)
    if minimum is not None and number < minimum:
        raise CellError(
            _("%(value)s is less than %(minimum)s.") % {"value": shown, "minimum": minimum}
        )
    if maximum is not None and number > maximum:
        raise CellError(_("%(value)s is too large.") % {"value": shown})
    return number
