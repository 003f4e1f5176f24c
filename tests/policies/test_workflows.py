"""The approval workflows declared as data and the one function that checks every transition:
who may act at which level, the four-eyes rule, 公示 periods, returns, due dates and overdue
flags."""

from __future__ import annotations

import datetime

import pytest
from django.utils import translation
from tests.policies import entitlement_fixtures as fx

from jiuye.accounts.permissions import Perm
from jiuye.core.errors import JiuyeError, NotFoundError, PermissionDeniedError
from jiuye.policies import applications, workflows
from jiuye.policies.models import (
    ApplicationStatus,
    ApplicationStep,
    Entitlement,
    EntitlementStatus,
)
from jiuye.policies.workflows import Action, add_working_days, advance
from jiuye.registry.models import KeyGroupMembership

D = datetime.date


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def w(staff, person_factory, monkeypatch, settings, tmp_path):
    return fx.build_world(staff, person_factory, monkeypatch, settings, tmp_path)


# ---- the data -------------------------------------------------------------------------------


def test_workflows_are_well_formed():
    for wf in workflows.WORKFLOWS.values():
        assert wf.steps
        for step in wf.steps:
            assert step.level in {1, 2, 3, 4, 5}
            assert step.permission in {Perm.EDIT, Perm.REVIEW}
            assert (step.days > 0) != step.is_notice, step.code
            assert len(step.code) <= 20  # ApplicationStep.step
    subsidy = workflows.WORKFLOWS["subsidy"]
    assert [s.code for s in subsidy.steps] == [
        "accept",
        "first_review",
        "second_review",
        "public_notice",
        "approval",
    ]
    assert subsidy.step("accept").permission == Perm.EDIT
    assert subsidy.step("approval").permission == Perm.REVIEW
    assert subsidy.step("public_notice").notice_days == 7
    difficulty = workflows.WORKFLOWS["difficulty_recognition"]
    assert (difficulty.steps[0].level, difficulty.steps[0].days) == (5, 7)
    assert difficulty.steps[-1].level == 3


def test_labels_are_translated_lazily():
    with translation.override("en"):
        assert str(workflows.WORKFLOWS["subsidy"].step("accept").label) == "Accept"
        assert str(workflows.WORKFLOWS["subsidy"].step("public_notice").label) == "Public notice"


def test_working_days_skip_weekends():
    friday = D(2025, 3, 7)
    assert add_working_days(friday, 1) == D(2025, 3, 10)
    assert add_working_days(fx.MONDAY, 5) == D(2025, 3, 10)
    assert add_working_days(fx.MONDAY, 0) == fx.MONDAY
    saturday = D(2025, 3, 8)
    assert add_working_days(saturday, 1) == D(2025, 3, 10)
    notice = workflows.WORKFLOWS["subsidy"].step("public_notice")
    assert workflows.due_date(notice, friday) == D(2025, 3, 14)  # calendar days


# ---- the subsidy workflow -------------------------------------------------------------------


