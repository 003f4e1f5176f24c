"""Loading regions into the database: the shipped tree and the official NBS 12-digit code file.

``load_region_tree`` inserts the tree built by :mod:`jiuye.regions.sources` level by level with
``bulk_create``; it is idempotent. ``load_nbs_code_file`` replaces assigned codes with official
ones, closes regions that are no longer listed (``valid_to``; nothing is deleted) and remaps the
``region_code`` values stored on other models from old codes to new ones.
"""

from __future__ import annotations

import csv
import functools
import io
import re
import time
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TextIO

from django.apps import apps
from django.db import connection, models, transaction
from django.db.models import Q
from django.utils import timezone
from pypinyin import Style, lazy_pinyin

from jiuye.regions import codes, sources
from jiuye.regions.models import CodeSource, Region

BATCH_SIZE = 1000
DEFAULT_VALID_FROM = date(2024, 1, 1)

# Fields holding a region code besides every CharField named ``region_code``.
EXTRA_REGION_CODE_FIELDS = (("accounts", "User", "home_region_code"),)
# Records that keep the code they were written with: the audit trail is history, never edited.
FROZEN_REGION_CODE_MODELS = {("core", "AuditLog")}

# Place-name readings that pypinyin's general phrase list gets wrong. Applied by splitting the
# name around these phrases, so pypinyin's global dictionaries are left untouched.
# (曲沃县 needs nothing: pypinyin already reads it "qu wo xian" -> initials "qwx".)
PLACE_PINYIN: dict[str, tuple[str, ...]] = {
    "长治": ("chang", "zhi"),
    "洪洞": ("hong", "tong"),
    "繁峙": ("fan", "shi"),
    "解州": ("xie", "zhou"),
    "朝阳": ("chao", "yang"),
}
_PLACE_RE = re.compile("|".join(map(re.escape, sorted(PLACE_PINYIN, key=len, reverse=True))))
_NOT_ALNUM = re.compile(r"[^a-z0-9]")

LEVEL_NAMES = {1: "省 province", 2: "市 city", 3: "县 county", 4: "乡镇 township", 5: "村 village"}

ASSIGNED_NOTICE = (
    "乡镇、村级代码按顺序分配（未加载官方12位代码文件）/ township and village codes assigned "
    "in order (no official NBS code file loaded): {n} regions"
)
PARTLY_ASSIGNED_NOTICE = (
    "乡镇、村级代码按顺序分配（已加载的官方12位代码文件未覆盖）/ township and village codes "
    "assigned in order (not covered by the official NBS code file loaded): {n} regions"
)


# --- report ---------------------------------------------------------------------------------


@dataclass
class RowError:
    row: int
    code: str
    reason: str

    def __str__(self) -> str:
        return f"第{self.row}行 / row {self.row} [{self.code}]: {self.reason}"


