"""The lake's write primitives on delta-spark, with the embedded engine's semantics.

Each function mirrors one of ``lake.io`` and takes what defines the write from there: the table's
declared schema (``conform``), its merge plan (``merge_plan``: join predicate, updates, change
condition) and the in-batch reduction of repeated keys (``merge_input``), so the two engines
cannot drift apart. Tables are created by ``lake.io.open_table`` (the declared schema and
partitioning, the protocol every reader here reads) and then written by Spark; the per-table
file lock is the same, so a Spark load and an embedded one never write one table at once.
"""

from __future__ import annotations

import os
import shutil
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from lake import io
from lake.settings import LakeSettings
from lake.spark.runtime import session
from lake.tables import TableSpec

# Rows handed to Spark go through a Parquet file when there are more than this many
# (LEARNSMART_SPARK_STAGE_ABOVE_ROWS); fewer go straight from Arrow (a file costs a few
# milliseconds, Arrow the driver's heap).
STAGE_ABOVE_ROWS = 50_000
STAGING_DIR = "_staging"
# A staging folder lives as long as one write or one batch's parse; one this old was left by a
# process that was killed mid-write.
STALE_STAGING_HOURS = 24.0


def _frame(data: pa.Table) -> Any:
    """A Spark DataFrame of Arrow rows held in the driver (types mapped by Spark's Arrow
    conversion); for small inputs only, see :func:`_rows`.

    Empty record batches are dropped first: pyspark 4.2's ``createDataFrame`` loses the rows of
    the batch after an empty one (6 rows in batches of 3, 2, 0 and 1 gave 5).
    """
    batches = [b for b in data.to_batches() if b.num_rows]
    table = pa.Table.from_batches(batches, schema=data.schema) if batches else data.slice(0, 0)
    return session().createDataFrame(table)


def _stage_above_rows() -> int:
    value = os.environ.get("LEARNSMART_SPARK_STAGE_ABOVE_ROWS", "").strip()
    if not value:
        return STAGE_ABOVE_ROWS
    if not value.isdigit():
        raise ValueError(f"LEARNSMART_SPARK_STAGE_ABOVE_ROWS must be a whole number, got {value!r}")
    return int(value)


@contextmanager
def _rows(settings: LakeSettings, data: pa.Table) -> Iterator[Any]:
    """A Spark DataFrame of ``data`` for the writes inside the block.

    ``createDataFrame`` copies an Arrow table whole into the driver JVM's heap: a 5M-event day
    ran the default 4 GiB driver out of memory. Large inputs are written instead to a Parquet
    file under ``<lake>/_staging`` (the lake's storage, which a cluster's executors read too)
    and read by Spark in splits; the file is deleted when the block ends.
    """
    if data.num_rows <= _stage_above_rows():
        yield _frame(data)
        return
    folder = settings.lake / STAGING_DIR / uuid.uuid4().hex
    folder.mkdir(parents=True)
    try:
        pq.write_table(
            data,
            folder / "part-0.parquet",
            row_group_size=256 * 1024,
            coerce_timestamps="us",
            allow_truncated_timestamps=False,
        )
        yield session().read.schema(_frame(data.slice(0, 0)).schema).parquet(str(folder))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def clean_staging(settings: LakeSettings, older_than_hours: float = STALE_STAGING_HOURS) -> int:
    """Remove the staging folders under ``<lake>/_staging`` last changed more than
    ``older_than_hours`` ago (what a killed Spark write or parse leaves behind); returns how
    many. Younger ones may belong to a load still running and are kept."""
    root = settings.lake / STAGING_DIR
    if not root.is_dir():
        return 0
    cutoff = time.time() - older_than_hours * 3600
    removed = 0
    for folder in root.iterdir():
        try:
            stale = folder.stat().st_mtime < cutoff
        except FileNotFoundError:  # removed by its own writer meanwhile
            continue
        if stale:
            if folder.is_dir():
                shutil.rmtree(folder, ignore_errors=True)
            else:
                folder.unlink(missing_ok=True)
            removed += 1
    return removed


def _delta(path: str) -> Any:
    from delta.tables import DeltaTable

    return DeltaTable.forPath(session(), path)


def replace_load(
    settings: LakeSettings,
    spec: TableSpec,
    data: pa.Table,
    load_ids: Sequence[str],
    retry: bool = False,
) -> int:
    """``lake.io.replace_load`` on Spark: append, or on a retry replace the loads' rows."""
    data = io.conform(spec, data)
    if data.num_rows == 0 and not retry:
        return 0
    io.open_table(settings, spec)
    path = str(io.table_path(settings, spec))
    predicate = io.loads_predicate(spec, load_ids)
    with io.table_lock(settings, spec):
        if retry and data.num_rows == 0:
            _delta(path).delete(predicate)
            return 0
        with _rows(settings, data) as rows:
            if retry:
                (
                    rows.write.format("delta")
                    .mode("overwrite")
                    .option("replaceWhere", predicate)
                    .save(path)
                )
            else:
                rows.write.format("delta").mode("append").save(path)
    return data.num_rows


def merge(settings: LakeSettings, spec: TableSpec, data: pa.Table, load_id: str) -> dict[str, Any]:
    """``lake.io.merge`` on Spark; returns the same metric names as delta-rs."""
    data = io.merge_input(spec, data, load_id)
    if data.num_rows == 0:
        return {"num_target_rows_inserted": 0, "num_target_rows_updated": 0}
    plan = io.merge_plan(spec)
    dt = io.open_table(settings, spec)
    path = str(io.table_path(settings, spec))
    with io.table_lock(settings, spec), _rows(settings, data) as rows:
        dt.update_incremental()
        if not dt.file_uris():
            rows.write.format("delta").mode("append").save(path)
            return {"num_target_rows_inserted": data.num_rows, "num_target_rows_updated": 0}
        target = _delta(path)
        merger = target.alias("t").merge(rows.alias("s"), plan.predicate)
        if plan.updates is not None:
            merger = merger.whenMatchedUpdate(condition=plan.changed, set=plan.updates)
        merger.whenNotMatchedInsertAll().execute()
        metrics = target.history(1).select("operationMetrics").first()[0] or {}
    return {
        "num_target_rows_inserted": int(metrics.get("numTargetRowsInserted", 0)),
        "num_target_rows_updated": int(metrics.get("numTargetRowsUpdated", 0)),
    }


def merge_update(
    settings: LakeSettings,
    spec: TableSpec,
    source: pa.Table,
    predicate: str,
    updates: dict[str, str],
    condition: str,
) -> None:
    """``lake.io.merge_update`` on Spark (the caller holds the table's lock)."""
    with _rows(settings, source) as rows:
        (
            _delta(str(io.table_path(settings, spec)))
            .alias("t")
            .merge(rows.alias("s"), predicate)
            .whenMatchedUpdate(condition=condition, set=updates)
            .execute()
        )
