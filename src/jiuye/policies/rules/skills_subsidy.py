"""技能提升补贴 (skills-upgrading subsidy) — policy brief §2 [S16][S20][S21].

An employee insured for unemployment insurance for at least a year, or someone drawing
unemployment benefit, who obtains a skills qualification or skill-level certificate, receives
up to 1,000 yuan for level 5 (初级工), 1,500 for level 4 (中级工) and 2,000 for level 3 (高级工),
from the unemployment insurance fund, if claimed within 12 months of the certificate's issue.
The same occupation and level is paid once; a higher level already held in the occupation
rules out a lower one; not together with the 职业培训补贴 for the same certificate. From 2025
a person may claim once a year, plus up to twice more for certificates in shortage
occupations.

Levels 2 (技师) and 1 (高级技师) have no national amount: they are not paid unless a
province's parameter file adds them to ``skills_subsidy.amount_by_level``; a level-2 or
level-1 certificate still counts as a higher level held.

Within one run the yearly limit holds too: a person's eligible certificates are ranked by
amount (highest first), then issue date, and taken while the limit allows; the general claim
can go to any certificate, the extra claims only to shortage-occupation certificates.
"""

from __future__ import annotations

import numpy as np
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _

from jiuye.policies.engine import Condition, Ctx, Policy, add_months

CODE = "skills_subsidy"
LEVELS = (1, 2, 3, 4, 5)


def _key(person_ids: np.ndarray, occupations: np.ndarray, levels=None) -> np.ndarray:
    key = np.char.add(np.char.add(np.asarray(person_ids).astype(str), "|"), occupations)
    if levels is None:
        return key
    return np.char.add(np.char.add(key, ":"), np.asarray(levels).astype(str))


def _period(ctx: Ctx) -> np.ndarray:
    return np.char.add(np.char.add(ctx["occupation_code"], ":"), ctx["level"].astype(str))


def _granted_certificates(ctx: Ctx, policies) -> tuple[np.ndarray, ...]:
    """(person, occupation, level, granted_on) of each granted entitlement of ``policies``
    whose period is "<occupation_code>:<level>"."""
    h = ctx.population["history"]
    mask = ctx.population.history_mask(policies, "person")
    periods = h["period"][mask]
    if len(periods) == 0:
        empty = np.array([], dtype=str)
        return np.array([], dtype=np.int64), empty, np.array([], dtype=np.int64), empty
    parts = np.char.rpartition(periods, ":")
    well_formed = (parts[:, 1] == ":") & np.char.isdigit(parts[:, 2])
    levels = np.where(well_formed, parts[:, 2], "0").astype(np.int64)
    return (
        h["subject_id"][mask][well_formed],
        parts[:, 0][well_formed],
        levels[well_formed],
        h["granted_on"][mask][well_formed],
    )


def _claim_window(ctx: Ctx) -> np.ndarray:
    issued = ctx["issued_on"]
    months = int(ctx.params(f"{CODE}.claim_months"))
    known = (ctx["occupation_code"] != "") & np.isin(ctx["level"], LEVELS)
    return (
        known
        & ~np.isnat(issued)
        & (issued <= ctx.as_of64)
        & (ctx.as_of64 <= add_months(issued, months))
    )


def _window_detail(ctx: Ctx, i: int) -> str:
    issued = ctx["issued_on"][i]
    months = int(ctx.params(f"{CODE}.claim_months"))
    return _t("Issued on %(issued)s; claims accepted until %(until)s") % {
        "issued": "—" if np.isnat(issued) else str(issued),
        "until": "—" if np.isnat(issued) else str(add_months(issued, months)),
    }


def _insured(ctx: Ctx) -> np.ndarray:
    months = ctx.person("ui_months")
    return (months >= int(ctx.params(f"{CODE}.min_ui_months"))) | ctx.person("drawing_ui_benefit")


def _insured_detail(ctx: Ctx, i: int) -> str:
    return _t("Unemployment insurance paid for %(months)s months; drawing benefit: %(ben)s") % {
        "months": int(ctx.person("ui_months")[i]),
        "ben": _t("yes") if ctx.person("drawing_ui_benefit")[i] else _t("no"),
    }


def _amounts(ctx: Ctx) -> np.ndarray:
    table = {int(k): float(v) for k, v in dict(ctx.params(f"{CODE}.amount_by_level")).items()}
    out = np.full(ctx.n, np.nan)
    for level, amount in table.items():
        out[ctx["level"] == level] = amount
    return out


def _level_covered(ctx: Ctx) -> np.ndarray:
    return np.isfinite(_amounts(ctx))


