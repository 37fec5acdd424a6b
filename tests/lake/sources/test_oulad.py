"""OULAD-shaped exports through the real loader into Delta tables: synthetic bad-record paths,
hostile input, and the real dataset (../shared/datasets/oulad, read in place, never copied)."""

from __future__ import annotations

import gzip
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from lake import io, loader
from lake.quarantine import Reason
from lake.settings import LakeSettings
from lake.sources.oulad import PARSER, entity_of, presentation_start
from lake.tables import LOADS, SILVER, bronze_spec, quarantine_spec, silver
from tests.lake.sources.lakeread import (
    assert_balanced,
    ledger_frame,
    quarantine_frame,
    silver_frame,
)

COURSES = [
    ["code_module", "code_presentation", "module_presentation_length"],
    ["AAA", "2013J", "268"],
    ["BBB", "2014B", "240"],
    ["CCC", "2014X", "100"],  # not a presentation code
]
VLE = [
    ["id_site", "code_module", "code_presentation", "activity_type", "week_from", "week_to"],
    ["100", "AAA", "2013J", "resource", "", ""],
    ["101", "AAA", "2013J", "quiz", "2", "3"],
    ["102", "ZZZ", "2013J", "page", "", ""],  # unknown class
    ["101", "AAA", "2013J", "quiz", "2", "3"],  # duplicate id_site
]
ASSESSMENTS = [
    ["code_module", "code_presentation", "id_assessment", "assessment_type", "date", "weight"],
    ["AAA", "2013J", "1752", "TMA", "19", "10"],
    ["AAA", "2013J", "1763", "Exam", "", "100"],
    ["BBB", "2014B", "1800", "CMA", "-5", "0"],
    ["BBB", "2014B", "x1", "CMA", "5", "0"],  # non-integer id
]
STUDENT_INFO = [
    [
        "code_module",
        "code_presentation",
        "id_student",
        "gender",
        "region",
        "highest_education",
        "imd_band",
        "age_band",
        "num_of_prev_attempts",
        "studied_credits",
        "disability",
        "final_result",
    ],
    [
        "AAA",
        "2013J",
        "11391",
        "M",
        "East Anglian Region",
        "HE",
        "90-100%",
        "55<=",
        "0",
        "240",
        "N",
        "Pass",
    ],
    [
        "AAA",
        "2013J",
        "28400",
        "F",
        "Scotland",
        "A Level",
        "20-30%",
        "35-55",
        "1",
        "60",
        "Y",
        "Fail",
    ],
    [
        "BBB",
        "2014B",
        "11391",
        "M",
        "East Anglian Region",
        "HE",
        "",
        "55<=",
        "0",
        "60",
        "N",
        "Withdrawn",
    ],
    [
        "AAA",
        "2013J",
        "28400",
        "F",
        "Scotland",
        "A Level",
        "20-30%",
        "35-55",
        "1",
        "60",
        "Y",
        "Fail",
    ],
    ["AAA", "2013J", "abc", "F", "Wales", "", "", "0-35", "0", "60", "N", "Pass"],
    ["DDD", "2013J", "5", "F", "Wales", "", "", "0-35", "0", "60", "N", "Pass"],
    ["AAA", "2013J", "6", "F", "Wales", "", "", "0-35", "0", "60", "maybe", "Pass"],
]
REGISTRATION = [
    ["code_module", "code_presentation", "id_student", "date_registration", "date_unregistration"],
    ["AAA", "2013J", "11391", "-159", ""],
    ["AAA", "2013J", "28400", "-53", "12"],
    ["BBB", "2014B", "11391", "", ""],
    ["BBB", "2014B", "77", "1.5", ""],  # non-integer day
]
STUDENT_ASSESSMENT = [
    ["id_assessment", "id_student", "date_submitted", "is_banked", "score"],
    ["1752", "11391", "18", "0", "78"],
    ["1752", "28400", "22", "1", "?"],
    ["1800", "11391", "-3", "0", ""],
    ["1763", "28400", "230", "0", "abc"],  # non-numeric score
    ["9999", "28400", "1", "0", "50"],  # unknown assessment
    ["1752", "11391", "19", "0", "80"],  # duplicate key
]
STUDENT_VLE = [
    ["code_module", "code_presentation", "id_student", "id_site", "date", "sum_click"],
    ["AAA", "2013J", "11391", "100", "5", "4"],
    ["AAA", "2013J", "11391", "100", "5", "4"],  # a legitimate repeat: kept
    ["AAA", "2013J", "11391", "101", "-10", "1"],
    ["BBB", "2014B", "11391", "100", "0", "2"],
    ["AAA", "2013J", "28400", "100", "6", "-1"],  # negative
    ["AAA", "2013J", "28400", "100", "6", "lots"],  # non-numeric
    ["EEE", "2013J", "28400", "100", "6", "1"],  # unknown class
    ["AAA", "2013J", "9.5", "100", "6", "1"],  # non-integer student
]

