"""Jobs and schedules of the ingest area."""

import dagster as dg

from orchestration.defs.ingest.assets import event_day_job

ingest_job = dg.define_asset_job(
    "ingest_job",
    selection=dg.AssetSelection.groups("bronze", "quarantine", "silver"),
    description="Load every new landing file into bronze, quarantine and silver.",
)

nightly_ingest = dg.ScheduleDefinition(
    name="nightly_ingest",
    job=ingest_job,
    cron_schedule="0 2 * * *",
    execution_timezone="UTC",
    description="Catch-up load of anything the sensor did not pick up during the day.",
)

event_day_schedule = dg.build_schedule_from_partitioned_job(
    event_day_job, hour_of_day=1, minute_of_hour=0, name="event_day_schedule"
)
