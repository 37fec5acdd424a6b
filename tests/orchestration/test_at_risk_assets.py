"""The at-risk assets: trained on a demo school whose term has ended, registered in MLflow,
served as champion, scored into gold with reasons; drift checked; retraining decided."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import dagster as dg
import numpy as np
import polars as pl
import pytest
from deltalake import DeltaTable

from lake.io import read_delta
from lake.settings import LakeSettings
from ml_assets import tracking
from orchestration.defs.learn import at_risk as assets
from orchestration.defs.learn.retrain import at_risk_drift_sensor
from orchestration.resources import LakeResource
from tests.conftest import run_dbt

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def school_lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """150 students over 8 weeks with dropouts, their withdrawals and the marts built."""
    from lake.demo import generate
    from lake.loader import ingest

    root = tmp_path_factory.mktemp("at_risk_school")
    settings = LakeSettings(lake=root / "lake", landing=root / "landing")
    generate(settings.landing, students=150, days=56, seed=11)
    ingest(settings)
    run_dbt(settings.lake, root / "warehouse.duckdb", "run")
    return settings.lake


@pytest.fixture
def lake(school_lake: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("LEARNSMART_MLFLOW_URI", raising=False)
    monkeypatch.delenv("LEARNSMART_MLFLOW_ARTIFACTS", raising=False)
    shutil.copytree(school_lake, tmp_path / "data" / "lake")
    return tmp_path / "data" / "lake"


def _resources(lake: Path) -> dict[str, LakeResource]:
    return {"lake": LakeResource(lake=str(lake), landing=str(lake.parent / "landing"))}


def test_model_is_registered_promoted_and_scores_are_served_with_reasons(lake: Path) -> None:
    result = dg.materialize(
        [assets.at_risk_model, assets.at_risk_scores], resources=_resources(lake)
    )
    assert result.success
    meta = result.asset_materializations_for_node("at_risk_model")[0].metadata
    assert meta["holdout_auc"].value > meta["holdout_rule_auc"].value  # promoted for a reason
    assert meta["promoted"].value is True
    assert meta["served_version"].value == meta["registered_version"].value == 1

    t = tracking.Tracking.for_lake(lake)
    champ = tracking.champion(t, assets.MODEL_NAME)
    assert champ is not None and int(champ.version) == 1
    run = t.client().get_run(champ.run_id)
    assert {"holdout_auc", "holdout_brier", "holdout_rule_auc", "threshold"} <= set(
        run.data.metrics
    )
    reports = {f.path for f in t.client().list_artifacts(champ.run_id, "reports")}
    assert {"reports/calibration.json", "reports/fairness.json", "reports/holdout.json"} <= reports
    assert (lake / assets.SERVED_DIR / "REGISTERED_VERSION").read_text().split()[1] == "1"

    scores = pl.from_arrow(read_delta(DeltaTable(str(lake / assets.SCORES_TABLE))))
    features = assets.observed(assets.features_frame(lake))
    assert scores.height == features.height
    assert scores["probability"].is_between(0, 1).all()
    assert set(scores["band"].unique()) <= {"high", "medium", "low"}
    assert (scores["model_version"] == 1).all()
    flagged = scores.filter(pl.col("band") != "low")
    assert flagged.height > 0
    assert (flagged["reasons"].list.len() > 0).all()
    assert (scores.filter(pl.col("band") == "low")["reasons"].list.len() == 0).all()
    # capacity: no class-week has more than 15% of its students flagged high (at least one)
    per_week = scores.group_by("class_id", "week").agg(
        n=pl.len(), high=(pl.col("band") == "high").sum()
    )
    assert (per_week["high"] <= np.maximum(1, np.ceil(0.15 * per_week["n"].to_numpy()))).all()


def test_scores_never_include_weeks_past_the_data(lake: Path) -> None:
    frame = assets.features_frame(lake)
    seen = assets.observed(frame)
    assert 0 < seen.height < frame.height
    last_active = (
        frame.select(
            "class_id",
            (pl.col("cutoff_date") - pl.duration(days=pl.col("days_since_last_active"))).alias("d"),
        )
        .group_by("class_id")
        .agg(pl.col("d").max())
    )
    joined = seen.join(last_active, on="class_id")
    ok = joined.select((pl.col("cutoff_date") <= pl.col("d") + pl.duration(days=1)).all()).item()
    assert ok


def test_a_model_that_does_not_beat_the_rule_is_registered_but_not_served(
    lake: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ml_assets.at_risk import rule
    from ml_assets.at_risk.model import target

    # a rule that knows the answer: no model can beat it, so the version is not promoted
    monkeypatch.setattr(rule, "rule_score", target)
    result = dg.materialize([assets.at_risk_model], resources=_resources(lake))
    assert result.success
    meta = result.asset_materializations_for_node("at_risk_model")[0].metadata
    assert meta["promoted"].value is False
    assert meta["served_version"].value is None
    assert tracking.champion(tracking.Tracking.for_lake(lake), assets.MODEL_NAME) is None
    scored = dg.materialize([assets.at_risk_scores], resources=_resources(lake))
    meta = scored.asset_materializations_for_node("at_risk_scores")[0].metadata
    assert meta["scored"].value is False  # nothing served: the API keeps using the rule
    assert not (lake / assets.SCORES_TABLE).exists()


def test_a_school_without_outcomes_trains_nothing_and_scores_nothing(
    lake: Path, tmp_path: Path
) -> None:
    young = tmp_path / "young" / "lake"
    shutil.copytree(lake, young)
    path = young / "gold/features/fct_student_week_features"
    frame = pl.from_arrow(read_delta(DeltaTable(str(path))))
    from deltalake import write_deltalake

    write_deltalake(
        str(path),
        frame.with_columns(
            label_at_risk=pl.lit(None, pl.Boolean),
            label_is_pass=pl.lit(None, pl.Boolean),
            label_final_result=pl.lit(None, pl.String),
            label_dropped_out=pl.lit(False),
        ).to_arrow(),
        mode="overwrite",
    )
    result = dg.materialize(
        [assets.at_risk_model, assets.at_risk_scores], resources=_resources(young)
    )
    assert result.success
    trained = result.asset_materializations_for_node("at_risk_model")[0].metadata
    assert trained["trained"].value is False and "known outcome" in trained["reason"].value
    scored = result.asset_materializations_for_node("at_risk_scores")[0].metadata
    assert scored["scored"].value is False


def test_drift_check_and_sensor_see_shifted_features(lake: Path) -> None:
    assert dg.materialize(
        [assets.at_risk_model, assets.at_risk_scores], resources=_resources(lake)
    ).success
    retrain, worst, why = assets.drift_decision(lake)
    assert not retrain, why  # scoring rows come from the data the model was trained on

    check = dg.materialize(
        [assets.at_risk_scores, assets.at_risk_feature_drift], resources=_resources(lake)
    ).get_asset_check_evaluations()
    (evaluation,) = check
    assert evaluation.passed
    report = Path(evaluation.metadata["evidently_report"].value)
    assert report.is_file() and report.stat().st_size > 10_000
    psi = json.loads(report.with_suffix(".json").read_text())["psi"]
    t = tracking.Tracking.for_lake(lake)
    run_id = evaluation.metadata["mlflow_run_id"].value
    assert run_id == tracking.champion(t, assets.MODEL_NAME).run_id
    logged = {f.path for f in t.client().list_artifacts(run_id, "drift")}
    assert f"drift/{report.name}" in logged
    assert set(psi) and all(v >= 0 for v in psi.values())

    # a shifted reference (as if trained on a very different term) must trigger retraining
    ref_path = lake / assets.SERVED_DIR / assets.REFERENCE_FILE
    ref = pl.read_parquet(ref_path)
    ref.with_columns(pl.col("n_events_to_date") * 50 + 1000).write_parquet(ref_path)
    retrain, worst, why = assets.drift_decision(lake)
    assert retrain and worst > 0.25 and "n_events_to_date" in why

    instance = dg.DagsterInstance.ephemeral()
    ctx = dg.build_sensor_context(instance=instance, resources=_resources(lake))
    result = at_risk_drift_sensor(ctx)
    assert len(result.run_requests) == 1
    assert result.run_requests[0].tags["learnsmart/max_psi"].startswith(f"{worst:.2f}"[:3])
    # the same mart version is not checked twice
    again = at_risk_drift_sensor(
        dg.build_sensor_context(instance=instance, cursor=result.cursor, resources=_resources(lake))
    )
    assert not again.run_requests


def test_the_api_serves_the_model_flags_with_their_reasons(lake: Path, tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from api.demo_users import seed_demo_users
    from api.main import create_app
    from tests.api.conftest import make_settings

    assert dg.materialize(
        [assets.at_risk_model, assets.at_risk_scores], resources=_resources(lake)
    ).success
    scores = pl.from_arrow(read_delta(DeltaTable(str(lake / assets.SCORES_TABLE))))
    (tmp_path / "api").mkdir()
    settings = make_settings(tmp_path / "api", lake)
    users = seed_demo_users(settings, tmp_path / "api" / "demo_users.json")
    teacher = next(u for u in users if u["role"] == "teacher")
    class_id = teacher["class_ids"][0]
    latest = scores.filter(pl.col("class_id") == class_id)
    latest = latest.filter(pl.col("week") == latest["week"].max())
    expected = {
        r["student_id"]: r["reasons"] for r in latest.filter(pl.col("band") != "low").to_dicts()
    }
    assert expected, "the latest week of the class flags somebody"
    with TestClient(create_app(settings, scan_every_s=3600)) as client:
        token = client.post(
            "/api/v1/auth/login",
            json={"username": teacher["username"], "password": teacher["password"]},
        ).json()["access_token"]
        body = client.get(
            f"/api/v1/classes/{class_id}/at-risk", headers={"Authorization": f"Bearer {token}"}
        ).json()
    assert body.get("source") == "model", body
    assert {s["student_id"]: s["reasons"] for s in body["students"]} == expected
    assert all(
        s["band"] in ("high", "medium") and 0 <= s["probability"] <= 1 for s in body["students"]
    )
