"""Automatic checks on a drafted quiz item; a draft passes when every check that applies
passes. A teacher still approves each draft: the checks only keep obviously broken ones out
of the queue and say why.

============================  =========================================================
check                         passes when
============================  =========================================================
``answer_in_source``          the answer occurs verbatim (whole words, any case) in the
                              source sentence, and that sentence is on the page
``distractors_distinct``      (choice items) the options are pairwise distinct after
                              :func:`~ml_assets.question_gen.terms.normalize`, no
                              distractor equals the answer, and no option's normal form is
                              a word-level substring of another's
``distractors_plausible``     (choice items) each distractor's MiniLM cosine to the answer
                              is within [:data:`PLAUSIBLE_MIN`, :data:`PLAUSIBLE_MAX`]
``stem_well_formed``          cloze: the blank ``______`` exactly once; choice: a question
                              mark and at most one blank; both: 6-60 words, at most 400
                              characters, the answer not visible in the stem
``tutor_finds_source``        the tutor's hybrid search, given the stem without the blank
                              (and without the fill-in lead), returns a passage of the
                              source page among its top 3 for the item's class
============================  =========================================================

The cosine band (all-MiniLM-L6-v2, cosine of the bare terms): below 0.25 two course terms
are unrelated to a reader (``photosynthesis`` / ``French Revolution``, ~0.1-0.2), so a
distractor there is eliminated without knowing the subject; above 0.80 they are synonyms or
spelling variants (``mitochondrion`` / ``mitochondria``, ``speed`` / ``velocity`` sits at
~0.6). ``ml_assets/question_gen/README.md`` has the distribution measured on the demo
school that these bounds were chosen from.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from ml_assets.question_gen.terms import normalize
from ml_assets.tutor.index import fold

if TYPE_CHECKING:
    from ml_assets.question_gen.draft import DraftItem
    from ml_assets.tutor.index import TutorIndex

__all__ = [
    "BLANK",
    "CHECKS",
    "FILL_IN_LEAD",
    "PLAUSIBLE_MAX",
    "PLAUSIBLE_MIN",
    "STEM_MAX_CHARS",
    "STEM_MAX_WORDS",
    "STEM_MIN_WORDS",
    "TUTOR_TOP",
    "VectorCache",
    "answer_in_source",
    "contains_words",
    "distractors_distinct",
    "distractors_plausible",
    "run_checks",
    "search_query",
    "stem_well_formed",
    "tutor_finds_source",
]

BLANK = "______"
FILL_IN_LEAD = "Which term completes the sentence?"
PLAUSIBLE_MIN = 0.25
PLAUSIBLE_MAX = 0.80
STEM_MIN_WORDS = 6
STEM_MAX_WORDS = 60
STEM_MAX_CHARS = 400
TUTOR_TOP = 3
CHECKS = (
    "answer_in_source",
    "distractors_distinct",
    "distractors_plausible",
    "stem_well_formed",
    "tutor_finds_source",
)
Embedder = Callable[[list[str]], npt.NDArray[np.float32]]
Result = tuple[bool, str | None]
_SPACE = re.compile(r"\s+")


class VectorCache:
    """An embedder that remembers: texts already embedded are not embedded again (a class's
    key terms are embedded once, in one batch, and reused by every item's checks)."""

    def __init__(self, embed: Embedder | None = None) -> None:
        self._embed = embed
        self._rows: dict[str, npt.NDArray[np.float32]] = {}

    def _base(self, texts: list[str]) -> npt.NDArray[np.float32]:
        if self._embed is not None:
            return self._embed(texts)
        from ml_assets.text.embed import embed

        return embed(texts)

    def __call__(self, texts: list[str]) -> npt.NDArray[np.float32]:
        """Unit-length rows for ``texts``, in order."""
        missing = list(dict.fromkeys(t for t in texts if t not in self._rows))
        if missing:
            for t, v in zip(missing, self._base(missing), strict=True):
                self._rows[t] = np.asarray(v, dtype=np.float32)
        if not texts:
            return np.zeros((0, 1), dtype=np.float32)
        return np.stack([self._rows[t] for t in texts])


def _squash(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


def contains_words(text: str, phrase: str) -> bool:
    """Whether ``phrase`` occurs in ``text`` as whole words (case- and accent-insensitive)."""
    if not phrase.strip():
        return False
    pattern = r"(?<!\w)" + re.escape(_squash(fold(phrase))) + r"(?!\w)"
    return re.search(pattern, _squash(fold(text))) is not None


def answer_in_source(item: DraftItem, page_text: str | None = None) -> Result:
    """The answer occurs verbatim in the source sentence, and the sentence on the page."""
    if not contains_words(item.source_sentence, item.answer):
        return False, f"answer {item.answer!r} is not in the source sentence"
    if page_text is not None:
        page = _squash(re.sub(r"\*\*|__|`", "", page_text))
        if _squash(item.source_sentence) not in page:
            return False, "the source sentence is not on the page"
    return True, None


def _is_choice(item: DraftItem) -> bool:
    return item.kind == "multiple_choice"


def _distractor_texts(item: DraftItem) -> list[str]:
    correct = set(item.correct_option_ids)
    return [o.text for o in item.options if o.option_id not in correct]


def distractors_distinct(item: DraftItem) -> Result:
    """Options pairwise distinct after normalisation, none a substring of another."""
    texts = [o.text for o in item.options]
    norms = [normalize(t) for t in texts]
    answer = normalize(item.answer)
    for t, n in zip(_distractor_texts(item), map(normalize, _distractor_texts(item)), strict=True):
        if n == answer:
            return False, f"distractor {t!r} equals the answer"
    for i, a in enumerate(norms):
        for j, b in enumerate(norms):
            if i >= j:
                continue
            if a == b:
                return False, f"options {texts[i]!r} and {texts[j]!r} are the same"
            if f" {a} " in f" {b} " or f" {b} " in f" {a} ":
                return False, f"option {texts[i]!r} and {texts[j]!r}: one contains the other"
    return True, None


def distractors_plausible(
    item: DraftItem,
    embed: Embedder,
    low: float = PLAUSIBLE_MIN,
    high: float = PLAUSIBLE_MAX,
) -> Result:
    """Each distractor's cosine to the answer is within ``[low, high]``."""
    distractors = _distractor_texts(item)
    if not distractors:
        return False, "no distractors"
    vectors = embed([item.answer, *distractors])
    cosines = vectors[1:] @ vectors[0]
    bad = [
        f"{t!r} ({c:.2f} {'< ' + str(low) if c < low else '> ' + str(high)})"
        for t, c in zip(distractors, cosines, strict=True)
        if not low <= c <= high
    ]
    if bad:
        return False, "distractor cosine outside the band: " + ", ".join(bad)
    return True, None


def stem_well_formed(item: DraftItem) -> Result:
    """Blank count, question mark, length limits, and the answer not visible in the stem."""
    stem = item.stem
    blanks = stem.count(BLANK)
    if re.search(r"_{3,}", stem.replace(BLANK, "")):
        return False, "a stray run of underscores besides the blank"
    if item.kind == "cloze" and blanks != 1:
        return False, f"a cloze stem needs exactly one blank, found {blanks}"
    if _is_choice(item):
        if "?" not in stem:
            return False, "a choice stem needs a question mark"
        if blanks > 1:
            return False, f"a choice stem has at most one blank, found {blanks}"
        if len(item.options) != 4:
            return False, f"a choice item needs 4 options, has {len(item.options)}"
    words = len(stem.replace(BLANK, " x ").split())
    if not STEM_MIN_WORDS <= words <= STEM_MAX_WORDS or len(stem) > STEM_MAX_CHARS:
        return False, f"stem length {words} words / {len(stem)} characters is out of bounds"
    if contains_words(stem, item.answer):
        return False, "the answer is visible in the stem"
    return True, None


def search_query(stem: str) -> str:
    """The stem as a tutor question: the fill-in lead and the blank removed."""
    return _squash(stem.replace(FILL_IN_LEAD, " ").replace(BLANK, " "))


def tutor_finds_source(
    item: DraftItem,
    index: TutorIndex,
    embed: Embedder | None = None,
    query_vector: npt.NDArray[np.float32] | None = None,
    k: int = TUTOR_TOP,
) -> Result:
    """The tutor's hybrid search for the stem returns the source page in its top ``k``."""
    query = search_query(item.stem)
    hits = index.search(
        query,
        [item.class_id] if item.class_id else [],
        k=k,
        method="hybrid",
        query_vector=query_vector,
        embed=embed,
    )
    if any(h.passage.content_id == item.content_id for h in hits):
        return True, None
    found = ", ".join(h.passage.content_id for h in hits) or "nothing"
    return False, f"the tutor's top {k} for the stem are {found}, not the source page"


def run_checks(
    item: DraftItem,
    *,
    page_text: str | None = None,
    index: TutorIndex | None = None,
    embed: Embedder | None = None,
    query_vectors: Mapping[str, npt.NDArray[np.float32]] | None = None,
    skip: Sequence[str] = (),
) -> DraftItem:
    """``item`` with its ``checks``, ``reasons`` and ``passed`` filled in.

    Checks that do not apply are left out of ``checks``: the distractor checks for cloze
    items, ``tutor_finds_source`` when no index is given, and any name in ``skip``.

    Args:
        item: The draft.
        page_text: The source page's body text (for ``answer_in_source``).
        index: The tutor index holding the item's class.
        embed: Embedder for distractor cosines and the tutor query (default: MiniLM).
        query_vectors: Precomputed tutor query vectors by query text.
        skip: Checks not to run.
    """
    emb = embed if embed is not None else VectorCache()
    results: dict[str, Result] = {"answer_in_source": answer_in_source(item, page_text)}
    if _is_choice(item):
        results["distractors_distinct"] = distractors_distinct(item)
        results["distractors_plausible"] = distractors_plausible(item, emb)
    results["stem_well_formed"] = stem_well_formed(item)
    if index is not None:
        vec = (query_vectors or {}).get(search_query(item.stem))
        results["tutor_finds_source"] = tutor_finds_source(item, index, emb, vec)
    results = {k: v for k, v in results.items() if k not in skip}
    checks = {name: ok for name, (ok, _) in results.items()}
    reasons = {name: why for name, (ok, why) in results.items() if not ok and why}
    return replace(item, checks=checks, reasons=reasons, passed=all(checks.values()))
