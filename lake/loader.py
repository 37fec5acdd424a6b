"""Loads landing files into bronze, silver and quarantine, with the ledger making it safe to
repeat and safe to kill.

The write order for one unit is: ledger ``started`` -> bronze (replace this load's rows) and
quarantine (replace this load's rows) beside the silver merges (dimension tables first) -> ledger
``committed``. Bronze that a parser offers early (its raw records) is written while it parses.
Every step is one atomic Delta commit and every step is idempotent for the same ``load_id``, so a
load killed anywhere is completed by simply running it again: no row lost, none duplicated. A
unit whose ledger row says ``committed`` is skipped.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import gzip
import importlib
import logging
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import zlib
from collections import defaultdict
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from lake import io, ledger
from lake.quarantine import QuarantineBuilder, Reason
from lake.settings import LakeSettings
from lake.sources.base import (
    FileCount,
    LoadUnit,
    ParseContext,
    ParseResult,
    SourceParser,
    UnitMap,
    UnsupportedFileError,
    splits_its_parse,
)
from lake.sources.common import is_gzip
from lake.tables import (
    BRONZE_TABLES,
    LOAD_ID,
    SILVER,
    SOURCES,
    bronze_spec,
    quarantine_spec,
    silver,
)

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

# Event sources: their files are independent of each other (what one needs from another is
# seen through the parse context), so many are loaded in one batch.
BATCHED_SOURCES = frozenset(SOURCES)
MAX_BATCH_BYTES = 256 * 1024 * 1024
MAX_BATCH_UNITS = 400

# Mapping ahead (embedded engine): while one source loads, the next source's first batch is read,
# validated and mapped (its parser's ``map_unit``, the per-record half that the Spark engine runs
# in tasks) in a child process (``lake.ahead_worker``), on the core the running load leaves idle;
# the batch's own load then only names students and writes. Worth a process only for a batch of
# at least AHEAD_MIN_BYTES (behind an event load, one at least as large; see ``_map_ahead``); at
# most AHEAD_MAX_BYTES, as the mapped rows (bronze text included) come back through a file and
# wait in memory.
AHEAD_MIN_BYTES = 32 * 1024 * 1024
AHEAD_MAX_BYTES = 1024 * 1024 * 1024
# Bronze rows a parser offers before its parse is over are written meanwhile (``_EarlyBronze``);
# ``LEARNSMART_EARLY_BRONZE=0`` writes them after the parse.
EARLY_BRONZE = os.environ.get("LEARNSMART_EARLY_BRONZE", "1") != "0"


def writes(settings: LakeSettings) -> Any:
    """The write primitives of the engine ``settings`` names: ``lake.io`` (delta-rs) or
    ``lake.spark.io`` (delta-spark), the same functions with the same semantics."""
    if settings.engine == "spark":
        from lake.spark import io as spark_io

        return spark_io
    return io


# A batch parser: units and context in, one result per unit (None: parse that unit alone).
BatchParse = Callable[[list[LoadUnit], ParseContext], list[ParseResult | None]]


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


def pending_units(
    settings: LakeSettings, source: str, hashed: Sequence[LoadUnit] = ()
) -> list[LoadUnit]:
    """Units in the landing folder of ``source`` that have not been committed yet. A unit of
    ``hashed`` (e.g. mapped ahead) stands for the discovered unit with the same name and files,
    so its files are not hashed again."""
    done = ledger.committed_units(settings, source)
    known = {(u.name, u.files): u for u in hashed}
    units = [known.get((u.name, u.files), u) for u in parser_for(source).discover(settings.landing)]
    return [u for u in units if u.sha256 not in done]


def ingest(
    settings: LakeSettings,
    sources: tuple[str, ...] | None = None,
    where: Callable[[LoadUnit], bool] | None = None,
) -> list[LoadReport]:
    """Load every new unit of the given sources (all, in dependency order, by default);
    ``where`` narrows the units (e.g. to one landing day)."""
    if settings.engine == "spark":
        from lake.spark.io import clean_staging

        clean_staging(settings)
    order = [s for s in SOURCE_ORDER if sources is None or s in sources]
    reports = []
    ahead: _Ahead | None = None
    hashing = _Hashing(settings, order)
    try:
        for k, source in enumerate(order):
            mine = None
            if ahead is not None and ahead.source == source:
                mine, ahead = ahead, None
            if mine is None:
                _prefetch_first_batch(settings, source, where, hashing)
            hashed = mine.hashed if mine is not None else hashing.units(source)
            units = [
                u for u in pending_units(settings, source, hashed) if where is None or where(u)
            ]
            todo = batches(source, units)
            # The next source that splits its parse may be mapped behind this load; sources in
            # between (rosters, content, forum) are parsed here and change nothing it reads,
            # or the map is dropped (``_Ahead.maps_for``).
            if ahead is None and todo:
                nxt = next((s for s in order[k + 1 :] if splits_its_parse(parser_for(s))), None)
                if nxt is not None:
                    behind = _Behind(_bytes(units), splits_its_parse(parser_for(source)))
                    ahead = _map_ahead(settings, nxt, where, behind, hashing)
            try:
                for batch in todo:
                    reports += load_batch(settings, batch, mine)
                    mine = None
            finally:
                if mine is not None:
                    mine.close()
                discard = getattr(parser_for(source), "discard_prefetched", None)
                if discard is not None:
                    discard()
    finally:
        hashing.close()
        if ahead is not None:
            ahead.close()
    return reports


def _prefetch_first_batch(
    settings: LakeSettings,
    source: str,
    where: Callable[[LoadUnit], bool] | None,
    hashing: _Hashing,
) -> None:
    """While ``hashing`` still digests ``source``'s files, let its parser read the first batch
    ahead (its ``prefetch``), so the read overlaps the digest instead of following it: for the
    5M-statement file the loader waited 2.9 s for the digest. Only units whose name the ledger
    has not seen committed (a file already loaded is mostly a no-op re-run); embedded engine."""
    prefetch = getattr(parser_for(source), "prefetch", None)
    if prefetch is None or settings.engine == "spark" or hashing.ready(source):
        return
    try:
        loaded = ledger.committed_names(settings, source)
        units = [
            u
            for u in parser_for(source).discover(settings.landing)
            if u.name not in loaded and (where is None or where(u))
        ]
        todo = batches(source, units)
        if todo:
            prefetch(todo[0])
    except Exception:  # the parse reads its files itself
        log.debug("reading %s ahead failed", source, exc_info=True)


class _Hashing:
    """The landing files of ``order``'s sources, discovered and hashed in a background thread,
    source by source in load order, so that hashing a large file (2.5 s for the 100K day's 3 GB
    of xAPI statements) overlaps the loads before it (a OneRoster bundle is mostly pure Python
    and leaves the second core idle; ``hashlib`` works without the GIL). ``units`` hands a
    source's units over once they are hashed; a unit discovered later, or one the thread did
    not get to, is hashed when the loader first needs its digest, as before."""

    def __init__(self, settings: LakeSettings, order: list[str]) -> None:
        self._landing = settings.landing
        self._order = order
        self._units: dict[str, list[LoadUnit]] = {}
        self._done = {source: threading.Event() for source in order}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="learnsmart-hashing", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        for source in self._order:
            try:
                if self._stop.is_set():
                    continue
                units = parser_for(source).discover(self._landing)
                for unit in units:
                    if self._stop.is_set():
                        break
                    unit.hash_files()
                self._units[source] = units
            except Exception:  # the loader discovers and hashes the source itself
                log.debug("hashing %s ahead failed", source, exc_info=True)
            finally:
                self._done[source].set()

    def ready(self, source: str) -> bool:
        """Whether ``units(source)`` would return without waiting."""
        done = self._done.get(source)
        return done is None or done.is_set()

    def units(self, source: str) -> list[LoadUnit]:
        """``source``'s units as discovered by the thread, hashed (waits for them); empty when
        the thread failed on them."""
        done = self._done.get(source)
        if done is None:
            return []
        done.wait()
        return self._units.get(source, [])

    def close(self) -> None:
        """Stop hashing (a load that failed need not wait for the rest) and end the thread."""
        self._stop.set()
        self._thread.join()


def _bytes(units: list[LoadUnit]) -> int:
    return sum(f.stat().st_size for u in units for f in u.files)


@dataclass
class _Ahead:
    """The next source's first batch, being mapped in a child process (``lake.ahead_worker``)
    into the file ``out``, with the parser inputs it is mapped with; ``hashed``: the source's
    pending units (hashed once, reused when the source's turn comes)."""

    source: str
    units: list[LoadUnit]
    hashed: list[LoadUnit]
    inputs: Any
    child: subprocess.Popen[bytes]
    out: Path

    def maps_for(self, units: list[LoadUnit], inputs: Any) -> list[UnitMap | None] | None:
        """The mapped units, when ``units`` is the batch mapped ahead and the parser's inputs
        are still those it was mapped with (else None: the batch is parsed as usual)."""
        try:
            same = [(u.name, u.sha256) for u in units] == [(u.name, u.sha256) for u in self.units]
            if not same or inputs != self.inputs:
                return None
            if self.child.wait() != 0 or not self.out.is_file():
                log.warning(
                    "mapping %s ahead failed (exit %s); parsing it here",
                    self.source,
                    self.child.returncode,
                )
                return None
            with self.out.open("rb") as f:
                maps: list[UnitMap | None] = pickle.load(f)
            return maps
        except Exception:  # an unreadable result: parse in this process instead
            log.exception("mapping %s ahead failed; parsing it here", self.source)
            return None
        finally:
            self.close()

    def close(self) -> None:
        """Stop the child, mapping or not (a map nobody claims is dropped), and remove its
        file."""
        if self.child.poll() is None:
            self.child.kill()
            self.child.wait()
        shutil.rmtree(self.out.parent, ignore_errors=True)


@dataclass(frozen=True)
class _Behind:
    """The load a batch would be mapped behind: its bytes, and whether its parse splits in two
    (an event source, whose DuckDB stages keep both cores busy) or runs row by row in Python on
    one core (rosters, content, forum)."""

    bytes: int
    splits: bool


def _map_ahead(
    settings: LakeSettings,
    source: str,
    where: Callable[[LoadUnit], bool] | None,
    behind: _Behind,
    hashing: _Hashing,
) -> _Ahead | None:
    """Start mapping ``source``'s first pending batch in a child process, when that is worth it
    and the parser splits its parse in two; else None. Worth it: at least AHEAD_MIN_BYTES and
    at most AHEAD_MAX_BYTES, and, behind an event load, no larger than it (the map only has the
    CPU time that load leaves idle). Behind a load parsed in Python the map has a core to
    itself for as long as the load lasts; if it is not done when its turn comes, the loader
    waits for it instead of mapping the batch itself. ``hashing``: where ``source``'s units
    may already be hashed."""
    parser = parser_for(source)
    if settings.engine == "spark" or not splits_its_parse(parser):
        return None

    def first_batch(units: list[LoadUnit]) -> list[LoadUnit] | None:
        todo = batches(source, [u for u in units if where is None or where(u)])
        size = _bytes(todo[0]) if todo else 0
        fits = AHEAD_MIN_BYTES <= size <= AHEAD_MAX_BYTES
        return todo[0] if fits and (size <= behind.bytes or not behind.splits) else None

    # Sizes first, from the discovered files: hashing them (to leave out loaded ones) is only
    # worth it when the batch would be mapped ahead.
    if first_batch(parser.discover(settings.landing)) is None:
        return None
    pending = pending_units(settings, source, hashing.units(source))
    batch = first_batch(pending)
    if batch is None:
        return None
    now = datetime.now(UTC)
    inputs = parser.map_inputs(ParseContext(settings=settings, load_id="", now=now))
    out = Path(tempfile.mkdtemp(prefix="learnsmart-ahead-")) / "maps.pickle"
    # A fresh interpreter (not fork: the parent runs DuckDB and Arrow thread pools; not
    # multiprocessing's spawn, which re-runs the caller's main script).
    # The child imports this package from where the parent did (a script may have put the
    # repository on sys.path itself).
    root = str(Path(__file__).resolve().parents[1])
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")])),
    }
    args = pickle.dumps((os.getpid(), source, batch, inputs, now))
    try:
        child = subprocess.Popen(
            [sys.executable, "-m", "lake.ahead_worker", str(out)], stdin=subprocess.PIPE, env=env
        )
    except OSError:  # no process to be had: the batch is parsed in turn
        log.exception("could not start mapping %s ahead", source)
        shutil.rmtree(out.parent, ignore_errors=True)
        return None
    ahead = _Ahead(source, batch, pending, inputs, child, out)
    try:
        assert child.stdin is not None
        with child.stdin:
            child.stdin.write(args)
    except OSError:  # the child died before reading its arguments: maps_for finds it failed
        log.warning("mapping %s ahead: the child did not take its arguments", source)
    return ahead


