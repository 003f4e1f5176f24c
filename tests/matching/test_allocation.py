"""Internship allocation: the algorithms (stability, optimality, explanations, max fit) and the
actions (rounds, posts, applicants, import, run, publish)."""

from __future__ import annotations

import datetime
import io
import itertools

import numpy as np
import openpyxl
import pytest
from django.utils import translation
from tests.conftest import valid_uscc as make_uscc

from jiuye.core.errors import JiuyeError, NotFoundError
from jiuye.core.models import AuditLog
from jiuye.jobs.models import Posting, PostingKind
from jiuye.matching import actions
from jiuye.matching import allocation as al
from jiuye.matching.models import Assignment, RoundStatus
from jiuye.registry.models import Employer


@pytest.fixture(autouse=True)
def english(settings):
    """Messages are matched in English (the msgids), whatever the catalogue translates."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


# ---- algorithm helpers ------------------------------------------------------------------


def random_instance(seed: int, n: int = 60, m: int = 12, *, k: int = 5, tie_levels: int = 4):
    """Random lists, capacities 0–4, and a mix of host orders: explicit rankings that leave
    some applicants out, and coarse scores (few distinct values, so many ties)."""
    rng = np.random.default_rng(seed)
    choices = [rng.choice(m, size=rng.integers(0, k + 1), replace=False).tolist() for _ in range(n)]
    capacities = rng.integers(0, 5, size=m).tolist()
    rankings, scores = {}, {}
    for p in range(m):
        kind = p % 3
        if kind == 0:
            listed = [a for a in range(n) if p in choices[a] and rng.random() < 0.8]
            rng.shuffle(listed)
            rankings[p] = listed
        elif kind == 1:
            scores[p] = {
                a: float(rng.integers(0, tie_levels)) for a in range(n) if rng.random() < 0.7
            }
    general = [float(rng.integers(0, tie_levels)) if rng.random() < 0.8 else None for _ in range(n)]
    return al.build_instance(
        choices,
        capacities,
        host_rankings=rankings,
        host_scores=scores,
        applicant_scores=general,
        tie_break=rng.permutation(n).tolist(),
    )


def all_allocations(inst: al.Instance):
    """Every valid allocation of a small instance (brute force)."""
    options = []
    for a in range(inst.n_applicants):
        pairs = [i for i in range(inst.offsets[a], inst.offsets[a + 1]) if inst.host_rank[i] >= 0]
        options.append([al.UNASSIGNED, *pairs])
    for combo in itertools.product(*options):
        assigned = np.asarray(combo, dtype=np.int64)
        held = assigned[assigned >= 0]
        fill = np.bincount(inst.posts[held], minlength=inst.n_posts)
        if np.all(fill <= inst.capacities):
            yield assigned


def choice_or_worst(inst, assigned):
    """Each applicant's 0-based choice index, or a number past every list when unassigned."""
    out = np.full(inst.n_applicants, 10**6)
    held = assigned >= 0
    out[held] = inst.choice_of[assigned[held]]
    return out


def posts_of(inst, assigned):
    return [int(inst.posts[i]) if i >= 0 else None for i in assigned]


# ---- hand examples ----------------------------------------------------------------------


def test_textbook_cyclic_example():
    """Gale & Shapley's cyclic 3×3 example: three stable matchings; applicant-proposing
    deferred acceptance gives every applicant their first choice."""
    choices = [[0, 1, 2], [1, 2, 0], [2, 0, 1]]
    rankings = {0: [1, 2, 0], 1: [2, 0, 1], 2: [0, 1, 2]}
    inst = al.build_instance(choices, [1, 1, 1], host_rankings=rankings)
    da = al.deferred_acceptance(inst)
    assert posts_of(inst, da) == [0, 1, 2]
    assert al.blocking_pairs(inst, da) == []

    def alloc(posts):
        return np.asarray([choices[a].index(p) + inst.offsets[a] for a, p in enumerate(posts)])

    # The hosts' optimum and the middle matching are stable too; a mixed one is not.
    assert al.blocking_pairs(inst, alloc([2, 0, 1])) == []
    assert al.blocking_pairs(inst, alloc([1, 2, 0])) == []
    stable = [posts_of(inst, x) for x in all_allocations(inst) if not al.blocking_pairs(inst, x)]
    assert sorted(stable) == [[0, 1, 2], [1, 2, 0], [2, 0, 1]]
    # Swapping the first two: applicant 1 (on their last choice) and post 2 (holding its last
    # choice, applicant 2) would both rather be together.
    assert al.blocking_pairs(inst, alloc([1, 0, 2])) == [(1, 2)]


