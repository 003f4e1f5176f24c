"""Fill the blank occupation codes of postings and job intentions with the occupation coder.

Postings and intentions often arrive with a title only ("急招电焊工 包吃住", "想找保洁的活").
``fill_missing_codes`` codes every one in the caller's scope whose ``occupation_code`` is blank
and accepts the top match only when it scores at least ``AUTO_CODE_THRESHOLD``; the rest stay
blank for a person to code. Accepted codes are marked ``occupation_coded_by="auto"`` (postings
also keep the score), each change is audited, and one summary row records the run.

The command (``jiuye occupations fill``) runs it as the system with every region; a page or a
task passes the user and their EDIT scope. Re-running is safe: a record that has a code, by
hand or automatically, is never touched, and each write re-checks that the code is still blank.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jiuye.accounts.scoping import Scope
from jiuye.core import audit
from jiuye.registry.occupation_coder import AUTO_CODE_THRESHOLD, code_titles

AUTO = "auto"
ACTION_RUN = "matching.occupations.fill"
ACTION_POSTING = "matching.occupations.auto_code_posting"
ACTION_INTENTION = "matching.occupations.auto_code_intention"

AUDIT_LABELS = {
    ACTION_RUN: _("Blank occupation codes filled automatically"),
    ACTION_POSTING: _("Occupation coded automatically"),
    ACTION_INTENTION: _("Occupation coded automatically"),
}

CHUNK = 1000
SAMPLE = 20


@dataclass
class FillKindResult:
    blank: int = 0  # blank code and a title, in scope
    coded: int = 0  # accepted (or, in a dry run, would be)
    below_threshold: int = 0


@dataclass
class FillResult:
    dry_run: bool
    threshold: float
    postings: FillKindResult = field(default_factory=FillKindResult)
    intentions: FillKindResult = field(default_factory=FillKindResult)
    # The first few accepted codes, for a report: (kind, id, title, code, name, score).
    samples: list[tuple[str, int, str, str, str, float]] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "dry_run": self.dry_run,
            "threshold": self.threshold,
            "postings": vars(self.postings),
            "intentions": vars(self.intentions),
        }


def fill_missing_codes(
    *, actor, scope: Scope, dry_run: bool = False, threshold: float | None = None
) -> FillResult:
    """Code the blank occupation codes of postings and job intentions within ``scope``.

    ``actor`` is the user (or ``None`` for the system) named in the audit rows; ``scope`` is
    usually ``scope_for(user, Perm.EDIT)``, or ``Scope(everything=True)`` for the command.
    Postings are in scope by their workplace region, intentions by the person's residence.
    """
    from jiuye.jobs.models import Posting
    from jiuye.registry.models import JobIntention

    threshold = AUTO_CODE_THRESHOLD if threshold is None else threshold
    result = FillResult(dry_run=dry_run, threshold=threshold)
    postings = scope.filter(
        Posting.objects.filter(occupation_code="").exclude(title=""), "region_code"
    )
    intentions = scope.filter(
        JobIntention.objects.filter(occupation_code="").exclude(title=""), "person__region_code"
    )
    for rows in _chunks(postings.values_list("pk", "title", "region_code")):
        _fill_chunk(
            rows,
            model=Posting,
            kind="posting",
            action=ACTION_POSTING,
            with_score=True,
            counts=result.postings,
            result=result,
            actor=actor,
        )
    for rows in _chunks(intentions.values_list("pk", "title", "person__region_code")):
        _fill_chunk(
            rows,
            model=JobIntention,
            kind="intention",
            action=ACTION_INTENTION,
            with_score=False,
            counts=result.intentions,
            result=result,
            actor=actor,
        )
    if not dry_run:
        audit.record(
            actor=actor,
            action=ACTION_RUN,
            object_type="matching.occupations",
            object_repr=f"{result.postings.coded} postings, {result.intentions.coded} intentions",
            region_code=_summary_region(scope),
            after=result.as_dict(),
        )
    return result


def _chunks(rows_qs):
    """Rows in primary-key order, ``CHUNK`` at a time, re-querying after each chunk so that
    rows written meanwhile are never read twice."""
    last = 0
    while True:
        rows = list(rows_qs.filter(pk__gt=last).order_by("pk")[:CHUNK])
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def _fill_chunk(rows, *, model, kind, action, with_score, counts, result, actor):
    matches = code_titles([title for _pk, title, _region in rows], k=1)
    accepted = []
    for (pk, title, region), found in zip(rows, matches, strict=True):
        counts.blank += 1
        if found and found[0].score >= result.threshold:
            accepted.append((pk, title, region, found[0]))
        else:
            counts.below_threshold += 1
    if result.dry_run:
        counts.coded += len(accepted)
        _sample(result, kind, accepted)
        return
    now = timezone.now()
    with transaction.atomic():
        for pk, title, region, match in accepted:
            values = {"occupation_code": match.code, "occupation_coded_by": AUTO}
            if with_score:
                values["occupation_score"] = match.score
            # The code may have been set by someone else since the rows were read.
            if not model.objects.filter(pk=pk, occupation_code="").update(updated_at=now, **values):
                continue
            counts.coded += 1
            audit.record(
                actor=actor,
                action=action,
                object_type=model._meta.label_lower,
                object_id=pk,
                object_repr=title,
                region_code=region,
                before={"occupation_code": ""},
                after=values,
            )
    _sample(result, kind, accepted)


def _sample(result: FillResult, kind: str, accepted) -> None:
    for pk, title, _region, match in accepted[: max(0, SAMPLE - len(result.samples))]:
        result.samples.append((kind, pk, title, match.code, match.name, match.score))


def _summary_region(scope: Scope) -> str:
    """The region the run covered, for the audit log's region filter: one prefix, or none."""
    if not scope.everything and len(scope.top_codes) == 1:
        return scope.top_codes[0]
    return ""
