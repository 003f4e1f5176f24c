"""The employer blacklist: 拖欠农民工工资失信联合惩戒对象名单 (人社部令第45号).

An employer on the list is ineligible for every subsidy while listed (``blacklist.
blocks_subsidies``). An entry is dated: listed from ``listed_on``; off the list from
``removed_on`` when the listing authority removed it, otherwise ``blacklist.listing_years``
years after ``listed_on`` (第十一条: three years). The rules read the result as the
``employer.blacklisted`` and ``employer.blacklist_reason`` input columns; the database loader
fills them with ``listed_on`` below.

Staff add, edit and remove entries here and import the list as published (``.xlsx``/``.csv``);
the rights work (劳动保障监察) takes the list over later and writes the same table.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from jiuye.accounts.permissions import Perm
from jiuye.accounts.scoping import get_scoped_or_404, require, scope_for, scoped
from jiuye.core import audit
from jiuye.core.errors import ErrorCode, JiuyeError, PermissionDeniedError
from jiuye.core.tabular import TableError, normalize_header, read_table
from jiuye.core.uscc import InvalidUSCC, validate_uscc
from jiuye.policies.models import BlacklistEntry
from jiuye.policies.parameters import ParameterError, Params
from jiuye.regions.codes import InvalidRegionCode, prefix_of
from jiuye.registry.models import Employer
from jiuye.registry.normalize import CellError, clean_text, parse_date

FIELDS = ["listed_on", "removed_on", "reason", "decision_number", "authority"]
MAX_LENGTHS = {"reason": 500, "decision_number": 100, "authority": 100}


# ---- when is an employer listed -------------------------------------------------------------


def listing_years(as_of: dt.date) -> int | None:
    """How many years a listing lasts when no removal date is recorded (the parameter in force
    on ``as_of``); None where no value is in force (then a listing lasts until removed)."""
    try:
        return int(Params(as_of)("blacklist.listing_years"))
    except ParameterError:
        return None


def _years_before(day: dt.date, years: int) -> dt.date:
    """The latest listing date whose period of ``years`` has ended by ``day``: the inverse of
    ``_years_after`` (a listing of 29 February ends on 28 February)."""
    year = day.year - years
    if (day.month, day.day) == (2, 28) and calendar.isleap(year):
        return dt.date(year, 2, 29)
    try:
        return day.replace(year=year)
    except ValueError:  # 29 February
        return day.replace(year=year, day=28)


def _years_after(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def listed_q(as_of: dt.date) -> Q:
    """Entries in force on ``as_of``: listed on or before it, and neither removed by then nor
    older than the listing period."""
    years = listing_years(as_of)
    open_ended = Q(removed_on__isnull=True)
    if years is not None:
        open_ended &= Q(listed_on__gt=_years_before(as_of, years))
    return Q(listed_on__lte=as_of) & (Q(removed_on__gt=as_of) | open_ended)


def listed_on(employer_ids: Iterable[int] | None, as_of: dt.date) -> dict[int, BlacklistEntry]:
    """{employer id: the entry in force on ``as_of``} for the employers listed that day (the
    latest listing where several overlap). ``employer_ids=None`` means every employer.

    Not scoped: the rules need the fact whoever runs them; callers show it only for employers
    they may see."""
    qs = BlacklistEntry.objects.filter(listed_q(as_of))
    out: dict[int, BlacklistEntry] = {}
    if employer_ids is not None:
        ids = list({int(i) for i in employer_ids})
        entries = []
        for start in range(0, len(ids), 5000):  # stay below SQLite's parameter limit
            entries.extend(qs.filter(employer_id__in=ids[start : start + 5000]))
    else:
        entries = list(qs)
    for entry in sorted(entries, key=lambda e: (e.listed_on, e.pk)):
        out[entry.employer_id] = entry
    return out


def ends_on(entry: BlacklistEntry, today: dt.date | None = None) -> dt.date | None:
    """The first day the employer is off the list (removal, or end of the listing period)."""
    if entry.removed_on:
        return entry.removed_on
    years = listing_years(today or timezone.localdate())
    return _years_after(entry.listed_on, years) if years is not None else None


def is_listed(entry: BlacklistEntry, on: dt.date | None = None) -> bool:
    on = on or timezone.localdate()
    end = ends_on(entry, on)
    return entry.listed_on <= on and (end is None or on < end)


# ---- reads ----------------------------------------------------------------------------------


LISTED = "listed"
ENDED = "ended"


def entry_list(
    user,
    *,
    q: str = "",
    state: str = "",
    region_code: str = "",
    employer_id: int | None = None,
    permission: str = Perm.VIEW,
) -> QuerySet[BlacklistEntry]:
    """Entries in the user's scope; ``q`` matches the employer's name or credit code; ``state``
    is ``listed`` (in force today) or ``ended``."""
    qs = scoped(BlacklistEntry.objects.select_related("employer"), user, permission)
    if region_code:
        try:
            qs = qs.filter(region_code__startswith=prefix_of(region_code))
        except InvalidRegionCode:
            return qs.none()
    if employer_id is not None:
        qs = qs.filter(employer_id=employer_id)
    q = clean_text(q)
    if q:
        qs = qs.filter(Q(employer__name__contains=q) | Q(employer__uscc=q.upper()))
    today = timezone.localdate()
    if state == LISTED:
        qs = qs.filter(listed_q(today))
    elif state == ENDED:
        qs = qs.exclude(listed_q(today)).filter(listed_on__lte=today)
    return qs.order_by("-listed_on", "-id")


def get_entry_for(user, pk, permission: str = Perm.VIEW) -> BlacklistEntry:
    return get_scoped_or_404(
        BlacklistEntry.objects.select_related("employer"), user, permission, pk=pk
    )


# ---- writes ---------------------------------------------------------------------------------


def _clean(values: dict) -> dict:
    out = dict(values)
    for name, limit in MAX_LENGTHS.items():
        if name in out:
            out[name] = clean_text(out[name] or "")
            if len(out[name]) > limit:
                raise JiuyeError(
                    ErrorCode.INVALID,
                    _("%(field)s is longer than %(n)s characters.")
                    % {"field": BlacklistEntry._meta.get_field(name).verbose_name, "n": limit},
                )
    return out


def _check_dates(listed: dt.date | None, removed: dt.date | None) -> None:
    if listed is None:
        raise JiuyeError(ErrorCode.INVALID, _("Give the date of listing."))
    if listed > timezone.localdate():
        raise JiuyeError(ErrorCode.INVALID, _("The date of listing lies in the future."))
    if removed is not None and removed < listed:
        raise JiuyeError(ErrorCode.INVALID, _("The removal date is before the date of listing."))


@transaction.atomic
def add_entry(
    *,
    actor,
    employer: Employer,
    listed_on: dt.date,
    reason: str,
    removed_on: dt.date | None = None,
    decision_number: str = "",
    authority: str = "",
) -> BlacklistEntry:
    require(actor, Perm.EDIT, employer.region_code)
    values = _clean({"reason": reason, "decision_number": decision_number, "authority": authority})
    if not values["reason"]:
        raise JiuyeError(ErrorCode.INVALID, _("Give the reason for the listing."))
    _check_dates(listed_on, removed_on)
    if BlacklistEntry.objects.filter(employer=employer, listed_on=listed_on).exists():
        raise JiuyeError(
            ErrorCode.CONFLICT,
            _("%(employer)s is already listed on %(date)s.")
            % {"employer": employer.name, "date": listed_on.isoformat()},
        )
    entry = BlacklistEntry.objects.create(
        employer=employer,
        region_code=employer.region_code,
        listed_on=listed_on,
        removed_on=removed_on,
        **values,
    )
    audit.record(
        actor=actor,
        action="policies.blacklist.add",
        obj=entry,
        object_repr=f"{employer.name} {listed_on.isoformat()}",
        after=audit.snapshot(entry, ["employer_id", *FIELDS]),
    )
    return entry


@transaction.atomic
def update_entry(*, actor, entry: BlacklistEntry, **changes) -> BlacklistEntry:
    require(actor, Perm.EDIT, entry.region_code)
    unknown = sorted(set(changes) - set(FIELDS))
    if unknown:
        raise JiuyeError(ErrorCode.INVALID, f"unknown field(s): {', '.join(unknown)}")
    changes = _clean(changes)
    if "reason" in changes and not changes["reason"]:
        raise JiuyeError(ErrorCode.INVALID, _("Give the reason for the listing."))
    listed = changes.get("listed_on", entry.listed_on)
    removed = changes.get("removed_on", entry.removed_on)
    _check_dates(listed, removed)
    if (
        listed != entry.listed_on
        and BlacklistEntry.objects.filter(employer_id=entry.employer_id, listed_on=listed)
        .exclude(pk=entry.pk)
        .exists()
    ):
        raise JiuyeError(ErrorCode.CONFLICT, _("Another entry has that date of listing."))
    before = audit.snapshot(entry, FIELDS)
    for name, value in changes.items():
        setattr(entry, name, value)
    entry.save()
    b, a = audit.changed(before, audit.snapshot(entry, FIELDS))
    if a:
        audit.record(
            actor=actor,
            action="policies.blacklist.update",
            obj=entry,
            object_repr=f"{entry.employer.name} {entry.listed_on.isoformat()}",
            before=b,
            after=a,
        )
    return entry


@transaction.atomic
def remove_entry(*, actor, entry: BlacklistEntry, removed_on: dt.date | None = None):
    """Take the employer off the list from ``removed_on`` (today by default)."""
    require(actor, Perm.EDIT, entry.region_code)
    removed_on = removed_on or timezone.localdate()
    _check_dates(entry.listed_on, removed_on)
    before = {"removed_on": entry.removed_on}
    entry.removed_on = removed_on
    entry.save(update_fields=["removed_on", "updated_at"])
    audit.record(
        actor=actor,
        action="policies.blacklist.remove",
        obj=entry,
        object_repr=f"{entry.employer.name} {entry.listed_on.isoformat()}",
        before=before,
        after={"removed_on": removed_on},
    )
    return entry


# ---- import ---------------------------------------------------------------------------------

IMPORT_COLUMNS = {
    # key: the names the published lists use for the column (compared after normalize_header).
    "uscc": ["统一社会信用代码", "社会信用代码", "信用代码", "统一代码", "uscc"],
    "listed_on": ["列入日期", "列入时间", "认定日期", "列入名单日期", "listed on"],
    "removed_on": ["移出日期", "移出时间", "移出名单日期", "removed on"],
    "reason": ["列入事由", "事由", "失信事由", "列入原因", "主要失信事实", "reason"],
    "decision_number": ["决定书文号", "列入决定书文号", "文号", "决定文号", "decision number"],
    "authority": ["列入机关", "作出决定机关", "决定机关", "列入部门", "认定部门", "authority"],
}
REQUIRED = {"uscc": "统一社会信用代码", "listed_on": "列入日期", "reason": "列入事由"}
COLUMN_NAMES = {key: names[0] for key, names in IMPORT_COLUMNS.items()}


@dataclass
class RowError:
    row: int
    column: str
    reason: str


@dataclass
class ImportReport:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)


def _columns(header: list[str]) -> dict[str, int]:
    normalized = [normalize_header(h) for h in header]
    index = {}
    for key, names in IMPORT_COLUMNS.items():
        for name in names:
            if normalize_header(name) in normalized:
                index[key] = normalized.index(normalize_header(name))
                break
    return index


def _cell(cells: list, i: int | None):
    if i is None or i >= len(cells):
        return None
    return cells[i]


@transaction.atomic
def import_entries(*, actor, file, filename: str | None = None) -> ImportReport:
    """Read a published list (``.xlsx``, ``.xls``, ``.ods``, ``.csv``) and add or update the
    entries of employers in the actor's EDIT scope.

    A row is matched to an entry by (employer, date of listing): a new one is added; an existing
    one takes the row's non-blank values (a blank cell never clears what is recorded), so the
    same file imported twice changes nothing. Bad rows — a credit code that fails its check,
    an employer not registered in the actor's region, a date that cannot be read or dates out
    of order, a missing reason — are reported with row, column and reason; the others are
    kept."""
    if scope_for(actor, Perm.EDIT).is_empty:
        raise PermissionDeniedError()
    known = [n for names in IMPORT_COLUMNS.values() for n in names]
    try:
        table = read_table(file, filename, known_headers=known)
    except TableError as exc:
        raise JiuyeError(ErrorCode.INVALID_FILE, str(exc)) from exc
    columns = _columns(table.header)
    missing = [name for key, name in REQUIRED.items() if key not in columns]
    if missing:
        raise JiuyeError(
            ErrorCode.INVALID_FILE,
            _("The file has no column %(columns)s (the header is in row %(row)s).")
            % {"columns": "、".join(missing), "row": table.header_row},
        )

    report = ImportReport()
    parsed: list[tuple[int, dict]] = []
    for row_number, cells in table.rows:
        report.rows += 1
        values, error = _parse_row(cells, columns)
        if error:
            report.errors.append(RowError(row_number, *error))
        else:
            parsed.append((row_number, values))

    codes = {v["uscc"] for _r, v in parsed}
    employers = {
        e.uscc: e
        for e in scoped(Employer.objects.all(), actor, Perm.EDIT).filter(uscc__in=list(codes))
    }
    existing = {
        (e.employer_id, e.listed_on): e
        for e in BlacklistEntry.objects.select_related("employer").filter(
            employer__in=list(employers.values())
        )
    }
    seen: dict[tuple[str, dt.date], int] = {}
    for row_number, values in parsed:
        employer = employers.get(values["uscc"])
        if employer is None:
            report.errors.append(
                RowError(
                    row_number,
                    COLUMN_NAMES["uscc"],
                    _("No employer with the credit code %(code)s is registered in your region.")
                    % {"code": values["uscc"]},
                )
            )
            continue
        key = (values["uscc"], values["listed_on"])
        if key in seen:
            report.errors.append(
                RowError(
                    row_number,
                    COLUMN_NAMES["listed_on"],
                    _("The same employer and date of listing are in row %(row)s already.")
                    % {"row": seen[key]},
                )
            )
            continue
        seen[key] = row_number
        entry = existing.get((employer.pk, values["listed_on"]))
        try:
            with transaction.atomic():
                if entry is None:
                    existing[(employer.pk, values["listed_on"])] = add_entry(
                        actor=actor,
                        employer=employer,
                        listed_on=values["listed_on"],
                        removed_on=values.get("removed_on"),
                        reason=values["reason"],
                        decision_number=values.get("decision_number", ""),
                        authority=values.get("authority", ""),
                    )
                    report.created += 1
                    continue
                changes = {
                    name: values[name]
                    for name in ("removed_on", "reason", "decision_number", "authority")
                    if values.get(name) not in (None, "") and getattr(entry, name) != values[name]
                }
                if not changes:
                    report.unchanged += 1
                    continue
                update_entry(actor=actor, entry=entry, **changes)
                report.updated += 1
        except JiuyeError as exc:
            report.errors.append(RowError(row_number, "", str(exc.message)))
    audit.record(
        actor=actor,
        action="policies.blacklist.import",
        object_type="policies.blacklistentry",
        object_repr=str(filename or getattr(file, "name", "") or ""),
        region_code=getattr(actor, "home_region_code", "") or "",
        after={
            "rows": report.rows,
            "created": report.created,
            "updated": report.updated,
            "unchanged": report.unchanged,
            "errors": len(report.errors),
        },
    )
    return report


def _parse_row(cells: list, columns: dict[str, int]) -> tuple[dict, tuple[str, str] | None]:
    values: dict = {}
    raw = clean_text(_cell(cells, columns["uscc"]))
    if not raw:
        return values, (COLUMN_NAMES["uscc"], _("The credit code is missing."))
    try:
        values["uscc"] = validate_uscc(raw)
    except InvalidUSCC as exc:
        return values, (COLUMN_NAMES["uscc"], f"{raw}: {exc.message}")
    for key in ("listed_on", "removed_on"):
        try:
            values[key] = parse_date(_cell(cells, columns.get(key)))
        except CellError as exc:
            return values, (COLUMN_NAMES[key], str(exc))
    if values["listed_on"] is None:
        return values, (COLUMN_NAMES["listed_on"], _("The date of listing is missing."))
    if values["listed_on"] > timezone.localdate():
        return values, (COLUMN_NAMES["listed_on"], _("The date of listing lies in the future."))
    if values["removed_on"] is not None and values["removed_on"] < values["listed_on"]:
        return values, (
            COLUMN_NAMES["removed_on"],
            _("The removal date is before the date of listing."),
        )
    for key in ("reason", "decision_number", "authority"):
        text = clean_text(_cell(cells, columns.get(key)))
        if len(text) > MAX_LENGTHS[key]:
            return values, (
                COLUMN_NAMES[key],
                _("Longer than %(n)s characters.") % {"n": MAX_LENGTHS[key]},
            )
        values[key] = text
    if not values["reason"]:
        return values, (COLUMN_NAMES["reason"], _("The reason for the listing is missing."))
    return values, None
