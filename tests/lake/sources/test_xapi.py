"""xAPI parser: every rule through the real loader, the Open edX fixtures, hostile input."""

from __future__ import annotations

import copy
import gzip
import json
import os
import shutil
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from lake import io, loader
from lake.quarantine import QuarantineBuilder
from lake.settings import LakeSettings
from lake.sources import xapi
from lake.sources.base import LoadUnit, ParseContext
from lake.sources.xapi import statement_uuid5
from lake.tables import bronze_spec, quarantine_spec, silver
from tests.lake.sources.split_parse import use_split_parse
from tests.lake.sources.xapi_gen import (
    ANSWERED,
    ASSESSMENT_TYPE,
    ATTEMPT_EXT,
    COURSE_TYPE,
    HOME,
    QUESTION_TYPE,
    VIDEO_TIME,
    VIDEO_TYPE,
    VOIDED,
    dumps_lines,
    statement,
    write_jsonl,
)

XAPI_DIR = Path("xapi_caliper/openedx_erb/xapi_expected")


def _known(settings: LakeSettings, classes: list[str], content: list[str] = ()) -> None:
    io.merge(
        settings,
        silver("classes"),
        pa.table({"class_id": classes, "source": ["test"] * len(classes)}),
        "setup",
    )
    if content:
        io.merge(
            settings,
            silver("content_items"),
            pa.table({"content_id": list(content), "source": ["test"] * len(content)}),
            "setup",
        )


@pytest.fixture
def lake(settings: LakeSettings) -> LakeSettings:
    """Settings with class-1 and content page-1 / quiz-1 / q1 known."""
    _known(settings, ["class-1"], ["page-1", "quiz-1", "q1"])
    return settings


def _write(settings: LakeSettings, name: str, data: bytes) -> Path:
    path = settings.landing / "xapi" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def _ingest(settings: LakeSettings) -> list[loader.LoadReport]:
    reports = loader.ingest(settings, ("xapi",))
    for r in reports:
        assert r.rows_in == r.rows_kept + r.rows_quarantined
    return reports


def _rows(settings: LakeSettings, table: str) -> list[dict[str, Any]]:
    return io.read(settings, silver(table)).to_pylist()


def _quarantine(settings: LakeSettings) -> list[dict[str, Any]]:
    return io.read(settings, quarantine_spec("xapi")).to_pylist()


def _load(settings: LakeSettings, statements: list[Any], name: str = "a.jsonl") -> dict:
    _write(settings, name, dumps_lines(statements))
    (report,) = _ingest(settings)
    assert report.error is None
    return {
        "report": report,
        "events": {e["event_id"]: e for e in _rows(settings, "learning_events")},
        "quarantine": _quarantine(settings),
    }


# --- mapping ---------------------------------------------------------------------------------


def test_statement_maps_to_learning_event(lake: LakeSettings) -> None:
    sid = str(uuid.uuid4()).upper()
    st1 = statement(
        sid=sid,
        object_id=f"{HOME}/content/page-1",
        result={
            "duration": "PT1M30.5S",
            "score": {"scaled": 0.75, "raw": 3, "min": 0, "max": 4},
            "success": True,
            "completion": True,
            "extensions": {"https://example.edu/ext/r": 1},
        },
        timestamp="2026-09-01T12:00:00+02:00",
    )
    st1["context"]["extensions"] = {"https://example.edu/ext/c": "x"}
    out = _load(lake, [st1])
    assert out["report"].rows_kept == 1 and out["quarantine"] == []
    (ev,) = out["events"].values()
    assert ev["event_id"] == sid.lower() == ev["statement_id"]
    assert ev["occurred_at"].isoformat() == "2026-09-01T10:00:00+00:00"
    assert str(ev["event_date"]) == "2026-09-01"
    assert ev["class_id"] == "class-1"
    assert ev["content_id"] == "page-1"
    assert ev["verb"] == "completed" and ev["object_type"] == "lesson"
    assert ev["duration_s"] == pytest.approx(90.5)
    assert ev["score_scaled"] == 0.75 and ev["is_success"] and ev["is_completion"]
    assert ev["source"] == "xapi" and ev["is_voided"] is False
    assert json.loads(ev["extensions"]) == {
        "context": {"https://example.edu/ext/c": "x"},
        "result": {"https://example.edu/ext/r": 1},
    }
    (student,) = _rows(lake, "students")
    assert student["student_id"] == ev["student_id"] and student["source"] == "xapi"
    assert student["first_seen_at"] == ev["occurred_at"]
    bronze = io.read(lake, bronze_spec("xapi", "statements")).to_pylist()
    assert [b["_line"] for b in bronze] == [1]
    assert json.loads(bronze[0]["record"]) == st1


@pytest.mark.parametrize("units", [1, 2])
def test_the_parse_offers_its_bronze_before_it_validates(
    lake: LakeSettings, monkeypatch: pytest.MonkeyPatch, units: int
) -> None:
    """Each unit's bronze rows (every line, the broken one too) go to the loader before any
    statement is validated, as the very tables the unit's result carries; one unit by
    ``parse``, several by ``parse_batch``."""
    for k in range(units):
        good = statement()
        _write(lake, f"f{k}.jsonl", orjson.dumps(good) + b"\n{broken\n")
    found = xapi.PARSER.discover(lake.landing)
    assert len(found) == units
    steps: list[str] = []
    offered: dict[str, pa.Table] = {}

    def offer(unit: LoadUnit, bronze: dict[str, pa.Table]) -> None:
        steps.append("offer")
        offered[unit.name] = bronze["statements"]

    real = xapi._validate_sql

    def validate(*args: Any, **kwargs: Any) -> Any:
        steps.append("validate")
        return real(*args, **kwargs)

    monkeypatch.setattr(xapi, "_validate_sql", validate)
    ctx = ParseContext(settings=lake, load_id="L1", bronze_ready=offer)
    if units == 1:
        results = [xapi.PARSER.parse(found[0], ctx)]
    else:
        results = xapi.PARSER.parse_batch(found, ctx)
    assert steps == ["offer"] * units + ["validate"]
    for unit, result in zip(found, results, strict=True):
        assert result is not None
        assert result.bronze["statements"] is offered[unit.name]
        assert offered[unit.name].column("_line").to_pylist() == [1, 2]


