"""OULAD-shaped exports (Open University Learning Analytics Dataset) into bronze and silver.

Files are recognised by the names the OU distributes, case-insensitively, by prefix:
``courses``, ``assessments``, ``vle``, ``studentInfo``, ``studentRegistration``,
``studentAssessment`` and ``studentVle``, each ``.csv`` or ``.csv.gz``, optionally followed by a
suffix after ``_``, ``-`` or ``.`` (so split exports such as ``studentVle_2013J_part1.csv.gz``
load). One load unit per file; catalogues and rosters are ordered before the facts that refer to
them. A file with any other name raises ``UnsupportedFileError`` (the loader quarantines it).

Identifiers:

- ``course_id`` = ``code_module``; ``class_id`` = ``<code_module>_<code_presentation>``
  (``AAA_2013J``); ``content_id`` = ``vle_<id_site>``; ``assessment_id`` =
  ``oulad_<id_assessment>``; students are resolved through ``student_identity`` under the
  identifier type ``oulad_id`` (the integer ``id_student`` as text).

Dates: OULAD gives days relative to the start of a module-presentation, and the OU does not
publish the exact start days. By convention here a presentation ``YYYYB`` starts on 1 February
and ``YYYYJ`` on 1 October of year ``YYYY`` (the OU's February and October starts). Day offsets
(``date``, ``date_registration``, ``date_unregistration``, ``date_submitted``, assessment
``date``) become UTC-midnight timestamps (or dates) relative to that start; where the silver
schema has a ``*_day`` column the raw offset is kept as well. A class's ``end_date`` is its start
plus ``module_presentation_length`` days (the last day with activity in the data equals that
length).

Every CSV row that parses as CSV is kept in bronze as received, including rows later rejected by
validation (those are also in quarantine with their reason). Rejections: non-integer ids or day
offsets, non-numeric scores, weights or click counts (``wrong_type``); missing key fields
(``missing_field``); malformed presentation codes, negative ``sum_click``, unknown flags
(``invalid_value``); a presentation absent from ``silver/classes`` (``unknown_class``); a result
for an assessment absent from ``silver/assessments`` (``unknown_reference``); a key repeated
within a file of a keyed table (``duplicate_record``, the first occurrence is kept). A score of
``?`` or empty is kept as a null score.

``studentVle`` rows become one ``learning_events`` row each (verb ``interacted``, ``event_count``
= ``sum_click``). Their ``event_id`` is an MD5 of (class_id, id_student, id_site, date, the
occurrence index of that 4-tuple within the file), so the same rows loaded again under another
file name de-duplicate while rows the OU legitimately repeats are all kept. The whole file is
processed with polars and DuckDB: no Python loop per row.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import ClassVar

import polars as pl
import pyarrow as pa

from lake.quarantine import QuarantineBuilder, Reason
from lake.sources.base import (
    FileCount,
    LoadUnit,
    ParseContext,
    ParseResult,
    UnsupportedFileError,
    discover_files,
)
from lake.sources.common import (
    MAX_RECORD_BYTES,
    FileReadError,
    bronze_records,
    duckdb_cursor,
    read_bytes,
    read_csv,
)
from lake.tables import silver

SOURCE = "oulad"
ID_TYPE = "oulad_id"
VERB = "interacted"

# File-name prefix (lower case) -> bronze entity, in load order.
ENTITY_ORDER: tuple[tuple[str, str], ...] = (
    ("courses", "courses"),
    ("vle", "vle"),
    ("assessments", "assessments"),
    ("studentinfo", "student_info"),
    ("studentregistration", "student_registration"),
    ("studentassessment", "student_assessment"),
    ("studentvle", "student_vle"),
)
_PREFIXES = "|".join(p for p, _ in ENTITY_ORDER)
_FILE_NAME = re.compile(rf"^({_PREFIXES})(?:[_.\-][^/]*)?\.csv(?:\.gz)?$", re.IGNORECASE)
_PRESENTATION = r"^(19|20)\d{2}[BJ]$"
# Day offsets further than this from a presentation's start are rejected: OULAD's lie within
# about -400..+300, and a date thousands of years away would break readers of the tables.
MAX_DAY_OFFSET = 10_000
_START_MONTH = {"B": 2, "J": 10}

REQUIRED: dict[str, tuple[str, ...]] = {
    "courses": ("code_module", "code_presentation", "module_presentation_length"),
    "vle": ("id_site", "code_module", "code_presentation", "activity_type"),
    "assessments": ("code_module", "code_presentation", "id_assessment", "assessment_type"),
    "student_info": ("code_module", "code_presentation", "id_student"),
    "student_registration": ("code_module", "code_presentation", "id_student"),
    "student_assessment": ("id_assessment", "id_student"),
    "student_vle": (
        "code_module",
        "code_presentation",
        "id_student",
        "id_site",
        "date",
        "sum_click",
    ),
}
# Every column the OU distributes per file; others are kept in bronze but never reach silver.
COLUMNS: dict[str, tuple[str, ...]] = {
    **REQUIRED,
    "vle": (*REQUIRED["vle"], "week_from", "week_to"),
    "assessments": (*REQUIRED["assessments"], "date", "weight"),
    "student_info": (
        *REQUIRED["student_info"],
        "gender",
        "region",
        "highest_education",
        "imd_band",
        "age_band",
        "num_of_prev_attempts",
        "studied_credits",
        "disability",
        "final_result",
    ),
    "student_registration": (
        *REQUIRED["student_registration"],
        "date_registration",
        "date_unregistration",
    ),
    "student_assessment": (*REQUIRED["student_assessment"], "date_submitted", "is_banked", "score"),
}
ASSESSMENT_TYPES = ("TMA", "CMA", "Exam")


def entity_of(file_name: str) -> str | None:
    """The bronze entity a file name belongs to (by OU name prefix), or None if unknown."""
    m = _FILE_NAME.match(file_name)
    if m is None:
        return None
    prefix = m.group(1).lower()
    return next(e for p, e in ENTITY_ORDER if p == prefix)


def presentation_start(code: str) -> date | None:
    """Start day of a presentation by this module's convention (``2013J`` -> 2013-10-01)."""
    if not re.match(_PRESENTATION, code):
        return None
    return date(int(code[:4]), _START_MONTH[code[4]], 1)


