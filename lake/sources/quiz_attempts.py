"""Item-level quiz responses (``landing/quiz_attempts/``): CSV or JSON lines, one record per item
answered in an attempt (field list in ``docs/formats.md``).

Writes ``silver/item_responses`` (partitioned by ``answered_date``, the UTC date of
``answered_at``), ``silver/quiz_attempts`` (derived per attempt) and, for students seen for the
first time, ``silver/students`` and ``silver/student_identity``. Every record also lands in
``bronze/quiz_attempts__responses``.

The happy path is vectorised: the file is read into one string table (``read_csv`` or
``read_lines`` + DuckDB's JSON functions), validated in one DuckDB query, and only distinct
students touch Python. An ``item_id`` unknown to ``silver/items`` is kept: item banks may arrive
after the responses that use them, and marts join on ``item_id`` later.

An attempt whose responses arrive in several files (an attempt across midnight in daily drops)
gets its ``quiz_attempts`` row recomputed from this file's responses plus the responses already in
silver for the same attempt (looked up in the ``answered_date`` partitions between the attempt's
start and end, one day either side), so the order of the files does not matter.

Reading and SQL helpers come from ``lake.sources.records`` (shared with the forum parser).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

from lake.io import constant
from lake.quarantine import Reason
from lake.sources.base import (
    FileCount,
    LoadUnit,
    ParseContext,
    ParseResult,
    UnitMap,
    discover_files,
)
from lake.sources.records import (
    FUTURE_TOLERANCE,
    Kind,
    Records,
    add_quarantine,
    bad_id_sql,
    case_sql,
    connect,
    map_column,
    new_students,
    number_sql,
    quote_ident,
    read_records,
    timestamp_sql,
    with_syntax_flags,
)

SOURCE = "quiz_attempts"

FIELDS: dict[str, Kind] = {
    "attempt_id": Kind.ID,
    "student_id": Kind.ID,
    "class_id": Kind.ID,
    "quiz_id": Kind.ID,
    "item_id": Kind.ID,
    "attempt_number": Kind.NUMBER,
    "started_at": Kind.TIMESTAMP,
    "answered_at": Kind.TIMESTAMP,
    "submitted_at": Kind.TIMESTAMP,
    "response": Kind.TEXT,
    "is_correct": Kind.BOOL,
    "score": Kind.NUMBER,
    "max_score": Kind.NUMBER,
    "duration_s": Kind.NUMBER,
}
REQUIRED = ("attempt_id", "student_id", "class_id", "quiz_id", "item_id", "answered_at")
IDS = ("attempt_id", "student_id", "class_id", "quiz_id", "item_id")


# ---------------------------------------------------------------------------------------------
# The quiz_attempts parser


def _validation_sql(now: dt.datetime, flags: dict[str, str] | None = None) -> str:
    """The per-record rules over the view ``records``; ``flags``: its syntax columns
    (``with_syntax_flags``), read instead of the regular expressions where given."""
    flags = flags or {}
    stamps = ("started_at", "answered_at", "submitted_at")
    ts = {c: timestamp_sql(quote_ident(c), flags.get(c)) for c in stamps}
    numeric = ("attempt_number", "score", "max_score", "duration_s")
    num = {c: number_sql(quote_ident(c), flags.get(c)) for c in numeric}
    limit = (now + FUTURE_TOLERANCE).isoformat()
    rules: list[tuple[str, Reason | str, str]] = [
        ("_err_code IS NOT NULL", "_err_code", "_err_reason"),
    ]
    rules += [(f"{f} IS NULL", Reason.MISSING_FIELD, f"'{f} is required'") for f in REQUIRED]
    rules += [
        (
            bad_id_sql(f, flags.get(f)),
            Reason.INVALID_VALUE,
            f"'{f} has control characters or is too long'",
        )
        for f in IDS
    ]
    rules += [
        (
            f"{c} IS NOT NULL AND {c}_ts IS NULL",
            Reason.INVALID_TIMESTAMP,
            f"'{c} is not an ISO 8601 time with an offset: ' || left({c}, 80)",
        )
        for c in ts
    ]
    rules += [
        (
            f"{c} IS NOT NULL AND ({c}_n IS NULL OR NOT isfinite({c}_n))",
            Reason.WRONG_TYPE,
            f"'{c} is not a number: ' || left({c}, 80)",
        )
        for c in num
    ]
    rules += [
        ("correct IS NULL", Reason.MISSING_FIELD, "'is_correct is required'"),
        (
            "correct = 'bad'",
            Reason.WRONG_TYPE,
            "'is_correct is not true/false/1/0: ' || left(is_correct, 80)",
        ),
        (
            "attempt_number_n < 1 OR attempt_number_n <> floor(attempt_number_n)",
            Reason.INVALID_VALUE,
            "'attempt_number must be an integer >= 1'",
        ),
        ("attempt_number_n > 2147483647", Reason.INVALID_VALUE, "'attempt_number is too large'"),
        ("score_n < 0", Reason.INVALID_VALUE, "'score must be >= 0'"),
        ("max_score_n <= 0", Reason.INVALID_VALUE, "'max_score must be > 0'"),
        ("duration_s_n < 0", Reason.INVALID_VALUE, "'duration_s must be >= 0'"),
    ]
    rules += [
        (
            f"{c}_ts > TIMESTAMPTZ '{limit}'",
            Reason.FUTURE_TIMESTAMP,
            f"'{c} is in the future: ' || {c}",
        )
        for c in ts
    ]
    rule, code, reason = case_sql(rules)
    typed = ", ".join(
        [f"{e} AS {c}_ts" for c, e in ts.items()] + [f"{e} AS {c}_n" for c, e in num.items()]
    )
    # A rejected row's response columns are null: its values may not even cast (an attempt
    # number too large for BIGINT), and only its code, reason and line are read.
    response = ",\n        ".join(
        f"CASE WHEN _rule IS NULL THEN {expr} END AS {col}" for col, expr in _RESPONSE_COLUMNS
    )
    return f"""
    WITH typed AS (
        SELECT *, {typed},
            CASE WHEN is_correct IS NULL THEN NULL
                 WHEN lower(is_correct) IN ('true', '1') THEN 'true'
                 WHEN lower(is_correct) IN ('false', '0') THEN 'false'
                 ELSE 'bad' END AS correct
        FROM records
    ), ruled AS (
        SELECT r.*, {rule} AS _rule FROM typed r
    )
    SELECT _line, {code} AS code, {reason} AS reason,
        {response}
    FROM ruled
    """


# The item response of a row that passed every rule of its own fields (``_validation_sql``):
# (column, SQL over the typed row).
_RESPONSE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("attempt_id", "attempt_id"),
    ("item_id", "item_id"),
    ("answered_date", "CAST(answered_at_ts AS DATE)"),
    ("answered_at", "answered_at_ts"),
    ("student_id", "student_id"),
    ("class_id", "class_id"),
    ("quiz_id", "quiz_id"),
    ("response", "response"),
    ("is_correct", "correct = 'true'"),
    (
        "score",
        "coalesce(score_n, CASE WHEN correct = 'true' THEN coalesce(max_score_n, 1.0) "
        "ELSE 0.0 END)",
    ),
    ("max_score", "coalesce(max_score_n, 1.0)"),
    ("duration_s", "duration_s_n"),
    ("attempt_number", "CAST(attempt_number_n AS BIGINT)"),
    ("started_at", "started_at_ts"),
    ("submitted_at", "submitted_at_ts"),
)


# The batch-level rules, run by ``reduce_units`` on each file's candidates (the rows that passed
# every rule above) with the classes known by then: the class must be known (the last rule);
# then, among the rows still good, a repeated (attempt, item) is a duplicate of its first line,
# and the attempt's first good row fixes its student, class and quiz. Same order as one query
# over the file would apply them; only the class rule needs the lake. The query returns the
# verdicts only (``_line``, ``code``, ``reason`` of each rejected row; ``_placed`` puts them
# beside the candidates), so the candidates are neither copied nor sorted again.
_BATCH_RULES_SQL = """
WITH checked AS (
    SELECT c.*,
        CASE WHEN known.known_class_id IS NULL THEN 'unknown_class' END AS code,
        CASE WHEN known.known_class_id IS NULL THEN 'unknown class_id: ' || c.class_id END
            AS reason
    FROM candidates c LEFT JOIN known ON known.known_class_id = c.class_id
), firsts AS (
    -- Per (attempt, item) and per attempt, the first good line: aggregates, not windows,
    -- since a hash aggregate is much cheaper than sorting every partition.
    SELECT attempt_id, item_id, min(_line) AS first_line
    FROM checked WHERE code IS NULL GROUP BY attempt_id, item_id
), deduped AS (
    SELECT c.* REPLACE (
        CASE WHEN c._line > f.first_line THEN 'duplicate_record' ELSE c.code END AS code,
        CASE WHEN c._line > f.first_line
             THEN 'attempt_id/item_id already on line ' || f.first_line ELSE c.reason END
             AS reason)
    FROM checked c
    LEFT JOIN firsts f
        ON c.code IS NULL AND f.attempt_id = c.attempt_id AND f.item_id = c.item_id
), heads AS (
    -- The attempt's first good row fixes its student, class and quiz; a later row that
    -- disagrees cannot belong to the same attempt.
    SELECT attempt_id,
        arg_min(student_id || chr(0) || class_id || chr(0) || quiz_id, _line) AS head,
        min(_line) AS head_line
    FROM deduped WHERE code IS NULL GROUP BY attempt_id
)
SELECT d._line,
    CASE WHEN h.head <> d.student_id || chr(0) || d.class_id || chr(0) || d.quiz_id
         THEN 'invalid_value' ELSE d.code END AS code,
    CASE WHEN h.head <> d.student_id || chr(0) || d.class_id || chr(0) || d.quiz_id
         THEN 'student_id/class_id/quiz_id differ from the attempt''s line ' || h.head_line
         ELSE d.reason END AS reason
