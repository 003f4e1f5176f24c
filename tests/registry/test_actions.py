import datetime

import pytest
from tests.conftest import valid_id

from jiuye.core.crypto import blind_index
from jiuye.core.errors import JiuyeError
from jiuye.core.models import AuditLog
from jiuye.registry import actions
from jiuye.registry.models import EmploymentStatus, EventKind, Person
from jiuye.registry.status import derive_status, facts_by_person

D = datetime.date


def test_register_person_derives_facts_from_the_id_number(staff):
    number = valid_id("141021", D(1990, 2, 28), 7, female=True)
    person = actions.register_person(
        actor=staff["county_operator"],
        name=" 王芳 ",
        id_number=number.lower(),
        region_code="141021100200",
        phone="13800001111",
    )
    person = Person.objects.get(pk=person.pk)
    assert person.name == "王芳"
    assert person.id_number == number  # decrypted from the stored ciphertext
    assert person.id_hash == blind_index(number)
    assert (person.birth_date, person.sex) == (D(1990, 2, 28), "2")
    assert person.native_region_code == "141021000000"
    row = AuditLog.objects.get(action="registry.person.create")
    assert row.after["id_number"] == number[:4] + "*" * 10 + number[-4:]
    assert number not in str(row.after)


def test_id_number_is_encrypted_at_rest(staff):
    from django.db import connection

    number = valid_id("141021", D(1990, 1, 1))
    person = actions.register_person(
        actor=staff["county_operator"], name="张三", id_number=number, region_code="141021100200"
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number FROM registry_person WHERE id = %s", [person.pk])
        stored = cursor.fetchone()[0]
    assert number not in stored and len(stored) > 60


def test_fifteen_digit_numbers_become_eighteen(staff):
    number18 = valid_id("141021", D(1967, 4, 1), 1)
    number15 = number18[:6] + number18[8:17]
    person = actions.register_person(
        actor=staff["county_operator"], name="老张", id_number=number15, region_code="141021100200"
    )
    assert person.id_number == number18


@pytest.mark.parametrize("bad", ["141021199001011234", "12345", "991021199001010016"])
def test_invalid_id_numbers_are_refused(staff, bad):
    with pytest.raises(JiuyeError) as err:
        actions.register_person(
            actor=staff["county_operator"], name="甲", id_number=bad, region_code="141021100200"
        )
    assert err.value.code == "invalid_id_number"


def test_duplicates_and_scope(staff):
    number = valid_id("141021", D(1990, 1, 1))
    actions.register_person(
        actor=staff["county_operator"], name="甲", id_number=number, region_code="141021100200"
    )
    with pytest.raises(JiuyeError) as err:
        actions.register_person(
            actor=staff["houma_operator"], name="甲", id_number=number, region_code="141081001001"
        )
    assert err.value.code == "conflict"
    with pytest.raises(JiuyeError) as err:
        actions.register_person(
            actor=staff["county_operator"],
            name="乙",
            id_number=valid_id("141081", D(1991, 1, 1)),
            region_code="141081001001",
        )
    assert err.value.code == "out_of_scope"
    with pytest.raises(JiuyeError):  # a leader is read-only
        actions.register_person(
            actor=staff["province_leader"],
            name="丙",
            id_number=valid_id("141021", D(1992, 1, 1)),
            region_code="141021100200",
        )


def test_events_derive_status_and_are_append_only(staff, person_factory):
    op = staff["county_operator"]
    p = person_factory("李四")
    assert p.employment_status == EmploymentStatus.UNKNOWN
    actions.record_event(
        actor=op,
        person=p,
        kind=EventKind.UNEMPLOYMENT,
        occurred_on=D(2025, 3, 1),
        reason="合同到期",
    )
    p.refresh_from_db()
    assert (p.employment_status, p.status_since) == ("unemployed", D(2025, 3, 1))
    job = actions.record_event(
        actor=op,
        person=p,
        kind=EventKind.EMPLOYMENT,
        occurred_on=D(2025, 6, 1),
        form="unit",
        work_place="in_county",
    )
    p.refresh_from_db()
    assert (p.employment_status, p.status_since) == ("employed", D(2025, 6, 1))
    # The wrong date is corrected by a new event, not by editing the old one.
    actions.record_event(
        actor=op,
        person=p,
        kind=EventKind.EMPLOYMENT,
        occurred_on=D(2025, 6, 15),
        form="unit",
        supersedes=job,
    )
    p.refresh_from_db()
    assert p.status_since == D(2025, 6, 15)
    assert p.events.count() == 3
    with pytest.raises(JiuyeError):  # registered unemployed while employed
        actions.record_event(
            actor=op, person=p, kind=EventKind.UNEMPLOYMENT, occurred_on=D(2025, 7, 1)
        )
    actions.record_event(
        actor=op, person=p, kind=EventKind.EMPLOYMENT_END, occurred_on=D(2025, 9, 30), reason="辞职"
    )
    p.refresh_from_db()
    assert p.employment_status == "unknown"
    assert derive_status(facts_by_person([p.pk])[p.pk]) == (p.employment_status, p.status_since)
    assert AuditLog.objects.filter(action="registry.event.correct").count() == 1


def test_end_without_start_is_refused(staff, person_factory):
    p = person_factory("王五")
    with pytest.raises(JiuyeError):
        actions.record_event(
            actor=staff["county_operator"],
            person=p,
            kind=EventKind.EMPLOYMENT_END,
            occurred_on=D(2025, 1, 1),
        )


def test_memberships(staff, person_factory):
    p = person_factory("赵六")
    m = actions.add_membership(
        actor=staff["county_operator"],
        person=p,
        group="graduate",
        valid_from=D(2025, 7, 1),
        details={"graduation_year": 2025, "school": "山西大学"},
    )
    actions.end_membership(actor=staff["county_operator"], membership=m, valid_to=D(2027, 6, 30))
    m.refresh_from_db()
    assert m.valid_to == D(2027, 6, 30)
    with pytest.raises(JiuyeError):
        actions.add_membership(
            actor=staff["county_operator"], person=p, group="nonsense", valid_from=D(2025, 1, 1)
        )


def test_employer_registration_validates_the_credit_code(staff):
    e = actions.register_employer(
        actor=staff["county_operator"],
        uscc="91350100m000100y43",
        name="测试有限公司",
        region_code="141021100000",
    )
    assert e.uscc == "91350100M000100Y43"
    with pytest.raises(JiuyeError) as err:
        actions.register_employer(
            actor=staff["county_operator"],
            uscc="91350100M000100Y44",
            name="错码公司",
            region_code="141021100000",
        )
    assert err.value.code == "invalid_uscc"
    with pytest.raises(JiuyeError) as err:
        actions.register_employer(
            actor=staff["county_operator"],
            uscc="91350100M000100Y43",
            name="重复",
            region_code="141021100000",
        )
    assert err.value.code == "conflict"


def test_merge_keeps_history(staff, person_factory):
    op = staff["county_operator"]
    keep = person_factory("孙七", phone="")
    dup = person_factory("孙七", phone="13900002222")
    actions.record_event(
        actor=op, person=dup, kind=EventKind.UNEMPLOYMENT, occurred_on=D(2025, 1, 1)
    )
    actions.add_membership(actor=op, person=dup, group="dibao", valid_from=D(2024, 1, 1))
    actions.merge_persons(actor=op, keep=keep, duplicate=dup)
    keep.refresh_from_db()
    dup.refresh_from_db()
    assert dup.merged_into == keep
    assert keep.events.count() == 1 and keep.memberships.count() == 1
    assert keep.phone == "13900002222"
    assert keep.employment_status == "unemployed"
    assert AuditLog.objects.filter(action="registry.person.merge", object_id=str(keep.pk)).exists()
    with pytest.raises(JiuyeError):
        actions.merge_persons(actor=op, keep=keep, duplicate=dup)


def test_reveal_needs_the_permission_and_is_audited(staff, person_factory):
    p = person_factory("周八")
    assert actions.reveal_id_number(actor=staff["county_reviewer"], person=p) == p.id_number
    assert (
        AuditLog.objects.filter(
            action="registry.person.view_full_id", actor=staff["county_reviewer"]
        ).count()
        == 1
    )
    with pytest.raises(JiuyeError):
        actions.reveal_id_number(actor=staff["province_leader"], person=p)


@pytest.mark.django_db
def test_intention_title_without_code_is_coded_when_confident(staff, person_factory):
    from jiuye.registry.models import JobIntention

    person = person_factory("赵焊工")
    actor = staff["county_operator"]
    coded = actions.add_intention(actor=actor, person=person, title="电焊工（持证）")
    assert (coded.occupation_code, coded.occupation_coded_by) == ("6-18-02-04", "auto")
    # A code given by staff is kept as it is; nonsense stays uncoded for staff to choose.
    given = actions.add_intention(
        actor=actor, person=person, title="电焊工", occupation_code="6-29-01-01"
    )
    assert (given.occupation_code, given.occupation_coded_by) == ("6-29-01-01", "")
    vague = actions.add_intention(actor=actor, person=person, title="啥都行")
    assert vague.occupation_code == "" and JobIntention.objects.filter(person=person).count() == 3
