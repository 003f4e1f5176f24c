"""Scoped reads of internship allocation rounds. Everything goes through ``scoped`` /
``get_scoped_or_404``: a round outside the user's regions looks exactly like a missing one."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce

from jiuye.accounts.permissions import Perm
from jiuye.accounts.scoping import get_scoped_or_404, scoped
from jiuye.jobs.models import Posting, PostingKind
from jiuye.matching.models import Assignment, InternshipRound, RoundApplicant, RoundPost


def round_list(user, *, permission: str = Perm.VIEW, status: str = "") -> QuerySet:
    qs = scoped(InternshipRound.objects.all(), user, permission)
    if status:
        qs = qs.filter(status=status)
    # Two subqueries rather than two joins: joining posts and applicants together would
    # multiply their rows (3,000 × 30,000 for a large round) before counting.
    return qs.annotate(
        post_count=Coalesce(Subquery(_count(RoundPost)), 0),
        applicant_count=Coalesce(Subquery(_count(RoundApplicant)), 0),
    ).order_by("-id")


def _count(model):
    return (
        model.objects.filter(round=OuterRef("pk"))
        .order_by()
        .values("round")
        .annotate(n=Count("pk"))
        .values("n")
    )


def get_round_for(user, pk, permission: str = Perm.VIEW) -> InternshipRound:
    return get_scoped_or_404(InternshipRound.objects.all(), user, permission, pk=pk)


def get_post_for(user, round: InternshipRound, pk, permission: str = Perm.VIEW) -> RoundPost:
    return get_scoped_or_404(round.posts.all(), user, permission, pk=pk)


def round_posts(round: InternshipRound) -> QuerySet[RoundPost]:
    """The round's posts with their posting, employer and seats filled by the current result."""
    return (
        round.posts.select_related("posting", "posting__employer")
        .annotate(filled=Count("assignments"))
        .order_by("id")
    )


def round_applicants(round: InternshipRound) -> QuerySet[RoundApplicant]:
    return round.applicants.select_related("person").order_by("id")


@dataclass
class ResultFilters:
    q: str = ""  # a name
    outcome: str = ""  # "assigned", "unassigned", "first"


def round_results(round: InternshipRound, filters: ResultFilters | None = None) -> QuerySet:
    f = filters or ResultFilters()
    qs = round.assignments.select_related(
        "applicant__person", "post__posting", "post__posting__employer"
    )
    if f.q:
        qs = qs.filter(applicant__person__name__contains=f.q.strip())
    if f.outcome == "assigned":
        qs = qs.filter(post__isnull=False)
    elif f.outcome == "unassigned":
        qs = qs.filter(post__isnull=True)
    elif f.outcome == "first":
        qs = qs.filter(choice_rank=1)
    return qs.order_by("applicant_id")


def post_titles(round: InternshipRound) -> dict[int, str]:
    """RoundPost id → "posting title · employer", for explanations."""
    rows = round.posts.values_list("pk", "posting__title", "posting__employer__name")
    return {pk: f"{title} · {employer}" for pk, title, employer in rows}


def internship_postings(user, round: InternshipRound) -> QuerySet[Posting]:
    """Internship postings the user may see inside the round's region, not yet in it."""
    from jiuye.regions.codes import prefix_of

    prefix = prefix_of(round.region_code)
    pad = 12 - len(prefix)
    qs = scoped(Posting.objects.filter(kind=PostingKind.INTERNSHIP), user, Perm.VIEW)
    return (
        qs.filter(region_code__range=(prefix + "0" * pad, prefix + "9" * pad))
        .exclude(round_posts__round=round)
        .select_related("employer")
        .order_by("-id")
    )


def assignment_count(round: InternshipRound) -> int:
    return Assignment.objects.filter(round=round).count()


def describe(explanation: dict, titles: dict[int, str]) -> list[str]:
    """The explanation of one result as sentences staff can read out to the applicant."""
    from django.utils.translation import gettext as _

    from jiuye.matching import allocation

    lines = []
    if explanation.get("post") is not None:
        lines.append(
            _("Assigned to choice #%(choice)s, %(post)s (the host's #%(rank)s).")
            % {
                "choice": explanation["choice"],
                "post": titles.get(explanation["post"], explanation["post"]),
                "rank": explanation.get("host_rank", "?"),
            }
        )
    elif explanation:
        lines.append(_("Not assigned: none of the choices could take this applicant."))
    for item in explanation.get("better", []):
        values = {
            "choice": item["choice"],
            "post": titles.get(item["post"], item["post"]),
            "you": item.get("your_rank"),
            "cutoff": item.get("cutoff_rank"),
            "your_score": item.get("your_score"),
            "cutoff_score": item.get("cutoff_score"),
        }
        reason = item["reason"]
        if reason == allocation.NOT_RANKED:
            text = _("Choice #%(choice)s, %(post)s: the host did not rank you.")
        elif reason == allocation.NO_SEATS:
            text = _("Choice #%(choice)s, %(post)s: the post has no seats.")
        elif reason == allocation.FULL and "your_score" in item:
            text = _(
                "Choice #%(choice)s, %(post)s: full with applicants the host ranked higher "
                "(lowest admitted #%(cutoff)s, score %(cutoff_score)s; yours #%(you)s, "
                "score %(your_score)s)."
            )
        elif reason == allocation.FULL:
            text = _(
                "Choice #%(choice)s, %(post)s: full with applicants the host ranked higher "
                "(lowest admitted rank #%(cutoff)s vs yours #%(you)s)."
            )
        elif reason == allocation.FULL_LOWER:
            text = _(
                "Choice #%(choice)s, %(post)s: its seats went to others for a higher total fit "
                "(lowest admitted rank #%(cutoff)s vs yours #%(you)s)."
            )
        else:
            text = _(
                "Choice #%(choice)s, %(post)s: a seat was left free; you were placed elsewhere "
                "for a higher total fit."
            )
        lines.append(text % values)
    return lines


def person_rounds(user, person) -> list[dict]:
    """The person's applications in rounds within ``user``'s regions, newest first, each with
    its result (None before the round is run) and the explanation as sentences."""
    applications = (
        scoped(RoundApplicant.objects.filter(person=person), user, Perm.VIEW)
        .select_related("round")
        .order_by("-round_id")
    )
    out = []
    for app in applications:
        rnd = app.round
        result = (
            Assignment.objects.filter(round=rnd, applicant=app)
            .select_related("post__posting__employer")
            .first()
        )
        out.append(
            {
                "round": rnd,
                "applicant": app,
                "assignment": result,
                "lines": describe(result.explanation, post_titles(rnd)) if result else [],
            }
        )
    return out
