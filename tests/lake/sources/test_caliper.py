"""Caliper parser: envelopes through the loader, the IMS and Open edX fixtures, hostile input."""

from __future__ import annotations

import copy
import gzip
import json
import shutil
import uuid
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from lake import io, loader
from lake.settings import LakeSettings
from lake.sources.base import LoadUnit
from lake.tables import bronze_spec, quarantine_spec, silver
from tests.lake.sources.split_parse import use_split_parse

CTX = "http://purl.imsglobal.org/ctx/caliper/v1p2"
SECTION = "https://lms.example.edu/terms/2026/courses/7/sections/1"
USER = "https://lms.example.edu/users/554433"


def event(**over: Any) -> dict[str, Any]:
    """A valid MediaEvent by a Person in a known course section."""
    ev: dict[str, Any] = {
        "@context": CTX,
        "id": f"urn:uuid:{uuid.uuid4()}",
        "type": "MediaEvent",
        "actor": {"id": USER, "type": "Person"},
        "action": "Paused",
        "object": {"id": "https://lms.example.edu/media/video-1", "type": "VideoObject"},
        "target": {"id": "_:loc", "type": "MediaLocation", "currentTime": "PT5M30.5S"},
        "eventTime": "2026-09-01T10:15:00.000Z",
        "group": {"id": SECTION, "type": "CourseSection"},
        "extensions": {"k": 1},
    }
    ev.update(over)
    return {k: v for k, v in ev.items() if v is not _DROP}


_DROP = object()


def envelope(*data: Any, **over: Any) -> dict[str, Any]:
    env = {
        "sensor": "https://lms.example.edu/sensors/1",
        "sendTime": "2026-09-01T10:16:00.000Z",
        "dataVersion": CTX,
        "data": list(data),
    }
    env.update(over)
    return env


@pytest.fixture
def lake(settings: LakeSettings) -> LakeSettings:
    io.merge(
        settings,
        silver("classes"),
        pa.table({"class_id": [SECTION, "sec-2"], "source": ["test", "test"]}),
        "setup",
    )
    io.merge(
        settings,
        silver("content_items"),
        pa.table({"content_id": ["video-1"], "source": ["test"]}),
        "setup",
    )
    return settings


def _write(settings: LakeSettings, name: str, data: bytes) -> None:
    path = settings.landing / "caliper" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _lines(*envelopes: Any) -> bytes:
    return b"".join(json.dumps(e).encode() + b"\n" for e in envelopes)


def _ingest(settings: LakeSettings) -> list[loader.LoadReport]:
    reports = loader.ingest(settings, ("caliper",))
    for r in reports:
        assert r.error is None or "UnsupportedFileError" in r.error, r.error
        assert r.rows_in == r.rows_kept + r.rows_quarantined
    return reports


def _events(settings: LakeSettings) -> dict[str, dict[str, Any]]:
    return {e["event_id"]: e for e in io.read(settings, silver("learning_events")).to_pylist()}


def _quarantine(settings: LakeSettings) -> list[tuple[int, str]]:
    rows = io.read(settings, quarantine_spec("caliper")).to_pylist()
    return sorted((r["line"], r["reason_code"]) for r in rows)


def test_media_event_maps_to_learning_event(lake: LakeSettings) -> None:
    ev = event()
    _write(lake, "a.jsonl", _lines(envelope(ev)))
    (report,) = _ingest(lake)
    assert (report.rows_in, report.rows_kept) == (1, 1)
    (row,) = _events(lake).values()
    assert row["event_id"] == ev["id"].removeprefix("urn:uuid:")
    assert row["occurred_at"].isoformat() == "2026-09-01T10:15:00+00:00"
    assert (row["verb"], row["object_type"], row["class_id"]) == ("paused", "VideoObject", SECTION)
    assert row["content_id"] == "video-1"
    assert row["video_time_s"] == pytest.approx(330.5)
    assert row["source"] == "caliper" and json.loads(row["extensions"]) == {"k": 1}
    (identity,) = io.read(lake, silver("student_identity")).to_pylist()
    assert (identity["identifier_type"], identity["identifier"]) == ("caliper", USER)
    assert identity["student_id"] == row["student_id"]
    (student,) = io.read(lake, silver("students")).to_pylist()
    assert student["first_seen_at"] == row["occurred_at"] and student["source"] == "caliper"
    (bronze,) = io.read(lake, bronze_spec("caliper", "events")).to_pylist()
    assert json.loads(bronze["record"])["data"] == [ev]


