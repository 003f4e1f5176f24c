"""Scoped reads of regions and service points."""

from __future__ import annotations

import re

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from jiuye.accounts.permissions import Perm
from jiuye.accounts.scoping import get_scoped_or_404, scope_for, scoped
from jiuye.regions.codes import InvalidRegionCode, normalize, parent_code, prefix_of
from jiuye.regions.models import Region, ServicePoint

_ASCII = re.compile(r"^[a-zA-Z]+$")


def region_for(user, code: str, permission: str = Perm.VIEW) -> Region:
    try:
        code = normalize(code)
    except InvalidRegionCode as exc:
        raise Http404 from exc
    return get_scoped_or_404(Region.objects.current(), user, permission, field="code", code=code)


def top_regions_for(user, permission: str = Perm.VIEW) -> QuerySet[Region]:
    scope = scope_for(user, permission)
    if scope.everything:
        return Region.objects.current().filter(level=1)
    return Region.objects.current().filter(code__in=scope.top_codes)


def children_of(region: Region) -> QuerySet[Region]:
    return (
        Region.objects.current()
        .filter(parent=region)
        .annotate(child_count=Count("children", filter=Q(children__valid_to__isnull=True)))
        .order_by("code")
    )


def ancestors_of(region: Region) -> list[Region]:
    codes = []
    code = parent_code(region.code)
    while code:
        codes.append(code)
        code = parent_code(code)
    found = {r.code: r for r in Region.objects.current().filter(code__in=codes)}
    return [found[c] for c in reversed(codes) if c in found]


def breadcrumbs_for(user, region: Region) -> list[dict]:
    """Ancestors are named for orientation; only those inside the user's scope are links."""
    scope = scope_for(user, Perm.VIEW)
    return [
        {"code": r.code, "name": r.name, "link": scope.contains(r.code)}
        for r in [*ancestors_of(region), region]
    ]


def drilldown(user, region_code: str) -> dict:
    """Where a list filtered by region stands in the tree (``drill_crumbs``) and the regions
    one level down to drill into (``drill_children``), for the list pages' region filter."""
    try:
        region = region_for(user, region_code) if region_code else None
    except Http404:
        region = None
    if region is None:
        tops = list(top_regions_for(user))
        if len(tops) != 1:
            return {"drill_crumbs": [], "drill_children": tops}
        region = tops[0]
    return {
        "drill_crumbs": breadcrumbs_for(user, region),
        "drill_children": list(children_of(region)),
    }


def descendant_counts(region: Region) -> dict[int, int]:
    """How many current regions of each level lie below ``region``."""
    rows = (
        Region.objects.current()
        .filter(code__startswith=region.prefix, level__gt=region.level)
        .values("level")
        .annotate(n=Count("id"))
    )
    return {row["level"]: row["n"] for row in rows}


def search_regions(user, q: str, *, limit: int = 20) -> QuerySet[Region]:
    """By name (any part), by code prefix, or by pinyin initials / full pinyin (``qwx``)."""
    q = (q or "").strip()
    qs = scoped(Region.objects.current(), user, Perm.VIEW, field="code")
    if not q:
        return qs.none()
    if q.isdigit():
        cond = Q(code__startswith=q)
    elif _ASCII.match(q):
        low = q.lower()
        cond = Q(pinyin_initials__startswith=low) | Q(pinyin__startswith=low)
    else:
        cond = Q(name__contains=q)
    return qs.filter(cond).order_by("level", "code")[:limit]


def region_names(codes) -> dict[str, str]:
    codes = {c for c in codes if c}
    if not codes:
        return {}
    return dict(Region.objects.current().filter(code__in=codes).values_list("code", "name"))


def region_path(code: str) -> str:
    """ "山西省 临汾市 曲沃县" for a code, from the current tree."""
    try:
        code = normalize(code)
    except InvalidRegionCode:
        return code
    codes = []
    c = code
    while c:
        codes.append(c)
        c = parent_code(c)
    names = region_names(codes)
    return " ".join(names[c] for c in reversed(codes) if c in names)


def service_point_list(
    user,
    *,
    q: str = "",
    kind: str = "",
    region_code: str = "",
    active: str = "",
    permission: str = Perm.VIEW,
) -> QuerySet[ServicePoint]:
    qs = scoped(ServicePoint.objects.all(), user, permission)
    if region_code:
        try:
            qs = qs.filter(region_code__startswith=prefix_of(region_code))
        except InvalidRegionCode:
            return qs.none()
    if kind:
        qs = qs.filter(kind=kind)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(address__icontains=q))
    if active in {"1", "0"}:
        qs = qs.filter(is_active=active == "1")
    return qs.order_by("region_code", "kind", "name")


def get_service_point_for(user, pk, permission: str = Perm.VIEW) -> ServicePoint:
    return get_scoped_or_404(ServicePoint.objects.all(), user, permission, pk=pk)


def require_region(actor, code: str, permission: str, *, levels=None) -> str:
    """The 12-digit code of a current region where ``actor`` holds ``permission``; raises the
    error to show otherwise. Every action that puts a record at a region checks it here."""
    from django.utils.translation import gettext as _

    from jiuye.core.errors import ErrorCode, JiuyeError

    try:
        code = normalize(code)
    except InvalidRegionCode as exc:
        raise JiuyeError(ErrorCode.INVALID_REGION) from exc
    level = Region.objects.current().filter(code=code).values_list("level", flat=True).first()
    if level is None:
        raise JiuyeError(ErrorCode.INVALID_REGION)
    if levels and level not in levels:
        raise JiuyeError(
            ErrorCode.INVALID_REGION, _("Choose a township or village for the residence.")
        )
    if not scope_for(actor, permission).contains(code):
        raise JiuyeError(ErrorCode.OUT_OF_SCOPE, status=403)
    return code
