"""Loads landing files into bronze, silver and quarantine, with the ledger making it safe to
repeat and safe to kill.

The write order for one unit is: ledger ``started`` -> bronze (replace this load's rows) ->
quarantine (replace this load's rows) -> silver merges (dimension tables first) -> ledger
``committed``. Every step is one atomic Delta commit and every step is idempotent for the same
``load_id``, so a load killed anywhere is completed by simply running it again: no row lost, none
duplicated. A unit whose ledger row says ``committed`` is skipped.
"""

from __future__ import annotations

import contextlib
import gzip
import importlib
import logging
import time
import traceback
import zlib
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa

from lake import io, ledger
from lake.quarantine import QuarantineBuilder, Reason
from lake.settings import LakeSettings
from lake.sources.base import (
    FileCount,
    LoadUnit,
    ParseContext,
    ParseResult,
    SourceParser,
    UnsupportedFileError,
)
from lake.tables import SILVER, SOURCES, bronze_spec, quarantine_spec, silver

log = logging.getLogger(__name__)

# Rosters and catalogues before the facts that refer to them.
SOURCE_ORDER: tuple[str, ...] = (
    "oneroster",
    "oulad",
    "content",
    "forum",
    "quiz_attempts",
    "xapi",
    "caliper",
)
assert set(SOURCE_ORDER) == set(SOURCES)

_SILVER_ORDER = [t.table for t in SILVER]


class AccountingError(RuntimeError):
    """A parser's counts do not add up: a bug, never a property of the input."""


@dataclass
class LoadReport:
    """Outcome of loading one unit."""

    source: str
    unit: str
    load_id: str
    status: str
    rows_in: int = 0
    rows_kept: int = 0
    rows_quarantined: int = 0
    seconds: float = 0.0
    silver_inserted: dict[str, int] = field(default_factory=dict)
    silver_updated: dict[str, int] = field(default_factory=dict)
    error: str | None = None

    def as_dict(self) -> dict[str, object]:
        """Plain dict for JSON output and Dagster metadata."""
        return asdict(self)


def parser_for(source: str) -> SourceParser:
    """The parser registered for ``source`` (module ``lake.sources.<source>``, attribute PARSER)."""
    if source not in SOURCES:
        raise KeyError(f"unknown source {source!r}; known: {', '.join(SOURCES)}")
    return importlib.import_module(f"lake.sources.{source}").PARSER


def pending_units(settings: LakeSettings, source: str) -> list[LoadUnit]:
    """Units in the landing folder of ``source`` that have not been committed yet."""
    done = ledger.committed_units(settings, source)
    return [u for u in parser_for(source).discover(settings.landing) if u.sha256 not in done]


def ingest(
    settings: LakeSettings,
    sources: tuple[str, ...] | None = None,
    where: Callable[[LoadUnit], bool] | None = None,
) -> list[LoadReport]:
    """Load every new unit of the given sources (all, in dependency order, by default);
    ``where`` narrows the units (e.g. to one landing day)."""
    reports = []
    for source in SOURCE_ORDER:
        if sources is not None and source not in sources:
            continue
        for unit in pending_units(settings, source):
            if where is None or where(unit):
                reports.append(load_unit(settings, unit))
    return reports


def load_unit(settings: LakeSettings, unit: LoadUnit) -> LoadReport:
    """Load one unit end to end; a unit already committed is reported as skipped."""
    started = time.perf_counter()
    if unit.sha256 in ledger.committed_units(settings, unit.source):
        return LoadReport(unit.source, unit.name, unit.load_id, "skipped")
    parser = parser_for(unit.source)
    now = datetime.now(UTC)
    ledger.record_start(settings, unit, now)
    ctx = ParseContext(settings=settings, load_id=unit.load_id, now=now)
    error = None
    try:
        result = parser.parse(unit, ctx)
    except UnsupportedFileError as exc:
        log.warning("%s: %s", unit.name, exc)
        error = f"UnsupportedFileError: {exc}"
        result = quarantine_whole_unit(unit, exc)
    except Exception as exc:  # a parser bug must not lose the file: quarantine it whole
        log.exception("parser for %s failed on %s", unit.source, unit.name)
        error = f"{type(exc).__name__}: {exc}"
        result = quarantine_whole_unit(unit, exc)
    _check_accounting(unit, result)

    _write_bronze(settings, unit, result, now)
    q = result.quarantine.to_table()
    q_rows = _stamp_quarantine(q, unit, now)
    io.replace_load(settings, quarantine_spec(unit.source), q_rows, unit.load_id)

    report = LoadReport(unit.source, unit.name, unit.load_id, ledger.COMMITTED, error=error)
    for table in sorted(result.silver, key=_SILVER_ORDER.index):
        data = result.silver[table]
        metrics = io.merge(settings, silver(table), data, unit.load_id)
        report.silver_inserted[table] = int(metrics.get("num_target_rows_inserted", 0))
        report.silver_updated[table] = int(metrics.get("num_target_rows_updated", 0))
    if {"statement_voids", "learning_events", "item_responses"} & set(result.silver):
        apply_voids(settings)

    ledger.record_finish(settings, unit, result.files, ledger.COMMITTED, error)
    report.rows_in = sum(c.rows_in for c in result.files)
    report.rows_kept = sum(c.rows_kept for c in result.files)
    report.rows_quarantined = sum(c.rows_quarantined for c in result.files)
    report.seconds = round(time.perf_counter() - started, 3)
    return report


