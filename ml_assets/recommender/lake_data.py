"""The recommender's inputs read from a LearnSmart lake (silver + gold Delta tables).

Shared by the Dagster assets (``orchestration/defs/learn/recommender.py``) and the offline
evaluation on the demo school's data (``evaluate.evaluate_lake``), so both see the same
interactions and catalogue.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from lake.io import read_path

__all__ = [
    "CLASSES_TABLE",
    "CONTENT_TABLE",
    "EVENTS_TABLE",
    "interactions_and_catalogue",
    "responses",
]

EVENTS_TABLE = "silver/learning_events"
CONTENT_TABLE = "gold/engagement/dim_content"
CLASSES_TABLE = "gold/enrollment/dim_classes"
# Optional inputs of the content features (absent tables: no text, no skills, no answers).
PAGES_TABLE = "silver/content_pages"
ITEMS_TABLE = "gold/items/dim_items"
SKILLS_TABLE = "silver/skills"
SEQUENCES_TABLE = "gold/items/fct_skill_attempt_sequences"


def _exists(lake: Path, relative: str) -> bool:
    return (Path(lake) / relative / "_delta_log").is_dir()


def _skill_names(lake: Path) -> pl.DataFrame:
    """skill_id -> label (its name, the id when unnamed)."""
    if not _exists(lake, SKILLS_TABLE):
        return pl.DataFrame(schema={"skill_id": pl.String, "skill": pl.String})
    names = read_table(lake, SKILLS_TABLE, ["skill_id", "name"])
    return names.unique("skill_id", keep="first").select(
        "skill_id", pl.coalesce("name", "skill_id").alias("skill")
    )


def read_table(lake: Path, relative: str, columns: list[str] | None = None) -> pl.DataFrame:
    """A Delta table of the lake as polars.

    Raises:
        ValueError: when the table is missing (its upstream assets were never materialised).
    """
    frame = pl.from_arrow(read_path(lake, relative, columns))
    assert isinstance(frame, pl.DataFrame)
    return frame


def interactions_and_catalogue(lake: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(interactions: class, student, item, day, clicks; catalogue: class, item, activity type,
    release weeks, title, text, skills) from the lake, days counted from each class's start.

    Voided events and events on content missing from the class's catalogue are dropped.
    ``text`` is the page's body (``silver/content_pages``), null for other content. ``skills``
    lists the skill names a content item practises: for a quiz, the skills of its items
    (``gold/items/dim_items``); for the other content of a module, the skills of the module's
    quizzes; empty when unknown.

    Raises:
        ValueError: when one of the three tables is missing.
    """
    classes = read_table(lake, CLASSES_TABLE).select("class_id", "start_date")
    events = read_table(
        lake,
        EVENTS_TABLE,
        ["student_id", "class_id", "content_id", "event_date", "event_count", "is_voided"],
    )
    events = events.filter(~pl.col("is_voided").fill_null(False)).drop_nulls(
        ["student_id", "class_id", "content_id", "event_date"]
    )
    interactions = events.join(classes, on="class_id").select(
        "class_id",
        "student_id",
        pl.col("content_id").alias("item_id"),
        (pl.col("event_date") - pl.col("start_date").cast(pl.Date)).dt.total_days().alias("day"),
        pl.col("event_count").fill_null(1).cast(pl.Float64).alias("clicks"),
    )
    content = read_table(lake, CONTENT_TABLE)
    catalogue = content.select(
        "class_id",
        pl.col("content_id").alias("item_id"),
        pl.col("content_type").alias("activity_type"),
        # The lake's week 1 is a class's first seven days; the model counts weeks from 0 (as
        # OULAD's vle.csv does), week = floor(day / 7).
        (pl.col("week") - 1).alias("week_from"),
        (pl.col("week_to") - 1).alias("week_to"),
        pl.col("content_title").alias("title"),
    )
    if _exists(lake, PAGES_TABLE):
        pages = read_table(lake, PAGES_TABLE, ["class_id", "content_id", "body_text"])
        pages = pages.unique(["class_id", "content_id"], keep="first").select(
            "class_id", pl.col("content_id").alias("item_id"), pl.col("body_text").alias("text")
        )
        catalogue = catalogue.join(pages, on=["class_id", "item_id"], how="left")
    else:
        catalogue = catalogue.with_columns(text=pl.lit(None, dtype=pl.String))
    module = content.select(
        "class_id", pl.col("content_id").alias("item_id"), pl.col("module").alias("_module")
    )
    quiz_skills = pl.DataFrame(
        schema={"class_id": pl.String, "item_id": pl.String, "skill": pl.String}
    )
    if _exists(lake, ITEMS_TABLE):
        items = read_table(lake, ITEMS_TABLE, ["class_id", "quiz_id", "skill_ids"])
        quiz_skills = (
            items.explode("skill_ids")
            .drop_nulls("skill_ids")
            .join(_skill_names(lake), left_on="skill_ids", right_on="skill_id", how="left")
            .select(
                "class_id",
                pl.col("quiz_id").alias("item_id"),
                pl.coalesce("skill", "skill_ids").alias("skill"),
            )
            .unique()
        )
    # A quiz's own skills; other content: the skills of the quizzes of its module.
    by_module = (
        quiz_skills.join(module, on=["class_id", "item_id"])
        .drop_nulls("_module")
        .filter(pl.col("_module") != "unassigned")
        .select("class_id", "_module", "skill")
        .unique()
    )
    own = quiz_skills.group_by("class_id", "item_id").agg(pl.col("skill").sort().alias("own"))
    modules = (
        module.join(by_module, on=["class_id", "_module"])
        .group_by("class_id", "item_id")
        .agg(pl.col("skill").sort().alias("mod"))
    )
    catalogue = (
        catalogue.join(own, on=["class_id", "item_id"], how="left")
        .join(modules, on=["class_id", "item_id"], how="left")
        .with_columns(
            pl.coalesce("own", "mod", pl.lit([], dtype=pl.List(pl.String))).alias("skills")
        )
        .drop("own", "mod")
    )
    known = catalogue.select("class_id", "item_id").unique()
    return interactions.join(known, on=["class_id", "item_id"], how="semi"), catalogue


def responses(lake: Path) -> pl.DataFrame | None:
    """Graded answers per skill (student, class, day since the class started, skill name,
    correct 1/0) from ``gold/items/fct_skill_attempt_sequences``; None when the table is
    missing."""
    if not _exists(lake, SEQUENCES_TABLE):
        return None
    classes = read_table(lake, CLASSES_TABLE).select("class_id", "start_date")
    seq = read_table(
        lake, SEQUENCES_TABLE, ["student_id", "class_id", "skill_id", "answered_at", "is_correct"]
    ).drop_nulls(["student_id", "class_id", "skill_id", "answered_at"])
    return (
        seq.join(classes, on="class_id")
        .join(_skill_names(lake), on="skill_id", how="left")
        .select(
            "student_id",
            "class_id",
            (pl.col("answered_at").dt.date() - pl.col("start_date").cast(pl.Date))
            .dt.total_days()
            .alias("day"),
            pl.coalesce("skill", "skill_id").alias("skill"),
            pl.col("is_correct").fill_null(False).cast(pl.Float64).alias("correct"),
        )
    )
