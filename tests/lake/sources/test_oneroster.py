"""OneRoster 1.1 / 1.2 CSV bundles through the real loader into Delta tables."""

from __future__ import annotations

import tempfile
from pathlib import Path

import polars as pl
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from lake import io, loader
from lake.settings import LakeSettings
from lake.sources.oneroster import PARSER, parse_user_ids, split_list
from lake.tables import LOADS, SILVER, bronze_spec, quarantine_spec, silver
from tests.lake.sources import oneroster_fixtures as fx
from tests.lake.sources.lakeread import (
    assert_balanced,
    ledger_frame,
    quarantine_frame,
    silver_frame,
)


def _silver(settings: LakeSettings, table: str) -> pl.DataFrame:
    return silver_frame(settings, table)


def _quarantine(settings: LakeSettings) -> pl.DataFrame:
    return quarantine_frame(settings, "oneroster")


def _ledger(settings: LakeSettings) -> pl.DataFrame:
    return ledger_frame(settings)


def _assert_balanced(settings: LakeSettings) -> None:
    assert_balanced(settings, "oneroster")


@pytest.fixture
def loaded_12(settings: LakeSettings) -> LakeSettings:
    fx.write_bundle(settings.landing / "oneroster" / "b12", fx.bundle_12())
    reports = loader.ingest(settings, ("oneroster",))
    assert [r.status for r in reports] == ["committed"]
    assert reports[0].error is None
    return settings


def test_rosters_map_into_silver_when_12_bundle_loads(loaded_12: LakeSettings) -> None:
    s = loaded_12
    orgs = _silver(s, "orgs").sort("org_id")
    assert orgs["name"].to_list() == ["North District", "Lincoln High, East Campus"]
    assert orgs["parent_org_id"].to_list() == [None, "d1"]

    terms = _silver(s, "terms").sort("term_id")
    assert terms["term_id"].to_list() == ["t1", "y2026"]
    assert terms.filter(pl.col("term_id") == "t1")["title"].item() == "Fall, 2025"

    course = _silver(s, "courses").row(0, named=True)
    assert course["subjects"] == ["Mathematics", "Algebra"]
    assert course["course_code"] == "ALG1"

    klass = _silver(s, "classes").row(0, named=True)
    assert klass["class_id"] == "k-alg-1"
    assert klass["course_id"] == "c-alg"
    assert klass["term_id"] == "t1"
    assert klass["title"] == 'Algebra I, Period 1 "honours"'
    assert klass["org_id"] == "s1"

    staff = _silver(s, "staff").sort("staff_id")
    assert dict(zip(staff["staff_id"], staff["role"], strict=True)) == {
        "u-adm1": "siteAdministrator",
        "u-aide1": "aide",
        "u-t1": "teacher",  # primary teacher, secondary parent
    }

    enrollments = _silver(s, "enrollments")
    assert enrollments.height == 2
    assert set(enrollments["class_id"]) == {"k-alg-1"}
    assert set(enrollments["status"]) == {"active"}
    class_staff = _silver(s, "class_staff").sort("staff_id")
    assert class_staff.select("staff_id", "role", "is_primary").rows() == [
        ("u-aide1", "aide", False),
        ("u-t1", "teacher", True),
    ]


def test_students_are_pseudonymous_with_identity_rows_when_12_bundle_loads(
    loaded_12: LakeSettings,
) -> None:
    s = loaded_12
    students = _silver(s, "students")
    identity = _silver(s, "student_identity")
    zoe = identity.filter(pl.col("given_name") == "Zoë")
    assert set(zip(zoe["identifier_type"], zoe["identifier"], strict=True)) == {
        ("sourced_id", "u-st1"),
        ("username", "zoe.nunez"),
        ("email", "zoe.nunez@example.edu"),
        ("user_id:LMS", "abc"),
        ("user_id:SIS", "123"),
    }
    assert zoe["student_id"].n_unique() == 1
    assert zoe["family_name"].unique().to_list() == ["Ñúñez"]
    zoe_id = zoe["student_id"][0]

    assert students.height == 2
    row = students.filter(pl.col("student_id") == zoe_id).row(0, named=True)
    assert (row["grade_level"], row["birth_year"], row["gender"]) == ("09", 2010, "F")
    assert row["first_seen_at"] is not None
    # No direct identifier anywhere in students.
    text = " ".join(str(v) for r in students.rows() for v in r)
    for pii in ("Zoë", "Ñúñez", "zoe.nunez", "u-st1", "Liam", "liam@example.edu"):
        assert pii not in text
    enrolled = set(_silver(s, "enrollments")["student_id"])
    assert enrolled == set(students["student_id"])


