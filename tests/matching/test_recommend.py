"""The recommendation engine on plain records: hard constraints, explanations, ordering."""

from __future__ import annotations

import datetime
import math
import random

import numpy as np
import pytest
from django.utils import translation

from jiuye.matching.recommend_index import (
    COMPONENTS,
    DEFAULT_WEIGHTS,
    Engine,
    ExposureReranker,
    PostingIndex,
    PostingRecord,
    SeekerIndex,
    SeekerRecord,
    pair_violations,
    posting_candidates,
    rank_seekers,
    repair_coverage,
    title_tokens,
    top_k,
)

TODAY = datetime.date(2026, 6, 1)
COUNTIES = {  # code → (lon, lat)
    "141021": (111.47586, 35.641086),  # 曲沃县
    "141081": (111.372002, 35.619105),  # 侯马市
    "141002": (111.579554, 36.07884),  # 尧都区
    "140105": (112.5647, 37.7363),  # 小店区
}
CODES = ["6-18-02-04", "6-18-01-01", "4-07-05-01", "4-09-08-01", "4-03-02-01", "2-06-03-00", ""]
TITLES = {
    "6-18-02-04": ["电焊工", "二保焊师傅", "焊工"],
    "6-18-01-01": ["车工", "数控车床工"],
    "4-07-05-01": ["保安", "门卫"],
    "4-09-08-01": ["保洁员", "保洁阿姨"],
    "4-03-02-01": ["厨师", "炒菜师傅"],
    "2-06-03-00": ["会计", "出纳会计"],
    "": ["普工", "什么都能干"],
}
EDUCATION = ["", "90", "80", "71", "61", "44", "31", "21", "14"]


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def random_postings(rng: random.Random, n: int) -> list[PostingRecord]:
    out = []
    for i in range(n):
        code = rng.choice(CODES)
        county = rng.choice(list(COUNTIES))
        lon, lat = COUNTIES[county]
        wmax = rng.choice([None, 3000, 4500, 6000, 8000])
        amin = rng.choice([None, None, 18, 20, 25])
        amax = rng.choice([None, None, 35, 45, 55])
        if amin is not None and amax is not None and amin > amax:
            amin, amax = amax, amin
        start = TODAY + datetime.timedelta(days=rng.randint(-90, 5))
        out.append(
            PostingRecord(
                id=i + 1,
                title=rng.choice(TITLES[code]) + rng.choice(["", "（包吃住）", " 急招"]),
                occupation_code=code,
                description=rng.choice(["负责车间工作，吃苦耐劳", "", "缴纳五险，月休四天"]),
                wage_min=None if wmax is None else int(wmax * 0.8),
                wage_max=wmax,
                education=rng.choice(["", "", "", "70", "60", "30", "20"]),
                age_min=amin,
                age_max=amax,
                region_code=county + "000000",
                longitude=lon + rng.uniform(-0.05, 0.05),
                latitude=lat + rng.uniform(-0.05, 0.05),
                published_on=start,
                valid_from=start,
                valid_to=start + datetime.timedelta(days=rng.randint(1, 120)),
                headcount=rng.randint(1, 5),
                external_id=f"P{i + 1}" if rng.random() < 0.7 else "",
                is_published=rng.random() < 0.85,
            )
        )
    return out


def random_seekers(rng: random.Random, n: int) -> list[SeekerRecord]:
    out = []
    for i in range(n):
        code = rng.choice(CODES)
        county = rng.choice(list(COUNTIES))
        lon, lat = COUNTIES[county]
        age = rng.randint(16, 64)
        out.append(
            SeekerRecord(
                id=i + 1,
                birth_date=datetime.date(TODAY.year - age, rng.randint(1, 12), rng.randint(1, 28)),
                education=rng.choice(EDUCATION),
                region_code=county + "100200",
                longitude=lon,
                latitude=lat,
                titles=(rng.choice(TITLES[code]),),
                occupation_codes=(code,) if code and rng.random() < 0.7 else (),
                certificate_names=("焊工证",) if rng.random() < 0.1 else (),
                certificate_codes=("6-18-02-04",) if rng.random() < 0.1 else (),
                expected_wage=rng.choice([None, 3000, 5000, 7000]),
                external_id=f"S{i + 1}" if rng.random() < 0.5 else "",
            )
        )
    return out


