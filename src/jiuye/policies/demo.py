"""Demo data for policies, built with the real actions as the demo staff of 曲沃县.

``build(region_prefix="141021")``:

* fund budgets for 山西省, 临汾市 and the county for 2025 and 2026;
* two employers on the wage-arrears blacklist;
* internships (就业见习) for young graduates of the county, some retained;
* 政策找人 runs for the county as of 2025-12-15 (when most 2023–2025 measures were in force)
  and as of the demo date, each making the 免申即享 entitlements and queuing notices;
* bank accounts confirmed and entitlements approved within the budget, one payment batch sent
  to the bank and its result file read back (one payment failed), and a few applications for
  就业困难人员认定 submitted into their workflow.

A database that already has a run is left alone, so running the demo again adds nothing.
"""

from __future__ import annotations

import datetime as dt
import io
import random
from decimal import Decimal
from typing import TextIO

from jiuye.accounts.models import User
from jiuye.core.errors import JiuyeError
from jiuye.policies import applications, blacklist, budgets, entitlements, payments, runs
from jiuye.policies.models import (
    Entitlement,
    EntitlementStatus,
    Fund,
    Internship,
    PolicyResult,
    PolicyRun,
    RunStatus,
)
from jiuye.registry.models import Employer, KeyGroup, KeyGroupMembership, Person

SEED = 20261123
RUN_DATES = (dt.date(2025, 12, 15), dt.date(2026, 11, 1))
UI, SUBSIDY = Fund.UNEMPLOYMENT_INSURANCE, Fund.EMPLOYMENT_SUBSIDY
BUDGETS = {
    # (region, year) -> {fund: yuan}
    ("140000000000", 2025): {UI: 900_000_000, SUBSIDY: 600_000_000},
    ("141000000000", 2025): {UI: 60_000_000, SUBSIDY: 40_000_000},
    ("141021000000", 2025): {UI: 3_000_000, SUBSIDY: 2_000_000},
    ("141021000000", 2026): {UI: 3_200_000, SUBSIDY: 2_100_000},
}


def _user(username: str) -> User:
    return User.objects.get(username=username)


def build(*, region_prefix: str = "141021", stdout: TextIO) -> None:
    county = (region_prefix + "0" * 12)[:12]
    if not county.startswith("141021") or PolicyRun.objects.exists():
        return
    rng = random.Random(SEED)
    admin, city, operator, reviewer = (
        _user("sx_admin"),
        _user("lf_operator"),
        _user("qw_operator"),
        _user("qw_reviewer"),
    )
    by_region = {"140000000000": admin, "141000000000": city, "141021000000": operator}
    for (region, year), funds in BUDGETS.items():
        for fund, amount in funds.items():
            budgets.create_budget(
                actor=by_region[region],
                fund=fund,
                region_code=region,
                year=year,
                amount=Decimal(amount),
                note="演示预算",
            )
    employers = list(Employer.objects.filter(region_code__startswith=region_prefix).order_by("id"))
    for employer in employers[3:5]:
        blacklist.add_entry(
            actor=operator,
            employer=employer,
            listed_on=dt.date(2025, 3, 1),
            reason="拖欠农民工工资，经责令限期支付逾期未支付",
            decision_number="曲人社失信〔2025〕1号",
            authority="曲沃县人力资源和社会保障局",
        )
    _internships(rng, region_prefix, employers[5:40])
    for as_of in RUN_DATES:
        run = runs.run_policies(actor=operator, as_of=as_of, region_code=county)
        if run.status != RunStatus.DONE:
            raise RuntimeError(f"demo policy run failed: {run.error}")
        granted = entitlements.grant_from_run(run=run, actor=operator)
        eligible = sum(c.get("eligible", 0) for c in run.counts.values() if isinstance(c, dict))
        stdout.write(
            f"  政策找人 / policy run {as_of}: {eligible} eligible, "
            f"{granted['created']} entitlements"
        )
    _pay(rng, operator, reviewer, county)
    _applications(operator, county)


