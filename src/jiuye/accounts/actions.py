"""Writes on accounts. Each action is atomic, checks the actor's scope and leaves an audit row."""

from __future__ import annotations

import datetime

from axes.utils import reset as axes_reset
from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jiuye.accounts import tokens
from jiuye.accounts.models import ApiToken, Role, RoleAssignment, User
from jiuye.accounts.permissions import Perm
from jiuye.accounts.scoping import forget_scopes, scope_for
from jiuye.core import audit
from jiuye.core.errors import ErrorCode, JiuyeError, PermissionDeniedError

USER_AUDIT_FIELDS = ["username", "full_name", "phone", "email", "home_region_code", "is_active"]


def _require_region_in_scope(actor, region_code: str) -> str:
    from jiuye.regions.selectors import require_region

    return require_region(actor, region_code, Perm.MANAGE_USERS)


def _require_manages(actor, user: User) -> None:
    if not scope_for(actor, Perm.MANAGE_USERS).contains(user.home_region_code or ""):
        raise PermissionDeniedError()


@transaction.atomic
def create_user(
    *,
    actor,
    username: str,
    password: str,
    home_region_code: str,
    full_name: str = "",
    phone: str = "",
    email: str = "",
    roles: list[tuple[str, str]] | tuple = (),
) -> User:
    home_region_code = _require_region_in_scope(actor, home_region_code)
    if User.objects.filter(username__iexact=username).exists():
        raise JiuyeError(ErrorCode.CONFLICT, _("This username is taken."))
    user = User(
        username=username,
        full_name=full_name,
        phone=phone,
        email=email,
        home_region_code=home_region_code,
    )
    validate_password(password, user)
    user.set_password(password)
    user.save()
    audit.record(
        actor=actor,
        action="accounts.user.create",
        obj=user,
        region_code=home_region_code,
        after=audit.snapshot(user, USER_AUDIT_FIELDS),
    )
    for role, region_code in roles:
        assign_role(actor=actor, user=user, role=role, region_code=region_code)
    return user


@transaction.atomic
def update_user(*, actor, user: User, **changes) -> User:
    _require_manages(actor, user)
    allowed = {"full_name", "phone", "email", "home_region_code"}
    unknown = set(changes) - allowed
    if unknown:
        raise JiuyeError(ErrorCode.INVALID, f"unknown fields: {sorted(unknown)}")
    if "home_region_code" in changes:
        changes["home_region_code"] = _require_region_in_scope(actor, changes["home_region_code"])
    before = audit.snapshot(user, USER_AUDIT_FIELDS)
    for key, value in changes.items():
        setattr(user, key, value)
    user.save()
    b, a = audit.changed(before, audit.snapshot(user, USER_AUDIT_FIELDS))
    if a:
        audit.record(
            actor=actor,
            action="accounts.user.update",
            obj=user,
            region_code=user.home_region_code,
            before=b,
            after=a,
        )
    return user


@transaction.atomic
def set_user_active(*, actor, user: User, active: bool) -> User:
    _require_manages(actor, user)
    if user.pk == getattr(actor, "pk", None) and not active:
        raise JiuyeError(ErrorCode.INVALID, _("You cannot deactivate your own account."))
    if user.is_active != active:
        user.is_active = active
        user.save(update_fields=["is_active"])
        audit.record(
            actor=actor,
            action="accounts.user.activate" if active else "accounts.user.deactivate",
            obj=user,
            region_code=user.home_region_code,
            before={"is_active": not active},
            after={"is_active": active},
        )
    return user


@transaction.atomic
def set_password(*, actor, user: User, password: str) -> None:
    if user.pk != getattr(actor, "pk", None):
        _require_manages(actor, user)
    validate_password(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])
    # The audit row says that the password changed, never what it is.
    audit.record(
        actor=actor,
        action="accounts.user.set_password",
        obj=user,
        region_code=user.home_region_code,
    )


@transaction.atomic
def unlock_user(*, actor, user: User) -> int:
    _require_manages(actor, user)
    count = axes_reset(username=user.username)
    audit.record(
        actor=actor,
        action="accounts.user.unlock",
        obj=user,
        region_code=user.home_region_code,
        after={"cleared_attempts": count},
    )
    return count


@transaction.atomic
def assign_role(*, actor, user: User, role: str, region_code: str) -> RoleAssignment:
    _require_manages(actor, user)
    if role not in Role.values:
        raise JiuyeError(ErrorCode.INVALID, _("Unknown role."))
    region_code = _require_region_in_scope(actor, region_code)
    assignment, created = RoleAssignment.objects.get_or_create(
        user=user, role=role, region_code=region_code
    )
    if created:
        audit.record(
            actor=actor,
            action="accounts.role.assign",
            obj=assignment,
            region_code=region_code,
            after={"user": user.username, "role": role, "region_code": region_code},
        )
        forget_scopes(user)
    return assignment


@transaction.atomic
def revoke_role(*, actor, assignment: RoleAssignment) -> None:
    _require_manages(actor, assignment.user)
    if not scope_for(actor, Perm.MANAGE_USERS).contains(assignment.region_code):
        raise PermissionDeniedError()
    before = {
        "user": assignment.user.username,
        "role": assignment.role,
        "region_code": assignment.region_code,
    }
    audit.record(
        actor=actor,
        action="accounts.role.revoke",
        obj=assignment,
        region_code=assignment.region_code,
        before=before,
    )
    assignment.delete()
    forget_scopes(assignment.user)


@transaction.atomic
def create_api_token(
    *, actor, user: User, name: str, expires_at: datetime.datetime | None = None
) -> tuple[ApiToken, str]:
    """Returns the row and the clear token, which is shown once and never stored."""
    if user.pk != getattr(actor, "pk", None):
        _require_manages(actor, user)
    clear = tokens.new_token()
    row = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=clear[:8],
        digest=tokens.digest_of(clear),
        expires_at=expires_at,
    )
    audit.record(
        actor=actor,
        action="accounts.token.create",
        obj=row,
        region_code=user.home_region_code,
        after={"user": user.username, "name": name, "prefix": row.prefix},
    )
    return row, clear


@transaction.atomic
def revoke_api_token(*, actor, token: ApiToken) -> None:
    if token.user_id != getattr(actor, "pk", None):
        _require_manages(actor, token.user)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit.record(
            actor=actor,
            action="accounts.token.revoke",
            obj=token,
            region_code=token.user.home_region_code,
        )