# ---------------------------------------------------------------------------------------------
# Vectorised validation: each check is (bad-row condition, reason code, reason text expression);
# the first failing check names the reason of a row.
Check = tuple[pl.Expr, Reason, pl.Expr]


def _int(col: str) -> pl.Expr:
    return pl.col(col).cast(pl.Int64, strict=False)


def _float(col: str) -> pl.Expr:
    return pl.col(col).cast(pl.Float64, strict=False)


def _missing(col: str) -> Check:
    return (pl.col(col).is_null(), Reason.MISSING_FIELD, pl.lit(f"{col} is empty"))


def _not_int(col: str) -> Check:
    return (
        pl.col(col).is_not_null() & _int(col).is_null(),
        Reason.WRONG_TYPE,
        pl.format(f"{col} {{}} is not an integer", pl.col(col).str.slice(0, 80)),
    )


def _not_number(col: str, allow: tuple[str, ...] = ()) -> Check:
    bad = pl.col(col).is_not_null() & ~(_float(col).is_finite().fill_null(False))
    if allow:
        bad = bad & ~pl.col(col).is_in(list(allow))
    return (
        bad,
        Reason.WRONG_TYPE,
        pl.format(f"{col} {{}} is not a number", pl.col(col).str.slice(0, 80)),
    )


def _day_out_of_range(col: str) -> Check:
    return (
        (_int(col) > MAX_DAY_OFFSET) | (_int(col) < -MAX_DAY_OFFSET),
        Reason.INVALID_VALUE,
        pl.format(f"{col} {{}} is more than {MAX_DAY_OFFSET} days from the start", pl.col(col)),
    )


def _bad_presentation() -> Check:
    return (
        ~pl.col("code_presentation").str.contains(_PRESENTATION),
        Reason.INVALID_VALUE,
        pl.format(
            "code_presentation {} is not YYYYB or YYYYJ (years 1900-2099)",
            pl.col("code_presentation").str.slice(0, 80),
        ),
    )


