"""Logins, logouts and failed logins go into the audit log too."""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from jiuye.core import audit


@receiver(user_logged_in)
def _logged_in(sender, request, user, **kwargs):
    audit.record(actor=user, action="auth.login", obj=user, region_code=user.home_region_code)


@receiver(user_logged_out)
def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        audit.record(actor=user, action="auth.logout", obj=user, region_code=user.home_region_code)


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs):
    username = (credentials or {}).get("username", "")
    audit.record(
        actor=None,
        action="auth.login_failed",
        object_type="accounts.user",
        object_repr=str(username)[:150],
    )