def test_roster_match_by_last_segment_and_grader_assignee(lake: LakeSettings) -> None:
    io.merge(
        lake,
        silver("student_identity"),
        pa.table(
            {
                "identifier_type": ["sourced_id"],
                "identifier": ["554433"],
                "student_id": ["s_rostered"],
                "source": ["oneroster"],
            }
        ),
        "setup",
    )
    nav = event(type="NavigationEvent", action="NavigatedTo", target=_DROP)
    graded = event(
        type="GradeEvent",
        action="Graded",
        actor={"id": "https://lms.example.edu/autograder", "type": "SoftwareApplication"},
        object={"id": "https://lms.example.edu/attempts/1", "type": "Attempt", "assignee": USER},
        generated={"id": "_:s", "type": "Score", "scoreGiven": 3, "maxScore": 4},
        target=_DROP,
    )
    _write(lake, "a.jsonl", _lines(envelope(nav, graded)))
    _ingest(lake)
    rows = _events(lake)
    assert {r["student_id"] for r in rows.values()} == {"s_rostered"}
    assert rows[graded["id"][9:]]["score_scaled"] == 0.75
    assert io.read(lake, silver("students")).num_rows == 0


def test_entities_are_kept_without_events(lake: LakeSettings) -> None:
    person = {"@context": CTX, "id": USER, "type": "Person"}
    section = {"id": SECTION, "type": "CourseSection", "name": "Section 1"}
    thin = event(actor=USER, object="https://lms.example.edu/media/video-1", group=SECTION)
    _write(lake, "a.json", json.dumps(envelope(person, section, thin)).encode())
    (report,) = _ingest(lake)
    assert (report.rows_in, report.rows_kept, report.rows_quarantined) == (3, 3, 0)
    (row,) = _events(lake).values()
    assert row["object_type"] is None and row["class_id"] == SECTION and row["student_id"]
    assert io.read(lake, bronze_spec("caliper", "events")).num_rows == 3


CASES: list[tuple[str, dict[str, Any], str]] = [
    ("no context", {"@context": _DROP}, "missing_field"),
    ("foreign context", {"@context": "http://schema.org"}, "spec_violation"),
    ("no id", {"id": _DROP}, "missing_field"),
    ("id not urn uuid", {"id": "https://x/1"}, "spec_violation"),
    ("unknown type", {"type": "DanceEvent"}, "spec_violation"),
    ("no type", {"type": _DROP}, "missing_field"),
    ("action not allowed", {"action": "NavigatedTo"}, "spec_violation"),
    ("unknown action", {"type": "Event", "action": "Danced"}, "spec_violation"),
    ("no actor", {"actor": _DROP}, "missing_field"),
    ("actor without id", {"actor": {"type": "Person"}}, "spec_violation"),
    ("no object", {"object": _DROP}, "missing_field"),
    ("no action", {"action": _DROP}, "missing_field"),
    ("no eventTime", {"eventTime": _DROP}, "missing_field"),
    ("naive eventTime", {"eventTime": "2026-09-01T10:15:00.000"}, "invalid_timestamp"),
    ("offset eventTime", {"eventTime": "2026-09-01T10:15:00+02:00"}, "invalid_timestamp"),
    ("garbage eventTime", {"eventTime": 1234}, "invalid_timestamp"),
    ("future eventTime", {"eventTime": "2099-01-01T00:00:00.000Z"}, "future_timestamp"),
    ("unknown section", {"group": {"id": "urn:x:s9", "type": "CourseSection"}}, "unknown_class"),
    ("unknown section iri", {"group": "https://x.edu/courses/9/sections/9"}, "unknown_class"),
]


@pytest.mark.parametrize(("label", "over", "code"), CASES, ids=[c[0] for c in CASES])
def test_rule_quarantines_with_reason(
    lake: LakeSettings, label: str, over: dict[str, Any], code: str
) -> None:
    good, bad = event(), event(**over)
    _write(lake, "a.jsonl", _lines(envelope(good, bad)))
    (report,) = _ingest(lake)
    assert report.rows_kept == 1
    assert _quarantine(lake) == [(2, code)]
    assert list(_events(lake)) == [good["id"][9:]]


def test_group_without_class_shape_is_kept_without_class(lake: LakeSettings) -> None:
    ev = event(group={"id": "https://lms.example.edu/groups/team-a", "type": "Group"})
    _write(lake, "a.jsonl", _lines(envelope(ev, event(group=_DROP))))
    _ingest(lake)
    assert {r["class_id"] for r in _events(lake).values()} == {None}


