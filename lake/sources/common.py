"""Shared, vectorised readers: CSV files and JSON-lines files into Arrow, with every record either
returned or quarantined, and line numbers kept for both.

Line numbers are physical, 1-based lines of the (decompressed) file; in CSV files the header is
line 1. When quoted values span lines, the number is the record's ordinal instead (header = 1).
"""

from __future__ import annotations

import gzip
import os
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.csv as pacsv

from lake.io import constant
from lake.quarantine import QuarantineBuilder, Reason

try:  # the native extension's one-pass line scan (``make setup`` builds it); else numpy's
    from lake import _native  # type: ignore[attr-defined]
except ImportError:
    _native = None

MAX_RECORD_BYTES = 8 * 1024 * 1024  # a single record larger than this is rejected, not parsed

_DUCKDB: dict[int, duckdb.DuckDBPyConnection] = {}


def duckdb_cursor() -> duckdb.DuckDBPyConnection:
    """A connection to this process's in-memory DuckDB: computes in UTC, never downloads
    extensions. Cheap (a cursor on one shared instance; opening a fresh instance costs about
    20 ms, which dominated parsing of small files); registrations stay private to the cursor.

    The instance never checkpoints on its own: it holds only scratch tables, and an automatic
    checkpoint (after 16 MiB of changes by default) compacts every temp table in it, which
    took 4 s in the middle of the 5M-event xAPI validation, for nothing the parse needs."""
    pid = os.getpid()
    base = _DUCKDB.get(pid)
    if base is None:  # first use in this process (a forked child must not share its parent's)
        base = duckdb.connect(
            config={
                "autoinstall_known_extensions": False,
                "autoload_known_extensions": False,
                "checkpoint_threshold": "1000TB",
            }
        )
        base.execute("SET GLOBAL TimeZone = 'UTC'")
        _DUCKDB.clear()
        _DUCKDB[pid] = base
    return base.cursor()


class FileReadError(ValueError):
    """The file as a whole cannot be read (corrupt gzip, missing header columns, ...)."""


GZIP_MAGIC = b"\x1f\x8b"


def is_gzip(data: bytes) -> bool:
    """Whether ``data`` begins as gzip does (by magic number: file names are not trusted)."""
    return data[:2] == GZIP_MAGIC


def read_bytes(path: Path) -> bytes:
    """File bytes, gunzipped when the file is gzip (by magic number, whatever its name)."""
    data = path.read_bytes()
    if is_gzip(data):
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as exc:
            raise FileReadError(f"corrupt gzip data: {exc}") from exc
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    return data


def quarantine_if_not_utf8(q: QuarantineBuilder, name: str, line_no: int, line: bytes) -> bool:
    """Quarantine ``line`` as ``bad_encoding`` (with where decoding failed) unless it is UTF-8;
    True when it was quarantined."""
    try:
        line.decode("utf-8")
    except UnicodeDecodeError as exc:
        q.add(
            name, line_no, Reason.BAD_ENCODING, f"not UTF-8: {exc.reason} at byte {exc.start}", line
        )
        return True
    return False


# Above this many non-ASCII bytes, a file is first decoded whole (in C) before the lines that
# hold them are decoded one by one (in a Python loop) to find the bad ones.
DECODE_WHOLE_ABOVE = 4096


