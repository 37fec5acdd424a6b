"""The mastery assets.

* ``mastery_model``: BKT, a logistic (PFA-style) model and DKT compared on a held-out fifth of
  the students of ``fct_skill_attempt_sequences`` (next-response AUC); the best on validation
  is fitted on everyone (BKT always, beside it), logged to MLflow and registered as
  ``learnsmart-mastery`` with the alias ``champion``. The champion's folder is copied to
  ``<lake>/models/mastery`` (``served.json``, ``bkt.json``, weights), which the API reads.
* ``skill_mastery``: every student's probability of answering the next item of each practised
  skill correctly, by the served model, in ``gold/ml/ml_skill_mastery`` (student, skill,
  probability, p_mastered (BKT), n_responses, as_of, model_kind, model_version).
"""

from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import numpy as np
import polars as pl
from deltalake import write_deltalake

from orchestration.defs.learn.common import read_table
from orchestration.resources import LakeResource

SEQUENCES = dg.AssetKey(["gold", "items", "fct_skill_attempt_sequences"])
MODEL_NAME = "learnsmart-mastery"
SERVED_DIR = Path("models/mastery")
MODEL_FILE = SERVED_DIR / "bkt.json"  # BKT of the served folder (api.learner reads the folder)
MASTERY_TABLE = Path("gold/ml/ml_skill_mastery")
_COLUMNS = [
    "student_id",
    "skill_id",
    "opportunity",
    "is_correct",
    "item_id",
    "attempt_id",
    "answered_at",
]


class MasteryTrainConfig(dg.Config):
    """Training settings of ``mastery_model``."""

    seed: int = 0
    holdout_share: float = 0.2  # students held out to compare the models


def _sequences(lake: Path) -> pl.DataFrame:
    frame = read_table(lake, "gold/items/fct_skill_attempt_sequences", _COLUMNS)
    return frame.drop_nulls(["student_id", "skill_id", "opportunity", "is_correct"])


@dg.asset(
    deps=[SEQUENCES],
    group_name="learn",
    description="Mastery model (best of BKT, logistic, DKT on held-out students), in MLflow.",
)
def mastery_model(
    context: dg.AssetExecutionContext, lake: LakeResource, config: MasteryTrainConfig
) -> dg.MaterializeResult:
    """Compare the models, fit the best on everyone, register and serve it."""
    from ml_assets import tracking
    from ml_assets.mastery.served import ServedMastery, fit_served

    root = lake.settings().lake
    frame = _sequences(root)
    if frame.height == 0:
        raise dg.Failure("fct_skill_attempt_sequences is empty: nothing to fit mastery on")
    served = fit_served(frame, seed=config.seed, holdout_share=config.holdout_share)
    registered, copied = tracking.register_and_serve(
        tracking.Tracking.for_lake(root),
        MODEL_NAME,
        served.save,
        "ml_assets.mastery.served:ServedMastery.load",
        root / SERVED_DIR,
        params={
            "seed": config.seed,
            "holdout_share": config.holdout_share,
            "served_kind": served.kind,
            "n_skills": len(served.vocab.skills),
            "n_items": len(served.vocab.items),
        },
        metrics={
            **{f"holdout_auc_{k}": v["auc"] for k, v in served.metrics.items()},
            **{f"holdout_accuracy_{k}": v["accuracy"] for k, v in served.metrics.items()},
            **{f"valid_auc_{k}": v["valid_auc"] for k, v in served.metrics.items()},
            "holdout_auc": served.metrics.get(served.kind, {}).get("auc", float("nan")),
            "responses": float(frame.height),
        },
        reports={"comparison": {"models": served.metrics, "note": served.note}},
        promote=True,
        tags={"lake": str(root), "served_kind": served.kind, "note": served.note[:250]},
    )
    assert copied is not None
    ServedMastery.load(copied[0])  # what the API will load must load
    context.log.info(
        f"served {served.kind} (v{registered.version}) on {frame.height} responses, "
        f"{len(served.vocab.skills)} skills"
    )
    return dg.MaterializeResult(
        metadata={
            "served_kind": served.kind,
            "registered_version": registered.version,
            "holdout_auc": dg.MetadataValue.float(
                float(served.metrics.get(served.kind, {}).get("auc", float("nan")))
            ),
            "note": served.note,
            "comparison": dg.MetadataValue.json(
                {
                    k: {"auc": round(v["auc"], 4), "valid_auc": round(v["valid_auc"], 4)}
                    for k, v in served.metrics.items()
                }
            ),
            "n_responses": frame.height,
            "path": dg.MetadataValue.path(str(root / SERVED_DIR)),
            "mlflow_run_id": registered.run_id,
        }
    )


@dg.asset(
    deps=[mastery_model],
    group_name="learn",
    description="Each student's P(next item of a skill correct), per practised skill "
    "(gold/ml/ml_skill_mastery).",
)
def skill_mastery(context: dg.AssetExecutionContext, lake: LakeResource) -> dg.MaterializeResult:
    """Score every (student, skill) with the served model; overwrite the gold table."""
    from ml_assets import tracking
    from ml_assets.mastery.served import ServedMastery

    root = lake.settings().lake
    copied = tracking.download_champion(
        tracking.Tracking.for_lake(root), MODEL_NAME, root / SERVED_DIR
    )
    if copied is None:
        raise dg.Failure(f"no {MODEL_NAME} champion: materialise mastery_model first")
    folder, version = copied
    model = ServedMastery.load(folder)
    table = model.mastery_table(_sequences(root))
    scored = table.select(
        "student_id",
        "skill_id",
        pl.col("p_correct_next").alias("probability"),
        "p_mastered",
        "n_responses",
        as_of=pl.lit(datetime.now(UTC), dtype=pl.Datetime("us", "UTC")),
        model_kind=pl.lit(model.kind),
        model_version=pl.lit(version, dtype=pl.Int64),
    )
    write_deltalake(
        str(root / MASTERY_TABLE), scored.to_arrow(), mode="overwrite", schema_mode="overwrite"
    )
    context.log.info(f"{scored.height} student-skill rows written ({model.kind} v{version})")
    return dg.MaterializeResult(
        metadata={
            "rows": scored.height,
            "model_kind": model.kind,
            "model_version": version,
            "mean_probability": dg.MetadataValue.float(
                float(np.mean(scored["probability"].to_numpy())) if scored.height else 0.0
            ),
        }
    )