def test_capacities_hand_example():
    """Post A (2 seats) ranks 4, 3, 1, 2 (applicants numbered from 1); post B (1 seat) ranks 2,
    1, 4 and not 3. Lists: 1: A B; 2: A B; 3: A; 4: B A. Worked by hand: round one A holds
    {3, 1}, B holds {4}; then 2 displaces 4 at B, 4 displaces 1 at A, 1 is turned down by B."""
    choices = [[0, 1], [0, 1], [0], [1, 0]]
    rankings = {0: [3, 2, 0, 1], 1: [1, 0, 3]}
    inst = al.build_instance(choices, [2, 1], host_rankings=rankings)
    da = al.deferred_acceptance(inst)
    assert posts_of(inst, da) == [None, 1, 0, 0]
    assert al.blocking_pairs(inst, da) == []
    why = al.explain(inst, da)
    assert why[0] == {
        "choice": None,
        "post": None,
        "better": [
            {"choice": 1, "post": 0, "reason": "full", "your_rank": 3, "cutoff_rank": 2},
            {"choice": 2, "post": 1, "reason": "full", "your_rank": 2, "cutoff_rank": 1},
        ],
    }
    assert why[2] == {"choice": 1, "post": 0, "host_rank": 2, "better": []}
    assert why[3]["choice"] == 2
    assert why[3]["better"] == [
        {"choice": 1, "post": 1, "reason": "full", "your_rank": 3, "cutoff_rank": 1}
    ]
    s = al.summarize(inst, da)
    assert (s["assigned"], s["unassigned"], s["first_choice"], s["blocking_pairs"]) == (3, 1, 1, 0)
    assert s["mean_rank"] == pytest.approx(5 / 3, abs=1e-3)
    assert s["rank_counts"] == [1, 2]


def test_host_that_did_not_rank_rejects_and_explains():
    inst = al.build_instance([[0, 1], [0]], [5, 5], host_rankings={0: [1]})
    da = al.deferred_acceptance(inst)
    assert posts_of(inst, da) == [1, 0]
    assert al.explain(inst, da)[0]["better"] == [{"choice": 1, "post": 0, "reason": "not_ranked"}]


def test_scores_ties_and_explanation_scores():
    # Three applicants with the same score for a one-seat post: the tie-break decides.
    choices = [[0, 1], [0, 1], [0, 1]]
    for tie, winner in (([2, 1, 0], 2), ([0, 2, 1], 0), (None, 0)):
        inst = al.build_instance(
            choices, [1, 2], host_scores={0: {0: 80, 1: 80, 2: 80}}, tie_break=tie
        )
        da = al.deferred_acceptance(inst)
        assert posts_of(inst, da)[winner] == 0
        assert al.blocking_pairs(inst, da) == []
    # A higher score wins, whatever the tie-break; the loser sees both scores.
    inst = al.build_instance(
        [[0, 1], [0, 1]], [1, 1], host_scores={0: {0: 70.5, 1: 90}}, tie_break=[0, 1]
    )
    da = al.deferred_acceptance(inst)
    assert posts_of(inst, da) == [1, 0]
    better = al.explain(inst, da)[0]["better"][0]
    assert better["your_score"] == 70.5 and better["cutoff_score"] == 90.0


def test_general_score_is_the_fallback():
    # Post 0 has its own scores for applicant 0 only; applicant 1 is ordered by their general
    # score, which beats applicant 0's post score.
    inst = al.build_instance([[0], [0]], [1], host_scores={0: {0: 60}}, applicant_scores=[99, 75])
    assert posts_of(inst, al.deferred_acceptance(inst)) == [None, 0]


def test_zero_capacity_and_empty_lists():
    inst = al.build_instance([[0, 1], [], [1]], [0, 1])
    da = al.deferred_acceptance(inst)
    assert posts_of(inst, da) == [1, None, None]
    assert al.blocking_pairs(inst, da) == []
    assert al.explain(inst, da)[0]["better"] == [{"choice": 1, "post": 0, "reason": "no_seats"}]
    empty = al.build_instance([], [])
    assert al.deferred_acceptance(empty).tolist() == []
    assert al.max_fit_allocation(empty).tolist() == []
    assert al.summarize(empty, al.deferred_acceptance(empty))["assigned"] == 0


