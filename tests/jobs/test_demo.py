"""The demo jobs: postings and applications for a county's employers and unemployed people,
and in 曲沃县 a job fair with hires made through the actions; running it again adds nothing."""

from __future__ import annotations

import io

from jiuye.jobs.demo import build
from jiuye.jobs.models import Application, FairIntention, Hire, JobFair, Posting, PostingStatus
from jiuye.registry import actions as registry_actions
from jiuye.registry.models import EmploymentStatus, EventKind

from .conftest import QUWO_TOWN, QUWO_VILLAGE, D, make_uscc, today


def test_demo_jobs(staff, person_factory):
    admin = staff["province_admin"]
    for n, industry in enumerate(["1512", "4813", "5211", "6110", "8010", "0111"] * 4, start=10):
        registry_actions.register_employer(
            actor=admin,
            uscc=make_uscc(n),
            name=f"演示单位{n}",
            region_code=QUWO_TOWN,
            industry_code=industry,
        )
    for i in range(40):
        person = person_factory(f"求职者{i}", QUWO_VILLAGE, D(1980 + i % 20, 1 + i % 12, 1))
        registry_actions.record_event(
            actor=admin, person=person, kind=EventKind.UNEMPLOYMENT, occurred_on=D(2025, 6, 1)
        )
    out = io.StringIO()
    report = build(region_prefix="141021", stdout=out)
    assert report.postings == Posting.objects.count() > 10
    assert "demo jobs" in out.getvalue()
    statuses = set(Posting.objects.values_list("status", flat=True))
    assert PostingStatus.PUBLISHED in statuses
    assert not Posting.objects.exclude(region_code__startswith="141021").exists()
    assert Application.objects.count() >= report.applications > 0
    # The showcase fair in 曲沃县: closed, with intentions and hires through the actions.
    fair = JobFair.objects.get(status="closed")
    assert fair.participants.exists() and fair.attendees.exists()
    assert FairIntention.objects.filter(fair=fair).exists()
    assert Hire.objects.count() == report.hires > 0
    hired = Hire.objects.select_related("application__person").first().application.person
    assert hired.employment_status == EmploymentStatus.EMPLOYED
    assert JobFair.objects.filter(status="planned", starts_at__date__gt=today()).count() == 1
    # Running it again adds nothing.
    again = build(region_prefix="141021")
    assert (again.postings, again.skipped) == (0, ["141021"])
    assert Posting.objects.count() == report.postings
