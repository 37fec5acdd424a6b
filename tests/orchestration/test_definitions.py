"""The Dagster graph: what it declares, and that the whole of it materialises from the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from lake.tables import BRONZE, QUARANTINE, SILVER
from orchestration.definitions import defs
from orchestration.defs.ingest.assets import sources_for
from orchestration.defs.ingest.lineage import BRONZE_FEEDS

ROOT = Path(__file__).resolve().parents[2]


def _graph() -> dg.AssetGraph:
    return defs.get_repository_def().asset_graph


def test_every_declared_table_is_an_asset_in_its_layer_group() -> None:
    graph = _graph()
    for spec in (*BRONZE, *SILVER, *QUARANTINE):
        key = dg.AssetKey(spec.name.split("/"))
        assert graph.has(key), spec.name
        assert graph.get(key).group_name == spec.layer.value


def test_silver_assets_depend_on_exactly_the_bronze_tables_that_feed_them() -> None:
    graph = _graph()
    for spec in SILVER:
        parents = {
            k.to_user_string() for k in graph.get(dg.AssetKey(["silver", spec.table])).parent_keys
        }
        expected = {f"bronze/{s}__{e}" for (s, e), ts in BRONZE_FEEDS.items() if spec.table in ts}
        assert parents == expected, spec.table
        assert expected, f"silver/{spec.table} has no bronze input"


def test_every_silver_table_has_a_blocking_key_check_and_every_source_an_accounting_check() -> None:
    graph = _graph()
    check_keys = {(k.asset_key.to_user_string(), k.name) for k in graph.asset_check_keys}
    for spec in SILVER:
        assert (spec.name, "key_unique_not_null") in check_keys
    for spec in QUARANTINE:
        assert (spec.name, "rows_accounted") in check_keys


def test_selecting_a_silver_table_runs_only_the_sources_behind_it() -> None:
    assert sources_for([dg.AssetKey(["silver", "forum_posts"])]) == {"forum"}
    assert sources_for([dg.AssetKey(["silver", "learning_events"])]) == {"oulad", "xapi", "caliper"}


def test_dbt_models_hang_off_silver_and_show_their_layer() -> None:
    graph = _graph()
    stg = graph.get(dg.AssetKey(["staging", "stg_silver__learning_events"]))
    assert {k.to_user_string() for k in stg.parent_keys} == {"silver/learning_events"}
    mart = graph.get(dg.AssetKey(["gold", "items", "fct_item_statistics"]))
    assert mart.group_name == "gold_items"
    checks = {k.name for k in graph.asset_check_keys if k.asset_key == mart.key}
    assert "unique_fct_item_statistics_item_id" in checks


def test_sensor_schedules_and_daily_event_job_are_defined() -> None:
    repo = defs.get_repository_def()
    assert repo.has_sensor_def("landing_sensor")
    assert repo.has_schedule_def("nightly_ingest")
    assert repo.has_schedule_def("event_day_schedule")
    job = repo.get_job("event_day_job")
    assert isinstance(job.partitions_def, dg.DailyPartitionsDefinition)


@pytest.mark.slow
def test_cli_materialises_the_whole_graph_honouring_lake_and_landing(tmp_path: Path) -> None:
    from lake.demo import generate

    landing, lake = tmp_path / "landing", tmp_path / "lake"
    generate(landing, students=40, days=5, seed=2)
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    env = {
        **os.environ,
        "LEARNSMART_LAKE": str(lake),
        "LEARNSMART_LANDING": str(landing),
        "DAGSTER_HOME": str(home),
        "PYTHONPATH": str(ROOT),
    }
    bindir = Path(sys.executable).parent
    run = subprocess.run(
        [
            str(bindir / "dagster"),
            "asset",
            "materialize",
            "-m",
            "orchestration.definitions",
            "--select",
            "*",
        ],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert "RUN_SUCCESS" in run.stdout + run.stderr
    status = subprocess.run(
        [str(bindir / "learnsmart"), "lake", "status", "--json"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    doc = json.loads(status.stdout)
    tables = {t["name"]: t for t in doc["tables"]}
    for name in (
        "silver/students",
        "silver/classes",
        "silver/learning_events",
        "silver/item_responses",
    ):
        assert tables[name]["rows"] > 0, name
    loads = doc["loads"]
    assert loads["rows_in"] == loads["rows_kept"] + loads["rows_quarantined"]
    assert loads["rows_quarantined"] > 0 and doc["quarantine"]
    # Nothing was written under the working directory's default ./data.
    assert not (tmp_path / "data").exists()
    assert (run.stdout + run.stderr).count("ASSET_CHECK_EVALUATION") >= len(SILVER) + len(
        QUARANTINE
    )
    # The curated layer ran too: every mart is a gold Delta table with rows, and the warehouse
    # sits next to the lake (LEARNSMART_WAREHOUSE unset).
    from deltalake import DeltaTable

    for mart in (
        "engagement/fct_daily_engagement",
        "items/fct_item_statistics",
        "features/fct_student_week_features",
    ):
        assert DeltaTable(str(lake / "gold" / mart)).to_pyarrow_table().num_rows > 0, mart
    assert (tmp_path / "warehouse.duckdb").exists()
    graph = _graph()
    dbt_checks = [k for k in graph.asset_check_keys if k.asset_key.path[0] in ("staging", "gold")]
    assert "ASSET_CHECK_EVALUATION" in run.stdout + run.stderr
    assert (run.stdout + run.stderr).count("ASSET_CHECK_EVALUATION") >= len(SILVER) + len(
        QUARANTINE
    ) + len(dbt_checks)