def test_invalid_instances():
    with pytest.raises(ValueError, match="twice"):
        al.build_instance([[0, 0]], [1])
    with pytest.raises(ValueError, match="does not exist"):
        al.build_instance([[3]], [1])
    with pytest.raises(ValueError, match="negative"):
        al.build_instance([[0]], [-1])


def test_check_allocation_rejects_bad_results():
    inst = al.build_instance([[0], [0]], [1], host_rankings={0: [0]})
    al.check_allocation(inst, np.array([0, -1]))
    with pytest.raises(ValueError, match="does not accept"):
        al.check_allocation(inst, np.array([-1, 1]))
    inst2 = al.build_instance([[0], [0]], [1])
    with pytest.raises(ValueError, match="capacity"):
        al.check_allocation(inst2, np.array([0, 1]))
    with pytest.raises(ValueError, match="did not list"):
        al.check_allocation(inst2, np.array([1, -1]))


# ---- random instances -------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(8))
def test_deferred_acceptance_is_stable_on_random_instances(seed):
    inst = random_instance(seed, n=200, m=25, k=6)
    da = al.deferred_acceptance(inst)
    al.check_allocation(inst, da)
    assert al.blocking_pairs(inst, da) == []
    # Nobody is placed when a host with a free seat would have taken a better choice: the
    # explanations of better choices never say "open" or "full_lower".
    reasons = {b["reason"] for e in al.explain(inst, da) for b in e["better"]}
    assert reasons <= {al.NOT_RANKED, al.NO_SEATS, al.FULL}


@pytest.mark.parametrize("seed", range(4))
def test_result_does_not_depend_on_applicant_order(seed):
    """Renumbering applicants (keeping each one's tie-break value) gives the same result:
    ties are broken by the lottery value, not by position."""
    rng = np.random.default_rng(100 + seed)
    n, m = 80, 10
    choices = [rng.choice(m, size=4, replace=False).tolist() for _ in range(n)]
    scores = {p: {a: float(rng.integers(0, 3)) for a in range(n)} for p in range(m)}
    tie = rng.permutation(n).tolist()
    caps = rng.integers(1, 6, size=m).tolist()
    base = al.build_instance(choices, caps, host_scores=scores, tie_break=tie)
    result = posts_of(base, al.deferred_acceptance(base))
    perm = rng.permutation(n)  # new index i holds old applicant perm[i]
    inv = np.argsort(perm)
    permuted = al.build_instance(
        [choices[j] for j in perm],
        caps,
        host_scores={p: {int(inv[a]): s for a, s in d.items()} for p, d in scores.items()},
        tie_break=[tie[j] for j in perm],
    )
    again = posts_of(permuted, al.deferred_acceptance(permuted))
    assert [again[inv[a]] for a in range(n)] == result


@pytest.mark.parametrize("seed", range(12))
def test_applicant_optimal_and_max_fit_against_brute_force(seed):
    inst = random_instance(1000 + seed, n=5, m=3, k=3, tie_levels=2)
    da = al.deferred_acceptance(inst)
    everything = list(all_allocations(inst))
    stable = [x for x in everything if not al.blocking_pairs(inst, x)]
    assert any(np.array_equal(x, da) for x in stable)
    mine = choice_or_worst(inst, da)
    for other in stable:
        assert np.all(mine <= choice_or_worst(inst, other))  # every applicant weakly better
    # Max fit reaches the brute-force optimum, with or without a penalty for the unplaced.
    fit = al.fit_points(inst)
    for penalty in (0.0, 30.0):
        best = max(al.total_fit(inst, x, fit=fit, unassigned_penalty=penalty) for x in everything)
        mcf = al.max_fit_allocation(inst, fit=fit, unassigned_penalty=penalty)
        al.check_allocation(inst, mcf)
        assert al.total_fit(inst, mcf, fit=fit, unassigned_penalty=penalty) == pytest.approx(best)


