"""Cell parsers (jiuye.registry.normalize) and reading files (jiuye.core.tabular)."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
import xlsxwriter
from django.utils import translation

from jiuye.core.tabular import TableError, normalize_header, read_table
from jiuye.registry.normalize import (
    CellError,
    clean_text,
    parse_bool,
    parse_date,
    parse_decimal,
    parse_int,
    parse_month,
    parse_phone,
)

D = datetime.date


@pytest.fixture(autouse=True)
def chinese():
    with translation.override("zh-hans"):
        yield


# --- clean_text ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  张三  ", "张三"),
        ("１４１０２１", "141021"),  # full-width digits
        ("ＡＢＣｘ", "ABCx"),  # full-width letters
        ("乐昌镇\u3000东北街村", "乐昌镇 东北街村"),  # ideographic space
        ("a \t\n b", "a b"),
        ("张\u200b三\ufeff", "张三"),  # zero-width characters
        ("\xa0x\xa0", "x"),
        (13800138000.0, "13800138000"),
        (12, "12"),
        (1.5, "1.5"),
        (None, ""),
        (D(2024, 3, 5), "2024-03-05"),
        (datetime.datetime(2024, 3, 5), "2024-03-05"),
    ],
)
def test_clean_text(raw, expected):
    assert clean_text(raw) == expected


# --- dates -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "2024-03-05",
        "2024/3/5",
        "2024.3.5",
        "2024年3月5日",
        "2024年03月05日",
        "20240305",
        "2024-03-05 00:00:00",
        "2024-03-05T08:30",
        " ２０２４－０３－０５ ",  # full-width
        "2024 年 3 月 5 日",
        D(2024, 3, 5),
        datetime.datetime(2024, 3, 5, 0, 0),
        45356,  # Excel serial
        45356.0,
        45356.75,  # a serial with a time of day
        "45356",  # a serial that lost its format in a CSV
        20240305,  # yyyymmdd typed into a number cell
    ],
)
def test_parse_date_forms(raw):
    assert parse_date(raw) == D(2024, 3, 5)


def test_excel_serials_around_the_1900_leap_bug():
    assert parse_date(1) == D(1900, 1, 1)
    assert parse_date(59) == D(1900, 2, 28)
    assert parse_date(61) == D(1900, 3, 1)
    with pytest.raises(CellError, match="1900-2-29"):
        parse_date(60)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("2024-02-30", "2024-2-30"),
        ("2023年2月29日", "2023-2-29"),
        ("20241301", "2024-13-1"),
        ("2024/13/01", "2024-13-1"),
        ("1850-01-01", "1900"),
        ("明天", "明天"),
        ("3/5/2024", "3/5/2024"),
        (True, ""),
    ],
)
def test_parse_date_rejects(raw, reason):
    with pytest.raises(CellError) as info:
        parse_date(raw)
    assert reason in str(info.value)


def test_parse_date_blank():
    assert parse_date(None) is None
    assert parse_date("  ") is None


def test_date_reasons_are_chinese():
    with pytest.raises(CellError) as info:
        parse_date("2024-02-30")
    assert str(info.value).startswith("没有这一天")


@pytest.mark.parametrize(
    "raw",
    ["2024-03", "2024/3", "2024.03", "2024年3月", "2024年03月份", "202403", 202403, "2024-03-17",
     D(2024, 3, 17), datetime.datetime(2024, 3, 31, 12), 45366],
)  # fmt: skip
def test_parse_month(raw):
    assert parse_month(raw) == D(2024, 3, 1)


@pytest.mark.parametrize("raw", ["2024-13", "202400", "三月", "2024年"])
def test_parse_month_rejects(raw):
    with pytest.raises(CellError):
        parse_month(raw)


# --- phones ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13800138000", "13800138000"),
        ("138 0013 8000", "13800138000"),
        ("138-0013-8000", "13800138000"),
        ("+86 138 0013 8000", "13800138000"),
        ("+8613800138000", "13800138000"),
        ("008613800138000", "13800138000"),
        ("１３８００１３８０００", "13800138000"),
        (13800138000.0, "13800138000"),
        ("0357-1234567", "0357-1234567"),
        ("(0357)1234567", "0357-1234567"),
        ("（0357）1234567", "0357-1234567"),
        ("03571234567", "0357-1234567"),
        ("010-12345678", "010-12345678"),
        ("01012345678", "010-12345678"),
        ("0357-1234567转123", "0357-1234567-123"),
    ],
)
def test_parse_phone(raw, expected):
    assert parse_phone(raw) == expected


@pytest.mark.parametrize("raw", ["12345678901", "1380013800", "23800138000", "abc", "0357-123"])
def test_parse_phone_rejects(raw):
    with pytest.raises(CellError) as info:
        parse_phone(raw)
    assert "电话" in str(info.value) or "手机" in str(info.value)


# --- booleans and numbers --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("是", True), ("否", False), ("有", True), ("无", False), ("Y", True), ("n", False),
     ("1", True), ("0", False), (1, True), (0.0, False), ("TRUE", True), ("false", False),
     ("ｙｅｓ", True), (True, True), (None, None), ("", None)],
)  # fmt: skip
def test_parse_bool(raw, expected):
    assert parse_bool(raw) is expected


def test_parse_bool_rejects():
    with pytest.raises(CellError) as info:
        parse_bool("也许")
    assert "也许" in str(info.value) and "是" in str(info.value) and "否" in str(info.value)


def test_parse_decimal():
    assert parse_decimal("1,234.50") == Decimal("1234.50")
    assert parse_decimal("¥ 88元") == Decimal("88")
    assert parse_decimal(12.3, decimal_places=2) == Decimal("12.30")
    assert parse_decimal(7) == Decimal(7)
    assert parse_decimal("  ") is None
    with pytest.raises(CellError):
        parse_decimal("十二")
    with pytest.raises(CellError):
        parse_decimal("1.234", decimal_places=2)
    with pytest.raises(CellError):
        parse_decimal("-1", minimum=0)
    with pytest.raises(CellError):
        parse_decimal("123456789", max_digits=10, decimal_places=2)


def test_parse_int():
    assert parse_int("1,200") == 1200
    assert parse_int("35人") == 35
    assert parse_int(35.0) == 35
    assert parse_int("35.0") == 35
    with pytest.raises(CellError):
        parse_int(3.5)
    with pytest.raises(CellError):
        parse_int("-1", minimum=0)
    with pytest.raises(CellError):
        parse_int("三十")


# --- reading tables --------------------------------------------------------------------------

KNOWN = ["姓名", "身份证号", "现居住地"]


def _xlsx(path, rows, *, sheet_title="Sheet1"):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet_title
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def test_header_below_a_title_row(tmp_path):
    path = _xlsx(
        tmp_path / "ledger.xlsx",
        [
            ["曲沃县实名制台账（2024年）"],
            [],
            ["序号", "姓名", "身份证号", "现居住地"],
            [1, "张三", "x", "东北街村"],
            [],
            [2, "李四", "y", "西南街村"],
        ],
    )
    table = read_table(path, known_headers=KNOWN)
    assert table.header_row == 3
    assert table.header == ["序号", "姓名", "身份证号", "现居住地"]
    # Row numbers are the sheet's; the empty row 5 is skipped.
    assert [n for n, _cells in table.rows] == [4, 6]
    assert table.rows[0][1] == [1, "张三", "x", "东北街村"]


def test_header_variants_are_normalised():
    assert normalize_header(" *身份证号（必填） ") == "身份证号"
    assert normalize_header("姓 名：") == "姓名"
    assert normalize_header("所在村（社区）") == "所在村(社区)"


def test_without_known_headers_the_first_row_is_the_header(tmp_path):
    path = _xlsx(tmp_path / "a.xlsx", [["a", "b"], [1, 2]])
    table = read_table(path)
    assert table.header == ["a", "b"] and table.rows == [(2, [1, 2])]


def test_cells_keep_their_types(tmp_path):
    path = tmp_path / "types.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet()
    ws.write_row(0, 0, ["姓名", "身份证号", "日期", "数"])
    ws.write_string(1, 0, "张三")
    ws.write_string(1, 1, "141021199001011234")
    ws.write_datetime(
        1, 2, datetime.datetime(2024, 3, 5), wb.add_format({"num_format": "yyyy/m/d"})
    )
    ws.write_number(1, 3, 45356)
    wb.close()
    table = read_table(path, known_headers=KNOWN)
    cells = table.rows[0][1]
    assert cells[0] == "张三" and cells[1] == "141021199001011234"
    assert parse_date(cells[2]) == D(2024, 3, 5)
    assert parse_date(cells[3]) == D(2024, 3, 5)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_encodings(tmp_path, encoding):
    text = "曲沃县台账\n姓名,身份证号,现居住地\n张三,141021199001011234,乐昌镇东北街村\n"
    path = tmp_path / "a.csv"
    path.write_bytes(text.encode(encoding))
    table = read_table(path, known_headers=KNOWN)
    assert table.header == ["姓名", "身份证号", "现居住地"]
    assert table.rows == [(3, ["张三", "141021199001011234", "乐昌镇东北街村"])]
    assert table.encoding == ("utf-8" if encoding.startswith("utf") else "gb18030")


def test_csv_from_an_upload_object():
    data = "姓名\t身份证号\n王五\t1\n".encode("gbk")
    table = read_table(io.BytesIO(data), "upload.CSV", known_headers=KNOWN)
    assert table.header == ["姓名", "身份证号"] and table.rows == [(2, ["王五", "1"])]


def test_empty_and_unreadable_files(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(TableError, match="空"):
        read_table(empty)
    header_only = tmp_path / "header.csv"
    header_only.write_text("姓名,身份证号\n\n", encoding="utf-8")
    with pytest.raises(TableError, match="没有数据"):
        read_table(header_only, known_headers=KNOWN)
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 this is not really a zip file")
    with pytest.raises(TableError):
        read_table(broken)
    with pytest.raises(TableError, match=r"\.pdf"):
        read_table(io.BytesIO(b"%PDF"), "scan.pdf")
    blank_sheet = _xlsx(tmp_path / "blank.xlsx", [])
    with pytest.raises(TableError):
        read_table(blank_sheet)


def test_ods_and_xlsm_suffixes_go_through_calamine(tmp_path):
    path = _xlsx(tmp_path / "a.xlsx", [["姓名", "身份证号"], ["张三", "1"]])
    xlsm = tmp_path / "a.xlsm"
    xlsm.write_bytes(path.read_bytes())
    assert read_table(xlsm, known_headers=KNOWN).rows == [(2, ["张三", "1"])]
