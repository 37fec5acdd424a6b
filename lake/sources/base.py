"""What every source parser is: it finds load units in its landing folder and turns one unit into
bronze rows, silver rows and quarantined records, accounting for every input record.

A parser never writes: the loader (``lake.loader``) owns the ledger, the write order and crash
safety. A parser never raises on bad input either: each bad record becomes a quarantine row with a
``Reason``. An exception escaping ``parse`` is treated as a bug; the loader then quarantines the
whole unit line by line under ``parser_error`` so that still nothing is lost.
"""

from __future__ import annotations

import hashlib
import mmap
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cached_property
from pathlib import Path
from typing import ClassVar, Protocol

import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from lake import io
from lake.privacy.pseudonym import student_pseudonyms
from lake.quarantine import QuarantineBuilder
from lake.settings import LakeSettings
from lake.tables import silver

# Files still being written by a school's upload tool, editor backups and hidden files.
_IGNORED = re.compile(r"(^\.|~$|\.(tmp|part|partial|crdownload|swp)$)", re.IGNORECASE)
_DATE_IN_PATH = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_SHA_CHUNK = 1 << 20
# Files of at least this size are hashed from a memory map, in steps of _SHA_MAP_STEP (a
# multiple of the page size: each step's pages are let go of after it).
_SHA_MAP_BYTES = 1 << 26
_SHA_MAP_STEP = 1 << 26


def is_ignored(path: Path) -> bool:
    """True for hidden, temporary and partial-upload files."""
    return any(_IGNORED.search(part) for part in path.parts)


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file's bytes. A large file is hashed from a memory map of it (as
    ``xapi_lines`` reads it): reading copies every byte out of the page cache first, which was
    0.5 of the 3.9 CPU-seconds hashing the 4.8 GB of a 5M-statement file took."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        if size >= _SHA_MAP_BYTES:
            with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
                for start in range(0, size, _SHA_MAP_STEP):
                    with memoryview(mm)[start : start + _SHA_MAP_STEP] as step:
                        h.update(step)
                    # Hashed pages leave this process's mapping (they stay in the page cache):
                    # mapped, the whole file counted in the load's resident memory.
                    mm.madvise(mmap.MADV_DONTNEED, start, min(_SHA_MAP_STEP, size - start))
            return h.hexdigest()
        while chunk := fh.read(_SHA_CHUNK):
            h.update(chunk)
    return h.hexdigest()


@dataclass(frozen=True)
class LoadUnit:
    """What one load reads: usually one file; a OneRoster bundle is a folder or zip of CSVs.

    ``name`` is the path relative to the landing root (``xapi/2026-09-01/lrs.jsonl``); it is
    what ledger, bronze and quarantine rows call the file.
    """

    source: str
    name: str
    files: tuple[Path, ...]

    @cached_property
    def file_shas(self) -> dict[Path, str]:
        """sha256 of each file."""
        return {f: sha256_file(f) for f in self.files}

    @cached_property
    def sha256(self) -> str:
        """Identity of the unit's content: the same bytes under another name are the same unit."""
        if len(self.files) == 1:
            return self.file_shas[self.files[0]]
        h = hashlib.sha256()
        for f in sorted(self.files, key=lambda p: p.name):
            h.update(f"{f.name}\0{self.file_shas[f]}\n".encode())
        return h.hexdigest()

    def hash_files(self) -> str:
        """``sha256``, computed without holding ``cached_property``'s lock: on Python 3.11 that
        lock is one for all units, so a thread hashing a large file would block any other that
        needs a different unit's digest meanwhile. Two threads may hash one unit twice; both
        get the same digest."""
        if "file_shas" not in self.__dict__:
            self.__dict__.setdefault("file_shas", {f: sha256_file(f) for f in self.files})
        return self.sha256

    @property
    def load_id(self) -> str:
        """Deterministic, so a retried load overwrites its own partial writes."""
        return f"{self.source}-{self.sha256[:20]}"

    @property
    def landing_date(self) -> date:
        """The day the unit belongs to: a date in its path, else the file's modification day."""
        m = _DATE_IN_PATH.search(self.name)
        if m:
            try:
                return date(int(m[1]), int(m[2]), int(m[3]))
            except ValueError:
                pass
        return datetime.fromtimestamp(max(f.stat().st_mtime for f in self.files), UTC).date()

    def member_name(self, path: Path) -> str:
        """The name ledger rows use for one file of the unit."""
        if len(self.files) == 1:
            return self.name
        return f"{self.name}/{path.name}"


@dataclass(frozen=True)
class FileCount:
    """Accounting for one input file: ``rows_in == rows_kept + rows_quarantined``."""

    file: str
    rows_in: int
    rows_kept: int
    rows_quarantined: int

    @property
    def balanced(self) -> bool:
        """True when every input record is either kept or quarantined."""
        return self.rows_in == self.rows_kept + self.rows_quarantined


