"""直补快办 entitlements: created from a run's eligible results (idempotent, exclusion keys
across years), the subject's bank account, approval by a county reviewer within the budget,
rejection and declining — each audited."""

from __future__ import annotations

import datetime

import pytest
from django.utils import translation
from tests.policies import entitlement_fixtures as fx

from jiuye.core.errors import JiuyeError, NotFoundError, PermissionDeniedError
from jiuye.core.models import AuditLog
from jiuye.policies import entitlements
from jiuye.policies.models import Entitlement, EntitlementStatus, RunStatus


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def w(staff, person_factory, monkeypatch, settings, tmp_path):
    return fx.build_world(staff, person_factory, monkeypatch, settings, tmp_path)


ACCOUNT = {"account_holder": "张三", "bank_name": "曲沃农商行", "bank_account": "6217000012345678"}


def _granted(w, person=None, amount="1500"):
    person = person or w.quwo
    houma = person.region_code.startswith("141081")
    run = fx.run_for(fx.HOUMA if houma else fx.QUWO)
    fx.result_for(person, run=run, amount=amount)
    actor = w.u.houma_operator if houma else w.u.county_operator
    entitlements.grant_from_run(run=run, actor=actor)
    return Entitlement.objects.get(subject_id=person.pk)


def _confirmed(w, person=None, amount="1500"):
    e = _granted(w, person, amount)
    return entitlements.confirm_account(e, actor=w.u.county_operator, **ACCOUNT)


# ---- grant_from_run ---------------------------------------------------------------------------


def test_grant_from_run_creates_awaiting_entitlements(w):
    run = fx.run_for()
    fx.result_for(w.quwo, run=run)
    fx.result_for(w.quwo2, run=run, eligible=False)
    fx.result_for(w.quwo2, run=run, policy=fx.SUBSIDY.code)  # applied for, not granted
    fx.result_for(w.quwo2, run=run, policy=fx.LOAN_LIKE.code)  # pays nothing
    fx.result_for(w.houma, run=run)  # outside the run's region
    report = entitlements.grant_from_run(run=run, actor=w.u.county_operator)
    assert report == {"created": 1, "existing": 0, "excluded": 0, "zero_amount": 0}
    (e,) = Entitlement.objects.all()
    assert (e.policy, e.subject_id, e.period, e.fund, e.amount, e.status) == (
        fx.HIRE.code,
        w.quwo.pk,
        "2025",
        "ui_fund",
        1500,
        EntitlementStatus.AWAITING_CONFIRMATION,
    )
    assert e.exclusion_key == f"hire:person:{w.quwo.pk}"
    assert e.region_code == fx.VILLAGE and e.result.run == run
    assert AuditLog.objects.filter(action="policies.entitlement.grant").count() == 1


def test_grant_from_run_is_idempotent(w):
    run = fx.run_for()
    fx.result_for(w.quwo, run=run)
    fx.result_for(w.quwo2, run=run)
    assert entitlements.grant_from_run(run=run, actor=w.u.county_operator)["created"] == 2
    again = entitlements.grant_from_run(run=run, actor=w.u.county_operator)
    assert again == {"created": 0, "existing": 2, "excluded": 0, "zero_amount": 0}
    assert Entitlement.objects.count() == 2


def test_exclusion_key_refuses_a_second_hire_subsidy_across_years(w):
    first = fx.run_for()
    fx.result_for(w.quwo, run=first, period="2024")
    entitlements.grant_from_run(run=first, actor=w.u.county_operator)
    later = fx.run_for(as_of=datetime.date(2025, 12, 31))
    fx.result_for(w.quwo, run=later, period="2025")  # same person, same key, another year
    fx.result_for(w.quwo2, run=later, period="2025")
    report = entitlements.grant_from_run(run=later, actor=w.u.county_operator)
    assert report == {"created": 1, "existing": 0, "excluded": 1, "zero_amount": 0}
    assert list(
        Entitlement.objects.filter(subject_id=w.quwo.pk).values_list("period", flat=True)
    ) == ["2024"]

    # A rejected first entitlement frees the key.
    e = Entitlement.objects.get(subject_id=w.quwo.pk)
    entitlements.reject(e, actor=w.u.county_reviewer, reason="误判")
    report = entitlements.grant_from_run(run=later, actor=w.u.county_operator)
    assert report["created"] == 1


def test_two_results_with_one_key_in_the_same_run(w):
    run = fx.run_for()
    fx.result_for(w.quwo, run=run, period="2024")
    fx.result_for(w.quwo, run=run, period="2025")
    report = entitlements.grant_from_run(run=run, actor=w.u.county_operator)
    assert (report["created"], report["excluded"]) == (1, 1)


def test_grant_needs_edit_in_the_runs_region(w):
    run = fx.run_for()
    with pytest.raises(NotFoundError):
        entitlements.grant_from_run(run=run, actor=w.u.houma_operator)
    with pytest.raises(PermissionDeniedError):
        entitlements.grant_from_run(run=run, actor=w.u.county_reviewer)


def test_grant_needs_a_finished_run(w):
    run = fx.run_for()
    run.status = RunStatus.RUNNING
    run.save()
    with pytest.raises(JiuyeError, match="finished run"):
        entitlements.grant_from_run(run=run, actor=w.u.county_operator)


def test_zero_amount_is_skipped(w):
    run = fx.run_for()
    fx.result_for(w.quwo, run=run, amount="0")
    assert entitlements.grant_from_run(run=run, actor=w.u.county_operator)["zero_amount"] == 1


