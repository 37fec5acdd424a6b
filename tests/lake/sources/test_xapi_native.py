"""The native scanner (``lake/native``) decides exactly what the DuckDB path decides.

Each test validates the same records twice, with ``LEARNSMART_XAPI_NATIVE`` off and on, and
requires the kept rows (every mapped column) and the rejected records (reason code and reason)
to be equal, and the native path to have decided the clean records itself.
"""

from __future__ import annotations

import copy
import json
import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from lake.demo import generate
from lake.quarantine import QuarantineBuilder
from lake.sources import xapi, xapi_native
from tests.lake.sources.xapi_gen import ANSWERED, ATTEMPT_EXT, HOME, VIDEO_TIME, statement

NOW = datetime(2026, 9, 2, tzinfo=UTC)
KNOWN = xapi.KnownIds((f"{HOME}/classes/class-1", "class-2"), ("page-1", "q-1"))


def _records(texts: list[str]) -> pa.Table:
    return pa.table(
        {
            "_line": pa.array(np.arange(1, len(texts) + 1, dtype=np.int64)),
            "text": pa.array(texts, pa.string()),
            "_f": pa.array(np.zeros(len(texts), np.int32)),
        }
    )


def _validate(
    records: pa.Table, known: xapi.KnownIds, native: bool, monkeypatch: pytest.MonkeyPatch
) -> tuple[pa.Table, pa.Table]:
    monkeypatch.setenv("LEARNSMART_XAPI_NATIVE", "1" if native else "0")
    con = xapi._connect()
    try:
        xapi._register_known(con, known)
        rejects = xapi._validate_sql(con, records, NOW)
        kept = con.sql("SELECT * EXCLUDE (suspect) FROM kept_all").to_arrow_table()
    finally:
        con.close()
    return kept, pa.concat_tables(rejects)


def _differences(a: pa.Table, b: pa.Table) -> int:
    con = duckdb.connect()
    con.register("a", a)
    con.register("b", b)
    both_ways = """
        SELECT (SELECT count(*) FROM (SELECT * FROM a EXCEPT ALL SELECT * FROM b))
             + (SELECT count(*) FROM (SELECT * FROM b EXCEPT ALL SELECT * FROM a))
    """
    return con.sql(both_ways).fetchall()[0][0]


def _assert_same(
    records: pa.Table, known: xapi.KnownIds, monkeypatch: pytest.MonkeyPatch
) -> tuple[pa.Table, pa.Table]:
    sql_kept, sql_rejected = _validate(records, known, False, monkeypatch)
    kept, rejected = _validate(records, known, True, monkeypatch)
    assert kept.num_rows + rejected.num_rows == records.num_rows
    assert _differences(sql_kept, kept) == 0
    assert _differences(sql_rejected, rejected) == 0
    return kept, rejected


def _native_ok(records: pa.Table) -> int:
    # Statements up to the future tolerance past NOW are clean, as in `_validate`.
    fast = xapi_native.scan(records, NOW + timedelta(seconds=xapi.FUTURE_TOLERANCE_S))
    assert fast is not None
    return fast.column("ok").to_numpy(zero_copy_only=False).sum()


def test_the_native_scanner_is_built() -> None:
    # `make setup` builds it (scripts/build_native.sh); the DuckDB path alone is the fallback.
    assert xapi_native.available()


def test_demo_school_day_is_decided_the_same_by_both_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    landing = tmp_path / "landing"
    generate(landing, students=150, days=2, seed=5)
    files = sorted((landing / "xapi").rglob("*.jsonl"))
    q = QuarantineBuilder()
    parts = [xapi.read_records(f, f.name, q).table for f in files]
    texts = pa.concat_tables(parts).column("text").to_pylist()
    records = _records(texts)
    classes = {m for t in texts for m in re.findall(r'/classes/([^"/]+)"', t)}
    known = xapi.KnownIds(tuple(sorted(classes - {max(classes)})), ())
    kept, rejected = _assert_same(records, known, monkeypatch)
    # The demo school's bad records (and the class left unknown) are rejected by both paths,
    # and the native scanner decided nearly every clean one itself.
    assert rejected.num_rows > 0
    assert set(rejected.column("code").to_pylist()) >= {"unknown_class", "duplicate_record"}
    assert _native_ok(records) >= 0.9 * kept.num_rows


