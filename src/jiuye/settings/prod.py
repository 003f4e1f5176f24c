"""Production: every secret must come from the environment; nothing is generated."""

from django.core.exceptions import ImproperlyConfigured

from jiuye.settings.base import *  # noqa: F403

for _name in ("JIUYE_SECRET_KEY", "JIUYE_FIELD_KEYS", "JIUYE_HASH_KEY"):
    if not os.environ.get(_name):  # noqa: F405
        raise ImproperlyConfigured(f"{_name} must be set in production")

DEBUG = False
SESSION_COOKIE_SECURE = env_bool("JIUYE_SECURE_COOKIES", True)  # noqa: F405
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
}
