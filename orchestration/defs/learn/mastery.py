"""Learn area: the served learner models and their gold predictions.

* ``mastery_model``: BKT fitted per skill on ``fct_skill_attempt_sequences``; the artefact the
  API serves is ``<lake>/models/mastery/bkt.json`` (written atomically). Its metadata reports the
  next-response AUC on each student's last 20% of attempts per skill, fitted on the first 80%.
* ``skill_mastery``: every student's mastery of every skill they practised, in the gold table
  ``gold/ml/ml_skill_mastery`` (student, skill, probability, p_correct_next, n_responses, as_of).
"""

from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import numpy as np
import polars as pl
import pyarrow as pa
from deltalake import DeltaTable, write_deltalake

from lake.io import read_delta
from orchestration.resources import LakeResource

SEQUENCES = dg.AssetKey(["gold", "items", "fct_skill_attempt_sequences"])
MODEL_FILE = Path("models/mastery/bkt.json")  # the API reads the same path (api.learner)
MASTERY_TABLE = Path("gold/ml/ml_skill_mastery")
_COLUMNS = ["student_id", "skill_id", "opportunity", "is_correct"]


def _sequences(lake: Path) -> pl.DataFrame:
    path = lake / "gold/items/fct_skill_attempt_sequences"
    table = read_delta(DeltaTable(str(path)), columns=_COLUMNS)
    return pl.from_arrow(table).drop_nulls(_COLUMNS)  # type: ignore[union-attr]


def holdout_auc(seq: pl.DataFrame) -> tuple[float, int]:
    """Next-response AUC of BKT on each (student, skill)'s last 20% of attempts, fitted on the
    first 80% (the held-out attempts are predicted from everything before them)."""
    from ml_assets.mastery.bkt import fit_bkt, roc_auc

    ranked = seq.with_columns(
        n=pl.len().over("student_id", "skill_id"),
        k=pl.col("opportunity").rank("ordinal").over("student_id", "skill_id"),
    )
    train = ranked.filter(pl.col("k") <= (pl.col("n") * 0.8).ceil()).select(_COLUMNS)
    model = fit_bkt(train)
    predicted = model.predict_sequences(ranked.select(_COLUMNS))
    test = (ranked["k"] > (ranked["n"] * 0.8).ceil()).to_numpy()
    y = ranked["is_correct"].to_numpy()[test]
    if test.sum() == 0 or y.all() or not y.any():
        return float("nan"), int(test.sum())
    return roc_auc(y, np.asarray(predicted)[test]), int(test.sum())


@dg.asset(
    deps=[SEQUENCES],
    group_name="learn",
    description="BKT mastery model per skill (the served mastery model).",
)
def mastery_model(context: dg.AssetExecutionContext, lake: LakeResource) -> dg.MaterializeResult:
    """Fit BKT on every attempt and write the artefact the API serves."""
    from ml_assets.mastery.bkt import fit_bkt

    root = lake.settings().lake
    seq = _sequences(root).sort("student_id", "skill_id", "opportunity")
    if seq.height == 0:
        raise dg.Failure("fct_skill_attempt_sequences is empty: nothing to fit mastery on")
    auc, n_test = holdout_auc(seq)
    model = fit_bkt(seq)
    target = root / MODEL_FILE
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".json.tmp")
    tmp.write_text(model.to_json())
    tmp.replace(target)
    context.log.info(f"BKT fitted on {model.n_responses} responses, {len(model.skills)} skills")
    return dg.MaterializeResult(
        metadata={
            "n_responses": model.n_responses,
            "n_skills_own_params": len(model.skills),
            "holdout_auc": dg.MetadataValue.float(auc),
            "holdout_responses": n_test,
            "path": dg.MetadataValue.path(str(target)),
        }
    )


@dg.asset(
    deps=[mastery_model],
    group_name="learn",
    description="Each student's mastery of each practised skill (gold/ml/ml_skill_mastery).",
)
def skill_mastery(context: dg.AssetExecutionContext, lake: LakeResource) -> dg.MaterializeResult:
    """Score every (student, skill) with the served model; overwrite the gold table."""
    from ml_assets.mastery.bkt import BktModel
    from ml_assets.mastery.bkt import skill_mastery as score

    root = lake.settings().lake
    model = BktModel.from_json((root / MODEL_FILE).read_text())
    seq = _sequences(root)
    scored = score(model, seq)
    as_of = datetime.now(UTC)
    scored = scored.append_column(
        "as_of", pa.array([as_of] * scored.num_rows, pa.timestamp("us", tz="UTC"))
    )
    write_deltalake(str(root / MASTERY_TABLE), scored, mode="overwrite", schema_mode="overwrite")
    context.log.info(f"{scored.num_rows} student-skill mastery rows written")
    return dg.MaterializeResult(
        metadata={
            "rows": scored.num_rows,
            "mean_probability": dg.MetadataValue.float(
                float(np.mean(scored["probability"].to_numpy())) if scored.num_rows else 0.0
            ),
        }
    )


defs = dg.Definitions(assets=[mastery_model, skill_mastery])