def test_chunks_scanned_into_reused_buffers_keep_what_one_scan_keeps(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each chunk's scan fills the column buffers the previous chunk's columns gave back; a
    # buffer handed out again unemptied, or while still in use, would change rows.
    landing = tmp_path / "landing"
    generate(landing, students=600, days=2, seed=6)
    q = QuarantineBuilder()
    files = sorted((landing / "xapi").rglob("*.jsonl"))
    texts = pa.concat_tables([xapi.read_records(f, f.name, q).table for f in files])
    records = _records(texts.column("text").to_pylist())
    classes = re.findall(r'/classes/([^"/]+)"', "\n".join(records.column("text").to_pylist()))
    known = xapi.KnownIds(tuple(sorted(set(classes))), ())
    monkeypatch.setattr(xapi, "CHUNK_LINES", records.num_rows)
    one_kept, one_rejected = _validate(records, known, True, monkeypatch)
    monkeypatch.setattr(xapi, "CHUNK_LINES", 1500)
    assert records.num_rows > 4 * 1500
    kept, rejected = _validate(records, known, True, monkeypatch)
    assert _differences(one_kept, kept) == 0
    assert _differences(one_rejected, rejected) == 0
    assert kept.num_rows > 0.9 * records.num_rows


def _line(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _base() -> dict[str, Any]:
    st_ = statement(
        verb=ANSWERED,
        object_id=f"{HOME}/content/q-1",
        result={
            "success": True,
            "response": "b",
            "score": {"scaled": 0.5, "raw": 1, "min": 0, "max": 2},
            "duration": "PT1M30.5S",
            "extensions": {VIDEO_TIME: 12.5},
        },
        registration=str(uuid.UUID(int=7)),
    )
    st_["context"]["extensions"] = {ATTEMPT_EXT: "att-1", "https://x.example/n": 3}
    st_["stored"] = "2026-09-01T10:00:01Z"
    return st_


# Values hostile to a scanner that maps JSON on its own: every JSON type, numbers in all their
# spellings, escapes, whitespace, IRIs and timestamps that are almost right.
_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(
        [
            "",
            "-0",
            "0.0",
            "1e2",
            "PT",
            "P1DT",
            "PT1M1H",
            "P1Y2M3W4DT5H6M7.5S",
            "1.0",
            "1.0.3",
            "1.0.",
            "mailto:a@b",
            "mailto:a@@b",
            "http://x y",
            "http:\u00a0x",
            "urn:x",
            "2026-09-01T10:00:00Z",
            "2026-09-01T10:00:00.5+01",
            "2026-09-01T10:00+0100",
            "2026-09-01T10:00:00-00:00",
            "2026-02-30T10:00:00Z",
            "2099-01-01T00:00:00Z",
            "2026-09-01 10:00:00Z",
            str(uuid.UUID(int=1)),
            str(uuid.UUID(int=1)).upper(),
            "{" + str(uuid.UUID(int=1))[:-2] + "}",
            "a" * 40,
            'é/\\"\n\t\u2028',
            "Agent",
            "Group",
            "Activity",
            "StatementRef",
            "http://adlnet.gov/expapi/verbs/voided",
        ]
    ),
    st.text(max_size=8),
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(["id", "a", "objectType", "x"]), inner, max_size=3)
    ),
    max_leaves=6,
)
_PATHS = [
    "id",
    "actor",
    "actor.objectType",
    "actor.mbox",
    "actor.mbox_sha1sum",
    "actor.openid",
    "actor.account",
    "actor.account.homePage",
    "actor.account.name",
    "verb",
    "verb.id",
    "object",
    "object.objectType",
    "object.id",
    "object.definition",
    "object.definition.type",
    "timestamp",
    "stored",
    "version",
    "result",
    "result.score",
    "result.score.scaled",
    "result.score.raw",
    "result.score.min",
    "result.score.max",
    "result.success",
    "result.completion",
    "result.response",
    "result.duration",
    "result.extensions",
    f"result.extensions.{VIDEO_TIME}",
    "context",
    "context.registration",
    "context.contextActivities",
    "context.contextActivities.parent",
    "context.contextActivities.grouping",
    "context.extensions",
    f"context.extensions.{ATTEMPT_EXT}",
]


