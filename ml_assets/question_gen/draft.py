"""Quiz item drafts from a course page: cloze items and multiple-choice items whose
distractors are other key terms of the class, each with its automatic check results.

For each key term of the page (best first, :mod:`ml_assets.question_gen.terms`) one source
sentence is picked: a sentence that stands alone (:func:`~ml_assets.question_gen.terms.
sentence_ok`), contains the term exactly once, and is not used by another item of the page.

* **multiple choice** when a definition pattern applies (``X is/are the Y of Z.`` ->
  "What is the Y of Z?"; ``The Y of Z is X.`` -> "What is the Y of Z?"; ``... is called X.``
  -> "What is ... called?"); otherwise items alternate between the two kinds, and a choice
  item without a pattern gets a fill-in stem ("Which term completes the sentence? ...
  ______ ...").
* **cloze**: the sentence with the term replaced by ``______`` (an item-bank
  ``short_answer`` item whose accepted response is the term).

Distractors are key terms of the same class (any page) ranked by MiniLM cosine to the
answer, kept when inside the plausible band of :mod:`ml_assets.question_gen.checks`, not the
same lemma, not a word-level substring or superstring, without the answer's head (last) word,
not in the source sentence, written the same way (a name among names, a common noun among
common nouns), and not near-duplicates of each other. When fewer than three are inside the
band, the nearest ones below it fill the gap and ``distractors_plausible`` says so; when
there are still fewer than three, the item becomes a cloze item.

Drafts mirror the item bank's item fields (``docs/formats.md``: ``item_id``, ``item_type``,
``stem``, ``options`` with ``option_id``/``text``, ``correct_option_ids``, ``skill_ids``,
``max_score``, ``correct_responses``); :meth:`DraftItem.to_item` gives the publishable item.
"""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from ml_assets.question_gen.checks import (
    BLANK,
    FILL_IN_LEAD,
    PLAUSIBLE_MAX,
    PLAUSIBLE_MIN,
    VectorCache,
    contains_words,
    run_checks,
    search_query,
)
from ml_assets.question_gen.terms import (
    ClassVocabulary,
    KeyTerm,
    class_vocabulary,
    key_terms,
    normalize,
    sentence_ok,
)
from ml_assets.tutor.index import TutorIndex

__all__ = [
    "N_DISTRACTORS",
    "ClassTerms",
    "DraftItem",
    "Option",
    "class_terms",
    "draft_items",
    "pick_distractors",
    "question_stem",
]

Kind = Literal["cloze", "multiple_choice"]
Embedder = Callable[[list[str]], npt.NDArray[np.float32]]
N_DISTRACTORS = 3
OPTION_IDS = ("a", "b", "c", "d")
TERMS_PER_PAGE = 30
_BE = r"(?P<be>is|are|was|were)"
_DEFINES = r"^(?:(?:The|A|An) )?{ans} " + _BE + r" (?P<rest>.+)\.$"
_DEFINED = r"^(?P<rest>.+?) " + _BE + r" (?:the |a |an )?{ans}\.$"
_CALLED = (
    r"^(?P<rest>.+?) " + _BE + r" (?P<called>called|known as|named|termed) (?:the |a |an )?"
    r"{ans}\.$"
)


@dataclass(frozen=True)
class Option:
    """An answer option, as in the item bank."""

    option_id: str
    text: str


@dataclass(frozen=True)
class DraftItem:
    """A drafted quiz item awaiting a teacher's approval.

    ``item_type`` is the item bank's type (``multiple_choice`` or ``short_answer`` for a
    cloze item); ``checks`` maps each check that applies to its result, ``reasons`` the
    failed ones to why; ``meta`` holds the evidence (term score, distractor cosines).
    """

    item_id: str
    content_id: str
    class_id: str | None
    kind: Kind
    item_type: str
    stem: str
    options: list[Option]
    correct_option_ids: list[str]
    correct_responses: list[str]
    answer: str
    source_sentence: str
    skill_ids: list[str] = field(default_factory=list)
    max_score: int = 1
    checks: dict[str, bool] = field(default_factory=dict)
    passed: bool = False
    reasons: dict[str, str] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The draft as JSON-ready plain data."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DraftItem:
        """The inverse of :meth:`to_dict`."""
        values = dict(data)
        values["options"] = [Option(**o) for o in values.get("options", [])]
        return cls(**values)

    def to_item(self) -> dict[str, Any]:
        """The draft as an item of a ``learnsmart.item_bank/1`` bank (``docs/formats.md``)."""
        item: dict[str, Any] = {
            "item_id": self.item_id,
            "item_type": self.item_type,
            "stem": self.stem,
            "options": [asdict(o) for o in self.options],
            "correct_option_ids": list(self.correct_option_ids),
            "skill_ids": list(self.skill_ids),
            "max_score": self.max_score,
        }
        if self.item_type == "short_answer":
            item["correct_responses"] = list(self.correct_responses)
        return item