def test_unknown_content_keeps_full_iri_and_video_times(lake: LakeSettings) -> None:
    iri = f"{HOME}/videos/intro%20video"
    st1 = statement(
        verb="https://w3id.org/xapi/video/verbs/seeked",
        object_id=iri,
        object_type=VIDEO_TYPE,
        result={
            "extensions": {
                VIDEO_TIME: 12.5,
                "https://w3id.org/xapi/video/extensions/time-from": 3,
                "https://w3id.org/xapi/video/extensions/time-to": 40.25,
            }
        },
    )
    (ev,) = _load(lake, [st1])["events"].values()
    assert ev["content_id"] == iri
    assert ev["verb"] == "seeked" and ev["object_type"] == "video"
    assert (ev["video_time_s"], ev["video_time_from_s"], ev["video_time_to_s"]) == (12.5, 3, 40.25)


def test_class_candidates_full_iri_then_url_decoded_segment(settings: LakeSettings) -> None:
    _known(settings, ["course-v1:edX+Demo", "https://lms.example.edu/classes/full"])
    a = statement(class_iri=f"{HOME}/course/course-v1%3AedX%2BDemo")
    b = statement(class_iri="https://lms.example.edu/classes/full")
    c = statement(class_iri=None, parents=[{"id": f"{HOME}/modules/m1"}])
    d = statement(class_iri=None)
    out = _load(settings, [a, b, c, d])
    assert out["quarantine"] == []
    classes = {k: e["class_id"] for k, e in out["events"].items()}
    assert classes == {
        a["id"]: "course-v1:edX+Demo",
        b["id"]: "https://lms.example.edu/classes/full",
        c["id"]: None,
        d["id"]: None,
    }


def test_object_that_is_a_known_class_gives_the_class(lake: LakeSettings) -> None:
    st1 = statement(
        verb="http://adlnet.gov/expapi/verbs/registered",
        object_id=f"{HOME}/classes/class-1",
        object_type="http://adlnet.gov/expapi/activities/course",
        class_iri=None,
    )
    (ev,) = _load(lake, [st1])["events"].values()
    assert ev["class_id"] == "class-1"


def test_unknown_class_is_quarantined(lake: LakeSettings) -> None:
    bad = statement(class_iri=f"{HOME}/classes/class-404")
    by_type = statement(
        class_iri=None,
        parents=[{"id": "urn:x:zz", "definition": {"type": COURSE_TYPE}}],
    )
    out = _load(lake, [bad, by_type, statement()])
    assert out["report"].rows_kept == 1
    assert [(q["line"], q["reason_code"]) for q in out["quarantine"]] == [
        (1, "unknown_class"),
        (2, "unknown_class"),
    ]
    assert "class-404" in out["quarantine"][0]["reason"]


# --- identity --------------------------------------------------------------------------------


def test_actor_identities_and_roster_match(lake: LakeSettings) -> None:
    io.merge(
        lake,
        silver("student_identity"),
        pa.table(
            {
                "identifier_type": ["sourced_id"],
                "identifier": ["roster-7"],
                "student_id": ["s_roster7"],
                "source": ["oneroster"],
            }
        ),
        "setup",
    )
    rostered = statement(student="roster-7")
    by_mail = statement()
    by_mail["actor"] = {"mbox": "mailto:Ada.Lovelace@Example.EDU"}
    by_sha = statement()
    by_sha["actor"] = {"mbox_sha1sum": "A" * 40}
    by_openid = statement()
    by_openid["actor"] = {"openid": "https://id.example.edu/ada"}
    group = statement()
    group["actor"] = {"objectType": "Group", "member": [{"mbox": "mailto:a@b.c"}]}
    out = _load(lake, [rostered, by_mail, by_sha, by_openid, group])
    assert out["quarantine"] == []
    ev = out["events"]
    assert ev[rostered["id"]]["student_id"] == "s_roster7"
    assert ev[group["id"]]["student_id"] is None
    identity = {
        (r["identifier_type"], r["identifier"]): r
        for r in _rows(lake, "student_identity")
        if r["source"] == "xapi"
    }
    assert set(identity) == {
        ("email", "ada.lovelace@example.edu"),
        ("mbox_sha1sum", "a" * 40),
        ("openid", "https://id.example.edu/ada"),
    }
    assert identity[("email", "ada.lovelace@example.edu")]["email"] == "ada.lovelace@example.edu"
    for st_, key in ((by_mail, "email"), (by_sha, "mbox_sha1sum"), (by_openid, "openid")):
        assert ev[st_["id"]]["student_id"] == next(
            r["student_id"] for k, r in identity.items() if k[0] == key
        )
    assert len(_rows(lake, "students")) == 3
    # A later load finds the students it created: no second identity row, same student_id.
    again = statement(student="x")
    again["actor"] = {"mbox": "mailto:ada.lovelace@example.edu"}
    _write(lake, "b.jsonl", dumps_lines([again]))
    _ingest(lake)
    events = {e["event_id"]: e for e in _rows(lake, "learning_events")}
    assert events[again["id"]]["student_id"] == ev[by_mail["id"]]["student_id"]
    assert len(_rows(lake, "students")) == 3


# --- quarantine reasons ------------------------------------------------------------------------


def _mutate(path: str, value: Any) -> Any:
    def apply(st_: dict[str, Any]) -> dict[str, Any]:
        st_ = copy.deepcopy(st_)
        keys = path.split(".")
        node = st_
        for k in keys[:-1]:
            node = node.setdefault(k, {})
        if value is _DELETE:
            node.pop(keys[-1], None)
        else:
            node[keys[-1]] = value
        return st_

    return apply


_DELETE = object()

