"""Policies API: the catalogue and the policy calculator (政策计算器).

* ``POST /api/policies/calculate`` — a *situation* (people, employers, hires, certificates,
  internships, history and an ``as_of`` date; ``docs/policy-calculator.md``) in; per policy,
  per subject: applicable, eligible, amount and every condition with its outcome and the
  facts behind it, in the request's language (zh-Hans unless ``Accept-Language`` or the
  language cookie asks otherwise), plus the parameter values that decided it.
* ``GET /api/policies/`` — the policies; ``GET /api/policies/{code}`` — one policy with its
  conditions and dated parameters; ``GET /api/policies/schema`` — the situation format.

Scoping: these endpoints hold no regional data. The calculator reads only the situation in
the request and the catalogue only the rules and their parameter files, so any logged-in
user or API token may call them and nothing here goes through ``scoped()``; the endpoints are
listed as exempt from region scoping in ``tests/web/test_endpoint_scoping.py``.

The page (``views/calculator.py``) and the command (``jiuye policy calculate``) use the same
``calculation()``, so the three answers are the same JSON.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import math
import re
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from django.urls import register_converter
from django.urls.converters import get_converters
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema

from jiuye.core.errors import ErrorCode, JiuyeError
from jiuye.policies import inputs
from jiuye.policies.calculator import calculate
from jiuye.policies.engine import Policy, Population, evaluate
from jiuye.policies.inputs import SCHEMA, SituationError
from jiuye.policies.models import Fund
from jiuye.policies.parameters import (
    Parameter,
    ParameterError,
    ParameterNotInForce,
    Params,
    all_parameters,
)
from jiuye.policies.rules import all_policies

router = Router()

# The key of each entity's list in a situation ("person" -> "people"). inputs keeps it private;
# the calculator's documentation must use exactly the same keys.
ENTITY_KEYS: dict[str, str] = dict(inputs.PLURAL)


class PolicyCodeConverter:
    """A URL segment naming a known policy.

    Anything else does not match, so the catch-all ``/api/policies/{code}`` (and the detail
    page) never shadows a sibling route mounted beside it (``/api/policies/runs`` …): Django
    moves on to the next pattern when ``to_python`` raises ``ValueError``.
    """

    regex = "[a-z][a-z0-9_]*"

    def to_python(self, value: str) -> str:
        if value not in all_policies():
            raise ValueError(value)
        return value

    def to_url(self, value: str) -> str:
        return value


# Registered once even if this module is imported again (a failed first import of the API).
if "policy_code" not in get_converters():
    register_converter(PolicyCodeConverter, "policy_code")


# ---- output schemas --------------------------------------------------------------------------


class ValueOut(Schema):
    value: Any
    start: dt.date = Field(alias="from")
    end: dt.date | None = Field(None, alias="to")
    reference: str


class ParameterOut(Schema):
    name: str
    description: str
    unit: str
    unconfirmed: bool
    note: str
    values: list[ValueOut]


class ParameterUsedOut(ParameterOut):
    version: str  # "name@2024-01-01" (several, comma-separated, when dates differ per row)


class CatalogueParameterOut(ParameterOut):
    shared: bool  # a parameter of several policies (retirement age, blacklist …)
    current: Any = None  # the value in force today, None when none is
    source_file: str


class ConditionOutcomeOut(Schema):
    code: str
    label: str
    passed: bool
    gate: bool
    detail: str


class ResultOut(Schema):
    subject_type: str
    subject: str | int | None
    payee_type: str
    payee: str | int | None
    period: str
    applicable: bool
    eligible: bool
    outcome: str  # eligible | not_eligible | not_applicable
    outcome_label: str
    amount: float
    conditions: list[ConditionOutcomeOut]


class PolicyOut(Schema):
    code: str
    name: str
    description: str
    reference: str
    fund: str
    fund_label: str
    no_application: bool
    pays: bool
    entity: str
    subject_type: str
    payee_type: str


class PolicyAnswerOut(PolicyOut):
    parameters: list[ParameterUsedOut]
    results: list[ResultOut]


class CalculationOut(Schema):
    as_of: dt.date
    language: str
    policies: list[PolicyAnswerOut]


class ConditionOut(Schema):
    code: str
    label: str
    gate: bool


class PolicyDetailOut(PolicyOut):
    conditions: list[ConditionOut]
    parameters: list[CatalogueParameterOut]


class ColumnOut(Schema):
    name: str
    kind: str
    description: str
    default: Any = None


class EntityOut(Schema):
    entity: str
    key: str
    columns: list[ColumnOut]


class SchemaOut(Schema):
    top_level: list[ColumnOut]
    entities: list[EntityOut]
    # "json_schema" is a pydantic method name, hence the alias.
    situation_json_schema: dict = Field(alias="json_schema")


# ---- the catalogue ---------------------------------------------------------------------------


def fund_label(code: str) -> str:
    return str(Fund(code).label) if code in Fund.values else code


def display_value(value) -> str:
    """A parameter value as people read it: lists and tables as JSON, booleans as true/false."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def policy_summary(policy: Policy) -> dict:
    return {
        "code": policy.code,
        "name": str(policy.name),
        "description": str(policy.description or ""),
        "reference": policy.reference,
        "fund": policy.fund,
        "fund_label": fund_label(policy.fund),
        "no_application": policy.no_application,
        "pays": policy.pays,
        "entity": policy.entity,
        "subject_type": policy.subject_type,
        "payee_type": policy.payee_type,
    }


