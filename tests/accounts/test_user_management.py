import pytest

from jiuye.accounts import actions
from jiuye.accounts.models import Role, User
from jiuye.core.errors import JiuyeError
from jiuye.core.models import AuditLog


def test_county_admin_creates_a_village_user(staff, client_for):
    admin = client_for(staff["county_admin"])
    response = admin.post(
        "/accounts/users/new/",
        {
            "username": "dh_worker",
            "full_name": "王芳",
            "phone": "13800000000",
            "home_region_code": "141021100200",
            "role": Role.OPERATOR,
            "password": "Donghan-2026-a",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(username="dh_worker")
    assert user.check_password("Donghan-2026-a")
    assert list(user.role_assignments.values_list("role", "region_code")) == [
        (Role.OPERATOR, "141021100200")
    ]
    rows = AuditLog.objects.filter(object_repr__contains="王芳").values_list("action", flat=True)
    assert "accounts.user.create" in rows
    assign = AuditLog.objects.get(action="accounts.role.assign", after__user="dh_worker")
    assert assign.actor == staff["county_admin"] and assign.region_code == "141021100200"


def test_county_admin_cannot_create_users_elsewhere(staff, client_for):
    admin = client_for(staff["county_admin"])
    response = admin.post(
        "/accounts/users/new/",
        {
            "username": "sneaky",
            "full_name": "越权",
            "home_region_code": "141081000000",
            "role": Role.SYSADMIN,
            "password": "Sneaky-2026-abc",
        },
    )
    assert response.status_code == 200
    assert not User.objects.filter(username="sneaky").exists()


def test_role_cannot_reach_above_the_admins_region(staff):
    with pytest.raises(JiuyeError) as err:
        actions.assign_role(
            actor=staff["county_admin"],
            user=staff["township_operator"],
            role=Role.SYSADMIN,
            region_code="140000000000",
        )
    assert err.value.code == "out_of_scope"
    assert (
        not staff["township_operator"].role_assignments.filter(region_code="140000000000").exists()
    )


def test_update_and_deactivate_are_audited(staff, client_for):
    admin = client_for(staff["county_admin"])
    target = staff["township_operator"]
    admin.post(
        f"/accounts/users/{target.pk}/update/",
        {"full_name": "李四", "phone": "", "email": "", "home_region_code": "141021100000"},
    )
    admin.post(f"/accounts/users/{target.pk}/active/", {"active": "0"})
    target.refresh_from_db()
    assert target.full_name == "李四" and not target.is_active
    update = AuditLog.objects.get(action="accounts.user.update", object_id=str(target.pk))
    assert update.after == {"full_name": "李四"}
    assert AuditLog.objects.filter(action="accounts.user.deactivate").exists()


def test_admin_cannot_disable_themselves(staff):
    with pytest.raises(JiuyeError):
        actions.set_user_active(
            actor=staff["county_admin"], user=staff["county_admin"], active=False
        )


def test_revoke_role(staff, client_for):
    admin = client_for(staff["county_admin"])
    target = staff["township_operator"]
    assignment = target.role_assignments.get()
    admin.post(f"/accounts/users/{target.pk}/roles/{assignment.pk}/revoke/")
    assert not target.role_assignments.exists()
    assert AuditLog.objects.filter(action="accounts.role.revoke").exists()


def test_api_token_lifecycle(staff, client_for):
    admin = staff["county_admin"]
    row, clear = actions.create_api_token(
        actor=admin, user=staff["county_operator"], name="社保对接"
    )
    assert clear.startswith("jy_") and row.digest != clear
    client = client_for(staff["county_operator"]).__class__()  # anonymous
    headers = {"HTTP_AUTHORIZATION": f"Bearer {clear}"}
    assert client.get("/api/accounts/me", **headers).json()["username"] == "qw_operator"
    assert client.get("/api/accounts/me", HTTP_X_API_TOKEN=clear).status_code == 200
    actions.revoke_api_token(actor=admin, token=row)
    response = client.get("/api/accounts/me", **headers)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    actions_logged = set(AuditLog.objects.values_list("action", flat=True))
    assert {"accounts.token.create", "accounts.token.revoke"} <= actions_logged


def test_create_api_token_command(staff):
    import io

    from django.core.management import call_command
    from django.test import Client

    out = io.StringIO()
    call_command("create_api_token", "qw_operator", "社保系统对接", stdout=out)
    token = out.getvalue().strip()
    response = Client().get("/api/regions/", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200
    assert [r["code"] for r in response.json()] == ["141021000000"]