def map_units(
    source: str, units: list[LoadUnit], inputs: Any, now: datetime
) -> list[UnitMap | None]:
    """Each unit mapped by ``source``'s parser (``map_unit``), None for a unit the parser cannot
    read (it is then parsed alone and quarantined whole, as on Spark). Run by
    ``lake.ahead_worker``."""
    parser = parser_for(source)
    out: list[UnitMap | None] = []
    with _gc_paused():
        for unit in units:
            try:
                out.append(parser.map_unit(unit, inputs, now))  # type: ignore[attr-defined]
            except UnsupportedFileError:
                out.append(None)
    return out


def batches(source: str, units: list[LoadUnit]) -> list[list[LoadUnit]]:
    """Group the units of an event source into batches written together (one commit per table
    per batch instead of per file); other sources load one unit at a time, in order."""
    if source not in BATCHED_SOURCES:
        return [[u] for u in units]
    out: list[list[LoadUnit]] = []
    size = 0
    for u in units:
        unit_bytes = sum(f.stat().st_size for f in u.files)
        if not out or size + unit_bytes > MAX_BATCH_BYTES or len(out[-1]) >= MAX_BATCH_UNITS:
            out.append([])
            size = 0
        out[-1].append(u)
        size += unit_bytes
    return out


def load_unit(settings: LakeSettings, unit: LoadUnit) -> LoadReport:
    """Load one unit end to end; a unit already committed is reported as skipped."""
    if unit.sha256 in ledger.committed_units(settings, unit.source):
        return LoadReport(unit.source, unit.name, unit.load_id, "skipped")
    return load_batch(settings, [unit])[0]


