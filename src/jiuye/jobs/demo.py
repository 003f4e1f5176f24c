"""Demo postings, applications and job fairs for the demo population.

``build(region_prefix="141021")`` gives the employers of every county under the prefix a
seeded set of postings (most published and open today, some drafts, some under review — a few
of those with requirements the law forbids, for the review page —, some expired), and refers
registered-unemployed people of the same county to the open ones. The postings and
applications are written with ``bulk_create`` so a province-scale demo stays fast.

In the demo county 曲沃县 (141021) it also runs the real actions as the demo staff: a closed
spring job fair (春风行动) with employers, attendees, signed intentions and hires (each hire
records its employment registration), and an upcoming one.

A county that already has postings is skipped, so running the demo again adds nothing.
"""

from __future__ import annotations

import datetime
import random
import time
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TextIO

from django.db import transaction
from django.utils import timezone

from jiuye.core import audit
from jiuye.core.errors import JiuyeError
from jiuye.jobs.models import (
    Application,
    ApplicationSource,
    ApplicationStatus,
    Channel,
    Posting,
    PostingKind,
    PostingStatus,
)
from jiuye.jobs.review import scan_fields
from jiuye.regions.geo import coordinates_of
from jiuye.regions.models import Region
from jiuye.registry.models import Employer, EmploymentStatus, Person

SEED = 20261123
DEMO_COUNTY = "141021"  # 曲沃县
# How many postings an employer has: most one, some none, a few several.
POSTINGS_PER_EMPLOYER = (0, 0, 1, 1, 1, 1, 2, 2, 3)
# Status mix of the generated postings (weights).
STATUS_WEIGHTS = (
    (PostingStatus.PUBLISHED, 70),
    (PostingStatus.DRAFT, 8),
    (PostingStatus.REVIEW, 8),
    (PostingStatus.EXPIRED, 10),
    (PostingStatus.WITHDRAWN, 4),
)
APPLICANTS = (0, 0, 1, 1, 2, 3, 4)

