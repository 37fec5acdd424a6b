"""The dbt project of the curated layer, and a manifest that is never missing or stale.

``dagster asset materialize`` and ``dagster dev`` both import the definitions; dagster-dbt builds
the asset graph from ``target/manifest.json``. ``DbtProject.prepare_if_dev()`` only parses under
``dagster dev``, so at import we run ``dbt parse`` ourselves whenever the manifest is missing or
older than any file of the project (about 5 s; nothing when it is fresh).
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
import tempfile
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


def _is_fresh(manifest: Path, project_dir: Path) -> bool:
    return manifest.exists() and manifest.stat().st_mtime >= _newest_source_mtime(project_dir)


def ensure_manifest(project: DbtProject = dbt_project) -> Path:
    """Run ``dbt parse`` when the manifest is missing or older than the project's files.

    Several processes import the definitions at once (pytest workers, ``dagster dev``'s code
    server next to a run): one parses under a file lock into a private folder and then swaps the
    manifest in with an atomic rename, so no process ever reads a half-written manifest.
    """
    manifest = project.manifest_path
    if _is_fresh(manifest, project.project_dir):
        return manifest
    target = project.project_dir / project.target_path
    target.mkdir(parents=True, exist_ok=True)
    with (target / ".parse.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _is_fresh(manifest, project.project_dir):  # another process parsed meanwhile
            return manifest
        private = Path(tempfile.mkdtemp(prefix=".parse-", dir=target))
        try:
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
                    str(private),
                ],
                cwd=project.project_dir,
                env={**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"},
                check=True,
                capture_output=True,
                text=True,
            )
            for produced in private.iterdir():
                if produced.is_file():
                    produced.replace(target / produced.name)
        finally:
            shutil.rmtree(private, ignore_errors=True)
    return manifest
