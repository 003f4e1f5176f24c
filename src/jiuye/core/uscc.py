"""Unified social credit codes (统一社会信用代码) per GB 32100-2015 and its amendment No. 1.

18 characters from ``0-9 A-Z`` without I, O, Z, S and V:

* position 1, registration authority (登记管理部门代码);
* position 2, organization type (机构类别代码), from the authority's own list;
* positions 3-8, administrative division of the registering authority (GB/T 2260);
* positions 9-17, subject identifier (主体标识码), an organization code per GB 11714-1997
  whose 9th character is itself a check character;
* position 18, check character (MOD 31).
"""

from __future__ import annotations

import re
import unicodedata

from django.utils.translation import gettext_lazy as _

__all__ = [
    "AUTHORITY_TYPES",
    "CHARSET",
    "InvalidUSCC",
    "is_valid_uscc",
    "normalize_uscc",
    "organization_code_check_character",
    "uscc_check_character",
    "validate_uscc",
]

CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUES = {char: value for value, char in enumerate(CHARSET)}
_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

# GB 32100-2015 amendment No. 1 (2016): registration authority → its organization types.
AUTHORITY_TYPES: dict[str, str] = {
    "1": "1239",  # 机构编制: 机关, 事业单位, 中央编办直管群众团体, 其他
    "2": "19",  # 外交: 外国常驻新闻机构, 其他
    "3": "123459",  # 司法行政: 律师执业机构, 公证处, 基层法律服务所, 司法鉴定机构, 仲裁委员会, 其他
    "4": "19",  # 文化: 外国在华文化中心, 其他
    "5": "1239",  # 民政: 社会团体, 民办非企业单位, 基金会, 其他
    "6": "129",  # 旅游: 外国旅游部门常驻代表机构, 港澳台旅游部门常驻代表机构, 其他
    "7": "129",  # 宗教: 宗教活动场所, 宗教院校, 其他
    "8": "19",  # 工会: 基层工会, 其他
    "9": "123",  # 工商: 企业, 个体工商户, 农民专业合作社
    "A": "19",  # 中央军委改革和编制办公室: 军队事业单位, 其他
    "N": "1239",  # 农业: 组级, 村级, 乡镇级集体经济组织, 其他
    "Y": "1",  # 其他 (no further types)
}

# GB 11714-1997: weights for the first 8 characters of an organization code.
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_ORG_PATTERN = re.compile(r"[0-9A-Z]{8}")

_MESSAGES = {
    "length": _("A unified social credit code has 18 characters."),
    "characters": _(
        "A unified social credit code has only digits and capital letters other than "
        "I, O, Z, S and V."
    ),
    "authority": _("The first character of the code is not a registration authority code."),
    "type": _("The second character of the code is not a valid organization type."),
    "region": _("Characters 3 to 8 of the code must be a six-digit administrative division code."),
    "organization_code": _("The organization code inside the code (characters 9 to 17) is wrong."),
    "check_digit": _("The check character of the code is wrong. Please check the code."),
}


class InvalidUSCC(ValueError):
    """A code that fails a rule of GB 32100; ``reason`` says which, briefly."""

    def __init__(self, reason: str, message=None):
        self.reason = reason
        self.message = message if message is not None else _MESSAGES[reason]
        super().__init__(self.message)

    def __str__(self) -> str:
        return str(self.message)


def normalize_uscc(raw: str) -> str:
    """Full-width to half-width (NFKC), drop whitespace, upper-case."""
    if raw is None:
        return ""
    text = unicodedata.normalize("NFKC", str(raw))
    return "".join(text.split()).upper()


def uscc_check_character(first17: str) -> str:
    """The 18th character: (31 − Σ(value·weight) mod 31) mod 31, back in the charset."""
    if len(first17) != 17 or any(char not in _VALUES for char in first17):
        raise ValueError("uscc_check_character needs 17 characters from the GB 32100 charset")
    total = sum(_VALUES[char] * weight for char, weight in zip(first17, _WEIGHTS, strict=True))
    return CHARSET[(31 - total % 31) % 31]


def organization_code_check_character(first8: str) -> str:
    """GB 11714-1997: C9 = 11 − Σ(value·weight) mod 11, with 10 → ``X`` and 11 → ``0``.

    Digits count as 0-9 and letters A-Z as 10-35.
    """
    if not _ORG_PATTERN.fullmatch(first8):
        raise ValueError("organization_code_check_character needs 8 characters 0-9 or A-Z")
    total = sum(int(char, 36) * weight for char, weight in zip(first8, _ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    if check == 10:
        return "X"
    if check == 11:
        return "0"
    return str(check)


def validate_uscc(raw: str) -> str:
    """The normalized code if ``raw`` follows GB 32100; otherwise raise ``InvalidUSCC``."""
    code = normalize_uscc(raw)
    if len(code) != 18:
        raise InvalidUSCC("length")
    if any(char not in _VALUES for char in code):
        raise InvalidUSCC("characters")
    types = AUTHORITY_TYPES.get(code[0])
    if types is None:
        raise InvalidUSCC("authority")
    if code[1] not in types:
        raise InvalidUSCC("type")
    if not code[2:8].isdigit():
        raise InvalidUSCC("region")
    if uscc_check_character(code[:17]) != code[17]:
        raise InvalidUSCC("check_digit")
    if organization_code_check_character(code[8:16]) != code[16]:
        raise InvalidUSCC("organization_code")
    return code


def is_valid_uscc(raw: str) -> bool:
    try:
        validate_uscc(raw)
    except InvalidUSCC:
        return False
    return True
