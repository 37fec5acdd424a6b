"""The grounded tutor's answer: the best course-page passages for a question, with citations,
or an honest "I don't know" that offers the teacher.

Retrieval is :class:`ml_assets.tutor.index.TutorIndex` (BM25 + MiniLM, reciprocal rank fusion,
scoped to the student's classes). Whether to answer is decided on two pieces of evidence
that are on a fixed 0..1 scale for every question:

* ``dense``: the highest MiniLM cosine between the question and a retrieved passage
  (meaning matches, whatever the words);
* ``coverage``: the highest IDF-weighted share of the question's terms that one retrieved
  passage contains (the course uses the question's own distinctive words).

The tutor answers when either is strong enough (:class:`DeclineRule`): paraphrases pass on
meaning, exact course terms that MiniLM does not know (``Zollverein``, ``PEEL``) pass on
words. The thresholds were chosen on the tuning half of ``eval_questions.jsonl`` and checked
on the other half (``ml_assets/tutor/README.md`` has the figures).

Language: the question's language is detected; when the class has pages in that language only
those are searched, otherwise all of the class's pages are (the answer carries a note), and
the question is tokenised under both languages' rules.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from ml_assets.tutor.index import Hit, Method, TutorIndex

__all__ = [
    "DECLINE_MESSAGE",
    "DEFAULT_RULE",
    "METHOD",
    "Citation",
    "DeclineRule",
    "Route",
    "TutorAnswer",
    "TutorPassage",
    "answer",
    "evidence",
    "retrieve",
    "route",
]

METHOD = "hybrid-bm25-minilm-rrf"
DECLINE_MESSAGE = "I don't know this from your course pages; ask your teacher?"
ANSWER_MESSAGE = "Here is what your course pages say:"
Detector = Callable[[list[str]], list[str | None]]
Embedder = Callable[[list[str]], npt.NDArray[np.float32]]


@dataclass(frozen=True)
class DeclineRule:
    """Answer when the top dense cosine or the top term coverage reaches its threshold.

    A threshold of ``None`` disables that evidence (the single-retriever baselines use one).
    """

    dense_min: float | None
    coverage_min: float | None

    def confidence(self, dense: float, coverage: float) -> float:
        """0..1; at least 0.5 exactly when the rule answers (half the strongest evidence's
        ratio to its threshold, capped at 1)."""
        ratios = []
        if self.dense_min is not None:
            ratios.append(dense / self.dense_min if self.dense_min > 0 else 1.0)
        if self.coverage_min is not None:
            ratios.append(coverage / self.coverage_min if self.coverage_min > 0 else 1.0)
        return float(min(1.0, max(0.0, 0.5 * max(ratios, default=0.0))))

    def answerable(self, dense: float, coverage: float) -> bool:
        """Whether the evidence is strong enough to answer."""
        return (self.dense_min is not None and dense >= self.dense_min) or (
            self.coverage_min is not None and coverage >= self.coverage_min
        )


# Chosen on the tuning half of eval_questions.jsonl (seed 0) by `evaluate`; see README.md.
DEFAULT_RULE = DeclineRule(dense_min=0.38, coverage_min=0.66)


@dataclass(frozen=True)
class Citation:
    """Where a passage comes from."""

    content_id: str
    title: str | None
    section: str | None
    passage_id: str


@dataclass(frozen=True)
class TutorPassage:
    """A quoted passage of the answer with its evidence."""

    text: str
    citation: Citation
    class_id: str | None
    language: str | None
    score: float
    dense: float
    bm25: float
    coverage: float


@dataclass(frozen=True)
class Route:
    """Which pages a question searches, and how it is tokenised."""

    language: str | None  # detected language of the question
    page_languages: frozenset[str] | None  # None: every language of the class
    query_languages: tuple[str | None, ...]
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class TutorAnswer:
    """The tutor's reply to one question."""

    question: str
    is_answerable: bool
    confidence: float
    offer_teacher: bool
    message: str
    passages: list[TutorPassage]
    citations: list[Citation]
    language: str | None
    searched_languages: list[str] | None
    notes: list[str] = field(default_factory=list)
    method: str = METHOD

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict."""
        return asdict(self)


def route(
    index: TutorIndex,
    question: str,
    class_ids: Collection[str],
    detect: Detector | None = None,
    language: str | None = None,
) -> Route:
    """Decide the pages' languages to search for ``question``.

    Args:
        index: The tutor index.
        question: The question.
        class_ids: The student's classes.
        detect: Batch language detector (default: lingua via ``ml_assets.forum.language``).
        language: The question's language when already known (skips detection).
    """
    if language is None:
        if detect is None:
            from ml_assets.forum.language import detect_language

            detect = detect_language
        language = detect([question])[0]
    available = index.languages(class_ids)
    if language is not None and language in available:
        return Route(language, frozenset({language}), (language,))
    others = tuple(sorted(available)) or ("en",)
    if language is None:
        return Route(None, None, others)
    note = (
        f"Your class has no course pages in '{language}', so pages in "
        f"{', '.join(repr(lang) for lang in others)} were searched instead."
    )
    return Route(language, None, (language, *others), (note,))


def retrieve(
    index: TutorIndex,
    question: str,
    class_ids: Collection[str],
    k: int = 5,
    method: Method = "hybrid",
    route_: Route | None = None,
    query_vector: npt.NDArray[np.float32] | None = None,
    embed: Embedder | None = None,
    detect: Detector | None = None,
) -> tuple[list[Hit], Route]:
    """The routed search :func:`answer` runs (exposed for evaluation)."""
    r = route_ or route(index, question, class_ids, detect)
    hits = index.search(
        question,
        class_ids,
        k=k,
        method=method,
        languages=r.page_languages,
        query_languages=r.query_languages,
        query_vector=query_vector,
        embed=embed,
    )
    return hits, r


def evidence(hits: Sequence[Hit]) -> tuple[float, float]:
    """(top dense cosine, top term coverage) over the retrieved passages."""
    dense = max((h.dense for h in hits), default=0.0)
    coverage = max((h.coverage for h in hits), default=0.0)
    return dense, coverage


def answer(
    index: TutorIndex,
    question: str,
    class_ids: Collection[str],
    k: int = 5,
    *,
    rule: DeclineRule = DEFAULT_RULE,
    detect: Detector | None = None,
    embed: Embedder | None = None,
    query_vector: npt.NDArray[np.float32] | None = None,
    language: str | None = None,
) -> TutorAnswer:
    """Answer ``question`` from the course pages of ``class_ids``.

    Args:
        index: The tutor index (all classes; the search is limited to ``class_ids``).
        question: The student's question.
        class_ids: The student's classes.
        k: Passages to return at most.
        rule: The decline rule (default: the thresholds tuned on the question set).
        detect: Language detector override (tests).
        embed: Question embedder override (default: the shared MiniLM encoder).
        query_vector: The question's embedding, if already computed.
        language: The question's language, if already known.

    Returns:
        A :class:`TutorAnswer`; when declined it has no passages, ``offer_teacher=True`` and
        the message "I don't know this from your course pages; ask your teacher?".
    """
    r = route(index, question, class_ids, detect, language)
    hits, _ = retrieve(
        index, question, class_ids, k, "hybrid", r, query_vector=query_vector, embed=embed
    )
    dense, coverage = evidence(hits)
    ok = bool(hits) and rule.answerable(dense, coverage)
    confidence = rule.confidence(dense, coverage) if hits else 0.0
    passages = [_tutor_passage(h) for h in hits] if ok else []
    notes = list(r.notes)
    if not index.scope(class_ids).any():
        notes.append("None of your classes has course pages yet.")
    return TutorAnswer(
        question=question,
        is_answerable=ok,
        confidence=round(confidence, 4),
        offer_teacher=not ok,
        message=ANSWER_MESSAGE if ok else DECLINE_MESSAGE,
        passages=passages,
        citations=_citations(passages),
        language=r.language,
        searched_languages=sorted(r.page_languages) if r.page_languages is not None else None,
        notes=notes,
    )


def _tutor_passage(h: Hit) -> TutorPassage:
    p = h.passage
    return TutorPassage(
        text=p.text,
        citation=Citation(p.content_id, p.title, p.section, p.passage_id),
        class_id=p.class_id,
        language=p.language,
        score=round(h.score, 6),
        dense=round(h.dense, 4),
        bm25=round(h.bm25, 4),
        coverage=round(h.coverage, 4),
    )


def _citations(passages: Sequence[TutorPassage]) -> list[Citation]:
    """One citation per (page, section), in answer order."""
    seen: dict[tuple[str, str | None], Citation] = {}
    for p in passages:
        seen.setdefault((p.citation.content_id, p.citation.section), p.citation)
    return list(seen.values())