@pytest.mark.parametrize("seed", range(6))
def test_max_fit_is_at_least_deferred_acceptance(seed):
    inst = random_instance(500 + seed, n=300, m=30, k=8)
    fit = al.fit_points(inst)
    da = al.deferred_acceptance(inst)
    mcf = al.max_fit_allocation(inst, fit=fit)
    al.check_allocation(inst, mcf)
    assert al.total_fit(inst, mcf, fit=fit) >= al.total_fit(inst, da, fit=fit)
    for penalty in (10.0, 100.0):
        with_penalty = al.max_fit_allocation(inst, fit=fit, unassigned_penalty=penalty)
        assert al.total_fit(
            inst, with_penalty, fit=fit, unassigned_penalty=penalty
        ) >= al.total_fit(inst, da, fit=fit, unassigned_penalty=penalty)
    summary = al.summarize(inst, mcf, fit=fit)
    assert summary["blocking_pairs"] == len(al.blocking_pairs(inst, mcf)) >= 0
    # Explanations of a max-fit result are complete: every better choice has a reason.
    for entry in al.explain(inst, mcf):
        assert all(
            b["reason"] in {"not_ranked", "no_seats", "full", "full_lower", "open"}
            for b in entry["better"]
        )


def test_max_fit_can_trade_stability_for_fit():
    """Two applicants, two one-seat posts. Applicant 0 wants post 0 then 1; applicant 1 wants
    only post 0. Post 0 prefers applicant 0. Deferred acceptance leaves applicant 1 out; max fit
    places both, at the cost of a blocking pair (applicant 0, post 0)."""
    inst = al.build_instance([[0, 1], [0]], [1, 1], host_rankings={0: [0, 1], 1: [0]})
    da = al.deferred_acceptance(inst)
    mcf = al.max_fit_allocation(inst)
    assert posts_of(inst, da) == [0, None]
    assert posts_of(inst, mcf) == [1, 0]
    assert al.blocking_pairs(inst, mcf) == [(0, 0)]
    assert al.explain(inst, mcf)[0]["better"][0]["reason"] == "full_lower"
    fit = al.fit_points(inst)
    # 50·(2−k)/2 + 50·(N−r)/N: applicant 0 at post 0 is 50 + 50, at post 1: 25 + 50;
    # applicant 1 at post 0: 50 + 25.
    assert fit.tolist() == [10000, 7500, 7500]
    assert al.total_fit(inst, da) == 100.0
    assert al.total_fit(inst, mcf) == 150.0


def test_fit_points_scale():
    inst = al.build_instance([[0, 1, 2]], [1, 1, 1], host_rankings={0: [0], 2: []})
    fit = al.fit_points(inst, max_choices=4)
    # First choice, host's first: 50·4/4 + 50 = 100; second choice: 50·3/4 + 50 = 87.5;
    # third choice not acceptable: 0.
    assert fit.tolist() == [10000, 8750, 0]


# ---- actions ----------------------------------------------------------------------------

QUWO = "141021000000"
HOUMA = "141081000000"


@pytest.fixture
def postings(regions):
    """Four internship postings in 曲沃 (one employer), one full-time posting, one in 侯马."""
    quwo = Employer.objects.create(uscc=make_uscc(1), name="曲沃县见习基地", region_code=QUWO)
    houma = Employer.objects.create(
        uscc=make_uscc(2, "141081"), name="侯马市见习基地", region_code=HOUMA
    )
    day = datetime.date(2026, 1, 1)

    def post(title, employer=quwo, region="141021100000", kind=PostingKind.INTERNSHIP):
        return Posting.objects.create(
            employer=employer,
            title=title,
            region_code=region,
            kind=kind,
            valid_from=day,
            valid_to=day + datetime.timedelta(days=180),
        )

    return {
        "A": post("行政助理见习"),
        "B": post("会计见习"),
        "C": post("电商运营见习"),
        "D": post("仓储管理见习"),
        "full_time": post("电焊工", kind=PostingKind.FULL_TIME),
        "houma": post("侯马见习", employer=houma, region="141081001000"),
    }


@pytest.fixture
def people(person_factory):
    return [
        person_factory(name, "141021100200", datetime.date(2002, 1 + i, 1), female=i % 2 == 1)
        for i, name in enumerate(["王一", "李二", "张三", "赵四"])
    ]


