"""The Spark session of the scale-out engine: pyspark + delta-spark, offline.

``scripts/ensure_spark.sh`` (run by ``make setup-spark``, ``make test`` and ``make demo``) puts a
Java 17 runtime on the machine and the two delta-spark jars in the local Maven repository; the
session takes them through ``spark.jars``, so it starts with Delta and downloads nothing.

Where it runs, from the environment:

* ``LEARNSMART_SPARK_MASTER``: the master URL, ``local[*]`` by default, or a cluster's
  (``spark://host:7077``, ``yarn``, ``k8s://...``); the lake path must then be one every executor
  sees (a shared mount or object storage).
* ``LEARNSMART_SPARK_REMOTE``: a Spark Connect URL (``sc://host:15002``) instead of a master; the
  server must have been started with the delta-spark jars and extension.
* ``PYSPARK_PYTHON``: the Python of the workers that run the event sources' parse; on a local
  master this process's own interpreter by default, on a cluster one with this project
  installed.
* ``LEARNSMART_SPARK_DRIVER_MEMORY`` (default ``4g``), ``LEARNSMART_SPARK_SHUFFLE_PARTITIONS``
  (default 8, fit for one machine; raise it on a cluster), ``LEARNSMART_SPARK_JAVA_HOME``,
  ``LEARNSMART_M2_REPO`` (default ``~/.m2/repository``).

One JVM per process: ``spark.jars`` only applies when it starts, so the session is built once and
reused (``session()``).
"""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

DELTA_VERSION = "4.4.0"
DELTA_JARS = (
    ("io.delta", "delta-spark_4.2_2.13", DELTA_VERSION),
    ("io.delta", "delta-storage", DELTA_VERSION),
)

_lock = threading.Lock()
_session: SparkSession | None = None


class SparkSetupError(RuntimeError):
    """The Spark engine cannot start: what is missing and the command that installs it."""


def m2_repository() -> Path:
    """The local Maven repository holding the delta-spark jars."""
    return Path(
        os.environ.get("LEARNSMART_M2_REPO") or Path.home() / ".m2" / "repository"
    ).expanduser()


def delta_jars() -> list[Path]:
    """Paths of the delta-spark jars; raises SparkSetupError when one is missing."""
    repo = m2_repository()
    jars = [
        repo / group.replace(".", "/") / name / version / f"{name}-{version}.jar"
        for group, name, version in DELTA_JARS
    ]
    missing = [str(j) for j in jars if not j.is_file()]
    if missing:
        raise SparkSetupError(
            f"the delta-spark jars are missing ({', '.join(missing)}); "
            "run `make setup-spark` (scripts/ensure_spark.sh) to fetch them from Maven Central"
        )
    return jars


def java_home() -> str:
    """A Java 17 home for the JVM: LEARNSMART_SPARK_JAVA_HOME, JAVA_HOME, or Debian's."""
    for candidate in (os.environ.get("LEARNSMART_SPARK_JAVA_HOME"), os.environ.get("JAVA_HOME")):
        if candidate and Path(candidate, "bin", "java").is_file():
            return candidate
    found = sorted(str(p) for p in Path("/usr/lib/jvm").glob("java-17-openjdk-*"))
    if not found:
        raise SparkSetupError(
            "no Java 17 runtime found; run `make setup-spark` (apt-get install "
            "openjdk-17-jre-headless) or set LEARNSMART_SPARK_JAVA_HOME"
        )
    return found[0]


def _builder_config() -> dict[str, str]:
    jars = ",".join(str(j) for j in delta_jars())
    return {
        "spark.jars": jars,
        "spark.sql.extensions": "io.delta.sql.DeltaSparkSessionExtension",
        "spark.sql.catalog.spark_catalog": "org.apache.spark.sql.delta.catalog.DeltaCatalog",
        # The lake's timestamps are UTC instants; dates derived from them must not shift.
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.catalogImplementation": "in-memory",
        "spark.sql.shuffle.partitions": os.environ.get("LEARNSMART_SPARK_SHUFFLE_PARTITIONS", "8"),
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.driver.memory": os.environ.get("LEARNSMART_SPARK_DRIVER_MEMORY", "4g"),
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        # Tables stay readable by delta-rs, DuckDB and Trino: no deletion vectors.
        "spark.databricks.delta.properties.defaults.enableDeletionVectors": "false",
    }


def session() -> SparkSession:
    """The process's Spark session with Delta support, started on first use."""
    global _session
    with _lock:
        if _session is not None:
            return _session
        from pyspark.sql import SparkSession

        remote = os.environ.get("LEARNSMART_SPARK_REMOTE")
        if remote:
            _session = SparkSession.builder.remote(remote).getOrCreate()
            return _session
        os.environ.setdefault("JAVA_HOME", java_home())
        master = os.environ.get("LEARNSMART_SPARK_MASTER", "local[*]")
        if master.startswith("local"):
            # Python workers (the event sources' parse runs in them) use this interpreter, whose
            # packages they import, not whatever `python3` comes first on the PATH.
            os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        builder = SparkSession.builder.appName("learnsmart").master(master)
        for key, value in _builder_config().items():
            builder = builder.config(key, value)
        _session = builder.getOrCreate()
        _session.sparkContext.setLogLevel("ERROR")
        return _session


def stop() -> None:
    """Stop the process's session (tests and CLIs that finish with Spark)."""
    global _session
    with _lock:
        if _session is not None:
            _session.stop()
            _session = None
