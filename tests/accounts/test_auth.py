import pytest
from django.test import Client
from tests.conftest import PASSWORD

from jiuye.accounts.models import User
from jiuye.core.models import AuditLog


def _login(client, username, password):
    return client.post("/accounts/login/", {"username": username, "password": password})


def test_login_and_logout_are_audited(staff):
    client = Client()
    response = _login(client, "qw_operator", PASSWORD)
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/").status_code == 200
    client.post("/accounts/logout/")
    assert client.get("/").status_code == 302  # back to the login page
    actions = list(
        AuditLog.objects.filter(actor_username="qw_operator").values_list("action", flat=True)
    )
    assert set(actions) == {"auth.login", "auth.logout"}


def test_pages_need_login(regions):
    response = Client().get("/regions/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_lockout_after_repeated_failures(staff, settings):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, "qw_operator", "wrong-password-1")
    # Even the right password is refused now.
    response = _login(client, "qw_operator", PASSWORD)
    assert response.status_code == 429
    assert "qw_operator" not in str(client.session.get("_auth_user_id", ""))
    assert AuditLog.objects.filter(action="auth.login_failed").count() >= 3
    # Another user is not affected (lockout is per username).
    assert _login(Client(), "qw_reviewer", PASSWORD).status_code == 302


def test_admin_can_clear_the_lock(staff, settings, client_for):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(Client(), "qw_operator", "wrong-password-1")
    admin = client_for(staff["county_admin"])
    admin.post(f"/accounts/users/{staff['county_operator'].pk}/unlock/")
    assert _login(Client(), "qw_operator", PASSWORD).status_code == 302
    assert AuditLog.objects.filter(action="accounts.user.unlock").exists()


def test_session_expires(staff, settings):
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE
    client = Client()
    _login(client, "qw_operator", PASSWORD)
    session = client.session
    session.set_expiry(-1)  # as if the 30 idle minutes had passed
    session.save()
    assert client.get("/").status_code == 302


@pytest.mark.parametrize(
    "password, ok",
    [
        ("short1", False),  # too short
        ("abcdefghijkl", False),  # no digit
        ("12345678901234", False),  # digits only
        ("password123", False),  # common
        ("Jinzhong-2026-x", True),
    ],
)
def test_password_rules(staff, client_for, password, ok):
    admin = client_for(staff["county_admin"])
    target = staff["township_operator"]
    admin.post(f"/accounts/users/{target.pk}/password/", {"password": password})
    target = User.objects.get(pk=target.pk)
    assert target.check_password(password) is ok