def _new_occupation_level(ctx: Ctx) -> np.ndarray:
    """Not paid before for this occupation and level, and the first certificate of that
    occupation and level in the run (a duplicate certificate row must not take a claim)."""
    paid = ctx.population.granted([CODE], "person", ctx["person_id"], period=_period(ctx))
    key = _key(ctx["person_id"], ctx["occupation_code"], ctx["level"])
    order = np.lexsort((np.arange(ctx.n), ctx["issued_on"], key))
    first = np.zeros(ctx.n, dtype=bool)
    if ctx.n:
        sorted_key = key[order]
        first[order] = np.r_[True, sorted_key[1:] != sorted_key[:-1]]
    return ~paid & first


def _highest_held(ctx: Ctx) -> np.ndarray:
    """The highest level (smallest number) each row's person holds in the row's occupation,
    from certificates issued by the as-of date and from subsidies granted; 99 when none."""
    table = ctx.population["certificate"]
    held = (
        ~np.isnat(table["issued_on"])
        & (table["issued_on"] <= ctx.as_of64)
        & np.isin(table["level"], LEVELS)
        & (table["occupation_code"] != "")
    )
    person, occupation, level, _on = _granted_certificates(ctx, [CODE])
    keys = np.concatenate(
        [_key(table["person_id"][held], table["occupation_code"][held]), _key(person, occupation)]
    )
    levels = np.concatenate([table["level"][held], level])
    out = np.full(ctx.n, 99, dtype=np.int64)
    if len(keys) == 0:
        return out
    order = np.argsort(keys, kind="stable")
    keys, levels = keys[order], levels[order]
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    unique_keys, best = keys[starts], np.minimum.reduceat(levels, starts)
    mine = _key(ctx["person_id"], ctx["occupation_code"])
    pos = np.clip(np.searchsorted(unique_keys, mine), 0, len(unique_keys) - 1)
    return np.where(unique_keys[pos] == mine, best[pos], out)


def _no_higher_level(ctx: Ctx) -> np.ndarray:
    return _highest_held(ctx) >= ctx["level"]


def _higher_detail(ctx: Ctx, i: int) -> str:
    best = int(_highest_held(ctx)[i])
    return _t("Highest level held in this occupation: %(best)s; this certificate: %(level)s") % {
        "best": "—" if best == 99 else best,
        "level": int(ctx["level"][i]),
    }


def _no_training_subsidy(ctx: Ctx) -> np.ndarray:
    excluded = [str(p) for p in ctx.params(f"{CODE}.excluded_policies")]
    if not excluded:
        return np.ones(ctx.n, dtype=bool)
    return ~ctx.population.granted(excluded, "person", ctx["person_id"], period=_period(ctx))


def _shortage(occupations: np.ndarray, listed) -> np.ndarray:
    """Whether each occupation code is, or lies under, a listed code ("6-18" covers
    "6-18-02-04"): one ``isin`` per distinct length of the listed codes."""
    listed = [str(code) for code in listed if str(code)]
    occupations = np.asarray(occupations).astype(str)
    out = np.zeros(len(occupations), dtype=bool)
    lengths = np.char.str_len(occupations)
    for length in sorted({len(code) for code in listed}):
        codes = [code for code in listed if len(code) == length]
        head = occupations.astype(f"<U{length}")
        boundary = (lengths == length) | np.char.endswith(
            occupations.astype(f"<U{length + 1}"), "-"
        )
        out |= np.isin(head, codes) & boundary
    return out


def _yearly_limit(ctx: Ctx) -> np.ndarray:
    """The claim fits in this year's limit, counting claims granted earlier this year and the
    person's better-ranked eligible certificates in this run."""
    base = int(ctx.params(f"{CODE}.claims_per_year"))
    extra = int(ctx.params(f"{CODE}.extra_claims_shortage"))
    listed = list(ctx.params(f"{CODE}.shortage_occupations"))
    year = ctx.as_of.year

    # Claims already granted this year, in total and outside shortage occupations.
    person, occupation, _level, granted_on = _granted_certificates(ctx, [CODE])
    this_year = granted_on.astype("datetime64[Y]").astype(np.int64) + 1970 == year
    used_total = ctx.population.granted_count([CODE], "person", ctx["person_id"], year=year)
    ordinary_ids = person[this_year & ~_shortage(occupation, listed)]
    used_ordinary = _count(ordinary_ids, ctx["person_id"])
    ordinary_left = np.maximum(base - used_ordinary, 0)
    total_left = np.maximum(base + extra - used_total, 0)

    # Rank the certificates that pass every other condition, per person: highest amount
    # first, then the earliest issued.
    shortage = _shortage(ctx["occupation_code"], listed)
    others = [c for c in POLICY.conditions if c.code != "yearly_limit"]
    passing = np.logical_and.reduce([np.asarray(c.test(ctx), dtype=bool) for c in others])
    amount = np.nan_to_num(_amounts(ctx), nan=0.0)
    order = np.lexsort((np.arange(ctx.n), ctx["issued_on"], -amount, ~passing, ctx["person_id"]))
    people = ctx["person_id"][order]
    # The rank of each row among its person's rows of the same kind, in that order.
    ordinary_rank = _rank_within(people, passing[order] & ~shortage[order])
    may_take = passing[order] & (shortage[order] | (ordinary_rank < ordinary_left[order]))
    taken_before = _rank_within(people, may_take)
    fits = np.zeros(ctx.n, dtype=bool)
    fits[order] = may_take & (taken_before < total_left[order])
    return fits


