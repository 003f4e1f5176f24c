"""失业保险稳岗返还 (unemployment-insurance job-stabilisation refund) — policy brief §2
[S13][S14][S15][S17][S19].

An insured unit — an enterprise, or a social organisation, foundation, social-service body, law
or accounting firm, or an individual business insured as a unit (these count as SMEs) — that
has paid unemployment insurance in full for at least 12 months and laid off nobody last year,
or kept its layoff rate at or below the national surveyed-unemployment target (5.5%; 20% for
employers with at most 30 insured staff), gets back a share of last year's unemployment
insurance contributions actually paid: 30% for large firms, 60% for SMEs. 免申即享, paid from
the unemployment insurance fund, once per employer and year.

Local variants are parameters: the layoff-rate formula (its numerator and denominator), the
headcount that decides "at most 30 insured", the large/SME split, the rates of
国办发〔2025〕25号. The fund-level precondition (the reserve covers at least 12 months of
expenditure) cannot be seen from the registry; it is a parameter listing the regions whose fund
falls short (``stabilisation_refund.fund_reserve_short_regions``).
"""

from __future__ import annotations

import numpy as np
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _

from jiuye.policies.engine import Condition, Ctx, Policy

CODE = "stabilisation_refund"


def _period(ctx: Ctx) -> str:
    # The refund is about last calendar year's contributions and layoffs.
    return str(ctx.as_of.year - 1)


def _headcount(ctx: Ctx) -> np.ndarray:
    """Insured staff last year, by the configured basis (decides "at most 30 insured" and,
    under the headcount split, large versus SME)."""
    start = ctx["insured_start"].astype(np.float64)
    end = ctx["insured_end"].astype(np.float64)
    basis = ctx.params(f"{CODE}.headcount_basis")
    if basis == "start":
        return start
    if basis == "end":
        return end
    if basis != "average":
        raise ValueError(f"{CODE}.headcount_basis: unknown basis {basis!r}")
    # The monthly average where the social-insurance agency reports it, else the mean of the
    # year's first and last month.
    average = ctx["insured_avg"]
    return np.where(np.isfinite(average), average, (start + end) / 2)


def _layoffs(ctx: Ctx) -> np.ndarray:
    numerator = ctx.params(f"{CODE}.layoff_rate_numerator")
    if numerator == "claimants":
        return ctx["ui_claimants"].astype(np.float64)
    if numerator == "separations":
        return ctx["separations"].astype(np.float64)
    if numerator == "headcount_drop":
        return np.maximum(ctx["insured_start"] - ctx["insured_end"], 0).astype(np.float64)
    raise ValueError(f"{CODE}.layoff_rate_numerator: unknown numerator {numerator!r}")


def _base(ctx: Ctx) -> np.ndarray:
    denominator = ctx.params(f"{CODE}.layoff_rate_denominator")
    if denominator == "average":
        average = ctx["insured_avg"]
        return np.where(np.isfinite(average), average, np.nan)
    if denominator == "start":
        return ctx["insured_start"].astype(np.float64)
    raise ValueError(f"{CODE}.layoff_rate_denominator: unknown denominator {denominator!r}")


def _layoff_rate(ctx: Ctx) -> np.ndarray:
    """Layoffs ÷ base; 0 with no layoffs at all (whatever the base), infinite when there were
    layoffs but no base to divide by (the rate cannot be shown to be low enough)."""
    layoffs, base = _layoffs(ctx), _base(ctx)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = layoffs / base
    rate = np.where((base > 0) & np.isfinite(base), rate, np.inf)
    return np.where(layoffs <= 0, 0.0, rate)


def _small(ctx: Ctx) -> np.ndarray:
    return _headcount(ctx) <= float(ctx.params(f"{CODE}.small_employer_max_insured"))


def _max_rate(ctx: Ctx) -> np.ndarray:
    # The national target of the year the layoffs happened in (上年度…控制目标).
    year_end = np.datetime64(f"{ctx.as_of.year - 1}-12-31", "D")
    target = ctx.params.series(f"{CODE}.unemployment_target", np.array([year_end]))[0]
    small_rate = float(ctx.params(f"{CODE}.small_employer_max_layoff_rate"))
    return np.where(_small(ctx), small_rate, target)


def _insured_unit(ctx: Ctx) -> np.ndarray:
    return (ctx["ui_months_full"] > 0) | (ctx["ui_paid"] > 0)


def _employer_kind(ctx: Ctx) -> np.ndarray:
    excluded = list(ctx.params(f"{CODE}.excluded_ownership"))
    return ~np.isin(ctx["ownership"], excluded)


def _paid_in_full(ctx: Ctx) -> np.ndarray:
    return ctx["ui_months_full"] >= int(ctx.params(f"{CODE}.min_ui_months"))


def _paid_detail(ctx: Ctx, i: int) -> str:
    return _t("Paid in full for %(months)s consecutive months; required %(required)s") % {
        "months": int(ctx["ui_months_full"][i]),
        "required": int(ctx.params(f"{CODE}.min_ui_months")),
    }


def _layoff_ok(ctx: Ctx) -> np.ndarray:
    return _layoff_rate(ctx) <= _max_rate(ctx)


