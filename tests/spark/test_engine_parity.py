"""The embedded engine and Spark load the same landing files (bad records included) into the
same bronze, silver, quarantine and heavy gold tables, and read each other's tables."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import duckdb
import polars as pl
import pyarrow as pa
import pytest
from deltalake import DeltaTable

from lake.settings import LakeSettings
from lake.tables import BRONZE_TABLES, SILVER, bronze_spec, quarantine_spec
from tests.conftest import Curated, run_dbt
from tests.spark.conftest import Engines, lake_path

pytestmark = pytest.mark.slow

# Columns holding the wall clock of the load or build, which two runs cannot share.
CLOCK_COLUMNS = {"_loaded_at", "_ingested_at", "_ingest_date", "first_seen_at", "quarantined_at"}
GOLD_CLOCK_COLUMNS = {"curated_at", "source_loaded_at"}
GOLD = {
    "fct_daily_engagement": "gold/engagement/fct_daily_engagement",
    "fct_student_week_features": "gold/features/fct_student_week_features",
}


def _rows(path: str, drop: set[str]) -> pl.DataFrame:
    """A Delta table read by delta-rs (through polars), clock columns dropped, rows sorted."""
    df = pl.read_delta(path)
    df = df.drop([c for c in df.columns if c in drop])
    sortable = [c for c in df.columns if not isinstance(df.schema[c], pl.List)]
    return df.sort(sortable, nulls_last=True)


def _engine(path: str) -> str:
    info = DeltaTable(path).history(1)[0]
    return str(info.get("engineInfo") or info.get("clientVersion") or "")


def test_both_engines_write_the_same_silver_tables_row_for_row(engines: Engines) -> None:
    compared = 0
    for spec in SILVER:
        embedded = lake_path(engines.embedded, spec.name)
        spark = lake_path(engines.spark, spec.name)
        assert embedded.exists() == spark.exists(), spec.name
        if not embedded.exists():
            continue
        a, b = _rows(str(embedded), CLOCK_COLUMNS), _rows(str(spark), CLOCK_COLUMNS)
        assert a.schema == b.schema, spec.name
        assert a.height == b.height, spec.name
        assert a.equals(b), f"{spec.name} differs between the engines"
        compared += a.height > 0
    assert compared >= 10
    # The rows really went through Spark: its commits name the engine.
    assert "Spark" in _engine(str(lake_path(engines.spark, "silver/learning_events")))
    assert "Spark" not in _engine(str(lake_path(engines.embedded, "silver/learning_events")))


def test_both_engines_quarantine_the_same_records_for_the_same_reasons(engines: Engines) -> None:
    def by_reason(settings: object) -> pl.DataFrame:
        frames = []
        for source in BRONZE_TABLES:
            path = lake_path(settings, quarantine_spec(source).name)  # type: ignore[arg-type]
            if path.exists():
                frames.append(pl.read_delta(str(path)).select("source", "reason_code", "file"))
        return (
            pl.concat(frames)
            .group_by("source", "reason_code", "file")
            .len()
            .sort("source", "reason_code", "file")
        )

    embedded, spark = by_reason(engines.embedded), by_reason(engines.spark)
    assert embedded["len"].sum() > 0  # the demo school's bad records
    assert embedded["reason_code"].n_unique() >= 3
    assert embedded.equals(spark)


def test_both_engines_keep_the_same_raw_records_in_bronze(engines: Engines) -> None:
    for source, entities in BRONZE_TABLES.items():
        for entity in entities:
            name = bronze_spec(source, entity).name
            embedded = lake_path(engines.embedded, name)
            assert embedded.exists() == lake_path(engines.spark, name).exists(), name
            if embedded.exists():
                a = _rows(str(embedded), CLOCK_COLUMNS)
                b = _rows(str(lake_path(engines.spark, name)), CLOCK_COLUMNS)
                assert a.equals(b), name


@pytest.mark.parametrize("mart", sorted(GOLD))
def test_the_heavy_gold_marts_are_equal_row_for_row(engines: Engines, mart: str) -> None:
    embedded = _rows(str(lake_path(engines.embedded, GOLD[mart])), GOLD_CLOCK_COLUMNS)
    spark = _rows(str(lake_path(engines.spark, GOLD[mart])), GOLD_CLOCK_COLUMNS)
    assert embedded.height > 100
    assert embedded.schema == spark.schema
    assert embedded.equals(spark)
    assert engines.gold_report[mart]["rows"] == spark.height
    assert "Spark" in _engine(str(lake_path(engines.spark, GOLD[mart])))


def test_spark_reads_the_tables_delta_rs_wrote(engines: Engines) -> None:
    from lake.spark.runtime import session

    path = str(lake_path(engines.embedded, "silver/item_responses"))
    by_spark = pl.from_arrow(session().read.format("delta").load(path).toArrow())
    assert isinstance(by_spark, pl.DataFrame)
    by_delta_rs = pl.read_delta(path)
    assert by_spark.height == by_delta_rs.height > 0
    key = ["attempt_id", "item_id"]
    assert by_spark.sort(key).equals(by_delta_rs.select(by_spark.columns).sort(key))


def test_dbt_under_the_spark_engine_builds_the_rest_of_gold_on_the_spark_marts(
    engines: Engines, curated: Curated, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEARNSMART_ENGINE", "spark")
    warehouse = tmp_path / "warehouse.duckdb"
    run_dbt(engines.spark.lake, warehouse, "build")  # fails the test if a dbt test fails

    def progress(path: Path) -> pl.DataFrame:
        with duckdb.connect(str(path), read_only=True) as con:
            df = con.sql("select * from progress.fct_student_progress").pl()
        return df.drop("curated_at").sort("student_id", "class_id")

    embedded, spark = progress(curated.warehouse), progress(warehouse)
    assert embedded.height > 0
    assert embedded.columns == spark.columns
    differing = [c for c in embedded.columns if not embedded[c].equals(spark[c])]
    assert differing == [], f"fct_student_progress differs in {differing}"
    # dbt read the heavy marts back and left Spark's gold tables as Spark wrote them.
    for path in GOLD.values():
        assert "Spark" in _engine(str(lake_path(engines.spark, path)))


def test_rows_after_an_empty_arrow_batch_reach_spark(engines: Engines) -> None:
    from lake.spark.io import _frame

    batches = [
        pa.table({"a": list(v)}, schema=pa.schema([("a", pa.int64())]))
        for v in ([1, 2, 3], [4, 5], [], [6])
    ]
    rows = pa.concat_tables(batches)
    assert sorted(r[0] for r in _frame(rows).collect()) == [1, 2, 3, 4, 5, 6]


def test_large_inputs_reach_spark_through_a_staged_parquet_file_with_the_arrow_types(
    engines: Engines, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lake.spark.io import STAGING_DIR, _frame, _rows

    events = pl.read_delta(str(lake_path(engines.embedded, "silver/learning_events")))
    data = events.head(3000).to_arrow()
    staging = engines.spark.lake / STAGING_DIR
    monkeypatch.setenv("LEARNSMART_SPARK_STAGE_ABOVE_ROWS", "1000")
    with _rows(engines.spark, data) as rows:
        staged = list(staging.iterdir()) if staging.exists() else []
        assert len(staged) == 1  # this input went through a file, not the driver's heap
        assert rows.schema == _frame(data.slice(0, 0)).schema
        back = pl.from_arrow(rows.toArrow())
    assert not any(staging.iterdir())  # the file is gone after the block
    assert isinstance(back, pl.DataFrame)
    assert back.sort("event_id").equals(pl.from_arrow(data).sort("event_id"))
    monkeypatch.setenv("LEARNSMART_SPARK_STAGE_ABOVE_ROWS", "many")
    with (
        pytest.raises(ValueError, match="LEARNSMART_SPARK_STAGE_ABOVE_ROWS"),
        _rows(engines.spark, data),
    ):
        pass


def test_event_records_are_validated_in_spark_tasks_not_in_the_driver(
    engines: Engines, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lake import loader
    from lake.sources import caliper, quiz_attempts, xapi

    def in_the_driver(*args: object, **kwargs: object) -> None:
        raise AssertionError("event records were validated in the driver")

    lake = replace(engines.spark, lake=tmp_path / "lake")
    # Rosters and catalogues first, as the full load has them (embedded: quicker, same rows).
    loader.ingest(replace(lake, engine="embedded"), ("oneroster", "oulad", "content", "forum"))
    # The driver cannot validate a record now; Spark's Python workers import their own copy.
    monkeypatch.setattr(xapi, "_validate_sql", in_the_driver)
    monkeypatch.setattr(caliper, "_event_row", in_the_driver)
    monkeypatch.setattr(quiz_attempts, "_validation_sql", in_the_driver)
    reports = loader.ingest(lake, ("quiz_attempts", "xapi", "caliper"))
    assert {r.source for r in reports} == {"quiz_attempts", "xapi", "caliper"}
    assert all(r.error is None for r in reports)
    for source in ("quiz_attempts", "xapi", "caliper"):
        path = lake_path(lake, f"quarantine/{source}")  # none written when nothing was rejected
        codes = pl.read_delta(str(path))["reason_code"].to_list() if path.exists() else []
        assert "parser_error" not in codes  # no driver fallback
    staging = lake.lake / "_staging"
    assert not staging.exists() or not any(staging.iterdir())

    def rows(settings: LakeSettings, table: str, key: list[str]) -> pl.DataFrame:
        df = pl.read_delta(str(lake_path(settings, f"silver/{table}")))
        return (
            df.filter(pl.col("source").is_in(["xapi", "caliper", "quiz_attempts"]))
            .select([*key, "source", "student_id"])
            .sort(key)
        )

    for table, key in (
        ("learning_events", ["event_id"]),
        ("item_responses", ["attempt_id", "item_id"]),
    ):
        expected = rows(engines.embedded, table, key)
        assert expected.height > 0, table
        assert rows(lake, table, key).equals(expected), table
