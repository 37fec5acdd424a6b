"""MLflow tracking and the model registry, shared by every learner model.

Every training run logs its parameters, metrics, reports (calibration, fairness, drift) and the
model folder to MLflow, and registers the model under ``learnsmart-<model>``. The *served* model
is the registered version that carries the alias ``champion``; the scoring assets load exactly
that version, never a file lying next to it.

The store is local by default: ``sqlite:///<lake>/../mlflow/mlflow.db`` with artefacts in
``<lake>/../mlflow/artifacts`` (``make demo`` serves its UI on 127.0.0.1:5000). Set
``LEARNSMART_MLFLOW_URI`` (and ``LEARNSMART_MLFLOW_ARTIFACTS``) to use an MLflow server instead.
MLflow is imported lazily: it costs about 10 s on two cores.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CHAMPION = "champion"


@dataclass(frozen=True)
class Tracking:
    """Where runs and registered models live."""

    uri: str
    artifacts: str

    @classmethod
    def for_lake(cls, lake: Path) -> Tracking:
        """The tracking store of a lake: ``LEARNSMART_MLFLOW_URI`` or SQLite beside the lake."""
        root = lake.resolve().parent / "mlflow"
        uri = os.environ.get("LEARNSMART_MLFLOW_URI") or f"sqlite:///{root / 'mlflow.db'}"
        artifacts = os.environ.get("LEARNSMART_MLFLOW_ARTIFACTS") or (root / "artifacts").as_uri()
        if uri.startswith("sqlite:///"):
            Path(uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        return cls(uri=uri, artifacts=artifacts)

    def client(self) -> Any:
        """An ``MlflowClient`` bound to this store (also sets the process-wide URIs)."""
        import mlflow
        from mlflow import MlflowClient

        mlflow.set_tracking_uri(self.uri)
        mlflow.set_registry_uri(self.uri)
        return MlflowClient(tracking_uri=self.uri, registry_uri=self.uri)

    def experiment_id(self, name: str) -> str:
        """The experiment's id, created with this store's artefact location when new."""
        client = self.client()
        found = client.get_experiment_by_name(name)
        if found is not None:
            return str(found.experiment_id)
        return str(
            client.create_experiment(name, artifact_location=f"{self.artifacts.rstrip('/')}/{name}")
        )


@dataclass(frozen=True)
class Registered:
    """One logged and registered training run."""

    model_name: str
    version: int
    run_id: str
    is_champion: bool


class FolderModel:
    """A pyfunc wrapper whose only job is to carry a model folder through the registry.

    Our models load themselves from their folder (``load(folder)``); MLflow stores the folder as
    the artefact ``model_dir`` so that the registered version is the exact bytes served.
    """

    def __init__(self, loader: str) -> None:
        self.loader = loader  # "module:function" taking the folder, returning the model

    def load_context(self, context: Any) -> None:
        import importlib

        module, _, func = self.loader.partition(":")
        self._model = getattr(importlib.import_module(module), func)(
            Path(context.artifacts["model_dir"])
        )

    def predict(self, context: Any, model_input: Any, params: Any = None) -> Any:
        return self._model.score(model_input)


def _pyfunc_class() -> type:
    import mlflow.pyfunc

    class _Folder(FolderModel, mlflow.pyfunc.PythonModel):  # type: ignore[misc]
        pass

    return _Folder


def log_and_register(
    tracking: Tracking,
    model_name: str,
    model_dir: Path,
    loader: str,
    params: dict[str, Any],
    metrics: dict[str, float],
    reports: dict[str, Any],
    promote: bool,
    tags: dict[str, str] | None = None,
    files: dict[str, Path] | None = None,
) -> Registered:
    """Log one training run and register its model; move ``champion`` to it when ``promote``.

    ``reports`` are JSON documents stored under ``reports/<name>.json``; ``files`` (e.g. an HTML
    drift report) are stored under ``reports/``. Metrics that are NaN are left out (MLflow
    rejects them) and listed in the tag ``metrics_undefined``.
    """
    import math

    import mlflow

    client = tracking.client()
    experiment = tracking.experiment_id(model_name)
    clean = {k: float(v) for k, v in metrics.items() if v is not None and math.isfinite(v)}
    undefined = sorted(set(metrics) - set(clean))
    with mlflow.start_run(experiment_id=experiment) as run:
        mlflow.set_tags({**(tags or {}), "metrics_undefined": ",".join(undefined)})
        mlflow.log_params({k: str(v)[:500] for k, v in params.items()})
        if clean:
            mlflow.log_metrics(clean)
        for name, doc in reports.items():
            mlflow.log_dict(doc, f"reports/{name}.json")
        for path in (files or {}).values():
            mlflow.log_artifact(str(path), "reports")
        info = mlflow.pyfunc.log_model(
            name="model",
            python_model=_pyfunc_class()(loader),
            artifacts={"model_dir": str(model_dir)},
            pip_requirements=["learnsmart"],
            registered_model_name=model_name,
        )
        version = int(info.registered_model_version)
    if promote:
        client.set_registered_model_alias(model_name, CHAMPION, str(version))
    return Registered(model_name, version, run.info.run_id, promote)


def register_and_serve(
    tracking: Tracking,
    model_name: str,
    save: Callable[[Path], object],
    loader: str,
    served: Path,
    *,
    params: dict[str, Any],
    metrics: dict[str, float],
    reports: dict[str, Any],
    promote: bool,
    tags: dict[str, str] | None = None,
) -> tuple[Registered, tuple[Path, int] | None]:
    """Write a model with ``save(folder)``, log and register it (:func:`log_and_register`),
    then copy whichever version is champion to ``served`` (:func:`download_champion`).

    Returns the registered version and (served folder, champion version), or None when no
    version is champion (e.g. this one was not promoted and none was before).
    """
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / served.name
        save(folder)
        registered = log_and_register(
            tracking,
            model_name,
            folder,
            loader,
            params=params,
            metrics=metrics,
            reports=reports,
            promote=promote,
            tags=tags,
        )
    return registered, download_champion(tracking, model_name, served)


def log_run(
    tracking: Tracking,
    experiment: str,
    params: dict[str, Any],
    metrics: dict[str, float],
    reports: dict[str, Any],
) -> str:
    """Log a run that produces no model to serve (e.g. drafted quiz items); returns its id."""
    import math

    import mlflow

    tracking.client()
    clean = {k: float(v) for k, v in metrics.items() if v is not None and math.isfinite(v)}
    with mlflow.start_run(experiment_id=tracking.experiment_id(experiment)) as run:
        mlflow.log_params({k: str(v)[:500] for k, v in params.items()})
        if clean:
            mlflow.log_metrics(clean)
        for name, doc in reports.items():
            mlflow.log_dict(doc, f"reports/{name}.json")
    return str(run.info.run_id)


def champion(tracking: Tracking, model_name: str) -> Any | None:
    """The ``ModelVersion`` serving as champion, or None when nothing is registered yet."""
    from mlflow.exceptions import MlflowException

    client = tracking.client()
    try:
        return client.get_model_version_by_alias(model_name, CHAMPION)
    except MlflowException:
        return None


def champion_metric(tracking: Tracking, model_name: str, metric: str) -> float | None:
    """A metric of the champion's training run, or None."""
    version = champion(tracking, model_name)
    if version is None or version.run_id is None:
        return None
    value = tracking.client().get_run(version.run_id).data.metrics.get(metric)
    return None if value is None else float(value)


