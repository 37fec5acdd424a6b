"""The record helpers of ``lake.sources.records``: the native syntax checks say what the rules'
regular expressions say, in DuckDB, of every value."""

from __future__ import annotations

import itertools

import duckdb
import pyarrow as pa
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from lake.sources.records import _NUM_RE, _TS_RE, Kind, with_syntax_flags

# Near misses of both forms: their characters, shuffled and cut, around matching values.
_PIECES = st.sampled_from(
    ["0", "1", "9", "12", "2025", "-", "+", ":", ".", "T", "t", " ", "Z", "z", "e", "E", "x",
     "\x00", "\x1f", "\x7f", "\x85", "é", "٣", "０"]
)  # fmt: skip


def _edited(value: str, at: int, piece: str, edit: int) -> str:
    """``value`` with ``piece`` inserted at ``at``, or the character there replaced or removed."""
    at %= len(value) + 1
    return value[:at] + ("" if edit == 2 else piece) + value[at + (edit > 0) :]


_MATCHING = st.from_regex(_TS_RE, fullmatch=True) | st.from_regex(_NUM_RE, fullmatch=True)
_VALUES = st.one_of(
    st.none(),
    _MATCHING,
    st.builds(_edited, _MATCHING, st.integers(0, 40), _PIECES, st.integers(0, 2)),
    st.lists(_PIECES, max_size=30).map("".join),
    st.text(max_size=12),
)
_FIELDS = {"stamp": Kind.TIMESTAMP, "n": Kind.NUMBER, "id": Kind.ID, "note": Kind.TEXT}


@hsettings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_VALUES, _VALUES, _VALUES), min_size=1, max_size=30))
def test_native_syntax_flags_say_what_the_regular_expressions_say(
    rows: list[tuple[str | None, str | None, str | None]],
) -> None:
    table = pa.table(
        {
            "stamp": [r[0] for r in rows],
            "n": [r[1] for r in rows],
            "id": [r[2] for r in rows],
            "note": ["x"] * len(rows),
        },
        schema=pa.schema([(c, pa.string()) for c in _FIELDS]),
    )
    flagged, names = with_syntax_flags(table, _FIELDS)
    assert names == {"stamp": '"_stamp_syntax"', "n": '"_n_syntax"', "id": '"_id_syntax"'}
    expected = _expected(table)
    for field, column in names.items():
        flags = flagged.column(column.strip('"')).to_pylist()
        assert flags == expected.column(field).to_pylist(), field


def _expected(table: pa.Table) -> pa.Table:
    """What DuckDB's regular expressions say of ``table``'s values (false where null)."""
    con = duckdb.connect()
    con.register("t", table)
    return con.sql(
        f"""
        SELECT coalesce(regexp_full_match(stamp, '{_TS_RE}'), false) AS stamp,
            coalesce(regexp_full_match(n, '{_NUM_RE}'), false) AS n,
            coalesce(regexp_matches(id, '[[:cntrl:]]'), false) AS id
        FROM t
        """
    ).to_arrow_table()


def _grid(*parts: list[str]) -> list[str]:
    return ["".join(p) for p in itertools.product(*parts)]


# Every combination of right and wrong parts of both forms (digit counts one short and one
# over, each separator and zone spelling): 98,280 near-timestamps and 3,072 near-numbers.
_STAMP_GRID = _grid(
    ["777", "2025", "77777"], ["-09-08", "-9-08", "-090-08"], ["T", "t", " ", "X"],
    ["06:02", "06:0", "6:02"],
    ["", ":", ":3", ":34", ":345"],
    ["", "."] + ["." + "7" * k for k in range(1, 12)],
    ["Z", "z", "ZZ", "", "+1", "+01", "+010", "+0100", "+01000", "+01:0", "+01:00", "+01:000",
     "-01", ":01"],
)  # fmt: skip
_NUMBER_GRID = _grid(
    ["", "+", "-", "+-"], ["", "7", "77", "777"], ["", ".", ".7", ".77"],
    ["", "e", "E", "e+", "e-", "e7", "E+77", "e-7"], ["", ".", "e", " ", "x", "٣"],
)  # fmt: skip


def test_native_syntax_flags_match_on_every_near_miss_of_both_forms() -> None:
    n = max(len(_STAMP_GRID), len(_NUMBER_GRID))
    table = pa.table(
        {
            "stamp": _STAMP_GRID + [None] * (n - len(_STAMP_GRID)),
            "n": _NUMBER_GRID + [None] * (n - len(_NUMBER_GRID)),
            "id": [v + "\x7f" * (i % 2) for i, v in enumerate(_STAMP_GRID)],
            "note": ["x"] * n,
        },
        schema=pa.schema([(c, pa.string()) for c in _FIELDS]),
    )
    flagged, names = with_syntax_flags(table, _FIELDS)
    expected = _expected(table)
    for field, column in names.items():
        flags = flagged.column(column.strip('"')).to_pylist()
        assert flags == expected.column(field).to_pylist(), field
    # The grid holds matches of both forms, not only misses.
    assert sum(expected.column("stamp").to_pylist()) > 100
    assert sum(expected.column("n").to_pylist()) > 50
