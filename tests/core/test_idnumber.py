from datetime import date

import pytest

from jiuye.core.idnumber import (
    IdNumberInfo,
    InvalidIdNumber,
    age_on,
    check_character,
    convert_15_to_18,
    is_valid_id_number,
    normalize_id_number,
    parse_id_number,
)

# The example in GB 11643-1999: Beijing Chaoyang (110105), 1949-12-31, sequence 002, check X.
STANDARD_EXAMPLE = "11010519491231002X"
TODAY = date(2025, 6, 1)


def test_standard_example_parses():
    info = parse_id_number(STANDARD_EXAMPLE, today=TODAY)
    assert info == IdNumberInfo(
        number=STANDARD_EXAMPLE,
        region_code6="110105",
        birth_date=date(1949, 12, 31),
        sex="2",
        converted_from_15=False,
    )


def test_info_is_frozen():
    info = parse_id_number(STANDARD_EXAMPLE, today=TODAY)
    with pytest.raises(AttributeError):
        info.number = "x"


@pytest.mark.parametrize(
    ("first17", "expected"),
    [
        ("11010519491231002", "X"),  # GB 11643-1999 example 1
        ("44052418800101001", "4"),  # GB 11643-1999 example 2
        ("13050319670401001", "6"),
        ("11010520000229001", "3"),
    ],
)
def test_check_character(first17, expected):
    assert check_character(first17) == expected


@pytest.mark.parametrize("bad", ["", "1101051949123100", "110105194912310021", "1101051949123100a"])
def test_check_character_needs_17_digits(bad):
    with pytest.raises(ValueError):
        check_character(bad)


def test_odd_sequence_is_male():
    info = parse_id_number("130503196704010016", today=TODAY)
    assert info.sex == "1"
    assert info.birth_date == date(1967, 4, 1)


def test_convert_15_to_18():
    assert convert_15_to_18("130503670401001") == "130503196704010016"


def test_convert_15_to_18_rejects_wrong_form():
    with pytest.raises(InvalidIdNumber) as excinfo:
        convert_15_to_18("13050367040100")
    assert excinfo.value.reason == "length"
    with pytest.raises(InvalidIdNumber) as excinfo:
        convert_15_to_18("13050367040100X")
    assert excinfo.value.reason == "characters"


def test_15_digit_number_parses_as_18():
    info = parse_id_number("130503670401001", today=TODAY)
    assert info.number == "130503196704010016"
    assert info.converted_from_15 is True
    assert info.birth_date == date(1967, 4, 1)
    assert info.sex == "1"


def test_15_digit_number_with_impossible_date():
    with pytest.raises(InvalidIdNumber) as excinfo:
        parse_id_number("130503670231001", today=TODAY)
    assert excinfo.value.reason == "birth_date"


@pytest.mark.parametrize(
    "raw",
    [
        "１１０１０５１９４９１２３１００２ｘ",  # full-width digits and letter
        "11010519491231002x",  # lower-case x
        " 110105 19491231 002X ",  # spaces
        "110105-19491231-002X",  # hyphens
        "\u3000110105\u300019491231002X\t",  # ideographic spaces, tab
    ],
)
def test_normalized_spellings(raw):
    assert normalize_id_number(raw) == STANDARD_EXAMPLE
    assert parse_id_number(raw, today=TODAY).number == STANDARD_EXAMPLE


def test_normalize_none():
    assert normalize_id_number(None) == ""


def test_leap_day_2000_is_valid():
    info = parse_id_number("110105200002290013", today=TODAY)
    assert info.birth_date == date(2000, 2, 29)


def test_leap_day_1990_is_not_a_date():
    # 19900229 does not exist; the check character is right for these 17 digits.
    number = "11010519900229001"
    number += check_character(number)
    with pytest.raises(InvalidIdNumber) as excinfo:
        parse_id_number(number, today=TODAY)
    assert excinfo.value.reason == "birth_date"


@pytest.mark.parametrize("date_part", ["19901301", "19900100", "19900431", "19900001"])
def test_impossible_dates(date_part):
    number = "110105" + date_part + "001"
    number += check_character(number)
    with pytest.raises(InvalidIdNumber) as excinfo:
        parse_id_number(number, today=TODAY)
    assert excinfo.value.reason == "birth_date"


