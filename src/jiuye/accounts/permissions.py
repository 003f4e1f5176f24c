"""The permission policy: which role may do what. Where it may do it comes from scoping.py.

Later apps add their permissions with ``grant`` in their AppConfig.ready(), so this file is the
one place that answers "what may an 审核 do", as Wagtail's permission policies do.
"""

from __future__ import annotations

from jiuye.accounts.models import Role


class Perm:
    VIEW = "view"  # read records in scope
    EDIT = "edit"  # create and change records (经办)
    REVIEW = "review"  # approve (审核)
    EXPORT = "export"  # download lists as Excel
    MANAGE_USERS = "manage_users"
    VIEW_AUDIT = "view_audit"
    VIEW_FULL_ID = "view_full_id"  # unmasked ID numbers and phones, each view audited
    MANAGE_REGIONS = "manage_regions"  # service points, region code files


ROLE_PERMISSIONS: dict[str, set[str]] = {
    Role.SYSADMIN: {
        Perm.VIEW,
        Perm.EDIT,
        Perm.EXPORT,
        Perm.MANAGE_USERS,
        Perm.VIEW_AUDIT,
        Perm.MANAGE_REGIONS,
    },
    Role.OPERATOR: {Perm.VIEW, Perm.EDIT, Perm.EXPORT, Perm.VIEW_FULL_ID, Perm.MANAGE_REGIONS},
    Role.REVIEWER: {Perm.VIEW, Perm.REVIEW, Perm.EXPORT, Perm.VIEW_FULL_ID},
    Role.LEADER: {Perm.VIEW, Perm.EXPORT},
}


def grant(permission: str, *roles: str) -> None:
    for role in roles:
        ROLE_PERMISSIONS.setdefault(role, set()).add(permission)


def roles_with(permission: str) -> set[str]:
    return {role for role, perms in ROLE_PERMISSIONS.items() if permission in perms}