CASES: list[tuple[str, Any, str]] = [
    ("no actor", _mutate("actor", _DELETE), "missing_field"),
    ("null actor", _mutate("actor", None), "missing_field"),
    ("no verb", _mutate("verb", _DELETE), "missing_field"),
    ("no object", _mutate("object", _DELETE), "missing_field"),
    ("no verb id", _mutate("verb.id", _DELETE), "missing_field"),
    ("no object id", _mutate("object.id", _DELETE), "missing_field"),
    ("no account name", _mutate("actor.account.name", _DELETE), "missing_field"),
    ("actor string", _mutate("actor", "bob"), "spec_violation"),
    ("two ifis", _mutate("actor.mbox", "mailto:a@b.c"), "spec_violation"),
    ("no ifi", _mutate("actor", {"objectType": "Agent", "name": "x"}), "spec_violation"),
    ("bad mbox", _mutate("actor", {"mbox": "a@b.c"}), "spec_violation"),
    ("bad sha1", _mutate("actor", {"mbox_sha1sum": "abc"}), "spec_violation"),
    ("bad homePage", _mutate("actor.account.homePage", "not an iri"), "spec_violation"),
    ("numeric name", _mutate("actor.account.name", 5), "spec_violation"),
    ("bad actor type", _mutate("actor.objectType", "Person"), "spec_violation"),
    ("verb id not iri", _mutate("verb.id", "completed"), "spec_violation"),
    ("object id not iri", _mutate("object.id", "page 1"), "spec_violation"),
    ("bad object type", _mutate("object.objectType", "GroupActivity"), "spec_violation"),
    ("bad id", _mutate("id", "1234"), "spec_violation"),
    ("numeric id", _mutate("id", 1234), "spec_violation"),
    ("bad version", _mutate("version", "2.0.0"), "spec_violation"),
    ("scaled > 1", _mutate("result", {"score": {"scaled": 1.5}}), "spec_violation"),
    ("scaled string", _mutate("result", {"score": {"scaled": "0.5"}}), "spec_violation"),
    ("raw > max", _mutate("result", {"score": {"raw": 5, "min": 0, "max": 4}}), "spec_violation"),
    ("success string", _mutate("result", {"success": "true"}), "spec_violation"),
    ("bad duration", _mutate("result", {"duration": "90 seconds"}), "spec_violation"),
    ("empty duration", _mutate("result", {"duration": "PT"}), "spec_violation"),
    ("result string", _mutate("result", "great"), "spec_violation"),
    ("context list", _mutate("context", [1]), "spec_violation"),
    ("bad registration", _mutate("context.registration", "r-1"), "spec_violation"),
    ("activity without id", _mutate("context.contextActivities.grouping", [{}]), "spec_violation"),
    ("unknown ca key", _mutate("context.contextActivities.cousin", []), "spec_violation"),
    ("void without ref", _mutate("verb.id", VOIDED), "spec_violation"),
    ("naive timestamp", _mutate("timestamp", "2026-09-01T10:00:00"), "invalid_timestamp"),
    ("date only", _mutate("timestamp", "2026-09-01"), "invalid_timestamp"),
    ("garbage timestamp", _mutate("timestamp", "yesterday"), "invalid_timestamp"),
    ("month 13", _mutate("timestamp", "2026-13-01T10:00:00Z"), "invalid_timestamp"),
    ("minus zero", _mutate("timestamp", "2026-09-01T10:00:00-00:00"), "invalid_timestamp"),
    ("bad stored", _mutate("stored", "2026-09-01 10:00"), "invalid_timestamp"),
    ("future", _mutate("timestamp", "2099-01-01T00:00:00Z"), "future_timestamp"),
]


@pytest.mark.parametrize(("label", "mutate", "code"), CASES, ids=[c[0] for c in CASES])
def test_rule_quarantines_with_reason(
    lake: LakeSettings, label: str, mutate: Any, code: str
) -> None:
    good = statement()
    bad = mutate(statement())
    out = _load(lake, [good, bad])
    assert out["report"].rows_kept == 1, out["quarantine"]
    assert [(q["line"], q["reason_code"]) for q in out["quarantine"]] == [(2, code)]
    q = out["quarantine"][0]
    assert q["reason"] and json.loads(q["raw"]) == bad
    assert list(out["events"]) == [good["id"]]


def test_malformed_json_and_non_objects(lake: LakeSettings) -> None:
    good = dumps_lines([statement()])
    _write(lake, "a.jsonl", good + b'{"id": \n\n[1, 2]\n"text"\nnull\n' + good)
    (report,) = _ingest(lake)
    q = [(r["line"], r["reason_code"]) for r in _quarantine(lake)]
    assert q == [
        (2, "malformed_json"),
        (4, "spec_violation"),
        (5, "spec_violation"),
        (6, "spec_violation"),
        (7, "duplicate_record"),
    ]
    assert (report.rows_in, report.rows_kept) == (6, 1)


def test_duplicate_id_within_file_keeps_first(lake: LakeSettings) -> None:
    a = statement()
    b = statement(sid=a["id"].upper(), verb="http://adlnet.gov/expapi/verbs/experienced")
    out = _load(lake, [a, b])
    assert [(q["line"], q["reason_code"]) for q in out["quarantine"]] == [(2, "duplicate_record")]
    assert out["events"][a["id"]]["verb"] == "completed"


def test_statement_without_id_gets_deterministic_uuid5(lake: LakeSettings) -> None:
    st1 = statement()
    del st1["id"]
    out = _load(lake, [st1, st1])
    expected = statement_uuid5(orjson.dumps(st1).decode())
    assert uuid.UUID(expected).version == 5
    assert list(out["events"]) == [expected]
    assert [q["reason_code"] for q in out["quarantine"]] == ["duplicate_record"]
    # The same statement pretty-printed in a .json file is the same event.
    _write(lake, "b.json", json.dumps([st1], indent=2).encode())
    (report,) = _ingest(lake)
    assert report.silver_inserted.get("learning_events", 0) == 0
    assert len(_rows(lake, "learning_events")) == 1


def test_missing_timestamp_uses_stored_then_load_time(lake: LakeSettings) -> None:
    a = statement(timestamp=None)
    a["stored"] = "2026-08-01T00:00:00Z"
    b = statement(timestamp=None)
    ev = _load(lake, [a, b])["events"]
    assert ev[a["id"]]["occurred_at"].isoformat() == "2026-08-01T00:00:00+00:00"
    assert abs(ev[b["id"]]["occurred_at"] - datetime.now(UTC)) < timedelta(minutes=5)


# --- voiding ---------------------------------------------------------------------------------


def _void(target: str) -> dict[str, Any]:
    v = statement(verb=VOIDED, class_iri=None)
    v["object"] = {"objectType": "StatementRef", "id": target.upper()}
    return v


