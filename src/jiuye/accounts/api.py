"""Who am I, over HTTP: other systems check their token and its reach with this."""

from __future__ import annotations

from ninja import Router, Schema

from jiuye.accounts.permissions import ROLE_PERMISSIONS

router = Router(tags=["accounts"])


class AssignmentOut(Schema):
    role: str
    role_label: str
    region_code: str
    permissions: list[str]


class MeOut(Schema):
    username: str
    full_name: str
    home_region_code: str
    assignments: list[AssignmentOut]


@router.get("/me", response=MeOut, summary="The calling user and their role assignments")
def me(request):
    user = request.user
    return {
        "username": user.username,
        "full_name": user.full_name,
        "home_region_code": user.home_region_code,
        "assignments": [
            {
                "role": a.role,
                "role_label": str(a.get_role_display()),
                "region_code": a.region_code,
                "permissions": sorted(ROLE_PERMISSIONS.get(a.role, ())),
            }
            for a in user.role_assignments.order_by("region_code", "role")
        ],
    }
