import pytest

from jiuye.core.uscc import (
    AUTHORITY_TYPES,
    CHARSET,
    InvalidUSCC,
    is_valid_uscc,
    normalize_uscc,
    organization_code_check_character,
    uscc_check_character,
    validate_uscc,
)

# Real codes. Each passes both the GB 32100 check (1 in 31 by chance) and the embedded
# GB 11714 check (1 in 11 by chance).
REAL_CODES = [
    "91350100M000100Y43",  # Fuzhou (350100), organization code assigned after 2015 (M...)
    "91440300708461136T",  # 深圳市腾讯计算机系统有限公司
    "914403001922038216",  # 华为技术有限公司
    "91110000802100433B",  # 北京百度网讯科技有限公司
    "91110108551385082Q",  # 北京小米科技有限责任公司
    "91330100716105852F",  # an enterprise registered in Hangzhou (330100)
    "12100000470095016Q",  # 浙江大学 (authority 1 机构编制, type 2 事业单位)
    "12100000425006117P",  # 复旦大学
    "12220000X05293527B",  # a Jilin public institution (organization code starting with X)
    "92500105MAC817EJ5D",  # an individual business in Chongqing (authority 9, type 2)
    "91230184MA1BUFLT44",  # an enterprise in Heilongjiang, MA-series organization code
]


@pytest.mark.parametrize("code", REAL_CODES)
def test_real_codes_are_valid(code):
    assert validate_uscc(code) == code
    assert is_valid_uscc(code)


@pytest.mark.parametrize("code", REAL_CODES)
def test_real_codes_pass_the_organization_code_check(code):
    assert organization_code_check_character(code[8:16]) == code[16]


@pytest.mark.parametrize("code", REAL_CODES)
def test_check_character_of_real_codes(code):
    assert uscc_check_character(code[:17]) == code[17]


@pytest.mark.parametrize("code", REAL_CODES)
def test_every_one_character_change_is_invalid(code):
    for position in range(18):
        for char in CHARSET:
            if char == code[position]:
                continue
            changed = code[:position] + char + code[position + 1 :]
            assert not is_valid_uscc(changed), changed


def test_adjacent_transposition_is_caught():
    code = "91440300708461136T"
    for position in range(17):
        swapped = code[:position] + code[position + 1] + code[position] + code[position + 2 :]
        if swapped != code:
            assert not is_valid_uscc(swapped), swapped


@pytest.mark.parametrize("letter", "IOZSV")
def test_excluded_letters_are_rejected(letter):
    code = "91440300708461136T"
    for position in (1, 10, 17):
        changed = code[:position] + letter + code[position + 1 :]
        with pytest.raises(InvalidUSCC) as excinfo:
            validate_uscc(changed)
        assert excinfo.value.reason == "characters"


@pytest.mark.parametrize(
    "raw",
    [
        "91440300708461136t",
        " 9144 0300 7084 6113 6T ",
        "\u300091440300708461136T\u3000",
        "９１４４０３００７０８４６１１３６Ｔ",
    ],
)
def test_normalization(raw):
    assert normalize_uscc(raw) == "91440300708461136T"
    assert validate_uscc(raw) == "91440300708461136T"


def test_normalize_none():
    assert normalize_uscc(None) == ""


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "length"),
        ("91440300708461136", "length"),
        ("91440300708461136TT", "length"),
        ("91440300708461136-", "characters"),
        ("B1440300708461136T", "authority"),  # B is not a registration authority
        ("04440300708461136T", "authority"),
        ("94440300708461136T", "type"),  # 工商 has types 1, 2, 3 only
        ("99440300708461136T", "type"),
        ("Y2440300708461136T", "type"),  # Y has type 1 only
        ("9144A300708461136T", "region"),
        ("91440300708461136A", "check_digit"),
    ],
)
def test_reasons(raw, reason):
    with pytest.raises(InvalidUSCC) as excinfo:
        validate_uscc(raw)
    assert excinfo.value.reason == reason
    assert str(excinfo.value)


def test_organization_code_error_when_overall_check_passes():
    # Break the organization code's own check character, then recompute position 18 so
    # that only the GB 11714 rule fails.
    first16 = "91440300708461136T"[:16]
    wrong = "0" if organization_code_check_character(first16[8:]) != "0" else "1"
    first17 = first16 + wrong
    code = first17 + uscc_check_character(first17)
    with pytest.raises(InvalidUSCC) as excinfo:
        validate_uscc(code)
    assert excinfo.value.reason == "organization_code"


@pytest.mark.parametrize(("authority", "types"), sorted(AUTHORITY_TYPES.items()))
def test_every_authority_and_type_from_the_table(authority, types):
    for type_code in CHARSET:
        first17 = authority + type_code + "440300708461136"
        code = first17 + uscc_check_character(first17)
        assert is_valid_uscc(code) is (type_code in types), code


def test_authority_list_is_the_gb_32100_list():
    assert set(AUTHORITY_TYPES) == set("123456789ANY")


@pytest.mark.parametrize(
    ("first8", "expected"),
    [
        ("70846113", "6"),
        ("19220382", "1"),
        ("M000100Y", "4"),
        ("X0529352", "7"),
        ("00000000", "0"),  # 11 - 0 = 11 → "0"
    ],
)
def test_organization_code_check_character(first8, expected):
    assert organization_code_check_character(first8) == expected


def test_organization_code_check_character_maps_10_to_x():
    # Find a code body whose remainder is 1 (11 - 1 = 10 → X) rather than hard-coding one.
    for n in range(100):
        first8 = f"{n:08d}"
        if organization_code_check_character(first8) == "X":
            break
    else:
        pytest.fail("no code body with check X among the first 100")
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    assert sum(int(c) * w for c, w in zip(first8, weights, strict=True)) % 11 == 1


@pytest.mark.parametrize("bad", ["", "9144030070846113", "9144030070846113IT", "914403007084611_6"])
def test_uscc_check_character_rejects_bad_input(bad):
    with pytest.raises(ValueError):
        uscc_check_character(bad)


def test_check_character_zero_case():
    # When the weighted sum is a multiple of 31 the check is "0" (31 mod 31), not an
    # index past the end of the charset. Position 17 has weight 28, coprime to 31, so
    # exactly one character there makes the sum a multiple of 31.
    weights = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
    zeros = []
    for char in CHARSET:
        first17 = "9144030070846113" + char
        total = sum(CHARSET.index(c) * w for c, w in zip(first17, weights, strict=True))
        if total % 31 == 0:
            zeros.append(first17)
            assert uscc_check_character(first17) == "0"
        else:
            assert uscc_check_character(first17) != "0"
    assert len(zeros) == 1
