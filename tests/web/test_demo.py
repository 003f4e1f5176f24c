"""The demo build that ``./run demo`` runs: real regions, service points, staff at five levels,
and a (here small) generated population of 曲沃县."""

import io

import pytest
from django.test import Client

from jiuye.accounts.models import User
from jiuye.regions.models import Region, ServicePoint, ServicePointKind
from jiuye.registry.models import Employer, Person
from jiuye.web.demo import DEMO_PASSWORD, build_demo


@pytest.mark.django_db
def test_demo_builds_and_rebuilds_without_duplicates():
    out = io.StringIO()
    logins = build_demo(stdout=out, people=2000)
    assert "未加载官方12位代码文件" in out.getvalue()
    shanxi = Region.objects.current().filter(code__startswith="14")
    assert [shanxi.filter(level=lvl).count() for lvl in range(1, 6)] == [1, 11, 117, 1413, 29933]
    # One public gig market per county, a station in a share of villages.
    markets = ServicePoint.objects.filter(kind=ServicePointKind.GIG_MARKET)
    assert markets.count() == Region.objects.current().filter(level=3).count()
    assert markets.filter(longitude__isnull=False).count() == markets.count()
    stations = ServicePoint.objects.filter(kind=ServicePointKind.GIG_STATION).count()
    assert 0.01 * 30310 < stations < 0.06 * 30310
    points = ServicePoint.objects.count()

    # Staff at province, city, county, township and village, with the printed password.
    levels = {Region.objects.current().get(code=login.region_code).level for login in logins}
    assert levels == {1, 2, 3, 4, 5}
    client = Client()
    assert (
        client.post(
            "/accounts/login/", {"username": "qw_village", "password": DEMO_PASSWORD}
        ).status_code
        == 302
    )
    village = User.objects.get(username="qw_village").home_region_code
    assert client.get(f"/regions/{village}/").status_code == 200
    assert client.get("/regions/141021000000/").status_code == 404  # the county above

    # The population lives in 曲沃县's villages; the summary names its size.
    assert "2000 people" in out.getvalue()
    assert Person.objects.count() == 2000
    assert not Person.objects.exclude(region_code__startswith="141021").exists()
    employers = Employer.objects.count()
    assert employers > 0

    again = io.StringIO()
    build_demo(stdout=again, people=2000)
    assert ServicePoint.objects.count() == points
    assert User.objects.count() == len(logins)
    assert Person.objects.count() == 2000 and Employer.objects.count() == employers
    assert "nothing generated" in again.getvalue()
