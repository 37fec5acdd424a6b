"""Key terms of a course page, ranked by TF-IDF against the other pages of its class.

A candidate is a run of 1-3 words inside one sentence clause (commas, brackets, colons and
semicolons end a run) with no stop word at either edge, no digits, and at most one inner
``of`` (``separation of powers``). Words that read as verbs or adverbs at a phrase's edge
(``-ed``, ``-ly``, ``-ing`` except gerund unigrams that are bold or capitalised, and a short
list of common verbs) are rejected: the project ships no part-of-speech tagger (nltk is
installed without its data), so "noun-phrase-like" is a suffix-and-stop-word heuristic.

Score of a candidate ``t`` on page ``p`` of a class with ``N`` pages::

    (1 + ln tf(t, p)) * (ln((1 + N) / (1 + df(t))) + 1) * length * bonus

``df`` counts the class pages whose candidates include ``t`` (so a term on every page gets
the smallest weight, and with ``N > 1`` a term on *every* page is dropped: it is not key to
this page), ``length`` is 1, 1.3, 1.5 for 1-3 words (longer exact phrases are rarer and more
specific), and ``bonus`` multiplies 1.5 for a term capitalised mid-sentence (a name), 2 for a
term in ``**bold**`` and 1.5 for a term in the title or a heading. A shorter candidate that
only ever occurs inside a longer kept one on the page (``powers`` inside ``separation of
powers``) is dropped. Without a tagger a word run is as often a verb phrase as a term, so an
English candidate that is neither bold nor a name is kept only when its head (last word) is
used as a noun somewhere in the class: at a sentence's start, right after a preposition, or
after a determiner (``the``, ``a``, ``its``, ...; one word may sit between), and followed by
punctuation or a stop word that is not a determiner (``the gradient (slope)``, but not
``each paragraph supports the thesis``); a phrase seen once on the page and on no other page
must itself stand in such a noun slot (``a dilute solution``, not ``loses water``).

Terms are compared by a normal form: accent-folded, lower-cased, possessive ``'s`` removed,
each word lightly stemmed with the tutor's English rules (``ml_assets.tutor.index.stem``).

Languages: English first. Stop words of Spanish and French (bm25s' lists) are used when the
page's language is ``es``/``fr``, and stemming follows the tutor's light es/fr rules; the
verb heuristics are English-only, so other languages get more verb-like candidates. Scripts
without spaces between words (Chinese, Japanese) yield no useful candidates.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bm25s.stopwords import STOPWORDS_EN_PLUS, STOPWORDS_FRENCH, STOPWORDS_SPANISH

from ml_assets.tutor.index import fold, stem
from ml_assets.tutor.passages import is_heading

__all__ = [
    "ClassVocabulary",
    "KeyTerm",
    "PageText",
    "Sentence",
    "class_vocabulary",
    "key_terms",
    "normalize",
    "page_text",
    "sentence_ok",
]

MAX_WORDS = 3
# Bonuses (multiplicative) for signals a teacher puts on key terms.
BOLD_BONUS = 2.0
HEADING_BONUS = 1.5
CAPITAL_BONUS = 1.5
LENGTH_WEIGHT = {1: 1.0, 2: 1.3, 3: 1.5}
# Sentences usable as item sources: enough context, not a paragraph.
SENTENCE_MIN_WORDS = 8
SENTENCE_MAX_WORDS = 45

_EXTRA_STOP_EN = (
    "also always often usually many much every one two three first second last next new "
    "may might must can could would shall let like just even still yet well however thus "
    "therefore instead rather whatever whenever whether within without among upon onto "
    "another either neither via per each etc eg ie example examples e.g i.e "
    "mean means meant make makes made give gives gave given use uses used using get gets "
    "got take takes took taken keep keeps kept show shows showed shown become becomes "
    "became include includes including called known find finds found say says said see "
    "sees saw seen put puts come comes came go goes went gone look looks need needs "
    "help helps want wants try tries work works call calls tell tells think thinks ask asks "
    "lead leads led bring brings brought set sets turn turns move moves keep let lets "
    "happen happens happened follow follows write writes wrote written read reads "
    "explain explains describe describes remember note notes page week lesson lessons "
    "today way ways thing things lot lots kind kinds part parts something anything "
    "everything nothing someone anyone everyone good bad big small large great "
    "same different important main simple simply own whole certain number"
)
_STOP = {
    "en": frozenset(fold(w) for w in [*STOPWORDS_EN_PLUS, *_EXTRA_STOP_EN.split()]),
    "es": frozenset(fold(w) for w in STOPWORDS_SPANISH),
    "fr": frozenset(fold(w) for w in STOPWORDS_FRENCH),
}
# Inner words allowed inside a phrase (never at its edges).
_INNER = {"en": {"of"}, "es": {"de", "del"}, "fr": {"de", "du", "des"}}
_WORD = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*", re.UNICODE)
_TOKEN = re.compile(r"[^\W_]+(?:[-'’.][^\W_]+)*|[^\w\s]", re.UNICODE)
_POSSESSIVE = re.compile(r"['’]s$")
_BOLD = re.compile(r"\*\*(.+?)\*\*|__(.+?)__", re.DOTALL)
_MD_MARK = re.compile(r"\*\*|__|`")
_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$")
_PARAGRAPHS = re.compile(r"\n\s*\n")
_ABBREVIATIONS = ("e.g.", "i.e.", "etc.", "Mr.", "Mrs.", "Dr.", "St.", "vs.", "c.", "approx.")
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"”’)]?\s+(?=[\"“(]?[A-Z0-9])")
# Edges that read as verbs, adverbs or adjectives rather than noun-phrase heads.
_EDGE_SUFFIX_EN = ("ly", "ed")
_HEAD_SUFFIX_EN = ("ous", "ful", "less", "ing")
_NOT_VERB_EN = ("eed", "hundred", "kindred", "sacred", "wicked", "naked", "family", "ally")
# Words after which the next word (or the one after an adjective) is a noun.
_DETERMINERS = frozenset(
    [
        "the",
        "a",
        "an",
        "its",
        "their",
        "his",
        "her",
        "our",
        "your",
        "this",
        "that",
        "these",
        "those",
        "each",
        "every",
        "no",
        "any",
        "some",
        "another",
    ]
)
# A word followed by one of these is more likely a verb ("supports the thesis").
_NOT_AFTER_NOUN = _DETERMINERS | frozenset(["him", "them", "me", "us", "you", "it"])
_PREPOSITIONS = frozenset(["of", "in", "into", "from", "with", "by", "for", "on", "at", "about"])
_AFTER_PHRASE = frozenset(
    [
        "of",
        "is",
        "are",
        "was",
        "were",
        "has",
        "have",
        "had",
        "and",
        "or",
        "in",
        "on",
        "at",
        "to",
        "for",
        "with",
        "from",
        "by",
        "as",
        "than",
        "that",
        "which",
        "who",
        "can",
        "will",
    ]
)
# Sentences starting with these depend on an earlier sentence for their subject.
_PRONOUN_START = frozenset(
    [
        "it",
        "this",
        "these",
        "they",
        "its",
        "their",
        "he",
        "she",
        "his",
        "her",
        "that",
        "those",
        "such",
        "there",
        "here",
        "then",
        "so",
        "but",
        "and",
        "or",
        "because",
        "however",
        "which",
    ]
)
_FORMULA = re.compile(r"[=×÷<>→/^²³]|\b\d+\s*[-+*]\s*\d+")


def normalize(term: str, language: str | None = "en") -> str:
    """The comparison form of a term: folded, lower-cased, possessives dropped, each word
    lightly stemmed (``"Proteins'"`` and ``"protein"`` agree)."""
    words = []
    for w in _WORD.findall(fold(term)):
        w = _POSSESSIVE.sub("", w).strip("'’")
        if w:
            words.append("-".join(stem(part, language) for part in w.split("-")))
    return " ".join(words)


@dataclass(frozen=True)
class Sentence:
    """A sentence of a page's body text (Markdown markers removed)."""

    text: str
    section: str | None  # the nearest heading above it (the title at the top)
    position: int  # order in the page, from 0