@pytest.fixture(scope="module")
def market():
    rng = random.Random(7)
    postings = random_postings(rng, 400)
    seekers = random_seekers(rng, 300)
    pidx = PostingIndex(postings)
    sidx = SeekerIndex(seekers, pidx)
    return postings, seekers, Engine(pidx, sidx)


def test_jobs_never_break_a_hard_constraint(market):
    postings, seekers, engine = market
    by_id = {p.id: p for p in postings}
    shown = 0
    for s in seekers:
        q = engine.postings.seeker_query(s, TODAY)
        for rec in engine.jobs_for(q, TODAY, k=20):
            assert pair_violations(by_id[rec.id], s, TODAY) == [], (s, by_id[rec.id])
            shown += 1
    assert shown > 1000  # the test means something


def test_people_never_break_a_hard_constraint(market):
    postings, seekers, engine = market
    by_id = {s.id: s for s in seekers}
    shown = 0
    for p in postings:
        recs = engine.people_for(engine.posting_query(p), TODAY, k=20)
        if not engine.posting_is_open(p, TODAY):
            assert recs == []
        for rec in recs:
            assert pair_violations(p, by_id[rec.id], TODAY) == [], (p, by_id[rec.id])
            shown += 1
    assert shown > 1000


def test_unavailable_seekers_get_nothing_and_are_never_listed(market):
    _postings, seekers, engine = market
    gone = SeekerRecord(**{**_fields(seekers[0]), "id": 9999, "available": False})
    q = engine.postings.seeker_query(gone, TODAY)
    assert engine.jobs_for(q, TODAY, k=10) == []
    sidx = SeekerIndex([*seekers, gone], engine.postings)
    assert 9999 not in sidx.ids


def _fields(rec) -> dict:
    return {name: getattr(rec, name) for name in rec.__slots__}


def test_explanations_add_up(market):
    _postings, seekers, engine = market
    checked = 0
    for s in seekers[:60]:
        q = engine.postings.seeker_query(s, TODAY)
        rows, scores = engine.job_scores(q, TODAY)
        by_row = dict(zip(rows.tolist(), scores.tolist(), strict=True))
        recs = engine.jobs_for(q, TODAY, k=10)
        for rec in recs:
            assert set(rec.components) == set(COMPONENTS)
            total = 0.0
            for name, c in rec.components.items():
                assert 0.0 <= c.score <= 1.0
                assert c.weight == DEFAULT_WEIGHTS[name]
                total += c.weight * c.score
            assert rec.score == pytest.approx(total, abs=1e-9)
            row = engine.postings.position[rec.id]
            assert rec.score == pytest.approx(by_row[row], abs=1e-9)  # same as the ranking
            assert rec.reasons and all(isinstance(r, str) and r for r in rec.reasons)
            d = rec.as_dict()
            assert set(d["components"]["distance"]) == {"value", "score", "weight"}
            checked += 1
        # Ordering: best first, and nothing eligible outside the list scores higher.
        assert [r.score for r in recs] == sorted((r.score for r in recs), reverse=True)
        if len(recs) == 10:
            shown = {engine.postings.position[r.id] for r in recs}
            rest = [v for r, v in by_row.items() if r not in shown]
            assert max(rest, default=0) <= recs[-1].score + 1e-12
    assert checked > 200
    assert sum(DEFAULT_WEIGHTS.values()) == pytest.approx(1.0)


