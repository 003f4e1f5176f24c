"""The registry as rule input: ``load_population`` reads everyone in a region into the columns
of ``jiuye.policies.inputs.SCHEMA`` for one as-of date.

Everything is aggregated in SQL and moved as columns, never one ORM object per person: a
province of a million people is about twenty set-based queries. On PostgreSQL each result
comes back with binary ``COPY … TO STDOUT`` in fixed-width rows that numpy reads in one
``frombuffer`` (several times faster than fetching tuples); on SQLite (and whenever a text
value is not plain ASCII) the same SELECT is fetched as rows. Both give the same arrays.

Who is loaded
-------------
The *core* people are the live (not merged) people living in the region (or ``person_ids``
inside it); the core employers are those seated in it (or ``employer_ids``). Rules also look
across: a hire in the region may be at an employer seated elsewhere, an employer in the region
may hire someone living elsewhere. So the load adds, once, the people hired by (or interning
at) a core employer in the hire window, and (for a whole region) those whose hire was
registered in the region or whose internship is hosted there; then the employers that any
loaded person works for, was hired by or interns at. The extra rows serve lookups,
employer-level aggregates and rows that carry the region's own code; ``jiuye.policies.runs``
keeps only results whose region (``Evaluation.region_code``) lies in the run's region.
The two sets live in temporary tables (``jy_people``, ``jy_employers``) that every query joins.

What each column means (the definitions the rules rely on)
----------------------------------------------------------
* Employment status as of the date follows ``jiuye.registry.status.derive_status`` exactly
  (live events up to the date, corrections applied), computed over all events at once.
* A *hire* is a live employment registration with an employer in the last
  ``HIRE_LOOKBACK_MONTHS`` months. ``contract_months``: open-ended 999; fixed-term or task
  contracts the months from the hire to the day after ``contract_end`` (1 when the end is
  not recorded, so a "contract ≥ N months" condition is not met on a guess); no contract or
  none recorded 0. ``*_months_after``: months with a contribution of that insurance at that
  employer from the hire month to the as-of date, back payments not counted (按月足额缴纳).
  ``unemployed_months_before``: the person was registered unemployed at the end of the day
  before the hire: whole months since that registration, at least 1; else 0.
  ``still_employed``: employed at the as-of date by the same employer.
* Key groups are memberships valid on the date. 低保, 脱贫, 防返贫监测 and 零就业家庭 are
  household facts: every loaded member of the household gets them. ``poor_disabled_family``:
  the household has a disabled member and is on 低保, out of poverty or monitored.
  ``disabled``: a disability certificate number on the person, or a valid 残疾人 membership.
* Graduates (``graduate`` memberships, at any date): the latest with ``valid_from`` (the day
  of leaving school) on or before the date gives ``graduate_year`` (``details.year`` or
  ``details.graduation_year``, else the year of ``valid_from``) and ``left_school_on``
  (``details.left_school_on`` or ``valid_from``); one leaving later in the as-of year makes
  the person a graduate of this year still ``in_school``. ``student_loan`` from
  ``details.student_loan``.
* ``ui_months``: distinct months with unemployment insurance paid, back payments excluded.
  ``flex_*_period``: contributions without an employer (灵活就业) for the months of the
  calendar quarter before the as-of quarter. Amounts are summed in SQL.
* A business (创业): the person's first self-employment registration; ``business_running``
  while that form of employment is current; ``business_kind`` individual unless the
  registration names an employer that is not an individual business; ``business_insured``:
  any contribution in the as-of month or the three before; ``first_business``: the person
  registered self-employment once.
* Employers: ``insured_now`` the as-of month's headcount (or the latest of the two months
  before, reports lag); ``insured_start``/``insured_end`` January and December of last year;
  ``insured_avg`` the mean of last year's reported months. ``separations``: live
  terminations at the employer last year, except retirement, death and the worker's own
  resignation (``SEPARATION_EXCLUDED_REASONS``). ``ui_paid``: last year's unemployment
  contributions for the months of last year, back payments excluded. ``ui_months_full``:
  consecutive months up to last month with unemployment insurance paid (not back paid).
  ``blacklisted``: an entry listed on or before the date and not yet removed; without a
  removal date it ends ``blacklist.listing_years`` after listing. ``new_key_hires``: hires in
  the last 12 months of people the start-up loan rules count (registered unemployed before
  the hire, difficulty, graduate, veteran, disabled, out of poverty).
* ``history``: entitlements of the loaded subjects except rejected and declined ones;
  ``granted_on`` is the day the entitlement was created (local time).

Columns the registry cannot know are listed in ``SITUATION_ONLY`` and keep their empty value.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from django.db import connection, transaction
from django.db.models.expressions import RawSQL
from django.db.models.functions import TruncDate

from jiuye.accounts.scoping import Scope
from jiuye.policies.engine import Population, add_months, months_between
from jiuye.policies.inputs import SCHEMA, Column
from jiuye.policies.models import BlacklistEntry, Entitlement, EntitlementStatus, Internship
from jiuye.policies.parameters import ParameterError, Params
from jiuye.regions.codes import prefix_of
from jiuye.registry.models import (
    Certificate,
    Employer,
    EmploymentEvent,
    Household,
    HouseholdMember,
    InsuranceContribution,
    InsuredHeadcount,
    KeyGroupMembership,
    Person,
)

logger = logging.getLogger(__name__)

__all__ = ["HIRE_LOOKBACK_MONTHS", "SITUATION_ONLY", "load_population", "missing_columns"]

# Hires older than this are not rows of the ``hire`` table. Long enough for the longest
# hiring subsidy in the brief (社会保险补贴, up to 3 years after the hire).
# The social-insurance subsidy for an employer runs up to 5 years for someone near retirement.
HIRE_LOOKBACK_MONTHS = 60
# Consecutive months of unemployment insurance are counted back at most this far.
MAX_CONSECUTIVE_MONTHS = 120
# Words in a termination's reason that make it no layoff (裁员) for ``separations``.
SEPARATION_EXCLUDED_REASONS = ("退休", "死亡", "劳动者提出", "本人辞职", "辞职")

# Columns the registry does not hold. They come from other systems (the unemployment
# insurance benefit register, the bank's loan contracts) or from an application, so a run
# leaves them at their empty value and a rule that needs them cannot pass on registry data
# alone. Every other column of SCHEMA is computed (tests/policies/test_loader.py checks it).
SITUATION_ONLY: dict[str, frozenset[str]] = {
    "person": frozenset(
        {
            # Whether UI benefit is being drawn: the UI benefit system, not the registry.
            "drawing_ui_benefit",
            # Start-up guaranteed loan contracts: the lending bank's data.
            "loan_amount",
            "loan_rate",
            "loan_lpr",
            "loan_months",
            "loan_partnership",
            "loan_partners",
        }
    ),
    # New UI-benefit claimants whose last employer this was: the UI benefit system.
    "employer": frozenset({"ui_claimants"}),
    "hire": frozenset(),
    "certificate": frozenset(),
    "internship": frozenset(),
    "history": frozenset(),
}

# Codes for the short text fields read as integers (unknown values read as 0).
_EVENT_KINDS = {"employment": 1, "employment_end": 2, "unemployment": 3, "unemployment_end": 4}
_E, _EE, _U, _UE = 1, 2, 3, 4
_FORMS = {"unit": 1, "flexible": 2, "self_employed": 3, "public_welfare": 4}
_FORM_NAMES = np.array(["", "unit", "flexible", "self_employed", "public_welfare"])
_CONTRACTS = {"fixed": 1, "open_ended": 2, "task": 3, "none": 4}
_OPEN_ENDED_MONTHS = 999
_MEMBERSHIP_GROUPS = (
    "ex_poverty",
    "monitored",
    "dibao",
    "zero_family",
    "veteran",
    "land_lost",
    "long_unemployed",
    "difficulty",
    "disabled",
)
_HOUSEHOLD_GROUPS = ("ex_poverty", "monitored", "dibao", "zero_family")

NAT = np.datetime64("NaT", "D")


def missing_columns(computed: dict[str, Iterable[str]] | None = None) -> dict[str, list[str]]:
    """Columns of SCHEMA neither computed by the loader nor declared ``SITUATION_ONLY``."""
    computed = computed if computed is not None else _COMPUTED
    out = {}
    for entity, columns in SCHEMA.items():
        known = set(computed.get(entity, ())) | SITUATION_ONLY.get(entity, frozenset())
        missing = [c.name for c in columns if c.name not in known]
        if missing:
            out[entity] = missing
    return out


# --------------------------------------------------------------------------------------------
# Columnar fetching


@dataclass(frozen=True)
class _Col:
    name: str
    sql: str
    kind: str  # i (int64), f (float64), b (bool), d (date), s (ASCII text up to ``width``)
    width: int = 0
    null: object = None  # what NULL reads as; default 0 / NaN / False / NaT / ""


_PG_DATE_NULL = "0001-01-01"
_PG_DATE_NULL_DAYS = (dt.date(1, 1, 1) - dt.date(2000, 1, 1)).days
_PG_EPOCH_OFFSET = (dt.date(2000, 1, 1) - dt.date(1970, 1, 1)).days


def _null(col: _Col):
    if col.null is not None:
        return col.null
    return {"i": 0, "f": np.nan, "b": False, "d": None, "s": ""}[col.kind]


def _pg_select(col: _Col) -> str:
    if col.kind == "i":
        return f"COALESCE(CAST({col.sql} AS bigint), {int(_null(col))})"
    if col.kind == "f":
        null = _null(col)
        literal = "'NaN'" if np.isnan(null) else repr(float(null))
        return f"COALESCE(CAST({col.sql} AS double precision), {literal})"
    if col.kind == "b":
        return f"COALESCE(CAST({col.sql} AS boolean), {'true' if _null(col) else 'false'})"
    if col.kind == "d":
        return f"COALESCE(CAST({col.sql} AS date), DATE '{_PG_DATE_NULL}')"
    # Fixed width: rpad pads (and cuts) to ``width`` characters, which is ``width`` bytes for
    # ASCII. Anything else changes the row size and the reader falls back to fetching rows.
    return f"rpad(COALESCE(CAST({col.sql} AS text), ''), {col.width})"


_PG_FORMATS = {"i": ">i8", "f": ">f8", "b": "?", "d": ">i4"}
_PG_WIDTHS = {"i": 8, "f": 8, "b": 1, "d": 4}


def _from_copy(cols: Sequence[_Col], buf: bytes) -> dict[str, np.ndarray] | None:
    """Parse binary COPY output whose every field has a fixed width; None if it does not."""
    if len(buf) < 21 or not buf.startswith(b"PGCOPY\n\xff\r\n\x00"):
        return None
    extension = int.from_bytes(buf[15:19], "big")
    body = memoryview(buf)[19 + extension : len(buf) - 2]
    fields = [("n", ">i2")]
    widths = []
    for i, col in enumerate(cols):
        width = col.width if col.kind == "s" else _PG_WIDTHS[col.kind]
        fmt = f"S{col.width}" if col.kind == "s" else _PG_FORMATS[col.kind]
        fields += [(f"l{i}", ">i4"), (f"c{i}", fmt)]
        widths.append(width)
    row = np.dtype(fields)
    if len(body) % row.itemsize:
        return None
    data = np.frombuffer(body, dtype=row)
    if len(data) and not (data["n"] == len(cols)).all():
        return None
    for i, width in enumerate(widths):
        if len(data) and not (data[f"l{i}"] == width).all():
            return None
    out = {}
    for i, col in enumerate(cols):
        raw = data[f"c{i}"]
        if col.kind == "i":
            out[col.name] = raw.astype(np.int64)
        elif col.kind == "f":
            out[col.name] = raw.astype(np.float64)
        elif col.kind == "b":
            out[col.name] = raw.astype(bool)
        elif col.kind == "d":
            days = raw.astype(np.int64)
            values = (days + _PG_EPOCH_OFFSET).astype("datetime64[D]")
            values[days == _PG_DATE_NULL_DAYS] = NAT
            out[col.name] = values
        else:
            out[col.name] = np.strings.rstrip(raw.astype(f"U{col.width}"), " ")
    return out


def _from_rows(cols: Sequence[_Col], rows: list[tuple]) -> dict[str, np.ndarray]:
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in cols]
    out = {}
    for col, values in zip(cols, columns, strict=True):
        null = _null(col)
        if col.kind == "i":
            out[col.name] = np.array([null if v is None else v for v in values], dtype=np.int64)
        elif col.kind == "f":
            out[col.name] = np.array(
                [null if v is None else float(v) for v in values], dtype=np.float64
            )
        elif col.kind == "b":
            out[col.name] = np.array([null if v is None else bool(v) for v in values], dtype=bool)
        elif col.kind == "d":
            out[col.name] = np.array(
                [None if v is None else str(v)[:10] for v in values], dtype="datetime64[D]"
            )
        else:
            text = np.array(["" if v is None else str(v) for v in values], dtype=str)
            if not len(text):
                text = np.array([], dtype="<U1")
            out[col.name] = np.strings.rstrip(text, " ") if col.width else text
    return out


def _fetch(cols: Sequence[_Col], rest: str, params: Sequence = ()) -> dict[str, np.ndarray]:
    """``SELECT <cols> <rest>`` as numpy columns (``rest`` starts with FROM or a CTE's tail)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            select = ", ".join(_pg_select(c) for c in cols)
            sql = f"SELECT {select} {rest}"
            buf = bytearray()
            with cursor.cursor.copy(f"COPY ({sql}) TO STDOUT (FORMAT BINARY)", params) as copy:
                for chunk in copy:
                    buf += chunk
            parsed = _from_copy(cols, bytes(buf))
            if parsed is not None:
                return parsed
            logger.info("policy loader: a text value is not ASCII; fetching rows instead")
            cursor.execute(sql, params)
            return _from_rows(cols, cursor.fetchall())
        select = ", ".join(c.sql for c in cols)
        cursor.execute(f"SELECT {select} {rest}", params)
        return _from_rows(cols, cursor.fetchall())


def _execute(sql: str, params: Sequence = ()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


# --------------------------------------------------------------------------------------------
# SQL pieces that differ between the databases


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _month_start(expr: str) -> str:
    if connection.vendor == "postgresql":
        return f"CAST(date_trunc('month', {expr}) AS date)"
    return f"date({expr}, 'start of month')"


def _month_index(expr: str) -> str:
    if connection.vendor == "postgresql":
        return f"(CAST(EXTRACT(YEAR FROM {expr}) AS integer) * 12 + CAST(EXTRACT(MONTH FROM {expr}) AS integer))"  # noqa: E501
    return (
        f"(CAST(strftime('%%Y', {expr}) AS integer) * 12 "
        f"+ CAST(strftime('%%m', {expr}) AS integer))"
    )


def _codes(expr: str, mapping: dict[str, int]) -> str:
    whens = " ".join(f"WHEN '{value}' THEN {code}" for value, code in mapping.items())
    return f"(CASE {expr} {whens} ELSE 0 END)"


def _region_condition(expr: str, prefixes: list[str] | None) -> tuple[str, list]:
    """The scoping prefix test as SQL (a range on the 12-digit code, like ``Scope.q``)."""
    if prefixes is None:
        return "1 = 1", []
    if not prefixes:
        return "1 = 0", []
    parts, params = [], []
    for prefix in prefixes:
        pad = 12 - len(prefix)
        parts.append(f"{expr} BETWEEN %s AND %s")
        params += [prefix + "0" * pad, prefix + "9" * pad]
    return "(" + " OR ".join(parts) + ")", params


def _prefixes(region_prefixes) -> list[str] | None:
    """None means everywhere (a superuser's scope)."""
    if isinstance(region_prefixes, Scope):
        return None if region_prefixes.everything else list(region_prefixes.prefixes)
    if isinstance(region_prefixes, str):
        region_prefixes = [region_prefixes]
    prefixes = sorted({prefix_of(code) for code in region_prefixes})
    return [p for p in prefixes if not any(p != q and p.startswith(q) for q in prefixes)]


# --------------------------------------------------------------------------------------------
# Dates


def _add_months(day: dt.date, months: int) -> dt.date:
    return dt.date.fromisoformat(str(add_months(np.array([day], dtype="datetime64[D]"), months)[0]))


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


@dataclass(frozen=True)
class _Dates:
    as_of: dt.date

    @property
    def month(self) -> dt.date:
        return self.as_of.replace(day=1)

    @property
    def last_month(self) -> dt.date:
        return _add_months(self.month, -1)

    @property
    def hire_window_start(self) -> dt.date:
        """Hires on or before this day are outside the window."""
        return _add_months(self.as_of, -HIRE_LOOKBACK_MONTHS)

    @property
    def last_year(self) -> tuple[dt.date, dt.date]:
        year = self.as_of.year - 1
        return dt.date(year, 1, 1), dt.date(year, 12, 31)

    @property
    def previous_quarter(self) -> tuple[dt.date, dt.date]:
        start = _add_months(dt.date(self.as_of.year, (self.as_of.month - 1) // 3 * 3 + 1, 1), -3)
        return start, _add_months(start, 3) - dt.timedelta(days=1)

    @property
    def recent_start(self) -> dt.date:
        return _add_months(self.month, -3)


# --------------------------------------------------------------------------------------------
# The loaded sets


class _Sets:
    """``jy_people`` and ``jy_employers``: ids with a ``core`` flag (inside the region)."""

    PEOPLE = "jy_people"
    EMPLOYERS = "jy_employers"

    def create(self) -> None:
        # No index: every use is a hash join or semi-join over the whole set, and a million
        # index entries cost more to build than they would save. Inserts keep ids unique.
        for name in (self.PEOPLE, self.EMPLOYERS):
            _execute(f"DROP TABLE IF EXISTS {name}")
            _execute(f"CREATE TEMPORARY TABLE {name} (id bigint NOT NULL, core boolean NOT NULL)")

    def drop(self) -> None:
        for name in (self.PEOPLE, self.EMPLOYERS):
            _execute(f"DROP TABLE IF EXISTS {name}")

    def analyze(self) -> None:
        # Autovacuum never analyses temporary tables; without statistics the planner takes a
        # million-row set for a few rows and picks nested loops.
        if connection.vendor == "postgresql":
            for name in (self.PEOPLE, self.EMPLOYERS):
                _execute(f"ANALYZE {name}")


def _insert_ids(table: str, select: str, params: Sequence, *, core: bool, fresh=False) -> None:
    """Add the ids ``select`` returns; ``fresh``: the select gives distinct ids and the table
    is empty, so the checks can be skipped."""
    flag = "true" if core else "false"
    if connection.vendor != "postgresql":
        flag = "1" if core else "0"
    if fresh:
        _execute(f"INSERT INTO {table} (id, core) SELECT x.id, {flag} FROM ({select}) x", params)
        return
    _execute(
        f"INSERT INTO {table} (id, core) SELECT DISTINCT x.id, {flag} FROM ({select}) x "
        f"WHERE NOT EXISTS (SELECT 1 FROM {table} t WHERE t.id = x.id)",
        params,
    )


def _chunks(ids: Sequence[int], size: int = 900):
    ids = sorted({int(i) for i in ids})
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _build_sets(dates: _Dates, prefixes, person_ids, employer_ids) -> None:
    person, employer = _table(Person), _table(Employer)
    people_scope, people_params = _region_condition("p.region_code", prefixes)
    employer_scope, employer_params = _region_condition("m.region_code", prefixes)
    targeted = person_ids is not None or employer_ids is not None

    # Core people and employers.
    if not targeted:
        _insert_ids(
            _Sets.PEOPLE,
            f"SELECT p.id FROM {person} p WHERE p.merged_into_id IS NULL AND {people_scope}",
            people_params,
            core=True,
            fresh=True,
        )
        _insert_ids(
            _Sets.EMPLOYERS,
            f"SELECT m.id FROM {employer} m WHERE {employer_scope}",
            employer_params,
            core=True,
            fresh=True,
        )
    else:
        for chunk in _chunks(person_ids or ()):
            marks = ", ".join(["%s"] * len(chunk))
            _insert_ids(
                _Sets.PEOPLE,
                f"SELECT p.id FROM {person} p WHERE p.id IN ({marks}) "
                f"AND p.merged_into_id IS NULL AND {people_scope}",
                [*chunk, *people_params],
                core=True,
            )
        for chunk in _chunks(employer_ids or ()):
            marks = ", ".join(["%s"] * len(chunk))
            _insert_ids(
                _Sets.EMPLOYERS,
                f"SELECT m.id FROM {employer} m WHERE m.id IN ({marks}) AND {employer_scope}",
                [*chunk, *employer_params],
                core=True,
            )

    # A whole province on its own database: everyone is core already, nobody to add.
    people_complete = employers_complete = False
    if not targeted:
        people_complete = _count(_Sets.PEOPLE) == _count(person, "WHERE merged_into_id IS NULL")
        employers_complete = _count(_Sets.EMPLOYERS) == _count(employer)
    if not people_complete:
        _insert_people(dates, prefixes, targeted)
    if not employers_complete:
        _insert_employers(dates)


def _insert_people(dates: _Dates, prefixes, targeted: bool) -> None:
    """Add the people hired by, or interning at, a core employer (wherever they live), and,
    for a whole region, those whose hire was registered or whose internship is hosted in it:
    those rows carry the region's code, so their results belong to the region."""
    person, event, internship = _table(Person), _table(EmploymentEvent), _table(Internship)
    live = f"NOT EXISTS (SELECT 1 FROM {event} s WHERE s.supersedes_id = e.id)"
    hire_where, hire_params = "j.id IS NOT NULL", []
    intern_where, intern_params = "j.id IS NOT NULL", []
    if not targeted:
        where, params = _region_condition("e.region_code", prefixes)
        hire_where, hire_params = f"(j.id IS NOT NULL OR {where})", params
        where, params = _region_condition("i.region_code", prefixes)
        intern_where, intern_params = f"(j.id IS NOT NULL OR {where})", params
    _insert_ids(
        _Sets.PEOPLE,
        f"SELECT e.person_id AS id FROM {event} e "
        f"LEFT JOIN {_Sets.EMPLOYERS} j ON j.id = e.employer_id "
        f"JOIN {person} p ON p.id = e.person_id AND p.merged_into_id IS NULL "
        f"WHERE e.kind = 'employment' AND e.employer_id IS NOT NULL "
        f"AND e.occurred_on > %s AND e.occurred_on <= %s AND {hire_where} AND {live} "
        f"UNION SELECT i.person_id AS id FROM {internship} i "
        f"LEFT JOIN {_Sets.EMPLOYERS} j ON j.id = i.host_id "
        f"JOIN {person} p ON p.id = i.person_id AND p.merged_into_id IS NULL "
        f"WHERE i.start_on <= %s AND {intern_where}",
        [dates.hire_window_start, dates.as_of, *hire_params, dates.as_of, *intern_params],
        core=False,
    )


def _count(table: str, where: str = "") -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {table} {where}")
        return cursor.fetchone()[0]


def _insert_employers(dates: _Dates) -> None:
    """Add the employers any loaded person works for, was hired by or interns at."""
    event, internship = _table(EmploymentEvent), _table(Internship)
    live = f"NOT EXISTS (SELECT 1 FROM {event} s WHERE s.supersedes_id = e.id)"
    _insert_ids(
        _Sets.EMPLOYERS,
        f"SELECT e.employer_id AS id FROM {event} e JOIN {_Sets.PEOPLE} j ON j.id = e.person_id "
        f"WHERE e.kind = 'employment' AND e.employer_id IS NOT NULL AND e.occurred_on <= %s "
        f"AND {live} "
        f"UNION SELECT i.host_id AS id FROM {internship} i "
        f"JOIN {_Sets.PEOPLE} j ON j.id = i.person_id WHERE i.start_on <= %s",
        [dates.as_of, dates.as_of],
        core=False,
    )


# --------------------------------------------------------------------------------------------
# Lookups between arrays


def _positions(sorted_ids: np.ndarray, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(position in ``sorted_ids``, found) for each of ``ids``."""
    ids = np.asarray(ids, dtype=np.int64)
    if len(sorted_ids) == 0:
        return np.zeros(len(ids), dtype=np.int64), np.zeros(len(ids), dtype=bool)
    pos = np.clip(np.searchsorted(sorted_ids, ids), 0, len(sorted_ids) - 1)
    return pos, sorted_ids[pos] == ids


def _scatter(target_ids, source_ids, values, default, dtype=None) -> np.ndarray:
    """``values`` (one per ``source_ids``) placed at the rows of sorted ``target_ids``."""
    out = np.full(len(target_ids), default, dtype=dtype or np.asarray(values).dtype)
    pos, found = _positions(target_ids, source_ids)
    out[pos[found]] = np.asarray(values)[found]
    return out


def _array(column: Column, n: int) -> np.ndarray:
    value = column.empty_value()
    if column.kind == "date":
        return np.full(n, NAT, dtype="datetime64[D]")
    if column.kind == "str":
        return np.full(n, value, dtype=f"<U{max(1, len(str(value)))}")
    return np.full(
        n, value, dtype={"int": np.int64, "float": np.float64, "bool": bool}[column.kind]
    )


# --------------------------------------------------------------------------------------------
# The entity tables


def _people(dates: _Dates) -> dict[str, np.ndarray]:
    person, member, household = _table(Person), _table(HouseholdMember), _table(Household)
    # The household's hukou type stands in for a person's blank one; asked only for those.
    hukou = (
        f"CASE WHEN p.hukou_type <> '' THEN p.hukou_type ELSE "
        f"(SELECT h.hukou_type FROM {household} h WHERE h.id = hm.household_id) END"
    )
    cols = [
        _Col("id", "p.id", "i"),
        _Col("region_code", "p.region_code", "s", 12),
        _Col("birth_date", "p.birth_date", "d"),
        _Col("sex", "p.sex", "s", 1),
        _Col("retirement_category", "p.retirement_category", "s", 3),
        _Col("hukou_region_code", "p.hukou_region_code", "s", 12),
        _Col("hukou_type", hukou, "s", 5),
        _Col("education", "p.education", "s", 2),
        _Col("certificate", "p.disability_certificate <> ''", "b"),
        _Col("former_soe_worker", "p.former_soe_worker", "b"),
        _Col("household_id", "hm.household_id", "i"),
    ]
    out = _fetch(
        cols,
        f"FROM {_Sets.PEOPLE} j JOIN {person} p ON p.id = j.id "
        f"LEFT JOIN {member} hm ON hm.person_id = p.id",
    )
    order = np.argsort(out["id"], kind="stable")
    return {k: v[order] for k, v in out.items()}


def _events(dates: _Dates) -> dict[str, np.ndarray]:
    event = _table(EmploymentEvent)
    cols = [
        _Col("person", "e.person_id", "i"),
        _Col("id", "e.id", "i"),
        _Col("kind", _codes("e.kind", _EVENT_KINDS), "i"),
        _Col("on", "e.occurred_on", "d"),
        _Col("employer", "e.employer_id", "i"),
        _Col("form", _codes("e.form", _FORMS), "i"),
        _Col("contract", _codes("e.contract_type", _CONTRACTS), "i"),
        _Col("contract_end", "e.contract_end", "d"),
        _Col("region_code", "e.region_code", "s", 12),
    ]
    out = _fetch(
        cols,
        f"FROM {event} e JOIN {_Sets.PEOPLE} j ON j.id = e.person_id WHERE e.occurred_on <= %s",
        [dates.as_of],
    )
    # Corrected events are few: read their ids through the index and drop them here rather
    # than anti-joining every event against the table again.
    corrected = _fetch(
        [_Col("id", "s.supersedes_id", "i")],
        f"FROM {event} s WHERE s.supersedes_id IS NOT NULL",
    )["id"]
    live = ~np.isin(out["id"], corrected)
    # The order of derive_status: by person, then date, then recording order.
    order = np.lexsort((out["id"][live], out["on"][live], out["person"][live]))
    return {k: v[live][order] for k, v in out.items()}


@dataclass
class _History:
    """What the events say, per person (current state, business) and per hire."""

    person_ids: np.ndarray  # people with at least one live event, sorted
    state: np.ndarray  # 0 not registered, _E employed, _U unemployed
    since: np.ndarray
    employer: np.ndarray
    form: np.ndarray
    business_people: np.ndarray  # people who ever registered self-employment, sorted
    business_started_on: np.ndarray
    business_employer: np.ndarray
    business_count: np.ndarray
    hires: dict[str, np.ndarray]
    # The events themselves (sorted), to ask for the state on any day.
    event_key: np.ndarray
    event_person: np.ndarray
    event_state: np.ndarray

    def state_on(self, person_ids: np.ndarray, days: np.ndarray) -> np.ndarray:
        """Each person's state at the end of each day (0, _E or _U)."""
        if len(self.event_key) == 0:
            return np.zeros(len(person_ids), dtype=np.int64)
        key = _event_key(person_ids, days)
        last = np.searchsorted(self.event_key, key, side="right") - 1
        valid = last >= 0
        last = np.maximum(last, 0)
        valid &= self.event_person[last] == person_ids
        return np.where(valid, self.event_state[last], 0)


def _event_key(person: np.ndarray, days: np.ndarray) -> np.ndarray:
    """One sortable integer per (person, day), ordered like the events."""
    return np.asarray(person, dtype=np.int64) * (1 << 20) + (
        np.asarray(days, dtype="datetime64[D]").astype(np.int64) + (1 << 19)
    )


def _last_where(mask: np.ndarray, first: np.ndarray) -> np.ndarray:
    """For each event, the index of the latest event of the same person (up to it) where
    ``mask`` holds; -1 if none."""
    idx = np.arange(len(mask))
    out = np.maximum.accumulate(np.where(mask, idx, -1))
    out[out < first] = -1
    return out


def _derive(ev: dict[str, np.ndarray], dates: _Dates) -> _History:
    n = len(ev["id"])
    if n == 0:
        empty_ints, empty_dates = np.zeros(0, dtype=np.int64), np.full(0, NAT)
        return _History(
            person_ids=empty_ints,
            state=empty_ints,
            since=empty_dates,
            employer=empty_ints,
            form=empty_ints,
            business_people=empty_ints,
            business_started_on=empty_dates,
            business_employer=empty_ints,
            business_count=empty_ints,
            hires={
                "id": empty_ints,
                "person_id": empty_ints,
                "employer_id": empty_ints,
                "hired_on": empty_dates,
                "contract_months": empty_ints,
                "region_code": np.zeros(0, dtype="<U12"),
                "still_employed": np.zeros(0, dtype=bool),
                "unemployed_months_before": empty_ints,
            },
            event_key=empty_ints,
            event_person=empty_ints,
            event_state=empty_ints,
        )
    person, kind, on = ev["person"], ev["kind"], ev["on"]
    idx = np.arange(n)
    new_person = np.r_[True, person[1:] != person[:-1]]
    first = np.maximum.accumulate(np.where(new_person, idx, 0))
    last_open = _last_where((kind == _E) | (kind == _U), first)
    last_ee = _last_where(kind == _EE, first)
    last_ue = _last_where(kind == _UE, first)
    opened = np.maximum(last_open, 0)
    open_kind = np.where(last_open >= 0, kind[opened], 0)
    # derive_status: an "end" closes the state only when it matches the open one, so the
    # state after an event is the last opening unless a matching end came after it.
    closed = np.where(
        open_kind == _E, last_ee > last_open, np.where(open_kind == _U, last_ue > last_open, True)
    )
    state = np.where(closed, 0, open_kind)

    last = np.r_[idx[new_person][1:] - 1, n - 1]
    current = opened[last]
    current_state = state[last]

    # Businesses: self-employment registrations (events are in date order per person, so the
    # first occurrence is the first business).
    self_employed = (kind == _E) & (ev["form"] == _FORMS["self_employed"])
    b_people, b_first, b_count = np.unique(
        person[self_employed], return_index=True, return_counts=True
    )
    b_rows = idx[self_employed][b_first]

    # Hires in the window, and the state at the end of the day before each.
    window = np.datetime64(dates.hire_window_start, "D")
    h = idx[(kind == _E) & (ev["employer"] > 0) & (on > window)]
    key = _event_key(person, on)
    before = np.searchsorted(key, key[h], side="left") - 1
    valid = before >= first[h]
    before = np.maximum(before, 0)
    state_before = np.where(valid, state[before], 0)
    u_start = np.where(state_before == _U, on[opened[before]], NAT)
    months_unemployed = np.nan_to_num(months_between(u_start, on[h]), nan=0.0)
    unemployed_before = np.where(state_before == _U, np.maximum(months_unemployed, 1), 0)

    contract = ev["contract"][h]
    term = months_between(on[h], ev["contract_end"][h] + np.timedelta64(1, "D"))
    fixed = (contract == _CONTRACTS["fixed"]) | (contract == _CONTRACTS["task"])
    contract_months = np.where(
        contract == _CONTRACTS["open_ended"],
        _OPEN_ENDED_MONTHS,
        np.where(fixed, np.maximum(np.nan_to_num(term, nan=1.0), 1), 0),
    ).astype(np.int64)

    person_ids = person[last]
    pos, found = _positions(person_ids, person[h])
    still = found & (current_state[pos] == _E)
    still &= ev["employer"][current[pos]] == ev["employer"][h]
    return _History(
        person_ids=person_ids,
        state=current_state,
        since=np.where(current_state > 0, on[current], NAT),
        employer=np.where(current_state == _E, ev["employer"][current], 0),
        form=np.where(current_state == _E, ev["form"][current], 0),
        business_people=b_people,
        business_started_on=on[b_rows],
        business_employer=ev["employer"][b_rows],
        business_count=b_count.astype(np.int64),
        hires={
            "id": ev["id"][h],
            "person_id": person[h],
            "employer_id": ev["employer"][h],
            "hired_on": on[h],
            "contract_months": contract_months,
            "region_code": ev["region_code"][h],
            "still_employed": still,
            "unemployed_months_before": unemployed_before.astype(np.int64),
        },
        event_key=key,
        event_person=person,
        event_state=state,
    )


def _memberships(dates: _Dates) -> dict[str, np.ndarray]:
    table = _table(KeyGroupMembership)
    group = _q("group")
    cols = [
        _Col("person", "k.person_id", "i"),
        _Col("group", f"k.{group}", "s", 16),
        _Col("category", "k.category", "s", 16),
        _Col("valid_from", "k.valid_from", "d"),
        _Col("valid_to", "k.valid_to", "d"),
    ]
    return _fetch(
        cols,
        f"FROM {table} k JOIN {_Sets.PEOPLE} j ON j.id = k.person_id "
        f"WHERE k.valid_from <= %s AND k.{group} <> 'graduate' "
        f"AND (k.valid_to IS NULL OR k.valid_to >= %s OR k.{group} = 'difficulty')",
        [dates.as_of, dates.as_of],
    )


def _graduates(dates: _Dates, ids: np.ndarray) -> dict[str, np.ndarray]:
    """Graduate facts from the memberships' ``details`` (read as JSON, few rows)."""
    table = _table(KeyGroupMembership)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT k.person_id, k.valid_from, k.details FROM {table} k "
            f"JOIN {_Sets.PEOPLE} j ON j.id = k.person_id WHERE k.{_q('group')} = 'graduate'",
        )
        rows = cursor.fetchall()
    best: dict[int, tuple] = {}
    loan: set[int] = set()
    for person_id, valid_from, details in rows:
        if isinstance(details, str | bytes):
            try:
                details = json.loads(details)
            except ValueError:
                details = {}
        details = details if isinstance(details, dict) else {}
        valid_from = dt.date.fromisoformat(str(valid_from)[:10])
        year = details.get("year") or details.get("graduation_year") or valid_from.year
        try:
            year = int(year)
        except (TypeError, ValueError):
            year = valid_from.year
        left = details.get("left_school_on")
        try:
            left = dt.date.fromisoformat(str(left)[:10]) if left else valid_from
        except ValueError:
            left = valid_from
        if details.get("student_loan"):
            loan.add(person_id)
        if valid_from <= dates.as_of:
            rank = (1, valid_from)  # left school already: the latest degree counts
        elif year == dates.as_of.year:
            rank = (0, valid_from)  # graduating this year, still at school
        else:
            continue
        if person_id not in best or rank > best[person_id][0]:
            best[person_id] = (rank, year, left, valid_from > dates.as_of)
    n = len(ids)
    out = {
        "graduate": np.zeros(n, dtype=bool),
        "graduate_year": np.zeros(n, dtype=np.int64),
        "left_school_on": np.full(n, NAT, dtype="datetime64[D]"),
        "in_school": np.zeros(n, dtype=bool),
        "student_loan": np.zeros(n, dtype=bool),
    }
    if best:
        keys = np.array(list(best), dtype=np.int64)
        pos, found = _positions(ids, keys)
        values = list(best.values())
        out["graduate"][pos[found]] = True
        out["graduate_year"][pos[found]] = np.array([v[1] for v in values])[found]
        out["left_school_on"][pos[found]] = np.array([v[2] for v in values], dtype="datetime64[D]")[
            found
        ]
        out["in_school"][pos[found]] = np.array([v[3] for v in values], dtype=bool)[found]
    if loan:
        pos, found = _positions(ids, np.array(sorted(loan), dtype=np.int64))
        out["student_loan"][pos[found]] = True
    return out


def _person_contributions(dates: _Dates) -> tuple[dict, dict]:
    table = _table(InsuranceContribution)
    ui = _fetch(
        [_Col("person", "c.person_id", "i"), _Col("months", "COUNT(DISTINCT c.month)", "i")],
        f"FROM {table} c JOIN {_Sets.PEOPLE} j ON j.id = c.person_id "
        f"WHERE c.insurance_type = 'unemployment' AND c.is_back_payment = %s AND c.month <= %s "
        f"GROUP BY c.person_id",
        [False, dates.as_of],
    )
    q0, q1 = dates.previous_quarter
    flex = "c.employer_id IS NULL AND c.month BETWEEN %s AND %s"
    recent = _fetch(
        [
            _Col("person", "c.person_id", "i"),
            _Col("flex_amount", f"SUM(CASE WHEN {flex} THEN c.amount ELSE 0 END)", "f", null=0.0),
            _Col("flex_months", f"COUNT(DISTINCT CASE WHEN {flex} THEN c.month END)", "i"),
            _Col("recent", "MAX(CASE WHEN c.month >= %s THEN 1 ELSE 0 END)", "i"),
        ],
        f"FROM {table} c JOIN {_Sets.PEOPLE} j ON j.id = c.person_id "
        f"WHERE c.month BETWEEN %s AND %s GROUP BY c.person_id",
        [q0, q1, q0, q1, dates.recent_start, min(q0, dates.recent_start), dates.as_of],
    )
    return ui, recent


def _hire_contributions(dates: _Dates) -> dict[str, np.ndarray]:
    event, table = _table(EmploymentEvent), _table(InsuranceContribution)
    return _fetch(
        [
            _Col("hire", "e.id", "i"),
            _Col("type", "c.insurance_type", "s", 12),
            _Col("months", "COUNT(*)", "i"),
        ],
        f"FROM {event} e JOIN {_Sets.PEOPLE} j ON j.id = e.person_id "
        f"JOIN {table} c ON c.person_id = e.person_id AND c.employer_id = e.employer_id "
        f"WHERE e.kind = 'employment' AND e.occurred_on > %s AND e.occurred_on <= %s "
        f"AND c.insurance_type IN ('unemployment', 'injury', 'pension') "
        f"AND c.is_back_payment = %s AND c.month >= {_month_start('e.occurred_on')} "
        f"AND c.month <= %s GROUP BY e.id, c.insurance_type",
        [dates.hire_window_start, dates.as_of, False, dates.as_of],
    )


def _hire_employer_share(dates: _Dates) -> dict[str, np.ndarray]:
    """Per hire: the unit's own share of pension, medical and unemployment contributions for
    the person in the previous quarter (``employer_amount``; back payments not counted), and
    how many of those rows report the share at all."""
    event, table = _table(EmploymentEvent), _table(InsuranceContribution)
    q0, q1 = dates.previous_quarter
    return _fetch(
        [
            _Col("hire", "e.id", "i"),
            _Col("amount", "SUM(c.employer_amount)", "f", null=0.0),
            _Col("known", "COUNT(c.employer_amount)", "i"),
        ],
        f"FROM {event} e JOIN {_Sets.PEOPLE} j ON j.id = e.person_id "
        f"JOIN {table} c ON c.person_id = e.person_id AND c.employer_id = e.employer_id "
        f"WHERE e.kind = 'employment' AND e.occurred_on > %s AND e.occurred_on <= %s "
        f"AND c.insurance_type IN ('pension', 'medical', 'unemployment') "
        f"AND c.is_back_payment = %s AND c.month BETWEEN %s AND %s GROUP BY e.id",
        [dates.hire_window_start, dates.as_of, False, q0, q1],
    )


def _employers(dates: _Dates) -> dict[str, np.ndarray]:
    employer = _table(Employer)
    out = _fetch(
        [
            _Col("id", "m.id", "i"),
            _Col("region_code", "m.region_code", "s", 12),
            _Col("ownership", "m.ownership", "s", 12),
            _Col("size_class", "m.size_class", "s", 6),
            _Col("industry_code", "m.industry_code", "s", 5),
        ],
        f"FROM {_Sets.EMPLOYERS} j JOIN {employer} m ON m.id = j.id",
    )
    order = np.argsort(out["id"], kind="stable")
    return {k: v[order] for k, v in out.items()}


def _employer_aggregates(dates: _Dates) -> dict[str, dict[str, np.ndarray]]:
    headcount, table = _table(InsuredHeadcount), _table(InsuranceContribution)
    event = _table(EmploymentEvent)
    first, last = dates.last_year
    month = dates.month
    lagged = [month, _add_months(month, -1), _add_months(month, -2)]
    heads = _fetch(
        [
            _Col("employer", "h.employer_id", "i"),
            *[
                _Col(f"m{i}", "MAX(CASE WHEN h.month = %s THEN h.insured END)", "i", null=-1)
                for i in range(3)
            ],
            _Col("start", "MAX(CASE WHEN h.month = %s THEN h.insured END)", "i"),
            _Col("end", "MAX(CASE WHEN h.month = %s THEN h.insured END)", "i"),
            _Col("avg", "AVG(CASE WHEN h.month BETWEEN %s AND %s THEN h.insured END)", "f"),
        ],
        f"FROM {headcount} h JOIN {_Sets.EMPLOYERS} j ON j.id = h.employer_id "
        f"WHERE h.month BETWEEN %s AND %s GROUP BY h.employer_id",
        [*lagged, first, last.replace(day=1), first, last, min(first, lagged[-1]), month],
    )
    paid = _fetch(
        [_Col("employer", "c.employer_id", "i"), _Col("paid", "SUM(c.amount)", "f", null=0.0)],
        f"FROM {table} c JOIN {_Sets.EMPLOYERS} j ON j.id = c.employer_id "
        f"WHERE c.insurance_type = 'unemployment' AND c.is_back_payment = %s "
        f"AND c.month BETWEEN %s AND %s GROUP BY c.employer_id",
        [False, first, last],
    )
    last_month = dates.last_month
    index = _month_index("m.month")
    consecutive = _fetch(
        [_Col("employer", "r.employer_id", "i"), _Col("months", "COUNT(*)", "i")],
        f"FROM (SELECT m.employer_id, {index} AS k, ROW_NUMBER() OVER "
        f"(PARTITION BY m.employer_id ORDER BY m.month DESC) AS rn FROM "
        f"(SELECT c.employer_id, c.month FROM {table} c "
        f"JOIN {_Sets.EMPLOYERS} j ON j.id = c.employer_id "
        f"WHERE c.insurance_type = 'unemployment' AND c.is_back_payment = %s "
        f"AND c.month BETWEEN %s AND %s GROUP BY c.employer_id, c.month) m) r "
        f"WHERE r.k + r.rn - 1 = %s GROUP BY r.employer_id",
        [
            False,
            _add_months(last_month, -MAX_CONSECUTIVE_MONTHS + 1),
            last_month,
            last_month.year * 12 + last_month.month,
        ],
    )
    excluded = " ".join("AND e.reason NOT LIKE %s" for _ in SEPARATION_EXCLUDED_REASONS)
    separations = _fetch(
        [_Col("employer", "e.employer_id", "i"), _Col("n", "COUNT(*)", "i")],
        f"FROM {event} e JOIN {_Sets.EMPLOYERS} j ON j.id = e.employer_id "
        f"WHERE e.kind = 'employment_end' AND e.occurred_on BETWEEN %s AND %s {excluded} "
        f"AND NOT EXISTS (SELECT 1 FROM {event} s WHERE s.supersedes_id = e.id) "
        f"GROUP BY e.employer_id",
        [first, last, *[f"%{word}%" for word in SEPARATION_EXCLUDED_REASONS]],
    )
    return {"heads": heads, "paid": paid, "consecutive": consecutive, "separations": separations}


def _blacklist(dates: _Dates, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    table = _table(BlacklistEntry)
    try:
        years = int(Params(dates.as_of)("blacklist.listing_years"))
    except ParameterError:
        years = None  # before the rules on listing periods: listed until removed
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT b.employer_id, b.listed_on, b.removed_on, b.reason FROM {table} b "
            f"JOIN {_Sets.EMPLOYERS} j ON j.id = b.employer_id WHERE b.listed_on <= %s "
            f"ORDER BY b.listed_on, b.id",
            [dates.as_of],
        )
        rows = cursor.fetchall()
    listed = np.zeros(len(ids), dtype=bool)
    reasons = np.full(len(ids), "", dtype=object)
    for employer_id, listed_on, removed_on, reason in rows:
        listed_on = dt.date.fromisoformat(str(listed_on)[:10])
        if removed_on is not None:
            end = dt.date.fromisoformat(str(removed_on)[:10])
        elif years is not None:
            end = _add_years(listed_on, years)
        else:
            end = dt.date.max
        if listed_on <= dates.as_of < end:
            pos, found = _positions(ids, np.array([employer_id]))
            if found[0]:
                listed[pos[0]] = True
                reasons[pos[0]] = reason
    return listed, reasons.astype(str)


def _certificates(dates: _Dates) -> dict[str, np.ndarray]:
    table = _table(Certificate)
    out = _fetch(
        [
            _Col("id", "c.id", "i"),
            _Col("person_id", "c.person_id", "i"),
            _Col("occupation_code", "c.occupation_code", "s", 12),
            _Col("level", "c.level", "i"),
            _Col("issued_on", "c.issued_on", "d"),
        ],
        f"FROM {table} c JOIN {_Sets.PEOPLE} j ON j.id = c.person_id "
        f"WHERE c.issued_on IS NULL OR c.issued_on <= %s",
        [dates.as_of],
    )
    order = np.argsort(out["id"], kind="stable")
    return {k: v[order] for k, v in out.items()}


def _internships(dates: _Dates) -> dict[str, np.ndarray]:
    table = _table(Internship)
    out = _fetch(
        [
            _Col("id", "i.id", "i"),
            _Col("person_id", "i.person_id", "i"),
            _Col("employer_id", "i.host_id", "i"),
            _Col("region_code", "i.region_code", "s", 12),
            _Col("start_on", "i.start_on", "d"),
            _Col("planned_end_on", "i.planned_end_on", "d"),
            _Col("ended_on", "i.ended_on", "d"),
            _Col("retained_on", "i.retained_on", "d"),
        ],
        f"FROM {table} i WHERE i.start_on <= %s AND i.person_id IN (SELECT id FROM {_Sets.PEOPLE})",
        [dates.as_of],
    )
    order = np.argsort(out["id"], kind="stable")
    return {k: v[order] for k, v in out.items()}


def _history() -> dict[str, np.ndarray]:
    live = Entitlement.objects.exclude(
        status__in=[EntitlementStatus.REJECTED, EntitlementStatus.DECLINED]
    ).annotate(granted_on=TruncDate("created_at"))
    rows = []
    # One query per subject type: each is a plain semi-join on the loaded set (an OR of the
    # two would defeat PostgreSQL's hashed subplan and scan the set once per entitlement).
    for subject_type, table in (("person", _Sets.PEOPLE), ("employer", _Sets.EMPLOYERS)):
        rows += live.filter(
            subject_type=subject_type, subject_id__in=RawSQL(f"SELECT id FROM {table}", [])
        ).values_list("policy", "subject_type", "subject_id", "period", "granted_on", "amount")
    columns = list(zip(*rows, strict=True)) if rows else [()] * 6
    return {
        "policy": np.array(columns[0], dtype=str),
        "subject_type": np.array(columns[1], dtype=str),
        "subject_id": np.array(columns[2], dtype=np.int64),
        "period": np.array(columns[3], dtype=str),
        "granted_on": np.array(columns[4], dtype="datetime64[D]"),
        "amount": np.array([float(a) for a in columns[5]], dtype=np.float64),
    }


# --------------------------------------------------------------------------------------------
# Assembly


def _person_table(dates, base, history: _History, memberships, graduates, contributions):
    ids = base["id"]
    as_of = np.datetime64(dates.as_of, "D")
    t = {
        "id": ids,
        "region_code": base["region_code"],
        "birth_date": base["birth_date"],
        "sex": base["sex"],
        "retirement_category": base["retirement_category"],
        "hukou_region_code": base["hukou_region_code"],
        "hukou_type": base["hukou_type"],
        "education": base["education"],
        "former_soe_worker": base["former_soe_worker"],
        "household_id": base["household_id"],
    }
    # Employment status from the events.
    known = history.person_ids
    state = _scatter(ids, known, history.state, 0, np.int64)
    since = _scatter(ids, known, history.since, NAT, "datetime64[D]")
    t["employment_status"] = np.where(
        state == _E, "employed", np.where(state == _U, "unemployed", "unknown")
    )
    t["unemployed_since"] = np.where(state == _U, since, NAT)
    t["employed_since"] = np.where(state == _E, since, NAT)
    t["employment_form"] = _FORM_NAMES[_scatter(ids, known, history.form, 0, np.int64)]
    t["employer_id"] = _scatter(ids, known, history.employer, 0, np.int64)

    # Key groups valid on the as-of date.
    valid = memberships["valid_from"] <= as_of
    valid &= np.isnat(memberships["valid_to"]) | (memberships["valid_to"] >= as_of)
    group = memberships["group"]
    household = base["household_id"]
    flags = {}
    for name in _MEMBERSHIP_GROUPS:
        members = np.unique(memberships["person"][valid & (group == name)])
        flags[name] = np.isin(ids, members)
    for name in _HOUSEHOLD_GROUPS:
        households = np.unique(household[flags[name] & (household > 0)])
        flags[name] |= (household > 0) & np.isin(household, households)
    flags["disabled"] |= base["certificate"]
    poor = flags["dibao"] | flags["ex_poverty"] | flags["monitored"]
    disabled_households = np.unique(household[flags["disabled"] & (household > 0)])
    poor_households = np.unique(household[poor & (household > 0)])
    t["poor_disabled_family"] = (
        (household > 0)
        & np.isin(household, disabled_households)
        & np.isin(household, poor_households)
    )
    for name in _MEMBERSHIP_GROUPS:
        t[name] = flags[name]
    difficulty = valid & (group == "difficulty")
    order = np.lexsort((memberships["valid_from"][difficulty], memberships["person"][difficulty]))
    d_person = memberships["person"][difficulty][order]
    d_category = memberships["category"][difficulty][order]
    d_since = memberships["valid_from"][difficulty][order]
    latest = np.r_[d_person[1:] != d_person[:-1], True] if len(d_person) else d_person > 0
    t["difficulty_category"] = _scatter(ids, d_person[latest], d_category[latest], "", "<U16")
    t["difficulty_since"] = _scatter(ids, d_person[latest], d_since[latest], NAT, "datetime64[D]")
    t.update(graduates)

    # Contributions.
    ui, recent = contributions
    t["ui_months"] = _scatter(ids, ui["person"], ui["months"], 0, np.int64)
    t["flex_contrib_period"] = np.round(
        _scatter(ids, recent["person"], recent["flex_amount"], 0.0, np.float64), 2
    )
    t["flex_months_period"] = _scatter(ids, recent["person"], recent["flex_months"], 0, np.int64)
    insured_recently = _scatter(ids, recent["person"], recent["recent"] > 0, False, bool)

    # Businesses.
    owners = history.business_people
    _pos, has_business = _positions(owners, ids)
    started = _scatter(ids, owners, history.business_started_on, NAT, "datetime64[D]")
    business_employer = _scatter(ids, owners, history.business_employer, 0, np.int64)
    count = _scatter(ids, owners, history.business_count, 0, np.int64)
    t["business_started_on"] = started
    t["business_running"] = (state == _E) & (t["employment_form"] == "self_employed")
    t["business_insured"] = has_business & insured_recently
    t["first_business"] = has_business & (count == 1)
    t["_business_employer"] = business_employer
    t["_has_business"] = has_business
    return t


def _employer_table(dates, base, aggregates, blacklist, hires, people):
    ids = base["id"]
    heads = aggregates["heads"]
    now = heads["m0"]
    now = np.where(now >= 0, now, np.where(heads["m1"] >= 0, heads["m1"], heads["m2"]))
    t = {
        "id": ids,
        "region_code": base["region_code"],
        "ownership": base["ownership"],
        "size_class": base["size_class"],
        "industry_code": base["industry_code"],
        "insured_now": _scatter(ids, heads["employer"], np.maximum(now, 0), 0, np.int64),
        "insured_start": _scatter(ids, heads["employer"], heads["start"], 0, np.int64),
        "insured_end": _scatter(ids, heads["employer"], heads["end"], 0, np.int64),
        "insured_avg": _scatter(ids, heads["employer"], heads["avg"], np.nan, np.float64),
        "separations": _scatter(
            ids, aggregates["separations"]["employer"], aggregates["separations"]["n"], 0, np.int64
        ),
        "ui_paid": np.round(
            _scatter(ids, aggregates["paid"]["employer"], aggregates["paid"]["paid"], 0.0), 2
        ),
        "ui_months_full": _scatter(
            ids,
            aggregates["consecutive"]["employer"],
            aggregates["consecutive"]["months"],
            0,
            np.int64,
        ),
        "blacklisted": blacklist[0],
        "blacklist_reason": blacklist[1],
    }
    # New hires in the last 12 months that the start-up loan rules count.
    since = np.datetime64(_add_months(dates.as_of, -12), "D")
    recent = hires["hired_on"] > since
    person = people["id"]
    pos, found = _positions(person, hires["person_id"])

    def of_person(column):
        return found & people[column][pos]

    key = (
        (hires["unemployed_months_before"] > 0)
        | hires["difficulty_at_hire"]
        | of_person("graduate")
        | of_person("veteran")
        | of_person("disabled")
        | of_person("ex_poverty")
    )
    counted, counts = np.unique(hires["employer_id"][recent & key], return_counts=True)
    t["new_key_hires"] = _scatter(ids, counted, counts, 0, np.int64)
    return t


def _difficulty_at(memberships, person_ids: np.ndarray, days: np.ndarray) -> np.ndarray:
    """Whether each (person, day) falls inside one of the person's difficulty recognitions."""
    mask = memberships["group"] == "difficulty"
    person = memberships["person"][mask]
    start = memberships["valid_from"][mask]
    end = memberships["valid_to"][mask]
    order = np.argsort(person, kind="stable")
    person, start, end = person[order], start[order], end[order]
    left = np.searchsorted(person, person_ids, side="left")
    right = np.searchsorted(person, person_ids, side="right")
    out = np.zeros(len(person_ids), dtype=bool)
    most = int((right - left).max()) if len(person_ids) else 0
    for k in range(most):
        row = left + k
        has = row < right
        row = np.minimum(row, max(len(person) - 1, 0))
        inside = has & (start[row] <= days) & (np.isnat(end[row]) | (end[row] >= days))
        out |= inside
    return out


def _hire_table(history: _History, memberships, contributions) -> dict[str, np.ndarray]:
    hires = dict(history.hires)
    order = np.argsort(hires["id"], kind="stable")
    hires = {k: v[order] for k, v in hires.items()}
    for column, kind in (
        ("ui_months_after", "unemployment"),
        ("injury_months_after", "injury"),
        ("pension_months_after", "pension"),
    ):
        mask = contributions["type"] == kind
        hires[column] = _scatter(
            hires["id"], contributions["hire"][mask], contributions["months"][mask], 0, np.int64
        )
    hires["difficulty_at_hire"] = _difficulty_at(memberships, hires["person_id"], hires["hired_on"])
    return hires


_COMPUTED = {
    "person": {
        "id", "region_code", "birth_date", "sex", "retirement_category", "hukou_region_code",
        "hukou_type", "education", "disabled", "employment_status", "unemployed_since",
        "employed_since", "employment_form", "employer_id", "household_id", "graduate",
        "graduate_year", "left_school_on", "in_school", "ex_poverty", "monitored", "dibao",
        "poor_disabled_family", "zero_family", "veteran", "land_lost", "long_unemployed",
        "student_loan", "former_soe_worker", "difficulty", "difficulty_category",
        "difficulty_since", "ui_months", "flex_contrib_period", "flex_months_period",
        "business_started_on", "business_kind", "business_running", "business_insured",
        "first_business",
    },
    "employer": {
        "id", "region_code", "ownership", "size_class", "industry_code", "insured_now",
        "insured_start", "insured_end", "insured_avg", "separations", "ui_paid",
        "ui_months_full", "blacklisted", "blacklist_reason", "new_key_hires",
    },
    "hire": {
        "id", "person_id", "employer_id", "hired_on", "contract_months", "region_code",
        "ui_months_after", "injury_months_after", "pension_months_after", "still_employed",
        "unemployed_months_before", "difficulty_at_hire", "employer_contrib_period",
    },
    "certificate": {"id", "person_id", "occupation_code", "level", "issued_on"},
    "internship": {
        "id", "person_id", "employer_id", "region_code", "start_on", "planned_end_on",
        "ended_on", "retained_on", "unemployed_at_start",
    },
    "history": {"policy", "subject_type", "subject_id", "period", "granted_on", "amount"},
}  # fmt: skip


def _complete(tables: dict[str, dict[str, np.ndarray]]) -> dict[str, dict[str, np.ndarray]]:
    """Exactly the SCHEMA columns: empty values for SITUATION_ONLY (and, with a warning, for
    a column added to SCHEMA that this loader does not compute yet)."""
    missing = missing_columns()
    if missing:
        logger.warning("policy loader does not compute %s; they stay empty", missing)
    out = {}
    for entity, columns in SCHEMA.items():
        table = tables.get(entity, {})
        n = len(next(iter(table.values()))) if table else 0
        out[entity] = {c.name: table[c.name] if c.name in table else _array(c, n) for c in columns}
    return out


def load_population(
    *,
    as_of: dt.date,
    region_prefixes,
    person_ids: Iterable[int] | None = None,
    employer_ids: Iterable[int] | None = None,
    timings: dict[str, float] | None = None,
) -> Population:
    """The rules' input tables for everyone in ``region_prefixes`` on ``as_of``.

    ``region_prefixes`` is a ``Scope``, a region code (or prefix), or several. With
    ``person_ids`` and/or ``employer_ids`` only those subjects (inside the region) are core;
    the other kind is then loaded only as far as they refer to it. ``timings``, when given,
    receives the seconds spent per step.
    """
    import time

    prefixes = _prefixes(region_prefixes)
    dates = _Dates(as_of)
    clock = time.perf_counter
    spent = timings if timings is not None else {}
    started = clock()

    def lap(name: str) -> None:
        nonlocal started
        now = clock()
        spent[name] = spent.get(name, 0.0) + now - started
        started = now

    sets = _Sets()
    with transaction.atomic():
        sets.create()
        try:
            _build_sets(
                dates,
                prefixes,
                None if person_ids is None else list(person_ids),
                None if employer_ids is None else list(employer_ids),
            )
            sets.analyze()
            lap("sets")
            base = _people(dates)
            lap("people")
            ev = _events(dates)
            lap("events_read")
            history = _derive(ev, dates)
            del ev
            lap("events_derive")
            memberships = _memberships(dates)
            graduates = _graduates(dates, base["id"])
            lap("memberships")
            contributions = _person_contributions(dates)
            hire_contributions = _hire_contributions(dates)
            employer_share = _hire_employer_share(dates)
            lap("contributions")
            employers = _employers(dates)
            aggregates = _employer_aggregates(dates)
            blacklist = _blacklist(dates, employers["id"])
            lap("employers")
            certificates = _certificates(dates)
            internships = _internships(dates)
            history_table = _history()
            lap("other")
        finally:
            sets.drop()

    people = _person_table(dates, base, history, memberships, graduates, contributions)
    # 个体工商户 unless the business is registered as an employer that is not one.
    ownership = np.full(len(people["id"]), "", dtype="<U12")
    pos, found = _positions(employers["id"], people.pop("_business_employer"))
    ownership[found] = employers["ownership"][pos[found]]
    has_business = people.pop("_has_business")
    people["business_kind"] = np.where(
        has_business, np.where(found & (ownership != "individual"), "small", "individual"), ""
    )
    hires = _hire_table(history, memberships, hire_contributions)
    # Unknown (NaN) where no contribution row of the quarter reports the unit's share, so the
    # subsidy cannot be computed from a guess.
    known = employer_share["known"] > 0
    hires["employer_contrib_period"] = _scatter(
        hires["id"],
        employer_share["hire"][known],
        employer_share["amount"][known],
        np.nan,
        np.float64,
    )
    internships["unemployed_at_start"] = (
        history.state_on(internships["person_id"], internships["start_on"]) == _U
    )
    employer_table = _employer_table(dates, employers, aggregates, blacklist, hires, people)
    tables = _complete(
        {
            "person": people,
            "employer": employer_table,
            "hire": hires,
            "certificate": certificates,
            "internship": internships,
            "history": history_table,
        }
    )
    lap("assemble")
    return Population(as_of, tables)