@dataclass
class LoadReport:
    """What a load did. ``text()`` is the human-readable summary the commands print."""

    title: str
    rows_in_source: int = 0
    created: Counter = field(default_factory=Counter)  # by level
    updated: Counter = field(default_factory=Counter)  # by level
    unchanged: int = 0
    closed: Counter = field(default_factory=Counter)  # by level
    skipped: list[str] = field(default_factory=list)
    skipped_below: int = 0  # regions skipped because their parent was
    current_by_level: Counter = field(default_factory=Counter)
    current_by_source: Counter = field(default_factory=Counter)
    code_changes: dict[str, str] = field(default_factory=dict)
    remapped: Counter = field(default_factory=Counter)  # "app.Model.field" -> rows
    errors: list[RowError] = field(default_factory=list)
    official_below_county: int = 0  # current townships/villages with official codes
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def assigned_count(self) -> int:
        return self.current_by_source.get(CodeSource.ASSIGNED, 0)

    def text(self) -> str:
        lines = [f"{self.title}（{self.seconds:.2f} 秒 / s）"]
        if self.errors:
            lines.append(
                f"文件被拒绝，未写入任何数据 / file rejected, nothing written: "
                f"{len(self.errors)} 个错误 / errors"
            )
            lines.extend(f"  {error}" for error in self.errors)
            return "\n".join(lines)
        names = {
            1: "省 province",
            2: "市 city",
            3: "县 county",
            4: "乡镇 township",
            5: "村 village",
        }
        lines.append(f"来源行数 / source rows: {self.rows_in_source}")
        for label, counter in (
            ("新建 / created", self.created),
            ("更新 / updated", self.updated),
            ("停用 / closed (valid_to)", self.closed),
        ):
            if counter:
                detail = ", ".join(f"{names[lv]} {counter[lv]}" for lv in sorted(counter))
                lines.append(f"{label}: {sum(counter.values())} ({detail})")
        lines.append(f"未变 / unchanged: {self.unchanged}")
        if self.code_changes:
            lines.append(f"代码变更 / code changes: {len(self.code_changes)}")
        for key in sorted(self.remapped):
            lines.append(f"  区划代码重映射 / region codes remapped: {key} {self.remapped[key]}")
        if self.current_by_level:
            detail = ", ".join(
                f"{names[lv]} {self.current_by_level[lv]}" for lv in sorted(self.current_by_level)
            )
            lines.append(f"现行区划 / current regions: {detail}")
        if self.current_by_source:
            detail = ", ".join(
                f"{key} {self.current_by_source[key]}" for key in sorted(self.current_by_source)
            )
            lines.append(f"代码来源 / code source: {detail}")
        if self.assigned_count:
            notice = PARTLY_ASSIGNED_NOTICE if self.official_below_county else ASSIGNED_NOTICE
            lines.append(notice.format(n=self.assigned_count))
        if self.skipped:
            lines.append(f"跳过 / skipped: {len(self.skipped)}")
            lines.extend(f"  {message}" for message in self.skipped[:10])
            if len(self.skipped) > 10:
                lines.append(f"  …（另有 {len(self.skipped) - 10} 条 / more）")
        if self.skipped_below:
            lines.append(f"随上级跳过的下级区划 / skipped with their parent: {self.skipped_below}")
        lines.extend(self.notes)
        return "\n".join(lines)


# --- helpers --------------------------------------------------------------------------------


@functools.lru_cache(maxsize=65536)
def region_pinyin(name: str) -> tuple[str, str]:
    """(full pinyin, initials) of a name: lowercase, no tones, no separators.

    ``lazy_pinyin`` (never heteronyms) gives the syllables and ``Style.FIRST_LETTER`` the
    initials, except for the phrases in ``PLACE_PINYIN``, whose readings are supplied here.
    """
    full: list[str] = []
    initials: list[str] = []

    def plain(text: str) -> None:
        full.extend(lazy_pinyin(text))
        initials.extend(lazy_pinyin(text, style=Style.FIRST_LETTER))

    position = 0
    for match in _PLACE_RE.finditer(name):
        if match.start() > position:
            plain(name[position : match.start()])
        syllables = PLACE_PINYIN[match.group()]
        full.extend(syllables)
        initials.extend(s[0] for s in syllables)
        position = match.end()
    if position < len(name):
        plain(name[position:])
    return (
        _NOT_ALNUM.sub("", "".join(full).lower())[:300],
        _NOT_ALNUM.sub("", "".join(initials).lower())[:100],
    )


def _province_filter(prefixes: Iterable[str]) -> Q:
    query = Q()
    for prefix in sorted(set(prefixes)):
        query |= Q(code__startswith=prefix)
    return query


def _current_counts(report: LoadReport, prefixes: Iterable[str]) -> None:
    current = Region.objects.current().filter(_province_filter(prefixes))
    for level, count in current.values_list("level").annotate(n=models.Count("id")):
        report.current_by_level[level] = count
    for source, count in current.values_list("code_source").annotate(n=models.Count("id")):
        report.current_by_source[source] = count
    report.official_below_county = current.filter(code_source=CodeSource.NBS, level__gte=4).count()


def _write(stdout: TextIO | None, text: str) -> None:
    if stdout is not None:
        stdout.write(text if text.endswith("\n") else text + "\n")


