import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import FieldError, ImproperlyConfigured
from django.db.models.lookups import IsNull
from django.test import override_settings

from jiuye.core import crypto
from jiuye.core.crypto import (
    DecryptionError,
    EncryptedCharField,
    blind_index,
    decrypt,
    encrypt,
    rotate,
)

OLD_KEY = Fernet.generate_key().decode()
NEW_KEY = Fernet.generate_key().decode()


def test_round_trip():
    for text in ["11010519491231002X", "张三", "", "a" * 1000]:
        assert decrypt(encrypt(text)) == text


def test_ciphertext_differs_each_time():
    first, second = encrypt("11010519491231002X"), encrypt("11010519491231002X")
    assert first != second
    assert "11010519491231002X" not in first
    assert first.isascii()


def test_rotated_key_list_still_decrypts_old_tokens():
    with override_settings(JIUYE_FIELD_KEYS=[OLD_KEY]):
        old_token = encrypt("secret")
    with override_settings(JIUYE_FIELD_KEYS=[NEW_KEY, OLD_KEY]):
        assert decrypt(old_token) == "secret"
        new_token = rotate(old_token)
        assert decrypt(new_token) == "secret"
        fresh = encrypt("fresh")
    # Rotated and fresh tokens use the new key only.
    with override_settings(JIUYE_FIELD_KEYS=[NEW_KEY]):
        assert decrypt(new_token) == "secret"
        assert decrypt(fresh) == "fresh"
        with pytest.raises(DecryptionError):
            decrypt(old_token)


def test_override_settings_switches_keys():
    with override_settings(JIUYE_FIELD_KEYS=[OLD_KEY]):
        token = encrypt("x")
    with override_settings(JIUYE_FIELD_KEYS=[NEW_KEY]), pytest.raises(DecryptionError):
        decrypt(token)
    with override_settings(JIUYE_FIELD_KEYS=[OLD_KEY]):
        assert decrypt(token) == "x"


def test_keys_as_comma_separated_string():
    with override_settings(JIUYE_FIELD_KEYS=[OLD_KEY]):
        token = encrypt("x")
    with override_settings(JIUYE_FIELD_KEYS=f"{NEW_KEY}, {OLD_KEY}"):
        assert decrypt(token) == "x"


def test_multi_fernet_is_cached_per_key_tuple():
    with override_settings(JIUYE_FIELD_KEYS=[NEW_KEY, OLD_KEY]):
        assert crypto._fernet() is crypto._fernet()
    with override_settings(JIUYE_FIELD_KEYS=[OLD_KEY]):
        other = crypto._fernet()
    with override_settings(JIUYE_FIELD_KEYS=[NEW_KEY, OLD_KEY]):
        assert crypto._fernet() is not other


def test_garbage_token():
    with pytest.raises(DecryptionError):
        decrypt("not-a-token")
    with pytest.raises(DecryptionError):
        decrypt("密文")
    with pytest.raises(DecryptionError):
        rotate("not-a-token")


@pytest.mark.parametrize("keys", [None, [], "", [""]])
def test_missing_field_keys(keys):
    with override_settings(JIUYE_FIELD_KEYS=keys), pytest.raises(ImproperlyConfigured) as excinfo:
        encrypt("x")
    assert "JIUYE_FIELD_KEYS" in str(excinfo.value)


def test_bad_field_key():
    with (
        override_settings(JIUYE_FIELD_KEYS=[NEW_KEY, "not-a-fernet-key"]),
        pytest.raises(ImproperlyConfigured) as excinfo,
    ):
        encrypt("x")
    assert "entry 2" in str(excinfo.value)


def test_blind_index_is_stable_and_hex():
    first = blind_index("11010519491231002X")
    assert first == blind_index("11010519491231002X")
    assert len(first) == 64
    int(first, 16)
    assert first != blind_index("11010519491231002x")


def test_blind_index_known_value():
    # HMAC-SHA256("11010519491231002X") under the test settings' key, computed independently.
    import hashlib
    import hmac

    expected = hmac.new(
        b"test-hash-key-0123456789abcdef", b"11010519491231002X", hashlib.sha256
    ).hexdigest()
    with override_settings(JIUYE_HASH_KEY="test-hash-key-0123456789abcdef"):
        assert blind_index("11010519491231002X") == expected


def test_blind_index_depends_on_key():
    with override_settings(JIUYE_HASH_KEY="one-key"):
        one = blind_index("value")
    with override_settings(JIUYE_HASH_KEY="another-key"):
        another = blind_index("value")
    assert one != another


def test_blind_index_with_settings_fixture(settings):
    settings.JIUYE_HASH_KEY = "fixture-key"
    first = blind_index("value")
    settings.JIUYE_HASH_KEY = "fixture-key-2"
    assert blind_index("value") != first


@pytest.mark.parametrize("key", [None, ""])
def test_missing_hash_key(key):
    with override_settings(JIUYE_HASH_KEY=key), pytest.raises(ImproperlyConfigured) as excinfo:
        blind_index("x")
    assert "JIUYE_HASH_KEY" in str(excinfo.value)


def test_field_round_trip():
    field = EncryptedCharField()
    stored = field.get_prep_value("11010519491231002X")
    assert stored != "11010519491231002X"
    assert decrypt(stored) == "11010519491231002X"
    assert field.from_db_value(stored, None, None) == "11010519491231002X"
    assert field.get_prep_value("11010519491231002X") != stored


def test_field_round_trip_after_key_rotation():
    field = EncryptedCharField()
    with override_settings(JIUYE_FIELD_KEYS=[OLD_KEY]):
        stored = field.get_prep_value("张三")
    with override_settings(JIUYE_FIELD_KEYS=[NEW_KEY, OLD_KEY]):
        assert field.from_db_value(stored, None, None) == "张三"


@pytest.mark.parametrize("value", [None, ""])
def test_field_passes_none_and_empty_through(value):
    field = EncryptedCharField(null=True, blank=True)
    assert field.get_prep_value(value) == value
    assert field.from_db_value(value, None, None) == value


def test_field_converts_non_strings():
    field = EncryptedCharField()
    assert field.from_db_value(field.get_prep_value(12345), None, None) == "12345"


def test_field_lookups():
    field = EncryptedCharField()
    field.name = "id_number"
    assert field.get_lookup("isnull") is IsNull
    for name in ("exact", "iexact", "contains", "startswith", "in", "gt"):
        with pytest.raises(FieldError, match="blind-index"):
            field.get_lookup(name)
    with pytest.raises(FieldError, match="encrypted"):
        field.get_transform("lower")


def test_field_deconstructs():
    field = EncryptedCharField(null=True, blank=True, verbose_name="ID number")
    _name, path, args, kwargs = field.deconstruct()
    assert path == "jiuye.core.crypto.EncryptedCharField"
    assert args == []
    assert kwargs == {"null": True, "blank": True, "verbose_name": "ID number"}
    clone = EncryptedCharField(*args, **kwargs)
    assert clone.null and clone.blank


def test_field_is_serializable_by_migrations():
    from django.db.migrations.writer import MigrationWriter

    text, imports = MigrationWriter.serialize(EncryptedCharField(null=True))
    assert text == "jiuye.core.crypto.EncryptedCharField(null=True)"
    assert "import jiuye.core.crypto" in imports


def test_field_formfield_is_single_line():
    from django import forms

    formfield = EncryptedCharField(max_length=18).formfield()
    assert isinstance(formfield.widget, forms.TextInput)
    assert formfield.max_length == 18