@pytest.mark.parametrize("void_first", [False, True])
def test_voiding_in_either_arrival_order(lake: LakeSettings, void_first: bool) -> None:
    target = statement(
        verb=ANSWERED,
        object_id=f"{HOME}/items/q1",
        registration=str(uuid.uuid4()),
        result={"success": True, "response": "a"},
    )
    void = _void(target["id"])
    first, second = (void, target) if void_first else (target, void)
    _write(lake, "2026-09-01/a.jsonl", dumps_lines([first]))
    _ingest(lake)
    _write(lake, "2026-09-02/b.jsonl", dumps_lines([second]))
    _ingest(lake)
    events = _rows(lake, "learning_events")
    assert [(e["event_id"], e["is_voided"]) for e in events] == [(target["id"], True)]
    (resp,) = _rows(lake, "item_responses")
    assert resp["is_voided"] is True
    (v,) = _rows(lake, "statement_voids")
    assert (v["voided_statement_id"], v["voiding_statement_id"]) == (target["id"], void["id"])


def test_a_void_marks_the_stored_target_while_the_batch_adds_new_events(
    lake: LakeSettings,
) -> None:
    # The second load's own new event is in a file its merge added (not read back for voids);
    # the stored target, in the first load's file, must still be found and marked.
    target = statement()
    _write(lake, "2026-09-01/a.jsonl", dumps_lines([target]))
    _ingest(lake)
    fresh = statement()
    _write(lake, "2026-09-02/b.jsonl", dumps_lines([fresh, _void(target["id"])]))
    _ingest(lake)
    voided = {e["event_id"]: e["is_voided"] for e in _rows(lake, "learning_events")}
    assert voided == {target["id"]: True, fresh["id"]: False}


def test_staff_actors_and_voiding_actors_are_not_made_students(lake: LakeSettings) -> None:
    io.merge(
        lake,
        silver("staff"),
        pa.table({"staff_id": ["tch-1"], "source_id": ["tch-1"], "role": ["teacher"]}),
        "setup",
    )
    learner = statement(student="stu-9")
    teacher_view = statement(student="tch-1")
    void = _void(learner["id"])
    void["actor"] = {"objectType": "Agent", "account": {"homePage": HOME, "name": "admin-2"}}
    out = _load(lake, [learner, teacher_view, void])
    assert out["report"].rows_kept == 3
    ids = {(r["identifier_type"], r["identifier"]) for r in _rows(lake, "student_identity")}
    assert ids == {("account", "stu-9")}
    assert len(_rows(lake, "students")) == 1
    assert out["events"][teacher_view["id"]]["student_id"] is None


def test_actors_of_each_kind_resolve_and_staff_emails_are_not_students(
    lake: LakeSettings,
) -> None:
    io.merge(
        lake,
        silver("staff"),
        pa.table(
            {
                "staff_id": ["tch-2"],
                "source_id": ["tch-2"],
                "email": ["T.Teach@School.example"],
                "role": ["teacher"],
            }
        ),
        "setup",
    )

    def by_mbox(mbox: str, ts: str) -> dict[str, Any]:
        st = statement(timestamp=ts)
        st["actor"] = {"objectType": "Agent", "mbox": mbox}
        return st

    pupil_late = by_mbox("mailto:Pupil@School.example", "2026-09-02T10:00:00Z")
    pupil_early = by_mbox("mailto:pupil@school.example", "2026-09-01T08:00:00Z")
    teacher = by_mbox("mailto:t.teach@school.example", "2026-09-01T09:00:00Z")
    account = statement(student="stu-3", timestamp="2026-09-03T10:00:00Z")
    out = _load(lake, [pupil_late, account, teacher, pupil_early])
    assert out["report"].rows_kept == 4
    identity = {
        (r["identifier_type"], r["identifier"]): r["student_id"]
        for r in _rows(lake, "student_identity")
    }
    assert set(identity) == {("email", "pupil@school.example"), ("account", "stu-3")}
    events = out["events"]
    assert events[teacher["id"]]["student_id"] is None
    pupil = identity[("email", "pupil@school.example")]
    assert (
        events[pupil_late["id"]]["student_id"] == events[pupil_early["id"]]["student_id"] == pupil
    )
    assert events[account["id"]]["student_id"] == identity[("account", "stu-3")]
    first_seen = {r["student_id"]: r["first_seen_at"] for r in _rows(lake, "students")}
    assert first_seen == {
        pupil: datetime(2026, 9, 1, 8, tzinfo=UTC),
        identity[("account", "stu-3")]: datetime(2026, 9, 3, 10, tzinfo=UTC),
    }


def test_a_new_actor_among_known_ones_is_first_seen_at_its_own_statement(
    lake: LakeSettings,
) -> None:
    known = [f"stu-k{i}" for i in range(8)]
    _load(lake, [statement(student=s, timestamp="2026-09-01T10:00:00Z") for s in known], "a.jsonl")
    again = [statement(student=s, timestamp="2026-09-05T10:00:00Z") for s in known]
    new = statement(student="stu-new", timestamp="2026-09-03T07:30:00Z")
    _load(lake, [*again[:4], new, *again[4:]], "b.jsonl")
    identity = {r["identifier"]: r["student_id"] for r in _rows(lake, "student_identity")}
    first_seen = {r["student_id"]: r["first_seen_at"] for r in _rows(lake, "students")}
    assert len(first_seen) == 9
    assert first_seen[identity["stu-new"]] == datetime(2026, 9, 3, 7, 30, tzinfo=UTC)
    assert {first_seen[identity[s]] for s in known} == {datetime(2026, 9, 1, 10, tzinfo=UTC)}


def test_voiding_within_one_file(lake: LakeSettings) -> None:
    target = statement()
    out = _load(lake, [target, _void(target["id"])])
    assert out["report"].rows_kept == 2
    assert [e["is_voided"] for e in _rows(lake, "learning_events")] == [True]


# --- quiz answers ----------------------------------------------------------------------------