def _not_in(col: str, values: tuple[str, ...]) -> Check:
    return (
        pl.col(col).is_not_null() & ~pl.col(col).is_in(list(values)),
        Reason.INVALID_VALUE,
        pl.format(f"{col} {{}} is not one of {', '.join(values)}", pl.col(col).str.slice(0, 80)),
    )


def _with_optional(df: pl.DataFrame, cols: tuple[str, ...]) -> pl.DataFrame:
    """Optional columns the header lacks, added as nulls."""
    return df.with_columns([pl.lit(None, pl.String).alias(c) for c in cols if c not in df.columns])


def _class_id() -> pl.Expr:
    return pl.concat_str([pl.col("code_module"), pl.lit("_"), pl.col("code_presentation")])


def _start() -> pl.Expr:
    """Presentation start date from ``code_presentation`` (validated beforehand)."""
    code = pl.col("code_presentation")
    month = pl.when(code.str.slice(4, 1) == "B").then(pl.lit(2)).otherwise(pl.lit(10))
    return pl.date(code.str.slice(0, 4).cast(pl.Int32, strict=False), month, 1)


def _day_ts(start: pl.Expr, day: pl.Expr) -> pl.Expr:
    """UTC midnight ``day`` days after ``start``."""
    return (start + pl.duration(days=day)).cast(pl.Datetime("us")).dt.replace_time_zone("UTC")


def _known_class(ctx: ParseContext) -> Check:
    known = sorted(ctx.known_ids("classes", "class_id"))
    return (
        ~_class_id().is_in(known),
        Reason.UNKNOWN_CLASS,
        pl.format("class {} is not in silver/classes (load courses.csv first)", _class_id()),
    )


@dataclass
class _Validated:
    kept: pl.DataFrame
    rejected: int


def _validate(
    df: pl.DataFrame,
    checks: list[Check],
    name: str,
    q: QuarantineBuilder,
    key: tuple[str, ...] = (),
) -> _Validated:
    """Split rows into kept and quarantined (first failing check wins; later key repeats are
    ``duplicate_record``)."""
    checks = [
        (
            pl.col("_raw").str.len_bytes() > MAX_RECORD_BYTES,
            Reason.RECORD_TOO_LARGE,
            pl.format("record of {} bytes exceeds the limit", pl.col("_raw").str.len_bytes()),
        ),
        *checks,
    ]
    code: pl.Expr | pl.Then | pl.ChainedThen | None = None
    reason: pl.Expr | pl.Then | pl.ChainedThen | None = None
    for cond, rc, text in checks:
        cond = cond.fill_null(False)
        if code is None or reason is None:
            code, reason = pl.when(cond).then(pl.lit(rc.value)), pl.when(cond).then(text)
        else:
            code, reason = code.when(cond).then(pl.lit(rc.value)), reason.when(cond).then(text)
    assert code is not None and reason is not None
    df = df.with_columns(
        code.otherwise(pl.lit(None, pl.String)).alias("_code"),
        reason.otherwise(pl.lit(None, pl.String)).alias("_reason"),
    )
    if key:
        ok = pl.col("_code").is_null()
        dup = ok & (pl.int_range(pl.len()).over([ok, *key]) > 0)
        df = df.with_columns(
            pl.when(dup)
            .then(pl.lit(Reason.DUPLICATE_RECORD.value))
            .otherwise("_code")
            .alias("_code"),
            pl.when(dup)
            .then(pl.lit(f"repeats the key ({', '.join(key)}) of an earlier row in this file"))
            .otherwise("_reason")
            .alias("_reason"),
        )
    bad = df.filter(pl.col("_code").is_not_null())
    if bad.height:
        q.extend(
            pa.table(
                {
                    "file": pa.array([name] * bad.height, pa.string()),
                    "line": bad["_line"].to_arrow(),
                    "reason_code": bad["_code"].to_arrow(),
                    "reason": bad["_reason"].to_arrow(),
                    "raw": bad["_raw"].to_arrow(),
                }
            )
        )
    return _Validated(kept=df.filter(pl.col("_code").is_null()), rejected=bad.height)


def _arrow(df: pl.DataFrame, table: str) -> pa.Table:
    """A polars frame as an Arrow table of (a subset of) a silver table's columns."""
    spec = silver(table)
    t = df.to_arrow()
    return pa.table(
        {c: t.column(c).cast(spec.schema.field(c).type) for c in t.column_names},
    )


