"""Retraining: a monthly schedule, and a sensor that retrains when the features drift."""

from __future__ import annotations

import dagster as dg

from orchestration.defs.learn.at_risk import (
    FEATURES,
    _table_version,
    at_risk_model,
    at_risk_scores,
    drift_decision,
)
from orchestration.defs.learn.mastery import mastery_model, skill_mastery
from orchestration.resources import LakeResource

retrain_job = dg.define_asset_job(
    "retrain_learner_models",
    selection=dg.AssetSelection.assets(at_risk_model, at_risk_scores, mastery_model, skill_mastery),
    description="Retrain the at-risk and mastery models, register them, rescore every student.",
)

retrain_schedule = dg.ScheduleDefinition(
    name="monthly_retrain",
    job=retrain_job,
    cron_schedule="0 4 1 * *",  # 04:00 on the first of each month, after the nightly ingest
    execution_timezone="UTC",
    description="Retrain the learner models every month, drift or not.",
)


@dg.sensor(
    job=retrain_job,
    minimum_interval_seconds=3600,
    description="Retrains when a week feature's PSI against the served model's training rows "
    "passes 0.25; looks again only when the features mart has a new Delta version.",
)
def at_risk_drift_sensor(
    context: dg.SensorEvaluationContext, lake: LakeResource
) -> dg.SensorResult:
    """One retraining run per drifted version of the features mart."""
    root = lake.settings().lake
    version = _table_version(root / "/".join(FEATURES.path))
    if version is None:
        return dg.SensorResult(skip_reason="the features mart does not exist yet")
    if context.cursor == str(version):
        return dg.SensorResult(skip_reason=f"features mart v{version} already checked")
    retrain, worst, why = drift_decision(root)
    if not retrain:
        return dg.SensorResult(skip_reason=why, cursor=str(version))
    context.log.info(f"retraining: {why}")
    return dg.SensorResult(
        run_requests=[
            dg.RunRequest(
                run_key=f"drift-features-v{version}",
                tags={"learnsmart/reason": why[:200], "learnsmart/max_psi": f"{worst:.4f}"},
            )
        ],
        cursor=str(version),
    )