def test_answered_statements_become_item_responses_and_attempts(lake: LakeSettings) -> None:
    reg = str(uuid.uuid4())
    quiz = [{"id": f"{HOME}/quizzes/quiz-1", "definition": {"type": ASSESSMENT_TYPE}}]

    def answer(item: str, ok: bool, ts: str, **kw: Any) -> dict[str, Any]:
        return statement(
            verb=ANSWERED,
            object_id=f"{HOME}/items/{item}",
            object_type=QUESTION_TYPE,
            registration=reg,
            parents=quiz,
            timestamp=ts,
            result={"success": ok, "response": "a" if ok else "b", "duration": "PT20S", **kw},
        )

    a1 = answer("q1", True, "2026-09-01T10:00:00Z", score={"raw": 2, "min": 0, "max": 2})
    a2 = answer("q2", False, "2026-09-01T10:05:00Z")
    ext = answer("q1", True, "2026-09-01T11:00:00Z")
    ext["context"]["extensions"] = {ATTEMPT_EXT: "attempt-9"}
    no_attempt = answer("q3", True, "2026-09-01T10:06:00Z")
    del no_attempt["context"]["registration"]
    out = _load(lake, [a1, a2, ext, no_attempt])
    assert out["quarantine"] == [] and len(out["events"]) == 4
    responses = {(r["attempt_id"], r["item_id"]): r for r in _rows(lake, "item_responses")}
    assert set(responses) == {(reg, "q1"), (reg, f"{HOME}/items/q2"), ("attempt-9", "q1")}
    r1 = responses[(reg, "q1")]
    assert r1["quiz_id"] == "quiz-1" and r1["class_id"] == "class-1"
    assert (r1["response"], r1["is_correct"], r1["score"], r1["duration_s"]) == ("a", True, 2, 20)
    assert r1["statement_id"] == a1["id"] and r1["source"] == "xapi"
    assert responses[(reg, f"{HOME}/items/q2")]["score"] == 0
    attempts = {a["attempt_id"]: a for a in _rows(lake, "quiz_attempts")}
    att = attempts[reg]
    assert att["started_at"].isoformat() == "2026-09-01T10:00:00+00:00"
    assert att["submitted_at"].isoformat() == "2026-09-01T10:05:00+00:00"
    assert (att["score"], att["max_score"], att["quiz_id"]) == (2, 3, "quiz-1")
    # A later file adds an answer to the same attempt: the attempt is recomputed over both.
    # Its answer again to an item already stored counts once, as stored (item_responses is
    # insert-only): not its later time, score or maximum.
    a3 = answer("q3", True, "2026-09-01T10:09:00Z")
    again = answer("q1", True, "2026-09-01T10:30:00Z", score={"raw": 5, "min": 0, "max": 5})
    _write(lake, "b.jsonl", dumps_lines([a3, again]))
    _ingest(lake)
    att = {a["attempt_id"]: a for a in _rows(lake, "quiz_attempts")}[reg]
    assert att["started_at"].isoformat() == "2026-09-01T10:00:00+00:00"
    assert att["submitted_at"].isoformat() == "2026-09-01T10:09:00+00:00"
    assert (att["score"], att["max_score"]) == (3, 3)  # a stored response counts 1 to the max
    assert responses[(reg, "q1")]["statement_id"] == a1["id"]


# --- file forms ------------------------------------------------------------------------------


def test_json_array_lrs_result_single_object_and_gzip(lake: LakeSettings) -> None:
    a, b, c, d, e = (statement() for _ in range(5))
    bad = statement()
    del bad["verb"]
    _write(lake, "array.json", json.dumps([a, bad], indent=2).encode())
    _write(lake, "lrs.json", json.dumps({"statements": [b], "more": "/xapi/statements?x"}).encode())
    _write(lake, "single.json", json.dumps(c).encode())
    _write(lake, "lines.jsonl.gz", gzip.compress(dumps_lines([d])))
    _write(lake, "lines.ndjson", dumps_lines([e]))
    reports = {r.unit: r for r in _ingest(lake)}
    assert {u: (r.rows_in, r.rows_kept) for u, r in reports.items()} == {
        "xapi/array.json": (2, 1),
        "xapi/lrs.json": (1, 1),
        "xapi/single.json": (1, 1),
        "xapi/lines.jsonl.gz": (1, 1),
        "xapi/lines.ndjson": (1, 1),
    }
    assert {e_["event_id"] for e_ in _rows(lake, "learning_events")} == {
        s["id"] for s in (a, b, c, d, e)
    }
    (q,) = _quarantine(lake)
    assert (q["file"], q["line"], q["reason_code"]) == ("xapi/array.json", 2, "missing_field")


def test_broken_documents_and_unsupported_files(lake: LakeSettings) -> None:
    _write(lake, "broken.json", b'[{"id": "x"},')
    _write(lake, "latin1.json", '[{"name": "caf\xe9"}]'.encode("latin-1"))
    _write(lake, "notes.txt", b"hello\nworld\n")
    _write(lake, "bad.jsonl.gz", b"\x1f\x8b not really gzip")
    _write(lake, "empty.json", b"")
    reports = {r.unit: r for r in _ingest(lake)}
    assert reports["xapi/empty.json"].rows_in == 0
    codes = {(q["file"], q["reason_code"]) for q in _quarantine(lake)}
    assert codes == {
        ("xapi/broken.json", "malformed_json"),
        ("xapi/latin1.json", "bad_encoding"),
        ("xapi/notes.txt", "unreadable_file"),
        ("xapi/bad.jsonl.gz", "unreadable_file"),
    }


def test_generated_file_loads_completely(lake: LakeSettings) -> None:
    _known(lake, [f"class-{i}" for i in range(50)])
    write_jsonl(lake.landing / "xapi" / "gen.jsonl", 3000, students=40)
    (report,) = _ingest(lake)
    assert (report.rows_in, report.rows_kept, report.rows_quarantined) == (3000, 3000, 0)
    assert len(_rows(lake, "learning_events")) == 3000
    assert len(_rows(lake, "students")) == 40
    answered = (3000 + 16) // 17
    assert len(_rows(lake, "item_responses")) == answered
    assert len(_rows(lake, "quiz_attempts")) == answered


# --- real fixtures ---------------------------------------------------------------------------

