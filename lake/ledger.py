"""The load ledger (``system/_loads``): one row per file per load, so re-loading is a no-op and
every file's rows are accounted for (rows in = rows kept + rows quarantined)."""

from __future__ import annotations

from datetime import UTC, datetime

import pyarrow as pa
import pyarrow.compute as pc

from lake import io
from lake.settings import LakeSettings
from lake.sources.base import FileCount, LoadUnit
from lake.tables import LOADS

STARTED = "started"
COMMITTED = "committed"
FAILED = "failed"


def committed_units(settings: LakeSettings, source: str | None = None) -> set[str]:
    """``unit_sha256`` of every unit whose load committed (optionally for one source)."""
    t = io.read(settings, LOADS, columns=["source", "unit_sha256", "status"])
    mask = pc.equal(t.column("status"), COMMITTED)
    if source is not None:
        mask = pc.and_(mask, pc.equal(t.column("source"), source))
    return set(t.filter(mask).column("unit_sha256").to_pylist())


def _rows(
    unit: LoadUnit, status: str, counts: dict[str, FileCount] | None, **extra: object
) -> pa.Table:
    names = [unit.member_name(f) for f in unit.files]
    n = len(names)
    counts = counts or {}

    def count(attr: str) -> list[int | None]:
        return [getattr(counts[m], attr) if m in counts else None for m in names]

    cols: dict[str, list[object]] = {
        "load_id": [unit.load_id] * n,
        "source": [unit.source] * n,
        "unit": [unit.name] * n,
        "file": names,
        "file_sha256": [unit.file_shas[f] for f in unit.files],
        "unit_sha256": [unit.sha256] * n,
        "file_bytes": [f.stat().st_size for f in unit.files],
        "rows_in": count("rows_in"),
        "rows_kept": count("rows_kept"),
        "rows_quarantined": count("rows_quarantined"),
        "status": [status] * n,
    }
    for k, v in extra.items():
        cols[k] = [v] * n
    return pa.table({k: pa.array(v, LOADS.schema.field(k).type) for k, v in cols.items()})


def record_start(settings: LakeSettings, unit: LoadUnit, started_at: datetime) -> None:
    """Mark a unit's load as started (a retry after a crash starts the same load id again)."""
    io.merge(settings, LOADS, _rows(unit, STARTED, None, started_at=started_at), unit.load_id)


def record_finish(
    settings: LakeSettings,
    unit: LoadUnit,
    counts: list[FileCount],
    status: str = COMMITTED,
    error: str | None = None,
) -> None:
    """Close a unit's load with its per-file counts; ``committed`` makes re-loads no-ops."""
    by_file = {c.file: c for c in counts}
    rows = _rows(unit, status, by_file, finished_at=datetime.now(UTC), error=error)
    io.merge(settings, LOADS, rows, unit.load_id)


def totals(settings: LakeSettings) -> dict[str, int]:
    """Files, rows in, kept and quarantined over every committed load."""
    t = io.read(settings, LOADS)
    t = t.filter(pc.equal(t.column("status"), COMMITTED))
    return {
        "files": t.num_rows,
        "rows_in": int(pc.sum(t.column("rows_in")).as_py() or 0),
        "rows_kept": int(pc.sum(t.column("rows_kept")).as_py() or 0),
        "rows_quarantined": int(pc.sum(t.column("rows_quarantined")).as_py() or 0),
    }
