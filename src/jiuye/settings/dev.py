"""Local development and the demo: SQLite by default, debug on, keys generated on first use."""

from jiuye.settings.base import *  # noqa: F403
from jiuye.settings.secrets import ensure_local_secrets

DEBUG = env_bool("JIUYE_DEBUG", True)  # noqa: F405
_secrets = ensure_local_secrets(VAR_DIR)  # noqa: F405
SECRET_KEY = SECRET_KEY or _secrets["JIUYE_SECRET_KEY"]  # noqa: F405
JIUYE_FIELD_KEYS = JIUYE_FIELD_KEYS or [_secrets["JIUYE_FIELD_KEYS"]]  # noqa: F405
JIUYE_HASH_KEY = JIUYE_HASH_KEY or _secrets["JIUYE_HASH_KEY"]  # noqa: F405
# The demo serves static files straight from the apps (no collectstatic step).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