def _internships(rng: random.Random, region_prefix: str, hosts: list[Employer]) -> None:
    if not hosts:
        return
    graduates = list(
        KeyGroupMembership.objects.filter(
            group=KeyGroup.GRADUATE, person__region_code__startswith=region_prefix
        )
        .select_related("person")
        .order_by("person_id")[:60]
    )
    rows = []
    for m in graduates:
        start = dt.date(2025, rng.randint(3, 9), 1)
        months = rng.choice((3, 6, 6, 12))
        end = dt.date(
            start.year + (start.month - 1 + months) // 12, (start.month - 1 + months) % 12 + 1, 1
        )
        host = rng.choice(hosts)
        retained = None
        if rng.random() < 0.4:
            retained = min(end, start + dt.timedelta(days=rng.randint(60, 200)))
        rows.append(
            Internship(
                person=m.person,
                host=host,
                region_code=host.region_code,
                start_on=start,
                planned_end_on=end,
                ended_on=retained or (end if end <= dt.date(2026, 11, 1) else None),
                retained_on=retained,
            )
        )
    Internship.objects.bulk_create(rows)


def _pay(rng: random.Random, operator: User, reviewer: User, county: str) -> None:
    """Confirm accounts, approve within the budget, pay one batch through the bank files."""
    waiting = list(
        Entitlement.objects.filter(
            region_code__startswith=county[:6],
            status=EntitlementStatus.AWAITING_CONFIRMATION,
            fund=Fund.UNEMPLOYMENT_INSURANCE,
        ).order_by("id")[:24]
    )
    for e in waiting:
        entitlements.confirm_account(
            e,
            account_holder="演示收款人",
            bank_name="中国农业银行曲沃县支行",
            bank_account="62284800" + f"{rng.randrange(10**11):011d}",
            actor=operator,
        )
    approved = []
    for e in waiting[:16]:
        e.refresh_from_db()
        if not entitlements.can_approve(reviewer, e):
            continue
        approved.append(entitlements.approve(e, actor=reviewer, today=dt.date(2026, 11, 1)))
    if not approved:
        return
    batch = payments.create_batch(
        actor=operator,
        name="2026年第1批失业保险基金补贴代发",
        fund=Fund.UNEMPLOYMENT_INSURANCE,
        region_code=county,
        declared_count=len(approved),
        declared_total=sum((e.amount for e in approved), Decimal(0)),
    )
    items = payments.add_items(actor=operator, batch=batch, entitlements=approved)
    payments.export_bank_file(actor=operator, batch=batch, format="csv")
    lines = ["业务编号,状态,银行流水号,失败原因"]
    for n, item in enumerate(items):
        if n == len(items) - 1:
            lines.append(f"{item.pk},失败,,账户已销户")
        else:
            lines.append(f"{item.pk},成功,NB2026{item.pk:08d},")
    data = ("\n".join(lines) + "\n").encode("utf-8")
    payments.import_bank_result(
        actor=operator, batch=batch, file=io.BytesIO(data), filename="result.csv"
    )


def _applications(operator: User, county: str) -> None:
    """A few 就业困难人员认定 applications from the latest run's eligible people, submitted."""
    village = User.objects.filter(username="qw_village").first()
    results = PolicyResult.objects.filter(
        policy="difficulty_recognition", eligible=True, region_code__startswith=county[:6]
    ).order_by("id")[:6]
    for result in results:
        person = Person.objects.get(pk=result.subject_id)
        actor = (
            village
            if village and person.region_code.startswith(village.home_region_code[:12].rstrip("0"))
            else operator
        )
        category = (result.facts or {}).get("category", "") or "older"
        try:
            application = applications.create_application(
                actor=actor,
                policy_code="difficulty_recognition",
                subject_id=person.pk,
                period=result.period,
                form={
                    "category": category,
                    "circumstances": "演示：经政策找人筛查符合条件，本人申请认定。",
                    "pledge": True,
                },
            )
            for kind in ("recognition_form", "id_card"):
                applications.upload_material(
                    application,
                    actor=actor,
                    kind=kind,
                    upload=io.BytesIO(_DEMO_PDF),
                    filename=f"{kind}.pdf",
                )
            applications.submit(application, actor=actor, today=dt.date(2026, 11, 2))
        except JiuyeError:
            # The demo shows the workflow; an applicant the form refuses is simply skipped.
            continue


# A minimal valid one-page PDF, standing in for a scanned form.
_DEMO_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)
