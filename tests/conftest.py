"""Shared fixtures: a throw-away lake and landing folder per test, and the real datasets."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from lake.settings import LakeSettings

DATASETS = Path(__file__).resolve().parents[2] / "shared" / "datasets"


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
