"""The recommendation engine itself: in-memory indexes, vectorised scoring, explanations.

Nothing here touches the database. Both sides are described by plain dataclasses
(:class:`PostingRecord`, :class:`SeekerRecord`) that ``jiuye.matching.recommend`` builds from
the ORM and that the synthetic market (``jiuye.matching.synthetic``) builds directly, so the
quality benchmark runs exactly the code the pages run.

How a query runs (jobs for one person; people for one posting is the mirror image):

1. **Candidates, cheaply.** Postings whose occupation shares the seeker's 中类 (an inverted
   list, ``argsort`` by 中类 id), postings sharing a not-too-common text term with the seeker
   (the columns of a CSC TF-IDF matrix), and, when those are few, the postings of the
   seeker's county and desired county (sorted county codes). A query with almost nothing to go
   on scans everything. Postings are stored sorted by 中类 and county, so candidates are a few
   contiguous blocks and the gathers (``np.take``) stay in cache. People for a posting: the
   whole scope when it is small (a county), else the posting's 小类 — widened to 中类 and 大类
   while too few — first within 80 km (seekers are sorted by region code, so a county is a
   block), then anywhere in scope.
2. **Hard constraints** on the candidates, vectorised: the posting is open that day
   (published, ``valid_from ≤ day ≤ valid_to``), the person's age is inside
   ``[age_min, age_max]``, the person's education is at least the posting's minimum (an
   unknown education never meets a stated minimum). Seekers in a :class:`SeekerIndex` are
   available by construction (the caller only indexes available people).
3. **Components**, each in [0, 1], and the weighted sum (``DEFAULT_WEIGHTS``).
4. ``argpartition`` for the top k, then a full explanation for those k only.

Occupation codes are encoded as four integer ids (大类, 中类, 小类, 细类 code prefixes), so the
match level of two codes is the number of equal ids. A seeker's codes come from their
intentions (weight 1.0), their certificates (0.8) and, when no intention carries a code, from
the text of the wanted job (0.7): nearest occupation centroid, built from the coded postings'
TF-IDF vectors plus the official occupation names (:class:`OccupationInferrer`). Postings
without a code get an inferred one the same way.

Text: rjieba words plus CJK character bigrams for titles and names, words only for
descriptions, ad noise (急招, 包吃住 …) dropped; sublinear term frequency, IDF from the posting
corpus and the occupation names, L2-normalised vectors.

Bulk runs spread the recommendations over the vacancies (``rank_seekers``,
``repair_coverage``; see the comment before ``ExposureReranker``).
"""

from __future__ import annotations

import copy
import datetime
import math
import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from django.utils.translation import gettext_lazy

COMPONENTS = ("occupation", "distance", "wage", "education", "text", "freshness")

# Weights of the explainable score (they sum to 1, so the score is in [0, 1]).
# Chosen on the synthetic market (benchmarks/matching_quality.py): distance matters as much as
# the occupation code, because a good job two counties away is not a good job.
DEFAULT_WEIGHTS: dict[str, float] = {
    "occupation": 0.30,
    "distance": 0.30,
    "wage": 0.10,
    "education": 0.05,
    "text": 0.20,
    "freshness": 0.05,
}

# Match level of two occupation codes: how many of 大类/中类/小类/细类 agree.
LEVEL_KEYS = {4: "unit", 3: "minor", 2: "sub_major", 1: "major", 0: "none"}
LEVEL_ZH = {4: "细类", 3: "小类", 2: "中类", 1: "大类", 0: ""}
LEVEL_SCORES = np.array([0.0, 0.1, 0.3, 0.6, 1.0])

# Where a seeker's occupation code came from, and how much a match on it counts.
VIA_INTENTION = "intention"
VIA_CERTIFICATE = "certificate"
VIA_INFERRED = "inferred"
VIA_DISCOUNT = {VIA_INTENTION: 1.0, VIA_CERTIFICATE: 0.8, VIA_INFERRED: 0.7}
_VIA_CODES = (VIA_INTENTION, VIA_CERTIFICATE, VIA_INFERRED)
MAX_SEEKER_CODES = 4

COMMUTE_SCALE_KM = 30.0  # distance score 1 / (1 + (km / scale)²): 0.5 at 30 km, 0.2 at 60 km
FRESHNESS_HALF_LIFE_DAYS = 30.0
TEXT_SATURATION = 0.4  # a cosine of 0.4 or more is a full text score
UNKNOWN_DISTANCE_SCORE = 0.3
UNKNOWN_WAGE_SCORE = 0.5
EARTH_RADIUS_KM = 6371.0088
NO_AGE_MAX = 999


# --- records ----------------------------------------------------------------------------------


@dataclass(slots=True)
class PostingRecord:
    """What the engine knows about a posting. ``is_published`` is the status test; the dates
    are checked against the query day, so an index stays right across midnight."""

    id: int
    title: str
    occupation_code: str = ""
    description: str = ""
    wage_min: int | None = None
    wage_max: int | None = None
    education: str = ""  # minimum, GB/T 4658 code; "" = none
    age_min: int | None = None
    age_max: int | None = None
    region_code: str = ""
    longitude: float | None = None
    latitude: float | None = None
    published_on: datetime.date | None = None
    valid_from: datetime.date | None = None
    valid_to: datetime.date | None = None
    headcount: int = 1
    external_id: str = ""
    is_published: bool = True


@dataclass(slots=True)
class SeekerRecord:
    """An available job seeker: a live person with an active intention (merged the caller's
    active intentions: every title, every code; the lowest expected wage)."""

    id: int
    birth_date: datetime.date | None = None
    education: str = ""  # GB/T 4658 code; "" = unknown
    region_code: str = ""  # residence
    longitude: float | None = None  # residence, county precision
    latitude: float | None = None
    titles: tuple[str, ...] = ()
    occupation_codes: tuple[str, ...] = ()  # from the intentions
    certificate_names: tuple[str, ...] = ()
    certificate_codes: tuple[str, ...] = ()
    # Codes an occupation coder found for the titles when no intention has a code; without
    # them the engine infers one itself.
    inferred_codes: tuple[str, ...] = ()
    expected_wage: int | None = None
    desired_region_code: str = ""
    desired_longitude: float | None = None
    desired_latitude: float | None = None
    external_id: str = ""
    available: bool = True


# --- small helpers ----------------------------------------------------------------------------


_EDU_RANK_CACHE: dict[str, int] = {}


def education_rank_or_none(code: str) -> int:
    """``jiuye.registry.codes.education_rank``, with -1 for blank or unknown values."""
    if not code:
        return -1
    rank = _EDU_RANK_CACHE.get(code)
    if rank is None:
        from jiuye.registry.codes import CodeLookupError, education_rank

        try:
            rank = education_rank(code)
        except (CodeLookupError, KeyError, ValueError):
            rank = -1
        _EDU_RANK_CACHE[code] = rank
    return rank


def day_number(day: datetime.date | None, default: int) -> int:
    return day.toordinal() if day is not None else default


def _xyz(lon, lat) -> tuple[float, float, float]:
    if lon is None or lat is None:
        return (math.nan, math.nan, math.nan)
    lon, lat = math.radians(float(lon)), math.radians(float(lat))
    return (math.cos(lat) * math.cos(lon), math.cos(lat) * math.sin(lon), math.sin(lat))


def _km_from(point: np.ndarray, xyz: np.ndarray) -> np.ndarray:
    """Great-circle km from one unit vector to each row of ``xyz`` (nan where unknown)."""
    dot = xyz @ point
    np.clip(dot, -1.0, 1.0, out=dot)
    return np.arccos(dot) * EARTH_RADIUS_KM


def _county_number(region_code: str) -> int:
    digits = (region_code or "")[:6]
    return int(digits) if len(digits) == 6 and digits.isdigit() else -1


def _region_number(region_code: str) -> int:
    code = (region_code or "").ljust(12, "0")[:12]
    return int(code) if code.isdigit() else -1


# --- occupations --------------------------------------------------------------------------


class OccupationTable:
    """Integer ids for every code prefix of the 2022 classification, and names for text."""

    _instance: OccupationTable | None = None

    def __init__(self):
        from jiuye.registry.codes import _occupations

        tables = _occupations()
        self.names: dict[str, str] = {code: rec.name for code, rec in tables.by_code.items()}
        self.ids: dict[str, int] = {code: i for i, code in enumerate(sorted(self.names))}
        self.codes_by_id: list[str] = sorted(self.names)
        self.unit_codes: list[str] = [c for c, rec in tables.by_code.items() if rec.level == 4]
        self._cache: dict[str, tuple[int, int, int, int]] = {}

    @classmethod
    def get(cls) -> OccupationTable:
        if cls._instance is None:
            cls._instance = cls()
        return cls._instance

    def encode(self, code: str) -> tuple[int, int, int, int]:
        """(大类, 中类, 小类, 细类) ids of a code; -1 for a level it does not reach."""
        got = self._cache.get(code)
        if got is None:
            code = (code or "").strip()
            parts = code.split("-") if code else []
            out = [-1, -1, -1, -1]
            for level in range(1, min(len(parts), 4) + 1):
                prefix = "-".join(parts[:level])
                i = self.ids.get(prefix)
                if i is None:
                    break
                out[level - 1] = i
            got = (out[0], out[1], out[2], out[3])
            self._cache[code] = got
        return got

    def name(self, code: str) -> str:
        return self.names.get(code, "")

    def code_of(self, ids: Sequence[int]) -> str:
        """The deepest code that ``ids`` name."""
        for i in reversed(ids):
            if i >= 0:
                return self.codes_by_id[int(i)]
        return ""


