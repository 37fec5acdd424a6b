"""Reason codes for rejected records, and the builder parsers use to collect them."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

import pyarrow as pa

# Raw text kept per quarantined record. Longer records keep their head and their length, so a
# hostile multi-megabyte line cannot bloat the lake while the reason still says what it was.
MAX_RAW_CHARS = 65_536


class Reason(StrEnum):
    """Why a record was rejected. Stable codes: dashboards and `lake status` group by them."""

    MALFORMED_JSON = "malformed_json"
    MALFORMED_CSV = "malformed_csv"
    BAD_ENCODING = "bad_encoding"
    MISSING_FIELD = "missing_field"
    WRONG_TYPE = "wrong_type"
    INVALID_VALUE = "invalid_value"
    INVALID_TIMESTAMP = "invalid_timestamp"
    FUTURE_TIMESTAMP = "future_timestamp"
    DUPLICATE_RECORD = "duplicate_record"
    UNKNOWN_CLASS = "unknown_class"
    UNKNOWN_REFERENCE = "unknown_reference"
    SPEC_VIOLATION = "spec_violation"
    RECORD_TOO_LARGE = "record_too_large"
    UNREADABLE_FILE = "unreadable_file"
    PARSER_ERROR = "parser_error"


def clip_raw(raw: str | bytes | None) -> str:
    """Raw record text as stored in quarantine: undecodable bytes escaped, NULs kept visible."""
    if raw is None:
        return ""
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", errors="backslashreplace")
    if len(raw) > MAX_RAW_CHARS:
        return f"{raw[:MAX_RAW_CHARS]}...[truncated: {len(raw)} chars]"
    return raw


@dataclass
class QuarantineBuilder:
    """Collects rejected records for one load; the loader stamps source, load id and time."""

    files: list[str] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    codes: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    raws: list[str] = field(default_factory=list)

    def add(self, file: str, line: int, code: Reason, reason: str, raw: str | bytes | None) -> None:
        """Reject one record: ``line`` is 1-based (header is line 1 in CSV files)."""
        self.files.append(file)
        self.lines.append(line)
        self.codes.append(code.value)
        self.reasons.append(reason)
        self.raws.append(clip_raw(raw))

    def extend(self, rows: pa.Table) -> None:
        """Add rows given as a table with columns file, line, reason_code, reason, raw."""
        for col, target in (
            ("file", self.files),
            ("line", self.lines),
            ("reason_code", self.codes),
            ("reason", self.reasons),
        ):
            target.extend(rows.column(col).to_pylist())
        self.raws.extend(clip_raw(r) for r in rows.column("raw").to_pylist())

    def absorb(self, other: QuarantineBuilder) -> None:
        """Add ``other``'s rows as they are (``raw`` already clipped), after this builder's."""
        self.files.extend(other.files)
        self.lines.extend(other.lines)
        self.codes.extend(other.codes)
        self.reasons.extend(other.reasons)
        self.raws.extend(other.raws)

    @classmethod
    def from_table(cls, rows: pa.Table) -> QuarantineBuilder:
        """A builder holding ``to_table()``'s rows as they are (``raw`` already clipped)."""
        return cls(
            files=rows.column("file").to_pylist(),
            lines=rows.column("line").to_pylist(),
            codes=rows.column("reason_code").to_pylist(),
            reasons=rows.column("reason").to_pylist(),
            raws=rows.column("raw").to_pylist(),
        )

    def __len__(self) -> int:
        return len(self.lines)

    def to_table(self) -> pa.Table:
        """Columns file, line, reason_code, reason, raw."""
        return pa.table(
            {
                "file": pa.array(self.files, pa.string()),
                "line": pa.array(self.lines, pa.int64()),
                "reason_code": pa.array(self.codes, pa.string()),
                "reason": pa.array(self.reasons, pa.string()),
                "raw": pa.array(self.raws, pa.string()),
            }
        )
