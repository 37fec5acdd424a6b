"""The research tables over the small curated demo lake, with consent in a SQLite store.

Most students grant research use; one refuses and one was never asked. Neither may appear in
any research table, no research table may carry an identifier, every table's blocking check
passes on the real build and fails on a crafted table, and a withdrawal takes effect (old
files included) at the next build.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import polars as pl
import pyarrow.parquet as pq
import pytest

from api.store.db import Store, migrate
from api.store.models import Consent
from lake.privacy import research
from orchestration.defs.learn.common import read_table
from orchestration.defs.research import (
    ConsentStoreResource,
    research_students_released_safely,
    research_tables,
)
from orchestration.defs.research.assets import CHECKS
from orchestration.resources import LakeResource

pytestmark = pytest.mark.slow
TABLES = list(research.TABLES)


class World:
    """A private curated lake, its consent store and the students' decisions."""

    def __init__(self, lake: Path, url: str, students: list[str]) -> None:
        self.lake = lake
        self.url = url
        self.students = students
        self.refuser = students[0]
        self.never_asked = students[1]
        self.consenting = students[2:]

    def resources(self) -> dict[str, object]:
        return {
            "lake": LakeResource(lake=str(self.lake), landing=str(self.lake.parent / "landing")),
            "consent_store": ConsentStoreResource(database_url=self.url),
        }

    def build(self, **kwargs: object) -> dg.ExecuteInProcessResult:
        return dg.materialize([research_tables, *CHECKS], resources=self.resources(), **kwargs)

    def table(self, name: str) -> pl.DataFrame:
        frame = research.read_table(self.lake, name)
        assert frame is not None, name
        return frame

    def set_consent(self, student_id: str, granted: bool) -> None:
        store = Store(self.url)
        with store.session() as s:
            row = s.get(Consent, (student_id, "research"))
            assert row is not None
            row.granted = granted
        store.dispose()


