"""xAPI 1.0.3 statements: JSON lines (``.jsonl``, ``.ndjson``), or a ``.json`` file holding a
JSON array of statements, an LRS result ``{"statements": [...], "more": ...}`` or one statement.
Any of them may be gzip-compressed.

One record is one statement; its line is the physical line (JSON lines) or the 1-based position in
the array (``.json``). Validation, mapping and every join run in DuckDB, ``CHUNK_LINES`` records
at a time (duplicates are still found across a whole file; silver rows, identity resolution and
quiz attempts are made once over all chunks); Python only touches rejected records and each
distinct actor (identity resolution).

Rules (reason codes from ``lake.quarantine.Reason``):

* not JSON -> ``malformed_json``; actor, verb, object, verb.id, object.id (Activities and
  StatementRefs), account.homePage/name missing -> ``missing_field``;
* an Agent (or identified Group) needs exactly one inverse functional identifier (``mbox``
  ``mailto:`` IRI, ``mbox_sha1sum`` 40 hex, ``openid`` IRI, ``account`` {homePage IRL, name});
  verb.id and Activity ids are IRIs, ``id``/``context.registration``/StatementRef ids UUIDs;
  ``object.objectType`` one of the five the spec names; ``version`` 1.0.x; ``result.score``
  ``scaled`` in [-1, 1], ``min < max``, ``min <= raw <= max``; ``result.duration`` an ISO 8601
  duration; success/completion booleans; contextActivities keys parent/grouping/category/other
  holding Activities with an ``id``; a ``voided`` verb needs a StatementRef object ->
  ``spec_violation``;
* ``timestamp``/``stored`` not ISO 8601 with a zone offset (``-00:00`` is forbidden by the spec)
  -> ``invalid_timestamp``; a timestamp more than 5 minutes after the load -> ``future_timestamp``;
* context activities that look like a course or class none of which is a known
  ``classes.class_id`` -> ``unknown_class``; a statement id seen earlier in the file ->
  ``duplicate_record``.

Mapping: the class is the first known class among the context activities (parent, then grouping,
then category; each as its full IRI, then its URL-decoded last path segment), else the object
itself when it is a known class. ``content_id`` is the object IRI's last path segment when that is
a known ``content_items.content_id`` or ``items.item_id`` (a question answered), else the full
IRI. Actors not in the roster are kept as new
students (``student_identity`` + ``students`` rows); a Group actor has no student. Statements
without ``id`` get a name-based UUID (version 5, SHA-1 of a fixed namespace and the minified
statement), so re-loading the same file gives the same ``event_id``. ``extensions`` is
``{"context": <context.extensions>, "result": <result.extensions>}`` as JSON text. Durations
count a year as 365 days and a month as 30. A voiding statement becomes a ``statement_voids`` row
(not an event); the loader marks its target in either arrival order. ``answered`` statements with
a result also become ``item_responses`` when they carry an attempt (context extension
``https://w3id.org/learnsmart/extensions/attempt-id``, else ``context.registration``), and each
such attempt a ``quiz_attempts`` row recomputed over all its stored and new responses.
"""

from __future__ import annotations

import json
import threading
import uuid
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

import duckdb
import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from lake import io
from lake.quarantine import QuarantineBuilder, Reason
from lake.sources import xapi_native
from lake.sources.base import (
    FileCount,
    LoadUnit,
    ParseContext,
    ParseResult,
    UnitMap,
    UnsupportedFileError,
    discover_files,
)
from lake.sources.common import FileReadError, bronze_lines, duckdb_cursor, read_bytes
from lake.sources.xapi_lines import empty_records, read_lines_fast
from lake.tables import LOAD_ID

SOURCE = "xapi"
# Namespace of the name-based event ids of statements that arrive without an id.
STATEMENT_NAMESPACE = uuid.UUID("6f0c6a55-3f3e-5b8e-9d57-8f4b0f2c3a11")
VOIDED_VERB = "http://adlnet.gov/expapi/verbs/voided"
ANSWERED_VERB = "http://adlnet.gov/expapi/verbs/answered"
ATTEMPT_EXTENSION = "https://w3id.org/learnsmart/extensions/attempt-id"
VIDEO_TIME = "https://w3id.org/xapi/video/extensions/time"
VIDEO_TIME_FROM = "https://w3id.org/xapi/video/extensions/time-from"
VIDEO_TIME_TO = "https://w3id.org/xapi/video/extensions/time-to"
FUTURE_TOLERANCE_S = 300
# Activity types (last segment, lowercased) that name a course offering or class.
CLASS_ACTIVITY_TYPES = (
    "course",
    "class",
    "course-section",
    "coursesection",
    "course-offering",
    "courseoffering",
    "section",
)
LINE_SUFFIXES = (".jsonl", ".ndjson")
DOCUMENT_SUFFIXES = (".json",)

_IRI = r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\s]+$"
_UUID = r"^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$"
_MBOX = r"^mailto:[^@\s]+@[^@\s]+$"
_SHA1 = r"^[0-9A-Fa-f]{40}$"
_TS = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}(:?\d{2})?)$"
_TS_ZONE = r"([Zz]|[+-]\d{2}(:?\d{2})?)$"
_NUM = r"(\d+(?:\.\d+)?)"
_DURATION = (
    rf"^P(?:{_NUM}Y)?(?:{_NUM}M)?(?:{_NUM}W)?(?:{_NUM}D)?"
    rf"(?:T(?:{_NUM}H)?(?:{_NUM}M)?(?:{_NUM}S)?)?$"
)
_NUMERIC = "('BIGINT', 'UBIGINT', 'DOUBLE', 'HUGEINT')"

# (column, JSON path) read with json_extract_string: one JSON parse per record for all of them.
_VALUES: tuple[tuple[str, str], ...] = (
    ("id", "$.id"),
    ("actor_type", "$.actor.objectType"),
    ("mbox", "$.actor.mbox"),
    ("sha1", "$.actor.mbox_sha1sum"),
    ("openid", "$.actor.openid"),
    ("home", "$.actor.account.homePage"),
    ("acct", "$.actor.account.name"),
    ("verb_id", "$.verb.id"),
    ("obj_type", "$.object.objectType"),
    ("obj_id", "$.object.id"),
    ("def_type", "$.object.definition.type"),
    ("ts", "$.timestamp"),
    ("stored", "$.stored"),
    ("scaled", "$.result.score.scaled"),
    ("raw_score", "$.result.score.raw"),
    ("min_score", "$.result.score.min"),
    ("max_score", "$.result.score.max"),
    ("success", "$.result.success"),
    ("completion", "$.result.completion"),
    ("response", "$.result.response"),
    ("duration", "$.result.duration"),
    ("registration", "$.context.registration"),
    ("version", "$.version"),
    ("attempt_ext", f'$.context.extensions."{ATTEMPT_EXTENSION}"'),
    ("vt", f'$.result.extensions."{VIDEO_TIME}"'),
    ("vtf", f'$.result.extensions."{VIDEO_TIME_FROM}"'),
    ("vtt", f'$.result.extensions."{VIDEO_TIME_TO}"'),
)
# (column, JSON path) read with json_type: the JSON type of each part (NULL when absent).
_TYPES: tuple[tuple[str, str], ...] = (
    ("t_root", "$"),
    ("t_id", "$.id"),
    ("t_actor", "$.actor"),
    ("t_mbox", "$.actor.mbox"),
    ("t_sha1", "$.actor.mbox_sha1sum"),
    ("t_openid", "$.actor.openid"),
    ("t_account", "$.actor.account"),
    ("t_home", "$.actor.account.homePage"),
    ("t_acct", "$.actor.account.name"),
    ("t_member", "$.actor.member"),
    ("t_verb", "$.verb"),
    ("t_verb_id", "$.verb.id"),
    ("t_object", "$.object"),
    ("t_obj_type", "$.object.objectType"),
    ("t_obj_id", "$.object.id"),
    ("t_sub_actor", "$.object.actor"),
    ("t_sub_verb", "$.object.verb"),
    ("t_sub_object", "$.object.object"),
    ("t_ts", "$.timestamp"),
    ("t_stored", "$.stored"),
    ("t_version", "$.version"),
    ("t_result", "$.result"),
    ("t_score", "$.result.score"),
    ("t_scaled", "$.result.score.scaled"),
    ("t_raw", "$.result.score.raw"),
    ("t_min", "$.result.score.min"),
    ("t_max", "$.result.score.max"),
    ("t_success", "$.result.success"),
    ("t_completion", "$.result.completion"),
    ("t_response", "$.result.response"),
    ("t_duration", "$.result.duration"),
    ("t_rext", "$.result.extensions"),
    ("t_context", "$.context"),
    ("t_registration", "$.context.registration"),
    ("t_ca", "$.context.contextActivities"),
    ("t_cext", "$.context.extensions"),
)
_RAW: tuple[tuple[str, str], ...] = (
    ("ca", "$.context.contextActivities"),
    ("cext", "$.context.extensions"),
    ("rext", "$.result.extensions"),
)


# Tier 1: one typed parse per record (json_transform), from which the columns the rules read are
# derived. json_transform turns a wrong-typed container into a struct of NULLs, so an optional
# container with none of the keys read here is "uncertain" and goes to tier 2; only the keys the
# mapping needs are read, since serialising unused sub-objects costs more than the parse.
_J = "JSON"
# Leaves whose JSON type a rule checks and that a wrong type could pass as text (a string
# "true" for a boolean, "0.5" for a number, 5 for a string) are read as JSON tokens; other leaves
# as text, where any non-string value fails the leaf's own pattern (IRI, UUID, date-time, ...).
_V = "VARCHAR"
_SCHEMA: dict[str, Any] = {
    "id": _V,
    "version": _J,
    "timestamp": _V,
    "stored": _V,
    "actor": {
        "objectType": _V,
        "mbox": _V,
        "mbox_sha1sum": _J,
        "openid": _V,
        "account": {"homePage": _V, "name": _J},
        "member": _J,
        "name": _J,
    },
    "verb": {"id": _V},
    "object": {
        "objectType": _V,
        "id": _V,
        "definition": {"type": _V},
        "actor": _J,
        "verb": _J,
        "object": _J,
        "name": _J,
        "mbox": _J,
        "account": _J,
    },
    "result": {
        "score": {"scaled": _J, "raw": _J, "min": _J, "max": _J},
        "success": _J,
        "completion": _J,
        "response": _J,
        "duration": _V,
        "extensions": _J,
    },
    "context": {
        "registration": _V,
        "contextActivities": _J,
        "extensions": _J,
    },
}
# Containers whose wrong type must not pass for "absent": a non-NULL struct with only NULLs.
_UNCERTAIN = ("result", "result.score", "context", "object.definition")
_CONTAINERS = {
    "$": "s",
    **{
        f"$.{c}": f"s.{c}"
        for c in ("actor", "actor.account", "verb", "object", "result", "result.score", "context")
    },
}


