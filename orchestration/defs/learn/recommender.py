"""The recommender assets: train on the lake's own learning events, recommend to every student.

* ``recommender_model``: the learning-to-rank model of ``ml_assets.recommender`` trained on
  every enrolled student's content interactions (silver ``learning_events``, one row per student,
  content and day since the class started) over the class catalogue (``dim_content``); logged to
  MLflow and registered as ``learnsmart-recommender`` (alias ``champion``), copied to
  ``<lake>/models/recommender``.
* ``content_recommendations``: each enrolled student's top 10 in each class as of the day after
  the class's latest activity, with the reason for each, in
  ``gold/ml/ml_recommendations`` (student, class, rank, content, score, reason, as_of).
"""

from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import polars as pl
from deltalake import write_deltalake

from orchestration.defs.learn.common import read_table
from orchestration.resources import LakeResource

EVENTS = dg.AssetKey(["silver", "learning_events"])
CONTENT = dg.AssetKey(["gold", "engagement", "dim_content"])
CLASSES = dg.AssetKey(["gold", "enrollment", "dim_classes"])
MODEL_NAME = "learnsmart-recommender"
SERVED_DIR = Path("models/recommender")
RECOMMENDATIONS_TABLE = Path("gold/ml/ml_recommendations")
TOP_K = 10


def interactions_and_catalogue(lake: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(interactions: class, student, item, day, clicks; catalogue: class, item, activity type,
    release weeks, title) from the lake, days counted from each class's start."""
    classes = read_table(lake, "gold/enrollment/dim_classes").select("class_id", "start_date")
    events = read_table(
        lake,
        "silver/learning_events",
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
    content = read_table(lake, "gold/engagement/dim_content")
    catalogue = content.select(
        "class_id",
        pl.col("content_id").alias("item_id"),
        pl.col("content_type").alias("activity_type"),
        pl.col("week").alias("week_from"),
        pl.col("week_to"),
        pl.col("content_title").alias("title"),
    )
    known = catalogue.select("class_id", "item_id").unique()
    return interactions.join(known, on=["class_id", "item_id"], how="semi"), catalogue


@dg.asset(
    deps=[EVENTS, CONTENT, CLASSES],
    group_name="learn",
    description="Content recommender (learning to rank on past-only features), in MLflow.",
)
def recommender_model(
    context: dg.AssetExecutionContext, lake: LakeResource
) -> dg.MaterializeResult:
    """Train on every student's history, register, serve."""
    from ml_assets import tracking
    from ml_assets.recommender.model import fit

    root = lake.settings().lake
    interactions, catalogue = interactions_and_catalogue(root)
    try:
        model = fit(interactions, catalogue, seed=0)
    except ValueError as exc:  # too little history anywhere: cold start only
        context.log.warning(f"not trained: {exc}")
        return dg.MaterializeResult(metadata={"trained": False, "reason": str(exc)})
    registered, _ = tracking.register_and_serve(
        tracking.Tracking.for_lake(root),
        MODEL_NAME,
        model.save,
        "ml_assets.recommender.model:Recommender.load",
        root / SERVED_DIR,
        params={"seed": 0, "top_k": TOP_K},
        metrics={
            "interactions": float(interactions.height),
            "items": float(catalogue.height),
            "students": float(interactions["student_id"].n_unique()),
        },
        reports={},
        promote=True,
        tags={"lake": str(root)},
    )
    return dg.MaterializeResult(
        metadata={
            "trained": True,
            "registered_version": registered.version,
            "interactions": interactions.height,
            "items": catalogue.height,
        }
    )


@dg.asset(
    deps=[recommender_model],
    group_name="learn",
    description="Top 10 content per student and class, with reasons (gold/ml/ml_recommendations).",
)
def content_recommendations(
    context: dg.AssetExecutionContext, lake: LakeResource
) -> dg.MaterializeResult:
    """Recommend to every enrolled student as of the day after the class's latest activity."""
    from ml_assets import tracking
    from ml_assets.recommender.model import Recommender

    root = lake.settings().lake
    copied = tracking.download_champion(
        tracking.Tracking.for_lake(root), MODEL_NAME, root / SERVED_DIR
    )
    if copied is None:
        return dg.MaterializeResult(metadata={"written": False, "reason": "no trained model"})
    folder, version = copied
    interactions, _ = interactions_and_catalogue(root)
    model = Recommender.load(folder).with_interactions(interactions)
    enrolled = read_table(root, "silver/enrollments", ["student_id", "class_id"])
    last_day = interactions.group_by("class_id").agg(as_of_day=pl.col("day").max() + 1)
    rows: list[dict[str, object]] = []
    stamp = datetime.now(UTC)
    for r in enrolled.join(last_day, on="class_id").iter_rows(named=True):
        try:
            recs = model.recommend(r["student_id"], r["class_id"], r["as_of_day"], k=TOP_K)
        except ValueError:  # a class without catalogue
            continue
        for rank, rec in enumerate(recs, start=1):
            rows.append(
                {
                    "student_id": r["student_id"],
                    "class_id": r["class_id"],
                    "rank": rank,
                    "content_id": str(rec.item_id),
                    "score": float(rec.score),
                    "reason": rec.reason,
                    "as_of_day": int(r["as_of_day"]),
                    "as_of": stamp,
                    "model_version": version,
                }
            )
    table = pl.DataFrame(
        rows,
        schema={
            "student_id": pl.String,
            "class_id": pl.String,
            "rank": pl.Int64,
            "content_id": pl.String,
            "score": pl.Float64,
            "reason": pl.String,
            "as_of_day": pl.Int64,
            "as_of": pl.Datetime("us", "UTC"),
            "model_version": pl.Int64,
        },
    )
    write_deltalake(
        str(root / RECOMMENDATIONS_TABLE),
        table.to_arrow(),
        mode="overwrite",
        schema_mode="overwrite",
    )
    context.log.info(f"{table.height} recommendations for {enrolled.height} enrolments")
    return dg.MaterializeResult(metadata={"written": True, "rows": table.height})