FILES = {
    "courses.csv": COURSES,
    "vle.csv": VLE,
    "assessments.csv": ASSESSMENTS,
    "studentInfo.csv": STUDENT_INFO,
    "studentRegistration.csv": REGISTRATION,
    "studentAssessment.csv": STUDENT_ASSESSMENT,
    "studentVle.csv": STUDENT_VLE,
}


def _csv(rows: list[list[str]]) -> bytes:
    """OU style: every field quoted, CRLF."""
    return "".join(
        ",".join('"' + v.replace('"', '""') + '"' for v in row) + "\r\n" for row in rows
    ).encode()


def _write(landing: Path, name: str, rows: list[list[str]], gz: bool = False) -> Path:
    path = landing / "oulad" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    data = _csv(rows)
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


def _df(settings: LakeSettings, table: str) -> pl.DataFrame:
    return silver_frame(settings, table)


def _quarantine(settings: LakeSettings) -> pl.DataFrame:
    return quarantine_frame(settings, "oulad")


def _ledger(settings: LakeSettings) -> pl.DataFrame:
    return ledger_frame(settings)


def _assert_balanced(settings: LakeSettings) -> None:
    assert_balanced(settings, "oulad")


@pytest.fixture
def loaded(settings: LakeSettings) -> LakeSettings:
    for name, rows in FILES.items():
        _write(settings.landing, name, rows, gz=name == "studentVle.csv")
    reports = loader.ingest(settings, ("oulad",))
    assert [r.status for r in reports] == ["committed"] * len(FILES)
    assert all(r.error is None for r in reports)
    return settings


def test_bad_records_are_quarantined_with_reasons_when_synthetic_files_load(
    loaded: LakeSettings,
) -> None:
    q = _quarantine(loaded)
    got = sorted(q.select(pl.col("file").str.slice(6), "line", "reason_code").rows())
    assert got == sorted(
        [
            ("courses.csv", 4, "invalid_value"),
            ("vle.csv", 4, "unknown_class"),
            ("vle.csv", 5, "duplicate_record"),
            ("assessments.csv", 5, "wrong_type"),
            ("studentInfo.csv", 5, "duplicate_record"),
            ("studentInfo.csv", 6, "wrong_type"),
            ("studentInfo.csv", 7, "unknown_class"),
            ("studentInfo.csv", 8, "invalid_value"),
            ("studentRegistration.csv", 5, "wrong_type"),
            ("studentAssessment.csv", 5, "wrong_type"),
            ("studentAssessment.csv", 6, "unknown_reference"),
            ("studentAssessment.csv", 7, "duplicate_record"),
            ("studentVle.csv", 6, "invalid_value"),
            ("studentVle.csv", 7, "wrong_type"),
            ("studentVle.csv", 8, "unknown_class"),
            ("studentVle.csv", 9, "wrong_type"),
        ]
    )
    assert set(q["reason_code"]) <= {r.value for r in Reason}
    assert q.filter(
        pl.col("reason_code") == "wrong_type", pl.col("file") == "oulad/studentVle.csv"
    )["reason"].to_list() == [
        "sum_click lots is not an integer",
        "id_student 9.5 is not an integer",
    ]
    # Every parseable row, rejected or not, is in bronze.
    assert io.read(loaded, bronze_spec("oulad", "student_vle")).num_rows == len(STUDENT_VLE) - 1
    _assert_balanced(loaded)