def _new_students(ctx: ParseContext, ids: pl.Series) -> tuple[pl.DataFrame, dict[str, pa.Table]]:
    """Resolve ``oulad_id`` identifiers: a frame (_student, student_id) and the silver rows
    for students first seen in this load."""
    values = ids.unique(maintain_order=True).to_list()
    mapping, identity = ctx.resolve_students(
        values, lookup_types=(ID_TYPE,), new_type=ID_TYPE, source=SOURCE
    )
    frame = pl.DataFrame(
        {"_student": list(mapping), "student_id": list(mapping.values())},
        schema={"_student": pl.String, "student_id": pl.String},
    )
    new_ids = identity.column("student_id")
    students = pa.table(
        {
            "student_id": new_ids,
            "source": pa.array([SOURCE] * len(new_ids), pa.string()),
            "first_seen_at": pa.array([ctx.now] * len(new_ids), pa.timestamp("us", tz="UTC")),
        }
    )
    return frame, {"student_identity": identity, "students": students}


# ---------------------------------------------------------------------------------------------
# Per-entity mapping: validated rows -> silver tables.
Mapped = tuple[int, dict[str, pa.Table]]  # rows rejected, silver table -> rows
Mapper = Callable[[pl.DataFrame, ParseContext, str, QuarantineBuilder], Mapped]


def _courses(df: pl.DataFrame, ctx: ParseContext, name: str, q: QuarantineBuilder) -> Mapped:
    v = _validate(
        df,
        [
            _missing("code_module"),
            _missing("code_presentation"),
            _bad_presentation(),
            _missing("module_presentation_length"),
            _not_int("module_presentation_length"),
            (
                (_int("module_presentation_length") < 0)
                | (_int("module_presentation_length") > MAX_DAY_OFFSET),
                Reason.INVALID_VALUE,
                pl.lit(f"module_presentation_length is not within 0..{MAX_DAY_OFFSET}"),
            ),
        ],
        name,
        q,
        key=("code_module", "code_presentation"),
    )
    k = v.kept.with_columns(
        _start().alias("start_date"), _int("module_presentation_length").alias("length_days")
    )
    classes = k.select(
        _class_id().alias("class_id"),
        pl.col("code_module").alias("course_id"),
        pl.lit(SOURCE).alias("source"),
        pl.col("code_presentation").alias("class_code"),
        "start_date",
        (pl.col("start_date") + pl.duration(days=pl.col("length_days"))).alias("end_date"),
        "length_days",
    )
    courses = k.select(
        pl.col("code_module").alias("course_id"),
        pl.lit(SOURCE).alias("source"),
        pl.col("code_module").alias("course_code"),
    ).unique(maintain_order=True)
    return v.rejected, {
        "courses": _arrow(courses, "courses"),
        "classes": _arrow(classes, "classes"),
    }


def _vle(df: pl.DataFrame, ctx: ParseContext, name: str, q: QuarantineBuilder) -> Mapped:
    v = _validate(
        df,
        [
            _missing("id_site"),
            _not_int("id_site"),
            _missing("code_module"),
            _missing("code_presentation"),
            _bad_presentation(),
            _not_int("week_from"),
            _not_int("week_to"),
            _known_class(ctx),
        ],
        name,
        q,
        key=("_site",),
    )
    items = v.kept.select(
        pl.format("vle_{}", pl.col("_site")).alias("content_id"),
        _class_id().alias("class_id"),
        pl.lit(SOURCE).alias("source"),
        pl.col("activity_type").alias("content_type"),
        # OULAD counts weeks from 0; the lake's week 1 is a class's first seven days.
        (_int("week_from") + 1).alias("week"),
        (_int("week_to") + 1).alias("week_to"),
    )
    return v.rejected, {"content_items": _arrow(items, "content_items")}


