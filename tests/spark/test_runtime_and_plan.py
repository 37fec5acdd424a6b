"""The engine setting, the Spark set-up checks and the dbt-to-Spark plan, without a JVM."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lake.io import merge_plan
from lake.settings import LakeSettings, SettingsError
from lake.spark import runtime
from lake.spark.gold import GoldBuildError, plan, to_spark_sql
from lake.tables import silver


def test_the_engine_comes_from_the_environment_and_an_unknown_one_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LEARNSMART_ENGINE", " Spark ")
    assert LakeSettings.from_env().engine == "spark"
    monkeypatch.delenv("LEARNSMART_ENGINE")
    assert LakeSettings.from_env().engine == "embedded"
    with pytest.raises(SettingsError, match="not one of embedded, spark"):
        LakeSettings.from_env(engine="flink")


def test_missing_delta_jars_name_the_command_that_fetches_them(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("LEARNSMART_M2_REPO", str(tmp_path))
    with pytest.raises(runtime.SparkSetupError, match="make setup-spark"):
        runtime.delta_jars()


def test_installed_delta_jars_are_found_in_the_local_maven_repository(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("LEARNSMART_M2_REPO", str(tmp_path))
    for group, name, version in runtime.DELTA_JARS:
        jar = tmp_path / group.replace(".", "/") / name / version / f"{name}-{version}.jar"
        jar.parent.mkdir(parents=True)
        jar.write_bytes(b"PK")
    assert [j.name for j in runtime.delta_jars()] == [
        "delta-spark_4.2_2.13-4.4.0.jar",
        "delta-storage-4.4.0.jar",
    ]


def test_duckdb_sql_becomes_spark_sql_over_temporary_views() -> None:
    sql = to_spark_sql(
        "select student_id, count(*) filter (where verb = 'x') as n, "
        "date_diff('millisecond', a, b) / 1000.0 as s "
        'from "warehouse"."silver"."learning_events" group by all'
    )
    assert "silver__learning_events" in sql
    assert "warehouse" not in sql and '"' not in sql
    assert "FILTER(WHERE" in sql.replace(" (", "(").upper()


def _node(name: str, deps: list[str], sql: str = "select 1 as x") -> dict[str, object]:
    return {
        "resource_type": "model",
        "name": name,
        "schema": "s",
        "fqn": ["learnsmart", "marts", "d", name],
        "config": {"materialized": "table"},
        "depends_on": {"nodes": [f"model.p.{d}" for d in deps]},
        "compiled_code": sql,
    }


def test_the_plan_runs_upstream_models_first_and_marks_the_marts() -> None:
    manifest = {
        "nodes": {
            "model.p.mart": _node("mart", ["mid", "stg"]),
            "model.p.mid": _node("mid", ["stg"]),
            "model.p.stg": _node("stg", []),
            "model.p.other": _node("other", []),
        }
    }
    models = plan(json.loads(json.dumps(manifest)), ("mart",))
    assert [m.name for m in models] == ["stg", "mid", "mart"]
    assert [m.is_target for m in models] == [False, False, True]
    assert models[-1].domain == "d"
    with pytest.raises(GoldBuildError, match="no dbt model named nope"):
        plan(manifest, ("nope",))


def test_both_engines_merge_with_one_plan_per_policy() -> None:
    events = merge_plan(silver("learning_events"))
    assert events.updates is None and "t.event_id = s.event_id" in events.predicate
    students = merge_plan(silver("students"))
    assert students.updates is not None and students.changed is not None
    assert students.updates["first_seen_at"] == "coalesce(s.first_seen_at, t.first_seen_at)"
