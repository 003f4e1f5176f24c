"""Job fairs: participants, attendees, check-in, signed intentions, outcomes and results."""

from __future__ import annotations

import datetime
import io

import openpyxl
import pytest
from django.utils import timezone

from jiuye.core.errors import JiuyeError
from jiuye.jobs import actions, selectors
from jiuye.jobs.models import (
    Application,
    ApplicationSource,
    ApplicationStatus,
    FairStatus,
    IntentionOutcome,
)
from jiuye.registry.models import EmploymentStatus

from .conftest import QUWO_VILLAGE, D, today


@pytest.fixture
def operator(staff):
    return staff["county_operator"]


@pytest.fixture
def fair(operator):
    start = timezone.now() - datetime.timedelta(hours=2)
    return actions.create_fair(
        actor=operator,
        name="2026年春风行动曲沃县专场招聘会",
        kind="fair",
        mode="onsite",
        region_code="141021000000",
        starts_at=start,
        ends_at=start + datetime.timedelta(hours=5),
        venue="曲沃县人力资源市场",
        theme="春风行动",
    )


@pytest.fixture
def busy_fair(operator, fair, posting_factory, employers, people, person_factory):
    """Two employers offering three postings (vacancies 2 + 3 + 4), four attendees of whom
    three came, three intentions: one hired, one declined, one pending."""
    brew = posting_factory(status="published", headcount=2)
    brew2 = posting_factory(
        status="published", title="酿酒师", occupation_code="6-02-06-01", headcount=3
    )
    truck = posting_factory(
        status="published",
        employer=employers["quwo2"],
        title="仓储管理员",
        occupation_code="4-02-06-01",
        headcount=4,
    )
    actions.add_fair_employer(
        actor=operator, fair=fair, employer=employers["quwo"], booth="A01", postings=[brew, brew2]
    )
    logistics = actions.add_fair_employer(actor=operator, fair=fair, employer=employers["quwo2"])
    actions.add_fair_posting(actor=operator, participant=logistics, posting=truck)
    extra = [person_factory(f"参会者{i}", QUWO_VILLAGE, D(1992, 1, 1 + i)) for i in range(2)]
    attendees = [
        actions.register_attendee(actor=operator, fair=fair, person=p)
        for p in [people["quwo"], people["quwo2"], *extra]
    ]
    actions.check_in(actor=operator, attendee=attendees[0])
    hired = actions.record_intention(actor=operator, fair=fair, person=people["quwo"], posting=brew)
    declined = actions.record_intention(
        actor=operator, fair=fair, person=people["quwo2"], posting=truck
    )
    pending = actions.record_intention(actor=operator, fair=fair, person=extra[0], posting=brew2)
    actions.set_fair_status(actor=operator, fair=fair, status=FairStatus.CLOSED)
    actions.set_intention_outcome(
        actor=operator, intention=hired, outcome=IntentionOutcome.HIRED, start_date=today()
    )
    actions.set_intention_outcome(
        actor=operator, intention=declined, outcome=IntentionOutcome.DECLINED, reason="薪资未谈拢"
    )
    return {"fair": fair, "hired": hired, "declined": declined, "pending": pending, "extra": extra}


def test_results(busy_fair, people):
    fair = busy_fair["fair"]
    fair.refresh_from_db()
    assert fair.status == FairStatus.CLOSED
    r = selectors.fair_results(fair)
    assert (r.employers, r.postings, r.vacancies) == (2, 3, 9)
    # Signing an intention counts as attending: 1 checked in + 2 more who signed.
    assert (r.attendees, r.checked_in) == (4, 3)
    assert (r.intentions, r.hires, r.declined, r.pending) == (3, 1, 1, 1)
    by_name = {e.name: e for e in r.by_employer}
    brewery = by_name["曲沃晋华酿造有限公司"]
    assert (brewery.booth, brewery.postings, brewery.vacancies) == ("A01", 2, 5)
    assert (brewery.intentions, brewery.hires) == (2, 1)
    logistics = by_name["曲沃县乐昌物流有限公司"]
    assert (logistics.postings, logistics.vacancies, logistics.intentions, logistics.hires) == (
        1,
        4,
        1,
        0,
    )


def test_intentions_become_applications_and_hires(busy_fair, people):
    hired = busy_fair["hired"]
    hired.refresh_from_db()
    assert hired.outcome == IntentionOutcome.HIRED
    application = Application.objects.get(person=people["quwo"], posting=hired.posting)
    assert application.source == ApplicationSource.FAIR and application.fair_id == hired.fair_id
    assert application.status == ApplicationStatus.HIRED
    assert application.hire.event.kind == "employment"
    people["quwo"].refresh_from_db()
    assert people["quwo"].employment_status == EmploymentStatus.EMPLOYED
    declined = busy_fair["declined"]
    declined.refresh_from_db()
    assert (declined.outcome, declined.reason) == (IntentionOutcome.DECLINED, "薪资未谈拢")
    withdrawn = Application.objects.get(person=people["quwo2"], posting=declined.posting)
    assert (withdrawn.status, withdrawn.reason) == (ApplicationStatus.WITHDRAWN, "薪资未谈拢")


