"""创业担保贷款 (guaranteed start-up loan) for individuals, with its interest subsidy — policy
brief §2 [S22]–[S24].

Eligible individuals (a parameter list of groups; the default — registered unemployed,
recognised difficulty persons, graduates within 2 years of leaving school, veterans,
ex-poverty people, landless farmers — is UNCONFIRMED against the national text) of working
age may borrow up to 200,000 yuan for up to 3 years; partners who start a business together
may borrow up to the per-partner limit times the number of partners, capped at 1,000,000
(财金〔2020〕21号 and local rules; many places now lend 300,000 to an individual).

The budget subsidises the interest, by one of two schemes (a parameter):

* ``national`` — the borrower pays at most LPR − 150bp of the contract rate and the budget pays
  the rest (财金〔2020〕21号);
* ``local_half`` — the newer local scheme: the rate is capped at LPR + 150bp and the budget pays
  50% of the actual rate (the part of a rate above the cap is not subsidised).

The amount is the first year's interest subsidy on the loan in the situation (``loan_amount``,
``loan_rate``, ``loan_lpr``, ``loan_months``; a term under a year subsidises only its months).
Without a loan contract the amount is 0 and the facts say "no_contract"; the limit is always in
the facts so the calculator shows how much the person may borrow. A loan above the limit, or a
term above the limit, fails a condition. The subsidy is settled with the lending bank, not paid
to the person, so the policy does not pay through payment batches.
"""

from __future__ import annotations

import numpy as np
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _

from jiuye.policies.engine import Condition, Ctx, Policy, add_months
from jiuye.policies.inputs import SCHEMA

CODE = "startup_loan"
DESCRIPTIONS = {c.name: c.description for c in SCHEMA["person"]}


def _p(ctx: Ctx, name: str):
    return ctx.params(f"{CODE}.{name}")


def _cached(fn):
    """Compute once per context: condition details call back once per row."""

    def wrapper(ctx: Ctx):
        cache = ctx.__dict__.setdefault(f"_{CODE}", {})
        if fn.__name__ not in cache:
            cache[fn.__name__] = fn(ctx)
        return cache[fn.__name__]

    wrapper.__name__ = fn.__name__
    return wrapper


@_cached
def _group_masks(ctx: Ctx) -> dict[str, np.ndarray]:
    """Each configured group's members. Two groups are derived; any other name is a boolean
    person column (``difficulty``, ``veteran``, ``dibao`` …)."""
    out = {}
    for name in _p(ctx, "eligible_groups"):
        if name == "registered_unemployed":
            out[name] = ~np.isnat(ctx["unemployed_since"])
        elif name == "recent_graduate":
            years = int(_p(ctx, "graduate_years_after_leaving"))
            window_end = add_months(ctx["left_school_on"], 12 * years)
            out[name] = (
                ctx["graduate"] & ~np.isnat(ctx["left_school_on"]) & (ctx.as_of64 <= window_end)
            )
        elif name in DESCRIPTIONS and ctx.rows[name].dtype.kind == "b":
            out[name] = ctx[name]
        else:
            raise ValueError(f"{CODE}.eligible_groups: unknown group {name!r}")
    return out


@_cached
def _target_group(ctx: Ctx) -> np.ndarray:
    out = np.zeros(ctx.n, dtype=bool)
    for mask in _group_masks(ctx).values():
        out |= mask
    return out


GROUP_LABELS = {
    "registered_unemployed": _("registered unemployed"),
    "recent_graduate": _("graduate within two years of leaving school"),
}


def _target_detail(ctx: Ctx, i: int) -> str:
    names = [name for name, mask in _group_masks(ctx).items() if mask[i]]
    if not names:
        return _t("None of the groups")
    return "、".join(str(GROUP_LABELS.get(name) or DESCRIPTIONS[name]) for name in names)


@_cached
def _limit(ctx: Ctx) -> np.ndarray:
    partners = np.maximum(ctx["loan_partners"], 1)
    partnership = ctx["loan_partnership"] & (partners >= 2)
    shared = np.minimum(
        float(_p(ctx, "partner_limit")) * partners, float(_p(ctx, "partnership_cap"))
    )
    return np.where(partnership, shared, float(_p(ctx, "individual_limit")))