def test_guardians_and_deleted_users_stay_in_bronze_only_when_12_bundle_loads(
    loaded_12: LakeSettings,
) -> None:
    s = loaded_12
    bronze = io.read(s, bronze_spec("oneroster", "users"))
    assert bronze.num_rows == len(fx.USERS_12) - 1
    assert set(bronze.column("_source_file").to_pylist()) == {"oneroster/b12/users.csv"}
    loaded = set(_silver(s, "staff")["staff_id"]) | set(
        _silver(s, "student_identity")["identifier"]
    )
    for uid in ("u-g1", "u-p1", "u-r1", "u-st3"):
        assert uid not in loaded
    users = _ledger(s).filter(pl.col("file") == "oneroster/b12/users.csv").row(0, named=True)
    # 3 guardians/parents/relatives and 1 tobedeleted student are kept; 3 users are rejected.
    assert (users["rows_in"], users["rows_kept"], users["rows_quarantined"]) == (12, 9, 3)
    assert (
        "e-del"
        in io.read(s, bronze_spec("oneroster", "enrollments")).to_pandas()["record"].str.cat()
    )
    _assert_balanced(s)


def test_records_breaking_the_binding_are_quarantined_when_12_bundle_loads(
    loaded_12: LakeSettings,
) -> None:
    q = _quarantine(loaded_12)
    got = {
        (f.rsplit("/", 1)[1], line, code)
        for f, line, code in q.select("file", "line", "reason_code").rows()
    }
    assert got == {
        ("academicSessions.csv", 4, "invalid_timestamp"),
        ("classes.csv", 3, "missing_field"),
        ("users.csv", 11, "invalid_value"),
        ("users.csv", 12, "missing_field"),
        ("users.csv", 13, "spec_violation"),
        ("roles.csv", 12, "invalid_value"),
        ("roles.csv", 13, "unknown_reference"),
        ("demographics.csv", 5, "invalid_timestamp"),
        ("enrollments.csv", 8, "unknown_reference"),
        ("enrollments.csv", 9, "unknown_reference"),
        ("enrollments.csv", 10, "invalid_timestamp"),
        ("enrollments.csv", 11, "invalid_value"),
        ("enrollments.csv", 12, "spec_violation"),
    }
    assert q["reason"].null_count() == 0
    bad_flag = q.filter(pl.col("reason_code") == "invalid_value", pl.col("line") == 11)
    assert "maybe" in bad_flag.filter(pl.col("file").str.ends_with("users.csv"))["raw"].item()
    _assert_balanced(loaded_12)


def test_role_column_is_used_when_11_bundle_arrives_as_zip(settings: LakeSettings) -> None:
    fx.write_zip(settings.landing / "oneroster" / "sis-11.zip", fx.bundle_11(), prefix="export/")
    (report,) = loader.ingest(settings, ("oneroster",))
    assert report.status == "committed" and report.error is None

    ledger = _ledger(settings)
    # One ledger row per member CSV, none for the zip itself.
    assert all(f.startswith("oneroster/sis-11.zip/") for f in ledger["file"].to_list())
    assert "oneroster/sis-11.zip/users.csv" in ledger["file"].to_list()
    assert (ledger["rows_in"].sum(), ledger["rows_quarantined"].sum()) == (14, 2)
    files = set(
        io.read(settings, bronze_spec("oneroster", "users")).column("_source_file").to_pylist()
    )
    assert files == {"oneroster/sis-11.zip/users.csv"}

    identity = _silver(settings, "student_identity")
    assert set(identity["identifier"]) == {"v-st1", "mia.k", "mia@example.edu", "mia-lms"}
    assert set(identity["family_name"]) == {"Kovač"}
    assert _silver(settings, "students")["org_id"].to_list() == ["s1"]
    assert _silver(settings, "staff")["staff_id"].to_list() == ["v-t1"]
    assert _silver(settings, "class_staff").select("class_id", "staff_id").rows() == [
        ("k-geo", "v-t1")
    ]
    q = _quarantine(settings)
    assert set(zip(q["file"], q["reason_code"], strict=True)) == {
        ("oneroster/sis-11.zip/users.csv", "invalid_value"),
        ("oneroster/sis-11.zip/enrollments.csv", "unknown_reference"),
    }
    _assert_balanced(settings)