def load_batch(
    settings: LakeSettings, units: list[LoadUnit], ahead: _Ahead | None = None
) -> list[LoadReport]:
    """Load units of one source together: each is parsed on its own (its own load id, ledger
    rows and accounting), and their rows are written with one commit per table. ``ahead``: the
    batch mapped ahead in a child process (``ingest``), used when it is this batch."""
    started = time.perf_counter()
    source = units[0].source
    parser = parser_for(source)
    now = datetime.now(UTC)
    ids = [u.load_id for u in units]
    retry = bool(ledger.started_load_ids(settings, ids))
    ledger.record_start(settings, units, now)
    ctx = ParseContext(settings=settings, load_id=ids[0], now=now)

    batch_parse, min_units = _batch_parse(settings, parser)
    maps = None if ahead is None else ahead.maps_for(units, parser.map_inputs(ctx))  # type: ignore[attr-defined]
    if maps is not None:
        batch_parse = functools.partial(_reduce_mapped, parser, maps)
        min_units = 1
    early = _EarlyBronze(settings, units, now, retry) if _EarlyBronze.possible(settings) else None
    ctx.bronze_ready = None if early is None else early.offer
    try:
        with _gc_paused():
            parsed = _parse_batch(parser, units, ctx, batch_parse, min_units)
    except BaseException:
        if early is not None:
            early.close()
        raise
    ctx.bronze_ready = None
    written_early = set() if early is None else early.settle([r for _, r, _ in parsed])

    bronze: dict[str, list[pa.Table]] = defaultdict(list)
    quarantine: list[pa.Table] = []
    silver_rows: dict[str, list[pa.Table]] = defaultdict(list)
    for unit, result, _ in parsed:
        for entity, rows in result.bronze.items():
            if entity not in written_early:
                bronze[entity].append(_stamp_bronze(rows, unit, now))
        quarantine.append(_stamp_quarantine(result.quarantine.to_table(), unit, now))
        for table, rows in result.silver.items():
            if LOAD_ID not in rows.column_names:
                rows = rows.append_column(
                    LOAD_ID, io.constant(unit.load_id, rows.num_rows, pa.string())
                )
            silver_rows[table].append(rows)
    write = writes(settings)

    def write_bronze_and_quarantine() -> None:
        if early is not None:
            early.wait()
        for entity in BRONZE_TABLES[source]:
            if entity in written_early:
                continue
            # Rows written early that the final result does not carry are replaced.
            again = retry or (early is not None and entity in early.entities)
            if entity in bronze or again:
                rows = pa.concat_tables(bronze[entity]) if entity in bronze else pa.table({})
                write.replace_load(settings, bronze_spec(source, entity), rows, ids, again)
        q = pa.concat_tables(quarantine)
        write.replace_load(settings, quarantine_spec(source), q, ids, retry)

    inserted: dict[str, int] = {}
    updated: dict[str, int] = {}
    # Bronze and quarantine do not depend on silver: on the embedded engine they are written in
    # a second thread while silver merges (each write is mostly single-threaded Rust that
    # releases the GIL, so on two cores the two overlap). Any order of these commits is safe:
    # the ledger is finished only after both, and a retry replaces or merges idempotently.
    # The largest silver table's merge runs in a third thread beside the other tables' (the
    # embedded engine's merges of different tables share nothing): behind the two largest
    # writes (bronze, learning_events) the smaller merges left one core idle, 1-2 s at 5M
    # statements.
    side: Future[None] | None = None
    with ThreadPoolExecutor(max_workers=2) as pool:
        spark = settings.engine == "spark"  # one SparkSession: its writes stay in sequence
        if spark:
            write_bronze_and_quarantine()
        else:
            side = pool.submit(write_bronze_and_quarantine)
        combined = {
            t: pa.concat_tables(rows, promote_options="default") for t, rows in silver_rows.items()
        }
        new_voids = combined.get("statement_voids")
        _mark_voided(settings, combined)
        order = sorted(combined, key=_SILVER_ORDER.index)
        largest = max(order, key=lambda t: combined[t].num_rows, default="")
        beside: Future[dict[str, Any]] | None = None
        if not spark and len(order) > 1:
            beside = pool.submit(write.merge, settings, silver(largest), combined[largest], ids[-1])
        merged = {
            t: write.merge(settings, silver(t), combined[t], ids[-1])
            for t in order
            if beside is None or t != largest
        }
        if beside is not None:
            merged[largest] = beside.result()
        ours: dict[str, Collection[str]] = {}
        for table in order:
            metrics = merged[table]
            inserted[table] = int(metrics.get("num_target_rows_inserted", 0))
            updated[table] = int(metrics.get("num_target_rows_updated", 0))
            ours[table] = metrics.get("files_added", ())
        if new_voids is not None and new_voids.num_rows:
            apply_voids(settings, new_voids.column("voided_statement_id"), ours)
    if side is not None:
        side.result()  # a failed bronze or quarantine write fails the load before the ledger

    ledger.record_finish(settings, [(u, r.files, e) for u, r, e in parsed])
    reports = []
    for unit, result, error in parsed:
        reports.append(
            LoadReport(
                source,
                unit.name,
                unit.load_id,
                ledger.COMMITTED,
                rows_in=sum(c.rows_in for c in result.files),
                rows_kept=sum(c.rows_kept for c in result.files),
                rows_quarantined=sum(c.rows_quarantined for c in result.files),
                error=error,
            )
        )
    # Silver writes are per batch: the batch's last report carries its metrics and time.
    reports[-1].silver_inserted, reports[-1].silver_updated = inserted, updated
    reports[-1].seconds = round(time.perf_counter() - started, 3)
    return reports


