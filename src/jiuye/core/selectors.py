from __future__ import annotations

import datetime

from django.db.models import Q, QuerySet

from jiuye.accounts.permissions import Perm
from jiuye.accounts.scoping import scoped
from jiuye.core.models import AuditLog


def audit_log_list(
    user,
    *,
    actor: str = "",
    action: str = "",
    object_type: str = "",
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    q: str = "",
) -> QuerySet[AuditLog]:
    """Audit rows about objects inside the viewer's region; rows with no region stay with the
    province-wide (or national) administrators whose scope covers everything."""
    qs = scoped(AuditLog.objects.all(), user, Perm.VIEW_AUDIT)
    if actor:
        qs = qs.filter(actor_username__icontains=actor)
    if action:
        qs = qs.filter(action__startswith=action)
    if object_type:
        qs = qs.filter(object_type=object_type)
    if date_from:
        qs = qs.filter(created_at__date__gte=date_from)
    if date_to:
        qs = qs.filter(created_at__date__lte=date_to)
    if q:
        qs = qs.filter(Q(object_repr__icontains=q) | Q(object_id=q))
    return qs.order_by("-created_at", "-id")