@dataclass(frozen=True)
class PageText:
    """A page read for term extraction: sentences, headings and bold spans."""

    content_id: str
    title: str | None
    sentences: list[Sentence]
    headings: list[str]
    bold: list[str]


@dataclass
class KeyTerm:
    """A key term of a page, with the sentences it occurs in (page order)."""

    term: str  # the surface form as the page writes it (most common casing)
    norm: str  # see :func:`normalize`
    score: float
    count: int  # occurrences in the page's sentences
    df: int  # class pages (this one included) whose candidates include it
    words: int
    capitalised: bool  # written with a capital mid-sentence (a name)
    bold: bool
    in_heading: bool
    sentences: list[str] = field(default_factory=list)


def _split_sentences(paragraph: str) -> list[str]:
    protected = paragraph
    for i, abbr in enumerate(_ABBREVIATIONS):
        protected = protected.replace(abbr, f"\x00{i}\x00")
    out = []
    for s in _SENTENCE_END.split(protected):
        for i, abbr in enumerate(_ABBREVIATIONS):
            s = s.replace(f"\x00{i}\x00", abbr)
        s = s.strip()
        if s:
            out.append(s)
    return out


def page_text(page: Mapping[str, Any]) -> PageText:
    """Sentences, headings and bold spans of a ``content_pages`` row.

    Works on silver ``body_text`` (Markdown markers already stripped, headings as short
    lines) and on raw Markdown (``#`` headings, ``**bold**``).
    """
    body = str(page.get("body_text") or "")
    title = page.get("title")
    bold = [fold(a or b).strip() for a, b in _BOLD.findall(body)]
    section: str | None = title.strip() if isinstance(title, str) and title.strip() else None
    headings = [section] if section else []
    sentences: list[Sentence] = []
    for raw in _PARAGRAPHS.split(body):
        para = raw.strip()
        if not para:
            continue
        lines = para.splitlines()
        md = _MD_HEADING.match(lines[0])
        if md:
            section = _MD_MARK.sub("", md.group(1)).strip()
            headings.append(section)
            para = "\n".join(lines[1:]).strip()
            if not para:
                continue
        elif title and para == str(title).strip():
            continue
        elif is_heading(_MD_MARK.sub("", para)):
            section = _MD_MARK.sub("", para).strip()
            headings.append(section)
            continue
        joined = " ".join(ln.strip() for ln in para.splitlines() if ln.strip())
        joined = _MD_MARK.sub("", joined)
        for s in _split_sentences(joined):
            sentences.append(Sentence(s, section, len(sentences)))
    return PageText(str(page.get("content_id")), title, sentences, headings, bold)