# ---- the account ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("6217 0000 1234 5678", "6217000012345678"),
        ("６２１７０００５１２３４５６７８", "6217000512345678"),
        ("6217-0000-1234-5670", "6217000012345670"),  # no Luhn check
        ("123456789012", "123456789012"),
        ("1" * 30, "1" * 30),
    ],
)
def test_bank_account_accepted(typed, stored):
    assert entitlements.clean_bank_account(typed) == stored


@pytest.mark.parametrize("typed", ["", "12345678901", "1" * 31, "6217A00012345678", "—"])
def test_bank_account_refused(typed):
    with pytest.raises(JiuyeError, match="12 to 30 digits"):
        entitlements.clean_bank_account(typed)


def test_confirm_account(w):
    e = _granted(w)
    with pytest.raises(PermissionDeniedError):
        entitlements.confirm_account(e, actor=w.u.county_reviewer, **ACCOUNT)
    with pytest.raises(NotFoundError):
        entitlements.confirm_account(e, actor=w.u.houma_operator, **ACCOUNT)
    with pytest.raises(JiuyeError, match="holder"):
        entitlements.confirm_account(
            e, actor=w.u.county_operator, **{**ACCOUNT, "account_holder": " "}
        )
    e = entitlements.confirm_account(e, actor=w.u.village_operator, **ACCOUNT)
    assert (e.status, e.bank_account) == (EntitlementStatus.CONFIRMED, "6217000012345678")
    log = AuditLog.objects.get(action="policies.entitlement.confirm")
    assert log.after["bank_account"] == "************5678"  # never the full number


def test_decline(w):
    e = entitlements.decline(_granted(w), actor=w.u.county_operator, reason="不需要")
    assert e.status == EntitlementStatus.DECLINED
    with pytest.raises(JiuyeError, match="not yet reviewed"):
        entitlements.decline(e, actor=w.u.county_operator)


# ---- review -----------------------------------------------------------------------------------


def test_approve_by_county_reviewer_within_budget(w):
    fx.budget(2000, fund="ui_fund", year=2025)
    e = _confirmed(w)
    with pytest.raises(PermissionDeniedError):
        entitlements.approve(e, actor=w.u.county_operator, today=fx.MONDAY)
    with pytest.raises(NotFoundError):
        entitlements.approve(e, actor=w.u.houma_reviewer, today=fx.MONDAY)
    with pytest.raises(PermissionDeniedError, match="county level"):
        entitlements.approve(e, actor=w.u.township_reviewer, today=fx.MONDAY)
    e = entitlements.approve(e, actor=w.u.county_reviewer, today=fx.MONDAY)
    assert (e.status, e.reviewed_by, e.reviewed_at.year) == ("approved", w.u.county_reviewer, 2025)
    assert AuditLog.objects.filter(action="policies.entitlement.approve", object_id=str(e.pk))
    with pytest.raises(JiuyeError, match="confirmed can be approved"):
        entitlements.approve(e, actor=w.u.county_reviewer, today=fx.MONDAY)


def test_approve_needs_confirmed_account(w):
    fx.budget(2000, fund="ui_fund", year=2025)
    e = _granted(w)
    with pytest.raises(JiuyeError, match="confirmed"):
        entitlements.approve(e, actor=w.u.county_reviewer, today=fx.MONDAY)


def test_reviewer_cannot_approve_beyond_the_remaining_budget(w):
    fx.budget(2000, fund="ui_fund", year=2025)
    first = _confirmed(w)
    second = _confirmed(w, w.quwo2)
    entitlements.approve(first, actor=w.u.county_reviewer, today=fx.MONDAY)
    with pytest.raises(JiuyeError, match="Not enough budget") as err:
        entitlements.approve(second, actor=w.u.county_reviewer, today=fx.MONDAY)
    assert err.value.detail["remaining"] == "500.00"
    second.refresh_from_db()
    assert second.status == EntitlementStatus.CONFIRMED


def test_no_budget_means_no_approval(w):
    e = _confirmed(w)
    with pytest.raises(JiuyeError, match="no 2025 budget"):
        entitlements.approve(e, actor=w.u.county_reviewer, today=fx.MONDAY)
    # Another year's or another fund's budget does not help.
    fx.budget(9000, fund="ui_fund", year=2024)
    fx.budget(9000, fund="employment_fund", year=2025)
    with pytest.raises(JiuyeError, match="no 2025 budget"):
        entitlements.approve(e, actor=w.u.county_reviewer, today=fx.MONDAY)


def test_city_reviewer_may_approve_with_the_city_budget(w):
    fx.budget(5000, fund="ui_fund", region=fx.LINFEN, year=2025)
    e = entitlements.approve(_confirmed(w), actor=w.u.city_reviewer, today=fx.MONDAY)
    assert e.status == EntitlementStatus.APPROVED


def test_reject(w):
    e = _confirmed(w)
    with pytest.raises(JiuyeError, match="Say why"):
        entitlements.reject(e, actor=w.u.county_reviewer, reason="")
    with pytest.raises(PermissionDeniedError):
        entitlements.reject(e, actor=w.u.county_operator, reason="x")
    e = entitlements.reject(e, actor=w.u.county_reviewer, reason="已离职")
    assert (e.status, e.note) == (EntitlementStatus.REJECTED, "已离职")


def test_lists_are_scoped(w):
    _granted(w)
    _granted(w, w.houma)
    quwo = entitlements.entitlement_list(w.u.county_operator)
    assert [e.subject_id for e in quwo] == [w.quwo.pk]
    houma = entitlements.entitlement_list(w.u.houma_operator)
    assert [e.subject_id for e in houma] == [w.houma.pk]
    by_region = entitlements.entitlement_list(
        w.u.province_leader, entitlements.EntitlementFilters(region="141081")
    )
    assert [e.subject_id for e in by_region] == [w.houma.pk]
