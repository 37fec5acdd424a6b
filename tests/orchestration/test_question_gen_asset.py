"""The drafted-items asset: checked drafts of every course page in gold, logged to MLflow."""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg
import polars as pl
import pytest
from deltalake import DeltaTable

from lake.io import read_delta
from ml_assets import tracking
from ml_assets.question_gen.draft import DraftItem
from orchestration.defs.learn import question_gen as assets
from orchestration.resources import LakeResource

pytestmark = pytest.mark.slow


def test_drafts_are_checked_written_and_logged(lake_copy: Path, tmp_path: Path) -> None:
    result = dg.materialize(
        [assets.drafted_items],
        resources={"lake": LakeResource(lake=str(lake_copy), landing=str(tmp_path / "landing"))},
    )
    assert result.success
    meta = result.asset_materializations_for_node("drafted_items")[0].metadata
    drafts = pl.from_arrow(read_delta(DeltaTable(str(lake_copy / assets.DRAFTS_TABLE))))
    assert drafts.height == meta["drafts"].value > 0
    assert drafts["item_id"].n_unique() == drafts.height
    assert 0 < meta["pass_share"].value <= 1
    # a draft passes exactly when no check failed, and says why when one did
    assert (drafts["passed"] == (drafts["reasons"].list.len() == 0)).all()
    pages = pl.from_arrow(read_delta(DeltaTable(str(lake_copy / "silver/content_pages"))))
    assert drafts.join(pages, on=["content_id", "class_id"], how="anti").height == 0
    one = DraftItem.from_dict(json.loads(drafts.filter(pl.col("passed"))["draft"][0]))
    item = one.to_item()
    assert item["stem"] and item["item_type"] in ("multiple_choice", "short_answer")
    assert one.answer and one.answer.lower() in one.source_sentence.lower()

    t = tracking.Tracking.for_lake(lake_copy)
    run = t.client().get_run(meta["mlflow_run_id"].value)
    assert run.data.metrics["drafts"] == drafts.height