@dataclass
class ParseResult:
    """What a parser hands the loader for one unit.

    ``bronze``: entity -> rows with columns ``_source_file``, ``_line``, ``record``.
    ``silver``: silver table name -> rows with (a subset of) that table's columns.
    ``quarantine``: rejected records (see ``QuarantineBuilder``).
    ``files``: per-file accounting, one entry per file read.
    """

    bronze: dict[str, pa.Table] = field(default_factory=dict)
    silver: dict[str, pa.Table] = field(default_factory=dict)
    quarantine: QuarantineBuilder = field(default_factory=QuarantineBuilder)
    files: list[FileCount] = field(default_factory=list)


@dataclass
class UnitMap:
    """The per-record half of parsing one unit, for parsers that split their parse in two
    (``map_unit`` / ``reduce_units``, so the Spark engine can run the first half in its tasks):
    ``bronze`` rows per entity (final), ``quarantine`` and per-file ``files`` counts, and the
    ``kept`` records from which ``reduce_units`` makes the batch's silver rows. Quarantine and
    counts are final too, except where a parser's reduce applies rules that read the lake (quiz
    attempts: the class must be known), which may move kept records to the quarantine."""

    bronze: dict[str, pa.Table] = field(default_factory=dict)
    quarantine: QuarantineBuilder = field(default_factory=QuarantineBuilder)
    files: list[FileCount] = field(default_factory=list)
    kept: pa.Table = field(default_factory=lambda: pa.table({}))

    def result(self) -> ParseResult:
        """The unit's parse result before ``reduce_units`` adds its silver rows."""
        return ParseResult(
            bronze=dict(self.bronze), quarantine=self.quarantine, files=list(self.files)
        )


def splits_its_parse(parser: object) -> bool:
    """Whether ``parser`` splits its parse in two (``map_inputs`` / ``map_unit`` /
    ``reduce_units``): the per-record half can then run elsewhere (Spark tasks, or a child
    process mapping ahead) and the batch-level half in the loader."""
    return all(hasattr(parser, m) for m in ("map_inputs", "map_unit", "reduce_units"))


