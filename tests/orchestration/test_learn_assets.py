"""The mastery assets compare the models, register the best in MLflow and score every student."""

from __future__ import annotations

import math
from pathlib import Path

import dagster as dg
import polars as pl
import pytest
from deltalake import DeltaTable

from lake.io import read_delta
from ml_assets import tracking
from ml_assets.mastery.served import ServedMastery
from orchestration.defs.learn import MASTERY_TABLE, MODEL_FILE, mastery_model, skill_mastery
from orchestration.defs.learn.mastery import MODEL_NAME, SERVED_DIR
from orchestration.resources import LakeResource


@pytest.mark.slow
def test_mastery_model_and_skill_mastery_materialise(lake_copy: Path, tmp_path: Path) -> None:
    lake = lake_copy
    result = dg.materialize(
        [mastery_model, skill_mastery],
        resources={"lake": LakeResource(lake=str(lake), landing=str(tmp_path / "landing"))},
    )
    assert result.success
    meta = result.asset_materializations_for_node("mastery_model")[0].metadata
    auc = meta["holdout_auc"].value
    assert isinstance(auc, float) and not math.isnan(auc) and auc > 0.5
    kind = meta["served_kind"].value
    comparison = meta["comparison"].value
    assert set(comparison) == {"bkt", "logistic", "dkt", "stack"}
    # the served kind is the best on validation, never chosen on the held-out students
    assert kind == max(comparison, key=lambda k: comparison[k]["valid_auc"])

    champion = tracking.champion(tracking.Tracking.for_lake(lake), MODEL_NAME)
    assert champion is not None and int(champion.version) == meta["registered_version"].value
    model = ServedMastery.load(lake / SERVED_DIR)
    assert model.kind == kind and (lake / MODEL_FILE).is_file()

    seq = pl.from_arrow(
        read_delta(DeltaTable(str(lake / "gold/items/fct_skill_attempt_sequences")))
    )
    scored = pl.from_arrow(read_delta(DeltaTable(str(lake / MASTERY_TABLE))))
    pairs = seq.select("student_id", "skill_id").unique()
    assert scored.height == pairs.height
    assert scored["probability"].is_between(0, 1).all()
    assert scored["p_mastered"].is_between(0, 1).all()
    assert scored["as_of"].null_count() == 0
    assert (scored["model_kind"] == kind).all()
    one = scored.row(0, named=True)
    mine = seq.filter(pl.col("student_id") == one["student_id"]).sort(
        "answered_at", "attempt_id", "item_id", "skill_id"
    )
    history = list(zip(mine["skill_id"].to_list(), mine["is_correct"].to_list(), strict=True))
    expected = model.next_correct(history, [one["skill_id"]])[one["skill_id"]]
    assert abs(expected - one["probability"]) < 1e-9
    own = mine.filter(pl.col("skill_id") == one["skill_id"]).sort("opportunity")
    assert one["n_responses"] == own.height
    bkt = model.bkt.mastery_of(own["is_correct"].to_list(), one["skill_id"])
    assert abs(bkt - one["p_mastered"]) < 1e-9
