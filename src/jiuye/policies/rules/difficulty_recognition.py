"""就业困难人员认定 (recognition of people with employment difficulties) — policy brief §1.

Shanxi, 晋政办发〔2024〕33号 (山西省就业困难人员认定管理办法; in force 2024-07-01, valid five
years) [S1][S3]. A person may be recognised when they hold a Shanxi 户籍, are of legal working
age (the progressive retirement age, ``Ctx.working_age``), are able and willing to work and are
registered unemployed — registration already certifies ability and willingness, so the
platform reads it from ``unemployed_since`` — are not already recognised, and belong to at
least one category:

1. 大龄失业人员 — a woman aged 40+ or a man aged 50+ who is a former state-owned or collective
   enterprise worker, or was insured with unemployment insurance paid for at least 6 months;
2. 低保人员 — receives urban 低保 and has been registered unemployed for at least a year;
3. 残疾失业人员 — holds a 残疾人证 or 残疾军人证 and has been registered unemployed a year;
4. 城镇零就业家庭成员 — every working-age member of the household (students still at school
   are not in the labour force) is registered unemployed. **Only one applicant per family**:
   among the members otherwise eligible, those who qualify under no other category go first,
   then the lowest id; a member already recognised under this category blocks the others;
5. 被征地农民 — lost all land through expropriation of collective land and has been
   registered unemployed for a year;
6. 就业困难的退役军人 — conditions UNCONFIRMED: by default a veteran registered unemployed
   for 6 months;
7. 长期失业人员 — duration UNCONFIRMED: by default continuously unemployed for 12 months
   since the last registration (or already recognised as long-term unemployed);
8. 就业困难高校毕业生 — UNCONFIRMED: by default a graduate within 2 years of leaving school,
   registered unemployed for 6 months, from a 低保, ex-poverty, zero-employment or
   poor-disabled family, or disabled;
9. 其他 — groups a prefecture adds (``difficulty_recognition.other_groups``, empty by default).

Every number and every unconfirmed reading above is a parameter
(``parameters/difficulty_recognition.yaml``). The matched category codes (those of
``jiuye.registry.models.DifficultyCategory``) go into the result's facts; recognition pays
nothing, so the amount is 0.

The procedure (``workflow="difficulty_recognition"``, built elsewhere) [S2][S3][S4]:

* 申请 — the person applies where they live (常住地) or where their 户籍 is, with the
  《山西省就业困难人员认定情况表》;
* 社区/村初审 — the community or village committee checks within **7 working days**;
* 公示 — public posting of name, sex, age, category, posting period, officer and phone;
* 乡镇（街道）审核 — the town or street PES reviews;
* 县级认定 — the county bureau confirms, checking shared data (public-security population
  records, civil-affairs 低保 status, market-regulation records of legal representatives and
  executives, disability certificates); marital status and children are declared on a signed
  pledge (承诺书) and spot-checked;
* 复核 — a re-check on the applicant's request.
"""

from __future__ import annotations

import numpy as np
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _

from jiuye.policies.engine import Condition, Ctx, Policy, add_months, months_between
from jiuye.registry.models import DifficultyCategory as Cat

CODE = "difficulty_recognition"

# The order staff read the categories in (the numbering of 晋政办发〔2024〕33号).
CATEGORIES = (
    Cat.OLDER_UNEMPLOYED,
    Cat.DIBAO,
    Cat.DISABLED,
    Cat.ZERO_FAMILY,
    Cat.LAND_LOST,
    Cat.VETERAN,
    Cat.LONG_TERM,
    Cat.GRADUATE,
    Cat.OTHER,
)


def _p(ctx: Ctx, name: str):
    return ctx.params(f"{CODE}.{name}")