@dataclass
class ParseContext:
    """Read-only view of the lake a parser may consult (rosters, identities) while parsing.

    One context serves a batch of units of one source: silver rows that earlier units of the
    batch produced (not yet written) are visible through ``silver_rows``, ``known_ids`` and
    ``identity_map`` exactly as if they were already in the lake.
    """

    settings: LakeSettings
    load_id: str
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    # Set by the loader: takes a unit's bronze rows as soon as its parser has read them, so
    # that they are written while the parse goes on (``offer_bronze``).
    bronze_ready: Callable[[LoadUnit, dict[str, pa.Table]], None] | None = None
    _cache: dict[str, object] = field(default_factory=dict)
    _pending: dict[str, list[pa.Table]] = field(default_factory=dict)

    def offer_bronze(self, unit: LoadUnit, bronze: dict[str, pa.Table]) -> None:
        """Hand the loader ``unit``'s bronze rows before the parse is over: rows that depend
        only on what was read (the raw records), and that the parse's result will carry as
        the very same tables. The loader may write them early; a result whose bronze turns
        out otherwise (a parse that failed and was redone) is written again over them."""
        if self.bronze_ready is not None:
            self.bronze_ready(unit, bronze)

    def add_pending(self, silver_rows: dict[str, pa.Table]) -> None:
        """Make a parsed unit's silver rows visible to the units parsed after it (adding the
        same table again changes nothing)."""
        for table, rows in silver_rows.items():
            if rows.num_rows and not any(r is rows for r in self._pending.get(table, [])):
                self._pending.setdefault(table, []).append(rows)
                for key in list(self._cache):
                    if key.split(".", 1)[0] == table or (
                        key in ("identity", "identity_frame") and table == "student_identity"
                    ):
                        del self._cache[key]

    def silver_rows(
        self,
        table: str,
        columns: list[str],
        where: pc.Expression | None = None,
        partitions: list[tuple[str, str, object]] | None = None,
    ) -> pa.Table:
        """Rows of a silver table (stored, then pending in this batch), ``columns`` only.

        ``partitions`` prunes stored files by partition value (delta-rs filter tuples such as
        ``("answered_date", "in", ["2026-09-01"])``); ``where`` filters rows in memory (dataset
        pushdown is avoided: delta-rs exposes strings as string_view, which pyarrow cannot
        compare with the files' string statistics).
        """
        spec = silver(table)
        schema = pa.schema([spec.schema.field(c) for c in columns])
        parts = []
        dt = io.open_existing(self.settings, spec)
        if dt is not None:
            parts.append(io.conform_to(schema, io.read_delta(dt, columns, partitions)))
        for rows in self._pending.get(table, []):
            present = [c for c in columns if c in rows.column_names]
            parts.append(io.conform_to(schema, rows.select(present)))
        out = pa.concat_tables(parts) if parts else schema.empty_table()
        return out.filter(where) if where is not None else out

    def known_ids(self, table: str, column: str) -> set[str]:
        """Distinct non-null values of ``column`` in a silver table (cached for the batch)."""
        key = f"{table}.{column}"
        if key not in self._cache:
            col = self.silver_rows(table, [column]).column(column)
            self._cache[key] = {v for v in col.to_pylist() if v is not None}
        return self._cache[key]  # type: ignore[return-value]

    def identity_map(self) -> dict[tuple[str, str], str]:
        """(identifier_type, identifier) -> student_id for every known student identifier."""
        if "identity" not in self._cache:
            t = self.silver_rows(
                "student_identity", ["identifier_type", "identifier", "student_id"]
            )
            self._cache["identity"] = dict(
                zip(
                    zip(t.column(0).to_pylist(), t.column(1).to_pylist(), strict=True),
                    t.column(2).to_pylist(),
                    strict=True,
                )
            )
        return self._cache["identity"]  # type: ignore[return-value]

    def resolve_students(
        self,
        values: list[str],
        lookup_types: tuple[str, ...],
        new_type: str,
        source: str,
    ) -> tuple[dict[str, str], pa.Table]:
        """Map source identifiers to ``student_id``.

        Each distinct value is looked up in ``student_identity`` under each of ``lookup_types`` in
        turn; an unknown value becomes a new student identified as ``(new_type, value)`` (its
        pseudonym is deterministic, so a roster loaded later under that type finds the same
        student). Returns the mapping and the new ``student_identity`` rows (identifier_type,
        identifier, student_id, source); the caller adds matching ``students`` rows.
        """
        distinct = list(dict.fromkeys(values))
        mapping = self._known_students(distinct, lookup_types)
        unknown = [v for v in distinct if v not in mapping]
        new_ids = self.pseudonyms(new_type, unknown)
        mapping.update(zip(unknown, new_ids, strict=True))
        rows = pa.table(
            {
                "identifier_type": pa.array([new_type] * len(unknown), pa.string()),
                "identifier": pa.array(unknown, pa.string()),
                "student_id": pa.array(new_ids, pa.string()),
                "source": pa.array([source] * len(unknown), pa.string()),
            }
        )
        return mapping, rows

    def _known_students(self, values: list[str], lookup_types: tuple[str, ...]) -> dict[str, str]:
        """``student_id`` of each of ``values`` found in ``student_identity`` under the first of
        ``lookup_types`` that has it (a repeated identifier: its last row, as ``identity_map``
        keeps it). By a join on the identity rows instead of ``identity_map``'s dict: for 166K
        students (833K identifiers) building that dict took 1 s per batch."""
        if not values or not lookup_types:
            return {}
        if "identity_frame" not in self._cache:
            t = self.silver_rows(
                "student_identity", ["identifier_type", "identifier", "student_id"]
            )
            frame = pl.from_arrow(t)
            assert isinstance(frame, pl.DataFrame)
            self._cache["identity_frame"] = frame.with_row_index("row")
        identity: pl.DataFrame = self._cache["identity_frame"]  # type: ignore[assignment]
        order = pl.DataFrame(
            {"identifier_type": list(lookup_types), "rank": range(len(lookup_types))},
            schema={"identifier_type": pl.String, "rank": pl.Int64},
        )
        wanted = pl.DataFrame({"identifier": values}, schema={"identifier": pl.String})
        found = (
            identity.join(order, on="identifier_type")
            .join(wanted, on="identifier")
            .sort(["identifier", "rank", "row"], descending=[False, False, True])
            .unique(["identifier", "rank"], keep="first", maintain_order=True)
            .filter(pl.col("student_id").is_not_null())
            .unique("identifier", keep="first", maintain_order=True)
        )
        return dict(
            zip(
                found.get_column("identifier").to_list(),
                found.get_column("student_id").to_list(),
                strict=True,
            )
        )

    def pseudonyms(self, identifier_type: str, identifiers: list[str]) -> list[str]:
        """New ``student_id`` values for identifiers of one type (pass distinct values)."""
        return student_pseudonyms(self.settings.pseudonym_key, identifier_type, identifiers)


class SourceParser(Protocol):
    """A source format: discovery of load units and parsing of one unit."""

    source: ClassVar[str]

    def discover(self, landing: Path) -> list[LoadUnit]:
        """Units under ``landing/<source>/`` in the order they must load."""
        ...

    def parse(self, unit: LoadUnit, ctx: ParseContext) -> ParseResult:
        """Parse one unit; never raises on bad records (they go to ``result.quarantine``)."""
        ...


# A parser may also offer ``parse_batch(units, ctx) -> list[ParseResult]`` (one result per unit,
# in order): one vectorised pass over many small files. The loader uses it for batches and falls
# back to ``parse`` unit by unit if it raises.


def discover_files(landing: Path, source: str) -> list[LoadUnit]:
    """One unit per file under ``landing/<source>/`` (sorted by path).

    Every file that is not hidden or a partial upload becomes a unit, whatever its suffix: a
    parser given a file it cannot read raises ``UnsupportedFileError`` and the loader quarantines
    the file's lines, so an unexpected file is reported rather than skipped.
    """
    root = landing / source
    if not root.is_dir():
        return []
    units = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = path.relative_to(landing)
        if not is_ignored(rel):
            units.append(LoadUnit(source=source, name=rel.as_posix(), files=(path,)))
    return units


class UnsupportedFileError(ValueError):
    """A file in a source's landing folder that the source cannot read (wrong type or name)."""
