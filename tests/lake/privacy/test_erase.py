"""Erasure over a copy of the curated demo lake and its landing folder: after erasing one
student, no byte of any file under lake/ or landing/ holds an identifier of theirs, every other
row is unchanged, and re-loading the landing folder brings nothing (and no one) back."""

from __future__ import annotations

import gzip
import hashlib
import io as stdio
import json
import shutil
import zipfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from deltalake import DeltaTable, write_deltalake

from lake import io
from lake.loader import ingest, pending_units
from lake.privacy.erase import (
    ErasureReport,
    StudentIdentifiers,
    StudentRefError,
    UnknownStudentError,
    erase_student,
    parse_student_ref,
    resolve_student,
)
from lake.settings import LakeSettings
from lake.tables import SOURCES, silver
from tests.conftest import Curated

pytestmark = pytest.mark.slow

REF = "oneroster:stu-00001"  # has a guardian shared with stu-00002, events, quizzes, quarantine


# ---------------------------------------------------------------------------------------------
# An independent scan (not the library's): raw bytes, plus decoded gzip, zip and Parquet.


def _variants(needles: list[str]) -> list[bytes]:
    out = set()
    for n in needles:
        for form in (n, n.lower(), n.upper()):
            for enc in ("utf-8", "utf-16-le", "utf-32-le"):
                out.add(form.encode(enc))
    return sorted(out)


def _hit(data: bytes, variants: list[bytes], lowered: list[bytes]) -> bool:
    low = data.lower()
    if any(v in data for v in variants) or any(v in low for v in lowered):
        return True
    if data[:2] == b"\x1f\x8b":
        return _hit(gzip.decompress(data), variants, lowered)
    if data[:4] == b"PK\x03\x04":
        z = zipfile.ZipFile(stdio.BytesIO(data))
        return any(_hit(z.read(i), variants, lowered) for i in z.infolist())
    if data[:4] == b"PAR1":
        table = pq.read_table(pa.BufferReader(data))
        text = json.dumps(table.to_pylist(), default=str, ensure_ascii=False).encode()
        return any(v in text.lower() for v in lowered)
    return False


def scan(roots: list[Path], needles: list[str]) -> list[str]:
    """Every file (or file name) under ``roots`` holding one of ``needles``."""
    variants = _variants(needles)
    lowered = sorted({n.lower().encode() for n in needles})
    hits = []
    for root in roots:
        for p in sorted(root.rglob("*")):
            rel = str(p.relative_to(root.parent))
            named = any(n.lower() in p.name.lower() for n in needles)
            if named or (p.is_file() and _hit(p.read_bytes(), variants, lowered)):
                hits.append(rel)
    return hits


# ---------------------------------------------------------------------------------------------
# Snapshots.


def delta_tables(lake: Path) -> list[str]:
    return sorted(p.parent.relative_to(lake).as_posix() for p in lake.rglob("_delta_log"))


def rows_of(lake: Path, name: str) -> list[dict]:
    return io.read_delta(DeltaTable(str(lake / name))).to_pylist()


def canon(row: dict) -> str:
    return json.dumps(row, sort_keys=True, default=str, ensure_ascii=False)


def mentions(row: dict, needles: list[str]) -> bool:
    text = canon(row).lower()
    return any(n.lower() in text for n in needles)


def file_digests(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and "_locks" not in p.parts
    }


@dataclass
class Erased:
    settings: LakeSettings
    before: LakeSettings
    ids: StudentIdentifiers
    report: ErasureReport
    needles: list[str]


def _add_ml_outputs(s: LakeSettings, sid: str, others: list[str]) -> None:
    """ML outputs keyed by student_id (two versions, so there is history), an npz artefact
    holding student ids (UTF-32 inside a zip) and a quality report naming the student."""
    path = s.lake / "gold" / "ml" / "ml_test_scores"
    ids = [sid, *others]
    write_deltalake(str(path), pa.table({"student_id": ids, "score": [0.1] * len(ids)}))
    write_deltalake(
        str(path), pa.table({"student_id": ids, "score": [0.2] * len(ids)}), mode="overwrite"
    )
    rec = s.lake / "models" / "test_recommender"
    rec.mkdir(parents=True)
    np.savez_compressed(
        rec / "interactions.npz",
        student_id=np.array([sid, others[0], sid, others[1]]),
        clicks=np.array([1.0, 2.0, 3.0, 4.0]),
    )
    q = s.lake / "_quality" / "test"
    q.mkdir(parents=True)
    (q / "report.json").write_text(
        json.dumps({"examples": [{"student_id": sid, "n": 1}, {"student_id": others[0], "n": 2}]})
    )


@pytest.fixture(scope="module")
def erased(curated: Curated, tmp_path_factory: pytest.TempPathFactory) -> Erased:
    root = tmp_path_factory.mktemp("erase")
    for part in ("before", "after"):
        shutil.copytree(curated.lake, root / part / "lake")
        shutil.copytree(curated.lake.parent / "landing", root / part / "landing")
    before = LakeSettings(lake=root / "before" / "lake", landing=root / "before" / "landing")
    after = LakeSettings(lake=root / "after" / "lake", landing=root / "after" / "landing")
    ids = resolve_student(after, REF)
    others = sorted(
        set(io.read(after, silver("students"), ["student_id"]).column(0).to_pylist())
        - {ids.student_id}
    )[:3]
    for s in (before, after):
        _add_ml_outputs(s, ids.student_id, others)
    report = erase_student(after, REF)
    return Erased(after, before, ids, report, ids.needles)


