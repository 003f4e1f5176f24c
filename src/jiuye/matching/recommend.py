"""Recommendations both ways — jobs for a person, people for a posting — and the bulk export.

The engine (``jiuye.matching.recommend_index``) works on plain records; this module builds them
from the database, keeps one posting index and one seeker index per process, and applies the
rules that involve users.

**Who is a job seeker.** A person is *available* when the record is live (not merged into
another) and has at least one active job intention (``active`` and no ``ended_on`` in the
past). The employment status is not consulted: an employed person with an active intention
wants to change jobs, and an intention is ended when its holder is hired through the platform,
so the intention is the single source of "looking for work". Several active intentions are
merged: every title and code counts, the lowest expected wage, the first desired region.

**Hard constraints, never broken.** The posting is open on the day (published and
``valid_from ≤ today ≤ valid_to``); the person's age lies within ``[age_min, age_max]``; the
person's education is at least the posting's minimum where one is set (an unknown education
never meets a minimum); the person is available. The engine filters on them, and the final
top k is checked again against rows read from the database just now
(:func:`~jiuye.matching.recommend_index.pair_violations`), so an index that is a minute old
can miss a new posting but never show a closed one or a merged person.

**Scoping.** Published, open postings are public job advertisements: jobs for a person may
include postings outside the user's region (a job in 侯马 ten kilometres from a 曲沃 seeker is
a good recommendation). The person must be in the user's VIEW scope (else 404), and a
recommended posting outside that scope is listed without a link to its page, which stays
scoped. People for a posting never include anyone outside the user's VIEW scope: the seeker
index is cut to the scope's region ranges, and the chosen people are read back through
``scoped()``; the posting itself must be in scope (else 404). The bulk export with ``--user``
covers the seekers in that user's EXPORT scope; without a user (a system run) everyone,
optionally limited with ``--region``; every run writes an audit row.

**Freshness of the indexes.** Built on first use (postings: published with ``valid_to`` not
past; seekers: all available people). At most every ``JIUYE_RECOMMEND_REFRESH_SECONDS``
(default 60; seekers ``JIUYE_RECOMMEND_SEEKER_REFRESH_SECONDS``, default 300) a request checks
``max(updated_at)`` of the source tables; rows changed since the last check are appended to the
index as a small tail (milliseconds), and the index is rebuilt when the tail passes 10% of it or
when the count of open postings disagrees with the index (deletions). The day changing needs no
rebuild: validity, ages and freshness are computed against the query day.
"""

from __future__ import annotations

import datetime
import json
import multiprocessing
import os
import pickle
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import groupby
from pathlib import Path

import numpy as np
from django.conf import settings
from django.db.models import Exists, Max, OuterRef, Q, QuerySet
from django.utils import timezone, translation

from jiuye.accounts.permissions import Perm
from jiuye.accounts.scoping import scope_for, scoped
from jiuye.core import audit
from jiuye.core.errors import ErrorCode, JiuyeError
from jiuye.jobs.models import Posting, PostingStatus
from jiuye.matching.recommend_index import (
    Engine,
    PostingIndex,
    PostingRecord,
    Recommendation,
    SeekerIndex,
    SeekerRecord,
    pair_violations,
    posting_candidates,
    rank_seekers,
    repair_coverage,
)
from jiuye.regions.codes import InvalidRegionCode, prefix_of
from jiuye.registry.models import Certificate, JobIntention, Person

# Extra rows asked of the engine, so that rows dropped by the final database check do not
# leave the list short.
SLACK = 5
TAIL_REBUILD_SHARE = 0.10
# Rows changed this long before the last check are read again (a transaction that committed
# late may carry an older updated_at).
OVERLAP = datetime.timedelta(minutes=2)
# An occupation coder's guess for an uncoded wanted-job title is used from this score on.
CODER_MIN_SCORE = 0.5
# Below this many seekers a bulk export runs in one process (forking costs more than it saves).
MIN_SEEKERS_FOR_WORKERS = 2000


def _refresh_seconds() -> float:
    return float(getattr(settings, "JIUYE_RECOMMEND_REFRESH_SECONDS", 60))


