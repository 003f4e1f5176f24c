"""Dated policy parameters from YAML, each value with its legal reference (OpenFisca style).

A parameter file maps names to definitions::

    expansion_subsidy.amount:
      description: 每招用一人的补助金额（元）
      unit: yuan
      unconfirmed: false          # true: the brief marks it UNCONFIRMED; the value is a default
      values:
        - value: 1500
          from: 2022-01-01
          to: 2025-12-31          # optional: open-ended when absent
          reference: 人社部发〔2022〕41号 [S8]

Every ``*.yaml`` under ``jiuye/policies/parameters/`` is loaded, then every file under the
directories in ``settings.JIUYE_POLICY_PARAMETER_DIRS`` (a province's or prefecture's own
values); a later definition of the same name replaces the earlier one as a whole.

A rule asks ``params("name")`` for the value in force on the as-of date, or
``params.series("name", dates)`` for the value in force on each of many dates; either way the
version used (``name@from``) is recorded so each result can say which values decided it.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import yaml
from django.conf import settings

PARAMETER_DIR = Path(__file__).parent / "parameters"


class ParameterError(LookupError):
    pass


class ParameterNotInForce(ParameterError):
    """The parameter exists but has no value on the date asked (the caller's date, not a
    fault of the rules)."""


@dataclass(frozen=True)
class ParameterValue:
    value: object
    start: dt.date
    end: dt.date | None
    reference: str

    def covers(self, day: dt.date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


@dataclass(frozen=True)
class Parameter:
    name: str
    description: str
    unit: str
    unconfirmed: bool
    note: str
    values: tuple[ParameterValue, ...]
    source_file: str = ""

    def value_at(self, day: dt.date) -> ParameterValue:
        for v in self.values:
            if v.covers(day):
                return v
        raise ParameterNotInForce(f"parameter {self.name} has no value on {day}")

    def version(self, v: ParameterValue) -> str:
        return f"{self.name}@{v.start.isoformat()}"


def _date(value, name) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError as exc:
        raise ParameterError(f"{name}: bad date {value!r}") from exc


def _parse(name: str, spec: dict, source: str) -> Parameter:
    if not isinstance(spec, dict) or "values" not in spec:
        raise ParameterError(f"{source}: {name} needs a 'values' list")
    values = []
    for item in spec["values"]:
        if "value" not in item or "from" not in item:
            raise ParameterError(f"{source}: {name}: each value needs 'value' and 'from'")
        if not item.get("reference"):
            raise ParameterError(f"{source}: {name}: each value needs its legal 'reference'")
        values.append(
            ParameterValue(
                value=item["value"],
                start=_date(item["from"], name),
                end=_date(item["to"], name) if item.get("to") else None,
                reference=str(item["reference"]),
            )
        )
    values.sort(key=lambda v: v.start)
    for a, b in itertools.pairwise(values):
        if a.end is None or a.end >= b.start:
            raise ParameterError(f"{source}: {name}: periods overlap ({a.start} and {b.start})")
    return Parameter(
        name=name,
        description=str(spec.get("description", "")),
        unit=str(spec.get("unit", "")),
        unconfirmed=bool(spec.get("unconfirmed", False)),
        note=str(spec.get("note", "")),
        values=tuple(values),
        source_file=source,
    )


def load_directory(directory: Path) -> dict[str, Parameter]:
    found: dict[str, Parameter] = {}
    for path in sorted(Path(directory).glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for name, spec in data.items():
            found[name] = _parse(name, spec, path.name)
    return found


@functools.cache
def _cached(extra_dirs: tuple[str, ...]) -> dict[str, Parameter]:
    parameters = load_directory(PARAMETER_DIR)
    for directory in extra_dirs:
        parameters.update(load_directory(Path(directory)))
    return parameters


def all_parameters() -> dict[str, Parameter]:
    extra = tuple(getattr(settings, "JIUYE_POLICY_PARAMETER_DIRS", ()) or ())
    return _cached(extra)


def clear_cache() -> None:
    _cached.cache_clear()


@dataclass
class Params:
    """The parameters as of one date, recording every version a rule reads."""

    as_of: dt.date
    overrides: dict[str, object] = field(default_factory=dict)
    used: dict[str, str] = field(default_factory=dict)
    definitions: dict[str, Parameter] | None = None

    def _parameter(self, name: str) -> Parameter:
        if self.definitions is None:
            self.definitions = all_parameters()
        definitions = self.definitions
        try:
            return definitions[name]
        except KeyError:
            raise ParameterError(f"unknown parameter {name}") from None

    def __call__(self, name: str):
        if name in self.overrides:
            self.used[name] = f"{name}@override"
            return self.overrides[name]
        cache = self.__dict__.setdefault("_values", {})
        if name not in cache:
            parameter = self._parameter(name)
            v = parameter.value_at(self.as_of)
            cache[name] = (parameter.version(v), v.value)
        version, value = cache[name]
        self.used[name] = version
        return value

    def series(self, name: str, dates: np.ndarray, *, default=np.nan) -> np.ndarray:
        """The value in force on each date (``datetime64[D]``); ``default`` where none is."""
        dates = np.asarray(dates, dtype="datetime64[D]")
        if name in self.overrides:
            self.used[name] = f"{name}@override"
            return np.full(dates.shape, self.overrides[name])
        parameter = self._parameter(name)
        sample = parameter.values[0].value
        kind = float if isinstance(sample, int | float) and not isinstance(sample, bool) else object
        out = np.full(dates.shape, default, dtype=kind)
        versions = []
        for v in parameter.values:
            start = np.datetime64(v.start, "D")
            mask = dates >= start
            if v.end is not None:
                mask &= dates <= np.datetime64(v.end, "D")
            if mask.any():
                out[mask] = v.value
                versions.append(parameter.version(v))
        if versions:
            self.used[name] = ",".join(versions)
        return out
