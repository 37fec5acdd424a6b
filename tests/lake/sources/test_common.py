"""The shared CSV reader (``lake.sources.common.read_csv``): reading in blocks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

import lake.sources.common as common
from lake.quarantine import QuarantineBuilder


def _read(path: Path, block_bytes: int, monkeypatch: pytest.MonkeyPatch) -> tuple[pa.Table, list]:
    monkeypatch.setattr(common, "CSV_BLOCK_BYTES", block_bytes)
    q = QuarantineBuilder()
    read = common.read_csv(path, path.name, q)
    rejected = q.to_table().select(["line", "reason_code", "reason"]).to_pylist()
    return read.table, rejected


@pytest.mark.parametrize("spanning", [False, True], ids=["lines", "quoted-newlines"])
def test_csv_read_in_blocks_matches_one_block_with_long_and_malformed_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, spanning: bool
) -> None:
    # Rows longer than a 1 MiB block, malformed rows between blocks, a blank line, and (in
    # one case) a quoted value holding newlines, which makes the reader take the whole file.
    long_value = "x" * 1_500_000
    rows = []
    for i in range(40):
        rows.append(f"{i},a{i},b{i}")
        if i % 7 == 3:
            rows.append(f"{i},{long_value},c")
        if i % 9 == 5:
            rows.append(f"{i},only-two")
        if i == 20:
            rows.append("")
        if spanning and i == 30:
            rows.append(f'{i},"two\nlines",d')
    path = tmp_path / "rows.csv"
    path.write_bytes(("id,name,note\n" + "\n".join(rows) + "\n").encode())

    blocks, blocks_rejected = _read(path, 1 << 20, monkeypatch)
    whole, whole_rejected = _read(path, 1 << 30, monkeypatch)

    assert blocks.equals(whole)
    assert blocks_rejected == whole_rejected
    assert len(blocks_rejected) == 4
    assert blocks.num_rows == 40 + 6 + (1 if spanning else 0)
    assert max(len(v or "") for v in blocks.column("name").to_pylist()) == len(long_value)


def test_csv_block_size_holds_two_longest_lines_or_the_whole_file() -> None:
    size = 100_000_000
    short_lines = np.arange(100, size, 100, dtype=np.int64)
    assert common._csv_block_size(size, short_lines, spans_lines=False) == common.CSV_BLOCK_BYTES
    # The longest line (10 MB, between offsets 100 and 10,000,100) needs a block of two of it.
    tail = np.arange(10_000_200, 30_000_000, 100, dtype=np.int64)
    long_line = np.concatenate([np.array([100, 10_000_100], np.int64), tail])
    assert common._csv_block_size(30_000_000, long_line, spans_lines=False) == 2 * 10_000_000 + 1
    # Never more than the file, and the whole file when quoted values span lines.
    assert common._csv_block_size(15_000_000, long_line[:2], spans_lines=False) == 15_000_001
    assert common._csv_block_size(size, short_lines, spans_lines=True) == size + 1


# Pieces of CSV lines: quotes, newlines, blanks and controls, UTF-8 and bytes that are not.
_PIECES = [b"a", b",", b'"', b"\n", b" ", b"\t", b"\r", b"\x00", b"\x7f", b"\xc3\xa9", b"\xff",
           b"\xe2\x80\x83", b"x,y", b'""']  # fmt: skip


@hsettings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=60).map(b"".join))
def test_the_native_line_scan_finds_what_the_numpy_scans_find(data: bytes) -> None:
    native, reference = common.scan_lines(data), common.scan_lines(data, native=False)
    assert np.array_equal(native.newlines, reference.newlines)
    assert np.array_equal(native.solid, reference.solid)
    assert np.array_equal(native.high_lines, reference.high_lines)
    assert (native.odd_quotes, native.high_bytes) == (reference.odd_quotes, reference.high_bytes)


# Values of bronze records: quotes, backslashes, every control character, DEL, non-ASCII.
_VALUES = st.one_of(
    st.none(),
    st.text(alphabet=st.sampled_from(['"', "\\", "/", "a", " ", "\x7f", "é", "😀", "\u2028"])
            | st.characters(max_codepoint=0x20), max_size=12),
    st.text(max_size=8),
)  # fmt: skip


@hsettings(max_examples=200, deadline=None)
@given(
    # Names not empty: polars calls an empty one "column_0", where the native encoder keeps it.
    st.lists(st.text(min_size=1, max_size=6), min_size=1, max_size=4, unique=True),
    st.data(),
    st.integers(0, 3),
)
def test_native_bronze_records_are_polars_json_objects(
    names: list[str], data: st.DataObject, skip: int
) -> None:
    rows = data.draw(st.lists(st.tuples(*[_VALUES] * len(names)), min_size=1, max_size=12))
    columns = {n: pa.array([r[j] for r in rows], pa.string()) for j, n in enumerate(names)}
    # Sliced (an array offset) and in two chunks, as tables read in blocks are.
    table = pa.table({**columns, "_line": pa.array(range(len(rows)), pa.int64())}).slice(
        min(skip, len(rows) - 1)
    )
    half = table.num_rows // 2
    table = pa.concat_tables([table.slice(0, half), table.slice(half)])
    native = common.bronze_records(table, "f.csv")
    assert common.string_objects(table.drop_columns(["_line"])) is not None  # the native path
    assert native.equals(common.bronze_records(table, "f.csv", native=False))
