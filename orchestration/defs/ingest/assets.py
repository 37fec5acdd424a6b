"""Landing -> bronze -> silver as Dagster assets.

One load writes a source's bronze tables, its quarantine table and the silver tables it feeds in
one ledger-guarded step (``lake.loader``), so the assets are the outputs of one subsettable
multi-asset: selecting any table runs the loads of exactly the sources behind it, and the graph
shows each silver table's real bronze inputs.
"""

from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import date

import dagster as dg

from lake import io
from lake.loader import LoadReport, ingest
from lake.settings import LakeSettings
from lake.tables import BRONZE_TABLES, SILVER, SOURCES, bronze_spec, quarantine_spec, silver
from orchestration.defs.ingest.lineage import BRONZE_FEEDS, bronze_feeding, sources_feeding
from orchestration.resources import LakeResource

EVENT_SOURCES: tuple[str, ...] = ("xapi", "caliper", "quiz_attempts", "forum")


def landing_key(source: str) -> dg.AssetKey:
    """The landing folder of a source (an external asset: schools write it, we read it)."""
    return dg.AssetKey(["landing", source])


def bronze_key(source: str, entity: str) -> dg.AssetKey:
    """Asset key of a bronze table."""
    return dg.AssetKey(["bronze", f"{source}__{entity}"])


def quarantine_key(source: str) -> dg.AssetKey:
    """Asset key of a source's quarantine table."""
    return dg.AssetKey(["quarantine", source])


def silver_key(table: str) -> dg.AssetKey:
    """Asset key of a silver table."""
    return dg.AssetKey(["silver", table])


LANDING_SPECS = [
    dg.AssetSpec(
        landing_key(src),
        group_name="landing",
        description=f"Files dropped under LEARNSMART_LANDING/{src}/ (see docs/formats.md).",
        kinds={"file"},
    )
    for src in SOURCES
]

BRONZE_SPECS = [
    dg.AssetSpec(
        bronze_key(src, ent),
        deps=[landing_key(src)],
        group_name="bronze",
        description=bronze_spec(src, ent).grain,
        kinds={"delta"},
        metadata={"grain": bronze_spec(src, ent).grain, "path": f"bronze/{src}__{ent}"},
        skippable=True,
    )
    for src, ents in BRONZE_TABLES.items()
    for ent in ents
]

QUARANTINE_SPECS = [
    dg.AssetSpec(
        quarantine_key(src),
        deps=[landing_key(src)],
        group_name="quarantine",
        description=f"Every rejected {src} record, with its reason_code, reason and raw text.",
        kinds={"delta"},
        skippable=True,
    )
    for src in SOURCES
]

SILVER_SPECS = [
    dg.AssetSpec(
        silver_key(t.table),
        deps=[bronze_key(src, ent) for src, ent in bronze_feeding(t.table)],
        group_name="silver",
        description=f"{t.grain}. {t.description}".strip(),
        kinds={"delta"},
        metadata={
            "grain": t.grain,
            "key": ", ".join(t.key),
            "partitioned_by": ", ".join(t.partition_by) or "none",
            "merge_policy": t.merge.value,
            "dagster/column_schema": dg.TableSchema(
                columns=[dg.TableColumn(f.name, str(f.type)) for f in t.schema]
            ),
        },
        skippable=True,
    )
    for t in SILVER
]


def sources_for(keys: Iterable[dg.AssetKey]) -> set[str]:
    """Sources whose loads produce any of ``keys``."""
    out: set[str] = set()
    for key in keys:
        layer, name = key.path[0], key.path[-1]
        if layer == "silver":
            out |= sources_feeding(name)
        elif layer == "quarantine":
            out.add(name)
        elif layer == "bronze":
            out.add(name.split("__", 1)[0])
    return out


def keys_written_by(sources: Iterable[str]) -> set[dg.AssetKey]:
    """Every asset a load of ``sources`` writes: their bronze and quarantine tables and the
    silver tables they feed."""
    keys: set[dg.AssetKey] = set()
    for src in sources:
        keys.add(quarantine_key(src))
        keys |= {bronze_key(src, e) for e in BRONZE_TABLES[src]}
        keys |= {silver_key(t) for (s, _), ts in BRONZE_FEEDS.items() if s == src for t in ts}
    return keys


