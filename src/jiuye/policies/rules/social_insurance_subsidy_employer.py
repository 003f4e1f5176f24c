"""社会保险补贴 (social-insurance subsidy), employer variant (a) — policy brief §2 [S25].

An employer that hires a recognised person with employment difficulties on a labour contract
of at least one year and pays their social insurance receives the employer's own share of the
pension, medical and unemployment contributions it actually paid for that person (not the
person's own share) — 就业补助资金管理办法（财社〔2017〕164号）第六条. Paid quarterly for the
previous calendar quarter (``employer_contrib_period`` on the hire).

The duration is the difficulty person's: up to 3 years from the first grant, or until
retirement when less than 5 years remained to the statutory retirement date at first approval
(the progressive age). It counts per person across both variants (this one and the
flexible-employment ``social_insurance_subsidy``), so moving to another employer does not start
a new 3 years. Not for employers on the wage-arrears blacklist.
"""

from __future__ import annotations

import numpy as np
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _

from jiuye.policies.engine import Condition, Ctx, Policy, add_months, quarter_label
from jiuye.policies.rules.social_insurance_subsidy import SUBSIDY_POLICIES, quarter_start

CODE = "social_insurance_subsidy_employer"
# The duration parameters are those of the same sentence of the text, defined once.
DURATION = "social_insurance_subsidy"


def _cached(fn):
    """Compute an array once per context: condition details call back once per row."""

    def wrapper(ctx: Ctx) -> np.ndarray:
        cache = ctx.__dict__.setdefault(f"_{CODE}", {})
        if fn.__name__ not in cache:
            cache[fn.__name__] = fn(ctx)
        return cache[fn.__name__]

    wrapper.__name__ = fn.__name__
    return wrapper


def _period_start(ctx: Ctx) -> np.datetime64:
    return quarter_start(np.array([ctx.as_of64]), -1)[0]


@_cached
def _first_approval(ctx: Ctx) -> np.ndarray:
    first = ctx.population.first_granted_on(SUBSIDY_POLICIES, "person", ctx["person_id"])
    return np.where(np.isnat(first), ctx.as_of64, first)


@_cached
def _retirement(ctx: Ctx) -> np.ndarray:
    return ctx.retirement_date()


@_cached
def _end(ctx: Ctx) -> np.ndarray:
    """Retirement when it was near at first approval, else 3 years after the first quarter
    granted (the one before the first grant's quarter)."""
    retire = _retirement(ctx)
    near_years = int(ctx.params(f"{DURATION}.near_retirement_years"))
    near = retire < add_months(_first_approval(ctx), 12 * near_years)
    years = int(ctx.params(f"{DURATION}.difficulty_years"))
    limit = add_months(quarter_start(_first_approval(ctx), -1), 12 * years)
    return np.where(near, retire, limit)


def _contract(ctx: Ctx) -> np.ndarray:
    return ctx["contract_months"] >= int(ctx.params(f"{CODE}.min_contract_months"))


def _contract_detail(ctx: Ctx, i: int) -> str:
    return _t("Contract of %(months)s months; required %(required)s") % {
        "months": int(ctx["contract_months"][i]),
        "required": int(ctx.params(f"{CODE}.min_contract_months")),
    }


def _contrib_detail(ctx: Ctx, i: int) -> str:
    paid = ctx["employer_contrib_period"][i]
    return _t("The employer paid %(paid)s yuan for this person in %(period)s") % {
        "paid": "—" if np.isnan(paid) else f"{paid:.2f}",
        "period": quarter_label(ctx.as_of, -1),
    }


def _duration_detail(ctx: Ctx, i: int) -> str:
    return _t("First approval %(first)s; quarters beginning before %(end)s are covered") % {
        "first": _first_approval(ctx)[i],
        "end": _end(ctx)[i],
    }


POLICY = Policy(
    code=CODE,
    name=_("Social-insurance subsidy for employers hiring people with employment difficulties"),
    description=_(
        "Employers that hire a recognised person with employment difficulties on a contract of "
        "at least one year receive the employer's share of the pension, medical and "
        "unemployment contributions paid for them, quarterly."
    ),
    reference="就业补助资金管理办法（财社〔2017〕164号）第六条；政策简报 §2 社会保险补贴 (a) [S25]",
    entity="hire",
    subject_type="person",
    subject_column="person_id",
    payee_type="employer",
    payee_column="employer_id",
    fund="employment_fund",
    order=12,
    conditions=[
        Condition(
            "target_group",
            _("The person hired was a recognised person with employment difficulties"),
            lambda c: c["difficulty_at_hire"],
            gate=True,
        ),
        Condition(
            "contract",
            _("A labour contract of at least one year was signed"),
            _contract,
            detail=_contract_detail,
        ),
        Condition(
            "contributions",
            _(
                "The employer paid its share of pension, medical and unemployment insurance "
                "for the person in the quarter"
            ),
            lambda c: np.nan_to_num(c["employer_contrib_period"]) > 0,
            detail=_contrib_detail,
        ),
        Condition(
            "before_retirement",
            _("The person had not reached the statutory retirement age when the quarter began"),
            lambda c: _period_start(c) < _retirement(c),
            detail=lambda c, i: _t("Retirement date %(date)s") % {"date": _retirement(c)[i]},
        ),
        Condition(
            "duration",
            _(
                "Within three years of the first grant, or until retirement if less than five "
                "years remained at first approval"
            ),
            lambda c: _period_start(c) < _end(c),
            detail=_duration_detail,
        ),
        Condition(
            "not_blacklisted",
            _("The employer is not on the list of employers punished for wage arrears"),
            lambda c: c.not_blacklisted(),
            detail=lambda c, i: c.blacklist_detail(i),
        ),
    ],
    amount=lambda c: c["employer_contrib_period"],
    period=lambda c: quarter_label(c.as_of, -1),
    facts=lambda c: {
        "hired_on": c["hired_on"],
        "contributions": c["employer_contrib_period"],
        "first_approval": _first_approval(c),
    },
)
