"""政策找人 runs: results stored idempotently, scoping, progress fields, the same decision as
the calculator, and a run of every policy over a registry that has a bit of everything."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import translation
from tests.conftest import valid_uscc
from tests.policies.test_loader import AS_OF, QUWO, registry  # noqa: F401  (a fixture)

from jiuye.core.errors import JiuyeError
from jiuye.core.models import AuditLog
from jiuye.policies import parameters
from jiuye.policies.calculator import calculate
from jiuye.policies.models import Notice, PolicyResult, PolicyRun, RunStatus
from jiuye.policies.rules import all_policies
from jiuye.policies.runs import create_run, run_policies, start_run
from jiuye.registry.models import (
    Employer,
    EmploymentEvent,
    InsuranceContribution,
    KeyGroupMembership,
)

EXPANSION = "expansion_subsidy"
HOUMA_COMMUNITY = "141081001001"


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def _graduate(person_factory, name, region, *, birth="2002-03-01", year=2025):
    person = person_factory(name, region, dt.date.fromisoformat(birth))
    KeyGroupMembership.objects.create(
        person=person,
        group="graduate",
        valid_from=dt.date(year, 6, 30),
        details={"year": year, "school": "山西师范大学"},
    )
    return person


def _hire(person, employer, on: str, months: int, *, region=None):
    EmploymentEvent.objects.create(
        person=person,
        kind="employment",
        occurred_on=dt.date.fromisoformat(on),
        region_code=region or person.region_code,
        employer=employer,
        form="unit",
        contract_type="fixed",
        contract_end=dt.date.fromisoformat(on) + dt.timedelta(days=3 * 365),
    )
    start = dt.date.fromisoformat(on).replace(day=1)
    for i in range(months):
        month = dt.date(start.year + (start.month - 1 + i) // 12, (start.month - 1 + i) % 12 + 1, 1)
        for kind in ("unemployment", "injury", "pension"):
            InsuranceContribution.objects.create(
                person=person, employer=employer, insurance_type=kind, month=month, amount=50
            )


@pytest.fixture
def hires(person_factory):
    """Three graduates hired by one 曲沃 employer: one eligible, one not yet insured long
    enough, one living (and registered) in 侯马; and a hire that concerns no policy here."""
    employer = Employer.objects.create(
        uscc=valid_uscc(11),
        name="曲沃县晋韵科技有限公司",
        region_code="141021100000",
        ownership="private",
        size_class="small",
        contact_phone="13912345678",
    )
    g1 = _graduate(person_factory, "陈一", "141021100200")
    _hire(g1, employer, "2025-07-01", 3)
    g2 = _graduate(person_factory, "陈二", "141021100201")
    _hire(g2, employer, "2025-08-01", 2)
    h1 = _graduate(person_factory, "侯一", HOUMA_COMMUNITY)
    _hire(h1, employer, "2025-07-01", 3)
    older = person_factory("陈老", "141021100200", dt.date(1980, 1, 1))
    _hire(older, employer, "2025-07-01", 3)
    return {"employer": employer, "g1": g1, "g2": g2, "h1": h1, "older": older}


def _run(staff, **kwargs):
    return run_policies(
        actor=staff["county_operator"],
        as_of=kwargs.pop("as_of", AS_OF),
        region_code=kwargs.pop("region_code", QUWO),
        policies=kwargs.pop("policies", [EXPANSION]),
        **kwargs,
    )


def test_run_stores_candidates_of_its_region(staff, hires):
    run = _run(staff)
    assert run.status == RunStatus.DONE, run.error
    results = {r.subject_id: r for r in PolicyResult.objects.filter(policy=EXPANSION)}
    # g1 eligible, g2 a candidate that fails a condition; h1's hire was registered in 侯马
    # (outside the run's region) and the older hire is no candidate at all.
    assert set(results) == {hires["g1"].pk, hires["g2"].pk}
    g1, g2 = results[hires["g1"].pk], results[hires["g2"].pk]
    assert g1.eligible and g1.amount == Decimal("1500.00")
    assert g1.payee_type == "employer" and g1.payee_id == hires["employer"].pk
    assert g1.period == "once" and g1.region_code == "141021100200" and g1.run == run
    assert g1.as_of == AS_OF
    # Every condition (PostgreSQL's jsonb keeps no key order; pages follow the policy's).
    assert set(g1.conditions) == {c.code for c in all_policies()[EXPANSION].conditions}
    assert all(g1.conditions.values())
    assert g1.facts["hired_on"] == "2025-07-01" and g1.facts["age_at_hire"] == 23
    assert not g2.eligible and g2.amount == 0
    assert g2.conditions["target_group"] and not g2.conditions["insured"]
    assert run.counts[EXPANSION] == {
        "candidates": 2,
        "eligible": 1,
        "amount": "1500.00",
        "notices": 1,  # an SMS to the employer's contact phone
    }


def test_rerun_of_the_same_period_duplicates_nothing(staff, hires):
    first = _run(staff)
    ids = dict(PolicyResult.objects.values_list("subject_id", "id"))
    notices = list(Notice.objects.values_list("id", flat=True))
    assert len(notices) == 1
    second = _run(staff)
    assert second.pk != first.pk and second.status == RunStatus.DONE
    assert dict(PolicyResult.objects.values_list("subject_id", "id")) == ids
    assert set(PolicyResult.objects.values_list("run", flat=True)) == {second.pk}
    assert list(Notice.objects.values_list("id", flat=True)) == notices
    assert second.counts[EXPANSION]["candidates"] == first.counts[EXPANSION]["candidates"]
    assert second.counts[EXPANSION]["notices"] == 0  # queued by the first run already
    # A third month paid makes g2 eligible: the same row changes, a notice is added.
    g2 = hires["g2"]
    for kind in ("unemployment", "injury", "pension"):
        InsuranceContribution.objects.create(
            person=g2,
            employer=hires["employer"],
            insurance_type=kind,
            month=dt.date(2025, 10, 1),
            amount=50,
        )
    third = _run(staff)
    assert dict(PolicyResult.objects.values_list("subject_id", "id")) == ids
    assert PolicyResult.objects.get(subject_id=g2.pk).eligible
    assert third.counts[EXPANSION]["eligible"] == 2
    assert third.counts[EXPANSION]["notices"] == 1
    assert Notice.objects.count() == 2


def test_progress_fields(staff, hires):
    run = _run(staff)
    run.refresh_from_db()
    assert run.status == RunStatus.DONE and run.stage == "done" and run.error == ""
    assert run.total == 4 and run.processed == 4  # four hires of loaded people
    assert run.started_at and run.finished_at and run.finished_at >= run.started_at
    assert set(run.timings) >= {"load", "evaluate", "store", "notices", "total"}
    assert run.param_versions[EXPANSION]["expansion_subsidy.amount"].startswith(
        "expansion_subsidy.amount@"
    )
    assert run.policies == [EXPANSION]
    audited = AuditLog.objects.filter(object_type="policies.policyrun", object_id=str(run.pk))
    actions = list(audited.values_list("action", flat=True))
    assert sorted(actions) == ["policies.run.finish", "policies.run.start"]


def test_same_decision_as_the_calculator(staff, hires):
    _run(staff)
    stored = PolicyResult.objects.get(policy=EXPANSION, subject_id=hires["g1"].pk)
    situation = {
        "as_of": AS_OF.isoformat(),
        "people": [
            {
                "id": "g1",
                "birth_date": "2002-03-01",
                "sex": "1",
                "graduate": True,
                "graduate_year": 2025,
                "left_school_on": "2025-06-30",
                "employment_status": "employed",
                "employed_since": "2025-07-01",
                "employer_id": "e1",
            }
        ],
        "employers": [{"id": "e1", "ownership": "private", "size_class": "small"}],
        "hires": [
            {
                "person_id": "g1",
                "employer_id": "e1",
                "hired_on": "2025-07-01",
                "contract_months": 36,
                "ui_months_after": 3,
                "injury_months_after": 3,
                "pension_months_after": 3,
                "still_employed": True,
            }
        ],
    }
    (policy,) = calculate(situation, [EXPANSION])["policies"]
    (answer,) = policy["results"]
    assert answer["eligible"] == stored.eligible
    assert Decimal(str(answer["amount"])) == stored.amount
    assert {c["code"]: c["passed"] for c in answer["conditions"]} == stored.conditions


def test_every_policy_runs_on_registry_data(staff, registry, hires):  # noqa: F811
    run = _run(staff, policies=None)
    assert run.status == RunStatus.DONE, run.error
    assert run.policies == []
    assert set(run.counts) == set(all_policies())
    assert run.total == run.processed > 0
    # Everything stored lies in the run's region and passes its policy's gates.
    for result in PolicyResult.objects.all():
        assert result.region_code.startswith("141021"), result
        gates = [c.code for c in all_policies()[result.policy].conditions if c.gate]
        assert all(result.conditions[g] for g in gates), result


def test_scoping_of_the_action(staff, hires):
    with pytest.raises(JiuyeError) as refused:
        run_policies(
            actor=staff["houma_operator"], as_of=AS_OF, region_code=QUWO, policies=[EXPANSION]
        )
    assert refused.value.status == 404
    with pytest.raises(JiuyeError):  # a reviewer may see but not run
        run_policies(
            actor=staff["county_reviewer"], as_of=AS_OF, region_code=QUWO, policies=[EXPANSION]
        )
    with pytest.raises(JiuyeError):  # a region that does not exist
        _run(staff, region_code="141099000000")
    with pytest.raises(JiuyeError):
        _run(staff, policies=["no_such_policy"])
    assert not PolicyRun.objects.exists()
    # A township user runs their township only: 乐昌镇 holds g1, not g2's village? Both.
    run = run_policies(
        actor=staff["township_operator"],
        as_of=AS_OF,
        region_code="141021100000",
        policies=[EXPANSION],
    )
    assert run.status == RunStatus.DONE
    assert run.counts[EXPANSION]["candidates"] == 2


def test_a_run_of_the_village_keeps_only_the_village(staff, hires):
    run = _run(staff, region_code="141021100200")
    assert run.counts[EXPANSION]["candidates"] == 1
    assert list(PolicyResult.objects.values_list("subject_id", flat=True)) == [hires["g1"].pk]


def test_start_run_runs_inline_in_a_transaction(staff, hires):
    run = start_run(
        actor=staff["county_operator"], as_of=AS_OF, region_code=QUWO, policies=[EXPANSION]
    )
    run.refresh_from_db()
    assert run.status == RunStatus.DONE
    assert PolicyResult.objects.filter(run=run).count() == 2


def test_overlapping_run_in_progress_is_refused(staff, hires):
    create_run(actor=staff["county_operator"], as_of=AS_OF, region_code=QUWO)
    with pytest.raises(JiuyeError) as refused:
        create_run(actor=staff["city_operator"], as_of=AS_OF, region_code="141000000000")
    assert refused.value.status == 409
    # 侯马 does not overlap 曲沃.
    create_run(actor=staff["city_operator"], as_of=AS_OF, region_code="141081000000")


def test_a_failing_run_is_marked_failed(staff, hires, tmp_path, settings):
    # A province's parameter file that leaves a parameter without a value on the date.
    (tmp_path / "broken.yaml").write_text(
        "expansion_subsidy.youth_age_min:\n"
        "  values:\n"
        "    - value: 16\n"
        "      from: 2030-01-01\n"
        "      reference: test\n",
        encoding="utf-8",
    )
    settings.JIUYE_POLICY_PARAMETER_DIRS = [str(tmp_path)]
    parameters.clear_cache()
    try:
        run = _run(staff)
    finally:
        parameters.clear_cache()
    assert run.status == RunStatus.FAILED
    assert "youth_age_min" in run.error
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED and run.finished_at