# (title, occupation code, monthly wage range, minimum education, kind)
_J = tuple[str, str, tuple[int, int], str, str]
JOBS_BY_GROUP: dict[str, list[_J]] = {
    "agri": [
        ("农艺工", "5-01-02-01", (2600, 3600), "", PostingKind.FULL_TIME),
        ("果园采摘临时工", "5-01-02-01", (120, 180), "", PostingKind.GIG),
    ],
    "mining": [
        ("井下采矿工", "6-16-01-05", (7000, 11000), "40", PostingKind.FULL_TIME),
        ("井下支护工", "6-16-01-06", (6500, 9500), "40", PostingKind.FULL_TIME),
        ("安全员", "6-31-06-00", (4500, 6500), "40", PostingKind.FULL_TIME),
    ],
    "food": [
        ("白酒酿造工", "6-02-06-03", (3200, 4800), "", PostingKind.FULL_TIME),
        ("酿酒师", "6-02-06-01", (4500, 7000), "30", PostingKind.FULL_TIME),
        ("包装工", "6-31-05-00", (2800, 3800), "", PostingKind.FULL_TIME),
        ("化学检验员", "6-31-03-01", (3500, 5000), "30", PostingKind.FULL_TIME),
    ],
    "manufacturing": [
        ("焊工", "6-18-02-04", (5000, 7500), "40", PostingKind.FULL_TIME),
        ("车工", "6-18-01-01", (4500, 6500), "40", PostingKind.FULL_TIME),
        ("铸造工", "6-18-02-01", (4800, 7000), "", PostingKind.FULL_TIME),
        ("设备点检员", "6-31-01-01", (4200, 6000), "40", PostingKind.FULL_TIME),
        ("质检员", "6-31-03-05", (3500, 5000), "60", PostingKind.FULL_TIME),
        ("机修钳工", "6-31-01-02", (4500, 6500), "40", PostingKind.FULL_TIME),
    ],
    "energy": [
        ("电工", "6-31-01-03", (4500, 6500), "40", PostingKind.FULL_TIME),
        ("光伏发电运维值班员", "6-28-01-10", (4200, 6000), "30", PostingKind.FULL_TIME),
    ],
    "construction": [
        ("砌筑工", "6-29-01-01", (6000, 9000), "", PostingKind.FULL_TIME),
        ("钢筋工", "6-29-01-04", (6000, 9000), "", PostingKind.FULL_TIME),
        ("架子工", "6-29-01-05", (6500, 9500), "", PostingKind.GIG),
    ],
    "trade": [
        ("营销员", "4-01-02-01", (3000, 6000), "60", PostingKind.FULL_TIME),
        ("收银员", "4-01-02-04", (2500, 3200), "60", PostingKind.FULL_TIME),
        ("商品营业员", "4-01-02-03", (2500, 3500), "", PostingKind.PART_TIME),
        ("电子商务师", "4-01-06-01", (3500, 6000), "30", PostingKind.FULL_TIME),
        ("互联网营销师（见习）", "4-01-06-02", (2200, 2500), "30", PostingKind.INTERNSHIP),
    ],
    "transport": [
        ("道路货运汽车驾驶员", "4-02-02-02", (6000, 9000), "", PostingKind.FULL_TIME),
        ("仓储管理员", "4-02-06-01", (3500, 4800), "60", PostingKind.FULL_TIME),
        ("快递员", "4-02-07-08", (4500, 7000), "", PostingKind.FULL_TIME),
        ("装卸搬运工", "4-02-05-01", (150, 220), "", PostingKind.GIG),
    ],
    "catering": [
        ("中式烹调师", "4-03-02-01", (4000, 6000), "", PostingKind.FULL_TIME),
        ("中式面点师", "4-03-02-02", (3500, 5000), "", PostingKind.FULL_TIME),
        ("餐厅服务员", "4-03-02-05", (2600, 3400), "", PostingKind.PART_TIME),
    ],
    "it": [
        ("计算机程序设计员", "4-04-05-01", (5000, 9000), "20", PostingKind.FULL_TIME),
        ("计算机软件测试员（见习）", "4-04-05-02", (2300, 2600), "30", PostingKind.INTERNSHIP),
    ],
    "office": [
        ("行政办事员", "3-01-01-01", (3000, 4200), "30", PostingKind.FULL_TIME),
        ("会计专业人员", "2-06-03-00", (3800, 5500), "30", PostingKind.FULL_TIME),
        ("客户服务管理员", "4-07-02-03", (3200, 4500), "30", PostingKind.FULL_TIME),
        ("秘书（见习）", "3-01-02-02", (2200, 2500), "20", PostingKind.INTERNSHIP),
    ],
    "service": [
        ("保安员", "4-07-05-01", (2800, 3600), "", PostingKind.FULL_TIME),
        ("保洁员", "4-09-08-01", (2300, 2800), "", PostingKind.PART_TIME),
        ("养老护理员", "4-10-01-05", (3500, 5000), "40", PostingKind.FULL_TIME),
        ("家政服务员", "4-10-01-06", (4000, 6500), "", PostingKind.FULL_TIME),
        ("美发师", "4-10-03-02", (3500, 6000), "", PostingKind.FULL_TIME),
    ],
    "education": [
        ("幼儿园教师", "2-08-03-00", (3200, 4500), "30", PostingKind.FULL_TIME),
        ("保育师", "4-10-01-03", (2600, 3300), "40", PostingKind.FULL_TIME),
    ],
    "health": [
        ("内科护士", "2-05-08-01", (3800, 5500), "30", PostingKind.FULL_TIME),
        ("药师", "2-05-06-01", (4000, 6000), "30", PostingKind.FULL_TIME),
    ],
}
_GROUP_BY_DIVISION = {
    **dict.fromkeys(("01", "02", "03", "04", "05"), "agri"),
    **dict.fromkeys(("06", "07", "08", "09", "10", "11"), "mining"),
    **dict.fromkeys(("13", "14", "15"), "food"),
    **dict.fromkeys(("44", "45", "46"), "energy"),
    **dict.fromkeys(("47", "48", "49", "50"), "construction"),
    **dict.fromkeys(("51", "52"), "trade"),
    **dict.fromkeys(("53", "54", "55", "56", "57", "58", "59", "60"), "transport"),
    **dict.fromkeys(("61", "62"), "catering"),
    **dict.fromkeys(("63", "64", "65"), "it"),
    **dict.fromkeys(("66", "67", "68", "69", "70", "71", "72", "73", "74", "75"), "office"),
    **dict.fromkeys(("76", "77", "78", "79", "80", "81", "82", "85"), "service"),
    "83": "education",
    "84": "health",
}