@pytest.fixture
def hand_round(staff, postings, people):
    """The capacities hand example as a round: A (2 seats) and B (1 seat)."""
    op = staff["county_operator"]
    rnd = actions.create_round(actor=op, name="2026年春季见习", region_code=QUWO)
    a = actions.add_post(rnd, actor=op, posting=postings["A"], capacity=2)
    b = actions.add_post(rnd, actor=op, posting=postings["B"], capacity=1)
    lists = [[a, b], [a, b], [a], [b, a]]
    apps = [
        actions.add_applicant(rnd, actor=op, person=p, choices=[x.pk for x in lst])
        for p, lst in zip(people, lists, strict=True)
    ]
    actions.update_post(a, actor=op, host_ranking=[apps[i].pk for i in (3, 2, 0, 1)])
    actions.update_post(b, actor=op, host_ranking=[apps[i].pk for i in (1, 0, 3)])
    rnd.refresh_from_db()
    return rnd, {"A": a, "B": b}, apps


def test_create_round_checks_scope(staff, regions):
    with pytest.raises(JiuyeError) as err:
        actions.create_round(actor=staff["houma_operator"], name="x", region_code=QUWO)
    assert err.value.code == "out_of_scope"
    with pytest.raises(JiuyeError):
        actions.create_round(actor=staff["county_operator"], name=" ", region_code=QUWO)
    rnd = actions.create_round(actor=staff["county_operator"], name="春季", region_code=QUWO)
    assert rnd.status == RoundStatus.DRAFT and rnd.created_by == staff["county_operator"]
    assert AuditLog.objects.filter(action="matching.round.create", object_id=str(rnd.pk)).exists()


def test_add_post_validates_the_posting(staff, postings):
    op = staff["county_operator"]
    rnd = actions.create_round(actor=op, name="春季", region_code=QUWO)
    with pytest.raises(JiuyeError, match="internship"):
        actions.add_post(rnd, actor=op, posting=postings["full_time"], capacity=1)
    with pytest.raises(NotFoundError):  # the 侯马 posting is outside the operator's scope
        actions.add_post(rnd, actor=op, posting=postings["houma"], capacity=1)
    city = actions.create_round(actor=staff["city_operator"], name="市级", region_code=QUWO)
    with pytest.raises(JiuyeError, match="outside the round"):
        actions.add_post(city, actor=staff["city_operator"], posting=postings["houma"], capacity=1)
    actions.add_post(rnd, actor=op, posting=postings["A"], capacity=3)
    with pytest.raises(JiuyeError) as err:
        actions.add_post(rnd, actor=op, posting=postings["A"], capacity=3)
    assert err.value.status == 409
    with pytest.raises(NotFoundError):
        actions.add_post(rnd, actor=staff["houma_operator"], posting=postings["B"], capacity=1)


def test_add_applicant_validates_choices(staff, postings, people, person_factory):
    op = staff["county_operator"]
    rnd = actions.create_round(actor=op, name="春季", region_code=QUWO, max_choices=2)
    a = actions.add_post(rnd, actor=op, posting=postings["A"], capacity=1)
    b = actions.add_post(rnd, actor=op, posting=postings["B"], capacity=1)
    c = actions.add_post(rnd, actor=op, posting=postings["C"], capacity=1)
    for bad, message in (
        ([], "at least one"),
        ([a.pk, a.pk], "twice"),
        ([a.pk, 999999], "not in the round"),
        ([a.pk, b.pk, c.pk], "At most 2"),
        (["x"], "post numbers"),
    ):
        with pytest.raises(JiuyeError, match=message):
            actions.add_applicant(rnd, actor=op, person=people[0], choices=bad)
    with pytest.raises(JiuyeError, match="number"):
        actions.add_applicant(rnd, actor=op, person=people[0], choices=[a.pk], score="abc")
    app = actions.add_applicant(rnd, actor=op, person=people[0], choices=[a.pk], score="81.5")
    assert app.score == 81.5
    again = actions.add_applicant(rnd, actor=op, person=people[0], choices=[b.pk, a.pk])
    assert again.pk == app.pk and again.choices == [b.pk, a.pk] and again.score is None
    houma_person = person_factory("侯马人", "141081001001")
    with pytest.raises(NotFoundError):
        actions.add_applicant(rnd, actor=op, person=houma_person, choices=[a.pk])