def value_info(parameter: Parameter, only: set[str] | None = None) -> list[dict]:
    """The dated values of a parameter (those starting on a date in ``only`` when given)."""
    return [
        {"value": v.value, "from": v.start, "to": v.end, "reference": v.reference}
        for v in parameter.values
        if only is None or v.start.isoformat() in only
    ]


def parameter_info(parameter: Parameter, *, shared: bool = False, on: dt.date | None = None):
    on = on or timezone.localdate()
    try:
        current = parameter.value_at(on).value
    except ParameterError:
        current = None
    return {
        "name": parameter.name,
        "description": parameter.description,
        "unit": parameter.unit,
        "unconfirmed": parameter.unconfirmed,
        "note": parameter.note,
        "source_file": parameter.source_file,
        "shared": shared,
        "current": current,
        "values": value_info(parameter),
    }


def _shared_parameter_names(policy: Policy, on: dt.date) -> set[str]:
    """The parameters outside the policy's own ``code.*`` names that its rule reads, found by
    evaluating it over an empty population (the scalar reads happen even with no rows)."""
    params = Params(on)
    # This only discovers which shared parameters to list; a rule that cannot evaluate an
    # empty population on this date (not yet in force …) must not break the catalogue.
    with contextlib.suppress(Exception):
        evaluate(policy, Population(on), params)
    return set(params.used)


def policy_parameters(policy: Policy, on: dt.date | None = None) -> list[dict]:
    """The policy's own parameters (``code.*``), then the shared ones its rule reads."""
    on = on or timezone.localdate()
    definitions = all_parameters()
    own = sorted(name for name in definitions if name.startswith(policy.code + "."))
    shared = sorted(
        name for name in _shared_parameter_names(policy, on) - set(own) if name in definitions
    )
    return [parameter_info(definitions[n], on=on) for n in own] + [
        parameter_info(definitions[n], shared=True, on=on) for n in shared
    ]


def policy_detail(policy: Policy, on: dt.date | None = None) -> dict:
    return {
        **policy_summary(policy),
        "conditions": [
            {"code": c.code, "label": str(c.label), "gate": c.gate} for c in policy.conditions
        ],
        "parameters": policy_parameters(policy, on),
    }


# ---- the situation format --------------------------------------------------------------------

