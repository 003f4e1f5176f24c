"""The input variables every rule reads, one table per entity, declared once.

A rule never touches the ORM. It reads columns of these tables, which come from either

* a JSON *situation* (the calculator: ``situation_to_population``), whose objects use exactly
  these column names, or
* the registry (政策找人 runs: ``jiuye.policies.loader``), aggregated in SQL.

So this file is also the reference of the situation format (``docs/policy-calculator.md`` is
generated from it by ``jiuye policy schema``). Ids in a situation may be strings or numbers;
references (``person_id``, ``employer_id``) use the same ids.

Column kinds: ``int`` (int64), ``float`` (float64, NaN when unknown), ``bool``, ``date``
(``datetime64[D]``, NaT when absent; JSON ``"YYYY-MM-DD"``), ``str``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # int | float | bool | date | str
    description: str
    default: object = None

    def empty_value(self):
        if self.default is not None:
            return self.default
        return {"int": 0, "float": np.nan, "bool": False, "date": None, "str": ""}[self.kind]


def _c(name, kind, description, default=None):
    return Column(name, kind, description, default)


# Where a column describes "last year" it means the calendar year before the as-of date; "the
# period" of a person column means the calendar quarter before the as-of date's quarter.
SCHEMA: dict[str, list[Column]] = {
    "person": [
        _c("id", "int", "人员编号"),
        _c("region_code", "str", "常住地区划代码（12位）"),
        _c("birth_date", "date", "出生日期"),
        _c("sex", "str", "性别：1 男，2 女"),
        _c("retirement_category", "str", "原退休年龄类别：m60 / f55 / f50，空则按性别默认"),
        _c("hukou_region_code", "str", "户籍地区划代码"),
        _c("hukou_type", "str", "户口性质：urban / rural"),
        _c("education", "str", "学历代码（GB/T 4658）"),
        _c("disabled", "bool", "持有残疾人证或残疾军人证"),
        _c("employment_status", "str", "就业状态：employed / unemployed / unknown"),
        _c("unemployed_since", "date", "本次失业登记日期（未处于失业登记状态为空）"),
        _c("employed_since", "date", "本次就业开始日期（未就业为空）"),
        _c("employment_form", "str", "就业形式：unit / flexible / self_employed / public_welfare"),
        _c("employer_id", "int", "当前就业单位编号（0 表示无）"),
        _c("household_id", "int", "家庭（户）编号（0 表示未知）"),
        _c("graduate", "bool", "高校毕业生"),
        _c("graduate_year", "int", "毕业年份（0 表示未知）"),
        _c("left_school_on", "date", "离校（毕业）日期"),
        _c("in_school", "bool", "在校学生（毕业年度未离校）"),
        _c("ex_poverty", "bool", "脱贫人口（脱贫家庭成员）"),
        _c("monitored", "bool", "防止返贫监测对象"),
        _c("dibao", "bool", "城乡低保对象（低保家庭成员）"),
        _c("poor_disabled_family", "bool", "贫困残疾人家庭成员"),
        _c("zero_family", "bool", "经认定的零就业家庭成员"),
        _c("veteran", "bool", "退役军人"),
        _c("land_lost", "bool", "因征收农村集体土地失去全部土地"),
        _c("long_unemployed", "bool", "经认定的长期失业人员"),
        _c("student_loan", "bool", "获得国家助学贷款"),
        _c("former_soe_worker", "bool", "原国有、集体企业职工"),
        _c("difficulty", "bool", "已认定为就业困难人员（as-of 日期有效）"),
        _c("difficulty_category", "str", "就业困难人员类别"),
        _c("difficulty_since", "date", "就业困难人员认定日期"),
        _c("ui_months", "int", "累计缴纳失业保险月数（不含补缴）"),
        _c("drawing_ui_benefit", "bool", "正在领取失业保险金"),
        _c("flex_contrib_period", "float", "上季度以灵活就业身份实际缴纳的社会保险费（元）"),
        _c("flex_months_period", "int", "上季度以灵活就业身份缴费月数"),
        _c("business_started_on", "date", "首次创办的企业或个体工商户开业（登记）日期"),
        _c("business_kind", "str", "创业实体：small（小微企业）/ individual（个体工商户）"),
        _c("business_running", "bool", "创业实体至今正常经营"),
        _c("business_insured", "bool", "创业实体按规定缴纳社会保险"),
        _c("first_business", "bool", "首次创业"),
        _c("loan_amount", "float", "创业担保贷款金额（元）"),
        _c("loan_rate", "float", "贷款合同年利率（%）"),
        _c("loan_lpr", "float", "贷款合同签订日一年期 LPR（%）"),
        _c("loan_months", "int", "贷款期限（月）"),
        _c("loan_partnership", "bool", "合伙创业贷款"),
        _c("loan_partners", "int", "合伙人数"),
    ],
    "employer": [
        _c("id", "int", "单位编号"),
        _c("region_code", "str", "单位所在地区划代码"),
        _c(
            "ownership",
            "str",
            "单位性质：state / collective / private / … / government / institution / social",
        ),
        _c("size_class", "str", "企业规模：large / medium / small / micro"),
        _c("industry_code", "str", "行业代码（GB/T 4754）"),
        _c("insured_now", "int", "as-of 当月参保职工人数"),
        _c("insured_start", "int", "上年初参保职工人数"),
        _c("insured_end", "int", "上年末参保职工人数"),
        _c("insured_avg", "float", "上年月平均参保职工人数"),
        _c("separations", "int", "上年解除、终止劳动关系（裁员）人数"),
        _c("ui_claimants", "int", "上年新领取失业保险金人数（原单位为本单位）"),
        _c("ui_paid", "float", "上年实际缴纳失业保险费（单位+个人，不含补缴和滞纳金，元）"),
        _c("ui_months_full", "int", "截至上月连续足额缴纳失业保险费月数"),
        _c("blacklisted", "bool", "as-of 日期在拖欠农民工工资失信联合惩戒对象名单内"),
        _c("blacklist_reason", "str", "列入失信名单事由"),
        _c("new_key_hires", "int", "近12个月新招用符合创业担保贷款条件人员数"),
    ],
    "hire": [
        _c("id", "int", "就业登记编号"),
        _c("person_id", "int", "人员编号"),
        _c("employer_id", "int", "单位编号"),
        _c("hired_on", "date", "入职（就业登记）日期"),
        _c("contract_months", "int", "劳动合同期限（月，无固定期限记 999）"),
        _c("region_code", "str", "就业登记地区划代码"),
        _c("ui_months_after", "int", "入职后在本单位缴纳失业保险月数"),
        _c("injury_months_after", "int", "入职后在本单位缴纳工伤保险月数"),
        _c("pension_months_after", "int", "入职后在本单位缴纳养老保险月数"),
        _c("still_employed", "bool", "仍在本单位就业"),
        _c("unemployed_months_before", "int", "入职前连续失业登记月数（0 表示未登记失业）"),
        _c("difficulty_at_hire", "bool", "入职时为已认定就业困难人员"),
        _c("employer_contrib_period", "float", "上季度单位为其实缴养老医疗失业保险单位部分（元）"),
    ],
    "certificate": [
        _c("id", "int", "证书编号"),
        _c("person_id", "int", "人员编号"),
        _c("occupation_code", "str", "职业（工种）代码"),
        _c("level", "int", "等级：5 五级（初级工）… 1 一级（高级技师）"),
        _c("issued_on", "date", "发证日期"),
    ],
    "internship": [
        _c("id", "int", "见习编号"),
        _c("person_id", "int", "见习人员编号"),
        _c("employer_id", "int", "见习单位编号"),
        _c("region_code", "str", "见习单位所在地区划代码"),
        _c("start_on", "date", "见习开始日期"),
        _c("planned_end_on", "date", "见习协议结束日期"),
        _c("ended_on", "date", "实际结束日期（进行中为空）"),
        _c("retained_on", "date", "见习单位留用（签订劳动合同）日期"),
        _c("unemployed_at_start", "bool", "见习开始时处于失业登记状态（失业青年口径）"),
    ],
    # Entitlements already granted (from earlier runs and years): the rules' memory for
    # once-per-person, once-per-level and mutual-exclusion conditions.
    "history": [
        _c("policy", "str", "政策代码"),
        _c("subject_type", "str", "对象类型：person / employer"),
        _c("subject_id", "int", "对象编号"),
        _c("period", "str", "期间"),
        _c("granted_on", "date", "享受（认定）日期"),
        _c("amount", "float", "金额（元）"),
    ],
}

ENTITIES = tuple(SCHEMA)
DTYPES = {"int": np.int64, "float": np.float64, "bool": np.bool_, "date": "datetime64[D]"}


class SituationError(ValueError):
    """A situation that cannot be read; the message names the place (``people[2].birth_date``)."""


def column_array(column: Column, values: list) -> np.ndarray:
    if column.kind == "str":
        return np.array(["" if v is None else str(v) for v in values], dtype=object).astype(str)
    if column.kind == "date":
        return np.array(
            [np.datetime64("NaT") if v in (None, "") else np.datetime64(v, "D") for v in values],
            dtype="datetime64[D]",
        )
    if column.kind == "float":
        return np.array([np.nan if v is None else float(v) for v in values], dtype=np.float64)
    return np.array(values, dtype=DTYPES[column.kind])


def empty_tables() -> dict[str, dict[str, np.ndarray]]:
    return {entity: {c.name: column_array(c, []) for c in cols} for entity, cols in SCHEMA.items()}


PLURAL = {
    "person": "people",
    "employer": "employers",
    "hire": "hires",
    "certificate": "certificates",
    "internship": "internships",
    "history": "history",
}
ID_REFERENCES = {"person_id": "person", "employer_id": "employer", "household_id": "household"}


def _parse_value(column: Column, raw, where: str):
    if raw is None:
        return column.empty_value()
    try:
        if column.kind == "date":
            if isinstance(raw, dt.date):
                return raw.isoformat()
            return dt.date.fromisoformat(str(raw)).isoformat()
        if column.kind == "int":
            if isinstance(raw, bool):
                raise ValueError
            return int(raw)
        if column.kind == "float":
            return float(raw)
        if column.kind == "bool":
            if not isinstance(raw, bool):
                raise ValueError
            return raw
        return str(raw)
    except (TypeError, ValueError):
        raise SituationError(f"{where}: {raw!r} is not a valid {column.kind}") from None


def situation_to_tables(situation: dict) -> tuple[dt.date, dict[str, dict[str, np.ndarray]], dict]:
    """Read a situation. Returns (as_of, tables, id_names) where id_names maps each entity's
    internal integer id back to the id the situation used."""
    if not isinstance(situation, dict):
        raise SituationError("situation: must be a JSON object")
    raw_as_of = situation.get("as_of")
    if not raw_as_of:
        raise SituationError("as_of: required (YYYY-MM-DD)")
    try:
        as_of = dt.date.fromisoformat(str(raw_as_of))
    except ValueError:
        raise SituationError(f"as_of: {raw_as_of!r} is not a date") from None
    known_keys = {"as_of", "policies", *PLURAL.values()}
    unknown = sorted(set(situation) - known_keys)
    if unknown:
        raise SituationError(f"unknown key(s): {', '.join(unknown)}")

    ids: dict[str, dict[object, int]] = {"person": {}, "employer": {}, "household": {}}
    names: dict[str, dict[int, object]] = {"person": {}, "employer": {}, "household": {}}

    def internal(kind: str, raw, where: str, *, create: bool) -> int:
        if raw is None or raw == "" or raw == 0:
            return 0
        key = str(raw)
        if key not in ids[kind]:
            if not create:
                raise SituationError(f"{where}: no {kind} with id {raw!r}")
            ids[kind][key] = len(ids[kind]) + 1
            names[kind][ids[kind][key]] = raw
        return ids[kind][key]

    # Declare people and employers first so references can be checked in any order.
    for entity in ("person", "employer"):
        for i, obj in enumerate(situation.get(PLURAL[entity]) or []):
            where = f"{PLURAL[entity]}[{i}]"
            if not isinstance(obj, dict) or obj.get("id") in (None, ""):
                raise SituationError(f"{where}.id: required")
            if str(obj["id"]) in ids[entity]:
                raise SituationError(f"{where}.id: duplicate id {obj['id']!r}")
            internal(entity, obj["id"], where, create=True)

    tables = {}
    for entity, columns in SCHEMA.items():
        objects = situation.get(PLURAL[entity]) or []
        if not isinstance(objects, list):
            raise SituationError(f"{PLURAL[entity]}: must be a list")
        known = {c.name for c in columns}
        values: dict[str, list] = {c.name: [] for c in columns}
        for i, obj in enumerate(objects):
            where = f"{PLURAL[entity]}[{i}]"
            if not isinstance(obj, dict):
                raise SituationError(f"{where}: must be an object")
            extra = sorted(str(k) for k in set(obj) - known)
            if extra:
                raise SituationError(f"{where}: unknown field(s): {', '.join(extra)}")
            for column in columns:
                raw = obj.get(column.name)
                at = f"{where}.{column.name}"
                if column.name == "id" and entity in ("person", "employer"):
                    value = ids[entity][str(raw)]
                elif column.name == "id":
                    value = i + 1 if raw is None else _parse_value(column, raw, at)
                elif column.name in ID_REFERENCES:
                    kind = ID_REFERENCES[column.name]
                    value = internal(kind, raw, at, create=kind == "household")
                elif column.name == "subject_id":
                    kind = "employer" if obj.get("subject_type") == "employer" else "person"
                    value = internal(kind, raw, at, create=False)
                else:
                    value = _parse_value(column, raw, at)
                values[column.name].append(value)
        tables[entity] = {c.name: column_array(c, values[c.name]) for c in columns}
    return as_of, tables, names
