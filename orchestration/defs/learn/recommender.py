"""The recommender assets: train on the lake's own learning events, recommend to every student.

* ``recommender_model``: the learning-to-rank model of ``ml_assets.recommender`` trained on
  every enrolled student's content interactions (silver ``learning_events``, one row per student,
  content and day since the class started) over the class catalogue (``dim_content``, with page
  texts and the skills each item practises) and the graded answers per skill
  (``fct_skill_attempt_sequences``, for the skill-need features), read by
  ``ml_assets.recommender.lake_data`` (shared with ``learnsmart eval recommender --lake``);
  logged to MLflow and registered as ``learnsmart-recommender`` (alias ``champion``), copied to
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
# Optional inputs: page texts (content similarity) and graded answers per skill (skill need).
PAGES = dg.AssetKey(["silver", "content_pages"])
SEQUENCES = dg.AssetKey(["gold", "items", "fct_skill_attempt_sequences"])
MODEL_NAME = "learnsmart-recommender"
SERVED_DIR = Path("models/recommender")
RECOMMENDATIONS_TABLE = Path("gold/ml/ml_recommendations")
TOP_K = 10


def interactions_and_catalogue(lake: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(interactions, catalogue) from the lake (``ml_assets.recommender.lake_data``); a missing
    upstream table fails the run with its name."""
    from ml_assets.recommender import lake_data  # lazy: keeps xgboost out of definition loading

    try:
        return lake_data.interactions_and_catalogue(lake)
    except ValueError as exc:
        raise dg.Failure(str(exc)) from exc


def responses(lake: Path) -> pl.DataFrame | None:
    """Graded answers per skill, days from the class start (None before they are built)."""
    from ml_assets.recommender import lake_data

    return lake_data.responses(lake)


@dg.asset(
    deps=[EVENTS, CONTENT, CLASSES, PAGES, SEQUENCES],
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
        model = fit(interactions, catalogue, seed=0, responses=responses(root))
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
    model = Recommender.load(folder).with_interactions(interactions, responses(root))
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