def test_subsidy_path_with_levels_and_four_eyes(w):
    fx.budget(10_000, year=2025)
    a = fx.submitted(w, today=fx.MONDAY)
    assert (a.status, a.step, a.step_due) == ("in_progress", "accept", D(2025, 3, 10))

    # 受理 is the county case officer's: not the village's, not the county reviewer's.
    with pytest.raises(PermissionDeniedError):
        advance(a, Action.APPROVE, actor=w.u.village_operator, today=fx.MONDAY)
    with pytest.raises(PermissionDeniedError):
        advance(a, Action.APPROVE, actor=w.u.county_reviewer, today=fx.MONDAY)
    # 侯马 does not even see it.
    with pytest.raises(NotFoundError):
        advance(a, Action.APPROVE, actor=w.u.houma_operator, today=fx.MONDAY)
    # A grant at the city is the wrong level for a county step.
    with pytest.raises(PermissionDeniedError):
        advance(a, Action.APPROVE, actor=w.u.city_operator, today=fx.MONDAY)

    a = advance(a, Action.APPROVE, actor=w.u.county_operator, today=fx.MONDAY)
    assert a.step == "first_review"
    with pytest.raises(PermissionDeniedError):
        advance(a, Action.APPROVE, actor=w.u.county_operator, today=fx.MONDAY)
    a = advance(a, Action.APPROVE, actor=w.u.county_reviewer, today=D(2025, 3, 4))
    assert a.step == "second_review"
    # The same reviewer cannot also do 复审.
    assert workflows.available_actions(a, w.u.county_reviewer, D(2025, 3, 4)) == []
    with pytest.raises(PermissionDeniedError, match="earlier step"):
        advance(a, Action.APPROVE, actor=w.u.county_reviewer, today=D(2025, 3, 4))
    a = advance(a, Action.APPROVE, actor=w.u.county_reviewer2, today=D(2025, 3, 5))
    assert (a.step, a.step_due) == ("public_notice", D(2025, 3, 12))

    # The notice runs 7 days; approving before it ends is refused, returning is not.
    assert workflows.available_actions(a, w.u.county_operator, D(2025, 3, 6)) == [
        "return",
        "reject",
    ]
    with pytest.raises(JiuyeError, match="public notice runs until"):
        advance(a, Action.APPROVE, actor=w.u.county_operator, today=D(2025, 3, 11))
    a = advance(a, Action.APPROVE, actor=w.u.county_operator, today=D(2025, 3, 12))
    assert a.step == "approval"

    with pytest.raises(PermissionDeniedError):
        advance(a, Action.APPROVE, actor=w.u.county_operator, today=D(2025, 3, 12))
    a = advance(a, Action.APPROVE, actor=w.u.county_reviewer, today=D(2025, 3, 13))
    assert (a.status, a.step, a.step_due) == ("approved", "", None)
    e = Entitlement.objects.get(pk=a.entitlement_id)
    assert (e.status, e.amount, e.fund) == (EntitlementStatus.APPROVED, 800, "employment_fund")
    assert e.bank_account == "6228480123456789012"
    history = list(a.steps.values_list("step", "action"))
    assert history == [
        ("accept", "submit"),
        ("accept", "approve"),
        ("first_review", "approve"),
        ("second_review", "approve"),
        ("public_notice", "approve"),
        ("approval", "approve"),
    ]
    assert a.steps.filter(action="approve").first().actor_region_code == fx.QUWO


def test_return_restarts_and_reject_needs_a_comment(w):
    a = fx.submitted(w)
    with pytest.raises(JiuyeError, match="Say why"):
        advance(a, Action.RETURN, actor=w.u.county_operator, comment="  ")
    a = advance(
        a, Action.RETURN, actor=w.u.county_operator, comment="身份证不清晰", today=fx.MONDAY
    )
    assert (a.status, a.step) == (ApplicationStatus.RETURNED, "")
    with pytest.raises(JiuyeError, match="not waiting"):
        advance(a, Action.APPROVE, actor=w.u.county_operator)
    applications.upload_material(a, actor=w.u.county_operator, kind="other", upload=fx.pdf())
    a = applications.submit(a, actor=w.u.county_operator, today=D(2025, 3, 5))
    assert (a.status, a.step, a.step_due) == ("in_progress", "accept", D(2025, 3, 12))
    a = advance(a, Action.REJECT, actor=w.u.county_operator, comment="不符合条件")
    assert a.status == ApplicationStatus.REJECTED and a.decided_at is not None
    # Rejected: a new application for the same period may follow.
    fx.draft(w)


def test_objection_during_notice_returns(w):
    a = fx.submitted(w)
    a = advance(a, Action.APPROVE, actor=w.u.county_operator, today=fx.MONDAY)
    a = advance(a, Action.APPROVE, actor=w.u.county_reviewer, today=fx.MONDAY)
    a = advance(a, Action.APPROVE, actor=w.u.county_reviewer2, today=fx.MONDAY)
    assert a.step == "public_notice"
    a = advance(a, Action.RETURN, actor=w.u.county_operator, comment="群众反映：已就业")
    assert a.status == ApplicationStatus.RETURNED


def test_unknown_action_refused(w):
    a = fx.submitted(w)
    with pytest.raises(JiuyeError, match="Unknown action"):
        advance(a, "skip", actor=w.u.county_operator)


# ---- the difficulty-recognition workflow ----------------------------------------------------


