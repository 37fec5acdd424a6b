"""A load killed with SIGKILL at any point leaves every table readable, and the next run
completes it with no row lost or duplicated: the result equals an uninterrupted load."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pytest
from deltalake import DeltaTable

from lake import io
from lake.demo import generate
from lake.loader import ingest
from lake.settings import LakeSettings
from lake.tables import ALL_TABLES, LOADS, SILVER

ROOT = Path(__file__).resolve().parents[2]
# Columns stamped from the wall clock of the run that wrote them.
CLOCK_COLUMNS = {
    "_loaded_at",
    "first_seen_at",
    "quarantined_at",
    "_ingested_at",
    "_ingest_date",
    "started_at",
    "finished_at",
}


def _comparable(settings: LakeSettings, name: str) -> list[tuple]:
    spec = ALL_TABLES[name]
    t = io.read(settings, spec)
    t = t.select([c for c in t.column_names if c not in CLOCK_COLUMNS])
    rows = [tuple(repr(v) for v in r.values()) for r in t.to_pylist()]
    return sorted(rows)


def _assert_all_tables_readable(lake: Path) -> None:
    for name in ALL_TABLES:
        path = lake / name
        if (path / "_delta_log").is_dir():
            dt = DeltaTable(str(path))
            assert isinstance(dt.to_pyarrow_table(), pa.Table), name


@pytest.mark.slow
def test_sigkilled_loads_then_rerun_equal_an_uninterrupted_load(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    generate(landing, students=80, days=12, seed=5)

    reference = LakeSettings(lake=tmp_path / "reference", landing=landing)
    ingest(reference)

    killed = LakeSettings(lake=tmp_path / "killed", landing=landing)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [
        sys.executable,
        "-m",
        "orchestration.cli",
        "ingest",
        "--landing",
        str(landing),
        "--lake",
        str(killed.lake),
    ]
    kills, midload_kills, delay = 0, 0, 2.5
    for _ in range(15):
        proc = subprocess.Popen(
            cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        try:
            proc.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            kills += 1
            _assert_all_tables_readable(killed.lake)
            statuses = io.read(killed, LOADS).column("status").to_pylist()
            midload_kills += "started" in statuses
            delay += 0.7
            continue
        assert proc.returncode == 0, proc.stderr.read().decode() if proc.stderr else ""
        break
    else:
        pytest.fail("ingest never completed")
    assert kills >= 2, "the load finished before it could be killed twice; raise the data size"
    assert midload_kills >= 1, "no kill landed between a load's start and its commit"
    assert set(io.read(killed, LOADS).column("status").to_pylist()) == {"committed"}

    names = [t.name for t in SILVER] + [
        n for n in ALL_TABLES if n.startswith(("quarantine/", "bronze/"))
    ]
    for name in names:
        assert _comparable(killed, name) == _comparable(reference, name), name
    assert _comparable(killed, LOADS.name) != [] and len(_comparable(killed, LOADS.name)) == len(
        _comparable(reference, LOADS.name)
    )