def _seeker_refresh_seconds() -> float:
    return float(getattr(settings, "JIUYE_RECOMMEND_SEEKER_REFRESH_SECONDS", 300))


# --- records from the database ----------------------------------------------------------------


@lru_cache(maxsize=8192)
def _county_point(county6: str) -> tuple[float, float] | None:
    from jiuye.regions.geo import coordinates_of

    return coordinates_of(county6.ljust(12, "0")) if county6 else None


def _point(region_code: str) -> tuple[float | None, float | None]:
    got = _county_point((region_code or "")[:6])
    return (got[0], got[1]) if got else (None, None)


_POSTING_FIELDS = (
    "id", "title", "occupation_code", "description", "wage_min", "wage_max", "education",
    "age_min", "age_max", "region_code", "longitude", "latitude", "published_at", "valid_from",
    "valid_to", "headcount", "external_id", "status", "updated_at",
)  # fmt: skip


def _posting_record(row: tuple, tz) -> PostingRecord:
    (pk, title, occ, desc, wmin, wmax, edu, amin, amax, region, lon, lat, published,
     vfrom, vto, headcount, ext, status) = row[:18]  # fmt: skip
    if lon is None or lat is None:
        lon, lat = _point(region)
    return PostingRecord(
        id=pk,
        title=title,
        occupation_code=occ,
        description=desc,
        wage_min=wmin,
        wage_max=wmax,
        education=edu,
        age_min=amin,
        age_max=amax,
        region_code=region,
        longitude=None if lon is None else float(lon),
        latitude=None if lat is None else float(lat),
        published_on=published.astimezone(tz).date() if published else None,
        valid_from=vfrom,
        valid_to=vto,
        headcount=headcount,
        external_id=ext,
        is_published=status == PostingStatus.PUBLISHED,
    )


def _posting_rows(qs: QuerySet) -> Iterator[tuple[PostingRecord, datetime.datetime]]:
    tz = timezone.get_current_timezone()
    for row in qs.values_list(*_POSTING_FIELDS).iterator(chunk_size=5000):
        yield _posting_record(row, tz), row[-1]


def posting_records(qs: QuerySet) -> list[PostingRecord]:
    return [rec for rec, _updated in _posting_rows(qs)]


def posting_record(posting: Posting) -> PostingRecord:
    """A posting instance as a record (no query)."""
    row = tuple(getattr(posting, name) for name in _POSTING_FIELDS)
    return _posting_record(row, timezone.get_current_timezone())


def indexable_postings(today: datetime.date) -> QuerySet:
    """What the posting index holds: published and not yet expired (maybe not yet valid)."""
    return Posting.objects.filter(status=PostingStatus.PUBLISHED, valid_to__gte=today)


def active_intentions(today: datetime.date) -> QuerySet:
    return JobIntention.objects.filter(active=True).filter(
        Q(ended_on__isnull=True) | Q(ended_on__gte=today)
    )


def available_people(qs: QuerySet, today: datetime.date) -> QuerySet:
    """Live people with an active intention (see the module docstring)."""
    return qs.filter(merged_into__isnull=True).filter(
        Exists(active_intentions(today).filter(person=OuterRef("pk")))
    )


def _grouped(rows: Iterable[tuple]) -> Iterator[tuple[int, list[tuple]]]:
    for key, group in groupby(rows, key=lambda r: r[0]):
        yield key, list(group)


def seeker_records(
    persons: QuerySet, today: datetime.date, *, use_coder: bool = True
) -> list[SeekerRecord]:
    """Available people of ``persons`` as records (one merge join over three sorted streams)."""
    people = available_people(persons, today)
    ids = people.values("pk")
    person_rows = people.order_by("id").values_list(
        "id", "birth_date", "education", "region_code", "external_id"
    )
    intention_rows = (
        active_intentions(today)
        .filter(person__in=ids)
        .order_by("person_id", "id")
        .values_list("person_id", "title", "occupation_code", "region_code", "expected_wage")
    )
    certificate_rows = (
        Certificate.objects.filter(person__in=ids)
        .order_by("person_id", "id")
        .values_list("person_id", "name", "occupation_code")
    )
    intentions = _grouped(intention_rows.iterator(chunk_size=10000))
    certificates = _grouped(certificate_rows.iterator(chunk_size=10000))
    next_int = next(intentions, None)
    next_cert = next(certificates, None)
    out: list[SeekerRecord] = []
    for pk, birth, education, region, ext in person_rows.iterator(chunk_size=10000):
        while next_int is not None and next_int[0] < pk:
            next_int = next(intentions, None)
        while next_cert is not None and next_cert[0] < pk:
            next_cert = next(certificates, None)
        mine = next_int[1] if next_int is not None and next_int[0] == pk else []
        certs = next_cert[1] if next_cert is not None and next_cert[0] == pk else []
        if mine:  # else the intention ended between the two reads
            out.append(_seeker((pk, birth, education, region, ext), mine, certs))
    if use_coder:
        _code_uncoded(out)
    return out


