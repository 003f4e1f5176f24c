"""The test suite: SQLite in memory unless DATABASE_URL names PostgreSQL; fixed test keys."""

from jiuye.settings.base import *  # noqa: F403

DEBUG = False
SECRET_KEY = "test-only-secret-key-not-for-production-use-0123456789"
# Test keys are fixed so failures reproduce; never used outside the suite.
JIUYE_FIELD_KEYS = ["Qk5Bd2l6ZW1tRjNqV0t1R2g1T3RqbW1oUlFOb3N0bjA="]
JIUYE_HASH_KEY = "test-hash-key-0123456789abcdef"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"] = {  # noqa: F405
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": ":memory:",
        "TEST": {"NAME": ":memory:"},
    }
ALLOWED_HOSTS = ["*"]
AXES_FAILURE_LIMIT = 3
LOGGING["root"]["level"] = "WARNING"  # noqa: F405
# Serve static files straight from the apps (no collectstatic step in tests).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
