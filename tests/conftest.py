"""Shared fixtures: a throw-away lake and landing folder per test, a small curated demo lake
(silver + gold, built once per session), a dbt runner, and the real datasets."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from lake.settings import LakeSettings

DATASETS = Path(__file__).resolve().parents[2] / "shared" / "datasets"

ROOT = Path(__file__).resolve().parents[1]
DBT_DIR = ROOT / "transforms" / "dbt"
DBT = str(Path(sys.executable).parent / "dbt")


@pytest.fixture
def settings(tmp_path: Path) -> LakeSettings:
    """Settings for an empty lake and landing folder under the test's tmp_path."""
    s = LakeSettings(lake=tmp_path / "lake", landing=tmp_path / "landing")
    s.landing.mkdir(parents=True)
    return s


@pytest.fixture(scope="session")
def datasets_dir() -> Path:
    """../shared/datasets (real third-party data; never copied into the repository)."""
    if not DATASETS.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the real-data tests, but {DATASETS} is missing")
        pytest.skip(f"real datasets not present at {DATASETS}")
    return DATASETS


@dataclass(frozen=True)
class Curated:
    """A lake with silver and gold layers, and the DuckDB warehouse dbt built."""

    lake: Path
    warehouse: Path
    log: str

    @property
    def settings(self) -> LakeSettings:
        return LakeSettings(lake=self.lake, landing=self.lake.parent / "landing")


def run_dbt(lake: Path, warehouse: Path, *args: str) -> str:
    """Run dbt from the repository root against ``lake``; fail the test with dbt's output."""
    env = {
        **os.environ,
        "LEARNSMART_LAKE": str(lake),
        "LEARNSMART_WAREHOUSE": str(warehouse),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    run = subprocess.run(
        [
            DBT,
            *args,
            "--project-dir",
            str(DBT_DIR),
            "--profiles-dir",
            str(DBT_DIR),
            "--target-path",
            str(warehouse.parent / "dbt_target"),
            "--log-path",
            str(warehouse.parent / "dbt_logs"),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout[-5000:] + run.stderr[-3000:]
    return run.stdout


@pytest.fixture(scope="session")
def curated(tmp_path_factory: pytest.TempPathFactory) -> Curated:
    """40 students over 21 days (3 class weeks), ingested and built with ``dbt build``."""
    from lake.demo import generate
    from lake.loader import ingest

    root = tmp_path_factory.mktemp("curated")
    settings = LakeSettings(lake=root / "lake", landing=root / "landing")
    generate(settings.landing, students=40, days=21, seed=3)
    ingest(settings)
    warehouse = root / "warehouse.duckdb"
    log = run_dbt(settings.lake, warehouse, "build")
    return Curated(lake=settings.lake, warehouse=warehouse, log=log)