FROM deduped d
LEFT JOIN heads h ON d.code IS NULL AND h.attempt_id = d.attempt_id
WHERE d.code IS NOT NULL OR h.head <> d.student_id || chr(0) || d.class_id || chr(0) || d.quiz_id
"""

# The columns of a candidate response the batch rules read.
_BATCH_RULE_COLUMNS = ("_line", "attempt_id", "item_id", "student_id", "class_id", "quiz_id")


def _bronze_records(bronze: pa.Table, file: str, lines: pa.ChunkedArray) -> pa.ChunkedArray:
    """The bronze ``record`` of each of ``file``'s ``lines`` (by positions, so the large
    ``record`` column is only read at them)."""
    rows = pa.array(np.flatnonzero(pc.equal(bronze.column("_source_file"), file).to_numpy()))
    at = pc.index_in(lines, value_set=bronze.column("_line").take(rows))
    if at.null_count:
        raise RuntimeError(f"{file}: rejected rows missing from bronze")
    return bronze.column("record").take(rows.take(at))


def _verdicts(con: duckdb.DuckDBPyConnection, candidates: pa.Table, known: pa.Table) -> pa.Table:
    """The batch rules' verdicts on ``candidates`` with ``known`` the classes known: ``_line``,
    ``code`` and ``reason`` of each rejected row."""
    con.register("candidates", candidates.select(list(_BATCH_RULE_COLUMNS)))
    con.register("known", known)
    verdicts = con.sql(_BATCH_RULES_SQL).to_arrow_table()
    con.unregister("candidates")
    con.unregister("known")
    return verdicts


def _placed(verdicts: pa.Table, lines: pa.ChunkedArray) -> tuple[pa.ChunkedArray, ...]:
    """``code`` and ``reason`` of ``verdicts`` at each of a file's ``lines`` (null where the
    line has no verdict)."""
    at = pc.index_in(lines, value_set=verdicts.column("_line"))
    return verdicts.column("code").take(at), verdicts.column("reason").take(at)


def _ruled(candidates: pa.Table, known: pa.Table) -> pa.Table:
    """One file's candidates with the batch rules' ``code`` and ``reason``, in line order. The
    rules after the class rule work within an attempt, so the map's verdicts stand for every
    attempt none of whose rows names an unknown class; the rules run again, with the classes
    known now, on the rows of the other attempts only."""
    spec = candidates.drop_columns(["_file"]).rename_columns(
        {"_batch_code": "code", "_batch_reason": "reason"}
    )
    unknown = pc.invert(pc.is_in(candidates.column("class_id"), value_set=known.column(0)))
    if not pc.any(unknown).as_py():
        return spec
    attempts = pc.unique(candidates.column("attempt_id").filter(unknown))
    redo = pc.is_in(candidates.column("attempt_id"), value_set=attempts)
    con = connect()
    try:
        verdicts = _verdicts(con, candidates.filter(redo), known)
    finally:
        con.close()
    placed = _placed(verdicts, spec.column("_line"))
    for name, values in zip(("code", "reason"), placed, strict=True):
        i = spec.schema.get_field_index(name)
        spec = spec.set_column(i, name, pc.if_else(redo, values, spec.column(name)))
    return spec


# Columns of a quiz map's kept rows that only the reduce reads.
_MAP_ONLY = ("_batch_code", "_batch_reason", "_file")

_ATTEMPTS_SQL = """
SELECT attempt_id,
    arg_min(student_id, _line) AS student_id,
    arg_min(class_id, _line) AS class_id,
    arg_min(quiz_id, _line) AS quiz_id,
    min(attempt_number) AS attempt_number,
    min(coalesce(started_at, answered_at)) AS started_at,
    max(coalesce(submitted_at, answered_at)) AS submitted_at,
    sum(score) AS score,
    sum(max_score) AS max_score,
    min(answered_date) AS first_date,
    max(answered_date) AS last_date