@_cached
def _has_loan(ctx: Ctx) -> np.ndarray:
    return np.nan_to_num(ctx["loan_amount"]) > 0


def _within_limit(ctx: Ctx) -> np.ndarray:
    return ~_has_loan(ctx) | (ctx["loan_amount"] <= _limit(ctx))


def _limit_detail(ctx: Ctx, i: int) -> str:
    limit = f"{_limit(ctx)[i]:,.0f}"
    if not _has_loan(ctx)[i]:
        return _t("No loan contract yet; the limit is %(limit)s yuan") % {"limit": limit}
    return _t("Loan %(amount)s yuan; the limit is %(limit)s yuan") % {
        "amount": f"{ctx['loan_amount'][i]:,.0f}",
        "limit": limit,
    }


def _term_ok(ctx: Ctx) -> np.ndarray:
    return ~_has_loan(ctx) | (ctx["loan_months"] <= int(_p(ctx, "max_months")))


def _term_detail(ctx: Ctx, i: int) -> str:
    if not _has_loan(ctx)[i]:
        return _t("No loan contract yet")
    return _t("Term %(months)s months; at most %(max)s") % {
        "months": int(ctx["loan_months"][i]),
        "max": int(_p(ctx, "max_months")),
    }


@_cached
def _subsidy_rate(ctx: Ctx) -> np.ndarray:
    """The subsidised part of the annual rate, in percentage points (NaN without a rate)."""
    rate, lpr = ctx["loan_rate"], ctx["loan_lpr"]
    scheme = str(_p(ctx, "subsidy_scheme"))
    if scheme == "national":
        borrower_max = np.maximum(lpr - float(_p(ctx, "borrower_below_lpr_bp")) / 100, 0)
        return np.maximum(rate - borrower_max, 0)
    if scheme == "local_half":
        capped = np.minimum(rate, lpr + float(_p(ctx, "rate_cap_above_lpr_bp")) / 100)
        return float(_p(ctx, "local_subsidy_share")) * capped
    raise ValueError(f"{CODE}.subsidy_scheme: unknown scheme {scheme!r}")


def _amount(ctx: Ctx) -> np.ndarray:
    months = ctx["loan_months"]
    first_year = np.where(months > 0, np.minimum(months, 12), 12) / 12
    subsidy = ctx["loan_amount"] * _subsidy_rate(ctx) / 100 * first_year
    return np.where(_has_loan(ctx), subsidy, 0.0)


def _facts(ctx: Ctx) -> dict[str, np.ndarray]:
    return {
        "loan_limit": _limit(ctx),
        "loan_status": np.where(_has_loan(ctx), "contract", "no_contract"),
        "subsidy_rate": np.where(_has_loan(ctx), _subsidy_rate(ctx), np.nan),
        "subsidy_scheme": np.full(ctx.n, str(_p(ctx, "subsidy_scheme"))),
    }


POLICY = Policy(
    code=CODE,
    name=_("Guaranteed start-up loan"),
    description=_(
        "Registered unemployed people, recognised difficulty persons, recent graduates, "
        "veterans, ex-poverty people and landless farmers may borrow for a business with a "
        "guarantee, and the budget subsidises the interest."
    ),
    reference=(
        "财金〔2020〕21号 创业担保贷款实施办法及地方规定；政策简报 §2 创业担保贷款 [S22]–[S24]"
    ),
    entity="person",
    subject_type="person",
    subject_column="id",
    payee_type="person",
    payee_column="id",
    fund="loan_fund",
    pays=False,
    order=15,
    conditions=[
        Condition(
            "target_group",
            _("The person belongs to a group eligible for a guaranteed start-up loan"),
            _target_group,
            gate=True,
            detail=_target_detail,
        ),
        Condition(
            "working_age",
            _("The person is of legal working age (at least 16 and below retirement age)"),
            lambda c: c.working_age(),
        ),
        Condition(
            "loan_within_limit",
            _("The loan does not exceed the limit"),
            _within_limit,
            detail=_limit_detail,
        ),
        Condition(
            "term_within_limit",
            _("The loan term does not exceed the limit"),
            _term_ok,
            detail=_term_detail,
        ),
    ],
    amount=_amount,
    period=lambda c: str(c.as_of.year),
    facts=_facts,
)
