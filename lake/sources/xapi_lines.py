"""A faster JSON-lines reader for the event sources (xAPI, Caliper), same contract as
``lake.sources.common.read_lines``.

The shared reader builds its Arrow array from a Python list of one ``bytes`` object per line, which
costs seconds per million lines. This one finds the newlines with numpy and wraps one buffer as an
Arrow string array (no per-line Python objects): the file's bytes with the newlines dropped (one
``bytes.replace``), so every line is already trimmed. Lines that are not UTF-8 are found with numpy
(only lines holding a byte >= 0x80 are decoded in Python) and quarantined as the shared reader does;
files with oversized records go to the shared reader, so numbering and quarantine rules stay
identical.

The file is read in pieces of about ``_PIECE_BYTES`` that end at a newline (gzip streamed), and
each piece becomes one chunk of the ``text`` column: the file is then held once (its lines), not
two or three times over while it is split (a 3.7 GB file was held two to three times).
"""

from __future__ import annotations

import gzip
import mmap
import os
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from lake.quarantine import QuarantineBuilder
from lake.sources import xapi_native
from lake.sources.common import (
    MAX_RECORD_BYTES,
    FileReadError,
    LinesRead,
    byte_positions,
    distinct_sorted,
    is_gzip,
    quarantine_if_not_utf8,
    read_lines,
)

# Arrow string arrays use int32 offsets: build one chunk per this many bytes of file.
_CHUNK_BYTES = 1 << 30
# Bytes read at a time; each piece (up to its last newline) becomes one chunk of the text column.
_PIECE_BYTES = 1 << 30


def line_ends(data: bytes) -> np.ndarray:
    """End offsets (exclusive, after the newline) of every physical line of ``data``."""
    ends = byte_positions(data, lambda b: b == 10) + 1
    if ends.size == 0 or ends[-1] != len(data):
        ends = np.append(ends, np.int64(len(data)))
    return ends


def _string_chunks(data: bytes | bytearray, starts: np.ndarray, ends: np.ndarray) -> list[pa.Array]:
    """Zero-copy string arrays over ``data`` (line ``i`` is ``data[starts[i]:ends[i]]``, lines
    contiguous), in < 2 GiB chunks."""
    buf = pa.py_buffer(data)
    chunks = []
    i = 0
    n = len(starts)
    while i < n:
        base = int(starts[i])
        j = int(np.searchsorted(ends, base + _CHUNK_BYTES, side="right"))
        j = max(j, i + 1)
        offsets = np.empty(j - i + 1, dtype=np.int32)
        offsets[:-1] = starts[i:j] - base
        offsets[-1] = ends[j - 1] - base
        size = int(ends[j - 1]) - base
        arr = pa.StringArray.from_buffers(
            j - i, pa.py_buffer(offsets), buf.slice(base, size), None, 0
        )
        chunks.append(arr)
        i = j
    return chunks


def empty_records() -> pa.Table:
    """A table of no lines, in the reader's schema (``_line`` int64, ``text`` string)."""
    return pa.table({"_line": pa.array([], pa.int64()), "text": pa.array([], pa.string())})


class _OversizedRecordError(Exception):
    """A line longer than ``MAX_RECORD_BYTES``: the file goes to the shared reader."""