def _check_accounting(unit: LoadUnit, result: ParseResult) -> None:
    members = [unit.member_name(f) for f in unit.files]
    covered = set()
    for c in result.files:
        owner = [m for m in members if c.file == m or c.file.startswith(m + "/")]
        if not owner:
            raise AccountingError(f"{unit.name}: counts for {c.file}, not a file of the unit")
        covered.update(owner)
    if covered != set(members) or len({c.file for c in result.files}) != len(result.files):
        raise AccountingError(
            f"{unit.name}: counts for {sorted(c.file for c in result.files)}, files {members}"
        )
    for c in result.files:
        if not c.balanced:
            raise AccountingError(
                f"{c.file}: rows_in {c.rows_in} != kept {c.rows_kept} + "
                f"quarantined {c.rows_quarantined}"
            )
    if sum(c.rows_quarantined for c in result.files) != len(result.quarantine):
        raise AccountingError(
            f"{unit.name}: {len(result.quarantine)} quarantine rows but counts say "
            f"{sum(c.rows_quarantined for c in result.files)}"
        )


def _write_bronze(
    settings: LakeSettings, unit: LoadUnit, result: ParseResult, now: datetime
) -> None:
    for entity, rows in result.bronze.items():
        n = rows.num_rows
        stamped = rows.append_column("_load_id", pa.array([unit.load_id] * n, pa.string()))
        stamped = stamped.append_column(
            "_ingested_at", pa.array([now] * n, pa.timestamp("us", tz="UTC"))
        )
        stamped = stamped.append_column("_ingest_date", pa.array([now.date()] * n, pa.date32()))
        io.replace_load(settings, bronze_spec(unit.source, entity), stamped, unit.load_id)


def _stamp_quarantine(q: pa.Table, unit: LoadUnit, now: datetime) -> pa.Table:
    n = q.num_rows
    q = q.append_column("source", pa.array([unit.source] * n, pa.string()))
    q = q.append_column("load_id", pa.array([unit.load_id] * n, pa.string()))
    return q.append_column("quarantined_at", pa.array([now] * n, pa.timestamp("us", tz="UTC")))


def _raw_lines(path: Path) -> list[bytes]:
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        with contextlib.suppress(OSError, EOFError, zlib.error):
            data = gzip.decompress(data)
    return data.splitlines() or [b""]


def quarantine_whole_unit(unit: LoadUnit, exc: BaseException) -> ParseResult:
    """Every line of every file to quarantine: the fallback when a parser cannot read a unit."""
    code = Reason.UNREADABLE_FILE if isinstance(exc, UnsupportedFileError) else Reason.PARSER_ERROR
    detail = (
        str(exc)
        if code is Reason.UNREADABLE_FILE
        else "".join(traceback.format_exception_only(type(exc), exc)).strip()
    )
    result = ParseResult(quarantine=QuarantineBuilder())
    for f in unit.files:
        name = unit.member_name(f)
        lines = _raw_lines(f)
        for i, raw in enumerate(lines, start=1):
            result.quarantine.add(name, i, code, detail, raw)
        result.files.append(FileCount(name, len(lines), 0, len(lines)))
    return result


def apply_voids(settings: LakeSettings) -> None:
    """Mark events and responses whose xAPI statement was voided (in either arrival order)."""
    voids = io.read(settings, silver("statement_voids"), columns=["voided_statement_id"])
    if voids.num_rows == 0:
        return
    for table in ("learning_events", "item_responses"):
        spec = silver(table)
        if not io.exists(settings, spec):
            continue
        dt = io.open_table(settings, spec)
        with io.table_lock(settings, spec):
            dt.update_incremental()
            (
                dt.merge(
                    source=voids,
                    predicate="t.statement_id = s.voided_statement_id",
                    source_alias="s",
                    target_alias="t",
                )
                .when_matched_update(
                    updates={"is_voided": "true"},
                    predicate="t.is_voided IS NULL OR NOT t.is_voided",
                )
                .execute()
            )