class _EarlyBronze:
    """A batch's bronze rows, written while the batch is still being parsed.

    Bronze holds the raw records, so a parser knows its bronze rows as soon as it has read its
    files (``ParseContext.offer_bronze``), long before it has validated and mapped them. Once
    every unit of the batch has offered its rows, a thread writes them as the loader would after
    the parse (one commit per entity, the batch's load ids, ``retry``), at the lowest CPU
    priority: it takes the CPU the parse leaves idle (DuckDB's stages and the Python between
    them do not keep two cores busy) and yields it whenever the parse wants it. Compressing 1M
    xAPI statements' text is 1.2-1.5 core-seconds; written after the parse, it lengthened the
    load by most of that.

    The early write is a bet that the parse's results will carry those very tables, and
    ``settle`` checks it: an entity some result does not carry as offered (a batch parse that
    failed and was redone unit by unit, a unit quarantined whole) is left to the loader, which
    writes it again over the early rows. Killing the load at any point is as safe as with the
    usual order: the ledger marked the loads started first, and a retry replaces their rows.
    Only where a thread's CPU priority can be lowered alone (Linux); elsewhere bronze is
    written after the parse, as before.
    """

    def __init__(
        self, settings: LakeSettings, units: list[LoadUnit], now: datetime, retry: bool
    ) -> None:
        self._settings, self._units, self._now, self._retry = settings, units, now, retry
        self._offered: dict[int, dict[str, pa.Table]] = {}
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self.entities: frozenset[str] = frozenset()

    @staticmethod
    def possible(settings: LakeSettings) -> bool:
        """Whether bronze may be written early: the embedded engine (a SparkSession's writes
        stay in sequence), on Linux (where ``setpriority`` takes a thread)."""
        return settings.engine != "spark" and sys.platform == "linux" and EARLY_BRONZE

    def offer(self, unit: LoadUnit, bronze: dict[str, pa.Table]) -> None:
        """``unit``'s bronze rows by entity, as its result will carry them; the write starts
        once every unit of the batch has offered (a unit's later offers are ignored)."""
        if self._thread is not None:
            return
        i = next((i for i, u in enumerate(self._units) if u is unit), None)
        if i is None or i in self._offered:
            return
        self._offered[i] = dict(bronze)
        if len(self._offered) < len(self._units):
            return
        offers = [self._offered[k] for k in range(len(self._units))]
        self.entities = frozenset.intersection(*(frozenset(o) for o in offers))
        if not self.entities:
            return
        pairs = list(zip(self._units, offers, strict=True))
        rows = {
            entity: pa.concat_tables([_stamp_bronze(o[entity], u, self._now) for u, o in pairs])
            for entity in sorted(self.entities)
        }
        thread = threading.Thread(
            target=self._write, args=(rows,), name="learnsmart-bronze", daemon=True
        )
        try:
            thread.start()
        except RuntimeError:  # no thread to be had: the loader writes bronze after the parse
            self.entities = frozenset()
            return
        self._thread = thread

    def _write(self, rows: dict[str, pa.Table]) -> None:
        try:
            # Only this thread and the ones it starts (it ends with the write).
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
            source = self._units[0].source
            ids = [u.load_id for u in self._units]
            for entity, table in rows.items():
                io.replace_load(
                    self._settings, bronze_spec(source, entity), table, ids, self._retry
                )
        except BaseException as exc:  # handed to ``wait``, in the loader's thread
            self._error = exc

    def settle(self, results: list[ParseResult]) -> set[str]:
        """The entities written early (or being written) as ``results``, one per unit in
        batch order, carry them; the loader writes the others, after ``wait``."""
        if self._thread is None:
            return set()
        return {
            entity
            for entity in self.entities
            if all(r.bronze.get(entity) is self._offered[i][entity] for i, r in enumerate(results))
        }

    def wait(self) -> None:
        """Wait for the early write, if one started; raise what it raised."""
        self.close()
        if self._error is not None:
            raise self._error

    def close(self) -> None:
        """Wait for the write's thread, if one started."""
        if self._thread is not None:
            self._thread.join()


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while a batch is parsed. A parse builds millions of live
    objects (records read from JSON, rows), and collections set off by that many allocations
    traverse them again and again:
    reading the 100K day's Caliper file took 8.6 s with the collector on, 3.2 s with it off.
    Parsers make almost no reference cycles; what they free, reference counting frees."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _batch_parse(settings: LakeSettings, parser: SourceParser) -> tuple[BatchParse | None, int]:
    """How a batch of ``parser``'s units is parsed in one call, and from how many units on:
    on the Spark engine, with the per-record work in Spark tasks whenever the parser splits its
    parse in two (``lake.spark.parse``); else with the parser's one-pass ``parse_batch``, if it
    has one, for two units or more."""
    if settings.engine == "spark":
        from lake.spark import parse as spark_parse

        if spark_parse.distributable(parser):
            return functools.partial(spark_parse.parse_batch, settings, parser), 1
    return getattr(parser, "parse_batch", None), 2


