"""就业见习补贴 (internship subsidy for the host unit) — policy brief §2 [S26].

A host unit that takes on an intern — a graduate within two years of leaving school, or an
unemployed youth aged 16–24, when the internship starts — for an internship of 3–12 months
receives, each month, a share of the local monthly minimum wage per intern: 70%, or 110% when
it has kept at least half of its interns. If the host signs a labour contract with the intern
before the end, the remaining planned months are still paid.

How months are counted (the same in every run, so no month is paid twice or lost):

* The run for month P (the calendar month before the as-of date; period ``"2025-09"``) pays
  the internship months *completed* in P. Internship month k runs from the start date plus
  k−1 months to the day before the start date plus k months, and a calendar month contains
  exactly one such completion while the internship runs, so every month pays at most one.
  A month cut short by an early end (the intern left) is not paid.
* In the month the host retains the intern (``retained_on`` in P, no later than the planned
  end and at most one day after the recorded end), the run pays every planned month not yet
  completed before P in one sum: the month of retention and all that remain. Later months
  pay nothing, because the internship has ended.
* The host's retention rate is computed over the whole internship table: internships kept
  (``retained_on`` by the end of P) ÷ internships ended by the end of P (ended, retained, or
  past their planned end).
"""

from __future__ import annotations

import numpy as np
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _

from jiuye.policies.engine import Condition, Ctx, Policy, add_months, age_on, months_between

CODE = "internship_subsidy"
ONE_DAY = np.timedelta64(1, "D")


def _month(ctx: Ctx) -> np.datetime64:
    return np.datetime64(ctx.as_of, "M") - 1


def _bounds(ctx: Ctx) -> tuple[np.datetime64, np.datetime64]:
    """First and last day of the period month."""
    month = _month(ctx)
    return month.astype("datetime64[D]"), (month + 1).astype("datetime64[D]") - ONE_DAY


def _period(ctx: Ctx) -> str:
    return str(_month(ctx))


def _end(ctx: Ctx) -> np.ndarray:
    """The internship's last day: the planned end, or earlier if it ended or the intern was
    retained earlier."""
    return np.fmin.reduce([ctx["planned_end_on"], ctx["ended_on"], ctx["retained_on"]])


def _planned_months(ctx: Ctx) -> np.ndarray:
    # An agreement from 1 March to 31 May is three months: count to the day after the end.
    months = months_between(ctx["start_on"], ctx["planned_end_on"] + ONE_DAY)
    return np.nan_to_num(months, nan=0.0)


def _completed_by(ctx: Ctx, day: np.ndarray) -> np.ndarray:
    """Internship months completed on or before ``day`` (each row its own day), 0 to N."""
    done = np.nan_to_num(months_between(ctx["start_on"], day + ONE_DAY), nan=0.0)
    return np.clip(done, 0, _planned_months(ctx))


def _retained_in_period(ctx: Ctx) -> np.ndarray:
    p0, p1 = _bounds(ctx)
    retained, ended = ctx["retained_on"], ctx["ended_on"]
    during = (
        (retained >= ctx["start_on"])
        & (retained <= ctx["planned_end_on"])
        & (np.isnat(ended) | (retained <= ended + ONE_DAY))
    )
    return ~np.isnat(retained) & (retained >= p0) & (retained <= p1) & during


def _months_paid(ctx: Ctx) -> np.ndarray:
    p0, p1 = _bounds(ctx)
    end = _end(ctx)
    before = _completed_by(ctx, np.fmin(end, p0 - ONE_DAY))
    through = _completed_by(ctx, np.fmin(end, np.datetime64(p1)))
    remaining = _planned_months(ctx) - before
    return np.maximum(np.where(_retained_in_period(ctx), remaining, through - before), 0)


def _retention_rate(ctx: Ctx) -> np.ndarray:
    """Each row's host: interns kept ÷ internships ended, by the end of the period month."""
    _, p1 = _bounds(ctx)
    table = ctx.population["internship"]
    retained = ~np.isnat(table["retained_on"]) & (table["retained_on"] <= p1)
    ended = (
        retained
        | (~np.isnat(table["ended_on"]) & (table["ended_on"] <= p1))
        | (table["planned_end_on"] <= p1)
    )
    hosts, inverse = np.unique(table["employer_id"], return_inverse=True)
    n_ended = np.bincount(inverse, weights=ended, minlength=len(hosts))
    n_retained = np.bincount(inverse, weights=retained & ended, minlength=len(hosts))
    with np.errstate(divide="ignore", invalid="ignore"):
        by_host = np.where(n_ended > 0, n_retained / n_ended, 0.0)
    if len(hosts) == 0:
        return np.zeros(ctx.n)
    pos = np.clip(np.searchsorted(hosts, ctx["employer_id"]), 0, len(hosts) - 1)
    return np.where(hosts[pos] == ctx["employer_id"], by_host[pos], 0.0)


def _share(ctx: Ctx) -> np.ndarray:
    kept_enough = _retention_rate(ctx) >= float(ctx.params(f"{CODE}.retention_rate_min"))
    return np.where(
        kept_enough,
        float(ctx.params(f"{CODE}.share_retaining_host")),
        float(ctx.params(f"{CODE}.share")),
    )


def _minimum_wage(ctx: Ctx) -> np.ndarray:
    """The monthly minimum wage where the host is: the longest matching region-code prefix
    of the parameter's mapping, else its ``default``."""
    table = {str(k): float(v) for k, v in dict(ctx.params(f"{CODE}.minimum_wage")).items()}
    region = ctx["region_code"]
    region = np.where(region == "", ctx.employer("region_code"), region)
    out = np.full(ctx.n, table.get("default", np.nan))
    # Shorter prefixes first, so a county's own value overrides its city's.
    for prefix in sorted((k for k in table if k != "default"), key=len):
        out[np.char.startswith(region, prefix)] = table[prefix]
    return out