def _token(path: str) -> str:
    """SQL: the JSON token of a tier-1 path (``$.a.b`` -> ``s.a.b``), NULL when absent."""
    if '"' in path:  # extension keys: read from the extensions object's token
        base, key = path.split('."', 1)
        return f"json_extract({_token(base)}, {_q('$.' + chr(34) + key)})"
    return "s" + "".join(f'."{k}"' for k in path[2:].split(".")) if path != "$" else "s"


def _leaf_kind(path: str) -> str:
    """Tier-1 type of a path's leaf: JSON (a token) or VARCHAR (text)."""
    if '"' in path:
        return _J
    node: Any = _SCHEMA
    for k in path[2:].split("."):
        node = node[k]
    return node if isinstance(node, str) else _J


def _tier1_columns() -> str:
    """SQL select list: every value and type column the rules use, from tier-1 tokens."""
    cols = []
    for name, path in _VALUES:
        if _leaf_kind(path) == _V:
            cols.append(f"{_token(path)} AS {name}")
        else:
            cols.append(f"js({_token(path)}) AS {name}")
    for name, path in _TYPES:
        if path in _CONTAINERS:
            cols.append(f"CASE WHEN {_CONTAINERS[path]} IS NOT NULL THEN 'OBJECT' END AS {name}")
        elif _leaf_kind(path) == _V:
            cols.append(f"CASE WHEN {_token(path)} IS NOT NULL THEN 'VARCHAR' END AS {name}")
        else:
            cols.append(f"jt({_token(path)}) AS {name}")
    for name, path in _RAW:
        cols.append(f"{_token(path)}::VARCHAR AS {name}")
    checks = []
    for c in _UNCERTAIN:
        struct = f"s.{c}"
        fields = _SCHEMA
        for k in c.split("."):
            fields = fields[k]
        leaves = " AND ".join(f'{struct}."{k}" IS NULL' for k in fields)
        checks.append(f"({struct} IS NOT NULL AND {leaves})")
    cols.append(f"({' OR '.join(checks)}) AS uncertain")
    return ",\n                ".join(cols)


_MACROS = r"""
CREATE OR REPLACE TEMP MACRO jt(x) AS CASE WHEN x IS NULL THEN NULL ELSE CASE left(x::VARCHAR, 1)
    WHEN '"' THEN 'VARCHAR' WHEN '{' THEN 'OBJECT' WHEN '[' THEN 'ARRAY'
    WHEN 't' THEN 'BOOLEAN' WHEN 'f' THEN 'BOOLEAN' WHEN 'n' THEN 'NULL'
    ELSE 'DOUBLE' END END;
CREATE OR REPLACE TEMP MACRO js(x) AS CASE
    WHEN x IS NULL OR x::VARCHAR = 'null' THEN NULL
    WHEN left(x::VARCHAR, 1) <> '"' THEN x::VARCHAR
    WHEN contains(x::VARCHAR, '\') THEN json_extract_string(x, '$')
    ELSE (x::VARCHAR)[2:-2] END;
"""


def _q(s: str) -> str:
    """SQL string literal."""
    return "'" + s.replace("'", "''") + "'"


def _paths(items: tuple[tuple[str, str], ...]) -> str:
    return "[" + ", ".join(_q(p) for _, p in items) + "]"


def _is_uuid(expr: str) -> str:
    """SQL: ``expr`` is a UUID in its 8-4-4-4-12 hex form (DuckDB's parser, length-pinned)."""
    return f"(length({expr}) = 36 AND TRY_CAST({expr} AS UUID) IS NOT NULL)"


def _present(t: str) -> str:
    return f"({t} IS NOT NULL AND {t} <> 'NULL')"


def _ts_checks(value: str, type_col: str, label: str) -> list[tuple[str, str, str]]:
    """Checks of one optional timestamp field: (condition, reason code, reason SQL)."""
    return [
        (
            f"{_present(type_col)} AND ({type_col} <> 'VARCHAR' "
            f"OR NOT regexp_full_match({value}, {_q(_TS)}))",
            Reason.INVALID_TIMESTAMP,
            f"'{label} is not an ISO 8601 date-time with a zone offset: ' || left({value}, 60)",
        ),
        (
            f"{_present(type_col)} AND {value} LIKE '%-00:00'",
            Reason.INVALID_TIMESTAMP,
            f"'{label} uses the offset -00:00, which xAPI forbids'",
        ),
        (
            f"{_present(type_col)} AND {value}_parsed IS NULL",
            Reason.INVALID_TIMESTAMP,
            f"'{label} is not a valid date-time: ' || left({value}, 60)",
        ),
    ]


def _checks(now_sql: str) -> list[tuple[str, str, str]]:
    """Per-statement validation rules in order: (condition, reason code, reason SQL)."""
    iri = _q(_IRI)
    has_mbox, has_sha1 = _present("t_mbox"), _present("t_sha1")
    has_openid, has_account = _present("t_openid"), _present("t_account")
    n_ifi = f"({has_mbox}::INT + {has_sha1}::INT + {has_openid}::INT + {has_account}::INT)"
    activity = "(t_obj_type IS NULL OR obj_type = 'Activity')"
    rules: list[tuple[str, str, str]] = [
        ("t_root <> 'OBJECT'", Reason.SPEC_VIOLATION, "'a statement must be a JSON object'"),
        (f"NOT {_present('t_actor')}", Reason.MISSING_FIELD, "'actor is required'"),
        (f"NOT {_present('t_verb')}", Reason.MISSING_FIELD, "'verb is required'"),
        (f"NOT {_present('t_object')}", Reason.MISSING_FIELD, "'object is required'"),
        ("t_actor <> 'OBJECT'", Reason.SPEC_VIOLATION, "'actor must be an object'"),
        (
            "t_actor_type_bad",
            Reason.SPEC_VIOLATION,
            "'actor.objectType must be Agent or Group'",
        ),
        (
            f"actor_type = 'Group' AND {n_ifi} = 0 AND (t_member IS NULL OR t_member <> 'ARRAY')",
            Reason.SPEC_VIOLATION,
            "'an anonymous Group needs a member array'",
        ),
        (
            f"{n_ifi} > 1 OR ((actor_type IS NULL OR actor_type = 'Agent') AND {n_ifi} = 0)",
            Reason.SPEC_VIOLATION,
            f"'an Agent or identified Group needs exactly one inverse functional identifier, "
            f"found ' || {n_ifi}",
        ),
        (
            f"{has_mbox} AND (t_mbox <> 'VARCHAR' OR NOT regexp_full_match(mbox, {_q(_MBOX)}))",
            Reason.SPEC_VIOLATION,
            "'actor.mbox must be a mailto: IRI'",
        ),
        (
            f"{has_sha1} AND (t_sha1 <> 'VARCHAR' OR NOT regexp_full_match(sha1, {_q(_SHA1)}))",
            Reason.SPEC_VIOLATION,
            "'actor.mbox_sha1sum must be 40 hex digits'",
        ),
        (
            f"{has_openid} AND (t_openid <> 'VARCHAR' OR NOT regexp_full_match(openid, {iri}))",
            Reason.SPEC_VIOLATION,
            "'actor.openid must be a URI'",
        ),
        (
            f"{has_account} AND t_account <> 'OBJECT'",
            Reason.SPEC_VIOLATION,
            "'actor.account must be an object'",
        ),
        (
            f"{has_account} AND (NOT {_present('t_home')} OR NOT {_present('t_acct')})",
            Reason.MISSING_FIELD,
            "'actor.account needs homePage and name'",
        ),
        (
            f"{has_account} AND (t_home <> 'VARCHAR' OR NOT regexp_full_match(home, {iri}) "
            "OR t_acct <> 'VARCHAR')",
            Reason.SPEC_VIOLATION,
            "'actor.account.homePage must be an IRL and name a string'",
        ),
        ("t_verb <> 'OBJECT'", Reason.SPEC_VIOLATION, "'verb must be an object'"),
        (f"NOT {_present('t_verb_id')}", Reason.MISSING_FIELD, "'verb.id is required'"),
        (
            f"t_verb_id <> 'VARCHAR' OR NOT regexp_full_match(verb_id, {iri})",
            Reason.SPEC_VIOLATION,
            "'verb.id must be an IRI: ' || left(verb_id, 80)",
        ),
        ("t_object <> 'OBJECT'", Reason.SPEC_VIOLATION, "'object must be an object'"),
        (
            f"{_present('t_obj_type')} AND (t_obj_type <> 'VARCHAR' OR obj_type NOT IN "
            "('Activity', 'Agent', 'Group', 'SubStatement', 'StatementRef'))",
            Reason.SPEC_VIOLATION,
            "'object.objectType ' || left(obj_type, 40) || ' is not an xAPI object type'",
        ),
        (
            f"({activity} OR obj_type = 'StatementRef') AND NOT {_present('t_obj_id')}",
            Reason.MISSING_FIELD,
            "'object.id is required'",
        ),
        (
            f"{activity} AND (t_obj_id <> 'VARCHAR' OR NOT regexp_full_match(obj_id, {iri}))",
            Reason.SPEC_VIOLATION,
            "'object.id of an Activity must be an IRI: ' || left(obj_id, 80)",
        ),
        (
            f"obj_type = 'StatementRef' AND (t_obj_id <> 'VARCHAR' OR NOT {_is_uuid('obj_id')})",
            Reason.SPEC_VIOLATION,
            "'object.id of a StatementRef must be a UUID'",
        ),
        (
            "obj_type = 'SubStatement' AND (t_sub_actor IS NULL OR t_sub_verb IS NULL "
            "OR t_sub_object IS NULL)",
            Reason.SPEC_VIOLATION,
            "'a SubStatement needs actor, verb and object'",
        ),
        (
            f"{_present('t_id')} AND (t_id <> 'VARCHAR' OR NOT {_is_uuid('id')})",
            Reason.SPEC_VIOLATION,
            "'id must be a UUID: ' || left(id, 60)",
        ),
        (
            f"{_present('t_version')} AND (t_version <> 'VARCHAR' "
            "OR NOT regexp_full_match(version, '^1\\.0(\\.\\d+)?$'))",
            Reason.SPEC_VIOLATION,
            "'version must be 1.0.x'",
        ),
        (
            f"verb_id = {_q(VOIDED_VERB)} AND obj_type IS DISTINCT FROM 'StatementRef'",
            Reason.SPEC_VIOLATION,
            "'a voiding statement must have a StatementRef object'",
        ),
        *_ts_checks("ts", "t_ts", "timestamp"),
        (
            f"{_present('t_ts')} AND ts_parsed > {now_sql} + INTERVAL {FUTURE_TOLERANCE_S} SECOND",
            Reason.FUTURE_TIMESTAMP,
            "'timestamp ' || ts || ' is in the future of the load'",
        ),
        *_ts_checks("stored", "t_stored", "stored"),
        (
            f"{_present('t_result')} AND t_result <> 'OBJECT'",
            Reason.SPEC_VIOLATION,
            "'result must be an object'",
        ),
        (
            f"{_present('t_score')} AND t_score <> 'OBJECT'",
            Reason.SPEC_VIOLATION,
            "'result.score must be an object'",
        ),
        (
            f"({_present('t_scaled')} AND t_scaled NOT IN {_NUMERIC}) "
            f"OR ({_present('t_raw')} AND t_raw NOT IN {_NUMERIC}) "
            f"OR ({_present('t_min')} AND t_min NOT IN {_NUMERIC}) "
            f"OR ({_present('t_max')} AND t_max NOT IN {_NUMERIC})",
            Reason.SPEC_VIOLATION,
            "'result.score values must be numbers'",
        ),
        (
            "TRY_CAST(scaled AS DOUBLE) NOT BETWEEN -1 AND 1",
            Reason.SPEC_VIOLATION,
            "'result.score.scaled ' || scaled || ' is outside [-1, 1]'",
        ),
        (
            "TRY_CAST(min_score AS DOUBLE) >= TRY_CAST(max_score AS DOUBLE) "
            "OR TRY_CAST(raw_score AS DOUBLE) < TRY_CAST(min_score AS DOUBLE) "
            "OR TRY_CAST(raw_score AS DOUBLE) > TRY_CAST(max_score AS DOUBLE)",
            Reason.SPEC_VIOLATION,
            "'result.score needs min < max and min <= raw <= max'",
        ),
        (
            f"({_present('t_success')} AND t_success <> 'BOOLEAN') "
            f"OR ({_present('t_completion')} AND t_completion <> 'BOOLEAN')",
            Reason.SPEC_VIOLATION,
            "'result.success and result.completion must be booleans'",
        ),
        (
            f"{_present('t_response')} AND t_response <> 'VARCHAR'",
            Reason.SPEC_VIOLATION,
            "'result.response must be a string'",
        ),
        (
            f"{_present('t_duration')} AND (t_duration <> 'VARCHAR' OR duration IN ('P', 'PT') "
            f"OR duration LIKE '%T' OR NOT regexp_full_match(duration, {_q(_DURATION)}))",
            Reason.SPEC_VIOLATION,
            "'result.duration is not an ISO 8601 duration: ' || left(duration, 40)",
        ),
        (
            f"{_present('t_rext')} AND t_rext <> 'OBJECT'",
            Reason.SPEC_VIOLATION,
            "'result.extensions must be an object'",
        ),
        (
            f"{_present('t_context')} AND t_context <> 'OBJECT'",
            Reason.SPEC_VIOLATION,
            "'context must be an object'",
        ),
        (
            f"{_present('t_registration')} AND (t_registration <> 'VARCHAR' "
            f"OR NOT {_is_uuid('registration')})",
            Reason.SPEC_VIOLATION,
            "'context.registration must be a UUID'",
        ),
        (
            f"{_present('t_ca')} AND t_ca <> 'OBJECT'",
            Reason.SPEC_VIOLATION,
            "'context.contextActivities must be an object'",
        ),
        (
            f"{_present('t_cext')} AND t_cext <> 'OBJECT'",
            Reason.SPEC_VIOLATION,
            "'context.extensions must be an object'",
        ),
    ]
    return rules