def test_silver_rows_use_oulad_ids_and_presentation_dates_when_synthetic_files_load(
    loaded: LakeSettings,
) -> None:
    s = loaded
    classes = _df(s, "classes").sort("class_id")
    assert classes.select(
        "class_id", "course_id", "start_date", "end_date", "length_days"
    ).rows() == [
        ("AAA_2013J", "AAA", date(2013, 10, 1), date(2014, 6, 26), 268),
        ("BBB_2014B", "BBB", date(2014, 2, 1), date(2014, 9, 29), 240),
    ]
    assert sorted(_df(s, "courses")["course_id"]) == ["AAA", "BBB"]

    items = _df(s, "content_items").sort("content_id")
    assert items.select("content_id", "class_id", "content_type", "week", "week_to").rows() == [
        ("vle_100", "AAA_2013J", "resource", None, None),
        ("vle_101", "AAA_2013J", "quiz", 3, 4),  # OULAD weeks 2-3 (from 0): the lake's 3-4
    ]

    assessments = _df(s, "assessments").sort("assessment_id")
    assert assessments.select(
        "assessment_id", "assessment_type", "due_at", "due_day", "weight"
    ).rows() == [
        ("oulad_1752", "TMA", datetime(2013, 10, 20, tzinfo=UTC), 19, 10.0),
        ("oulad_1763", "Exam", None, None, 100.0),
        ("oulad_1800", "CMA", datetime(2014, 1, 27, tzinfo=UTC), -5, 0.0),
    ]

    identity = _df(s, "student_identity")
    ids = dict(zip(identity["identifier"], identity["student_id"], strict=True))
    assert set(identity["identifier_type"]) == {"oulad_id"}
    students = _df(s, "students")
    assert students.height == 2
    s1 = students.filter(pl.col("student_id") == ids["11391"]).row(0, named=True)
    assert (s1["gender"], s1["age_band"], s1["has_disability"]) == ("M", "55<=", False)
    assert s1["first_seen_at"] is not None

    enr = _df(s, "enrollments").sort("class_id", "student_id")
    got = {(r["class_id"], r["student_id"]): r for r in enr.iter_rows(named=True)}
    e = got[("AAA_2013J", ids["28400"])]
    assert (e["final_result"], e["num_prev_attempts"], e["studied_credits"]) == ("Fail", 1, 60)
    assert e["registered_at"] == datetime(2013, 8, 9, tzinfo=UTC)
    assert e["unregistered_at"] == datetime(2013, 10, 13, tzinfo=UTC)
    assert e["status"] == "unregistered"
    assert got[("BBB_2014B", ids["11391"])]["registered_at"] is None
    assert enr.height == 3

    results = _df(s, "assessment_results").sort("assessment_id", "submitted_day")
    assert results.select(
        "assessment_id", "class_id", "submitted_at", "score", "is_banked"
    ).rows() == [
        ("oulad_1752", "AAA_2013J", datetime(2013, 10, 19, tzinfo=UTC), 78.0, False),
        ("oulad_1752", "AAA_2013J", datetime(2013, 10, 23, tzinfo=UTC), None, True),
        ("oulad_1800", "BBB_2014B", datetime(2014, 1, 29, tzinfo=UTC), None, False),
    ]


