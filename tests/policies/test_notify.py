"""The outbox: notices queued once per (policy, subject, period, channel), their text, and
delivery through the pluggable SMS sender."""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal

import pytest
from django.utils import translation
from tests.conftest import valid_uscc
from tests.policies.test_loader import AS_OF, QUWO
from tests.policies.test_runs import hires  # noqa: F401  (a fixture)

from jiuye.policies import notify
from jiuye.policies.models import Notice, NoticeStatus, PolicyResult, PolicyRun
from jiuye.policies.rules import all_policies
from jiuye.policies.runs import run_policies
from jiuye.registry.models import Employer

VILLAGE = "141021100200"


class RefusingSender(notify.SmsSender):
    """An SMS gateway adapter whose gateway refuses every message."""

    def send(self, notice):
        raise notify.SmsError("gateway says no")


@pytest.fixture
def english(settings):
    settings.LANGUAGE_CODE = "en"
    settings.JIUYE_NOTICE_LANGUAGE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def results(staff, person_factory):
    """A run with hand-made results: a person paid without application (skills subsidy is
    not, so: a person applying), a loan limit, an employer's subsidy, and an ineligible one."""
    run = PolicyRun.objects.create(as_of=AS_OF, region_code=QUWO, status="done")
    with_phone = person_factory("钱多", VILLAGE, dt.date(1990, 1, 1), phone="13800001111")
    no_phone = person_factory("钱少", VILLAGE, dt.date(1991, 1, 1))
    employer_payee = person_factory("钱工", VILLAGE, dt.date(2001, 1, 1))
    employer = Employer.objects.create(
        uscc=valid_uscc(21), name="某公司", region_code=VILLAGE, contact_phone="0357-5551234"
    )

    def result(policy, subject, payee_type, payee_id, amount, eligible=True, period="2025"):
        return PolicyResult.objects.create(
            policy=policy,
            subject_type="person",
            subject_id=subject.pk,
            payee_type=payee_type,
            payee_id=payee_id,
            period=period,
            region_code=VILLAGE,
            as_of=AS_OF,
            eligible=eligible,
            amount=Decimal(amount),
            conditions={"x": eligible},
            run=run,
        )

    result("skills_subsidy", with_phone, "person", with_phone.pk, "1500")
    result("startup_loan", no_phone, "person", no_phone.pk, "300000")
    result("expansion_subsidy", employer_payee, "employer", employer.pk, "1500", period="once")
    result("skills_subsidy", no_phone, "person", no_phone.pk, "0", eligible=False)
    return {
        "run": run,
        "with_phone": with_phone,
        "no_phone": no_phone,
        "employer": employer,
        "hired": employer_payee,
    }


def test_queue_for_run(results, english):
    queued = notify.queue_for_run(results["run"])
    assert queued == {"skills_subsidy": 2, "startup_loan": 1, "expansion_subsidy": 1}
    channels = {(n.policy, n.subject_id, n.channel): n.recipient for n in Notice.objects.all()}
    person = results["with_phone"].pk
    assert channels == {
        ("skills_subsidy", person, "in_app"): f"person:{person}",
        ("skills_subsidy", person, "sms"): "13800001111",
        ("startup_loan", results["no_phone"].pk, "in_app"): f"person:{results['no_phone'].pk}",
        ("expansion_subsidy", results["hired"].pk, "sms"): "0357-5551234",
    }
    assert set(Notice.objects.values_list("status", flat=True)) == {NoticeStatus.QUEUED}
    assert set(Notice.objects.values_list("region_code", flat=True)) == {VILLAGE}
    assert set(Notice.objects.values_list("run", flat=True)) == {results["run"].pk}


def test_queueing_again_adds_nothing(results, english):
    notify.queue_for_run(results["run"])
    ids = sorted(Notice.objects.values_list("id", flat=True))
    again = PolicyRun.objects.create(as_of=AS_OF, region_code=QUWO, status="done")
    PolicyResult.objects.update(run=again)
    assert notify.queue_for_run(again) == {}
    assert sorted(Notice.objects.values_list("id", flat=True)) == ids
    assert set(Notice.objects.values_list("run", flat=True)) == {results["run"].pk}