def _rule_index(rules: list[tuple[str, str, str]]) -> str:
    """SQL: the 1-based index of the first rule a record breaks, NULL when it breaks none."""
    whens = " ".join(
        f"WHEN coalesce({cond}, false) THEN {i}" for i, (cond, _, _) in enumerate(rules, 1)
    )
    return f"CASE {whens} END"


def _precise_reasons(con: duckdb.DuckDBPyConnection, rules: list[tuple[str, str, str]]) -> None:
    """Tier 2: exact JSON types (json_type per path) for the suspect records of ``st``; table
    ``precise`` gets (_line, code, reason), NULL code for a record that is fine after all."""
    values = ", ".join(f"v[{i + 1}] AS {c}" for i, (c, _) in enumerate(_VALUES))
    types = ", ".join(f"t[{i + 1}] AS {c}" for i, (c, _) in enumerate(_TYPES))
    raws = ", ".join(f"r[{i + 1}] AS {c}" for i, (c, _) in enumerate(_RAW))
    codes = "[" + ", ".join(_q(str(code)) for _, code, _ in rules) + "]"
    reasons = " ".join(f"WHEN {i} THEN {msg}" for i, (_, _, msg) in enumerate(rules, 1))
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE precise AS
        WITH valid AS (
            SELECT _f, _line, text, json_valid(text) AS ok FROM src
            SEMI JOIN (SELECT _f, _line FROM st WHERE suspect) k USING (_f, _line)
        ), parsed AS (
            SELECT _f, _line, ok,
                CASE WHEN ok THEN json_extract_string(text, {_paths(_VALUES)}) END AS v,
                CASE WHEN ok THEN json_type(text, {_paths(_TYPES)}) END AS t,
                CASE WHEN ok THEN json_extract(text, {_paths(_RAW)}) END AS r
            FROM valid
        ), cols AS (
            SELECT _f, _line, ok, {values}, {types}, {raws},
                actor_type IS NOT NULL AND actor_type NOT IN ('Agent', 'Group')
                    AS t_actor_type_bad, TRY_CAST(ts AS TIMESTAMPTZ) AS ts_parsed,
                TRY_CAST(stored AS TIMESTAMPTZ) AS stored_parsed
            FROM parsed
        ), idx AS (
            SELECT *, CASE WHEN ok THEN {_rule_index(rules)} END AS rule FROM cols
        )
        SELECT _f, _line,
            CASE WHEN NOT ok THEN {_q(Reason.MALFORMED_JSON)} ELSE {codes}[rule] END AS code,
            CASE rule {reasons} END AS reason
        FROM idx
        """
    )


def _last_segment(expr: str) -> str:
    """SQL: the URL-decoded last path segment of an IRI (query and fragment dropped)."""
    seg = f"regexp_extract(regexp_replace({expr}, '[?#].*$', ''), '([^/]*)/*$', 1)"
    return f"coalesce(try(url_decode({seg})), {seg})"


def _name_segment(expr: str) -> str:
    """SQL: the last segment of a verb or type IRI, after '/' or '#'."""
    return f"regexp_extract({expr}, '([^/#]*)[/#]*$', 1)"


def _sha1_sql(text: str) -> str:
    """SQL: hex SHA-1 of STATEMENT_NAMESPACE's bytes followed by the minified JSON ``text``."""
    return f"sha1(unhex({_q(STATEMENT_NAMESPACE.hex)}) || encode(json({text})))"


def _uuid_from_sha1(h: str) -> str:
    """SQL: the version-5 UUID laid out from a hex SHA-1 (RFC 4122 section 4.3)."""
    return (
        f"substr({h}, 1, 8) || '-' || substr({h}, 9, 4) || '-5' || substr({h}, 14, 3) || '-' "
        f"|| substr('89ab89ab89ab89ab', strpos('0123456789abcdef', substr({h}, 17, 1)), 1) "
        f"|| substr({h}, 18, 3) || '-' || substr({h}, 21, 12)"
    )


def statement_uuid5(statement_text: str) -> str:
    """Python twin of the SQL id of a statement without ``id`` (for tests and tools)."""
    minified = json.dumps(json.loads(statement_text), separators=(",", ":"), ensure_ascii=False)
    return str(uuid.uuid5(STATEMENT_NAMESPACE, minified))


_DURATION_PARTS = ("y", "mo", "w", "d", "h", "mi", "s")
_DURATION_SECONDS = (365 * 86400, 30 * 86400, 7 * 86400, 86400, 3600, 60, 1)


def _duration_parts_sql(expr: str) -> str:
    """SQL: the struct of an ISO 8601 duration's components (empty strings when absent)."""
    names = ", ".join(_q(p) for p in _DURATION_PARTS)
    return f"regexp_extract({expr}, {_q(_DURATION)}, [{names}])"


def _duration_seconds_sql(struct: str) -> str:
    """SQL: seconds of a duration struct from ``_duration_parts_sql`` (NULL without one)."""
    return (
        f"CASE WHEN {struct} IS NOT NULL THEN "
        + " + ".join(
            f"coalesce(TRY_CAST(NULLIF({struct}.{p}, '') AS DOUBLE), 0) * {s}"
            for p, s in zip(_DURATION_PARTS, _DURATION_SECONDS, strict=True)
        )
        + " END"
    )


@dataclass
class _Records:
    """Records of one file: ``table`` (``_line``, ``text``) plus what reading rejected."""

    table: pa.Table
    rows_in: int
    quarantined: int


