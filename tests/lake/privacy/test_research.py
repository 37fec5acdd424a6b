"""Research ids, generalisation to k-anonymity, the k check, small cells, the identifier scan."""

from __future__ import annotations

import stat
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lake.privacy import research as r
from lake.settings import SettingsError

KEYS = r.ResearchKeys(secret=b"test-secret-of-enough-length", release="release-1")


# --- ids -----------------------------------------------------------------------------------------


def test_research_ids_are_stable_within_a_release_and_unlinkable_across_releases() -> None:
    students = [f"s_{i:024x}" for i in range(50)]
    first = r.research_ids_for(students, KEYS)
    again = r.research_ids_for(list(reversed(students)), KEYS)
    other = r.research_ids_for(students, r.ResearchKeys(KEYS.secret, "release-2"))
    assert first == again
    assert len(set(first.values())) == len(students)
    assert all(v.startswith("r_") and len(v) == 26 for v in first.values())
    assert all(first[s] != s and s[2:] not in first[s] for s in students)
    assert not set(first.values()) & set(other.values())


def test_research_ids_depend_on_the_secret() -> None:
    other = r.ResearchKeys(secret=b"another-secret-of-enough-length", release=KEYS.release)
    assert r.research_id(KEYS, "s_1") != r.research_id(other, "s_1")


