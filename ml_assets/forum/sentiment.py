"""Sentiment of forum posts: VADER's compound score, English only.

VADER (Hutto & Gilbert, 2014) is a lexicon and rule model tuned on English social-media text:
it reads negation ("not good"), intensifiers ("very"), capitals, "!" and emoticons, and gives a
compound score from -1 (most negative) to +1 (most positive); |score| < 0.05 is usually read
as neutral.

Limits: it knows English words only, so it returns ``None`` for posts detected as another
language (or whose language cannot be told): scoring them would read as neutral and mislead.
It misses sarcasm and domain sense ("this assignment killed me" is negative to VADER either
way; "the grade is positive" is not praise), and a frustrated but polite question often scores
near neutral. Treat it as a coarse signal for dashboards, not a judgement on a student.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

from ml_assets.forum.language import detect_language

if TYPE_CHECKING:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

__all__ = ["compound", "sentiment"]


@lru_cache(maxsize=1)
def _analyzer() -> SentimentIntensityAnalyzer:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def compound(text: str) -> float:
    """VADER compound score of ``text`` in [-1, 1], assuming it is English."""
    return float(_analyzer().polarity_scores(text)["compound"])


def sentiment(
    texts: Sequence[str | None], languages: Sequence[str | None] | None = None
) -> list[float | None]:
    """VADER compound score for each English text; ``None`` for other or unknown languages.

    Args:
        texts: Post texts.
        languages: ISO 639-1 code per text when already known; detected with
            :func:`ml_assets.forum.language.detect_language` otherwise. Short texts whose
            language cannot be told are scored as English when they are ASCII.
    """
    langs = list(languages) if languages is not None else detect_language(texts)
    if len(langs) != len(texts):
        raise ValueError("languages must have one entry per text")
    out: list[float | None] = []
    for text, lang in zip(texts, langs, strict=True):
        if not isinstance(text, str) or not text.strip():
            out.append(None)
        elif lang == "en" or (lang is None and languages is None and text.isascii()):
            out.append(compound(text))
        else:
            out.append(None)
    return out
