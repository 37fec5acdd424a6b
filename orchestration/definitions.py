"""The one Dagster entry point: assembles each area's definitions and applies global policy."""

import dagster as dg

from orchestration.defs import curate, ingest, learn, privacy, quality, research, trino
from orchestration.resources import LakeResource

defs = dg.Definitions.merge(
    ingest.defs,
    curate.defs,
    quality.defs,
    learn.defs,
    research.defs,
    privacy.defs,
    trino.defs,
    dg.Definitions(
        resources={"lake": LakeResource()},
        # One process per run: each step in its own process would re-import the stack (about
        # 10 s per step on 2 cores), and the Delta writers already serialise per table.
        executor=dg.in_process_executor,
    ),
)
