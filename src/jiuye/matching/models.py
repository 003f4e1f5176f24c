"""Matching: internship allocation rounds (见习岗位分配).

A round collects internship posts (each a ``jobs.Posting`` of kind internship with a number of
seats and the host's order over the applicants) and applicants (people from the registry with
their ranked choices of posts). Running the round allocates applicants to posts
(``jiuye.matching.allocation``) and stores one ``Assignment`` per applicant, with the reasons;
publishing fixes the result.

Every table carries the round's ``region_code`` so that the one scoping mechanism
(``jiuye.accounts.scoping``) applies to each directly.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from jiuye.core.models import TimeStampedModel


class RoundStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ALLOCATED = "allocated", _("Allocated (not published)")
    PUBLISHED = "published", _("Published")


# Workflow as data: the statuses a round may move to from each status. Running again before
# publishing replaces the draft result; changing the posts or applicants of an allocated round
# sends it back to draft; a published round is final.
TRANSITIONS: dict[str, set[str]] = {
    RoundStatus.DRAFT: {RoundStatus.ALLOCATED},
    RoundStatus.ALLOCATED: {RoundStatus.ALLOCATED, RoundStatus.DRAFT, RoundStatus.PUBLISHED},
    RoundStatus.PUBLISHED: set(),
}


class AllocationMethod(models.TextChoices):
    DA = "da", _("Deferred acceptance (stable)")
    MCF = "mcf", _("Maximum total fit (min-cost flow)")


class InternshipRound(TimeStampedModel):
    name = models.CharField(_("name"), max_length=200)
    # The organising region (a county bureau, usually): scoping reads this.
    region_code = models.CharField(_("region"), max_length=12)
    status = models.CharField(
        _("status"), max_length=10, choices=RoundStatus.choices, default=RoundStatus.DRAFT
    )
    method = models.CharField(
        _("method"), max_length=3, choices=AllocationMethod.choices, blank=True
    )
    max_choices = models.PositiveSmallIntegerField(_("choices per applicant"), default=30)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    run_at = models.DateTimeField(_("allocated at"), null=True, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("published by"),
    )
    # The figures of the last run: counts, shares, mean rank, total fit, blocking pairs, time.
    stats = models.JSONField(_("figures"), default=dict, blank=True)

    class Meta:
        verbose_name = _("internship allocation round")
        verbose_name_plural = _("internship allocation rounds")
        ordering = ["-id"]
        indexes = [models.Index(fields=["region_code", "id"], name="intround_region_idx")]

    def __str__(self):
        return self.name


class RoundPost(TimeStampedModel):
    """An internship post in a round. The host orders its applicants either explicitly
    (``host_ranking``: RoundApplicant ids, best first — those not listed are not accepted) or,
    when that is empty, by score (``host_scores``: {RoundApplicant id: score}, higher first,
    falling back to the applicant's general score); equal scores are broken by a lottery
    drawn from the round and applicant ids, so the same input always gives the same result."""

    round = models.ForeignKey(
        InternshipRound, models.CASCADE, related_name="posts", verbose_name=_("round")
    )
    posting = models.ForeignKey(
        "jobs.Posting", models.PROTECT, related_name="round_posts", verbose_name=_("posting")
    )
    region_code = models.CharField(_("region"), max_length=12)  # the round's region
    capacity = models.PositiveIntegerField(_("seats"))
    host_ranking = models.JSONField(_("host ranking"), default=list, blank=True)
    host_scores = models.JSONField(_("host scores"), default=dict, blank=True)

    class Meta:
        verbose_name = _("internship post")
        verbose_name_plural = _("internship posts")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["round", "posting"], name="roundpost_unique"),
        ]
        indexes = [models.Index(fields=["region_code", "id"], name="roundpost_region_idx")]

    def __str__(self):
        return f"{self.round_id}: {self.posting_id}"


class RoundApplicant(TimeStampedModel):
    round = models.ForeignKey(
        InternshipRound, models.CASCADE, related_name="applicants", verbose_name=_("round")
    )
    person = models.ForeignKey(
        "registry.Person",
        models.PROTECT,
        related_name="internship_applications",
        verbose_name=_("person"),
    )
    region_code = models.CharField(_("region"), max_length=12)  # the round's region
    # RoundPost ids, most wanted first.
    choices = models.JSONField(_("choices"), default=list, blank=True)
    # A general score (an assessment, a fit score) that hosts without their own ranking or
    # score for this applicant order by.
    score = models.FloatField(_("score"), null=True, blank=True)

    class Meta:
        verbose_name = _("internship applicant")
        verbose_name_plural = _("internship applicants")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["round", "person"], name="roundapplicant_unique"),
        ]
        indexes = [models.Index(fields=["region_code", "id"], name="roundapplicant_region_idx")]

    def __str__(self):
        return f"{self.round_id}: {self.person_id}"


class Assignment(models.Model):
    """The result for one applicant: a post or none, with the reasons. Replaced by each run
    until the round is published; then ``published_at`` is set and the row is final."""

    round = models.ForeignKey(
        InternshipRound, models.CASCADE, related_name="assignments", verbose_name=_("round")
    )
    applicant = models.ForeignKey(
        RoundApplicant, models.CASCADE, related_name="assignments", verbose_name=_("applicant")
    )
    post = models.ForeignKey(
        RoundPost,
        models.CASCADE,
        null=True,
        blank=True,
        related_name="assignments",
        verbose_name=_("post"),
    )
    region_code = models.CharField(_("region"), max_length=12)  # the round's region
    # 1 = the applicant's first choice; null when unassigned.
    choice_rank = models.PositiveSmallIntegerField(_("choice"), null=True, blank=True)
    fit = models.FloatField(_("fit"), null=True, blank=True)
    # jiuye.matching.allocation.explain(), with RoundPost ids in place of indices.
    explanation = models.JSONField(_("explanation"), default=dict, blank=True)
    method = models.CharField(_("method"), max_length=3, choices=AllocationMethod.choices)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)

    class Meta:
        verbose_name = _("internship assignment")
        verbose_name_plural = _("internship assignments")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["round", "applicant"], name="assignment_unique"),
            models.CheckConstraint(
                condition=Q(post__isnull=True, choice_rank__isnull=True)
                | Q(post__isnull=False, choice_rank__isnull=False),
                name="assignment_post_rank_together",
            ),
        ]
        indexes = [models.Index(fields=["region_code", "id"], name="assignment_region_idx")]

    def __str__(self):
        return f"{self.applicant_id} → {self.post_id}"
