"""The at-risk assets: train and register the model, score every student-week, watch drift.

* ``at_risk_model``: XGBoost on ``fct_student_week_features`` (``ml_assets.at_risk``). It is
  validated on a held-out fifth of the students (AUC, Brier, reliability, F1 at the threshold,
  the 7-day-inactivity rule on the same rows, fairness by group), then trained on every student
  with a known outcome, logged to MLflow and registered as ``learnsmart-at-risk``. The version
  becomes the served one (alias ``champion``) only when it beats the rule on the held-out
  students; the champion's folder is copied to ``<lake>/models/at_risk``.
* ``at_risk_scores``: the champion scores every student-week in the mart into
  ``gold/ml/ml_at_risk_scores`` (student, class, week, as_of, probability, band, reasons,
  model_version); the API serves each class's latest week.
* ``at_risk_feature_drift``: PSI per feature between the champion's training rows and the
  rows scored now (same week numbers), with an Evidently report; warns above 0.25.
"""

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import dagster as dg
import numpy as np
import polars as pl
from deltalake import DeltaTable, write_deltalake

from orchestration.defs.learn.common import read_table
from orchestration.resources import LakeResource

FEATURES = dg.AssetKey(["gold", "features", "fct_student_week_features"])
STUDENTS = dg.AssetKey(["gold", "enrollment", "dim_students"])
MODEL_NAME = "learnsmart-at-risk"
SERVED_DIR = Path("models/at_risk")
SCORES_TABLE = Path("gold/ml/ml_at_risk_scores")
REFERENCE_FILE = "reference.parquet"  # the training rows' features, for drift checks
DRIFT_DIR = Path("models/at_risk_drift")
MIN_TRAIN_ROWS = 200


class AtRiskTrainConfig(dg.Config):
    """Training settings of ``at_risk_model``."""

    seed: int = 0
    capacity: float = 0.15  # at most this share of a class-week flagged high
    holdout_share: float = 0.2  # students held out to validate before registering


def features_frame(lake: Path) -> pl.DataFrame:
    """The week-features mart."""
    return read_table(lake, "gold/features/fct_student_week_features")


def _held_out(student_ids: pl.Series, share: float, seed: int) -> np.ndarray:
    """Deterministic student-level split: True for the held-out students."""
    cut = int(share * 10_000)
    buckets = {
        s: int(hashlib.sha256(f"{seed}:{s}".encode()).hexdigest()[:8], 16) % 10_000
        for s in student_ids.unique().to_list()
    }
    return np.array([buckets[s] < cut for s in student_ids.to_list()], dtype=bool)


def observed(frame: pl.DataFrame) -> pl.DataFrame:
    """The week rows the lake has data for: cut-off at most one day after the class's last
    activity. The mart runs to the class's calendar end; weeks past the data would show every
    student inactive (and, trained on, teach the model that inactivity is harmless)."""
    last_active = pl.col("cutoff_date") - pl.duration(days=pl.col("days_since_last_active"))
    class_last = last_active.max().over("class_id")
    return frame.filter(pl.col("cutoff_date") <= class_last + pl.duration(days=1))


def current_rows(frame: pl.DataFrame) -> pl.DataFrame:
    """Each class's latest observed week: the rows a teacher sees as "now"."""
    seen = observed(frame)
    return seen.filter(pl.col("week") == pl.col("week").max().over("class_id"))


