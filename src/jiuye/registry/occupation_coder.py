"""Occupation coding: a free-text job title → the most likely 职业分类大典 2022 codes.

Postings and job intentions often arrive with a title only ("急招电焊工 月薪8000+ 包吃住",
"临汾 保洁阿姨 早八晚五"). ``code_title`` returns the top-k codes with a score in [0, 1]; a 细类
where possible, a 小类 only where the classification has nothing finer (6-99-00 其他生产制造及
有关人员 for 普工, 6-29-99 for 建筑小工 …).

How a title is scored:

1. **Normalise.** NFKC (full-width → half-width), lower case, brackets, punctuation and
   和/或/兼 to spaces, numbers with their units (8000+, 18-45岁, 2名, 26天) removed but licence
   classes (A2, C1, 4S) kept. The *core* of the title then also drops ad noise (急招, 包吃住,
   日结, 熟练, 学徒, 持证, 师傅, 阿姨 …) and segments that are only a place (曲沃县, 开发区).
2. **Alias hits.** The title, with its spaces taken out (药店 店员 is one compound), is searched
   for every entry of one table: the official names, hand-written colloquial aliases
   (``data/occupation_aliases.csv``) and forms derived from the official names (保洁员 → 保洁,
   焊接工程技术人员 → 焊接工程师). An alias also matches with up to five characters inserted
   after its first part (初中**英语**教师) and, for input-method typos, by sound (电悍工 →
   电焊工), both at a lower weight. A hit inside a longer hit is dropped (司机 inside 挖机司机).
   A hit scores by its share of the core times the alias weight (generic words such as 普工 or
   司机 weigh less), and loses weight when it is a modifier: a Chinese compound names its head
   last (服装厂**裁床**, 手机店**店员**), and after a first job noun later segments only
   describe it (压铸工 **铝合金**).
3. **Similarity.** Character 1–3-gram TF-IDF cosine (and, for a third, rjieba word TF-IDF)
   between the core and every name and alias; a code takes its best document.
4. **Combine.** A code with an alias hit scores ``hit + (1 − hit) · 0.3 · similarity``; a code
   found by similarity alone scores ``0.85 · similarity`` (a 小类 0.9 times that again).

The index is built once, lazily and thread-safely, on first use (one to three seconds, most of
it importing scikit-learn); a title then takes about a millisecond. ``code_titles`` codes a
batch with one sparse product per chunk of titles and each distinct title once (100,000 titles
in about ten seconds). Accuracy on the labelled set
(``jiuye/matching/data/occupation_titles_labelled.csv``) is printed by
``benchmarks/occupation_coding.py``, which also justifies ``AUTO_CODE_THRESHOLD``.
"""

from __future__ import annotations

import csv
import functools
import re
import threading
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from jiuye.registry import codes as code_tables

ALIAS_FILE = Path(__file__).resolve().parent / "data" / "occupation_aliases.csv"

# A top match scoring at least this is accepted without a person looking at it (``jiuye
# occupations fill``). Chosen on the labelled set so that accepted codes are right at least
# nine times in ten; see data/README.md for coverage and precision at this value.
AUTO_CODE_THRESHOLD: float = 0.75

MAX_K = 20

# Scoring constants (see the module docstring), chosen on the dev and tuning parts of the
# labelled set; accuracy hardly moves when any one of them changes by 0.1.
_HIT_BASE = 0.55
_HIT_COVERAGE = 0.45
_MODIFIER = 0.8
_DESCRIPTOR = 0.85
_GAPPED_WEIGHT = 0.92
_MAX_GAP = 5
_AGREE = 0.3
_SIM_ONLY = 0.85
_MINOR_LEVEL = 0.9  # a 小类 that has 细类 below it
_DERIVED_WEIGHT = 0.9
_WORD_SHARE = 0.3  # of the similarity that comes from rjieba words rather than characters
_SOUND_WEIGHT = 0.85
_CHUNK = 1000

