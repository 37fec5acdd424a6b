"""ParseContext: students resolved from their identifiers, as the identity rows say; and the
sha256 of landing files."""

from __future__ import annotations

import hashlib
import mmap
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from lake.settings import LakeSettings
from lake.sources import base
from lake.sources.base import ParseContext

TYPES = ("sourced_id", "username", "email")
_PAGE = mmap.PAGESIZE
VALUES = ("a", "b", "c", "d")


def _reference(rows: list[tuple[str, str, str | None]], values: list[str], lookup: tuple[str, ...]):
    """The lookup as a dict of (type, identifier) -> student_id would do it (last row wins)."""
    known = {(t, v): sid for t, v, sid in rows}
    out = {}
    for v in dict.fromkeys(values):
        for t in lookup:
            sid = known.get((t, v))
            if sid is not None:
                out[v] = sid
                break
    return out


@hsettings(max_examples=150, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from(TYPES),
            st.sampled_from(VALUES),
            st.one_of(st.none(), st.sampled_from(("s1", "s2", "s3"))),
        ),
        max_size=12,
    ),
    values=st.lists(st.sampled_from((*VALUES, "z")), max_size=6),
    lookup=st.lists(st.sampled_from(TYPES), min_size=1, max_size=3, unique=True),
)
def test_known_students_are_those_the_identity_rows_give_in_lookup_order(
    tmp_path_factory, rows, values, lookup
) -> None:
    lake = tmp_path_factory.mktemp("lake")
    ctx = ParseContext(settings=LakeSettings(lake=lake, landing=lake), load_id="t")
    # Pending rows stand for stored ones (silver_rows reads both the same way); a repeated
    # identifier keeps its last row, and a row without a student does not count.
    ctx.add_pending(
        {
            "student_identity": pa.table(
                {
                    "identifier_type": [t for t, _, _ in rows],
                    "identifier": [v for _, v, _ in rows],
                    "student_id": pa.array([s for _, _, s in rows], pa.string()),
                }
            )
        }
    )
    lookup_types = tuple(lookup)
    expected = _reference(rows, values, lookup_types)
    assert ctx._known_students(list(dict.fromkeys(values)), lookup_types) == expected
    mapping, new = ctx.resolve_students(values, lookup_types, "sourced_id", "test")
    assert {v: mapping[v] for v in expected} == expected
    assert sorted(new.column("identifier").to_pylist()) == sorted(set(values) - set(expected))


@pytest.mark.parametrize("size", [0, 1, 9, 10, 11, _PAGE - 1, _PAGE, _PAGE + 1, 3 * _PAGE + 5])
def test_sha256_of_a_file_read_or_mapped_is_its_bytes_sha256(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, size: int
) -> None:
    # Files of 10 bytes and more are hashed from a memory map, a page at a time here.
    monkeypatch.setattr(base, "_SHA_MAP_BYTES", 10)
    monkeypatch.setattr(base, "_SHA_MAP_STEP", _PAGE)
    data = bytes(k * 7 % 256 for k in range(size))
    path = tmp_path / "f.jsonl"
    path.write_bytes(data)
    assert base.sha256_file(path) == hashlib.sha256(data).hexdigest()
