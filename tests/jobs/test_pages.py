"""The jobs pages, end to end through the test client."""

from __future__ import annotations

import datetime

import pytest

from jiuye.jobs import actions
from jiuye.jobs.models import (
    Application,
    FairIntention,
    IntentionOutcome,
    JobFair,
    Posting,
    PostingStatus,
)
from jiuye.registry.models import EmploymentStatus

from .conftest import QUWO_TOWN, today


@pytest.fixture
def qw(staff, client_for):
    return client_for(staff["county_operator"])


def test_nav_and_person_panel(qw, people):
    home = qw.get("/").content.decode()
    assert 'data-nav="jobs"' in home and 'data-nav="fairs"' in home
    page = qw.get(f"/registry/people/{people['quwo'].pk}/").content.decode()
    assert 'id="panel-applications"' in page
    assert f'hx-get="/jobs/people/{people["quwo"].pk}/applications/"' in page


def test_create_submit_review_publish_through_the_pages(
    qw, staff, employers, client_for, reviewers
):
    response = qw.post(
        "/jobs/new/",
        {
            "employer_uscc": employers["quwo"].uscc.lower(),
            "title": "酿造工<script>",
            "occupation_code": "6020603",
            "description": "要求：限男性，<b>本地户口</b>优先。",
            "headcount": 3,
            "education": "",
            "region_code": QUWO_TOWN,
            "kind": "full_time",
            "channel": "fair",
            "valid_from": today().isoformat(),
            "valid_to": (today() + datetime.timedelta(days=30)).isoformat(),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    posting = Posting.objects.get()
    assert posting.occupation_code == "6-02-06-03" and posting.channel == "fair"
    detail = qw.get(f"/jobs/{posting.pk}/").content.decode()
    # The text is escaped, each finding marked.
    assert "&lt;b&gt;" in detail and "<b>本地户口" not in detail
    assert '">限男性</mark>' in detail
    assert 'data-category="hukou">本地户口&lt;/b&gt;优先</mark>' not in detail
    assert "酿造工&lt;script&gt;" in detail and "<script>" not in detail.split("<main", 1)[1]
    assert qw.post(f"/jobs/{posting.pk}/submit/").status_code == 302
    posting.refresh_from_db()
    assert posting.status == PostingStatus.REVIEW
    reviewer = client_for(reviewers["quwo"])
    queue = reviewer.get("/jobs/review/").content.decode()
    assert "酿造工&lt;script&gt;" in queue
    # Approving without acknowledging the findings leaves it under review.
    reviewer.post(f"/jobs/{posting.pk}/approve/", {})
    posting.refresh_from_db()
    assert posting.status == PostingStatus.REVIEW
    reviewer.post(f"/jobs/{posting.pk}/approve/", {"acknowledge": "on", "note": "已核实属实"})
    posting.refresh_from_db()
    assert posting.status == PostingStatus.PUBLISHED and posting.review_note == "已核实属实"
    history = qw.get(f"/jobs/{posting.pk}/").content.decode()
    assert 'id="history"' in history and "已核实属实" in history


def test_list_filters(qw, posting_factory, employers):
    posting_factory(status="published", title="酿造工甲")
    posting_factory(title="电工乙", occupation_code="6-31-01-03", kind="part_time")
    posting_factory(
        title="过去的岗位",
        valid_from=today() - datetime.timedelta(days=100),
        valid_to=today() - datetime.timedelta(days=1),
    )

    def titles(**params):
        body = qw.get("/jobs/", params).content.decode()
        return {t for t in ("酿造工甲", "电工乙", "过去的岗位") if t in body}

    assert titles() == {"酿造工甲", "电工乙", "过去的岗位"}
    assert titles(status="draft") == {"电工乙", "过去的岗位"}
    assert titles(kind="part_time") == {"电工乙"}
    assert titles(occupation="6") == {"酿造工甲", "电工乙", "过去的岗位"}
    assert titles(occupation="4") == set()
    assert titles(valid_on=today().isoformat()) == {"酿造工甲", "电工乙"}
    assert titles(q="电工") == {"电工乙"}
    assert titles(employer=employers["quwo2"].pk) == set()
    assert titles(region_code="141021101000") == set()  # 史村镇


def test_refer_interview_hire_through_the_pages(qw, posting_factory, people):
    posting = posting_factory(status="published", headcount=1)
    person = people["quwo"]
    assert qw.post(f"/jobs/{posting.pk}/apply/", {"id_number": person.id_number}).status_code == 302
    application = Application.objects.get()
    panel = qw.get(f"/jobs/people/{person.pk}/applications/").content.decode()
    assert posting.title in panel and f"/jobs/applications/{application.pk}/hire/" in panel
    back = f"/registry/people/{person.pk}/"
    response = qw.post(
        f"/jobs/applications/{application.pk}/interview/",
        {"scheduled_at": "2026-03-02T09:30", "place": "公司", "next": back},
    )
    assert response.status_code == 302 and response["Location"] == back
    interview = application.interviews.get()
    qw.post(f"/jobs/interviews/{interview.pk}/result/", {"result": "passed"})
    qw.post(f"/jobs/applications/{application.pk}/offer/")
    response = qw.post(
        f"/jobs/applications/{application.pk}/hire/",
        {"start_date": today().isoformat(), "monthly_wage": "4000", "contract_type": "fixed"},
    )
    assert response["Location"] == f"/jobs/{posting.pk}/"
    application.refresh_from_db()
    person.refresh_from_db()
    posting.refresh_from_db()
    assert application.status == "hired" and application.hire.monthly_wage == 4000
    assert person.employment_status == EmploymentStatus.EMPLOYED
    assert posting.status == PostingStatus.FILLED
    # An unsafe "next" is ignored.
    other = posting_factory(status="published", title="电工")
    qw.post(f"/jobs/{other.pk}/apply/", {"id_number": people["quwo2"].id_number})
    second = Application.objects.get(posting=other)
    response = qw.post(
        f"/jobs/applications/{second.pk}/reject/",
        {"reason": "证书不符", "next": "https://evil.example/"},
    )
    assert response["Location"] == f"/jobs/{other.pk}/"
    second.refresh_from_db()
    assert (second.status, second.reason) == ("rejected", "证书不符")


def test_fair_through_the_pages(qw, posting_factory, employers, people):
    posting = posting_factory(status="published")
    response = qw.post(
        "/jobs/fairs/new/",
        {
            "name": "高校毕业生专场",
            "kind": "matching",
            "mode": "both",
            "region_code": "141021000000",
            "starts_at": "2026-05-01T09:00",
            "ends_at": "2026-05-01T12:00",
            "theme": "高校毕业生",
        },
    )
    assert response.status_code == 302
    fair = JobFair.objects.get()
    url = f"/jobs/fairs/{fair.pk}/"
    qw.post(url + "employers/", {"employer_uscc": employers["quwo"].uscc, "booth": "B2",
                                 "all_postings": "on"})  # fmt: skip
    assert list(fair.participants.get().postings.all()) == [posting]
    later = posting_factory(status="published", title="酿酒师", occupation_code="6-02-06-01")
    participant = fair.participants.get()
    assert f'<option value="{later.pk}">酿酒师' in qw.get(url).content.decode()
    qw.post(f"/jobs/fairs/participants/{participant.pk}/postings/", {"posting": later.pk})
    assert set(participant.postings.all()) == {posting, later}
    qw.post(url + "attendees/", {"id_number": people["quwo"].id_number})
    attendee = fair.attendees.get()
    qw.post(f"/jobs/fairs/attendees/{attendee.pk}/check-in/")
    qw.post(url + "intentions/", {"id_number": people["quwo"].id_number, "posting": posting.pk})
    intention = FairIntention.objects.get()
    qw.post(
        f"/jobs/fairs/intentions/{intention.pk}/outcome/",
        {"outcome": "hired", "start_date": today().isoformat()},
    )
    intention.refresh_from_db()
    assert intention.outcome == IntentionOutcome.HIRED
    qw.post(url + "status/", {"status": "closed"})
    fair.refresh_from_db()
    assert fair.status == "closed"
    detail = qw.get(url).content.decode()
    assert 'data-figure="hires">1<' in detail and "B2" in detail


def test_posting_detail_renders_panels_for_the_posting_page(qw, posting_factory):
    from jiuye.accounts.permissions import Perm
    from jiuye.web import panels

    posting = posting_factory()
    panels.register(
        panels.Panel("probe", "posting", "Probe", "jobs:posting_detail", Perm.VIEW, order=1)
    )
    try:
        body = qw.get(f"/jobs/{posting.pk}/").content.decode()
    finally:
        panels._PANELS.pop(("posting", "probe"))
    assert 'id="panel-probe"' in body and f'hx-get="/jobs/{posting.pk}/"' in body


def test_edit_published_posting_only_operational_fields(qw, posting_factory):
    posting = posting_factory(status="published")
    page = qw.get(f"/jobs/{posting.pk}/edit/").content.decode()
    assert 'name="title"' in page and "disabled" in page
    data = {
        "headcount": 7,
        "wage_min": 3200,
        "wage_max": 4200,
        "valid_to": posting.valid_to.isoformat(),
        "address": "乐昌镇工业园",
    }
    assert qw.post(f"/jobs/{posting.pk}/edit/", data).status_code == 302
    posting.refresh_from_db()
    assert (posting.headcount, posting.address, posting.title) == (7, "乐昌镇工业园", "白酒酿造工")
    actions.withdraw_posting(actor=posting.created_by, posting=posting, reason="x")
    assert qw.get(f"/jobs/{posting.pk}/edit/").status_code == 302


def test_edit_draft_through_the_page_keeps_a_point(qw, posting_factory, employers):
    posting = posting_factory(education="21", description="限男性")
    page = qw.get(f"/jobs/{posting.pk}/edit/").content.decode()
    assert 'value="21" selected' in page
    data = {
        "employer_uscc": employers["quwo"].uscc,
        "title": "白酒酿造工",
        "occupation_code": "6-02-06-03",
        "description": "男女不限",
        "headcount": 4,
        "education": "21",
        "region_code": "141021101000",  # moved to 史村镇
        "kind": "full_time",
        "channel": "employer",
        "valid_from": posting.valid_from.isoformat(),
        "valid_to": posting.valid_to.isoformat(),
    }
    assert qw.post(f"/jobs/{posting.pk}/edit/", data).status_code == 302
    posting.refresh_from_db()
    assert (posting.region_code, posting.headcount, posting.review_flags) == (
        "141021101000",
        4,
        [],
    )
    assert posting.longitude is not None and posting.latitude is not None
    data.update(longitude="111.500001", latitude="35.600002")
    qw.post(f"/jobs/{posting.pk}/edit/", data)
    posting.refresh_from_db()
    assert str(posting.longitude) == "111.500001"