# Words that job ads use interchangeably; both the aliases and the titles are rewritten to the
# second form before they are compared.
_SYNONYMS = (("驾驶员", "司机"), ("教师", "老师"), ("医师", "医生"))
# The last character of a place (药店, 服装厂, 物流园, 公司, 中心 …).
_PLACE_CHARS = frozenset("店厂场馆院园站所部房矿行司心室局社")
_JOB_WORDS = ("师傅", "工人", "师父")
# A word ending like this names a job by itself (压铸工, 收银员, 厨师 …).
_JOB_SUFFIXES = ("工", "员", "师", "手", "匠", "长", "司机", "生", "士", "家", "官", "嫂", "姨")


@dataclass(frozen=True)
class OccupationMatch:
    code: str
    name: str
    level: int  # 3 小类, 4 细类
    score: float
    path: str  # "大类名 / 中类名 / 小类名 / 细类名"


# --- Normalisation ---------------------------------------------------------------------------

_BRACKETS = re.compile(r"[\[\]()<>{}【】（）《》「」『』〔〕]")
# A number with an optional range and unit: 8000+, 6000-8000元, 18-45岁, 2名, 4.2米, 8k.
# Digits glued to Latin letters (A2, C1, 4S, 3D) are kept: they are licence classes and names.
_NUMBER = re.compile(
    r"(?<![a-z\d])\d+(?:\.\d+)?\s*[kw千万]?"
    r"(?:\s*[-~至到]\s*\d+(?:\.\d+)?\s*[kw千万]?)?"
    r"(?![a-z])\s*(?:元|块|米|吨|周岁|岁|名|人|个|位|天|小时|年|月|号|点|层|平|公里|km|h)?"
)
_PUNCTUATION = re.compile(r"[^\w\s]|_")
# "电焊和气割", "会计兼出纳": two jobs, not one compound.
_COORDINATION = re.compile(r"或者|和|或|兼|及|与")
_SPACES = re.compile(r"\s+")

# Words in job ads and seekers' forms that say nothing about the occupation. Longest first.
_NOISE_LINES = (
    "高薪诚聘 急招 急聘 急需 诚聘 诚招 直招 直聘 高薪 招聘 招募 招工 聘请 聘用",
    "月薪 日薪 底薪 年薪 时薪 薪资 薪水 工资 待遇优厚 待遇 面议 提成 绩效 奖金",
    "包吃住 包食宿 包吃 包住 管吃住 管吃 管住 吃住 提供住宿 提供食宿 免费住宿 食宿",
    "五险一金 五险 社保 双休 单休 大小周 长白班 白班 夜班 晚班 早班 两班倒 三班倒 倒班",
    "轮班 做六休一 早晚 早八晚五 朝九晚五 坐班 站班",
    "日结 周结 月结 现结 当天结 计件 计时 多劳多得 长期 短期 暑假工 寒假工 兼职 全职",
    "熟练 熟手 学徒 有经验者 有经验 经验 优先 持证上岗 持证 有证 上岗",
    "若干 数名 数人 多名 一名 男女不限 男女均可 男女 男性 女性 以下 以上 左右 年龄",
    "退伍军人 退役军人 宝妈 附近 就近 本地 当地 能吃苦 吃苦耐劳 身体健康",
    "岗位 职位 求职 意向 在家 本人 会干 能干 想找 想干 想做 找工作 人员",
    "师傅 师父 阿姨 大姐 小哥 大叔 大哥",
)
_NOISE_WORDS = sorted(
    {w for line in _NOISE_LINES for w in line.split()}, key=lambda w: (-len(w), w)
)
_NOISE_SET = frozenset(_NOISE_WORDS)
_NOISE = re.compile("|".join(map(re.escape, _NOISE_WORDS)))
# Leading 招/聘/急 ("招焊工2名"), unless it starts a real word (招商, 招标, 招投标).
_LEADING = re.compile(r"(?:^|(?<=\s))[招聘急](?![商标投])")
_LONE_SEX = re.compile(r"(?:^|(?<=\s))[男女](?=\s|$)")
# A segment that is only a place: 曲沃县, 临汾市, 经济开发区, 工业园.
_PLACE = re.compile(r"^[\u4e00-\u9fff]{1,6}(?:省|市|县|区|镇|乡|村|街道|开发区|工业园|园区|新区)$")