# Open edX statements that break xAPI 1.0.3 itself (checked by hand, see the parser's rules):
# object.objectType "GroupActivity" is not one of the five object types; score min == max == 0
# breaks "max greater than min"; an Activity object without id.
EXPECTED_OPENEDX_REJECTS = {
    ("problem_check(server).list_answers.json", 1): "spec_violation",
    ("problem_check(server,multiple_questions,correct).json", 1): "spec_violation",
    ("problem_check(server,multiple_questions,incorrect).json", 1): "spec_violation",
    ("problem_check(server,multiple_questions,partial_correct).json", 1): "spec_violation",
    ("problem_check(server).max_grade_0.json", 1): "spec_violation",
    ("edx.grades.problem.submitted.weighted_possible_0.json", 1): "spec_violation",
    ("edx.grades.subsection.grade_calculated.weighted_possible_0.json", 1): "spec_violation",
    ("problem_check(browser).required.only.data.json", 1): "missing_field",
}


@pytest.mark.real_data
def test_openedx_expected_statements_load(settings: LakeSettings, datasets_dir: Path) -> None:
    src = datasets_dir / XAPI_DIR
    files = sorted(src.glob("*.json"))
    assert len(files) == 77
    _known(
        settings,
        [
            "course-v1:edX+DemoX+Demo_Course",
            "ccx-v1:edX+DemoX+Demo_Course+ccx@1",
            "course-v1:testX+XAPI101+2019_T2",
            "course-v1:TestX+XP101+2023_T1",
        ],
    )
    folder = settings.landing / "xapi" / "openedx"
    folder.mkdir(parents=True)
    copies = []
    for f in files:
        copies.append(folder / f.name)
        shutil.copyfile(f, copies[-1])
    unit = LoadUnit("xapi", "xapi/openedx", tuple(copies))
    report = loader.load_unit(settings, unit)
    assert report.error is None
    rejects = {(Path(q["file"]).name, q["line"]): q["reason_code"] for q in _quarantine(settings)}
    assert rejects == EXPECTED_OPENEDX_REJECTS, _quarantine(settings)
    total = sum(
        len(d) if isinstance(d, list) else 1 for d in (json.loads(f.read_text()) for f in files)
    )
    assert report.rows_in == total and report.rows_kept == total - len(rejects)
    events = _rows(settings, "learning_events")
    assert events and all(e["student_id"] for e in events)
    assert {e["class_id"] for e in events} >= {"course-v1:edX+DemoX+Demo_Course"}
    play = next(e for e in events if e["event_id"] == "203e182c-6a2d-5458-9c61-a271297d459a")
    assert (play["verb"], play["object_type"], play["video_time_s"]) == ("played", "video", 0.033)
    (identity,) = _rows(settings, "student_identity")
    assert identity["identifier"] == "32e08e30-f8ae-4ce2-94a8-c2bfe38a70cb"


# --- hostile input ---------------------------------------------------------------------------