def test_before_1900_is_rejected():
    # The second example of GB 11643-1999 (born 1880) has a correct check character but is
    # older than the 1900-01-01 floor.
    assert check_character("44052418800101001") == "4"
    with pytest.raises(InvalidIdNumber) as excinfo:
        parse_id_number("440524188001010014", today=TODAY)
    assert excinfo.value.reason == "birth_date"


def test_future_birth_date():
    number = "11010520240229002X"
    assert parse_id_number(number, today=date(2024, 2, 29)).birth_date == date(2024, 2, 29)
    with pytest.raises(InvalidIdNumber) as excinfo:
        parse_id_number(number, today=date(2024, 2, 28))
    assert excinfo.value.reason == "future_birth_date"


def test_today_defaults_to_the_real_today():
    assert parse_id_number(STANDARD_EXAMPLE).birth_date == date(1949, 12, 31)
    far_future = "110105299912310015"
    far_future = far_future[:17] + check_character(far_future[:17])
    with pytest.raises(InvalidIdNumber) as excinfo:
        parse_id_number(far_future)
    assert excinfo.value.reason == "future_birth_date"


BAD_PROVINCES = [f"{n:02d}" for n in (0, 10, 16, 20, 24, 30, 38, 47, 55, 66, 72, 80, 84, 91, 99)]
GOOD_PROVINCES = ["11", "15", "23", "37", "46", "54", "65", "71", "81", "82", "83"]


@pytest.mark.parametrize("prefix", BAD_PROVINCES)
def test_bad_province(prefix):
    number = prefix + "010519491231002"
    number += check_character(number)
    with pytest.raises(InvalidIdNumber) as excinfo:
        parse_id_number(number, today=TODAY)
    assert excinfo.value.reason == "region"


@pytest.mark.parametrize("prefix", GOOD_PROVINCES)
def test_good_provinces(prefix):
    number = prefix + "010519491231002"
    number += check_character(number)
    assert parse_id_number(number, today=TODAY).region_code6 == prefix + "0105"


def test_bad_check_digit():
    with pytest.raises(InvalidIdNumber) as excinfo:
        parse_id_number("110105194912310021", today=TODAY)
    assert excinfo.value.reason == "check_digit"
    assert str(excinfo.value) == str(excinfo.value.message)


def test_every_single_digit_change_is_caught():
    for position in range(17):
        for digit in "0123456789":
            if digit == STANDARD_EXAMPLE[position]:
                continue
            changed = STANDARD_EXAMPLE[:position] + digit + STANDARD_EXAMPLE[position + 1 :]
            assert not is_valid_id_number(changed), changed


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "length"),
        ("1101051949123100", "length"),
        ("11010519491231002X1", "length"),
        ("1101051949123100X2", "characters"),
        ("11010519491231002Y", "characters"),
        ("13050367040100X", "characters"),
        ("١١٠١٠٥١٩٤٩١٢٣١٠٠٢X", "characters"),  # Arabic-Indic digits are not digits here
    ],
)
def test_form_errors(raw, reason):
    with pytest.raises(InvalidIdNumber) as excinfo:
        parse_id_number(raw, today=TODAY)
    assert excinfo.value.reason == reason


def test_invalid_id_number_is_a_value_error_with_message():
    with pytest.raises(ValueError) as excinfo:
        parse_id_number("123", today=TODAY)
    assert excinfo.value.message
    assert str(excinfo.value)


def test_is_valid_id_number():
    assert is_valid_id_number(STANDARD_EXAMPLE)
    assert is_valid_id_number("130503670401001")
    assert not is_valid_id_number("110105194912310021")
    assert not is_valid_id_number("")


@pytest.mark.parametrize(
    ("birth", "day", "age"),
    [
        (date(1990, 6, 15), date(2020, 6, 14), 29),
        (date(1990, 6, 15), date(2020, 6, 15), 30),
        (date(1990, 6, 15), date(1990, 6, 15), 0),
        (date(2000, 2, 29), date(2018, 2, 28), 17),
        (date(2000, 2, 29), date(2018, 3, 1), 18),
        (date(2000, 2, 29), date(2020, 2, 29), 20),
    ],
)
def test_age_on(birth, day, age):
    assert age_on(birth, day) == age


def test_age_on_before_birth():
    with pytest.raises(ValueError):
        age_on(date(2000, 1, 2), date(2000, 1, 1))
