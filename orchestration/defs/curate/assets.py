"""The dbt models of the curated layer as Dagster assets; dbt tests report as asset checks."""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets

from orchestration.defs.curate.project import DBT_EXECUTABLE, dbt_project, ensure_manifest
from orchestration.defs.curate.translator import LearnSmartDbtTranslator
from orchestration.resources import LakeResource

ensure_manifest()


@contextmanager
def lake_environment(lake: LakeResource) -> Iterator[dict[str, str]]:
    """LEARNSMART_LAKE / LEARNSMART_WAREHOUSE as absolute paths for the dbt subprocess, and
    LEARNSMART_ENGINE as the resource resolves it.

    dbt runs in the project folder, so a relative lake path (the ``./data/lake`` default) would
    point inside ``transforms/dbt``; the warehouse defaults to ``<lake>/../warehouse.duckdb``.
    """
    lake_path = lake.settings().lake.resolve()
    values = {"LEARNSMART_LAKE": str(lake_path)}
    warehouse = os.environ.get("LEARNSMART_WAREHOUSE")
    values["LEARNSMART_WAREHOUSE"] = str(
        Path(warehouse).resolve() if warehouse else lake_path.parent / "warehouse.duckdb"
    )
    values["DBT_SEND_ANONYMOUS_USAGE_STATS"] = "false"
    # The models read it: under Spark the heavy marts are read back, not computed (lake.spark).
    values["LEARNSMART_ENGINE"] = lake.settings().engine
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield values
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=LearnSmartDbtTranslator(),
    name="curate_dbt_models",
)
def curate_dbt_models(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, lake: LakeResource
) -> Iterator[Any]:
    """``dbt build`` of the selected models: staging views, intermediate and gold tables (each
    mart also written to ``<lake>/gold/<domain>/<model>`` as Delta), then their tests.

    Under the Spark engine the heavy marts (``lake.spark.gold.HEAVY_MARTS``) are first built on
    Spark from their own dbt SQL, transpiled; dbt then reads them back from gold Delta, so the
    marts downstream and the dbt tests run on what Spark wrote.
    """
    settings = lake.settings()
    with lake_environment(lake) as env:
        context.log.info(
            f"dbt lake={env['LEARNSMART_LAKE']} warehouse={env['LEARNSMART_WAREHOUSE']} "
            f"engine={settings.engine}"
        )
        if settings.engine == "spark":
            from lake.spark.gold import HEAVY_MARTS, build_gold

            selected = {key.path[-1] for key in context.selected_asset_keys}
            marts = tuple(m for m in HEAVY_MARTS if m in selected)
            if marts:
                for mart, built in build_gold(settings, marts).items():
                    context.log.info(f"spark built {mart}: {built}")
        yield from dbt.cli(["build"], context=context).stream()


dbt_resource = DbtCliResource(
    project_dir=dbt_project,
    profiles_dir=str(dbt_project.profiles_dir),
    dbt_executable=DBT_EXECUTABLE,
)