def _set(doc: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    doc = copy.deepcopy(doc)
    # Extension keys hold dots: split them off by their prefix.
    if "extensions." in path:
        head, key = path.split("extensions.", 1)
        keys = [*head.rstrip(".").split("."), "extensions", key]
    else:
        keys = path.split(".")
    node = doc
    for k in keys[:-1]:
        if not isinstance(node.get(k), dict):
            node[k] = {}
        node = node[k]
    if value is _DROP:
        node.pop(keys[-1], None)
    else:
        node[keys[-1]] = value
    return doc


_DROP = object()

_SPELLINGS = st.sampled_from(["compact", "spaced", "escaped", "duplicate", "number forms"])


def _spell(doc: dict[str, Any], how: str) -> str:
    text = _line(doc)
    if how == "spaced":
        return json.dumps(doc, indent=1)
    if how == "escaped":
        return json.dumps(doc, ensure_ascii=True).replace("/", "\\/")
    if how == "duplicate":
        return text[:-1] + ',"id":"' + str(uuid.UUID(int=2)) + '"}'
    if how == "number forms":
        return text.replace(":1,", ":1.0,").replace(":0.5", ":5e-1").replace(":0,", ":-0,")
    return text


@st.composite
def _statement_texts(draw: st.DrawFn) -> str:
    doc = _base()
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        path = draw(st.sampled_from(_PATHS))
        value = draw(st.one_of(st.just(_DROP), _VALUES))
        doc = _set(doc, path, value)
    doc["id"] = doc.get("id", str(uuid.uuid4())) if draw(st.booleans()) else str(uuid.uuid4())
    return _spell(doc, draw(_SPELLINGS))


@given(texts=st.lists(_statement_texts(), min_size=1, max_size=25))
@hsettings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_hostile_statements_are_decided_the_same_by_both_paths(
    texts: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _assert_same(_records(texts), KNOWN, monkeypatch)


def test_clean_statements_in_every_spelling_are_decided_natively(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    docs = [_base() for _ in range(5)]
    for i, d in enumerate(docs):
        d["id"] = str(uuid.UUID(int=100 + i))
    texts = [_spell(d, how) for d, how in zip(docs, ["compact", "spaced", "escaped"], strict=False)]
    records = _records(texts)
    kept, rejected = _assert_same(records, KNOWN, monkeypatch)
    assert rejected.num_rows == 0 and kept.num_rows == 3
    # Pretty-printed and escaped JSON is still decided natively (its JSON texts rewritten).
    assert _native_ok(records) == 3
    ext = kept.column("extensions").to_pylist()
    assert len(set(ext)) == 1 and json.loads(ext[0])["result"] == {VIDEO_TIME: 12.5}


@st.composite
def _timestamps(draw: st.DrawFn) -> str:
    """ISO 8601 timestamps right and almost right: impossible days, hour 24, leap seconds,
    fractions of 1-9 digits, every zone spelling, offsets past 23:59."""
    year = draw(st.sampled_from([1, 1969, 1970, 2000, 2024, 2025, 2026, 2100, 9999]))
    month = draw(st.integers(min_value=1, max_value=13))
    day = draw(st.integers(min_value=0, max_value=31))
    hour = draw(st.integers(min_value=0, max_value=24))
    minute = draw(st.integers(min_value=0, max_value=60))
    text = f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}"
    if draw(st.booleans()):
        text += f":{draw(st.integers(min_value=0, max_value=60)):02d}"
        digits = draw(st.integers(min_value=0, max_value=9))
        if digits:
            text += "." + "".join(draw(st.sampled_from("0123456789")) for _ in range(digits))
    zone = draw(st.sampled_from(["Z", "z", "+HH", "-HHMM", "+HH:MM", "-HH:MM"]))
    hh = f"{draw(st.integers(min_value=0, max_value=25)):02d}"
    mm = f"{draw(st.integers(min_value=0, max_value=60)):02d}"
    return text + zone.replace("HH", hh, 1).replace("MM", mm)


@given(
    stamps=st.lists(
        st.tuples(_timestamps(), st.one_of(st.none(), _timestamps())), min_size=1, max_size=20
    )
)
@hsettings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_timestamps_in_every_form_are_read_the_same_by_both_paths(
    stamps: list[tuple[str, str | None]], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The scanner reads the timestamps DuckDB's cast reads the same way and leaves the others
    # to it: the same occurred_at, the same invalid_timestamp and future verdicts either way.
    texts = []
    for i, (timestamp, stored) in enumerate(stamps):
        doc = _base()
        doc["id"] = str(uuid.UUID(int=1000 + i))
        doc["timestamp"] = timestamp
        doc = _set(doc, "stored", _DROP if stored is None else stored)
        texts.append(_line(doc))
    _assert_same(_records(texts), KNOWN, monkeypatch)


def test_a_statement_is_in_the_future_a_microsecond_past_the_tolerance(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    limit = NOW + timedelta(seconds=xapi.FUTURE_TOLERANCE_S)
    docs = []
    for i, at in enumerate([limit, limit + timedelta(microseconds=1)]):
        doc = _base()
        doc["id"] = str(uuid.UUID(int=2000 + i))
        doc["timestamp"] = at.isoformat(timespec="microseconds").replace("+00:00", "Z")
        docs.append(_line(doc))
    records = _records(docs)
    kept, rejected = _assert_same(records, KNOWN, monkeypatch)
    assert kept.column("occurred_at").to_pylist() == [limit]
    assert rejected.column("_line").to_pylist() == [2]
    # The scanner decided the first itself and left the one in the future to the SQL path.
    assert _native_ok(records) == 1
