"""Jobs: postings, applications, interviews, hires, job fairs (招聘会 / 对接会).

Every table carries ``region_code`` (the workplace region of the posting, or the organising
region of a fair) so that the one scoping mechanism (``jiuye.accounts.scoping``) applies to it
directly. Applications, interviews and hires copy their posting's region.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from jiuye.core.models import TimeStampedModel


class PostingKind(models.TextChoices):
    FULL_TIME = "full_time", _("Full-time")
    PART_TIME = "part_time", _("Part-time")
    GIG = "gig", _("Gig work")
    INTERNSHIP = "internship", _("Internship (见习)")


class Channel(models.TextChoices):
    EMPLOYER = "employer", _("Posted by the employer")  # 单位自主
    FAIR = "fair", _("Job fair")  # 招聘会
    PROJECT = "project", _("Major project")  # 重大项目
    GIG = "gig", _("Gig market")  # 零工


class PostingStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    REVIEW = "review", _("Under review")
    PUBLISHED = "published", _("Published")
    FILLED = "filled", _("Filled")
    EXPIRED = "expired", _("Expired")
    WITHDRAWN = "withdrawn", _("Withdrawn")


# A published posting is "open" (valid, counted as a vacancy, recommendable) while today lies in
# [valid_from, valid_to] and it is not filled.
OPEN_STATUSES = (PostingStatus.PUBLISHED,)


class Posting(TimeStampedModel):
    employer = models.ForeignKey(
        "registry.Employer", models.PROTECT, related_name="postings", verbose_name=_("employer")
    )
    title = models.CharField(_("job title"), max_length=100)
    # 职业分类大典 2022 code, 细类 (e.g. 6-18-02-04) where known; blank until coded.
    occupation_code = models.CharField(_("occupation"), max_length=12, blank=True, db_index=True)
    # How the occupation code was set: "" (by hand / import) or "auto" (occupation coder).
    occupation_coded_by = models.CharField(_("occupation coded by"), max_length=10, blank=True)
    occupation_score = models.FloatField(_("occupation coding score"), null=True, blank=True)
    description = models.TextField(_("description"), blank=True)
    headcount = models.PositiveIntegerField(_("headcount"), default=1)
    wage_min = models.PositiveIntegerField(_("monthly wage from"), null=True, blank=True)
    wage_max = models.PositiveIntegerField(_("monthly wage to"), null=True, blank=True)
    # Minimum education, GB/T 4658 code ("" = 无要求). The code order is the level order:
    # a smaller first digit is a higher level (10 postgraduate … 90 other).
    education = models.CharField(_("minimum education"), max_length=2, blank=True)
    age_min = models.PositiveSmallIntegerField(_("minimum age"), null=True, blank=True)
    age_max = models.PositiveSmallIntegerField(_("maximum age"), null=True, blank=True)
    experience_years = models.PositiveSmallIntegerField(
        _("years of experience"), null=True, blank=True
    )
    region_code = models.CharField(_("workplace region"), max_length=12)
    address = models.CharField(_("workplace address"), max_length=200, blank=True)
    longitude = models.DecimalField(
        _("longitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    latitude = models.DecimalField(
        _("latitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    kind = models.CharField(
        _("type"), max_length=12, choices=PostingKind.choices, default=PostingKind.FULL_TIME
    )
    channel = models.CharField(
        _("channel"), max_length=10, choices=Channel.choices, default=Channel.EMPLOYER
    )
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"))
    status = models.CharField(
        _("status"), max_length=10, choices=PostingStatus.choices, default=PostingStatus.DRAFT
    )
    # Findings of the forbidden-requirement check: a list of
    # {"field", "start", "end", "phrase", "category"} dicts, offsets into that field's text.
    review_flags = models.JSONField(_("review findings"), default=list, blank=True)
    review_note = models.CharField(_("review note"), max_length=500, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    closed_reason = models.CharField(_("reason"), max_length=200, blank=True)
    external_id = models.CharField(_("external id"), max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )

    class Meta:
        verbose_name = _("job posting")
        verbose_name_plural = _("job postings")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["region_code", "id"], name="posting_region_idx"),
            models.Index(fields=["status", "valid_to"], name="posting_status_idx"),
            models.Index(fields=["external_id"], name="posting_external_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(wage_min__isnull=True)
                | Q(wage_max__isnull=True)
                | Q(wage_min__lte=models.F("wage_max")),
                name="posting_wage_range",
            ),
            models.CheckConstraint(
                condition=Q(age_min__isnull=True)
                | Q(age_max__isnull=True)
                | Q(age_min__lte=models.F("age_max")),
                name="posting_age_range",
            ),
            models.CheckConstraint(
                condition=Q(valid_from__lte=models.F("valid_to")), name="posting_valid_range"
            ),
        ]

    def __str__(self):
        return self.title


class ApplicationStatus(models.TextChoices):
    APPLIED = "applied", _("Applied")
    INTERVIEW = "interview", _("Interviewing")
    OFFERED = "offered", _("Offered")
    HIRED = "hired", _("Hired")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class ApplicationSource(models.TextChoices):
    STAFF = "staff", _("Referred by staff")
    SELF = "self", _("Applied themselves")
    FAIR = "fair", _("At a job fair")
    RECOMMENDATION = "recommendation", _("From a recommendation")


class Application(TimeStampedModel):
    posting = models.ForeignKey(
        Posting, models.CASCADE, related_name="applications", verbose_name=_("posting")
    )
    person = models.ForeignKey(
        "registry.Person", models.CASCADE, related_name="applications", verbose_name=_("person")
    )
    region_code = models.CharField(_("region"), max_length=12)  # the posting's region
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=ApplicationStatus.choices,
        default=ApplicationStatus.APPLIED,
    )
    source = models.CharField(
        _("source"),
        max_length=16,
        choices=ApplicationSource.choices,
        default=ApplicationSource.STAFF,
    )
    # Why it was withdrawn or rejected; kept with the record.
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    fair = models.ForeignKey(
        "JobFair",
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="applications",
        verbose_name=_("job fair"),
    )

    class Meta:
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["posting", "person"], name="application_unique"),
        ]
        indexes = [models.Index(fields=["region_code", "id"], name="application_region_idx")]

    def __str__(self):
        return f"{self.person_id} → {self.posting_id}"


class InterviewResult(models.TextChoices):
    PENDING = "pending", _("Pending")
    PASSED = "passed", _("Passed")
    FAILED = "failed", _("Not passed")
    NO_SHOW = "no_show", _("Did not attend")


class Interview(TimeStampedModel):
    application = models.ForeignKey(
        Application, models.CASCADE, related_name="interviews", verbose_name=_("application")
    )
    region_code = models.CharField(_("region"), max_length=12)
    scheduled_at = models.DateTimeField(_("time"))
    place = models.CharField(_("place or link"), max_length=200, blank=True)
    result = models.CharField(
        _("result"), max_length=10, choices=InterviewResult.choices, default=InterviewResult.PENDING
    )
    notes = models.CharField(_("notes"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("interview")
        verbose_name_plural = _("interviews")
        ordering = ["scheduled_at", "id"]


class Hire(TimeStampedModel):
    """A hire. Created together with the registry's 就业登记 event (one action)."""

    application = models.OneToOneField(
        Application, models.PROTECT, related_name="hire", verbose_name=_("application")
    )
    region_code = models.CharField(_("region"), max_length=12)
    start_date = models.DateField(_("start date"))
    monthly_wage = models.PositiveIntegerField(_("monthly wage"), null=True, blank=True)
    contract_type = models.CharField(_("contract type"), max_length=12, blank=True)
    contract_end = models.DateField(_("contract end"), null=True, blank=True)
    event = models.OneToOneField(
        "registry.EmploymentEvent",
        models.PROTECT,
        related_name="hire",
        verbose_name=_("employment registration"),
    )

    class Meta:
        verbose_name = _("hire")
        verbose_name_plural = _("hires")
        ordering = ["-id"]