def light_normalize(title: str) -> str:
    """NFKC, lower case; brackets and punctuation to spaces; numbers with units removed."""
    text = unicodedata.normalize("NFKC", title or "").lower()
    text = _BRACKETS.sub(" ", text)
    text = _NUMBER.sub(" ", text)
    text = _PUNCTUATION.sub(" ", text)
    text = _COORDINATION.sub(" ", text)
    return _SPACES.sub(" ", text).strip()


def core_of(light: str) -> str:
    """``light`` without ad noise and place-only segments; ``light`` itself if nothing is left."""
    text = _NOISE.sub(" ", light)
    text = _LEADING.sub(" ", text)
    text = _LONE_SEX.sub(" ", text)
    segments = [s for s in text.split() if not _PLACE.match(s)]
    core = " ".join(segments)
    return core or light


# --- The index -------------------------------------------------------------------------------

# Suffixes of official names that job ads leave off, with what they say instead.
_DERIVED_SUFFIXES = (
    ("工程技术人员", "工程师"),
    ("专业人员", ""),
    ("技术人员", "技术员"),
    ("服务人员", ""),
    ("人员", ""),
    ("员", ""),
    ("工", ""),
    ("师", ""),
)


@dataclass(frozen=True)
class _Entry:
    target: int
    weight: float


