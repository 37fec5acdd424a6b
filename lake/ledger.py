"""The load ledger (``system/_loads``): one row per file per load, so re-loading is a no-op and
every file's rows are accounted for (rows in = rows kept + rows quarantined)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

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


def _physical(unit: LoadUnit, file: str) -> Path:
    """The file of ``unit`` that a counted name belongs to (a zip member belongs to its zip)."""
    for f in unit.files:
        m = unit.member_name(f)
        if file == m or file.startswith(m + "/"):
            return f
    raise KeyError(f"{file} is not a file of {unit.name}")


def _rows(unit: LoadUnit, status: str, counts: list[FileCount] | None, **extra: object) -> pa.Table:
    """Ledger rows: one per counted file when ``counts`` is given, else one per physical file."""
    if counts is None:
        names = [unit.member_name(f) for f in unit.files]
        files = list(unit.files)
    else:
        names = [c.file for c in counts]
        files = [_physical(unit, c.file) for c in counts]
    n = len(names)
    by_name = {c.file: c for c in counts or ()}

    def count(attr: str) -> list[int | None]:
        return [getattr(by_name[m], attr) if m in by_name else None for m in names]

    cols: dict[str, list[object]] = {
        "load_id": [unit.load_id] * n,
        "source": [unit.source] * n,
        "unit": [unit.name] * n,
        "file": names,
        "file_sha256": [unit.file_shas[f] for f in files],
        "unit_sha256": [unit.sha256] * n,
        "file_bytes": [f.stat().st_size for f in files],
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
    """Close a unit's load with its per-file counts; ``committed`` makes re-loads no-ops.

    When a container (a zip) is counted per member, its ``started`` placeholder row is removed,
    so every ledger row of a committed load carries counts.
    """
    rows = _rows(unit, status, counts, finished_at=datetime.now(UTC), error=error)
    io.merge(settings, LOADS, rows, unit.load_id)
    counted = {c.file for c in counts}
    placeholders = [unit.member_name(f) for f in unit.files if unit.member_name(f) not in counted]
    if placeholders:
        names = ", ".join("'" + p.replace("'", "''") + "'" for p in placeholders)
        load_id = unit.load_id.replace("'", "''")
        io.delete_where(settings, LOADS, f"load_id = '{load_id}' AND file IN ({names})")


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