def match_levels(q: Sequence[int], items: np.ndarray) -> np.ndarray:
    """Number of agreeing levels between one code (4 ids) and each row of ``items`` (n, 4)."""
    level = np.zeros(items.shape[0], dtype=np.int8)
    for j in range(4):
        if q[j] < 0:
            break
        level += items[:, j] == q[j]
    return level


# --- text ---------------------------------------------------------------------------------

_CJK_RUN = re.compile(r"[\u3400-\u9fff]+")
_ASCII_WORD = re.compile(r"[a-z0-9][a-z0-9+#.]*")
_WORD_OK = re.compile(r"[\u3400-\u9fffa-z0-9]")


def _words(text: str) -> list[str]:
    import rjieba

    out = []
    for token in rjieba.cut(text.lower()):
        token = token.strip()
        if len(token) >= 2 and _WORD_OK.match(token):
            out.append(token)
    return out


_TITLE_CACHE: dict[str, tuple[str, ...]] = {}
# Words of job ads and wanted-job titles that say nothing about the job.
_STOP_TEXT = """
工作 招聘 急招 诚聘 高薪 长期 经验 熟练 求职 应聘 包吃 吃住 包住 五险 一金 师傅 学徒
多名 若干 优先 以上 以下 男女 不限 可以 也行
"""
STOP_TOKENS = frozenset(_STOP_TEXT.split())


def title_tokens(text: str) -> tuple[str, ...]:
    """Words and CJK character bigrams: messy titles share bigrams (电焊工 / 焊工 / 二保焊)."""
    got = _TITLE_CACHE.get(text)
    if got is None:
        tokens = _words(text)
        for run in _CJK_RUN.findall(text):
            if len(run) == 1:
                tokens.append(run)
            tokens.extend(run[i : i + 2] for i in range(len(run) - 1))
        tokens.extend(w for w in _ASCII_WORD.findall(text.lower()) if len(w) >= 2)
        got = tuple(t for t in tokens if t not in STOP_TOKENS)
        if len(_TITLE_CACHE) > 500_000:
            _TITLE_CACHE.clear()
        _TITLE_CACHE[text] = got
    return got


def body_tokens(text: str) -> list[str]:
    return [t for t in _words(text) if t not in STOP_TOKENS]


# Field weights of the documents: (tokens, weight) pairs, combined as weight × (1 + log tf).
TITLE_WEIGHT = 2.0
NAME_WEIGHT = 1.0
BODY_WEIGHT = 0.5
CERT_WEIGHT = 1.0
DESCRIPTION_CHARS = 400

Fields = list[tuple[Sequence[str], float]]


def posting_fields(rec: PostingRecord, occupation_name: str) -> Fields:
    fields: Fields = [(title_tokens(rec.title or ""), TITLE_WEIGHT)]
    if occupation_name:
        fields.append((title_tokens(occupation_name), NAME_WEIGHT))
    if rec.description:
        fields.append((body_tokens(rec.description[:DESCRIPTION_CHARS]), BODY_WEIGHT))
    return fields


def seeker_fields(rec: SeekerRecord, occupation_names: Iterable[str]) -> Fields:
    fields: Fields = [(title_tokens(t), TITLE_WEIGHT) for t in rec.titles if t]
    fields += [(title_tokens(n), NAME_WEIGHT) for n in occupation_names if n]
    fields += [(title_tokens(n), CERT_WEIGHT) for n in rec.certificate_names if n]
    return fields


class TextModel:
    """TF-IDF over tokens with a fixed vocabulary and IDF (fitted on the posting corpus)."""

    def __init__(self, vocab: dict[str, int], idf: np.ndarray):
        self.vocab = vocab
        self.idf = idf

    @classmethod
    def fit(cls, docs: Iterable[Fields]) -> TextModel:
        """Vocabulary and document frequencies of ``docs``."""
        vocab: dict[str, int] = {}
        df: list[int] = []
        n = 0
        for fields in docs:
            n += 1
            seen = set()
            for tokens, _weight in fields:
                seen.update(tokens)
            for term in seen:
                i = vocab.get(term)
                if i is None:
                    vocab[term] = len(df)
                    df.append(1)
                else:
                    df[i] += 1
        dfa = np.asarray(df, dtype=np.float64)
        idf = np.log((1.0 + n) / (1.0 + dfa)) + 1.0
        return cls(vocab, idf)

    def vector(self, fields: Fields) -> tuple[np.ndarray, np.ndarray]:
        """(term ids, weights), L2-normalised; unknown terms are dropped."""
        weights: dict[int, float] = {}
        vocab = self.vocab
        for tokens, w in fields:
            counts: dict[int, int] = {}
            for term in tokens:
                i = vocab.get(term)
                if i is not None:
                    counts[i] = counts.get(i, 0) + 1
            for i, c in counts.items():
                weights[i] = weights.get(i, 0.0) + w * (1.0 + math.log(c))
        if not weights:
            return np.zeros(0, dtype=np.int32), np.zeros(0)
        ids = np.fromiter(weights.keys(), dtype=np.int32, count=len(weights))
        vals = np.fromiter(weights.values(), dtype=np.float64, count=len(weights))
        vals *= self.idf[ids]
        norm = float(np.sqrt(vals @ vals))
        if norm > 0:
            vals /= norm
        order = np.argsort(ids)
        return ids[order], vals[order]

    def matrix(self, vectors: Sequence[tuple[np.ndarray, np.ndarray]]) -> sp.csr_matrix:
        indptr = np.zeros(len(vectors) + 1, dtype=np.int64)
        for r, (ids, _vals) in enumerate(vectors):
            indptr[r + 1] = indptr[r] + len(ids)
        if vectors:
            indices = np.concatenate([ids for ids, _ in vectors]).astype(np.int32, copy=False)
            data = np.concatenate([vals for _, vals in vectors])
        else:
            indices, data = np.zeros(0, dtype=np.int32), np.zeros(0)
        return sp.csr_matrix((data, indices, indptr), shape=(len(vectors), len(self.idf)))


def _gather_sims(csc: sp.csc_matrix, ids: np.ndarray, vals: np.ndarray, n: int) -> np.ndarray:
    """Dot products of one sparse query with every row of a CSC matrix (dense result)."""
    out = np.zeros(n)
    indptr, indices, data = csc.indptr, csc.indices, csc.data
    for t, w in zip(ids.tolist(), vals.tolist(), strict=True):
        a, b = indptr[t], indptr[t + 1]
        if a != b:
            out[indices[a:b]] += data[a:b] * w
    return out


class _Scratch(threading.local):
    buf: np.ndarray | None = None


def _sims_at(
    csc: sp.csc_matrix, ids: np.ndarray, vals: np.ndarray, rows: np.ndarray, scratch: _Scratch
) -> np.ndarray:
    """Dot products of one sparse query with the rows ``rows`` of a CSC matrix.

    Accumulates into a per-thread buffer the size of the matrix and clears only what it
    touched, instead of allocating (and faulting in) a dense vector per query: for a million
    seekers that is 8 MB a query saved."""
    n = csc.shape[0]
    buf = scratch.buf
    if buf is None or len(buf) != n:
        buf = scratch.buf = np.zeros(n)
    indptr, indices, data = csc.indptr, csc.indices, csc.data
    touched = []
    for t, w in zip(ids.tolist(), vals.tolist(), strict=True):
        a, b = indptr[t], indptr[t + 1]
        if a != b:
            idx = indices[a:b]
            buf[idx] += data[a:b] * w
            touched.append(idx)
    out = buf[rows]
    for idx in touched:
        buf[idx] = 0.0
    return out


# --- occupation inference ---------------------------------------------------------------------