def _new_region(
    code: str,
    name: str,
    level: int,
    parent: Region | None,
    source: str,
    valid_from: date,
    urban_rural_code: str = "",
) -> Region:
    full, initials = region_pinyin(name)
    return Region(
        code=code,
        prefix=codes.prefix_of(code, level),
        name=name,
        level=level,
        parent=parent,
        urban_rural_code=urban_rural_code,
        code_source=source,
        pinyin=full,
        pinyin_initials=initials,
        valid_from=valid_from,
    )


def _bulk_create(regions: list[Region]) -> None:
    """Insert and make sure every object has its primary key."""
    if not regions:
        return
    Region.objects.bulk_create(regions, batch_size=BATCH_SIZE)
    missing = [r for r in regions if r.pk is None]
    if missing:  # backends that cannot return ids from a bulk insert
        ids = dict(
            Region.objects.current()
            .filter(code__in=[r.code for r in missing])
            .values_list("code", "id")
        )
        for region in missing:
            region.pk = ids[region.code]


# --- the shipped tree -----------------------------------------------------------------------


def load_region_tree(
    *,
    roots: Iterable[str] = sources.DEFAULT_ROOTS,
    valid_from: date = DEFAULT_VALID_FROM,
    stdout: TextIO | None = None,
) -> LoadReport:
    """Insert or update the shipped tree of ``roots``; running it again changes nothing.

    Official data wins: a region already loaded from the NBS code file (code_source "nbs") is
    never overwritten; an assigned township or village whose place already exists under its
    parent with another (official) code is matched by name instead of created again; and
    where a parent's children come from the official file, assigned rows it does not match
    are skipped (with their subtrees), so places the official file closed do not come back.
    """
    started = time.perf_counter()
    roots = tuple(roots)
    rows = sources.build_tree(roots)
    report = LoadReport(title=f"加载区划树 / load region tree {','.join(roots)}")
    report.rows_in_source = len(rows)
    provinces = {row.code[:2] for row in rows}

    by_level: dict[int, list[sources.RegionRow]] = defaultdict(list)
    for row in rows:
        by_level[row.level].append(row)

    with transaction.atomic():
        existing: dict[str, Region] = {}
        children_by_name: dict[int, dict[str, Region]] = defaultdict(dict)
        official_parents: set[int] = set()  # regions whose children came from the NBS file
        for region in Region.objects.current().filter(_province_filter(provinces)):
            existing[region.code] = region
            if region.parent_id is not None:
                children_by_name[region.parent_id][sources.comparable_name(region.name)] = region
                if region.code_source == CodeSource.NBS and region.level >= 4:
                    official_parents.add(region.parent_id)

        placed: dict[str, Region] = {}  # tree code -> region in the database
        skipped_below = 0
        for level in sorted(by_level):
            to_create: list[tuple[sources.RegionRow, Region]] = []
            to_update: list[Region] = []
            for row in by_level[level]:
                parent = placed.get(row.parent_code) if row.parent_code else None
                if row.parent_code and parent is None:
                    skipped_below += 1  # its parent was skipped
                    continue
                code = row.code
                if row.code_source == sources.ASSIGNED and parent.code != row.parent_code:
                    # The parent exists under another (official) code: keep the suffix.
                    parent_prefix = codes.prefix_of(row.parent_code)
                    code = codes.prefix_of(parent.code) + row.code[len(parent_prefix) :]
                match = existing.get(code)
                comparable = sources.comparable_name(row.name)
                if (
                    match is not None
                    and row.code_source == sources.ASSIGNED
                    and match.code_source == CodeSource.NBS
                    and sources.comparable_name(match.name) != comparable
                ):
                    match = None  # the official file gave this code to another place
                if match is None and row.code_source == sources.ASSIGNED:
                    match = children_by_name.get(parent.id, {}).pop(comparable, None)
                if match is not None:
                    placed[row.code] = match
                    if _refresh(match, row, parent, code_differs=match.code != code):
                        to_update.append(match)
                    else:
                        report.unchanged += 1
                    continue
                if row.code_source == sources.ASSIGNED and parent.id in official_parents:
                    report.skipped.append(
                        f"{row.code} {row.name}: 官方代码文件中没有 / not in the loaded NBS file"
                    )
                    continue
                if code in existing:
                    report.skipped.append(
                        f"{row.code} {row.name}: 代码已被 {existing[code]} 占用 / code in use"
                    )
                    continue
                region = _new_region(code, row.name, level, parent, row.code_source, valid_from)
                region.urban_rural_code = row.urban_rural_code
                to_create.append((row, region))
            _bulk_create([region for _, region in to_create])
            for row, region in to_create:
                placed[row.code] = region
                existing[region.code] = region
            report.created[level] += len(to_create)
            if to_update:
                _update_regions(
                    to_update,
                    ["name", "parent", "code_source", "prefix", "pinyin", "pinyin_initials"],
                )
                report.updated[level] += len(to_update)
        _current_counts(report, provinces)
    report.skipped_below = skipped_below
    report.created = +report.created
    report.seconds = time.perf_counter() - started
    _write(stdout, report.text())
    return report


