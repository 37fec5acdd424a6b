"""Fixtures of the orchestration tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import Curated


@pytest.fixture
def lake_copy(curated: Curated, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of the small curated lake at ``tmp_path/data/lake``, with MLflow's store
    beside it (``tmp_path/data/mlflow``) whatever the environment says."""
    monkeypatch.delenv("LEARNSMART_MLFLOW_URI", raising=False)
    monkeypatch.delenv("LEARNSMART_MLFLOW_ARTIFACTS", raising=False)
    lake = tmp_path / "data" / "lake"
    shutil.copytree(curated.lake, lake)
    return lake