def test_occupation_level_and_reasons():
    welder_job = PostingRecord(
        id=1, title="急招电焊工", occupation_code="6-18-02-04", region_code="141021000000",
        longitude=111.47586, latitude=35.641086, wage_min=6000, wage_max=8000,
        published_on=TODAY, valid_from=TODAY, valid_to=TODAY,
    )  # fmt: skip
    caster_job = PostingRecord(
        id=2, title="铸造工", occupation_code="6-18-02-01", region_code="141081000000",
        longitude=111.372002, latitude=35.619105, wage_max=4000,
        published_on=TODAY - datetime.timedelta(days=30), valid_from=TODAY, valid_to=TODAY,
    )  # fmt: skip
    seeker = SeekerRecord(
        id=1, birth_date=datetime.date(1990, 1, 1), education="61", region_code="141021100200",
        longitude=111.47586, latitude=35.641086, titles=("电焊工（持证）",),
        occupation_codes=("6-18-02-04",), expected_wage=6500,
    )  # fmt: skip
    pidx = PostingIndex([welder_job, caster_job])
    engine = Engine(pidx)
    recs = engine.jobs_for(pidx.seeker_query(seeker, TODAY), TODAY, k=5)
    assert [r.id for r in recs] == [1, 2]
    best, second = recs
    assert best.components["occupation"].value["level"] == "unit"
    assert best.components["occupation"].score == 1.0
    assert best.components["distance"].value == 0.0
    assert best.components["wage"].score == pytest.approx(0.75 + 0.25 * (6000 / 6500 - 0.7) / 0.3)
    assert second.components["occupation"].value["level"] == "minor"  # same 小类 6-18-02
    assert second.components["distance"].value == pytest.approx(10.1, abs=1)
    assert second.components["wage"].score == 0.0  # pays 4000 against 6500 expected
    assert second.components["freshness"].value == 30
    assert best.reasons[0].startswith("Same occupation (细类): 焊工")
    assert any("km away" in r for r in second.reasons)
    assert any("below the expected 6500" in r for r in second.reasons)


def test_uncoded_titles_are_inferred_from_the_text():
    postings = [
        PostingRecord(id=i, title=t, occupation_code=c, region_code="141021000000",
                      longitude=111.47, latitude=35.64, valid_from=TODAY, valid_to=TODAY)
        for i, (t, c) in enumerate([("电焊工", "6-18-02-04"), ("二保焊工", "6-18-02-04"),
                                    ("保安员", "4-07-05-01"), ("小区保安", "4-07-05-01")], 1)
    ]  # fmt: skip
    pidx = PostingIndex(postings)
    seeker = SeekerRecord(id=1, birth_date=datetime.date(1990, 1, 1), titles=("找保安工作",))
    q = pidx.seeker_query(seeker, TODAY)
    assert [(code, via) for _e, _d, via, code in q.codes] == [("4-07-05-01", "inferred")]
    recs = Engine(pidx).jobs_for(q, TODAY, k=2)
    assert {r.id for r in recs} == {3, 4}
    assert recs[0].components["occupation"].value["via"] == "inferred"


def test_delta_updates_replace_and_remove_rows(market):
    postings, seekers, engine = market
    pidx = engine.postings
    edited = PostingRecord(**{**_fields(postings[0]), "title": "改过的标题", "is_published": True,
                              "valid_from": TODAY, "valid_to": TODAY})  # fmt: skip
    new = pidx.updated([edited], removed_ids=[postings[1].id])
    assert new is not pidx and pidx.size == len(postings)  # the old index is untouched
    assert new.tail_size == 1
    assert not new.alive[pidx.position[postings[0].id]]
    assert not new.alive[pidx.position[postings[1].id]]
    assert new.titles[new.position[postings[0].id]] == "改过的标题"
    s = seekers[0]
    recs = Engine(new).jobs_for(new.seeker_query(s, TODAY), TODAY, k=400)
    assert postings[1].id not in {r.id for r in recs}