DESCRIPTIONS = (
    "岗位职责：按公司要求完成本岗位工作，服从安排。任职要求：{edu}，身体健康，能吃苦耐劳，"
    "有相关经验者优先。待遇：缴纳五险，提供工作餐，节假日福利。男女不限。",
    "工作内容：{title}相关工作。要求：责任心强，有团队精神；{edu}。"
    "单位依法签订劳动合同，按月足额发放工资。",
    "招聘{title}，{edu}，持相关职业技能等级证书者优先。工作时间：8:30-17:30，"
    "月休4天。欢迎脱贫劳动力、退役军人、高校毕业生应聘。",
)
# Texts a reviewer must send back (就业促进法 第27条、第31条; 妇女权益保障法 第43条).
FLAGGED_DESCRIPTIONS = (
    "任职要求：限男性，35岁以下，本地户口优先。",
    "要求已婚已育，女性，形象好，无生育计划者优先。",
    "乙肝携带者勿扰，身体健全，五官端正。",
)
REJECT_REASONS = ("持证条件不符", "工作经验不足", "面试未通过", "岗位已满")
WITHDRAW_REASONS = ("已在外地就业", "家庭原因", "薪资不符合预期", "通勤距离太远")
EDU_WORDS = {
    "": "学历不限",
    "20": "本科及以上学历",
    "30": "大专及以上学历",
    "40": "中专（中职）及以上学历",
    "60": "高中及以上学历",
}


@dataclass
class JobsDemoReport:
    postings: int = 0
    applications: int = 0
    hires: int = 0
    fairs: int = 0
    seconds: float = 0.0
    skipped: list[str] = field(default_factory=list)

    def text(self) -> str:
        line = (
            f"演示岗位 / demo jobs: {self.postings} postings, {self.applications} applications, "
            f"{self.hires} hires, {self.fairs} job fairs in {self.seconds:.1f} s"
        )
        if self.skipped:
            line += f" (skipped {len(self.skipped)} counties that already have postings)"
        return line


def _jitter(rng: random.Random, point, spread: float):
    if point is None:
        return None, None
    lon, lat = point
    return (
        Decimal(f"{lon + rng.uniform(-spread, spread):.6f}"),
        Decimal(f"{lat + rng.uniform(-spread, spread):.6f}"),
    )


def _pick_status(rng: random.Random) -> str:
    total = sum(w for _s, w in STATUS_WEIGHTS)
    x = rng.uniform(0, total)
    for status, weight in STATUS_WEIGHTS:
        x -= weight
        if x <= 0:
            return status
    return PostingStatus.PUBLISHED


def _postings_for_county(
    rng: random.Random, employers: list[dict], today: datetime.date
) -> list[Posting]:
    out: list[Posting] = []
    points: dict[str, tuple | None] = {}
    flagged_left = 3
    now = timezone.now()
    flags_of: dict[tuple, list] = {}
    for e in employers:
        group = _GROUP_BY_DIVISION.get((e["industry_code"] or "")[:2], "office")
        jobs = JOBS_BY_GROUP[group]
        for _n in range(rng.choice(POSTINGS_PER_EMPLOYER)):
            title, code, (lo, hi), edu, kind = rng.choice(jobs)
            status = _pick_status(rng)
            if status == PostingStatus.EXPIRED:
                valid_to = today - datetime.timedelta(days=rng.randint(1, 60))
                valid_from = valid_to - datetime.timedelta(days=rng.choice((30, 60, 90)))
            else:
                valid_from = today - datetime.timedelta(days=rng.randint(0, 60))
                valid_to = valid_from + datetime.timedelta(days=rng.choice((60, 90, 120, 180)))
            description = rng.choice(DESCRIPTIONS).format(title=title, edu=EDU_WORDS[edu])
            if status == PostingStatus.REVIEW and flagged_left and rng.random() < 0.5:
                description = FLAGGED_DESCRIPTIONS[flagged_left - 1] + description
                flagged_left -= 1
            region = e["region_code"]
            if region not in points:
                points[region] = coordinates_of(region)
            lon, lat = _jitter(rng, points[region], 0.04)
            wage_min = lo // 100 * 100 if kind != PostingKind.GIG else lo
            wage_max = hi // 100 * 100 if kind != PostingKind.GIG else hi
            age_max = rng.choice((None, None, 45, 50, 55))
            posting = Posting(
                employer_id=e["id"],
                title=title,
                occupation_code=code,
                description=description,
                headcount=rng.choice((1, 1, 2, 2, 3, 5, 8, 10)),
                wage_min=wage_min,
                wage_max=wage_max,
                education=edu,
                age_min=18 if age_max else None,
                age_max=age_max,
                experience_years=rng.choice((None, None, 1, 2, 3)),
                region_code=region,
                address=e["address"] or "",
                longitude=lon,
                latitude=lat,
                kind=kind,
                channel=Channel.GIG
                if kind == PostingKind.GIG
                else rng.choice(
                    (Channel.EMPLOYER, Channel.EMPLOYER, Channel.FAIR, Channel.PROJECT)
                ),
                valid_from=valid_from,
                valid_to=valid_to,
                status=status,
                closed_reason="单位已自行招满" if status == PostingStatus.WITHDRAWN else "",
                published_at=None if status in (PostingStatus.DRAFT, PostingStatus.REVIEW) else now,
            )
            key = (title, description, posting.address)
            if key not in flags_of:  # the texts repeat: check each once
                flags_of[key] = scan_fields(
                    {"title": title, "description": description, "address": posting.address}
                )
            posting.review_flags = flags_of[key]
            out.append(posting)
    return out


