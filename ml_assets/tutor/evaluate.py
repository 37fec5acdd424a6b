"""Offline evaluation of the tutor on a question set (``eval_questions.jsonl``).

For each method (``bm25`` alone, the API's current baseline; ``dense`` alone; ``hybrid``,
ours) it reports retrieval quality over in-scope questions (recall@k and MRR; a hit is a
returned passage of a gold page that contains the gold phrase, so the gold survives
re-chunking) and the decline rule's quality (share of out-of-scope questions declined, share
of in-scope questions wrongly declined). Each method's decline threshold is chosen on a
seeded half of the questions (stratified by in/out of scope) and the figures are reported on
the other half and on all questions.

Run::

    .venv/bin/python -m ml_assets.tutor.evaluate --lake /tmp/tutor_demo/lake
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ml_assets.tutor.answer import DeclineRule, evidence, retrieve, route
from ml_assets.tutor.index import Hit, Method, TutorIndex

__all__ = ["QUESTIONS", "evaluate", "is_hit", "load_questions", "split_halves", "tune_rule"]

QUESTIONS = Path(__file__).with_name("eval_questions.jsonl")
METHODS: tuple[Method, ...] = ("bm25", "dense", "hybrid")
_SPACE = re.compile(r"\s+")
_DENSE_GRID = np.round(np.arange(0.0, 1.0001, 0.01), 2)
_COVERAGE_GRID = np.round(np.arange(0.0, 1.0001, 0.02), 2)


def _norm(text: str) -> str:
    return _SPACE.sub(" ", text).strip().casefold()


def load_questions(path: Path = QUESTIONS) -> list[dict[str, Any]]:
    """The question set: one JSON object per line."""
    with Path(path).open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def is_hit(question: dict[str, Any], hit: Hit) -> bool:
    """Whether ``hit`` is a passage of a gold page containing that page's gold phrase."""
    text = _norm(hit.passage.text)
    return any(
        hit.passage.content_id == g["content_id"] and _norm(g["phrase"]) in text
        for g in question.get("gold", [])
    )


