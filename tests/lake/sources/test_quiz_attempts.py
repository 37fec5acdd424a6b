"""Item-level quiz responses: CSV and JSON lines through the real loader into Delta tables."""

from __future__ import annotations

import csv
import gzip
import io as stdio
import json
import random
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from lake import io, ledger, loader
from lake.loader import ingest, load_unit
from lake.privacy.pseudonym import student_pseudonym
from lake.settings import LakeSettings
from lake.sources.base import LoadUnit, ParseContext
from lake.sources.quiz_attempts import PARSER, QuizAttemptsParser
from lake.tables import LOADS, bronze_spec, quarantine_spec, silver
from tests.lake.sources.split_parse import use_split_parse

SOURCE = "quiz_attempts"
COLUMNS = [
    "attempt_id", "student_id", "class_id", "quiz_id", "item_id", "attempt_number",
    "started_at", "answered_at", "submitted_at", "response", "is_correct", "score",
    "max_score", "duration_s",
]  # fmt: skip


def response(**over: Any) -> dict[str, Any]:
    """One valid response row (strings, as in a CSV); keyword arguments override fields."""
    row: dict[str, Any] = {
        "attempt_id": "att-1",
        "student_id": "stu-1",
        "class_id": "class-1",
        "quiz_id": "quiz-1",
        "item_id": "item-1",
        "attempt_number": "1",
        "started_at": "2026-09-01T09:55:00Z",
        "answered_at": "2026-09-01T10:00:00Z",
        "submitted_at": "2026-09-01T10:10:00Z",
        "response": "a",
        "is_correct": "true",
        "score": "1",
        "max_score": "1",
        "duration_s": "12.5",
    }
    row.update(over)
    return {k: v for k, v in row.items() if v is not None}


def csv_text(rows: list[dict[str, Any]], columns: list[str] = COLUMNS) -> str:
    buf = stdio.StringIO()
    w = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow(r)
    return buf.getvalue()


def write(settings: LakeSettings, rel: str, content: str | bytes) -> Path:
    path = settings.landing / SOURCE / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        content = content.encode()
    path.write_bytes(gzip.compress(content) if rel.endswith(".gz") else content)
    return path


def add_classes(settings: LakeSettings, *class_ids: str) -> None:
    io.merge(
        settings,
        silver("classes"),
        pa.table({"class_id": list(class_ids), "title": [f"Class {c}" for c in class_ids]}),
        "setup",
    )


def read(settings: LakeSettings, table: str) -> list[dict[str, Any]]:
    return io.read(settings, silver(table)).to_pylist()


def quarantine(settings: LakeSettings) -> list[dict[str, Any]]:
    rows = io.read(settings, quarantine_spec(SOURCE)).to_pylist()
    return sorted(rows, key=lambda r: (r["file"], r["line"]))


def assert_balanced(settings: LakeSettings) -> None:
    for r in io.read(settings, LOADS).to_pylist():
        assert r["status"] == ledger.COMMITTED
        assert r["rows_in"] == r["rows_kept"] + r["rows_quarantined"], r


@pytest.fixture
def lake(settings: LakeSettings) -> LakeSettings:
    add_classes(settings, "class-1", "class-2")
    return settings