def _applications_for_county(
    rng: random.Random, postings: list[Posting], seekers: list[int], today: datetime.date
) -> list[Application]:
    if not seekers:
        return []
    out: list[Application] = []
    taken: set[tuple[int, int]] = set()
    now = timezone.now()
    for posting in postings:
        if posting.status != PostingStatus.PUBLISHED or not (
            posting.valid_from <= today <= posting.valid_to
        ):
            continue
        for _n in range(rng.choice(APPLICANTS)):
            person_id = rng.choice(seekers)
            if (posting.pk, person_id) in taken:
                continue
            taken.add((posting.pk, person_id))
            x = rng.random()
            status, reason = ApplicationStatus.APPLIED, ""
            if x < 0.25:
                status = ApplicationStatus.INTERVIEW
            elif x < 0.35:
                status, reason = ApplicationStatus.REJECTED, rng.choice(REJECT_REASONS)
            elif x < 0.42:
                status, reason = ApplicationStatus.WITHDRAWN, rng.choice(WITHDRAW_REASONS)
            out.append(
                Application(
                    posting_id=posting.pk,
                    person_id=person_id,
                    region_code=posting.region_code,
                    status=status,
                    source=rng.choice(
                        (ApplicationSource.STAFF, ApplicationSource.STAFF, ApplicationSource.SELF)
                    ),
                    reason=reason,
                    decided_at=now if reason else None,
                )
            )
    return out


def build(
    *,
    region_prefix: str = DEMO_COUNTY,
    seed: int = SEED,
    today: datetime.date | None = None,
    stdout: TextIO | None = None,
) -> JobsDemoReport:
    """Demo postings and applications for every county under ``region_prefix``; in 曲沃县
    also job fairs and hires made through the actions."""
    started = time.perf_counter()
    today = today or timezone.localdate()
    report = JobsDemoReport()
    counties = list(
        Region.objects.current()
        .filter(level=3, code__startswith=region_prefix[:6])
        .order_by("code")
        .values_list("code", flat=True)
    )
    if len(region_prefix) >= 6:
        counties = [c for c in counties if c.startswith(region_prefix[:6])]
    for county in counties:
        prefix = county[:6]
        if Posting.objects.filter(region_code__startswith=prefix).exists():
            report.skipped.append(prefix)
            continue
        employers = list(
            Employer.objects.filter(region_code__startswith=prefix)
            .order_by("id")
            .values("id", "industry_code", "region_code", "address")
        )
        if not employers:
            continue
        rng = random.Random(f"{seed}/{prefix}/jobs")
        with transaction.atomic():
            postings = _postings_for_county(rng, employers, today)
            Posting.objects.bulk_create(postings, batch_size=2000)
            seekers = list(
                Person.objects.filter(
                    region_code__startswith=prefix,
                    merged_into__isnull=True,
                    employment_status=EmploymentStatus.UNEMPLOYED,
                ).values_list("id", flat=True)
            )
            applications = _applications_for_county(rng, postings, seekers, today)
            Application.objects.bulk_create(applications, batch_size=2000)
            audit.record(
                actor=None,
                action="demo.jobs",
                object_type="jobs.posting",
                object_repr=f"{len(postings)} demo postings in {prefix}",
                region_code=prefix.ljust(12, "0"),
                after={"postings": len(postings), "applications": len(applications)},
            )
        report.postings += len(postings)
        report.applications += len(applications)
        if prefix == DEMO_COUNTY:
            _county_showcase(report, rng, today)
    report.seconds = time.perf_counter() - started
    if stdout is not None:
        stdout.write(report.text() + "\n")
    return report