def split_halves(questions: Sequence[dict[str, Any]], seed: int = 0) -> tuple[set[str], set[str]]:
    """(tuning ids, test ids): a seeded half of in-scope and of out-of-scope questions each."""
    rng = random.Random(seed)
    tune: set[str] = set()
    for flag in (True, False):
        ids = sorted(q["id"] for q in questions if bool(q["in_scope"]) == flag)
        rng.shuffle(ids)
        tune.update(ids[: len(ids) // 2])
    return tune, {q["id"] for q in questions} - tune


@dataclass(frozen=True)
class _Row:
    qid: str
    in_scope: bool
    language: str
    rank: int | None  # rank of the first hit within k, None when missed
    dense: float
    coverage: float
    has_hits: bool


def _rule_for(method: Method, dense_min: float | None, coverage_min: float | None) -> DeclineRule:
    if method == "bm25":
        return DeclineRule(None, coverage_min)
    if method == "dense":
        return DeclineRule(dense_min, None)
    return DeclineRule(dense_min, coverage_min)


def _decisions(rows: Sequence[_Row], rule: DeclineRule) -> np.ndarray:
    return np.array([r.has_hits and rule.answerable(r.dense, r.coverage) for r in rows])


def _balanced(rows: Sequence[_Row], answered: np.ndarray) -> float:
    inside = np.array([r.in_scope for r in rows])
    a = answered[inside].mean() if inside.any() else 0.0
    d = (~answered[~inside]).mean() if (~inside).any() else 0.0
    return float((a + d) / 2)


def tune_rule(rows: Sequence[_Row], method: Method) -> DeclineRule:
    """The thresholds maximising balanced accuracy (mean of in-scope answered and
    out-of-scope declined shares) on ``rows``; ties go to the lowest thresholds."""
    dense_grid: Sequence[float | None] = [None] if method == "bm25" else list(_DENSE_GRID)
    cov_grid: Sequence[float | None] = [None] if method == "dense" else list(_COVERAGE_GRID)
    best: tuple[float, DeclineRule] | None = None
    for d in dense_grid:
        for c in cov_grid:
            rule = _rule_for(method, d, c)
            score = _balanced(rows, _decisions(rows, rule))
            if best is None or score > best[0] + 1e-12:
                best = (score, rule)
    assert best is not None
    return best[1]


def _report(rows: Sequence[_Row], rule: DeclineRule) -> dict[str, Any]:
    answered = _decisions(rows, rule)
    inside = np.array([r.in_scope for r in rows], dtype=bool)
    ins = [r for r in rows if r.in_scope]
    english = [r for r in ins if r.language == "en"]
    other = [r for r in ins if r.language != "en"]

    def recall(rs: Sequence[_Row]) -> float | None:
        return round(float(np.mean([r.rank is not None for r in rs])), 4) if rs else None

    return {
        "n_in_scope": len(ins),
        "n_out_of_scope": int((~inside).sum()),
        "recall_at_k": recall(ins),
        "mrr": round(float(np.mean([1 / r.rank if r.rank else 0.0 for r in ins])), 4)
        if ins
        else None,
        "recall_at_k_english": recall(english),
        "recall_at_k_other_languages": recall(other),
        "out_of_scope_declined": round(float((~answered[~inside]).mean()), 4)
        if (~inside).any()
        else None,
        "in_scope_wrongly_declined": round(float((~answered[inside]).mean()), 4)
        if inside.any()
        else None,
    }


def evaluate(lake: Path, questions: Path = QUESTIONS, k: int = 5, seed: int = 0) -> dict[str, Any]:
    """Build the index from ``lake``'s silver ``content_pages`` and score the question set.

    Args:
        lake: A lake folder with ``silver/content_pages``.
        questions: The question set (JSON lines; see ``eval_questions.jsonl``).
        k: Passages returned per question.
        seed: Seed of the tuning/test split.

    Returns:
        ``{"methods": {method: {"rule": ..., "test": {...}, "all": {...}, "tune": {...}}},
        "passages": n, "questions": {...}, "language_detection": {...}, "seconds": ...}``.
    """
    from ml_assets.forum.language import detect_language
    from ml_assets.text.embed import embed

    started = time.perf_counter()
    index = TutorIndex.from_lake(Path(lake))
    qs = load_questions(questions)
    texts = [q["question"] for q in qs]
    vectors = embed(texts)
    detected = detect_language(texts)
    tune_ids, test_ids = split_halves(qs, seed)

    rows: dict[Method, list[_Row]] = {m: [] for m in METHODS}
    fallback = 0
    for q, vec, lang in zip(qs, vectors, detected, strict=True):
        r = route(index, q["question"], [q["class_id"]], language=lang)
        fallback += bool(r.notes)
        for method in METHODS:
            hits, _ = retrieve(
                index, q["question"], [q["class_id"]], k, method, r, query_vector=vec
            )
            dense, coverage = evidence(hits)
            rank = next((h.rank for h in hits if is_hit(q, h)), None)
            rows[method].append(
                _Row(
                    q["id"],
                    bool(q["in_scope"]),
                    q.get("language", "en"),
                    rank,
                    dense,
                    coverage,
                    bool(hits),
                )
            )

    methods: dict[str, Any] = {}
    for method in METHODS:
        tune = [r for r in rows[method] if r.qid in tune_ids]
        test = [r for r in rows[method] if r.qid in test_ids]
        rule = tune_rule(tune, method)
        methods[method] = {
            "rule": {"dense_min": rule.dense_min, "coverage_min": rule.coverage_min},
            "test": _report(test, rule),
            "all": _report(rows[method], rule),
            "tune": _report(tune, rule),
        }
    labelled = [(q.get("language", "en"), d) for q, d in zip(qs, detected, strict=True)]
    return {
        "k": k,
        "seed": seed,
        "passages": len(index.passages),
        "classes": len(index.class_ids()),
        "questions": {
            "in_scope": sum(1 for q in qs if q["in_scope"]),
            "out_of_scope": sum(1 for q in qs if not q["in_scope"]),
            "not_english": sum(1 for q in qs if q.get("language", "en") != "en"),
            "tune": len(tune_ids),
            "test": len(test_ids),
            "routed_to_other_language_pages": fallback,
        },
        "language_detection": {
            "agree_with_label": round(float(np.mean([a == b for a, b in labelled])), 4),
            "undetected": sum(1 for _, d in labelled if d is None),
        },
        "methods": methods,
        "seconds": round(time.perf_counter() - started, 1),
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: print the evaluation as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lake", type=Path, required=True)
    parser.add_argument("--questions", type=Path, default=QUESTIONS)
    parser.add_argument("-k", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    result = evaluate(args.lake, args.questions, args.k, args.seed)
    json.dump(result, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