def test_envelope_level_problems(lake: LakeSettings) -> None:
    dup = event()
    body = _lines(
        envelope(dup, copy.deepcopy(dup)),
        envelope(),
        envelope(event(), sensor=None),
        {"data": "nope"},
    )
    _write(lake, "a.jsonl", body + b"{not json\n" + json.dumps(envelope(event())).encode())
    (report,) = _ingest(lake)
    assert _quarantine(lake) == [
        (2, "duplicate_record"),
        (3, "missing_field"),
        (4, "spec_violation"),
        (5, "missing_field"),
        (6, "malformed_json"),
    ]
    assert (report.rows_in, report.rows_kept) == (7, 2)


def test_file_forms(lake: LakeSettings) -> None:
    a, b, c, d, e = (event() for _ in range(5))
    _write(lake, "envs.json", json.dumps([envelope(a), envelope(b)]).encode())
    _write(lake, "bare.json", json.dumps(c).encode())
    _write(lake, "bare_list.json", json.dumps([d]).encode())
    _write(lake, "z.jsonl.gz", gzip.compress(_lines(envelope(e))))
    _write(lake, "notes.csv", b"a,b\n")
    reports = {r.unit: r for r in _ingest(lake)}
    assert {u: r.rows_kept for u, r in reports.items()} == {
        "caliper/bare.json": 1,
        "caliper/bare_list.json": 1,
        "caliper/envs.json": 2,
        "caliper/notes.csv": 0,
        "caliper/z.jsonl.gz": 1,
    }
    assert set(_events(lake)) == {x["id"][9:] for x in (a, b, c, d, e)}
    rows = io.read(lake, quarantine_spec("caliper")).to_pylist()
    assert {(r["file"], r["reason_code"]) for r in rows} == {
        ("caliper/notes.csv", "unreadable_file")
    }


def test_bronze_holds_each_item_in_its_envelope(lake: LakeSettings) -> None:
    # The second item needs the standard library's JSON (an integer beyond 64 bits, a lone
    # surrogate): its bronze and extensions text must still be JSON that reads back the same.
    plain = event()
    odd = event(extensions={"big": 2**70, "s": "\ud800", "name": "Zoë"})
    env = envelope(plain, odd)
    _write(lake, "two.jsonl", _lines(env))
    (report,) = _ingest(lake)
    assert (report.rows_kept, report.rows_quarantined) == (2, 0)
    bronze = io.read(lake, bronze_spec("caliper", "events")).sort_by("_line").to_pylist()
    head = {k: v for k, v in env.items() if k != "data"}
    assert [json.loads(r["record"]) for r in bronze] == [
        {**head, "data": [plain]},
        {**head, "data": [odd]},
    ]
    assert json.loads(_events(lake)[odd["id"][9:]]["extensions"]) == odd["extensions"]


# Caliper fixtures that break the spec: an Assessment object without its id.
EXPECTED_REJECTS = {("problem_check(browser).required.only.data.json", 1): "spec_violation"}


@pytest.mark.real_data
def test_real_caliper_fixtures_load(settings: LakeSettings, datasets_dir: Path) -> None:
    base = datasets_dir / "xapi_caliper"
    files = sorted((base / "openedx_erb" / "caliper_expected").glob("*.json"))
    files += sorted((base / "ims_caliper_fixtures").glob("caliper*.json"))
    assert len(files) > 100
    io.merge(
        settings,
        silver("classes"),
        pa.table(
            {"class_id": ["https://example.edu/terms/201601/courses/7/sections/1"], "source": ["t"]}
        ),
        "setup",
    )
    folder = settings.landing / "caliper" / "fixtures"
    folder.mkdir(parents=True)
    copies = []
    for f in files:
        copies.append(folder / f.name)
        shutil.copyfile(f, copies[-1])
    report = loader.load_unit(settings, LoadUnit("caliper", "caliper/fixtures", tuple(copies)))
    assert report.error is None
    rows = io.read(settings, quarantine_spec("caliper")).to_pylist()
    rejects = {(Path(r["file"]).name, r["line"]): r["reason_code"] for r in rows}
    assert rejects == EXPECTED_REJECTS, rows
    assert report.rows_in == report.rows_kept + 1
    events = _events(settings)
    assert len(events) >= 40
    video = events["4c53b337-b72f-4a36-b0ea-17fb335e18ab"]
    assert video["verb"] in {"resumed", "enabledclosedcaptioning", "disabledclosedcaptioning"}
    assert video["student_id"]
    ims = [e for e in events.values() if e["class_id"]]
    assert ims and all(e["student_id"] for e in ims)


# --- hostile input ---------------------------------------------------------------------------

