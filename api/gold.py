"""Gold tables, cached in memory and refreshed when their Delta version changes.

A read endpoint never scans a table: each table is loaded once per Delta version, sorted by its
lookup keys, and a key's rows are a zero-copy slice of that frame. Whether a new version exists
is checked at most every ``check_s`` seconds per table (a ``stat`` of its ``_delta_log``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
from deltalake import DeltaTable

from lake.io import read_delta

log = logging.getLogger("learnsmart.api.gold")


@dataclass(frozen=True)
class GoldSpec:
    """A table the API reads: its path under the lake and the columns it is looked up by."""

    name: str
    path: str
    keys: tuple[str, ...] = ()


GOLD_TABLES: tuple[GoldSpec, ...] = (
    GoldSpec("dim_classes", "gold/enrollment/dim_classes", ("class_id",)),
    GoldSpec("dim_students", "gold/enrollment/dim_students", ("student_id",)),
    GoldSpec("dim_content", "gold/engagement/dim_content", ("class_id", "content_id")),
    GoldSpec("dim_items", "gold/items/dim_items", ("quiz_id", "item_id")),
    GoldSpec(
        "fct_student_progress", "gold/progress/fct_student_progress", ("student_id", "class_id")
    ),
    GoldSpec(
        "fct_student_module_progress",
        "gold/progress/fct_student_module_progress",
        ("student_id", "class_id"),
    ),
    GoldSpec("fct_class_week_overview", "gold/progress/fct_class_week_overview", ("class_id",)),
    GoldSpec("fct_video_segments", "gold/engagement/fct_video_segments", ("class_id",)),
    GoldSpec("fct_daily_engagement", "gold/engagement/fct_daily_engagement", ("student_id",)),
    GoldSpec("fct_quiz_attempts", "gold/grading/fct_quiz_attempts", ("student_id",)),
    GoldSpec("fct_assessment_results", "gold/grading/fct_assessment_results", ("student_id",)),
    GoldSpec("fct_item_statistics", "gold/items/fct_item_statistics", ("class_id",)),
    GoldSpec("fct_quiz_reliability", "gold/items/fct_quiz_reliability", ("quiz_id",)),
    GoldSpec("fct_student_week_features", "gold/features/fct_student_week_features", ("class_id",)),
    GoldSpec(
        "fct_skill_attempt_sequences", "gold/items/fct_skill_attempt_sequences", ("student_id",)
    ),
    GoldSpec("ml_at_risk_scores", "gold/ml/ml_at_risk_scores", ("class_id", "student_id")),
    GoldSpec("ml_skill_mastery", "gold/ml/ml_skill_mastery", ("student_id",)),
    GoldSpec("ml_recommendations", "gold/ml/ml_recommendations", ("student_id",)),
    GoldSpec("ml_drafted_items", "gold/ml/ml_drafted_items", ("class_id",)),
    GoldSpec("ml_forum_labels", "gold/ml/ml_forum_labels", ("class_id",)),
    GoldSpec("skills", "silver/skills", ("skill_id",)),
    GoldSpec("forum_posts", "silver/forum_posts", ("class_id", "thread_id")),
    GoldSpec("content_pages", "silver/content_pages", ("class_id",)),
)
SPECS = {s.name: s for s in GOLD_TABLES}


def _to_polars(table: pa.Table) -> pl.DataFrame:
    """Arrow -> polars, with extension types (e.g. arrow.json) carried as their storage."""
    cols = []
    for f, col in zip(table.schema, table.columns, strict=True):
        if isinstance(f.type, pa.ExtensionType):
            col = pa.chunked_array([c.storage for c in col.chunks], type=f.type.storage_type)
        cols.append(col)
    names = [f.name for f in table.schema if not f.name.startswith("_")]
    keep = [c for f, c in zip(table.schema, cols, strict=True) if not f.name.startswith("_")]
    return pl.from_arrow(pa.table(dict(zip(names, keep, strict=True))))  # type: ignore[return-value]


@dataclass
class _Snapshot:
    version: int | None
    frame: pl.DataFrame
    by: dict[str, tuple[pl.DataFrame, dict[Any, tuple[int, int]]]] = field(default_factory=dict)
    # Values derived from this version only (see Gold.memo); dropped with the snapshot.
    memo: dict[Any, Any] = field(default_factory=dict)


class GoldTable:
    """One cached table: the current snapshot and how to refresh it."""

    def __init__(self, spec: GoldSpec, lake: Path, check_s: float) -> None:
        self.spec = spec
        self.path = lake / spec.path
        self.check_s = check_s
        self._lock = threading.Lock()
        self._snap: _Snapshot | None = None
        self._checked = 0.0
        self._log_mtime: int | None = None
        self.loads = 0

    def _log_stamp(self) -> int | None:
        try:
            return (self.path / "_delta_log").stat().st_mtime_ns
        except FileNotFoundError:
            return None

    def snapshot(self) -> tuple[_Snapshot, bool]:
        """The current snapshot and whether it came from the cache (no reload)."""
        now = time.monotonic()
        snap = self._snap
        if snap is not None and now - self._checked < self.check_s:
            return snap, True
        with self._lock:
            snap = self._snap
            if snap is not None and time.monotonic() - self._checked < self.check_s:
                return snap, True
            stamp = self._log_stamp()
            self._checked = time.monotonic()
            if snap is not None and stamp == self._log_mtime:
                return snap, True
            version = None
            if stamp is not None:
                version = DeltaTable(str(self.path)).version()
            if snap is not None and version == snap.version:
                self._log_mtime = stamp
                return snap, True
            self._snap = self._load(version)
            self._log_mtime = stamp
            self.loads += 1
            log.info("gold table loaded", extra={"table": self.spec.name, "version": version})
            return self._snap, False

    def _load(self, version: int | None) -> _Snapshot:
        if version is None:
            return _Snapshot(None, pl.DataFrame())
        frame = _to_polars(read_delta(DeltaTable(str(self.path), version=version)))
        snap = _Snapshot(version, frame)
        for key in self.spec.keys:
            if key not in frame.columns:
                continue
            ordered = frame.sort(key, maintain_order=True)
            bounds: dict[Any, tuple[int, int]] = {}
            counts = ordered.group_by(key, maintain_order=True).len()
            offset = 0
            for value, n in counts.iter_rows():
                bounds[value] = (offset, n)
                offset += n
            snap.by[key] = (ordered, bounds)
        return snap


class Gold:
    """Every gold table the API reads, each cached by Delta version."""

    def __init__(self, lake: Path, check_s: float = 1.0) -> None:
        self.lake = lake
        self.tables = {s.name: GoldTable(s, lake, check_s) for s in GOLD_TABLES}
        self.hits = 0
        self.misses = 0

    def _snap(self, name: str) -> _Snapshot:
        snap, cached = self.tables[name].snapshot()
        if cached:
            self.hits += 1
        else:
            self.misses += 1
        return snap

    def exists(self, name: str) -> bool:
        """Whether the table has been written at all."""
        return self._snap(name).version is not None

    def version(self, name: str) -> int | None:
        """The Delta version the cache currently serves."""
        return self._snap(name).version

    def frame(self, name: str) -> pl.DataFrame:
        """The whole table (for small dimension tables and aggregate views)."""
        return self._snap(name).frame

    def rows(self, name: str, key: str, value: Any) -> pl.DataFrame:
        """The rows whose ``key`` column equals ``value`` (a slice, no scan)."""
        snap = self._snap(name)
        entry = snap.by.get(key)
        if entry is None:
            if snap.version is None:
                return snap.frame
            raise KeyError(f"{name} is not indexed by {key}")
        ordered, bounds = entry
        at = bounds.get(value)
        if at is None:
            return ordered.clear()
        return ordered.slice(at[0], at[1])

    def memo(self, name: str, key: Hashable, build: Callable[[], Any]) -> Any:
        """``build()``, computed once per Delta version of table ``name`` and ``key``.

        For values derived from that table's rows alone (and immutable): a new version of the
        table starts from an empty memo, so a value is never served for another version.
        """
        snap = self._snap(name)
        try:
            return snap.memo[key]
        except KeyError:
            value = snap.memo[key] = build()
            return value

    def keys(self, name: str, key: str) -> Iterable[Any]:
        """Distinct values of an indexed column."""
        entry = self._snap(name).by.get(key)
        return () if entry is None else entry[1].keys()

    def warm(self) -> None:
        """Load every table now (start-up), so the first requests do not pay for it."""
        for name in self.tables:
            self._snap(name)
