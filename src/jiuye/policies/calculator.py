"""The policy calculator (政策计算器): a JSON situation in, per policy the decision out.

The same engine and rules as the batch runs; only the source of the tables differs. The
format of a situation is ``jiuye.policies.inputs.SCHEMA`` (documented in
``docs/policy-calculator.md``).
"""

from __future__ import annotations

from jiuye.policies.engine import Population, evaluate
from jiuye.policies.inputs import SituationError, situation_to_tables
from jiuye.policies.parameters import Params
from jiuye.policies.rules import all_policies


def calculate(
    situation: dict, policies: list[str] | None = None, *, overrides: dict | None = None
) -> dict:
    """``overrides`` replaces parameter values (a province's variant, a "what if"): each used
    override is reported as ``name@override``."""
    as_of, tables, names = situation_to_tables(situation)
    wanted = policies if policies is not None else situation.get("policies")
    available = all_policies()
    if wanted:
        unknown = [code for code in wanted if code not in available]
        if unknown:
            raise SituationError(f"policies: unknown policy code(s): {', '.join(unknown)}")
        selected = [available[code] for code in wanted]
    else:
        selected = list(available.values())
    population = Population(as_of, tables)
    out = []
    for policy in selected:
        params = Params(as_of, overrides=dict(overrides or {}))
        evaluation = evaluate(policy, population, params)
        results = []
        for i in range(len(evaluation)):
            subject = names[policy.subject_type].get(int(evaluation.subject_id[i]))
            payee = names[policy.payee_type].get(int(evaluation.payee_id[i]))
            results.append(
                {
                    "subject_type": policy.subject_type,
                    "subject": subject,
                    "payee_type": policy.payee_type,
                    "payee": payee,
                    "period": str(evaluation.period[i]),
                    "applicable": bool(evaluation.candidate[i]),
                    "eligible": bool(evaluation.eligible[i]),
                    "amount": float(evaluation.amount[i]),
                    "conditions": evaluation.details(i),
                }
            )
        out.append(
            {
                "policy": policy.code,
                "name": str(policy.name),
                "reference": policy.reference,
                "fund": policy.fund,
                "no_application": policy.no_application,
                "pays": policy.pays,
                "parameters": dict(sorted(params.used.items())),
                "results": results,
            }
        )
    return {"as_of": as_of.isoformat(), "policies": out}
