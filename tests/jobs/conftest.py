"""Fixtures for the jobs tests: employers and people in 曲沃县 and 侯马市, and helpers that
make postings in each status through the actions."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone, translation
from tests.conftest import make_user
from tests.conftest import valid_uscc as make_uscc

from jiuye.accounts.models import Role
from jiuye.jobs import actions
from jiuye.registry import actions as registry_actions

D = datetime.date
QUWO_TOWN = "141021100000"  # 乐昌镇
QUWO_VILLAGE = "141021100200"  # 东北街村
HOUMA_STREET = "141081001000"  # 路东街道
HOUMA_COMMUNITY = "141081001001"


@pytest.fixture(autouse=True)
def english():
    """Messages are matched in English (the msgids), whatever the catalogue translates."""
    with translation.override("en"):
        yield


def today() -> datetime.date:
    return timezone.localdate()


@pytest.fixture
def reviewers(staff):
    return {
        "quwo": staff["county_reviewer"],
        "houma": make_user("hm_reviewer", Role.REVIEWER, "141081000000"),
    }


@pytest.fixture
def employers(staff):
    admin = staff["province_admin"]
    return {
        "quwo": registry_actions.register_employer(
            actor=admin, uscc=make_uscc(1), name="曲沃晋华酿造有限公司", region_code=QUWO_TOWN
        ),
        "quwo2": registry_actions.register_employer(
            actor=admin, uscc=make_uscc(2), name="曲沃县乐昌物流有限公司", region_code=QUWO_TOWN
        ),
        "houma": registry_actions.register_employer(
            actor=admin,
            uscc=make_uscc(3, "141081"),
            name="侯马市路东机械厂",
            region_code=HOUMA_STREET,
        ),
    }


@pytest.fixture
def posting_factory(staff, employers, reviewers):
    """``posting_factory(where="quwo", status="draft", **fields)`` → a posting in that status,
    made and moved through the actions by the county's own operator and reviewer."""

    def make(where="quwo", status="draft", **fields):
        operator = staff["county_operator"] if where == "quwo" else staff["houma_operator"]
        reviewer = reviewers[where]
        values = {
            "employer": employers[where],
            "title": "白酒酿造工",
            "occupation_code": "6-02-06-03",
            "region_code": QUWO_TOWN if where == "quwo" else HOUMA_STREET,
            "valid_from": today() - datetime.timedelta(days=10),
            "valid_to": today() + datetime.timedelta(days=50),
            "headcount": 2,
            "description": "负责白酒酿造生产，男女不限。",
            **fields,
        }
        posting = actions.create_posting(actor=operator, **values)
        if status in ("review", "published", "withdrawn_published"):
            posting = actions.submit_posting(actor=operator, posting=posting)
        if status in ("published", "withdrawn_published"):
            posting = actions.approve_posting(
                actor=reviewer, posting=posting, acknowledge_findings=True, note="已核实"
            )
        return posting

    return make


@pytest.fixture
def people(person_factory):
    return {
        "quwo": person_factory("张明", QUWO_VILLAGE, D(1990, 5, 1)),
        "quwo2": person_factory("李芳", QUWO_VILLAGE, D(1995, 8, 8), female=True),
        "houma": person_factory("王强", HOUMA_COMMUNITY, D(1988, 3, 3)),
    }