def test_click_rows_become_events_and_repeats_are_kept_when_student_vle_loads(
    loaded: LakeSettings,
) -> None:
    events = _df(loaded, "learning_events").sort("event_date", "event_count")
    assert events.height == 4
    assert events["event_id"].n_unique() == 4
    assert set(events["verb"]) == {"interacted"}
    assert set(events["source"]) == {"oulad"}
    assert events.select(
        "event_date", "occurred_at", "class_id", "content_id", "event_count"
    ).rows() == [
        (date(2013, 9, 21), datetime(2013, 9, 21, tzinfo=UTC), "AAA_2013J", "vle_101", 1),
        (date(2013, 10, 6), datetime(2013, 10, 6, tzinfo=UTC), "AAA_2013J", "vle_100", 4),
        (date(2013, 10, 6), datetime(2013, 10, 6, tzinfo=UTC), "AAA_2013J", "vle_100", 4),
        (date(2014, 2, 1), datetime(2014, 2, 1, tzinfo=UTC), "BBB_2014B", "vle_100", 2),
    ]


def test_same_rows_deduplicate_when_reloaded_under_another_name(loaded: LakeSettings) -> None:
    s = loaded
    before = _df(s, "learning_events")
    # Same rows (different bytes: LF endings, one new row) in a split file with another name.
    rows = [*STUDENT_VLE[:4], ["AAA", "2013J", "28400", "101", "7", "3"]]
    path = _write(s.landing, "studentVle_part2.csv", [])
    path.write_bytes(_csv(rows).replace(b"\r\n", b"\n"))
    (report,) = loader.ingest(s, ("oulad",))
    assert report.status == "committed"
    after = _df(s, "learning_events")
    assert after.height == before.height + 1
    assert set(before["event_id"]) < set(after["event_id"])


def test_reingest_is_a_noop_when_files_unchanged(loaded: LakeSettings) -> None:
    s = loaded
    specs = [*SILVER, LOADS, quarantine_spec("oulad")]
    versions = {spec.name: io.version(s, spec) for spec in specs}
    assert loader.ingest(s, ("oulad",)) == []
    assert {loader.load_unit(s, u).status for u in PARSER.discover(s.landing)} == {"skipped"}
    assert {spec.name: io.version(s, spec) for spec in specs} == versions


def test_discover_orders_rosters_before_facts_when_names_are_mixed(tmp_path: Path) -> None:
    names = [
        "a/studentVle_2013J_part1.csv.gz",
        "studentAssessment.csv",
        "STUDENTINFO.CSV",
        "studentRegistration.csv",
        "assessments.csv",
        "Courses.csv",
        "vle.csv",
        "notes.txt",
    ]
    for n in names:
        p = tmp_path / "oulad" / n
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(b"x\n")
    units = [u.name.removeprefix("oulad/") for u in PARSER.discover(tmp_path)]
    assert units == [
        "Courses.csv",
        "vle.csv",
        "assessments.csv",
        "STUDENTINFO.CSV",
        "studentRegistration.csv",
        "studentAssessment.csv",
        "a/studentVle_2013J_part1.csv.gz",
        "notes.txt",
    ]
    assert entity_of("studentVle_BBB2013J_day_le_132.csv.gz") == "student_vle"
    assert entity_of("studentVleExtra.csv") is None
    assert entity_of("vle.json") is None
    assert presentation_start("2013J") == date(2013, 10, 1)
    assert presentation_start("2014B") == date(2014, 2, 1)
    assert presentation_start("2014X") is None


def test_unsupported_name_and_missing_column_quarantine_whole_file_when_ingested(
    settings: LakeSettings,
) -> None:
    _write(settings.landing, "courses.csv", COURSES)
    _write(settings.landing, "grades.csv", [["a", "b"], ["1", "2"]])
    _write(settings.landing, "studentVle.csv", [["code_module", "id_student"], ["AAA", "1"]])
    reports = {r.unit: r for r in loader.ingest(settings, ("oulad",))}
    assert reports["oulad/grades.csv"].error is not None  # UnsupportedFileError, by contract
    assert reports["oulad/studentVle.csv"].error is None
    q = _quarantine(settings).filter(pl.col("reason_code") == "unreadable_file")
    assert q.group_by("file").len().sort("file").rows() == [
        ("oulad/grades.csv", 2),
        ("oulad/studentVle.csv", 2),
    ]
    assert "sum_click" in q.filter(pl.col("file") == "oulad/studentVle.csv")["reason"][0]
    _assert_balanced(settings)