def test_delta_bundle_refers_to_silver_when_loaded_after_full_bundle(
    loaded_12: LakeSettings,
) -> None:
    s = loaded_12
    before = _silver(s, "student_identity")
    liam_id = before.filter(pl.col("identifier") == "u-st2")["student_id"].item()
    delta: fx.Bundle = {
        "users.csv": [
            fx.USERS_12_HEADER,
            fx._user12("u-st2", "Liam", "O'Brien", username="liam.new", grades="11"),
        ],
        "roles.csv": [fx.ROLES_HEADER, fx._role("r2", "u-st2", "student")],
        "enrollments.csv": [
            fx.ENROLLMENTS_HEADER,
            fx._enr("e9", "k-alg-1", "u-t1", "teacher", primary="false"),
            fx._enr("e10", "k-alg-1", "u-ghost", "student"),
        ],
    }
    fx.write_bundle(s.landing / "oneroster" / "b13-delta", delta)
    (report,) = loader.ingest(s, ("oneroster",))
    assert report.status == "committed" and report.error is None

    identity = _silver(s, "student_identity")
    assert identity.filter(pl.col("identifier") == "liam.new")["student_id"].item() == liam_id
    students = _silver(s, "students")
    assert students.filter(pl.col("student_id") == liam_id)["grade_level"].item() == "11"
    assert students.height == 2
    # class and teacher come from silver; the unknown user is still rejected.
    staff_row = _silver(s, "class_staff").filter(pl.col("staff_id") == "u-t1")
    assert staff_row["is_primary"].item() is False
    q = _quarantine(s).filter(pl.col("file").str.starts_with("oneroster/b13-delta"))
    assert q.select("line", "reason_code").rows() == [(3, "unknown_reference")]
    _assert_balanced(s)


def test_student_known_by_username_keeps_student_id_when_roster_arrives(
    settings: LakeSettings,
) -> None:
    known = pa.table(
        {
            "identifier_type": ["username"],
            "identifier": ["zoe.nunez"],
            "student_id": ["s_known"],
            "source": ["quiz_attempts"],
        }
    )
    io.merge(settings, silver("student_identity"), known, "seed")
    fx.write_bundle(settings.landing / "oneroster" / "b12", fx.bundle_12())
    loader.ingest(settings, ("oneroster",))
    identity = _silver(settings, "student_identity")
    zoe = identity.filter(pl.col("given_name") == "Zoë")
    assert set(zoe["student_id"]) == {"s_known"}
    assert "s_known" in set(_silver(settings, "enrollments")["student_id"])
    # Known before: not "first seen" by this roster.
    row = _silver(settings, "students").filter(pl.col("student_id") == "s_known")
    assert row["first_seen_at"].item() is None


def test_reingest_is_a_noop_when_bundle_unchanged(loaded_12: LakeSettings) -> None:
    s = loaded_12
    specs = [*SILVER, LOADS, quarantine_spec("oneroster")]
    versions = {spec.name: io.version(s, spec) for spec in specs}
    assert loader.ingest(s, ("oneroster",)) == []
    (unit,) = PARSER.discover(s.landing)
    assert loader.load_unit(s, unit).status == "skipped"
    assert {spec.name: io.version(s, spec) for spec in specs} == versions


def test_unsupported_and_headerless_files_are_quarantined_whole_when_bundle_loads(
    settings: LakeSettings,
) -> None:
    bundle = fx.bundle_12()
    bundle["lineItems.csv"] = [["sourcedId", "title"], ["li1", "Quiz, 1"]]
    bundle["courses.csv"] = [["id", "title"], ["c-alg", "Algebra"]]  # lacks sourcedId
    fx.write_bundle(settings.landing / "oneroster" / "b12", bundle)
    (report,) = loader.ingest(settings, ("oneroster",))
    assert report.error is None
    q = _quarantine(settings).filter(pl.col("reason_code") == "unreadable_file")
    assert q.group_by("file").len().sort("file").rows() == [
        ("oneroster/b12/courses.csv", 2),
        ("oneroster/b12/lineItems.csv", 2),
    ]
    assert _silver(settings, "courses").height == 0
    assert _silver(settings, "classes").height == 1  # other files still load
    _assert_balanced(settings)


