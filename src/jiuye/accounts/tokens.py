"""Bearer tokens for other systems. The clear token is shown once; only its digest is kept."""

from __future__ import annotations

import datetime
import hashlib
import secrets

from django.utils import timezone

TOKEN_PREFIX = "jy_"


def digest_of(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def user_for_token(token: str):
    from jiuye.accounts.models import ApiToken

    if not token or not token.startswith(TOKEN_PREFIX):
        return None
    row = (
        ApiToken.objects.select_related("user")
        .filter(digest=digest_of(token), revoked_at__isnull=True)
        .first()
    )
    if row is None or not row.user.is_active:
        return None
    now = timezone.now()
    if row.expires_at is not None and row.expires_at <= now:
        return None
    # "Last used" to the minute for administrators, without a write on every request.
    if row.last_used_at is None or now - row.last_used_at >= datetime.timedelta(minutes=1):
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
    return row.user