def _bool_column(table, name: str, parameter: str) -> np.ndarray:
    """A boolean person column named by a parameter; a misspelt name is a configuration error
    that must surface, not silently match nobody."""
    if name not in table or table[name].dtype.kind != "b":
        raise ValueError(f"{CODE}.{parameter}: {name!r} is not a boolean person column")
    return table[name]


def _compute(ctx: Ctx) -> dict[str, np.ndarray]:
    """Every condition and category over the *whole* person table.

    The zero-employment test and the one-applicant-per-family choice look at other members of
    the household, so they cannot be computed on the evaluated rows alone (which may be a
    subset after de-duplication). The result is cached on the context because condition
    details call back once per row."""
    population = ctx.population
    people = population["person"]
    full = Ctx(ctx.policy, people, population, ctx.params)
    as_of = ctx.as_of64

    hukou = np.char.startswith(
        people["hukou_region_code"].astype(str), str(_p(ctx, "hukou_prefix"))
    )
    working_age = full.working_age()
    unemployed = ~np.isnat(people["unemployed_since"])
    months = months_between(people["unemployed_since"], as_of)
    months0 = np.where(np.isnan(months), -1.0, months)
    not_recognised = ~people["difficulty"]
    base = hukou & working_age & unemployed & not_recognised
    age = full.age()
    sex = people["sex"].astype(str)
    not_rural = people["hukou_type"].astype(str) != "rural"

    year_unemployed = months0 >= float(_p(ctx, "min_unemployed_months"))
    older_age = ((sex == "2") & (age >= float(_p(ctx, "older.female_min_age")))) | (
        (sex == "1") & (age >= float(_p(ctx, "older.male_min_age")))
    )
    matched = {
        Cat.OLDER_UNEMPLOYED: older_age
        & (
            people["former_soe_worker"]
            | (people["ui_months"] >= int(_p(ctx, "older.min_ui_months")))
        ),
        Cat.DIBAO: people["dibao"] & year_unemployed,
        Cat.DISABLED: people["disabled"] & year_unemployed,
        Cat.LAND_LOST: people["land_lost"] & year_unemployed,
        Cat.VETERAN: people["veteran"]
        & (months0 >= float(_p(ctx, "veteran.min_unemployed_months"))),
        Cat.LONG_TERM: people["long_unemployed"]
        | (months0 >= float(_p(ctx, "long_term.min_unemployed_months"))),
    }

    family_groups = np.zeros(people.n, dtype=bool)
    for name in _p(ctx, "graduate.family_groups"):
        family_groups |= _bool_column(people, name, "graduate.family_groups")
    window_end = add_months(
        people["left_school_on"], 12 * int(_p(ctx, "graduate.years_after_leaving"))
    )
    matched[Cat.GRADUATE] = (
        people["graduate"]
        & ~np.isnat(people["left_school_on"])
        & (as_of <= window_end)
        & (months0 >= float(_p(ctx, "graduate.min_unemployed_months")))
        & family_groups
    )

    # Groups a prefecture adds: each entry names a boolean person column, the region prefix
    # where it applies (the person's residence or 户籍 inside it; blank: everywhere) and the
    # months of registered unemployment it requires.
    other = np.zeros(people.n, dtype=bool)
    regions = people["region_code"].astype(str)
    hukou_regions = people["hukou_region_code"].astype(str)
    for entry in _p(ctx, "other_groups") or []:
        prefix = str(entry.get("region_prefix") or "")
        inside = np.char.startswith(regions, prefix) | np.char.startswith(hukou_regions, prefix)
        other |= (
            _bool_column(people, str(entry["group"]), "other_groups")
            & inside
            & (months0 >= float(entry.get("min_unemployed_months") or 0))
        )
    matched[Cat.OTHER] = other

    # 零就业家庭: the household's working-age members outside school all registered unemployed.
    household = people["household_id"]
    known = household != 0
    _, group = np.unique(household, return_inverse=True)
    active = working_age & ~people["in_school"] & known
    n_active = np.bincount(group, weights=active)
    n_active_unemployed = np.bincount(group, weights=active & unemployed)
    zero_household = (n_active >= int(_p(ctx, "zero_family.min_working_members"))) & (
        n_active == n_active_unemployed
    )
    # Without a known household the civil-affairs flag is all there is to go on.
    matched[Cat.ZERO_FAMILY] = np.where(known, zero_household[group], people["zero_family"])

    # Categories the text limits to urban residents (城镇低保, 城镇零就业家庭) exclude people
    # known to hold a rural 户口; a blank type (unified 居民户口) is not excluded.
    for code in _p(ctx, "urban_only_categories"):
        matched[Cat(code)] = matched[Cat(code)] & not_rural
    zero = matched.pop(Cat.ZERO_FAMILY)

    # One applicant per family: a member already recognised under this category, or else the
    # first eligible member (those with no other category first, then the lowest id).
    other_category = np.zeros(people.n, dtype=bool)
    for mask in matched.values():
        other_category |= mask
    already = (
        people["difficulty"] & (people["difficulty_category"] == Cat.ZERO_FAMILY.value) & known
    )
    blocked = np.bincount(group, weights=already)[group] > 0
    candidate = np.flatnonzero(base & zero & known & ~blocked)
    order = np.lexsort((people["id"][candidate], other_category[candidate], group[candidate]))
    ranked = candidate[order]
    first = np.r_[True, group[ranked][1:] != group[ranked][:-1]] if len(ranked) else ranked
    chosen = np.zeros(people.n, dtype=bool)
    chosen[ranked[first]] = True
    chosen |= zero & ~known
    matched[Cat.ZERO_FAMILY] = zero
    one_per_family = ~zero | chosen | other_category

    # The category codes each person is recognised under, in the documented order. A member
    # who is not the family's applicant keeps the zero-employment category only when it is
    # the sole one (so the failing condition explains itself). One bit per category: the
    # text of each distinct combination (a few hundred at most) is built once, so no string
    # work is done per person.
    bits = np.zeros(people.n, dtype=np.int64)
    for position, code in enumerate(CATEGORIES):
        if code == Cat.ZERO_FAMILY:
            mask = matched[code] & (chosen | ~other_category)
        else:
            mask = matched[code]
        bits |= mask.astype(np.int64) << position
    combinations, which = np.unique(bits, return_inverse=True)
    texts = [
        [code.value for position, code in enumerate(CATEGORIES) if combination >> position & 1]
        for combination in combinations.tolist()
    ]
    codes = np.array([",".join(t) for t in texts] or [""], dtype=str)[which]
    primary = np.array([t[0] if t else "" for t in texts] or [""], dtype=str)[which]

    return {
        "hukou": hukou,
        "working_age": working_age,
        "unemployed": unemployed,
        "not_recognised": not_recognised,
        "category": codes != "",
        "one_per_family": one_per_family,
        "categories": codes,
        "primary": primary,
        "age": age,
        "unemployed_months": months,
        "zero_household": zero,
        "zero_applicant": zero & chosen,
    }


