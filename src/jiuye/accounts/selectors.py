"""Scoped reads of accounts. Administrators see users whose home region is inside their scope."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from jiuye.accounts.models import RoleAssignment, User
from jiuye.accounts.permissions import Perm
from jiuye.accounts.scoping import get_scoped_or_404, scoped


def user_list(
    actor, *, q: str = "", role: str = "", region_code: str = "", active: str = ""
) -> QuerySet[User]:
    qs = scoped(User.objects.all(), actor, Perm.MANAGE_USERS, field="home_region_code")
    if q:
        qs = qs.filter(Q(username__icontains=q) | Q(full_name__icontains=q) | Q(phone__icontains=q))
    if role:
        qs = qs.filter(role_assignments__role=role)
    if region_code:
        from jiuye.regions.codes import prefix_of

        qs = qs.filter(home_region_code__startswith=prefix_of(region_code))
    if active in {"1", "0"}:
        qs = qs.filter(is_active=active == "1")
    return (
        qs.prefetch_related("role_assignments").distinct().order_by("home_region_code", "username")
    )


def get_user_for(actor, pk) -> User:
    return get_scoped_or_404(
        User.objects.prefetch_related("role_assignments"),
        actor,
        Perm.MANAGE_USERS,
        field="home_region_code",
        pk=pk,
    )


def assignments_of(user: User) -> QuerySet[RoleAssignment]:
    return user.role_assignments.order_by("region_code", "role")