def sentence_ok(text: str) -> bool:
    """Whether a sentence can stand alone as an item source.

    8-45 words, a statement (ends with ``.``), starts with a capital letter, not with a
    pronoun or connective that needs the previous sentence, and no formula.
    """
    words = text.split()
    if not SENTENCE_MIN_WORDS <= len(words) <= SENTENCE_MAX_WORDS:
        return False
    if not text.endswith(".") or not text[0].isupper():
        return False
    first = fold(words[0]).strip(",;:\"'“”")
    if first in _PRONOUN_START or text.rstrip(".").endswith(":"):
        return False
    return not _FORMULA.search(text) and "?" not in text and ":" not in text


def _verbish(word: str, edge: str, n: int) -> bool:
    """Whether an English word at a phrase edge reads as a verb/adverb/adjective."""
    w = fold(word)
    if w.endswith(_EDGE_SUFFIX_EN) and len(w) > 4 and not w.endswith(_NOT_VERB_EN):
        return True
    return edge == "last" and n > 1 and w.endswith(_HEAD_SUFFIX_EN) and len(w) > 5


def _clauses(sentence: str) -> list[list[str]]:
    """Word runs of a sentence between punctuation marks (a phrase never crosses one)."""
    runs: list[list[str]] = [[]]
    for tok in _TOKEN.findall(sentence):
        if _WORD.fullmatch(tok):
            runs[-1].append(tok)
        else:
            runs.append([])
    return [r for r in runs if r]