TOP_LEVEL = [
    {"name": "as_of", "kind": "date", "description": "计算日期（YYYY-MM-DD），必填"},
    {
        "name": "policies",
        "kind": "list",
        "description": "只计算这些政策（政策代码列表）；省略则计算全部政策",
    },
]

_JSON_TYPES = {
    "int": {"type": "integer"},
    "float": {"type": ["number", "null"]},
    "bool": {"type": "boolean"},
    "date": {"type": ["string", "null"], "format": "date"},
    "str": {"type": ["string", "null"]},
}
_ID_COLUMNS = {"id", "person_id", "employer_id", "household_id", "subject_id"}


def column_default(column: inputs.Column):
    """What an omitted field means (JSON-safe: an unknown number or date is null)."""
    value = column.empty_value()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def schema_info() -> dict:
    return {
        "top_level": [dict(c, default=None) for c in TOP_LEVEL],
        "entities": [
            {
                "entity": entity,
                "key": ENTITY_KEYS[entity],
                "columns": [
                    {
                        "name": c.name,
                        "kind": c.kind,
                        "description": c.description,
                        "default": column_default(c),
                    }
                    for c in columns
                ],
            }
            for entity, columns in SCHEMA.items()
        ],
        "json_schema": json_schema(),
    }


def json_schema() -> dict:
    """A JSON Schema of a situation, for the OpenAPI page and for other systems' validators.
    The calculator itself checks situations with ``inputs.situation_to_tables``."""

    def column(entity: str, c: inputs.Column) -> dict:
        if c.name in _ID_COLUMNS and not (c.name == "id" and entity not in ("person", "employer")):
            spec = {"type": ["string", "integer", "null"]}
        else:
            spec = dict(_JSON_TYPES[c.kind])
        spec["description"] = c.description
        return spec

    properties: dict[str, Any] = {
        "as_of": {"type": "string", "format": "date", "description": TOP_LEVEL[0]["description"]},
        "policies": {
            "type": "array",
            "items": {"type": "string", "enum": list(all_policies())},
            "description": TOP_LEVEL[1]["description"],
        },
    }
    for entity, columns in SCHEMA.items():
        properties[ENTITY_KEYS[entity]] = {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {c.name: column(entity, c) for c in columns},
                "additionalProperties": False,
                **({"required": ["id"]} if entity in ("person", "employer") else {}),
            },
        }
    return {
        "type": "object",
        "required": ["as_of"],
        "properties": properties,
        "additionalProperties": False,
    }


def schema_markdown() -> str:
    """The situation's column tables in Markdown (``jiuye policy schema --markdown``), pasted
    into ``docs/policy-calculator.md``; ``tests/policies/test_docs.py`` keeps them equal."""
    kinds = {
        "int": "整数 int",
        "float": "数值 float",
        "bool": "布尔 bool",
        "date": "日期 date",
        "str": "文本 str",
        "list": "列表 list",
    }

    def cell(text) -> str:
        return str(text).replace("|", "\\|").replace("\n", " ")

    def default(value) -> str:
        if value is None:
            return "空 null"
        return json.dumps(value, ensure_ascii=False)

    lines = ["#### 顶层字段 (top level)", "", "| 字段 | 类型 | 说明 |", "|---|---|---|"]
    lines += [
        f"| `{c['name']}` | {kinds[c['kind']]} | {cell(c['description'])} |" for c in TOP_LEVEL
    ]
    reference = "编号 id（文本或数字）"

    def row(entity: str, c: inputs.Column) -> str:
        # People and employers are named by any text or number, and the references to them
        # (and household_id) take the same; the other entities' ids are plain row numbers.
        if c.name == "id" and entity in ("person", "employer"):
            kind, omitted = reference, "必填 required"
        elif c.name == "id":
            kind, omitted = kinds[c.kind], "按顺序编号 numbered in order"
        elif c.name in _ID_COLUMNS:
            kind, omitted = reference, "无 none"
        else:
            kind, omitted = kinds[c.kind], default(column_default(c))
        return f"| `{c.name}` | {kind} | {cell(c.description)} | {omitted} |"

    for entity, columns in SCHEMA.items():
        key = ENTITY_KEYS[entity]
        lines += [
            "",
            f"#### `{key}`（{entity}）",
            "",
            "| 字段 | 类型 | 说明 | 省略时 |",
            "|---|---|---|---|",
        ]
        lines += [row(entity, c) for c in columns]
    return "\n".join(lines) + "\n"


