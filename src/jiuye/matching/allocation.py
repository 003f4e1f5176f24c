"""Internship allocation (见习岗位分配): the algorithms, on plain integer indices, no Django.

Applicants ``0..n-1`` each list posts ``0..m-1`` in their order of preference; each post has a
capacity and an order over the applicants who listed it. Two ways to allocate:

* **Deferred acceptance** (Gale & Shapley 1962, applicant-proposing, with capacities): every
  applicant applies down their list; a post tentatively holds the best applicants (by its own
  order) up to its capacity and releases the worst when a better one arrives. The result is
  *stable* — no applicant and post both prefer each other to what they got (``blocking_pairs``
  proves it: the list is empty) — and the best stable result for every applicant at once, so
  nobody gains by misreporting their list.
* **Maximum total fit** (minimum-cost flow, OR-Tools ``SimpleMinCostFlow``): maximises the sum of
  ``fit`` (defined in ``fit_points``) under the capacities. Its total fit is at least that of
  deferred acceptance (the stable result is one of the allocations it chooses among), but it may
  leave blocking pairs; ``summarize`` reports how many.

Everything here works on an ``Instance``: the applicants' lists flattened into *pairs* (one per
applicant and listed post, in the applicant's order), each pair carrying the host's strict rank
of that applicant. An allocation is an array ``assigned`` of length ``n`` holding, for each
applicant, the index of the pair they were given, or ``-1`` when unassigned.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

UNASSIGNED = -1

# Explanation reasons for a better-ranked choice that the applicant did not get.
NOT_RANKED = "not_ranked"  # the host did not rank (accept) this applicant
NO_SEATS = "no_seats"  # the post has no capacity
FULL = "full"  # full with applicants the host ranked higher
FULL_LOWER = "full_lower"  # full, with an applicant the host ranked lower (max-fit only)
OPEN = "open"  # a seat was left free (max-fit only: the total fit was higher elsewhere)

# Fit is measured in points from 0 to 100; the flow solver needs integers, so it works in
# hundredths of a point.
FIT_SCALE = 100


@dataclass(frozen=True, eq=False)
class Instance:
    """An allocation problem. Build it with ``build_instance`` or ``Instance.from_keys``."""

    capacities: np.ndarray  # int64 (m,)
    offsets: np.ndarray  # int64 (n + 1,): applicant a's pairs are offsets[a]:offsets[a + 1]
    posts: np.ndarray  # int64 (nnz,): the post of each pair, in the applicant's order
    # int64 (nnz,): the host's strict rank of the applicant among the post's acceptable
    # applicants, 0 = best; -1 when the host does not accept the applicant at all.
    host_rank: np.ndarray
    # float (nnz,): the score behind the rank, for explanations; NaN where the host ranked
    # explicitly (or gave no score).
    host_score: np.ndarray

    @property
    def n_applicants(self) -> int:
        return len(self.offsets) - 1

    @property
    def n_posts(self) -> int:
        return len(self.capacities)

    @property
    def n_pairs(self) -> int:
        return len(self.posts)

    @cached_property
    def applicant_of(self) -> np.ndarray:
        """The applicant of each pair."""
        return np.repeat(np.arange(self.n_applicants), np.diff(self.offsets))

    @cached_property
    def choice_of(self) -> np.ndarray:
        """The 0-based position of each pair in its applicant's list."""
        return np.arange(self.n_pairs) - self.offsets[self.applicant_of]

    @cached_property
    def acceptable_count(self) -> np.ndarray:
        """How many applicants each host accepts among those who listed it."""
        ok = self.host_rank >= 0
        return np.bincount(self.posts[ok], minlength=self.n_posts)

    @classmethod
    def from_keys(
        cls,
        capacities,
        offsets,
        posts,
        keys,
        *,
        tie_break=None,
        scores=None,
    ) -> Instance:
        """The instance for per-pair host keys: a *lower* key is preferred by the host, NaN
        means the host does not accept the applicant. Equal keys at a post are ordered by
        ``tie_break`` (per applicant, lower wins; default the applicant index), so every host
        order is strict and every run on the same input gives the same result."""
        capacities = np.asarray(capacities, dtype=np.int64)
        offsets = np.asarray(offsets, dtype=np.int64)
        posts = np.asarray(posts, dtype=np.int64)
        keys = np.asarray(keys, dtype=np.float64)
        n, m, nnz = len(offsets) - 1, len(capacities), len(posts)
        if n < 0 or offsets[0] != 0 or offsets[-1] != nnz or np.any(np.diff(offsets) < 0):
            raise ValueError("offsets must rise from 0 to the number of pairs")
        if len(keys) != nnz:
            raise ValueError("one key per pair")
        if nnz and (posts.min() < 0 or posts.max() >= m):
            raise ValueError("a choice names a post that does not exist")
        if np.any(capacities < 0):
            raise ValueError("capacities cannot be negative")
        applicant_of = np.repeat(np.arange(n), np.diff(offsets))
        if nnz and len(np.unique(applicant_of * m + posts)) != nnz:
            raise ValueError("an applicant lists the same post twice")
        if tie_break is None:
            tie = applicant_of.astype(np.float64)
        else:
            tie_break = np.asarray(tie_break, dtype=np.float64)
            if len(tie_break) != n:
                raise ValueError("one tie-break value per applicant")
            tie = tie_break[applicant_of]
        ok = ~np.isnan(keys)
        idx = np.flatnonzero(ok)
        # Sort the acceptable pairs by post, then key, then tie-break (then applicant, so that
        # equal tie-break values stay deterministic); a pair's rank is its place in its post.
        order = idx[np.lexsort((applicant_of[idx], tie[idx], keys[idx], posts[idx]))]
        sorted_posts = posts[order]
        starts = np.searchsorted(sorted_posts, sorted_posts, side="left")
        host_rank = np.full(nnz, -1, dtype=np.int64)
        host_rank[order] = np.arange(len(order)) - starts
        if scores is None:
            host_score = np.full(nnz, np.nan)
        else:
            host_score = np.asarray(scores, dtype=np.float64)
            if len(host_score) != nnz:
                raise ValueError("one score per pair")
        return cls(capacities, offsets, posts, host_rank, host_score)


