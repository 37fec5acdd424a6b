"""Row counts of earlier evaluations, for the volume expectations.

Kept as one small JSON file per table under the lake: ``<lake>/_quality/volume/<name>.json``
(``name`` with ``/`` as ``__``), holding the latest count, the table's Delta version then, and a
short history. Why a file in the lake rather than the Dagster instance's check history: the
baseline must live and die with the data it describes. A lake rebuilt from scratch starts a fresh
baseline instead of reporting a "drop" against an older lake; an ephemeral Dagster instance
(``execute_in_process``, CI) or a wiped ``DAGSTER_HOME`` does not lose it; and the ``learnsmart``
command can run the same suites without Dagster. Writes are atomic (temporary file + rename).
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

from lake.settings import LakeSettings

HISTORY = 20


@dataclass(frozen=True)
class VolumeRecord:
    """One evaluation: the row count, the Delta version it was read at, and when."""

    rows: int
    version: int | None
    evaluated_at: str


def state_path(settings: LakeSettings, name: str) -> Path:
    """The state file of table ``name`` (``silver/learning_events``)."""
    return settings.lake / "_quality" / "volume" / f"{name.replace('/', '__')}.json"


def previous(settings: LakeSettings, name: str) -> VolumeRecord | None:
    """The latest recorded evaluation of ``name``, or None (first evaluation, unreadable file)."""
    path = state_path(settings, name)
    try:
        data = json.loads(path.read_text())
        last = data["latest"]
        return VolumeRecord(int(last["rows"]), last.get("version"), str(last["evaluated_at"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def record(
    settings: LakeSettings, name: str, rows: int, version: int | None, at: datetime
) -> VolumeRecord:
    """Store this evaluation as the new baseline (keeping the last ``HISTORY`` ones)."""
    path = state_path(settings, name)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        history = list(json.loads(path.read_text()).get("history", []))
    except (OSError, ValueError, AttributeError):
        history = []
    rec = VolumeRecord(rows, version, at.isoformat())
    history = [*history, asdict(rec)][-HISTORY:]
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
    try:
        with os.fdopen(fd, "w") as fh:
            json.dump({"table": name, "latest": asdict(rec), "history": history}, fh, indent=1)
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return rec