def download_champion(tracking: Tracking, model_name: str, dest: Path) -> tuple[Path, int] | None:
    """Copy the champion's model folder to ``dest`` (replaced atomically); (folder, version)."""
    import mlflow

    version = champion(tracking, model_name)
    if version is None:
        return None
    tracking.client()
    with tempfile.TemporaryDirectory() as tmp:
        local = Path(
            mlflow.artifacts.download_artifacts(f"models:/{model_name}@{CHAMPION}", dst_path=tmp)
        )
        folder = next(p for p in (local / "artifacts").iterdir() if p.is_dir())
        replace_folder(folder, dest)
    (dest / "REGISTERED_VERSION").write_text(f"{model_name} {version.version}\n")
    return dest, int(version.version)


def replace_folder(source: Path, dest: Path) -> None:
    """Copy ``source`` to ``dest``, replacing it whole: readers see the old folder or the new
    one, never a mix (a copy beside it, then two renames)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = dest.with_name(dest.name + ".incoming")
    shutil.rmtree(staging, ignore_errors=True)
    shutil.copytree(source, staging)
    old = dest.with_name(dest.name + ".previous")
    shutil.rmtree(old, ignore_errors=True)
    if dest.exists():
        dest.rename(old)
    staging.rename(dest)
    shutil.rmtree(old, ignore_errors=True)