class _Index:
    """Targets (the codes that can be returned), the alias table and the TF-IDF matrices."""

    def __init__(self):
        from sklearn.feature_extraction.text import TfidfVectorizer

        tables = code_tables._occupations()
        by_code = tables.by_code
        targets: list[str] = []
        for record in by_code.values():
            if record.level == 4 or (record.level == 3 and not tables.children[record.code]):
                targets.append(record.code)
            elif record.level == 3:
                # A 小类 with 细类 below it is a target too, ranked below its children unless
                # the title names the 小类 itself (销售人员).
                only_child = tables.children[record.code]
                if not (len(only_child) == 1 and by_code[only_child[0]].name == record.name):
                    targets.append(record.code)
        targets.sort()
        self.codes = targets
        self.position = {code: i for i, code in enumerate(targets)}
        self.level_factor = np.array(
            [_MINOR_LEVEL if by_code[c].level == 3 and tables.children[c] else 1.0 for c in targets]
        )
        self.names = [by_code[c].name for c in targets]
        self.levels = [by_code[c].level for c in targets]
        self.paths = [
            " / ".join([a.name for a in code_tables.occupation_ancestors(c)] + [by_code[c].name])
            for c in targets
        ]

        # alias text → entries. Sources in order of precedence, each only where an earlier one
        # has not claimed the text: names of targets that are 细类 or leaf 小类, the hand table,
        # names of 小类 that have 细类 below them (记者 is 2-10-01 and, in ads, 2-10-01-01
        # 文字记者), then forms derived from the 细类 names.
        aliases: dict[str, dict[int, float]] = {}
        minor: dict[str, dict[int, float]] = {}
        for i, code in enumerate(targets):
            name = _compact(by_code[code].name)
            if self.level_factor[i] < 1:
                minor.setdefault(name, {})[i] = float(self.level_factor[i])
            else:
                aliases.setdefault(name, {})[i] = 1.0
        hand: dict[str, dict[int, float]] = {}
        for alias, code, weight in _read_alias_file():
            if code not in self.position:
                raise ValueError(f"{ALIAS_FILE.name}: {code} is not a codable occupation")
            hand.setdefault(alias, {})[self.position[code]] = weight
        for source in (hand, minor):
            for alias, entries in source.items():
                aliases.setdefault(alias, entries)
        derived: dict[str, set[int]] = {}
        for i, code in enumerate(targets):
            if by_code[code].level != 4:
                continue
            for form in _derived_forms(_compact(by_code[code].name)):
                derived.setdefault(form, set()).add(i)
        for form, found in derived.items():
            if len(found) == 1 and form not in aliases:
                aliases[form] = {next(iter(found)): _DERIVED_WEIGHT}
        self.aliases = {
            text: tuple(_Entry(t, w) for t, w in sorted(entries.items()))
            for text, entries in aliases.items()
        }
        self.max_alias = max(map(len, self.aliases))
        # First part → (rest, alias) for matching with inserted characters; both parts ≥ 2.
        self.split_aliases: dict[str, list[tuple[str, str]]] = {}
        sound_of: dict[tuple[str, ...], set[str]] = {}
        for text in self.aliases:
            if text.isascii():
                continue
            for cut in range(2, len(text) - 1):
                self.split_aliases.setdefault(text[:cut], []).append((text[cut:], text))
            if len(text) >= 3 and all("\u4e00" <= c <= "\u9fff" for c in text):
                sound_of.setdefault(tuple(_sounds(text)), set()).add(text)
        # Only sounds that lead to one occupation.
        self.by_sound = {
            sound: min(texts)
            for sound, texts in sound_of.items()
            if len({e.target for t in texts for e in self.aliases[t]}) == 1
        }

        # One TF-IDF document per (target, text); documents of a target are contiguous so that
        # a per-target maximum is one ``np.maximum.reduceat``.
        docs: list[str] = []
        starts: list[int] = []
        per_target: list[list[str]] = [[] for _ in targets]
        for text, entries in self.aliases.items():
            for entry in entries:
                per_target[entry.target].append(text)
        for i, texts in enumerate(per_target):
            starts.append(len(docs))
            docs.extend(sorted(set(texts)) or [_compact(self.names[i])])
        self.starts = np.array(starts)
        self.char_vectorizer = TfidfVectorizer(
            analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True, dtype=np.float32
        )
        self.char_docs = self.char_vectorizer.fit_transform(docs).T.tocsr()
        self.word_vectorizer = TfidfVectorizer(
            tokenizer=_words, token_pattern=None, lowercase=False, dtype=np.float32
        )
        self.word_docs = self.word_vectorizer.fit_transform(docs).T.tocsr()

    # -- scoring --

    def similarities(self, cores: Sequence[str]) -> np.ndarray:
        """(len(cores), targets) best cosine per target."""
        chars = self.char_vectorizer.transform(cores) @ self.char_docs
        words = self.word_vectorizer.transform(cores) @ self.word_docs
        sims = (1 - _WORD_SHARE) * chars.toarray() + _WORD_SHARE * words.toarray()
        return np.maximum.reduceat(sims, self.starts, axis=1)

    def hits(self, light: str, core: str) -> dict[int, float]:
        """Alias hits in ``light`` scored by their share of ``core``: target → score."""
        core_len = len(core.replace(" ", "")) or 1
        text, segment_of = _compact_with_segments(light)
        found = self._find(text)
        # A noise word is no hit unless it is all the title has (招聘 in 辅警招聘, 阿姨 alone).
        found = [h for h in found if h.text not in _NOISE_SET or h.text in core]
        # A match with inserted characters is void if the insertion is a hit for another
        # occupation (数控车床操作工 is not 数控操作工; 京东快递配送员 is 京东配送员).
        found = [
            h
            for h in found
            if not h.gapped
            or not any(
                not o.gapped
                and h.start < o.start
                and o.end < h.end
                and not self.same_targets(o.text, h.text)
                for o in found
            )
        ]
        # Drop hits that lie inside a longer hit (司机 in 挖机司机, 车工 in 服装厂车工).
        kept = [
            h
            for h in found
            if not any(
                o.start <= h.start and h.end <= o.end and o.end - o.start > h.end - h.start
                for o in found
            )
        ]
        scores: dict[int, float] = {}
        for h in kept:
            coverage = min(1.0, (h.end - h.start) / core_len)
            factor = h.factor
            if any(self.modifies(h, o, text, segment_of) for o in kept):
                factor *= _MODIFIER
            if any(self.describes(h, o, text, segment_of) for o in kept):
                factor *= _DESCRIPTOR
            for entry in self.aliases[h.text]:
                value = min(1.0, factor * entry.weight * (_HIT_BASE + _HIT_COVERAGE * coverage))
                if value > scores.get(entry.target, 0.0):
                    scores[entry.target] = value
        return scores

    def _find(self, text: str) -> list[_Hit]:
        """Every alias in ``text``: verbatim, with inserted characters, or by sound."""
        found: list[_Hit] = []
        n = len(text)
        for i in range(n):
            for j in range(i + 2, min(n, i + self.max_alias) + 1):
                piece = text[i:j]
                if piece in self.aliases and _word_bounded(text, i, j):
                    found.append(_Hit(i, j, piece, 1.0))
                for rest, alias in self.split_aliases.get(piece, ()):
                    at = text.find(rest, j + 1, j + 1 + _MAX_GAP + len(rest))
                    if at > j:
                        found.append(_Hit(i, at + len(rest), alias, _GAPPED_WEIGHT, gapped=True))
        # Homophone typos from pinyin input (电悍工, 保结员, 挖据机): spans of three or more
        # Chinese characters that sound like exactly one alias.
        sounds = _sounds(text)
        exact = [(h.start, h.end) for h in found if not h.gapped]
        for i in range(n):
            for j in range(i + 3, min(n, i + self.max_alias) + 1):
                alias = self.by_sound.get(tuple(sounds[i:j]))
                # Only where no alias is written correctly (木工班 is not 木工板).
                if alias and not any(i <= a and b <= j for a, b in exact):
                    found.append(_Hit(i, j, alias, _SOUND_WEIGHT))
        return found

    def modifies(self, h: _Hit, o: _Hit, text: str, segment_of: list[int]) -> bool:
        """True when ``o`` is the head of a compound of which ``h`` is a modifier.

        A Chinese compound names its head last (服装厂**裁床**, 手机店**店员**). A generic
        head (电镀车间**工人**) does not demote the word before it. Across a space only a
        place is demoted (药店 店员, 物流园 卸车), not a job (压铸工 铝合金, 电焊 气割).
        """
        if o.start < h.end or not self.specific(o.text):
            return False
        if segment_of[o.start] == segment_of[h.end - 1]:
            return True
        after = text[h.end] if h.end < len(text) else ""
        return text[h.end - 1] in _PLACE_CHARS or (
            after in _PLACE_CHARS and segment_of[h.end] == segment_of[h.end - 1]
        )

    def describes(self, h: _Hit, o: _Hit, text: str, segment_of: list[int]) -> bool:
        """True when ``h`` comes in a segment after ``o``, a job noun: the first job named is
        the title, later words describe it (压铸工 **铝合金**, 车床师傅 **数控**)."""
        if segment_of[h.start] <= segment_of[o.end - 1] or not self.specific(o.text):
            return False
        rest = text[o.end : o.end + 2]
        return text[o.start : o.end].endswith(_JOB_SUFFIXES) or rest in _JOB_WORDS

    def same_targets(self, a: str, b: str) -> bool:
        return bool({e.target for e in self.aliases[a]} & {e.target for e in self.aliases[b]})

    def specific(self, text: str) -> bool:
        return max(entry.weight for entry in self.aliases[text]) >= 0.95

    def rank(self, light: str, core: str, sims: np.ndarray, k: int) -> list[OccupationMatch]:
        hits = self.hits(light, core)
        final = _SIM_ONLY * sims * self.level_factor
        for target, hit in hits.items():
            final[target] = hit + (1 - hit) * _AGREE * sims[target]
        k = min(k, len(final))
        top = np.argpartition(-final, k - 1)[:k] if k < len(final) else np.arange(len(final))
        # Ties break on the code so that the answer is deterministic.
        order = sorted(top, key=lambda t: (-round(float(final[t]), 6), self.codes[t]))
        return [
            OccupationMatch(
                code=self.codes[t],
                name=self.names[t],
                level=self.levels[t],
                score=round(min(1.0, max(0.0, float(final[t]))), 4),
                path=self.paths[t],
            )
            for t in order
            if final[t] > 0
        ]


