"""Forum post exports: CSV (multi-line quoted bodies) and JSON lines through the real loader."""

from __future__ import annotations

import csv
import gzip
import io as stdio
import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from lake import io, ledger
from lake.loader import ingest
from lake.privacy.pseudonym import student_pseudonym
from lake.settings import LakeSettings
from lake.tables import LOADS, bronze_spec, quarantine_spec, silver

SOURCE = "forum"
COLUMNS = [
    "post_id", "thread_id", "parent_post_id", "class_id", "author_id", "author_role",
    "created_at", "title", "body", "language",
]  # fmt: skip


def post(**over: Any) -> dict[str, Any]:
    """One valid post; keyword arguments override fields (None drops the field)."""
    row: dict[str, Any] = {
        "post_id": "p1",
        "thread_id": "p1",
        "class_id": "class-1",
        "author_id": "stu-1",
        "author_role": "student",
        "created_at": "2026-09-01T10:00:00Z",
        "title": "Help with question 3",
        "body": "I do not get it.",
        "language": "en",
    }
    row.update(over)
    return {k: v for k, v in row.items() if v is not None}


def csv_text(rows: list[dict[str, Any]]) -> str:
    buf = stdio.StringIO()
    w = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow(r)
    return buf.getvalue()


def write(settings: LakeSettings, rel: str, content: str | bytes) -> Path:
    path = settings.landing / SOURCE / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    data = content.encode() if isinstance(content, str) else content
    path.write_bytes(gzip.compress(data) if rel.endswith(".gz") else data)
    return path


def add_classes(settings: LakeSettings, *class_ids: str) -> None:
    io.merge(settings, silver("classes"), pa.table({"class_id": list(class_ids)}), "setup")


def posts(settings: LakeSettings) -> dict[str, dict[str, Any]]:
    return {p["post_id"]: p for p in io.read(settings, silver("forum_posts")).to_pylist()}


def quarantine(settings: LakeSettings) -> list[dict[str, Any]]:
    rows = io.read(settings, quarantine_spec(SOURCE)).to_pylist()
    return sorted(rows, key=lambda r: (r["file"], r["line"]))


def assert_balanced(settings: LakeSettings) -> None:
    for r in io.read(settings, LOADS).to_pylist():
        assert r["status"] == ledger.COMMITTED
        assert r["rows_in"] == r["rows_kept"] + r["rows_quarantined"], r


@pytest.fixture
def lake(settings: LakeSettings) -> LakeSettings:
    add_classes(settings, "class-1")
    return settings


def test_csv_with_multiline_quoted_bodies_pseudonymises_students(lake: LakeSettings) -> None:
    rows = [
        post(body='First line, with a comma and "quotes"\nsecond line <b>bold</b> &amp; more'),
        post(post_id="p2", parent_post_id="p1", author_id="t-9", author_role="Teacher",
             title=None, body="<p>See <a href='x'>the notes</a></p><script>alert(1)</script>"),
        post(post_id="p3", author_role=None, author_id="stu-2", language="English"),
    ]  # fmt: skip
    write(lake, "2026-09-01/export.csv", csv_text(rows))
    [report] = ingest(lake, (SOURCE,))
    assert (report.rows_in, report.rows_kept, report.rows_quarantined) == (3, 3, 0)
    got = posts(lake)
    sid = student_pseudonym(lake.pseudonym_key, "sourced_id", "stu-1")
    assert got["p1"]["author_id"] == sid and got["p1"]["author_role"] == "student"
    assert got["p1"]["body"] == ('First line, with a comma and "quotes"\nsecond line bold & more')
    assert got["p2"]["author_id"] == "t-9" and got["p2"]["author_role"] == "teacher"
    assert got["p2"]["body"] == "See the notes" and got["p2"]["parent_post_id"] == "p1"
    assert got["p3"]["author_role"] == "student" and got["p3"]["language"] is None
    assert got["p1"]["created_at"].isoformat() == "2026-09-01T10:00:00+00:00"
    assert got["p1"]["source"] == SOURCE
    students = {s["student_id"] for s in io.read(lake, silver("students")).to_pylist()}
    assert students == {sid, student_pseudonym(lake.pseudonym_key, "sourced_id", "stu-2")}
    assert len(io.read(lake, bronze_spec(SOURCE, "posts"))) == 3
    assert_balanced(lake)


def test_jsonl_gz_posts(lake: LakeSettings) -> None:
    lines = [
        json.dumps(post(created_at="2026-09-01T12:00:00+02:00")),
        json.dumps(post(post_id=42, thread_id=42, title="Hi <i>all</i>")),
    ]
    write(lake, "posts.jsonl.gz", "\n".join(lines) + "\n")
    [report] = ingest(lake, (SOURCE,))
    assert report.rows_kept == 2
    got = posts(lake)
    assert got["p1"]["created_at"].isoformat() == "2026-09-01T10:00:00+00:00"
    assert got["42"]["title"] == "Hi all"


