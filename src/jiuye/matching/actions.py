"""Writes on internship allocation rounds (见习岗位分配). Each action is atomic, checks the actor's
scope (outside it looks like absent: 404), and leaves an audit row.

The page, the API and ``jiuye allocate`` all call these functions.
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass, field

import numpy as np
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jiuye.accounts.permissions import Perm
from jiuye.accounts.scoping import require, scope_for
from jiuye.core import audit
from jiuye.core.crypto import blind_index
from jiuye.core.errors import ErrorCode, JiuyeError, NotFoundError
from jiuye.core.idnumber import InvalidIdNumber, parse_id_number
from jiuye.core.tabular import TableError, normalize_header, read_table
from jiuye.jobs.models import Posting, PostingKind
from jiuye.matching import allocation
from jiuye.matching.models import (
    TRANSITIONS,
    AllocationMethod,
    Assignment,
    InternshipRound,
    RoundApplicant,
    RoundPost,
    RoundStatus,
)
from jiuye.regions.codes import is_within
from jiuye.regions.selectors import require_region
from jiuye.registry.models import Person

MAX_CHOICES_LIMIT = 50


def _set_status(round: InternshipRound, status: str) -> None:
    """The one place a round changes status; the allowed moves are ``TRANSITIONS``."""
    if status not in TRANSITIONS[round.status]:
        if round.status == RoundStatus.PUBLISHED:
            raise JiuyeError(
                ErrorCode.CONFLICT,
                _("This round is published; its result can no longer change."),
                status=409,
            )
        raise JiuyeError(ErrorCode.CONFLICT, _("Run the allocation first."), status=409)
    round.status = status


def _lock(round: InternshipRound) -> InternshipRound:
    """The round re-read under a row lock, so that a run and a publish cannot interleave."""
    return InternshipRound.objects.select_for_update().get(pk=round.pk)


def _editable(round: InternshipRound) -> InternshipRound:
    """Changing posts or applicants makes an earlier result stale: it is dropped and the round
    goes back to draft. A published round cannot change."""
    round = _lock(round)
    if round.status == RoundStatus.PUBLISHED:
        _set_status(round, RoundStatus.DRAFT)  # raises
    if round.status == RoundStatus.ALLOCATED:
        round.assignments.all().delete()
        _set_status(round, RoundStatus.DRAFT)
        round.method = ""
        round.stats = {}
        round.run_at = None
        round.save(update_fields=["status", "method", "stats", "run_at", "updated_at"])
    return round


# ---- rounds, posts, applicants ----------------------------------------------------------


@transaction.atomic
def create_round(*, actor, name: str, region_code: str, max_choices: int = 30) -> InternshipRound:
    region_code = require_region(actor, region_code, Perm.EDIT)
    name = (name or "").strip()
    if not name:
        raise JiuyeError(ErrorCode.INVALID, _("Give the round a name."))
    if not 1 <= max_choices <= MAX_CHOICES_LIMIT:
        raise JiuyeError(
            ErrorCode.INVALID,
            _("Choices per applicant must be between 1 and %(n)s.") % {"n": MAX_CHOICES_LIMIT},
        )
    round = InternshipRound.objects.create(
        name=name[:200],
        region_code=region_code,
        max_choices=max_choices,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    audit.record(
        actor=actor,
        action="matching.round.create",
        obj=round,
        after=audit.snapshot(round, ["name", "region_code", "max_choices"]),
    )
    return round


def _clean_ranking(round: InternshipRound, ranking) -> list[int]:
    if ranking is None:
        return []
    try:
        ids = [int(x) for x in ranking]
    except (TypeError, ValueError) as exc:
        raise JiuyeError(ErrorCode.INVALID, _("A host ranking lists applicant numbers.")) from exc
    if len(set(ids)) != len(ids):
        raise JiuyeError(ErrorCode.INVALID, _("A host ranking lists an applicant twice."))
    known = set(round.applicants.filter(pk__in=ids).values_list("pk", flat=True))
    if len(known) != len(ids):
        raise JiuyeError(
            ErrorCode.INVALID, _("A host ranking names an applicant not in the round.")
        )
    return ids


def _clean_scores(round: InternshipRound, scores) -> dict[str, float]:
    if not scores:
        return {}
    try:
        cleaned = {str(int(k)): float(v) for k, v in dict(scores).items()}
    except (TypeError, ValueError) as exc:
        raise JiuyeError(ErrorCode.INVALID, _("Host scores are numbers per applicant.")) from exc
    if any(math.isnan(v) or math.isinf(v) for v in cleaned.values()):
        raise JiuyeError(ErrorCode.INVALID, _("Host scores are numbers per applicant."))
    ids = [int(k) for k in cleaned]
    if round.applicants.filter(pk__in=ids).count() != len(ids):
        raise JiuyeError(ErrorCode.INVALID, _("Host scores name an applicant not in the round."))
    return cleaned


def _clean_capacity(capacity) -> int:
    try:
        capacity = int(capacity)
    except (TypeError, ValueError) as exc:
        raise JiuyeError(ErrorCode.INVALID, _("Seats must be a whole number.")) from exc
    if not 0 <= capacity <= 100_000:
        raise JiuyeError(ErrorCode.INVALID, _("Seats must be a whole number."))
    return capacity


@transaction.atomic
def add_post(
    round: InternshipRound,
    *,
    actor,
    posting: Posting,
    capacity: int,
    host_ranking=None,
    host_scores=None,
) -> RoundPost:
    """Put an internship posting into the round with ``capacity`` seats."""
    require(actor, Perm.EDIT, round.region_code)
    round = _editable(round)
    if not scope_for(actor, Perm.VIEW).contains(posting.region_code):
        raise NotFoundError()
    if posting.kind != PostingKind.INTERNSHIP:
        raise JiuyeError(ErrorCode.INVALID, _("Only internship (见习) postings can be allocated."))
    if not is_within(posting.region_code, round.region_code):
        raise JiuyeError(ErrorCode.INVALID, _("The posting is outside the round's region."))
    if round.posts.filter(posting=posting).exists():
        raise JiuyeError(ErrorCode.CONFLICT, _("This posting is already in the round."), status=409)
    post = RoundPost.objects.create(
        round=round,
        posting=posting,
        region_code=round.region_code,
        capacity=_clean_capacity(capacity),
        host_ranking=_clean_ranking(round, host_ranking),
        host_scores=_clean_scores(round, host_scores),
    )
    audit.record(
        actor=actor,
        action="matching.round.post_add",
        obj=post,
        object_repr=f"{round} · {posting}",
        after=audit.snapshot(post, ["posting_id", "capacity", "host_ranking", "host_scores"]),
    )
    return post


_UNSET = object()


@transaction.atomic
def update_post(
    post: RoundPost, *, actor, capacity=_UNSET, host_ranking=_UNSET, host_scores=_UNSET
) -> RoundPost:
    """Change a post's seats or its host's order (a ranking replaces scores and vice versa
    only when given)."""
    require(actor, Perm.EDIT, post.region_code)
    round = _editable(post.round)
    fields = ["capacity", "host_ranking", "host_scores"]
    before = audit.snapshot(post, fields)
    if capacity is not _UNSET:
        post.capacity = _clean_capacity(capacity)
    if host_ranking is not _UNSET:
        post.host_ranking = _clean_ranking(round, host_ranking)
    if host_scores is not _UNSET:
        post.host_scores = _clean_scores(round, host_scores)
    post.save()
    b, a = audit.changed(before, audit.snapshot(post, fields))
    if a:
        audit.record(actor=actor, action="matching.round.post_update", obj=post, before=b, after=a)
    return post


def _clean_choices(round: InternshipRound, choices) -> list[int]:
    try:
        ids = [int(x) for x in choices or []]
    except (TypeError, ValueError) as exc:
        raise JiuyeError(ErrorCode.INVALID, _("Choices are post numbers.")) from exc
    if not ids:
        raise JiuyeError(ErrorCode.INVALID, _("List at least one choice."))
    if len(ids) > round.max_choices:
        raise JiuyeError(
            ErrorCode.INVALID,
            _("At most %(n)s choices per applicant.") % {"n": round.max_choices},
        )
    if len(set(ids)) != len(ids):
        raise JiuyeError(ErrorCode.INVALID, _("A post is chosen twice."))
    if round.posts.filter(pk__in=ids).count() != len(ids):
        raise JiuyeError(ErrorCode.INVALID, _("A choice names a post not in the round."))
    return ids


def _clean_score(score) -> float | None:
    if score is None or score == "":
        return None
    try:
        value = float(score)
    except (TypeError, ValueError) as exc:
        raise JiuyeError(ErrorCode.INVALID, _("The score must be a number.")) from exc
    if math.isnan(value) or math.isinf(value):
        raise JiuyeError(ErrorCode.INVALID, _("The score must be a number."))
    return value


@transaction.atomic
def add_applicant(
    round: InternshipRound, *, actor, person: Person, choices, score=None
) -> RoundApplicant:
    """Enter a person with their ranked choices (RoundPost ids, most wanted first); a person
    already in the round gets their choices and score replaced."""
    require(actor, Perm.EDIT, round.region_code)
    if person.merged_into_id or not scope_for(actor, Perm.VIEW).contains(person.region_code):
        raise NotFoundError()
    round = _editable(round)
    choices = _clean_choices(round, choices)
    score = _clean_score(score)
    applicant, created = RoundApplicant.objects.get_or_create(
        round=round,
        person=person,
        defaults={"region_code": round.region_code, "choices": choices, "score": score},
    )
    before = None
    if not created:
        before = audit.snapshot(applicant, ["choices", "score"])
        applicant.choices, applicant.score = choices, score
        applicant.save(update_fields=["choices", "score", "updated_at"])
    audit.record(
        actor=actor,
        action="matching.round.applicant_add" if created else "matching.round.applicant_update",
        obj=applicant,
        object_repr=f"{round} · {person}",
        before=before,
        after=audit.snapshot(applicant, ["person_id", "choices", "score"]),
    )
    return applicant


# ---- importing choices ------------------------------------------------------------------

ID_HEADERS = ("身份证号", "身份证号码", "公民身份号码", "证件号码", "idnumber", "id")
SCORE_HEADERS = ("得分", "成绩", "分数", "score")
NAME_HEADERS = ("姓名", "name")


def _choice_number(header: str) -> int | None:
    """志愿1 / 第1志愿 / choice 1 → 1."""
    h = normalize_header(header)
    for prefix, suffix in (("志愿", ""), ("第", "志愿"), ("choice", ""), ("岗位", "")):
        if h.startswith(prefix) and h.endswith(suffix):
            middle = h[len(prefix) : len(h) - len(suffix)]
            if middle.isdigit():
                return int(middle)
    return None


@dataclass
class ImportReport:
    added: int = 0
    updated: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)  # (row, reason)


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


@transaction.atomic
def import_choices(round: InternshipRound, *, actor, source, filename: str = "") -> ImportReport:
    """Applicants and their choices from a table (.xlsx/.xls/.ods/.csv): one row per person,
    a column with the ID number, optionally a score, and columns 志愿1, 志愿2, … (or
    "choice 1", …) holding **posting numbers** (the job posting's id shown on the round page).
    Good rows are entered (or replace that person's choices); bad rows are reported and
    skipped."""
    require(actor, Perm.EDIT, round.region_code)
    round = _editable(round)
    known = [*ID_HEADERS, *SCORE_HEADERS, *NAME_HEADERS]
    known += [f"志愿{i}" for i in range(1, round.max_choices + 1)]
    known += [f"choice{i}" for i in range(1, round.max_choices + 1)]
    try:
        table = read_table(source, filename, known_headers=known)
    except TableError as exc:
        raise JiuyeError(ErrorCode.INVALID_FILE, str(exc)) from exc
    header = [normalize_header(h) for h in table.header]
    id_col = next((i for i, h in enumerate(header) if h in ID_HEADERS), None)
    score_col = next((i for i, h in enumerate(header) if h in SCORE_HEADERS), None)
    choice_cols = sorted(
        (n, i) for i, h in enumerate(table.header) if (n := _choice_number(h)) is not None
    )
    if id_col is None or not choice_cols:
        raise JiuyeError(
            ErrorCode.INVALID_FILE,
            _("The file needs an ID number column and choice columns (志愿1, 志愿2, …)."),
        )
    post_of_posting = dict(round.posts.values_list("posting_id", "pk"))
    scope = scope_for(actor, Perm.VIEW)
    report = ImportReport()
    seen: set[int] = set()
    for row_number, cells in table.rows:

        def get(i, cells=cells):
            return _cell(cells[i]) if i is not None and i < len(cells) else ""

        try:
            number = parse_id_number(get(id_col)).number
        except InvalidIdNumber as exc:
            report.errors.append((row_number, str(exc.message)))
            continue
        person = Person.objects.filter(
            id_hash=blind_index(number), merged_into__isnull=True
        ).first()
        if person is None or not scope.contains(person.region_code):
            report.errors.append((row_number, _("No such person in your regions.")))
            continue
        if person.pk in seen:
            report.errors.append((row_number, _("The person appears twice in the file.")))
            continue
        seen.add(person.pk)
        choices, bad = [], []
        for _n, i in choice_cols:
            value = get(i)
            if not value:
                continue
            post = post_of_posting.get(int(value)) if value.isdigit() else None
            if post is None:
                bad.append(value)
            else:
                choices.append(post)
        if bad:
            report.errors.append(
                (row_number, _("Not a posting in this round: %(v)s") % {"v": "、".join(bad)})
            )
            continue
        try:
            existed = round.applicants.filter(person=person).exists()
            with transaction.atomic():
                add_applicant(
                    round, actor=actor, person=person, choices=choices, score=get(score_col)
                )
        except JiuyeError as exc:
            report.errors.append((row_number, str(exc.message)))
            continue
        if existed:
            report.updated += 1
        else:
            report.added += 1
    audit.record(
        actor=actor,
        action="matching.round.import",
        obj=round,
        after={
            "file": filename,
            "added": report.added,
            "updated": report.updated,
            "errors": len(report.errors),
        },
    )
    return report


# ---- running and publishing -------------------------------------------------------------


def lottery(round_id: int, applicant_id: int) -> float:
    """The tie-break between applicants a host scored equally: a fixed lottery number drawn
    from the round and applicant ids (48 bits, exact as a float), the same on every run."""
    digest = hashlib.sha256(f"jiuye-allocation:{round_id}:{applicant_id}".encode()).digest()
    return float(int.from_bytes(digest[:6], "big"))


@dataclass
class RoundInput:
    instance: allocation.Instance
    post_ids: list[int]
    applicant_ids: list[int]


def round_input(round: InternshipRound) -> RoundInput:
    """The round as an allocation problem: posts and applicants in id order, host orders
    from each post's ranking, else its scores, else the applicants' general scores."""
    posts = list(
        round.posts.order_by("pk").values_list("pk", "capacity", "host_ranking", "host_scores")
    )
    applicants = list(round.applicants.order_by("pk").values_list("pk", "choices", "score"))
    post_index = {pk: i for i, (pk, *_rest) in enumerate(posts)}
    applicant_index = {pk: i for i, (pk, *_rest) in enumerate(applicants)}
    rankings, scores = {}, {}
    for i, (_pk, _cap, ranking, host_scores) in enumerate(posts):
        if ranking:
            rankings[i] = [applicant_index[a] for a in ranking if a in applicant_index]
        elif host_scores:
            scores[i] = {
                applicant_index[int(a)]: s
                for a, s in host_scores.items()
                if int(a) in applicant_index
            }
    choices = [[post_index[p] for p in c if p in post_index] for _pk, c, _s in applicants]
    instance = allocation.build_instance(
        choices,
        [cap for _pk, cap, *_rest in posts],
        host_rankings=rankings,
        host_scores=scores,
        applicant_scores=[s for _pk, _c, s in applicants],
        tie_break=[lottery(round.pk, pk) for pk, *_rest in applicants],
    )
    return RoundInput(instance, [p[0] for p in posts], [a[0] for a in applicants])


def _allocate(instance: allocation.Instance, method: str, fit) -> np.ndarray:
    if method == AllocationMethod.MCF:
        return allocation.max_fit_allocation(instance, fit=fit)
    return allocation.deferred_acceptance(instance)


def _with_ids(entry: dict, post_ids: list[int]) -> dict:
    if entry["post"] is not None:
        entry["post"] = post_ids[entry["post"]]
    for item in entry["better"]:
        item["post"] = post_ids[item["post"]]
    return entry


@transaction.atomic
def run_round(round: InternshipRound, *, actor, method: str = AllocationMethod.DA):
    """Allocate: replaces the previous (unpublished) result with a new one, one Assignment per
    applicant with its explanation. The figures of the other method on the same input are
    stored beside, so staff can compare total fit and stability."""
    require(actor, Perm.EDIT, round.region_code)
    round = _lock(round)
    if method not in AllocationMethod.values:
        raise JiuyeError(ErrorCode.INVALID, _("Unknown allocation method."))
    if round.status == RoundStatus.PUBLISHED:
        _set_status(round, RoundStatus.ALLOCATED)  # raises: a published round is final
    data = round_input(round)
    inst = data.instance
    fit = allocation.fit_points(inst, max_choices=round.max_choices)
    started = time.perf_counter()
    assigned = _allocate(inst, method, fit)
    seconds = time.perf_counter() - started
    stats = allocation.summarize(inst, assigned, fit=fit)
    other = AllocationMethod.MCF if method == AllocationMethod.DA else AllocationMethod.DA
    stats.update(method=method, seconds=_seconds(seconds))
    stats["other"] = {
        "method": other,
        **allocation.summarize(inst, _allocate(inst, other, fit), fit=fit),
    }
    explanations = allocation.explain(inst, assigned)
    choice_of, posts = inst.choice_of, inst.posts
    round.assignments.all().delete()
    rows = []
    for a, pair in enumerate(assigned.tolist()):
        held = pair >= 0
        rows.append(
            Assignment(
                round=round,
                applicant_id=data.applicant_ids[a],
                post_id=data.post_ids[posts[pair]] if held else None,
                region_code=round.region_code,
                choice_rank=int(choice_of[pair]) + 1 if held else None,
                fit=int(fit[pair]) / allocation.FIT_SCALE if held else None,
                explanation=_with_ids(explanations[a], data.post_ids),
                method=method,
            )
        )
    Assignment.objects.bulk_create(rows, batch_size=2000)
    _set_status(round, RoundStatus.ALLOCATED)
    round.method = method
    round.run_at = timezone.now()
    round.stats = stats
    round.save(update_fields=["status", "method", "run_at", "stats", "updated_at"])
    audit.record(
        actor=actor,
        action="matching.round.run",
        obj=round,
        after={k: stats[k] for k in _RUN_AUDIT_KEYS},
    )
    return round


_RUN_AUDIT_KEYS = ("method", "applicants", "assigned", "unassigned", "total_fit", "blocking_pairs")


def _seconds(seconds: float) -> float:
    # Module level, because inside the actions ``round`` names the round, not the builtin.
    return round(seconds, 3)


def result_digest(round: InternshipRound) -> str:
    """A SHA-256 over the (applicant, post) pairs of the result, recorded when publishing so
    that the published batch can be checked later against the stored rows."""
    pairs = round.assignments.order_by("applicant_id").values_list("applicant_id", "post_id")
    text = ";".join(f"{a}:{p or ''}" for a, p in pairs)
    return hashlib.sha256(text.encode()).hexdigest()


@transaction.atomic
def publish_round(round: InternshipRound, *, actor) -> InternshipRound:
    """Publish the result as one batch: every assignment gets the same ``published_at`` in one
    statement, the round becomes final, and one audit row records the counts and a digest of
    the pairs. The assignment rows themselves are the per-person record (they cannot change
    after this), so they are not copied into the audit log one by one."""
    require(actor, Perm.REVIEW, round.region_code)
    round = _lock(round)
    if round.status == RoundStatus.PUBLISHED:
        raise JiuyeError(ErrorCode.CONFLICT, _("This round is already published."), status=409)
    _set_status(round, RoundStatus.PUBLISHED)
    now = timezone.now()
    count = round.assignments.update(published_at=now)
    round.published_at = now
    round.published_by = actor if getattr(actor, "is_authenticated", False) else None
    round.save(update_fields=["status", "published_at", "published_by", "updated_at"])
    audit.record(
        actor=actor,
        action="matching.round.publish",
        obj=round,
        after={
            "method": round.method,
            "assignments": count,
            "assigned": round.assignments.filter(post__isnull=False).count(),
            "unassigned": round.assignments.filter(post__isnull=True).count(),
            "digest": result_digest(round),
        },
    )
    return round