def materializations(
    settings: LakeSettings, keys: Iterable[dg.AssetKey], reports: list[LoadReport]
) -> Iterator[tuple[dg.AssetKey, dict[str, dg.MetadataValue]]]:
    """Metadata for each key after a set of loads: rows, Delta version and what the loads did."""
    by_source: dict[str, list[LoadReport]] = defaultdict(list)
    for r in reports:
        by_source[r.source].append(r)
    for key in sorted(keys, key=lambda k: k.to_user_string()):
        layer, name = key.path[0], key.path[-1]
        if layer == "silver":
            spec = silver(name)
            feeding = sources_feeding(name)
            inserted = sum(
                r.silver_inserted.get(name, 0) for s in feeding for r in by_source.get(s, [])
            )
            updated = sum(
                r.silver_updated.get(name, 0) for s in feeding for r in by_source.get(s, [])
            )
            extra = {"rows_inserted": inserted, "rows_updated": updated}
        elif layer == "quarantine":
            spec = quarantine_spec(name)
            loads = [r for r in by_source.get(name, []) if r.status == "committed"]
            extra = {
                "files_loaded": len(loads),
                "rows_in": sum(r.rows_in for r in loads),
                "rows_kept": sum(r.rows_kept for r in loads),
                "rows_quarantined": sum(r.rows_quarantined for r in loads),
            }
        else:
            src, ent = name.split("__", 1)
            spec = bronze_spec(src, ent)
            extra = {"files_loaded": sum(r.status == "committed" for r in by_source.get(src, []))}
        meta: dict[str, dg.MetadataValue] = {
            "dagster/row_count": dg.MetadataValue.int(io.row_count(settings, spec)),
            "delta_version": dg.MetadataValue.int(io.version(settings, spec) or 0),
            "path": dg.MetadataValue.path(str(io.table_path(settings, spec))),
        }
        meta.update({k: dg.MetadataValue.int(v) for k, v in extra.items()})
        yield key, meta


@dg.multi_asset(
    name="load_landing",
    specs=[*BRONZE_SPECS, *QUARANTINE_SPECS, *SILVER_SPECS],
    can_subset=True,
    description="Load new landing files (ledger-guarded) into bronze, quarantine and silver.",
)
def load_landing(
    context: dg.AssetExecutionContext, lake: LakeResource
) -> Iterator[dg.MaterializeResult]:
    """Run the loads of every source behind the selected tables, then report each table."""
    settings = lake.settings()
    selected = context.selected_asset_keys
    sources = sources_for(selected)
    reports = ingest(settings, tuple(sorted(sources)))
    for r in reports:
        context.log.info(
            f"{r.status} {r.unit}: {r.rows_in} in, {r.rows_kept} kept, "
            f"{r.rows_quarantined} quarantined in {r.seconds}s"
        )
    for key, meta in materializations(settings, selected, reports):
        yield dg.MaterializeResult(asset_key=key, metadata=meta)


DAILY = dg.DailyPartitionsDefinition(start_date="2024-01-01", end_offset=1)


@dg.op(description="Load the event files (xAPI, Caliper, quiz attempts, forum) of one landing day.")
def load_event_day(context: dg.OpExecutionContext, lake: LakeResource) -> None:
    """Daily partition of the event sources: the files whose path (or mtime) names that day."""
    settings = lake.settings()
    day = date.fromisoformat(context.partition_key)
    reports = ingest(settings, EVENT_SOURCES, where=lambda u: u.landing_date == day)
    touched = keys_written_by({r.source for r in reports if r.status == "committed"})
    for key, meta in materializations(settings, touched, reports):
        context.log_event(
            dg.AssetMaterialization(
                asset_key=key,
                metadata={**meta, "landing_day": dg.MetadataValue.text(day.isoformat())},
            )
        )
    context.log.info(f"{len(reports)} file(s) of {day} loaded")


@dg.job(partitions_def=DAILY, description="Backfill or re-run one landing day of event files.")
def event_day_job() -> None:
    """One daily partition of the event sources."""
    load_event_day()
