"""The heavy gold builds on Spark, from the dbt project's own SQL: one definition, two engines.

dbt compiles the selected marts and everything upstream of them (staging views, intermediate
tables) exactly as for DuckDB, against a scratch warehouse so incremental models compile as full
builds. Each compiled model is transpiled from DuckDB's dialect to Spark SQL with sqlglot, its
relations renamed to Spark temporary views (silver sources become views over the silver Delta
tables), and run in dependency order; the marts are written to the same gold Delta tables
(``<lake>/gold/<domain>/<model>``) the embedded build writes. A rule changed in a dbt model
therefore changes on both engines, and ``tests/spark`` proves the results equal row for row.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlglot
from sqlglot import exp

from lake.settings import LakeSettings
from lake.spark.runtime import session
from lake.tables import SILVER_BY_TABLE

DBT_DIR = Path(__file__).resolve().parents[2] / "transforms" / "dbt"
# The gold tables worth a cluster: the per-event aggregation and the per-student-week features.
HEAVY_MARTS = ("fct_daily_engagement", "fct_student_week_features")


class GoldBuildError(RuntimeError):
    """dbt could not compile the models, or Spark could not run one (named in the message)."""


@dataclass(frozen=True)
class Model:
    """One compiled dbt model: its name, where its rows go and its Spark SQL."""

    unique_id: str
    name: str
    schema: str
    materialized: str
    domain: str
    spark_sql: str
    is_target: bool


def _dbt() -> str:
    exe = Path(sys.executable).parent / "dbt"
    return str(exe) if exe.is_file() else "dbt"


def compile_manifest(settings: LakeSettings, marts: tuple[str, ...], workdir: Path) -> dict:
    """``dbt compile`` of ``marts`` and their upstream models against a scratch warehouse (so
    incremental models compile as full builds); returns the manifest."""
    env = {
        **os.environ,
        "LEARNSMART_LAKE": str(settings.lake.resolve()),
        "LEARNSMART_WAREHOUSE": str(workdir / "compile.duckdb"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        # The models' own SQL, not their Spark-engine bodies (which read back what Spark wrote).
        "LEARNSMART_ENGINE": "embedded",
    }
    args = [
        _dbt(),
        "compile",
        "--quiet",
        "--threads",
        "1",
        "--project-dir",
        str(DBT_DIR),
        "--profiles-dir",
        str(DBT_DIR),
        "--target-path",
        str(workdir / "target"),
        "--log-path",
        str(workdir / "logs"),
        "--select",
        *(f"+{m}" for m in marts),
    ]
    run = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    if run.returncode != 0:
        tail = "\n".join((run.stdout + run.stderr).strip().splitlines()[-8:])
        raise GoldBuildError(f"dbt compile failed:\n{tail}")
    return json.loads((workdir / "target" / "manifest.json").read_text())


def _view_name(schema: str, name: str) -> str:
    return f"{schema}__{name}"


def to_spark_sql(duckdb_sql: str) -> str:
    """A compiled model's DuckDB SQL as Spark SQL, every ``db.schema.table`` relation renamed
    to the temporary view ``schema__table``."""
    tree = sqlglot.parse_one(duckdb_sql, read="duckdb")
    for table in tree.find_all(exp.Table):
        if table.args.get("db") is not None:
            view = _view_name(table.db, table.name)
            table.set("catalog", None)
            table.set("db", None)
            table.set("this", exp.to_identifier(view))
    return tree.sql(dialect="spark", unsupported_level=sqlglot.ErrorLevel.RAISE)


def plan(manifest: dict, marts: tuple[str, ...]) -> list[Model]:
    """The models to run for ``marts``, upstream first, each with its Spark SQL."""
    nodes = {uid: n for uid, n in manifest["nodes"].items() if n["resource_type"] == "model"}
    by_name = {n["name"]: uid for uid, n in nodes.items()}
    missing = [m for m in marts if m not in by_name]
    if missing:
        raise GoldBuildError(f"no dbt model named {', '.join(missing)}")
    order: list[str] = []
    seen: set[str] = set()

    def visit(uid: str) -> None:
        if uid in seen or uid not in nodes:
            return
        seen.add(uid)
        for dep in nodes[uid]["depends_on"]["nodes"]:
            visit(dep)
        order.append(uid)

    for m in marts:
        visit(by_name[m])
    models = []
    for uid in order:
        n = nodes[uid]
        try:
            sql = to_spark_sql(n["compiled_code"])
        except sqlglot.errors.SqlglotError as exc:
            raise GoldBuildError(f"{n['name']}: cannot transpile to Spark SQL: {exc}") from exc
        models.append(
            Model(
                unique_id=uid,
                name=n["name"],
                schema=n["schema"],
                materialized=n["config"]["materialized"],
                domain=n["fqn"][-2],
                spark_sql=sql,
                is_target=n["name"] in marts,
            )
        )
    return models


def _register_sources(manifest: dict, models: list[Model]) -> None:
    """Each silver source the models read as a view over its Delta table (an empty one with
    its declared schema when the table was never written, as the embedded build reads it)."""
    spark = session()
    used = {
        dep
        for m in models
        for dep in manifest["nodes"][m.unique_id]["depends_on"]["nodes"]
        if dep.startswith("source.")
    }
    for uid in sorted(used):
        source = manifest["sources"][uid]
        path = Path(source["meta"].get("delta_table_path") or "")
        view = _view_name(source["schema"], source["identifier"])
        if (path / "_delta_log").is_dir():
            frame = spark.read.format("delta").load(str(path))
        else:
            spec = SILVER_BY_TABLE[source["identifier"]]
            frame = spark.createDataFrame(spec.schema.empty_table())
        frame.createOrReplaceTempView(view)


def gold_path(settings: LakeSettings, model: Model) -> Path:
    """The gold Delta table of a mart: ``<lake>/gold/<domain>/<model>``."""
    return settings.lake / "gold" / model.domain / model.name


def build_gold(
    settings: LakeSettings, marts: tuple[str, ...] = HEAVY_MARTS
) -> dict[str, dict[str, Any]]:
    """Build ``marts`` on Spark from the silver Delta tables into their gold Delta tables
    (overwritten whole); returns rows and seconds per mart."""
    spark = session()
    with tempfile.TemporaryDirectory(prefix="learnsmart-spark-gold-") as tmp:
        manifest = compile_manifest(settings, marts, Path(tmp))
    models = plan(manifest, marts)
    _register_sources(manifest, models)
    cached: list[str] = []
    report: dict[str, dict[str, Any]] = {}
    try:
        for model in models:
            started = time.perf_counter()
            try:
                frame = spark.sql(model.spark_sql)
                if model.is_target:
                    path = gold_path(settings, model)
                    (
                        frame.write.format("delta")
                        .mode("overwrite")
                        .option("overwriteSchema", "true")
                        .save(str(path))
                    )
                    rows = spark.read.format("delta").load(str(path)).count()
                    report[model.name] = {
                        "rows": rows,
                        "seconds": round(time.perf_counter() - started, 2),
                        "path": str(path),
                    }
                view = _view_name(model.schema, model.name)
                frame.createOrReplaceTempView(view)
                if model.materialized != "view":
                    # Tables in dbt are read by several models downstream: compute them once.
                    spark.catalog.cacheTable(view)
                    cached.append(view)
            except Exception as exc:
                raise GoldBuildError(f"{model.name} failed on Spark: {exc}") from exc
    finally:
        for view in cached:
            spark.catalog.uncacheTable(view)
    return report
