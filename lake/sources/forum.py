"""Forum post exports (``landing/forum/``): CSV (bodies may hold quoted newlines, commas and
quotes) or JSON lines, one record per post (field list in ``docs/formats.md``).

Writes ``silver/forum_posts`` and, for student authors seen for the first time, ``silver/students``
and ``silver/student_identity``; every record also lands in ``bronze/forum__posts``. A student
author's ``author_id`` is replaced by the pseudonymous ``student_id``; staff authors (teacher, ta,
admin) keep their source id. HTML tags are stripped from ``body`` and ``title`` (a body left empty
by that is ``missing_field``). A ``language`` that is not a BCP 47 tag is dropped (set null) rather
than rejecting the post: the raw value stays in bronze.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import ClassVar

import pyarrow as pa
import pyarrow.compute as pc

from lake.quarantine import Reason
from lake.sources.base import FileCount, LoadUnit, ParseContext, ParseResult, discover_files
from lake.sources.content_text import strip_html
from lake.sources.records import (
    FUTURE_TOLERANCE,
    Kind,
    add_quarantine,
    bad_id_sql,
    case_sql,
    connect,
    map_column,
    new_students,
    read_records,
    timestamp_sql,
)

SOURCE = "forum"
ROLES = ("student", "teacher", "ta", "admin")
MAX_TITLE_CHARS = 1000
# Longer bodies are rejected before HTML stripping, which is not linear on hostile markup.
MAX_BODY_CHARS = 200_000

FIELDS: dict[str, Kind] = {
    "post_id": Kind.ID,
    "thread_id": Kind.ID,
    "parent_post_id": Kind.ID,
    "class_id": Kind.ID,
    "author_id": Kind.ID,
    "author_role": Kind.ID,
    "created_at": Kind.TIMESTAMP,
    "title": Kind.TEXT,
    "body": Kind.TEXT,
    "language": Kind.ID,
}
REQUIRED = ("post_id", "thread_id", "class_id", "author_id", "created_at", "body")
IDS = ("post_id", "thread_id", "parent_post_id", "class_id", "author_id")
_BCP47 = r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$"


def _validation_sql(now: dt.datetime) -> str:
    limit = (now + FUTURE_TOLERANCE).isoformat()
    roles = ", ".join(f"'{r}'" for r in ROLES)
    rules: list[tuple[str, Reason | str, str]] = [
        ("_err_code IS NOT NULL", "_err_code", "_err_reason")
    ]
    rules += [(f"{f} IS NULL", Reason.MISSING_FIELD, f"'{f} is required'") for f in REQUIRED]
    rules += [
        (bad_id_sql(f), Reason.INVALID_VALUE, f"'{f} has control characters or is too long'")
        for f in IDS
    ]
    rules += [
        (
            f"length(body) > {MAX_BODY_CHARS}",
            Reason.RECORD_TOO_LARGE,
            f"'body longer than {MAX_BODY_CHARS} characters'",
        ),
        (
            "created_at_ts IS NULL",
            Reason.INVALID_TIMESTAMP,
            "'created_at is not an ISO 8601 time with an offset: ' || left(created_at, 80)",
        ),
        (
            "role NOT IN (" + roles + ")",
            Reason.INVALID_VALUE,
            "'author_role must be one of " + "/".join(ROLES) + ": ' || left(author_role, 80)",
        ),
        (
            f"length(title) > {MAX_TITLE_CHARS}",
            Reason.INVALID_VALUE,
            f"'title longer than {MAX_TITLE_CHARS} characters'",
        ),
        (
            f"created_at_ts > TIMESTAMPTZ '{limit}'",
            Reason.FUTURE_TIMESTAMP,
            "'created_at is in the future: ' || created_at",
        ),
        (
            "known.known_class_id IS NULL",
            Reason.UNKNOWN_CLASS,
            "'unknown class_id: ' || class_id",
        ),
    ]
    rule, code, reason = case_sql(rules)
    return f"""
    WITH typed AS (
        SELECT *, {timestamp_sql("created_at")} AS created_at_ts,
            coalesce(lower(author_role), 'student') AS role
        FROM records
    ), ruled AS (
        SELECT r.*, {rule} AS _rule
        FROM typed r LEFT JOIN known ON known.known_class_id = r.class_id
    ), checked AS (
        SELECT * EXCLUDE (_rule), {code} AS code, {reason} AS reason FROM ruled
    ), ranked AS (
        SELECT *,
            CASE WHEN code IS NULL THEN row_number() OVER (
                PARTITION BY code IS NULL, post_id ORDER BY _line) END AS dup_rank,
            CASE WHEN code IS NULL THEN first_value(_line) OVER (
                PARTITION BY code IS NULL, post_id ORDER BY _line) END AS first_line
        FROM checked
    )
    SELECT * REPLACE (
        CASE WHEN code IS NULL AND dup_rank > 1 THEN 'duplicate_record' ELSE code END AS code,
        CASE WHEN code IS NULL AND dup_rank > 1
             THEN 'post_id already on line ' || first_line ELSE reason END AS reason)
    FROM ranked
    """


_POSTS_SQL = f"""
SELECT post_id, thread_id, parent_post_id, class_id, author_id, role AS author_role,
    created_at_ts AS created_at, title, body,
    CASE WHEN regexp_full_match(language, '{_BCP47}') THEN language END AS language