def _assessments(df: pl.DataFrame, ctx: ParseContext, name: str, q: QuarantineBuilder) -> Mapped:
    v = _validate(
        df,
        [
            _missing("id_assessment"),
            _not_int("id_assessment"),
            _missing("code_module"),
            _missing("code_presentation"),
            _bad_presentation(),
            _not_in("assessment_type", ASSESSMENT_TYPES),
            _not_int("date"),
            _day_out_of_range("date"),
            _not_number("weight"),
            _known_class(ctx),
        ],
        name,
        q,
        key=("_assessment",),
    )
    rows = v.kept.select(
        pl.format("oulad_{}", pl.col("_assessment")).alias("assessment_id"),
        _class_id().alias("class_id"),
        pl.lit(SOURCE).alias("source"),
        pl.col("assessment_type"),
        _day_ts(_start(), _int("date")).alias("due_at"),
        _int("date").alias("due_day"),
        _float("weight").alias("weight"),
        pl.lit(100.0).alias("max_score"),
    )
    return v.rejected, {"assessments": _arrow(rows, "assessments")}


def _student_info(df: pl.DataFrame, ctx: ParseContext, name: str, q: QuarantineBuilder) -> Mapped:
    v = _validate(
        df,
        [
            _missing("code_module"),
            _missing("code_presentation"),
            _missing("id_student"),
            _not_int("id_student"),
            _bad_presentation(),
            _not_int("num_of_prev_attempts"),
            _not_int("studied_credits"),
            _not_in("disability", ("Y", "N")),
            _known_class(ctx),
        ],
        name,
        q,
        key=("code_module", "code_presentation", "_student"),
    )
    k = v.kept
    ids, out = _new_students(ctx, k["_student"])
    k = k.join(ids, on="_student", how="left")
    new_ids = out["students"].column("student_id").to_pylist()
    students = k.select(
        "student_id",
        pl.lit(SOURCE).alias("source"),
        "gender",
        "region",
        "highest_education",
        "imd_band",
        "age_band",
        (pl.col("disability") == "Y").alias("has_disability"),
        pl.when(pl.col("student_id").is_in(new_ids))
        .then(pl.lit(ctx.now, pl.Datetime("us", "UTC")))
        .alias("first_seen_at"),
    )
    enrollments = k.select(
        _class_id().alias("class_id"),
        "student_id",
        pl.lit(SOURCE).alias("source"),
        "final_result",
        _int("num_of_prev_attempts").alias("num_prev_attempts"),
        _int("studied_credits").alias("studied_credits"),
    )
    return v.rejected, {
        "student_identity": out["student_identity"],
        # A student in several presentations: one row, the last non-null value of each column.
        "students": _arrow(_coalesce_students(students), "students"),
        "enrollments": _arrow(enrollments, "enrollments"),
    }


def _coalesce_students(students: pl.DataFrame) -> pl.DataFrame:
    """One row per student: the last non-null value of each column."""
    cols = [c for c in students.columns if c != "student_id"]
    return students.group_by("student_id", maintain_order=True).agg(
        [pl.col(c).drop_nulls().last() for c in cols]
    )


def _student_registration(
    df: pl.DataFrame, ctx: ParseContext, name: str, q: QuarantineBuilder
) -> Mapped:
    v = _validate(
        df,
        [
            _missing("code_module"),
            _missing("code_presentation"),
            _missing("id_student"),
            _not_int("id_student"),
            _bad_presentation(),
            _not_int("date_registration"),
            _day_out_of_range("date_registration"),
            _not_int("date_unregistration"),
            _day_out_of_range("date_unregistration"),
            _known_class(ctx),
        ],
        name,
        q,
        key=("code_module", "code_presentation", "_student"),
    )
    ids, out = _new_students(ctx, v.kept["_student"])
    k = v.kept.join(ids, on="_student", how="left")
    enrollments = k.select(
        _class_id().alias("class_id"),
        "student_id",
        pl.lit(SOURCE).alias("source"),
        pl.when(pl.col("date_unregistration").is_null())
        .then(pl.lit("registered"))
        .otherwise(pl.lit("unregistered"))
        .alias("status"),
        _day_ts(_start(), _int("date_registration")).alias("registered_at"),
        _day_ts(_start(), _int("date_unregistration")).alias("unregistered_at"),
    )
    return v.rejected, {**out, "enrollments": _arrow(enrollments, "enrollments")}