def _candidates(sentence: str, language: str | None) -> Iterable[tuple[str, str, bool, int]]:
    """(surface, norm, capitalised mid-sentence, word count) of each candidate n-gram."""
    lang = language if language in _STOP else "en"
    stop, inner = _STOP[lang], _INNER[lang]
    first_word = True
    for run in _clauses(sentence):
        folded = [fold(w) for w in run]
        for i in range(len(run)):
            for n in range(1, MAX_WORDS + 1):
                if i + n > len(run):
                    break
                words, low = run[i : i + n], folded[i : i + n]
                if low[0] in stop or low[-1] in stop or low[0] in inner or low[-1] in inner:
                    continue
                if any(w in stop and w not in inner for w in low[1:-1]):
                    continue
                if sum(w in inner for w in low) > 1 or any(len(w) < 3 for w in (low[0], low[-1])):
                    continue
                if lang == "en" and (
                    any(_verbish(w, "first", n) for w in words[:-1])
                    or _verbish(words[-1], "last", n)
                ):
                    continue
                mid = not (first_word and i == 0)
                capital = mid and all(w[0].isupper() for w in words if fold(w) not in inner)
                yield " ".join(words), normalize(" ".join(words), lang), capital, n
        first_word = False


def _gerund_unigram(surface: str) -> bool:
    return " " not in surface and fold(surface).endswith("ing")


def _page_candidates(
    text: PageText, language: str | None
) -> tuple[Counter[str], dict[str, Counter[str]], dict[str, int], dict[str, list[str]], set[str]]:
    """Candidate counts, surface forms, mid-sentence capital counts and sentences per norm,
    and the norms of words seen in a noun slot (see :func:`_noun_slots`)."""
    counts: Counter[str] = Counter()
    surfaces: dict[str, Counter[str]] = defaultdict(Counter)
    capitals: dict[str, int] = defaultdict(int)
    sentences: dict[str, list[str]] = defaultdict(list)
    nouns: set[str] = set()
    for s in text.sentences:
        nouns.update(_noun_slots(s.text, language))
        for surface, norm, capital, _ in _candidates(s.text, language):
            if not norm:
                continue
            counts[norm] += 1
            surfaces[norm][surface] += 1
            capitals[norm] += capital
            if not sentences[norm] or sentences[norm][-1] != s.text:
                sentences[norm].append(s.text)
    return counts, surfaces, capitals, sentences, nouns


def _noun_slots(sentence: str, language: str | None) -> set[str]:
    """Norms of single words used as a noun phrase's head somewhere in the sentence: after
    a determiner (maybe with one word between) and before a stop word or punctuation."""
    if language not in (None, "en"):
        return set()
    stop = _STOP["en"]
    toks = _TOKEN.findall(sentence)
    is_word = [bool(_WORD.fullmatch(t)) for t in toks]
    low = [fold(t) for t in toks]
    out: set[str] = set()
    for i in range(len(toks)):
        det = (
            i == 0
            or (i >= 1 and (low[i - 1] in _DETERMINERS or low[i - 1] in _PREPOSITIONS))
            or (i >= 2 and low[i - 2] in _DETERMINERS and is_word[i - 1])
        )
        if not det:
            continue
        for j in range(i, min(i + MAX_WORDS, len(toks))):
            if not is_word[j] or low[j] in stop or _verbish(toks[j], "first", 1):
                break
            after = (
                j + 1 >= len(toks)
                or not is_word[j + 1]
                or (low[j + 1] in stop and low[j + 1] not in _NOT_AFTER_NOUN)
            )
            if after and j + 1 < len(toks) and is_word[j + 1] and j > i:
                # "a wave passes through": after "det + word", only a clear noun-phrase
                # ending (of, is, and, ...) counts, or a verb slips in.
                after = low[j + 1] in _AFTER_PHRASE
            if after:
                out.add(normalize(" ".join(toks[i : j + 1]), language))
                out.add(normalize(toks[j], language))
    return out


def _surface(forms: Counter[str], capital: bool) -> str:
    """The most common written form; unless the term is a name, a sentence-initial capital
    is not part of it (``Diffusion`` -> ``diffusion``, but ``DNA`` stays)."""
    best = sorted(forms.items(), key=lambda kv: (-kv[1], not kv[0].islower(), kv[0]))[0][0]
    first = best.split(" ", 1)[0]
    if not capital and first[:1].isupper() and first[1:].islower():
        best = best[0].lower() + best[1:]
    return best


