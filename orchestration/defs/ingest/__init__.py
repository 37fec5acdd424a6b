"""Ingest area: landing files into bronze, quarantine and silver Delta tables."""

import dagster as dg

from orchestration.defs.ingest.assets import LANDING_SPECS, event_day_job, load_landing
from orchestration.defs.ingest.checks import ACCOUNTING_CHECKS, KEY_CHECKS
from orchestration.defs.ingest.jobs import event_day_schedule, ingest_job, nightly_ingest
from orchestration.defs.ingest.sensors import landing_sensor

defs = dg.Definitions(
    assets=[*LANDING_SPECS, load_landing],
    asset_checks=[*ACCOUNTING_CHECKS, *KEY_CHECKS],
    jobs=[ingest_job, event_day_job],
    schedules=[nightly_ingest, event_day_schedule],
    sensors=[landing_sensor],
)