@dataclass(frozen=True, slots=True)
class _Hit:
    start: int
    end: int
    text: str  # the alias
    factor: float
    gapped: bool = False


def _compact(text: str) -> str:
    text = "".join(unicodedata.normalize("NFKC", text).lower().split())
    for word, canonical in _SYNONYMS:
        text = text.replace(word, canonical)
    return text


def _compact_with_segments(light: str) -> tuple[str, list[int]]:
    """``light`` without spaces (a space in a title often splits one compound: 药店 店员),
    and for each character the number of the space-separated segment it came from."""
    text, segment_of = [], []
    for number, segment in enumerate(light.split()):
        segment = _compact(segment)
        text.append(segment)
        segment_of.extend([number] * len(segment))
    return "".join(text), segment_of


_FUZZY_SOUNDS = (("zh", "z"), ("ch", "c"), ("sh", "s"), ("ing", "in"), ("eng", "en"), ("ang", "an"))


def _sound(syllable: str) -> str:
    for a, b in _FUZZY_SOUNDS:
        syllable = syllable.replace(a, b)
    return syllable


def _sounds(text: str) -> list[str]:
    """One toneless, fuzzy syllable per character (in/ing, zh/z … merged); other characters
    stand for themselves and never match a Chinese alias. Characters are read one by one (the
    same way for titles and aliases), so a cache per character makes this cheap."""
    return [_char_sound(c) for c in text]


