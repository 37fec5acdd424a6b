"""The tutor's retrieval: course-page passages ranked for a question with BM25.

:class:`TutorService` answers with the grounded tutor (``ml_assets.tutor``: BM25 + MiniLM
passages, cited by page and section, declining when nothing relevant is found) once the
``tutor_index`` asset has built its index; until then it is an extractive tutor: the most
relevant passages of the student's course pages by BM25, quoted, each page cited. It never
makes up text, and says so when nothing in the course matches.
"""

from __future__ import annotations

import logging
import math
import re
import threading
from collections import Counter
from dataclasses import dataclass
from typing import Any

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_STOP = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "can",
        "do",
        "does",
        "for",
        "from",
        "how",
        "i",
        "in",
        "is",
        "it",
        "me",
        "of",
        "on",
        "or",
        "the",
        "this",
        "to",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "with",
        "you",
        "your",
        "de",
        "la",
        "le",
        "les",
        "el",
        "los",
        "las",
        "un",
        "une",
        "y",
        "et",
        "es",
        "en",
        "que",
    ]
)


def tokens(text: str) -> list[str]:
    """Lower-case word tokens without stop words."""
    return [t for t in (w.casefold() for w in _WORD.findall(text)) if t not in _STOP]


@dataclass(frozen=True)
class Passage:
    """A paragraph of a course page."""

    content_id: str
    title: str | None
    module: str | None
    text: str
    terms: Counter[str]


def passages(pages: list[dict[str, Any]], max_chars: int = 700) -> list[Passage]:
    """Split pages into paragraph passages (headings kept with the text below them)."""
    out: list[Passage] = []
    for p in pages:
        body = p.get("body_text") or ""
        buf = ""
        for para in re.split(r"\n\s*\n", body):
            para = para.strip()
            if not para:
                continue
            if len(buf) + len(para) > max_chars and buf:
                out.append(_passage(p, buf))
                buf = ""
            buf = f"{buf}\n\n{para}" if buf else para
        if buf:
            out.append(_passage(p, buf))
    return out


def _passage(page: dict[str, Any], text: str) -> Passage:
    terms = Counter(tokens(f"{page.get('title') or ''} {text}"))
    return Passage(page["content_id"], page.get("title"), page.get("module"), text, terms)


def rank(question: str, corpus: list[Passage], k: int = 3) -> list[tuple[float, Passage]]:
    """The ``k`` best passages for ``question`` by Okapi BM25 (k1=1.2, b=0.75)."""
    q = tokens(question)
    if not q or not corpus:
        return []
    n = len(corpus)
    avg = sum(sum(p.terms.values()) for p in corpus) / n
    df = Counter(t for p in corpus for t in set(p.terms) if t in q)
    scored = []
    for p in corpus:
        length = sum(p.terms.values())
        s = 0.0
        for t in set(q):
            f = p.terms.get(t, 0)
            if not f:
                continue
            idf = math.log(1 + (n - df[t] + 0.5) / (df[t] + 0.5))
            s += idf * f * 2.2 / (f + 1.2 * (0.25 + 0.75 * length / avg))
        if s > 0:
            scored.append((s, p))
    scored.sort(key=lambda x: -x[0])
    return scored[:k]


class TutorService:
    """The grounded tutor when its index exists, the extractive BM25 tutor until then.

    The index is the folder the ``tutor_index`` asset wrote (``<lake>/models/tutor``), reloaded
    when its manifest changes. Questions are embedded with the packaged MiniLM encoder; loading
    it costs 10-20 s (torch), so :meth:`warm` starts it in a background thread at start-up
    when an index exists, and only tutor questions ever wait for it.
    """

    METHOD = "hybrid-bm25-minilm-rrf"

    def __init__(self, lake: Any) -> None:
        from pathlib import Path

        self.folder = Path(lake) / "models" / "tutor"
        self._index: Any = None
        self._key: int | None = None
        self._lock = threading.Lock()
        self._page_languages: tuple[int | None, dict[str, str]] = (None, {})

    def index(self) -> Any | None:
        """The current index, or None when the asset has not built one."""
        manifest = self.folder / "manifest.json"
        try:
            key = manifest.stat().st_mtime_ns
        except FileNotFoundError:
            return None
        if self._index is not None and key == self._key:
            return self._index
        with self._lock:
            if self._index is None or key != self._key:
                from ml_assets.tutor.index import TutorIndex

                self._index, self._key = TutorIndex.load(self.folder), key
            return self._index

    def page_languages(self) -> dict[str, str]:
        """content_id -> the detected language of the page (empty without an index)."""
        index = self.index()
        if index is None:
            return {}
        key, cached = self._page_languages
        if key == self._key:
            return cached
        out = {p.content_id: p.language for p in index.passages if p.language}
        self._page_languages = (self._key, out)
        return out

    def class_languages(self) -> dict[str, set[str]]:
        """class_id -> the languages of its pages (empty without an index)."""
        index = self.index()
        if index is None:
            return {}
        return {c: index.languages([c]) for c in index.class_ids()}

    def warm(self) -> None:
        """Load the index and the encoder in the background (no-op without an index)."""
        if not (self.folder / "manifest.json").is_file():
            return

        def load() -> None:
            try:
                from ml_assets.text.embed import encoder

                self.index()
                encoder()
            except Exception:  # the first question retries and reports the error
                logging.getLogger("learnsmart.api.tutor").exception("tutor warm-up failed")

        threading.Thread(target=load, name="tutor-warm-up", daemon=True).start()

    def ask(self, question: str, class_id: str, pages: list[dict[str, Any]]) -> dict[str, Any]:
        """An answer: ``answer`` (text), ``method``, ``sources``, ``is_answerable``,
        ``offer_teacher``, ``language``, ``confidence``."""
        index = self.index()
        if index is None:
            best = rank(question, passages(pages), k=2)
            return {
                "answer": "\n\n".join(f"From “{p.title}”:\n{p.text}" for _s, p in best)
                if best
                else NO_MATCH,
                "method": "extractive-bm25",
                "sources": [
                    {
                        "content_id": p.content_id,
                        "title": p.title,
                        "module": p.module,
                        "score": round(s, 3),
                    }
                    for s, p in best
                ],
                "is_answerable": bool(best),
                "offer_teacher": not best,
                "language": None,
                "confidence": None,
            }
        from ml_assets.tutor.answer import answer

        reply = answer(index, question, [class_id], k=3)
        text = (
            "\n\n".join(
                f"From “{p.citation.title}”"
                + (f", {p.citation.section}" if p.citation.section else "")
                + f":\n{p.text}"
                for p in reply.passages
            )
            if reply.is_answerable
            else reply.message
        )
        return {
            "answer": text,
            "method": self.METHOD,
            "sources": [
                {
                    "content_id": p.citation.content_id,
                    "title": p.citation.title,
                    "section": p.citation.section,
                    "score": round(p.score, 4),
                }
                for p in reply.passages
            ],
            "is_answerable": reply.is_answerable,
            "offer_teacher": reply.offer_teacher,
            "language": reply.language,
            "confidence": reply.confidence,
        }


NO_MATCH = "I could not find this in your course pages. Try other words, or ask in the class forum."
