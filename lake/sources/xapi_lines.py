"""A faster JSON-lines reader for the event sources (xAPI, Caliper), same contract as
``lake.sources.common.read_lines``.

The shared reader builds its Arrow array from a Python list of one ``bytes`` object per line, which
costs seconds per million lines. This one finds the newlines with numpy and wraps one buffer as an
Arrow string array (no per-line Python objects): the file's bytes with the newlines dropped (one
``bytes.replace``), so every line is already trimmed. Lines that are not UTF-8 are found with numpy
(only lines holding a byte >= 0x80 are decoded in Python) and quarantined as the shared reader does;
files with oversized records go to the shared reader, so numbering and quarantine rules stay
identical.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from lake.quarantine import QuarantineBuilder
from lake.sources.common import (
    MAX_RECORD_BYTES,
    LinesRead,
    byte_positions,
    distinct_sorted,
    quarantine_if_not_utf8,
    read_bytes,
    read_lines,
)

# Arrow string arrays use int32 offsets: build one chunk per this many bytes of file.
_CHUNK_BYTES = 1 << 30
_WHITESPACE_BYTES = np.array([ord(c) for c in " \t\r\n\f\v"], dtype=np.uint8)


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


def read_lines_fast(path: Path, name: str, q: QuarantineBuilder) -> LinesRead:
    """Numbered, non-blank lines of a JSON-lines file (``_line``, ``text``), as ``read_lines``.

    Raises ``lake.sources.common.FileReadError`` when the file cannot be decompressed.
    """
    data: bytes | bytearray = read_bytes(path)
    ends = line_ends(data)
    starts = np.concatenate([np.zeros(1, np.int64), ends[:-1]])
    lengths = ends - starts
    if lengths.size and int(lengths.max()) > MAX_RECORD_BYTES:
        return read_lines(path, name, q)
    bad = np.zeros(0, np.int64)
    if not data.isascii() and not _valid_utf8(data, starts, ends):
        bad = _quarantine_bad_encoding(data, starts, ends, name, q)
        # Blank the bad lines (spaces, newline kept): numbering holds and they drop out below.
        data = bytearray(data)
        for i in bad.tolist():
            end = int(ends[i]) - (data[int(ends[i]) - 1] == 10)
            data[int(starts[i]) : end] = b" " * (end - int(starts[i]))
    if b"\r" in data:  # trailing carriage returns: trim with Arrow
        text = pa.chunked_array(_string_chunks(data, starts, ends), pa.string())
        text = pc.utf8_rtrim(text, characters="\r\n")
        first_at, body = starts, data
        trimmed_len = pc.binary_length(text).to_numpy(zero_copy_only=False)
    else:  # drop every newline at once; line i then starts i bytes earlier
        body = data.replace(b"\n", b"")
        del data  # the file's bytes: only the copy without newlines is kept
        shift = np.arange(len(starts), dtype=np.int64)
        first_at = starts - shift
        cut_ends = np.append(first_at[1:], np.int64(len(body)))
        text = pa.chunked_array(_string_chunks(body, first_at, cut_ends), pa.string())
        trimmed_len = cut_ends - first_at
    numbers = np.arange(1, len(starts) + 1, dtype=np.int64)
    keep = trimmed_len > 0
    # Whitespace-only lines are blank too; only lines starting with whitespace can be.
    safe_starts = np.minimum(first_at, max(len(body) - 1, 0))
    first = np.frombuffer(body, dtype=np.uint8)[safe_starts] if len(body) else np.zeros(0)
    suspect = np.flatnonzero(keep & np.isin(first, _WHITESPACE_BYTES))
    if suspect.size:
        keep[suspect[_blank_lines(text, suspect)]] = False
    table = pa.table({"_line": pa.array(numbers), "text": text})
    if not keep.all():
        table = table.filter(pa.array(keep))
    return LinesRead(table=table, rows_in=table.num_rows + len(bad), quarantined=len(bad))


def _blank_lines(text: pa.ChunkedArray, rows: np.ndarray) -> np.ndarray:
    """Mask over ``rows`` (sorted line indexes into ``text``): the lines that are only
    whitespace. Chunk by chunk: a ``take`` across chunks would concatenate them, and a file over
    2 GiB overflows a string array's offsets."""
    masks = []
    base = 0
    for chunk in text.chunks:
        lo, hi = np.searchsorted(rows, [base, base + len(chunk)])
        if hi > lo:
            vals = pc.utf8_trim_whitespace(chunk.take(pa.array(rows[lo:hi] - base)))
            masks.append(pc.equal(vals, "").to_numpy(zero_copy_only=False))
        base += len(chunk)
    return np.concatenate(masks) if masks else np.zeros(0, dtype=bool)


def _valid_utf8(data: bytes, starts: np.ndarray, ends: np.ndarray) -> bool:
    try:
        for c in _string_chunks(data, starts, ends):
            c.validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


def _quarantine_bad_encoding(
    data: bytes, starts: np.ndarray, ends: np.ndarray, name: str, q: QuarantineBuilder
) -> np.ndarray:
    """Indexes of the lines that are not UTF-8, each quarantined (``bad_encoding``) with the
    message and raw bytes ``read_lines`` gives it; only lines with a non-ASCII byte are decoded."""
    high = byte_positions(data, lambda b: b >= 0x80)
    bad = []
    for i in distinct_sorted(np.searchsorted(ends, high, side="right")).tolist():
        line = data[int(starts[i]) : int(ends[i])]
        if line.endswith(b"\n"):
            line = line[:-1]
        if quarantine_if_not_utf8(q, name, i + 1, line):
            bad.append(i)
    return np.asarray(bad, dtype=np.int64)