_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
)
_json = st.recursive(
    _leaf,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
_KEYS = ["@context", "id", "type", "actor", "action", "object", "eventTime", "group", "target"]


@st.composite
def _hostile(draw: st.DrawFn) -> bytes:
    kind = draw(st.integers(0, 7))
    if kind == 0:
        ev = event(**{draw(st.sampled_from(_KEYS)): draw(_json)})
        return json.dumps(envelope(ev)).encode()
    if kind == 1:
        return b"[" * 10_000 + b"]" * 10_000
    if kind == 2:
        return draw(st.binary(max_size=200))
    if kind == 3:
        return json.dumps(envelope(event(), data=draw(_json))).encode()
    if kind == 4:
        return json.dumps(envelope(event(action="\x00" * 1000 + "A" * 100_000))).encode()
    if kind == 5:
        return json.dumps(envelope(event())).encode("utf-16")
    if kind == 6:
        return json.dumps(draw(_json)).encode()
    return json.dumps(envelope(event())).encode()[: draw(st.integers(0, 300))]


@hsettings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(lines=st.lists(_hostile(), min_size=1, max_size=5), as_array=st.booleans())
def test_hostile_input_never_raises(
    tmp_path_factory: pytest.TempPathFactory, lines: list[bytes], as_array: bool
) -> None:
    root = tmp_path_factory.mktemp("hostile")
    s = LakeSettings(lake=root / "lake", landing=root / "landing")
    folder = s.landing / "caliper"
    folder.mkdir(parents=True)
    if as_array:
        (folder / "h.json").write_bytes(b"[" + b",".join(lines) + b"]")
    else:
        (folder / "h.jsonl").write_bytes(b"\n".join(x.replace(b"\n", b" ") for x in lines))
    reports = loader.ingest(s, ("caliper",))
    for r in reports:
        assert r.error is None, r.error
        assert r.rows_in == r.rows_kept + r.rows_quarantined


def test_split_parse_of_a_batch_matches_loading_files_one_by_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    new = "https://lms.example.edu/users/new-1"
    repeated = event()
    files = {
        # The new actor first appears in a.jsonl, later in the day than in b.jsonl: it is first
        # seen where it is first loaded, as one file after the other.
        "a.jsonl": _lines(
            envelope(
                event(actor={"id": new, "type": "Person"}, eventTime="2026-09-01T12:00:00Z"),
                repeated,
                repeated,  # a duplicate within the file
            )
        )
        + b"{not json\n",
        "b.jsonl": _lines(
            envelope(
                event(actor={"id": new, "type": "Person"}, eventTime="2026-09-01T08:00:00Z"),
                event(actor={"id": "https://lms.example.edu/users/new-2", "type": "Person"}),
                event(
                    group={"id": "https://lms.example.edu/sections/404", "type": "CourseSection"}
                ),
            )
        ),
    }
    lakes = {}
    for mode in ("one_by_one", "batch", "map_reduce"):
        s = LakeSettings(lake=tmp_path / mode / "lake", landing=tmp_path / mode / "landing")
        io.merge(s, silver("classes"), pa.table({"class_id": [SECTION], "source": ["t"]}), "l")
        for name, data in files.items():
            _write(s, name, data)
        units = loader.pending_units(s, "caliper")
        with monkeypatch.context() as m:
            if mode == "map_reduce":
                m.setattr(loader, "_batch_parse", use_split_parse("caliper"))
            reports = (
                [loader.load_unit(s, u) for u in units]
                if mode == "one_by_one"
                else loader.load_batch(s, units)
            )
        contents = {}
        for spec in (
            silver("learning_events"),
            silver("students"),
            silver("student_identity"),
            quarantine_spec("caliper"),
            bronze_spec("caliper", "events"),
        ):
            rows = [
                {
                    k: v
                    for k, v in r.items()
                    if k not in {"_loaded_at", "_ingested_at", "quarantined_at", "_ingest_date"}
                }
                for r in io.read(s, spec).to_pylist()
            ]
            contents[spec.name] = sorted(
                rows, key=lambda r: json.dumps(r, default=str, sort_keys=True)
            )
        lakes[mode] = ([(r.rows_in, r.rows_kept, r.rows_quarantined) for r in reports], contents)
    assert lakes["batch"] == lakes["one_by_one"]
    assert lakes["map_reduce"] == lakes["one_by_one"]
    counts, contents = lakes["map_reduce"]
    assert counts == [(4, 2, 2), (3, 2, 1)]
    identity = {r["identifier"]: r["student_id"] for r in contents["silver/student_identity"]}
    assert set(identity) == {USER, new, "https://lms.example.edu/users/new-2"}  # each once
    first_seen = {r["student_id"]: r["first_seen_at"] for r in contents["silver/students"]}
    assert len(first_seen) == 3
    # new-1 is first seen where it was first loaded (a.jsonl, 12:00), not at b.jsonl's 08:00.
    assert first_seen[identity[new]].isoformat() == "2026-09-01T12:00:00+00:00"
