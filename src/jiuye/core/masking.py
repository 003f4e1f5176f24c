"""Masking personal data for display: ID numbers, phone numbers and names.

Every function accepts ``None`` or an empty value and returns ``""``. The output keeps the
length of what it hides, so a masked value still looks like the kind of value it was.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["mask_id_number", "mask_name", "mask_phone"]

# Two-character surnames (复姓) common enough to keep whole when masking a name.
_COMPOUND_SURNAMES_TEXT = (
    "欧阳 司马 上官 诸葛 东方 皇甫 尉迟 公孙 慕容 长孙 宇文 司徒 令狐 夏侯 "
    "轩辕 端木 独孤 南宫 西门 百里 呼延 澹台 公冶 太史 申屠 闻人 万俟 赫连 "
    "钟离 宗政 濮阳 淳于 单于 仲孙 东郭 拓跋 司空 鲜于 闾丘 第五 左丘 谷梁 "
    "公羊 梁丘 羊舌 微生 乐正 漆雕 壤驷 夹谷 巫马 颛孙 亓官 司寇 段干 子车 "
    "完颜"
)
_COMPOUND_SURNAMES = frozenset(_COMPOUND_SURNAMES_TEXT.split())
# Separators inside a name that stay visible (e.g. 买买提·艾力, transliterated names).
_NAME_SEPARATORS = frozenset("·•・. -")

_MOBILE = re.compile(r"1[0-9]{10}")
# Mainland area codes: 010 and 02X have three digits, the rest four (0xxx).
_AREA_3 = re.compile(r"0(?:10|2[0-9])")
_DIGITS = re.compile(r"[0-9]+")
_COUNTRY_CODE = re.compile(r"(?:\+|00)\s*86[\s\-]*")
_EXTENSION_MARK = re.compile(r"\s*(?:转|分机|ext\.?|x|#)\s*([0-9]+)\s*$", re.IGNORECASE)


def _text(value) -> str:
    if value is None:
        return ""
    return str(value).strip()


def mask_id_number(number) -> str:
    """Keep the first 4 and last 4 characters: ``1401**********1234``."""
    text = _text(number)
    if len(text) <= 8:
        return "*" * len(text)
    return text[:4] + "*" * (len(text) - 8) + text[-4:]


def _mask_tail(digits: str) -> str:
    """Mask a local number (no area code), keeping a few of its last digits."""
    if len(digits) >= 7:
        keep = 4
    elif len(digits) >= 4:
        keep = 2
    else:
        keep = 0
    return "*" * (len(digits) - keep) + digits[len(digits) - keep :]


def mask_phone(phone) -> str:
    """Mobile numbers as ``138****5678``; landlines keep the area code: ``010-****5678``.

    A ``+86``/``0086`` country code stays in front as ``+86``; an extension is hidden
    entirely; other numbers keep only their last digits.
    """
    text = unicodedata.normalize("NFKC", _text(phone))
    if not text:
        return ""
    prefix = ""
    body = text
    country = _COUNTRY_CODE.match(body)
    if country:
        prefix, body = "+86 ", body[country.end() :]

    extension = ""
    marked = _EXTENSION_MARK.search(body)
    if marked:
        extension, body = marked.group(1), body[: marked.start()]
    else:
        parts = [part for part in body.split("-") if part.strip()]
        if len(parts) >= 3 and parts[0].strip().startswith("0"):
            tail = parts[-1].strip()
            if tail.isdigit() and len(tail) <= 6:
                extension, body = tail, "-".join(parts[:-1])

    digits = "".join(_DIGITS.findall(body))
    if not digits:
        return "*" * len(text)
    if (
        not prefix
        and len(digits) == 13
        and digits.startswith("86")
        and _MOBILE.fullmatch(digits[2:])
    ):
        prefix, digits = "+86 ", digits[2:]

    if _MOBILE.fullmatch(digits) and not extension:
        return prefix + digits[:3] + "****" + digits[-4:]

    area = ""
    if digits.startswith("0") and len(digits) >= 10:
        area = digits[:3] if _AREA_3.match(digits) else digits[:4]
    masked = (area + "-" if area else "") + _mask_tail(digits[len(area) :])
    if extension:
        masked += "-" + "*" * len(extension)
    return prefix + masked


def mask_name(name) -> str:
    """Keep the surname and hide the given name: ``张*``, ``欧阳**``, ``买**·**``.

    A compound surname (欧阳, 司马, …) is kept whole when the name is longer than it;
    otherwise only the first character stays. A one-character name is hidden entirely.
    """
    text = _text(name)
    if not text:
        return ""
    if len(text) == 1:
        return "*"
    keep = 2 if text[:2] in _COMPOUND_SURNAMES and len(text) > 2 else 1
    return text[:keep] + "".join(char if char in _NAME_SEPARATORS else "*" for char in text[keep:])
