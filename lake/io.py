"""The few write primitives every table goes through: append-per-load, merge on key, partition
overwrite; plus reads. Each write is one Delta commit, so a reader (or a process killed midway)
always sees a whole version. Writers of one table are serialised with a file lock, since the
Dagster executor may run several loads at once and they share the quarantine and ledger tables.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from deltalake import DeltaTable, write_deltalake
from deltalake.exceptions import TableNotFoundError

from lake.settings import LakeSettings
from lake.tables import LOAD_ID, LOADED_AT, MergePolicy, TableSpec


class SchemaMismatchError(ValueError):
    """A parser produced columns the table does not declare (a programming error)."""


def table_path(settings: LakeSettings, spec: TableSpec) -> Path:
    """Folder of the Delta table for ``spec``."""
    return settings.table_path(spec.name)


def exists(settings: LakeSettings, spec: TableSpec) -> bool:
    """True when the table has at least one commit."""
    return (table_path(settings, spec) / "_delta_log").is_dir() and _open(
        settings, spec
    ) is not None


def _open(settings: LakeSettings, spec: TableSpec) -> DeltaTable | None:
    try:
        return DeltaTable(str(table_path(settings, spec)))
    except TableNotFoundError:
        return None


def open_table(settings: LakeSettings, spec: TableSpec) -> DeltaTable:
    """The Delta table for ``spec``, created empty with its declared schema if missing."""
    dt = _open(settings, spec)
    if dt is not None:
        return dt
    with table_lock(settings, spec):
        dt = _open(settings, spec)
        if dt is None:
            path = table_path(settings, spec)
            path.mkdir(parents=True, exist_ok=True)
            write_deltalake(
                str(path),
                spec.schema.empty_table(),
                mode="append",
                partition_by=list(spec.partition_by) or None,
                name=spec.table,
                description=spec.grain,
            )
            dt = DeltaTable(str(path))
    return dt


def read(settings: LakeSettings, spec: TableSpec, columns: list[str] | None = None) -> pa.Table:
    """The current version of a table (empty, with its schema, if it was never written)."""
    dt = _open(settings, spec)
    if dt is None:
        schema = (
            spec.schema if columns is None else pa.schema([spec.schema.field(c) for c in columns])
        )
        return schema.empty_table()
    return dt.to_pyarrow_table(columns=columns)


def version(settings: LakeSettings, spec: TableSpec) -> int | None:
    """Current Delta version, or None when the table does not exist."""
    dt = _open(settings, spec)
    return None if dt is None else dt.version()


@contextmanager
def table_lock(settings: LakeSettings, spec: TableSpec) -> Iterator[None]:
    """Exclusive, process-wide lock for writers of one table (released if the process dies)."""
    lock_dir = settings.lake / "_locks"
    lock_dir.mkdir(parents=True, exist_ok=True)
    with (lock_dir / f"{spec.name.replace('/', '__')}.lock").open("a") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def conform(spec: TableSpec, data: pa.Table, load_id: str | None = None) -> pa.Table:
    """Cast ``data`` to the table's schema: declared order, missing columns as nulls.

    Silver tables get the load metadata columns filled in from ``load_id``.
    """
    extra = set(data.column_names) - set(spec.schema.names)
    if extra:
        raise SchemaMismatchError(f"{spec.name}: undeclared columns {sorted(extra)}")
    n = data.num_rows
    cols = []
    now = datetime.now(UTC)
    for field in spec.schema:
        if field.name in data.column_names:
            col = data.column(field.name)
            cols.append(col if col.type == field.type else col.cast(field.type))
        elif field.name == LOAD_ID and load_id is not None:
            cols.append(pa.array([load_id] * n, pa.string()))
        elif field.name == LOADED_AT and load_id is not None:
            cols.append(pa.array([now] * n, field.type))
        else:
            cols.append(pa.nulls(n, field.type))
    return pa.Table.from_arrays(cols, schema=spec.schema)


def replace_load(settings: LakeSettings, spec: TableSpec, data: pa.Table, load_id: str) -> int:
    """Write the rows of one load into an append-only table, replacing any earlier attempt of the
    same load (one atomic commit), so a retried load never duplicates rows."""
    id_col = "_load_id" if "_load_id" in spec.schema.names else "load_id"
    data = conform(spec, data)
    dt = open_table(settings, spec)
    with table_lock(settings, spec):
        dt.update_incremental()
        has_previous = _has_rows(dt, id_col, load_id)
        if data.num_rows == 0 and not has_previous:
            return 0
        write_deltalake(
            dt,
            data,
            mode="overwrite" if has_previous else "append",
            predicate=f"{id_col} = '{_sql_str(load_id)}'" if has_previous else None,
        )
    return data.num_rows


def _has_rows(dt: DeltaTable, column: str, value: str) -> bool:
    import pyarrow.dataset as ds

    dataset = dt.to_pyarrow_dataset()
    return dataset.count_rows(filter=ds.field(column) == value) > 0


def _sql_str(value: str) -> str:
    return value.replace("'", "''")


def merge(settings: LakeSettings, spec: TableSpec, data: pa.Table, load_id: str) -> dict[str, Any]:
    """Merge rows into a keyed table by its merge policy; returns delta-rs merge metrics.

    Rows repeating a key within ``data`` are reduced to one (the last) before merging.
    """
    if spec.merge is MergePolicy.APPEND:
        raise ValueError(f"{spec.name} is append-only; use replace_load")
    data = dedupe_on_key(conform(spec, data, load_id), spec.key)
    if data.num_rows == 0:
        return {"num_target_rows_inserted": 0, "num_target_rows_updated": 0}
    dt = open_table(settings, spec)
    on = [*spec.partition_by, *[k for k in spec.key if k not in spec.partition_by]]
    predicate = " AND ".join(f"t.{c} = s.{c}" for c in on)
    with table_lock(settings, spec):
        dt.update_incremental()
        merger = dt.merge(
            source=data,
            predicate=predicate,
            source_alias="s",
            target_alias="t",
            merge_schema=False,
        )
        if spec.merge is MergePolicy.UPSERT:
            updates = {c: f"coalesce(s.{c}, t.{c})" for c in spec.schema.names if c not in spec.key}
            conditions = []
            for c in spec.data_columns:
                if c in spec.key:
                    continue
                if pa.types.is_list(spec.schema.field(c).type):
                    # Lists cannot be compared with <>: any incoming list counts as a change.
                    conditions.append(f"s.{c} IS NOT NULL")
                else:
                    conditions.append(f"(s.{c} IS NOT NULL AND (t.{c} IS NULL OR s.{c} <> t.{c}))")
            changed = " OR ".join(conditions)
            merger = merger.when_matched_update(updates=updates, predicate=changed or None)
        return merger.when_not_matched_insert_all().execute()


def dedupe_on_key(data: pa.Table, key: tuple[str, ...]) -> pa.Table:
    """Keep the last row for each key value (row order is the source's order)."""
    if data.num_rows < 2:
        return data
    idx = pa.array(range(data.num_rows), pa.int64())
    grouped = (
        data.select(list(key)).append_column("__i", idx).group_by(list(key), use_threads=False)
    )
    keep = grouped.aggregate([("__i", "max")]).column("__i_max")
    if len(keep) == data.num_rows:
        return data
    return data.take(keep.take(pc.sort_indices(keep)))


def overwrite_partition(
    settings: LakeSettings, spec: TableSpec, data: pa.Table, predicate: str, load_id: str
) -> None:
    """Atomically replace the rows matching ``predicate`` (e.g. one date partition)."""
    data = conform(spec, data, load_id)
    open_table(settings, spec)
    with table_lock(settings, spec):
        write_deltalake(
            str(table_path(settings, spec)), data, mode="overwrite", predicate=predicate
        )


def delete_where(settings: LakeSettings, spec: TableSpec, predicate: str) -> int:
    """Delete the rows matching ``predicate``; returns how many were deleted."""
    dt = _open(settings, spec)
    if dt is None:
        return 0
    with table_lock(settings, spec):
        dt.update_incremental()
        return int(dt.delete(predicate).get("num_deleted_rows", 0))


def row_count(settings: LakeSettings, spec: TableSpec) -> int:
    """Rows in the current version (from file statistics where available)."""
    dt = _open(settings, spec)
    if dt is None:
        return 0
    return dt.to_pyarrow_dataset().count_rows()