FROM kept GROUP BY attempt_id
"""


class QuizAttemptsParser:
    """CSV / JSON-lines item responses -> item_responses, quiz_attempts, new students."""

    source: ClassVar[str] = SOURCE

    def discover(self, landing: Path) -> list[LoadUnit]:
        """One unit per file under ``landing/quiz_attempts/`` (sorted by path)."""
        return discover_files(landing, SOURCE)

    def parse(self, unit: LoadUnit, ctx: ParseContext) -> ParseResult:
        """Parse one file; every record is kept or quarantined. Its bronze rows go to the
        loader (``ctx.offer_bronze``) as soon as the file is read."""
        unit_map = self.map_unit(
            unit, self.map_inputs(ctx), ctx.now, lambda bronze: ctx.offer_bronze(unit, bronze)
        )
        return self.reduce_units([unit], [unit_map], ctx)[0]  # type: ignore[return-value]

    def map_inputs(self, ctx: ParseContext) -> None:
        """What ``map_unit`` needs from the lake: nothing. The one rule that reads the lake
        (the class must be known) runs in ``reduce_units``, so a file can be mapped before the
        roster that names its classes is loaded (the loader maps it ahead, behind the roster's
        load)."""
        return None

    def map_unit(
        self,
        unit: LoadUnit,
        inputs: None,
        now: dt.datetime,
        offer: Callable[[dict[str, pa.Table]], None] | None = None,
    ) -> UnitMap:
        """The per-record half of a parse (a Spark task may run it): every response of the
        unit checked against the rules of its own fields; bronze final; the responses that
        passed (``kept``, with ``_file``, the index of their file in ``files``, and
        ``_batch_code`` / ``_batch_reason``, the batch rules' verdicts were every class known)
        wait for
        ``reduce_units`` to apply the batch-level rules (known class, duplicates, one student,
        class and quiz per attempt), which settles the quarantine and counts, and then to name
        their students and make their attempts. ``offer`` is handed the unit's bronze rows
        (final) once its files are read, before they are checked."""
        result = ParseResult()
        kept: list[pa.Table] = []
        read = []
        for path in unit.files:
            name = unit.member_name(path)
            rec = read_records(path, name, result.quarantine, FIELDS)
            result.bronze["responses"] = _concat(result.bronze.get("responses"), rec.bronze)
            read.append((name, rec))
        if offer is not None and "responses" in result.bronze:
            offer(result.bronze)
        for name, rec in read:
            candidates = self._check_file(rec, name, now, result)
            index = constant(len(result.files) - 1, candidates.num_rows, pa.int32())
            kept.append(candidates.append_column("_file", index))
        return UnitMap(
            bronze=result.bronze,
            quarantine=result.quarantine,
            files=result.files,
            kept=pa.concat_tables(kept) if kept else pa.table({}),
        )

    def reduce_units(
        self, units: list[LoadUnit], maps: list[UnitMap | None], ctx: ParseContext
    ) -> list[ParseResult | None]:
        """The batch-level rules on every unit's kept responses, then their students and
        attempts, unit after unit, each seeing the ones before it (an attempt answered over two
        files adds up both), as when the files load one by one. A unit without a map gets
        ``None``."""
        results: list[ParseResult | None] = []
        for m in maps:
            if m is None:
                results.append(None)
                continue
            result = m.result()
            if m.kept.num_columns:
                result.silver["item_responses"] = self._apply_batch_rules(ctx, result, m.kept)
                self._finish(ctx, result)
                ctx.add_pending(result.silver)
            results.append(result)
        return results

    def _check_file(
        self, rec: Records, name: str, now: dt.datetime, result: ParseResult
    ) -> pa.Table:
        """One file's records (``rec``, read) checked record by record: the ones that break
        a rule of their own fields go to ``result``; returns the others as responses (with
        ``_line``) and the batch rules' verdicts on them as if every class were known
        (``_batch_code``, ``_batch_reason``)."""
        q = result.quarantine
        con = connect()
        try:
            records, flags = with_syntax_flags(rec.table.drop_columns(["_raw"]), FIELDS)
            con.register("records", records)
            checked = con.sql(_validation_sql(now, flags)).to_arrow_table()
            con.unregister("records")
            rejected = pc.is_valid(checked.column("code"))
            bad = checked.filter(rejected).select(["_line", "code", "reason"])
            raw = _bronze_records(rec.bronze, name, bad.column("_line"))
            add_quarantine(q, name, bad.append_column("_raw", raw))
            candidates = checked.filter(pc.invert(rejected)).drop_columns(["code", "reason"])
            # The batch-level rules, run here as if every class were known: when it is (as
            # ``reduce_units`` checks), their verdicts stand and the reduce only reads them.
            known = pc.unique(candidates.column("class_id"))
            verdicts = _verdicts(con, candidates, pa.table({"known_class_id": known}))
            code, reason = _placed(verdicts, candidates.column("_line"))
        finally:
            con.close()
        candidates = candidates.append_column("_batch_code", code)
        candidates = candidates.append_column("_batch_reason", reason)
        result.files.append(
            FileCount(
                name,
                rows_in=rec.rows_in,
                rows_kept=candidates.num_rows,
                rows_quarantined=rec.quarantined + bad.num_rows,
            )
        )
        return candidates

    def _apply_batch_rules(
        self, ctx: ParseContext, result: ParseResult, kept: pa.Table
    ) -> pa.Table:
        """``kept`` (one unit's responses that passed the per-record rules) less the ones the
        batch-level rules reject (``_BATCH_RULES_SQL``), which go to the quarantine with their
        bronze record; the file counts move with them. The map's verdicts (``_batch_code``,
        made as if every class were known) stand where the classes are known (``_ruled``)."""
        known_ids = ctx.known_ids("classes", "class_id")
        known = pa.table({"known_class_id": pa.array(sorted(known_ids), pa.string())})
        bronze = result.bronze.get("responses")
        out: list[pa.Table] = [kept.schema.empty_table().drop_columns(list(_MAP_ONLY))]
        files = kept.column("_file")
        indices = pc.unique(files).to_pylist()
        for index in indices:
            candidates = kept if len(indices) == 1 else kept.filter(pc.equal(files, index))
            count = result.files[index]
            ruled = _ruled(candidates, known)
            bad = ruled.filter(pc.is_valid(ruled.column("code")))
            if bad.num_rows:
                assert bronze is not None
                raw = _bronze_records(bronze, count.file, bad.column("_line"))
                add_quarantine(result.quarantine, count.file, bad.append_column("_raw", raw))
            good = ruled.filter(pc.is_null(ruled.column("code")))
            out.append(good.drop_columns(["code", "reason"]))
            result.files[index] = FileCount(
                count.file,
                rows_in=count.rows_in,
                rows_kept=count.rows_kept - bad.num_rows,
                rows_quarantined=count.rows_quarantined + bad.num_rows,
            )
        return pa.concat_tables(out)

    def _finish(self, ctx: ParseContext, result: ParseResult) -> None:
        """Pseudonymise students and derive the attempts from the kept responses."""
        kept = result.silver.pop("item_responses")
        if kept.num_rows == 0:
            return
        firsts = kept.group_by("student_id", use_threads=False).aggregate([("answered_at", "min")])
        mapping, identity = ctx.resolve_students(
            firsts.column("student_id").to_pylist(),
            lookup_types=("sourced_id", "username"),
            new_type="sourced_id",
            source=SOURCE,
        )
        kept = kept.set_column(
            kept.schema.get_field_index("student_id"),
            "student_id",
            map_column(kept.column("student_id"), mapping),
        )
        if identity.num_rows:
            first_seen = dict(
                zip(
                    firsts.column("student_id").to_pylist(),
                    firsts.column("answered_at_min").to_pylist(),
                    strict=True,
                )
            )
            result.silver["student_identity"] = identity
            result.silver["students"] = new_students(identity, first_seen, SOURCE)
        con = connect()
        try:
            con.register("kept", kept)
            attempts = con.sql(_ATTEMPTS_SQL).to_arrow_table()
            attempts = _combine_with_silver(ctx, con, kept, attempts)
        finally:
            con.close()
        attempts = attempts.append_column(
            "source", constant(SOURCE, attempts.num_rows, pa.string())
        )
        result.silver["quiz_attempts"] = attempts
        n = kept.num_rows
        responses = kept.drop_columns(
            ["_line", "max_score", "attempt_number", "started_at", "submitted_at"]
        )
        responses = responses.append_column("source", constant(SOURCE, n, pa.string()))
        responses = responses.append_column("is_voided", constant(False, n, pa.bool_()))
        result.silver["item_responses"] = responses


def _combine_with_silver(
    ctx: ParseContext, con: duckdb.DuckDBPyConnection, kept: pa.Table, attempts: pa.Table
) -> pa.Table:
    """Fold responses of the same attempts already in silver (from other files) into the
    attempt rows: idempotent, since this file's keys always come from this file."""
    out_cols = [
        "attempt_id", "student_id", "class_id", "quiz_id", "attempt_number",
        "started_at", "submitted_at", "score", "max_score",
    ]  # fmt: skip
    if attempts.num_rows == 0:
        return attempts.select(out_cols)
    lo = pc.min(attempts.column("first_date")).as_py() - dt.timedelta(days=1)
    hi = pc.max(attempts.column("last_date")).as_py() + dt.timedelta(days=1)
    days = [(lo + dt.timedelta(days=i)).isoformat() for i in range((hi - lo).days + 1)]
    ids = attempts.column("attempt_id")
    stored = ctx.silver_rows(
        "item_responses",
        ["attempt_id", "item_id", "answered_at", "score"],
        where=ds.field("attempt_id").isin(ids),
        partitions=[("answered_date", "in", days)],
    )
    if stored.num_rows == 0:
        return attempts.select(out_cols)
    items = ctx.silver_rows("items", ["item_id", "max_score"])
    con.register("stored", stored)
    con.register("items", items)
    con.register("attempts", attempts)
    previous = ctx.silver_rows(
        "quiz_attempts",
        ["attempt_id", "started_at", "submitted_at", "attempt_number"],
        where=ds.field("attempt_id").isin(ids),
    )
    con.register("previous", previous)
    return con.sql(
        """
        WITH other AS (  -- stored responses of these attempts that this file does not repeat
            SELECT s.attempt_id, min(s.answered_at) AS first_at, max(s.answered_at) AS last_at,
                   sum(s.score) AS score, sum(coalesce(i.max_score, 1.0)) AS max_score
            FROM stored s
            LEFT JOIN items i ON i.item_id = s.item_id
            ANTI JOIN kept k ON k.attempt_id = s.attempt_id AND k.item_id = s.item_id
            GROUP BY s.attempt_id
        )
        SELECT a.attempt_id, a.student_id, a.class_id, a.quiz_id,
            least(a.attempt_number, p.attempt_number) AS attempt_number,
            least(a.started_at, o.first_at, p.started_at) AS started_at,
            greatest(a.submitted_at, o.last_at, p.submitted_at) AS submitted_at,
            a.score + coalesce(o.score, 0) AS score,
            a.max_score + coalesce(o.max_score, 0) AS max_score
        FROM attempts a
        LEFT JOIN other o USING (attempt_id)
        LEFT JOIN previous p USING (attempt_id)
        """
    ).to_arrow_table()


def _concat(a: pa.Table | None, b: pa.Table) -> pa.Table:
    return b if a is None else pa.concat_tables([a, b])


PARSER = QuizAttemptsParser()
