"""The policy catalogue pages: every policy with its fund, 免申即享 or application and legal
basis; one policy with its conditions in order and its dated parameters, UNCONFIRMED values
flagged.

The catalogue shows rules and parameter files, no regional data, so it needs a login and no
region scope (like the calculator, ``views/calculator.py``).
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jiuye.policies.api.catalogue import display_value, policy_detail, policy_summary
from jiuye.policies.rules import all_policies


def with_display_values(parameters: list[dict], on=None) -> list[dict]:
    """Each parameter's values with ``text`` for the templates (lists as JSON, not reprs) and
    ``in_force`` on the date ``on``."""
    for p in parameters:
        for v in p["values"]:
            v["text"] = display_value(v["value"])
            v["in_force"] = (
                on is not None and v["from"] <= on and (v["to"] is None or on <= v["to"])
            )
        if "current" in p:
            p["current_text"] = "" if p["current"] is None else display_value(p["current"])
    return parameters


@login_required
def catalogue(request):
    policies = [policy_summary(p) for p in all_policies().values()]
    return render(request, "policies/catalogue_list.html", {"policies": policies})


@login_required
def policy_detail_page(request, code: str):
    policy = all_policies().get(code)
    if policy is None:
        raise Http404
    today = timezone.localdate()
    detail = policy_detail(policy, today)
    with_display_values(detail["parameters"], today)
    return render(
        request,
        "policies/catalogue_detail.html",
        {
            "policy": detail,
            "today": today,
            "own_parameters": [p for p in detail["parameters"] if not p["shared"]],
            "shared_parameters": [p for p in detail["parameters"] if p["shared"]],
            "unconfirmed": sum(p["unconfirmed"] for p in detail["parameters"]),
        },
    )


urlpatterns = [
    path("catalogue/", catalogue, name="catalogue"),
    # ``policy_code`` (registered in api/catalogue.py) only matches known policy codes.
    path("catalogue/<policy_code:code>/", policy_detail_page, name="policy_detail"),
]


def ready():
    from jiuye.accounts.permissions import Perm
    from jiuye.web.navigation import NavItem, register

    register(NavItem("policies", _("Policies"), "policies:catalogue", Perm.VIEW, order=80))
    register(
        NavItem(
            "policy_calculator",
            _("Policy calculator"),
            "policies:calculator",
            Perm.VIEW,
            order=81,
        )
    )
