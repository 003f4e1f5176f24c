"""社会保险补贴 (social-insurance subsidy) for flexible workers — policy brief §2 [S25].

Two of the three variants of the subsidy are paid to the person; the third, paid to an
employer that hires a difficulty person, is ``social_insurance_subsidy_employer``.

* (b) a recognised person with employment difficulties in flexible employment: up to 2/3 of
  the social-insurance contributions actually paid as a flexible worker, for up to 3 years from
  the first grant — or until retirement when, at first approval, less than 5 years remained to
  the statutory retirement date (the progressive age, ``Ctx.retirement_date``);
* (c) a graduate within 2 years of leaving school (at first approval) in flexible employment:
  the same share, for up to 2 years.

Paid quarterly for the previous calendar quarter, from the contributions of that quarter
(``flex_contrib_period``). "First approval" is the first grant recorded in the history, or the
as-of date for someone never granted; durations count from the first quarter granted (the one
before the first grant's quarter), so 3 years is 12 quarters. The text sets the duration per
person, so grants of either variant (this policy or the employer one) count.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _

from jiuye.policies.engine import Condition, Ctx, Policy, add_months, quarter_label, ymd

CODE = "social_insurance_subsidy"
# The duration is set per difficulty person, whichever variant paid: a person hired with the
# employer variant and later working flexibly does not start a new 3 years.
SUBSIDY_POLICIES = (CODE, "social_insurance_subsidy_employer")
DIFFICULTY = "difficulty"
GRADUATE = "graduate"


def _p(ctx: Ctx, name: str):
    return ctx.params(f"{CODE}.{name}")


def _cached(fn):
    """Compute an array once per context: condition details call back once per row."""

    def wrapper(ctx: Ctx) -> np.ndarray:
        cache = ctx.__dict__.setdefault(f"_{CODE}", {})
        if fn.__name__ not in cache:
            cache[fn.__name__] = fn(ctx)
        return cache[fn.__name__]

    wrapper.__name__ = fn.__name__
    return wrapper


def quarter_start(dates: np.ndarray, offset: int = 0) -> np.ndarray:
    """The first day of the quarter containing each date, moved by ``offset`` quarters."""
    dates = np.asarray(dates, dtype="datetime64[D]")
    _, month, _ = ymd(dates)
    start = dates.astype("datetime64[M]") - ((month - 1) % 3).astype("timedelta64[M]")
    return (start + np.timedelta64(3 * offset, "M")).astype("datetime64[D]")


def _period_start(ctx: Ctx) -> np.datetime64:
    return quarter_start(np.array([ctx.as_of64]), -1)[0]


@_cached
def _first_approval(ctx: Ctx) -> np.ndarray:
    first = ctx.population.first_granted_on(SUBSIDY_POLICIES, "person", ctx["id"])
    return np.where(np.isnat(first), ctx.as_of64, first)


def _first_period_start(ctx: Ctx) -> np.ndarray:
    # The first grant paid the quarter before the one it was made in.
    return quarter_start(_first_approval(ctx), -1)


@_cached
def _graduate_in_window(ctx: Ctx) -> np.ndarray:
    years = int(_p(ctx, "graduate_years_after_leaving"))
    window_end = add_months(ctx["left_school_on"], 12 * years)
    return ctx["graduate"] & ~np.isnat(ctx["left_school_on"]) & (_first_approval(ctx) <= window_end)


@_cached
def _variant(ctx: Ctx) -> np.ndarray:
    """ "difficulty" (b), "graduate" (c) or "" — (b) first: it lasts longer."""
    return np.where(ctx["difficulty"], DIFFICULTY, np.where(_graduate_in_window(ctx), GRADUATE, ""))


def _target_detail(ctx: Ctx, i: int) -> str:
    variant = _variant(ctx)[i]
    if variant == DIFFICULTY:
        return _t("Recognised person with employment difficulties (variant b)")
    if variant == GRADUATE:
        return _t("Graduate who left school on %(date)s (variant c)") % {
            "date": ctx["left_school_on"][i]
        }
    return _t("Neither a recognised difficulty person nor a graduate within the window")


@_cached
def _difficulty_end(ctx: Ctx) -> np.ndarray:
    """The day variant (b) ends: retirement when it was near at first approval, else the
    maximum years after the first quarter granted."""
    retire = _retirement(ctx)
    near = retire < add_months(_first_approval(ctx), 12 * int(_p(ctx, "near_retirement_years")))
    limit = add_months(_first_period_start(ctx), 12 * int(_p(ctx, "difficulty_years")))
    return np.where(near, retire, limit)


@_cached
def _graduate_end(ctx: Ctx) -> np.ndarray:
    return add_months(_first_period_start(ctx), 12 * int(_p(ctx, "graduate_years")))


def _duration_difficulty(ctx: Ctx) -> np.ndarray:
    return (_variant(ctx) != DIFFICULTY) | (_period_start(ctx) < _difficulty_end(ctx))


def _duration_graduate(ctx: Ctx) -> np.ndarray:
    return (_variant(ctx) != GRADUATE) | (_period_start(ctx) < _graduate_end(ctx))


def _duration_detail(variant: str, end) -> object:
    def detail(ctx: Ctx, i: int) -> str:
        if _variant(ctx)[i] != variant:
            return _t("Does not apply to this variant")
        return _t("First approval %(first)s; quarters beginning before %(end)s are covered") % {
            "first": _first_approval(ctx)[i],
            "end": end(ctx)[i],
        }

    return detail


@_cached
def _retirement(ctx: Ctx) -> np.ndarray:
    return ctx.retirement_date()


def _before_retirement(ctx: Ctx) -> np.ndarray:
    return _period_start(ctx) < _retirement(ctx)


def _retirement_detail(ctx: Ctx, i: int) -> str:
    return _t("Retirement date %(date)s") % {"date": _retirement(ctx)[i]}


def _share(ctx: Ctx) -> float:
    # A fraction such as "2/3" stays exact; a decimal works too.
    return float(Fraction(str(_p(ctx, "share"))))


def _amount(ctx: Ctx) -> np.ndarray:
    return _share(ctx) * ctx["flex_contrib_period"]


def _contrib_detail(ctx: Ctx, i: int) -> str:
    paid = ctx["flex_contrib_period"][i]
    return _t("Paid %(paid)s yuan in %(period)s as a flexible worker") % {
        "paid": "—" if np.isnan(paid) else f"{paid:.2f}",
        "period": quarter_label(ctx.as_of, -1),
    }


POLICY = Policy(
    code=CODE,
    name=_("Social-insurance subsidy for flexible employment"),
    description=_(
        "Recognised people with employment difficulties and graduates within two years of "
        "leaving school who work flexibly receive up to two thirds of the social-insurance "
        "contributions they paid, quarterly."
    ),
    reference=(
        "就业补助资金管理办法（财社〔2017〕164号）第六条；政策简报 §2 社会保险补贴 (b)(c) [S25]"
    ),
    entity="person",
    subject_type="person",
    subject_column="id",
    payee_type="person",
    payee_column="id",
    fund="employment_fund",
    order=11,
    conditions=[
        Condition(
            "target_group",
            _(
                "The person is a recognised person with employment difficulties or a graduate "
                "within two years of leaving school at first approval"
            ),
            lambda c: _variant(c) != "",
            gate=True,
            detail=_target_detail,
        ),
        Condition(
            "flexible",
            _("The person is registered in flexible employment"),
            lambda c: c["employment_form"] == "flexible",
            gate=True,
        ),
        Condition(
            "contributions",
            _("The person paid social-insurance contributions as a flexible worker in the quarter"),
            lambda c: np.nan_to_num(c["flex_contrib_period"]) > 0,
            detail=_contrib_detail,
        ),
        Condition(
            "before_retirement",
            _("The person had not reached the statutory retirement age when the quarter began"),
            _before_retirement,
            detail=_retirement_detail,
        ),
        Condition(
            "duration_difficulty",
            _(
                "A difficulty person is within three years of the first grant, or until "
                "retirement if less than five years remained at first approval"
            ),
            _duration_difficulty,
            detail=_duration_detail(DIFFICULTY, _difficulty_end),
        ),
        Condition(
            "duration_graduate",
            _("A graduate is within two years of the first grant"),
            _duration_graduate,
            detail=_duration_detail(GRADUATE, _graduate_end),
        ),
    ],
    amount=_amount,
    period=lambda c: quarter_label(c.as_of, -1),
    facts=lambda c: {
        "variant": _variant(c),
        "contributions": c["flex_contrib_period"],
        "first_approval": _first_approval(c),
    },
)
