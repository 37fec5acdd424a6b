"""The one Dagster entry point: assembles each area's definitions and applies global policy."""

from __future__ import annotations

import dagster as dg

from orchestration.defs.ingest import defs as ingest_defs
from orchestration.resources import LakeResource

defs = dg.Definitions.merge(
    ingest_defs,
    dg.Definitions(resources={"lake": LakeResource()}),
)
