"""Shared set-up for the entitlement, application, workflow and budget tests: three small
policies registered for the test (one 免申即享 hire subsidy, one subsidy applied for, one
recognition), reviewers at each level, people in 曲沃 and 侯马, and builders for results, runs,
budgets and uploads. Plain functions, so each test module wraps them in its own fixture."""

from __future__ import annotations

import datetime
import decimal
from types import SimpleNamespace

from django.core.files.uploadedfile import SimpleUploadedFile
from tests.conftest import make_user

from jiuye.accounts.models import Role
from jiuye.policies import applications
from jiuye.policies.engine import Condition, Policy
from jiuye.policies.models import FundBudget, PolicyResult, PolicyRun, RunStatus
from jiuye.policies.rules import all_policies

QUWO = "141021000000"
LECHANG = "141021100000"
VILLAGE = "141021100200"
VILLAGE2 = "141021100201"
HOUMA = "141081000000"
HOUMA_COMMUNITY = "141081001001"
LINFEN = "141000000000"

# A Monday, so working-day arithmetic in the tests reads plainly.
MONDAY = datetime.date(2025, 3, 3)

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def _policy(code, **kw) -> Policy:
    base = dict(
        code=code,
        name=code,
        entity="person",
        subject_type="person",
        subject_column="id",
        payee_type="person",
        payee_column="id",
        fund="employment_fund",
        conditions=[],
        amount=lambda c: 0,
        period=lambda c: "2025",
    )
    base.update(kw)
    return Policy(**base)


HIRE = _policy(
    "test_hire",
    fund="ui_fund",
    no_application=True,
    conditions=[
        Condition("target_group", "Hired from the target group", lambda c: True, gate=True),
        Condition("insured", "Insured for the required months", lambda c: True),
    ],
)
SUBSIDY = _policy("test_subsidy", workflow="subsidy")
RECOGNITION = _policy("test_recognition", workflow="difficulty_recognition", pays=False)
LOAN_LIKE = _policy("test_free", no_application=True, pays=False)


def build_world(staff, person_factory, monkeypatch, settings, tmp_path) -> SimpleNamespace:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    registry = all_policies()
    for p in (HIRE, SUBSIDY, RECOGNITION, LOAN_LIKE):
        monkeypatch.setitem(registry, p.code, p)
    users = dict(staff)
    users["county_reviewer2"] = make_user("qw_reviewer2", Role.REVIEWER, QUWO)
    users["township_reviewer"] = make_user("lc_reviewer", Role.REVIEWER, LECHANG)
    users["houma_reviewer"] = make_user("hm_reviewer", Role.REVIEWER, HOUMA)
    users["city_reviewer"] = make_user("lf_reviewer", Role.REVIEWER, LINFEN)
    return SimpleNamespace(
        u=SimpleNamespace(**users),
        quwo=person_factory("张三", VILLAGE, datetime.date(1990, 1, 1)),
        quwo2=person_factory("李四", VILLAGE2, datetime.date(1991, 2, 2)),
        houma=person_factory("王五", HOUMA_COMMUNITY, datetime.date(1992, 3, 3)),
    )


def run_for(region=QUWO, as_of=MONDAY) -> PolicyRun:
    return PolicyRun.objects.create(
        policies=[HIRE.code], as_of=as_of, region_code=region, status=RunStatus.DONE
    )


def result_for(
    person,
    *,
    run=None,
    policy=HIRE.code,
    period="2025",
    amount="1500",
    eligible=True,
    facts=None,
) -> PolicyResult:
    return PolicyResult.objects.create(
        policy=policy,
        subject_type="person",
        subject_id=person.pk,
        payee_type="person",
        payee_id=person.pk,
        period=period,
        region_code=person.region_code,
        as_of=MONDAY,
        eligible=eligible,
        amount=decimal.Decimal(amount),
        conditions={"target_group": True, "insured": eligible},
        facts=facts if facts is not None else {"exclusion_key": f"hire:person:{person.pk}"},
        run=run,
    )


def budget(amount, *, fund="employment_fund", region=QUWO, year=2025) -> FundBudget:
    return FundBudget.objects.create(
        fund=fund, region_code=region, year=year, amount=decimal.Decimal(str(amount))
    )


def pdf(name="id.pdf", data=PDF):
    return SimpleUploadedFile(name, data, content_type="application/pdf")


PAYMENT_FORM = {
    "account_holder": "张三",
    "bank_name": "中国农业银行曲沃支行",
    "bank_account": "6228 4801 2345 6789 012",
}


def draft(w, person=None, *, actor=None, policy=SUBSIDY.code, amount="800", period="2025"):
    person = person or w.quwo
    form = (
        PAYMENT_FORM
        if policy == SUBSIDY.code
        else {"category": "older", "circumstances": "失业两年", "pledge": True}
    )
    return applications.create_application(
        actor=actor or w.u.county_operator,
        policy_code=policy,
        subject_id=person.pk,
        period=period,
        amount=amount if policy == SUBSIDY.code else None,
        form=form,
    )


def submitted(w, person=None, *, policy=SUBSIDY.code, today=MONDAY, actor=None, **kw):
    actor = actor or w.u.county_operator
    a = draft(w, person, actor=actor, policy=policy, **kw)
    if policy == RECOGNITION.code:
        applications.upload_material(a, actor=actor, kind="recognition_form", upload=pdf("表.pdf"))
    applications.upload_material(a, actor=actor, kind="id_card", upload=pdf())
    return applications.submit(a, actor=actor, today=today)