class FairKind(models.TextChoices):
    FAIR = "fair", _("Job fair")  # 招聘会
    MATCHING = "matching", _("Matching meeting")  # 对接会


class FairMode(models.TextChoices):
    ONSITE = "onsite", _("On site")
    ONLINE = "online", _("Online")
    BOTH = "both", _("On site and online")


class FairStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


class JobFair(TimeStampedModel):
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("type"), max_length=10, choices=FairKind.choices)
    mode = models.CharField(_("mode"), max_length=10, choices=FairMode.choices)
    region_code = models.CharField(_("organising region"), max_length=12)
    service_point = models.ForeignKey(
        "regions.ServicePoint",
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="fairs",
        verbose_name=_("service point"),
    )
    venue = models.CharField(_("venue or link"), max_length=200, blank=True)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    status = models.CharField(
        _("status"), max_length=10, choices=FairStatus.choices, default=FairStatus.PLANNED
    )
    theme = models.CharField(_("theme"), max_length=200, blank=True)  # e.g. 春风行动, 高校毕业生
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("job fair")
        verbose_name_plural = _("job fairs")
        ordering = ["-starts_at", "-id"]
        indexes = [models.Index(fields=["region_code", "id"], name="fair_region_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(starts_at__lte=models.F("ends_at")), name="fair_time_range"
            ),
        ]

    def __str__(self):
        return self.name