def _blank_bad_encoding(
    data: bytes, name: str, q: QuarantineBuilder, scan: LineScan
) -> tuple[bytes, int]:
    """Replace lines that are not UTF-8 by empty lines (keeping numbering); quarantine them.
    Only lines holding a byte >= 0x80 (``scan``: the file's ``scan_lines``) can be bad, so only
    those are decoded one by one; a file with many such bytes is decoded whole first, as it is
    then usually valid."""
    if not scan.high_bytes:
        return data, 0
    if scan.high_bytes > DECODE_WHOLE_ABOVE:
        try:
            data.decode("utf-8")
            return data, 0
        except UnicodeDecodeError:
            pass
    newlines, suspects = scan.newlines, scan.high_lines
    starts = np.concatenate([np.zeros(1, np.int64), newlines + 1])
    ends = np.append(newlines, np.int64(len(data)))  # exclusive, newline not included
    pieces: list[bytes] = []
    done = 0
    for i in suspects.tolist():
        start, end = int(starts[i]), int(ends[i])
        if quarantine_if_not_utf8(q, name, i + 1, data[start:end]):
            pieces.append(data[done:start])
            done = end
    pieces.append(data[done:])
    return b"".join(pieces), len(pieces) - 1


SCAN_BYTES = 1 << 24


@dataclass(frozen=True)
class LineScan:
    """What ``scan_lines`` finds in a file's bytes: the offsets of its newlines; per line (one
    more than newlines: the text after the last one is a line too), whether it holds a printable
    ASCII character (``solid``); the lines holding a byte >= 0x80; whether some line holds an
    odd number of double quotes; and the count of bytes >= 0x80."""

    newlines: np.ndarray
    solid: np.ndarray
    high_lines: np.ndarray
    odd_quotes: bool
    high_bytes: int


def scan_lines(data: bytes, native: bool = True) -> LineScan:
    """``LineScan`` of ``data``: in one pass by the native extension when it is built (54 MB of
    quiz responses: about 0.05 s against 0.35 s for the numpy scans, which are the fallback and
    the reference its tests compare with)."""
    if native and _native is not None:
        out = _native.csv_lines(memoryview(data))
        flags = np.frombuffer(out["flags"], dtype=np.uint8)
        return LineScan(
            newlines=np.frombuffer(out["newlines"], dtype=np.int64),
            solid=(flags & 1) != 0,
            high_lines=np.flatnonzero(flags & 2).astype(np.int64),
            odd_quotes=bool((flags & 4).any()),
            high_bytes=int(out["high_bytes"]),
        )
    newlines = byte_positions(data, lambda b: b == 10)
    high = byte_positions(data, lambda b: b >= 0x80)
    starts = np.concatenate([np.zeros(1, np.int64), newlines + 1])
    ends = np.append(newlines, np.int64(len(data)))
    return LineScan(
        newlines=newlines,
        solid=_lines_with(data, starts, ends, lambda b: (b > 32) & (b < 127)),
        high_lines=distinct_sorted(line_of(newlines, high)),
        odd_quotes=_quotes_span_lines(data, newlines),
        high_bytes=int(high.size),
    )