def _student_assessment(
    df: pl.DataFrame, ctx: ParseContext, name: str, q: QuarantineBuilder
) -> Mapped:
    assessments = pl.from_arrow(ctx.silver_rows("assessments", ["assessment_id", "class_id"]))
    classes = pl.from_arrow(ctx.silver_rows("classes", ["class_id", "start_date"]))
    assert isinstance(assessments, pl.DataFrame) and isinstance(classes, pl.DataFrame)
    lookup = assessments.join(classes, on="class_id", how="left").unique(
        "assessment_id", keep="last"
    )
    df = df.with_columns(pl.format("oulad_{}", pl.col("_assessment")).alias("assessment_id")).join(
        lookup, on="assessment_id", how="left"
    )
    v = _validate(
        df,
        [
            _missing("id_assessment"),
            _not_int("id_assessment"),
            _missing("id_student"),
            _not_int("id_student"),
            _not_int("date_submitted"),
            _day_out_of_range("date_submitted"),
            _not_in("is_banked", ("0", "1")),
            _not_number("score", allow=("?",)),
            (
                pl.col("class_id").is_null(),
                Reason.UNKNOWN_REFERENCE,
                pl.format("assessment {} is not in silver/assessments", pl.col("assessment_id")),
            ),
        ],
        name,
        q,
        key=("_assessment", "_student"),
    )
    ids, out = _new_students(ctx, v.kept["_student"])
    k = v.kept.join(ids, on="_student", how="left")
    results = k.select(
        "assessment_id",
        "student_id",
        "class_id",
        pl.lit(SOURCE).alias("source"),
        _day_ts(pl.col("start_date"), _int("date_submitted")).alias("submitted_at"),
        _int("date_submitted").alias("submitted_day"),
        _float("score").alias("score"),
        (pl.col("is_banked") == "1").alias("is_banked"),
    )
    return v.rejected, {**out, "assessment_results": _arrow(results, "assessment_results")}


def _student_vle(df: pl.DataFrame, ctx: ParseContext, name: str, q: QuarantineBuilder) -> Mapped:
    v = _validate(
        df,
        [
            _missing("code_module"),
            _missing("code_presentation"),
            _missing("id_student"),
            _not_int("id_student"),
            _missing("id_site"),
            _not_int("id_site"),
            _missing("date"),
            _not_int("date"),
            _day_out_of_range("date"),
            _missing("sum_click"),
            _not_int("sum_click"),
            (_int("sum_click") < 0, Reason.INVALID_VALUE, pl.lit("sum_click is negative")),
            _bad_presentation(),
            _known_class(ctx),
        ],
        name,
        q,
    )
    k = v.kept.with_columns(
        _class_id().alias("class_id"),
        _int("date").alias("_day"),
        _start().alias("_start"),
    ).with_columns(
        pl.int_range(pl.len()).over(["class_id", "_student", "_site", "_day"]).alias("_occ")
    )
    ids, out = _new_students(ctx, k["_student"])
    k = k.join(ids, on="_student", how="left")
    hashed = _event_ids(k.select("_line", "class_id", "_student", "_site", "_day", "_occ"))
    k = k.join(hashed, on="_line", how="left")
    events = k.select(
        "event_id",
        (pl.col("_start") + pl.duration(days=pl.col("_day"))).alias("event_date"),
        _day_ts(pl.col("_start"), pl.col("_day")).alias("occurred_at"),
        "student_id",
        "class_id",
        pl.format("vle_{}", pl.col("_site")).alias("content_id"),
        pl.lit(VERB).alias("verb"),
        pl.lit(SOURCE).alias("source"),
        _int("sum_click").alias("event_count"),
        pl.lit(False).alias("is_voided"),
    )
    return v.rejected, {**out, "learning_events": _arrow(events, "learning_events")}


def _event_ids(keys: pl.DataFrame) -> pl.DataFrame:
    """Deterministic event ids (MD5 of the row's identity), computed in DuckDB."""
    con = duckdb_cursor()
    try:
        con.register("k", keys.to_arrow())
        out = con.sql(
            """
            SELECT _line, 'oulad_' || md5(concat_ws('|', class_id, _student, _site,
                CAST(_day AS VARCHAR), CAST(_occ AS VARCHAR))) AS event_id
            FROM k
            """
        ).to_arrow_table()
    finally:
        con.close()
    frame = pl.from_arrow(out)
    assert isinstance(frame, pl.DataFrame)
    return frame