def _refresh(region: Region, row: sources.RegionRow, parent: Region | None, code_differs: bool):
    """Bring an existing region in line with a tree row; True if anything changed."""
    if region.code_source == CodeSource.NBS and row.code_source != sources.NBS:
        return False  # loaded from the official file: it wins over packaged data
    if code_differs:
        return False  # matched by name under an official code: leave it
    changed = False
    full, initials = region_pinyin(row.name)
    wanted = {
        "name": row.name,
        "parent_id": parent.id if parent else None,
        "code_source": row.code_source,
        "prefix": codes.prefix_of(region.code, region.level),
        "pinyin": full,
        "pinyin_initials": initials,
    }
    for attr, value in wanted.items():
        if getattr(region, attr) != value:
            setattr(region, attr, value)
            changed = True
    return changed


# --- the official NBS code file -------------------------------------------------------------


@dataclass
class NbsRow:
    line: int
    code: str
    name: str
    level: int
    parent_code: str | None
    urban_rural_code: str


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("gb18030")  # a superset of GBK


def _clean(value: str) -> str:
    return unicodedata.normalize("NFKC", value or "").strip()


def read_nbs_code_file(path: str | Path) -> tuple[list[NbsRow], list[RowError]]:
    """Parse the file (code, name, level, parent code, urban-rural code) without touching the DB.

    A first line whose first column has no digits is taken as a header. Row numbers are the
    file's line numbers (a header is line 1). Full-width digits are accepted (NFKC).
    """
    text = _decode(Path(path).read_bytes())
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    rows: list[NbsRow] = []
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    for line, cells in enumerate(csv.reader(io.StringIO(text), delimiter=delimiter), start=1):
        cells = [_clean(cell) for cell in cells]
        if not any(cells):
            continue
        if line == 1 and not re.search(r"[0-9]", cells[0]):
            continue  # a header: its first column has no digits at all
        code = cells[0]
        if len(cells) < 3:
            errors.append(RowError(line, code, "列数不足：至少需要代码、名称、层级"))
            continue
        name, level_text = cells[1], cells[2]
        parent_text = cells[3] if len(cells) > 3 else ""
        urban_rural = cells[4] if len(cells) > 4 else ""
        reasons = []
        code_ok = re.fullmatch(r"[0-9]{12}", code) is not None
        if not code_ok:
            reasons.append("区划代码应为12位数字")
        if not name:
            reasons.append("名称为空")
        level = int(level_text) if re.fullmatch(r"[0-9]", level_text) else 0
        level_ok = 1 <= level <= 5
        if not level_ok:
            reasons.append(f"层级“{level_text}”应为1至5的整数")
        elif code_ok and codes.level_of(code) != level:
            reasons.append(f"层级 {level} 与代码不符（代码表示第 {codes.level_of(code)} 级）")
            level_ok = False
        parent_code = None
        if not parent_text or set(parent_text) == {"0"}:
            if level > 1:
                reasons.append("缺少上级代码")
        else:
            try:
                parent_code = codes.normalize(parent_text)
            except codes.InvalidRegionCode:
                reasons.append(f"上级代码“{parent_text}”格式错误")
            else:
                if level == 1:
                    reasons.append("省级区划不应有上级代码")
                elif code_ok and level_ok and codes.parent_code(code) != parent_code:
                    reasons.append(
                        f"上级代码 {parent_code} 与本级代码不一致（应为 {codes.parent_code(code)}）"
                    )
        if urban_rural and not re.fullmatch(r"[0-9]{3}", urban_rural):
            reasons.append(f"城乡分类代码“{urban_rural}”应为3位数字")
        if code in seen:
            reasons.append(f"代码重复（与第{seen[code]}行相同）")
        if reasons:
            errors.append(RowError(line, code, "；".join(reasons)))
            continue
        seen[code] = line
        rows.append(NbsRow(line, code, name, level, parent_code, urban_rural))
    return rows, errors