class OccupationInferrer:
    """Nearest 细类 by text: centroids of the coded postings' vectors plus each official
    name's own vector. Used for seekers and postings without a code; a small, data-driven
    stand-in for a proper occupation coder."""

    MIN_SIMILARITY = 0.25

    def __init__(self, text: TextModel, matrix: sp.csr_matrix | None, codes: Sequence[str]):
        table = OccupationTable.get()
        units = table.unit_codes
        unit_index = {c: i for i, c in enumerate(units)}
        name_vectors = [text.vector([(title_tokens(table.name(c)), 1.0)]) for c in units]
        centroids = text.matrix(name_vectors).tolil() if units else None
        rows = [unit_index.get(c, -1) for c in codes]
        if matrix is not None and matrix.shape[0] and units:
            rows_arr = np.asarray(rows)
            keep = np.flatnonzero(rows_arr >= 0)
            if len(keep):
                assign = sp.csr_matrix(
                    (np.ones(len(keep)), (rows_arr[keep], keep)),
                    shape=(len(units), matrix.shape[0]),
                )
                sums = (assign @ matrix).tocsr()
                norms = np.sqrt(np.asarray(sums.multiply(sums).sum(axis=1)).ravel())
                norms[norms == 0] = 1.0
                sums = sp.diags(1.0 / norms) @ sums
                centroids = (centroids.tocsr() + sums).tocsr()
        if centroids is not None:
            centroids = centroids.tocsr()
            norms = np.sqrt(np.asarray(centroids.multiply(centroids).sum(axis=1)).ravel())
            norms[norms == 0] = 1.0
            centroids = (sp.diags(1.0 / norms) @ centroids).tocsc()
        self.units = units
        self.centroids = centroids

    def infer(self, ids: np.ndarray, vals: np.ndarray) -> tuple[str, float]:
        if self.centroids is None or not len(ids):
            return "", 0.0
        sims = _gather_sims(self.centroids, ids, vals, len(self.units))
        best = int(np.argmax(sims))
        if sims[best] < self.MIN_SIMILARITY:
            return "", float(sims[best])
        return self.units[best], float(sims[best])

    def infer_many(self, matrix: sp.csr_matrix) -> list[tuple[str, float]]:
        if self.centroids is None or matrix.shape[0] == 0:
            return [("", 0.0)] * matrix.shape[0]
        out = []
        cent = self.centroids.tocsr()
        for start in range(0, matrix.shape[0], 4096):
            sims = (matrix[start : start + 4096] @ cent.T).toarray()
            best = sims.argmax(axis=1)
            top = sims[np.arange(len(best)), best]
            out.extend(
                (self.units[b] if s >= self.MIN_SIMILARITY else "", float(s))
                for b, s in zip(best.tolist(), top.tolist(), strict=True)
            )
        return out


# --- component functions (vectorised) -----------------------------------------------------


def distance_scores(km: np.ndarray) -> np.ndarray:
    s = 1.0 / (1.0 + (km / COMMUTE_SCALE_KM) ** 2)
    return np.where(np.isnan(km), UNKNOWN_DISTANCE_SCORE, s)


def wage_scores(expected, wmin: np.ndarray, wmax: np.ndarray) -> np.ndarray:
    """1 when the range meets the expectation; falls to 0 when its top is 30% short.
    ``expected`` is a scalar or an array; nan = unknown (a neutral 0.5)."""
    top = np.where(np.isnan(wmax), wmin, wmax)
    bottom = np.where(np.isnan(wmin), top, wmin)
    with np.errstate(invalid="ignore", divide="ignore"):
        s = 0.75 * np.clip((top / expected - 0.7) / 0.3, 0.0, 1.0) + 0.25 * np.clip(
            (bottom / expected - 0.7) / 0.3, 0.0, 1.0
        )
    unknown = np.isnan(top) | np.isnan(expected) | (np.asarray(expected) <= 0)
    return np.where(unknown, UNKNOWN_WAGE_SCORE, s)


def education_scores(have_rank, need_rank) -> np.ndarray:
    """1 without a requirement or within one level above it; 0.85 two above; 0.7 more."""
    diff = np.asarray(have_rank) - np.asarray(need_rank)
    s = np.where(diff <= 1, 1.0, np.where(diff == 2, 0.85, 0.7))
    return np.where(np.asarray(need_rank) < 0, 1.0, s)


def freshness_scores(published_day: np.ndarray, today: int) -> np.ndarray:
    days = np.maximum(today - published_day, 0)
    return np.where(published_day < 0, 0.5, np.exp2(-days / FRESHNESS_HALF_LIFE_DAYS))


def text_scores(cos: np.ndarray) -> np.ndarray:
    return np.minimum(1.0, cos / TEXT_SATURATION)


def ages_on(birth_year: np.ndarray, birth_mmdd: np.ndarray, day: datetime.date) -> np.ndarray:
    """Age in whole years on ``day``; -1 where the birth date is unknown."""
    mmdd = day.month * 100 + day.day
    age = day.year - birth_year - (mmdd < birth_mmdd)
    return np.where(birth_year < 0, -1, age)


def age_on(birth: datetime.date | None, day: datetime.date) -> int:
    if birth is None:
        return -1
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def pair_violations(posting: PostingRecord, seeker: SeekerRecord, day: datetime.date) -> list[str]:
    """The hard constraints a (posting, seeker) pair breaks on ``day``; [] when none.

    The same rules as the vectorised filters, one pair at a time: used to re-check the final
    recommendations against fresh database rows and by the tests."""
    out = []
    t = day.toordinal()
    if not (
        posting.is_published
        and day_number(posting.valid_from, 0) <= t <= day_number(posting.valid_to, 10**7)
    ):
        out.append("posting_open")
    if not seeker.available:
        out.append("person_available")
    age = age_on(seeker.birth_date, day)
    lo = posting.age_min or 0
    hi = NO_AGE_MAX if posting.age_max is None else posting.age_max
    if (lo > 0 or hi < NO_AGE_MAX) and (age < 0 or not lo <= age <= hi):
        out.append("age")
    need = education_rank_or_none(posting.education)
    if need >= 0:
        have = education_rank_or_none(seeker.education)
        if have < 0 or have < need:
            out.append("education")
    return out


# --- recommendations --------------------------------------------------------------------------


@dataclass(slots=True)
class Component:
    value: object
    score: float
    weight: float

    def as_dict(self) -> dict:
        return {"value": self.value, "score": round(self.score, 4), "weight": self.weight}


@dataclass(slots=True)
class Recommendation:
    """One ranked item with its explanation. ``score`` = Σ weight × component score."""

    id: int
    external_id: str
    region_code: str
    score: float
    components: dict[str, Component]
    reasons: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "id": self.id,
            "external_id": self.external_id,
            "score": round(self.score, 4),
            "components": {k: c.as_dict() for k, c in self.components.items()},
            "reasons": list(self.reasons),
        }


# The reason texts (English msgids; makemessages finds them here). Resolved once per language
# by ``_messages``: a bulk export explains ten million recommendations, and Django's gettext
# costs microseconds a call.
_MESSAGES = {
    "unit": gettext_lazy("Same occupation (细类): %(name)s"),
    "minor": gettext_lazy("Same occupation group (小类): %(name)s"),
    "sub_major": gettext_lazy("Related occupation (中类): %(name)s"),
    "major": gettext_lazy("Same occupation category (大类): %(name)s"),
    "none": gettext_lazy("Occupation does not match"),
    "via_certificate": gettext_lazy(" — from a certificate"),
    "via_inferred": gettext_lazy(" — occupation inferred from the job title"),
    "distance_unknown": gettext_lazy("Distance unknown"),
    "same_county": gettext_lazy("In the same county"),
    "km": gettext_lazy("%(km)s km away"),
    "wage_unknown": gettext_lazy("Wage not stated"),
    "wage_meets": gettext_lazy("Pays %(range)s yuan/month, meets the expected %(expected)s"),
    "wage_below": gettext_lazy("Pays %(range)s yuan/month, below the expected %(expected)s"),
    "wage": gettext_lazy("Pays %(range)s yuan/month"),
    "no_education": gettext_lazy("No education requirement"),
    "education": gettext_lazy("Meets the education requirement (%(required)s)"),
    "text_job": gettext_lazy("Job descriptions are similar (%(pct)s%%)"),
    "text_person": gettext_lazy("Wanted job is similar to the posting (%(pct)s%%)"),
    "today": gettext_lazy("Published today"),
    "days": gettext_lazy("Published %(days)s days ago"),
}
_RESOLVED: dict[str, dict[str, str]] = {}


def _messages() -> dict[str, str]:
    from django.utils.translation import get_language

    lang = get_language() or ""
    got = _RESOLVED.get(lang)
    if got is None:
        got = _RESOLVED[lang] = {key: str(text) for key, text in _MESSAGES.items()}
    return got


