"""Readable text from HTML and Markdown with the standard library only: used for course pages
(``lake.sources.content``) and for forum post bodies (``lake.sources.forum``)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

# Elements whose content is never readable text.
_SKIP = frozenset({"script", "style", "noscript", "template", "head", "svg", "iframe", "object"})
# Elements that end a line of text (so words of adjacent blocks do not run together).
_BLOCK = frozenset(
    {
        "address", "article", "aside", "blockquote", "br", "dd", "details", "div", "dl", "dt",
        "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header",
        "hr", "li", "main", "nav", "ol", "p", "pre", "section", "summary", "table", "td", "th",
        "tr", "ul",
    }
)  # fmt: skip
_VOID = frozenset({"br", "hr", "img", "input", "meta", "link", "area", "base", "col", "wbr"})
_SPACES = re.compile(r"[ \t\f\v\r\u00a0]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")
_WORD = re.compile(r"\w+", re.UNICODE)


class _TextExtractor(HTMLParser):
    """Collects text outside skipped elements, plus ``<meta name=... content=...>`` and
    ``<title>``."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.meta: dict[str, str] = {}
        self.title_parts: list[str] = []
        self._skip_depth = 0
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "meta":
            a = {k.lower(): v for k, v in attrs if v is not None}
            if "name" in a and "content" in a:
                self.meta.setdefault(a["name"].strip().lower(), a["content"])
            return
        if tag == "title":
            self._in_title = True
        if tag in _SKIP and tag not in _VOID:
            self._skip_depth += 1
        if tag in _BLOCK:
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "meta":
            self.handle_starttag(tag, attrs)
        elif tag in _BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        if tag in _SKIP and self._skip_depth:
            self._skip_depth -= 1
        if tag in _BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title_parts.append(data)
        elif not self._skip_depth:
            self.parts.append(data)


def _tidy(text: str) -> str:
    """Runs of spaces to one, blank-line runs to one blank line, trimmed lines."""
    text = text.replace("\x00", "")
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def parse_html(html: str) -> tuple[str, dict[str, str], str | None]:
    """(readable body text, meta name -> content, ``<title>`` text or None) of an HTML page."""
    p = _TextExtractor()
    p.feed(html)
    p.close()
    title = _tidy("".join(p.title_parts)) or None
    return _tidy("".join(p.parts)), p.meta, title


def strip_html(text: str) -> str:
    """Text with HTML tags removed and entities decoded; plain text passes through unchanged
    apart from whitespace tidying (``a < b`` is not a tag and stays)."""
    if "<" not in text and "&" not in text:
        return _tidy(text)
    return parse_html(text)[0]


_MD_FENCE = re.compile(r"^[ \t]*(```|~~~).*$", re.MULTILINE)
_MD_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_MD_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_MD_REF_LINK = re.compile(r"\[([^\]]*)\]\[[^\]]*\]")
_MD_LINK_DEF = re.compile(r"^[ \t]{0,3}\[[^\]]+\]:\s+\S+.*$", re.MULTILINE)
_MD_HEADING = re.compile(r"^[ \t]{0,3}#{1,6}[ \t]*", re.MULTILINE)
_MD_QUOTE = re.compile(r"^[ \t]{0,3}>[ \t]?", re.MULTILINE)
_MD_LIST = re.compile(r"^[ \t]*([-*+]|\d+[.)])[ \t]+", re.MULTILINE)
_MD_RULE = re.compile(r"^[ \t]{0,3}([-*_][ \t]*){3,}$", re.MULTILINE)
_MD_EMPHASIS = re.compile(r"(\*\*|\*|~~|`)(?=\S)(.+?)(?<=\S)\1")
# Underscores only at word edges, so snake_case_names survive.
_MD_UNDERSCORE = re.compile(r"(?<!\w)(__|_)(?=\S)(.+?)(?<=\S)\1(?!\w)")


def markdown_to_text(md: str) -> str:
    """Readable text of a Markdown body: markup removed, link and image texts kept, inline HTML
    stripped like an HTML page."""
    text = _MD_FENCE.sub("", md)
    text = _MD_IMAGE.sub(r"\1", text)
    text = _MD_LINK.sub(r"\1", text)
    text = _MD_REF_LINK.sub(r"\1", text)
    text = _MD_LINK_DEF.sub("", text)
    text = _MD_RULE.sub("", text)
    text = _MD_HEADING.sub("", text)
    text = _MD_QUOTE.sub("", text)
    text = _MD_LIST.sub("", text)
    text = _MD_EMPHASIS.sub(r"\2", text)
    text = _MD_UNDERSCORE.sub(r"\2", text)
    return strip_html(text)


def word_count(text: str) -> int:
    """Words (runs of letters, digits or underscores) in ``text``."""
    return sum(1 for _ in _WORD.finditer(text))