def _seeker(person: tuple, intentions: list[tuple], certificates: list[tuple]) -> SeekerRecord:
    pk, birth, education, region, ext = person
    lon, lat = _point(region)
    desired = next((r[3] for r in intentions if r[3]), "")
    dlon, dlat = _point(desired) if desired else (None, None)
    wages = [r[4] for r in intentions if r[4]]
    return SeekerRecord(
        id=pk,
        birth_date=birth,
        education=education,
        region_code=region,
        longitude=lon,
        latitude=lat,
        titles=tuple(dict.fromkeys(r[1] for r in intentions if r[1])),
        occupation_codes=tuple(dict.fromkeys(r[2] for r in intentions if r[2])),
        certificate_names=tuple(c[1] for c in certificates if c[1]),
        certificate_codes=tuple(dict.fromkeys(c[2] for c in certificates if c[2])),
        expected_wage=min(wages) if wages else None,
        desired_region_code=desired,
        desired_longitude=dlon,
        desired_latitude=dlat,
        external_id=ext,
    )


def _code_uncoded(records: list[SeekerRecord]) -> None:
    """Codes for wanted-job titles without one, from the registry's occupation coder when it
    is installed (the engine falls back on its own inference otherwise)."""
    todo = [r for r in records if not r.occupation_codes and r.titles]
    if not todo:
        return
    try:
        from jiuye.registry.occupation_coder import code_titles
    except ImportError:
        return
    try:
        coded = code_titles([r.titles[0] for r in todo], k=1)
    except Exception:  # a coder failure must not stop recommendations
        return
    for rec, matches in zip(todo, coded, strict=True):
        if matches and matches[0].score >= CODER_MIN_SCORE:
            rec.inferred_codes = (matches[0].code,)


def records_for_people(people: Iterable[Person], today: datetime.date) -> dict[int, SeekerRecord]:
    """Person instances as seeker records, by id; people who are not available are left out.
    Two queries, whatever the number of people (for a request's handful)."""
    people = [p for p in people if p.merged_into_id is None]
    ids = [p.pk for p in people]
    intentions: dict[int, list[tuple]] = {}
    for row in (
        active_intentions(today)
        .filter(person_id__in=ids)
        .order_by("person_id", "id")
        .values_list("person_id", "title", "occupation_code", "region_code", "expected_wage")
    ):
        intentions.setdefault(row[0], []).append(row)
    certificates: dict[int, list[tuple]] = {}
    for row in (
        Certificate.objects.filter(person_id__in=[i for i in ids if i in intentions])
        .order_by("person_id", "id")
        .values_list("person_id", "name", "occupation_code")
    ):
        certificates.setdefault(row[0], []).append(row)
    out = {}
    for p in people:
        if p.pk in intentions:
            out[p.pk] = _seeker(
                (p.pk, p.birth_date, p.education, p.region_code, p.external_id),
                intentions[p.pk],
                certificates.get(p.pk, []),
            )
    _code_uncoded(list(out.values()))
    return out


def seeker_record(person: Person, today: datetime.date) -> SeekerRecord | None:
    """The person as a seeker, or None when they are not available."""
    return records_for_people([person], today).get(person.pk)


# --- the per-process indexes ------------------------------------------------------------------


