"""The dbt project builds on a small demo lake: every test passes and every mart is in Delta."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest
from deltalake import DeltaTable

from tests.conftest import DBT_DIR, Curated

MARTS = sorted(
    p.relative_to(DBT_DIR / "models" / "marts")
    for p in (DBT_DIR / "models" / "marts").rglob("*.sql")
)

# Marts the demo school cannot fill (assessments come only from OULAD).
MAY_BE_EMPTY = {"grading/fct_assessment_results"}

pytestmark = pytest.mark.slow


def test_build_passes_every_data_and_unit_test(curated: Curated) -> None:
    done = re.search(r"Done\. PASS=(\d+) WARN=(\d+) ERROR=(\d+) SKIP=(\d+)", curated.log)
    assert done, curated.log[-2000:]
    passed, _, errors, skipped = map(int, done.groups())
    assert errors == 0 and skipped == 0
    assert passed > 100
    assert "unit test" in curated.log or "::" in curated.log


@pytest.mark.parametrize("mart", [str(m.with_suffix("")) for m in MARTS])
def test_every_mart_is_a_gold_delta_table_equal_to_the_warehouse(
    curated: Curated, mart: str
) -> None:
    domain, model = mart.split("/")
    table = DeltaTable(str(curated.lake / "gold" / domain / model)).to_pyarrow_table()
    with duckdb.connect(str(curated.warehouse), read_only=True) as con:
        rows = con.execute(f"select count(*) from {domain}.{model}").fetchone()[0]
    assert table.num_rows == rows
    if mart not in MAY_BE_EMPTY:
        assert rows > 0, mart


def test_no_direct_identifiers_reach_the_gold_layer(curated: Curated) -> None:
    forbidden = {"given_name", "family_name", "email", "username", "identifier"}
    for path in Path(curated.lake / "gold").glob("*/*"):
        names = set(DeltaTable(str(path)).schema().to_arrow().names)
        assert not names & forbidden, path
