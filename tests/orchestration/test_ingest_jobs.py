"""The daily event job, the landing sensor and the materialised metadata, run in process."""

from __future__ import annotations

import json
import os
import time

import dagster as dg

from lake import io
from lake.settings import LakeSettings
from lake.tables import LOADS
from orchestration.defs.ingest.assets import event_day_job
from orchestration.defs.ingest.sensors import landing_sensor
from orchestration.resources import LakeResource


def _statement(day: str, n: int) -> str:
    return (
        json.dumps(
            {
                "id": f"00000000-0000-4000-8000-{n:012d}",
                "actor": {"mbox": f"mailto:s{n}@example.edu"},
                "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"},
                "object": {"id": "https://lms.example.edu/content/p1"},
                "timestamp": f"{day}T10:00:00Z",
            }
        )
        + "\n"
    )


def _drop_days(settings: LakeSettings) -> None:
    for i, day in enumerate(("2025-10-01", "2025-10-02")):
        path = settings.landing / "xapi" / day / "statements.jsonl"
        path.parent.mkdir(parents=True)
        path.write_text(_statement(day, i))


def test_event_day_job_loads_only_the_files_of_its_day(settings: LakeSettings) -> None:
    _drop_days(settings)
    resource = LakeResource(lake=str(settings.lake), landing=str(settings.landing))
    result = event_day_job.execute_in_process(
        partition_key="2025-10-01", resources={"lake": resource}
    )
    assert result.success
    units = io.read(settings, LOADS, columns=["unit"]).column("unit").to_pylist()
    assert units == ["xapi/2025-10-01/statements.jsonl"]
    keys = {m.asset_key.to_user_string() for m in result.get_asset_materialization_events()}
    assert {"bronze/xapi__statements", "silver/learning_events", "quarantine/xapi"} <= keys


def test_landing_sensor_requests_the_sources_with_new_settled_files(settings: LakeSettings) -> None:
    _drop_days(settings)
    old = time.time() - 60
    for p in (settings.landing / "xapi").rglob("*.jsonl"):
        os.utime(p, (old, old))
    resource = LakeResource(lake=str(settings.lake), landing=str(settings.landing))
    ctx = dg.build_sensor_context(resources={"lake": resource})
    first = landing_sensor(ctx)
    assert isinstance(first, dg.SensorResult)
    [request] = first.run_requests or []
    selected = {k.to_user_string() for k in request.asset_selection or []}
    assert "silver/learning_events" in selected and "bronze/xapi__statements" in selected
    assert not any(k.startswith("bronze/oulad") for k in selected)

    again = landing_sensor(
        dg.build_sensor_context(cursor=first.cursor, resources={"lake": resource})
    )
    assert isinstance(again, dg.SensorResult) and not again.run_requests

    # A file still being written (modified just now) waits for the next tick.
    fresh = settings.landing / "forum" / "posts.jsonl"
    fresh.parent.mkdir()
    fresh.write_text("{}\n")
    waiting = landing_sensor(
        dg.build_sensor_context(cursor=first.cursor, resources={"lake": resource})
    )
    assert isinstance(waiting, dg.SensorResult) and not waiting.run_requests