def test_resolution_finds_every_identifier(erased: Erased) -> None:
    exact = erased.ids.exact
    assert erased.ids.student_id.startswith("s_")
    assert {"stu-00001", erased.ids.student_id.lower()} <= exact
    # username, email, SIS id from the roster row
    users = (erased.before.landing / "oneroster").rglob("users.csv")
    row = next(
        line for f in users for line in f.read_text().splitlines() if line.startswith("stu-00001,")
    )
    fields = row.split(",")
    assert fields[4].lower() in exact  # username
    assert any(f.lower() in exact for f in fields if "@" in f)  # email


def test_scan_finds_the_student_before(erased: Erased) -> None:
    """The scan can fail: on the untouched copy it finds the student in landing files, Parquet
    pages (compressed), Delta log JSON (statistics) and the artefacts."""
    hits = scan([erased.before.lake, erased.before.landing], erased.needles)
    assert any(h.startswith("landing/") for h in hits)
    assert any(h.endswith(".parquet") for h in hits)
    assert any("_delta_log" in h and h.endswith(".json") for h in hits)
    assert any(h.endswith("interactions.npz") for h in hits)
    assert any(h.endswith("report.json") for h in hits)


def test_no_byte_of_lake_or_landing_holds_the_student(erased: Erased) -> None:
    hits = scan([erased.settings.lake, erased.settings.landing], erased.needles)
    assert hits == []
    assert erased.report.verified


def test_every_other_row_unchanged(erased: Erased) -> None:
    """Rows that do not mention the student are all still there, unchanged; rows that do are
    gone or (another person's row merely listing the student) kept with the mention removed."""
    tables = delta_tables(erased.before.lake)
    assert set(tables) == set(delta_tables(erased.settings.lake))
    checked = 0
    for name in tables:
        if name == "system/_loads":
            continue
        before = rows_of(erased.before.lake, name)
        after = Counter(canon(r) for r in rows_of(erased.settings.lake, name))
        untouched = Counter(canon(r) for r in before if not mentions(r, erased.needles))
        assert not untouched - after, f"{name}: rows of other students changed or lost"
        mentioning = [r for r in before if mentions(r, erased.needles)]
        extra = after - untouched
        assert sum(extra.values()) <= len(mentioning), name
        assert not any(mentions(json.loads(r), erased.needles) for r in extra), name
        checked += len(untouched)
    assert checked > 10_000


def test_student_keyed_tables_lose_exactly_the_student(erased: Erased) -> None:
    sid = erased.ids.student_id
    for name in ("silver/learning_events", "silver/enrollments", "gold/ml/ml_test_scores"):
        before = sorted(canon(r) for r in rows_of(erased.before.lake, name))
        after = sorted(canon(r) for r in rows_of(erased.settings.lake, name))
        expected = sorted(
            canon(r) for r in rows_of(erased.before.lake, name) if r["student_id"] != sid
        )
        assert after == expected
        assert len(after) < len(before)


def test_guardian_row_kept_without_the_link(erased: Erased) -> None:
    users = next((erased.settings.landing / "oneroster").rglob("users.csv")).read_text()
    guardian = next(line for line in users.splitlines() if line.startswith("grd-001,"))
    assert "stu-00002" in guardian
    assert "stu-00001" not in guardian


def test_landing_files_without_the_student_are_byte_identical(erased: Erased) -> None:
    before = file_digests(erased.before.landing)
    after = file_digests(erased.settings.landing)
    changed = {k for k in before if before[k] != after.get(k)}
    assert changed, "some landing files held the student"
    assert len(changed) == erased.report.landing_files + erased.report.landing_files_deleted
    needles = [n.encode() for n in erased.needles]
    for name in set(before) - changed:
        data = (erased.before.landing / name).read_bytes().lower()
        assert not any(n in data for n in needles), name


def test_history_is_gone(erased: Erased) -> None:
    path = erased.settings.lake / "silver" / "learning_events"
    dt = DeltaTable(str(path))
    assert len(dt.history()) <= 2
    with pytest.raises(Exception):  # noqa: B017 (delta-rs raises its own error types)
        DeltaTable(str(path), version=0)


def test_reloading_loads_nothing_and_does_not_bring_the_student_back(erased: Erased) -> None:
    s = erased.settings
    assert {src: len(pending_units(s, src)) for src in SOURCES} == dict.fromkeys(SOURCES, 0)
    assert ingest(s) == []
    ids = io.read(s, silver("student_identity"), ["student_id"]).column(0).to_pylist()
    assert erased.ids.student_id not in ids
    assert scan([s.lake], erased.needles) == []


def test_ml_artefacts_pruned(erased: Erased) -> None:
    z = np.load(erased.settings.lake / "models" / "test_recommender" / "interactions.npz")
    assert erased.ids.student_id not in z["student_id"].tolist()
    assert z["clicks"].tolist() == [2.0, 4.0]  # the other students' rows, aligned
    report = json.loads((erased.settings.lake / "_quality" / "test" / "report.json").read_text())
    assert [e["n"] for e in report["examples"]] == [2]


def test_unknown_student_changes_nothing(erased: Erased) -> None:
    s = erased.settings
    before = file_digests(s.lake) | {f"L/{k}": v for k, v in file_digests(s.landing).items()}
    with pytest.raises(UnknownStudentError):
        erase_student(s, "oneroster:stu-99999")
    with pytest.raises(UnknownStudentError):
        erase_student(s, REF)  # already erased: nothing left to find
    after = file_digests(s.lake) | {f"L/{k}": v for k, v in file_digests(s.landing).items()}
    assert after == before


@pytest.mark.parametrize("ref", ["", "stu-00001", ":stu-00001", "oneroster:", "s_xyz"])
def test_bad_reference(ref: str) -> None:
    with pytest.raises(StudentRefError):
        parse_student_ref(ref)
