"""一次性吸纳就业补贴 (one-off absorption subsidy) — policy brief §2 [S28][S29].

An enterprise that hires someone who has been registered unemployed for at least six months
and signs a labour contract of at least one year with them receives a one-off subsidy per hire
(a local amount: 1,000 yuan in Yong'an, 2,000 in Shanghai in 2023). Once per person, never
again for the same person with any employer, and never together with the 一次性扩岗补助: both
policies read each other's history and share the exclusion key of ``expansion_subsidy``, so
the database's unique constraint on the key holds the line across runs as well.
"""

from __future__ import annotations

import numpy as np
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _

from jiuye.policies.engine import Condition, Ctx, Policy
from jiuye.policies.rules.expansion_subsidy import EXCLUSION_GROUP

CODE = "absorption_subsidy"


def _long_unemployed(ctx: Ctx) -> np.ndarray:
    required = int(ctx.params(f"{CODE}.min_unemployed_months"))
    return ctx["unemployed_months_before"] >= required


def _unemployed_detail(ctx: Ctx, i: int) -> str:
    return _t("Registered unemployed for %(months)s months before the hire; required %(req)s") % {
        "months": int(ctx["unemployed_months_before"][i]),
        "req": int(ctx.params(f"{CODE}.min_unemployed_months")),
    }


def _employer_kind(ctx: Ctx) -> np.ndarray:
    excluded = list(ctx.params(f"{CODE}.excluded_ownership"))
    return ~np.isin(ctx.employer("ownership"), excluded)


def _contract(ctx: Ctx) -> np.ndarray:
    return ctx["contract_months"] >= int(ctx.params(f"{CODE}.min_contract_months"))


def _contract_detail(ctx: Ctx, i: int) -> str:
    months = int(ctx["contract_months"][i])
    return _t("Contract of %(months)s months; required %(req)s") % {
        "months": _t("open-ended") if months >= 999 else months,
        "req": int(ctx.params(f"{CODE}.min_contract_months")),
    }


def _amount(ctx: Ctx) -> np.ndarray:
    # The amount in force on the day of the hire: a hire after the window gets nothing.
    return ctx.params.series(f"{CODE}.amount", ctx["hired_on"])


def _in_force(ctx: Ctx) -> np.ndarray:
    return np.isfinite(_amount(ctx))


def _first_time(ctx: Ctx) -> np.ndarray:
    return ~ctx.population.granted(EXCLUSION_GROUP, "person", ctx["person_id"])


POLICY = Policy(
    code=CODE,
    name=_("One-off absorption subsidy"),
    description=_(
        "For enterprises that hire people registered unemployed for at least six months on a "
        "labour contract of at least one year."
    ),
    reference=(
        "一次性吸纳就业补贴（地方实施办法，全国实施期限至2023年12月31日待核实）；"
        "政策简报 §2 [S28][S29]"
    ),
    entity="hire",
    subject_type="person",
    subject_column="person_id",
    payee_type="employer",
    payee_column="employer_id",
    fund="employment_fund",
    order=21,
    conditions=[
        Condition(
            "long_unemployed",
            _(
                "The person hired had been registered unemployed for at least six months before "
                "the hire"
            ),
            _long_unemployed,
            gate=True,
            detail=_unemployed_detail,
        ),
        Condition(
            "employer_kind",
            _("The employer is an enterprise"),
            _employer_kind,
        ),
        Condition(
            "contract",
            _("A labour contract of at least one year was signed"),
            _contract,
            detail=_contract_detail,
        ),
        Condition("in_force", _("Hired while the policy was in force"), _in_force),
        Condition(
            "first_time",
            _(
                "The person has never brought this subsidy or the one-off job-expansion subsidy "
                "to any employer"
            ),
            _first_time,
        ),
        Condition(
            "not_blacklisted",
            _("The employer is not on the list of employers punished for wage arrears"),
            lambda c: c.not_blacklisted(),
            detail=lambda c, i: c.blacklist_detail(i),
        ),
    ],
    amount=_amount,
    period=lambda c: "once",
    # The same key as expansion_subsidy: one of the two per person, enforced by the database.
    exclusion=lambda c: np.char.add("hire_subsidy:person:", c["person_id"].astype(str)),
    facts=lambda c: {
        "hired_on": c["hired_on"],
        "unemployed_months_before": c["unemployed_months_before"],
    },
)