def test_research_ids_for_uses_the_deployment_keys(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(r.SECRET_ENV, "x" * 32)
    monkeypatch.setenv(r.RELEASE_ENV, "spring-2026")
    ids = r.research_ids_for(["s_a", "s_b", "s_a"], lake=tmp_path / "lake")
    assert list(ids) == ["s_a", "s_b"]
    assert ids["s_a"] == r.research_id(r.ResearchKeys(b"x" * 32, "spring-2026"), "s_a")
    monkeypatch.setenv(r.RELEASE_ENV, "autumn-2026")
    assert r.research_ids_for(["s_a"], lake=tmp_path / "lake")["s_a"] != ids["s_a"]


def test_secret_file_is_made_once_beside_the_lake_with_owner_only_access(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(r.SECRET_ENV, raising=False)
    monkeypatch.delenv(r.SECRET_FILE_ENV, raising=False)
    monkeypatch.setenv("LEARNSMART_ENV", "development")
    lake = tmp_path / "data" / "lake"
    lake.mkdir(parents=True)
    first = r.load_secret(lake)
    path = tmp_path / "data" / "secrets" / "research.key"
    assert path.is_file()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert r.load_secret(lake) == first
    assert len(first) >= 32
    assert not any(p.name == "research.key" for p in lake.rglob("*"))


def test_secret_file_inside_the_lake_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(r.SECRET_ENV, raising=False)
    lake = tmp_path / "lake"
    monkeypatch.setenv(r.SECRET_FILE_ENV, str(lake / "secrets" / "research.key"))
    with pytest.raises(SettingsError, match="outside the lake"):
        r.load_secret(lake)
    assert not (lake / "secrets").exists()


def test_secret_is_not_invented_outside_development(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(r.SECRET_ENV, raising=False)
    monkeypatch.delenv(r.SECRET_FILE_ENV, raising=False)
    monkeypatch.setenv("LEARNSMART_ENV", "production")
    with pytest.raises(SettingsError, match="no research secret"):
        r.load_secret(tmp_path / "lake")
    assert not (tmp_path / "secrets").exists()
    monkeypatch.setenv(r.SECRET_ENV, "short")
    with pytest.raises(SettingsError, match="at least"):
        r.load_secret(tmp_path / "lake")


def test_k_below_five_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(r.K_ENV, "3")
    with pytest.raises(SettingsError):
        r.research_k()
    monkeypatch.setenv(r.K_ENV, "10")
    assert r.research_k() == 10


# --- the k check ---------------------------------------------------------------------------------


def test_k_anonymity_check_finds_the_unique_combination_in_a_crafted_table() -> None:
    rows = [("15-19", "F", "North of England")] * 5 + [("10-14", "M", "Midlands")] * 6
    rows.append(("55-59", "other", "Wales"))  # the one person who stands out
    frame = pl.DataFrame(rows, schema=["age_band", "gender", "region_area"], orient="row")
    bad = r.k_anonymity_violations(frame, ["age_band", "gender", "region_area"], k=5)
    assert bad.rows() == [("55-59", "other", "Wales", 1)]
    assert r.k_anonymity_violations(frame[:11], ["age_band", "gender", "region_area"]).is_empty()


def test_k_anonymity_counts_students_not_rows() -> None:
    frame = pl.DataFrame({"research_id": ["r_a"] * 5 + ["r_b"] * 5, "gender": ["F"] * 10})
    assert r.k_anonymity_violations(frame, ["gender"], k=5).is_empty()  # rows: 10
    bad = r.k_anonymity_violations(frame, ["gender"], k=5, entity="research_id")
    assert bad.rows() == [("F", 2)]


def test_nulls_form_a_combination_of_their_own() -> None:
    frame = pl.DataFrame({"g": ["a"] * 5 + [None]})
    assert r.k_anonymity_violations(frame, ["g"], k=5).rows() == [(None, 1)]


# --- ladders -------------------------------------------------------------------------------------


def _levels(ladder: r.Ladder, frame: pl.DataFrame) -> list[list[object]]:
    return [frame.with_columns(ladder.at(i))[ladder.name].to_list() for i in range(ladder.top + 1)]


def test_ladders_generalise_step_by_step() -> None:
    frame = pl.DataFrame(
        {
            "age": [14, 15, 37, None],
            "band": [None, None, None, "35-55"],
            "region": ["London Region", "Scotland", "Atlantis", None],
            "imd": ["10-20", "20-30%", "90-100%", None],
            "grade": ["09", "K", "07", None],
            "week": [1, 4, 5, None],
        }
    )
    assert _levels(r.age_ladder(pl.col("age"), pl.col("band")), frame) == [
        ["10-14", "15-19", "35-39", "35-55"],
        ["10-19", "10-19", "30-39", "35-55"],
        ["any"] * 4,
    ]
    assert _levels(r.region_ladder(pl.col("region")), frame) == [
        ["South of England", "Scotland", "other", None],
        ["any"] * 4,
    ]
    assert _levels(r.imd_ladder(pl.col("imd")), frame) == [
        ["10-19%", "20-29%", "90-99%", None],
        ["0-20%", "20-40%", "80-100%", None],
        ["any"] * 4,
    ]
    assert _levels(r.grade_ladder(pl.col("grade")), frame) == [
        ["09", "K", "07", None],
        ["high", "primary", "middle", None],
        ["any"] * 4,
    ]
    assert _levels(r.week_ladder("w", pl.col("week")), frame) == [
        ["1", "4", "5", None],
        ["1-4", "1-4", "5-8", None],
        ["any"] * 4,
    ]


def test_weeks_since_class_start() -> None:
    frame = pl.DataFrame(
        {"start": ["2025-09-08"] * 3, "at": ["2025-09-08", "2025-09-15", None]}
    ).with_columns(pl.col("start", "at").str.to_date())
    weeks = frame.select(r.weeks_since(pl.col("start"), pl.col("at"))).to_series().to_list()
    assert weeks == [1, 2, None]


# --- generalisation ------------------------------------------------------------------------------

REGIONS = [*r.REGION_AREAS, "Atlantis", None]
IMDS = ["0-10%", "10-20", "20-30%", "50-60%", "90-100%", None]


def _ladders() -> list[r.Ladder]:
    return [
        r.age_ladder(pl.col("age")),
        r.category_ladder("gender", pl.col("sex")),
        r.region_ladder(pl.col("region")),
        r.imd_ladder(pl.col("imd")),
        r.flag_ladder("has_disability", pl.col("disabled")),
        r.week_ladder("withdrawn_week", pl.col("withdrawn")),
    ]


QIS = ["class_id", "age_band", "gender", "region_area", "imd_band", "has_disability"]


@st.composite
def people(draw: st.DrawFn) -> pl.DataFrame:
    n = draw(st.integers(0, 160))
    rows = []
    for i in range(n):
        rows.append(
            {
                "student_id": f"s_{draw(st.integers(0, max(n - 1, 0))):04d}",
                "class_id": draw(st.sampled_from(["c1", "c2", "c3"])),
                "age": draw(st.one_of(st.none(), st.integers(11, 70))),
                "sex": draw(st.sampled_from(["F", "M", "other", None])),
                "region": draw(st.sampled_from(REGIONS)),
                "imd": draw(st.sampled_from(IMDS)),
                "disabled": draw(st.sampled_from([True, False, None])),
                "withdrawn": draw(st.one_of(st.none(), st.integers(1, 20))),
                "row": i,
            }
        )
    schema = {
        "student_id": pl.String,
        "class_id": pl.String,
        "age": pl.Int64,
        "sex": pl.String,
        "region": pl.String,
        "imd": pl.String,
        "disabled": pl.Boolean,
        "withdrawn": pl.Int64,
        "row": pl.Int64,
    }
    return pl.DataFrame(rows, schema=schema)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frame=people(), k=st.integers(2, 8), share=st.sampled_from([0.0, 0.05, 0.2]))
def test_generalisation_reaches_k_and_never_leaves_a_small_group(
    frame: pl.DataFrame, k: int, share: float
) -> None:
    out = r.generalise(
        frame,
        _ladders(),
        k,
        fixed=["class_id"],
        entity="student_id",
        max_suppressed_share=share,
    )
    released = out.frame
    qis = [*QIS, "withdrawn_week"]
    assert r.k_anonymity_violations(released, qis, k, entity="student_id").is_empty()
    sizes = released.group_by(qis).agg(pl.col("student_id").n_unique().alias("n"))
    assert (sizes["n"] >= k).all()
    # nothing is lost silently: released + suppressed rows are the input rows
    assert released.height + out.suppressed_rows == frame.height
    assert set(released["row"].to_list()) <= set(frame["row"].to_list())
    # suppression stays in budget unless every ladder is already at "any"
    tops = {ld.name: ld.top for ld in _ladders()}
    if out.levels != tops:
        assert out.suppressed_rows <= share * frame.height
    # released values are the input's, generalised at the chosen level
    again = r.apply_levels(frame, _ladders(), out.levels).filter(
        pl.col("row").is_in(released["row"].implode())
    )
    assert again.sort("row").select(qis).equals(released.sort("row").select(qis))


def test_generalisation_climbs_only_as_far_as_needed() -> None:
    frame = pl.DataFrame(
        {
            "student_id": [f"s_{i}" for i in range(20)],
            "class_id": ["c1"] * 20,
            "age": [14, 15, 16, 17] * 5,  # one 5-year band, four exact ages
            "sex": ["F", "M"] * 10,
            "region": ["London Region"] * 20,
            "imd": ["10-20"] * 20,
            "disabled": [False] * 20,
            "withdrawn": [None] * 20,
        },
        schema_overrides={"withdrawn": pl.Int64},
    )
    out = r.generalise(frame, _ladders(), k=5, fixed=["class_id"], entity="student_id")
    assert out.suppressed_rows == 0
    # 10-14 is 5 girls; 15-19 is 5 girls and 10 boys: k=5 holds without climbing
    assert out.levels == {
        "age_band": 0,
        "gender": 0,
        "region_area": 0,
        "imd_band": 0,
        "has_disability": 0,
        "withdrawn_week": 0,
    }
    lone = frame.with_columns(
        pl.when(pl.col("student_id") == "s_0")
        .then(pl.lit(62))
        .otherwise(pl.col("age"))
        .alias("age")
    )
    # within the 5% budget the lone 62-year-old is suppressed once ages are 10-year bands
    out = r.generalise(lone, _ladders(), k=5, fixed=["class_id"], entity="student_id")
    assert out.levels["age_band"] == 1 and out.levels["gender"] == 0
    assert out.suppressed_rows == 1 and "s_0" not in out.frame["student_id"]
    # with no suppression allowed, age climbs to "any" instead
    out = r.generalise(
        lone, _ladders(), k=5, fixed=["class_id"], entity="student_id", max_suppressed_share=0
    )
    assert out.levels["age_band"] == 2 and out.levels["gender"] == 0
    assert out.suppressed_rows == 0


def test_generalisation_suppresses_a_class_too_small_to_release() -> None:
    frame = pl.DataFrame(
        {
            "student_id": [f"s_{i}" for i in range(12)],
            "class_id": ["big"] * 9 + ["tiny"] * 3,
            "age": [15] * 12,
            "sex": ["F"] * 12,
            "region": [None] * 12,
            "imd": [None] * 12,
            "disabled": [None] * 12,
            "withdrawn": [None] * 12,
        },
        schema_overrides={"region": pl.String, "imd": pl.String, "disabled": pl.Boolean},
        strict=False,
    )
    out = r.generalise(frame, _ladders(), k=5, fixed=["class_id"], entity="student_id")
    assert set(out.frame["class_id"]) == {"big"}
    assert out.suppressed_rows == 3 and out.suppressed_entities == 3


# --- small cells, identifiers, consent -----------------------------------------------------------


def test_small_cells_are_suppressed_to_null_with_a_flag() -> None:
    agg = pl.DataFrame(
        {
            "class_id": ["c1", "c1", "c2"],
            "week": [1, 2, 1],
            "n_students": [12, 4, 5],
            "mean_minutes": [30.0, 99.0, 12.5],
        }
    )
    out = r.suppress_small_cells(agg, "n_students", 5, keys=["class_id", "week"])
    assert out.rows() == [
        ("c1", 1, 12, 30.0, False),
        ("c1", 2, None, None, True),
        ("c2", 1, 5, 12.5, False),
    ]
    assert out.columns[-1] == "is_suppressed"
    with pytest.raises(KeyError):
        r.suppress_small_cells(agg, "n", 5, keys=["class_id"])


def test_identifier_scan_names_each_problem() -> None:
    ok = pl.DataFrame({"research_id": ["r_1"], "gender": ["F"]})
    assert r.identifier_problems(ok, ["research_id", "gender"]) == []
    bad = pl.DataFrame(
        {
            "research_id": ["r_1"],
            "student_id": ["x"],
            "cohort": ["s_" + "a" * 24],
            "contact": ["ada@example.org"],
            "comment": ["I am struggling with algebra because my family moved house last month"],
            "extra": [1],
        }
    )
    problems = r.identifier_problems(
        bad, ["research_id", "student_id", "cohort", "contact", "comment"]
    )
    assert problems == [
        "forbidden column 'student_id'",
        "undeclared column 'extra'",
        "column 'cohort' holds student ids",
        "column 'contact' holds e-mail addresses",
        "column 'comment' holds free text (values over 64 chars)",
    ]


def test_consent_filter_keeps_only_granted_students() -> None:
    frame = pl.DataFrame({"student_id": ["s_a", "s_b", "s_c", "s_a"], "x": [1, 2, 3, 4]})
    out = r.consented(frame, {"s_a", "s_c", "s_z"})
    assert out["x"].to_list() == [1, 3, 4]
    assert r.consented(frame, set()).is_empty()
