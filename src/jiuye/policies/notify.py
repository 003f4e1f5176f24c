"""The outbox: notices telling people and employers what a run found them eligible for.

``queue_for_run(run)`` writes ``Notice`` rows for the eligible results of a run, addressed to
whoever would be paid (the payee):

* an **in-app** message when the payee is a person (the portal shows it in their inbox);
* an **SMS** when the payee has a phone number (a person's phone, an employer's contact
  phone).

A notice is unique per (policy, subject, period, channel), so running the same period again
queues nothing twice; a notice keeps the run that first queued it.

``send_queued(limit=…)`` delivers queued notices: an in-app notice is delivered by being
marked sent (the inbox reads the table); an SMS goes through the sender named by
``settings.JIUYE_SMS_SENDER`` (a dotted path to a ``SmsSender`` subclass). The default,
``OutboxLogSender``, sends nothing over the network: it writes the message to the log (the
phone number masked) and the notice is marked sent. A gateway adapter implements
``SmsSender.send(notice)`` and raises ``SmsError`` when the gateway refuses; the notice is
then marked failed with the reason.

The text is written in Chinese (``JIUYE_NOTICE_LANGUAGE``, default zh-Hans) whatever the
language of whoever started the run: it says which policy, how much, and what to do next —
confirm the bank account for a policy paid without application (免申即享), else apply.
"""

from __future__ import annotations

import logging
from collections import Counter
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone, translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from jiuye.core.masking import mask_name, mask_phone
from jiuye.policies.models import (
    Notice,
    NoticeChannel,
    NoticeStatus,
    PolicyResult,
    PolicyRun,
    SubjectType,
)
from jiuye.policies.rules import all_policies
from jiuye.registry.models import Employer, Person

logger = logging.getLogger(__name__)

__all__ = [
    "OutboxLogSender",
    "SmsError",
    "SmsSender",
    "get_sms_sender",
    "queue_for_run",
    "send_queued",
]

DEFAULT_SMS_SENDER = "jiuye.policies.notify.OutboxLogSender"
CHUNK = 5000


class SmsError(Exception):
    """A gateway refused a message; the text is stored on the notice."""


class SmsSender:
    """The SMS adapter interface. Subclasses send ``notice.body`` to ``notice.recipient``
    (a phone number) and raise ``SmsError`` on failure; returning means sent."""

    def send(self, notice: Notice) -> None:
        raise NotImplementedError


class OutboxLogSender(SmsSender):
    """The default: no network. The message goes to the log, with the number masked."""

    def send(self, notice: Notice) -> None:
        logger.info(
            "SMS notice %s to %s: %s — %s",
            notice.pk,
            mask_phone(notice.recipient),
            notice.title,
            notice.body,
        )


def get_sms_sender() -> SmsSender:
    path = getattr(settings, "JIUYE_SMS_SENDER", "") or DEFAULT_SMS_SENDER
    sender = import_string(path)
    return sender() if isinstance(sender, type) else sender


def _language() -> str:
    return getattr(settings, "JIUYE_NOTICE_LANGUAGE", "") or "zh-hans"


def _yuan(amount) -> str:
    value = Decimal(amount).quantize(Decimal("0.01"))
    return f"{value:f}".removesuffix(".00")