class XapiParser:
    """xAPI statements from ``landing/xapi/`` into learning_events and friends."""

    source: ClassVar[str] = SOURCE

    def discover(self, landing: Path) -> list[LoadUnit]:
        """One unit per file under ``landing/xapi/``."""
        return discover_files(landing, SOURCE)

    def parse(self, unit: LoadUnit, ctx: ParseContext) -> ParseResult:
        """Parse every file of the unit; bad statements go to quarantine, never raise."""
        result = ParseResult()
        silver_parts: dict[str, list[pa.Table]] = {}
        read: list[tuple[str, _Records]] = []
        for path in unit.files:
            name = unit.member_name(path)
            read.append((name, read_records(path, name, result.quarantine)))
        # Bronze is the raw records: the loader may write it while they are validated.
        result.bronze["statements"] = pa.concat_tables(
            [bronze_lines(records.table, name) for name, records in read]
        )
        ctx.offer_bronze(unit, result.bronze)
        for name, records in read:
            out = transform(records.table, name, ctx, result.quarantine)
            for table, rows in out.silver.items():
                silver_parts.setdefault(table, []).append(rows)
            rejected = int(out.rejected.sum())
            result.files.append(
                FileCount(
                    name,
                    records.rows_in,
                    records.rows_in - records.quarantined - rejected,
                    records.quarantined + rejected,
                )
            )
        result.silver = _finish_silver(ctx, silver_parts, [unit.load_id])
        return result

    def parse_batch(self, units: list[LoadUnit], ctx: ParseContext) -> list[ParseResult | None]:
        """Parse many units in one vectorised pass: their records are validated and mapped
        together, then split per file again (accounting, bronze, quarantine, ``_load_id``).

        Duplicate statement ids are quarantined within a file, as ``parse`` does; across files of
        the batch the first occurrence wins silently, as the insert-only merge of a later load
        would keep it. A unit that cannot be read (``UnsupportedFileError``) gets ``None``: the
        loader parses it on its own. The batch's silver rows all come with the first parsed
        unit's result, each row with its own ``_load_id``. Raises when DuckDB fails on the batch
        (the loader then parses unit by unit, where hostile records are isolated).
        """
        results: list[ParseResult | None] = []
        files: list[tuple[int, str, _Records]] = []
        for i, unit in enumerate(units):
            result = ParseResult()
            try:
                unit_files = [
                    (
                        i,
                        unit.member_name(p),
                        read_records(p, unit.member_name(p), result.quarantine),
                    )
                    for p in unit.files
                ]
            except UnsupportedFileError:
                results.append(None)
                continue
            files += unit_files
            results.append(result)
        bronze: dict[int, list[pa.Table]] = {}
        for i, name, rec in files:
            bronze.setdefault(i, []).append(bronze_lines(rec.table, name))
        for i, parts in bronze.items():
            results[i].bronze["statements"] = pa.concat_tables(parts)  # type: ignore[union-attr]
        for unit, result in zip(units, results, strict=True):
            if result is not None:
                ctx.offer_bronze(unit, result.bronze)
        names = [name for _, name, _ in files]
        qs = [results[i].quarantine for i, _, _ in files]  # type: ignore[union-attr]
        tables = [
            rec.table.append_column("_f", pa.array(np.full(rec.table.num_rows, f, np.int32)))
            for f, (_, _, rec) in enumerate(files)
        ]
        rejected = np.zeros(len(files), np.int64)
        silver_out: dict[str, pa.Table] = {}
        records = pa.concat_tables(tables) if tables else empty_records()
        if records.num_rows:
            con = _connect()
            try:
                _register_known(con, KnownIds.of(ctx))
                out = _transform_sql(con, records, names, ctx, qs)
            finally:
                con.close()
            rejected, silver_out = out.rejected, out.silver
        for f, (i, name, rec) in enumerate(files):
            bad = int(rejected[f])
            results[i].files.append(  # type: ignore[union-attr]
                FileCount(
                    name,
                    rec.rows_in,
                    rec.rows_in - rec.quarantined - bad,
                    rec.quarantined + bad,
                )
            )
        first = next((r for r in results if r is not None), None)
        if first is not None:
            load_ids = [units[i].load_id for i, _, _ in files]
            first.silver = _finish_silver(
                ctx, {t: [rows] for t, rows in silver_out.items()}, load_ids
            )
        return results

    def prefetch(self, units: list[LoadUnit]) -> None:
        """Start reading the files of ``units`` in the background, for their parse to take
        (``read_records``): the loader calls it while it waits for their digests, which it needs
        first. ``discard_prefetched`` drops what no parse took."""
        for unit in units:
            for path in unit.files:
                _PREFETCHED.start(path, unit.member_name(path))

    def discard_prefetched(self) -> None:
        """Drop the reads ``prefetch`` started that no parse took."""
        _PREFETCHED.discard()

    def map_inputs(self, ctx: ParseContext) -> KnownIds:
        """What ``map_unit`` needs from the lake, read once per batch in the driver."""
        return KnownIds.of(ctx)

    def map_unit(self, unit: LoadUnit, known: KnownIds, now: datetime) -> UnitMap:
        """The per-record half of a parse, for one unit on its own (a Spark task runs it):
        its records read, validated and mapped; bronze lines, quarantine and per-file counts
        final; the kept records (``kept``, ``_f`` = the file's index in the unit) waiting for
        ``reduce_units``. Raises ``UnsupportedFileError`` for a file this source cannot read."""
        q = QuarantineBuilder()
        names = [unit.member_name(p) for p in unit.files]
        records = [read_records(p, n, q) for p, n in zip(unit.files, names, strict=True)]
        tables = [
            rec.table.append_column("_f", pa.array(np.full(rec.table.num_rows, f, np.int32)))
            for f, rec in enumerate(records)
        ]
        rejected = np.zeros(len(names), np.int64)
        kept = pa.table({})
        batch = pa.concat_tables(tables) if tables else empty_records()
        if batch.num_rows:
            con = _connect()
            try:
                _register_known(con, known)
                rejects = _validate_sql(con, batch, now)
                kept = con.sql("SELECT * FROM kept_all").to_arrow_table()
                drop_kept(con)
            finally:
                con.close()
            rejected = _quarantine_rejects(rejects, names, [q] * len(names))
        counts = [
            FileCount(n, r.rows_in, r.rows_in - r.quarantined - int(bad), r.quarantined + int(bad))
            for n, r, bad in zip(names, records, rejected, strict=True)
        ]
        bronze = [bronze_lines(r.table, n) for n, r in zip(names, records, strict=True)]
        return UnitMap(
            bronze={"statements": pa.concat_tables(bronze)}
            if bronze
            else {"statements": bronze_lines(empty_records(), "")},
            quarantine=q,
            files=counts,
            kept=kept,
        )

    def reduce_units(
        self, units: list[LoadUnit], maps: list[UnitMap | None], ctx: ParseContext
    ) -> list[ParseResult | None]:
        """The batch-level half: silver rows (identity resolution, the first file's copy of a
        repeated statement, quiz attempts) made once from the kept records of every unit's
        ``map_unit``, as ``parse_batch`` makes them. A unit without a map gets ``None``."""
        results: list[ParseResult | None] = []
        kept: list[pa.Table] = []
        load_ids: list[str] = []
        for unit, m in zip(units, maps, strict=True):
            if m is None:
                results.append(None)
                continue
            result = m.result()
            if m.kept.num_rows:
                shift = pc.add(m.kept.column("_f"), pa.scalar(len(load_ids), pa.int32()))
                kept.append(m.kept.set_column(m.kept.column_names.index("_f"), "_f", shift))
            load_ids += [unit.load_id] * len(m.files)
            results.append(result)
        first = next((r for r in results if r is not None), None)
        if first is None or not kept:
            return results
        con = _connect()
        try:
            _register_known(con, KnownIds.of(ctx))
            con.register("kept_maps", pa.concat_tables(kept))
            con.execute("CREATE OR REPLACE TEMP TABLE kept_all AS SELECT * FROM kept_maps")
            con.unregister("kept_maps")
            silver_out = _silver_tables(con, ctx, multi=len(load_ids) > 1)
            drop_kept(con)
        finally:
            con.close()
        first.silver = _finish_silver(ctx, {t: [rows] for t, rows in silver_out.items()}, load_ids)
        return results


def _finish_silver(
    ctx: ParseContext, parts: dict[str, list[pa.Table]], load_ids: list[str]
) -> dict[str, pa.Table]:
    """Silver rows from ``_transform_sql`` outputs: ``_f`` (file index) becomes ``_load_id``
    (``load_ids[_f]``), and the quiz attempts of the item responses are derived."""
    out = {t: pa.concat_tables(p, promote_options="permissive") for t, p in parts.items()}
    if "item_responses" in out:
        out["quiz_attempts"] = derive_quiz_attempts(ctx, out["item_responses"])
        out["item_responses"] = out["item_responses"].drop_columns(["_max_score"])
    ids = pa.array(load_ids, pa.string())
    for table, rows in out.items():
        if "_f" in rows.column_names:
            load_id = ids.take(rows.column("_f").cast(pa.int32()))
            out[table] = rows.drop_columns(["_f"]).append_column(LOAD_ID, load_id)
    return out


def _document_suffix(name: str) -> str:
    lower = name.lower()
    if lower.endswith(".gz"):
        lower = lower[:-3]
    return Path(lower).suffix


def read_records(path: Path, name: str, q: QuarantineBuilder) -> _Records:
    """The statements of one file as numbered JSON texts; unreadable ones are quarantined.
    A file read ahead (``prefetch``) and unchanged since is taken from there.

    Raises ``UnsupportedFileError`` for a suffix that is not JSON lines or JSON, or a corrupt gzip.
    """
    ahead = _PREFETCHED.take(path, name)
    if ahead is not None:
        records, found = ahead
        q.absorb(found)
        return records
    return _read_records(path, name, q)


def _read_records(path: Path, name: str, q: QuarantineBuilder) -> _Records:
    suffix = _document_suffix(name)
    if suffix not in LINE_SUFFIXES + DOCUMENT_SUFFIXES:
        raise UnsupportedFileError(
            f"{name}: xAPI files are .jsonl/.ndjson (JSON lines) or .json, optionally .gz"
        )
    try:
        if suffix in LINE_SUFFIXES:
            lines = read_lines_fast(path, name, q)
            return _Records(lines.table, lines.rows_in, lines.quarantined)
        return _read_document(path, name, q)
    except FileReadError as exc:
        raise UnsupportedFileError(f"{name}: {exc}") from exc


def _signature(path: Path) -> tuple[int, int]:
    st = path.stat()
    return st.st_size, st.st_mtime_ns


