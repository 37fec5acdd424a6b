"""Engagement and progress marts on real OULAD data against sums taken straight from the CSVs."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import polars as pl
import pytest

from lake.settings import LakeSettings
from tests.conftest import run_dbt

pytestmark = [pytest.mark.slow, pytest.mark.real_data]

# The small studentVle extract (BBB_2013J, days <= 132) keeps the test near a minute.
FILES = (
    "courses.csv",
    "assessments.csv",
    "vle.csv",
    "studentInfo.csv",
    "studentRegistration.csv",
    "studentAssessment.csv",
    "studentVle_BBB2013J_day_le_132.csv.gz",
)


@pytest.fixture(scope="module")
def oulad(datasets_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from lake.loader import ingest

    src = datasets_dir / "oulad"
    root = tmp_path_factory.mktemp("oulad")
    settings = LakeSettings(lake=root / "lake", landing=root / "landing")
    (settings.landing / "oulad").mkdir(parents=True)
    for name in FILES:
        shutil.copy(src / name, settings.landing / "oulad" / name)
    ingest(settings, ("oulad",))
    run_dbt(settings.lake, root / "warehouse.duckdb", "build")
    return root


def _mart(root: Path, sql: str) -> pl.DataFrame:
    with duckdb.connect(str(root / "warehouse.duckdb"), read_only=True) as con:
        return con.sql(sql).pl()


def test_daily_engagement_sums_the_clicks_of_student_vle(oulad: Path, datasets_dir: Path) -> None:
    vle = pl.read_csv(datasets_dir / "oulad" / FILES[-1])
    expected = vle.group_by("code_module", "code_presentation").agg(
        pl.col("sum_click").sum().alias("clicks"),
        pl.col("id_student").n_unique().alias("students"),
        pl.struct("id_student", "date").n_unique().alias("student_days"),
    )
    got = _mart(
        oulad,
        "select class_id, sum(n_actions)::bigint as clicks, count(distinct student_id) as students,"
        " count(*) as student_days from engagement.fct_daily_engagement group by class_id",
    )
    assert got.height == expected.height == 1
    row = expected.row(0, named=True)
    assert got["class_id"][0] == f"{row['code_module']}_{row['code_presentation']}"
    assert got["clicks"][0] == row["clicks"]
    assert got["students"][0] == row["students"]
    assert got["student_days"][0] == row["student_days"]


def test_progress_counts_submissions_and_weights_scores_per_class(
    oulad: Path, datasets_dir: Path
) -> None:
    src = datasets_dir / "oulad"
    assessments = pl.read_csv(src / "assessments.csv", null_values="?")
    results = pl.read_csv(src / "studentAssessment.csv", null_values="?").join(
        assessments, on="id_assessment"
    )
    registered = pl.read_csv(src / "studentRegistration.csv", null_values="?").select(
        "code_module", "code_presentation", "id_student"
    )
    results = results.join(registered, on=["code_module", "code_presentation", "id_student"])
    per_student = (
        results.filter(pl.col("score").is_not_null() & (pl.col("weight") > 0))
        .group_by("code_module", "code_presentation", "id_student")
        .agg(((pl.col("weight") * pl.col("score")).sum() / pl.col("weight").sum()).alias("w"))
    )
    expected = (
        results.group_by("code_module", "code_presentation")
        .agg(pl.len().alias("submitted"))
        .join(
            per_student.group_by("code_module", "code_presentation").agg(
                pl.col("w").mean().alias("mean_weighted"), pl.len().alias("n_weighted")
            ),
            on=["code_module", "code_presentation"],
        )
        .with_columns(
            pl.concat_str("code_module", "code_presentation", separator="_").alias("class_id")
        )
    )
    got = _mart(
        oulad,
        "select class_id, sum(n_assessments_submitted)::bigint as submitted,"
        " avg(weighted_score_to_date) as mean_weighted, count(weighted_score_to_date) as n_weighted"
        " from progress.fct_student_progress group by class_id",
    )
    joined = expected.join(got, on="class_id", suffix="_mart")
    assert joined.height == expected.height > 10
    for row in joined.iter_rows(named=True):
        assert row["submitted_mart"] == row["submitted"], row["class_id"]
        assert row["n_weighted_mart"] == row["n_weighted"], row["class_id"]
        assert row["mean_weighted_mart"] == pytest.approx(row["mean_weighted"], rel=1e-9)
