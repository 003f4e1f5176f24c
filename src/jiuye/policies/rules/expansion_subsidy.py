"""一次性扩岗补助 (one-off job-expansion subsidy) — policy brief §2 [S8]–[S12].

An enterprise or social organisation (not a government body or public institution) that hires
a graduate in the graduation year, a graduate within two years of leaving school who is still
unemployed, or a registered unemployed youth aged 16–24, signs a labour contract and pays
unemployment, work-injury and pension insurance for them for the required months, receives up
to 1,500 yuan per hire. Once per person — never again for the same person with any employer,
in any year or region — and not together with the 一次性吸纳就业补贴 (shared exclusion key).
Usually 免申即享.
"""

from __future__ import annotations

import numpy as np
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _

from jiuye.policies.engine import Condition, Ctx, Policy, age_on, months_between, ymd

CODE = "expansion_subsidy"
EXCLUSION_GROUP = ("expansion_subsidy", "absorption_subsidy")


def _age_at_hire(ctx: Ctx) -> np.ndarray:
    return ctx.cached("age_at_hire", lambda: age_on(ctx.person("birth_date"), ctx["hired_on"]))


def _target_group(ctx: Ctx) -> np.ndarray:
    hired_on = ctx["hired_on"]
    graduate = ctx.person("graduate")
    in_graduation_year = graduate & (ctx.person("graduate_year") == ymd(hired_on)[0])
    since_leaving = months_between(ctx.person("left_school_on"), hired_on)
    was_unemployed = ctx["unemployed_months_before"] > 0
    recent_graduate = (
        graduate
        & (since_leaving <= 12 * float(ctx.params(f"{CODE}.graduate_years_after_leaving")))
        & was_unemployed
    )
    age = _age_at_hire(ctx)
    youth = (
        was_unemployed
        & (age >= float(ctx.params(f"{CODE}.youth_age_min")))
        & (age <= float(ctx.params(f"{CODE}.youth_age_max")))
    )
    return in_graduation_year | recent_graduate | youth


def _target_detail(ctx: Ctx, i: int) -> str:
    age = _age_at_hire(ctx)[i]
    year = int(ctx.person("graduate_year")[i])
    text = _t("Age at hire %(age)s; graduation year %(year)s; unemployed %(months)s months before")
    return text % {
        "age": "—" if np.isnan(age) else int(age),
        "year": year or "—",
        "months": int(ctx["unemployed_months_before"][i]),
    }


def _employer_kind(ctx: Ctx) -> np.ndarray:
    excluded = list(ctx.params(f"{CODE}.excluded_ownership"))
    return ~np.isin(ctx.employer("ownership"), excluded)


def _insured(ctx: Ctx) -> np.ndarray:
    required = ctx.params.series(f"{CODE}.min_insured_months", ctx["hired_on"])
    paid = np.minimum.reduce(
        [ctx["ui_months_after"], ctx["injury_months_after"], ctx["pension_months_after"]]
    )
    return paid >= required


def _insured_detail(ctx: Ctx, i: int) -> str:
    required = ctx.params.series(f"{CODE}.min_insured_months", ctx["hired_on"][i : i + 1])[0]
    return _t(
        "Months paid: unemployment %(ui)s, work injury %(injury)s, pension %(pension)s; "
        "required %(required)s"
    ) % {
        "ui": int(ctx["ui_months_after"][i]),
        "injury": int(ctx["injury_months_after"][i]),
        "pension": int(ctx["pension_months_after"][i]),
        "required": "—" if np.isnan(required) else int(required),
    }


def _in_force(ctx: Ctx) -> np.ndarray:
    return np.isfinite(ctx.params.series(f"{CODE}.amount", ctx["hired_on"]))


def _first_time(ctx: Ctx) -> np.ndarray:
    return ~ctx.population.granted(EXCLUSION_GROUP, "person", ctx["person_id"])


def _amount(ctx: Ctx) -> np.ndarray:
    return ctx.params.series(f"{CODE}.amount", ctx["hired_on"])


POLICY = Policy(
    code=CODE,
    name=_("One-off job-expansion subsidy"),
    description=_(
        "For enterprises that hire graduates or registered unemployed youth aged 16–24 and pay "
        "their social insurance."
    ),
    reference="人社部发〔2022〕41号及其延续政策（至2025年底）；政策简报 §2 [S8]–[S12]",
    entity="hire",
    subject_type="person",
    subject_column="person_id",
    payee_type="employer",
    payee_column="employer_id",
    fund="ui_fund",
    no_application=True,
    order=20,
    conditions=[
        Condition(
            "target_group",
            _(
                "The person hired is a graduate in the graduation year, an unemployed graduate "
                "within two years of leaving school, or a registered unemployed youth aged 16–24"
            ),
            _target_group,
            gate=True,
            detail=_target_detail,
        ),
        Condition(
            "employer_kind",
            _(
                "The employer is an enterprise or social organisation (not a government body or "
                "public institution)"
            ),
            _employer_kind,
        ),
        Condition(
            "contract", _("A labour contract was signed"), lambda c: c["contract_months"] > 0
        ),
        Condition(
            "insured",
            _("Unemployment, work-injury and pension insurance paid for the required months"),
            _insured,
            detail=_insured_detail,
        ),
        Condition("in_force", _("Hired while the policy was in force"), _in_force),
        Condition(
            "first_time",
            _(
                "The person has never brought this subsidy or the one-off absorption subsidy to "
                "any employer"
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
    exclusion=lambda c: np.char.add("hire_subsidy:person:", c["person_id"].astype(str)),
    facts=lambda c: {"age_at_hire": _age_at_hire(c), "hired_on": c["hired_on"]},
)