def test_a_phone_added_later_gets_its_sms(results, english):
    notify.queue_for_run(results["run"])
    person = results["no_phone"]
    type(person).objects.filter(pk=person.pk).update(phone="13900002222")
    assert notify.queue_for_run(results["run"]) == {"startup_loan": 1}
    sms = Notice.objects.get(policy="startup_loan", channel="sms")
    assert sms.recipient == "13900002222"
    assert notify.queue_for_run(results["run"]) == {}


def test_notice_text_says_what_how_much_and_what_to_do(results, english):
    notify.queue_for_run(results["run"])
    skills = Notice.objects.get(policy="skills_subsidy", channel="sms")
    assert skills.title == "Policy notice: Skills-upgrading subsidy"
    assert "you qualify for Skills-upgrading subsidy (1500 yuan)" in skills.body
    assert "Please apply" in skills.body
    loan = Notice.objects.get(policy="startup_loan")
    assert "(up to 300000 yuan)" in loan.body
    employer = Notice.objects.get(policy="expansion_subsidy")
    # The employer learns whom it concerns, the name masked; no application is needed.
    assert "for employing 钱*" in employer.body and "1500 yuan" in employer.body
    assert "confirm your bank account" in employer.body


def test_notices_are_written_in_chinese_by_default(results, settings):
    settings.JIUYE_NOTICE_LANGUAGE = ""
    with translation.override("en"):  # whoever ran it reads English
        notify.queue_for_run(results["run"])
    with translation.override("zh-hans"):
        name = str(all_policies()["skills_subsidy"].name)
        title = notify.notice_text(
            all_policies()["skills_subsidy"], amount=Decimal("1500"), payee_type="person"
        )[0]
    notice = Notice.objects.get(policy="skills_subsidy", channel="in_app")
    assert notice.title == title and name in notice.title
    assert "1500" in notice.body


def test_send_queued_through_the_default_sender(results, english, caplog):
    notify.queue_for_run(results["run"])
    with caplog.at_level(logging.INFO, logger="jiuye.policies.notify"):
        report = notify.send_queued(limit=2)
    assert report == {"sent": 2, "failed": 0}
    assert Notice.objects.filter(status=NoticeStatus.SENT).count() == 2
    assert notify.send_queued() == {"sent": 2, "failed": 0}
    assert not Notice.objects.filter(status=NoticeStatus.QUEUED).exists()
    assert all(Notice.objects.values_list("sent_at", flat=True))
    text = caplog.text
    assert "138****1111" in text and "13800001111" not in text


def test_a_refusing_gateway_marks_the_notice_failed(results, english, settings):
    settings.JIUYE_SMS_SENDER = "tests.policies.test_notify.RefusingSender"
    notify.queue_for_run(results["run"])
    report = notify.send_queued()
    assert report == {"sent": 2, "failed": 2}  # in-app notices need no gateway
    failed = Notice.objects.filter(status=NoticeStatus.FAILED)
    assert set(failed.values_list("channel", flat=True)) == {"sms"}
    assert set(failed.values_list("error", flat=True)) == {"gateway says no"}
    assert notify.send_queued() == {"sent": 0, "failed": 0}  # failed ones are not retried


def test_a_run_queues_its_notices(staff, hires, english):  # noqa: F811
    run = run_policies(
        actor=staff["county_operator"],
        as_of=AS_OF,
        region_code=QUWO,
        policies=["expansion_subsidy"],
    )
    (notice,) = Notice.objects.all()
    assert notice.subject_id == hires["g1"].pk and notice.channel == "sms"
    assert notice.recipient == hires["employer"].contact_phone and notice.run_id == run.pk
    assert "陈*" in notice.body
