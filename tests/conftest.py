"""Shared fixtures: a small real slice of the region tree and staff at each level."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client

from jiuye.accounts.models import Role, RoleAssignment, User
from jiuye.regions.codes import level_of, parent_code, prefix_of
from jiuye.regions.models import Region, ServicePoint, ServicePointKind

PASSWORD = "Test-pass-2026"

# Real names and GB/T 2260 codes to county level; township and village codes as the shipped
# tree assigns them (jiuye.regions.sources).
SLICE = [
    ("140000000000", "山西省", "shanxisheng", "sxs"),
    ("141000000000", "临汾市", "linfenshi", "lfs"),
    ("141021000000", "曲沃县", "quwoxian", "qwx"),
    ("141021100000", "乐昌镇", "lechangzhen", "lcz"),
    ("141021100200", "东北街村", "dongbeijiecun", "dbjc"),
    ("141021100201", "西南街村", "xinanjiecun", "xnjc"),
    ("141021101000", "史村镇", "shicunzhen", "scz"),
    ("141081000000", "侯马市", "houmashi", "hms"),
    ("141081001000", "路东街道", "ludongjiedao", "ldjd"),
    ("141081001001", "市府北巷社区", "shifubeixiangshequ", "sfbxsq"),
    ("140100000000", "太原市", "taiyuanshi", "tys"),
    ("140105000000", "小店区", "xiaodianqu", "xdq"),
]


def build_slice() -> dict[str, Region]:
    made: dict[str, Region] = {}
    for code, name, pinyin, initials in SLICE:
        level = level_of(code)
        made[code] = Region.objects.create(
            code=code,
            prefix=prefix_of(code),
            name=name,
            level=level,
            parent=made.get(parent_code(code)) if level > 1 else None,
            code_source="gb2260" if level <= 3 else "assigned",
            pinyin=pinyin,
            pinyin_initials=initials,
            valid_from=datetime.date(2024, 1, 1),
        )
    return made


@pytest.fixture
def regions(db):
    return build_slice()


@pytest.fixture
def points(regions):
    return {
        "quwo_market": ServicePoint.objects.create(
            kind=ServicePointKind.GIG_MARKET,
            name="曲沃县公共零工市场",
            region_code="141021000000",
            address="曲沃县乐昌镇",
        ),
        "quwo_village": ServicePoint.objects.create(
            kind=ServicePointKind.GIG_STATION, name="东北街村零工驿站", region_code="141021100200"
        ),
        "houma_market": ServicePoint.objects.create(
            kind=ServicePointKind.GIG_MARKET, name="侯马市公共零工市场", region_code="141081000000"
        ),
        "taiyuan_market": ServicePoint.objects.create(
            kind=ServicePointKind.HR_MARKET, name="小店区人力资源市场", region_code="140105000000"
        ),
    }


def make_user(username: str, role: str, region_code: str, **extra) -> User:
    user = User.objects.create_user(
        username=username, password=PASSWORD, home_region_code=region_code, **extra
    )
    RoleAssignment.objects.create(user=user, role=role, region_code=region_code)
    return user


@pytest.fixture
def staff(regions):
    return {
        "province_admin": make_user("sx_admin", Role.SYSADMIN, "140000000000"),
        "province_leader": make_user("sx_leader", Role.LEADER, "140000000000"),
        "city_operator": make_user("lf_operator", Role.OPERATOR, "141000000000"),
        "county_operator": make_user("qw_operator", Role.OPERATOR, "141021000000"),
        "county_admin": make_user("qw_admin", Role.SYSADMIN, "141021000000"),
        "county_reviewer": make_user("qw_reviewer", Role.REVIEWER, "141021000000"),
        "houma_operator": make_user("hm_operator", Role.OPERATOR, "141081000000"),
        "township_operator": make_user("qw_town", Role.OPERATOR, "141021100000"),
        "village_operator": make_user("qw_village", Role.OPERATOR, "141021100200"),
    }


@pytest.fixture
def client_for(db):
    """``client_for(user)`` → a test client logged in as ``user``."""

    def make(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make


def valid_uscc(n: int, region6: str = "141021") -> str:
    """A valid unified social credit code (GB 32100, embedded GB 11714 check) for a county."""
    from jiuye.core.uscc import organization_code_check_character, uscc_check_character

    org8 = f"{n:08d}"
    first17 = "91" + region6 + org8 + organization_code_check_character(org8)
    return first17 + uscc_check_character(first17)


def valid_id(region6: str, birth: datetime.date, seq: int = 1, *, female: bool = False) -> str:
    """A valid 18-digit ID number (GB 11643) for a region, birth date and sex."""
    from jiuye.core.idnumber import check_character

    seq = seq * 2 if female else seq * 2 + 1  # odd sequence = male
    first17 = f"{region6}{birth:%Y%m%d}{seq % 1000:03d}"
    return first17 + check_character(first17)


@pytest.fixture
def person_factory(staff):
    """``person_factory(name, region_code, birth, female=False)`` registers through the action."""
    from jiuye.registry import actions

    counter = {"n": 0}

    def make(
        name,
        region_code="141021100200",
        birth=datetime.date(1985, 6, 1),
        *,
        female=False,
        actor=None,
        **fields,
    ):
        counter["n"] += 1
        return actions.register_person(
            actor=actor or staff["province_admin"],
            name=name,
            id_number=valid_id(region_code[:6], birth, counter["n"], female=female),
            region_code=region_code,
            **fields,
        )

    return make