class _Rejected(Exception):
    pass


def load_nbs_code_file(
    path: str | Path, *, valid_from: date, stdout: TextIO | None = None
) -> LoadReport:
    """Load the official NBS 12-digit code file; reject it whole if any row is bad.

    Rows are validated first (12-digit code, level 1-5 agreeing with the code, parent code
    consistent with the code and present in the file or the database, no duplicates); any bad
    row rejects the file and nothing is written. Then, level by level:

    * a current region with the row's code and the same name (compared without committee
      suffixes, so 东关村委会 matches 东关村) is updated in place: name, urban-rural code,
      ``code_source="nbs"``, and re-parented if its parent was replaced;
    * otherwise an assigned region with the same name under the same parent (or under the
      region its parent replaced) is closed (``valid_to = valid_from``) and the official row
      created; the old code -> new code pair is recorded. An assigned region holding the code
      under another name is closed first, and may itself match a later row by name;
    * otherwise a region holding the code is renamed, or the row is created.

    Beneath the file's roots (rows whose parent is not in the file), a current region whose
    siblings the file lists but which it does not list itself is closed. Children the file
    does not cover follow a replaced parent to its new code (see ``close_missing``). Finally
    every ``region_code`` field (and ``User.home_region_code``) is remapped old -> new.
    """
    started = time.perf_counter()
    report = LoadReport(title=f"加载国家统计局区划代码 / load NBS code file {Path(path).name}")
    rows, report.errors = read_nbs_code_file(path)
    report.rows_in_source = len(rows) + len(report.errors)
    if not rows and not report.errors:
        report.errors.append(RowError(0, "", "文件中没有数据行 / no data rows"))
    try:
        with transaction.atomic():
            load = _NbsLoad(rows, valid_from, report)
            load.check_parents()
            if not report.errors:
                load.run()
            if report.errors:
                raise _Rejected
    except _Rejected:
        pass
    report.seconds = time.perf_counter() - started
    _write(stdout, report.text())
    return report


