"""Week features cannot see the future, and the incremental engagement mart follows late data."""

from __future__ import annotations

import shutil
import uuid
from datetime import timedelta
from pathlib import Path

import duckdb
import polars as pl
import pytest
from deltalake import DeltaTable

from lake import io
from lake.settings import LakeSettings
from lake.tables import silver
from tests.conftest import Curated, run_dbt

pytestmark = pytest.mark.slow

WEEK = 1  # the week whose cut-off the added events follow


def _features(warehouse: Path) -> pl.DataFrame:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        df = con.sql("select * from features.fct_student_week_features").pl()
    return df.drop("curated_at").sort(["student_id", "class_id", "week"])


def _late_events(curated: Curated, cutoff_of: dict[str, object]) -> pl.DataFrame:
    """Copies of real events moved to 1-10 days after their class's week-WEEK cut-off."""
    events = pl.read_delta(str(curated.lake / "silver" / "learning_events"))
    sample = events.filter(pl.col("class_id").is_in(list(cutoff_of))).sample(300, seed=1)
    rows = []
    for i, r in enumerate(sample.iter_rows(named=True)):
        day = cutoff_of[r["class_id"]] + timedelta(days=i % 10)
        shift = day - r["event_date"]
        rows.append(
            {
                **r,
                "event_id": str(uuid.uuid4()),
                "statement_id": None,
                "event_date": day,
                "occurred_at": r["occurred_at"] + shift,
            }
        )
    return pl.DataFrame(rows, schema=events.schema).drop("_load_id", "_loaded_at")


@pytest.fixture(scope="module")
def with_late_events(curated: Curated, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the curated lake plus events after week WEEK's cut-off, built incrementally."""
    root = tmp_path_factory.mktemp("late")
    lake = root / "lake"
    shutil.copytree(curated.lake, lake)
    shutil.copy(curated.warehouse, root / "warehouse.duckdb")
    with duckdb.connect(str(curated.warehouse), read_only=True) as con:
        cutoffs = dict(
            con.execute(
                "select class_id, cutoff_date from intermediate.int_class_weeks where week = ?",
                [WEEK],
            ).fetchall()
        )
    late = _late_events(curated, cutoffs)
    io.merge(LakeSettings(lake=lake), silver("learning_events"), late.to_arrow(), "test-late")
    run_dbt(lake, root / "warehouse.duckdb", "build")
    return root


def test_events_after_the_cut_off_change_no_feature_of_earlier_weeks(
    curated: Curated, with_late_events: Path
) -> None:
    before = _features(curated.warehouse)
    after = _features(with_late_events / "warehouse.duckdb")
    features = [c for c in before.columns if not c.startswith("label_")]
    early_before = before.filter(pl.col("week") <= WEEK).select(features)
    early_after = after.filter(pl.col("week") <= WEEK).select(features)
    assert early_before.height > 0
    assert early_before.equals(early_after)
    # ... while the later weeks did see them.
    late_before = before.filter(pl.col("week") > WEEK)["n_events_to_date"].sum()
    late_after = after.filter(pl.col("week") > WEEK)["n_events_to_date"].sum()
    assert late_after > late_before


def test_incremental_engagement_matches_a_full_rebuild_in_duckdb_and_delta(
    with_late_events: Path, tmp_path: Path
) -> None:
    lake, warehouse = with_late_events / "lake", with_late_events / "warehouse.duckdb"
    key = ["student_id", "class_id", "event_date"]
    cols = [*key, "n_events", "active_minutes", "n_distinct_content"]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        incremental = con.sql(f"select {', '.join(cols)} from engagement.fct_daily_engagement").pl()
    delta_path = str(lake / "gold" / "engagement" / "fct_daily_engagement")
    history = [h["operation"] for h in DeltaTable(delta_path).history()]
    # The late days were replaced in place (predicate overwrite), not the whole table.
    assert history[0] == "WRITE" and len(history) >= 2
    gold = pl.read_delta(delta_path).select(cols)
    fresh = tmp_path / "fresh.duckdb"
    shutil.copytree(lake, tmp_path / "lake")
    run_dbt(tmp_path / "lake", fresh, "run", "--select", "+fct_daily_engagement", "--full-refresh")
    with duckdb.connect(str(fresh), read_only=True) as con:
        full = con.sql(f"select {', '.join(cols)} from engagement.fct_daily_engagement").pl()
    assert incremental.sort(key).equals(full.sort(key))
    assert gold.sort(key).equals(full.sort(key))