@dataclass
class _Cached:
    index: object | None = None
    checked: float = 0.0  # time.monotonic() of the last version check
    synced_to: datetime.datetime | None = None  # max(updated_at) applied
    seen: dict[int, datetime.datetime] = field(default_factory=dict)  # rows read in the overlap


_postings = _Cached()
_seekers = _Cached()
_lock = threading.RLock()


def reset_indexes() -> None:
    """Forget the cached indexes (tests; after a bulk load)."""
    global _postings, _seekers
    with _lock:
        _postings = _Cached()
        _seekers = _Cached()


def _max_updated(*models) -> datetime.datetime | None:
    values = [m.objects.aggregate(m=Max("updated_at"))["m"] for m in models]
    values = [v for v in values if v is not None]
    return max(values) if values else None


def _posting_count_matches(index: PostingIndex, today: datetime.date) -> bool:
    t = today.toordinal()
    mine = int(np.count_nonzero(index.alive & index.is_published & (index.valid_to >= t)))
    return mine == indexable_postings(today).count()


def build_posting_index(today: datetime.date) -> PostingIndex:
    return PostingIndex(posting_records(indexable_postings(today)))


def posting_index(today: datetime.date | None = None) -> PostingIndex:
    """The process's posting index, refreshed if the postings changed (see the docstring)."""
    today = today or timezone.localdate()
    with _lock:
        c = _postings
        now = time.monotonic()
        if c.index is not None and now - c.checked < _refresh_seconds():
            return c.index
        latest = _max_updated(Posting)
        if c.index is not None and (c.synced_to is None or latest is None or latest > c.synced_to):
            since = (c.synced_to - OVERLAP) if c.synced_to else None
            qs = (
                Posting.objects.all()
                if since is None
                else Posting.objects.filter(updated_at__gte=since)
            )
            changed, removed, seen = [], [], {}
            for rec, updated in _posting_rows(qs):
                seen[rec.id] = updated
                if c.seen.get(rec.id) == updated:
                    continue
                if rec.is_published and rec.valid_to is not None and rec.valid_to >= today:
                    changed.append(rec)
                else:
                    removed.append(rec.id)
            if changed or removed:
                c.index = c.index.updated(changed, removed)
            c.seen, c.synced_to = seen, latest
        if (
            c.index is None
            or c.index.tail_size > TAIL_REBUILD_SHARE * max(c.index.n_main, 1000)
            or not _posting_count_matches(c.index, today)
        ):
            c.index = build_posting_index(today)
            c.synced_to, c.seen = latest, {}
        c.checked = now
        return c.index


def seeker_index(today: datetime.date | None = None) -> SeekerIndex:
    """The process's index of every available seeker (scopes are applied per query)."""
    today = today or timezone.localdate()
    with _lock:
        c = _seekers
        now = time.monotonic()
        if c.index is not None and now - c.checked < _seeker_refresh_seconds():
            return c.index
        latest = _max_updated(Person, JobIntention, Certificate)
        if c.index is not None and c.synced_to is None and latest is not None:
            c.index = None  # built on empty tables: everything is new, build it whole
        if c.index is not None and latest is not None and latest > c.synced_to:
            since = c.synced_to - OVERLAP
            ids = set(Person.objects.filter(updated_at__gte=since).values_list("pk", flat=True))
            ids |= set(
                JobIntention.objects.filter(updated_at__gte=since).values_list(
                    "person_id", flat=True
                )
            )
            ids |= set(
                Certificate.objects.filter(updated_at__gte=since).values_list(
                    "person_id", flat=True
                )
            )
            if ids:
                fresh = seeker_records(Person.objects.filter(pk__in=ids), today)
                gone = ids - {r.id for r in fresh}
                c.index = c.index.updated(fresh, gone)
            c.synced_to = latest
        if c.index is None or c.index.tail_size > TAIL_REBUILD_SHARE * max(c.index.n_main, 1000):
            c.index = SeekerIndex(seeker_records(Person.objects.all(), today), posting_index(today))
            c.synced_to = latest
        c.checked = now
        return c.index


# --- jobs for a person --------------------------------------------------------------------


@dataclass
class JobItem:
    rec: Recommendation
    posting: Posting
    linked: bool  # inside the user's VIEW scope: the page may link to the posting


