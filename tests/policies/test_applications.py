"""Online applications: creating one within the actor's regions, the policy's form, the
materials (type, content, size, SHA-256), submitting, withdrawing, the live-application
constraint, and the final approval's budget check."""

from __future__ import annotations

import datetime
import hashlib
import os

import pytest
from django.utils import translation
from tests.policies import entitlement_fixtures as fx

from jiuye.core.errors import JiuyeError, NotFoundError, PermissionDeniedError
from jiuye.core.models import AuditLog
from jiuye.policies import applications, entitlements
from jiuye.policies.models import Application, ApplicationStatus, Entitlement
from jiuye.policies.workflows import Action, advance

D = datetime.date


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def w(staff, person_factory, monkeypatch, settings, tmp_path):
    return fx.build_world(staff, person_factory, monkeypatch, settings, tmp_path)


def test_create_draft(w):
    a = fx.draft(w)
    assert (a.status, a.workflow, a.region_code, a.amount) == ("draft", "subsidy", fx.VILLAGE, 800)
    assert a.payee_id == w.quwo.pk and a.created_by == w.u.county_operator
    # The account number is stored encrypted; only a masked copy is in clear.
    assert a.form["bank_account"] == "***************9012"
    assert "6228480123456789012" not in str(a.form)
    log = AuditLog.objects.get(action="policies.application.create")
    assert "bank_account_enc" not in log.after["form"]


def test_create_refuses_no_application_policies(w):
    with pytest.raises(JiuyeError, match="needs no application"):
        fx.draft(w, policy=fx.HIRE.code)
    with pytest.raises(JiuyeError, match="Unknown policy"):
        fx.draft(w, policy="nope")


def test_create_is_scoped(w):
    with pytest.raises(NotFoundError):
        fx.draft(w, w.quwo, actor=w.u.houma_operator)
    with pytest.raises(NotFoundError):  # a reviewer edits nothing
        fx.draft(w, w.quwo, actor=w.u.county_reviewer)
    assert fx.draft(w, w.quwo, actor=w.u.village_operator).pk


def test_amount_claimed_or_computed(w):
    fx.result_for(w.quwo, policy=fx.SUBSIDY.code, period="2025", amount="1200")
    a = fx.draft(w, amount=None)
    assert a.amount == 1200
    with pytest.raises(JiuyeError, match="Enter the amount claimed"):
        fx.draft(w, w.quwo2, amount=None)
    with pytest.raises(JiuyeError, match="more than zero"):
        fx.draft(w, w.quwo2, amount="-5")
    recognition = fx.draft(w, policy=fx.RECOGNITION.code)
    assert recognition.amount == 0


def test_form_validation(w):
    with pytest.raises(JiuyeError) as err:
        applications.create_application(
            actor=w.u.county_operator,
            policy_code=fx.SUBSIDY.code,
            subject_id=w.quwo.pk,
            period="2025",
            amount="100",
            form={"account_holder": "张三", "bank_account": "12ab"},
        )
    assert set(err.value.detail) == {"bank_name", "bank_account"}
    with pytest.raises(JiuyeError) as err:
        applications.create_application(
            actor=w.u.county_operator,
            policy_code=fx.RECOGNITION.code,
            subject_id=w.quwo.pk,
            period="2025",
            form={"category": "astronaut", "circumstances": "x", "pledge": False},
        )
    assert set(err.value.detail) == {"category", "pledge"}


def test_one_live_application_per_policy_subject_period(w):
    a = fx.draft(w)
    with pytest.raises(JiuyeError, match="already an application"):
        fx.draft(w)
    fx.draft(w, period="2026")  # another period is fine
    applications.withdraw(a, actor=w.u.county_operator, reason="重复")
    assert fx.draft(w).pk != a.pk


def test_no_application_where_an_entitlement_exists(w):
    Entitlement.objects.create(
        policy=fx.SUBSIDY.code,
        subject_type="person",
        subject_id=w.quwo.pk,
        payee_type="person",
        payee_id=w.quwo.pk,
        period="2025",
        region_code=fx.VILLAGE,
        fund="employment_fund",
        amount=1,
    )
    with pytest.raises(JiuyeError, match="already has an entitlement"):
        fx.draft(w)


# ---- materials --------------------------------------------------------------------------------


def test_upload_material_keeps_hash_and_name(w):
    a = fx.draft(w)
    m = applications.upload_material(
        a, actor=w.u.county_operator, kind="id_card", upload=fx.pdf("身份证 正反面.pdf")
    )
    assert m.sha256 == hashlib.sha256(fx.PDF).hexdigest()
    assert (m.original_name, m.size) == ("身份证 正反面.pdf", len(fx.PDF))
    assert m.file.name.startswith(f"policies/applications/{a.pk}/id_card-")
    with m.file.open("rb") as fh:
        assert fh.read() == fx.PDF
    png = applications.upload_material(
        a, actor=w.u.county_operator, kind="other", upload=fx.pdf("photo.PNG", fx.PNG)
    )
    assert png.file.name.endswith(".png")


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("virus.exe", fx.PDF, "PDF, JPEG or PNG"),
        ("notes.txt", b"hello", "PDF, JPEG or PNG"),
        ("fake.pdf", fx.PNG, "not a PDF file"),
        ("fake.jpg", fx.PDF, "not a JPG file"),
        ("empty.pdf", b"", "empty"),
    ],
)
def test_upload_refuses_bad_files(w, name, data, reason):
    a = fx.draft(w)
    with pytest.raises(JiuyeError, match=reason):
        applications.upload_material(
            a, actor=w.u.county_operator, kind="id_card", upload=fx.pdf(name, data)
        )
    assert not a.materials.exists()


