"""求职创业补贴 (job-search and start-up subsidy for graduating students) — policy brief §2 [S64].

A one-off grant, applied for through the school, to students in their graduation year who
come from a 低保 family, a poor disabled person's family, an ex-poverty family or a
zero-employment family, who are disabled, or who hold a state student loan (就业补助资金管理办法,
财社〔2017〕164号 第六条, and later widenings). The groups are a parameter list of person
columns. Shanxi's amount is UNCONFIRMED: the default is the 1,000 yuan of Dalian's 2017 text
(1,500 and 3,000 are seen elsewhere). Once per person.
"""

from __future__ import annotations

import numpy as np
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _

from jiuye.policies.engine import Condition, Ctx, Policy
from jiuye.policies.inputs import SCHEMA

CODE = "job_search_subsidy"
DESCRIPTIONS = {c.name: c.description for c in SCHEMA["person"]}


def _groups(ctx: Ctx) -> list[str]:
    names = list(ctx.params(f"{CODE}.target_groups"))
    for name in names:
        # A misspelt group must surface as an error, not silently match nobody.
        if DESCRIPTIONS.get(name) is None or ctx.rows[name].dtype.kind != "b":
            raise ValueError(f"{CODE}.target_groups: {name!r} is not a boolean person column")
    return names


def _graduating(ctx: Ctx) -> np.ndarray:
    offsets = [int(v) for v in ctx.params(f"{CODE}.graduation_year_offsets")]
    return ctx["in_school"] & np.isin(ctx["graduate_year"] - ctx.as_of.year, offsets)


def _graduating_detail(ctx: Ctx, i: int) -> str:
    return _t("In school: %(in_school)s; graduation year %(year)s") % {
        "in_school": _t("yes") if ctx["in_school"][i] else _t("no"),
        "year": int(ctx["graduate_year"][i]) or "—",
    }


def _target_group(ctx: Ctx) -> np.ndarray:
    out = np.zeros(ctx.n, dtype=bool)
    for name in _groups(ctx):
        out |= ctx[name]
    return out


def _target_detail(ctx: Ctx, i: int) -> str:
    matched = [DESCRIPTIONS[name] for name in _groups(ctx) if ctx[name][i]]
    return "、".join(matched) if matched else _t("None of the groups")


POLICY = Policy(
    code=CODE,
    name=_("Job-search and start-up subsidy for graduating students"),
    description=_(
        "A one-off grant to students in their graduation year from low-income, disabled, "
        "ex-poverty or zero-employment families, disabled students and holders of state "
        "student loans, applied for through the school."
    ),
    reference="就业补助资金管理办法（财社〔2017〕164号）第六条；政策简报 §2 求职创业补贴 [S64]",
    entity="person",
    subject_type="person",
    subject_column="id",
    payee_type="person",
    payee_column="id",
    fund="employment_fund",
    order=13,
    conditions=[
        Condition(
            "graduating",
            _("The person is a student in the graduation year"),
            _graduating,
            gate=True,
            detail=_graduating_detail,
        ),
        Condition(
            "target_group",
            _(
                "The student is from a dibao, poor disabled, ex-poverty or zero-employment "
                "family, is disabled, or holds a state student loan"
            ),
            _target_group,
            gate=True,
            detail=_target_detail,
        ),
        Condition(
            "first_time",
            _("The person has not received this subsidy before"),
            lambda c: ~c.population.granted([CODE], "person", c["id"]),
        ),
    ],
    amount=lambda c: np.full(c.n, float(c.params(f"{CODE}.amount"))),
    period=lambda c: "once",
)
