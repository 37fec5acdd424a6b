"""dbt-duckdb plugin that writes a model's rows (handed over as a parquet file) to Delta.

Called from the ``export_delta`` post-hook through ``adapter.store_relation``. Config keys:
``delta_path`` (table folder), ``delta_mode`` (``overwrite`` or ``replace_where``),
``delta_predicate`` (for ``replace_where``: the rows of the Delta table to replace, e.g. the
event dates an incremental run re-aggregated) and ``delta_partition_by``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from dbt.adapters.duckdb.plugins import BasePlugin
from dbt.adapters.duckdb.utils import TargetConfig
from deltalake import DeltaTable, write_deltalake
from deltalake.exceptions import TableNotFoundError


def _portable(table: pa.Table) -> pa.Table:
    """Types every Delta reader (Trino, Spark, DuckDB) takes: no unsigned ints, no int128."""
    fields = []
    for f in table.schema:
        t = f.type
        if pa.types.is_unsigned_integer(t) or (pa.types.is_decimal(t) and t.scale == 0):
            t = pa.int64()
        elif pa.types.is_large_string(t) or pa.types.is_string_view(t):
            t = pa.string()
        fields.append(pa.field(f.name, t))
    return table.cast(pa.schema(fields))


class Plugin(BasePlugin):
    def initialize(self, plugin_config: dict[str, Any]) -> None:
        self._config = plugin_config or {}

    def store(self, target_config: TargetConfig) -> None:
        cfg = target_config.config
        assert target_config.location is not None
        path = str(cfg["delta_path"])
        data = _portable(pq.read_table(target_config.location.path))
        partition_by = cfg.get("delta_partition_by") or None
        mode = cfg.get("delta_mode", "overwrite")
        try:
            DeltaTable(path)
            exists = True
        except TableNotFoundError:
            exists = False
        if mode == "replace_where" and exists:
            predicate = cfg.get("delta_predicate")
            if not predicate:
                return  # nothing re-aggregated in this run
            write_deltalake(path, data, mode="overwrite", predicate=predicate)
        else:
            Path(path).mkdir(parents=True, exist_ok=True)
            write_deltalake(
                path,
                data,
                mode="overwrite",
                schema_mode="overwrite",
                partition_by=partition_by,
            )
        Path(target_config.location.path).unlink(missing_ok=True)
