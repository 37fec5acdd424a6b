"""The learn assets fit the served mastery model and write every student's skill mastery."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import dagster as dg
import polars as pl
from deltalake import DeltaTable

from lake.io import read_delta
from ml_assets.mastery.bkt import BktModel
from orchestration.defs.learn import MASTERY_TABLE, MODEL_FILE, mastery_model, skill_mastery
from orchestration.resources import LakeResource
from tests.conftest import Curated


def test_mastery_model_and_skill_mastery_materialise(curated: Curated, tmp_path: Path) -> None:
    shutil.copytree(curated.lake, tmp_path / "lake")
    lake = tmp_path / "lake"
    result = dg.materialize(
        [mastery_model, skill_mastery],
        resources={"lake": LakeResource(lake=str(lake), landing=str(tmp_path / "landing"))},
    )
    assert result.success
    meta = result.asset_materializations_for_node("mastery_model")[0].metadata
    auc = meta["holdout_auc"].value
    assert isinstance(auc, float) and not math.isnan(auc) and auc > 0.5

    model = BktModel.from_json((lake / MODEL_FILE).read_text())
    assert model.n_responses > 0

    seq = pl.from_arrow(
        read_delta(DeltaTable(str(lake / "gold/items/fct_skill_attempt_sequences")))
    )
    scored = pl.from_arrow(read_delta(DeltaTable(str(lake / MASTERY_TABLE))))
    pairs = seq.select("student_id", "skill_id").unique()
    assert scored.height == pairs.height
    assert scored["probability"].is_between(0, 1).all()
    assert scored["as_of"].null_count() == 0
    one = scored.row(0, named=True)
    mine = seq.filter(
        (pl.col("student_id") == one["student_id"]) & (pl.col("skill_id") == one["skill_id"])
    ).sort("opportunity")
    expected = model.mastery_of(mine["is_correct"].to_list(), one["skill_id"])
    assert abs(expected - one["probability"]) < 1e-9