def notice_text(policy, *, amount, payee_type: str, subject_name: str = "") -> tuple[str, str]:
    """(title, body) of a notice, in the current language."""
    name = str(policy.name)
    title = _("Policy notice: %(policy)s") % {"policy": name}
    if amount and policy.pays:
        money = _("%(amount)s yuan") % {"amount": _yuan(amount)}
    elif amount:
        money = _("up to %(amount)s yuan") % {"amount": _yuan(amount)}
    else:
        money = ""
    if policy.no_application and policy.pays:
        step = _(
            "No application is needed: please confirm your bank account in the Jiuye app or at "
            "your service point, and the money will be paid to it."
        )
    else:
        step = _("Please apply in the Jiuye app or at your service point.")
    if payee_type == SubjectType.EMPLOYER:
        if money:
            found = _("Your unit may receive %(policy)s (%(money)s) for employing %(person)s.") % {
                "policy": name,
                "money": money,
                "person": subject_name,
            }
        else:
            found = _("Your unit may qualify for %(policy)s for employing %(person)s.") % {
                "policy": name,
                "person": subject_name,
            }
    elif money:
        found = _("According to the registry you qualify for %(policy)s (%(money)s).") % {
            "policy": name,
            "money": money,
        }
    else:
        found = _("According to the registry you qualify for %(policy)s.") % {"policy": name}
    # Chinese sentences follow each other without a space.
    chinese = (translation.get_language() or "").startswith("zh")
    return title, f"{found}{step}" if chinese else f"{found} {step}"


_FIELDS = (
    "policy",
    "subject_type",
    "subject_id",
    "period",
    "channel",
    "region_code",
    "recipient",
    "title",
    "body",
)


def _lookup(model, ids: set[int], fields: tuple[str, ...]) -> dict[int, tuple]:
    out = {}
    ids = sorted(ids)
    for start in range(0, len(ids), CHUNK):
        for pk, *values in model.objects.filter(pk__in=ids[start : start + CHUNK]).values_list(
            "pk", *fields
        ):
            out[pk] = tuple(values)
    return out


def _notices(results: list[tuple]) -> list[tuple]:
    """The notices still missing for ``results`` (each with flags: which channels exist)."""
    policies = all_policies()
    need_phone_people = {r[4] for r in results if r[3] == SubjectType.PERSON and not r[9]}
    need_phone_employers = {r[4] for r in results if r[3] == SubjectType.EMPLOYER and not r[9]}
    named = {r[2] for r in results if r[1] == SubjectType.PERSON and r[3] != SubjectType.PERSON}
    people = _lookup(Person, need_phone_people | named, ("phone", "name"))
    employers = _lookup(Employer, need_phone_employers, ("contact_phone",))
    texts: dict[tuple, tuple[str, str]] = {}
    out = []
    with translation.override(_language()):
        for row in results:
            code, subject_type, subject_id, payee_type, payee_id, period, region, amount = row[:8]
            has_in_app, has_sms = row[8], row[9]
            policy = policies.get(code)
            if policy is None:
                continue  # a policy removed since: nothing to say about it
            subject_name = ""
            if subject_type == SubjectType.PERSON and payee_type != SubjectType.PERSON:
                subject_name = mask_name(people.get(subject_id, ("", ""))[1])
            # The same words for everyone paid the same under a policy: write them once.
            key = (code, amount, payee_type, subject_name)
            if key not in texts:
                title, body = notice_text(
                    policy, amount=amount, payee_type=payee_type, subject_name=subject_name
                )
                texts[key] = (title[:200], body)
            title, body = texts[key]
            common = (code, subject_type, subject_id, period)
            if payee_type == SubjectType.PERSON:
                if not has_in_app:
                    out.append(
                        (*common, NoticeChannel.IN_APP, region, f"person:{payee_id}", title, body)
                    )
                phone = people.get(payee_id, ("", ""))[0] if not has_sms else ""
            else:
                phone = employers.get(payee_id, ("",))[0] if not has_sms else ""
            if phone:
                out.append((*common, NoticeChannel.SMS, region, phone, title, body))
    return out


def _channel_exists(channel: str) -> Exists:
    return Exists(
        Notice.objects.filter(
            policy=OuterRef("policy"),
            subject_type=OuterRef("subject_type"),
            subject_id=OuterRef("subject_id"),
            period=OuterRef("period"),
            channel=channel,
        )
    )


