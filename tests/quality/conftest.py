"""A small demo lake, built once per module that asks for it, and a helper to copy it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from lake import demo, loader
from lake.settings import LakeSettings


@pytest.fixture(scope="module")
def demo_lake(tmp_path_factory: pytest.TempPathFactory) -> LakeSettings:
    """A clean silver lake: the demo school (30 students, 10 days) ingested. Read-only: tests
    that change it work on :func:`copy_lake`."""
    root = tmp_path_factory.mktemp("demo")
    settings = LakeSettings(lake=root / "lake", landing=root / "landing")
    settings.landing.mkdir(parents=True)
    demo.generate(settings.landing, students=30, days=10, seed=1)
    loader.ingest(settings)
    return settings


def copy_lake(settings: LakeSettings, dest: Path) -> LakeSettings:
    """A writable copy of a lake and its landing folder under ``dest``."""
    shutil.copytree(settings.lake, dest / "lake")
    shutil.copytree(settings.landing, dest / "landing")
    return LakeSettings(lake=dest / "lake", landing=dest / "landing")