class _Prefetched:
    """Files being read ahead of their parse, each in its own thread, with what its reading
    quarantined; ``take`` hands a file's read over once, if the file is unchanged since."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._reads: dict[tuple[Path, str], tuple[tuple[int, int], Future[Any]]] = {}

    def start(self, path: Path, name: str) -> None:
        key = (path, name)
        with self._lock:
            if key in self._reads:
                return
            done: Future[Any] = Future()
            self._reads[key] = (_signature(path), done)

        def run() -> None:
            q = QuarantineBuilder()
            try:
                done.set_result((_read_records(path, name, q), q))
            except BaseException as exc:  # handed to ``take``, which reads the file itself
                done.set_exception(exc)

        threading.Thread(target=run, name="learnsmart-xapi-prefetch", daemon=True).start()

    def take(self, path: Path, name: str) -> tuple[_Records, QuarantineBuilder] | None:
        with self._lock:
            entry = self._reads.pop((path, name), None)
        if entry is None:
            return None
        signature, done = entry
        try:
            result: tuple[_Records, QuarantineBuilder] = done.result()
        except Exception:  # the parse reads the file again and meets the error itself
            return None
        try:
            unchanged = _signature(path) == signature
        except OSError:
            return None
        return result if unchanged else None

    def discard(self) -> None:
        """Forget every read not taken (a unit that turned out to be loaded already)."""
        with self._lock:
            self._reads.clear()


_PREFETCHED = _Prefetched()


def _read_document(path: Path, name: str, q: QuarantineBuilder) -> _Records:
    """A ``.json`` file: array, LRS result, one statement, or (tolerated) JSON lines."""
    data = read_bytes(path)
    if not data.strip():
        return _Records(empty_records(), 0, 0)
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        q.add(name, 1, Reason.BAD_ENCODING, f"not UTF-8: {exc.reason} at byte {exc.start}", data)
        return _Records(empty_records(), 1, 1)
    try:
        doc: Any = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        if _looks_like_json_lines(data):
            lines = read_lines_fast(path, name, q)
            return _Records(lines.table, lines.rows_in, lines.quarantined)
        try:  # the standard library also reads integers beyond 64 bits
            doc = json.loads(data)
        except (ValueError, RecursionError):
            q.add(name, 1, Reason.MALFORMED_JSON, f"not a JSON document: {exc}", data)
            return _Records(empty_records(), 1, 1)
    if isinstance(doc, dict) and "statements" in doc and "actor" not in doc:
        doc = doc["statements"]
        if not isinstance(doc, list):
            q.add(name, 1, Reason.SPEC_VIOLATION, "statements must be an array", data)
            return _Records(empty_records(), 1, 1)
    items = doc if isinstance(doc, list) else [doc]
    texts = [_dump(item) for item in items]
    table = pa.table(
        {
            "_line": pa.array(np.arange(1, len(texts) + 1, dtype=np.int64)),
            "text": pa.array(texts, pa.string()),
        }
    )
    return _Records(table, len(texts), 0)


def _dump(item: object) -> str:
    try:
        return orjson.dumps(item).decode()
    except TypeError:  # an integer beyond 64 bits, read by the standard library
        return json.dumps(item, separators=(",", ":"), ensure_ascii=False)


def _looks_like_json_lines(data: bytes) -> bool:
    """True when the first non-blank line is a JSON object on its own."""
    for line in data.split(b"\n", 64)[:64]:
        if line.strip():
            try:
                return isinstance(orjson.loads(line), dict)
            except orjson.JSONDecodeError:
                return False
    return False


@dataclass
class _Transformed:
    silver: dict[str, pa.Table]  # rows carry ``_f``, the index of their file
    rejected: np.ndarray  # rejected records per file


def _connect() -> duckdb.DuckDBPyConnection:
    con = duckdb_cursor()
    con.execute(_MACROS)  # TEMP macros: private to this cursor
    return con


def transform(
    records: pa.Table, name: str, ctx: ParseContext, q: QuarantineBuilder
) -> _Transformed:
    """Validate and map one file's records; rejected ones are added to ``q``.

    The whole file goes through DuckDB at once. Should DuckDB itself fail on some hostile record
    (it should not), the file is split in halves until the failing records are isolated, and
    those are quarantined as ``malformed_json``.
    """
    if records.num_rows == 0:
        return _Transformed({}, np.zeros(1, np.int64))
    records = records.append_column("_f", pa.array(np.zeros(records.num_rows, np.int32)))
    con = _connect()
    try:
        _register_known(con, KnownIds.of(ctx))
        try:
            return _transform_sql(con, records, [name], ctx, [q])
        except duckdb.Error:
            pass
        results = []
        rejected = np.zeros(1, np.int64)
        for part in _isolate(con, records, name, ctx, q):
            if isinstance(part, _Transformed):
                results.append(part)
            else:
                rejected += part
        silver_out: dict[str, list[pa.Table]] = {}
        for r in results:
            rejected += r.rejected
            for k, v in r.silver.items():
                silver_out.setdefault(k, []).append(v)
        return _Transformed(
            {k: pa.concat_tables(v, promote_options="permissive") for k, v in silver_out.items()},
            rejected,
        )
    finally:
        con.close()


def _isolate(
    con: duckdb.DuckDBPyConnection,
    records: pa.Table,
    name: str,
    ctx: ParseContext,
    q: QuarantineBuilder,
) -> list[_Transformed | int]:
    """Bisect a batch DuckDB could not process; single failing records are quarantined.

    Duplicates across the halves are not detected in this (exceptional) path.
    """
    out: list[_Transformed | int] = []
    stack = [records]
    while stack:
        batch = stack.pop()
        try:
            out.append(_transform_sql(con, batch, [name], ctx, [q]))
        except duckdb.Error as exc:
            if batch.num_rows == 1:
                q.add(
                    name,
                    batch.column("_line")[0].as_py(),
                    Reason.MALFORMED_JSON,
                    f"record could not be processed: {str(exc)[:200]}",
                    batch.column("text")[0].as_py(),
                )
                out.append(1)
            else:
                half = batch.num_rows // 2
                stack.extend([batch.slice(half), batch.slice(0, half)])
    return out


@dataclass(frozen=True)
class KnownIds:
    """The lake's ids a statement is checked and mapped against: class ids, and content ids
    (questions are content too: an answered statement's object is an item of an item bank)."""

    classes: tuple[str, ...]
    content: tuple[str, ...]

    @classmethod
    def of(cls, ctx: ParseContext) -> KnownIds:
        """The ids known to ``ctx`` (stored and pending silver rows)."""
        return cls(
            tuple(sorted(ctx.known_ids("classes", "class_id"))),
            tuple(
                sorted(
                    ctx.known_ids("content_items", "content_id") | ctx.known_ids("items", "item_id")
                )
            ),
        )


def _register_known(con: duckdb.DuckDBPyConnection, known: KnownIds) -> None:
    con.register("known_classes", pa.table({"class_id": pa.array(known.classes, pa.string())}))
    con.register("known_content", pa.table({"content_id": pa.array(known.content, pa.string())}))


def _transform_sql(
    con: duckdb.DuckDBPyConnection,
    records: pa.Table,
    names: list[str],
    ctx: ParseContext,
    qs: list[QuarantineBuilder],
) -> _Transformed:
    """Validate and map the records of one or more files (``_f``: index into ``names`` and
    ``qs``; ``_line``; ``text``), in chunks of ``CHUNK_LINES`` records. Duplicate statement ids
    are looked for within each file, across chunks too; silver rows carry ``_f``, and a
    statement id kept in several files is kept once, from the first file (as the insert-only
    merge would keep it)."""
    rejects = _validate_sql(con, records, ctx.now)
    # Silver first: should it fail, nothing of this batch has reached the quarantine yet.
    silver_out = _silver_tables(con, ctx, multi=len(names) > 1)
    drop_kept(con)
    rejected = _quarantine_rejects(rejects, names, qs)
    return _Transformed(silver_out, rejected)


def _validate_sql(
    con: duckdb.DuckDBPyConnection, records: pa.Table, now: datetime
) -> list[pa.Table]:
    """The per-record half of ``_transform_sql``: validate and map ``records`` (``_f``,
    ``_line``, ``text``), leaving the kept ones in the temp view ``kept_all``; returns the
    rejected ones (``_chunk_rejects`` tables). Needs ``known_classes`` and ``known_content``
    registered on ``con``. What it decides for a record depends only on that record, the
    earlier records of its own file (duplicates) and the known ids, so files may be validated
    apart (the Spark engine does it in its tasks) and their kept rows joined afterwards."""
    now_sql = f"TIMESTAMPTZ {_q(now.isoformat())}"
    rules = _checks(now_sql)
    schema = _q(json.dumps(_SCHEMA))
    # Records go through the SQL stages CHUNK_LINES at a time (in (file, line) order), which
    # bounds the working set on big files. ``seen`` holds the (file, statement id, line) of every
    # record kept by an earlier chunk, so a repeat in a later chunk is a duplicate as within one;
    # the kept records of all chunks gather in ``kept_all``, from which silver rows (identity
    # resolution included) are made once.
    drop_kept(con)
    con.execute("CREATE OR REPLACE TEMP TABLE seen (_f INTEGER, event_id VARCHAR, _line BIGINT)")
    rejects: list[pa.Table] = []
    step = max(int(CHUNK_LINES), 1)
    chunks = range(0, max(records.num_rows, 1), step)
    for k, start in enumerate(chunks):
        part = records.slice(start, step)
        con.register("src", part)
        # Stage 1: tier 1 on every record: the mapped fields, and whether the record is suspect
        # (breaks a rule or has an ambiguous container). Tier 2 (``_precise_reasons``) then
        # decides each suspect record exactly; a clean record's tier-1 fields are exact.
        # json_transform runs only on valid JSON (try() would double its cost); should it still
        # fail, try() it is.
        fast = xapi_native.scan(part, now + timedelta(seconds=FUTURE_TOLERANCE_S))
        native, rest, rest_rows = fast is not None, "src", part.num_rows
        if fast is not None:
            # The native scanner decides the certainly clean records; the rest go through SQL.
            _stage1_native(con, now_sql, k, fast)
            undecided = part.filter(pc.invert(fast.column("ok")))
            con.register("src_rest", undecided)
            rest, rest_rows = "src_rest", undecided.num_rows
            del fast  # the chunk's view holds it (``drop_kept`` lets go)
        if not native or rest_rows:
            try:
                _stage1(
                    con,
                    rules,
                    now_sql,
                    f"CASE WHEN json_valid(text) THEN json_transform(text, {schema}) END",
                    rest,
                    k,
                )
            except duckdb.Error:
                _stage1(con, rules, now_sql, f"try(json_transform(text, {schema}))", rest, k)
        con.execute(f"CREATE OR REPLACE TEMP VIEW st AS SELECT * FROM {_ST}{k}")
        _precise_reasons(con, rules)
        _stages23(con, first=k == 0)
        _stage4(con, k)
        rejects.append(_chunk_rejects(con, part))
        con.execute("DROP VIEW st")
        con.unregister("src_rest")
        con.unregister("src")
    # A view, not a copy: each chunk's rows stay where stage 1 left them (the native scanner's
    # columns, ``st_sql_<k>``), less the rejected ones, with their class and content.
    kept = " UNION ALL ".join(
        f"SELECT * FROM {_ST}{k} ANTI JOIN {_REJ}{k} USING (_f, _line)" for k in range(len(chunks))
    )
    con.execute(
        f"""
        CREATE TEMP VIEW kept_all AS
        SELECT st.* EXCLUDE (ca), c.class_id AS ctx_class_id, c.has_class_like, c.ca_error,
            c.quiz_iri, c.quiz_id, o.content_id, o.object_class_id, NULL::VARCHAR AS code2,
            NULL::VARCHAR AS reason2
        FROM ({kept}) st
        LEFT JOIN ctx_all c ON c.ca = st.ca
        LEFT JOIN objs_all o ON o.activity_id = st.activity_id
        """
    )
    for table in ("precise", "seen", "verdicts"):
        con.execute(f"DROP TABLE IF EXISTS {table}")
    return rejects


def _drop_view_or_table(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Drop the temporary view or table ``name``, if there is one (DuckDB's ``DROP VIEW IF
    EXISTS`` fails on a table of that name, and ``DROP TABLE`` on a view)."""
    views = con.execute(
        "SELECT count(*) FROM duckdb_views() WHERE view_name = ? AND temporary", [name]
    ).fetchone()[0]
    con.execute(f"DROP {'VIEW' if views else 'TABLE'} IF EXISTS {name}")


# Per chunk k of ``_validate_sql``: the view ``st_<k>`` over stage 1's rows (the native
# scanner's, registered as ``fast_<k>``, under ``st_native_<k>``; the SQL path's, in the table
# ``st_sql_<k>``) and the table ``rej_<k>`` of the rejected ones' (_f, _line).
_ST = "st_"
_REJ = "rej_"
_FAST = "fast_"


def drop_kept(con: duckdb.DuckDBPyConnection) -> None:
    """Drop ``kept_all`` (the view ``_validate_sql`` leaves over its chunks, or a table) and
    what it reads: each chunk's views and tables, the native scanner's columns (whose buffers
    go back to it, and are then freed), and the class and content of the records."""
    _drop_view_or_table(con, "kept_all")
    views = [
        name
        for (name,) in con.execute(
            "SELECT view_name FROM duckdb_views() WHERE temporary AND NOT internal"
        ).fetchall()
    ]
    for name in views:
        if name.startswith(_ST):  # st_<k> and st_native_<k>
            con.execute(f"DROP VIEW {name}")
    for name in views:
        if name.startswith(_FAST):
            con.unregister(name)
    for (name,) in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE temporary AND "
        f"(starts_with(table_name, 'st_sql_') OR starts_with(table_name, '{_REJ}'))"
    ).fetchall():
        con.execute(f"DROP TABLE {name}")
    for table in ("ctx_all", "objs_all"):
        con.execute(f"DROP TABLE IF EXISTS {table}")
    xapi_native.release_buffers()


def _stage1(
    con: duckdb.DuckDBPyConnection,
    rules: list[tuple[str, str, str]],
    now_sql: str,
    parse: str,
    source: str,
    k: int,
) -> None:
    """Stage 1 in SQL over the records of chunk ``k`` in ``source``: into the table
    ``st_sql_<k>``, which it creates (under the view ``st_<k>``) when ``source`` holds them all
    (``src``), or which ``_stage1_native`` made when it holds what the native scanner left
    (``src_rest``)."""
    if source == "src":
        into = f"CREATE OR REPLACE TEMP TABLE st_sql_{k} AS"
    else:
        into = f"INSERT INTO st_sql_{k} BY NAME"
    con.execute(
        f"""
        {into}
        WITH parsed AS (
            SELECT _f, _line, s,
                CASE WHEN s IS NOT NULL AND s.id IS NULL THEN {_sha1_sql("text")} END AS h
            FROM (SELECT _f, _line, text, {parse} AS s FROM {source})
        ), cols AS (
            SELECT _f, _line, h, s IS NULL AS unparsed, {_tier1_columns()}
            FROM parsed
        ), flagged AS (
            SELECT *, actor_type IS NOT NULL AND actor_type NOT IN ('Agent', 'Group')
                AS t_actor_type_bad, TRY_CAST(ts AS TIMESTAMPTZ) AS ts_parsed,
                TRY_CAST(stored AS TIMESTAMPTZ) AS stored_parsed
            FROM cols
        ), derived AS (
            SELECT *,
                unparsed OR coalesce(uncertain, false) OR ({_rule_index(rules)}) IS NOT NULL
                    AS suspect,
                CASE WHEN t_duration = 'VARCHAR' THEN {_duration_parts_sql("duration")} END
                    AS dur
            FROM flagged
        )
        SELECT _f, _line, suspect,
            CASE WHEN id IS NOT NULL THEN lower(id) ELSE {_uuid_from_sha1("h")} END AS event_id,
            coalesce(ts_parsed, stored_parsed, {now_sql}) AS occurred_at,
            verb_id, {_name_segment("verb_id")} AS verb,
            CASE WHEN obj_type IS NULL OR obj_type = 'Activity' THEN obj_id END AS activity_id,
            obj_type, lower(obj_id) AS ref_id,
            coalesce(NULLIF({_name_segment("def_type")}, ''),
                CASE WHEN obj_type <> 'Activity' THEN lower(obj_type) END) AS object_type,
            CASE WHEN actor_type = 'Group' THEN NULL
                WHEN t_account = 'OBJECT' THEN 'account'
                WHEN t_mbox = 'VARCHAR' THEN 'email'
                WHEN t_sha1 = 'VARCHAR' THEN 'mbox_sha1sum'
                WHEN t_openid = 'VARCHAR' THEN 'openid' END AS id_kind,
            CASE WHEN actor_type = 'Group' THEN NULL
                WHEN t_account = 'OBJECT' THEN acct
                WHEN t_mbox = 'VARCHAR' THEN lower(substr(mbox, 8))
                WHEN t_sha1 = 'VARCHAR' THEN lower(sha1)
                WHEN t_openid = 'VARCHAR' THEN openid END AS id_value,
            {_duration_seconds_sql("dur")} AS duration_s,
            TRY_CAST(scaled AS DOUBLE) AS score_scaled,
            TRY_CAST(raw_score AS DOUBLE) AS score_raw,
            TRY_CAST(max_score AS DOUBLE) AS score_max,
            CASE WHEN t_success = 'BOOLEAN' THEN success = 'true' END AS is_success,
            CASE WHEN t_completion = 'BOOLEAN' THEN completion = 'true' END AS is_completion,
            CASE WHEN t_response = 'VARCHAR' THEN response END AS response,
            TRY_CAST(vt AS DOUBLE) AS video_time_s,
            TRY_CAST(vtf AS DOUBLE) AS video_time_from_s,
            TRY_CAST(vtt AS DOUBLE) AS video_time_to_s,
            CASE WHEN cext IS NOT NULL OR rext IS NOT NULL THEN
                '{{"context":' || coalesce(cext, 'null') || ',"result":'
                || coalesce(rext, 'null') || '}}' END AS extensions,
            coalesce(attempt_ext, registration) AS attempt_id,
            CASE WHEN t_ca = 'OBJECT' THEN ca END AS ca
        FROM derived
        """
    )
    if source == "src":
        con.execute(f"CREATE OR REPLACE TEMP VIEW {_ST}{k} AS SELECT * FROM st_sql_{k}")


def _stage1_native(con: duckdb.DuckDBPyConnection, now_sql: str, k: int, fast: pa.Table) -> None:
    """Stage 1's view ``st_<k>`` of chunk ``k``: the records the native scanner decided
    (``fast``, registered as ``fast_<k>``; those ``ok``) with their mapped columns, the load's
    time where a statement has no timestamp, and the JSON texts the scanner could not print
    canonically rewritten with ``json()``; and the SQL path's records, in the table
    ``st_sql_<k>`` made empty here. The scanner reads timestamps as DuckDB casts them and leaves
    to the SQL path those it does not read so and those in the future of the load.

    Views, not copies: the stages read what they need of it, and ``kept_all`` reads it again
    for the silver rows, where copying each chunk's mapped rows into a table took a
    core-second per 500K records."""

    def text(col: str) -> str:
        return f"CASE WHEN canon THEN {col} ELSE json({col})::VARCHAR END"

    con.register(f"{_FAST}{k}", fast)
    con.execute(
        f"""
        CREATE OR REPLACE TEMP VIEW st_native_{k} AS
        SELECT _f, _line, false AS suspect, event_id,
            coalesce(occurred_at, {now_sql}) AS occurred_at,
            verb_id, verb, activity_id, obj_type, ref_id, object_type, id_kind, id_value,
            duration_s, score_scaled, score_raw, score_max, is_success, is_completion, response,
            video_time_s, video_time_from_s, video_time_to_s,
            CASE WHEN cext IS NOT NULL OR rext IS NOT NULL THEN
                '{{"context":' || coalesce({text("cext")}, 'null') || ',"result":'
                || coalesce({text("rext")}, 'null') || '}}' END AS extensions,
            attempt_id, {text("ca")} AS ca
        FROM {_FAST}{k} WHERE ok
        """
    )
    con.execute(f"CREATE OR REPLACE TEMP TABLE st_sql_{k} AS SELECT * FROM st_native_{k} LIMIT 0")
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW {_ST}{k} AS "
        f"SELECT * FROM st_native_{k} UNION ALL SELECT * FROM st_sql_{k}"
    )


def _stages23(con: duckdb.DuckDBPyConnection, first: bool) -> None:
    """Stages 2 and 3 over the chunk in ``st``, for what earlier chunks did not have: the class,
    quiz and spec error of each distinct contextActivities object (table ``ctx_all``), and the
    content id and object-as-class of each distinct object IRI (``objs_all``)."""
    con.execute(_context_sql(first))
    new_ids = "SELECT DISTINCT activity_id FROM st WHERE activity_id IS NOT NULL"
    if not first:
        new_ids = f"{new_ids} EXCEPT SELECT activity_id FROM objs_all"
    con.execute(
        f"""
        {"CREATE OR REPLACE TEMP TABLE objs_all AS" if first else "INSERT INTO objs_all"}
        WITH o AS (
            SELECT activity_id, {_last_segment("activity_id")} AS seg FROM ({new_ids})
        )
        SELECT o.activity_id,
            CASE WHEN kc.content_id IS NOT NULL THEN o.seg ELSE o.activity_id END AS content_id,
            coalesce(k1.class_id, k2.class_id) AS object_class_id
        FROM o
        LEFT JOIN known_content kc ON kc.content_id = o.seg
        LEFT JOIN known_classes k1 ON k1.class_id = o.activity_id
        LEFT JOIN known_classes k2 ON k2.class_id = o.seg
        """
    )


def _stage4(con: duckdb.DuckDBPyConnection, k: int) -> None:
    """Stage 4 over chunk ``k`` in ``st``: each record's final reason, if any (its tier-2
    reason, a context error, an unknown class, a repeated statement id), into the table
    ``verdicts`` (``_f``, ``_line``, ``event_id``, ``code2``, ``reason2``); the rejected
    records' (_f, _line) into ``rej_<k>``, and the kept ones' statement ids into ``seen``."""
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE verdicts AS
        WITH j AS (
            SELECT st._f, st._line, st.event_id,
                CASE
                    WHEN p.code IS NOT NULL THEN p.code
                    WHEN c.ca_error IS NOT NULL THEN {_q(Reason.SPEC_VIOLATION)}
                    WHEN c.class_id IS NULL AND c.has_class_like
                        THEN {_q(Reason.UNKNOWN_CLASS)}
                END AS code2,
                CASE
                    WHEN p.code IS NOT NULL THEN p.reason
                    WHEN c.ca_error IS NOT NULL THEN c.ca_error
                    WHEN c.class_id IS NULL AND c.has_class_like
                        THEN 'no known class among the context activities: '
                            || left(c.class_like_ids, 200)
                END AS reason2
            FROM st
            LEFT JOIN precise p ON p._f = st._f AND p._line = st._line
            LEFT JOIN ctx_all c ON c.ca = st.ca
        )
        , dups AS (
            SELECT _f, event_id, min(_line) AS first_line FROM j WHERE code2 IS NULL
            GROUP BY _f, event_id HAVING count(*) > 1
        )
        , firsts AS (
            SELECT j.*, coalesce(s._line, d.first_line) AS first_line
            FROM j
            LEFT JOIN dups d ON d._f = j._f AND d.event_id = j.event_id AND j.code2 IS NULL
            -- Earlier chunks' ids narrowed to this chunk's first: a join straight on ``seen``
            -- hashed every earlier id again in each chunk (0.4 s to 0.8 s a chunk at 5M).
            LEFT JOIN (SELECT * FROM seen SEMI JOIN j USING (_f, event_id)) s
                ON s._f = j._f AND s.event_id = j.event_id AND j.code2 IS NULL
        )
        SELECT * EXCLUDE (first_line) REPLACE (
            CASE WHEN first_line < _line THEN {_q(Reason.DUPLICATE_RECORD)}
                ELSE code2 END AS code2,
            CASE WHEN first_line < _line
                THEN 'statement id ' || event_id || ' repeats line ' || first_line
                ELSE reason2 END AS reason2
        )
        FROM firsts
        """
    )
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {_REJ}{k} AS "
        "SELECT _f, _line FROM verdicts WHERE code2 IS NOT NULL"
    )
    con.execute("INSERT INTO seen SELECT _f, event_id, _line FROM verdicts WHERE code2 IS NULL")