@functools.cache
def _char_sound(char: str) -> str:
    if not "\u4e00" <= char <= "\u9fff":
        return "\0" + char
    from pypinyin import Style, lazy_pinyin

    return _sound(lazy_pinyin(char, style=Style.NORMAL)[0])


def _words(text: str) -> list[str]:
    import rjieba

    return [w for w in rjieba.cut(text) if w.strip()]


def _derived_forms(name: str) -> list[str]:
    forms = []
    for suffix, replacement in _DERIVED_SUFFIXES:
        if name.endswith(suffix):
            stem = name[: -len(suffix)]
            if len(stem) >= 2:
                forms.append(stem + replacement)
    return forms


def _word_bounded(segment: str, i: int, j: int) -> bool:
    """A Latin alias (qc, cnc, pt) must not be part of a longer Latin word."""
    if not segment[i:j].isascii():
        return True
    before = segment[i - 1] if i else ""
    after = segment[j] if j < len(segment) else ""
    return not (before.isascii() and before.isalnum()) and not (after.isascii() and after.isalnum())


def _read_alias_file() -> list[tuple[str, str, float]]:
    rows = []
    with ALIAS_FILE.open(encoding="utf-8", newline="") as fh:
        lines = (line for line in fh if not line.startswith("#"))
        for row in csv.DictReader(lines):
            alias = _compact(row["alias"])
            if len(alias) >= 2:
                rows.append((alias, row["code"].strip(), float(row["weight"] or 1)))
    return rows


_index: _Index | None = None
_lock = threading.Lock()


def _get_index() -> _Index:
    global _index
    if _index is None:
        with _lock:
            if _index is None:
                _index = _Index()
    return _index


# --- Public API ------------------------------------------------------------------------------


def code_title(title: str, k: int = 5) -> list[OccupationMatch]:
    """The ``k`` most likely codes for a job title, best first; [] for a blank title."""
    return code_titles([title], k)[0]


def code_titles(titles: Iterable[str], k: int = 5) -> list[list[OccupationMatch]]:
    """``code_title`` for many titles at once; each distinct title is coded once."""
    titles = list(titles)
    if not 1 <= k <= MAX_K:
        raise ValueError(f"k must be between 1 and {MAX_K}, not {k!r}")
    index = _get_index()
    distinct: dict[str, tuple[str, str]] = {}
    for title in titles:
        if title not in distinct:
            light = light_normalize(title)
            distinct[title] = (light, core_of(light))
    coded: dict[str, list[OccupationMatch]] = {}
    pending = [(t, lc) for t, lc in distinct.items() if lc[1]]
    for title, (_light, core) in distinct.items():
        if not core:
            coded[title] = []
    for start in range(0, len(pending), _CHUNK):
        chunk = pending[start : start + _CHUNK]
        sims = index.similarities([core for _t, (_l, core) in chunk])
        for row, (title, (light, core)) in enumerate(chunk):
            coded[title] = index.rank(light, core, sims[row], k)
    return [coded[title] for title in titles]


def warm_up() -> None:
    """Build the index now (e.g. at start-up) rather than on the first request."""
    _get_index()


__all__ = [
    "AUTO_CODE_THRESHOLD",
    "MAX_K",
    "OccupationMatch",
    "code_title",
    "code_titles",
    "core_of",
    "light_normalize",
    "warm_up",
]
