"""Table upkeep: what ``learnsmart lake optimize`` removes and what it must leave alone."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pyarrow as pa

from lake import io
from lake.maintenance import optimize_all
from lake.settings import LakeSettings
from lake.spark.io import STAGING_DIR, clean_staging
from lake.tables import silver


def _staged(settings: LakeSettings, name: str, age_hours: float) -> Path:
    folder = settings.lake / STAGING_DIR / name
    folder.mkdir(parents=True)
    (folder / "part-0.parquet").write_bytes(b"PAR1")
    then = time.time() - age_hours * 3600
    os.utime(folder, (then, then))
    return folder


def test_staging_left_by_a_killed_write_is_removed_and_a_running_one_kept(
    tmp_path: Path,
) -> None:
    settings = LakeSettings(lake=tmp_path / "lake", landing=tmp_path / "landing")
    assert clean_staging(settings) == 0  # no staging folder yet
    killed = _staged(settings, "killed", age_hours=30)
    running = _staged(settings, "running", age_hours=0.1)
    assert clean_staging(settings) == 1
    assert not killed.exists()
    assert (running / "part-0.parquet").exists()
    assert clean_staging(settings, older_than_hours=0) == 1
    assert not running.exists()


def test_optimize_reports_the_staging_it_removed_and_compacts_tables(tmp_path: Path) -> None:
    settings = LakeSettings(lake=tmp_path / "lake", landing=tmp_path / "landing")
    spec = silver("skills")
    for i in range(3):  # three commits, three small files
        io.merge(settings, spec, pa.table({"skill_id": [f"s{i}"], "name": [f"Skill {i}"]}), "l")
    _staged(settings, "killed", age_hours=48)
    out = optimize_all(settings)
    assert out["_staging"] == {"removed": 1}
    assert out["silver/skills"]["files_removed"] == 3
    assert io.read(settings, spec).num_rows == 3