def test_upload_size_limit(w, monkeypatch):
    monkeypatch.setattr(applications, "MAX_MATERIAL_BYTES", 100)
    a = fx.draft(w)
    with pytest.raises(JiuyeError, match="larger than"):
        applications.upload_material(
            a, actor=w.u.county_operator, kind="id_card", upload=fx.pdf(data=fx.PDF + b"0" * 100)
        )


def test_upload_checks_kind_scope_and_state(w):
    a = fx.draft(w)
    with pytest.raises(JiuyeError, match="Unknown kind"):
        applications.upload_material(a, actor=w.u.county_operator, kind="cv", upload=fx.pdf())
    with pytest.raises(NotFoundError):
        applications.upload_material(a, actor=w.u.houma_operator, kind="id_card", upload=fx.pdf())
    with pytest.raises(PermissionDeniedError):
        applications.upload_material(a, actor=w.u.county_reviewer, kind="id_card", upload=fx.pdf())
    applications.upload_material(a, actor=w.u.county_operator, kind="id_card", upload=fx.pdf())
    applications.submit(a, actor=w.u.county_operator, today=fx.MONDAY)
    with pytest.raises(JiuyeError, match="draft or a returned"):
        applications.upload_material(a, actor=w.u.county_operator, kind="other", upload=fx.pdf())


def test_delete_material(w):
    a = fx.draft(w)
    m = applications.upload_material(a, actor=w.u.county_operator, kind="id_card", upload=fx.pdf())
    path = m.file.path
    applications.delete_material(m, actor=w.u.county_operator)
    assert not a.materials.exists()
    assert not os.path.exists(path)


# ---- submit, update, withdraw -----------------------------------------------------------------


def test_submit_needs_required_materials(w):
    a = fx.draft(w, policy=fx.RECOGNITION.code)
    applications.upload_material(a, actor=w.u.county_operator, kind="id_card", upload=fx.pdf())
    with pytest.raises(JiuyeError, match="Materials missing") as err:
        applications.submit(a, actor=w.u.county_operator)
    assert err.value.detail == ["recognition_form"]
    applications.upload_material(
        a, actor=w.u.county_operator, kind="recognition_form", upload=fx.pdf()
    )
    a = applications.submit(a, actor=w.u.county_operator, today=fx.MONDAY)
    assert (a.status, a.step) == ("in_progress", "village_review")
    assert a.submitted_at is not None
    with pytest.raises(JiuyeError, match="draft or a returned"):
        applications.submit(a, actor=w.u.county_operator)


def test_update_keeps_the_stored_account(w):
    a = fx.draft(w)
    stored = a.form["bank_account_enc"]
    a = applications.update_application(
        a,
        actor=w.u.county_operator,
        amount="900",
        form={**a.form, "bank_name": "曲沃县邮储银行"},
    )
    assert (a.amount, a.form["bank_name"], a.form["bank_account_enc"]) == (
        900,
        "曲沃县邮储银行",
        stored,
    )


def test_withdraw(w):
    a = fx.submitted(w)
    with pytest.raises(PermissionDeniedError):
        applications.withdraw(a, actor=w.u.county_reviewer)
    a = applications.withdraw(a, actor=w.u.county_operator, reason="本人撤回")
    assert (a.status, a.step) == (ApplicationStatus.WITHDRAWN, "")
    assert a.steps.last().action == "withdraw"
    with pytest.raises(JiuyeError, match="cannot be withdrawn"):
        applications.withdraw(a, actor=w.u.county_operator)


# ---- final approval ---------------------------------------------------------------------------


def _to_approval(w, a):
    a = advance(a, Action.APPROVE, actor=w.u.county_operator, today=fx.MONDAY)
    a = advance(a, Action.APPROVE, actor=w.u.county_reviewer, today=fx.MONDAY)
    a = advance(a, Action.APPROVE, actor=w.u.county_reviewer2, today=fx.MONDAY)
    return advance(a, Action.APPROVE, actor=w.u.county_operator, today=D(2025, 3, 10))


def test_final_approval_checks_the_budget(w):
    fx.budget(1000, year=2025)
    a = _to_approval(w, fx.submitted(w, amount="800"))
    b = _to_approval(w, fx.submitted(w, w.quwo2, amount="300"))
    a = advance(a, Action.APPROVE, actor=w.u.county_reviewer, today=D(2025, 3, 11))
    assert a.entitlement.status == "approved"
    with pytest.raises(JiuyeError, match="Not enough budget"):
        advance(b, Action.APPROVE, actor=w.u.county_reviewer, today=D(2025, 3, 11))
    b.refresh_from_db()
    assert (b.status, b.step, b.entitlement_id) == ("in_progress", "approval", None)
    assert not b.steps.filter(step="approval").exists()  # the refused decision left no trace


def test_final_approval_without_budget(w):
    a = _to_approval(w, fx.submitted(w))
    with pytest.raises(JiuyeError, match="no 2025 budget"):
        advance(a, Action.APPROVE, actor=w.u.county_reviewer, today=D(2025, 3, 11))


def test_application_entitlement_counts_against_budget(w):
    fx.budget(1000, year=2025)
    a = _to_approval(w, fx.submitted(w, amount="800"))
    advance(a, Action.APPROVE, actor=w.u.county_reviewer, today=D(2025, 3, 11))
    from jiuye.policies import budgets

    assert budgets.remaining("employment_fund", fx.QUWO, 2025) == 200
    assert entitlements.entitlement_list(w.u.county_reviewer).count() == 1
    assert Application.objects.get(pk=a.pk).entitlement.bank_account == "6228480123456789012"