def key_terms(
    page: Mapping[str, Any],
    class_pages: Sequence[Mapping[str, Any]],
    language: str | None = "en",
    top: int | None = 30,
    vocabulary: ClassVocabulary | None = None,
) -> list[KeyTerm]:
    """The key terms of ``page``, best first.

    Args:
        page: A ``content_pages`` row (``content_id``, ``title``, ``body_text``).
        class_pages: The class's pages (``page`` may be among them; it is counted once).
        language: The page's language code (stop words and stemming; English when unknown).
        top: How many terms to return (None: all).
        vocabulary: The class's :func:`class_vocabulary`, if already computed (saves
            re-reading every page of the class for each page).

    Returns:
        :class:`KeyTerm` rows with the sentences each term occurs in.
    """
    text = page_text(page)
    counts, surfaces, capitals, sentences, nouns = _page_candidates(text, language)
    english = language in (None, "en")
    if vocabulary is None:
        vocabulary = class_vocabulary(class_pages, language)
    nouns = nouns | vocabulary.nouns
    others = {c: n for c, n in vocabulary.norms.items() if c != text.content_id}
    n_pages = len(others) + 1
    df: Counter[str] = Counter()
    for norms in others.values():
        df.update(n for n in norms if n in counts)
    bold_norms = {normalize(b, language) for b in text.bold}
    heading_words = {normalize(h, language) for h in text.headings}
    heading_text = " " + " ".join(heading_words) + " "

    terms: list[KeyTerm] = []
    for norm, tf in counts.items():
        d = df[norm] + 1
        if n_pages > 1 and d >= n_pages:
            continue  # on every page of the class: not key to this one
        n_words = len(norm.split())
        capital = capitals[norm] > 0 and capitals[norm] * 2 >= tf
        surface = _surface(surfaces[norm], capital)
        bold = norm in bold_norms
        heading = f" {norm} " in heading_text
        marked = bold or capital or heading
        # Without a tagger, a word run is as likely a verb phrase ("legitimate government
        # rests") as a term: its head (last word) must be used as a noun in the class.
        if english and not (bold or capital) and norm.split()[-1] not in nouns:
            continue
        # A one-off phrase must itself stand in a noun slot ("a dilute solution", not
        # "loses water").
        if english and n_words > 1 and tf < 2 and d < 2 and not marked and norm not in nouns:
            continue
        if _gerund_unigram(surface) and not (bold or capital):
            continue
        bonus = (
            (CAPITAL_BONUS if capital else 1.0)
            * (BOLD_BONUS if bold else 1.0)
            * (HEADING_BONUS if heading else 1.0)
        )
        idf = math.log((1 + n_pages) / (1 + d)) + 1
        score = (1 + math.log(tf)) * idf * LENGTH_WEIGHT.get(n_words, 1.5) * bonus
        terms.append(
            KeyTerm(
                term=surface,
                norm=norm,
                score=round(score, 6),
                count=tf,
                df=d,
                words=n_words,
                capitalised=capital,
                bold=bold,
                in_heading=heading,
                sentences=list(sentences[norm]),
            )
        )
    terms.sort(key=lambda t: (-t.score, t.norm))
    kept = _drop_nested(terms, counts)
    return kept[:top] if top is not None else kept


def _drop_nested(terms: list[KeyTerm], counts: Counter[str]) -> list[KeyTerm]:
    """Drop a shorter term that only occurs inside longer terms of the page (the longer,
    more specific phrase is the key term)."""
    longer = [t for t in terms if t.words > 1]
    out = []
    for t in terms:
        inside = max(
            (
                counts[o.norm]
                for o in longer
                if o.words > t.words and f" {t.norm} " in f" {o.norm} "
            ),
            default=0,
        )
        if inside >= t.count:
            continue
        out.append(t)
    return out


@dataclass(frozen=True)
class ClassVocabulary:
    """What term ranking needs from a class's pages: each page's candidate norms (document
    frequencies) and the words the class uses as nouns."""

    norms: dict[str, set[str]]
    nouns: set[str]


def class_vocabulary(
    pages: Sequence[Mapping[str, Any]], language: str | None = "en"
) -> ClassVocabulary:
    """Candidate norms per ``content_id`` and noun-slot words of a class's pages."""
    norms: dict[str, set[str]] = {}
    nouns: set[str] = set()
    for p in pages:
        counts, _, _, _, page_nouns = _page_candidates(page_text(p), language)
        norms[str(p.get("content_id"))] = set(counts)
        nouns |= page_nouns
    return ClassVocabulary(norms, nouns)