def test_ranking_and_scores_validation(staff, hand_round):
    _rnd, posts, apps = hand_round
    op = staff["county_operator"]
    with pytest.raises(JiuyeError, match="twice"):
        actions.update_post(posts["A"], actor=op, host_ranking=[apps[0].pk, apps[0].pk])
    with pytest.raises(JiuyeError, match="not in the round"):
        actions.update_post(posts["A"], actor=op, host_ranking=[123456])
    with pytest.raises(JiuyeError, match="not in the round"):
        actions.update_post(posts["A"], actor=op, host_scores={"123456": 1})
    with pytest.raises(JiuyeError, match="numbers"):
        actions.update_post(posts["A"], actor=op, host_scores={str(apps[0].pk): "x"})
    with pytest.raises(JiuyeError, match="whole number"):
        actions.update_post(posts["A"], actor=op, capacity=-1)


def test_run_deferred_acceptance_stores_results_and_reasons(staff, hand_round):
    rnd, posts, apps = hand_round
    op = staff["county_operator"]
    rnd = actions.run_round(rnd, actor=op, method="da")
    assert rnd.status == RoundStatus.ALLOCATED and rnd.method == "da" and rnd.run_at
    got = {a.applicant_id: a for a in Assignment.objects.filter(round=rnd)}
    assert len(got) == 4
    assert got[apps[0].pk].post is None and got[apps[0].pk].choice_rank is None
    assert got[apps[1].pk].post == posts["B"] and got[apps[1].pk].choice_rank == 2
    assert got[apps[2].pk].post == posts["A"] and got[apps[2].pk].choice_rank == 1
    assert got[apps[3].pk].post == posts["A"] and got[apps[3].pk].choice_rank == 2
    # Explanations name RoundPost ids.
    assert got[apps[0].pk].explanation["better"][0] == {
        "choice": 1,
        "post": posts["A"].pk,
        "reason": "full",
        "your_rank": 3,
        "cutoff_rank": 2,
    }
    # First choice of 30 (50 points), the host's #2 of 4 (37.5 points).
    assert got[apps[2].pk].fit == 87.5
    s = rnd.stats
    assert (s["assigned"], s["unassigned"], s["blocking_pairs"], s["first_choice"]) == (3, 1, 0, 1)
    assert s["other"]["method"] == "mcf" and s["other"]["total_fit"] >= s["total_fit"]
    log = AuditLog.objects.get(action="matching.round.run", object_id=str(rnd.pk))
    assert log.after["assigned"] == 3 and log.after["blocking_pairs"] == 0


def test_rerun_replaces_the_draft_result_and_mcf(staff, hand_round):
    rnd, _posts, _apps = hand_round
    op = staff["county_operator"]
    actions.run_round(rnd, actor=op, method="da")
    first_ids = set(Assignment.objects.filter(round=rnd).values_list("pk", flat=True))
    rnd = actions.run_round(rnd, actor=op, method="mcf")
    rows = Assignment.objects.filter(round=rnd)
    assert rows.count() == 4 and not first_ids & set(rows.values_list("pk", flat=True))
    assert set(rows.values_list("method", flat=True)) == {"mcf"}
    assert rnd.stats["method"] == "mcf" and rnd.stats["other"]["method"] == "da"
    assert rnd.stats["total_fit"] >= rnd.stats["other"]["total_fit"]
    with pytest.raises(JiuyeError, match="Unknown"):
        actions.run_round(rnd, actor=op, method="magic")
    with pytest.raises(NotFoundError):
        actions.run_round(rnd, actor=staff["houma_operator"])


def test_changing_an_allocated_round_sends_it_back_to_draft(staff, hand_round):
    rnd, posts, _apps = hand_round
    op = staff["county_operator"]
    actions.run_round(rnd, actor=op)
    actions.update_post(posts["B"], actor=op, capacity=2)
    rnd.refresh_from_db()
    assert rnd.status == RoundStatus.DRAFT and rnd.stats == {}
    assert not Assignment.objects.filter(round=rnd).exists()
    rnd = actions.run_round(rnd, actor=op)
    assert rnd.stats["assigned"] == 4


def test_ties_are_broken_by_a_fixed_lottery(staff, postings, people):
    op = staff["county_operator"]
    rnd = actions.create_round(actor=op, name="抽签", region_code=QUWO)
    a = actions.add_post(rnd, actor=op, posting=postings["A"], capacity=1)
    apps = [
        actions.add_applicant(rnd, actor=op, person=p, choices=[a.pk], score=60) for p in people
    ]
    actions.run_round(rnd, actor=op)
    winner = Assignment.objects.get(round=rnd, post__isnull=False).applicant_id
    expected = min(apps, key=lambda x: actions.lottery(rnd.pk, x.pk)).pk
    assert winner == expected
    actions.run_round(rnd, actor=op)
    assert Assignment.objects.get(round=rnd, post__isnull=False).applicant_id == winner