def _pieces(path: Path, piece_bytes: int) -> Iterator[bytearray]:
    """The file's bytes (gunzipped when gzip by magic number, a leading UTF-8 BOM dropped) in
    pieces that end at a newline; only the last may not. Each piece is read straight into its
    own buffer (no copy; it may be changed in place). Raises ``FileReadError`` for corrupt gzip
    data and ``_OversizedRecordError`` for a line longer than ``MAX_RECORD_BYTES``."""
    with path.open("rb") as raw:
        magic = raw.read(2)
        raw.seek(0)
        size = os.fstat(raw.fileno()).st_size
        zipped = is_gzip(magic)
        stream = gzip.GzipFile(fileobj=raw) if zipped else raw

        def budget() -> int:
            """Bytes to ask for next: what is left of a plain file (a small file gets a small
            buffer), a guess of 8x the compressed size for gzip, at most ``piece_bytes``."""
            left = 8 * size if zipped else size - raw.tell()
            return max(1, min(piece_bytes, left))

        def fill(buf: bytearray, at: int) -> int:
            """Read into ``buf[at:]`` until it is full or the file ends; the bytes now held."""
            view = memoryview(buf)
            try:
                while at < len(buf) and (n := stream.readinto(view[at:])):
                    at += n
            except (OSError, EOFError, zlib.error) as exc:
                raise FileReadError(f"corrupt gzip data: {exc}") from exc
            finally:
                view.release()
            return at

        head = bytearray(3)
        carry = bytes(head[: fill(head, 0)])  # the bytes of a line not yet ended
        if carry == b"\xef\xbb\xbf":
            carry = b""
        while True:
            # At least as much again as the unfinished line: a long line costs linear time.
            buf = bytearray(len(carry) + max(budget(), len(carry)))
            buf[: len(carry)] = carry
            held = fill(buf, len(carry))
            if held == len(carry):  # end of file
                if carry:
                    yield bytearray(carry)
                return
            cut = buf.rfind(b"\n", 0, held) + 1
            if cut == 0:  # no line ends in what is held
                carry = bytes(buf[:held])
                if len(carry) > MAX_RECORD_BYTES:
                    raise _OversizedRecordError
                continue
            carry = bytes(buf[cut:held])
            del buf[cut:]
            yield buf
            del buf  # the reader owns the piece now; the next one is not allocated beside it


def _mapped_pieces(path: Path, piece_bytes: int) -> Iterator[bytearray | memoryview]:
    """The pieces of a plain (not gzip) file without reading it into a buffer: read-only views
    of a memory map of the file, each ending at a newline (only the last may not), a leading
    UTF-8 BOM skipped. A piece holding a carriage return is copied into a ``bytearray`` instead,
    as the Python path of ``_piece_lines`` edits it in place. Each view is released when the
    next piece is asked for."""
    with path.open("rb") as f:
        size = os.fstat(f.fileno()).st_size
        if size == 0:
            return
        with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
            start = 3 if mm[:3] == b"\xef\xbb\xbf" else 0
            while start < size:
                end = min(size, start + piece_bytes)
                if end < size:
                    cut = mm.rfind(b"\n", start, end)
                    if cut < 0:  # a line longer than a piece: take it whole
                        cut = mm.find(b"\n", end)
                    end = size if cut < 0 else cut + 1
                if mm.find(b"\r", start, end) >= 0:
                    yield bytearray(mm[start:end])
                else:
                    view = memoryview(mm)[start:end]
                    try:
                        yield view
                    finally:
                        view.release()
                start = end


def _is_gzip(path: Path) -> bool:
    with path.open("rb") as f:
        return is_gzip(f.read(2))


def read_lines_fast(
    path: Path, name: str, q: QuarantineBuilder, piece_bytes: int = _PIECE_BYTES
) -> LinesRead:
    """Numbered, non-blank lines of a JSON-lines file (``_line``, ``text``), as ``read_lines``.

    Raises ``lake.sources.common.FileReadError`` when the file cannot be decompressed.
    """
    # Quarantined lines wait here: should a later piece hold an oversized record, the whole file
    # goes to the shared reader, which quarantines them itself.
    pending = QuarantineBuilder()
    tables: list[pa.Table] = []
    n_lines = n_bad = 0
    mapped = xapi_native.available() and not _is_gzip(path)
    try:
        pieces = _mapped_pieces(path, piece_bytes) if mapped else _pieces(path, piece_bytes)
        for piece in pieces:
            table, lines, bad = _piece_lines(piece, n_lines, name, pending)
            del piece  # its lines now live in the table; free the buffer before the next read
            tables.append(table)
            n_lines += lines
            n_bad += bad
    except _OversizedRecordError:
        return read_lines(path, name, q)
    q.absorb(pending)
    table = pa.concat_tables(tables) if tables else empty_records()
    return LinesRead(table=table, rows_in=table.num_rows + n_bad, quarantined=n_bad)


