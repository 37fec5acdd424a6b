"""The dbt project of the curated layer, and a manifest that is never missing or stale.

``dagster asset materialize`` and ``dagster dev`` both import the definitions; dagster-dbt builds
the asset graph from ``target/manifest.json``. ``DbtProject.prepare_if_dev()`` only parses under
``dagster dev``, so at import we run ``dbt parse`` ourselves whenever the manifest is missing or
older than any file of the project (about 5 s; nothing when it is fresh).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from dagster_dbt import DbtProject

REPO_ROOT = Path(__file__).resolve().parents[3]
DBT_PROJECT_DIR = REPO_ROOT / "transforms" / "dbt"
DBT_EXECUTABLE = str(Path(sys.executable).parent / "dbt")
# What dbt reads: a change to any of these makes the manifest stale.
_SOURCES = ("dbt_project.yml", "profiles.yml", "models", "macros", "tests")

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


def _newest_source_mtime(project_dir: Path) -> float:
    newest = 0.0
    for name in _SOURCES:
        path = project_dir / name
        if path.is_file():
            newest = max(newest, path.stat().st_mtime)
        elif path.is_dir():
            for f in path.rglob("*"):
                if f.is_file():
                    newest = max(newest, f.stat().st_mtime)
    return newest


def ensure_manifest(project: DbtProject = dbt_project) -> Path:
    """Run ``dbt parse`` when the manifest is missing or older than the project's files."""
    manifest = project.manifest_path
    if manifest.exists() and manifest.stat().st_mtime >= _newest_source_mtime(project.project_dir):
        return manifest
    env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    subprocess.run(
        [
            DBT_EXECUTABLE,
            "parse",
            "--quiet",
            "--project-dir",
            str(project.project_dir),
            "--profiles-dir",
            str(project.profiles_dir),
            "--target-path",
            str(project.project_dir / project.target_path),
        ],
        cwd=project.project_dir,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return manifest