def test_unexpected_columns_stay_in_bronze_only_when_student_info_has_extra_header(
    settings: LakeSettings,
) -> None:
    _write(settings.landing, "courses.csv", COURSES)
    rows = [[*STUDENT_INFO[0], "student_id", "_student"], [*STUDENT_INFO[1], "leak", "999"]]
    _write(settings.landing, "studentInfo.csv", rows)
    loader.ingest(settings, ("oulad",))
    identity = _df(settings, "student_identity")
    assert identity.select("identifier", "identifier_type").rows() == [("11391", "oulad_id")]
    assert _df(settings, "students")["student_id"].to_list() == identity["student_id"].to_list()
    assert "leak" in io.read(settings, bronze_spec("oulad", "student_info"))["record"][0].as_py()


def test_far_day_offsets_are_rejected_when_student_vle_loads(settings: LakeSettings) -> None:
    _write(settings.landing, "courses.csv", COURSES)
    rows = [
        STUDENT_VLE[0],
        ["AAA", "2013J", "1", "100", "10001", "1"],
        ["AAA", "2013J", "1", "100", "-9223372036854775808", "1"],
        ["AAA", "2013J", "1", "100", "-10000", "1"],
    ]
    _write(settings.landing, "studentVle.csv", rows)
    loader.ingest(settings, ("oulad",))
    q = _quarantine(settings).filter(pl.col("file") == "oulad/studentVle.csv")
    assert q.select("line", "reason_code").rows() == [(2, "invalid_value"), (3, "invalid_value")]
    assert _df(settings, "learning_events")["event_date"].to_list() == [date(1986, 5, 16)]


# ---------------------------------------------------------------------------------------------
# Hostile input.

_HOSTILE_LINE = st.one_of(
    st.binary(max_size=200),
    st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.integers(10_000, 300_000).map(lambda n: b'"AAA","2013J","1","100","' + b"9" * n + b'","1"'),
    st.just(b'"AAA","2013J","1\x00","100","1","1"'),
    st.just('"AAA","2013J","Zoë","100","1","1"'.encode("latin-1")),
    st.just(b'"AAA","2013J","1","100","1","unterminated'),
    st.just(b'"AAA","2013J","1","100","1","1e400"'),
    st.just(b'"AAA","2013J","-1","-100","-1","-1"'),
    st.sampled_from(["9999999", "-9223372036854775808", "9223372036854775807"]).map(
        lambda d: f'"AAA","2013J","1","100","{d}","1"'.encode()
    ),
    st.just(b'"AAA","0000J","1","100","1","1"'),
    st.just(b'"AAA","2013J","1","100","1","1","extra"'),
    st.sampled_from(STUDENT_VLE[1:]).map(lambda r: _csv([r]).rstrip()),
)