def test_closed_fair_takes_no_new_entries(busy_fair, operator, people, employers):
    fair = busy_fair["fair"]
    with pytest.raises(JiuyeError, match="no more entries"):
        actions.register_attendee(actor=operator, fair=fair, person=people["quwo"])
    with pytest.raises(JiuyeError, match="no more entries"):
        actions.add_fair_employer(actor=operator, fair=fair, employer=employers["quwo"])
    with pytest.raises(JiuyeError):
        actions.set_fair_status(actor=operator, fair=fair, status=FairStatus.OPEN)
    # The pending intention's outcome can still be recorded after the fair.
    with pytest.raises(JiuyeError, match="reason"):
        actions.set_intention_outcome(
            actor=operator, intention=busy_fair["pending"], outcome=IntentionOutcome.DECLINED
        )
    with pytest.raises(JiuyeError, match="already recorded"):
        actions.set_intention_outcome(
            actor=operator,
            intention=busy_fair["hired"],
            outcome=IntentionOutcome.DECLINED,
            reason="x",
        )


def test_intention_rules(operator, fair, posting_factory, employers, people):
    brew = posting_factory(status="published")
    other = posting_factory(status="published", title="电工", occupation_code="6-31-01-03")
    actions.add_fair_employer(
        actor=operator, fair=fair, employer=employers["quwo"], postings=[brew]
    )
    with pytest.raises(JiuyeError, match="Register the person"):
        actions.record_intention(actor=operator, fair=fair, person=people["quwo"], posting=brew)
    actions.register_attendee(actor=operator, fair=fair, person=people["quwo"])
    with pytest.raises(JiuyeError, match="already registered"):
        actions.register_attendee(actor=operator, fair=fair, person=people["quwo"])
    with pytest.raises(JiuyeError, match="not offered at this fair"):
        actions.record_intention(actor=operator, fair=fair, person=people["quwo"], posting=other)
    actions.record_intention(actor=operator, fair=fair, person=people["quwo"], posting=brew)
    with pytest.raises(JiuyeError, match="already recorded"):
        actions.record_intention(actor=operator, fair=fair, person=people["quwo"], posting=brew)
    # Only published postings of the employer itself can be offered.
    draft = posting_factory()
    with pytest.raises(JiuyeError, match="Only published"):
        actions.add_fair_employer(
            actor=operator, fair=fair, employer=employers["quwo"], postings=[draft]
        )
    with pytest.raises(JiuyeError, match="another employer"):
        actions.add_fair_employer(
            actor=operator, fair=fair, employer=employers["quwo2"], postings=[brew]
        )


def test_fair_scope_and_cancellation(staff, fair, people):
    with pytest.raises(JiuyeError) as err:
        actions.register_attendee(actor=staff["houma_operator"], fair=fair, person=people["houma"])
    assert err.value.status == 404
    with pytest.raises(JiuyeError) as err:
        actions.register_attendee(actor=staff["county_operator"], fair=fair, person=people["houma"])
    assert err.value.status == 404
    with pytest.raises(JiuyeError) as err:
        actions.create_fair(
            actor=staff["county_operator"],
            name="越权招聘会",
            kind="fair",
            mode="online",
            region_code="141081000000",
            starts_at=timezone.now(),
            ends_at=timezone.now(),
        )
    assert err.value.code == "out_of_scope"
    with pytest.raises(JiuyeError, match="reason"):
        actions.set_fair_status(actor=staff["county_operator"], fair=fair, status="cancelled")
    actions.set_fair_status(
        actor=staff["county_operator"], fair=fair, status="cancelled", note="天气原因"
    )


def test_results_page_and_export(busy_fair, staff, client_for):
    fair = busy_fair["fair"]
    client = client_for(staff["county_operator"])
    page = client.get(f"/jobs/fairs/{fair.pk}/results/").content.decode()
    assert 'data-figure="vacancies">9<' in page and 'data-figure="hires">1<' in page
    response = client.get(f"/jobs/fairs/{fair.pk}/results.xlsx")
    assert response.status_code == 200
    rows = list(openpyxl.load_workbook(io.BytesIO(response.content)).active.values)
    # By employer name (code-point order), then the totals.
    assert rows[1] == ("曲沃县乐昌物流有限公司", None, 1, 4, 1, 0)
    assert rows[2] == ("曲沃晋华酿造有限公司", "A01", 2, 5, 2, 1)
    assert rows[3][2:] == (3, 9, 3, 1)  # the totals row