@dg.asset(
    deps=[FEATURES, STUDENTS],
    group_name="learn",
    description="At-risk model (XGBoost, calibrated, with reasons), registered in MLflow.",
)
def at_risk_model(
    context: dg.AssetExecutionContext, lake: LakeResource, config: AtRiskTrainConfig
) -> dg.MaterializeResult:
    """Validate on held-out students, train on all, register; promote only if it beats the rule."""
    from ml_assets import tracking
    from ml_assets.at_risk.fairness import fairness_report
    from ml_assets.at_risk.features import FEATURE_NAMES, feature_frame
    from ml_assets.at_risk.model import known, nan_to_none, report, safe_auc, target, train
    from ml_assets.at_risk.rule import rule_score

    root = lake.settings().lake
    frame = observed(features_frame(root))
    labelled = known(frame)
    if labelled.height < MIN_TRAIN_ROWS or len(set(target(labelled).tolist())) < 2:
        # A school in its first term has no outcomes yet: nothing to learn from, and the API
        # keeps using the transparent rule. Not an error: the rest of the graph goes on.
        why = (
            f"only {labelled.height} student-weeks with a known outcome (need {MIN_TRAIN_ROWS} "
            "with both outcomes): the at-risk model needs finished classes or withdrawals"
        )
        context.log.warning(f"not trained: {why}")
        return dg.MaterializeResult(metadata={"trained": False, "reason": why})
    held = _held_out(labelled["student_id"], config.holdout_share, config.seed)
    fit_rows, test_rows = labelled.filter(pl.Series(~held)), labelled.filter(pl.Series(held))
    candidate = train(fit_rows, seed=config.seed, capacity=config.capacity)
    holdout = report(candidate, test_rows)
    y_test = target(test_rows)
    holdout["rule_auc"] = safe_auc(y_test, rule_score(test_rows))
    scored = pl.from_arrow(candidate.score(test_rows))
    fairness = fairness_report(
        scored.select("student_id", "class_id", "probability").with_columns(
            y=pl.Series(y_test), flagged=pl.col("probability") >= candidate.threshold
        ),
        read_table(root, "gold/enrollment/dim_students"),
    )

    model = train(labelled, seed=config.seed, capacity=config.capacity)
    beats_rule = bool(holdout["auc"] > holdout["rule_auc"])

    def save(folder: Path) -> None:
        model.save(folder)
        feature_frame(labelled).with_columns(week=labelled["week"]).write_parquet(
            folder / REFERENCE_FILE
        )

    registered, served = tracking.register_and_serve(
        tracking.Tracking.for_lake(root),
        MODEL_NAME,
        save,
        "ml_assets.at_risk.model:AtRiskModel.load",
        root / SERVED_DIR,
        params={
            "seed": config.seed,
            "capacity": config.capacity,
            "holdout_share": config.holdout_share,
            "n_rounds": model.n_rounds,
            "features": ",".join(FEATURE_NAMES),
            **{f"xgb_{k}": v for k, v in model.params.items()},
        },
        metrics={
            "holdout_auc": holdout["auc"],
            "holdout_brier": holdout["brier"],
            "holdout_f1": holdout["f1"],
            "holdout_precision": holdout["precision"],
            "holdout_recall": holdout["recall"],
            "holdout_rule_auc": holdout["rule_auc"],
            "threshold": model.threshold,
            "train_rows": float(labelled.height),
        },
        reports={
            "calibration": nan_to_none({"holdout": holdout.get("reliability"), "cv": model.cv}),
            "holdout": nan_to_none(holdout),
            "fairness": nan_to_none(fairness),
        },
        promote=beats_rule,
        tags={"lake": str(root)},
    )
    if not beats_rule:
        context.log.warning(
            f"version {registered.version} does not beat the inactivity rule on held-out "
            f"students (AUC {holdout['auc']:.3f} vs {holdout['rule_auc']:.3f}): not promoted"
        )
    gaps = fairness.get("largest_gaps") or []
    return dg.MaterializeResult(
        metadata={
            "trained": True,
            "registered_version": registered.version,
            "promoted": beats_rule,
            "served_version": served[1] if served else None,
            "holdout_auc": dg.MetadataValue.float(float(holdout["auc"])),
            "holdout_rule_auc": dg.MetadataValue.float(float(holdout["rule_auc"])),
            "holdout_brier": dg.MetadataValue.float(float(holdout["brier"])),
            "holdout_f1": dg.MetadataValue.float(float(holdout["f1"])),
            "threshold": dg.MetadataValue.float(float(model.threshold)),
            "train_rows": labelled.height,
            "largest_fairness_gaps": dg.MetadataValue.json(nan_to_none(gaps)),
            "mlflow_run_id": registered.run_id,
        }
    )


def load_champion(root: Path) -> tuple[Any, int] | None:
    """The served at-risk model (refreshed from the registry) and its version; None when no
    version is champion (a version is promoted only when it beats the inactivity rule)."""
    from ml_assets import tracking
    from ml_assets.at_risk.model import AtRiskModel

    served = tracking.download_champion(
        tracking.Tracking.for_lake(root), MODEL_NAME, root / SERVED_DIR
    )
    if served is None:
        return None
    folder, version = served
    return AtRiskModel.load(folder), version


@dg.asset(
    deps=[at_risk_model, FEATURES],
    group_name="learn",
    description="Calibrated at-risk probability, band and reasons per student-week "
    "(gold/ml/ml_at_risk_scores).",
)
def at_risk_scores(context: dg.AssetExecutionContext, lake: LakeResource) -> dg.MaterializeResult:
    """Score every student-week with the champion; overwrite the gold table."""
    root = lake.settings().lake
    champion = load_champion(root)
    if champion is None:
        why = f"no {MODEL_NAME} version is served yet: the API flags students by the rule"
        context.log.warning(why)
        return dg.MaterializeResult(metadata={"scored": False, "reason": why})
    model, version = champion
    frame = observed(features_frame(root))
    scored = pl.from_arrow(model.score(frame)).with_columns(
        model_version=pl.lit(version, dtype=pl.Int64),
        scored_at=pl.lit(datetime.now(UTC), dtype=pl.Datetime("us", "UTC")),
    )
    table = scored.to_arrow()
    write_deltalake(str(root / SCORES_TABLE), table, mode="overwrite", schema_mode="overwrite")
    latest = scored.filter(pl.col("week") == pl.col("week").max().over("class_id"))
    bands = latest["band"].value_counts().to_dicts() if latest.height else []
    context.log.info(f"{scored.height} student-weeks scored with {MODEL_NAME} v{version}")
    return dg.MaterializeResult(
        metadata={
            "scored": True,
            "rows": scored.height,
            "model_version": version,
            "current_bands": dg.MetadataValue.json({str(b["band"]): b["count"] for b in bands}),
        }
    )


