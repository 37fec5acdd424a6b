"""The landing sensor: a new (settled) file under a source folder starts the loads it needs."""

import hashlib
import json
import time

import dagster as dg

from lake.sources.base import is_ignored
from lake.tables import SOURCES
from orchestration.defs.ingest.assets import keys_written_by
from orchestration.defs.ingest.jobs import ingest_job
from orchestration.resources import LakeResource

# A file modified within this many seconds may still be being written.
SETTLE_SECONDS = 10


@dg.sensor(
    job=ingest_job, minimum_interval_seconds=30, default_status=dg.DefaultSensorStatus.RUNNING
)
def landing_sensor(context: dg.SensorEvaluationContext, lake: LakeResource) -> dg.SensorResult:
    """Request a load for the sources whose landing folders gained or changed files."""
    settings = lake.settings()
    seen: dict[str, str] = json.loads(context.cursor) if context.cursor else {}
    now = time.time()
    current: dict[str, str] = {}
    changed_sources: set[str] = set()
    for src in SOURCES:
        root = settings.landing / src
        if not root.is_dir():
            continue
        for path in root.rglob("*"):
            rel = path.relative_to(settings.landing)
            if not path.is_file() or is_ignored(rel):
                continue
            st = path.stat()
            if now - st.st_mtime < SETTLE_SECONDS:
                continue
            sig = f"{st.st_size}:{st.st_mtime_ns}"
            current[rel.as_posix()] = sig
            if seen.get(rel.as_posix()) != sig:
                changed_sources.add(src)
    if not changed_sources:
        return dg.SensorResult(skip_reason="no new landing files", cursor=json.dumps(current))
    run_key = hashlib.sha256(
        json.dumps(
            {k: v for k, v in current.items() if k.split("/")[0] in changed_sources}, sort_keys=True
        ).encode()
    ).hexdigest()[:24]
    return dg.SensorResult(
        run_requests=[
            dg.RunRequest(
                run_key=run_key,
                asset_selection=sorted(
                    keys_written_by(changed_sources), key=lambda k: k.to_user_string()
                ),
                tags={"learnsmart/sources": ",".join(sorted(changed_sources))},
            )
        ],
        cursor=json.dumps(current),
    )