def _rows(ctx: Ctx) -> np.ndarray:
    cache = ctx.__dict__.setdefault(f"_{CODE}", {})
    if "rows" not in cache:
        # The evaluated rows are person rows; map them onto the whole table by id.
        rows, _found = ctx.population.rows_of("person", ctx["id"])
        cache["rows"] = rows
    return cache["rows"]


def _all(ctx: Ctx) -> dict[str, np.ndarray]:
    cache = ctx.__dict__.setdefault(f"_{CODE}", {})
    if "all" not in cache:
        cache["all"] = _compute(ctx)
    return cache["all"]


def _column(name: str):
    def get(ctx: Ctx) -> np.ndarray:
        return _all(ctx)[name][_rows(ctx)]

    return get


def _labels(codes: str) -> str:
    return "、".join(str(Cat(code).label) for code in codes.split(",") if code)


def _months_text(value) -> object:
    return "—" if np.isnan(value) else int(value)


def _base_detail(ctx: Ctx, i: int) -> str:
    row = _rows(ctx)[i]
    age = _all(ctx)["age"][row]
    return _t("Age %(age)s; registered unemployed for %(months)s months") % {
        "age": "—" if np.isnan(age) else int(age),
        "months": _months_text(_all(ctx)["unemployed_months"][row]),
    }


