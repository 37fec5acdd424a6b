"""The same landing files loaded by the Spark engine, beside the embedded lake of ``curated``."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from lake.settings import LakeSettings
from tests.conftest import Curated


@dataclass(frozen=True)
class Engines:
    """Two lakes built from one landing folder: ``embedded`` (delta-rs, dbt-duckdb) and
    ``spark`` (delta-spark, the transpiled dbt models), plus what each load reported."""

    embedded: LakeSettings
    spark: LakeSettings
    gold_report: dict[str, dict[str, object]]


@pytest.fixture(scope="session")
def engines(curated: Curated, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engines]:
    """The ``curated`` landing files ingested and the heavy marts built on Spark."""
    from lake.loader import ingest
    from lake.spark import runtime
    from lake.spark.gold import build_gold

    mp = pytest.MonkeyPatch()
    # The test data is small: a few shuffle partitions beat Spark's many tiny tasks.
    mp.setenv("LEARNSMART_SPARK_SHUFFLE_PARTITIONS", "2")
    mp.setenv("LEARNSMART_SPARK_DRIVER_MEMORY", "2g")
    # Small enough that the event tables go to Spark through a staged Parquet file, as a large
    # load does, while the rosters still go straight from Arrow: parity covers both ways.
    mp.setenv("LEARNSMART_SPARK_STAGE_ABOVE_ROWS", "2000")
    spark = replace(
        curated.settings, lake=tmp_path_factory.mktemp("spark") / "lake", engine="spark"
    )
    ingest(spark)
    report = build_gold(spark)
    yield Engines(embedded=curated.settings, spark=spark, gold_report=report)
    runtime.stop()
    mp.undo()


def lake_path(settings: LakeSettings, name: str) -> Path:
    """Folder of ``<layer>/<table>`` in a lake."""
    return settings.lake / name
