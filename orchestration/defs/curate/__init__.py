"""Curate area: the dbt project (transforms/dbt) from silver to the gold marts."""

import dagster as dg

from orchestration.defs.curate.assets import curate_dbt_models, dbt_resource
from orchestration.defs.curate.jobs import curate_job

defs = dg.Definitions(
    assets=[curate_dbt_models],
    jobs=[curate_job],
    resources={"dbt": dbt_resource},
)
