"""The lake's write primitives on delta-spark, with the embedded engine's semantics.

Each function mirrors one of ``lake.io`` and takes what defines the write from there: the table's
declared schema (``conform``), its merge plan (``merge_plan``: join predicate, updates, change
condition) and the in-batch reduction of repeated keys (``merge_input``), so the two engines
cannot drift apart. Tables are created by ``lake.io.open_table`` (the declared schema and
partitioning, the protocol every reader here reads) and then written by Spark; the per-table
file lock is the same, so a Spark load and an embedded one never write one table at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pyarrow as pa

from lake import io
from lake.settings import LakeSettings
from lake.spark.runtime import session
from lake.tables import TableSpec


def _frame(data: pa.Table) -> Any:
    """A Spark DataFrame of Arrow rows (types mapped by Spark's Arrow conversion).

    Empty record batches are dropped first: pyspark 4.2's ``createDataFrame`` loses the rows of
    the batch after an empty one (6 rows in batches of 3, 2, 0 and 1 gave 5).
    """
    batches = [b for b in data.to_batches() if b.num_rows]
    table = pa.Table.from_batches(batches, schema=data.schema) if batches else data.slice(0, 0)
    return session().createDataFrame(table)


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
        elif retry:
            (
                _frame(data)
                .write.format("delta")
                .mode("overwrite")
                .option("replaceWhere", predicate)
                .save(path)
            )
        else:
            _frame(data).write.format("delta").mode("append").save(path)
    return data.num_rows


def merge(settings: LakeSettings, spec: TableSpec, data: pa.Table, load_id: str) -> dict[str, Any]:
    """``lake.io.merge`` on Spark; returns the same metric names as delta-rs."""
    data = io.merge_input(spec, data, load_id)
    if data.num_rows == 0:
        return {"num_target_rows_inserted": 0, "num_target_rows_updated": 0}
    plan = io.merge_plan(spec)
    dt = io.open_table(settings, spec)
    path = str(io.table_path(settings, spec))
    with io.table_lock(settings, spec):
        dt.update_incremental()
        if not dt.file_uris():
            _frame(data).write.format("delta").mode("append").save(path)
            return {"num_target_rows_inserted": data.num_rows, "num_target_rows_updated": 0}
        target = _delta(path)
        merger = target.alias("t").merge(_frame(data).alias("s"), plan.predicate)
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
    (
        _delta(str(io.table_path(settings, spec)))
        .alias("t")
        .merge(_frame(source).alias("s"), predicate)
        .whenMatchedUpdate(condition=condition, set=updates)
        .execute()
    )