def byte_positions(data: bytes, test: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """Offsets of the bytes of ``data`` for which ``test`` (on a uint8 array) holds, scanned in
    16 MiB slices so the boolean mask stays small."""
    buf = np.frombuffer(data, dtype=np.uint8)
    found = [
        np.flatnonzero(test(buf[s : s + SCAN_BYTES])) + s for s in range(0, len(buf), SCAN_BYTES)
    ]
    return np.concatenate(found).astype(np.int64) if found else np.zeros(0, np.int64)


def distinct_sorted(values: np.ndarray) -> np.ndarray:
    """The distinct values of a sorted array, in one pass (``np.unique`` hashes or sorts)."""
    if values.size == 0:
        return values
    return values[np.concatenate([np.ones(1, dtype=bool), values[1:] != values[:-1]])]


def line_of(newlines: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """0-based line index of each byte offset, from the sorted offsets of the newlines."""
    return np.searchsorted(newlines, positions, side="left")


@dataclass
class CsvRead:
    """Rows read from one CSV file.

    ``table``: every kept row, all columns as strings (empty field -> null), plus ``_line``.
    ``rows_in``: records seen (kept + quarantined here), header and blank lines excluded.
    """

    table: pa.Table
    rows_in: int
    quarantined: int


def read_csv(
    path: Path,
    name: str,
    q: QuarantineBuilder,
    required: tuple[str, ...] = (),
    delimiter: str = ",",
) -> CsvRead:
    """Read a CSV file to the IMS/RFC 4180 rules: quoted fields, doubled quotes, commas inside
    quotes, CRLF or LF, optional UTF-8 BOM, gzip by content.

    Rows with the wrong number of fields or undecodable bytes are quarantined with their line.
    Raises ``FileReadError`` when the header lacks a ``required`` column (the whole file is then
    unusable and the loader quarantines it line by line).
    """
    data = read_bytes(path)
    scan = scan_lines(data)
    data, bad_encoding = _blank_bad_encoding(data, name, q, scan)
    if bad_encoding:  # blanked lines moved the bytes after them
        scan = scan_lines(data)
    header_end = data.find(b"\n")
    header = (data if header_end < 0 else data[:header_end]).decode("utf-8").strip("\r")
    if not header.strip():
        raise FileReadError("empty file or empty header line")
    invalid: list[tuple[int, str, int, int]] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        invalid.append((row.number or 0, row.text or "", row.expected_columns, row.actual_columns))
        return "skip"

    newlines = scan.newlines
    spans_lines = scan.odd_quotes
    try:
        table = pacsv.read_csv(
            pa.BufferReader(data),
            read_options=pacsv.ReadOptions(
                use_threads=False, block_size=_csv_block_size(len(data), newlines, spans_lines)
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter,
                invalid_row_handler=on_invalid,
                newlines_in_values=spans_lines,
                ignore_empty_lines=True,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={c: pa.string() for c in _split_header(header, delimiter)},
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
                null_values=[""],
            ),
        )
    except pa.ArrowInvalid as exc:
        raise FileReadError(f"unparseable CSV: {exc}") from exc
    missing = [c for c in required if c not in table.column_names]
    if missing:
        raise FileReadError(
            f"header lacks required column(s) {missing}; found {table.column_names}"
        )

    # pyarrow numbers rows among non-blank lines; map them back to physical lines.
    physical = _non_blank_line_numbers(data, scan)
    exact = not spans_lines
    malformed = 0
    invalid_lines = []
    for number, text, expected, actual in invalid:
        line = int(physical[number - 1]) if exact and 0 < number <= len(physical) else number
        invalid_lines.append(line)
        malformed += 1
        q.add(name, line, Reason.MALFORMED_CSV, f"expected {expected} fields, found {actual}", text)
    # Record lines are sorted and distinct: drop the invalid ones, keep the order.
    if exact:
        candidates = physical[1:]
    else:  # values span lines: record ordinals (header is 1)
        candidates = np.arange(2, table.num_rows + len(invalid_lines) + 2, dtype=np.int64)
    lines = candidates[~np.isin(candidates, np.asarray(invalid_lines, dtype=np.int64))]
    if len(lines) != table.num_rows:
        raise FileReadError(f"could not number rows: {len(lines)} lines for {table.num_rows} rows")
    table = table.append_column("_line", pa.array(lines, pa.int64()))
    rows_in = table.num_rows + malformed + bad_encoding
    return CsvRead(table=table, rows_in=rows_in, quarantined=malformed + bad_encoding)


# Bytes Arrow's CSV reader parses at a time: 16 MiB blocks read a 270 MB file in half the time
# one block for the whole file takes (0.5 s instead of 1.0 s), with the same rows and row numbers.
CSV_BLOCK_BYTES = 1 << 24


def _csv_block_size(size: int, newlines: np.ndarray, spans_lines: bool) -> int:
    """The block size for a CSV of ``size`` bytes: a record may not straddle two blocks, so a
    block holds at least two of the longest lines, and the whole file when quoted values span
    lines (a record's length is then not a line's)."""
    whole = min(size + 1, (1 << 31) - 1)
    if spans_lines:
        return max(1 << 20, whole)
    bounds = np.concatenate([np.full(1, -1, np.int64), newlines, np.full(1, size, np.int64)])
    longest = int(np.diff(bounds).max())
    return max(1 << 20, min(whole, max(CSV_BLOCK_BYTES, 2 * longest + 1)))


def _split_header(header: str, delimiter: str) -> list[str]:
    import csv

    return next(csv.reader([header], delimiter=delimiter))


def _quotes_span_lines(data: bytes, newlines: np.ndarray) -> bool:
    """True when some quoted value contains a newline (an odd number of quotes on a line);
    ``newlines``: the offsets of the newlines of ``data``."""
    if b'"' not in data:
        return False
    per_line = np.bincount(line_of(newlines, byte_positions(data, lambda b: b == 34)))
    return bool((per_line & 1).any())


def _non_blank_line_numbers(data: bytes, scan: LineScan) -> np.ndarray:
    """1-based physical numbers of the lines of ``data`` (``scan``: its ``scan_lines``) that
    hold something other than whitespace. A line with a printable ASCII character is not blank;
    only the others (blank, or holding nothing but spaces, controls or non-ASCII characters) go
    through Arrow's Unicode whitespace trim."""
    starts = np.concatenate([np.zeros(1, np.int64), scan.newlines + 1])
    ends = np.append(scan.newlines, np.int64(len(data)))
    solid = scan.solid.copy()
    others = np.flatnonzero(~solid)
    if others.size:
        texts = pa.array(
            [data[int(starts[i]) : int(ends[i])] for i in others.tolist()], pa.binary()
        ).cast(pa.string())
        blank = pa.compute.equal(pa.compute.utf8_trim_whitespace(texts), "")
        solid[others[~blank.to_numpy(zero_copy_only=False)]] = True
    return np.flatnonzero(solid).astype(np.int64) + 1


def _lines_with(
    data: bytes, starts: np.ndarray, ends: np.ndarray, test: Callable[[np.ndarray], np.ndarray]
) -> np.ndarray:
    """Per line (``starts``/``ends``: byte offsets, end exclusive), whether any of its bytes
    passes ``test``; about 16 MiB of lines at a time."""
    buf = np.frombuffer(data, dtype=np.uint8)
    out = np.zeros(len(starts), dtype=bool)
    i = 0
    while i < len(starts):
        j = max(int(np.searchsorted(starts, starts[i] + SCAN_BYTES, side="left")), i + 1)
        lo, hi = int(starts[i]), int(ends[j - 1])
        mask = np.zeros(hi - lo + 1, dtype=bool)  # one False past the end: no empty segment
        mask[:-1] = test(buf[lo:hi])
        out[i:j] = np.logical_or.reduceat(mask, starts[i:j] - lo)
        i = j
    out[ends - starts == 0] = False  # reduceat gives an empty segment its first element
    return out


@dataclass
class LinesRead:
    """Non-blank lines of a JSON-lines file: ``table`` has ``_line`` (int64) and ``text``."""

    table: pa.Table
    rows_in: int
    quarantined: int


def read_lines(path: Path, name: str, q: QuarantineBuilder) -> LinesRead:
    """Split a text file into numbered, non-blank lines; undecodable and oversized lines are
    quarantined. Vectorised: Arrow string kernels, no Python loop per line."""
    data = read_bytes(path)
    data, bad_encoding = _blank_bad_encoding(data, name, q, scan_lines(data))
    arr = pa.array(data.split(b"\n"), pa.binary()).cast(pa.string())
    arr = pa.compute.utf8_rtrim(arr, characters="\r")
    numbers = pa.array(np.arange(1, len(arr) + 1, dtype=np.int64))
    non_blank = pa.compute.not_equal(pa.compute.utf8_trim_whitespace(arr), "")
    table = pa.table({"_line": numbers, "text": arr}).filter(non_blank)
    too_big = pa.compute.greater(pa.compute.binary_length(table.column("text")), MAX_RECORD_BYTES)
    n_big = int(pa.compute.sum(too_big).as_py() or 0)
    if n_big:
        big = table.filter(too_big)
        for line, text in zip(
            big.column("_line").to_pylist(), big.column("text").to_pylist(), strict=True
        ):
            q.add(
                name,
                line,
                Reason.RECORD_TOO_LARGE,
                f"record of {len(text)} chars exceeds the limit",
                text,
            )
        table = table.filter(pa.compute.invert(too_big))
    return LinesRead(
        table=table, rows_in=table.num_rows + n_big + bad_encoding, quarantined=n_big + bad_encoding
    )


def bronze_records(
    rows: pa.Table, name: str, exclude: tuple[str, ...] = ("_line",), native: bool = True
) -> pa.Table:
    """Bronze rows (``_source_file``, ``_line``, ``record``) from a string table: each row's
    fields as one JSON object. The native extension writes them when it is built (300K quiz
    responses: 0.12 s against 0.15-0.23 s); polars' ``json_encode`` is the fallback, for tables
    with other types than strings, and the reference the tests compare with."""
    cols = [c for c in rows.column_names if c not in exclude]
    records = string_objects(rows.select(cols)) if native and rows.num_rows else None
    if records is None:
        df = pl.from_arrow(rows.select(cols)) if cols else None
        records = (
            df.select(pl.struct(pl.all()).struct.json_encode().alias("r")).to_series().to_arrow()
            if df is not None and rows.num_rows
            else pa.array([], pa.string())
        )
    return pa.table(
        {
            "_source_file": constant(name, rows.num_rows, pa.string()),
            "_line": rows.column("_line"),
            "record": records.cast(pa.string()),
        }
    )


def string_buffers(column: pa.ChunkedArray | pa.Array) -> tuple[Any, ...]:
    """A string column as the native extension takes it: (validity bitmap or None, offsets,
    data, array offset), its chunks combined."""
    array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    valid, offsets, data = array.buffers()
    return (
        None if valid is None or array.null_count == 0 else buffer_bytes(valid),
        buffer_bytes(offsets),
        buffer_bytes(data),
        array.offset,
    )


def buffer_bytes(buf: pa.Buffer | None) -> memoryview:
    """An Arrow buffer (None: empty) as the bytes the native extension reads, without a copy."""
    return memoryview(buf if buf is not None else b"").cast("B")


def string_objects(table: pa.Table) -> pa.Array | None:
    """Each row of ``table`` as a JSON object of its columns (``{"name":"value",...}``, null
    values as ``null``; strings escaped as polars escapes them), by the native extension; None
    when it is not built or a column is not a string column."""
    if _native is None or any(not pa.types.is_string(t) for t in table.schema.types):
        return None
    n = table.num_rows
    columns = [string_buffers(table.column(c)) for c in table.column_names]
    offsets, data = _native.json_objects(table.column_names, columns, n)
    return pa.Array.from_buffers(pa.string(), n, [None, pa.py_buffer(offsets), pa.py_buffer(data)])


def syntax_flags(column: pa.ChunkedArray | pa.Array, kind: str) -> pa.Array | None:
    """Whether each value of a string column passes the syntax check ``kind`` of the native
    extension (``timestamp``, ``number``, ``control``: see ``lake/native/src/records.rs``),
    false where null; None when the extension is not built or the column is not strings."""
    if _native is None or not pa.types.is_string(column.type):
        return None
    n = len(column)
    bits = _native.syntax_flags(kind, string_buffers(column), n)
    return pa.Array.from_buffers(pa.bool_(), n, [None, pa.py_buffer(bits)])


def bronze_lines(lines: pa.Table, name: str) -> pa.Table:
    """Bronze rows from ``read_lines`` output: the raw line is the record."""
    return pa.table(
        {
            "_source_file": constant(name, lines.num_rows, pa.string()),
            "_line": lines.column("_line"),
            "record": lines.column("text"),
        }
    )
