"""Language of forum posts, as ISO 639-1 codes (``"en"``, ``"es"``, ...), with lingua.

The detector knows a restricted set of common course languages (:data:`LANGUAGES`: English,
Spanish, French, German, Portuguese, Italian, Dutch, Russian, Chinese, Japanese, Korean,
Arabic, Turkish, Polish, Hindi, Vietnamese, Indonesian); it is built once, on first use, and
cached. A text gets ``None`` when it is too short to tell (fewer than :data:`MIN_LETTERS`
letters) or when the two likeliest languages are too close to call, so callers can fall back
to a course default. Restricting the set makes short texts more reliable, but a post in a
language outside it is reported as the nearest language in the set (or ``None``).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lingua import LanguageDetector

__all__ = ["LANGUAGES", "MIN_LETTERS", "detect_language"]

LANGUAGES: tuple[str, ...] = (
    "en", "es", "fr", "de", "pt", "it", "nl", "ru", "zh", "ja", "ko", "ar", "tr", "pl", "hi",
    "vi", "id",
)  # fmt: skip
MIN_LETTERS = 10
MIN_RELATIVE_DISTANCE = 0.1

_lock = threading.Lock()
_detector: LanguageDetector | None = None


def _get_detector() -> LanguageDetector:
    global _detector
    with _lock:
        if _detector is None:
            from lingua import IsoCode639_1, LanguageDetectorBuilder

            codes = [getattr(IsoCode639_1, code.upper()) for code in LANGUAGES]
            _detector = (
                LanguageDetectorBuilder.from_iso_codes_639_1(*codes)
                .with_minimum_relative_distance(MIN_RELATIVE_DISTANCE)
                .build()
            )
        return _detector


def detect_language(texts: Sequence[str | None]) -> list[str | None]:
    """ISO 639-1 code of each text's language, or ``None`` when unsure or too short.

    Args:
        texts: Texts (``None`` entries give ``None``).

    Returns:
        One lower-case code (e.g. ``"en"``, ``"es"``, ``"fr"``) or ``None`` per text.
    """
    out: list[str | None] = [None] * len(texts)
    todo = [
        i
        for i, text in enumerate(texts)
        if isinstance(text, str) and sum(ch.isalpha() for ch in text) >= MIN_LETTERS
    ]
    if not todo:
        return out
    found = _get_detector().detect_languages_in_parallel_of([str(texts[i]) for i in todo])
    for i, language in zip(todo, found, strict=True):
        out[i] = None if language is None else language.iso_code_639_1.name.lower()
    return out