def _piece_lines(
    data: bytearray | memoryview, before: int, name: str, q: QuarantineBuilder
) -> tuple[pa.Table, int, int]:
    """The non-blank, UTF-8 lines of one piece, numbered after ``before`` lines; returns the
    table, the number of physical lines and how many were quarantined as not UTF-8.

    Raises ``_OversizedRecordError`` for a line longer than ``MAX_RECORD_BYTES``.
    """
    if isinstance(data, memoryview) or (data and b"\r" not in data):
        parts = xapi_native.pack_lines(data, before)
        if parts is not None:
            return _native_piece(data, parts, before, name, q)
    assert isinstance(data, bytearray)  # a mapped piece comes only with the native splitter
    return _python_piece(data, before, name, q)


def _python_piece(
    data: bytearray, before: int, name: str, q: QuarantineBuilder
) -> tuple[pa.Table, int, int]:
    """``_piece_lines`` in numpy and Arrow (the path without the native splitter)."""
    ends = line_ends(data)
    starts = np.concatenate([np.zeros(1, np.int64), ends[:-1]])
    lengths = ends - starts
    if lengths.size and int(lengths.max()) > MAX_RECORD_BYTES:
        raise _OversizedRecordError
    bad = np.zeros(0, np.int64)
    if not data.isascii() and not _valid_utf8(data, starts, ends):
        bad = _quarantine_bad_encoding(data, starts, ends, before, name, q)
    numbers = np.arange(before + 1, before + len(starts) + 1, dtype=np.int64)
    if not data:
        return empty_records(), len(starts), len(bad)
    if b"\r" in data:
        table = _trimmed_lines(data, starts, ends, numbers, bad)
    else:
        table = _packed_lines(data, starts, lengths, numbers, bad)
    return table, len(starts), len(bad)


def _native_piece(
    data: bytearray | memoryview,
    parts: list[dict[str, Any]],
    before: int,
    name: str,
    q: QuarantineBuilder,
) -> tuple[pa.Table, int, int]:
    """``_piece_lines`` from the native splitter's result (``xapi_native.pack_lines``: the
    piece's parts, each packed by its own thread; a chunk of the text column each). A piece
    with a line of Unicode whitespace only, which the splitter leaves to Python to recognise,
    goes through the Python path instead."""
    if max(p["max_len"] for p in parts) > MAX_RECORD_BYTES:
        raise _OversizedRecordError
    tables = []
    for part in parts:
        numbers = np.frombuffer(part["numbers"], dtype=np.int64)
        offsets = part["offsets"]
        if part["undecided"]:
            at = np.frombuffer(offsets, dtype=np.int32)
            rank = np.searchsorted(numbers, np.asarray(part["undecided"]) + before + 1)
            body = memoryview(part["body"])
            if _whitespace_only(body, at[rank], at[rank + 1] - at[rank]).any():
                return _python_piece(bytearray(data), before, name, q)
        text = pa.StringArray.from_buffers(
            len(numbers), pa.py_buffer(offsets), pa.py_buffer(part["body"])
        )
        tables.append(pa.table({"_line": pa.array(numbers), "text": text}))
    bad = [b for p in parts for b in p["not_utf8"]]
    for index, start, end in bad:
        quarantine_if_not_utf8(q, name, before + index + 1, bytes(data[start:end]))
    return pa.concat_tables(tables), sum(p["lines"] for p in parts), len(bad)