def test_corrupt_zip_is_quarantined_whole_when_ingested(settings: LakeSettings) -> None:
    path = settings.landing / "oneroster" / "broken.zip"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"PK\x03\x04 not really a zip\nsecond line\n")
    (report,) = loader.ingest(settings, ("oneroster",))
    assert report.status == "committed"
    q = _quarantine(settings)
    assert set(q["reason_code"]) == {"unreadable_file"}
    assert q.height == 2
    _assert_balanced(settings)


def test_multiline_quoted_title_is_kept_when_bundle_loads(settings: LakeSettings) -> None:
    classes = [fx.CLASSES[0], [*fx.CLASSES[1][:3], 'Algebra I\nSection A, "B"', *fx.CLASSES[1][4:]]]
    bundle = {"courses.csv": fx.COURSES, "classes.csv": classes}
    fx.write_bundle(settings.landing / "oneroster" / "2026-09-01", bundle)
    loader.ingest(settings, ("oneroster",))
    assert _silver(settings, "classes")["title"].to_list() == ['Algebra I\nSection A, "B"']
    _assert_balanced(settings)


def test_discover_finds_folders_zips_and_loose_files_when_landing_mixed(tmp_path: Path) -> None:
    root = tmp_path / "oneroster"
    fx.write_bundle(root / "2026-09-02", {"users.csv": fx.USERS_12})
    fx.write_bundle(root / "2026-09-01", {"orgs.csv": fx.ORGS, "users.csv": fx.USERS_12})
    fx.write_zip(root / "2026-09-03.zip", {"orgs.csv": fx.ORGS})
    (root / "orgs.csv").write_bytes(fx.csv_bytes(fx.ORGS))
    (root / "2026-09-02" / "users.csv.part").write_bytes(b"partial")
    units = PARSER.discover(tmp_path)
    assert [(u.name, len(u.files)) for u in units] == [
        ("oneroster", 1),
        ("oneroster/2026-09-01", 2),
        ("oneroster/2026-09-02", 1),
        ("oneroster/2026-09-03.zip", 1),
    ]


def test_list_fields_split_on_commas_when_parsed() -> None:
    assert split_list(" 09, 10 ,") == ["09", "10"]
    assert split_list(None) == []
    assert parse_user_ids("{LMS:abc},{SIS:123}") == [("LMS", "abc"), ("SIS", "123")]
    assert parse_user_ids("{urn:x:y}") == [("urn", "x:y")]
    with pytest.raises(ValueError):
        parse_user_ids("LMS:abc")


# ---------------------------------------------------------------------------------------------
# Hostile input: whatever lands in a bundle file, ingest finishes and every row is accounted for.

_HOSTILE_LINE = st.one_of(
    st.binary(max_size=200),
    st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.integers(10_000, 300_000).map(lambda n: b'v-x,,,true,s1,student,"' + b"x" * n + b'"'),
    st.just(b"v-nul,,,true,s1,student,nul\x00user,,Nu\x00l,Byte"),
    st.just("v-latin,,,true,s1,student,zoe,,Zoë,Ñúñez".encode("latin-1")),
    st.just(b'v-quote,,,true,s1,student,"unterminated'),
    st.just(b",,,,,,,,,,,,,,,,,,,,,,,,,,,,,,"),
    st.sampled_from([r[:] for r in fx.USERS_11[1:]]).map(lambda r: fx.csv_bytes([r]).rstrip()),
)


@hsettings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    target=st.sampled_from(["users.csv", "enrollments.csv", "orgs.csv"]),
    lines=st.lists(_HOSTILE_LINE, min_size=1, max_size=6),
)
def test_hostile_rows_never_break_accounting_when_bundle_ingested(
    target: str, lines: list[bytes]
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        s = LakeSettings(lake=Path(tmp) / "lake", landing=Path(tmp) / "landing")
        folder = fx.write_bundle(s.landing / "oneroster" / "b", fx.bundle_11())
        path = folder / target
        path.write_bytes(path.read_bytes() + b"\r\n".join(lines) + b"\r\n")
        reports = loader.ingest(s, ("oneroster",))
        assert [(r.status, r.error) for r in reports] == [("committed", None)]
        _assert_balanced(s)
