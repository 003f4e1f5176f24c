"""Reading the tables staff upload: Excel (.xlsx, .xlsm, .xls), OpenDocument (.ods) and CSV.

Spreadsheets go through python-calamine (Rust, several times faster than openpyxl and with a
fraction of its memory); CSV files may be UTF-8 (with or without a BOM) or GBK/GB18030, which
is what Excel on a Chinese Windows writes. Ledgers often have a title row such as
"XX县实名制台账" above the header, so the header is the first row, among the first few, whose
cells match at least two of the header names the caller knows.

Row numbers are the sheet's own (the first data row under a header in row 1 is row 2), so an
error report points at the row the user sees in Excel.
"""

from __future__ import annotations

import csv
import io
import os
import re
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

__all__ = [
    "SPREADSHEET_SUFFIXES",
    "SUFFIXES",
    "Table",
    "TableError",
    "normalize_header",
    "read_table",
]

SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")
SUFFIXES = (*SPREADSHEET_SUFFIXES, ".csv")
HEADER_SEARCH_ROWS = 10
MIN_HEADER_MATCHES = 2

# Marks around header names that do not change their meaning: "*姓名", "姓名（必填）", "姓名:".
_HEADER_NOISE = re.compile(r"[\s*:：]|[(（]?必填[)）]?|[(（]?选填[)）]?")


class TableError(ValueError):
    """The file as a whole cannot be used; ``str(error)`` says why, for the user."""

    def __init__(self, message):
        self.message = str(message)
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message


@dataclass
class Table:
    header: list[str]
    # (row number in the sheet, raw cell values) for every row below the header that is not
    # entirely empty. Cells are what the reader gives: str, float/int, bool, date, datetime;
    # an empty cell is "" (or None).
    rows: list[tuple[int, list[Any]]]
    header_row: int = 1
    sheet_name: str = ""
    encoding: str = ""
    title_rows: list[list[Any]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.rows)


def normalize_header(text) -> str:
    """A header cell as compared with known names: half-width, no spaces, no required marks."""
    if text is None:
        return ""
    text = unicodedata.normalize("NFKC", str(text))
    return _HEADER_NOISE.sub("", text).lower()


def _is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _suffix(filename: str | os.PathLike | None) -> str:
    return Path(str(filename or "")).suffix.lower()


def _read_bytes(source) -> bytes:
    if isinstance(source, str | os.PathLike):
        with open(source, "rb") as fh:
            return fh.read()
    if hasattr(source, "seek"):
        source.seek(0)
    data = source.read()
    if isinstance(data, str):
        return data.encode("utf-8")
    return data


def _spreadsheet_rows(data: bytes, sheet: int | str) -> tuple[str, list[list[Any]]]:
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        try:
            if isinstance(sheet, str):
                worksheet = workbook.get_sheet_by_name(sheet)
            else:
                worksheet = workbook.get_sheet_by_index(sheet)
            # skip_empty_area=False keeps the sheet's own geometry: list index i is row i + 1
            # and cell index j is column j, whatever empty rows or columns come first.
            return worksheet.name, worksheet.to_python(skip_empty_area=False)
        finally:
            workbook.close()
    except Exception as exc:  # calamine raises several unrelated types for damaged files
        if exc.__class__.__name__ == "PasswordError":
            raise TableError(
                _("The file is protected by a password. Save it without a password and retry.")
            ) from exc
        raise TableError(
            _("The file cannot be read as a spreadsheet (%(reason)s). Is it damaged?")
            % {"reason": exc.__class__.__name__}
        ) from exc


def _decode_csv(data: bytes) -> tuple[str, str]:
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError as exc:
        raise TableError(
            _("The CSV file is neither UTF-8 nor GBK text. Save it as CSV (UTF-8) and retry.")
        ) from exc


def _csv_rows(data: bytes) -> tuple[str, list[list[Any]]]:
    if b"\x00" in data[:4096]:
        raise TableError(
            _("The file is not a CSV text file. Save it as CSV (UTF-8) or Excel and retry.")
        )
    text, encoding = _decode_csv(data)
    sample = text[:8192]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",\t;|")
    except csv.Error:
        dialect = csv.excel
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), dialect))
    except csv.Error as exc:
        raise TableError(_("The CSV file is malformed: %(reason)s") % {"reason": exc}) from exc
    return encoding, rows


def _find_header(rows: list[list[Any]], known: set[str]) -> int | None:
    """Index of the header row: the first among the first non-empty rows matching ``known``."""
    first = None
    seen = 0
    for index, cells in enumerate(rows):
        if all(_is_blank(c) for c in cells):
            continue
        if first is None:
            first = index
        if known:
            matches = sum(1 for c in cells if not _is_blank(c) and normalize_header(c) in known)
            if matches >= MIN_HEADER_MATCHES:
                return index
        seen += 1
        if seen >= HEADER_SEARCH_ROWS:
            break
    return first


def read_table(
    source,
    filename: str | os.PathLike | None = None,
    *,
    known_headers: Collection[str] = (),
    sheet: int | str = 0,
) -> Table:
    """Read ``source`` (a path, or a binary file object such as an upload) into a ``Table``.

    ``filename`` gives the type by its suffix (defaults to the path's name). ``known_headers``
    are header names the caller recognises (compared after ``normalize_header``); without
    them the first non-empty row is the header.
    """
    if filename is None:
        is_path = isinstance(source, str | os.PathLike)
        filename = source if is_path else getattr(source, "name", "")
    suffix = _suffix(filename)
    if suffix not in SUFFIXES:
        raise TableError(
            _("Files of type “%(suffix)s” cannot be imported; use %(allowed)s.")
            % {"suffix": suffix or "?", "allowed": ", ".join(SUFFIXES)}
        )
    try:
        data = _read_bytes(source)
    except OSError as exc:
        raise TableError(_("The file cannot be opened: %(reason)s") % {"reason": exc}) from exc
    if not data or not data.strip():
        raise TableError(_("The file is empty."))

    encoding = ""
    if suffix == ".csv":
        sheet_name = ""
        encoding, raw_rows = _csv_rows(data)
    else:
        sheet_name, raw_rows = _spreadsheet_rows(data, sheet)
    del data

    known = {normalize_header(h) for h in known_headers}
    header_index = _find_header(raw_rows, known)
    if header_index is None:
        raise TableError(_("The file is empty: no row has any value."))

    header = [clean_header(c) for c in raw_rows[header_index]]
    while header and not header[-1]:
        header.pop()
    rows: list[tuple[int, list[Any]]] = []
    for index in range(header_index + 1, len(raw_rows)):
        cells = raw_rows[index]
        # Skip rows with nothing in them; a typical row stops the scan at its first cell.
        for cell in cells:
            if cell is not None and cell != "" and not (cell.__class__ is str and cell.isspace()):
                rows.append((index + 1, cells))
                break
    if not rows:
        raise TableError(
            _("The file has a header row (row %(row)s) but no data rows below it.")
            % {"row": header_index + 1}
        )
    return Table(
        header=header,
        rows=rows,
        header_row=header_index + 1,
        sheet_name=sheet_name,
        encoding=encoding,
        title_rows=[r for r in raw_rows[:header_index] if r and not all(map(_is_blank, r))],
    )


def clean_header(value) -> str:
    """A header cell as shown to the user: text, trimmed, inner whitespace collapsed."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(unicodedata.normalize("NFKC", str(value)).split())
