"""``jiuye match export``: one JSON line per available seeker in scope, with the right ids."""

from __future__ import annotations

import datetime
import json

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone, translation
from tests.conftest import valid_uscc as make_uscc

from jiuye.core.models import AuditLog
from jiuye.jobs.models import Posting, PostingStatus
from jiuye.matching import recommend
from jiuye.matching.recommend_index import pair_violations
from jiuye.registry import actions as registry_actions
from jiuye.registry.models import Person

D = datetime.date
QUWO_TOWN = "141021100000"
QUWO_VILLAGE = "141021100200"
HOUMA_STREET = "141081001000"
HOUMA_COMMUNITY = "141081001001"


@pytest.fixture(autouse=True)
def english():
    recommend.reset_indexes()
    with translation.override("en"):
        yield


@pytest.fixture
def market(staff, person_factory):
    admin = staff["province_admin"]
    quwo = registry_actions.register_employer(
        actor=admin, uscc=make_uscc(21, "141021"), name="曲沃机械厂", region_code=QUWO_TOWN
    )
    houma = registry_actions.register_employer(
        actor=admin, uscc=make_uscc(22, "141081"), name="侯马钢构厂", region_code=HOUMA_STREET
    )
    today = timezone.localdate()
    postings = []
    for i, (employer, region, title, code) in enumerate(
        [
            (quwo, QUWO_TOWN, "电焊工", "6-18-02-04"),
            (quwo, QUWO_TOWN, "保安", "4-07-05-01"),
            (houma, HOUMA_STREET, "二保焊工", "6-18-02-04"),
            (houma, HOUMA_STREET, "保洁员", "4-09-08-01"),
            (houma, HOUMA_STREET, "车工", "6-18-01-01"),
        ]
    ):
        postings.append(
            Posting.objects.create(
                employer=employer, region_code=region, title=title, occupation_code=code,
                valid_from=today - datetime.timedelta(days=3),
                valid_to=today + datetime.timedelta(days=30), status=PostingStatus.PUBLISHED,
                published_at=timezone.now(), wage_max=6000, age_max=50 if i == 4 else None,
                external_id=f"EXT-P{i}" if i % 2 == 0 else "",
            )
        )  # fmt: skip
    Posting.objects.create(
        employer=quwo, region_code=QUWO_TOWN, title="电焊工", occupation_code="6-18-02-04",
        valid_from=today, valid_to=today, status=PostingStatus.WITHDRAWN,
    )  # fmt: skip
    people = []
    for i, (region, title, code, birth) in enumerate(
        [
            (QUWO_VILLAGE, "电焊工", "6-18-02-04", D(1985, 1, 1)),
            (QUWO_VILLAGE, "找保安的活", "", D(1970, 5, 5)),
            (QUWO_VILLAGE, "保洁", "4-09-08-01", D(1966, 2, 2)),
            (HOUMA_COMMUNITY, "车床工", "6-18-01-01", D(1999, 3, 3)),
            (HOUMA_COMMUNITY, "焊工", "6-18-02-04", D(1990, 4, 4)),
        ]
    ):
        person = person_factory(f"求职{i}", region, birth, external_id=f"EXT-S{i}" if i % 2 else "")
        registry_actions.add_intention(
            actor=admin, person=person, title=title, occupation_code=code, expected_wage=5000
        )
        people.append(person)
    person_factory("没有意向", QUWO_VILLAGE, D(1980, 1, 1))
    return postings, people


def read_lines(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_export_writes_one_line_per_available_seeker(tmp_path, market):
    postings, people = market
    out = tmp_path / "recs.jsonl"
    call_command("match", "export", "--k", "3", "--out", str(out), "--workers", "1", verbosity=0)
    lines = read_lines(out)
    assert sorted(line["person_id"] for line in lines) == sorted(p.pk for p in people)
    by_person = {line["person_id"]: line for line in lines}
    for p in people:
        assert by_person[p.pk]["person"] == (p.external_id or str(p.pk))
    open_ids = {p.pk: p for p in postings}
    day = timezone.localdate()
    seekers = {r.id: r for r in recommend.seeker_records(Person.objects.all(), day)}
    records = {r.id: r for r in recommend.posting_records(Posting.objects.all())}
    for line in lines:
        recs = line["recommendations"]
        assert 1 <= len(recs) <= 3
        assert [r["rank"] for r in recs] == list(range(1, len(recs) + 1))
        for r in recs:
            posting = open_ids[r["posting_id"]]  # never the withdrawn one
            assert r["posting"] == (posting.external_id or str(posting.pk))
            assert r["reasons"] and 0 <= r["score"] <= 1
            assert set(r["components"]) == {
                "occupation", "distance", "wage", "education", "text", "freshness"
            }  # fmt: skip
            assert pair_violations(records[posting.pk], seekers[line["person_id"]], day) == []
    welder = by_person[people[0].pk]["recommendations"]
    assert welder[0]["posting_id"] == postings[0].pk  # same 细类, same county
    # The 1966 seeker is 60: the posting for people up to 50 is never theirs.
    assert postings[4].pk not in {
        r["posting_id"] for r in by_person[people[2].pk]["recommendations"]
    }
    entry = AuditLog.objects.get(action="matching.recommendation.export")
    assert entry.after["seekers"] == len(people)


def test_export_for_a_user_covers_their_scope_only(tmp_path, market, staff):
    _postings, people = market
    out = tmp_path / "houma.jsonl"
    call_command("match", "export", "--out", str(out), "--user", "hm_operator", verbosity=0)
    assert {line["person_id"] for line in read_lines(out)} == {people[3].pk, people[4].pk}
    entry = AuditLog.objects.get(action="matching.recommendation.export")
    assert entry.actor == staff["houma_operator"]
    call_command("match", "export", "--out", str(out), "--user", "qw_village", verbosity=0)
    assert {line["person_id"] for line in read_lines(out)} == {p.pk for p in people[:3]}


def test_export_for_a_region(tmp_path, market):
    _postings, people = market
    out = tmp_path / "region.jsonl"
    call_command("match", "export", "--out", str(out), "--region", "141081", verbosity=0)
    assert {line["person_id"] for line in read_lines(out)} == {people[3].pk, people[4].pk}
    # A user and a region: both limits apply.
    call_command(
        "match", "export", "--out", str(out), "--region", "141081", "--user", "qw_operator",
        verbosity=0,
    )  # fmt: skip
    assert read_lines(out) == []


def test_export_errors(tmp_path, market):
    out = str(tmp_path / "x.jsonl")
    with pytest.raises(CommandError, match="no active user"):
        call_command("match", "export", "--out", out, "--user", "nobody", verbosity=0)
    with pytest.raises(CommandError):
        call_command("match", "export", "--out", out, "--region", "abc", verbosity=0)
    with pytest.raises(CommandError):
        call_command("match", "export", "--out", out, "--k", "0", verbosity=0)


def test_export_in_two_processes_gives_the_same_lines(tmp_path, market, monkeypatch):
    _postings, people = market
    monkeypatch.setattr(recommend, "MIN_SEEKERS_FOR_WORKERS", 0)
    out = tmp_path / "two.jsonl"
    report = recommend.export_recommendations(out_path=out, k=2, workers=2)
    assert report.workers == 2
    assert sorted(line["person_id"] for line in read_lines(out)) == sorted(p.pk for p in people)
    assert report.lines == len(people)
    assert 0 < report.coverage <= 1
    assert not list(tmp_path.glob("jiuye-match-*"))  # the parts are cleaned up
