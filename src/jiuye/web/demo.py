"""Builds the demo database: the real region tree, service points, staff at five levels, and
a generated population (``jiuye.registry.demo_population``).

Everything here is deterministic (fixed random seed) and idempotent: running it again adds
nothing that is already there.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal

from django.core.management import call_command
from django.db import transaction

from jiuye.accounts import actions as account_actions
from jiuye.accounts.models import Role, User
from jiuye.core import audit
from jiuye.regions.models import Region, ServicePoint, ServicePointKind

DEMO_PASSWORD = "Jiuye@2026demo"
SEED = 20261123
GIG_STATION_SHARE = 0.03  # villages with a 零工驿站 in the demo
# --scale: where the demo population lives and its default size (None: the generator's).
SCALES = {
    "county": ("141021", None),  # 曲沃县, about 40,000 people
    "province": ("14", 1_000_000),  # all of Shanxi, in proportion to villages
    "none": (None, 0),
}


@dataclass(frozen=True)
class DemoLogin:
    username: str
    full_name: str
    role: str
    region_code: str


def _qw_township_and_village() -> tuple[Region, Region]:
    county = Region.objects.current().get(code="141021000000")  # 曲沃县
    township = Region.objects.current().filter(parent=county).order_by("code").first()
    village = Region.objects.current().filter(parent=township).order_by("code").first()
    return township, village


def demo_logins() -> list[DemoLogin]:
    township, village = _qw_township_and_village()
    return [
        DemoLogin("sx_admin", "山西省系统管理员", Role.SYSADMIN, "140000000000"),
        DemoLogin("sx_leader", "山西省厅领导", Role.LEADER, "140000000000"),
        DemoLogin("lf_operator", "临汾市经办", Role.OPERATOR, "141000000000"),
        DemoLogin("lf_admin", "临汾市系统管理员", Role.SYSADMIN, "141000000000"),
        DemoLogin("qw_operator", "曲沃县经办", Role.OPERATOR, "141021000000"),
        DemoLogin("qw_reviewer", "曲沃县审核", Role.REVIEWER, "141021000000"),
        DemoLogin("qw_admin", "曲沃县系统管理员", Role.SYSADMIN, "141021000000"),
        DemoLogin("qw_town", f"{township.name}经办", Role.OPERATOR, township.code),
        DemoLogin("qw_village", f"{village.name}协理员", Role.OPERATOR, village.code),
    ]


@transaction.atomic
def create_staff(password: str = DEMO_PASSWORD) -> list[DemoLogin]:
    logins = demo_logins()
    root_spec = logins[0]
    root = User.objects.filter(username=root_spec.username).first()
    if root is None:
        # The first administrator has nobody above them to create them: bootstrap directly.
        root = User(
            username=root_spec.username,
            full_name=root_spec.full_name,
            home_region_code=root_spec.region_code,
            is_staff=True,
        )
        root.set_password(password)
        root.save()
        root.role_assignments.create(role=root_spec.role, region_code=root_spec.region_code)
        audit.record(
            actor=None, action="demo.bootstrap_admin", obj=root, region_code=root_spec.region_code
        )
    for spec in logins[1:]:
        if not User.objects.filter(username=spec.username).exists():
            account_actions.create_user(
                actor=root,
                username=spec.username,
                password=password,
                home_region_code=spec.region_code,
                full_name=spec.full_name,
                roles=[(spec.role, spec.region_code)],
            )
    return logins


def _jitter(
    rng: random.Random, center: tuple[float, float], spread: float
) -> tuple[Decimal, Decimal]:
    lon, lat = center
    return (
        Decimal(f"{lon + rng.uniform(-spread, spread):.6f}"),
        Decimal(f"{lat + rng.uniform(-spread, spread):.6f}"),
    )


def _phone(rng: random.Random) -> str:
    return f"0357-{rng.randint(2000000, 8999999)}"


@transaction.atomic
def create_service_points() -> int:
    """One public gig market per county, an HR market per city, a service point per township,
    gig stations in a share of villages. Coordinates are the county's real centre (from the
    shipped county table) with a small offset for places below it."""
    if ServicePoint.objects.exists():
        return 0
    from jiuye.regions.sources import county_coordinates

    rng = random.Random(SEED)
    coords = county_coordinates()
    regions = list(Region.objects.current().order_by("code").values("code", "name", "level"))
    names = {r["code"]: r["name"] for r in regions}
    rows: list[ServicePoint] = []

    def centre_of(code: str) -> tuple[float, float] | None:
        return coords.get(code[:6].ljust(12, "0")) or coords.get(code[:4].ljust(12, "0"))

    for r in regions:
        code, name, level = r["code"], r["name"], r["level"]
        centre = centre_of(code)
        if level == 2:
            lon, lat = _jitter(rng, centre, 0.01) if centre else (None, None)
            rows.append(
                ServicePoint(
                    kind=ServicePointKind.HR_MARKET,
                    name=f"{name}人力资源市场",
                    region_code=code,
                    address=f"{name}人力资源市场大厅",
                    longitude=lon,
                    latitude=lat,
                    opening_hours="周一至周五 8:30-12:00 14:30-17:30",
                    contact_phone=_phone(rng),
                )
            )
        elif level == 3:
            lon, lat = _jitter(rng, centre, 0.01) if centre else (None, None)
            rows.append(
                ServicePoint(
                    kind=ServicePointKind.GIG_MARKET,
                    name=f"{name}公共零工市场",
                    region_code=code,
                    address=f"{names.get(code[:4].ljust(12, '0'), '')}{name}零工市场",
                    longitude=lon,
                    latitude=lat,
                    opening_hours="每日 6:00-18:00",
                    contact_person="值班员",
                    contact_phone=_phone(rng),
                )
            )
        elif level == 4:
            lon, lat = _jitter(rng, centre, 0.12) if centre else (None, None)
            rows.append(
                ServicePoint(
                    kind=ServicePointKind.SERVICE_POINT,
                    name=f"{name}人社服务站",
                    region_code=code,
                    address=f"{name}便民服务中心",
                    longitude=lon,
                    latitude=lat,
                    opening_hours="周一至周五 8:30-17:30",
                    contact_phone=_phone(rng),
                )
            )
        elif level == 5 and rng.random() < GIG_STATION_SHARE:
            lon, lat = _jitter(rng, centre, 0.2) if centre else (None, None)
            rows.append(
                ServicePoint(
                    kind=ServicePointKind.GIG_STATION,
                    name=f"{name}零工驿站",
                    region_code=code,
                    address=f"{name}党群服务中心",
                    longitude=lon,
                    latitude=lat,
                    opening_hours="每日 7:00-19:00",
                    contact_phone=_phone(rng),
                )
            )
    ServicePoint.objects.bulk_create(rows, batch_size=1000)
    audit.record(
        actor=None,
        action="demo.create_service_points",
        object_type="regions.servicepoint",
        object_repr=f"{len(rows)} demo service points",
        after={"count": len(rows)},
    )
    return len(rows)


def build_demo(
    *, stdout, reset: bool = False, scale: str = "county", people: int | None = None
) -> list[DemoLogin]:
    """``scale`` is "county" (曲沃县), "province" (all of Shanxi) or "none" (no people);
    ``people`` overrides the size of the generated population."""
    from jiuye.regions.loaders import load_region_tree

    if scale not in SCALES:
        raise ValueError(f"scale must be one of {', '.join(SCALES)}, not {scale!r}")
    if reset:
        call_command("flush", interactive=False, verbosity=0)
    call_command("migrate", interactive=False, verbosity=0)
    stdout.write("区划数据 / regions …")
    load_region_tree(stdout=stdout)
    n = create_service_points()
    stdout.write(f"服务点 / service points: {n} created, {ServicePoint.objects.count()} in all")
    logins = create_staff()
    prefix, default_people = SCALES[scale]
    if prefix is not None:
        from jiuye.registry.demo_population import generate_population

        stdout.write("演示人口 / demo population …")
        generate_population(
            region_prefix=prefix,
            people=people if people is not None else default_people,
            seed=SEED,
            stdout=stdout,
        )
        from jiuye.jobs.demo import build as build_jobs

        stdout.write("演示岗位 / demo jobs …")
        build_jobs(region_prefix=prefix, stdout=stdout)
        from jiuye.accounts.scoping import Scope
        from jiuye.matching.occupation_fill import fill_missing_codes

        stdout.write("职业编码 / coding job titles without an occupation code …")
        filled = fill_missing_codes(actor=None, scope=Scope(everything=True))
        stdout.write(
            f"  postings {filled.postings.coded}/{filled.postings.blank}, "
            f"intentions {filled.intentions.coded}/{filled.intentions.blank} coded"
        )
        from jiuye.policies.demo import build as build_policies

        stdout.write("政策找人与补贴 / policy targeting and subsidies …")
        build_policies(region_prefix=prefix, stdout=stdout)
    return logins
