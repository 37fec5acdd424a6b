"""Fast, deterministic building blocks for the demo writers: UUIDs from a seeded generator,
ISO timestamps, and writing millions of pre-built lines with a few lines replaced."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import BinaryIO

import numpy as np
import polars as pl
import pyarrow as pa

_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
_DASH = ord("-")


def uuids(rng: np.random.Generator, n: int) -> pl.Series:
    """``n`` random (version 4) UUID strings drawn from ``rng``: reproducible, unlike uuid4()."""
    raw = rng.integers(0, 256, size=(n, 16), dtype=np.uint8)
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
    hexed = np.empty((n, 32), dtype=np.uint8)
    hexed[:, 0::2] = _HEX[raw >> 4]
    hexed[:, 1::2] = _HEX[raw & 0x0F]
    out = np.full((n, 36), _DASH, dtype=np.uint8)
    out[:, 0:8] = hexed[:, 0:8]
    out[:, 9:13] = hexed[:, 8:12]
    out[:, 14:18] = hexed[:, 12:16]
    out[:, 19:23] = hexed[:, 16:20]
    out[:, 24:36] = hexed[:, 20:32]
    return fixed_width_strings(out)


def fixed_width_strings(chars: np.ndarray) -> pl.Series:
    """A (n, width) uint8 array of ASCII bytes as a polars string Series, without Python loops."""
    n, width = chars.shape
    offsets = np.arange(0, (n + 1) * width, width, dtype=np.int64)
    arr = pa.LargeStringArray.from_buffers(
        n, pa.py_buffer(offsets.tobytes()), pa.py_buffer(np.ascontiguousarray(chars).tobytes())
    )
    return pl.Series(arr)


def epoch_ms(day: date) -> int:
    """Milliseconds since the epoch at midnight UTC of ``day``."""
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp() * 1000)


def iso_expr(ms: pl.Expr) -> pl.Expr:
    """ISO 8601 UTC text (``2025-09-08T14:03:12.345Z``) from epoch milliseconds."""
    return pl.from_epoch(ms, "ms").dt.strftime("%Y-%m-%dT%H:%M:%S%.3fZ")


def iso(ms: int) -> str:
    """ISO 8601 UTC text from epoch milliseconds (scalar version of ``iso_expr``)."""
    dt = datetime.fromtimestamp(ms / 1000, tz=UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def iso_array(ms: np.ndarray) -> list[str]:
    """ISO 8601 UTC texts for an array of epoch milliseconds (vectorised ``iso``)."""
    text = np.datetime_as_string(np.asarray(ms, dtype="datetime64[ms]"), unit="ms")
    return [t + "Z" for t in text.tolist()]


def write_lines(fh: BinaryIO, lines: pl.Series, overrides: Mapping[int, bytes]) -> int:
    """Write ``lines`` (each already ending in a newline) to ``fh``; the rows named in
    ``overrides`` are written as the given bytes instead (zero, one or several lines).

    Returns the number of bytes written. The string buffer is written in slices, so a few
    replaced rows among millions cost nothing extra.
    """
    arr = lines.to_arrow()
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if arr.type != pa.large_string():
        arr = arr.cast(pa.large_string())
    n = len(arr)
    if n == 0:
        return 0
    bufs = arr.buffers()
    offsets = np.frombuffer(bufs[1], dtype=np.int64)[arr.offset : arr.offset + n + 1]
    data = memoryview(bufs[2]) if bufs[2] is not None else memoryview(b"")
    written = 0
    pos = int(offsets[0])
    for row in sorted(overrides):
        start, end = int(offsets[row]), int(offsets[row + 1])
        written += fh.write(data[pos:start])
        written += fh.write(overrides[row])
        pos = end
    written += fh.write(data[pos : int(offsets[n])])
    return written


def write_text(path: Path, text: str) -> int:
    """Write UTF-8 text (LF line endings), creating parent folders; returns bytes written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = text.encode("utf-8")
    path.write_bytes(data)
    return len(data)