def _packed_lines(
    data: bytearray, starts: np.ndarray, lengths: np.ndarray, numbers: np.ndarray, bad: np.ndarray
) -> pa.Table:
    """The kept lines of a piece with no carriage return, as one buffer without newlines.

    Dropped lines (``bad``, blank, whitespace-only) are overwritten with newlines first, so the
    one ``bytes.replace`` that drops the newlines leaves them empty, and the kept lines are then
    contiguous: the text column is offsets over that buffer, with nothing copied or filtered (an
    Arrow filter of a 1 GiB string column takes seconds)."""
    view = np.frombuffer(data, dtype=np.uint8)
    content = lengths - (view[starts + lengths - 1] == 10)  # the line's bytes, newline excluded
    drop = np.zeros(len(starts), dtype=bool)
    drop[bad] = True
    # Only a line that does not open a JSON object can be whitespace: check those few with Arrow.
    suspect = np.flatnonzero((content > 0) & ~drop & (view[starts] != ord("{")))
    del view  # no buffer export may outlive this point: ``data`` is written below
    if suspect.size:
        drop[suspect[_whitespace_only(data, starts[suspect], content[suspect])]] = True
    for i in np.flatnonzero(drop & (content > 0)).tolist():
        at, size = int(starts[i]), int(content[i])
        data[at : at + size] = b"\n" * size
    body = data.replace(b"\n", b"")
    kept = np.where(drop, 0, content)
    removed = lengths - kept
    first_at = starts - (np.cumsum(removed) - removed)  # bytes dropped before each line
    keep = kept > 0
    text = pa.chunked_array(
        _string_chunks(body, first_at[keep], first_at[keep] + kept[keep]), pa.string()
    )
    return pa.table({"_line": pa.array(numbers[keep]), "text": text})


def _trimmed_lines(
    data: bytearray, starts: np.ndarray, ends: np.ndarray, numbers: np.ndarray, bad: np.ndarray
) -> pa.Table:
    """The kept lines of a piece that holds a carriage return: Arrow trims the line ends, and
    blank, whitespace-only and ``bad`` lines are filtered out."""
    for i in bad.tolist():  # blank the bad lines (newline kept): they drop out below
        end = int(ends[i]) - (data[int(ends[i]) - 1] == 10)
        data[int(starts[i]) : end] = b" " * (end - int(starts[i]))
    text = pa.chunked_array(_string_chunks(data, starts, ends), pa.string())
    text = pc.utf8_rtrim(text, characters="\r\n")
    trimmed = pc.binary_length(text).to_numpy(zero_copy_only=False)
    keep = trimmed > 0
    suspect = np.flatnonzero(keep & (np.frombuffer(data, dtype=np.uint8)[starts] != ord("{")))
    if suspect.size:
        keep[suspect[_whitespace_only(data, starts[suspect], trimmed[suspect])]] = False
    table = pa.table({"_line": pa.array(numbers), "text": text})
    return table if keep.all() else table.filter(pa.array(keep))


def _whitespace_only(
    data: bytearray | memoryview, starts: np.ndarray, sizes: np.ndarray
) -> np.ndarray:
    """Mask over the given lines (UTF-8, newline excluded): those that are only whitespace, as
    Arrow's ``utf8_trim_whitespace`` (the shared reader's test) sees it."""
    lines = pa.array(
        [bytes(data[s : s + n]) for s, n in zip(starts.tolist(), sizes.tolist(), strict=True)],
        pa.binary(),
    ).cast(pa.string())
    return pc.equal(pc.utf8_trim_whitespace(lines), "").to_numpy(zero_copy_only=False)


def _valid_utf8(data: bytes | bytearray, starts: np.ndarray, ends: np.ndarray) -> bool:
    try:
        for c in _string_chunks(data, starts, ends):
            c.validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


def _quarantine_bad_encoding(
    data: bytes | bytearray,
    starts: np.ndarray,
    ends: np.ndarray,
    before: int,
    name: str,
    q: QuarantineBuilder,
) -> np.ndarray:
    """Indexes of the lines that are not UTF-8, each quarantined (``bad_encoding``, numbered
    after ``before`` lines) with the message and raw bytes ``read_lines`` gives it; only lines
    with a non-ASCII byte are decoded."""
    high = byte_positions(data, lambda b: b >= 0x80)
    bad = []
    for i in distinct_sorted(np.searchsorted(ends, high, side="right")).tolist():
        line = bytes(data[int(starts[i]) : int(ends[i])])
        if line.endswith(b"\n"):
            line = line[:-1]
        if quarantine_if_not_utf8(q, name, before + i + 1, line):
            bad.append(i)
    return np.asarray(bad, dtype=np.int64)