def test_publish_is_one_batch_and_final(staff, hand_round):
    rnd, posts, apps = hand_round
    op, reviewer = staff["county_operator"], staff["county_reviewer"]
    with pytest.raises(JiuyeError, match="Run the allocation"):
        actions.publish_round(rnd, actor=reviewer)
    actions.run_round(rnd, actor=op)
    with pytest.raises(NotFoundError):  # an operator may not publish (no review permission)
        actions.publish_round(rnd, actor=op)
    with pytest.raises(NotFoundError):
        actions.publish_round(rnd, actor=staff["houma_operator"])
    rnd = actions.publish_round(rnd, actor=reviewer)
    assert rnd.status == RoundStatus.PUBLISHED and rnd.published_by == reviewer
    stamps = set(Assignment.objects.filter(round=rnd).values_list("published_at", flat=True))
    assert stamps == {rnd.published_at}
    log = AuditLog.objects.get(action="matching.round.publish", object_id=str(rnd.pk))
    assert log.after["assignments"] == 4 and log.after["assigned"] == 3
    assert log.after["digest"] == actions.result_digest(rnd)
    for attempt in (
        lambda: actions.publish_round(rnd, actor=reviewer),
        lambda: actions.run_round(rnd, actor=op),
        lambda: actions.add_post(
            rnd, actor=op, posting=Posting.objects.get(title="会计见习"), capacity=1
        ),
        lambda: actions.update_post(posts["A"], actor=op, capacity=9),
        lambda: actions.add_applicant(
            rnd, actor=op, person=apps[0].person, choices=[posts["A"].pk]
        ),
    ):
        with pytest.raises(JiuyeError) as err:
            attempt()
        assert err.value.code == "conflict" and err.value.status == 409
    assert Assignment.objects.filter(round=rnd).count() == 4


# ---- import -----------------------------------------------------------------------------


def test_import_choices_from_xlsx_and_csv(staff, postings, people, person_factory, tmp_path):
    op = staff["county_operator"]
    rnd = actions.create_round(actor=op, name="导入", region_code=QUWO)
    a = actions.add_post(rnd, actor=op, posting=postings["A"], capacity=1)
    b = actions.add_post(rnd, actor=op, posting=postings["B"], capacity=1)
    outsider = person_factory("侯马人", "141081001001")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["2026年春季见习志愿表"])
    ws.append(["姓名", "身份证号", "得分", "志愿1", "志愿2"])
    ws.append([people[0].name, people[0].id_number, 88, postings["B"].pk, postings["A"].pk])
    ws.append([people[1].name, people[1].id_number, None, postings["A"].pk, None])
    ws.append([people[2].name, "123", None, postings["A"].pk, None])  # bad ID number
    ws.append([outsider.name, outsider.id_number, None, postings["A"].pk, None])  # out of scope
    ws.append([people[3].name, people[3].id_number, None, postings["C"].pk, None])  # not in round
    ws.append([people[0].name, people[0].id_number, None, postings["A"].pk, None])  # twice
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    report = actions.import_choices(rnd, actor=op, source=buf, filename="志愿.xlsx")
    assert (report.added, report.updated) == (2, 0)
    assert [row for row, _reason in report.errors] == [5, 6, 7, 8]
    app = rnd.applicants.get(person=people[0])
    assert app.choices == [b.pk, a.pk] and app.score == 88
    csv = f"身份证号,志愿1\n{people[1].id_number},{postings['B'].pk}\n".encode()
    report = actions.import_choices(rnd, actor=op, source=io.BytesIO(csv), filename="x.csv")
    assert (report.added, report.updated, report.errors) == (0, 1, [])
    assert rnd.applicants.get(person=people[1]).choices == [b.pk]
    with pytest.raises(JiuyeError) as err:
        actions.import_choices(
            rnd, actor=op, source=io.BytesIO("姓名,电话\n张三,1\n".encode()), filename="x.csv"
        )
    assert err.value.code == "invalid_file"
    assert AuditLog.objects.filter(action="matching.round.import").count() == 2