def _target_group(ctx: Ctx) -> np.ndarray:
    start = ctx["start_on"]
    left = ctx.person("left_school_on")
    years = int(ctx.params(f"{CODE}.graduate_years_after_leaving"))
    graduate = (
        ctx.person("graduate")
        & ~np.isnat(left)
        & (left <= start)
        & (start <= add_months(left, 12 * years))
    )
    age = age_on(ctx.person("birth_date"), start)
    youth = (
        ctx["unemployed_at_start"]
        & (age >= float(ctx.params(f"{CODE}.youth_age_min")))
        & (age <= float(ctx.params(f"{CODE}.youth_age_max")))
    )
    return graduate | youth


def _target_detail(ctx: Ctx, i: int) -> str:
    age = age_on(ctx.person("birth_date"), ctx["start_on"])[i]
    left = ctx.person("left_school_on")[i]
    return _t("Age at start %(age)s; left school on %(left)s; unemployed at start: %(unemp)s") % {
        "age": "—" if np.isnan(age) else int(age),
        "left": "—" if np.isnat(left) else str(left),
        "unemp": _t("yes") if ctx["unemployed_at_start"][i] else _t("no"),
    }


def _active(ctx: Ctx) -> np.ndarray:
    p0, p1 = _bounds(ctx)
    return (ctx["start_on"] <= p1) & (_end(ctx) >= p0)


def _duration(ctx: Ctx) -> np.ndarray:
    months = _planned_months(ctx)
    return (months >= float(ctx.params(f"{CODE}.min_months"))) & (
        months <= float(ctx.params(f"{CODE}.max_months"))
    )


def _duration_detail(ctx: Ctx, i: int) -> str:
    return _t("Planned internship of %(months)s months; allowed %(min)s–%(max)s") % {
        "months": int(_planned_months(ctx)[i]),
        "min": int(ctx.params(f"{CODE}.min_months")),
        "max": int(ctx.params(f"{CODE}.max_months")),
    }


def _months_detail(ctx: Ctx, i: int) -> str:
    retained = ctx["retained_on"][i]
    text = _t("Months paid for this period: %(paid)s of %(planned)s planned")
    if _retained_in_period(ctx)[i]:
        text = _t(
            "Retained on %(retained)s: months paid for this period: %(paid)s of %(planned)s "
            "planned (the remaining months)"
        )
    return text % {
        "paid": int(_months_paid(ctx)[i]),
        "planned": int(_planned_months(ctx)[i]),
        "retained": "" if np.isnat(retained) else str(retained),
    }


def _share_detail(ctx: Ctx, i: int) -> str:
    return _t(
        "Host retention rate %(rate)s; %(share)s of the monthly minimum wage %(wage)s yuan"
    ) % {
        "rate": f"{_retention_rate(ctx)[i]:.0%}",
        "share": f"{_share(ctx)[i]:.0%}",
        "wage": _wage_text(_minimum_wage(ctx)[i]),
    }


def _wage_text(value: float) -> str:
    return "—" if not np.isfinite(value) else f"{value:,.0f}"


def _not_paid(ctx: Ctx) -> np.ndarray:
    return ~ctx.population.granted([CODE], "person", ctx["person_id"], period=_period(ctx))


def _amount(ctx: Ctx) -> np.ndarray:
    return _months_paid(ctx) * _share(ctx) * _minimum_wage(ctx)


POLICY = Policy(
    code=CODE,
    name=_("Internship subsidy"),
    description=_(
        "Monthly for units hosting graduates within two years of leaving school or unemployed "
        "youth aged 16–24 as interns; more for hosts that keep at least half of their interns."
    ),
    reference="就业见习补贴（见习单位，按当地最低工资标准的一定比例按月补贴）；政策简报 §2 [S26]",
    entity="internship",
    subject_type="person",
    subject_column="person_id",
    payee_type="employer",
    payee_column="employer_id",
    fund="employment_fund",
    order=23,
    conditions=[
        Condition(
            "target_group",
            _(
                "When the internship started the intern was a graduate within two years of "
                "leaving school or an unemployed youth aged 16–24"
            ),
            _target_group,
            gate=True,
            detail=_target_detail,
        ),
        Condition(
            "active",
            _("The internship ran during the month"),
            _active,
            gate=True,
        ),
        Condition(
            "duration",
            _("The internship agreement is for 3 to 12 months"),
            _duration,
            detail=_duration_detail,
        ),
        Condition(
            "months_due",
            _(
                "A month of the internship was completed in the month, or the host signed a "
                "labour contract with the intern before the end"
            ),
            lambda c: _months_paid(c) > 0,
            detail=_months_detail,
        ),
        Condition(
            "minimum_wage_known",
            _("The local monthly minimum wage is known"),
            lambda c: np.isfinite(_minimum_wage(c)) & (_minimum_wage(c) > 0),
            detail=_share_detail,
        ),
        Condition(
            "not_paid",
            _("The host has not yet been paid for this intern for the month"),
            _not_paid,
        ),
        Condition(
            "not_blacklisted",
            _("The host is not on the list of employers punished for wage arrears"),
            lambda c: c.not_blacklisted(),
            detail=lambda c, i: c.blacklist_detail(i),
        ),
    ],
    amount=_amount,
    period=_period,
    facts=lambda c: {
        "months_paid": _months_paid(c),
        "planned_months": _planned_months(c),
        "retention_rate": _retention_rate(c),
        "minimum_wage": _minimum_wage(c),
        "share": _share(c),
    },
)
