"""The `learnsmart` command: contract output, and bad input answered with one clear line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from orchestration.cli import app
from tests.conftest import Curated

runner = CliRunner()


def _write_forum(landing: Path) -> None:
    (landing / "forum").mkdir(parents=True)
    (landing / "forum" / "posts.jsonl").write_text(
        json.dumps(
            {
                "post_id": "p1",
                "thread_id": "p1",
                "class_id": "unknown-class",
                "author_id": "stu-1",
                "created_at": "2025-10-01T10:00:00Z",
                "body": "Hello",
            }
        )
        + "\n{broken\n"
    )


def test_ingest_then_status_json_has_the_contract_keys(tmp_path: Path) -> None:
    landing, lake = tmp_path / "landing", tmp_path / "lake"
    _write_forum(landing)
    result = runner.invoke(app, ["ingest", "--landing", str(landing), "--lake", str(lake)])
    assert result.exit_code == 0, result.output
    assert "1 file(s) loaded, 2 rows in, 2 quarantined" in result.output
    status = runner.invoke(app, ["lake", "status", "--lake", str(lake), "--json"])
    assert status.exit_code == 0, status.output
    doc = json.loads(status.output)
    assert set(doc) == {"tables", "loads", "quarantine"}
    assert {"name", "layer", "rows", "version"} <= set(doc["tables"][0])
    assert {t["name"] for t in doc["tables"]} >= {"quarantine/forum", "system/_loads"}
    assert doc["loads"] == {"files": 1, "rows_in": 2, "rows_kept": 0, "rows_quarantined": 2}
    assert doc["quarantine"] == {"malformed_json": 1, "unknown_class": 1}


def test_ingest_again_loads_nothing(tmp_path: Path) -> None:
    landing, lake = tmp_path / "landing", tmp_path / "lake"
    _write_forum(landing)
    args = ["ingest", "--landing", str(landing), "--lake", str(lake), "--json"]
    assert len(runner.invoke(app, args).output.splitlines()) == 1
    again = runner.invoke(app, args)
    assert again.exit_code == 0 and again.output == ""


def test_missing_landing_folder_is_a_clear_error(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["ingest", "--landing", str(tmp_path / "nope"), "--lake", str(tmp_path)]
    )
    assert result.exit_code == 2
    assert "landing folder" in result.output and "does not exist" in result.output


def test_unknown_source_is_a_clear_error(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["ingest", "--landing", str(tmp_path), "--lake", str(tmp_path), "--source", "moodle"]
    )
    assert result.exit_code == 2
    assert "unknown source(s) ['moodle']" in result.output


def test_status_of_a_missing_lake_is_a_clear_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["lake", "status", "--lake", str(tmp_path / "none"), "--json"])
    assert result.exit_code == 2
    assert "lake folder" in result.output


def test_unsafe_settings_outside_development_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEARNSMART_ENV", "production")
    monkeypatch.delenv("LEARNSMART_PSEUDONYM_KEY", raising=False)
    result = runner.invoke(app, ["lake", "status", "--lake", str(tmp_path)])
    assert result.exit_code == 2
    assert "LEARNSMART_PSEUDONYM_KEY" in result.output


def test_vacuum_window_below_a_week_is_refused(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["lake", "optimize", "--lake", str(tmp_path), "--vacuum-hours", "1"]
    )
    assert result.exit_code == 2
    assert "168" in result.output


@pytest.mark.slow
def test_reading_processes_exit_cleanly(tmp_path: Path) -> None:
    # deltalake's default Python storage handler made about half of such processes abort at exit
    # (status 134) after printing their output; the lake reads through pyarrow's own file system.
    landing, lake = tmp_path / "landing", tmp_path / "lake"
    _write_forum(landing)
    args = ["ingest", "--landing", str(landing), "--lake", str(lake)]
    assert runner.invoke(app, args).exit_code == 0
    for day in range(1, 13):  # one commit, one more data file per load: scans run threaded
        posts = landing / "forum" / f"2025-10-{day:02d}.jsonl"
        posts.write_text("{broken\n" * day)
        assert runner.invoke(app, args).exit_code == 0
    exe = Path(sys.executable).parent / "learnsmart"
    codes = [
        subprocess.run(
            [str(exe), "lake", "status", "--lake", str(lake), "--json"], capture_output=True
        ).returncode
        for _ in range(8)
    ]
    assert codes == [0] * 8


def test_eval_forum_urgency_refuses_a_file_without_the_label_columns(tmp_path: Path) -> None:
    bad = tmp_path / "posts.csv"
    bad.write_text("id,text\n1,hello\n")
    result = runner.invoke(
        app, ["eval", "forum-urgency", "--train", str(bad), "--test", str(bad), "--json"]
    )
    assert result.exit_code == 2
    assert result.output.startswith("error: ") and len(result.output.strip().splitlines()) == 1


def test_eval_recommender_refuses_a_missing_folder(tmp_path: Path) -> None:
    result = runner.invoke(app, ["eval", "recommender", "--oulad", str(tmp_path / "nope")])
    assert result.exit_code == 2 and "OULAD folder not found" in result.output


def test_eval_readable_output_says_n_a_for_an_undefined_metric(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from orchestration.cli import _fmt, _report

    _report(
        lambda: {"model": {"auc": None, "f1": 0.51234}},
        False,
        lambda r: (f"auc {_fmt(m['auc'])} f1 {_fmt(m['f1'])}" for m in r.values()),
    )
    assert capsys.readouterr().out == "auc n/a f1 0.512\n"
    _report(lambda: {"auc": None}, True, lambda r: ())
    assert json.loads(capsys.readouterr().out) == {"auc": None}


@pytest.mark.parametrize("args", [[], ["--oulad", ".", "--lake", "."]])
def test_eval_recommender_needs_exactly_one_of_oulad_and_lake(args: list[str]) -> None:
    result = runner.invoke(app, ["eval", "recommender", *args, "--json"])
    assert result.exit_code == 2
    assert "exactly one of --oulad DIR" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_eval_recommender_refuses_a_missing_lake(tmp_path: Path) -> None:
    result = runner.invoke(app, ["eval", "recommender", "--lake", str(tmp_path / "nope")])
    assert result.exit_code == 2 and "lake folder not found" in result.output


@pytest.mark.slow
def test_eval_recommender_on_a_lake_prints_one_object_per_method(curated: Curated) -> None:
    result = runner.invoke(
        app, ["eval", "recommender", "--lake", str(curated.lake), "--max-students", "30", "--json"]
    )
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)  # stderr may carry the sentence encoder's loading bar
    assert set(out) >= {"model", "popularity", "popularity_class_week", "random"}
    for metrics in out.values():
        assert {"ndcg@10", "recall@10", "coverage"} <= set(metrics)
        assert metrics["n_users"] == 30
