"""Item analysis recomputed with numpy straight from silver matches the items marts."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from tests.conftest import Curated

pytestmark = pytest.mark.slow


def _responses(curated: Curated) -> pl.DataFrame:
    """One row per (attempt, item): IRIs reduced to bank ids, voids dropped, quiz export first."""
    silver = curated.lake / "silver"
    df = pl.read_delta(str(silver / "item_responses")).filter(~pl.col("is_voided"))
    df = df.with_columns(pl.col("item_id").str.extract(r"([^/]+)/?$", 1).alias("item"))
    df = df.with_columns((pl.col("source") != "quiz_attempts").cast(pl.Int8).alias("pref"))
    df = df.sort(["attempt_id", "item", "pref", "answered_at"]).unique(
        ["attempt_id", "item"], keep="first", maintain_order=True
    )
    items = pl.read_delta(str(silver / "items")).select(pl.col("item_id").alias("item"), "quiz_id")
    return (
        df.drop("quiz_id")
        .join(items, on="item", how="left")
        .with_columns(pl.col("is_correct").cast(pl.Float64).alias("x"))
    )


def test_difficulty_and_corrected_point_biserial_match_numpy(curated: Curated) -> None:
    df = _responses(curated)
    totals = df.group_by("attempt_id").agg(pl.col("x").sum().alias("total"))
    df = df.join(totals, on="attempt_id")
    mart = pl.read_delta(str(curated.lake / "gold" / "items" / "fct_item_statistics"))
    assert mart.height == df["item"].n_unique()
    checked = 0
    for row in mart.iter_rows(named=True):
        sub = df.filter(pl.col("item") == row["item_id"])
        x = sub["x"].to_numpy()
        rest = (sub["total"] - sub["x"]).to_numpy()
        assert row["n_attempts"] == len(x)
        assert row["difficulty"] == pytest.approx(x.mean(), abs=1e-12)
        if x.std() > 0 and rest.std() > 0:
            assert row["discrimination"] == pytest.approx(np.corrcoef(x, rest)[0, 1], abs=1e-9)
            checked += 1
        else:
            assert row["discrimination"] is None
    assert checked > 10


def test_kr20_matches_numpy_over_complete_attempts(curated: Curated) -> None:
    df = _responses(curated)
    items = pl.read_delta(str(curated.lake / "silver" / "items"))
    mart = pl.read_delta(str(curated.lake / "gold" / "items" / "fct_quiz_reliability"))
    checked = 0
    for row in mart.iter_rows(named=True):
        quiz_items = sorted(items.filter(pl.col("quiz_id") == row["quiz_id"])["item_id"].to_list())
        k = len(quiz_items)
        wide = (
            df.filter(pl.col("quiz_id") == row["quiz_id"])
            .pivot(on="item", index="attempt_id", values="x")
            .drop_nulls()
        )
        complete = wide.select([c for c in quiz_items if c in wide.columns])
        assert row["n_items"] == k
        if complete.width < k:
            complete = complete.clear()
        assert row["n_complete_attempts"] == complete.height
        m = complete.to_numpy()
        if m.shape[0] < 2 or m.sum(axis=1).var() == 0:
            assert row["kr20"] is None
            continue
        p = m.mean(axis=0)
        kr20 = k / (k - 1) * (1 - (p * (1 - p)).sum() / m.sum(axis=1).var())
        assert row["kr20"] == pytest.approx(kr20, abs=1e-9)
        assert row["cronbach_alpha"] == pytest.approx(kr20, abs=1e-9)  # 0/1 items
        checked += 1
    assert checked >= 5
