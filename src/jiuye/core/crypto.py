"""Field encryption (Fernet, with key rotation) and blind indexes (HMAC-SHA256).

Settings:

* ``JIUYE_FIELD_KEYS``: Fernet keys, newest first. The first key encrypts; every key
  decrypts, so a new key goes in front and the old ones stay until ``rotate`` has rewritten
  every stored value.
* ``JIUYE_HASH_KEY``: the secret for blind indexes. Changing it invalidates every stored
  index, so it is not rotated.

Encrypted values cannot be searched. To look a value up, store ``blind_index`` of its
normalized form in a separate indexed column and filter on that.
"""

from __future__ import annotations

import functools
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django import forms
from django.conf import settings
from django.core.exceptions import FieldError, ImproperlyConfigured
from django.db import models

__all__ = [
    "DecryptionError",
    "EncryptedCharField",
    "blind_index",
    "decrypt",
    "encrypt",
    "rotate",
]


class DecryptionError(ValueError):
    """A token that none of the configured keys can decrypt (wrong key, or corrupted)."""


def _field_keys() -> tuple[str, ...]:
    keys = getattr(settings, "JIUYE_FIELD_KEYS", None)
    if isinstance(keys, str):
        keys = keys.split(",")
    keys = tuple(key.strip() for key in keys or () if key and key.strip())
    if not keys:
        raise ImproperlyConfigured(
            "JIUYE_FIELD_KEYS is not set: it must list one or more Fernet keys, newest first "
            "(generate one with cryptography.fernet.Fernet.generate_key())."
        )
    return keys


@functools.lru_cache(maxsize=16)
def _multi_fernet(keys: tuple[str, ...]) -> MultiFernet:
    fernets = []
    for position, key in enumerate(keys, start=1):
        try:
            fernets.append(Fernet(key))
        except (ValueError, TypeError):
            raise ImproperlyConfigured(
                f"JIUYE_FIELD_KEYS entry {position} is not a valid Fernet key "
                "(32 bytes, url-safe base64)."
            ) from None
    return MultiFernet(fernets)


def _fernet() -> MultiFernet:
    # Settings are read on every call, so override_settings takes effect at once; the
    # MultiFernet for a given tuple of keys is built only once.
    return _multi_fernet(_field_keys())


def _hash_key() -> bytes:
    key = getattr(settings, "JIUYE_HASH_KEY", None)
    if not key:
        raise ImproperlyConfigured(
            "JIUYE_HASH_KEY is not set: it must be a long random secret string for blind "
            "indexes (for example secrets.token_hex(32))."
        )
    return key.encode("utf-8") if isinstance(key, str) else bytes(key)


def encrypt(text: str) -> str:
    """A Fernet token (ASCII) for ``text``, made with the newest key; random each time."""
    return _fernet().encrypt(text.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    """The text inside ``token``; any configured key will do."""
    try:
        return _fernet().decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeEncodeError):
        raise DecryptionError(
            "The value cannot be decrypted with any key in JIUYE_FIELD_KEYS "
            "(was a key removed before its values were rotated?)."
        ) from None


def rotate(token: str) -> str:
    """``token`` re-encrypted with the newest key (decrypting with whichever key fits)."""
    try:
        return _fernet().rotate(token.encode("ascii")).decode("ascii")
    except (InvalidToken, UnicodeEncodeError):
        raise DecryptionError(
            "The value cannot be decrypted with any key in JIUYE_FIELD_KEYS, so it cannot "
            "be rotated."
        ) from None


def blind_index(value: str) -> str:
    """HMAC-SHA256 of ``value`` under ``JIUYE_HASH_KEY``, as 64 hex characters.

    Deterministic, so equal values give equal indexes: normalize ``value`` first (e.g. with
    ``normalize_id_number``) so that different spellings of one value match.
    """
    return hmac.new(_hash_key(), value.encode("utf-8"), hashlib.sha256).hexdigest()


class EncryptedCharField(models.TextField):
    """Text stored encrypted with ``JIUYE_FIELD_KEYS``; Python code sees the plain text.

    The column holds Fernet tokens, which are longer than the text and differ on every
    save, so the field cannot be filtered, ordered or made unique on: only ``isnull``
    works. Pair it with a blind-index column for lookups.
    """

    description = "Text encrypted at rest"

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(value)

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return decrypt(value)

    def get_lookup(self, lookup_name):
        if lookup_name == "isnull":
            return super().get_lookup(lookup_name)
        raise FieldError(
            f"{self.__class__.__name__} '{self.name}' is encrypted: the '{lookup_name}' lookup "
            "cannot work on it (only 'isnull' does). Filter on a blind-index field instead."
        )

    def get_transform(self, lookup_name):
        raise FieldError(
            f"{self.__class__.__name__} '{self.name}' is encrypted: the '{lookup_name}' "
            "transform cannot work on it. Filter on a blind-index field instead."
        )

    def formfield(self, **kwargs):
        # A single-line input, as for a CharField, rather than TextField's textarea.
        if self.choices is None:
            kwargs = {"widget": forms.TextInput, **kwargs}
        return super().formfield(**kwargs)
