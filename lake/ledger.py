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


def committed_names(settings: LakeSettings, source: str) -> set[str]:
    """The unit names of ``source`` whose load committed (a unit is known by its digest; a name
    only hints that its bytes were loaded)."""
    t = io.read(settings, LOADS, columns=["source", "unit", "status"])
    mask = pc.and_(pc.equal(t.column("status"), COMMITTED), pc.equal(t.column("source"), source))
    return set(t.filter(mask).column("unit").to_pylist())


def started_load_ids(settings: LakeSettings, load_ids: list[str]) -> set[str]:
    """Those of ``load_ids`` the ledger saw start before: their loads are being retried."""
    t = io.read(settings, LOADS, columns=["load_id"])
    return set(t.filter(pc.is_in(t.column("load_id"), pa.array(load_ids))).column(0).to_pylist())


def record_start(settings: LakeSettings, units: list[LoadUnit], started_at: datetime) -> None:
    """Mark units' loads as started (a retry after a crash starts the same load ids again)."""
    rows = pa.concat_tables([_rows(u, STARTED, None, started_at=started_at) for u in units])
    io.merge(settings, LOADS, rows, units[0].load_id)


def record_finish(
    settings: LakeSettings,
    finished: list[tuple[LoadUnit, list[FileCount], str | None]],
    status: str = COMMITTED,
) -> None:
    """Close loads with their per-file counts (and error, if the parser failed); ``committed``
    makes re-loads no-ops. When a container (a zip) is counted per member, its ``started``
    placeholder row is removed, so every ledger row of a committed load carries counts."""
    now = datetime.now(UTC)
    rows = pa.concat_tables(
        [_rows(u, status, counts, finished_at=now, error=err) for u, counts, err in finished]
    )
    io.merge(settings, LOADS, rows, finished[0][0].load_id)
    stale = []
    for unit, counts, _ in finished:
        counted = {c.file for c in counts}
        stale += [
            f"(load_id = {io.sql_literal(unit.load_id)} AND file = {io.sql_literal(m)})"
            for m in (unit.member_name(f) for f in unit.files)
            if m not in counted
        ]
    if stale:
        io.delete_where(settings, LOADS, " OR ".join(stale))


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