def test_csv_responses_become_item_responses_attempts_and_pseudonymous_students(
    lake: LakeSettings,
) -> None:
    rows = [
        response(item_id="item-1"),
        response(
            item_id="item-2", is_correct="0", score="0", answered_at="2026-09-01T12:02:00+02:00"
        ),
        response(
            attempt_id="att-2", student_id="stu-2", item_id="item-1", score="2", max_score="2"
        ),
    ]
    write(lake, "2026-09-01/responses.csv", csv_text(rows))
    [report] = ingest(lake, (SOURCE,))
    assert (report.rows_in, report.rows_kept, report.rows_quarantined) == (3, 3, 0)

    responses = {(r["attempt_id"], r["item_id"]): r for r in read(lake, "item_responses")}
    r = responses[("att-1", "item-2")]
    assert r["answered_at"].isoformat() == "2026-09-01T10:02:00+00:00"
    assert r["answered_date"].isoformat() == "2026-09-01"
    assert r["is_correct"] is False and r["score"] == 0.0 and r["duration_s"] == 12.5
    assert r["source"] == SOURCE and r["is_voided"] is False
    sid = student_pseudonym(lake.pseudonym_key, "sourced_id", "stu-1")
    assert r["student_id"] == sid
    assert "stu-1" not in {x["student_id"] for x in responses.values()}

    attempts = {a["attempt_id"]: a for a in read(lake, "quiz_attempts")}
    a1 = attempts["att-1"]
    assert (a1["score"], a1["max_score"], a1["attempt_number"]) == (1.0, 2.0, 1)
    assert a1["started_at"].isoformat() == "2026-09-01T09:55:00+00:00"
    assert a1["submitted_at"].isoformat() == "2026-09-01T10:10:00+00:00"
    assert a1["student_id"] == sid and a1["quiz_id"] == "quiz-1" and a1["source"] == SOURCE
    assert attempts["att-2"]["max_score"] == 2.0

    students = {s["student_id"]: s for s in read(lake, "students")}
    assert set(students) == {sid, student_pseudonym(lake.pseudonym_key, "sourced_id", "stu-2")}
    assert students[sid]["first_seen_at"].isoformat() == "2026-09-01T10:00:00+00:00"
    identity = {(i["identifier_type"], i["identifier"]): i for i in read(lake, "student_identity")}
    assert identity[("sourced_id", "stu-1")]["student_id"] == sid

    bronze = io.read(lake, bronze_spec(SOURCE, "responses")).to_pylist()
    assert sorted(b["_line"] for b in bronze) == [2, 3, 4]
    assert json.loads(bronze[0]["record"])["attempt_id"] in {"att-1", "att-2"}
    assert_balanced(lake)