def _rank_within(groups: np.ndarray, flags: np.ndarray) -> np.ndarray:
    """For rows sorted by group: how many earlier rows of the same group are flagged."""
    if len(groups) == 0:
        return np.zeros(0, dtype=np.int64)
    running = np.cumsum(flags) - flags
    starts = np.r_[True, groups[1:] != groups[:-1]]
    group_start = np.maximum.accumulate(np.where(starts, np.arange(len(groups)), 0))
    return running - running[group_start]


def _count(ids: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    values, counts = np.unique(ids, return_counts=True)
    if len(values) == 0:
        return np.zeros(len(wanted), dtype=np.int64)
    pos = np.clip(np.searchsorted(values, wanted), 0, len(values) - 1)
    return np.where(values[pos] == wanted, counts[pos], 0)


def _limit_detail(ctx: Ctx, i: int) -> str:
    return _t(
        "Claims granted this year: %(used)s; limit %(base)s, plus %(extra)s for shortage "
        "occupations; shortage occupation: %(shortage)s"
    ) % {
        "used": int(
            ctx.population.granted_count(
                [CODE], "person", ctx["person_id"][i : i + 1], year=ctx.as_of.year
            )[0]
        ),
        "base": int(ctx.params(f"{CODE}.claims_per_year")),
        "extra": int(ctx.params(f"{CODE}.extra_claims_shortage")),
        "shortage": _t("yes")
        if _shortage(ctx["occupation_code"][i : i + 1], ctx.params(f"{CODE}.shortage_occupations"))[
            0
        ]
        else _t("no"),
    }


POLICY = Policy(
    code=CODE,
    name=_("Skills-upgrading subsidy"),
    description=_(
        "For insured employees and people drawing unemployment benefit who obtain a skills "
        "qualification or skill-level certificate."
    ),
    reference="技能提升补贴（失业保险支持参保职工提升职业技能）；政策简报 §2 [S16][S20][S21]",
    entity="certificate",
    subject_type="person",
    subject_column="person_id",
    payee_type="person",
    payee_column="person_id",
    fund="ui_fund",
    order=24,
    conditions=[
        Condition(
            "claim_window",
            _(
                "The person obtained a skills certificate of a known occupation and level "
                "within the last 12 months"
            ),
            _claim_window,
            gate=True,
            detail=_window_detail,
        ),
        Condition(
            "insured",
            _(
                "The person has paid unemployment insurance for at least 12 months or draws "
                "unemployment benefit"
            ),
            _insured,
            detail=_insured_detail,
        ),
        Condition(
            "level_covered",
            _("The subsidy covers the certificate's level (levels 5, 4 and 3)"),
            _level_covered,
        ),
        Condition(
            "new_occupation_level",
            _("The person has not been paid for this occupation and level before"),
            _new_occupation_level,
        ),
        Condition(
            "no_higher_level",
            _("The person holds no higher level in the same occupation"),
            _no_higher_level,
            detail=_higher_detail,
        ),
        Condition(
            "no_training_subsidy",
            _("No vocational training subsidy was granted for the same certificate"),
            _no_training_subsidy,
        ),
        Condition(
            "yearly_limit",
            _(
                "The claim fits in this year's limit (one a year, plus two for shortage "
                "occupations)"
            ),
            _yearly_limit,
            detail=_limit_detail,
        ),
    ],
    amount=_amounts,
    period=_period,
    # A 职业培训补贴 for the same certificate should carry the same key (see the module doc).
    exclusion=lambda c: np.char.add(
        np.char.add(np.char.add("skills_certificate:person:", c["person_id"].astype(str)), ":"),
        _period(c),
    ),
    facts=lambda c: {
        "issued_on": c["issued_on"],
        "level": c["level"],
        "ui_months": c.person("ui_months"),
    },
)