_json_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30),
    st.sampled_from(["mailto:a@b.c", "https://x.y/z", "2026-01-01T00:00:00Z", "PT1S", "\x00"]),
)
_json = st.recursive(
    _json_leaf,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


@st.composite
def _hostile_line(draw: st.DrawFn) -> bytes:
    kind = draw(st.integers(0, 9))
    base = statement()
    if kind == 0:  # a random part of a valid statement replaced by a random value
        path = draw(
            st.sampled_from(
                [
                    "actor",
                    "actor.account",
                    "verb",
                    "verb.id",
                    "object",
                    "object.id",
                    "result",
                    "context",
                    "context.contextActivities",
                    "timestamp",
                    "id",
                    "result.score",
                ]
            )
        )
        return json.dumps(_mutate(path, draw(_json))(base)).encode()
    if kind == 1:
        return b"[" * 10_000 + b"]" * 10_000
    if kind == 2:
        return json.dumps({**base, "context": {"extensions": {"x": "A" * 200_000}}}).encode()
    if kind == 3:
        return draw(st.binary(max_size=200))
    if kind == 4:
        return json.dumps(base).encode("utf-16")
    if kind == 5:
        return json.dumps({**base, "verb": {"id": "http://x/\u0000v"}}).encode()
    if kind == 6:
        return json.dumps(draw(_json)).encode()
    if kind == 7:
        return b'{"actor": ' + b"[" * 5_000 + b"]" * 5_000 + b"}"
    if kind == 8:
        return json.dumps(base).encode()[: draw(st.integers(0, 200))]
    return json.dumps(base, ensure_ascii=False).encode().replace(b"\n", b" ")


@hsettings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(lines=st.lists(_hostile_line(), min_size=1, max_size=6), as_array=st.booleans())
def test_hostile_input_never_raises(
    tmp_path_factory: pytest.TempPathFactory, lines: list[bytes], as_array: bool
) -> None:
    root = tmp_path_factory.mktemp("hostile")
    s = LakeSettings(lake=root / "lake", landing=root / "landing")
    _known(s, ["class-1"])
    folder = s.landing / "xapi"
    folder.mkdir(parents=True)
    if as_array:
        body = b"[" + b",".join(lines) + b"]"
        (folder / "h.json").write_bytes(body)
    else:
        (folder / "h.jsonl").write_bytes(b"\n".join(line.replace(b"\n", b" ") for line in lines))
    reports = loader.ingest(s, ("xapi",))
    for r in reports:
        # A file that starts like gzip but is not is unreadable as a whole (and quarantined
        # whole); anything else the parser must handle record by record, never by crashing.
        assert r.error is None or r.error.startswith("UnsupportedFileError"), r.error
        if r.error:
            assert r.rows_kept == 0 and r.rows_quarantined == r.rows_in
        assert r.rows_in == r.rows_kept + r.rows_quarantined
    q = io.read(s, quarantine_spec("xapi"))
    assert q.num_rows == sum(r.rows_quarantined for r in reports)


# --- batches ---------------------------------------------------------------------------------


def _batch_files() -> dict[str, bytes]:
    """Three files with what a batch must split back per file: duplicates within a file and
    across files, a void before its target, an attempt spanning files, bad lines."""
    attempt = str(uuid.uuid4())

    def answer(item: str, response: str, ts: str) -> dict[str, Any]:
        return statement(
            verb=ANSWERED,
            object_id=f"{HOME}/content/{item}",
            object_type=QUESTION_TYPE,
            result={"success": response == "a", "response": response},
            registration=attempt,
            timestamp=ts,
        )

    s1, target = statement(), statement(student="stu-3")
    void = statement(verb=VOIDED)
    void["object"] = {"objectType": "StatementRef", "id": target["id"]}
    first = [
        s1,
        statement(student="stu-9", timestamp="2026-09-01T10:00:00Z"),
        s1,  # duplicate within the file: quarantined
        void,
        answer("q1", "a", "2026-09-01T10:01:00Z"),
        answer("page-1", "b", "2026-09-01T10:02:00Z"),
    ]
    again = statement(sid=s1["id"], student="stu-4")  # same id, another file: first one wins
    second = [
        target,
        again,
        statement(student="stu-9", timestamp="2026-09-01T09:00:00Z"),
        answer("q1", "b", "2026-09-01T10:03:00Z"),  # same attempt and item: first one wins
    ]
    third = [statement(class_iri=f"{HOME}/classes/class-404"), statement(student="stu-5")]
    return {
        "2026-09-01/a.jsonl": dumps_lines(first) + b"{not json\n",
        "2026-09-01/b.jsonl": b"\n  \n" + dumps_lines(second),
        "2026-09-02/c.jsonl": dumps_lines(third) + b'{"id": "\xff"}\n',
    }


def _lake_contents(settings: LakeSettings) -> dict[str, list[dict[str, Any]]]:
    stamps = {"_loaded_at", "_ingested_at", "_ingest_date", "quarantined_at"}
    specs = [
        silver(t)
        for t in (
            "learning_events",
            "statement_voids",
            "item_responses",
            "quiz_attempts",
            "students",
            "student_identity",
        )
    ]
    out = {}
    for spec in [*specs, quarantine_spec("xapi"), bronze_spec("xapi", "statements")]:
        rows = [
            {k: v for k, v in r.items() if k not in stamps}
            for r in io.read(settings, spec).to_pylist()
        ]
        out[spec.name] = sorted(rows, key=lambda r: json.dumps(r, sort_keys=True, default=str))
    return out


def test_parse_batch_matches_loading_files_one_by_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = _batch_files()
    lakes = {}
    for mode in ("batch", "map_reduce", "one_by_one"):
        s = LakeSettings(lake=tmp_path / mode / "lake", landing=tmp_path / mode / "landing")
        _known(s, ["class-1"], ["page-1", "q1"])
        for name, data in files.items():
            _write(s, name, data)
        units = loader.pending_units(s, "xapi")
        assert len(units) == 3
        if mode != "one_by_one":
            with monkeypatch.context() as m:  # the batch path must not fall back to parse
                m.setattr(type(loader.parser_for("xapi")), "parse", None)
                if mode == "map_reduce":
                    m.setattr(loader, "_batch_parse", use_split_parse("xapi"))
                reports = loader.load_batch(s, units)
        else:
            reports = [loader.load_unit(s, u) for u in units]
        lakes[mode] = (
            [(r.unit, r.load_id, r.rows_in, r.rows_kept, r.rows_quarantined) for r in reports],
            _lake_contents(s),
        )
    batch, one_by_one = lakes["batch"], lakes["one_by_one"]
    assert lakes["map_reduce"] == batch
    assert batch[0] == one_by_one[0]
    assert [r[2:] for r in batch[0]] == [(7, 5, 2), (4, 4, 0), (3, 1, 2)]
    assert batch[1] == one_by_one[1]
    contents = batch[1]
    events = contents["silver/learning_events"]
    assert len(events) == 8 and sum(e["is_voided"] for e in events) == 1
    assert {r["load_id"] for r in contents["quarantine/xapi"]} == {batch[0][0][1], batch[0][2][1]}
    assert len({e["_load_id"] for e in events}) == 3


def _chunk_file() -> bytes:
    """One file whose records span many small chunks: duplicates whose first occurrence is in an
    earlier chunk (also of a statement without id), voids before and after their targets,
    answers of one attempt in several chunks, a new student first seen in a later chunk, bad
    and blank lines."""
    attempt = str(uuid.uuid4())
    quiz = [{"id": f"{HOME}/quizzes/quiz-1", "definition": {"type": ASSESSMENT_TYPE}}]

    def answer(item: str, ok: bool, ts: str) -> dict[str, Any]:
        return statement(
            verb=ANSWERED,
            object_id=f"{HOME}/items/{item}",
            object_type=QUESTION_TYPE,
            registration=attempt,
            parents=quiz,
            timestamp=ts,
            result={"success": ok, "response": "a" if ok else "b"},
        )

    s1, s2 = statement(), statement(student="stu-new", timestamp="2026-09-01T12:00:00Z")
    no_id = statement(student="stu-2")
    del no_id["id"]
    target, late_target = statement(student="stu-3"), statement(student="stu-4")
    lines = [
        s1,
        s2,
        answer("q1", True, "2026-09-01T10:00:00Z"),
        _void(late_target["id"]),
        no_id,
        target,
        statement(sid=s1["id"].upper(), student="stu-9"),  # repeats line 1, another chunk
        answer("q2", False, "2026-09-01T10:01:00Z"),
        _void(target["id"]),
        statement(student="stu-new", timestamp="2026-09-01T08:00:00Z"),  # earlier sighting
        s2,  # repeats line 2
        no_id,  # repeats line 5 (same name-based id)
        late_target,
        answer("q1", False, "2026-09-01T10:02:00Z"),  # same attempt and item: a duplicate id
        statement(class_iri=f"{HOME}/classes/class-404"),
        answer("q3", True, "2026-09-01T10:03:00Z"),
        s1,  # repeats line 1 again
    ]
    body = dumps_lines(lines)
    return body + b"{not json\n\n   \n" + dumps_lines([statement(), s2])


@pytest.mark.parametrize("chunk", [1, 2, 3, 5])
def test_chunked_parse_matches_whole_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    """Records through the SQL stages a few at a time give the same lake as all at once, for
    one file (``parse``) and for a batch of files (``parse_batch``)."""
    from lake.sources import xapi

    cases = {"file": {"2026-09-01/big.jsonl": _chunk_file()}, "batch": _batch_files()}
    for label, files in cases.items():
        lakes = {}
        for mode, lines in (("whole", xapi.CHUNK_LINES), ("chunked", chunk)):
            s = LakeSettings(
                lake=tmp_path / label / mode / "lake", landing=tmp_path / label / mode / "landing"
            )
            _known(s, ["class-1"], ["page-1", "quiz-1", "q1"])
            for name, data in files.items():
                _write(s, name, data)
            with monkeypatch.context() as m:
                m.setattr(xapi, "CHUNK_LINES", lines)
                reports = loader.load_batch(s, loader.pending_units(s, "xapi"))
            assert all(r.error is None for r in reports)
            lakes[mode] = (
                [(r.rows_in, r.rows_kept, r.rows_quarantined) for r in reports],
                _lake_contents(s),
            )
        assert lakes["chunked"] == lakes["whole"], label


def test_chunked_duplicates_across_chunks(
    lake: LakeSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lake.sources import xapi

    monkeypatch.setattr(xapi, "CHUNK_LINES", 2)
    _write(lake, "2026-09-01/big.jsonl", _chunk_file())
    (report,) = _ingest(lake)
    assert (report.rows_in, report.rows_kept, report.rows_quarantined) == (20, 13, 7)
    got = sorted((q["line"], q["reason_code"]) for q in _quarantine(lake))
    assert got == [
        (7, "duplicate_record"),
        (11, "duplicate_record"),
        (12, "duplicate_record"),
        (15, "unknown_class"),
        (17, "duplicate_record"),
        (18, "malformed_json"),
        (22, "duplicate_record"),
    ]
    dup = {q["line"]: q["reason"] for q in _quarantine(lake)}
    assert dup[7].endswith("repeats line 1") and dup[12].endswith("repeats line 5")
    events = _rows(lake, "learning_events")
    assert len(events) == 11 and sum(e["is_voided"] for e in events) == 2
    assert len(_rows(lake, "statement_voids")) == 2
    # stu-new is one student, first seen at its earliest statement (in a later chunk).
    (new,) = [r for r in _rows(lake, "student_identity") if r["identifier"] == "stu-new"]
    (student,) = [r for r in _rows(lake, "students") if r["student_id"] == new["student_id"]]
    assert student["first_seen_at"].isoformat() == "2026-09-01T08:00:00+00:00"
    assert len(_rows(lake, "item_responses")) == 3
    (att,) = _rows(lake, "quiz_attempts")
    assert (att["score"], att["max_score"]) == (2, 3)


# --- reading ahead of the digest ---------------------------------------------------------------


def test_a_file_read_ahead_is_parsed_from_that_read_with_its_quarantine(
    lake: LakeSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    good = statement()
    _write(lake, "2026-09-01/a.jsonl", dumps_lines([good]) + b"{not json\n\n")
    (unit,) = xapi.PARSER.discover(lake.landing)
    reads: list[str] = []
    real = xapi._read_records

    def counted(path: Path, name: str, q: QuarantineBuilder) -> Any:
        reads.append(name)
        return real(path, name, q)

    monkeypatch.setattr(xapi, "_read_records", counted)
    xapi.PARSER.prefetch([unit])
    (report,) = _ingest(lake)
    assert reads == [unit.member_name(unit.files[0])]  # read once, ahead
    assert (report.rows_in, report.rows_kept, report.rows_quarantined) == (2, 1, 1)
    assert [r["event_id"] for r in _rows(lake, "learning_events")] == [good["id"]]
    assert [r["reason_code"] for r in _quarantine(lake)] == ["malformed_json"]


def test_a_file_changed_after_it_was_read_ahead_is_read_again(lake: LakeSettings) -> None:
    first, second = statement(), statement()
    path = _write(lake, "2026-09-01/a.jsonl", dumps_lines([first]))
    (unit,) = xapi.PARSER.discover(lake.landing)
    xapi.PARSER.prefetch([unit])
    name = unit.member_name(path)
    while xapi._PREFETCHED._reads[(path, name)][1].running():  # let the read finish first
        pass
    path.write_bytes(dumps_lines([first, second]))
    os.utime(path, ns=(time.time_ns(), time.time_ns() + 10**9))
    _ingest(lake)
    assert {r["event_id"] for r in _rows(lake, "learning_events")} == {first["id"], second["id"]}


def test_the_loader_reads_ahead_only_while_digests_are_pending_and_for_new_names(
    lake: LakeSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(lake, "2026-09-01/a.jsonl", dumps_lines([statement()]))
    _ingest(lake)
    _write(lake, "2026-09-02/b.jsonl", dumps_lines([statement()]))
    asked: list[list[str]] = []
    monkeypatch.setattr(
        xapi.PARSER, "prefetch", lambda units: asked.append([u.name for u in units])
    )

    class Hashing:
        def __init__(self, ready: bool) -> None:
            self._ready = ready

        def ready(self, source: str) -> bool:
            return self._ready

    loader._prefetch_first_batch(lake, "xapi", None, Hashing(ready=True))  # type: ignore[arg-type]
    assert asked == []
    loader._prefetch_first_batch(lake, "xapi", None, Hashing(ready=False))  # type: ignore[arg-type]
    assert asked == [["xapi/2026-09-02/b.jsonl"]]


def test_responses_are_put_in_file_order_only_when_an_answer_repeats() -> None:
    rows = pa.table(
        {
            "attempt_id": ["r1", "r1", "r2", "r1"],
            "item_id": ["q2", "q1", "q1", "q1"],
            "_f": pa.array([0, 1, 0, 0], pa.int32()),
            "_line": [9, 1, 5, 3],
        }
    )
    # (r1, q1) repeats: the first in file and line order (file 0, line 3) comes first.
    ordered = xapi._in_file_order_if_repeated(rows, ("attempt_id", "item_id"))
    assert ordered.column_names == ["attempt_id", "item_id", "_f"]
    pairs = zip(
        ordered.column("attempt_id").to_pylist(), ordered.column("item_id").to_pylist(), strict=True
    )
    assert list(pairs) == [("r1", "q1"), ("r2", "q1"), ("r1", "q2"), ("r1", "q1")]
    distinct = rows.slice(0, 3)
    kept = xapi._in_file_order_if_repeated(distinct, ("attempt_id", "item_id"))
    assert kept.column("item_id").to_pylist() == ["q2", "q1", "q1"]  # as it was