def _context_sql(first: bool) -> str:
    """SQL: per distinct contextActivities object of ``st`` not yet in the table ``ctx_all``
    (which the ``first`` chunk creates), the class, quiz and any spec error, into it. The quiz
    is named here once (``quiz_id``: its content id when known, else its IRI), not per
    answer (a regular expression over 1.8M answers took 1.1 CPU-s at 5M statements)."""
    keys = "['parent', 'grouping', 'category', 'other']"
    lists = ", ".join(
        f"""CASE json_type(ca, '$.{k}')
                WHEN 'ARRAY' THEN list_transform(json_extract(ca, '$.{k}[*]'),
                    lambda a, i: {{'k': {n}, 'i': i, 'a': a}})
                WHEN 'OBJECT' THEN [{{'k': {n}, 'i': 1, 'a': json_extract(ca, '$.{k}')}}]
                ELSE [] END"""
        for n, k in enumerate(("parent", "grouping", "category", "other"))
    )
    class_types = ", ".join(_q(t) for t in CLASS_ACTIVITY_TYPES)
    return f"""
        {"CREATE OR REPLACE TEMP TABLE ctx_all AS" if first else "INSERT INTO ctx_all"}
        WITH cas AS (
            SELECT DISTINCT ca FROM st WHERE ca IS NOT NULL
            {"" if first else "EXCEPT SELECT ca FROM ctx_all"}
        ),
        shape AS (
            SELECT ca,
                list_filter(json_keys(ca), lambda x: NOT list_contains({keys}, x)) AS bad_keys,
                list_filter({keys}, lambda x: json_type(ca, '$."' || x || '"')
                    NOT IN ('ARRAY', 'OBJECT', 'NULL')) AS bad_values,
                list_concat({lists}) AS acts
            FROM cas
        ),
        acts AS (
            SELECT ca, a.k AS k, a.i AS i, json_type(a.a) AS t_act,
                json_type(a.a, '$.id') AS t_aid,
                json_extract_string(a.a, '$.id') AS aid,
                json_extract_string(a.a, '$.definition.type') AS atype
            FROM (SELECT ca, unnest(acts) AS a FROM shape)
        ),
        flags AS (
            SELECT *,
                coalesce(t_act = 'OBJECT' AND t_aid = 'VARCHAR', false) AS ok,
                t_act = 'OBJECT' AND t_aid = 'VARCHAR' AND (
                    lower({_name_segment("atype")}) IN ({class_types})
                    OR regexp_matches(aid, '/(course|courses|class|classes)/')
                ) AS class_like,
                {_last_segment("aid")} AS seg
            FROM acts
        ),
        cands AS (
            SELECT ca, k, i, 1 AS c, aid AS cand FROM flags WHERE ok
            UNION ALL
            SELECT ca, k, i, 2 AS c, seg AS cand FROM flags WHERE ok
        ),
        matched AS (
            SELECT ca, arg_min(cand, (k, i, c)) AS class_id
            FROM cands JOIN known_classes kc ON kc.class_id = cands.cand
            GROUP BY ca
        ),
        per_ca AS (
            SELECT ca,
                bool_or(class_like) AS has_class_like,
                string_agg(CASE WHEN class_like THEN aid END, ', ') AS class_like_ids,
                bool_or(NOT ok) AS has_bad_activity,
                arg_min(aid, i) FILTER (WHERE ok AND k = 0
                    AND lower({_name_segment("atype")}) = 'assessment') AS quiz_iri
            FROM flags GROUP BY ca
        )
        SELECT s.ca,
            m.class_id,
            coalesce(p.has_class_like, false) AS has_class_like,
            p.class_like_ids,
            CASE
                WHEN len(s.bad_keys) > 0 THEN 'context.contextActivities has unknown key(s) '
                    || array_to_string(s.bad_keys, ', ')
                WHEN len(s.bad_values) > 0 THEN 'context.contextActivities.'
                    || s.bad_values[1] || ' must be an Activity or an array of Activities'
                WHEN p.has_bad_activity THEN 'a context activity lacks its id'
            END AS ca_error,
            p.quiz_iri,
            CASE WHEN kc.content_id IS NOT NULL THEN kc.content_id ELSE p.quiz_iri END
                AS quiz_id
        FROM shape s
        LEFT JOIN per_ca p ON p.ca = s.ca
        LEFT JOIN matched m ON m.ca = s.ca
        LEFT JOIN known_content kc ON kc.content_id = {_last_segment("p.quiz_iri")}
        """