def _layoff_detail(ctx: Ctx, i: int) -> str:
    rate = _layoff_rate(ctx)[i]
    return _t(
        "Layoffs %(layoffs)s, base %(base)s, layoff rate %(rate)s; limit %(limit)s "
        "(insured staff %(headcount)s)"
    ) % {
        "layoffs": int(_layoffs(ctx)[i]),
        "base": _number(_base(ctx)[i]),
        "rate": "—" if not np.isfinite(rate) else f"{rate:.2%}",
        "limit": f"{_max_rate(ctx)[i]:.1%}",
        "headcount": _number(_headcount(ctx)[i]),
    }


def _number(value: float) -> str:
    if not np.isfinite(value):
        return "—"
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def _rates(ctx: Ctx) -> tuple[float, float]:
    """(large, SME) refund shares in force on the as-of date; NaN outside the window."""
    on = np.array([ctx.as_of64])
    scheme = ctx.params(f"{CODE}.rate_scheme")
    if scheme not in ("standard", "enhanced"):
        raise ValueError(f"{CODE}.rate_scheme: unknown scheme {scheme!r}")
    prefix = f"{CODE}.enhanced_" if scheme == "enhanced" else f"{CODE}."
    large = ctx.params.series(f"{prefix}rate_large", on)[0]
    sme = ctx.params.series(f"{prefix}rate_sme", on)[0]
    return float(large), float(sme)


def _large(ctx: Ctx) -> np.ndarray:
    basis = ctx.params(f"{CODE}.size_basis")
    if basis == "size_class":
        large = ctx["size_class"] == "large"
    elif basis == "headcount":
        large = _headcount(ctx) >= float(ctx.params(f"{CODE}.large_min_insured"))
    else:
        raise ValueError(f"{CODE}.size_basis: unknown basis {basis!r}")
    # Social organisations and individual businesses insured as units count as SMEs whatever
    # their size.
    return large & ~np.isin(ctx["ownership"], list(ctx.params(f"{CODE}.sme_ownership")))


def _share(ctx: Ctx) -> np.ndarray:
    large, sme = _rates(ctx)
    return np.where(_large(ctx), large, sme)


def _in_force(ctx: Ctx) -> np.ndarray:
    return np.full(ctx.n, all(np.isfinite(_rates(ctx))))


def _fund_reserve(ctx: Ctx) -> np.ndarray:
    short = [str(p) for p in ctx.params(f"{CODE}.fund_reserve_short_regions") if str(p)]
    out = np.ones(ctx.n, dtype=bool)
    for prefix in short:
        out &= ~np.char.startswith(ctx["region_code"], prefix)
    return out


def _first_this_year(ctx: Ctx) -> np.ndarray:
    return ~ctx.population.granted([CODE], "employer", ctx["id"], period=_period(ctx))


def _amount(ctx: Ctx) -> np.ndarray:
    return np.maximum(np.nan_to_num(ctx["ui_paid"]), 0) * _share(ctx)


POLICY = Policy(
    code=CODE,
    name=_("Unemployment insurance job-stabilisation refund"),
    description=_(
        "Insured employers that laid off nobody, or few, last year get back part of the "
        "unemployment insurance contributions they paid."
    ),
    reference=(
        "失业保险稳岗返还政策（人社部发〔2025〕18号延续至2025年12月31日；国办发〔2025〕25号）；"
        "政策简报 §2 [S13][S14][S15][S17][S19]"
    ),
    entity="employer",
    subject_type="employer",
    subject_column="id",
    payee_type="employer",
    payee_column="id",
    fund="ui_fund",
    no_application=True,
    order=22,
    conditions=[
        Condition(
            "insured_unit",
            _("The employer is insured for unemployment insurance as a unit"),
            _insured_unit,
            gate=True,
        ),
        Condition(
            "employer_kind",
            _(
                "The employer is an enterprise, social organisation, law or accounting firm or "
                "an individual business insured as a unit (not a government body or public "
                "institution)"
            ),
            _employer_kind,
        ),
        Condition(
            "paid_in_full",
            _("The employer has paid unemployment insurance in full for at least 12 months"),
            _paid_in_full,
            detail=_paid_detail,
        ),
        Condition(
            "layoff_rate",
            _(
                "Last year the employer laid off nobody, or its layoff rate did not exceed the "
                "national surveyed-unemployment target (20% for employers with at most 30 "
                "insured staff)"
            ),
            _layoff_ok,
            detail=_layoff_detail,
        ),
        Condition("in_force", _("The refund is in force on the date of the run"), _in_force),
        Condition(
            "fund_reserve",
            _(
                "The local unemployment insurance fund's reserve covers at least 12 months of "
                "expenditure"
            ),
            _fund_reserve,
        ),
        Condition(
            "first_this_year",
            _("The employer has not yet received the refund for last year"),
            _first_this_year,
        ),
        Condition(
            "not_blacklisted",
            _("The employer is not on the list of employers punished for wage arrears"),
            lambda c: c.not_blacklisted(),
            detail=lambda c, i: c.blacklist_detail(i),
        ),
    ],
    amount=_amount,
    period=_period,
    # An infinite rate (layoffs but no base) is stored as unknown: JSON has no infinity.
    facts=lambda c: {
        "layoff_rate": np.where(np.isfinite(_layoff_rate(c)), _layoff_rate(c), np.nan),
        "max_layoff_rate": _max_rate(c),
        "large": _large(c),
        "refund_share": _share(c),
        "ui_paid": c["ui_paid"],
    },
)