def _reduce_mapped(
    parser: SourceParser, maps: list[UnitMap | None], units: list[LoadUnit], ctx: ParseContext
) -> list[ParseResult | None]:
    return parser.reduce_units(units, maps, ctx)  # type: ignore[attr-defined, no-any-return]


def _parse_batch(
    parser: SourceParser,
    units: list[LoadUnit],
    ctx: ParseContext,
    batch_parse: BatchParse | None = None,
    min_units: int = 2,
) -> list[tuple[LoadUnit, ParseResult, str | None]]:
    """Parse a batch: in one ``batch_parse`` call when there is one (the parser's one-pass
    ``parse_batch``, or the Spark engine's distributed parse), else unit by unit; each unit's
    accounting is checked either way. A unit for which ``batch_parse`` returns None is parsed
    on its own, after the others. Should ``batch_parse`` raise, the batch is parsed unit by
    unit, where a failure costs only its unit."""
    if batch_parse is not None and len(units) >= min_units:
        try:
            results = batch_parse(units, ctx)
            done = [(u, r) for u, r in zip(units, results, strict=True) if r is not None]
            for unit, result in done:
                _check_accounting(unit, result)
        except Exception:  # fall back to unit by unit, where a failure costs only its unit
            log.exception("batch parse of %d %s units failed", len(units), units[0].source)
        else:
            for _, result in done:
                ctx.add_pending(result.silver)
            alone = [u for u, r in zip(units, results, strict=True) if r is None]
            by_unit = {id(u): (u, r, None) for u, r in done} | {
                id(u): p for u, p in zip(alone, _parse_each(parser, alone, ctx), strict=True)
            }
            return [by_unit[id(u)] for u in units]
    return _parse_each(parser, units, ctx)