class _NbsLoad:
    """One load of an NBS file; every step happens inside the caller's transaction."""

    def __init__(self, rows: list[NbsRow], valid_from: date, report: LoadReport):
        self.rows = sorted(rows, key=lambda r: (r.level, r.line))
        self.valid_from = valid_from
        self.report = report
        self.file_codes = {row.code for row in rows}
        self.provinces = {row.code[:2] for row in rows}
        self.regions: dict[int, Region] = {}  # every region seen or created, by id
        self.current: dict[str, Region] = {}  # current regions by code, as the load goes on
        for region in Region.objects.current().filter(_province_filter(self.provinces)):
            self.regions[region.id] = region
            self.current[region.code] = region
        self.original_ids = set(self.regions)
        self.originals = {region.id: _snapshot(region) for region in self.regions.values()}
        self.claimed: set[int] = set()  # existing regions matched to a file row
        self.closed: dict[int, Region] = {}
        self.displaced: dict[int, Region] = {}  # closed to free their code; a name may match
        self.successor: dict[int, Region] = {}  # closed region id -> the row replacing it
        self.predecessors: dict[int, list[int]] = defaultdict(list)
        self.resolved: dict[str, Region] = {}  # file code -> region
        self.sibling_names: dict[str | None, set[str]] = defaultdict(set)
        for row in rows:
            self.sibling_names[row.parent_code].add(sources.comparable_name(row.name))

    def check_parents(self) -> None:
        """A parent code must be in the file or be a current region already (no writes)."""
        for row in self.rows:
            parent = row.parent_code
            if parent and parent not in self.file_codes and parent not in self.current:
                self.report.errors.append(
                    RowError(
                        row.line,
                        row.code,
                        f"上级代码 {parent} 不存在（文件中和已有区划中均未找到）",
                    )
                )
        self.report.errors.sort(key=lambda e: e.row)

    def run(self) -> None:
        for level in range(1, 6):
            level_rows = [row for row in self.rows if row.level == level]
            if level_rows:
                self.load_level(level, level_rows)
        self.close_missing()
        self.report.code_changes = {
            region.code: self.successor[region.id].code
            for region in self.closed.values()
            if region.id in self.successor
        }
        remap_region_codes(self.report.code_changes, self.report)
        _current_counts(self.report, self.provinces)

    # -- bookkeeping --

    def close(self, region: Region, to_close: list[Region]) -> None:
        region.valid_to = self.valid_from
        self.closed[region.id] = region
        if self.current.get(region.code) is region:
            del self.current[region.code]
        to_close.append(region)

    def parent_ids(self, parent: Region | None) -> list[int | None]:
        if parent is None:
            return [None]
        return [parent.id, *self.predecessors.get(parent.id, ())]

    def find_named(self, row: NbsRow, parent: Region | None) -> Region | None:
        """An unclaimed assigned region of the same name under the parent (or its predecessor)."""
        wanted = sources.comparable_name(row.name)
        for parent_id in self.parent_ids(parent):
            for region in self.name_index.get((parent_id, wanted), ()):
                if region.id in self.claimed:
                    continue
                if region.id not in self.closed or region.id in self.displaced:
                    return region
        return None

    # -- file rows, one level at a time --

    def load_level(self, level: int, rows: list[NbsRow]) -> None:
        self.name_index: dict[tuple[int | None, str], list[Region]] = defaultdict(list)
        for region in self.regions.values():
            if region.level == level and region.code_source == CodeSource.ASSIGNED:
                key = (region.parent_id, sources.comparable_name(region.name))
                self.name_index[key].append(region)
        to_close: list[Region] = []
        to_create: list[tuple[Region, Region | None]] = []  # (new row, region it replaces)
        to_update: list[Region] = []
        for row in rows:
            parent = None
            if row.parent_code:
                parent = self.resolved.get(row.parent_code) or self.current[row.parent_code]
            wanted = sources.comparable_name(row.name)
            existing = self.current.get(row.code)
            if existing is not None and existing.id in self.claimed:
                existing = None
            named = None
            if existing is None or sources.comparable_name(existing.name) != wanted:
                named = self.find_named(row, parent)
                if existing is not None and (
                    named is not None
                    or (
                        existing.code_source == CodeSource.ASSIGNED
                        and sources.comparable_name(existing.name)
                        in self.sibling_names[row.parent_code]
                    )
                ):
                    # The code now names another place; the old holder is closed and may
                    # still be matched by name to another row of the file.
                    self.close(existing, to_close)
                    self.displaced[existing.id] = existing
                    existing = None
            if existing is not None:  # same code: update in place (and re-parent)
                full, initials = region_pinyin(row.name)
                existing.name = row.name
                existing.urban_rural_code = row.urban_rural_code
                existing.code_source = CodeSource.NBS
                existing.parent = parent
                existing.pinyin, existing.pinyin_initials = full, initials
                self.claimed.add(existing.id)
                self.resolved[row.code] = existing
                to_update.append(existing)
                continue
            if named is not None:  # the same place under an assigned code: replace it
                self.claimed.add(named.id)
                self.displaced.pop(named.id, None)
                if named.id not in self.closed:
                    self.close(named, to_close)
            region = _new_region(
                row.code,
                row.name,
                level,
                parent,
                CodeSource.NBS,
                self.valid_from,
                row.urban_rural_code,
            )
            to_create.append((region, named))
            self.resolved[row.code] = region
            self.current[row.code] = region
        self.apply(level, to_close, to_create, to_update)

    def apply(self, level, to_close, to_create, to_update) -> None:
        if to_close:  # first, so the codes are free for the new rows
            _close_regions(to_close, self.valid_from)
            for region in to_close:
                self.report.closed[region.level] += 1
        _bulk_create([region for region, _ in to_create])
        for region, replaced in to_create:
            self.regions[region.id] = region
            if replaced is not None:
                self.successor[replaced.id] = region
                self.predecessors[region.id].append(replaced.id)
        if to_create:
            self.report.created[level] += len(to_create)
        changed = [r for r in to_update if self.originals.get(r.id) != _snapshot(r)]
        if changed:
            _update_regions(
                changed,
                ["name", "urban_rural_code", "code_source", "parent", "pinyin", "pinyin_initials"],
            )
            self.report.updated[level] += len(changed)
        self.report.unchanged += len(to_update) - len(changed)

    # -- what the file no longer lists --

    def close_missing(self) -> None:
        """Close what the file no longer lists beneath its roots; move what it does not cover.

        The roots are the file rows whose parent is not in the file. Beneath them, wherever the
        file lists the children of a region, a current child it does not list is closed
        (``valid_to``). Where the file lists no children of a region (say a file that stops at
        townships), the existing children stay; if their parent was replaced under a new code
        they move with it: a new row under the new parent keeps their own digits and code
        source, and the old row is closed and its code remapped. Children of a closed region
        that has no replacement are closed too.
        """
        listed_parents: set[int] = set()
        for row in self.rows:
            if row.parent_code in self.file_codes:
                parent = self.resolved[row.parent_code]
                listed_parents.add(parent.id)
                listed_parents.update(self.predecessors.get(parent.id, ()))
        pending = sorted(
            (
                self.regions[region_id]
                for region_id in self.original_ids
                if region_id not in self.claimed and region_id not in self.closed
            ),
            key=lambda region: (region.level, region.code),
        )
        for level in range(1, 6):
            to_close: list[Region] = []
            to_create: list[tuple[Region, Region | None]] = []
            for region in pending:
                if region.level != level:
                    continue
                if region.parent_id in listed_parents:
                    self.close(region, to_close)  # the file lists its siblings, not it
                    continue
                parent = self.regions.get(region.parent_id)
                if parent is None or parent.id not in self.closed:
                    continue  # outside the file, or its parent is still current
                self.close(region, to_close)
                new_parent = self.successor.get(parent.id)
                if new_parent is None:
                    continue  # its parent disappeared, and so does it
                code = codes.prefix_of(new_parent.code) + region.code[len(parent.prefix) :]
                moved = _new_region(
                    code,
                    region.name,
                    region.level,
                    new_parent,
                    region.code_source,
                    self.valid_from,
                    region.urban_rural_code,
                )
                to_create.append((moved, region))
            clash = [moved.code for moved, _ in to_create if moved.code in self.current]
            if clash:
                self.report.errors.append(
                    RowError(
                        0,
                        clash[0],
                        "下级区划随上级改代码后与现有代码冲突；请在文件中列出这些下级区划",
                    )
                )
                raise _Rejected
            for moved, _ in to_create:
                self.current[moved.code] = moved
            if to_close or to_create:
                self.apply(level, to_close, to_create, [])


