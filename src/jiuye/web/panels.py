"""Panels that other apps add to a detail page without the page's app importing them.

The registry's person page, for example, shows "recommended jobs" (matching) and
"applications" (jobs), but ``registry`` must not depend on those apps. An app registers a
panel for a page kind in its ``AppConfig.ready``; the page renders ``{% detail_panels "person"
person %}``, which emits one HTMX placeholder per panel that loads the panel's own URL (scoped
by that app's view like any other page).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse


@dataclass(frozen=True)
class Panel:
    key: str
    page: str  # "person", "posting", "employer", …
    title: str
    url_name: str  # reversed with the object's primary key
    permission: str
    order: int = 100


_PANELS: dict[tuple[str, str], Panel] = {}


def register(panel: Panel) -> None:
    _PANELS[(panel.page, panel.key)] = panel


def panels_for(page: str, obj, user) -> list[dict]:
    from jiuye.accounts.scoping import has_perm

    region_code = getattr(obj, "region_code", None)
    out = []
    for panel in sorted(
        (p for p in _PANELS.values() if p.page == page), key=lambda p: (p.order, p.key)
    ):
        if not has_perm(user, panel.permission, region_code):
            continue
        try:
            url = reverse(panel.url_name, args=[obj.pk])
        except NoReverseMatch:
            continue
        out.append({"key": panel.key, "title": panel.title, "url": url})
    return out