@dataclass
class JobsForPerson:
    available: bool
    items: list[JobItem]


def jobs_for_person(
    user, person: Person, *, k: int = 20, today: datetime.date | None = None
) -> JobsForPerson:
    """Top-k open postings for a person the caller has already read through their scope."""
    today = today or timezone.localdate()
    rec = seeker_record(person, today)
    if rec is None:
        return JobsForPerson(available=False, items=[])
    index = posting_index(today)
    engine = Engine(index)
    recs = engine.jobs_for(index.seeker_query(rec, today), today, k=k + SLACK)
    postings = Posting.objects.select_related("employer").in_bulk([r.id for r in recs])
    scope = scope_for(user, Perm.VIEW)
    items = []
    for r in recs:
        posting = postings.get(r.id)
        if posting is None or pair_violations(posting_record(posting), rec, today):
            continue
        items.append(JobItem(rec=r, posting=posting, linked=scope.contains(posting.region_code)))
    return JobsForPerson(available=True, items=items[:k])


# --- people for a posting -------------------------------------------------------------------


@dataclass
class PersonItem:
    rec: Recommendation
    person: Person


@dataclass
class PeopleForPosting:
    is_open: bool
    items: list[PersonItem]


def people_for_posting(
    user, posting: Posting, *, k: int = 20, today: datetime.date | None = None
) -> PeopleForPosting:
    """Top-k available people inside the caller's VIEW scope for a posting in scope."""
    today = today or timezone.localdate()
    prec = posting_record(posting)
    engine = Engine(None)
    if not engine.posting_is_open(prec, today):
        return PeopleForPosting(is_open=False, items=[])
    scope = scope_for(user, Perm.VIEW)
    if scope.is_empty:
        return PeopleForPosting(is_open=True, items=[])
    index = seeker_index(today)
    engine = Engine(None, index)
    rows = None if scope.everything else index.scope_rows(scope.prefixes)
    recs = engine.people_for(engine.posting_query(prec), today, k=k + SLACK, scope=rows)
    ids = [r.id for r in recs]
    people = scoped(Person.objects.filter(pk__in=ids), user, Perm.VIEW).in_bulk()
    fresh = records_for_people(people.values(), today)
    items = []
    for r in recs:
        person, srec = people.get(r.id), fresh.get(r.id)
        if person is None or srec is None or pair_violations(prec, srec, today):
            continue
        items.append(PersonItem(rec=r, person=person))
    return PeopleForPosting(is_open=True, items=items[:k])


# --- the bulk export ----------------------------------------------------------------------


@dataclass
class ExportReport:
    seekers: int = 0
    postings: int = 0  # open on the day
    lines: int = 0
    recommendations: int = 0
    coverage_ranked: float = 0.0  # after the exposure-aware ranking
    coverage: float = 0.0  # after the coverage repair: the share of open postings shown
    repaired: int = 0
    workers: int = 1
    seconds_indexing: float = 0.0
    seconds_ranking: float = 0.0
    seconds_repair: float = 0.0
    seconds_writing: float = 0.0
    seconds: float = 0.0

    def text(self) -> str:
        busy = self.seconds_ranking + self.seconds_repair + self.seconds_writing
        rate = self.lines / busy if busy else 0
        return (
            f"{self.lines} lines, {self.recommendations} recommendations for {self.seekers} "
            f"seekers over {self.postings} open postings; vacancy coverage "
            f"{self.coverage_ranked:.3f} after ranking, {self.coverage:.3f} after placing "
            f"{self.repaired} uncovered postings; indexes {self.seconds_indexing:.1f} s, ranking "
            f"{self.seconds_ranking:.1f} s, repair {self.seconds_repair:.1f} s, writing "
            f"{self.seconds_writing:.1f} s ({rate:,.0f} people/s, {self.workers} worker(s)), "
            f"total {self.seconds:.1f} s"
        )


def _region_bounds(region: str) -> tuple[str, str]:
    try:
        prefix = prefix_of(region)
    except (InvalidRegionCode, ValueError, TypeError) as exc:
        raise JiuyeError(ErrorCode.INVALID_REGION) from exc
    pad = 12 - len(prefix)
    return prefix + "0" * pad, prefix + "9" * pad