def _record_keys(files: np.ndarray, lines: np.ndarray) -> np.ndarray:
    """Sortable key of (file index, line): records are in file order, then line order."""
    return (files.astype(np.int64) << 40) | lines.astype(np.int64)


def _chunk_rejects(con: duckdb.DuckDBPyConnection, records: pa.Table) -> pa.Table:
    """The rejected records of the chunk in ``verdicts`` (``records``: its input), in (file,
    line) order: ``_f``, ``_line``, ``code``, ``reason`` and the record's ``text``."""
    rej = con.sql(
        """
        SELECT _f, _line, code2 AS code, reason2 AS reason FROM verdicts WHERE code2 IS NOT NULL
        ORDER BY _f, _line
        """
    ).to_arrow_table()
    keys = _record_keys(records.column("_f").to_numpy(), records.column("_line").to_numpy())
    idx = np.searchsorted(
        keys, _record_keys(rej.column("_f").to_numpy(), rej.column("_line").to_numpy())
    )
    return rej.append_column("text", pa.array(_take_texts(records.column("text"), idx)))


def _take_texts(text: pa.ChunkedArray, idx: np.ndarray) -> list[str]:
    """``text[i]`` for the sorted indexes ``idx``, chunk by chunk: a ``take`` across chunks
    would concatenate them, which overflows a string array's offsets past 2 GiB."""
    out: list[str] = []
    base = 0
    for chunk in text.chunks:
        lo, hi = np.searchsorted(idx, [base, base + len(chunk)])
        if hi > lo:
            out += chunk.take(pa.array(idx[lo:hi] - base)).to_pylist()
        base += len(chunk)
    return out


def _quarantine_rejects(
    rejects: list[pa.Table], names: list[str], qs: list[QuarantineBuilder]
) -> np.ndarray:
    """Add every rejected record (invalid JSON included; ``_chunk_rejects`` tables, in order)
    to its file's quarantine; returns how many each file has."""
    counts = np.zeros(len(names), dtype=np.int64)
    for rej in rejects:
        if rej.num_rows == 0:
            continue
        rej_f = rej.column("_f").to_numpy()
        for f, line, code, reason, text in zip(
            rej_f.tolist(),
            rej.column("_line").to_pylist(),
            rej.column("code").to_pylist(),
            rej.column("reason").to_pylist(),
            rej.column("text").to_pylist(),
            strict=True,
        ):
            if reason is None:
                reason = _json_error(text)
            qs[f].add(names[f], line, Reason(code), reason, text)
        np.add.at(counts, rej_f, 1)
    return counts


def _json_error(text: str) -> str:
    try:
        orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        return f"not valid JSON: {exc}"
    return "not valid JSON"


# Records per pass through the SQL stages of ``_transform_sql`` (tests shrink it).
CHUNK_LINES = 500_000

_FIRST_FILE_WINS = "QUALIFY row_number() OVER (PARTITION BY event_id ORDER BY _f, _line) = 1"