FROM checked WHERE code IS NULL ORDER BY _line
"""


def _strip_column(table: pa.Table, column: str) -> pa.Table:
    """Strip HTML from the values of ``column`` that contain markup (Python only for those)."""
    col = table.column(column)
    has_markup = pc.and_(
        pc.fill_null(pc.match_substring_regex(col, r"[<&]"), False),
        pc.fill_null(pc.less_equal(pc.utf8_length(col), MAX_BODY_CHARS), False),
    )
    if not pc.any(has_markup).as_py():
        return table
    values = col.to_pylist()
    for i in pc.indices_nonzero(has_markup).to_pylist():
        values[i] = strip_html(values[i]) or None
    return table.set_column(
        table.schema.get_field_index(column), column, pa.array(values, pa.string())
    )


class ForumParser:
    """CSV / JSON-lines forum posts -> forum_posts (+ new students)."""

    source: ClassVar[str] = SOURCE

    def discover(self, landing: Path) -> list[LoadUnit]:
        """One unit per file under ``landing/forum/`` (sorted by path)."""
        return discover_files(landing, SOURCE)

    def parse(self, unit: LoadUnit, ctx: ParseContext) -> ParseResult:
        """Parse one file; every record is kept or quarantined."""
        result = ParseResult()
        posts: list[pa.Table] = []
        for path in unit.files:
            name = unit.member_name(path)
            rec = read_records(path, name, result.quarantine, FIELDS)
            result.bronze["posts"] = (
                pa.concat_tables([result.bronze["posts"], rec.bronze])
                if "posts" in result.bronze
                else rec.bronze
            )
            records = _strip_column(_strip_column(rec.table, "body"), "title")
            con = connect()
            try:
                con.register("records", records)
                known = sorted(ctx.known_ids("classes", "class_id"))
                con.register("known", pa.table({"known_class_id": pa.array(known, pa.string())}))
                checked = con.sql(_validation_sql(ctx.now)).to_arrow_table()
                con.register("checked", checked)
                bad = checked.filter(pc.is_valid(checked.column("code")))
                add_quarantine(
                    result.quarantine, name, bad.select(["_line", "_raw", "code", "reason"])
                )
                kept = con.sql(_POSTS_SQL).to_arrow_table()
            finally:
                con.close()
            result.files.append(
                FileCount(name, rec.rows_in, kept.num_rows, rec.quarantined + bad.num_rows)
            )
            posts.append(kept)
        kept = pa.concat_tables(posts) if posts else pa.table({})
        if kept.num_rows:
            result.silver.update(self._pseudonymise(ctx, kept))
        return result

    def _pseudonymise(self, ctx: ParseContext, posts: pa.Table) -> dict[str, pa.Table]:
        """Student authors' ids to ``student_id``; new students and identities alongside."""
        is_student = pc.equal(posts.column("author_role"), "student")
        students = posts.filter(is_student)
        out: dict[str, pa.Table] = {}
        if students.num_rows:
            firsts = students.group_by("author_id", use_threads=False).aggregate(
                [("created_at", "min")]
            )
            mapping, identity = ctx.resolve_students(
                firsts.column("author_id").to_pylist(),
                lookup_types=("sourced_id", "username"),
                new_type="sourced_id",
                source=SOURCE,
            )
            mapped = map_column(posts.column("author_id"), mapping)
            author = pc.if_else(is_student, mapped, posts.column("author_id"))
            posts = posts.set_column(posts.schema.get_field_index("author_id"), "author_id", author)
            if identity.num_rows:
                first_seen = dict(
                    zip(
                        firsts.column("author_id").to_pylist(),
                        firsts.column("created_at_min").to_pylist(),
                        strict=True,
                    )
                )
                out["student_identity"] = identity
                out["students"] = new_students(identity, first_seen, SOURCE)
        out["forum_posts"] = posts.append_column(
            "source", pa.array([SOURCE] * posts.num_rows, pa.string())
        )
        return out


PARSER = ForumParser()