def _parse_each(
    parser: SourceParser, units: list[LoadUnit], ctx: ParseContext
) -> list[tuple[LoadUnit, ParseResult, str | None]]:
    parsed = []
    for unit in units:
        ctx.load_id = unit.load_id
        result, error = _parse(parser, unit, ctx)
        _check_accounting(unit, result)
        ctx.add_pending(result.silver)
        parsed.append((unit, result, error))
    return parsed


def _parse(
    parser: SourceParser, unit: LoadUnit, ctx: ParseContext
) -> tuple[ParseResult, str | None]:
    try:
        return parser.parse(unit, ctx), None
    except UnsupportedFileError as exc:
        log.warning("%s: %s", unit.name, exc)
        return quarantine_whole_unit(unit, exc), f"UnsupportedFileError: {exc}"
    except Exception as exc:  # a parser bug must not lose the file: quarantine it whole
        log.exception("parser for %s failed on %s", unit.source, unit.name)
        return quarantine_whole_unit(unit, exc), f"{type(exc).__name__}: {exc}"


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


def _stamp_bronze(rows: pa.Table, unit: LoadUnit, now: datetime) -> pa.Table:
    n = rows.num_rows
    rows = rows.append_column("_load_id", io.constant(unit.load_id, n, pa.string()))
    rows = rows.append_column("_ingested_at", io.constant(now, n, pa.timestamp("us", tz="UTC")))
    return rows.append_column("_ingest_date", io.constant(now.date(), n, pa.date32()))