MAPPERS: dict[str, Mapper] = {
    "courses": _courses,
    "vle": _vle,
    "assessments": _assessments,
    "student_info": _student_info,
    "student_registration": _student_registration,
    "student_assessment": _student_assessment,
    "student_vle": _student_vle,
}


def _prepare(table: pa.Table, records: pa.Array, entity: str) -> pl.DataFrame:
    """The entity's known columns (missing optional ones as nulls), strings trimmed (blank ->
    null), ids normalised to canonical integers, the raw record kept."""
    # Only declared columns: an unexpected header such as "student_id" must not reach silver.
    cols = [c for c in COLUMNS[entity] if c in table.column_names]
    df = pl.from_arrow(table.select([*cols, "_line"]))
    assert isinstance(df, pl.DataFrame)
    df = df.with_columns(
        [pl.col(c).cast(pl.String).str.strip_chars().replace("", None).alias(c) for c in cols]
    )
    df = _with_optional(df, COLUMNS[entity])
    canon = {"id_student": "_student", "id_site": "_site", "id_assessment": "_assessment"}
    df = df.with_columns(
        [_int(src).cast(pl.String).alias(dst) for src, dst in canon.items() if src in df.columns]
    )
    return df.with_columns(pl.Series("_raw", records, dtype=pl.String))


def _quarantine_whole_file(path: Path, name: str, q: QuarantineBuilder, reason: str) -> FileCount:
    """Every line of an unreadable file to quarantine (header included, as the loader does)."""
    try:
        data = read_bytes(path)
    except FileReadError:
        data = path.read_bytes()
    lines = data.splitlines() or [b""]
    for i, raw in enumerate(lines, start=1):
        q.add(name, i, Reason.UNREADABLE_FILE, reason, raw)
    return FileCount(name, len(lines), 0, len(lines))


class OuladParser:
    """Parser for OULAD-shaped exports (see the module docstring)."""

    source: ClassVar[str] = SOURCE

    def discover(self, landing: Path) -> list[LoadUnit]:
        """One unit per file, catalogues and rosters before assessment results and clicks."""
        order = {e: i for i, (_, e) in enumerate(ENTITY_ORDER)}

        def rank(u: LoadUnit) -> tuple[int, str]:
            entity = entity_of(u.files[0].name)
            return (order[entity] if entity else len(order), u.name)

        return sorted(discover_files(landing, SOURCE), key=rank)

    def parse(self, unit: LoadUnit, ctx: ParseContext) -> ParseResult:
        """Parse one OULAD file; bad rows go to quarantine, never raise on records."""
        result = ParseResult()
        for path in unit.files:
            name = unit.member_name(path)
            entity = entity_of(path.name)
            if entity is None:
                raise UnsupportedFileError(
                    f"{path.name} is not an OULAD file name (expected one of courses, "
                    "assessments, vle, studentInfo, studentRegistration, studentAssessment, "
                    "studentVle, as .csv or .csv.gz)"
                )
            result.files.append(self._parse_file(path, name, entity, ctx, result))
        return result

    def _parse_file(
        self, path: Path, name: str, entity: str, ctx: ParseContext, result: ParseResult
    ) -> FileCount:
        q = QuarantineBuilder()
        try:
            csv = read_csv(path, name, q, required=REQUIRED[entity])
            if len(set(csv.table.column_names)) != csv.table.num_columns:
                raise FileReadError(f"repeated column names in header {csv.table.column_names}")
        except FileReadError as exc:
            q = QuarantineBuilder()
            count = _quarantine_whole_file(path, name, q, f"{entity}: {exc}")
            result.quarantine.absorb(q)
            return count
        bronze = bronze_records(csv.table, name)
        result.bronze[entity] = bronze
        df = _prepare(csv.table, bronze.column("record").combine_chunks(), entity)
        rejected, tables = MAPPERS[entity](df, ctx, name, q)
        for table, rows in tables.items():
            if rows.num_rows:
                result.silver[table] = rows
        result.quarantine.absorb(q)
        quarantined = csv.quarantined + rejected
        return FileCount(name, csv.rows_in, csv.rows_in - quarantined, quarantined)


PARSER = OuladParser()

__all__ = ["PARSER", "OuladParser", "entity_of", "presentation_start"]
