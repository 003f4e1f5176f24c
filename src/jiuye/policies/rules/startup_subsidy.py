"""一次性创业补贴 (one-off start-up grant) — policy brief §2 [S27].

A person who founds a small or micro firm or an individual business (个体工商户) for the first
time, runs it normally for at least 12 months (some places 6) and pays social insurance as
required receives a one-off grant. The amounts are local (e.g. 5,000 yuan in Lanzhou; 30,000
for a small firm and 5,000 for an individual business elsewhere) and UNCONFIRMED for Shanxi:
parameters by kind of business. Once per person.
"""

from __future__ import annotations

import numpy as np
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _

from jiuye.policies.engine import Condition, Ctx, Policy, months_between

CODE = "startup_subsidy"
# The codes of the ``business_kind`` person column; each has its own amount parameter.
KINDS = ("small", "individual")


def _months_running(ctx: Ctx) -> np.ndarray:
    return months_between(ctx["business_started_on"], ctx.as_of64)


def _founder(ctx: Ctx) -> np.ndarray:
    return ~np.isnat(ctx["business_started_on"]) & np.isin(ctx["business_kind"], KINDS)


def _running(ctx: Ctx) -> np.ndarray:
    required = float(ctx.params(f"{CODE}.min_running_months"))
    return ctx["business_running"] & (np.nan_to_num(_months_running(ctx), nan=-1) >= required)


def _running_detail(ctx: Ctx, i: int) -> str:
    months = months_between(ctx["business_started_on"][i : i + 1], ctx.as_of64)[0]
    return _t("Opened on %(date)s, %(months)s months ago; still running: %(running)s") % {
        "date": ctx["business_started_on"][i],
        "months": "—" if np.isnan(months) else int(months),
        "running": _t("yes") if ctx["business_running"][i] else _t("no"),
    }


def _amount(ctx: Ctx) -> np.ndarray:
    out = np.zeros(ctx.n)
    for kind in KINDS:
        out[ctx["business_kind"] == kind] = float(ctx.params(f"{CODE}.amount.{kind}"))
    return out


POLICY = Policy(
    code=CODE,
    name=_("One-off start-up grant"),
    description=_(
        "People who start a small firm or an individual business for the first time, run it "
        "normally for the required months and pay social insurance receive a one-off grant."
    ),
    reference="政策简报 §2 一次性创业补贴 [S27]",
    entity="person",
    subject_type="person",
    subject_column="id",
    payee_type="person",
    payee_column="id",
    fund="employment_fund",
    order=14,
    conditions=[
        Condition(
            "founder",
            _("The person founded a small or micro firm or an individual business"),
            _founder,
            gate=True,
        ),
        Condition(
            "first_business",
            _("It is the person's first business"),
            lambda c: c["first_business"],
        ),
        Condition(
            "running",
            _("The business has been running normally for at least the required months"),
            _running,
            detail=_running_detail,
        ),
        Condition(
            "insured",
            _("The business pays social insurance as required"),
            lambda c: c["business_insured"],
        ),
        Condition(
            "first_time",
            _("The person has not received a start-up grant before"),
            lambda c: ~c.population.granted([CODE], "person", c["id"]),
        ),
    ],
    amount=_amount,
    period=lambda c: "once",
    facts=lambda c: {"business_kind": c["business_kind"], "months_running": _months_running(c)},
)
