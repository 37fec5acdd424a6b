"""The recommender assets, trained on the demo school's own activity, and the API serving them."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import polars as pl
import pytest
from deltalake import DeltaTable
from fastapi.testclient import TestClient

from api.demo_users import seed_demo_users
from api.main import create_app
from lake.io import read_delta
from ml_assets import tracking
from orchestration.defs.learn import recommender as assets
from orchestration.resources import LakeResource
from tests.api.conftest import make_settings

pytestmark = pytest.mark.slow


def test_recommendations_are_trained_written_and_served_with_reasons(
    lake_copy: Path, tmp_path: Path
) -> None:
    lake = lake_copy
    result = dg.materialize(
        [assets.recommender_model, assets.content_recommendations],
        resources={"lake": LakeResource(lake=str(lake), landing=str(tmp_path / "landing"))},
    )
    assert result.success
    assert result.asset_materializations_for_node("recommender_model")[0].metadata["trained"].value
    assert tracking.champion(tracking.Tracking.for_lake(lake), assets.MODEL_NAME) is not None

    recs = pl.from_arrow(read_delta(DeltaTable(str(lake / assets.RECOMMENDATIONS_TABLE))))
    interactions, catalogue = assets.interactions_and_catalogue(lake)
    assert recs.height > 0
    assert (recs["reason"].str.len_chars() > 0).all()
    # every recommendation is content of the student's own class, ranked 1..k without repeats
    pairs = catalogue.select("class_id", pl.col("item_id").alias("content_id"))
    assert recs.join(pairs, on=["class_id", "content_id"], how="anti").height == 0
    per = recs.group_by("student_id", "class_id").agg(
        n=pl.len(), distinct=pl.col("content_id").n_unique(), top=pl.col("rank").max()
    )
    assert (per["n"] == per["distinct"]).all() and (per["top"] <= assets.TOP_K).all()
    # as of the day after the class's latest activity: nothing later was used
    last = interactions.group_by("class_id").agg(d=pl.col("day").max() + 1)
    assert recs.join(last, on="class_id").filter(pl.col("as_of_day") != pl.col("d")).height == 0

    (tmp_path / "api").mkdir()
    settings = make_settings(tmp_path / "api", lake)
    users = seed_demo_users(settings, tmp_path / "api" / "demo_users.json")
    student = next(
        u
        for u in users
        if u["role"] == "student" and recs.filter(pl.col("student_id") == u["student_id"]).height
    )
    with TestClient(create_app(settings, scan_every_s=3600)) as client:
        token = client.post(
            "/api/v1/auth/login",
            json={"username": student["username"], "password": student["password"]},
        ).json()["access_token"]
        body = client.get(
            f"/api/v1/students/{student['student_id']}/recommendations",
            headers={"Authorization": f"Bearer {token}"},
        ).json()
    assert body["source"] == "model"
    mine = recs.filter(pl.col("student_id") == student["student_id"])
    by_content = dict(zip(mine["content_id"], mine["reason"], strict=True))
    # practice for the weakest skills comes first (its own reason); then the model's ranking
    served = [
        i
        for i in body["items"]
        if i["content_id"] in by_content and not i["reason"].startswith("practises ")
    ]
    assert served, body
    assert all(i["reason"] == by_content[i["content_id"]] for i in served)
