"""The rule engine: policies as named conditions and an amount formula, evaluated vectorised.

A policy (``jiuye.policies.rules.<module>.POLICY``) declares

* the entity it is evaluated over (a row per person, employer, hire, certificate or
  internship; ``jiuye.policies.inputs.SCHEMA``),
* who the subject is (the one who must not be paid twice) and who the payee is,
* its conditions, in the order staff read them, each a pure function of the ``Ctx`` returning
  one boolean per row; a *gate* condition says whether the row concerns the policy at all
  (a person who is no graduate is not "ineligible for the graduate subsidy", just not a
  candidate) — rows failing a gate are neither stored nor shown in push lists,
* the amount (yuan per row; counted only where every condition holds), the period and,
  for mutually exclusive policies, an exclusion key.

``evaluate`` runs every condition over every row at once (numpy), so a province-wide run is a
few array operations per condition, not a query per person.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from django.utils.translation import gettext as _t

from jiuye.policies import retirement
from jiuye.policies.inputs import SCHEMA, empty_tables
from jiuye.policies.parameters import Params

NAT = np.datetime64("NaT")


class Table:
    """Named columns of equal length (numpy arrays)."""

    def __init__(self, columns: dict[str, np.ndarray]):
        self.columns = dict(columns)
        lengths = {len(v) for v in self.columns.values()}
        if len(lengths) > 1:
            raise ValueError(f"columns of different lengths: {lengths}")
        self.n = lengths.pop() if lengths else 0

    def __getitem__(self, name: str) -> np.ndarray:
        return self.columns[name]

    def __contains__(self, name: str) -> bool:
        return name in self.columns

    def __len__(self) -> int:
        return self.n

    def take(self, index) -> Table:
        return Table({k: v[index] for k, v in self.columns.items()})

    def row(self, i: int) -> dict:
        return {k: v[i] for k, v in self.columns.items()}


class Population:
    """Every entity's table for one as-of date, with lookups between them."""

    def __init__(self, as_of: dt.date, tables: dict[str, dict[str, np.ndarray]] | None = None):
        self.as_of = as_of
        base = empty_tables()
        for entity, columns in (tables or {}).items():
            n = len(next(iter(columns.values()))) if columns else 0
            # Columns a source does not provide take their empty value (NaT, 0, "", False).
            filled = {
                c.name: np.full(n, c.empty_value(), dtype=base[entity][c.name].dtype)
                if c.name not in columns
                else columns[c.name]
                for c in SCHEMA[entity]
            }
            base[entity] = {**filled, **columns}
        self.tables = {entity: Table(cols) for entity, cols in base.items()}
        self._index: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def __getitem__(self, entity: str) -> Table:
        return self.tables[entity]

    def _id_index(self, entity: str):
        """A dense map id -> row when ids are compact (the loader's primary keys), else the
        sorted ids for binary search."""
        if entity not in self._index:
            ids = self.tables[entity]["id"]
            if len(ids) and ids.min() >= 0 and ids.max() <= 4 * len(ids) + 1024:
                dense = np.full(int(ids.max()) + 1, -1, dtype=np.int64)
                dense[ids] = np.arange(len(ids))
                self._index[entity] = ("dense", dense)
            else:
                order = np.argsort(ids, kind="stable")
                self._index[entity] = ("sorted", (ids[order], order))
        return self._index[entity]

    def rows_of(self, entity: str, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(row index, found) for each id; row index is 0 where not found."""
        ids = np.asarray(ids, dtype=np.int64)
        if self.tables[entity].n == 0:
            return np.zeros(len(ids), dtype=np.int64), np.zeros(len(ids), dtype=bool)
        kind, index = self._id_index(entity)
        if kind == "dense":
            inside = (ids >= 0) & (ids < len(index))
            rows = np.where(inside, index[np.clip(ids, 0, len(index) - 1)], -1)
            found = rows >= 0
            return np.where(found, rows, 0), found
        sorted_ids, order = index
        pos = np.clip(np.searchsorted(sorted_ids, ids), 0, len(sorted_ids) - 1)
        found = sorted_ids[pos] == ids
        return order[pos], found

    def lookup(self, entity: str, ids: np.ndarray, column: str, default=None) -> np.ndarray:
        """``entity.column`` for each id (a join by id); ``default`` where no row matches."""
        rows, found = self.rows_of(entity, ids)
        source = self.tables[entity][column]
        if len(source) == 0:
            source = (
                np.zeros(1, dtype=source.dtype)
                if source.dtype.kind != "M"
                else np.array([NAT], dtype="datetime64[D]")
            )
            rows = np.zeros(len(rows), dtype=np.int64)
        out = source[rows].copy()
        if default is None:
            default = {"M": NAT, "f": np.nan, "b": False, "U": "", "i": 0}.get(out.dtype.kind, 0)
        out[~found] = default
        return out

    # The rules' memory of what has been granted before -------------------------------------

    def history_mask(self, policies, subject_type: str) -> np.ndarray:
        h = self.tables["history"]
        return np.isin(h["policy"], list(policies)) & (h["subject_type"] == subject_type)

    def granted(self, policies, subject_type: str, ids, *, period=None, year=None) -> np.ndarray:
        """Whether each subject already holds an entitlement of one of ``policies`` (for the
        given period, or with a grant date in ``year``)."""
        h = self.tables["history"]
        mask = self.history_mask(policies, subject_type)
        if year is not None:
            mask &= h["granted_on"].astype("datetime64[Y]").astype(int) + 1970 == year
        ids = np.asarray(ids, dtype=np.int64)
        if period is None:
            return np.isin(ids, h["subject_id"][mask])
        period = np.broadcast_to(np.asarray(period).astype(str), ids.shape)
        return _pairs_in(ids, period, h["subject_id"][mask], h["period"][mask])

    def granted_count(self, policies, subject_type: str, ids, *, year=None) -> np.ndarray:
        h = self.tables["history"]
        mask = self.history_mask(policies, subject_type)
        if year is not None:
            mask &= h["granted_on"].astype("datetime64[Y]").astype(int) + 1970 == year
        granted_ids, counts = np.unique(h["subject_id"][mask], return_counts=True)
        ids = np.asarray(ids, dtype=np.int64)
        if len(granted_ids) == 0:
            return np.zeros(len(ids), dtype=np.int64)
        pos = np.clip(np.searchsorted(granted_ids, ids), 0, len(granted_ids) - 1)
        return np.where(granted_ids[pos] == ids, counts[pos], 0)

    def first_granted_on(self, policies, subject_type: str, ids) -> np.ndarray:
        h = self.tables["history"]
        mask = self.history_mask(policies, subject_type)
        ids = np.asarray(ids, dtype=np.int64)
        out = np.full(len(ids), NAT, dtype="datetime64[D]")
        if not mask.any():
            return out
        sid, on = h["subject_id"][mask], h["granted_on"][mask]
        order = np.lexsort((on, sid))
        sid, on = sid[order], on[order]
        first = np.r_[True, sid[1:] != sid[:-1]]
        sid, on = sid[first], on[first]
        pos = np.clip(np.searchsorted(sid, ids), 0, len(sid) - 1)
        hit = sid[pos] == ids
        out[hit] = on[pos][hit]
        return out


# Date arithmetic, vectorised -----------------------------------------------------------------


def ymd(dates: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    d = np.asarray(dates, dtype="datetime64[D]")
    y = d.astype("datetime64[Y]")
    m = d.astype("datetime64[M]")
    year = y.astype(np.int64) + 1970
    month = (m - y.astype("datetime64[M]")).astype(np.int64) + 1
    day = (d - m.astype("datetime64[D]")).astype(np.int64) + 1
    return year, month, day


def age_on(birth: np.ndarray, on) -> np.ndarray:
    """Full years of age on ``on`` (a date or an array of dates); NaN where birth is unknown."""
    by, bm, bd = ymd(birth)
    oy, om, od = ymd(np.broadcast_to(np.asarray(on, dtype="datetime64[D]"), np.shape(birth)))
    age = (oy - by - ((om < bm) | ((om == bm) & (od < bd)))).astype(np.float64)
    age[np.isnat(np.asarray(birth, dtype="datetime64[D]"))] = np.nan
    return age


def months_between(start: np.ndarray, end) -> np.ndarray:
    """Whole months from ``start`` to ``end`` (a month is complete on the same day-of-month);
    NaN where either is missing."""
    start = np.asarray(start, dtype="datetime64[D]")
    end = np.broadcast_to(np.asarray(end, dtype="datetime64[D]"), start.shape)
    sy, sm, sd = ymd(start)
    ey, em, ed = ymd(end)
    months = ((ey - sy) * 12 + (em - sm) - (ed < sd)).astype(np.float64)
    months[np.isnat(start) | np.isnat(end)] = np.nan
    return months


def add_months(dates: np.ndarray, months) -> np.ndarray:
    """The same day ``months`` later (clamped to the month's end)."""
    d = np.asarray(dates, dtype="datetime64[D]")
    m = d.astype("datetime64[M]")
    day = (d - m.astype("datetime64[D]")).astype(np.int64)
    target = m + np.asarray(months).astype("timedelta64[M]")
    last = ((target + 1).astype("datetime64[D]") - target.astype("datetime64[D]")).astype(
        np.int64
    ) - 1
    out = target.astype("datetime64[D]") + np.minimum(day, last).astype("timedelta64[D]")
    return np.where(np.isnat(d), NAT, out)


def quarter_label(day: dt.date, offset: int = 0) -> str:
    q = (day.year * 4 + (day.month - 1) // 3) + offset
    return f"{q // 4}-Q{q % 4 + 1}"


# Policies ----------------------------------------------------------------------------------


@dataclass
class Ctx:
    """What a condition or formula sees: the rows, the population, the parameters."""

    policy: Policy
    rows: Table
    population: Population
    params: Params

    @property
    def as_of(self) -> dt.date:
        return self.population.as_of

    @property
    def as_of64(self) -> np.datetime64:
        return np.datetime64(self.population.as_of, "D")

    @property
    def n(self) -> int:
        return self.rows.n

    def __getitem__(self, name: str) -> np.ndarray:
        return self.rows[name]

    def blacklist_detail(self, i: int, id_column: str = "employer_id") -> str:
        """The listing's reason for row ``i`` (blank when not listed), shown beside the
        condition so staff and the employer see why."""
        if not self.employer("blacklisted", id_column, default=False)[i]:
            return ""
        reason = str(self.employer("blacklist_reason", id_column, default="")[i])
        return _t("Listed: %(reason)s") % {"reason": reason or "—"}

    def cached(self, key: str, compute: Callable[[], np.ndarray]) -> np.ndarray:
        """An array computed once per evaluation, so ``detail`` functions called for one row
        at a time do not recompute whole columns."""
        cache = self.__dict__.setdefault("_cached", {})
        if key not in cache:
            cache[key] = compute()
        return cache[key]

    def _join(self, entity: str, id_column: str, column: str, default) -> np.ndarray:
        cache = self.__dict__.setdefault("_joins", {})
        key = (entity, id_column)
        if key not in cache:
            cache[key] = self.population.rows_of(entity, self.rows[id_column])
        rows, found = cache[key]
        source = self.population[entity][column]
        if len(source) == 0:
            return self.population.lookup(entity, self.rows[id_column], column, default)
        out = source[rows]
        if not found.all():
            out = out.copy()
            if default is None:
                default = {"M": NAT, "f": np.nan, "b": False, "U": "", "i": 0}.get(
                    out.dtype.kind, 0
                )
            out[~found] = default
        return out

    def person(self, column: str, id_column: str = "person_id", default=None) -> np.ndarray:
        """A person column for each row (``id`` itself when the entity is person)."""
        if self.policy.entity == "person":
            return self.rows[column]
        return self._join("person", id_column, column, default)

    def employer(self, column: str, id_column: str = "employer_id", default=None) -> np.ndarray:
        if self.policy.entity == "employer":
            return self.rows[column]
        return self._join("employer", id_column, column, default)

    def age(self, on=None) -> np.ndarray:
        return age_on(self.person("birth_date"), self.as_of64 if on is None else on)

    def retirement_date(self) -> np.ndarray:
        sex = self.person("sex")
        category = retirement.effective_category(
            sex, self.person("retirement_category"), self.params
        )
        return retirement.retirement_date(self.person("birth_date"), category, self.params)

    def working_age(self, on=None) -> np.ndarray:
        """At least the minimum working age and before the statutory retirement date."""
        on = self.as_of64 if on is None else np.asarray(on, dtype="datetime64[D]")
        age = self.age(on)
        return (age >= float(self.params("working_age.minimum"))) & (on < self.retirement_date())

    def not_blacklisted(self, id_column: str = "employer_id") -> np.ndarray:
        if not self.params("blacklist.blocks_subsidies"):
            return np.ones(self.n, dtype=bool)
        return ~self.employer("blacklisted", id_column, default=False)


@dataclass
class Condition:
    code: str
    label: object  # a lazy translation: what staff and citizens read
    test: Callable[[Ctx], np.ndarray]
    gate: bool = False
    # Optional: the facts behind one row's outcome, e.g. "年龄 23 岁".
    detail: Callable[[Ctx, int], str] | None = None


@dataclass
class Policy:
    code: str
    name: object
    entity: str
    subject_type: str  # "person" | "employer"
    subject_column: str  # column of the entity holding the subject's id
    payee_type: str
    payee_column: str
    fund: str
    conditions: list[Condition]
    amount: Callable[[Ctx], np.ndarray]
    period: Callable[[Ctx], np.ndarray]
    reference: str = ""
    description: object = ""
    no_application: bool = False  # 免申即享: eligible results become entitlements directly
    workflow: str = "subsidy"  # the approval workflow for applications
    exclusion: Callable[[Ctx], np.ndarray] | None = None
    # Columns stored beside the outcome so the result page can show the facts.
    facts: Callable[[Ctx], dict[str, np.ndarray]] | None = None
    # Amount is a limit, not a payment (loans), or there is no money (recognition).
    pays: bool = True
    order: int = 100

    def __post_init__(self):
        if self.entity not in SCHEMA:
            raise ValueError(f"{self.code}: unknown entity {self.entity}")
        codes = [c.code for c in self.conditions]
        if len(codes) != len(set(codes)):
            raise ValueError(f"{self.code}: duplicate condition codes")


@dataclass
class Evaluation:
    policy: Policy
    as_of: dt.date
    rows: Table
    outcomes: dict[str, np.ndarray]
    candidate: np.ndarray
    eligible: np.ndarray
    amount: np.ndarray
    period: np.ndarray
    subject_id: np.ndarray
    payee_id: np.ndarray
    region_code: np.ndarray
    exclusion: np.ndarray
    facts: dict[str, np.ndarray]
    param_versions: dict[str, str] = field(default_factory=dict)
    ctx: Ctx | None = None

    def __len__(self):
        return len(self.eligible)

    def candidates(self) -> Evaluation:
        return self.take(np.flatnonzero(self.candidate))

    def take(self, index) -> Evaluation:
        return Evaluation(
            policy=self.policy,
            as_of=self.as_of,
            rows=self.rows.take(index),
            outcomes={k: v[index] for k, v in self.outcomes.items()},
            candidate=self.candidate[index],
            eligible=self.eligible[index],
            amount=self.amount[index],
            period=self.period[index],
            subject_id=self.subject_id[index],
            payee_id=self.payee_id[index],
            region_code=self.region_code[index],
            exclusion=self.exclusion[index],
            facts={k: v[index] for k, v in self.facts.items()},
            param_versions=self.param_versions,
            ctx=None,
        )

    def details(self, i: int) -> list[dict]:
        """Each condition of row ``i``: code, label, outcome and the facts behind it."""
        out = []
        for condition in self.policy.conditions:
            detail = ""
            if condition.detail is not None and self.ctx is not None:
                detail = condition.detail(self.ctx, i)
            out.append(
                {
                    "code": condition.code,
                    "label": str(condition.label),
                    "passed": bool(self.outcomes[condition.code][i]),
                    "gate": condition.gate,
                    "detail": detail,
                }
            )
        return out


def _bool(values, n: int, where: str) -> np.ndarray:
    arr = np.asarray(values)
    if arr.shape == ():
        arr = np.full(n, bool(arr))
    if arr.shape != (n,):
        raise ValueError(f"{where}: expected {n} values, got shape {arr.shape}")
    return arr.astype(bool)


def evaluate(policy: Policy, population: Population, params: Params | None = None) -> Evaluation:
    """Every condition over every row of the policy's entity; one row per (subject, period)."""
    params = params or Params(population.as_of)
    rows = population[policy.entity]
    ctx = Ctx(policy, rows, population, params)
    n = rows.n
    outcomes = {c.code: _bool(c.test(ctx), n, f"{policy.code}.{c.code}") for c in policy.conditions}
    candidate = np.ones(n, dtype=bool)
    eligible = np.ones(n, dtype=bool)
    for c in policy.conditions:
        eligible &= outcomes[c.code]
        if c.gate:
            candidate &= outcomes[c.code]
    amount = np.broadcast_to(np.asarray(policy.amount(ctx), dtype=np.float64), (n,)).copy()
    amount = np.where(eligible & np.isfinite(amount), np.round(np.maximum(amount, 0), 2), 0.0)
    period = np.broadcast_to(np.asarray(policy.period(ctx)).astype(str), (n,)).copy()
    exclusion = (
        np.broadcast_to(np.asarray(policy.exclusion(ctx)).astype(str), (n,)).copy()
        if policy.exclusion is not None
        else np.full(n, "", dtype="<U1")
    )
    subject_id = np.asarray(rows[policy.subject_column], dtype=np.int64)
    payee_id = np.asarray(rows[policy.payee_column], dtype=np.int64)
    # The row's own region where it has one (a person's residence, an employer's seat, the
    # registration office of a hire, the host of an internship), else the subject's.
    subject_region = population.lookup(policy.subject_type, subject_id, "region_code")
    if "region_code" in rows:
        region = np.where(rows["region_code"] != "", rows["region_code"], subject_region)
    else:
        region = subject_region
    facts = dict(policy.facts(ctx)) if policy.facts is not None else {}
    if policy.exclusion is not None:
        # Stored with the result so the entitlement made from it carries the same key.
        facts["exclusion_key"] = np.where(eligible, exclusion, "")
    evaluation = Evaluation(
        policy=policy,
        as_of=population.as_of,
        rows=rows,
        outcomes=outcomes,
        candidate=candidate,
        eligible=eligible,
        amount=amount,
        period=period,
        subject_id=subject_id,
        payee_id=payee_id,
        region_code=np.asarray(region).astype(str),
        exclusion=exclusion,
        facts={k: np.asarray(v) for k, v in facts.items()},
        param_versions=dict(params.used),
        ctx=ctx,
    )
    return _one_per_subject_period(evaluation)


def _one_per_subject_period(e: Evaluation) -> Evaluation:
    """Keep one row per (subject, period): an eligible row before an ineligible one, then a
    candidate before a non-candidate, then the entity's order (the earliest hire, the first
    certificate). The same person hired twice in the window is one 扩岗补助, not two."""
    n = len(e)
    if n < 2:
        return e
    periods, period_code = np.unique(e.period, return_inverse=True)
    if len(periods) == 1 and len(np.unique(e.subject_id)) == n:
        return e
    order = np.lexsort((np.arange(n), ~e.candidate, ~e.eligible, period_code, e.subject_id))
    s, p = e.subject_id[order], period_code[order]
    first = np.r_[True, (s[1:] != s[:-1]) | (p[1:] != p[:-1])]
    keep = np.sort(order[first])
    ctx = e.ctx
    out = e.take(keep)
    if ctx is not None:
        out.ctx = Ctx(ctx.policy, ctx.rows.take(keep), ctx.population, ctx.params)
    return out


def _pairs_in(ids, periods, known_ids, known_periods) -> np.ndarray:
    """Whether each (id, period) pair is among the known pairs, with integer keys."""
    if len(known_ids) == 0:
        return np.zeros(len(ids), dtype=bool)
    vocabulary, codes = np.unique(np.concatenate([known_periods, periods]), return_inverse=True)
    width = len(vocabulary)
    known_keys = known_ids.astype(np.int64) * width + codes[: len(known_ids)]
    keys = np.asarray(ids, dtype=np.int64) * width + codes[len(known_ids) :]
    return np.isin(keys, known_keys)