def _hukou_detail(ctx: Ctx, i: int) -> str:
    return _t("Household registration region code %(code)s") % {
        "code": ctx["hukou_region_code"][i] or "—"
    }


def _category_detail(ctx: Ctx, i: int) -> str:
    codes = _all(ctx)["categories"][_rows(ctx)[i]]
    if not codes:
        return _t("No category matched; %(facts)s") % {"facts": _base_detail(ctx, i)}
    return _t("Categories: %(categories)s") % {"categories": _labels(codes)}


def _family_detail(ctx: Ctx, i: int) -> str:
    data = _all(ctx)
    row = _rows(ctx)[i]
    if not data["zero_household"][row]:
        return _t("Not applying as a member of a zero-employment family")
    if data["zero_applicant"][row]:
        return _t("The family's applicant for the zero-employment category")
    if data["one_per_family"][row]:
        return _t(
            "Recognised under another category; another member may apply for the "
            "zero-employment family"
        )
    return _t(
        "Another member of this zero-employment family is already recognised or is the "
        "family's applicant; only one member per family may apply"
    )


def _facts(ctx: Ctx) -> dict[str, np.ndarray]:
    data = _all(ctx)
    rows = _rows(ctx)
    return {
        "categories": data["categories"][rows],
        # The first category in the documented order: the one a recognition record carries.
        "category": data["primary"][rows],
        "age": data["age"][rows],
        "unemployed_months": data["unemployed_months"][rows],
    }


POLICY = Policy(
    code=CODE,
    name=_("Recognition as a person with employment difficulties"),
    description=_(
        "Registered unemployed Shanxi residents of working age in one of the nine categories "
        "(older unemployed, dibao, disabled, zero-employment family, landless farmers, "
        "veterans, long-term unemployed, graduates in difficulty, others set by the "
        "prefecture) can be recognised and then receive employment assistance."
    ),
    reference=(
        "晋政办发〔2024〕33号 山西省就业困难人员认定管理办法；就业促进法 第52条；"
        "政策简报 §1 [S1]–[S4]"
    ),
    entity="person",
    subject_type="person",
    subject_column="id",
    payee_type="person",
    payee_column="id",
    fund="employment_fund",
    no_application=False,
    workflow="difficulty_recognition",
    pays=False,
    order=10,
    conditions=[
        Condition(
            "hukou",
            _("The person holds a Shanxi household registration (户籍)"),
            _column("hukou"),
            detail=_hukou_detail,
        ),
        Condition(
            "working_age",
            _("The person is of legal working age (at least 16 and below retirement age)"),
            _column("working_age"),
            detail=_base_detail,
        ),
        Condition(
            "registered_unemployed",
            _("The person is registered unemployed"),
            _column("unemployed"),
            gate=True,
        ),
        Condition(
            "not_recognised",
            _("The person is not already recognised as a person with employment difficulties"),
            _column("not_recognised"),
            gate=True,
        ),
        Condition(
            "category",
            _("The person belongs to at least one category of people with employment difficulties"),
            _column("category"),
            gate=True,
            detail=_category_detail,
        ),
        Condition(
            "one_per_family",
            _(
                "No other member of the same zero-employment family is recognised or applying "
                "under that category"
            ),
            _column("one_per_family"),
            detail=_family_detail,
        ),
    ],
    amount=lambda c: np.zeros(c.n),
    period=lambda c: str(c.as_of.year),
    facts=_facts,
)
