"""Every lakehouse table, declared once: layer, schema, grain, key, partitioning, merge policy.

Names are ``<layer>/<table>``; the Delta table lives at ``<lake>/<layer>/<table>``. Bronze tables
hold raw records (one per source line or CSV row, as text) with load metadata; silver tables
hold the canonical, typed model of ``shared/DESIGN.md``; quarantine tables, one per source, hold
every rejected record with its reason; ``_loads`` is the load ledger.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import pyarrow as pa

TS = pa.timestamp("us", tz="UTC")
STR = pa.string()
INT = pa.int64()
FLOAT = pa.float64()
BOOL = pa.bool_()
DATE = pa.date32()
STR_LIST = pa.list_(pa.string())

# Columns the loader adds to every silver row: which load last wrote it, and when.
LOAD_ID = "_load_id"
LOADED_AT = "_loaded_at"


class Layer(StrEnum):
    """Lakehouse layers, visible in every table name."""

    BRONZE = "bronze"
    SILVER = "silver"
    QUARANTINE = "quarantine"
    SYSTEM = "system"


class MergePolicy(StrEnum):
    """How a load writes into a table.

    ``append``: rows are added; re-running a load replaces that load's rows (predicate overwrite).
    ``insert_only``: immutable facts (events, responses): a key already present is left as it is.
    ``upsert``: entities (students, classes): new keys inserted; for known keys, each non-null
    incoming value replaces the stored one, so two sources can fill different columns.
    """

    APPEND = "append"
    INSERT_ONLY = "insert_only"
    UPSERT = "upsert"


@dataclass(frozen=True)
class TableSpec:
    """One table: what a row is, its key, its columns and how loads write it."""

    layer: Layer
    table: str
    grain: str
    schema: pa.Schema
    key: tuple[str, ...]
    merge: MergePolicy
    partition_by: tuple[str, ...] = ()
    description: str = ""

    @property
    def name(self) -> str:
        """``<layer>/<table>``, the name used in paths, asset keys and ``lake status``."""
        return f"{self.layer.value}/{self.table}"

    @property
    def data_columns(self) -> list[str]:
        """Columns a parser supplies (everything but the loader's own metadata)."""
        return [f.name for f in self.schema if f.name not in (LOAD_ID, LOADED_AT)]


def _schema(*fields: tuple[str, pa.DataType], load_meta: bool = True) -> pa.Schema:
    cols = [pa.field(n, t) for n, t in fields]
    if load_meta:
        cols += [pa.field(LOAD_ID, STR), pa.field(LOADED_AT, TS)]
    return pa.schema(cols)


# ---------------------------------------------------------------------------------------------
# Bronze: one schema for all sources. `record` is the raw line (JSON sources) or the CSV row as a
# JSON object of header -> text, so nothing the school sent is lost or re-typed here.
BRONZE_SCHEMA = pa.schema(
    [
        pa.field("_load_id", STR),
        pa.field("_source_file", STR),
        pa.field("_line", INT),
        pa.field("_ingested_at", TS),
        pa.field("_ingest_date", DATE),
        pa.field("record", STR),
    ]
)

BRONZE_TABLES: dict[str, tuple[str, ...]] = {
    "oneroster": (
        "manifest",
        "orgs",
        "academic_sessions",
        "courses",
        "classes",
        "users",
        "roles",
        "enrollments",
        "demographics",
    ),
    "oulad": (
        "courses",
        "assessments",
        "vle",
        "student_info",
        "student_registration",
        "student_assessment",
        "student_vle",
    ),
    "xapi": ("statements",),
    "caliper": ("events",),
    "quiz_attempts": ("responses",),
    "forum": ("posts",),
    "content": ("pages", "item_banks"),
}
SOURCES: tuple[str, ...] = tuple(BRONZE_TABLES)

QUARANTINE_SCHEMA = pa.schema(
    [
        pa.field("source", STR),
        pa.field("file", STR),
        pa.field("line", INT),
        pa.field("load_id", STR),
        pa.field("reason_code", STR),
        pa.field("reason", STR),
        pa.field("raw", STR),
        pa.field("quarantined_at", TS),
    ]
)

LOADS_SCHEMA = pa.schema(
    [
        pa.field("load_id", STR),
        pa.field("source", STR),
        pa.field("unit", STR),
        pa.field("file", STR),
        pa.field("file_sha256", STR),
        pa.field("unit_sha256", STR),
        pa.field("file_bytes", INT),
        pa.field("rows_in", INT),
        pa.field("rows_kept", INT),
        pa.field("rows_quarantined", INT),
        pa.field("status", STR),
        pa.field("started_at", TS),
        pa.field("finished_at", TS),
        pa.field("error", STR),
    ]
)


def _silver(
    table: str,
    grain: str,
    key: tuple[str, ...],
    merge: MergePolicy,
    *fields: tuple[str, pa.DataType],
    partition_by: tuple[str, ...] = (),
    description: str = "",
) -> TableSpec:
    return TableSpec(
        layer=Layer.SILVER,
        table=table,
        grain=grain,
        schema=_schema(*fields),
        key=key,
        merge=merge,
        partition_by=partition_by,
        description=description,
    )


UPSERT, INSERT_ONLY = MergePolicy.UPSERT, MergePolicy.INSERT_ONLY

SILVER: tuple[TableSpec, ...] = (
    _silver(
        "students",
        "one row per student",
        ("student_id",),
        UPSERT,
        ("student_id", STR),
        ("source", STR),
        ("org_id", STR),
        ("grade_level", STR),
        ("birth_year", INT),
        ("gender", STR),
        ("region", STR),
        ("highest_education", STR),
        ("imd_band", STR),
        ("age_band", STR),
        ("has_disability", BOOL),
        ("first_seen_at", TS),
        description="Pseudonymous students: no names, emails or source ids (see student_identity).",
    ),
    _silver(
        "student_identity",
        "one row per source identifier of a student",
        ("identifier_type", "identifier"),
        UPSERT,
        ("identifier_type", STR),
        ("identifier", STR),
        ("student_id", STR),
        ("source", STR),
        ("given_name", STR),
        ("family_name", STR),
        ("email", STR),
        ("username", STR),
        description="The only table with student PII; readable by admins alone.",
    ),
    _silver(
        "staff",
        "one row per teacher, aide or administrator",
        ("staff_id",),
        UPSERT,
        ("staff_id", STR),
        ("source", STR),
        ("source_id", STR),
        ("role", STR),
        ("org_id", STR),
        ("given_name", STR),
        ("family_name", STR),
        ("email", STR),
        ("username", STR),
    ),
    _silver(
        "orgs",
        "one row per organisation (district, school, department)",
        ("org_id",),
        UPSERT,
        ("org_id", STR),
        ("source", STR),
        ("name", STR),
        ("org_type", STR),
        ("parent_org_id", STR),
    ),
    _silver(
        "terms",
        "one row per academic session (school year, term, semester)",
        ("term_id",),
        UPSERT,
        ("term_id", STR),
        ("source", STR),
        ("title", STR),
        ("term_type", STR),
        ("start_date", DATE),
        ("end_date", DATE),
        ("parent_term_id", STR),
        ("school_year", STR),
    ),
    _silver(
        "courses",
        "one row per catalogue course",
        ("course_id",),
        UPSERT,
        ("course_id", STR),
        ("source", STR),
        ("title", STR),
        ("course_code", STR),
        ("org_id", STR),
        ("subjects", STR_LIST),
    ),
    _silver(
        "classes",
        "one row per offering of a course in a term (OULAD module-presentation)",
        ("class_id",),
        UPSERT,
        ("class_id", STR),
        ("course_id", STR),
        ("source", STR),
        ("title", STR),
        ("class_code", STR),
        ("term_id", STR),
        ("org_id", STR),
        ("start_date", DATE),
        ("end_date", DATE),
        ("length_days", INT),
    ),
    _silver(
        "class_staff",
        "one row per staff member teaching a class",
        ("class_id", "staff_id"),
        UPSERT,
        ("class_id", STR),
        ("staff_id", STR),
        ("role", STR),
        ("is_primary", BOOL),
    ),
    _silver(
        "enrollments",
        "one row per student enrolled in a class",
        ("class_id", "student_id"),
        UPSERT,
        ("class_id", STR),
        ("student_id", STR),
        ("source", STR),
        ("status", STR),
        ("registered_at", TS),
        ("unregistered_at", TS),
        ("begin_date", DATE),
        ("end_date", DATE),
        ("is_primary", BOOL),
        ("final_result", STR),
        ("num_prev_attempts", INT),
        ("studied_credits", INT),
    ),
    _silver(
        "content_items",
        "one row per piece of course content (page, video, quiz, forum, ...)",
        ("content_id",),
        UPSERT,
        ("content_id", STR),
        ("class_id", STR),
        ("source", STR),
        ("content_type", STR),
        ("title", STR),
        ("module", STR),
        ("week", INT),
        ("week_to", INT),
        ("url", STR),
    ),
    _silver(
        "content_pages",
        "one row per course page with readable text",
        ("content_id",),
        UPSERT,
        ("content_id", STR),
        ("class_id", STR),
        ("title", STR),
        ("module", STR),
        ("week", INT),
        ("source_format", STR),
        ("body_text", STR),
        ("word_count", INT),
    ),
    _silver(
        "skills",
        "one row per skill",
        ("skill_id",),
        UPSERT,
        ("skill_id", STR),
        ("name", STR),
        ("description", STR),
        ("class_id", STR),
    ),
    _silver(
        "items",
        "one row per quiz question",
        ("item_id",),
        UPSERT,
        ("item_id", STR),
        ("quiz_id", STR),
        ("class_id", STR),
        ("item_type", STR),
        ("stem", STR),
        ("option_ids", STR_LIST),
        ("option_texts", STR_LIST),
        ("correct_option_ids", STR_LIST),
        ("skill_ids", STR_LIST),
        ("max_score", FLOAT),
        ("position", INT),
    ),
    _silver(
        "assessments",
        "one row per assessment (assignment, quiz, exam)",
        ("assessment_id",),
        UPSERT,
        ("assessment_id", STR),
        ("class_id", STR),
        ("source", STR),
        ("assessment_type", STR),
        ("title", STR),
        ("due_at", TS),
        ("due_day", INT),
        ("weight", FLOAT),
        ("max_score", FLOAT),
    ),
    _silver(
        "assessment_results",
        "one row per student per assessment",
        ("assessment_id", "student_id"),
        UPSERT,
        ("assessment_id", STR),
        ("student_id", STR),
        ("class_id", STR),
        ("source", STR),
        ("submitted_at", TS),
        ("submitted_day", INT),
        ("score", FLOAT),
        ("is_banked", BOOL),
    ),
    _silver(
        "learning_events",
        "one row per learning event (statement, click-count, page view)",
        ("event_id",),
        INSERT_ONLY,
        ("event_id", STR),
        ("event_date", DATE),
        ("occurred_at", TS),
        ("student_id", STR),
        ("class_id", STR),
        ("content_id", STR),
        ("verb", STR),
        ("object_type", STR),
        ("source", STR),
        ("statement_id", STR),
        ("duration_s", FLOAT),
        ("event_count", INT),
        ("score_scaled", FLOAT),
        ("is_success", BOOL),
        ("is_completion", BOOL),
        ("video_time_s", FLOAT),
        ("video_time_from_s", FLOAT),
        ("video_time_to_s", FLOAT),
        ("is_voided", BOOL),
        ("extensions", STR),
        partition_by=("event_date",),
        description="event_id is deterministic: the statement id, or a hash of the source row.",
    ),
    _silver(
        "statement_voids",
        "one row per voided xAPI statement",
        ("voided_statement_id",),
        INSERT_ONLY,
        ("voided_statement_id", STR),
        ("voiding_statement_id", STR),
        ("voided_at", TS),
    ),
    _silver(
        "quiz_attempts",
        "one row per attempt at a quiz",
        ("attempt_id",),
        UPSERT,
        ("attempt_id", STR),
        ("student_id", STR),
        ("class_id", STR),
        ("quiz_id", STR),
        ("source", STR),
        ("attempt_number", INT),
        ("started_at", TS),
        ("submitted_at", TS),
        ("score", FLOAT),
        ("max_score", FLOAT),
    ),
    _silver(
        "item_responses",
        "one row per item answered within an attempt",
        ("attempt_id", "item_id"),
        INSERT_ONLY,
        ("attempt_id", STR),
        ("item_id", STR),
        ("answered_date", DATE),
        ("answered_at", TS),
        ("student_id", STR),
        ("class_id", STR),
        ("quiz_id", STR),
        ("response", STR),
        ("is_correct", BOOL),
        ("score", FLOAT),
        ("duration_s", FLOAT),
        ("source", STR),
        ("statement_id", STR),
        ("is_voided", BOOL),
        partition_by=("answered_date",),
    ),
    _silver(
        "forum_posts",
        "one row per forum post",
        ("post_id",),
        UPSERT,
        ("post_id", STR),
        ("thread_id", STR),
        ("parent_post_id", STR),
        ("class_id", STR),
        ("author_id", STR),
        ("author_role", STR),
        ("created_at", TS),
        ("title", STR),
        ("body", STR),
        ("language", STR),
        ("source", STR),
    ),
)


def bronze_spec(source: str, entity: str) -> TableSpec:
    """The bronze table of one source entity: raw records, appended per load."""
    if entity not in BRONZE_TABLES.get(source, ()):
        raise KeyError(f"no bronze table {source}__{entity}")
    return TableSpec(
        layer=Layer.BRONZE,
        table=f"{source}__{entity}",
        grain=f"one row per raw {entity} record as received, per load",
        schema=BRONZE_SCHEMA,
        key=("_load_id", "_source_file", "_line"),
        merge=MergePolicy.APPEND,
        partition_by=("_ingest_date",),
    )


def quarantine_spec(source: str) -> TableSpec:
    """The quarantine table of one source: every rejected record with its reason."""
    if source not in BRONZE_TABLES:
        raise KeyError(f"unknown source {source!r}")
    return TableSpec(
        layer=Layer.QUARANTINE,
        table=source,
        grain="one row per rejected record",
        schema=QUARANTINE_SCHEMA,
        key=("load_id", "file", "line"),
        merge=MergePolicy.APPEND,
    )


LOADS = TableSpec(
    layer=Layer.SYSTEM,
    table="_loads",
    grain="one row per file per load",
    schema=LOADS_SCHEMA,
    key=("load_id", "file"),
    merge=MergePolicy.UPSERT,
)

BRONZE: tuple[TableSpec, ...] = tuple(
    bronze_spec(src, ent) for src, ents in BRONZE_TABLES.items() for ent in ents
)
QUARANTINE: tuple[TableSpec, ...] = tuple(quarantine_spec(src) for src in SOURCES)
ALL_TABLES: dict[str, TableSpec] = {t.name: t for t in (*BRONZE, *SILVER, *QUARANTINE, LOADS)}
SILVER_BY_TABLE: dict[str, TableSpec] = {t.table: t for t in SILVER}


def silver(table: str) -> TableSpec:
    """The silver spec named ``table`` (without the layer)."""
    return SILVER_BY_TABLE[table]