def reasons_for(components: dict[str, Component], *, side: str = "job") -> list[str]:
    """Human-readable reasons in the active language, strongest first."""
    m = _messages()
    out: list[tuple[float, str]] = []
    occ = components["occupation"]
    v = occ.value or {}
    level = v.get("level", "none")
    text = m[level] % {"name": v.get("name", "")} if level != "none" else m["none"]
    if level != "none" and v.get("via") == VIA_CERTIFICATE:
        text += m["via_certificate"]
    elif level != "none" and v.get("via") == VIA_INFERRED:
        text += m["via_inferred"]
    out.append((occ.weight * occ.score, text))

    dist = components["distance"]
    if dist.value is None:
        text = m["distance_unknown"]
    elif dist.value < 1:
        text = m["same_county"]
    else:
        text = m["km"] % {"km": f"{dist.value:.0f}"}
    out.append((dist.weight * dist.score, text))

    wage = components["wage"]
    w = wage.value or {}
    lo, hi, expected = w.get("min"), w.get("max"), w.get("expected")
    if lo is None and hi is None:
        text = m["wage_unknown"]
    else:
        both = hi is not None and lo is not None and lo != hi
        shown = f"{lo}–{hi}" if both else f"{hi or lo}"
        if expected:
            key = "wage_meets" if wage.score >= 0.999 else "wage_below"
            text = m[key] % {"range": shown, "expected": expected}
        else:
            text = m["wage"] % {"range": shown}
    out.append((wage.weight * wage.score, text))

    edu = components["education"]
    e = edu.value or {}
    if not e.get("required"):
        text = m["no_education"]
    else:
        text = m["education"] % {"required": e.get("required_name") or e.get("required")}
    out.append((edu.weight * edu.score, text))

    txt = components["text"]
    if txt.score >= 0.2:
        label = m["text_job"] if side == "job" else m["text_person"]
        out.append((txt.weight * txt.score, label % {"pct": f"{100 * txt.score:.0f}"}))

    fresh = components["freshness"]
    if fresh.value is not None:
        text = m["today"] if fresh.value <= 0 else m["days"] % {"days": fresh.value}
        out.append((fresh.weight * fresh.score, text))
    out.sort(key=lambda pair: -pair[0])
    return [text for _score, text in out]


# --- the posting index --------------------------------------------------------------------