@pytest.fixture
def world(lake_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> World:
    for var in (research.SECRET_ENV, research.SECRET_FILE_ENV, research.RELEASE_ENV):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LEARNSMART_ENV", "development")
    url = f"sqlite:///{tmp_path / 'api.db'}"
    migrate(url)
    students = sorted(read_table(lake_copy, "gold/enrollment/dim_students")["student_id"])
    w = World(lake_copy, url, students)
    store = Store(url)
    with store.session() as s:
        s.add(Consent(student_id=w.refuser, purpose="research", granted=False))
        s.add(Consent(student_id=w.never_asked, purpose="analytics", granted=True))
        s.add_all(Consent(student_id=x, purpose="research", granted=True) for x in w.consenting)
    store.dispose()
    return w


def _released_ids(w: World) -> set[str]:
    return set(w.table("research_students")["research_id"])


def _string_values(frame: pl.DataFrame) -> set[str]:
    cols = [c for c, t in frame.schema.items() if t == pl.String]
    return set() if not cols else set(frame.select(pl.concat_list(cols).explode()).to_series())


def test_build_releases_consenting_students_only_without_identifiers(world: World) -> None:
    result = world.build()
    assert result.success
    evaluations = result.get_asset_check_evaluations()
    assert len(evaluations) == 3 and all(e.passed for e in evaluations)

    ids = research.research_ids_for(world.students, lake=world.lake)
    released = _released_ids(world)
    consenting = {ids[s] for s in world.consenting}
    assert released <= consenting
    assert len(released) >= 0.75 * len(consenting)  # generalised, not thrown away
    assert ids[world.refuser] not in released and ids[world.never_asked] not in released
    weeks = world.table("research_student_weeks")
    assert set(weeks["research_id"]) == released
    assert weeks.height > 0 and world.table("research_class_week_aggregates").height > 0

    student_ids = set(world.students)
    for name in TABLES:
        frame = world.table(name)
        assert frame.columns == research.TABLES[name].names, name
        assert not set(frame.columns) & research.FORBIDDEN_COLUMNS, name
        assert not _string_values(frame) & student_ids, name  # no student_id under any name
        assert research.identifier_problems(frame, research.TABLES[name].names) == [], name

    people = world.table("research_students")
    assert research.k_anonymity_violations(
        people, research.STUDENT_QIS, 5, entity="research_id"
    ).is_empty()
    meta = result.asset_materializations_for_node("research_tables")[0].metadata
    report = meta["report"].value
    assert isinstance(report, dict) and report["students_released"] == len(released)
    assert meta["release"].value == "release-1"

    # the secret is kept beside the lake, never inside it
    assert (world.lake.parent / "secrets" / "research.key").is_file()
    assert not list(world.lake.rglob("research.key"))


def test_check_fails_on_a_crafted_table_with_a_unique_combination(world: World) -> None:
    assert world.build().success
    common = {"gender": "F", "region_area": None, "imd_band": None, "has_disability": None}
    rows = [
        {"research_id": f"r_{i:024x}", "age_band": "15-19", "grade_level": "10", **common}
        for i in range(6)
    ]
    rows.append(
        {"research_id": "r_" + "f" * 24, "age_band": "55-59", "grade_level": "10", **common}
    )
    empty = pl.from_arrow(research.STUDENTS_SCHEMA.empty_table())
    assert isinstance(empty, pl.DataFrame)
    crafted = pl.DataFrame(rows, schema=empty.schema)
    research.write_table(world.lake, "research_students", crafted)

    only_check = dg.AssetSelection.checks(research_students_released_safely)
    result = dg.materialize(
        [research_tables, research_students_released_safely],
        resources=world.resources(),
        selection=only_check,
        raise_on_error=False,
    )
    (evaluation,) = result.get_asset_check_evaluations()
    assert evaluation.passed is False
    assert "1 combinations shared by fewer than 5 students" in str(evaluation.description)
    assert evaluation.metadata["groups_under_k"].value == 1


def test_a_build_that_skips_generalisation_is_blocked(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    def raw(
        frame: pl.DataFrame, ladders: list[research.Ladder], k: int = 5, **_: object
    ) -> research.Generalised:
        levels = {ld.name: 0 for ld in ladders}
        return research.Generalised(research.apply_levels(frame, ladders, levels), levels, 0, 0, k)

    monkeypatch.setattr(research, "generalise", raw)
    result = world.build(raise_on_error=False)
    assert not result.success
    failed = [e for e in result.get_asset_check_evaluations() if not e.passed]
    assert {e.asset_key.path[-1] for e in failed} >= {"research_students"}


def test_withdrawn_consent_removes_the_student_at_the_next_build(world: World) -> None:
    assert world.build().success
    ids = research.research_ids_for(world.students, lake=world.lake)
    released = _released_ids(world)
    leaving = next(s for s in world.consenting if ids[s] in released)

    world.set_consent(leaving, False)
    assert world.build().success
    assert ids[leaving] not in _released_ids(world)
    assert ids[leaving] not in set(world.table("research_student_weeks")["research_id"])
    # and not through time travel either: no data file of the table still holds the id
    for name in ("research_students", "research_student_weeks"):
        for f in (world.lake / research.RESEARCH_DIR / name).glob("*.parquet"):
            assert ids[leaving] not in set(pq.read_table(f, columns=["research_id"])[0].to_pylist())


def test_another_release_key_gives_unlinkable_ids(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert world.build().success
    first = _released_ids(world)
    monkeypatch.setenv(research.RELEASE_ENV, "release-2")
    assert world.build().success
    second = _released_ids(world)
    assert first and second and not first & second
    monkeypatch.setenv(research.RELEASE_ENV, "release-1")  # the admin allows a join: same key
    assert world.build().success
    assert _released_ids(world) == first


def test_without_a_consent_store_nothing_is_released(world: World, tmp_path: Path) -> None:
    world.url = f"sqlite:///{tmp_path / 'missing' / 'api.db'}"
    result = world.build()
    assert result.success
    assert all(world.table(t).height == 0 for t in TABLES)
    assert not (tmp_path / "missing").exists()