def _snapshot(region: Region) -> tuple:
    return (
        region.name,
        region.urban_rural_code,
        region.code_source,
        region.parent_id,
        region.pinyin,
        region.pinyin_initials,
    )


# --- remapping region codes held by other models ---------------------------------------------


def region_code_fields() -> list[tuple[type[models.Model], str]]:
    """Every (model, field name) that stores a region code and should follow code changes."""
    found = []
    extra = {(app, model, name) for app, model, name in EXTRA_REGION_CODE_FIELDS}
    for model in apps.get_models():
        opts = model._meta
        if opts.proxy or not opts.managed:
            continue
        if (opts.app_label, opts.object_name) in FROZEN_REGION_CODE_MODELS:
            continue
        for model_field in opts.concrete_fields:
            if not isinstance(model_field, models.CharField):
                continue
            if model_field.name == "region_code" or (
                (opts.app_label, opts.object_name, model_field.name) in extra
            ):
                found.append((model, model_field.name))
    return found


def _remap_waves(mapping: dict[str, str]) -> list[list[tuple[str, str, bool]]]:
    """The old->new moves as one wave, or two when a new code is also an old code (a chain or
    a swap): first every old code to a unique placeholder, then each placeholder to its new
    code, so no value is moved twice. Items are (from, to, counted in the report)."""
    moves = sorted((old, new) for old, new in mapping.items() if old != new)
    if not {new for _, new in moves} & {old for old, _ in moves}:
        return [[(old, new, True) for old, new in moves]] if moves else []
    placeholders = [f"~{index:011d}" for index in range(len(moves))]  # never a real code
    return [
        [
            (old, placeholder, True)
            for (old, _), placeholder in zip(moves, placeholders, strict=True)
        ],
        [
            (placeholder, new, False)
            for (_, new), placeholder in zip(moves, placeholders, strict=True)
        ],
    ]