@hsettings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(lines=st.lists(_HOSTILE_LINE, min_size=1, max_size=6), gz=st.booleans())
def test_hostile_rows_never_break_accounting_when_student_vle_ingested(
    lines: list[bytes], gz: bool
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        s = LakeSettings(lake=Path(tmp) / "lake", landing=Path(tmp) / "landing")
        _write(s.landing, "courses.csv", COURSES)
        data = _csv(STUDENT_VLE[:1]) + b"\r\n".join(lines) + b"\r\n"
        path = s.landing / "oulad" / "studentVle_h.csv.gz"
        path.write_bytes(gzip.compress(data) if gz else data)
        reports = loader.ingest(s, ("oulad",))
        assert [(r.status, r.error) for r in reports] == [("committed", None)] * 2
        _assert_balanced(s)


# ---------------------------------------------------------------------------------------------
# The real OULAD (read in place through symlinks; nothing is copied into the repository).

_REAL = {
    "courses.csv": ("classes", "courses"),
    "vle.csv": ("content_items", "vle"),
    "assessments.csv": ("assessments", "assessments"),
    "studentInfo.csv": ("enrollments", "student_info"),
    "studentAssessment.csv": ("assessment_results", "student_assessment"),
}


@pytest.mark.real_data
@pytest.mark.slow
def test_every_real_row_is_loaded_or_quarantined_when_oulad_ingested(
    settings: LakeSettings, datasets_dir: Path
) -> None:
    src = datasets_dir / "oulad"
    files = sorted(p for p in src.iterdir() if p.name.endswith((".csv", ".csv.gz")))
    assert files, f"no OULAD files in {src}"
    (settings.landing / "oulad").mkdir()
    for f in files:
        (settings.landing / "oulad" / f.name).symlink_to(f)

    started = time.perf_counter()
    reports = loader.ingest(settings, ("oulad",))
    seconds = time.perf_counter() - started
    assert all(r.status == "committed" and r.error is None for r in reports)

    ledger = _ledger(settings)
    q_by_file = dict(ledger.select(pl.col("file").str.slice(6), "rows_quarantined").iter_rows())
    source_rows = {f.name: pl.read_csv(f, infer_schema=False).height for f in files}
    q = _quarantine(settings)
    print(f"\nOULAD ingest: {seconds:.1f}s for {sum(source_rows.values())} rows")
    print(q.group_by("file", "reason_code").len().sort("file"))
    assert set(q["reason_code"]) <= {r.value for r in Reason}
    assert dict(q.group_by(pl.col("file").str.slice(6)).len().iter_rows()) == {
        k: v for k, v in q_by_file.items() if v
    }

    for name, (table, entity) in _REAL.items():
        expected = source_rows[name] - q_by_file[name]
        assert io.row_count(settings, silver(table)) == expected, table
        assert io.read(settings, bronze_spec("oulad", entity)).num_rows <= source_rows[name]
    vle_files = [n for n in source_rows if n.lower().startswith("studentvle")]
    events = sum(source_rows[n] - q_by_file[n] for n in vle_files)
    assert io.row_count(settings, silver("learning_events")) == events
    info = pl.read_csv(src / "studentInfo.csv", infer_schema=False)
    if q_by_file["studentInfo.csv"] == 0:
        assert io.row_count(settings, silver("students")) == info["id_student"].n_unique()
    registrations = _df(settings, "enrollments")["status"].drop_nulls().len()
    assert (
        registrations
        == source_rows["studentRegistration.csv"] - q_by_file["studentRegistration.csv"]
    )
    # vle.csv lists sites of presentations absent from courses.csv: those, and only those, are
    # quarantined as unknown_class.
    courses = pl.read_csv(src / "courses.csv", infer_schema=False)
    vle = pl.read_csv(src / "vle.csv", infer_schema=False)
    orphans = vle.join(courses, on=["code_module", "code_presentation"], how="anti").height
    vle_q = q.filter(pl.col("file") == "oulad/vle.csv")
    assert vle_q.height == orphans
    assert set(vle_q["reason_code"]) <= {"unknown_class"}

    # Ingesting again changes nothing.
    specs = [*SILVER, LOADS, quarantine_spec("oulad")]
    versions = {spec.name: io.version(settings, spec) for spec in specs}
    assert loader.ingest(settings, ("oulad",)) == []
    assert {loader.load_unit(settings, u).status for u in PARSER.discover(settings.landing)} == {
        "skipped"
    }
    assert {spec.name: io.version(settings, spec) for spec in specs} == versions
    assert _ledger(settings).height == ledger.height