# ---- the calculator --------------------------------------------------------------------------

# "people[2].birth_date: …", "as_of: required", "hires: must be a list", "people[0]: unknown
# field(s): x" name a place; "unknown key(s): x" names none (the situation itself).
_FIELD = re.compile(r"^([a-z_]+(?:\[\d+\])?(?:\.[a-z_]+)?): ")


def situation_error(exc: SituationError) -> JiuyeError:
    text = str(exc)
    match = _FIELD.match(text)
    field = match.group(1) if match else ""
    message = _("The situation cannot be read: %(error)s") % {"error": text}
    return JiuyeError(
        ErrorCode.INVALID, message, status=422, detail={"field": field, "error": text}
    )


def _parameters_used(versions: dict[str, str]) -> list[dict]:
    """Each parameter read, with the dated values that were used (keys in the order of
    ``ParameterUsedOut``: the API writes these dicts out as they are)."""
    definitions = all_parameters()
    out = []
    for name, version in versions.items():
        parameter = definitions.get(name)
        if parameter is None:  # an override: no dated definition to show
            out.append(
                {
                    "name": name,
                    "description": "",
                    "unit": "",
                    "unconfirmed": False,
                    "note": "",
                    "values": [],
                    "version": version,
                }
            )
            continue
        starts = {v.rsplit("@", 1)[-1] for v in version.split(",")}
        out.append(
            {
                "name": name,
                "description": parameter.description,
                "unit": parameter.unit,
                "unconfirmed": parameter.unconfirmed,
                "note": parameter.note,
                "values": value_info(parameter, starts),
                "version": version,
            }
        )
    return out


def outcome_of(result: dict) -> tuple[str, str]:
    if result["eligible"]:
        return "eligible", _("Eligible")
    if result["applicable"]:
        return "not_eligible", _("Not eligible")
    return "not_applicable", _("Not applicable")


def calculation(situation, policies: list[str] | None = None) -> dict:
    """``calculator.calculate`` with the answer dressed for people: policy names, fund labels,
    outcome labels and the dated parameter values used, in the active language. A situation
    that cannot be read raises ``JiuyeError`` (422) naming the field.

    The dicts are built in the field order of ``CalculationOut`` and are exactly what the API
    sends (``answer_response``); ``tests/policies/test_calculator_api.py`` checks that the
    schema still describes them."""
    try:
        answer = calculate(situation, policies or None)
    except SituationError as exc:
        raise situation_error(exc) from None
    except ParameterNotInForce as exc:
        # Rules read their parameters for the as-of date; before a policy's first value there
        # is none. That is the caller's date, not a server fault. (An unknown parameter name
        # is a fault of the rules and stays a 500.)
        message = _("No policy parameter is in force on the as-of date: %(error)s") % {
            "error": str(exc)
        }
        raise JiuyeError(
            ErrorCode.INVALID,
            message,
            status=422,
            detail={"field": "as_of", "error": str(exc)},
        ) from None
    available = all_policies()
    out = []
    for item in answer["policies"]:
        policy = available[item["policy"]]
        results = []
        for r in item["results"]:
            outcome, label = outcome_of(r)
            results.append(
                {
                    "subject_type": r["subject_type"],
                    "subject": r["subject"],
                    "payee_type": r["payee_type"],
                    "payee": r["payee"],
                    "period": r["period"],
                    "applicable": r["applicable"],
                    "eligible": r["eligible"],
                    "outcome": outcome,
                    "outcome_label": label,
                    "amount": r["amount"],
                    "conditions": r["conditions"],
                }
            )
        out.append(
            {
                **policy_summary(policy),
                "parameters": _parameters_used(item["parameters"]),
                "results": results,
            }
        )
    return {"as_of": answer["as_of"], "language": get_language(), "policies": out}


