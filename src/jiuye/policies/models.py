"""Policies as code: eligibility runs, entitlements, applications, payments, budgets.

The rules themselves are Python modules (``jiuye.policies.rules``) with dated YAML parameters
(``jiuye.policies.parameters``); nothing here stores a rule. These tables store what the rules
decided and what happened to the money afterwards:

* ``PolicyRun`` — one 政策找人 run (policies, as-of date, region), with progress counters.
* ``PolicyResult`` — the latest decision per (policy, subject, period): each condition's outcome,
  the amount, the run (whose ``param_versions`` say which parameter versions were used).
  Re-running a period updates the same rows, so runs are idempotent.
* ``Notice`` — the outbox (in-app messages; the SMS adapter reads it too). Unique per
  (policy, subject, period, channel): a re-run notifies nobody twice.
* ``Entitlement`` — money someone is owed (直补快办), unique per (policy, subject, period); a
  mutually exclusive group of policies shares one ``exclusion_key`` (unique).
* ``Application`` with ``ApplicationMaterial`` and ``ApplicationStep`` — the online application
  path, moved along the workflow declared in ``jiuye.policies.workflows``.
* ``FundBudget``, ``PaymentBatch``, ``PaymentItem`` — money out. A payment item is unique per
  (policy, subject, period) among items not failed: a database constraint, not only code.
* ``BlacklistEntry`` — an employer on the 拖欠农民工工资失信联合惩戒 list, dated.
* ``Internship`` — a 就业见习 placement, the input of the 就业见习补贴.

Every table carries a ``region_code`` so the one scoping mechanism applies directly.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from jiuye.core.crypto import EncryptedCharField
from jiuye.core.models import TimeStampedModel


class SubjectType(models.TextChoices):
    PERSON = "person", _("Person")
    EMPLOYER = "employer", _("Employer")


class Fund(models.TextChoices):
    UNEMPLOYMENT_INSURANCE = "ui_fund", _("Unemployment insurance fund")
    EMPLOYMENT_SUBSIDY = "employment_fund", _("Employment subsidy fund")
    STARTUP_LOAN = "loan_fund", _("Start-up guaranteed loan interest fund")


# --------------------------------------------------------------------------------------------
# 政策找人 runs and results


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class PolicyRun(TimeStampedModel):
    # Policy codes evaluated, e.g. ["expansion_subsidy"]; empty = every policy.
    policies = models.JSONField(_("policies"), default=list, blank=True)
    as_of = models.DateField(_("as of"))
    region_code = models.CharField(_("region"), max_length=12, db_index=True)
    status = models.CharField(
        _("status"), max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED
    )
    # Progress: units are "rows evaluated"; total is known once the population is loaded.
    stage = models.CharField(_("stage"), max_length=50, blank=True)
    total = models.PositiveIntegerField(_("total"), default=0)
    processed = models.PositiveIntegerField(_("processed"), default=0)
    # Per policy: {"candidates": n, "eligible": n, "amount": "…", "notices": n}.
    counts = models.JSONField(_("counts"), default=dict, blank=True)
    # Per policy: {"param.name": "param.name@2024-01-01", …} — the versions this run used.
    param_versions = models.JSONField(_("parameter versions"), default=dict, blank=True)
    timings = models.JSONField(_("timings"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )

    class Meta:
        verbose_name = _("policy run")
        verbose_name_plural = _("policy runs")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.as_of} {self.region_code} {','.join(self.policies) or '*'}"


class PolicyResult(models.Model):
    policy = models.CharField(_("policy"), max_length=40)
    subject_type = models.CharField(_("subject type"), max_length=10, choices=SubjectType.choices)
    subject_id = models.BigIntegerField(_("subject"))
    # Who would be paid (the employer for hiring subsidies, else the subject).
    payee_type = models.CharField(_("payee type"), max_length=10, choices=SubjectType.choices)
    payee_id = models.BigIntegerField(_("payee"))
    # The period the decision is about: "once", "2024", "2025-Q3", "2025-07", "6-18-02-04:4"…
    period = models.CharField(_("period"), max_length=40)
    # The subject's region (a person's residence, an employer's seat): scoping and push lists.
    region_code = models.CharField(_("region"), max_length=12)
    as_of = models.DateField(_("as of"))
    eligible = models.BooleanField(_("eligible"))
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2, default=0)
    # {condition code: true/false}, in the policy's declared order.
    conditions = models.JSONField(_("conditions"), default=dict)
    # A few input facts shown beside the conditions (age, months insured, …).
    facts = models.JSONField(_("facts"), default=dict, blank=True)
    run = models.ForeignKey(
        PolicyRun, models.SET_NULL, null=True, blank=True, related_name="results"
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("eligibility result")
        verbose_name_plural = _("eligibility results")
        constraints = [
            models.UniqueConstraint(
                fields=["policy", "subject_type", "subject_id", "period"],
                name="policy_result_unique",
            )
        ]
        indexes = [
            models.Index(fields=["region_code", "policy"], name="policy_result_region_idx"),
            models.Index(fields=["run", "eligible"], name="policy_result_run_idx"),
            models.Index(fields=["subject_type", "subject_id"], name="policy_result_subject_idx"),
        ]

    def __str__(self):
        return f"{self.policy} {self.subject_type}:{self.subject_id} {self.period}"


class NoticeChannel(models.TextChoices):
    IN_APP = "in_app", _("In-app message")
    SMS = "sms", _("SMS")


class NoticeStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class Notice(models.Model):
    """The outbox. A sender (``jiuye.policies.notify``) moves queued notices to sent."""

    policy = models.CharField(_("policy"), max_length=40)
    subject_type = models.CharField(_("subject type"), max_length=10, choices=SubjectType.choices)
    subject_id = models.BigIntegerField(_("subject"))
    period = models.CharField(_("period"), max_length=40)
    channel = models.CharField(_("channel"), max_length=10, choices=NoticeChannel.choices)
    region_code = models.CharField(_("region"), max_length=12)
    recipient = models.CharField(_("recipient"), max_length=200, blank=True)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"))
    status = models.CharField(
        _("status"), max_length=10, choices=NoticeStatus.choices, default=NoticeStatus.QUEUED
    )
    run = models.ForeignKey(PolicyRun, models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    error = models.CharField(_("error"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["policy", "subject_type", "subject_id", "period", "channel"],
                name="notice_unique",
            )
        ]
        indexes = [
            models.Index(fields=["status", "channel"], name="notice_status_idx"),
            models.Index(fields=["region_code"], name="notice_region_idx"),
        ]

    def __str__(self):
        return self.title


# --------------------------------------------------------------------------------------------
# Entitlements (直补快办) and applications


class EntitlementStatus(models.TextChoices):
    AWAITING_CONFIRMATION = "awaiting", _("Awaiting the subject's confirmation")
    CONFIRMED = "confirmed", _("Confirmed, awaiting review")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    DECLINED = "declined", _("Declined by the subject")
    IN_BATCH = "in_batch", _("In a payment batch")
    PAID = "paid", _("Paid")
    PAYMENT_FAILED = "pay_failed", _("Payment failed")


class Entitlement(TimeStampedModel):
    policy = models.CharField(_("policy"), max_length=40)
    subject_type = models.CharField(_("subject type"), max_length=10, choices=SubjectType.choices)
    subject_id = models.BigIntegerField(_("subject"))
    payee_type = models.CharField(_("payee type"), max_length=10, choices=SubjectType.choices)
    payee_id = models.BigIntegerField(_("payee"))
    period = models.CharField(_("period"), max_length=40)
    region_code = models.CharField(_("region"), max_length=12, db_index=True)
    fund = models.CharField(_("fund"), max_length=20, choices=Fund.choices)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=EntitlementStatus.choices,
        default=EntitlementStatus.AWAITING_CONFIRMATION,
    )
    # Policies that exclude each other (扩岗补助 vs 吸纳就业补贴, once per person…) give their
    # entitlements the same key; the unique constraint makes the exclusion hold across runs,
    # years and regions. Blank when the policy is in no exclusion group.
    exclusion_key = models.CharField(_("exclusion key"), max_length=80, blank=True)
    result = models.ForeignKey(
        PolicyResult, models.SET_NULL, null=True, blank=True, related_name="entitlements"
    )
    account_holder = models.CharField(_("account holder"), max_length=100, blank=True)
    bank_name = models.CharField(_("bank"), max_length=100, blank=True)
    bank_account = EncryptedCharField(_("bank account"), blank=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("entitlement")
        verbose_name_plural = _("entitlements")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["policy", "subject_type", "subject_id", "period"],
                name="entitlement_unique",
            ),
            models.UniqueConstraint(
                fields=["exclusion_key"],
                condition=~Q(exclusion_key="") & ~Q(status__in=["rejected", "declined"]),
                name="entitlement_exclusion_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "policy"], name="entitlement_status_idx"),
            models.Index(fields=["subject_type", "subject_id"], name="entitlement_subject_idx"),
        ]

    def __str__(self):
        return f"{self.policy} {self.subject_type}:{self.subject_id} {self.period}"


class ApplicationStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_PROGRESS = "in_progress", _("In progress")
    RETURNED = "returned", _("Returned for correction")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Application(TimeStampedModel):
    """An online application for a policy that is not 免申即享, moved along its workflow."""

    policy = models.CharField(_("policy"), max_length=40)
    workflow = models.CharField(_("workflow"), max_length=40)
    subject_type = models.CharField(_("subject type"), max_length=10, choices=SubjectType.choices)
    subject_id = models.BigIntegerField(_("subject"))
    payee_type = models.CharField(_("payee type"), max_length=10, choices=SubjectType.choices)
    payee_id = models.BigIntegerField(_("payee"))
    period = models.CharField(_("period"), max_length=40)
    region_code = models.CharField(_("region"), max_length=12, db_index=True)
    # The form as filled in; validated against the policy's form schema.
    form = models.JSONField(_("form"), default=dict, blank=True)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2, default=0)
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=ApplicationStatus.choices,
        default=ApplicationStatus.DRAFT,
    )
    # The current workflow step code (blank before submission and after the end).
    step = models.CharField(_("step"), max_length=20, blank=True)
    step_due = models.DateField(_("step due"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    entitlement = models.OneToOneField(
        Entitlement,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="application",
        verbose_name=_("entitlement"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )

    class Meta:
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        ordering = ["-created_at", "-id"]
        constraints = [
            # One live application per (policy, subject, period); a rejected or withdrawn one
            # may be followed by a new one.
            models.UniqueConstraint(
                fields=["policy", "subject_type", "subject_id", "period"],
                condition=~Q(status__in=["rejected", "withdrawn"]),
                name="application_live_unique",
            )
        ]
        indexes = [models.Index(fields=["status", "step"], name="application_status_idx")]

    def __str__(self):
        return f"{self.policy} {self.subject_type}:{self.subject_id} {self.period}"


def _material_path(instance, filename):
    return f"policies/applications/{instance.application_id}/{filename}"


class ApplicationMaterial(models.Model):
    application = models.ForeignKey(
        Application, models.CASCADE, related_name="materials", verbose_name=_("application")
    )
    kind = models.CharField(_("material"), max_length=50)
    file = models.FileField(_("file"), upload_to=_material_path)
    original_name = models.CharField(_("file name"), max_length=200)
    size = models.PositiveIntegerField(_("size"), default=0)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("application material")
        verbose_name_plural = _("application materials")
        ordering = ["uploaded_at", "id"]

    def __str__(self):
        return self.original_name


class ApplicationStep(models.Model):
    """One action on an application: who did what at which step, with the comment."""

    application = models.ForeignKey(
        Application, models.CASCADE, related_name="steps", verbose_name=_("application")
    )
    step = models.CharField(_("step"), max_length=20)
    action = models.CharField(_("action"), max_length=20)
    comment = models.CharField(_("comment"), max_length=500, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_region_code = models.CharField(_("actor's region"), max_length=12, blank=True)
    at = models.DateTimeField(_("time"), auto_now_add=True)
    overdue = models.BooleanField(_("overdue"), default=False)

    class Meta:
        verbose_name = _("application step")
        verbose_name_plural = _("application steps")
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.step} {self.action}"


# --------------------------------------------------------------------------------------------
# Money: budgets and payment batches


class FundBudget(TimeStampedModel):
    fund = models.CharField(_("fund"), max_length=20, choices=Fund.choices)
    region_code = models.CharField(_("region"), max_length=12)
    year = models.PositiveSmallIntegerField(_("year"))
    amount = models.DecimalField(_("budget"), max_digits=14, decimal_places=2)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("fund budget")
        verbose_name_plural = _("fund budgets")
        ordering = ["-year", "region_code", "fund"]
        constraints = [
            models.UniqueConstraint(
                fields=["fund", "region_code", "year"], name="fund_budget_unique"
            )
        ]

    def __str__(self):
        return f"{self.fund} {self.region_code} {self.year}"


class BatchStatus(models.TextChoices):
    OPEN = "open", _("Open")
    EXPORTED = "exported", _("Sent to the bank")
    RECONCILED = "reconciled", _("Bank result imported")


class PaymentBatch(TimeStampedModel):
    name = models.CharField(_("name"), max_length=200)
    fund = models.CharField(_("fund"), max_length=20, choices=Fund.choices)
    region_code = models.CharField(_("region"), max_length=12, db_index=True)
    # Declared before any item is added; items beyond either are refused.
    declared_count = models.PositiveIntegerField(_("declared count"))
    declared_total = models.DecimalField(_("declared total"), max_digits=14, decimal_places=2)
    status = models.CharField(
        _("status"), max_length=10, choices=BatchStatus.choices, default=BatchStatus.OPEN
    )
    exported_at = models.DateTimeField(_("exported at"), null=True, blank=True)
    reconciled_at = models.DateTimeField(_("reconciled at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )

    class Meta:
        verbose_name = _("payment batch")
        verbose_name_plural = _("payment batches")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(declared_total__gte=0), name="payment_batch_total_nonnegative"
            )
        ]

    def __str__(self):
        return self.name


class PaymentItemStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    PAID = "paid", _("Paid")
    FAILED = "failed", _("Failed")


class PaymentItem(models.Model):
    batch = models.ForeignKey(
        PaymentBatch, models.PROTECT, related_name="items", verbose_name=_("batch")
    )
    entitlement = models.ForeignKey(
        Entitlement, models.PROTECT, related_name="payments", verbose_name=_("entitlement")
    )
    # Copied from the entitlement so the database itself can refuse a second payment.
    policy = models.CharField(_("policy"), max_length=40)
    subject_type = models.CharField(_("subject type"), max_length=10, choices=SubjectType.choices)
    subject_id = models.BigIntegerField(_("subject"))
    period = models.CharField(_("period"), max_length=40)
    region_code = models.CharField(_("region"), max_length=12)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    payee_name = models.CharField(_("payee"), max_length=200)
    bank_name = models.CharField(_("bank"), max_length=100, blank=True)
    bank_account = EncryptedCharField(_("bank account"), blank=True)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=PaymentItemStatus.choices,
        default=PaymentItemStatus.PENDING,
    )
    bank_reference = models.CharField(_("bank reference"), max_length=100, blank=True)
    failure_reason = models.CharField(_("failure reason"), max_length=200, blank=True)
    settled_at = models.DateTimeField(_("settled at"), null=True, blank=True)

    class Meta:
        verbose_name = _("payment item")
        verbose_name_plural = _("payment items")
        ordering = ["id"]
        constraints = [
            # Nobody is paid twice for the same (policy, subject, period): at most one item
            # that is pending or paid. A failed item may be followed by one in a later batch.
            models.UniqueConstraint(
                fields=["policy", "subject_type", "subject_id", "period"],
                condition=~Q(status="failed"),
                name="payment_once_per_policy_subject_period",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_item_positive"),
        ]

    def __str__(self):
        return f"{self.batch_id}: {self.policy} {self.subject_type}:{self.subject_id}"


# --------------------------------------------------------------------------------------------
# Inputs the registry does not hold


class BlacklistEntry(TimeStampedModel):
    """An employer on the 拖欠农民工工资失信联合惩戒对象名单 (dated). While listed it is
    ineligible for every subsidy. Managed here until the rights work takes it over."""

    employer = models.ForeignKey(
        "registry.Employer",
        models.CASCADE,
        related_name="blacklist_entries",
        verbose_name=_("employer"),
    )
    region_code = models.CharField(_("region"), max_length=12, db_index=True)
    listed_on = models.DateField(_("listed on"))
    removed_on = models.DateField(_("removed on"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=500)
    decision_number = models.CharField(_("decision number"), max_length=100, blank=True)
    authority = models.CharField(_("listing authority"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("blacklist entry")
        verbose_name_plural = _("blacklist entries")
        ordering = ["-listed_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(removed_on__isnull=True) | Q(removed_on__gte=models.F("listed_on")),
                name="blacklist_dates_ordered",
            )
        ]

    def __str__(self):
        return f"{self.employer_id} {self.listed_on}"


class Internship(TimeStampedModel):
    """A 就业见习 placement: the intern, the host unit, the months served."""

    person = models.ForeignKey(
        "registry.Person", models.CASCADE, related_name="internships", verbose_name=_("intern")
    )
    host = models.ForeignKey(
        "registry.Employer", models.PROTECT, related_name="internships", verbose_name=_("host")
    )
    region_code = models.CharField(_("region"), max_length=12, db_index=True)
    start_on = models.DateField(_("start"))
    planned_end_on = models.DateField(_("planned end"))
    # Set when the internship ended early or on time; blank while it runs.
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    # The host signed an employment contract with the intern (留用).
    retained_on = models.DateField(_("retained on"), null=True, blank=True)

    class Meta:
        verbose_name = _("internship")
        verbose_name_plural = _("internships")
        ordering = ["-start_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(planned_end_on__gt=models.F("start_on")),
                name="internship_dates_ordered",
            )
        ]

    def __str__(self):
        return f"{self.person_id}@{self.host_id} {self.start_on}"
