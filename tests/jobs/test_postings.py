"""Posting workflow: draft → review → published (or back to draft) → filled / expired /
withdrawn, and every transition that is not allowed."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pytest
from django.core.management import call_command

from jiuye.core.errors import JiuyeError
from jiuye.core.models import AuditLog
from jiuye.jobs import actions
from jiuye.jobs.models import Posting, PostingStatus

from .conftest import HOUMA_STREET, QUWO_TOWN, today

S = PostingStatus


def statuses(posting) -> list[tuple[str, str]]:
    rows = AuditLog.objects.filter(object_type="jobs.posting", object_id=str(posting.pk))
    return [(r.action, (r.after or {}).get("status", "")) for r in rows.order_by("id")]


def test_create_fills_defaults_and_checks_the_text(staff, employers):
    posting = actions.create_posting(
        actor=staff["county_operator"],
        employer=employers["quwo"],
        title=" 保安员 ",
        occupation_code="4-07-05-01",
        education="大专",
        region_code="141021100",
        valid_from=today(),
        valid_to=today() + datetime.timedelta(days=30),
        description="限男性，身高170cm以上",
    )
    posting.refresh_from_db()
    assert posting.status == S.DRAFT
    assert posting.title == "保安员"
    assert posting.region_code == QUWO_TOWN
    assert posting.education == "30"
    assert posting.created_by == staff["county_operator"]
    # The region's point (曲沃县), six decimals.
    expected = actions.default_coordinates(QUWO_TOWN)
    assert expected[0] is not None and isinstance(expected[0], Decimal)
    assert (posting.longitude, posting.latitude) == expected
    assert [f["phrase"] for f in posting.review_flags] == ["限男性", "身高170cm以上"]
    assert statuses(posting) == [("jobs.posting.create", "")]


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"occupation_code": "6-99-99-99"}, "Unknown occupation"),
        ({"occupation_code": "6"}, "too broad"),
        ({"education": "幼儿园"}, "Unknown education"),
        ({"wage_min": 5000, "wage_max": 3000}, "lower wage"),
        ({"age_min": 15}, "below 16"),
        ({"age_min": 40, "age_max": 30}, "minimum age is above"),
        ({"headcount": 0}, "at least 1"),
        ({"valid_to": datetime.date(2000, 1, 1)}, "ends before it starts"),
        ({"kind": "forever"}, "Unknown type"),
        ({"longitude": 111.5}, "both longitude and latitude"),
    ],
)
def test_invalid_fields_are_refused(staff, employers, fields, message):
    values = {
        "employer": employers["quwo"],
        "title": "电工",
        "region_code": QUWO_TOWN,
        "valid_from": today(),
        "valid_to": today() + datetime.timedelta(days=30),
        **fields,
    }
    with pytest.raises(JiuyeError) as err:
        actions.create_posting(actor=staff["county_operator"], **values)
    assert message in str(err.value.message)
    assert not Posting.objects.exists()


def test_workplace_and_employer_must_be_in_scope(staff, employers):
    base = {"title": "电工", "valid_from": today(), "valid_to": today()}
    with pytest.raises(JiuyeError) as err:
        actions.create_posting(
            actor=staff["county_operator"],
            employer=employers["quwo"],
            region_code=HOUMA_STREET,
            **base,
        )
    assert err.value.code == "out_of_scope"
    with pytest.raises(JiuyeError) as err:
        actions.create_posting(
            actor=staff["county_operator"],
            employer=employers["houma"],
            region_code=QUWO_TOWN,
            **base,
        )
    assert err.value.status == 404


def test_submit_approve_publishes(staff, posting_factory, reviewers):
    posting = posting_factory()
    posting = actions.submit_posting(actor=staff["county_operator"], posting=posting)
    assert posting.status == S.REVIEW and posting.review_flags == []
    posting = actions.approve_posting(actor=reviewers["quwo"], posting=posting)
    posting.refresh_from_db()
    assert posting.status == S.PUBLISHED
    assert posting.reviewed_by == reviewers["quwo"] and posting.published_at is not None
    assert statuses(posting) == [
        ("jobs.posting.create", ""),
        ("jobs.posting.submit", S.REVIEW),
        ("jobs.posting.approve", S.PUBLISHED),
    ]


def test_reject_returns_to_draft_with_the_note(staff, posting_factory, reviewers):
    posting = posting_factory(status="review")
    with pytest.raises(JiuyeError, match="fixed"):
        actions.reject_posting(actor=reviewers["quwo"], posting=posting, note=" ")
    posting = actions.reject_posting(
        actor=reviewers["quwo"], posting=posting, note="请补充工作地点"
    )
    assert posting.status == S.DRAFT and posting.review_note == "请补充工作地点"
    # The draft can be changed and submitted again.
    actions.update_posting(actor=staff["county_operator"], posting=posting, address="乐昌镇工业园")
    posting = actions.submit_posting(actor=staff["county_operator"], posting=posting)
    assert posting.status == S.REVIEW


def test_flagged_posting_is_not_published_silently(staff, posting_factory, reviewers):
    posting = posting_factory(description="井下作业，限男性。")
    posting = actions.submit_posting(actor=staff["county_operator"], posting=posting)
    assert [f["phrase"] for f in posting.review_flags] == ["限男性"]
    with pytest.raises(JiuyeError) as err:
        actions.approve_posting(actor=reviewers["quwo"], posting=posting)
    assert err.value.detail[0]["phrase"] == "限男性"
    with pytest.raises(JiuyeError, match="why"):
        actions.approve_posting(actor=reviewers["quwo"], posting=posting, acknowledge_findings=True)
    assert Posting.objects.get(pk=posting.pk).status == S.REVIEW
    posting = actions.approve_posting(
        actor=reviewers["quwo"],
        posting=posting,
        acknowledge_findings=True,
        note="井下作业属国家规定不适合妇女的工种（就业促进法第27条）",
    )
    assert posting.status == S.PUBLISHED
    row = AuditLog.objects.get(action="jobs.posting.approve", object_id=str(posting.pk))
    assert row.after["acknowledged_findings"][0]["phrase"] == "限男性"


def test_fixing_the_text_clears_the_findings(staff, posting_factory, reviewers):
    posting = posting_factory(description="本地户口优先")
    assert posting.review_flags
    posting = actions.update_posting(
        actor=staff["county_operator"], posting=posting, description="不限户籍"
    )
    assert posting.review_flags == []
    posting = actions.submit_posting(actor=staff["county_operator"], posting=posting)
    actions.approve_posting(actor=reviewers["quwo"], posting=posting)


def test_only_a_reviewer_other_than_the_author_approves(staff, posting_factory, client_for):
    posting = posting_factory(status="review")
    with pytest.raises(JiuyeError) as err:
        actions.approve_posting(actor=staff["county_operator"], posting=posting)
    assert err.value.status == 403  # an operator holds no REVIEW
    with pytest.raises(JiuyeError) as err:
        actions.approve_posting(actor=staff["houma_operator"], posting=posting)
    assert err.value.status == 404  # another county: the posting does not exist for them
    from tests.conftest import make_user

    from jiuye.accounts.models import Role

    both = make_user("qw_both", Role.OPERATOR, "141021000000")
    both.role_assignments.create(role=Role.REVIEWER, region_code="141021000000")
    own = actions.create_posting(
        actor=both,
        employer=posting.employer,
        title="仓储管理员",
        occupation_code="4-02-06-01",
        region_code=QUWO_TOWN,
        valid_from=today(),
        valid_to=today(),
    )
    own = actions.submit_posting(actor=both, posting=own)
    with pytest.raises(JiuyeError, match="Someone else"):
        actions.approve_posting(actor=both, posting=own)


@pytest.mark.parametrize(
    "start, move",
    [
        ("draft", "approve"),
        ("draft", "reject"),
        ("review", "submit"),
        ("published", "submit"),
        ("published", "approve"),
        ("published", "reject"),
        ("withdrawn_published", "submit"),
        ("withdrawn_published", "withdraw"),
        ("withdrawn_published", "approve"),
    ],
)
def test_invalid_transitions_raise(staff, posting_factory, reviewers, start, move):
    posting = posting_factory(status=start)
    if start == "withdrawn_published":
        posting = actions.withdraw_posting(
            actor=staff["county_operator"], posting=posting, reason="单位取消招聘"
        )
    before = posting.status
    operator, reviewer = staff["county_operator"], reviewers["quwo"]
    run = {
        "submit": lambda: actions.submit_posting(actor=operator, posting=posting),
        "approve": lambda: actions.approve_posting(actor=reviewer, posting=posting),
        "reject": lambda: actions.reject_posting(actor=reviewer, posting=posting, note="x"),
        "withdraw": lambda: actions.withdraw_posting(actor=operator, posting=posting, reason="x"),
    }[move]
    with pytest.raises(JiuyeError) as err:
        run()
    assert err.value.code == "invalid"
    assert Posting.objects.get(pk=posting.pk).status == before


def test_submit_needs_an_occupation_and_a_future_end(staff, posting_factory):
    posting = posting_factory(occupation_code="")
    with pytest.raises(JiuyeError, match="occupation code"):
        actions.submit_posting(actor=staff["county_operator"], posting=posting)
    old = posting_factory(
        valid_from=today() - datetime.timedelta(days=30),
        valid_to=today() - datetime.timedelta(days=1),
    )
    with pytest.raises(JiuyeError, match="already ended"):
        actions.submit_posting(actor=staff["county_operator"], posting=old)


def test_withdraw_keeps_the_reason(staff, posting_factory):
    posting = posting_factory(status="published")
    with pytest.raises(JiuyeError, match="reason"):
        actions.withdraw_posting(actor=staff["county_operator"], posting=posting, reason="")
    posting = actions.withdraw_posting(
        actor=staff["county_operator"], posting=posting, reason="单位已自行招满"
    )
    posting.refresh_from_db()
    assert posting.status == S.WITHDRAWN and posting.closed_reason == "单位已自行招满"
    assert statuses(posting)[-1] == ("jobs.posting.withdraw", S.WITHDRAWN)


def test_published_posting_changes_only_operational_fields(staff, posting_factory):
    posting = posting_factory(status="published")
    posting = actions.update_posting(
        actor=staff["county_operator"], posting=posting, headcount=5, wage_min=3000, wage_max=4500
    )
    assert (posting.headcount, posting.wage_min, posting.status) == (5, 3000, S.PUBLISHED)
    with pytest.raises(JiuyeError, match="Withdraw it"):
        actions.update_posting(
            actor=staff["county_operator"], posting=posting, description="已婚已育优先"
        )
    assert Posting.objects.get(pk=posting.pk).description == "负责白酒酿造生产，男女不限。"
    posting = actions.withdraw_posting(actor=staff["county_operator"], posting=posting, reason="x")
    with pytest.raises(JiuyeError, match="cannot be changed"):
        actions.update_posting(actor=staff["county_operator"], posting=posting, headcount=1)


def test_expire_postings_and_the_command(staff, posting_factory):
    ending = posting_factory(status="published")
    later = posting_factory(status="published", valid_to=today() + datetime.timedelta(days=90))
    draft = posting_factory(valid_to=today())
    day = ending.valid_to + datetime.timedelta(days=1)
    assert actions.expire_postings(today=day) == 1
    assert actions.expire_postings(today=day) == 0  # running it again changes nothing
    ending.refresh_from_db()
    later.refresh_from_db()
    draft.refresh_from_db()
    assert (ending.status, later.status, draft.status) == (S.EXPIRED, S.PUBLISHED, S.DRAFT)
    assert statuses(ending)[-1] == ("jobs.posting.expire", S.EXPIRED)
    out = io.StringIO()
    far = (later.valid_to + datetime.timedelta(days=1)).isoformat()
    call_command("jobs", "expire", "--date", far, stdout=out)
    assert "1 postings expired" in out.getvalue()
    later.refresh_from_db()
    assert later.status == S.EXPIRED