def _groups(keys: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """An inverted list: (sorted unique keys, start offsets, values ordered by key)."""
    mask = keys >= 0
    keys, values = keys[mask], values[mask]
    order = np.argsort(keys, kind="stable")
    keys, values = keys[order], values[order]
    uniq, starts = np.unique(keys, return_index=True)
    starts = np.append(starts, len(keys))
    return uniq, starts, values


def _lookup(groups, key: int) -> np.ndarray:
    uniq, starts, values = groups
    i = np.searchsorted(uniq, key)
    if i < len(uniq) and uniq[i] == key:
        return values[starts[i] : starts[i + 1]]
    return values[:0]


@dataclass
class PostingQuery:
    """A posting as a query for people (from a record or an index row)."""

    id: int
    codes: tuple[int, int, int, int]
    code: str
    inferred: bool
    xyz: np.ndarray
    wage_min: float
    wage_max: float
    edu_rank: int
    age_min: int
    age_max: int
    published_day: int
    is_open: bool
    text_ids: np.ndarray
    text_vals: np.ndarray
    record: PostingRecord | None = None


@dataclass
class SeekerQuery:
    """A seeker as a query for jobs (from a record or an index row)."""

    id: int
    codes: list[tuple[tuple[int, int, int, int], float, str, str]]  # (ids, discount, via, code)
    points: np.ndarray  # (p, 3) residence and desired region
    county_numbers: tuple[int, ...]
    expected_wage: float
    edu_rank: int
    age: int
    text_ids: np.ndarray
    text_vals: np.ndarray
    available: bool = True
    record: SeekerRecord | None = None


class PostingIndex:
    """Open (and soon-open) postings as arrays plus a TF-IDF matrix.

    ``text`` and ``inferrer`` are fitted on the postings when not given. ``alive`` marks rows
    that were superseded by a later update (:meth:`with_updates`): updates are appended as a
    tail that is always scanned, so a change costs milliseconds, not a rebuild.
    """

    # A text term shared by more postings than this does not make a posting a candidate.
    CANDIDATE_MAX_DF = 6000
    # Below this many candidates, the query also takes its counties' postings.
    MIN_CANDIDATES = 500

    def __init__(self, records: Sequence[PostingRecord], *, text: TextModel | None = None):
        table = OccupationTable.get()
        self.table = table
        # Rows of one 中类 and county lie together: a query's candidates are then mostly a few
        # contiguous blocks, which numpy gathers several times faster than scattered rows.
        records = sorted(records, key=lambda r: (r.occupation_code[:4], r.region_code[:6], r.id))
        fields = [posting_fields(r, table.name(r.occupation_code)) for r in records]
        if text is None:
            # The occupation names count as documents too: their words are in the vocabulary
            # even where no posting uses them, and words common to many names ("工作", "人员")
            # weigh little even in a small corpus.
            names = [[(title_tokens(n), 1.0)] for n in table.names.values()]
            text = TextModel.fit([*fields, *names])
        self.text = text
        vectors = [text.vector(f) for f in fields]
        matrix = text.matrix(vectors)
        self.inferrer = OccupationInferrer(text, matrix, [r.occupation_code for r in records])
        self._set_rows(records, vectors, matrix)
        self.n_main = len(records)
        self._build_lookups()
        self._pack()

    def _pack(self) -> None:
        """The columns a query reads for every candidate, packed so that one ``np.take``
        fetches them: the hard-constraint columns (the first day a posting counts as open is
        pushed past any date for dead or unpublished rows) and the numeric ones."""
        live = self.alive & self.is_published
        self.cons = np.column_stack(
            [
                np.where(live, self.valid_from, np.iinfo(np.int32).max),
                self.valid_to,
                self.age_min,
                self.age_max,
                self.edu,
            ]
        ).astype(np.int32)
        self.nums = np.column_stack([self.wage_min, self.wage_max, self.published])

    # Rows ---------------------------------------------------------------------------------

    def _columns(self, records: Sequence[PostingRecord], matrix: sp.csr_matrix) -> dict:
        table = self.table
        n = len(records)
        codes = np.full((n, 4), -1, dtype=np.int32)
        inferred = np.zeros(n, dtype=bool)
        missing = []
        for i, r in enumerate(records):
            enc = table.encode(r.occupation_code)
            if enc[0] >= 0:
                codes[i] = enc
            else:
                missing.append(i)
        if missing:
            guesses = self.inferrer.infer_many(matrix[missing]) if hasattr(self, "inferrer") else []
            for i, (code, _sim) in zip(missing, guesses, strict=False):
                if code:
                    codes[i] = table.encode(code)
                    inferred[i] = True
        xyz = np.array([_xyz(r.longitude, r.latitude) for r in records], dtype=np.float64)
        return {
            "ids": np.array([r.id for r in records], dtype=np.int64),
            "codes": codes,
            "inferred": inferred,
            "xyz": xyz.reshape(n, 3),
            "wage_min": np.array(
                [np.nan if r.wage_min is None else r.wage_min for r in records], dtype=np.float64
            ),
            "wage_max": np.array(
                [np.nan if r.wage_max is None else r.wage_max for r in records], dtype=np.float64
            ),
            "edu": np.array([education_rank_or_none(r.education) for r in records], np.int8),
            "age_min": np.array([r.age_min or 0 for r in records], dtype=np.int16),
            "age_max": np.array(
                [NO_AGE_MAX if r.age_max is None else r.age_max for r in records], np.int16
            ),
            "published": np.array(
                [day_number(r.published_on, -1) for r in records], dtype=np.int32
            ),
            "valid_from": np.array([day_number(r.valid_from, 0) for r in records], dtype=np.int32),
            "valid_to": np.array([day_number(r.valid_to, 10**7) for r in records], dtype=np.int32),
            "is_published": np.array([r.is_published for r in records], dtype=bool),
            "headcount": np.array([max(1, r.headcount or 1) for r in records], dtype=np.int32),
            "county": np.array([_county_number(r.region_code) for r in records], np.int64),
        }

    def _set_rows(self, records, vectors, matrix):
        cols = self._columns(records, matrix)
        for name, arr in cols.items():
            setattr(self, name, arr)
        self.external_ids = [r.external_id for r in records]
        self.region_codes = [r.region_code for r in records]
        self.titles = [r.title for r in records]
        self.matrix = matrix
        self.alive = np.ones(len(records), dtype=bool)
        self.position = {int(i): p for p, i in enumerate(cols["ids"].tolist())}

    def _build_lookups(self):
        n = self.n_main
        rows = np.arange(n, dtype=np.int64)
        self.by_sub_major = _groups(self.codes[:n, 1].astype(np.int64), rows)
        self.by_major = _groups(self.codes[:n, 0].astype(np.int64), rows)
        self.by_county = _groups(self.county[:n], rows)
        self.csc = self.matrix[:n].tocsc()
        self.scratch = _Scratch()
        self.df = np.diff(self.csc.indptr)

    @property
    def size(self) -> int:
        return len(self.ids)

    def open_mask(self, today: int) -> np.ndarray:
        return (
            self.alive & self.is_published & (self.valid_from <= today) & (self.valid_to >= today)
        )

    def updated(self, changed: Sequence[PostingRecord], removed_ids: Iterable[int]):
        """A new index with a delta applied: ``changed`` rows (new or edited) are appended to
        the tail, their old rows and ``removed_ids`` die. The old index is left untouched, so
        queries running on it in other threads are not disturbed."""
        vectors = [
            self.text.vector(posting_fields(r, self.table.name(r.occupation_code))) for r in changed
        ]
        tail = self.text.matrix(vectors)
        new = _with_delta(self, changed, removed_ids, self._columns(changed, tail), tail)
        new._pack()
        return new

    @property
    def tail_size(self) -> int:
        return self.size - self.n_main

    # Queries ------------------------------------------------------------------------------

    def seeker_query(self, rec: SeekerRecord, today: datetime.date) -> SeekerQuery:
        """A seeker record as a query against this index's text model."""
        table = self.table
        codes: list[tuple[tuple[int, int, int, int], float, str, str]] = []
        seen = set()
        for via, values in ((VIA_INTENTION, rec.occupation_codes),
                            (VIA_CERTIFICATE, rec.certificate_codes),
                            (VIA_INFERRED, rec.inferred_codes)):  # fmt: skip
            for code in values:
                enc = table.encode(code)
                if enc[0] >= 0 and code not in seen:
                    seen.add(code)
                    codes.append((enc, VIA_DISCOUNT[via], via, code))
        names = [table.name(c) for c in rec.occupation_codes]
        ids, vals = self.text.vector(seeker_fields(rec, names))
        if not any(via in (VIA_INTENTION, VIA_INFERRED) for _e, _d, via, _c in codes):
            title_ids, title_vals = self.text.vector(
                [(title_tokens(t), 1.0) for t in rec.titles if t]
            )
            code, _sim = self.inferrer.infer(title_ids, title_vals)
            if code and code not in seen:
                codes.append((table.encode(code), VIA_DISCOUNT[VIA_INFERRED], VIA_INFERRED, code))
        points = [_xyz(rec.longitude, rec.latitude)]
        if rec.desired_longitude is not None and rec.desired_latitude is not None:
            points.append(_xyz(rec.desired_longitude, rec.desired_latitude))
        counties = tuple(
            {_county_number(rec.region_code), _county_number(rec.desired_region_code)} - {-1}
        )
        return SeekerQuery(
            id=rec.id,
            codes=codes[:MAX_SEEKER_CODES],
            points=np.array(points, dtype=np.float64),
            county_numbers=counties,
            expected_wage=float(rec.expected_wage) if rec.expected_wage else math.nan,
            edu_rank=education_rank_or_none(rec.education),
            age=age_on(rec.birth_date, today),
            text_ids=ids,
            text_vals=vals,
            available=rec.available,
            record=rec,
        )

    def candidates(self, q: SeekerQuery) -> np.ndarray:
        n = self.size
        mask = np.zeros(n, dtype=bool)
        for enc, _disc, _via, _code in q.codes:
            if enc[1] >= 0:
                mask[_lookup(self.by_sub_major, enc[1])] = True
            else:
                mask[_lookup(self.by_major, enc[0])] = True
        csc = self.csc
        for t in q.text_ids.tolist():
            a, b = csc.indptr[t], csc.indptr[t + 1]
            if 0 < b - a <= self.CANDIDATE_MAX_DF:
                mask[csc.indices[a:b]] = True
        mask[self.n_main :] = True
        if np.count_nonzero(mask) < self.MIN_CANDIDATES:
            for county in q.county_numbers:
                mask[_lookup(self.by_county, county)] = True
            if np.count_nonzero(mask) < self.MIN_CANDIDATES:
                mask[:] = True
        return np.flatnonzero(mask)

    def text_similarity(self, ids: np.ndarray, vals: np.ndarray, rows: np.ndarray) -> np.ndarray:
        out = np.zeros(len(rows))
        main = rows < self.n_main
        out[main] = _sims_at(self.csc, ids, vals, rows[main], self.scratch)
        if not main.all() and len(ids):
            tail_rows = rows[~main]
            sub = self.matrix[tail_rows][:, ids]
            out[~main] = sub @ vals
        return out


class SeekerIndex:
    """Available job seekers as arrays, sorted by residence region code (a scope is a few
    contiguous ranges), with a TF-IDF matrix in the posting index's vocabulary."""

    CANDIDATE_MAX_DF = 20000
    SMALL_SCOPE = 30000  # a scope this small is scanned whole
    ENOUGH_CANDIDATES = 5000
    NEAR_KM = 80.0

    def __init__(self, records: Sequence[SeekerRecord], postings: PostingIndex):
        records = sorted(
            (r for r in records if r.available), key=lambda r: (_region_number(r.region_code), r.id)
        )
        # The text model and inferrer of the posting index this was built against: queries for
        # people vectorise the posting with them, whatever the posting index is by then.
        self.text = postings.text
        self.inferrer = postings.inferrer
        self.table = postings.table
        self._set_rows(records)
        self.n_main = len(records)
        self._build_lookups()
        self._pack()

    def _pack(self) -> None:
        """Hard-constraint columns in one array (see :meth:`PostingIndex._pack`); a dead row
        gets an impossible birth year."""
        self.cons = np.column_stack(
            [np.where(self.alive, self.birth_year, -30000), self.birth_mmdd, self.edu]
        ).astype(np.int32)

    def _columns(self, records: Sequence[SeekerRecord]) -> tuple[dict, sp.csr_matrix]:
        pidx = self
        table = self.table
        n = len(records)
        codes = np.full((n, MAX_SEEKER_CODES, 4), -1, dtype=np.int32)
        disc = np.zeros((n, MAX_SEEKER_CODES), dtype=np.float64)
        via = np.zeros((n, MAX_SEEKER_CODES), dtype=np.int8)
        vectors = []
        need_inference = []
        for i, r in enumerate(records):
            names = [table.name(c) for c in r.occupation_codes]
            vectors.append(pidx.text.vector(seeker_fields(r, names)))
            j = 0
            seen = set()
            for v, values in ((0, r.occupation_codes), (1, r.certificate_codes),
                              (2, r.inferred_codes)):  # fmt: skip
                for code in values:
                    enc = table.encode(code)
                    if enc[0] >= 0 and code not in seen and j < MAX_SEEKER_CODES:
                        seen.add(code)
                        codes[i, j] = enc
                        disc[i, j] = VIA_DISCOUNT[_VIA_CODES[v]]
                        via[i, j] = v
                        j += 1
            if not any(table.encode(c)[0] >= 0 for c in r.occupation_codes + r.inferred_codes):
                need_inference.append((i, j))
        if need_inference:
            title_vectors = [
                pidx.text.vector([(title_tokens(t), 1.0) for t in records[i].titles if t])
                for i, _j in need_inference
            ]
            guesses = pidx.inferrer.infer_many(pidx.text.matrix(title_vectors))
            for (i, j), (code, _sim) in zip(need_inference, guesses, strict=True):
                if code and j < MAX_SEEKER_CODES:
                    codes[i, j] = table.encode(code)
                    disc[i, j] = VIA_DISCOUNT[VIA_INFERRED]
                    via[i, j] = 2
        matrix = pidx.text.matrix(vectors)
        home = np.array([_xyz(r.longitude, r.latitude) for r in records], np.float64)
        desired = np.array(
            [_xyz(r.desired_longitude, r.desired_latitude) for r in records], np.float64
        )
        cols = {
            "ids": np.array([r.id for r in records], dtype=np.int64),
            "codes": codes,
            "disc": disc,
            "via": via,
            "home": home.reshape(n, 3),
            "desired": desired.reshape(n, 3),
            "expected": np.array(
                [r.expected_wage if r.expected_wage else np.nan for r in records], np.float64
            ),
            "edu": np.array([education_rank_or_none(r.education) for r in records], np.int8),
            "birth_year": np.array(
                [r.birth_date.year if r.birth_date else -1 for r in records], np.int16
            ),
            "birth_mmdd": np.array(
                [
                    r.birth_date.month * 100 + r.birth_date.day if r.birth_date else 0
                    for r in records
                ],
                np.int16,
            ),
            "region": np.array([_region_number(r.region_code) for r in records], np.int64),
        }
        return cols, matrix

    def _set_rows(self, records):
        cols, matrix = self._columns(records)
        for name, arr in cols.items():
            setattr(self, name, arr)
        self.external_ids = [r.external_id for r in records]
        self.region_codes = [r.region_code for r in records]
        self.matrix = matrix
        self.alive = np.ones(len(records), dtype=bool)
        self.position = {int(i): p for p, i in enumerate(cols["ids"].tolist())}

    def _build_lookups(self):
        n = self.n_main
        rows = np.repeat(np.arange(n, dtype=np.int64), MAX_SEEKER_CODES)
        # Counties are contiguous blocks of the main rows (sorted by region code); their
        # points are the residents' (county precision).
        county = self.region[:n] // 1_000_000
        _uniq, starts = np.unique(county, return_index=True)
        self.county_starts = np.append(starts, n)
        self.county_xyz = self.home[starts] if n else np.zeros((0, 3))
        self.by_minor = _groups(self.codes[:n, :, 2].reshape(-1).astype(np.int64), rows)
        self.by_sub_major = _groups(self.codes[:n, :, 1].reshape(-1).astype(np.int64), rows)
        self.by_major = _groups(self.codes[:n, :, 0].reshape(-1).astype(np.int64), rows)
        self.csc = self.matrix[:n].tocsc()
        self.scratch = _Scratch()

    @property
    def size(self) -> int:
        return len(self.ids)

    @property
    def tail_size(self) -> int:
        return self.size - self.n_main

    def updated(self, changed: Sequence[SeekerRecord], removed_ids: Iterable[int]):
        """A new index with a delta applied (see :meth:`PostingIndex.updated`); records that
        are no longer available only remove their old rows."""
        removed = list(removed_ids) + [r.id for r in changed if not r.available]
        changed = [r for r in changed if r.available]
        cols, tail = self._columns(changed)
        new = _with_delta(self, changed, removed, cols, tail)
        new._pack()
        return new

    def near_mask(self, point: np.ndarray, km: float) -> np.ndarray | None:
        """Rows living within ``km`` of ``point`` (whole counties by their point, and the tail
        row by row); None when the point is unknown."""
        if np.isnan(point[0]):
            return None
        mask = np.zeros(self.size, dtype=bool)
        with np.errstate(invalid="ignore"):
            near = np.flatnonzero(_km_from(point, self.county_xyz) <= km)
            for c in near.tolist():
                mask[self.county_starts[c] : self.county_starts[c + 1]] = True
            if self.size > self.n_main:
                mask[self.n_main :] = _km_from(point, self.home[self.n_main :]) <= km
        return mask

    def scope_rows(self, prefixes: Sequence[str] | None) -> np.ndarray | None:
        """Rows inside the scope (None = everyone): contiguous ranges of the sorted main part
        plus the matching rows of the tail."""
        if prefixes is None:
            return None
        parts = []
        main = self.region[: self.n_main]
        tail = self.region[self.n_main :]
        for prefix in prefixes:
            pad = 12 - len(prefix)
            lo, hi = int(prefix + "0" * pad), int(prefix + "9" * pad)
            a, b = np.searchsorted(main, lo, "left"), np.searchsorted(main, hi, "right")
            parts.append(np.arange(a, b, dtype=np.int64))
            if len(tail):
                parts.append(self.n_main + np.flatnonzero((tail >= lo) & (tail <= hi)))
        if not parts:
            return np.zeros(0, dtype=np.int64)
        return np.unique(np.concatenate(parts)) if len(parts) > 1 else parts[0]

    def row_query(self, p: int, today: datetime.date) -> SeekerQuery:
        """Row ``p`` as a query for jobs (the bulk export reads seekers from the index)."""
        codes = []
        for j in range(MAX_SEEKER_CODES):
            if self.disc[p, j] > 0:
                enc = tuple(int(x) for x in self.codes[p, j])
                codes.append(
                    (enc, float(self.disc[p, j]), _VIA_CODES[self.via[p, j]],
                     self.table.code_of(enc))
                )  # fmt: skip
        points = [self.home[p]]
        if not np.isnan(self.desired[p, 0]):
            points.append(self.desired[p])
        row = self.matrix[p]
        year = int(self.birth_year[p])
        age = -1
        if year >= 0:
            mmdd = int(self.birth_mmdd[p])
            age = today.year - year - ((today.month * 100 + today.day) < mmdd)
        return SeekerQuery(
            id=int(self.ids[p]),
            codes=codes,
            points=np.array(points, dtype=np.float64),
            county_numbers=(_county_number(self.region_codes[p]),),
            expected_wage=float(self.expected[p]),
            edu_rank=int(self.edu[p]),
            age=age,
            text_ids=row.indices.astype(np.int32),
            text_vals=row.data,
        )


def _with_delta(index, changed, removed_ids, cols: dict, tail: sp.csr_matrix):
    new = copy.copy(index)
    gone = [index.position[i] for i in removed_ids if i in index.position]
    gone += [index.position[r.id] for r in changed if r.id in index.position]
    alive = index.alive.copy()
    if gone:
        alive[np.asarray(gone)] = False
    if changed:
        base = index.size
        for name, arr in cols.items():
            setattr(new, name, np.concatenate([getattr(index, name), arr]))
        new.external_ids = index.external_ids + [r.external_id for r in changed]
        new.region_codes = index.region_codes + [r.region_code for r in changed]
        if hasattr(index, "titles"):
            new.titles = index.titles + [r.title for r in changed]
        new.matrix = sp.vstack([index.matrix, tail]).tocsr()
        alive = np.concatenate([alive, np.ones(len(changed), dtype=bool)])
        position = dict(index.position)
        for j, r in enumerate(changed):
            position[r.id] = base + j
        new.position = position
    new.alive = alive
    return new


# --- the engine -------------------------------------------------------------------------------


class Engine:
    """Scores both ways over a :class:`PostingIndex` and (optionally) a :class:`SeekerIndex`."""

    def __init__(
        self,
        postings: PostingIndex | None,
        seekers: SeekerIndex | None = None,
        weights: dict[str, float] | None = None,
    ):
        self.postings = postings
        self.seekers = seekers
        self.weights = dict(DEFAULT_WEIGHTS if weights is None else weights)
        self.table = OccupationTable.get()

    # jobs for a person --------------------------------------------------------------------

    def _job_components(self, q: SeekerQuery, rows: np.ndarray, today: int) -> dict:
        P = self.postings
        occ = np.zeros(len(rows))
        # np.take: an order of magnitude faster than fancy indexing for 2-d rows.
        codes = np.take(P.codes, rows, axis=0)
        for enc, disc, _via, _code in q.codes:
            occ = np.maximum(occ, LEVEL_SCORES[match_levels(enc, codes)] * disc)
        xyz = np.take(P.xyz, rows, axis=0)
        km = _km_from(q.points[0], xyz)
        for point in q.points[1:]:
            km = np.fmin(km, _km_from(point, xyz))
        cos = P.text_similarity(q.text_ids, q.text_vals, rows)
        nums = np.take(P.nums, rows, axis=0)
        return {
            "occupation": occ,
            "distance": distance_scores(km),
            "wage": wage_scores(q.expected_wage, nums[:, 0], nums[:, 1]),
            "education": education_scores(q.edu_rank, P.edu[rows]),
            "text": text_scores(cos),
            "freshness": freshness_scores(nums[:, 2], today),
            "_km": km,
            "_cos": cos,
        }

    def job_filter(self, q: SeekerQuery, rows: np.ndarray, today: int) -> np.ndarray:
        """Rows of ``rows`` that satisfy every hard constraint for this seeker."""
        c = np.take(self.postings.cons, rows, axis=0)
        ok = (c[:, 0] <= today) & (c[:, 1] >= today)
        age = q.age
        if age < 0:  # no known age: only postings without an age rule
            ok &= (c[:, 2] <= 0) & (c[:, 3] >= NO_AGE_MAX)
        else:
            ok &= (c[:, 2] <= age) & (c[:, 3] >= age)
        if q.edu_rank < 0:  # no known education: only postings without a minimum
            ok &= c[:, 4] < 0
        else:
            ok &= c[:, 4] <= q.edu_rank
        return rows[ok]

    def _total(self, comps: dict) -> np.ndarray:
        w = self.weights
        total = np.zeros(len(comps["occupation"]))
        for name in COMPONENTS:
            total += w[name] * comps[name]
        return total

    def job_scores(
        self,
        q: SeekerQuery,
        today: datetime.date,
        rows: np.ndarray | None = None,
        *,
        with_components: bool = False,
    ):
        """(eligible rows, scores) for one seeker, rows ascending; ``rows`` defaults to the
        candidates. ``with_components`` adds the component arrays, for :meth:`explain_jobs`."""
        t = today.toordinal()
        rows = self.postings.candidates(q) if rows is None else rows
        rows = self.job_filter(q, rows, t) if q.available else rows[:0]
        comps = self._job_components(q, rows, t)
        total = self._total(comps)
        return (rows, total, comps) if with_components else (rows, total)

    def jobs_for(
        self, q: SeekerQuery, today: datetime.date, k: int = 20, *, explain: bool = True
    ) -> list[Recommendation]:
        rows, scores, comps = self.job_scores(q, today, with_components=True)
        top = top_k(rows, scores, k, self.postings.ids)
        return self.explain_jobs(q, top, today, scored=(rows, comps)) if explain else top

    def explain_jobs(
        self,
        q: SeekerQuery,
        rows: np.ndarray,
        today: datetime.date,
        scored: tuple[np.ndarray, dict] | None = None,
    ) -> list[Recommendation]:
        """Recommendations with explanations for ``rows``; ``scored`` = (rows, components)
        from :meth:`job_scores` saves computing the components again."""
        if not len(rows):
            return []
        P = self.postings
        t = today.toordinal()
        comps = _slice(scored, rows) if scored else self._job_components(q, rows, t)
        out = []
        for i, p in enumerate(rows.tolist()):
            level, via, code = 0, "", ""
            for enc, _disc, v, _c in q.codes:
                lv = int(match_levels(enc, P.codes[p : p + 1])[0])
                if LEVEL_SCORES[lv] * VIA_DISCOUNT[v] > LEVEL_SCORES[level] * VIA_DISCOUNT.get(
                    via, 1.0
                ):
                    level, via, code = lv, v, self.table.code_of(P.codes[p][:lv])
            components = self._components(
                comps, i, level=level, via=via, code=code,
                wage=(P.wage_min[p], P.wage_max[p], q.expected_wage),
                need=int(P.edu[p]), have=q.edu_rank, published=int(P.published[p]), today=t,
            )  # fmt: skip
            out.append(
                Recommendation(
                    id=int(P.ids[p]),
                    external_id=P.external_ids[p],
                    region_code=P.region_codes[p],
                    score=sum(c.weight * c.score for c in components.values()),
                    components=components,
                    reasons=reasons_for(components, side="job"),
                )
            )
        return out

    def _components(self, comps, i, *, level, via, code, wage, need, have, published, today):
        w = self.weights
        lo, hi, expected = wage
        from jiuye.registry.codes import EDUCATION

        need_code = _RANK_CODES.get(need, "")
        km = comps["_km"][i]
        values = {
            "occupation": {
                "level": LEVEL_KEYS[level],
                "code": code,
                "name": self.table.name(code),
                "via": via if level else "",
            },
            "distance": None if math.isnan(km) else round(float(km), 1),
            "wage": {
                "min": None if math.isnan(lo) else int(lo),
                "max": None if math.isnan(hi) else int(hi),
                "expected": None if math.isnan(expected) else int(expected),
            },
            "education": {
                "required": need_code,
                "required_name": EDUCATION.get(need_code, ""),
                "rank": None if have < 0 else have,
            },
            "text": round(float(comps["_cos"][i]), 4),
            "freshness": None if published < 0 else max(0, today - published),
        }
        return {
            name: Component(values[name], float(comps[name][i]), w[name]) for name in COMPONENTS
        }

    # people for a posting -------------------------------------------------------------------

    def posting_row_query(self, p: int) -> PostingQuery:
        """Row ``p`` of the posting index as a query for people (bulk runs; the seeker index
        must share the posting index's text model)."""
        P = self.postings
        enc = tuple(int(x) for x in P.codes[p])
        row = P.matrix[p]
        return PostingQuery(
            id=int(P.ids[p]),
            codes=enc,
            code=self.table.code_of(enc),
            inferred=bool(P.inferred[p]),
            xyz=P.xyz[p],
            wage_min=float(P.wage_min[p]),
            wage_max=float(P.wage_max[p]),
            edu_rank=int(P.edu[p]),
            age_min=int(P.age_min[p]),
            age_max=int(P.age_max[p]),
            published_day=int(P.published[p]),
            is_open=True,
            text_ids=row.indices.astype(np.int32),
            text_vals=row.data,
        )

    def posting_query(self, rec: PostingRecord) -> PostingQuery:
        """A posting as a query for people, vectorised with the seeker index's text model."""
        P = self.seekers if self.seekers is not None else self.postings
        enc = self.table.encode(rec.occupation_code)
        inferred = False
        code = rec.occupation_code if enc[0] >= 0 else ""
        ids, vals = P.text.vector(posting_fields(rec, self.table.name(rec.occupation_code)))
        if enc[0] < 0:
            guess, _sim = P.inferrer.infer(ids, vals)
            if guess:
                enc, code, inferred = self.table.encode(guess), guess, True
        return PostingQuery(
            id=rec.id,
            codes=enc,
            code=code,
            inferred=inferred,
            xyz=np.array(_xyz(rec.longitude, rec.latitude)),
            wage_min=math.nan if rec.wage_min is None else float(rec.wage_min),
            wage_max=math.nan if rec.wage_max is None else float(rec.wage_max),
            edu_rank=education_rank_or_none(rec.education),
            age_min=rec.age_min or 0,
            age_max=NO_AGE_MAX if rec.age_max is None else rec.age_max,
            published_day=day_number(rec.published_on, -1),
            is_open=rec.is_published,
            text_ids=ids,
            text_vals=vals,
            record=rec,
        )

    def posting_is_open(self, rec: PostingRecord, today: datetime.date) -> bool:
        t = today.toordinal()
        return (
            rec.is_published
            and day_number(rec.valid_from, 0) <= t
            and day_number(rec.valid_to, 10**7) >= t
        )

    def _seeker_candidates(self, q: PostingQuery, scope: np.ndarray | None) -> np.ndarray:
        """Seekers worth scoring for a posting: everyone when the scope is small. Otherwise
        those sharing a rare text term or the posting's 小类 — widened to its 中类 and 大类
        while fewer than ``ENOUGH_CANDIDATES`` — first among the people living within
        ``NEAR_KM`` of the workplace, then, if that is still too few, in the whole scope. A
        million seekers hold enough exact matches nearby that a far or 中类-only neighbour
        would not reach the top 20 anyway."""
        S = self.seekers
        if scope is not None and len(scope) <= S.SMALL_SCOPE:
            return scope
        inside = None
        if scope is not None:
            inside = np.zeros(S.size, dtype=bool)
            inside[scope] = True
        near = S.near_mask(q.xyz, S.NEAR_KM)
        if near is not None and inside is not None:
            near &= inside
        for allowed in (near, inside) if near is not None else (inside,):
            mask = self._matching_seekers(q, allowed)
            if np.count_nonzero(mask) >= S.ENOUGH_CANDIDATES:
                break
        if np.count_nonzero(mask) < 200:
            return scope if scope is not None else np.arange(S.size)
        return np.flatnonzero(mask)

    def _matching_seekers(self, q: PostingQuery, allowed: np.ndarray | None) -> np.ndarray:
        S = self.seekers
        mask = np.zeros(S.size, dtype=bool)
        csc = S.csc
        for t in q.text_ids.tolist():
            a, b = csc.indptr[t], csc.indptr[t + 1]
            if 0 < b - a <= S.CANDIDATE_MAX_DF:
                mask[csc.indices[a:b]] = True
        mask[S.n_main :] = True
        if allowed is not None:
            mask &= allowed
        for groups, key in ((S.by_minor, q.codes[2]), (S.by_sub_major, q.codes[1]),
                            (S.by_major, q.codes[0])):  # fmt: skip
            if key < 0:
                continue
            rows = _lookup(groups, key)
            mask[rows if allowed is None else rows[allowed[rows]]] = True
            if np.count_nonzero(mask) >= S.ENOUGH_CANDIDATES:
                break
        return mask

    def person_filter(self, q: PostingQuery, rows: np.ndarray, day: datetime.date):
        c = np.take(self.seekers.cons, rows, axis=0)
        ok = c[:, 0] > -30000  # alive
        if q.age_min > 0 or q.age_max < NO_AGE_MAX:
            ages = ages_on(c[:, 0], c[:, 1], day)
            ok &= (ages >= q.age_min) & (ages <= q.age_max)
        if q.edu_rank >= 0:
            ok &= c[:, 2] >= q.edu_rank
        return rows[ok]

    def _person_components(self, q: PostingQuery, rows: np.ndarray, today: int) -> dict:
        S = self.seekers
        occ = np.zeros(len(rows))
        codes = np.take(S.codes, rows, axis=0)
        disc = np.take(S.disc, rows, axis=0)
        for j in range(MAX_SEEKER_CODES):
            lv = match_levels(q.codes, codes[:, j, :]) if q.codes[0] >= 0 else 0
            occ = np.maximum(occ, LEVEL_SCORES[lv] * disc[:, j])
        km = _km_from(q.xyz, np.take(S.home, rows, axis=0))
        km = np.fmin(km, _km_from(q.xyz, np.take(S.desired, rows, axis=0)))
        cos = np.zeros(len(rows))
        main = rows < S.n_main
        cos[main] = _sims_at(S.csc, q.text_ids, q.text_vals, rows[main], S.scratch)
        if not main.all() and len(q.text_ids):
            cos[~main] = S.matrix[rows[~main]][:, q.text_ids] @ q.text_vals
        wmin = np.full(len(rows), q.wage_min)
        wmax = np.full(len(rows), q.wage_max)
        fresh = freshness_scores(np.array([q.published_day]), today)[0]
        return {
            "occupation": occ,
            "distance": distance_scores(km),
            "wage": wage_scores(S.expected[rows], wmin, wmax),
            "education": education_scores(S.edu[rows], q.edu_rank),
            "text": text_scores(cos),
            "freshness": np.full(len(rows), fresh),
            "_km": km,
            "_cos": cos,
        }

    def person_scores(
        self,
        q: PostingQuery,
        today: datetime.date,
        scope: np.ndarray | None = None,
        *,
        with_components: bool = False,
    ):
        """(eligible rows, scores) for one posting, rows ascending; see :meth:`job_scores`."""
        rows = self._seeker_candidates(q, scope)
        if not q.is_open or (q.record is not None and not self.posting_is_open(q.record, today)):
            rows = rows[:0]
        rows = self.person_filter(q, rows, today)
        comps = self._person_components(q, rows, today.toordinal())
        total = self._total(comps)
        return (rows, total, comps) if with_components else (rows, total)

    def people_for(
        self,
        q: PostingQuery,
        today: datetime.date,
        k: int = 20,
        *,
        scope: np.ndarray | None = None,
        explain: bool = True,
    ) -> list[Recommendation]:
        rows, scores, comps = self.person_scores(q, today, scope, with_components=True)
        top = top_k(rows, scores, k, self.seekers.ids)
        return self.explain_people(q, top, today, scored=(rows, comps)) if explain else top

    def explain_people(
        self,
        q: PostingQuery,
        rows: np.ndarray,
        today: datetime.date,
        scored: tuple[np.ndarray, dict] | None = None,
    ) -> list[Recommendation]:
        if not len(rows):
            return []
        S = self.seekers
        t = today.toordinal()
        comps = _slice(scored, rows) if scored else self._person_components(q, rows, t)
        out = []
        for i, p in enumerate(rows.tolist()):
            level, via, code = 0, "", ""
            for j in range(MAX_SEEKER_CODES):
                if S.disc[p, j] <= 0 or q.codes[0] < 0:
                    continue
                lv = int(match_levels(q.codes, S.codes[p, j][None, :])[0])
                if LEVEL_SCORES[lv] * S.disc[p, j] > LEVEL_SCORES[level] * VIA_DISCOUNT.get(
                    via, 1.0
                ):
                    level, via = lv, _VIA_CODES[S.via[p, j]]
                    code = self.table.code_of(S.codes[p, j][:lv])
            components = self._components(
                comps, i, level=level, via=via, code=code,
                wage=(q.wage_min, q.wage_max, float(S.expected[p])),
                need=q.edu_rank, have=int(S.edu[p]), published=q.published_day, today=t,
            )  # fmt: skip
            out.append(
                Recommendation(
                    id=int(S.ids[p]),
                    external_id=S.external_ids[p],
                    region_code=S.region_codes[p],
                    score=sum(c.weight * c.score for c in components.values()),
                    components=components,
                    reasons=reasons_for(components, side="person"),
                )
            )
        return out


def _slice(scored: tuple[np.ndarray, dict], rows: np.ndarray) -> dict:
    """The component arrays of ``scored`` = (ascending rows, arrays) at ``rows``."""
    all_rows, comps = scored
    pos = np.searchsorted(all_rows, rows)
    return {name: arr[pos] for name, arr in comps.items()}


_RANK_CODES = {6: "10", 5: "20", 4: "30", 3: "60", 2: "70", 1: "80", 0: "90"}


def top_k(rows: np.ndarray, scores: np.ndarray, k: int, ids: np.ndarray) -> np.ndarray:
    """The ``k`` best rows, best first; ties go to the lower id (deterministic)."""
    if not len(rows) or k <= 0:
        return rows[:0]
    if len(rows) > k:
        part = np.argpartition(-scores, k - 1)[:k]
        keep = scores >= scores[part].min()  # every row tied with the k-th competes on id
        rows, scores = rows[keep], scores[keep]
    order = np.lexsort((ids[rows], -scores))[:k]
    return rows[order]


# --- exposure-aware re-ranking for bulk runs ----------------------------------------------
#
# A bulk run gives every seeker a list of k postings. Relevance alone crowds the lists onto a
# few postings and never shows postings in occupations nobody asks for. Two steps spread them:
#
# 1. ``rank_seekers``: seekers in a random order, each list re-ranked by ``ExposureReranker``
#    (postings already shown often, relative to their headcount, step back);
# 2. ``repair_coverage``: every open posting still in nobody's list looks for the seekers it
#    suits best (``posting_candidates``, the people-for-a-posting ranking) and takes the last
#    place of the first of them whose last posting is shown elsewhere too, and who has not
#    given up ``max_swaps`` places already. Only eligible pairs are ever considered.


class ExposureReranker:
    """Spread a bulk run's recommendations over the open postings.

    Seekers are processed in a random order; each takes its top ``k`` by
    ``score − strength × exposure / target``, where ``exposure`` counts how often a posting
    was already recommended in this run and ``target`` is its fair share of all slots in
    proportion to its headcount. Postings nobody has seen yet get ``bonus``. Relevance still
    decides among similarly exposed postings; the hard constraints were applied before (only
    eligible rows reach the re-ranker).
    """

    def __init__(
        self,
        headcount: np.ndarray,
        *,
        k: int,
        seekers: int,
        strength: float = 0.15,
        bonus: float = 0.05,
        eligible: np.ndarray | None = None,
    ):
        h = headcount.astype(np.float64)
        if eligible is not None:
            h = np.where(eligible, h, 0.0)
        total = h.sum() or 1.0
        self.target = np.maximum(1.0, k * max(seekers, 1) * h / total)
        self.exposure = np.zeros(len(h), dtype=np.float64)
        self.strength = strength
        self.bonus = bonus
        self.k = k

    def pick(self, rows: np.ndarray, scores: np.ndarray, ids: np.ndarray) -> np.ndarray:
        if not len(rows):
            return rows
        e = self.exposure[rows]
        adjusted = scores - self.strength * e / self.target[rows] + self.bonus * (e == 0)
        chosen = top_k(rows, adjusted, self.k, ids)
        self.exposure[chosen] += 1
        return chosen


def rank_seekers(
    engine: Engine,
    rows: np.ndarray,
    today: datetime.date,
    *,
    k: int,
    pool: int = 50,
    strength: float = 0.15,
    bonus: float = 0.05,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Exposure-aware top-k lists for the seekers at ``rows`` (in that order).

    Returns (lists, scores, exposure): ``lists[i]`` the posting rows for ``rows[i]`` best
    first (-1 pads a short list), ``scores[i]`` their relevance, ``exposure`` per posting."""
    P = engine.postings
    reranker = ExposureReranker(
        P.headcount, k=k, seekers=len(rows), strength=strength, bonus=bonus,
        eligible=P.open_mask(today.toordinal()),
    )  # fmt: skip
    lists = np.full((len(rows), k), -1, dtype=np.int64)
    scores = np.zeros((len(rows), k))
    for i, row in enumerate(rows.tolist()):
        q = engine.seekers.row_query(row, today)
        got, relevance = engine.job_scores(q, today)
        keep = top_k(got, relevance, max(pool, k), P.ids)
        if not len(keep):
            continue
        kept = relevance[np.searchsorted(got, keep)]
        chosen = reranker.pick(keep, kept, P.ids)
        # Shown best first by relevance: the re-ranking chose which postings, not their order.
        by_row = np.argsort(keep)
        chosen_scores = kept[by_row[np.searchsorted(keep[by_row], chosen)]]
        order = np.lexsort((P.ids[chosen], -chosen_scores))
        lists[i, : len(chosen)] = chosen[order]
        scores[i, : len(chosen)] = chosen_scores[order]
    return lists, scores, reranker.exposure


def posting_candidates(
    engine: Engine, posting_rows: np.ndarray, today: datetime.date, *, per_posting: int = 5
) -> tuple[np.ndarray, np.ndarray]:
    """The ``per_posting`` seeker rows each posting suits best (-1 pads) and the scores."""
    S = engine.seekers
    out = np.full((len(posting_rows), per_posting), -1, dtype=np.int64)
    scores = np.zeros((len(posting_rows), per_posting))
    for i, p in enumerate(posting_rows.tolist()):
        rows, relevance = engine.person_scores(engine.posting_row_query(p), today)
        top = top_k(rows, relevance, per_posting, S.ids)
        out[i, : len(top)] = top
        scores[i, : len(top)] = relevance[np.searchsorted(rows, top)]
    return out, scores


def repair_coverage(
    lists: np.ndarray,
    scores: np.ndarray,
    exposure: np.ndarray,
    seeker_slot: np.ndarray,
    uncovered: np.ndarray,
    candidates: np.ndarray,
    candidate_scores: np.ndarray,
    *,
    ids: np.ndarray,
    max_swaps: int = 2,
) -> int:
    """Give each uncovered posting a place (see the comment above); lists, scores and
    exposure change in place. ``seeker_slot[row]`` is the list index of seeker row ``row``
    (-1: not in this run). Returns the number of postings placed."""
    k = lists.shape[1]
    swaps = np.zeros(len(lists), dtype=np.int32)
    placed = 0
    for j, p in enumerate(uncovered.tolist()):
        for c, score in zip(candidates[j].tolist(), candidate_scores[j].tolist(), strict=True):
            i = seeker_slot[c] if c >= 0 else -1
            if i < 0 or swaps[i] >= max_swaps:
                continue
            filled = int((lists[i] >= 0).sum())
            if filled == k:
                last = lists[i, k - 1]
                if exposure[last] < 2:
                    continue
                exposure[last] -= 1
                filled = k - 1
            lists[i, filled], scores[i, filled] = p, score
            exposure[p] += 1
            swaps[i] += 1
            order = np.lexsort((ids[np.maximum(lists[i, : filled + 1], 0)],
                                -scores[i, : filled + 1]))  # fmt: skip
            lists[i, : filled + 1] = lists[i, : filled + 1][order]
            scores[i, : filled + 1] = scores[i, : filled + 1][order]
            placed += 1
            break
    return placed
