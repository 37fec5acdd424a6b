"""Each kind of expectation fails on a crafted bad table and names the offending rows."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa

from lake.tables import silver
from quality.runner import REDACTED, Baseline, Outcome, SuiteResult, validate
from quality.suites import QualityConfig, Severity, suite_for

CONFIG = QualityConfig(freshness_window=timedelta(hours=48), max_growth=10.0)
T0 = datetime(2025, 9, 10, 12, tzinfo=UTC)


def frame(table: str, rows: list[dict[str, Any]]) -> pa.Table:
    """Rows of a silver table; missing columns are null."""
    return pa.Table.from_pylist(rows, schema=silver(table).schema)


def event(n: int, **values: Any) -> dict[str, Any]:
    row = {
        "event_id": f"e{n}",
        "event_date": T0.date(),
        "occurred_at": T0,
        "student_id": "s1",
        "class_id": "c1",
        "verb": "experienced",
        "source": "xapi",
    }
    return row | values


def run(name: str, data: pa.Table, **kwargs: Any) -> SuiteResult:
    kwargs.setdefault("config", CONFIG)
    return validate(suite_for(f"silver/{name}"), data, **kwargs)


def failed(result: SuiteResult, column: str | None, severity: Severity) -> Outcome:
    [o] = [o for o in result.failures(severity) if o.column == column]
    return o


EVENT_PARENTS = {"silver/classes.class_id": ["c1"], "silver/students.student_id": ["s1"]}


def test_good_events_pass_everything() -> None:
    data = frame("learning_events", [event(1), event(2, source="caliper", verb="navigatedto")])
    result = run("learning_events", data, parents=EVENT_PARENTS)
    assert result.passed(), result.markdown()
    assert result.severity is None


def test_ranges_name_the_rows_out_of_range() -> None:
    data = frame(
        "learning_events",
        [
            event(1, score_scaled=0.5, duration_s=10.0),
            event(2, score_scaled=1.5),
            event(3, score_scaled=-2.0),
            event(4, duration_s=-1.0),
        ],
    )
    result = run("learning_events", data, parents=EVENT_PARENTS)
    assert result.severity is Severity.ERROR
    score = failed(result, "score_scaled", Severity.ERROR)
    assert score.unexpected_count == 2
    assert {(x["event_id"], x["score_scaled"]) for x in score.examples} == {
        ("e2", 1.5),
        ("e3", -2.0),
    }
    duration = failed(result, "duration_s", Severity.ERROR)
    assert [x["event_id"] for x in duration.examples] == ["e4"]
    md = result.markdown(Severity.ERROR)
    assert "| 1.5 | e2 |" in md and "score_scaled" in md


def test_assessment_weight_and_content_week_ranges() -> None:
    assessments = frame(
        "assessments",
        [
            {"assessment_id": "a1", "class_id": "c1", "assessment_type": "TMA", "weight": 20.0},
            {"assessment_id": "a2", "class_id": "c1", "assessment_type": "Exam", "weight": 120.0},
        ],
    )
    result = run("assessments", assessments, parents={"silver/classes.class_id": ["c1"]})
    o = failed(result, "weight", Severity.ERROR)
    assert o.examples == ({"weight": 120.0, "assessment_id": "a2"},)
    items = frame(
        "content_items",
        [
            {"content_id": "p1", "class_id": "c1", "source": "content", "content_type": "page"},
            {"content_id": "p2", "class_id": "c1", "source": "content", "week": -1},
        ],
    )
    result = run("content_items", items, parents={"silver/classes.class_id": ["c1"]})
    assert [x["content_id"] for x in failed(result, "week", Severity.ERROR).examples] == ["p2"]


def test_vocabularies_apply_per_source() -> None:
    data = frame(
        "learning_events",
        [
            event(1, source="caliper", verb="flew"),  # not a Caliper action: ERROR
            event(2, source="xapi", verb="flew"),  # unfamiliar xAPI verb: WARN only
            event(3, source="oulad", verb="interacted"),
            event(4, source="xapi", verb="voided"),  # voids never become events: ERROR
            event(5, source="smoke_signals"),
        ],
    )
    result = run("learning_events", data, parents=EVENT_PARENTS)
    errors = {(o.expectation, o.row_condition): o for o in result.failures(Severity.ERROR)}
    caliper = errors[("expect_column_values_to_be_in_set", 'source == "caliper"')]
    assert caliper.examples == ({"verb": "flew", "event_id": "e1"},)
    voided = errors[("expect_column_values_to_not_be_in_set", 'source == "xapi"')]
    assert [x["event_id"] for x in voided.examples] == ["e4"]
    source = failed(result, "source", Severity.ERROR)
    assert source.examples == ({"source": "smoke_signals", "event_id": "e5"},)
    [warn] = result.failures(Severity.WARN)
    assert warn.column == "verb" and {x["event_id"] for x in warn.examples} == {"e2", "e4"}


def test_forum_author_role_and_student_authors() -> None:
    posts = frame(
        "forum_posts",
        [
            {"post_id": "p1", "thread_id": "p1", "class_id": "c1", "author_id": "s1",
             "author_role": "student", "created_at": T0, "body": "hi", "source": "forum"},
            {"post_id": "p2", "thread_id": "p1", "class_id": "c1", "author_id": "t9",
             "author_role": "teacher", "created_at": T0, "body": "hello", "source": "forum"},
            {"post_id": "p3", "thread_id": "p1", "class_id": "c1", "author_id": "s404",
             "author_role": "student", "created_at": T0, "body": "?", "source": "forum"},
            {"post_id": "p4", "thread_id": "p1", "class_id": "c1", "author_id": "w1",
             "author_role": "wizard", "created_at": T0, "body": "!", "source": "forum"},
        ],
    )  # fmt: skip
    parents = {
        "silver/classes.class_id": ["c1"],
        "silver/students.student_id": ["s1"],
        "silver/forum_posts.post_id": ["p1", "p2", "p3", "p4"],
    }
    result = run("forum_posts", posts, parents=parents)
    role = failed(result, "author_role", Severity.ERROR)
    assert role.examples == ({"author_role": "wizard", "post_id": "p4"},)
    # Only student authors must be students; the teacher t9 is not checked against students.
    author = failed(result, "author_id", Severity.ERROR)
    assert author.examples == ({"author_id": "s404", "post_id": "p3"},)


def test_referential_integrity_names_orphans_and_allows_nulls() -> None:
    rows = [
        {"class_id": "c1", "student_id": "s1", "source": "oneroster", "status": "active"},
        {"class_id": "c2", "student_id": "s1", "source": "oneroster", "status": "active"},
        {"class_id": "c1", "student_id": "s9", "source": "oulad", "status": "registered"},
    ]
    parents = {"silver/classes.class_id": ["c1"], "silver/students.student_id": ["s1"]}
    result = run("enrollments", frame("enrollments", rows), parents=parents)
    assert result.severity is Severity.ERROR
    cls = failed(result, "class_id", Severity.ERROR)
    assert cls.examples == ({"class_id": "c2", "student_id": "s1"},)
    assert "<1 keys of silver/classes.class_id>" in cls.rule
    stu = failed(result, "student_id", Severity.ERROR)
    assert stu.examples == ({"class_id": "c1", "student_id": "s9"},)

    # learning_events.class_id may be null (no known class): only unknown values fail.
    events = frame("learning_events", [event(1, class_id=None), event(2, class_id="c7")])
    result = run("learning_events", events, parents=EVENT_PARENTS)
    assert [x["event_id"] for x in failed(result, "class_id", Severity.ERROR).examples] == ["e2"]


def test_unknown_items_in_responses_only_warn() -> None:
    rows = [
        {"attempt_id": "a1", "item_id": "q1", "answered_at": T0, "student_id": "s1",
         "class_id": "c1", "score": 1.0, "source": "quiz_attempts"},
        {"attempt_id": "a1", "item_id": "q-new", "answered_at": T0, "student_id": "s1",
         "class_id": "c1", "score": 0.0, "source": "quiz_attempts"},
    ]  # fmt: skip
    parents = {
        "silver/quiz_attempts.attempt_id": ["a1"],
        "silver/students.student_id": ["s1"],
        "silver/classes.class_id": ["c1"],
        "silver/items.item_id": ["q1"],
    }
    result = run("item_responses", frame("item_responses", rows), parents=parents)
    assert result.passed(Severity.ERROR) and result.severity is Severity.WARN
    item = failed(result, "item_id", Severity.WARN)
    assert item.examples == ({"item_id": "q-new", "attempt_id": "a1"},)


def test_column_pairs_name_both_values() -> None:
    rows = [
        {"attempt_id": "a1", "student_id": "s1", "class_id": "c1", "source": "quiz_attempts",
         "attempt_number": 1, "score": 3.0, "max_score": 2.0, "started_at": T0,
         "submitted_at": T0 - timedelta(minutes=1)},
    ]  # fmt: skip
    parents = {"silver/students.student_id": ["s1"], "silver/classes.class_id": ["c1"]}
    result = run("quiz_attempts", frame("quiz_attempts", rows), parents=parents)
    cols = {o.column for o in result.failures(Severity.ERROR)}
    assert cols == {"max_score", "submitted_at"}
    [o] = [o for o in result.failures() if o.column == "max_score"]
    assert o.examples and o.examples[0]["attempt_id"] == "a1"
    assert o.examples[0]["score"] == 3.0 and o.examples[0]["max_score"] == 2.0


def test_volume_drop_errors_for_insert_only_and_warns_otherwise() -> None:
    events = frame("learning_events", [event(i) for i in range(5)])
    result = run("learning_events", events, parents=EVENT_PARENTS, baseline=Baseline(10, 3))
    [drop] = result.failures(Severity.ERROR)
    assert drop.expectation == "expect_table_row_count_to_be_between" and drop.observed == "5"
    assert "previous evaluation: 10 rows" in drop.why
    # A Delta DELETE (erasure, retention) since the baseline explains a drop: warn only.
    explained = run(
        "learning_events", events, parents=EVENT_PARENTS, baseline=Baseline(10, 3, True)
    )
    assert explained.passed(Severity.ERROR) and not explained.passed(Severity.WARN)
    # Upsert tables: a drop only warns.
    students = frame("students", [{"student_id": f"s{i}", "source": "xapi"} for i in range(3)])
    result = run("students", students, baseline=Baseline(4, 1))
    assert result.severity is Severity.WARN


def test_volume_growth_beyond_the_factor_warns() -> None:
    events = frame("learning_events", [event(i) for i in range(25)])
    result = run("learning_events", events, parents=EVENT_PARENTS, baseline=Baseline(2, 1))
    [growth] = result.failures()
    assert growth.severity is Severity.WARN and growth.observed == "25"
    assert "at most 10x" in growth.why
    assert run("learning_events", events, parents=EVENT_PARENTS, baseline=Baseline(3, 1)).passed()


def test_freshness_warns_when_the_newest_event_is_too_old() -> None:
    events = frame("learning_events", [event(1), event(2, occurred_at=T0 - timedelta(days=1))])
    fresh = run("learning_events", events, parents=EVENT_PARENTS, freshness_reference=T0)
    assert fresh.passed()
    late = T0 + timedelta(days=3)
    stale = run("learning_events", events, parents=EVENT_PARENTS, freshness_reference=late)
    [o] = stale.failures()
    assert o.severity is Severity.WARN and o.column == "occurred_at"
    assert o.observed is not None and o.observed.startswith("2025-09-10T12:00:00")


def test_pii_never_appears_in_examples() -> None:
    rows = [
        {"identifier_type": "email", "identifier": "ada@example.edu", "student_id": "s404",
         "email": "ada@example.edu"},
    ]  # fmt: skip
    result = run(
        "student_identity",
        frame("student_identity", rows),
        parents={"silver/students.student_id": ["s1"]},
    )
    [o] = result.failures()
    assert o.examples == (
        {"student_id": "s404", "identifier_type": "email", "identifier": REDACTED},
    )
    assert "ada@" not in result.markdown()


def test_an_expectation_that_cannot_run_fails_at_its_severity() -> None:
    data = frame("terms", [{"term_id": "t1", "start_date": date(2025, 1, 2)}]).drop_columns(
        ["end_date"]
    )
    result = run("terms", data, parents={"silver/terms.term_id": ["t1"]})
    [o] = result.failures()
    assert o.severity is Severity.ERROR and o.error


def test_suites_run_in_a_process_whose_main_has_no_file() -> None:
    # `python -c` (like a pytest-xdist worker) has a __main__ without a file, which pyspark's
    # Spark Connect module takes for a doctest run: it called sys.exit(0) inside GX's import.
    code = """
import sys
from datetime import UTC, datetime
import pyarrow as pa
from lake.tables import silver
from quality.runner import validate
from quality.suites import suite_for
row = {"event_id": "e1", "event_date": datetime(2025, 9, 10, tzinfo=UTC).date(),
       "occurred_at": datetime(2025, 9, 10, 12, tzinfo=UTC), "student_id": "s1",
       "class_id": "c1", "verb": "experienced", "source": "xapi"}
data = pa.Table.from_pylist([row], schema=silver("learning_events").schema)
result = validate(suite_for("silver/learning_events"), data)
print("validated", result.rows, len(result.outcomes))
"""
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "validated 1 " in done.stdout, (done.stdout, done.stderr[-2000:])