@dataclass
class ClassTerms:
    """The key terms of every page of a class, with one embedding per distinct term."""

    class_id: str | None
    vocabulary: ClassVocabulary
    by_page: dict[str, list[KeyTerm]]
    pool: list[KeyTerm]  # one per distinct norm, best score first
    vectors: npt.NDArray[np.float32]  # row i embeds pool[i].term
    row: dict[str, int]  # norm -> row


def class_terms(
    class_pages: Sequence[Mapping[str, Any]],
    embed: Embedder | None = None,
    languages: Mapping[str, str | None] | None = None,
) -> ClassTerms:
    """Key terms of each page of one class, embedded in one batch.

    Args:
        class_pages: ``content_pages`` rows of one class.
        embed: Embedder for the terms (default: the shared MiniLM encoder).
        languages: Page language by ``content_id`` (English when missing).
    """
    languages = languages or {}
    vocab = class_vocabulary(class_pages)
    by_page: dict[str, list[KeyTerm]] = {}
    best: dict[str, KeyTerm] = {}
    for p in class_pages:
        cid = str(p.get("content_id"))
        terms = key_terms(p, class_pages, languages.get(cid, "en"), TERMS_PER_PAGE, vocab)
        by_page[cid] = terms
        for t in terms:
            if t.norm not in best or t.score > best[t.norm].score:
                best[t.norm] = t
    pool = sorted(best.values(), key=lambda t: (-t.score, t.norm))
    emb = embed if embed is not None else VectorCache()
    vectors = emb([t.term for t in pool]) if pool else np.zeros((0, 1), dtype=np.float32)
    class_id = class_pages[0].get("class_id") if class_pages else None
    return ClassTerms(
        class_id, vocab, by_page, pool, vectors, {t.norm: i for i, t in enumerate(pool)}
    )


def _item_id(content_id: str, sentence: str, answer: str) -> str:
    digest = hashlib.sha256(f"{content_id}\x1f{sentence}\x1f{answer}".encode()).hexdigest()
    return f"qg-{digest[:16]}"


def _occurrences(sentence: str, term: str) -> list[re.Match[str]]:
    pattern = r"(?<!\w)" + r"\s+".join(re.escape(w) for w in term.split()) + r"(?!\w)"
    return list(re.finditer(pattern, sentence, flags=re.IGNORECASE))


def _blank(sentence: str, match: re.Match[str]) -> str:
    return sentence[: match.start()] + BLANK + sentence[match.end() :]


def _lower_first(text: str) -> str:
    first = text.split(" ", 1)[0]
    if first[:1].isupper() and first[1:].islower() and first not in ("I",):
        return text[0].lower() + text[1:]
    return text


def question_stem(sentence: str, answer: str) -> str | None:
    """A "What ...?" question from a defining sentence whose answer is ``answer``, or None.

    ``Velocity is speed in a given direction.`` (answer ``velocity``) -> ``What is speed in
    a given direction?``; ``The unit of force is the newton.`` (answer ``newton``) ->
    ``What is the unit of force?``; ``Water moving into a cell is called osmosis.`` ->
    ``What is water moving into a cell called?``.
    """
    ans = r"\s+".join(re.escape(w) for w in answer.split())
    for template in (_CALLED, _DEFINED, _DEFINES):
        m = re.match(template.format(ans=ans), sentence, flags=re.IGNORECASE)
        if not m:
            continue
        rest = m.group("rest").strip()
        if len(rest.split()) < 3 or contains_words(rest, answer):
            continue
        be = m.group("be").lower()
        if template is _CALLED:
            return f"What {be} {_lower_first(rest)} {m.group('called').lower()}?"
        if template is _DEFINED:
            return f"What {be} {_lower_first(rest)}?"
        return f"What {be} {rest}?"
    return None


def _related(a: KeyTerm, b: KeyTerm) -> bool:
    """Same lemma, one inside the other, or the same head word: too close to be a distractor
    (or two distractors too close to each other)."""
    if a.norm == b.norm:
        return True
    if f" {a.norm} " in f" {b.norm} " or f" {b.norm} " in f" {a.norm} ":
        return True
    return a.norm.split()[-1] == b.norm.split()[-1]


def pick_distractors(
    answer: KeyTerm,
    terms: ClassTerms,
    sentence: str,
    n: int = N_DISTRACTORS,
    low: float = PLAUSIBLE_MIN,
    high: float = PLAUSIBLE_MAX,
) -> list[tuple[KeyTerm, float]]:
    """Up to ``n`` distractors for ``answer`` with their cosines, nearest first.

    Inside ``[low, high]`` first; the nearest below ``low`` fill any gap. Never above
    ``high`` (a synonym would make two options correct).
    """
    if answer.norm not in terms.row or not len(terms.pool):
        return []
    cos = terms.vectors @ terms.vectors[terms.row[answer.norm]]
    sentence_norm = f" {normalize(sentence)} "
    order = np.argsort(-cos, kind="stable")
    inside: list[tuple[KeyTerm, float]] = []
    below: list[tuple[KeyTerm, float]] = []
    for i in order:
        cand, c = terms.pool[int(i)], float(cos[int(i)])
        if c > high or cand.capitalised != answer.capitalised or _related(answer, cand):
            continue
        if f" {cand.norm} " in sentence_norm or contains_words(sentence, cand.term):
            continue
        (inside if c >= low else below).append((cand, c))
    chosen: list[tuple[KeyTerm, float]] = []
    for cand, c in [*inside, *below]:
        if len(chosen) == n:
            break
        if any(_related(cand, o) for o, _ in chosen):
            continue
        if any(
            float(terms.vectors[terms.row[cand.norm]] @ terms.vectors[terms.row[o.norm]]) > high
            for o, _ in chosen
        ):
            continue
        chosen.append((cand, c))
    return chosen


