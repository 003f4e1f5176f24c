import datetime

import pytest

from jiuye.registry import actions, selectors
from jiuye.registry.models import EventKind, Household

D = datetime.date
TODAY = D(2026, 11, 1)


@pytest.mark.parametrize(
    "members, expected",
    [
        ([(D(1980, 1, 1), "1", "unemployed"), (D(1982, 1, 1), "2", "unemployed")], True),
        ([(D(1980, 1, 1), "1", "unemployed"), (D(1982, 1, 1), "2", "employed")], False),
        ([(D(1980, 1, 1), "1", "unemployed"), (D(1982, 1, 1), "2", "unknown")], False),
        # Children and retired members do not count either way.
        (
            [
                (D(1980, 1, 1), "1", "unemployed"),
                (D(2015, 1, 1), "2", "unknown"),
                (D(1950, 1, 1), "1", "unknown"),
            ],
            True,
        ),
        ([(D(2015, 1, 1), "2", "unknown"), (D(1950, 1, 1), "1", "unknown")], False),
        ([], False),
    ],
)
def test_zero_employment_rule(members, expected):
    assert selectors.is_zero_employment(members, TODAY) is expected


def test_zero_employment_is_computed_from_the_registry(staff, person_factory, client_for):
    op = staff["county_operator"]
    head = person_factory("韩大", birth=D(1978, 3, 1))
    wife = person_factory("刘二", birth=D(1980, 5, 1), female=True)
    child = person_factory("韩小", birth=D(2014, 9, 1))
    household = actions.create_household(
        actor=op, region_code="141021100200", head=head, address="东北街村3号"
    )
    actions.add_household_member(actor=op, household=household, person=wife, relation="spouse")
    actions.add_household_member(actor=op, household=household, person=child, relation="child")
    for p in (head, wife):
        actions.record_event(
            actor=op, person=p, kind=EventKind.UNEMPLOYMENT, occurred_on=D(2025, 2, 1)
        )
    qs = Household.objects.all()
    assert selectors.zero_employment_household_ids(qs) == [household.pk]
    client = client_for(op)
    assert "零就业家庭" in client.get(f"/registry/households/{household.pk}/").content.decode()
    # One of them finds a job: the family is cleared.
    actions.record_event(
        actor=op, person=wife, kind=EventKind.UNEMPLOYMENT_END, occurred_on=D(2025, 8, 1)
    )
    actions.record_event(
        actor=op, person=wife, kind=EventKind.EMPLOYMENT, occurred_on=D(2025, 8, 1), form="flexible"
    )
    assert selectors.zero_employment_household_ids(qs) == []
    listing = client.get("/registry/households/", {"zero": "1"}).content.decode()
    assert "东北街村3号" not in listing


def test_a_person_belongs_to_one_household(staff, person_factory):
    from jiuye.core.errors import JiuyeError

    op = staff["county_operator"]
    a, b = person_factory("甲"), person_factory("乙")
    actions.create_household(actor=op, region_code="141021100200", head=a)
    with pytest.raises(JiuyeError):
        actions.create_household(actor=op, region_code="141021100200", head=a)
    h2 = actions.create_household(actor=op, region_code="141021100200", head=b)
    with pytest.raises(JiuyeError):
        actions.add_household_member(actor=op, household=h2, person=a, relation="spouse")
