"""Privacy area: the daily retention sweep (``lake.privacy.retention``).

``retention_sweep`` deletes (or blanks, for forum text) every row and landing file older than
its family's retention period and vacuums the touched tables with zero retention; the audit
family is swept in the operational store when ``LEARNSMART_API_DATABASE_URL`` is set. Erasure
is not scheduled: it runs on request (``learnsmart privacy erase``, ``POST
/api/v1/admin/erasures``).
"""

import os

import dagster as dg

from lake.privacy.retention import RetentionPolicy, apply_retention
from orchestration.resources import LakeResource


@dg.asset(
    group_name="privacy",
    description="Expired personal data deleted per retention period (events, attempts, forum "
    "text, audit), then vacuumed with zero retention.",
    kinds={"python", "delta"},
)
def retention_sweep(context: dg.AssetExecutionContext, lake: LakeResource) -> dg.MaterializeResult:
    """Apply the retention periods in force (``LEARNSMART_RETENTION_<FAMILY>_DAYS``)."""
    out = apply_retention(
        lake.settings(),
        RetentionPolicy.from_env(),
        database_url=os.environ.get("LEARNSMART_API_DATABASE_URL") or None,
    )
    meta: dict[str, dg.MetadataValue] = {}
    for fam, entry in out["families"].items():
        rows = sum(int(v) for v in entry.get("tables", {}).values())
        meta[f"{fam}_rows"] = dg.MetadataValue.int(rows)
        meta[f"{fam}_landing_files"] = dg.MetadataValue.int(int(entry.get("landing_files", 0)))
        meta[f"{fam}_days"] = dg.MetadataValue.text(str(entry.get("days")))
    context.log.info("retention sweep: %s", out)
    return dg.MaterializeResult(metadata=meta)


retention_job = dg.define_asset_job(
    "retention_job",
    selection=dg.AssetSelection.assets(retention_sweep),
    description="Delete what has outlived its retention period.",
)

retention_schedule = dg.ScheduleDefinition(
    name="retention_daily",
    job=retention_job,
    cron_schedule="30 3 * * *",
    execution_timezone="UTC",
    description="Daily retention sweep, after the nightly ingest.",
)

defs = dg.Definitions(
    assets=[retention_sweep],
    jobs=[retention_job],
    schedules=[retention_schedule],
)
