"""Occupation coding: accuracy on the labelled titles, the auto-code threshold, and speed.

    .venv/bin/python benchmarks/occupation_coding.py          # full run (100,000-title batch)
    .venv/bin/python benchmarks/occupation_coding.py --ci     # what CI runs: a few seconds

Prints, for ``jiuye.registry.occupation_coder`` and for a baseline (character TF-IDF over the
official names only, no aliases, no noise removal): top-1 and top-5 accuracy at 细类, top-1 at
小类 and 中类 (code prefix), coverage and precision at ``AUTO_CODE_THRESHOLD``; accuracy per
part of the labelled set (dev / tuning / holdout, see the CSV's header) and on the titles whose
normalised wording is not itself an alias or an official name; mean milliseconds per title and
titles per second in a batch. No database is needed.
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
import time
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
LABELLED = ROOT / "src" / "jiuye" / "matching" / "data" / "occupation_titles_labelled.csv"

# Noise added to labelled titles to make a large batch of distinct titles.
_PREFIXES = ("", "", "急招", "诚聘", "【高薪】", "曲沃县 ", "侯马开发区 ", "长期招 ")
_SUFFIXES = ("", "", " 包吃住", " 月薪{n}+", " 日结{m}", " 五险一金", " {a}-{b}岁", " 双休", " 2名")


def load() -> list[dict]:
    with LABELLED.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(line for line in fh if not line.startswith("#")))


def score(rows, results, threshold=None) -> dict:
    n = len(rows)
    top = [(m[0].code if m else "", m[0].score if m else 0.0) for m in results]
    out = {
        "top1": sum(code == r["code"] for r, (code, _s) in zip(rows, top, strict=True)) / n,
        "top5": sum(
            r["code"] in [x.code for x in m[:5]] for r, m in zip(rows, results, strict=True)
        )
        / n,
        "minor": sum(
            code[:7] == r["code"][:7] and code != ""
            for r, (code, _s) in zip(rows, top, strict=True)
        )
        / n,
        "middle": sum(
            code[:4] == r["code"][:4] and code != ""
            for r, (code, _s) in zip(rows, top, strict=True)
        )
        / n,
    }
    if threshold is not None:
        accepted = [
            code == r["code"] for r, (code, s) in zip(rows, top, strict=True) if s >= threshold
        ]
        out["coverage"] = len(accepted) / n
        out["precision"] = sum(accepted) / len(accepted) if accepted else 0.0
    return out


class Baseline:
    """Character 1–3-gram TF-IDF over the official names of the codable occupations."""

    def __init__(self, index):
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.codes = index.codes
        self.vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3))
        self.docs = self.vectorizer.fit_transform(index.names)

    def code_titles(self, titles, k=5):
        from types import SimpleNamespace

        texts = [unicodedata.normalize("NFKC", t).lower() for t in titles]
        sims = (self.vectorizer.transform(texts) @ self.docs.T).toarray()
        out = []
        for row in sims:
            order = sorted(range(len(row)), key=lambda i: (-row[i], self.codes[i]))[:k]
            out.append(
                [
                    SimpleNamespace(code=self.codes[i], score=float(row[i]))
                    for i in order
                    if row[i] > 0
                ]
            )
        return out


def batch_titles(rows, size: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    titles = []
    for _ in range(size):
        suffix = rng.choice(_SUFFIXES).format(
            n=rng.randrange(3000, 12000, 500),
            m=rng.randrange(150, 400, 10),
            a=18,
            b=rng.choice((45, 50, 55)),
        )
        titles.append(rng.choice(_PREFIXES) + rng.choice(rows)["title"] + suffix)
    return titles


def line(label: str, figures: dict) -> str:
    parts = [f"{k} {v:.3f}" for k, v in figures.items()]
    return f"{label}: " + ", ".join(parts)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ci", action="store_true", help="small and fast (CI)")
    parser.add_argument("--batch", type=int, default=None, help="titles in the batch run")
    args = parser.parse_args(argv)
    batch_size = args.batch or (2_000 if args.ci else 100_000)

    from jiuye.registry import occupation_coder as oc

    rows = load()
    started = time.perf_counter()
    oc.warm_up()
    build = time.perf_counter() - started
    index = oc._get_index()
    threshold = oc.AUTO_CODE_THRESHOLD

    results = oc.code_titles([r["title"] for r in rows], k=5)
    parts = {}
    for r, m in zip(rows, results, strict=True):
        parts.setdefault(r["note"].split(";")[0].strip(), []).append((r, m))
    unseen = [
        (r, m)
        for r, m in zip(rows, results, strict=True)
        if oc._compact(oc.core_of(oc.light_normalize(r["title"]))) not in index.aliases
    ]

    print(f"labelled titles: {len(rows)} ({', '.join(f'{k} {len(v)}' for k, v in parts.items())})")
    print(f"auto-code threshold: {threshold}")
    print(line("coder, all", score(rows, results, threshold)))
    for part, pairs in parts.items():
        part_rows, part_results = zip(*pairs, strict=True)
        print(line(f"coder, {part}", score(part_rows, part_results, threshold)))
    if unseen:
        unseen_rows, unseen_results = zip(*unseen, strict=True)
        print(
            line(
                f"coder, {len(unseen)} titles whose wording is not an alias or a name",
                score(unseen_rows, unseen_results, threshold),
            )
        )

    baseline = Baseline(index)
    base_results = baseline.code_titles([r["title"] for r in rows], k=5)
    print(line("baseline (TF-IDF on official names), all", score(rows, base_results)))
    if "holdout" in parts:
        holdout = [r for r in rows if r["note"].startswith("holdout")]
        print(
            line(
                "baseline, holdout",
                score(holdout, baseline.code_titles([r["title"] for r in holdout], k=5)),
            )
        )

    sample = rows[:200] if args.ci else rows
    started = time.perf_counter()
    for r in sample:
        oc.code_title(r["title"], 5)
    per_title = (time.perf_counter() - started) / len(sample) * 1000
    titles = batch_titles(rows, batch_size)
    started = time.perf_counter()
    oc.code_titles(titles, 5)
    elapsed = time.perf_counter() - started
    print(f"index build: {build:.2f} s (first call, includes importing scikit-learn)")
    print(f"single title: {per_title:.2f} ms mean over {len(sample)} titles")
    print(
        f"batch: {batch_size} titles ({len(set(titles))} distinct) in {elapsed:.2f} s, "
        f"{batch_size / elapsed:.0f} titles/s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
