"""ParseContext: students resolved from their identifiers, as the identity rows say."""

from __future__ import annotations

import pyarrow as pa
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from lake.settings import LakeSettings
from lake.sources.base import ParseContext

TYPES = ("sourced_id", "username", "email")
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