def export_people(user, region: str) -> QuerySet:
    """The people a bulk export covers: the user's EXPORT scope (everyone for a system run),
    cut to ``region`` when given."""
    qs = Person.objects.all()
    if user is not None:
        scope = scope_for(user, Perm.EXPORT)
        if scope.is_empty:
            raise JiuyeError(ErrorCode.PERMISSION_DENIED)
        qs = scope.filter(qs)
    if region:
        qs = qs.filter(region_code__range=_region_bounds(region))
    return qs


def _line(seeker_id: int, seeker_ext: str, recs: list[Recommendation], components: bool) -> str:
    items = []
    for rank, r in enumerate(recs, 1):
        item = {
            "rank": rank,
            "posting": r.external_id or str(r.id),
            "posting_id": r.id,
            "score": round(r.score, 4),
            "reasons": r.reasons,
        }
        if components:
            item["components"] = {n: round(c.score, 4) for n, c in r.components.items()}
        items.append(item)
    return json.dumps(
        {"person": seeker_ext or str(seeker_id), "person_id": seeker_id, "recommendations": items},
        ensure_ascii=False,
    )


def _write_lines(engine: Engine, rows, lists, today, components: bool, path: str) -> int:
    """Explain each seeker's final list and write it as JSON lines; returns the count."""
    S = engine.seekers
    written = 0
    with open(path, "w", encoding="utf-8") as out:
        for row, chosen in zip(rows.tolist(), lists, strict=True):
            chosen = chosen[chosen >= 0]
            recs = (
                engine.explain_jobs(S.row_query(row, today), chosen, today) if len(chosen) else []
            )
            out.write(_line(int(S.ids[row]), S.external_ids[row], recs, components) + "\n")
            written += len(recs)
    return written


def _in_processes(workers: int, work: Callable, shares: list, folder: str) -> list:
    """``work(share)`` for each share, in forked processes when ``workers > 1``.

    The children inherit the indexes (copy-on-write), never touch the database, and end with
    ``os._exit`` (multiprocessing does that), so the parent's connections stay intact. Results
    come back pickled through files."""
    if workers <= 1:
        return [work(share) for share in shares]
    ctx = multiprocessing.get_context("fork")
    paths = [os.path.join(folder, f"result{w}.pickle") for w in range(len(shares))]

    def child(share, path):
        with open(path, "wb") as fh:
            pickle.dump(work(share), fh, protocol=pickle.HIGHEST_PROTOCOL)

    procs = [
        ctx.Process(target=child, args=(share, path))
        for share, path in zip(shares, paths, strict=True)
    ]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join()
    failed = [proc.exitcode for proc in procs if proc.exitcode != 0]
    if failed:
        raise RuntimeError(f"export worker failed with exit code {failed[0]}")
    results = []
    for path in paths:
        with open(path, "rb") as fh:
            results.append(pickle.load(fh))
        os.unlink(path)
    return results


