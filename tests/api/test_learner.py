"""The API's own recommendation baseline (``api.learner.recommendations``) on a small lake
written here: which pages come first for a student the recommender has not ranked."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from deltalake import write_deltalake

from api.gold import SPECS, Gold
from api.learner import recommendations


def _write(lake: Path, name: str, frame: pl.DataFrame) -> None:
    write_deltalake(str(lake / SPECS[name].path), frame.to_arrow())


@pytest.fixture
def gold(tmp_path: Path) -> Gold:
    """Two classes: "bi" has each lesson as an English and a Spanish page, "mono" English
    pages only; no quiz items, no recommender output, no progress."""
    pages = [
        ("bi", "bi-1-en", "Fractions", "m1", 1),
        ("bi", "bi-1-es", "Fracciones", "m1", 1),
        ("bi", "bi-2-en", "Decimals", "m2", 2),
        ("bi", "bi-2-es", "Decimales", "m2", 2),
        ("mono", "mono-1", "Cells", "m1", 1),
        ("mono", "mono-2", "Genetics of music", "m2", 2),
    ]
    _write(
        tmp_path,
        "dim_content",
        pl.DataFrame(
            {
                "class_id": [p[0] for p in pages],
                "content_id": [p[1] for p in pages],
                "content_title": [p[2] for p in pages],
                "content_type": ["page"] * len(pages),
                "module": [p[3] for p in pages],
                "week": [p[4] for p in pages],
            }
        ),
    )
    return Gold(tmp_path, check_s=0.0)


LANGUAGES = {
    "bi-1-en": "en",
    "bi-1-es": "es",
    "bi-2-en": "en",
    "bi-2-es": "es",
    "mono-1": "en",
    "mono-2": "en",
}


def _ids(gold: Gold, classes: list[str], **kw: object) -> list[str]:
    source, items = recommendations(gold, [], classes, "s1", [], **kw)  # type: ignore[arg-type]
    assert source == "baseline"
    return [i["content_id"] for i in items]


def test_a_spanish_speaker_gets_the_spanish_pages_first_where_the_class_has_them(
    gold: Gold,
) -> None:
    spanish = _ids(gold, ["bi"], language="es", page_languages=LANGUAGES)
    assert spanish[:2] == ["bi-1-es", "bi-2-es"]
    english = _ids(gold, ["bi"], language="en", page_languages=LANGUAGES)
    assert english[:2] == ["bi-1-en", "bi-2-en"]


def test_without_a_choice_of_language_the_course_order_stands(gold: Gold) -> None:
    """A class with English pages only, or no languages known: the same order for everyone."""
    plain = _ids(gold, ["mono"])
    assert plain == ["mono-1", "mono-2"]
    assert _ids(gold, ["mono"], language="es", page_languages=LANGUAGES) == plain
    assert _ids(gold, ["bi"], language="es") == _ids(gold, ["bi"])


def test_interests_still_lead_within_the_students_language(gold: Gold) -> None:
    """Interests reorder the pages of one language; they do not beat the language."""
    _, items = recommendations(
        gold, [], ["mono"], "s1", ["music"], language="en", page_languages=LANGUAGES
    )
    assert [i["content_id"] for i in items] == ["mono-2", "mono-1"]
    assert items[0]["reason"].endswith("matches your interest in music")
    _, items = recommendations(
        gold, [], ["bi"], "s1", ["decimals"], language="es", page_languages=LANGUAGES
    )
    assert [i["content_id"] for i in items][:2] == ["bi-1-es", "bi-2-es"]