def _stamp_quarantine(q: pa.Table, unit: LoadUnit, now: datetime) -> pa.Table:
    n = q.num_rows
    q = q.append_column("source", io.constant(unit.source, n, pa.string()))
    q = q.append_column("load_id", io.constant(unit.load_id, n, pa.string()))
    return q.append_column("quarantined_at", io.constant(now, n, pa.timestamp("us", tz="UTC")))


def _raw_lines(path: Path) -> list[bytes]:
    data = path.read_bytes()
    if is_gzip(data):
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


_VOIDABLE = ("learning_events", "item_responses")
# Marking a stored row voided: join on the statement id, set the flag where it is not set yet.
_VOID_MERGE = (
    "t.statement_id = s.voided_statement_id",
    {"is_voided": "true"},
    "t.is_voided IS NULL OR NOT t.is_voided",
)


def _mark_voided(settings: LakeSettings, combined: dict[str, pa.Table]) -> None:
    """Mark incoming events and responses whose statement was voided already (by an earlier
    load or by this batch), so a voiding statement may arrive before its target."""
    if not any(t in combined for t in _VOIDABLE):
        return
    known = io.read(settings, silver("statement_voids"), columns=["voided_statement_id"])
    voided = [known.column(0)]
    if "statement_voids" in combined:
        voided.append(combined["statement_voids"].column("voided_statement_id"))
    ids = pa.chunked_array([c for col in voided for c in col.chunks], pa.string())
    if len(ids) == 0:
        return
    for table in _VOIDABLE:
        rows = combined.get(table)
        if rows is None or "statement_id" not in rows.column_names:
            continue
        hit = pc.fill_null(
            pc.is_in(rows.column("statement_id"), value_set=ids.combine_chunks()), False
        )
        if not pc.any(hit).as_py():
            continue
        current = (
            rows.column("is_voided")
            if "is_voided" in rows.column_names
            else pa.nulls(rows.num_rows, pa.bool_())
        )
        flag = pc.or_(hit, pc.fill_null(current, False))
        if "is_voided" in rows.column_names:
            rows = rows.set_column(rows.column_names.index("is_voided"), "is_voided", flag)
        else:
            rows = rows.append_column("is_voided", flag)
        combined[table] = rows