def export_recommendations(
    *,
    out_path: str | os.PathLike,
    k: int = 10,
    user=None,
    region: str = "",
    workers: int = 1,
    candidates: int = 50,
    seed: int = 20261123,
    today: datetime.date | None = None,
    components: bool = True,
    language: str | None = None,
    progress: Callable[[str], None] | None = None,
    sample: int | None = None,
    repair: bool = True,
) -> ExportReport:
    """One JSON line per available seeker in scope with their top ``k`` open postings.

    Three passes (see ``jiuye.matching.recommend_index``, "exposure-aware re-ranking"):
    rank every seeker in a seeded random order with the exposure-aware re-ranker, place the
    open postings still in nobody's list with the seekers they suit best, then explain and
    write. ``workers > 1`` forks that many processes for the first and last passes and for
    finding the seekers of the uncovered postings, each with an interleaved share of the
    order and its own exposure counts, so the output is deterministic for a given seed and
    number of workers. ``sample`` ranks only the first that many seekers of the order (to
    time a run; the file then holds only them).
    """
    started = time.perf_counter()
    today = today or timezone.localdate()
    people = export_people(user, region)
    report = ExportReport(workers=max(1, workers))
    postings = build_posting_index(today)
    seekers = SeekerIndex(seeker_records(people, today), postings)
    engine = Engine(postings, seekers)
    report.seekers = seekers.size
    open_rows = postings.open_mask(today.toordinal())
    report.postings = int(open_rows.sum())
    report.seconds_indexing = time.perf_counter() - started
    if progress:
        progress(
            f"indexes: {report.postings} open postings, {report.seekers} seekers "
            f"({report.seconds_indexing:.1f} s)"
        )
    order = np.random.default_rng(seed).permutation(seekers.size)
    if sample is not None:
        order = order[:sample]
    if len(order) < MIN_SEEKERS_FOR_WORKERS:
        report.workers = 1
    w = report.workers
    shares = [order[i::w] for i in range(w)]
    folder = tempfile.mkdtemp(prefix="jiuye-match-", dir=Path(out_path).resolve().parent)
    try:
        with translation.override(language or settings.LANGUAGE_CODE):
            # 1. Exposure-aware ranking.
            t0 = time.perf_counter()
            ranked = _in_processes(
                w,
                lambda share: rank_seekers(engine, share, today, k=k, pool=max(candidates, k)),
                shares,
                folder,
            )
            lists = np.concatenate([r[0] for r in ranked])
            scores = np.concatenate([r[1] for r in ranked])
            exposure = np.sum([r[2] for r in ranked], axis=0)
            rows = np.concatenate(shares)
            report.coverage_ranked = _coverage(exposure, open_rows, report.postings)
            report.seconds_ranking = time.perf_counter() - t0
            if progress:
                progress(
                    f"ranked {len(rows)} seekers ({report.seconds_ranking:.0f} s), coverage "
                    f"{report.coverage_ranked:.3f}"
                )
            # 2. Coverage repair.
            t0 = time.perf_counter()
            uncovered = np.flatnonzero(open_rows & (exposure == 0))
            if repair and len(uncovered) and len(rows):
                parts = _in_processes(
                    w,
                    lambda share: posting_candidates(engine, share, today),
                    [uncovered[i::w] for i in range(w)],
                    folder,
                )
                uncovered = np.concatenate([uncovered[i::w] for i in range(w)])
                slot = np.full(seekers.size, -1, dtype=np.int64)
                slot[rows] = np.arange(len(rows))
                report.repaired = repair_coverage(
                    lists, scores, exposure, slot, uncovered,
                    np.concatenate([c for c, _s in parts]),
                    np.concatenate([s for _c, s in parts]),
                    ids=postings.ids,
                )  # fmt: skip
            report.coverage = _coverage(exposure, open_rows, report.postings)
            report.seconds_repair = time.perf_counter() - t0
            # 3. Explanations and lines.
            t0 = time.perf_counter()
            bounds = np.cumsum([0] + [len(share) for share in shares])
            paths = [os.path.join(folder, f"part{i}.jsonl") for i in range(w)]
            written = _in_processes(
                w,
                lambda i: _write_lines(
                    engine, shares[i], lists[bounds[i] : bounds[i + 1]], today, components,
                    paths[i],
                ),
                list(range(w)),
                folder,
            )  # fmt: skip
            report.recommendations = int(sum(written))
            report.lines = len(rows)
            with open(out_path, "wb") as out:
                for path in paths:
                    with open(path, "rb") as fh:
                        shutil.copyfileobj(fh, out, 1 << 20)
            report.seconds_writing = time.perf_counter() - t0
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    audit.record(
        actor=user,
        action="matching.recommendation.export",
        object_type="matching.recommendation",
        object_repr=f"{report.lines} seekers",
        region_code=region or (getattr(user, "home_region_code", "") if user else ""),
        after={
            "k": k,
            "region": region,
            "seekers": report.seekers,
            "lines": report.lines,
            "postings": report.postings,
            "coverage": round(report.coverage, 4),
            "file": Path(out_path).name,
        },
    )
    report.seconds = time.perf_counter() - started
    return report


def _coverage(exposure: np.ndarray, open_rows: np.ndarray, n_open: int) -> float:
    return float((exposure[open_rows] > 0).sum() / n_open) if n_open else 0.0