def test_seeker_scope_rows_are_the_region_ranges(market):
    _postings, seekers, engine = market
    sidx = engine.seekers
    rows = sidx.scope_rows(["141021"])
    assert len(rows) == sum(1 for s in seekers if s.region_code.startswith("141021"))
    assert all(sidx.region_codes[r].startswith("141021") for r in rows)
    p = next(p for p in _postings if engine.posting_is_open(p, TODAY))
    recs = engine.people_for(engine.posting_query(p), TODAY, k=50, scope=rows)
    assert all(r.region_code.startswith("141021") for r in recs)


def test_top_k_breaks_ties_by_id():
    ids = np.array([5, 3, 9, 1])
    rows = np.arange(4)
    assert top_k(rows, np.array([0.5, 0.5, 0.9, 0.5]), 3, ids).tolist() == [2, 3, 1]


def test_exposure_reranker_spreads_the_slots():
    headcount = np.ones(20, dtype=np.int32)
    reranker = ExposureReranker(headcount, k=2, seekers=50)
    rows = np.arange(20)
    scores = np.linspace(1.0, 0.9, 20)  # everyone prefers the same postings
    for _ in range(50):
        reranker.pick(rows, scores, rows)
    assert (reranker.exposure > 0).all()  # every posting shown at least once
    assert reranker.exposure.sum() == 100


def test_title_tokens_share_bigrams():
    assert "焊工" in title_tokens("电焊工（持证）")
    assert "二保" in title_tokens("急招二保焊师傅")
    assert not math.isnan(len(title_tokens("")))


def test_repair_places_uncovered_postings_without_uncovering_others():
    ids = np.arange(10, 16)  # posting rows 0–5
    lists = np.array([[0, 1], [0, 2], [0, 1]])
    scores = np.array([[0.9, 0.8], [0.9, 0.7], [0.9, 0.6]])
    exposure = np.array([3.0, 3, 1, 0, 0, 0])  # posting 1 is also on lists not shown here
    slot = np.array([0, 1, 2])
    uncovered = np.array([3, 4, 5])
    candidates = np.array([[1, 2, -1], [1, 0, 2], [1, -1, -1]])
    cand_scores = np.array([[0.75, 0.5, 0.0], [0.65, 0.4, 0.3], [0.3, 0.0, 0.0]])
    placed = repair_coverage(
        lists, scores, exposure, slot, uncovered, candidates, cand_scores, ids=ids, max_swaps=1
    )
    # Posting 3: seeker 1's last (2) is shown once only, so seeker 2 gives up 1 (3 → 2 shows).
    # Posting 4: seeker 1 refuses again, seeker 0 gives up 1 (2 → 1). Posting 5: only seeker
    # 1, whose last is shown nowhere else: not placed.
    assert placed == 2
    assert lists.tolist() == [[0, 4], [0, 2], [0, 3]]
    assert exposure.tolist() == [3, 1, 1, 1, 1, 0]
    assert scores[2].tolist() == [0.9, 0.5]


def test_bulk_lists_respect_constraints_and_cover_more(market):
    postings, seekers, engine = market
    by_id = {p.id: p for p in postings}
    S, P = engine.seekers, engine.postings
    order = np.random.default_rng(1).permutation(S.size)
    lists, scores, exposure = rank_seekers(engine, order, TODAY, k=5)
    before = int((exposure > 0).sum())
    uncovered = np.flatnonzero(P.open_mask(TODAY.toordinal()) & (exposure == 0))
    cands, cand_scores = posting_candidates(engine, uncovered, TODAY)
    slot = np.full(S.size, -1)
    slot[order] = np.arange(len(order))
    placed = repair_coverage(
        lists, scores, exposure, slot, uncovered, cands, cand_scores, ids=P.ids
    )
    assert int((exposure > 0).sum()) == before + placed
    seekers_by_id = {s.id: s for s in seekers}
    for i, row in enumerate(order.tolist()):
        chosen = lists[i][lists[i] >= 0]
        assert list(scores[i][: len(chosen)]) == sorted(scores[i][: len(chosen)], reverse=True)
        for p in chosen.tolist():
            seeker = seekers_by_id[int(S.ids[row])]
            assert pair_violations(by_id[int(P.ids[p])], seeker, TODAY) == []
