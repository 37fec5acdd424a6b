"""Course pages split into citable passages for the tutor.

A passage is a run of whole paragraphs of one page section (about :data:`MIN_WORDS` to
:data:`MAX_WORDS` words), carrying what a citation needs: the page's ``content_id`` and title,
the nearest heading above it, and the page's language.

Silver ``content_pages.body_text`` is readable text: the loader strips the Markdown markers
(``# Title`` arrives as the line ``Title``) and HTML tags. Headings are therefore recognised
in two ways: a real Markdown heading line (``#``..``######``, for pages that still carry them),
or a paragraph that is one short line without closing punctuation (what a stripped heading
looks like). The page title is always the first section's heading.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

__all__ = [
    "MAX_WORDS",
    "MIN_WORDS",
    "Passage",
    "is_heading",
    "page_languages",
    "split_page",
    "split_pages",
]

MIN_WORDS = 40
MAX_WORDS = 120
# A heading-like paragraph: at most this many words and characters.
_HEADING_MAX_WORDS = 10
_HEADING_MAX_CHARS = 80
_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$")
_PARAGRAPHS = re.compile(r"\n\s*\n")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=\S)")
_WORD = re.compile(r"\w+", re.UNICODE)
# Navigation chrome that HTML pages keep in their readable text.
_CHROME = frozenset({"course home", "skip to content", "menu", "home"})


@dataclass(frozen=True)
class Passage:
    """A citable passage of a course page."""

    passage_id: str  # "<content_id>#<n>", n counting from 0 in page order
    content_id: str
    class_id: str | None
    title: str | None
    module: str | None
    week: int | None
    section: str | None  # the nearest heading above the passage (the title at the top)
    text: str
    language: str | None  # ISO 639-1 code of the page, None when undetected
    word_count: int

    def to_dict(self) -> dict[str, Any]:
        """The passage as a plain dict (one row of ``passages.parquet``)."""
        return asdict(self)


def _words(text: str) -> int:
    return len(_WORD.findall(text))


def is_heading(paragraph: str) -> bool:
    """Whether a paragraph of stripped page text reads as a heading.

    One line, at most 10 words and 80 characters, at least two words (single short tokens
    are mostly table cells), starting with a capital letter and not ending like a sentence
    or a lead-in (``.``, ``:``, ``;``, ``,``, ``?``, ``!``), and no formula signs.
    """
    p = paragraph.strip()
    if not p or "\n" in p or len(p) > _HEADING_MAX_CHARS:
        return False
    n = _words(p)
    if n < 2 or n > _HEADING_MAX_WORDS:
        return False
    return p[0].isupper() and p[-1] not in ".:;,?!" and not any(c in p for c in "=→+<>")


def _blocks(body: str, title: str | None) -> list[tuple[str | None, str]]:
    """(section heading, paragraph) pairs in page order; headings themselves are not
    paragraphs."""
    section = title.strip() if title else None
    out: list[tuple[str | None, str]] = []
    for raw in _PARAGRAPHS.split(body or ""):
        para = raw.strip()
        if not para:
            continue
        lines = para.splitlines()
        md = _MD_HEADING.match(lines[0])
        if md:
            section = md.group(1).strip()
            para = "\n".join(lines[1:]).strip()
            if not para:
                continue
        elif para.casefold() in _CHROME:
            continue
        elif title and para.strip() == title.strip():
            section = para  # the page's own title repeated as its first line
            continue
        elif is_heading(para):
            section = para
            continue
        out.append((section, " ".join(ln.strip() for ln in para.splitlines() if ln.strip())))
    return out


def _split_long(paragraph: str) -> list[str]:
    """A paragraph longer than MAX_WORDS as sentence runs of at most MAX_WORDS words."""
    if _words(paragraph) <= MAX_WORDS:
        return [paragraph]
    parts: list[str] = []
    buf = ""
    for sentence in _SENTENCE_END.split(paragraph):
        if buf and _words(buf) + _words(sentence) > MAX_WORDS:
            parts.append(buf)
            buf = ""
        buf = f"{buf} {sentence}".strip()
    if buf:
        parts.append(buf)
    return parts


def _chunks(blocks: list[tuple[str | None, str]]) -> list[tuple[str | None, str]]:
    """Paragraphs grouped into passages: a new passage at each section change, and when the
    next paragraph would push a passage of MIN_WORDS or more past MAX_WORDS."""
    chunks: list[tuple[str | None, list[str]]] = []
    for section, para in blocks:
        for piece in _split_long(para):
            if chunks and chunks[-1][0] == section:
                words = sum(_words(p) for p in chunks[-1][1])
                if words < MIN_WORDS or words + _words(piece) <= MAX_WORDS:
                    chunks[-1][1].append(piece)
                    continue
            chunks.append((section, [piece]))
    # A short tail joins the passage before it when they share a section and stay readable.
    merged: list[tuple[str | None, list[str]]] = []
    for section, paras in chunks:
        words = sum(_words(p) for p in paras)
        if merged and words < MIN_WORDS and merged[-1][0] == section:
            prev = sum(_words(p) for p in merged[-1][1])
            if prev + words <= MAX_WORDS + MIN_WORDS:
                merged[-1][1].extend(paras)
                continue
        merged.append((section, list(paras)))
    return [(s, "\n\n".join(p)) for s, p in merged]


def split_page(page: Mapping[str, Any], language: str | None = None) -> list[Passage]:
    """Split one ``content_pages`` row into passages.

    Args:
        page: A row with ``content_id``, ``body_text`` and optionally ``class_id``, ``title``,
            ``module``, ``week``.
        language: The page's language code (see :func:`page_languages`).
    """
    cid = str(page["content_id"])
    title = page.get("title")
    week = page.get("week")
    out: list[Passage] = []
    for n, (section, text) in enumerate(_chunks(_blocks(page.get("body_text") or "", title))):
        out.append(
            Passage(
                passage_id=f"{cid}#{n}",
                content_id=cid,
                class_id=page.get("class_id"),
                title=title,
                module=page.get("module"),
                week=int(week) if week is not None else None,
                section=section,
                text=text,
                language=language,
                word_count=_words(text),
            )
        )
    return out


def page_languages(
    pages: Sequence[Mapping[str, Any]],
    detect: Callable[[list[str]], list[str | None]] | None = None,
) -> list[str | None]:
    """The detected language of each page (title and body), ISO 639-1 or None.

    Args:
        pages: ``content_pages`` rows.
        detect: A batch language detector; defaults to
            :func:`ml_assets.forum.language.detect_language`.
    """
    if detect is None:
        from ml_assets.forum.language import detect_language

        detect = detect_language
    texts = [f"{p.get('title') or ''}\n\n{p.get('body_text') or ''}" for p in pages]
    return list(detect(texts)) if texts else []


def split_pages(
    pages: Iterable[Mapping[str, Any]],
    detect: Callable[[list[str]], list[str | None]] | None = None,
) -> list[Passage]:
    """Split ``content_pages`` rows into passages, detecting each page's language.

    Args:
        pages: ``content_pages`` rows (dicts).
        detect: A batch language detector (default: lingua through ``ml_assets.forum``).
    """
    rows = list(pages)
    languages = page_languages(rows, detect)
    return [p for row, lang in zip(rows, languages, strict=True) for p in split_page(row, lang)]
