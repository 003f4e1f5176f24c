"""YAML test situations, written from the policy text (OpenFisca style).

Each file under ``situations/`` is a list of cases::

    - name: 应届毕业生入职缴费满3个月
      policy: expansion_subsidy
      situation: {as_of: 2025-06-30, people: [...], employers: [...], hires: [...]}
      expect:
        - subject: p1            # the situation's id of the subject
          period: once           # optional
          applicable: true       # optional (false: the row fails a gate condition)
          eligible: true
          amount: 1500           # optional
          conditions: {insured: true}   # optional: a subset of condition outcomes
      parameters: {stabilisation_refund.layoff_rate_numerator: separations}   # optional

Every policy must have at least five cases (``test_every_policy_has_five_situations``).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml
from django.utils import translation

from jiuye.policies.calculator import calculate
from jiuye.policies.rules import all_policies

SITUATIONS = Path(__file__).parent / "situations"


def _dates_to_text(value):
    if isinstance(value, dict):
        return {k: _dates_to_text(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_dates_to_text(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _cases():
    for path in sorted(SITUATIONS.glob("*.yaml")):
        for i, case in enumerate(yaml.safe_load(path.read_text(encoding="utf-8")) or []):
            yield pytest.param(case, id=f"{path.stem}[{i}] {case['name']}")


@pytest.mark.parametrize("case", list(_cases()))
def test_situation(case):
    situation = _dates_to_text(case["situation"])
    with translation.override("zh-hans"):
        answer = calculate(situation, [case["policy"]], overrides=case.get("parameters"))
    (policy,) = answer["policies"]
    # A misspelled override would otherwise be ignored without a word.
    for name in case.get("parameters") or {}:
        assert policy["parameters"].get(name) == f"{name}@override", f"parameter {name} not used"
    results = policy["results"]
    for expected in case["expect"]:
        matches = [
            r
            for r in results
            if str(r["subject"]) == str(expected["subject"])
            and ("period" not in expected or r["period"] == str(expected["period"]))
        ]
        assert matches, f"no result for subject {expected['subject']}: {results}"
        result = matches[0]
        outcomes = {c["code"]: c["passed"] for c in result["conditions"]}
        for key in ("applicable", "eligible"):
            if key in expected:
                assert result[key] is expected[key], (key, outcomes, result)
        if "amount" in expected:
            assert result["amount"] == pytest.approx(float(expected["amount"]), abs=0.01), result
        for code, passed in (expected.get("conditions") or {}).items():
            assert outcomes[code] is passed, (code, outcomes)


def test_every_policy_has_five_situations():
    counts = {code: 0 for code in all_policies()}
    for param in _cases():
        (case,) = param.values
        counts[case["policy"]] = counts.get(case["policy"], 0) + 1
    short = {code: n for code, n in counts.items() if n < 5}
    assert not short, f"policies with fewer than five YAML situations: {short}"