def remap_region_codes(mapping: dict[str, str], report: LoadReport | None = None) -> Counter:
    """Rewrite stored region codes old -> new in every region-code field, in bulk.

    The mapping goes into a temporary table and each field is rewritten with one UPDATE per
    wave (one, or two through placeholders; see ``_remap_waves``), so swapped codes never merge.
    """
    counts: Counter = Counter()
    if not mapping:
        return counts
    waves = _remap_waves(mapping)
    targets = region_code_fields()
    qn = connection.ops.quote_name
    tmp = qn("jiuye_tmp_region_code_map")
    with connection.cursor() as cursor:
        for wave in waves:
            cursor.execute(f"DROP TABLE IF EXISTS {tmp}")
            cursor.execute(
                f"CREATE TEMPORARY TABLE {tmp} "
                "(old_code varchar(20) PRIMARY KEY, new_code varchar(20))"
            )
            cursor.executemany(
                f"INSERT INTO {tmp} (old_code, new_code) VALUES (%s, %s)",
                [(old, new) for old, new, _ in wave],
            )
            counted = wave[0][2]
            for model, field_name in targets:
                table = qn(model._meta.db_table)
                column = qn(model._meta.get_field(field_name).column)
                cursor.execute(
                    f"UPDATE {table} SET {column} = "
                    f"(SELECT {tmp}.new_code FROM {tmp} WHERE {tmp}.old_code = {table}.{column}) "
                    f"WHERE {column} IN (SELECT old_code FROM {tmp})"
                )
                if counted and cursor.rowcount > 0:
                    counts[f"{model._meta.label}.{field_name}"] += cursor.rowcount
        cursor.execute(f"DROP TABLE IF EXISTS {tmp}")
    if report is not None:
        report.remapped.update(counts)
    return counts


def _update_regions(regions: list[Region], fields: list[str]) -> None:
    """Write ``fields`` of many regions at once (through a temporary table; ORM ``bulk_update``
    builds a CASE expression per row and field, which is slow for tens of thousands of rows)."""
    if not regions:
        return
    opts = Region._meta
    model_fields = [opts.get_field(name) for name in fields]
    qn = connection.ops.quote_name
    table, pk = qn(opts.db_table), qn(opts.pk.column)
    tmp = qn("jiuye_tmp_region_update")
    definitions = ", ".join(
        f"{qn(f.column)} {'bigint' if f.is_relation else 'varchar(300)'}" for f in model_fields
    )
    assignments = ", ".join(
        f"{qn(f.column)} = (SELECT {tmp}.{qn(f.column)} FROM {tmp} WHERE {tmp}.id = {table}.{pk})"
        for f in model_fields
    )
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    placeholders = ", ".join(["%s"] * (len(model_fields) + 1))
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {tmp}")
        cursor.execute(f"CREATE TEMPORARY TABLE {tmp} (id bigint PRIMARY KEY, {definitions})")
        cursor.executemany(
            f"INSERT INTO {tmp} VALUES ({placeholders})",
            [(r.pk, *(getattr(r, f.attname) for f in model_fields)) for r in regions],
        )
        cursor.execute(
            f"UPDATE {table} SET {assignments}, {qn('updated_at')} = %s "
            f"WHERE {pk} IN (SELECT id FROM {tmp})",
            [now],
        )
        cursor.execute(f"DROP TABLE {tmp}")


def _close_regions(regions: list[Region], day: date) -> None:
    ids = [region.pk for region in regions]
    for start in range(0, len(ids), BATCH_SIZE):
        Region.objects.filter(pk__in=ids[start : start + BATCH_SIZE]).update(
            valid_to=day, updated_at=timezone.now()
        )