def queue_for_run(run: PolicyRun) -> dict[str, int]:
    """Queue the notices of the run's eligible results; per policy, how many were new.

    Results already notified on every channel they can have are left out in SQL, so running
    a period again costs little."""
    queued: Counter = Counter()
    results = (
        PolicyResult.objects.filter(run=run, eligible=True)
        .annotate(
            has_in_app=_channel_exists(NoticeChannel.IN_APP),
            has_sms=_channel_exists(NoticeChannel.SMS),
        )
        .exclude(Q(has_in_app=True, has_sms=True))
        .exclude(Q(payee_type=SubjectType.EMPLOYER, has_sms=True))
        .order_by("id")
        .values_list(
            "policy",
            "subject_type",
            "subject_id",
            "payee_type",
            "payee_id",
            "period",
            "region_code",
            "amount",
            "has_in_app",
            "has_sms",
        )
    )
    batch: list[tuple] = []
    for row in results.iterator(chunk_size=CHUNK):
        batch.append(row)
        if len(batch) >= CHUNK:
            queued.update(_insert(run, _notices(batch)))
            batch = []
    if batch:
        queued.update(_insert(run, _notices(batch)))
    return dict(queued)


def _insert(run: PolicyRun, notices: list[tuple]) -> Counter:
    """Insert, skipping any queued meanwhile (the unique constraint); count the new ones."""
    if not notices:
        return Counter()
    with transaction.atomic():
        if connection.vendor == "postgresql":
            return _insert_copy(run, notices)
        objects = [Notice(run=run, **dict(zip(_FIELDS, n, strict=True))) for n in notices]
        # They were missing when the results were read; one queued by someone else since is
        # skipped by the constraint (and still counted here: SQLite cannot say which).
        Notice.objects.bulk_create(objects, batch_size=1000, ignore_conflicts=True)
        return Counter(n[0] for n in notices)


def _insert_copy(run: PolicyRun, notices: list[tuple]) -> Counter:
    table = connection.ops.quote_name(Notice._meta.db_table)
    columns = ", ".join(_FIELDS)
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS jy_notices")
        cursor.execute(
            "CREATE TEMPORARY TABLE jy_notices (policy text, subject_type text, "
            "subject_id bigint, period text, channel text, region_code text, recipient text, "
            "title text, body text)"
        )
        with cursor.cursor.copy(f"COPY jy_notices ({columns}) FROM STDIN") as copy:
            for notice in notices:
                copy.write_row(notice)
        cursor.execute(
            f"WITH new AS (INSERT INTO {table} ({columns}, run_id, status, created_at, error) "
            f"SELECT {columns}, %s, %s, %s, '' FROM jy_notices "
            f"ON CONFLICT (policy, subject_type, subject_id, period, channel) DO NOTHING "
            f"RETURNING policy) SELECT policy, COUNT(*) FROM new GROUP BY policy",
            [run.pk, NoticeStatus.QUEUED, timezone.now()],
        )
        counts = Counter(dict(cursor.fetchall()))
        cursor.execute("DROP TABLE jy_notices")
    return counts


def send_queued(*, limit: int = 500) -> dict[str, int]:
    """Deliver up to ``limit`` queued notices, oldest first. Returns sent and failed counts."""
    sender = None
    report = {"sent": 0, "failed": 0}
    with transaction.atomic():
        queued = Notice.objects.filter(status=NoticeStatus.QUEUED).order_by("id")
        if connection.features.has_select_for_update_skip_locked:
            # Two senders at once take different notices.
            queued = queued.select_for_update(skip_locked=True)
        batch = list(queued[:limit])
        now = timezone.now()
        for notice in batch:
            if notice.channel == NoticeChannel.SMS:
                sender = sender or get_sms_sender()
                try:
                    sender.send(notice)
                except Exception as exc:  # a gateway's failure is the notice's, not ours
                    notice.status = NoticeStatus.FAILED
                    notice.error = (str(exc) or exc.__class__.__name__)[:200]
                    report["failed"] += 1
                    continue
            notice.status = NoticeStatus.SENT
            notice.sent_at = now
            report["sent"] += 1
        Notice.objects.bulk_update(batch, ["status", "sent_at", "error"], batch_size=1000)
    return report
