"""The native fast path of the xAPI validator's stage 1 (``lake/native``, a Rust extension).

``scan`` reads every statement once, without DuckDB's JSON parse, and returns stage 1's mapped
columns for the statements it can decide alone (``ok``): those that are certainly clean. Every
other statement (a broken rule, an unusual shape) goes through the DuckDB path, which decides it
and words its reason; the native scanner is never looser than the SQL rules, only stricter.

The extension is built by ``make setup`` (``scripts/build_native.sh``, cargo). Without it, or
with ``LEARNSMART_XAPI_NATIVE=0``, ``scan`` returns None and the DuckDB path does all the work:
the results are the same, only slower.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from types import ModuleType
from typing import Any

import pyarrow as pa

from lake.sources.common import buffer_bytes

_native: ModuleType | None
try:
    from lake import _native  # type: ignore[attr-defined,no-redef]
except ImportError:  # not built: the DuckDB path does the work
    _native = None

# Threads one scan uses (the machine has 2 cores; DuckDB is idle meanwhile).
THREADS = max(1, min(os.cpu_count() or 1, 8))

# Arrow types of the scanner's column groups.
_TYPES = {
    "utf8": pa.string(),
    "f64": pa.float64(),
    "bool": pa.bool_(),
    "ts": pa.timestamp("us", tz="UTC"),
}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def available() -> bool:
    """Whether the extension is built and not switched off (``LEARNSMART_XAPI_NATIVE=0``)."""
    return _native is not None and os.environ.get("LEARNSMART_XAPI_NATIVE", "1") != "0"


def _arrays(part: dict[str, Any]) -> dict[str, pa.Array]:
    """Arrow arrays over one thread's column buffers (validity bitmap first), without a copy."""
    n = int(part["n"])
    return {
        name: pa.Array.from_buffers(typ, n, [pa.py_buffer(b) for b in buffers])
        for group, typ in _TYPES.items()
        for name, buffers in part[group].items()
    }


def release_buffers() -> None:
    """Free the column buffers ``scan`` keeps for its next call (once a load's chunks are
    scanned); a no-op without the extension."""
    if _native is not None:
        _native.release_buffers()


# A piece is split by up to THREADS threads, in parts of at least this many bytes.
PACK_PART_BYTES = 16 * 1024 * 1024


def pack_lines(data: bytearray | memoryview, before: int) -> list[dict[str, Any]] | None:
    """The native line splitter's result for one piece of a JSON-lines file without carriage
    returns, a dict per part the piece was split into (see ``lake/native/src/lines.rs``), or
    None when the extension is not available."""
    if not available() or _native is None:
        return None
    return _native.pack_lines(memoryview(data).cast("B"), before, THREADS, PACK_PART_BYTES)


def scan(records: pa.Table, not_after: datetime) -> pa.Table | None:
    """Stage 1's fast path over ``records`` (``_f``, ``_line``, ``text``): a table aligned with
    them (``_f``, ``_line``, ``ok``, ``canon`` and the mapped columns, NULL where not ``ok``), or
    None when the extension is not available or there are no records. ``occurred_at`` is the
    statement's ``timestamp``, else its ``stored``, else NULL (the load's time); a statement
    timestamped after ``not_after`` (an aware datetime) is not ``ok``: it is in the future."""
    if not available() or _native is None:
        return None
    delta = not_after - _EPOCH
    not_after_us = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
    parts: dict[str, list[pa.Array]] = {}
    for chunk in records.column("text").chunks:
        if len(chunk) == 0:
            continue
        if pa.types.is_large_string(chunk.type):
            chunk = chunk.cast(pa.string())
        if chunk.null_count:
            chunk = chunk.fill_null("")  # a NULL text is not JSON: the DuckDB path says so
        _, offsets, data = chunk.buffers()
        text, offsets = buffer_bytes(data), buffer_bytes(offsets)
        for part in _native.scan_statements(
            text, offsets, chunk.offset, len(chunk), not_after_us, THREADS
        ):
            for name, arr in _arrays(part).items():
                parts.setdefault(name, []).append(arr)
    if not parts:
        return None
    columns = {"_f": records.column("_f"), "_line": records.column("_line")}
    for name, arrays in parts.items():
        columns[name] = pa.chunked_array(arrays)
    return pa.table(columns)
