"""Applications, interviews, offers, rejections, withdrawals and hires."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from jiuye.core.errors import JiuyeError
from jiuye.core.models import AuditLog
from jiuye.jobs import actions
from jiuye.jobs.models import Application, ApplicationStatus, Hire, PostingStatus
from jiuye.registry import actions as registry_actions
from jiuye.registry.models import (
    ContractType,
    EmploymentEvent,
    EmploymentForm,
    EmploymentStatus,
    EventKind,
    JobIntention,
    Person,
    WorkPlace,
)

from .conftest import QUWO_VILLAGE, D, today

A = ApplicationStatus


@pytest.fixture
def operator(staff):
    return staff["county_operator"]


@pytest.fixture
def published(posting_factory):
    return posting_factory(status="published", headcount=2)


def test_apply_and_its_hard_rules(operator, published, posting_factory, people, person_factory):
    application = actions.apply(actor=operator, posting=published, person=people["quwo"])
    assert application.status == A.APPLIED
    assert application.region_code == published.region_code
    assert AuditLog.objects.filter(action="jobs.application.create").count() == 1
    with pytest.raises(JiuyeError) as err:
        actions.apply(actor=operator, posting=published, person=people["quwo"])
    assert err.value.code == "conflict"
    # The posting must be published and open.
    draft = posting_factory()
    with pytest.raises(JiuyeError, match="not open"):
        actions.apply(actor=operator, posting=draft, person=people["quwo"])
    future = posting_factory(status="published", valid_from=today() + datetime.timedelta(days=3))
    with pytest.raises(JiuyeError, match="not open"):
        actions.apply(actor=operator, posting=future, person=people["quwo"])
    # A merged record, or a child, cannot apply.
    twin = person_factory("张明", QUWO_VILLAGE, D(1990, 5, 2))
    registry_actions.merge_persons(actor=operator, keep=people["quwo2"], duplicate=twin)
    with pytest.raises(JiuyeError, match="merged"):
        actions.apply(actor=operator, posting=published, person=Person.objects.get(pk=twin.pk))
    child = person_factory("小明", QUWO_VILLAGE, today().replace(year=today().year - 15))
    with pytest.raises(JiuyeError, match="under 16"):
        actions.apply(actor=operator, posting=published, person=child)


def test_apply_needs_the_person_and_the_posting_in_scope(staff, published, people):
    with pytest.raises(JiuyeError) as err:
        actions.apply(actor=staff["county_operator"], posting=published, person=people["houma"])
    assert err.value.status == 404
    with pytest.raises(JiuyeError) as err:
        actions.apply(actor=staff["houma_operator"], posting=published, person=people["houma"])
    assert err.value.status == 404
    # Someone with VIEW but no EDIT there is refused.
    with pytest.raises(JiuyeError) as err:
        actions.apply(actor=staff["county_reviewer"], posting=published, person=people["quwo"])
    assert err.value.status == 403
    assert not Application.objects.exists()


def test_interview_offer_and_result(operator, published, people):
    application = actions.apply(actor=operator, posting=published, person=people["quwo"])
    when = timezone.now() + datetime.timedelta(days=2)
    interview = actions.schedule_interview(
        actor=operator, application=application, scheduled_at=when, place="公司二楼"
    )
    application.refresh_from_db()
    assert application.status == A.INTERVIEW and interview.region_code == published.region_code
    with pytest.raises(JiuyeError, match="Choose the result"):
        actions.record_interview_result(actor=operator, interview=interview, result="pending")
    actions.record_interview_result(
        actor=operator, interview=interview, result="passed", notes="表现良好"
    )
    interview.refresh_from_db()
    assert (interview.result, interview.notes) == ("passed", "表现良好")
    application = actions.offer(actor=operator, application=application)
    assert application.status == A.OFFERED
    with pytest.raises(JiuyeError):  # an offer cannot go back to interviewing
        actions.schedule_interview(actor=operator, application=application, scheduled_at=when)


def test_reject_and_withdraw_keep_their_reasons(operator, published, people):
    first = actions.apply(actor=operator, posting=published, person=people["quwo"])
    second = actions.apply(actor=operator, posting=published, person=people["quwo2"])
    with pytest.raises(JiuyeError, match="reason"):
        actions.reject_application(actor=operator, application=first, reason="  ")
    actions.reject_application(actor=operator, application=first, reason="不符合持证要求")
    actions.withdraw_application(actor=operator, application=second, reason="已在外地就业")
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.reason) == (A.REJECTED, "不符合持证要求")
    assert (second.status, second.reason) == (A.WITHDRAWN, "已在外地就业")
    assert first.decided_at and second.decided_at
    audit = AuditLog.objects.get(action="jobs.application.reject")
    assert audit.after == {"status": "rejected", "reason": "不符合持证要求"}
    for run in (
        lambda: actions.offer(actor=operator, application=first),
        lambda: actions.withdraw_application(actor=operator, application=first, reason="x"),
        lambda: actions.hire(actor=operator, application=second, start_date=today()),
    ):
        with pytest.raises(JiuyeError):
            run()


def test_hire_is_one_action(operator, published, people):
    person = people["quwo"]
    registry_actions.record_event(
        actor=operator, person=person, kind=EventKind.UNEMPLOYMENT, occurred_on=D(2024, 3, 1)
    )
    intention = registry_actions.add_intention(
        actor=operator, person=person, occupation_code="6-02-06-03", title="酿酒"
    )
    person.refresh_from_db()
    assert person.employment_status == EmploymentStatus.UNEMPLOYED
    application = actions.apply(actor=operator, posting=published, person=person)
    before = AuditLog.objects.count()
    start = today() - datetime.timedelta(days=1)
    hire = actions.hire(
        actor=operator,
        application=application,
        start_date=start,
        monthly_wage=3800,
        contract_type=ContractType.FIXED,
        contract_end=start + datetime.timedelta(days=365),
    )
    event = hire.event
    assert (event.kind, event.occurred_on, event.employer_id) == (
        EventKind.EMPLOYMENT,
        start,
        published.employer_id,
    )
    assert event.form == EmploymentForm.UNIT and event.work_place == WorkPlace.IN_COUNTY
    assert event.occupation_code == "6-02-06-03" and event.contract_type == ContractType.FIXED
    assert event.source == "jobs.hire" and event.work_region_code == published.region_code
    person.refresh_from_db()
    assert (person.employment_status, person.status_since) == (EmploymentStatus.EMPLOYED, start)
    application.refresh_from_db()
    assert application.status == A.HIRED and application.decided_at
    intention.refresh_from_db()
    assert (intention.active, intention.ended_on) == (False, start)
    actions_logged = list(AuditLog.objects.order_by("id").values_list("action", flat=True)[before:])
    assert actions_logged == [
        "registry.event.create",
        "jobs.application.hire",
        "registry.intention.end",
    ]
    published.refresh_from_db()
    assert published.status == PostingStatus.PUBLISHED  # 1 of 2 hired


def test_hire_fills_the_posting_at_its_headcount(operator, posting_factory, people):
    posting = posting_factory(status="published", headcount=1)
    first = actions.apply(actor=operator, posting=posting, person=people["quwo"])
    second = actions.apply(actor=operator, posting=posting, person=people["quwo2"])
    actions.hire(actor=operator, application=first, start_date=today())
    posting.refresh_from_db()
    assert posting.status == PostingStatus.FILLED
    assert AuditLog.objects.filter(action="jobs.posting.fill", object_id=str(posting.pk)).exists()
    with pytest.raises(JiuyeError, match="nobody more"):
        actions.hire(actor=operator, application=second, start_date=today())


def test_a_failed_hire_changes_nothing(operator, published, people, monkeypatch):
    person = people["quwo"]
    registry_actions.add_intention(actor=operator, person=person, title="酿酒")
    application = actions.apply(actor=operator, posting=published, person=person)
    with pytest.raises(JiuyeError, match="future"):
        actions.hire(
            actor=operator, application=application, start_date=today() + datetime.timedelta(3)
        )

    # A failure after the employment registration is written undoes it too.
    def broken(actor, posting):
        raise RuntimeError("disk full")

    monkeypatch.setattr(actions, "_fill_if_complete", broken)
    audit_rows = AuditLog.objects.count()
    with pytest.raises(RuntimeError):
        actions.hire(actor=operator, application=application, start_date=today())
    assert not EmploymentEvent.objects.exists() and not Hire.objects.exists()
    application.refresh_from_db()
    person.refresh_from_db()
    assert application.status == A.APPLIED
    assert person.employment_status == EmploymentStatus.UNKNOWN
    assert JobIntention.objects.get(person=person).active
    assert AuditLog.objects.count() == audit_rows


def test_hire_of_someone_from_another_county_needs_scope_over_them(
    staff, published, people, employers
):
    # The city operator sees both counties and refers a 侯马 person to a 曲沃 job.
    city = staff["city_operator"]
    application = actions.apply(actor=city, posting=published, person=people["houma"])
    with pytest.raises(JiuyeError) as err:
        actions.hire(actor=staff["county_operator"], application=application, start_date=today())
    assert err.value.status == 404  # the 侯马 person is outside 曲沃's scope
    hire = actions.hire(actor=city, application=application, start_date=today())
    assert hire.event.work_place == WorkPlace.IN_PROVINCE
    assert hire.event.form == EmploymentForm.UNIT
