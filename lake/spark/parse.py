"""Parsing on Spark: the per-record work of a batch runs in Spark tasks, one landing file each.

A parser that splits its parse in two (``map_inputs`` / ``map_unit`` / ``reduce_units``: the
event sources xAPI, Caliper and quiz attempts) is run here when the engine is Spark:

* **map**, in the executors: each unit (landing file) is read, validated and mapped by the
  parser's own ``map_unit`` in its own task, exactly the code the embedded engine runs. Its
  bronze lines, quarantine rows and kept records are written as Arrow files under
  ``<lake>/_staging/<batch>/<unit>/`` (the lake's storage, which a cluster's executors share),
  its per-file counts as JSON; the task returns only a status row.
* **reduce**, in the driver: the parser's ``reduce_units`` makes the batch's silver rows from
  every unit's kept records (identity resolution, the first file's copy of a repeated
  statement, quiz attempts), as the embedded engine does.

The staging folder is removed when the batch has been read back. A unit whose file the parser
cannot read gets ``None`` (the loader parses it alone and quarantines it whole); any other
failure in a task raises :class:`DistributedParseError`, and the loader then parses the batch in
the driver, unit by unit, where hostile records are isolated.
"""

from __future__ import annotations

import functools
import json
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from lake.quarantine import QuarantineBuilder
from lake.settings import LakeSettings
from lake.sources.base import (
    FileCount,
    LoadUnit,
    ParseContext,
    ParseResult,
    UnitMap,
    UnsupportedFileError,
    splits_its_parse,
)
from lake.spark.io import STAGING_DIR
from lake.spark.runtime import session

# What a task returns per unit; Spark's DDL form of it is STATUS_SCHEMA.
_STATUS = pa.schema([("unit", pa.int32()), ("status", pa.string()), ("error", pa.string())])
STATUS_SCHEMA = "unit INT, status STRING, error STRING"


class DistributedParseError(RuntimeError):
    """A Spark task failed to map its unit (not a file the source cannot read)."""


def distributable(parser: Any) -> bool:
    """Whether ``parser`` offers the map/reduce halves this module runs on Spark."""
    return splits_its_parse(parser)


def parse_batch(
    settings: LakeSettings, parser: Any, units: list[LoadUnit], ctx: ParseContext
) -> list[ParseResult | None]:
    """Parse ``units`` with their per-record work in Spark tasks (one per unit) and the
    batch-level rest in the driver; the same results as the parser's ``parse_batch``."""
    staging = settings.lake / STAGING_DIR / f"parse-{uuid.uuid4().hex}"
    staging.mkdir(parents=True)
    try:
        task = functools.partial(
            _map_task,
            source=parser.source,
            units=units,
            inputs=parser.map_inputs(ctx),
            now=ctx.now,
            staging=str(staging),
        )
        frame = session().range(0, len(units), 1, numPartitions=len(units))
        statuses = sorted(frame.mapInArrow(task, STATUS_SCHEMA).collect(), key=lambda r: r.unit)
        failed = [r for r in statuses if r.status == "failed"]
        if failed:
            raise DistributedParseError(
                "; ".join(f"{units[r.unit].name}: {r.error}" for r in failed[:5])
            )
        if [r.unit for r in statuses] != list(range(len(units))):
            raise DistributedParseError(
                f"{len(statuses)} task results for {len(units)} units: a task was lost"
            )
        maps = [
            None if r.status == "unsupported" else _read_map(staging / str(r.unit))
            for r in statuses
        ]
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return parser.reduce_units(units, maps, ctx)


def _map_task(
    batches: Iterator[pa.RecordBatch],
    *,
    source: str,
    units: list[LoadUnit],
    inputs: Any,
    now: datetime,
    staging: str,
) -> Iterator[pa.RecordBatch]:
    """Runs in a Spark task: map each unit index of ``batches`` and stage what it made."""
    from lake.loader import parser_for

    parser = parser_for(source)
    for batch in batches:
        for i in batch.column(0).to_pylist():
            status, error = "ok", None
            try:
                unit_map = parser.map_unit(units[i], inputs, now)
                _write_map(Path(staging) / str(i), unit_map)
            except UnsupportedFileError as exc:
                status, error = "unsupported", str(exc)
            except Exception as exc:  # reported to the driver, which parses the batch itself
                status, error = "failed", f"{type(exc).__name__}: {exc}"
            yield pa.RecordBatch.from_pydict(
                {"unit": [i], "status": [status], "error": [error]}, schema=_STATUS
            )


def _write_map(folder: Path, unit_map: UnitMap) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    tables = {
        **{f"bronze__{entity}": rows for entity, rows in unit_map.bronze.items()},
        "quarantine": unit_map.quarantine.to_table(),
        "kept": unit_map.kept,
    }
    for name, table in tables.items():
        with (
            pa.OSFile(str(folder / f"{name}.arrow"), "wb") as sink,
            pa.ipc.new_file(sink, table.schema) as writer,
        ):
            writer.write_table(table)
    (folder / "files.json").write_text(json.dumps([asdict(c) for c in unit_map.files]))


def _read_table(path: Path) -> pa.Table:
    # Read into memory (not memory-mapped): the staging folder is deleted right after.
    with pa.OSFile(str(path), "rb") as source:
        return pa.ipc.open_file(source).read_all()


def _read_map(folder: Path) -> UnitMap:
    bronze = {
        p.stem.removeprefix("bronze__"): _read_table(p)
        for p in sorted(folder.glob("bronze__*.arrow"))
    }
    files = [FileCount(**c) for c in json.loads((folder / "files.json").read_text())]
    return UnitMap(
        bronze=bronze,
        quarantine=QuarantineBuilder.from_table(_read_table(folder / "quarantine.arrow")),
        files=files,
        kept=_read_table(folder / "kept.arrow"),
    )
