"""The single region-scoping mechanism.

A user holds roles at regions. For a permission, their *scope* is the set of region prefixes
where one of their roles grants it. A record is in scope when its 12-digit ``region_code``
starts with one of those prefixes. Every page, API endpoint, export and background job reads
through ``scoped()`` / ``get_scoped_or_404()``; nothing else filters by region.

The prefix test is written as a range on the 12-digit code (``prefix000… <= code <=
prefix999…``), which is exactly "starts with the prefix" for fixed-length digit codes and uses
a plain B-tree index on SQLite and PostgreSQL alike, whatever the collation.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.http import Http404

from jiuye.accounts.permissions import Perm, roles_with
from jiuye.regions.codes import is_within, normalize, prefix_of

_CACHE_ATTR = "_jiuye_scope_cache"


@dataclass(frozen=True)
class Scope:
    prefixes: tuple[str, ...] = ()
    everything: bool = False

    @classmethod
    def of(cls, region_codes, *, everything=False) -> Scope:
        prefixes = sorted({prefix_of(code) for code in region_codes})
        # Drop prefixes covered by a shorter one: a grant at a city covers its counties.
        minimal: list[str] = []
        for p in sorted(prefixes, key=len):
            if not any(p.startswith(q) for q in minimal):
                minimal.append(p)
        return cls(tuple(sorted(minimal)), everything)

    @property
    def is_empty(self) -> bool:
        return not self.everything and not self.prefixes

    def q(self, field: str = "region_code") -> Q:
        if self.everything:
            return Q()
        if not self.prefixes:
            return Q(pk__in=[])
        condition = Q()
        for prefix in self.prefixes:
            pad = 12 - len(prefix)
            condition |= Q(**{f"{field}__range": (prefix + "0" * pad, prefix + "9" * pad)})
        return condition

    def filter(self, qs: QuerySet, field: str = "region_code") -> QuerySet:
        if self.everything:
            return qs
        return qs.filter(self.q(field))

    def contains(self, code: str) -> bool:
        if self.everything:
            return True
        try:
            code = normalize(code)
        except ValueError:
            return False
        return any(code.startswith(p) for p in self.prefixes)

    def covers_region(self, region_code: str) -> bool:
        """True when the whole region ``region_code`` lies inside this scope."""
        return self.contains(region_code)

    @property
    def top_codes(self) -> list[str]:
        return [p.ljust(12, "0") for p in self.prefixes]


def scope_for(user, permission: str = Perm.VIEW) -> Scope:
    """The regions where ``user`` holds ``permission``; cached on the user object per request."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return Scope()
    cache = getattr(user, _CACHE_ATTR, None)
    if cache is None:
        cache = {}
        setattr(user, _CACHE_ATTR, cache)
    if permission not in cache:
        if user.is_superuser:
            cache[permission] = Scope(everything=True)
        else:
            codes = user.role_assignments.filter(role__in=roles_with(permission)).values_list(
                "region_code", flat=True
            )
            cache[permission] = Scope.of(codes)
    return cache[permission]


def forget_scopes(user) -> None:
    """Call after changing a user's assignments within the same request."""
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def has_perm(user, permission: str, region_code: str | None = None) -> bool:
    scope = scope_for(user, permission)
    if region_code is None:
        return not scope.is_empty
    return scope.contains(region_code)


def require(actor, permission: str, region_code: str, *, refuse_visible: bool = False) -> None:
    """The write-side check of every action: ``actor`` holds ``permission`` at ``region_code``.

    Otherwise the object does not exist for them (``NotFoundError``, 404). With
    ``refuse_visible``, an actor who may *see* the object but lacks ``permission`` there is
    refused instead (``PermissionDeniedError``, 403), e.g. an operator trying to approve.
    """
    from jiuye.core.errors import NotFoundError, PermissionDeniedError

    if scope_for(actor, permission).contains(region_code):
        return
    if refuse_visible and scope_for(actor, Perm.VIEW).contains(region_code):
        raise PermissionDeniedError()
    raise NotFoundError()


def scoped(qs: QuerySet, user, permission: str = Perm.VIEW, field: str = "region_code"):
    return scope_for(user, permission).filter(qs, field)


def get_scoped_or_404(
    qs: QuerySet, user, permission: str = Perm.VIEW, field: str = "region_code", **lookup
):
    """Lookup and permission check in one call: outside scope looks exactly like absent."""
    try:
        return scoped(qs, user, permission, field).get(**lookup)
    except (qs.model.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


__all__ = [
    "Scope",
    "forget_scopes",
    "get_scoped_or_404",
    "has_perm",
    "is_within",
    "require",
    "scope_for",
    "scoped",
]
