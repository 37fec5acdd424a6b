"""The tutor's retrieval: course-page passages ranked for a question with BM25.

Until the grounded tutor model exists this is an extractive tutor: it answers with the most
relevant passages of the student's course pages, quoted, and cites each page. It never makes
up text, and says so when nothing in the course matches.
"""

from __future__ import annotations

import math
import re
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