def read_situation(body: bytes | str):
    """The JSON of a request body or file; a clear 422 when it is not JSON."""
    if isinstance(body, bytes):
        try:
            body = body.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise JiuyeError(
                ErrorCode.INVALID,
                _("The situation must be UTF-8 encoded JSON."),
                status=422,
                detail={"field": "", "error": "not UTF-8"},
            ) from None
    if not body.strip():
        raise JiuyeError(
            ErrorCode.INVALID,
            _("The situation is empty: send a JSON object with at least as_of."),
            status=422,
            detail={"field": "", "error": "empty"},
        )
    try:
        return json.loads(body)
    except json.JSONDecodeError as exc:
        message = _("The situation is not valid JSON (line %(line)s, column %(column)s): %(error)s")
        raise JiuyeError(
            ErrorCode.INVALID,
            message % {"line": exc.lineno, "column": exc.colno, "error": exc.msg},
            status=422,
            detail={"field": "", "error": str(exc)},
        ) from None


def answer_json(answer: dict, *, indent: int | None = None) -> str:
    return json.dumps(answer, ensure_ascii=False, indent=indent, cls=DjangoJSONEncoder)


def answer_response(answer: dict) -> HttpResponse:
    """The calculator's answer as it is. ``response=CalculationOut`` documents it, but
    validating a large nested answer through the schema again cost about as much as the
    calculation itself (benchmarks/policy_calculator.py), so it is written out directly."""
    return HttpResponse(answer_json(answer), content_type="application/json; charset=utf-8")


_EXAMPLE = {
    "as_of": "2025-10-10",
    "people": [
        {
            "id": "p1",
            "birth_date": "2002-05-01",
            "sex": "1",
            "graduate": True,
            "graduate_year": 2025,
            "left_school_on": "2025-07-01",
        }
    ],
    "employers": [{"id": "e1", "ownership": "private", "size_class": "small"}],
    "hires": [
        {
            "person_id": "p1",
            "employer_id": "e1",
            "hired_on": "2025-07-01",
            "contract_months": 36,
            "ui_months_after": 3,
            "injury_months_after": 3,
            "pension_months_after": 3,
        }
    ],
}


# ---- endpoints -------------------------------------------------------------------------------
# Fixed paths first: ``{code}`` only matches known policy codes anyway (PolicyCodeConverter).


@router.post(
    "/calculate",
    response=CalculationOut,
    by_alias=True,
    url_name="policies_calculate",
    summary="Policy calculator: which policies a situation qualifies for, and why",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": json_schema(), "example": _EXAMPLE}},
        }
    },
)
def calculate_situation(request):
    # No region scope: the answer depends only on the situation sent (see the module doc).
    return answer_response(calculation(read_situation(request.body)))


@router.get("/", response=list[PolicyOut], url_name="policies_list", summary="The policies")
def list_policies(request):
    return [policy_summary(p) for p in all_policies().values()]


@router.get(
    "/schema",
    response=SchemaOut,
    by_alias=True,
    url_name="policies_schema",
    summary="The situation format",
)
def situation_schema(request):
    return schema_info()


@router.get(
    "/{policy_code:code}",
    response=PolicyDetailOut,
    by_alias=True,
    url_name="policies_detail",
    summary="One policy: conditions and dated parameters with their legal references",
)
def get_policy(request, code: str):
    return policy_detail(all_policies()[code])
