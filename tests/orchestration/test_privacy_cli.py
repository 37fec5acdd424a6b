"""``learnsmart privacy``: input errors exit 2 with one line and change nothing; a known student
is erased from the lake and the store, with a JSON summary of counts."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from api.store.db import Store, migrate
from api.store.models import Consent, ErasureRecord
from lake import io
from lake.privacy.erase import resolve_student
from lake.settings import LakeSettings
from lake.tables import silver
from orchestration.privacy_cli import privacy_app
from tests.conftest import Curated

runner = CliRunner()


@pytest.fixture
def world(curated: Curated, tmp_path: Path) -> tuple[LakeSettings, str]:
    shutil.copytree(curated.lake, tmp_path / "lake")
    shutil.copytree(curated.lake.parent / "landing", tmp_path / "landing")
    url = f"sqlite:///{tmp_path / 'api.db'}"
    migrate(url)
    return LakeSettings(lake=tmp_path / "lake", landing=tmp_path / "landing"), url


def _args(s: LakeSettings, url: str) -> list[str]:
    return ["--lake", str(s.lake), "--landing", str(s.landing), "--database-url", url]


def _one_line_error(result) -> str:
    assert result.exit_code == 2, result.output
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert len(lines) == 1, result.output
    assert lines[0].startswith("error: ")
    assert "Traceback" not in result.output
    return lines[0]


@pytest.mark.parametrize("ref", ["stu-00001", ":x", "oneroster:"])
def test_bad_reference_exits_2(world: tuple[LakeSettings, str], ref: str) -> None:
    s, url = world
    result = runner.invoke(privacy_app, ["erase", "--student", ref, *_args(s, url)])
    assert "source_system" in _one_line_error(result)


def test_unknown_student_exits_2_and_changes_nothing(world: tuple[LakeSettings, str]) -> None:
    s, url = world
    before = sorted((p, p.stat().st_mtime_ns) for p in s.landing.rglob("*") if p.is_file())
    result = runner.invoke(
        privacy_app, ["erase", "--student", "oneroster:stu-99999", *_args(s, url)]
    )
    assert "no student" in _one_line_error(result)
    after = sorted((p, p.stat().st_mtime_ns) for p in s.landing.rglob("*") if p.is_file())
    assert after == before


def test_missing_store_exits_2(world: tuple[LakeSettings, str], tmp_path: Path) -> None:
    s, _ = world
    missing = f"sqlite:///{tmp_path / 'nope.db'}"
    result = runner.invoke(
        privacy_app, ["erase", "--student", "oneroster:stu-00002", *_args(s, missing)]
    )
    assert "no operational store" in _one_line_error(result)
    assert not (tmp_path / "nope.db").exists()


def test_bad_retention_setting_exits_2(
    world: tuple[LakeSettings, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    s, url = world
    monkeypatch.setenv("LEARNSMART_RETENTION_EVENTS_DAYS", "soon")
    result = runner.invoke(privacy_app, ["retention", "apply", "--dry-run", *_args(s, url)])
    assert "LEARNSMART_RETENTION_EVENTS_DAYS" in _one_line_error(result)


@pytest.mark.slow
def test_erase_happy_path(world: tuple[LakeSettings, str]) -> None:
    s, url = world
    sid = resolve_student(s, "oneroster:stu-00002").student_id
    store = Store(url)
    with store.session() as sess:
        sess.add(Consent(student_id=sid, purpose="research", granted=True))
    result = runner.invoke(
        privacy_app,
        ["erase", "--student", "oneroster:stu-00002", "--reason", "withdrawal", *_args(s, url)],
    )
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["lake"]["verified"] is True
    assert out["lake"]["tables"]["silver/students"]["removed"] == 1
    assert out["store"]["consents"] == 1
    assert sid not in result.output and "stu-00002" not in result.output
    students = io.read(s, silver("students"), ["student_id"]).column(0).to_pylist()
    assert sid not in students
    with store.session() as sess:
        assert sess.scalars(select(Consent).where(Consent.student_id == sid)).all() == []
        rec = sess.get(ErasureRecord, out["erasure_record_id"])
        assert rec is not None and rec.reason_code == "withdrawal"
        assert sid not in json.dumps(rec.counts)
    store.dispose()


def test_retention_dry_run_prints_counts(world: tuple[LakeSettings, str]) -> None:
    s, url = world
    result = runner.invoke(privacy_app, ["retention", "apply", "--dry-run", *_args(s, url)])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["dry_run"] is True
    assert set(out["families"]) == {"events", "attempts", "forum_text", "audit"}