def build_instance(
    choices: Sequence[Sequence[int]],
    capacities: Sequence[int],
    *,
    host_rankings: Mapping[int, Sequence[int]] | None = None,
    host_scores: Mapping[int, Mapping[int, float]] | None = None,
    applicant_scores: Sequence[float | None] | None = None,
    tie_break: Sequence[float] | None = None,
) -> Instance:
    """An instance from applicants' ranked ``choices`` (post indices, best first).

    How a host orders its applicants:

    1. a post in ``host_rankings`` ranks explicitly (applicant indices, best first); an
       applicant it does not list is *not acceptable* to it and is rejected;
    2. otherwise by score, higher first: the post's own score for the applicant
       (``host_scores[post][applicant]``), else the applicant's general score
       (``applicant_scores[applicant]``, e.g. an assessment or a fit score), else 0;
    3. equal scores by ``tie_break`` (lower wins; default the applicant index).
    """
    host_rankings = host_rankings or {}
    host_scores = host_scores or {}
    positions = {
        post: {applicant: i for i, applicant in enumerate(ranking)}
        for post, ranking in host_rankings.items()
    }
    lengths = [len(c) for c in choices]
    offsets = np.zeros(len(choices) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    posts: list[int] = []
    keys: list[float] = []
    scores: list[float] = []
    for applicant, listed in enumerate(choices):
        general = applicant_scores[applicant] if applicant_scores is not None else None
        for post in listed:
            posts.append(post)
            ranking = positions.get(post)
            if ranking is not None:
                place = ranking.get(applicant)
                keys.append(math.nan if place is None else float(place))
                scores.append(math.nan)
                continue
            score = host_scores.get(post, {}).get(applicant, general)
            score = 0.0 if score is None else float(score)
            keys.append(-score)
            scores.append(score)
    return Instance.from_keys(
        capacities, offsets, posts, keys, tie_break=tie_break, scores=np.asarray(scores)
    )


# ---- deferred acceptance ----------------------------------------------------------------


def deferred_acceptance(instance: Instance) -> np.ndarray:
    """Applicant-proposing deferred acceptance with capacities; returns ``assigned``.

    Each post keeps the applicants it holds in a heap keyed by the host's rank, so a proposal
    costs O(log capacity) and the whole run O(pairs × log capacity). The result does not depend
    on the order in which free applicants propose (it is the applicant-optimal stable
    allocation, which is unique for strict host orders).
    """
    n = instance.n_applicants
    offsets = instance.offsets.tolist()
    posts = instance.posts.tolist()
    rank = instance.host_rank.tolist()
    capacity = instance.capacities.tolist()
    held: list[list[int]] = [[] for _ in range(instance.n_posts)]
    nxt = offsets[:-1]
    ends = offsets[1:]
    assigned = [UNASSIGNED] * n
    # Heap entries encode (rank, applicant) in one integer, negated for a max-heap: the
    # worst-ranked holder sits on top. Integers compare much faster than tuples.
    base = max(n, 1)
    free = list(range(n - 1, -1, -1))
    heappush, heapreplace, pop, push = heapq.heappush, heapq.heapreplace, free.pop, free.append
    while free:
        a = pop()
        i, end = nxt[a], ends[a]
        while i < end:
            r = rank[i]
            if r < 0:
                i += 1
                continue
            p = posts[i]
            heap = held[p]
            if len(heap) < capacity[p]:
                heappush(heap, -(r * base + a))
                assigned[a] = i
                i += 1
                break
            if heap and -heap[0] > r * base + a:
                worst = -heapreplace(heap, -(r * base + a))
                b = worst % base
                assigned[b] = UNASSIGNED
                push(b)
                assigned[a] = i
                i += 1
                break
            i += 1
        nxt[a] = i
    return np.asarray(assigned, dtype=np.int64)


# ---- maximum total fit (minimum-cost flow) ----------------------------------------------


def fit_points(instance: Instance, *, max_choices: int | None = None) -> np.ndarray:
    """The fit of every pair, in hundredths of a point (0 … 10,000); 0 where not acceptable.

    ``fit = 50 × (K − k) / K + 50 × (N − r) / N`` points, where ``k`` is the 0-based place of
    the post in the applicant's list and ``K`` the longest list (or ``max_choices``); ``r`` the
    host's 0-based rank of the applicant and ``N`` the number of applicants the host accepts.
    Half of it is how much the applicant wants the post, half how much the host wants the
    applicant, each on the same 0–50 scale whether the host ranked explicitly or scored; a
    first choice of an applicant who is also the host's first choice scores 100.
    """
    k_max = max_choices or int(np.diff(instance.offsets).max(initial=1))
    k_max = max(k_max, 1)
    k = instance.choice_of
    ok = instance.host_rank >= 0
    accepted = np.maximum(instance.acceptable_count[instance.posts], 1)
    applicant_part = (k_max - k) / k_max
    host_part = (accepted - instance.host_rank) / accepted
    fit = np.rint(50 * FIT_SCALE * (applicant_part + host_part)).astype(np.int64)
    return np.where(ok, np.maximum(fit, 0), 0)


def max_fit_allocation(
    instance: Instance, *, unassigned_penalty: float = 0.0, fit: np.ndarray | None = None
) -> np.ndarray:
    """The allocation that maximises ``total_fit`` under the capacities; returns ``assigned``.

    The network: one unit of supply per applicant; an arc to each post the applicant listed
    and the host accepts (capacity 1, cost −fit); an arc from each post to the sink (capacity
    = the post's capacity, cost 0); and an arc from each applicant straight to the sink for
    "unassigned" (capacity 1, cost = ``unassigned_penalty`` points). With penalty 0 an
    unassigned applicant adds nothing, so the solver maximises the plain sum of fit; a positive
    penalty trades fit for more people placed.
    """
    from ortools.graph.python import min_cost_flow

    n, m = instance.n_applicants, instance.n_posts
    if fit is None:
        fit = fit_points(instance)
    ok = np.flatnonzero(instance.host_rank >= 0)
    sink = n + m
    penalty = round(unassigned_penalty * FIT_SCALE)
    tails = np.concatenate([instance.applicant_of[ok], np.arange(n), n + np.arange(m)])
    heads = np.concatenate(
        [n + instance.posts[ok], np.full(n, sink), np.full(m, sink)],
    )
    caps = np.concatenate([np.ones(len(ok) + n, dtype=np.int64), instance.capacities])
    costs = np.concatenate([-fit[ok], np.full(n, penalty), np.zeros(m, dtype=np.int64)])
    solver = min_cost_flow.SimpleMinCostFlow()
    arcs = solver.add_arcs_with_capacity_and_unit_cost(
        tails.astype(np.int32), heads.astype(np.int32), caps, costs.astype(np.int64)
    )
    supplies = np.zeros(n + m + 1, dtype=np.int64)
    supplies[:n] = 1
    supplies[sink] = -n
    solver.set_nodes_supplies(np.arange(n + m + 1, dtype=np.int32), supplies)
    status = solver.solve()
    if status != solver.OPTIMAL:  # pragma: no cover - the network is always feasible
        raise RuntimeError(f"min-cost flow failed: {status}")
    flows = solver.flows(arcs[: len(ok)])
    used = ok[flows > 0]
    assigned = np.full(n, UNASSIGNED, dtype=np.int64)
    assigned[instance.applicant_of[used]] = used
    return assigned


# ---- checks, explanations, figures ------------------------------------------------------


def check_allocation(instance: Instance, assigned: np.ndarray) -> None:
    """Raise ``ValueError`` unless ``assigned`` is a valid allocation for ``instance``: each
    applicant holds one of their own pairs, acceptable to the host, within capacity."""
    assigned = np.asarray(assigned, dtype=np.int64)
    if len(assigned) != instance.n_applicants:
        raise ValueError("one entry per applicant")
    held = assigned >= 0
    pairs = assigned[held]
    if np.any(pairs >= instance.n_pairs):
        raise ValueError("no such pair")
    if np.any(instance.applicant_of[pairs] != np.flatnonzero(held)):
        raise ValueError("an applicant holds a post they did not list")
    if np.any(instance.host_rank[pairs] < 0):
        raise ValueError("an applicant holds a post whose host does not accept them")
    fill = np.bincount(instance.posts[pairs], minlength=instance.n_posts)
    if np.any(fill > instance.capacities):
        raise ValueError("a post is over capacity")


def _post_state(instance: Instance, assigned: np.ndarray):
    """Per post: seats filled, and the pair of its worst-ranked holder (-1 when empty)."""
    m = instance.n_posts
    pairs = assigned[assigned >= 0]
    fill = np.bincount(instance.posts[pairs], minlength=m)
    worst_pair = np.full(m, -1, dtype=np.int64)
    if len(pairs):
        # Sort holders by post then rank; the last of each post's run is its worst holder.
        order = pairs[np.lexsort((instance.host_rank[pairs], instance.posts[pairs]))]
        last = np.r_[instance.posts[order][1:] != instance.posts[order][:-1], True]
        worst_pair[instance.posts[order[last]]] = order[last]
    return fill, worst_pair


def _preferred_mask(instance: Instance, assigned: np.ndarray) -> np.ndarray:
    """For each pair: True when its applicant ranks it above what they were given."""
    limit = np.where(assigned >= 0, assigned, instance.offsets[1:])
    return np.arange(instance.n_pairs) < limit[instance.applicant_of]


def blocking_pairs(instance: Instance, assigned: np.ndarray) -> list[tuple[int, int]]:
    """Every (applicant, post) pair that would both rather be together: the applicant ranks
    the post above what they got (or got nothing), the host accepts them, and the post has a
    free seat or holds someone it ranks below them. Empty means the allocation is stable."""
    assigned = np.asarray(assigned, dtype=np.int64)
    fill, worst_pair = _post_state(instance, assigned)
    worst_rank = np.where(worst_pair >= 0, instance.host_rank[worst_pair], -1)
    p = instance.posts
    r = instance.host_rank
    blocking = (
        _preferred_mask(instance, assigned)
        & (r >= 0)
        & ((fill[p] < instance.capacities[p]) | ((worst_rank[p] >= 0) & (r < worst_rank[p])))
    )
    idx = np.flatnonzero(blocking)
    return list(zip(instance.applicant_of[idx].tolist(), p[idx].tolist(), strict=True))


def _score(value: float) -> float | None:
    return None if math.isnan(value) else round(float(value), 4)


def explain(instance: Instance, assigned: np.ndarray) -> list[dict]:
    """Why each applicant got what they got, as JSON-ready dicts (post indices, 1-based ranks):

    ``{"choice": 2, "post": 7, "host_rank": 3, "better": [{"choice": 1, "post": 4,
    "reason": "full", "your_rank": 12, "cutoff_rank": 10, "your_score": …, "cutoff_score": …}]}``

    ``choice`` and ``post`` are None for an unassigned applicant, whose ``better`` then covers
    their whole list. Ranks are the host's order among the applicants who listed the post.
    ``reason`` is ``not_ranked`` (the host did not rank you), ``no_seats``, ``full`` (full
    with applicants the host ranked higher: the lowest admitted is ``cutoff_rank``), and, for
    a max-fit result only, ``full_lower`` or ``open`` (the seat went elsewhere for total fit).
    """
    assigned = np.asarray(assigned, dtype=np.int64)
    fill, worst_pair = _post_state(instance, assigned)
    offsets = instance.offsets.tolist()
    posts = instance.posts.tolist()
    rank = instance.host_rank.tolist()
    score = instance.host_score.tolist()
    capacity = instance.capacities.tolist()
    fill_l = fill.tolist()
    worst_l = worst_pair.tolist()
    out = []
    for a, got in enumerate(assigned.tolist()):
        start = offsets[a]
        stop = got if got >= 0 else offsets[a + 1]
        better = []
        for i in range(start, stop):
            p = posts[i]
            item: dict = {"choice": i - start + 1, "post": p}
            if rank[i] < 0:
                item["reason"] = NOT_RANKED
            elif capacity[p] == 0:
                item["reason"] = NO_SEATS
            elif fill_l[p] < capacity[p]:
                item["reason"] = OPEN
                item["your_rank"] = rank[i] + 1
            else:
                w = worst_l[p]
                item["reason"] = FULL if rank[w] < rank[i] else FULL_LOWER
                item["your_rank"] = rank[i] + 1
                item["cutoff_rank"] = rank[w] + 1
                if not (math.isnan(score[i]) or math.isnan(score[w])):
                    item["your_score"] = _score(score[i])
                    item["cutoff_score"] = _score(score[w])
            better.append(item)
        entry: dict = {"choice": None, "post": None, "better": better}
        if got >= 0:
            entry["choice"] = got - start + 1
            entry["post"] = posts[got]
            entry["host_rank"] = rank[got] + 1
            if not math.isnan(score[got]):
                entry["host_score"] = _score(score[got])
        out.append(entry)
    return out


def total_fit(
    instance: Instance,
    assigned: np.ndarray,
    *,
    fit: np.ndarray | None = None,
    unassigned_penalty: float = 0.0,
) -> float:
    """The sum of fit points of the given pairs, less the penalty for each unassigned
    applicant — the quantity ``max_fit_allocation`` maximises."""
    assigned = np.asarray(assigned, dtype=np.int64)
    if fit is None:
        fit = fit_points(instance)
    held = assigned[assigned >= 0]
    unassigned = int((assigned < 0).sum())
    hundredths = int(fit[held].sum()) - round(unassigned_penalty * FIT_SCALE) * unassigned
    return hundredths / FIT_SCALE


def summarize(
    instance: Instance,
    assigned: np.ndarray,
    *,
    fit: np.ndarray | None = None,
    unassigned_penalty: float = 0.0,
) -> dict:
    """The figures shown for a result: counts and shares, mean choice rank, total fit, and the
    number of blocking pairs (0 for deferred acceptance)."""
    assigned = np.asarray(assigned, dtype=np.int64)
    n = instance.n_applicants
    held = assigned >= 0
    ranks = instance.choice_of[assigned[held]] + 1
    n_assigned = int(held.sum())
    first = int((ranks == 1).sum())
    return {
        "applicants": n,
        "posts": instance.n_posts,
        "seats": int(instance.capacities.sum()),
        "assigned": n_assigned,
        "unassigned": n - n_assigned,
        "assigned_share": round(n_assigned / n, 4) if n else 0.0,
        "first_choice": first,
        "first_choice_share": round(first / n, 4) if n else 0.0,
        "mean_rank": round(float(ranks.mean()), 3) if n_assigned else None,
        "rank_counts": np.bincount(ranks, minlength=2)[1:].tolist() if n_assigned else [],
        "total_fit": total_fit(instance, assigned, fit=fit, unassigned_penalty=unassigned_penalty),
        "blocking_pairs": len(blocking_pairs(instance, assigned)),
    }