class FairEmployer(models.Model):
    fair = models.ForeignKey(
        JobFair, models.CASCADE, related_name="participants", verbose_name=_("job fair")
    )
    employer = models.ForeignKey(
        "registry.Employer", models.PROTECT, related_name="fairs", verbose_name=_("employer")
    )
    booth = models.CharField(_("booth"), max_length=50, blank=True)
    postings = models.ManyToManyField(
        Posting, blank=True, related_name="fair_entries", verbose_name=_("postings")
    )

    class Meta:
        verbose_name = _("participating employer")
        verbose_name_plural = _("participating employers")
        constraints = [
            models.UniqueConstraint(fields=["fair", "employer"], name="fair_employer_unique"),
        ]

    def __str__(self):
        return f"{self.fair_id} {self.employer_id}"


class FairAttendee(models.Model):
    fair = models.ForeignKey(
        JobFair, models.CASCADE, related_name="attendees", verbose_name=_("job fair")
    )
    person = models.ForeignKey(
        "registry.Person", models.CASCADE, related_name="fairs", verbose_name=_("person")
    )
    registered_at = models.DateTimeField(_("registered at"), auto_now_add=True)
    checked_in = models.BooleanField(_("attended"), default=False)

    class Meta:
        verbose_name = _("attendee")
        verbose_name_plural = _("attendees")
        constraints = [
            models.UniqueConstraint(fields=["fair", "person"], name="fair_attendee_unique"),
        ]

    def __str__(self):
        return f"{self.fair_id} {self.person_id}"


class IntentionOutcome(models.TextChoices):
    PENDING = "pending", _("Pending")
    HIRED = "hired", _("Hired")
    DECLINED = "declined", _("Did not proceed")


class FairIntention(TimeStampedModel):
    """An intention signed at a fair (达成意向) between an attendee and a posting."""

    fair = models.ForeignKey(
        JobFair, models.CASCADE, related_name="intentions", verbose_name=_("job fair")
    )
    person = models.ForeignKey(
        "registry.Person", models.CASCADE, related_name="fair_intentions", verbose_name=_("person")
    )
    posting = models.ForeignKey(
        Posting, models.CASCADE, related_name="fair_intentions", verbose_name=_("posting")
    )
    signed_on = models.DateField(_("signed on"))
    outcome = models.CharField(
        _("outcome"),
        max_length=10,
        choices=IntentionOutcome.choices,
        default=IntentionOutcome.PENDING,
    )
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("signed intention")
        verbose_name_plural = _("signed intentions")
        constraints = [
            models.UniqueConstraint(
                fields=["fair", "person", "posting"], name="fair_intention_unique"
            ),
        ]
