"""Recommendation panels: "Recommended jobs" on the person page, "Recommended people" on the
posting page (HTMX fragments loaded by ``{% detail_panels %}``; opened directly they render as a
page of their own).

The person or posting is read through the caller's VIEW scope (404 outside it); what the
panels list and why is explained in ``jiuye.matching.recommend``.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jiuye.accounts.permissions import Perm
from jiuye.jobs.selectors import get_posting_for
from jiuye.matching import recommend
from jiuye.regions.selectors import region_names
from jiuye.registry.ages import age_on
from jiuye.registry.codes import EDUCATION
from jiuye.registry.selectors import get_person_for

PANEL_SIZE = 10
# The components as the bars show them, in this order.
COMPONENT_LABELS = {
    "occupation": _("Occupation"),
    "distance": _("Distance"),
    "wage": _("Wage"),
    "education": _("Education"),
    "text": _("Text"),
    "freshness": _("Freshness"),
}


def register_panels() -> None:
    """Called from ``MatchingConfig.ready``: the two panels on other apps' detail pages."""
    from jiuye.web import panels

    panels.register(
        panels.Panel(
            "recommended_jobs",
            "person",
            _("Recommended jobs"),
            "matching:recommend_person",
            Perm.VIEW,
            order=40,
        )
    )
    panels.register(
        panels.Panel(
            "recommended_people",
            "posting",
            _("Recommended people"),
            "matching:recommend_posting",
            Perm.VIEW,
            order=40,
        )
    )
    from jiuye.core.audit import register_labels

    register_labels({"matching.recommendation.export": _("Recommendations exported")})


def _bars(rec) -> list[dict]:
    return [
        {
            "name": name,
            "label": label,
            "score": rec.components[name].score,
            "percent": round(100 * rec.components[name].score),
            "weight": rec.components[name].weight,
        }
        for name, label in COMPONENT_LABELS.items()
    ]


def _template(request: HttpRequest, name: str) -> str:
    return f"{name}#panel" if request.htmx else name


@login_required
def person_panel(request, pk):
    person = get_person_for(request.user, pk)
    result = recommend.jobs_for_person(request.user, person, k=PANEL_SIZE)
    names = region_names(item.posting.region_code for item in result.items)
    rows = [
        {
            "posting": item.posting,
            "linked": item.linked,
            "score": item.rec.score,
            "percent": round(100 * item.rec.score),
            "bars": _bars(item.rec),
            "reasons": item.rec.reasons,
            "region": names.get(item.posting.region_code, item.posting.region_code),
        }
        for item in result.items
    ]
    context = {"person": person, "available": result.available, "rows": rows}
    return render(request, _template(request, "matching/recommend_person.html"), context)


@login_required
def posting_panel(request, pk):
    posting = get_posting_for(request.user, pk)
    result = recommend.people_for_posting(request.user, posting, k=PANEL_SIZE)
    names = region_names(item.person.region_code for item in result.items)
    today = timezone.localdate()
    rows = [
        {
            "person": item.person,
            "age": age_on(item.person.birth_date, today),
            "education": EDUCATION.get(item.person.education, ""),
            "score": item.rec.score,
            "percent": round(100 * item.rec.score),
            "bars": _bars(item.rec),
            "reasons": item.rec.reasons,
            "region": names.get(item.person.region_code, item.person.region_code),
        }
        for item in result.items
    ]
    context = {"posting": posting, "is_open": result.is_open, "rows": rows}
    return render(request, _template(request, "matching/recommend_posting.html"), context)


urlpatterns = [
    path("recommendations/person/<int:pk>/", person_panel, name="recommend_person"),
    path("recommendations/posting/<int:pk>/", posting_panel, name="recommend_posting"),
]