BAD_POSTS: list[tuple[dict[str, Any], str]] = [
    (post(post_id=None), "missing_field"),
    (post(thread_id=None), "missing_field"),
    (post(body=None), "missing_field"),
    (post(body="<script>only code</script>"), "missing_field"),
    (post(created_at="2026-09-01 10:00:00"), "invalid_timestamp"),
    (post(created_at="2099-01-01T00:00:00Z"), "future_timestamp"),
    (post(author_role="student-teacher"), "invalid_value"),
    (post(author_id="a\x07b"), "invalid_value"),
    (post(body="x" * 250_000), "record_too_large"),
    (post(class_id="class-unknown"), "unknown_class"),
]


@pytest.mark.parametrize(("row", "code"), BAD_POSTS)
def test_bad_post_is_quarantined_with_its_reason(
    lake: LakeSettings, row: dict[str, Any], code: str
) -> None:
    write(lake, "bad.csv", csv_text([post(post_id="good"), row]))
    [report] = ingest(lake, (SOURCE,))
    assert (report.rows_kept, report.rows_quarantined) == (1, 1)
    [q] = quarantine(lake)
    assert (q["reason_code"], q["line"]) == (code, 3)
    assert_balanced(lake)


def test_jsonl_malformed_wrong_type_bad_encoding_and_duplicates(lake: LakeSettings) -> None:
    data = (
        "\n".join(
            [
                json.dumps(post()),
                json.dumps(post()),  # same post_id
                "{oops",
                json.dumps(post(post_id="p9", body={"html": "<b>x</b>"})),
                '"just a string"',
            ]
        ).encode()
        + b"\n\xc3\x28 not utf-8\n"
    )
    write(lake, "x.jsonl", data)
    [report] = ingest(lake, (SOURCE,))
    assert (report.rows_in, report.rows_kept) == (6, 1)
    assert [(q["line"], q["reason_code"]) for q in quarantine(lake)] == [
        (2, "duplicate_record"),
        (3, "malformed_json"),
        (4, "wrong_type"),
        (5, "malformed_json"),
        (6, "bad_encoding"),
    ]


def test_malformed_csv_row_and_unreadable_file(lake: LakeSettings) -> None:
    write(lake, "a.csv", csv_text([post()]) + 'p2,"unterminated\n')
    write(lake, "b.xlsx", b"PK\x03\x04binary")
    reports = {r.unit: r for r in ingest(lake, (SOURCE,))}
    assert reports[f"{SOURCE}/a.csv"].rows_kept == 1
    codes = {q["file"]: q["reason_code"] for q in quarantine(lake)}
    assert codes == {f"{SOURCE}/a.csv": "malformed_csv", f"{SOURCE}/b.xlsx": "unreadable_file"}
    assert_balanced(lake)


def test_reload_is_a_no_op(lake: LakeSettings) -> None:
    write(lake, "a.csv", csv_text([post(), post(post_id="p2", class_id="nope")]))
    assert len(ingest(lake, (SOURCE,))) == 1
    assert ingest(lake, (SOURCE,)) == []
    assert len(posts(lake)) == 1 and len(quarantine(lake)) == 1


_hostile = st.one_of(
    st.text(max_size=60),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=300),
    st.just("<div>" * 2000),
    st.just("\x00<b>\x00</b>"),
    st.just("x" * 300_000),
    st.sampled_from(['"', '""', "\r\n", ",", "&#0;", "&#xD800;", "<![CDATA[", "<!--"]),
)
_json_value = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | _hostile,
    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=5), c, max_size=3),
    max_leaves=8,
)


@st.composite
def _hostile_file(draw: st.DrawFn) -> tuple[str, bytes]:
    kind = draw(st.sampled_from(["csv", "jsonl", "bytes", "deep"]))
    if kind == "bytes":
        return draw(st.sampled_from(["f.csv", "f.jsonl"])), draw(st.binary(max_size=2000))
    if kind == "deep":
        depth = draw(st.integers(1, 5000))
        body = '{"post_id": "p", "body": ' + "[" * depth + "]" * depth + "}"
        return "f.jsonl", body.encode()
    rows = draw(
        st.lists(
            st.fixed_dictionaries(
                {}, optional={c: _hostile if kind == "csv" else _json_value for c in COLUMNS}
            ).map(lambda d: {**post(), **d}),
            max_size=6,
        )
    )
    if kind == "csv":
        return "f.csv", csv_text([{k: str(v) for k, v in r.items()} for r in rows]).encode()
    return "f.jsonl", b"\n".join(json.dumps(r).encode() for r in rows)


@hsettings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(_hostile_file(), st.booleans())
def test_hostile_input_never_raises_and_balances(
    settings: LakeSettings, file: tuple[str, bytes], gz: bool
) -> None:
    name, data = file
    folder = settings.landing / SOURCE
    for old in folder.glob("*") if folder.exists() else []:
        old.unlink()
    add_classes(settings, "class-1")
    write(settings, name + (".gz" if gz else ""), data)
    for r in ingest(settings, (SOURCE,)):
        assert r.error is None or r.error.startswith("UnsupportedFileError"), r.error
        assert r.rows_in == r.rows_kept + r.rows_quarantined
    assert_balanced(settings)