def drift_of_current(root: Path) -> tuple[dict[str, float], pl.DataFrame, pl.DataFrame]:
    """PSI per feature between the champion's training rows and the current rows of the same
    weeks (to-date features grow with the week, so weeks are compared like with like)."""
    from ml_assets.at_risk.features import feature_frame
    from ml_assets.drift import feature_psi

    reference = pl.read_parquet(root / SERVED_DIR / REFERENCE_FILE)
    current = current_rows(features_frame(root))
    same_weeks = reference.filter(pl.col("week").is_in(current["week"].unique().to_list()))
    if same_weeks.height:
        reference = same_weeks
    now = feature_frame(current)
    names = [c for c in now.columns if c in reference.columns and c != "week"]
    psi = feature_psi(
        {n: reference[n].to_numpy() for n in names}, {n: now[n].to_numpy() for n in names}
    )
    return psi, reference.select(names), now.select(names)


@dg.asset_check(
    asset=at_risk_scores,
    name="at_risk_feature_drift",
    description="PSI per feature, training rows vs the rows scored now (warn above 0.25), "
    "with an Evidently data-drift report.",
)
def at_risk_feature_drift(lake: LakeResource) -> dg.AssetCheckResult:
    """Warn when any feature's PSI passes the retraining threshold."""
    from ml_assets.drift import PSI_RETRAIN, evidently_report

    root = lake.settings().lake
    if not (root / SERVED_DIR / REFERENCE_FILE).is_file():
        return dg.AssetCheckResult(
            passed=True,
            severity=dg.AssetCheckSeverity.WARN,
            description="no served at-risk model: nothing to compare against",
        )
    psi, reference, now = drift_of_current(root)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    html = root / DRIFT_DIR / f"drift-{stamp}.html"
    summary = evidently_report(
        {c: reference[c].to_numpy() for c in reference.columns},
        {c: now[c].to_numpy() for c in now.columns},
        html,
    )
    (html.with_suffix(".json")).write_text(json.dumps({"psi": psi, "evidently": summary}))
    run_id = _log_to_champion_run(root, [html, html.with_suffix(".json")])
    drifted = {k: round(v, 4) for k, v in psi.items() if v > PSI_RETRAIN}
    worst = next(iter(psi.items()), ("-", 0.0))
    return dg.AssetCheckResult(
        passed=not drifted,
        severity=dg.AssetCheckSeverity.WARN,
        description=(
            f"{len(drifted)} feature(s) drifted past PSI {PSI_RETRAIN}: {sorted(drifted)}"
            if drifted
            else f"no feature past PSI {PSI_RETRAIN} (largest: {worst[0]} {worst[1]:.3f})"
        ),
        metadata={
            "psi": dg.MetadataValue.json({k: round(v, 4) for k, v in psi.items()}),
            "max_psi": dg.MetadataValue.float(float(worst[1])),
            "evidently_drifted_columns": summary.get("drifted_columns"),
            "evidently_report": dg.MetadataValue.path(str(html)),
            "mlflow_run_id": run_id or "-",
            "rows_current": now.height,
            "rows_reference": reference.height,
        },
    )


def _log_to_champion_run(root: Path, files: list[Path]) -> str | None:
    """Attach drift reports to the served version's MLflow run (under ``drift/``)."""
    from ml_assets import tracking

    t = tracking.Tracking.for_lake(root)
    version = tracking.champion(t, MODEL_NAME)
    if version is None or version.run_id is None:
        return None
    client = t.client()
    for f in files:
        client.log_artifact(version.run_id, str(f), "drift")
    return str(version.run_id)


def _table_version(path: Path) -> int | None:
    if not (path / "_delta_log").is_dir():
        return None
    return DeltaTable(str(path)).version()


def drift_decision(root: Path) -> tuple[bool, float, str]:
    """(retrain?, max PSI, why) for the sensor: retrain when a feature passes PSI 0.25."""
    from ml_assets.drift import PSI_RETRAIN

    if not (root / SERVED_DIR / REFERENCE_FILE).is_file():
        return False, 0.0, "no served at-risk model yet"
    psi, _, now = drift_of_current(root)
    if not psi or now.height == 0:
        return False, 0.0, "nothing scored now"
    name, worst = next(iter(psi.items()))
    if worst > PSI_RETRAIN:
        return True, worst, f"{name} drifted: PSI {worst:.3f} > {PSI_RETRAIN}"
    return False, worst, f"largest PSI {worst:.3f} ({name}) <= {PSI_RETRAIN}"
