"""The synthetic labour market: deterministic, its truth hidden, and a regression guard that
the engine beats the title TF-IDF baselines on it."""

from __future__ import annotations

import dataclasses
import importlib.util
from pathlib import Path

import numpy as np
import pytest

from jiuye.matching.recommend_index import PostingRecord, SeekerRecord
from jiuye.matching.synthetic import COUNTIES, OCCUPATIONS, generate_market
from jiuye.registry.codes import occupation_code


@pytest.fixture(scope="module")
def small():
    return generate_market(seekers=600, postings=200, seed=5)


def test_same_seed_same_market(small):
    again = generate_market(seekers=600, postings=200, seed=5)
    assert again.seekers == small.seekers
    assert again.postings == small.postings
    assert again.truth.seeker_occ == small.truth.seeker_occ
    assert np.array_equal(again.truth.seeker_reservation, small.truth.seeker_reservation)
    assert np.array_equal(again.truth.posting_wage, small.truth.posting_wage)
    other = generate_market(seekers=600, postings=200, seed=6)
    assert other.seekers != small.seekers


def test_the_truth_is_not_on_the_observed_records(small):
    # The observed records are the engine's own types: no field for any latent variable.
    assert all(type(s) is SeekerRecord for s in small.seekers)
    assert all(type(p) is PostingRecord for p in small.postings)
    observed = {f.name for f in dataclasses.fields(SeekerRecord)} | {
        f.name for f in dataclasses.fields(PostingRecord)
    }
    for latent in ("reservation", "tolerance", "true", "truth", "latent", "commute"):
        assert not any(latent in name for name in observed)
    truth = small.truth
    # Intention codes are often missing or wrong; the true occupation is only in the truth.
    given = [s.occupation_codes[0] if s.occupation_codes else "" for s in small.seekers]
    assert sum(g == t for g, t in zip(given, truth.seeker_occ, strict=True)) < 0.7 * len(given)
    assert sum(1 for g in given if not g) > 0.15 * len(given)
    assert sum(
        1 for g, t in zip(given, truth.seeker_occ, strict=True) if g and g != t
    ) > 0.05 * len(given)
    # The registry knows the county, not the home; the expected wage is not the reservation.
    lons = np.array([s.longitude for s in small.seekers])
    assert not np.allclose(lons, truth.seeker_lon)
    expected = [(s.expected_wage, r) for s, r in zip(small.seekers, truth.seeker_reservation,
                                                     strict=True) if s.expected_wage]  # fmt: skip
    assert all(e != r for e, r in expected)
    # Titles are messy: most do not name the occupation officially.
    names = {o.code: o.name for o in OCCUPATIONS}
    official = sum(
        1 for s, t in zip(small.seekers, truth.seeker_occ, strict=True) if s.titles[0] == names[t]
    )
    assert official < 0.2 * len(small.seekers)


def test_market_uses_real_codes_and_counties(small):
    for occ in OCCUPATIONS:
        assert occupation_code(occ.code) == occ.code
    assert {s.region_code[:6] for s in small.seekers} <= set(COUNTIES)
    assert len(COUNTIES) == 17 and all(code.startswith("1410") for code in COUNTIES)


def test_relevance_is_graded_and_respects_constraints(small):
    truth = small.truth
    rel = truth.relevance(seeker=0)
    assert rel.shape == (len(small.postings),)
    assert set(np.unique(rel)) <= {0, 1, 2, 3}
    same = [j for j, code in enumerate(truth.posting_occ) if code == truth.seeker_occ[0]]
    assert all(rel[j] in (1, 3) or truth.posting_age_max[j] < truth.seeker_age[0]
               or truth.posting_edu_rank[j] > truth.seeker_edu_rank[0]
               or truth.posting_age_min[j] > truth.seeker_age[0] for j in same)  # fmt: skip
    by_posting = truth.relevance(posting=3)
    assert by_posting.shape == (len(small.seekers),)
    assert by_posting[0] == truth.relevance(seeker=0)[3]


def _benchmark():
    path = Path(__file__).resolve().parents[2] / "benchmarks" / "matching_quality.py"
    spec = importlib.util.spec_from_file_location("matching_quality_bench", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_engine_beats_the_title_tfidf_baselines():
    bench = _benchmark()
    market = generate_market(seekers=1500, postings=400, seed=11)
    methods = bench.Methods(market, seed=11)
    ours = bench.evaluate(market, methods.ours_jobs()[0], methods.ours_people()[0])
    exposed = bench.evaluate(market, methods.ours_exposure_jobs(), None)
    plain = bench.evaluate(market, methods.tfidf_jobs(filtered=False), None)
    filtered = bench.evaluate(market, methods.tfidf_jobs(filtered=True), None)
    best = max(plain["jobs_ndcg"], filtered["jobs_ndcg"])
    assert ours["jobs_ndcg"] > 1.2 * best
    assert exposed["jobs_ndcg"] > 1.15 * best
    assert exposed["coverage"] >= 0.9
    assert ours["people_ndcg"] > 0.4