def _silver_tables(
    con: duckdb.DuckDBPyConnection, ctx: ParseContext, multi: bool
) -> dict[str, pa.Table]:
    """learning_events, statement_voids, item_responses and identity rows of the kept records,
    each with ``_f`` (the file it comes from). A new student is first seen at its earliest
    statement in its first file, as when the files load one by one. With ``multi`` (records of
    several files), a statement id kept in several files keeps only its first file's event."""
    voided = _q(VOIDED_VERB)
    actors = con.sql(
        f"""
        SELECT id_kind, id_value, arg_min(first_seen_at, _f) AS first_seen_at, min(_f) AS _f
        FROM (
            SELECT id_kind, id_value, _f, min(occurred_at) AS first_seen_at FROM kept_all
            WHERE code2 IS NULL AND id_kind IS NOT NULL AND id_value IS NOT NULL
                AND verb_id IS DISTINCT FROM {voided}  -- voiding is an act of staff, not study
            GROUP BY ALL
        )
        GROUP BY ALL
        """
    ).to_arrow_table()
    students, identity, mapping = _resolve_actors(ctx, actors)
    con.register("actor_map", mapping)
    out: dict[str, pa.Table] = {}
    kept = """
        SELECT f.*, m.student_id,
            coalesce(f.ctx_class_id, f.object_class_id) AS class_id
        FROM kept_all f LEFT JOIN actor_map m ON m.id_kind = f.id_kind AND m.id_value = f.id_value
        WHERE f.code2 IS NULL
    """
    con.execute(f"CREATE OR REPLACE TEMP VIEW kept AS {kept}")
    events = con.sql(
        f"""
        SELECT event_id, occurred_at::DATE AS event_date, occurred_at, student_id, class_id,
            content_id, verb, object_type, duration_s, score_scaled, is_success, is_completion,
            video_time_s, video_time_from_s, video_time_to_s, extensions, _f
        FROM kept WHERE verb_id IS DISTINCT FROM {voided}
        {_FIRST_FILE_WINS if multi else ""}
        """
    ).to_arrow_table()
    events = _with_statement_columns(events, "event_id")
    if events.num_rows:
        out["learning_events"] = events
    voids = con.sql(
        f"""
        SELECT ref_id AS voided_statement_id, event_id AS voiding_statement_id,
            occurred_at AS voided_at, _f
        FROM kept WHERE verb_id = {voided}
        ORDER BY _f, _line
        """
    ).to_arrow_table()
    if voids.num_rows:
        out["statement_voids"] = voids
    responses = con.sql(
        f"""
        SELECT k.attempt_id, k.content_id AS item_id, k.occurred_at::DATE AS answered_date,
            k.occurred_at AS answered_at, k.student_id, k.class_id,
            k.quiz_id,
            k.response, k.is_success AS is_correct,
            coalesce(k.score_raw, k.is_success::INT::DOUBLE) AS score, k.duration_s,
            k.event_id, coalesce(k.score_max, 1.0) AS _max_score, k._f, k._line
        FROM kept k
        WHERE k.verb_id = {_q(ANSWERED_VERB)} AND k.attempt_id IS NOT NULL
            AND (k.is_success IS NOT NULL OR k.response IS NOT NULL)
        """
    ).to_arrow_table()
    responses = _with_statement_columns(responses, "event_id").drop_columns(["event_id"])
    responses = _in_file_order_if_repeated(responses, ("attempt_id", "item_id"))
    if responses.num_rows:
        out["item_responses"] = responses
    if identity.num_rows:
        out["student_identity"] = identity
        out["students"] = students
    return out


def _with_statement_columns(rows: pa.Table, id_column: str) -> pa.Table:
    """``rows`` with the columns every row of a statement has: ``source``, ``statement_id``
    (the ``id_column`` array itself) and ``is_voided`` (false), made by Arrow: DuckDB would
    convert two more strings per row into the result (0.3 s at 5M statements)."""
    n = rows.num_rows
    return (
        rows.append_column("source", io.constant(SOURCE, n, pa.string()))
        .append_column("statement_id", rows.column(id_column))
        .append_column("is_voided", io.constant(False, n, pa.bool_()))
    )


def _in_file_order_if_repeated(rows: pa.Table, key: tuple[str, ...]) -> pa.Table:
    """``rows`` (with ``_f`` and ``_line``) in file and line order when a ``key`` repeats, as
    it is otherwise; without ``_line``. Only a repeated key needs that order (the merge, and the
    attempts derived, keep a key's first row), and sorting every row in DuckDB cost 0.7 s for
    1.8M responses."""
    if not io.keys_distinct(rows, key):
        rows = rows.sort_by([("_f", "ascending"), ("_line", "ascending")])
    return rows.drop_columns(["_line"])


def _resolve_actors(ctx: ParseContext, actors: pa.Table) -> tuple[pa.Table, pa.Table, pa.Table]:
    """students rows, student_identity rows (both for new students, with the ``_f`` of the
    actor's first file) and (kind, value) -> student_id for every distinct actor."""
    # Staff (teachers, aides, administrators from the roster) act in the LMS too; they are not
    # students: their statements keep a null student_id.
    staff_accounts = (
        ctx.known_ids("staff", "staff_id")
        | ctx.known_ids("staff", "source_id")
        | ctx.known_ids("staff", "username")
    )
    staff_emails = {e.lower() for e in ctx.known_ids("staff", "email")}
    kinds = actors.column("id_kind")
    values = actors.column("id_value")
    staff = pc.or_(
        pc.and_(
            pc.equal(kinds, "account"),
            pc.is_in(values, value_set=pa.array(sorted(staff_accounts), pa.string())),
        ),
        pc.and_(
            pc.equal(kinds, "email"),
            pc.is_in(values, value_set=pa.array(sorted(staff_emails), pa.string())),
        ),
    )
    staff = pc.fill_null(staff, False)
    if pc.any(staff).as_py():
        actors = actors.filter(pc.invert(staff))
    lookups = {
        "account": (("sourced_id", "username", "account"), "account"),
        "email": (("email",), "email"),
        "mbox_sha1sum": (("mbox_sha1sum",), "mbox_sha1sum"),
        "openid": (("openid",), "openid"),
    }
    # Actors are distinct (kind, value) pairs; kinds are resolved in order of first appearance.
    mappings: list[pa.Table] = []
    identity_parts: list[pa.Table] = []
    firsts: list[pa.Table] = []
    for kind in dict.fromkeys(actors.column("id_kind").to_pylist()):
        of_kind = actors.filter(pc.equal(actors.column("id_kind"), kind))
        lookup_types, new_type = lookups[kind]
        mapping, rows = ctx.resolve_students(
            of_kind.column("id_value").to_pylist(), lookup_types, new_type, SOURCE
        )
        mappings.append(
            pa.table(
                {
                    "id_kind": io.constant(kind, len(mapping), pa.string()),
                    "id_value": pa.array(list(mapping), pa.string()),
                    "student_id": pa.array(list(mapping.values()), pa.string()),
                }
            )
        )
        if rows.num_rows:
            if kind == "email":
                rows = rows.append_column("email", rows.column("identifier"))
            at = pc.index_in(rows.column("identifier"), value_set=of_kind.column("id_value"))
            first = of_kind.select(["first_seen_at", "_f"]).take(at)
            identity_parts.append(rows.append_column("_f", first.column("_f").cast(pa.int32())))
            firsts.append(
                rows.select(["student_id"])
                .append_column("first_seen_at", first.column("first_seen_at"))
                .append_column("_f", first.column("_f"))
            )
    mapping_table = (
        pa.concat_tables(mappings)
        if mappings
        else pa.table({c: pa.array([], pa.string()) for c in ("id_kind", "id_value", "student_id")})
    )
    identity = (
        pa.concat_tables(identity_parts, promote_options="permissive")
        if identity_parts
        else pa.table({"identifier": pa.array([], pa.string())})
    )
    new = (
        pa.concat_tables(firsts)
        if firsts
        else pa.table(
            {
                "student_id": pa.array([], pa.string()),
                "first_seen_at": pa.array([], pa.timestamp("us", tz="UTC")),
                "_f": pa.array([], pa.int32()),
            }
        )
    )
    students = pa.table(
        {
            "student_id": new.column("student_id"),
            "source": io.constant(SOURCE, new.num_rows, pa.string()),
            "first_seen_at": new.column("first_seen_at").cast(pa.timestamp("us", tz="UTC")),
            "_f": new.column("_f").cast(pa.int32()),
        }
    )
    return students, identity, mapping_table


def derive_quiz_attempts(ctx: ParseContext, responses: pa.Table) -> pa.Table:
    """One quiz_attempts row per attempt in ``responses``, over the attempt's stored responses
    and the new ones (a stored response wins, as item_responses is insert-only): earliest and
    latest answer, summed score and maximum score.

    ``responses`` carries a helper column ``_max_score`` (the statement's score.max, else 1);
    stored responses count 1 each, as item_responses keeps no maximum. With ``_f`` (the file index
    of a batch), an earlier file's response wins, as the insert-only merge keeps it, and each
    attempt gets the ``_f`` of its last file.
    """
    has_f = "_f" in responses.column_names
    attempt_ids = pc.unique(responses.column("attempt_id").cast(pa.string()))
    stored = ctx.silver_rows(
        "item_responses",
        ["attempt_id", "item_id", "answered_at", "student_id", "class_id", "quiz_id", "score"],
        where=pc.is_in(pc.field("attempt_id"), value_set=attempt_ids),
    )
    con = _connect()
    try:
        con.register("new_r", responses)
        new = "SELECT *, 1 + _f AS pri FROM new_r" if has_f else "SELECT *, 1 AS pri FROM new_r"
        old = (
            "SELECT attempt_id, item_id, answered_at, student_id, class_id, quiz_id, "
            "score, 1.0 AS _max_score, 0 AS pri FROM old_r"
        )
        # Each (attempt, item) counts once: its stored response, else the batch's first. The
        # window that picks it over every response (1.3 s at 5M) is needed only when the batch
        # repeats a key; else the stored rows (distinct: the table is insert-only) and the new
        # ones they do not hold are the answer.
        distinct = io.keys_distinct(responses, ("attempt_id", "item_id"))
        union = new
        if stored is not None and stored.num_rows:
            con.register("old_r", stored)
            if distinct:
                new = (
                    f"SELECT * FROM ({new}) n ANTI JOIN old_r o ON o.attempt_id = n.attempt_id"
                    " AND o.item_id IS NOT DISTINCT FROM n.item_id"
                )
            union = f"{old} UNION ALL BY NAME {new}"
        first = (
            "u"
            if distinct
            else """(SELECT * FROM u QUALIFY row_number() OVER
                    (PARTITION BY attempt_id, item_id ORDER BY pri, answered_at) = 1)"""
        )
        return con.sql(
            f"""
            WITH u AS ({union}),
            d AS (SELECT * FROM {first})
            SELECT attempt_id, any_value(student_id) AS student_id,
                any_value(class_id) AS class_id, any_value(quiz_id) AS quiz_id,
                {_q(SOURCE)} AS source, min(answered_at) AS started_at,
                max(answered_at) AS submitted_at, sum(score) AS score,
                sum(_max_score) AS max_score{", max(_f) AS _f" if has_f else ""}
            FROM d GROUP BY attempt_id ORDER BY attempt_id
            """
        ).to_arrow_table()
    finally:
        con.close()


PARSER = XapiParser()