def _choose_sentence(term: KeyTerm, used: set[str]) -> tuple[str, re.Match[str], str | None] | None:
    """(sentence, the term's match, question stem) for the best unused sentence: a
    defining sentence if there is one, else the first that stands alone."""
    fallback = None
    for s in term.sentences:
        if s in used or not sentence_ok(s):
            continue
        matches = _occurrences(s, term.term)
        if len(matches) != 1:
            continue
        q = question_stem(s, matches[0].group(0))
        if q is not None:
            return s, matches[0], q
        if fallback is None:
            fallback = (s, matches[0], None)
    return fallback


def draft_items(
    page: Mapping[str, Any],
    class_pages: Sequence[Mapping[str, Any]],
    index: TutorIndex | None = None,
    max_items: int = 10,
    seed: int = 0,
    *,
    embed: Embedder | None = None,
    terms: ClassTerms | None = None,
    check: bool = True,
) -> list[DraftItem]:
    """Draft up to ``max_items`` quiz items from ``page``, checked.

    Args:
        page: A silver ``content_pages`` row (``content_id``, ``class_id``, ``title``,
            ``body_text``, ...).
        class_pages: The pages of the page's class (the page may be among them).
        index: The tutor index for ``tutor_finds_source`` (built from ``class_pages`` when
            None and ``check`` is true).
        max_items: Most drafts to return.
        seed: Seed of the option order (the same seed gives the same drafts).
        embed: Embedder for terms, cosines and tutor queries (default: MiniLM).
        terms: The class's :func:`class_terms`, if already computed.
        check: Run :func:`~ml_assets.question_gen.checks.run_checks` on each draft.

    Returns:
        Drafts in key-term order, each with ``checks``, ``passed`` and ``reasons``.
    """
    emb = embed if isinstance(embed, VectorCache) else VectorCache(embed)
    pages = list(class_pages)
    cid = str(page["content_id"])
    if not any(str(p.get("content_id")) == cid for p in pages):
        pages.append(page)
    if terms is None:
        terms = class_terms(pages, emb)
    used: set[str] = set()
    drafts: list[DraftItem] = []
    kinds = {"cloze": 0, "multiple_choice": 0}
    for term in terms.by_page.get(cid, []):
        if len(drafts) >= max_items:
            break
        picked = _choose_sentence(term, used)
        if picked is None:
            continue
        sentence, match, question = picked
        answer = match.group(0) if term.capitalised else _lower_first(match.group(0))
        want_choice = question is not None or kinds["multiple_choice"] < kinds["cloze"]
        distractors = pick_distractors(term, terms, sentence) if want_choice else []
        item_id = _item_id(cid, sentence, answer)
        meta: dict[str, Any] = {"term_score": term.score, "term_norm": term.norm}
        if want_choice and len(distractors) == N_DISTRACTORS:
            stem = question or f"{FILL_IN_LEAD} {_blank(sentence, match)}"
            texts = [answer, *(d.term for d, _ in distractors)]
            order = list(range(len(texts)))
            random.Random(f"{seed}:{item_id}").shuffle(order)
            options = [Option(OPTION_IDS[k], texts[i]) for k, i in enumerate(order)]
            correct = [OPTION_IDS[order.index(0)]]
            meta["distractor_cosines"] = {d.term: round(c, 4) for d, c in distractors}
            draft = DraftItem(
                item_id, cid, page.get("class_id"), "multiple_choice", "multiple_choice",
                stem, options, correct, [], answer, sentence, meta=meta,
            )  # fmt: skip
        else:
            draft = DraftItem(
                item_id, cid, page.get("class_id"), "cloze", "short_answer",
                _blank(sentence, match), [], [answer], [answer], answer, sentence, meta=meta,
            )  # fmt: skip
        used.add(sentence)
        kinds[draft.kind] += 1
        drafts.append(draft)
    if not check or not drafts:
        return drafts
    if index is None:
        index = TutorIndex.from_pages(pages, embed=emb)
    queries = list(dict.fromkeys(search_query(d.stem) for d in drafts))
    qv = dict(zip(queries, emb(queries), strict=True))
    body = str(page.get("body_text") or "")
    return [run_checks(d, page_text=body, index=index, embed=emb, query_vectors=qv) for d in drafts]
