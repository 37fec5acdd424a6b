"""The fast JSON-lines reader (``lake.sources.xapi_lines``) against the shared reader.

Whatever the size of the pieces it reads a file in, it must give the shared reader's numbered
lines and quarantine rows: line numbers run on across pieces, and a piece boundary never splits
a line, a CRLF or a multi-byte character.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lake.quarantine import QuarantineBuilder
from lake.sources import xapi_native
from lake.sources.common import MAX_RECORD_BYTES, FileReadError, LinesRead, read_lines
from lake.sources.xapi_lines import read_lines_fast

TRICKY: dict[str, bytes] = {
    "plain": b'{"a":1}\n{"b":2}\n{"c":3}\n',
    "no final newline": b'{"a":1}\n{"b":2}',
    "blank and whitespace lines": b'\n{"a":1}\n   \n\t\n{"b":2}\n\n',
    "crlf": b'{"a":1}\r\n{"b":2}\r\n\r\n{"c":"\xc3\xa9"}\r\n',
    "bom": b'\xef\xbb\xbf{"a":1}\n{"b":2}\n',
    "bad utf-8 lines": (
        b'{"a":"\xc3\xa9"}\n{"b":"\xe9"}\n{"c":3}\n{"d":"\xff\xfe"}\n{"e":"\xe2\x82\xac"}\n'
    ),
    "unicode whitespace lines": '{"a":1}\n\u3000\n\u00a0 \n{"b":2}\n'.encode(),
    "unicode whitespace lines, crlf": '{"a":1}\r\n\u3000\r\n \u00a0\r\n{"b":2}\r\n'.encode(),
    "lines that are not objects": '[1]\n"\u00e9"\n\u00e9\n\u00a0x\n\x01\n'.encode(),
    "only blank": b"\n\n  \n",
    "only newlines": b"\n\n\n",
    "empty": b"",
}


@pytest.fixture(autouse=True, params=["native", "native-parts", "numpy"])
def splitter(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every test runs with the native line splitter (``lake/native``), with it cutting every
    piece into parts packed by three threads, and without it."""
    native = request.param != "numpy"
    monkeypatch.setenv("LEARNSMART_XAPI_NATIVE", "1" if native else "0")
    if request.param == "native-parts":
        monkeypatch.setattr(xapi_native, "PACK_PART_BYTES", 1)
        monkeypatch.setattr(xapi_native, "THREADS", 3)
    assert xapi_native.available() == native
    return str(request.param)


def _read(read: object, path: Path, **kw: int) -> tuple[LinesRead, QuarantineBuilder]:
    q = QuarantineBuilder()
    out = read(path, "f.jsonl", q, **kw)  # type: ignore[operator]
    return out, q


def _same(fast: tuple[LinesRead, QuarantineBuilder], ref: tuple[LinesRead, QuarantineBuilder]):
    (a, qa), (b, qb) = fast, ref
    assert a.table.column("_line").to_pylist() == b.table.column("_line").to_pylist()
    assert a.table.column("text").to_pylist() == b.table.column("text").to_pylist()
    assert (a.rows_in, a.quarantined) == (b.rows_in, b.quarantined)
    assert qa.to_table().equals(qb.to_table())


@pytest.mark.parametrize("piece_bytes", [1, 5, 16, 1 << 20])
@pytest.mark.parametrize("case", sorted(TRICKY))
def test_any_piece_size_reads_like_the_shared_reader(
    tmp_path: Path, case: str, piece_bytes: int
) -> None:
    path = tmp_path / "f.jsonl"
    path.write_bytes(TRICKY[case])
    _same(_read(read_lines_fast, path, piece_bytes=piece_bytes), _read(read_lines, path))


@pytest.mark.parametrize("piece_bytes", [3, 1 << 20])
def test_gzip_is_streamed_in_pieces(tmp_path: Path, piece_bytes: int) -> None:
    plain = tmp_path / "f.jsonl"
    plain.write_bytes(TRICKY["bad utf-8 lines"] + TRICKY["crlf"])
    packed = tmp_path / "f.jsonl.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    _same(_read(read_lines_fast, packed, piece_bytes=piece_bytes), _read(read_lines, plain))


def test_corrupt_gzip_raises_and_quarantines_nothing(tmp_path: Path) -> None:
    path = tmp_path / "f.jsonl.gz"
    path.write_bytes(gzip.compress(b'{"a":1}\n' * 1000)[:-20])
    q = QuarantineBuilder()
    with pytest.raises(FileReadError, match="corrupt gzip"):
        read_lines_fast(path, "f.jsonl.gz", q, piece_bytes=64)
    assert len(q) == 0


def test_oversized_record_in_a_later_piece_falls_back_without_double_quarantine(
    tmp_path: Path,
) -> None:
    big = b'{"x":"' + b"y" * (MAX_RECORD_BYTES + 10) + b'"}'
    path = tmp_path / "f.jsonl"
    # A bad-encoding line in an early piece, then a record over the limit much later.
    path.write_bytes(b'{"a":"\xe9"}\n' + b'{"b":2}\n' * 50 + big + b"\n" + b'{"c":3}\n')
    fast = _read(read_lines_fast, path, piece_bytes=64)
    _same(fast, _read(read_lines, path))
    codes = fast[1].to_table().column("reason_code").to_pylist()
    assert sorted(codes) == ["bad_encoding", "record_too_large"]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    lines=st.lists(
        st.one_of(
            st.binary(max_size=12).filter(lambda b: b"\n" not in b),
            st.text(max_size=8).map(lambda t: t.encode("utf-8")).filter(lambda b: b"\n" not in b),
            st.sampled_from([b"", b" ", b"\r", b"\xef\xbb\xbf", b"\xc3", b'{"k":"\xc3\xa9"}']),
        ),
        max_size=25,
    ),
    final_newline=st.booleans(),
    piece_bytes=st.integers(min_value=1, max_value=40),
)
def test_random_files_read_like_the_shared_reader(
    tmp_path: Path, lines: list[bytes], final_newline: bool, piece_bytes: int
) -> None:
    path = tmp_path / "f.jsonl"
    path.write_bytes(b"\n".join(lines) + (b"\n" if final_newline and lines else b""))
    try:
        ref = _read(read_lines, path)
    except FileReadError:  # random bytes that begin as gzip does: both readers refuse the file
        with pytest.raises(FileReadError, match="corrupt gzip"):
            _read(read_lines_fast, path, piece_bytes=piece_bytes)
        return
    _same(_read(read_lines_fast, path, piece_bytes=piece_bytes), ref)