def apply_voids(
    settings: LakeSettings,
    voided_ids: pa.ChunkedArray | pa.Array,
    marked_files: Mapping[str, Collection[str]] | None = None,
) -> None:
    """Mark stored events and responses whose xAPI statements were just voided.

    ``marked_files``: per table, data files holding only rows that were marked on arrival
    (``_mark_voided``: the batch's own rows, which ``io.merge`` reports as ``files_added``);
    they are not read again. On a first load that is the whole table: the 1M-statement load
    read back 1M statement ids (0.35 s) to find nothing to mark."""
    voids = pa.table({"voided_statement_id": pa.array(voided_ids.to_pylist(), pa.string())})
    for table in _VOIDABLE:
        spec = silver(table)
        dt = io.open_existing(settings, spec)
        if dt is None:
            continue
        with io.table_lock(settings, spec):
            dt.update_incremental()
            # The merge rewrites every file it touches: skip it when no stored row needs marking
            # (e.g. all were marked on arrival), which one read of two columns tells.
            stored = io.read_delta(
                dt, ["statement_id", "is_voided"], skip_files=(marked_files or {}).get(table, ())
            )
            if stored.num_rows == 0:
                continue
            hit = pc.is_in(
                stored.column("statement_id").cast(pa.string()),
                value_set=voids.column(0).combine_chunks(),
            )
            marked = pc.fill_null(stored.column("is_voided"), False)
            if not pc.any(pc.and_(pc.fill_null(hit, False), pc.invert(marked))).as_py():
                continue
            writes(settings).merge_update(settings, spec, voids, *_VOID_MERGE)
