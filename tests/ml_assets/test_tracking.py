"""MLflow tracking: runs logged with their reports, models registered, the champion served."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ml_assets import tracking


class _EchoModel:
    """A model folder holding one number; ``score`` adds it (stands in for a real model)."""

    def __init__(self, folder: Path) -> None:
        self.offset = json.loads((folder / "model.json").read_text())["offset"]

    def score(self, rows: list[float]) -> list[float]:
        return [r + self.offset for r in rows]


def load_echo(folder: Path) -> _EchoModel:
    """Loader named in the registered model (``module:function``)."""
    return _EchoModel(folder)


def _model_dir(tmp_path: Path, offset: float) -> Path:
    folder = tmp_path / f"model_{offset}"
    folder.mkdir()
    (folder / "model.json").write_text(json.dumps({"offset": offset}))
    return folder


@pytest.mark.slow
def test_runs_are_logged_registered_and_only_promoted_versions_are_served(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LEARNSMART_MLFLOW_URI", raising=False)
    monkeypatch.delenv("LEARNSMART_MLFLOW_ARTIFACTS", raising=False)
    lake = tmp_path / "data" / "lake"
    lake.mkdir(parents=True)
    t = tracking.Tracking.for_lake(lake)
    assert t.uri == f"sqlite:///{tmp_path / 'data' / 'mlflow' / 'mlflow.db'}"
    assert tracking.champion(t, "learnsmart-test") is None
    assert tracking.download_champion(t, "learnsmart-test", tmp_path / "served") is None

    loader = f"{__name__}:load_echo"
    first = tracking.log_and_register(
        t,
        "learnsmart-test",
        _model_dir(tmp_path, 1.0),
        loader,
        params={"seed": 0},
        metrics={"auc": 0.8, "undefined": float("nan")},
        reports={"fairness": {"largest_gap": "none"}},
        promote=True,
    )
    assert (first.version, first.is_champion) == (1, True)
    second = tracking.log_and_register(
        t,
        "learnsmart-test",
        _model_dir(tmp_path, 2.0),
        loader,
        params={"seed": 1},
        metrics={"auc": 0.6},
        reports={},
        promote=False,
    )
    assert second.version == 2

    # the champion stays version 1: an unpromoted version is registered but not served
    assert int(tracking.champion(t, "learnsmart-test").version) == 1
    assert tracking.champion_metric(t, "learnsmart-test", "auc") == pytest.approx(0.8)
    served, version = tracking.download_champion(t, "learnsmart-test", tmp_path / "served")
    assert version == 1
    assert load_echo(served).score([0.0]) == [1.0]
    assert (served / "REGISTERED_VERSION").read_text().split() == ["learnsmart-test", "1"]

    run = t.client().get_run(first.run_id)
    assert run.data.tags["metrics_undefined"] == "undefined"
    assert "undefined" not in run.data.metrics
    artifacts = {f.path for f in t.client().list_artifacts(first.run_id, "reports")}
    assert "reports/fairness.json" in artifacts

    # promoting version 2 replaces the served folder
    t.client().set_registered_model_alias("learnsmart-test", tracking.CHAMPION, "2")
    served, version = tracking.download_champion(t, "learnsmart-test", tmp_path / "served")
    assert version == 2
    assert load_echo(served).score([0.0]) == [2.0]
