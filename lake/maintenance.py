"""Table upkeep: compaction of the small files that frequent loads leave, and vacuum."""

from __future__ import annotations

from typing import Any

from deltalake import DeltaTable

from lake import io
from lake.settings import LakeSettings
from lake.spark.io import clean_staging
from lake.tables import ALL_TABLES


def optimize_all(settings: LakeSettings, vacuum_hours: int | None = None) -> dict[str, Any]:
    """Compact every existing table; vacuum files older than ``vacuum_hours`` when given.
    Staging folders that a killed Spark write left (``_staging``) are removed too."""
    out: dict[str, Any] = {"_staging": {"removed": clean_staging(settings)}}
    for name, spec in ALL_TABLES.items():
        if io.version(settings, spec) is None:
            continue
        with io.table_lock(settings, spec):
            dt = DeltaTable(str(io.table_path(settings, spec)))
            metrics = dt.optimize.compact()
            out[name] = {
                "files_added": metrics.get("numFilesAdded"),
                "files_removed": metrics.get("numFilesRemoved"),
            }
            if vacuum_hours is not None:
                removed = dt.vacuum(retention_hours=vacuum_hours, dry_run=False)
                out[name]["vacuumed"] = len(removed)
    return out