def test_the_parse_offers_its_bronze_before_it_checks_the_records(
    lake: LakeSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The file's bronze rows (every record, the bad one too) go to the loader before any
    record is checked, as the very table the result carries."""
    write(lake, "r.csv", csv_text([response(), response(item_id="item-2", is_correct="maybe")]))
    (unit,) = PARSER.discover(lake.landing)
    steps: list[str] = []
    offered: list[pa.Table] = []

    def offer(offered_unit: LoadUnit, bronze: dict[str, pa.Table]) -> None:
        assert offered_unit is unit
        steps.append("offer")
        offered.append(bronze["responses"])

    real = QuizAttemptsParser._check_file

    def check(self: QuizAttemptsParser, *args: Any) -> pa.Table:
        steps.append("check")
        return real(self, *args)

    monkeypatch.setattr(QuizAttemptsParser, "_check_file", check)
    result = PARSER.parse(unit, ParseContext(settings=lake, load_id="L1", bronze_ready=offer))
    assert steps == ["offer", "check"]
    assert result.bronze["responses"] is offered[0]
    assert offered[0].column("_line").to_pylist() == [2, 3]
    assert result.quarantine.codes == ["wrong_type"]


def test_jsonl_gz_with_typed_json_values_loads_like_csv(lake: LakeSettings) -> None:
    lines = [
        {**response(), "is_correct": True, "score": 1, "duration_s": 3, "attempt_number": 2},
        {
            **response(item_id="item-2", attempt_number=2),
            "is_correct": False,
            "score": None,
            "max_score": 2.5,
        },
        {
            **response(item_id=77, attempt_number=None),
            "is_correct": 1,
        },  # integer ids are taken as their text
    ]
    write(lake, "2026-09-01/r.jsonl.gz", "\n".join(json.dumps(x) for x in lines) + "\n\n")
    [report] = ingest(lake, (SOURCE,))
    assert (report.rows_in, report.rows_kept) == (3, 3), quarantine(lake)
    responses = {r["item_id"]: r for r in read(lake, "item_responses")}
    assert responses["item-2"]["score"] == 0.0  # default from is_correct
    assert responses["77"]["is_correct"] is True
    [attempt] = read(lake, "quiz_attempts")
    assert attempt["attempt_number"] == 2 and attempt["max_score"] == 4.5
    bronze = io.read(lake, bronze_spec(SOURCE, "responses")).to_pylist()
    assert {b["_line"] for b in bronze} == {1, 2, 3}


def test_score_defaults_to_max_score_when_correct(lake: LakeSettings) -> None:
    write(lake, "a.csv", csv_text([response(score=None, max_score="3")]))
    ingest(lake, (SOURCE,))
    [r] = read(lake, "item_responses")
    assert r["score"] == 3.0


BAD_CSV_ROWS: list[tuple[dict[str, Any], str]] = [
    (response(attempt_id=None), "missing_field"),
    (response(answered_at=None), "missing_field"),
    (response(is_correct=None), "missing_field"),
    (response(answered_at="2026-09-01T10:00:00"), "invalid_timestamp"),
    (response(started_at="yesterday"), "invalid_timestamp"),
    (response(answered_at="2026-02-30T10:00:00Z"), "invalid_timestamp"),
    (response(answered_at="2099-09-01T10:00:00Z"), "future_timestamp"),
    (response(is_correct="maybe"), "wrong_type"),
    (response(score="ten"), "wrong_type"),
    (response(duration_s="nan"), "wrong_type"),
    (response(score="-1"), "invalid_value"),
    (response(max_score="0"), "invalid_value"),
    (response(attempt_number="0"), "invalid_value"),
    (response(attempt_number="1.5"), "invalid_value"),
    (response(student_id="stu\x01"), "invalid_value"),
    (response(item_id="x" * 300), "invalid_value"),
    (response(class_id="class-unknown"), "unknown_class"),
]


@pytest.mark.parametrize(("row", "code"), BAD_CSV_ROWS)
def test_bad_csv_row_is_quarantined_with_its_reason(
    lake: LakeSettings, row: dict[str, Any], code: str
) -> None:
    write(lake, "bad.csv", csv_text([response(item_id="good"), row]))
    [report] = ingest(lake, (SOURCE,))
    assert (report.rows_in, report.rows_kept, report.rows_quarantined) == (2, 1, 1)
    [q] = quarantine(lake)
    assert (q["reason_code"], q["line"], q["source"]) == (code, 3, SOURCE)
    assert q["raw"] and q["reason"]
    assert_balanced(lake)


def test_duplicate_key_in_file_keeps_the_first_row(lake: LakeSettings) -> None:
    rows = [response(response="a"), response(response="b"), response(item_id="item-2")]
    write(lake, "dup.csv", csv_text(rows))
    ingest(lake, (SOURCE,))
    [q] = quarantine(lake)
    assert (q["reason_code"], q["line"]) == ("duplicate_record", 3)
    assert "line 2" in q["reason"]
    kept = {r["item_id"]: r["response"] for r in read(lake, "item_responses")}
    assert kept == {"item-1": "a", "item-2": "a"}


def test_a_bad_first_row_does_not_make_the_good_repeat_a_duplicate(lake: LakeSettings) -> None:
    write(lake, "d.csv", csv_text([response(is_correct="x"), response()]))
    ingest(lake, (SOURCE,))
    assert [q["reason_code"] for q in quarantine(lake)] == ["wrong_type"]
    assert len(read(lake, "item_responses")) == 1


def test_attempt_rows_of_another_student_are_invalid(lake: LakeSettings) -> None:
    rows = [response(), response(item_id="item-2", student_id="stu-9")]
    write(lake, "c.csv", csv_text(rows))
    ingest(lake, (SOURCE,))
    [q] = quarantine(lake)
    assert q["reason_code"] == "invalid_value" and "line 2" in q["reason"]


def test_jsonl_record_problems(lake: LakeSettings) -> None:
    good = json.dumps(response())
    lines = [
        good,
        "{not json",
        "[1, 2, 3]",
        json.dumps(response(item_id={"nested": [1]})),
        json.dumps(response(item_id="i3", is_correct=[True])),
        json.dumps(response(item_id="i4", answered_at=1756720800)),
        '{"attempt_id": "att-1", "item_id": "i5"}',
    ]
    data = ("\n".join(lines) + "\n").encode() + b'{"attempt_id": "\xff\xfe"}\n'
    write(lake, "p.jsonl", data)
    [report] = ingest(lake, (SOURCE,))
    assert (report.rows_in, report.rows_kept, report.rows_quarantined) == (8, 1, 7)
    codes = [(q["line"], q["reason_code"]) for q in quarantine(lake)]
    assert codes == [
        (2, "malformed_json"),
        (3, "malformed_json"),
        (4, "wrong_type"),
        (5, "wrong_type"),
        (6, "wrong_type"),
        (7, "missing_field"),
        (8, "bad_encoding"),
    ]
    assert_balanced(lake)


def test_oversized_json_line_is_record_too_large(lake: LakeSettings) -> None:
    huge = json.dumps(response(response="x" * (8 * 1024 * 1024 + 10)))
    write(lake, "big.jsonl", json.dumps(response()) + "\n" + huge + "\n")
    [report] = ingest(lake, (SOURCE,))
    assert (report.rows_kept, report.rows_quarantined) == (1, 1)
    [q] = quarantine(lake)
    assert q["reason_code"] == "record_too_large" and len(q["raw"]) < 100_000


def test_malformed_csv_row_and_missing_column(lake: LakeSettings) -> None:
    text = csv_text([response()]) + "a,b,c\n"
    write(lake, "m.csv", text)
    # A file lacking a required column: every row is missing_field, still in bronze.
    cols = [c for c in COLUMNS if c != "quiz_id"]
    write(lake, "n.csv", csv_text([{k: v for k, v in response().items() if k != "quiz_id"}], cols))
    reports = {r.unit: r for r in ingest(lake, (SOURCE,))}
    assert reports[f"{SOURCE}/m.csv"].rows_quarantined == 1
    assert reports[f"{SOURCE}/n.csv"].rows_quarantined == 1
    codes = {(q["file"], q["reason_code"]) for q in quarantine(lake)}
    assert codes == {(f"{SOURCE}/m.csv", "malformed_csv"), (f"{SOURCE}/n.csv", "missing_field")}
    assert io.row_count(lake, bronze_spec(SOURCE, "responses")) == 2


@pytest.mark.parametrize(
    ("rel", "content"),
    [("notes.txt", b"hello\nworld\n"), ("broken.csv.gz", b"\x1f\x8bnot really gzip")],
)
def test_unreadable_file_is_quarantined_whole(lake: LakeSettings, rel: str, content: bytes) -> None:
    (lake.landing / SOURCE).mkdir(parents=True)
    (lake.landing / SOURCE / rel).write_bytes(content)
    [report] = ingest(lake, (SOURCE,))
    assert report.rows_kept == 0 and report.rows_quarantined >= 1
    assert {q["reason_code"] for q in quarantine(lake)} == {"unreadable_file"}
    assert_balanced(lake)


def test_reload_is_a_no_op(lake: LakeSettings) -> None:
    write(lake, "a.csv", csv_text([response(), response(item_id="x", class_id="nope")]))
    assert len(ingest(lake, (SOURCE,))) == 1
    assert ingest(lake, (SOURCE,)) == []
    unit = LoadUnit(SOURCE, f"{SOURCE}/a.csv", (lake.landing / SOURCE / "a.csv",))
    assert load_unit(lake, unit).status == "skipped"
    assert len(read(lake, "item_responses")) == 1 and len(quarantine(lake)) == 1


def test_known_student_resolves_by_username(lake: LakeSettings) -> None:
    io.merge(
        lake,
        silver("student_identity"),
        pa.table(
            {
                "identifier_type": ["username"],
                "identifier": ["jdoe"],
                "student_id": ["s_existing"],
            }
        ),
        "setup",
    )
    write(lake, "a.csv", csv_text([response(student_id="jdoe")]))
    ingest(lake, (SOURCE,))
    assert read(lake, "item_responses")[0]["student_id"] == "s_existing"
    assert read(lake, "students") == []


def test_unknown_item_is_kept(lake: LakeSettings) -> None:
    write(lake, "a.csv", csv_text([response(item_id="not-in-any-bank")]))
    [report] = ingest(lake, (SOURCE,))
    assert report.rows_kept == 1


def test_a_file_mapped_before_its_classes_are_loaded_checks_them_when_reduced(
    settings: LakeSettings,
) -> None:
    """The class rule is the batch's (``reduce_units``), not the record's: a file mapped while
    no class is known (as when it is mapped ahead, behind the roster's load) keeps the rows of
    classes known by the time it is reduced, and quarantines the others, after the per-record
    rules and before duplicates, as one parse would."""
    import datetime as dt

    from lake.sources.base import ParseContext
    from lake.sources.quiz_attempts import PARSER

    rows = [
        response(item_id="item-1", is_correct="x"),  # a record rule wins over the class rule
        response(item_id="item-1"),
        response(item_id="item-2", class_id="class-later"),  # unknown when reduced
        response(item_id="item-2", attempt_id="att-2"),
        response(item_id="item-2", attempt_id="att-2"),  # duplicate of the line before
        # The unknown class is not the attempt's head: the row after it is, and is kept (the
        # map, knowing no class, had made line 7 the head and line 8 a mismatch).
        response(item_id="item-1", attempt_id="att-3", class_id="class-later"),
        response(item_id="item-2", attempt_id="att-3", student_id="stu-2"),
    ]
    path = write(settings, "early.csv", csv_text(rows))
    unit = LoadUnit(source=SOURCE, name=f"{SOURCE}/early.csv", files=(path,))
    now = dt.datetime(2026, 9, 2, tzinfo=dt.UTC)
    ctx = ParseContext(settings=settings, load_id=unit.load_id, now=now)
    assert PARSER.map_inputs(ctx) is None
    mapped = PARSER.map_unit(unit, None, now)  # no class known yet
    assert mapped.kept.num_rows == 6  # only the record rules have run
    add_classes(settings, "class-1")
    [result] = PARSER.reduce_units([unit], [mapped], ctx)
    assert result is not None
    kept = result.silver["item_responses"]
    assert sorted(kept.column("attempt_id").to_pylist()) == ["att-1", "att-2", "att-3"]
    quarantined = result.quarantine.to_table()
    lines, codes = quarantined["line"].to_pylist(), quarantined["reason_code"].to_pylist()
    reasons = sorted(zip(lines, codes, strict=True))
    assert reasons == [
        (2, "wrong_type"),
        (4, "unknown_class"),
        (6, "duplicate_record"),
        (7, "unknown_class"),
    ]
    assert all(quarantined["raw"].to_pylist())
    [count] = result.files
    assert (count.rows_in, count.rows_kept, count.rows_quarantined) == (7, 3, 4)


def test_attempt_split_across_files_combines_into_one_attempt(lake: LakeSettings) -> None:
    day1 = [
        response(
            answered_at="2026-09-01T23:59:00Z",
            started_at="2026-09-01T23:50:00Z",
            submitted_at=None,
            score="1",
            max_score="2",
        )
    ]
    day2 = [
        response(
            item_id="item-2",
            answered_at="2026-09-02T00:05:00Z",
            started_at=None,
            submitted_at="2026-09-02T00:06:00Z",
            score="0",
            is_correct="false",
        )
    ]
    # Stored responses carry no max_score: the item bank's is used (else 1).
    items = pa.table({"item_id": ["item-1"], "max_score": [2.0]})
    io.merge(lake, silver("items"), items, "setup")
    write(lake, "2026-09-01/a.csv", csv_text(day1))
    write(lake, "2026-09-02/b.csv", csv_text(day2))
    ingest(lake, (SOURCE,))
    [a] = read(lake, "quiz_attempts")
    assert a["started_at"].isoformat() == "2026-09-01T23:50:00+00:00"
    assert a["submitted_at"].isoformat() == "2026-09-02T00:06:00+00:00"
    # Day 2's load folds in day 1's stored response.
    assert (a["score"], a["max_score"]) == (1.0, 3.0)
    dates = sorted(r["answered_date"].isoformat() for r in read(lake, "item_responses"))
    assert dates == ["2026-09-01", "2026-09-02"]


def write_responses_csv(path: Path, n: int, seed: int = 7, day: str = "2026-09-01") -> None:
    """``n`` valid synthetic responses (20 items per attempt), for volume tests and timing."""
    rnd = random.Random(seed)
    lines = [",".join(COLUMNS)]
    for i in range(n):
        attempt, item = divmod(i, 20)
        sec = (i * 7) % 86_000
        ts = f"{day}T{sec // 3600:02d}:{sec // 60 % 60:02d}:{sec % 60:02d}Z"
        ok = rnd.random() < 0.6
        lines.append(
            f"att-{attempt},stu-{attempt % 5000},class-{attempt % 2 + 1},quiz-{attempt % 40},"
            f"item-{item},1,{ts},{ts},{ts},{'a' if ok else 'b'},{str(ok).lower()},"
            f"{int(ok)},1,{rnd.randint(3, 90)}"
        )
    data = ("\n".join(lines) + "\n").encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(data, 1) if path.name.endswith(".gz") else data)


def test_volume_file_loads_vectorised(lake: LakeSettings) -> None:
    write_responses_csv(lake.landing / SOURCE / "2026-09-01" / "big.csv.gz", 20_000)
    [report] = ingest(lake, (SOURCE,))
    assert (report.rows_in, report.rows_kept) == (20_000, 20_000)
    assert io.row_count(lake, silver("quiz_attempts")) == 1000
    assert io.row_count(lake, silver("students")) == 1000


_hostile_text = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=200),
    st.just("\x00" * 5),
    st.just("x" * 100_000),
    st.sampled_from(["2026-09-01T10:00:00Z", "2026-09-01T10:00:00", "1e999", "true", "-0", ""]),
)
_json_value = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | _hostile_text,
    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=5), c, max_size=3),
    max_leaves=10,
)


@st.composite
def _hostile_file(draw: st.DrawFn) -> tuple[str, bytes]:
    kind = draw(st.sampled_from(["csv", "jsonl", "bytes", "deep"]))
    if kind == "bytes":
        return draw(st.sampled_from(["r.csv", "r.jsonl"])), draw(st.binary(max_size=2000))
    if kind == "deep":
        depth = draw(st.integers(1, 5000))
        return "r.jsonl", ("[" * depth + "]" * depth + "\n" + "{" * depth).encode()
    rows = draw(
        st.lists(
            st.fixed_dictionaries(
                {},
                optional={c: (_hostile_text if kind == "csv" else _json_value) for c in COLUMNS},
            ).map(lambda d: {**response(), **d}),
            max_size=8,
        )
    )
    if kind == "csv":
        text = csv_text([{k: str(v) for k, v in r.items()} for r in rows])
        return "r.csv", text.encode("utf-8", "surrogatepass")
    encoded = b"\n".join(json.dumps(r).encode() for r in rows)
    return "r.jsonl", encoded + draw(st.sampled_from([b"", b"\n\xff\xfe garbage\n", b"\x00"]))


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
    reports = ingest(settings, (SOURCE,))
    for r in reports:
        # An unreadable file is reported (and quarantined whole), never a parser bug.
        assert r.error is None or r.error.startswith("UnsupportedFileError"), r.error
        assert r.rows_in == r.rows_kept + r.rows_quarantined
    assert_balanced(settings)
    loads = io.read(settings, LOADS)
    q = io.read(settings, quarantine_spec(SOURCE))
    assert pc.sum(loads.column("rows_quarantined")).as_py() in (None, q.num_rows)


def test_split_parse_of_a_batch_matches_loading_files_one_by_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    day1 = [
        response(answered_at="2026-09-01T23:59:00Z", submitted_at=None, score="1", max_score="2"),
        response(attempt_id="att-2", student_id="stu-2", answered_at="2026-09-01T11:00:00Z"),
        response(attempt_id="att-3", class_id="class-404"),  # unknown class: quarantined
    ]
    day2 = [
        response(
            item_id="item-2",
            answered_at="2026-09-02T00:05:00Z",
            started_at=None,
            submitted_at="2026-09-02T00:06:00Z",
            score="0",
            is_correct="false",
        ),  # the rest of att-1
        response(attempt_id="att-4", student_id="stu-2", answered_at="2026-09-02T09:00:00Z"),
    ]
    stamps = {"_loaded_at", "_ingested_at", "_ingest_date", "quarantined_at", "first_seen_at"}
    lakes = {}
    for mode in ("one_by_one", "batch", "map_reduce"):
        s = LakeSettings(lake=tmp_path / mode / "lake", landing=tmp_path / mode / "landing")
        add_classes(s, "class-1")
        write(s, "2026-09-01/a.csv", csv_text(day1))
        write(s, "2026-09-02/b.csv", csv_text(day2))
        units = loader.pending_units(s, SOURCE)
        with monkeypatch.context() as m:
            if mode == "map_reduce":
                m.setattr(loader, "_batch_parse", use_split_parse(SOURCE))
            reports = (
                [load_unit(s, u) for u in units]
                if mode == "one_by_one"
                else loader.load_batch(s, units)
            )
        contents = {
            table: sorted(
                ({k: v for k, v in r.items() if k not in stamps} for r in read(s, table)),
                key=lambda r: json.dumps(r, default=str, sort_keys=True),
            )
            for table in ("item_responses", "quiz_attempts", "students", "student_identity")
        }
        contents["quarantine"] = sorted((q["line"], q["reason_code"]) for q in quarantine(s))
        lakes[mode] = ([(r.rows_in, r.rows_kept, r.rows_quarantined) for r in reports], contents)
    assert lakes["batch"] == lakes["one_by_one"]
    assert lakes["map_reduce"] == lakes["one_by_one"]
    counts, contents = lakes["map_reduce"]
    assert counts == [(3, 2, 1), (2, 2, 0)]
    attempts = {a["attempt_id"]: a for a in contents["quiz_attempts"]}
    # att-1 adds up both files: 1 + 0 points; maximum 1 (a stored response, no item bank) + 1.
    assert (attempts["att-1"]["score"], attempts["att-1"]["max_score"]) == (1.0, 2.0)
    assert len(contents["student_identity"]) == 2  # stu-1 and stu-2, each once
