"""The gold cache: no table scan per request; a new Delta version is picked up."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyarrow as pa
from deltalake import DeltaTable, write_deltalake

from api.gold import Gold
from lake.io import read_delta
from tests.conftest import Curated


def test_reads_are_served_from_the_cache_until_the_version_changes(
    curated: Curated, tmp_path: Path
) -> None:
    shutil.copytree(curated.lake / "gold", tmp_path / "gold")
    gold = Gold(tmp_path, check_s=0.0)
    table = gold.tables["dim_classes"]
    first = gold.frame("dim_classes")
    for _ in range(50):
        gold.rows("dim_classes", "class_id", first["class_id"][0])
    assert table.loads == 1, "repeated reads of an unchanged table must not reload it"

    path = tmp_path / "gold/enrollment/dim_classes"
    rows = read_delta(DeltaTable(str(path))).slice(0, 1)
    extra = rows.set_column(
        rows.schema.get_field_index("class_id"), "class_id", pa.array(["cls-new-class"])
    )
    write_deltalake(str(path), extra, mode="append")
    got = gold.rows("dim_classes", "class_id", "cls-new-class")
    assert got.height == 1
    assert table.loads == 2
    assert gold.version("dim_classes") == DeltaTable(str(path)).version()


def test_a_table_not_written_yet_reads_as_empty_and_appears_later(tmp_path: Path) -> None:
    gold = Gold(tmp_path, check_s=0.0)
    assert not gold.exists("ml_at_risk_scores")
    assert gold.rows("ml_at_risk_scores", "class_id", "c1").height == 0
    write_deltalake(
        str(tmp_path / "gold/ml/ml_at_risk_scores"),
        pa.table({"class_id": ["c1"], "student_id": ["s1"], "probability": [0.7]}),
    )
    assert gold.exists("ml_at_risk_scores")
    assert gold.rows("ml_at_risk_scores", "class_id", "c1")["student_id"].to_list() == ["s1"]


def test_check_interval_bounds_how_often_the_log_is_looked_at(
    curated: Curated, tmp_path: Path
) -> None:
    shutil.copytree(curated.lake / "gold", tmp_path / "gold")
    gold = Gold(tmp_path, check_s=3600.0)
    gold.frame("dim_classes")
    path = tmp_path / "gold/enrollment/dim_classes"
    write_deltalake(str(path), read_delta(DeltaTable(str(path))).slice(0, 1), mode="append")
    assert gold.tables["dim_classes"].loads == 1
    assert gold.version("dim_classes") == 0, "within the interval the cached version is served"
