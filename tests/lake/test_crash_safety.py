"""A load killed with SIGKILL at any point leaves every table readable, and the next run
completes it with no row lost or duplicated: the result equals an uninterrupted load."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
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
KILLS = 4
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


def _ledger_statuses(settings: LakeSettings) -> list[str]:
    path = settings.lake / LOADS.name
    if not (path / "_delta_log").is_dir():
        return []
    return io.read(settings, LOADS, columns=["status"]).column("status").to_pylist()


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
        sys.executable, "-m", "orchestration.cli", "ingest",
        "--landing", str(landing), "--lake", str(killed.lake),
    ]  # fmt: skip
    # Each run is killed the moment the ledger shows a load in flight that started after more
    # loads had committed than at the previous kill: every kill lands mid-load, and every run
    # makes progress. The last run is left to finish.
    kills, committed_at_last_kill = 0, -1
    while kills < KILLS:
        proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 300
        while proc.poll() is None and time.monotonic() < deadline:
            statuses = _ledger_statuses(killed)
            if "started" in statuses and statuses.count("committed") > committed_at_last_kill:
                proc.send_signal(signal.SIGKILL)
                proc.wait()
                break
            time.sleep(0.05)
        if proc.returncode is None:
            proc.kill()
            pytest.fail("ingest hung")
        if proc.returncode == 0:
            break  # it finished before a kill point: nothing left to kill
        assert proc.returncode == -signal.SIGKILL
        kills += 1
        _assert_all_tables_readable(killed.lake)
        statuses = _ledger_statuses(killed)
        assert "started" in statuses, "the kill landed outside a load"
        committed_at_last_kill = statuses.count("committed")
    final = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert final.returncode == 0, final.stderr[-2000:]
    assert kills >= 3, f"only {kills} kill(s) landed mid-load; raise the data size"
    assert set(_ledger_statuses(killed)) == {"committed"}

    names = [t.name for t in SILVER] + [
        n for n in ALL_TABLES if n.startswith(("quarantine/", "bronze/"))
    ]
    for name in names:
        assert _comparable(killed, name) == _comparable(reference, name), name
    assert _comparable(killed, LOADS.name) != [] and len(_comparable(killed, LOADS.name)) == len(
        _comparable(reference, LOADS.name)
    )