def test_difficulty_recognition_levels(w):
    a = fx.submitted(w, policy=fx.RECOGNITION.code, today=fx.MONDAY)
    assert (a.step, a.step_due) == ("village_review", D(2025, 3, 12))  # 7 working days

    # The community/village check: not the county, not the township.
    for actor in (w.u.county_reviewer, w.u.county_operator, w.u.township_operator):
        with pytest.raises(PermissionDeniedError):
            advance(a, Action.APPROVE, actor=actor, today=fx.MONDAY)
    assert workflows.available_actions(a, w.u.village_operator, fx.MONDAY) == [
        "approve",
        "return",
        "reject",
    ]
    a = advance(a, Action.APPROVE, actor=w.u.village_operator, today=D(2025, 3, 4))
    assert (a.step, a.step_due) == ("public_notice", D(2025, 3, 9))
    a = advance(a, Action.APPROVE, actor=w.u.village_operator, today=D(2025, 3, 9))
    assert a.step == "township_review"
    # The village worker cannot approve at the township, nor the township operator (no REVIEW).
    for actor in (w.u.village_operator, w.u.township_operator, w.u.county_reviewer):
        with pytest.raises(PermissionDeniedError):
            advance(a, Action.APPROVE, actor=actor, today=D(2025, 3, 10))
    a = advance(a, Action.APPROVE, actor=w.u.township_reviewer, today=D(2025, 3, 10))
    assert a.step == "county_recognition"
    with pytest.raises(PermissionDeniedError):
        advance(a, Action.APPROVE, actor=w.u.township_reviewer, today=D(2025, 3, 11))
    a = advance(a, Action.APPROVE, actor=w.u.county_reviewer, today=D(2025, 3, 11))
    assert a.status == ApplicationStatus.APPROVED and a.entitlement_id is None
    membership = KeyGroupMembership.objects.get(person=w.quwo, group="difficulty")
    assert (membership.category, membership.valid_from) == ("older", D(2025, 3, 11))
    assert membership.details["application"] == a.pk


def test_coarse_region_is_decided_at_its_own_level(w, person_factory):
    """A person registered only at the township: the township does the village's check."""
    person = person_factory("赵六", fx.LECHANG, D(1980, 1, 1))
    a = fx.submitted(w, person, policy=fx.RECOGNITION.code)
    assert a.step == "village_review"
    with pytest.raises(NotFoundError):  # the village does not even see the township's records
        advance(a, Action.APPROVE, actor=w.u.village_operator)
    a = advance(a, Action.APPROVE, actor=w.u.township_operator, today=fx.MONDAY)
    assert a.step == "public_notice"


# ---- due dates and overdue ------------------------------------------------------------------


def test_overdue_flag_and_filter(w):
    a = fx.submitted(w, today=fx.MONDAY)  # due 2025-03-10
    b = fx.submitted(w, w.quwo2, today=D(2025, 3, 7))  # due 2025-03-14
    assert not workflows.is_overdue(a, D(2025, 3, 10))
    assert workflows.is_overdue(a, D(2025, 3, 11))
    filters = applications.ApplicationFilters(overdue=True)
    late = applications.application_list(w.u.county_operator, filters, today=D(2025, 3, 11))
    assert list(late) == [a]
    late = applications.application_list(w.u.county_operator, filters, today=D(2025, 3, 17))
    assert set(late) == {a, b}
    # Acting late is recorded on the step.
    advance(a, Action.APPROVE, actor=w.u.county_operator, today=D(2025, 3, 11))
    assert ApplicationStep.objects.get(application=a, action="approve").overdue
    advance(b, Action.APPROVE, actor=w.u.county_operator, today=D(2025, 3, 14))
    assert not ApplicationStep.objects.get(application=b, action="approve").overdue
    # 侯马 sees none of them.
    assert not applications.application_list(w.u.houma_operator, filters, today=D(2025, 3, 17))


def test_waiting_for_me(w):
    a = fx.submitted(w)
    mine = applications.ApplicationFilters(mine=True)
    assert list(applications.application_list(w.u.county_operator, mine)) == [a]
    assert not applications.application_list(w.u.county_reviewer, mine)
    advance(a, Action.APPROVE, actor=w.u.county_operator, today=fx.MONDAY)
    assert list(applications.application_list(w.u.county_reviewer, mine)) == [a]
    assert not applications.application_list(w.u.county_operator, mine)


def test_complete_public_notices(w):
    a = fx.submitted(w, policy=fx.RECOGNITION.code, today=fx.MONDAY)
    a = advance(a, Action.APPROVE, actor=w.u.village_operator, today=fx.MONDAY)
    assert a.step_due == D(2025, 3, 8)
    assert workflows.complete_public_notices(today=D(2025, 3, 7)) == 0
    assert workflows.complete_public_notices(today=D(2025, 3, 8)) == 1
    a.refresh_from_db()
    assert a.step == "township_review"
    last = a.steps.order_by("-id").first()
    assert (last.action, last.actor_id) == ("notice_passed", None)