def _county_showcase(report: JobsDemoReport, rng: random.Random, today: datetime.date) -> None:
    """A closed spring job fair with hires, and an upcoming one, made by the demo staff of
    曲沃县 through the actions (so every step is audited as it would be in use)."""
    from jiuye.accounts.models import User
    from jiuye.jobs import actions
    from jiuye.jobs.models import FairKind, FairMode, FairStatus, IntentionOutcome

    operator = User.objects.filter(username="qw_operator").first()
    if operator is None:
        return
    open_postings = list(
        Posting.objects.filter(
            region_code__startswith=DEMO_COUNTY,
            status=PostingStatus.PUBLISHED,
            valid_from__lte=today,
            valid_to__gte=today,
        )
        .select_related("employer")
        .order_by("id")
    )
    by_employer: dict[int, list[Posting]] = defaultdict(list)
    for p in open_postings:
        by_employer[p.employer_id].append(p)
    chosen = list(by_employer.values())[:12]
    if not chosen:
        return
    seekers = list(
        Person.objects.filter(
            region_code__startswith=DEMO_COUNTY,
            merged_into__isnull=True,
            employment_status=EmploymentStatus.UNEMPLOYED,
        )
        .exclude(applications__isnull=False)
        .order_by("id")[:60]
    )
    now = timezone.now()
    held = now - datetime.timedelta(days=6)
    held = held.replace(hour=9, minute=0, second=0, microsecond=0)
    with transaction.atomic():
        fair = actions.create_fair(
            actor=operator,
            name=f"{today.year}年曲沃县“春风行动”暨就业援助月专场招聘会",
            kind=FairKind.FAIR,
            mode=FairMode.BOTH,
            region_code="141021000000",
            starts_at=held,
            ends_at=held + datetime.timedelta(hours=3),
            venue="曲沃县人力资源市场一楼大厅",
            theme="春风行动",
            description="现场招聘与网络直播带岗同步进行。",
        )
        actions.set_fair_status(actor=operator, fair=fair, status=FairStatus.OPEN)
        offered: list[Posting] = []
        for i, postings in enumerate(chosen, start=1):
            actions.add_fair_employer(
                actor=operator,
                fair=fair,
                employer=postings[0].employer,
                booth=f"A{i:02d}",
                postings=postings,
            )
            offered.extend(postings)
        attendees = []
        for person in seekers[:40]:
            attendee = actions.register_attendee(actor=operator, fair=fair, person=person)
            if rng.random() < 0.8:
                actions.check_in(actor=operator, attendee=attendee)
            attendees.append(person)
        intentions = []
        for person in attendees[:15]:
            posting = rng.choice(offered)
            intentions.append(
                actions.record_intention(
                    actor=operator, fair=fair, person=person, posting=posting, signed_on=held.date()
                )
            )
        actions.set_fair_status(actor=operator, fair=fair, status=FairStatus.CLOSED)
        hires = 0
        for i, intention in enumerate(intentions):
            if i % 3 == 0:
                try:
                    actions.set_intention_outcome(
                        actor=operator,
                        intention=intention,
                        outcome=IntentionOutcome.HIRED,
                        start_date=held.date() + datetime.timedelta(days=2),
                        monthly_wage=intention.posting.wage_min,
                        contract_type="fixed",
                    )
                    hires += 1
                except JiuyeError:
                    continue  # e.g. the posting filled up: the demo moves on
            elif i % 3 == 1:
                actions.set_intention_outcome(
                    actor=operator,
                    intention=intention,
                    outcome=IntentionOutcome.DECLINED,
                    reason=rng.choice(WITHDRAW_REASONS),
                )
        upcoming = now + datetime.timedelta(days=10)
        upcoming = upcoming.replace(hour=9, minute=0, second=0, microsecond=0)
        actions.create_fair(
            actor=operator,
            name=f"{today.year}年曲沃县高校毕业生就业见习岗位对接会",
            kind=FairKind.MATCHING,
            mode=FairMode.ONLINE,
            region_code="141021000000",
            starts_at=upcoming,
            ends_at=upcoming + datetime.timedelta(hours=2),
            venue="线上直播间",
            theme="高校毕业生",
        )
    report.fairs += 2
    report.hires += hires
