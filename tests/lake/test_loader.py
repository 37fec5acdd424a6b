"""The loader's guarantees, independent of any one format: accounting, idempotent re-loads,
parser failures that lose nothing."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, ClassVar

import pyarrow as pa
import pytest

from lake import io, ledger, loader
from lake.quarantine import Reason
from lake.settings import LakeSettings
from lake.sources.base import (
    FileCount,
    LoadUnit,
    ParseContext,
    ParseResult,
    UnsupportedFileError,
    discover_files,
)
from lake.sources.common import bronze_lines, read_lines
from lake.status import lake_status
from lake.tables import LOADS, TableSpec, bronze_spec, quarantine_spec, silver


class _ForumLikeParser:
    """Each line 'post_id,class_id' becomes a forum post; a line without a comma is rejected."""

    source: ClassVar[str] = "forum"
    calls = 0

    def discover(self, landing: Path) -> list[LoadUnit]:
        return discover_files(landing, self.source)

    def parse(self, unit: LoadUnit, ctx: ParseContext) -> ParseResult:
        type(self).calls += 1
        path = unit.files[0]
        if path.suffix == ".bin":
            raise UnsupportedFileError("binary files are not forum exports")
        if path.suffix == ".boom":
            raise RuntimeError("parser bug")
        result = ParseResult()
        lines = read_lines(path, unit.name, result.quarantine)
        posts = []
        for line, text in zip(
            lines.table.column("_line").to_pylist(),
            lines.table.column("text").to_pylist(),
            strict=True,
        ):
            if "," not in text:
                result.quarantine.add(unit.name, line, Reason.MISSING_FIELD, "no class_id", text)
            else:
                post_id, class_id = text.split(",", 1)
                posts.append({"post_id": post_id, "class_id": class_id, "source": "forum"})
        result.bronze["posts"] = bronze_lines(lines.table, unit.name)
        result.silver["forum_posts"] = pa.Table.from_pylist(posts)
        result.files.append(FileCount(unit.name, lines.rows_in, len(posts), len(result.quarantine)))
        return result


@pytest.fixture
def forum_parser(monkeypatch: pytest.MonkeyPatch) -> _ForumLikeParser:
    parser = _ForumLikeParser()
    real = loader.parser_for
    monkeypatch.setattr(loader, "parser_for", lambda s: parser if s == "forum" else real(s))
    return parser


def _drop(settings: LakeSettings, name: str, text: str | bytes) -> Path:
    path = settings.landing / "forum" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


def test_ingest_accounts_for_every_row(
    settings: LakeSettings, forum_parser: _ForumLikeParser
) -> None:
    _drop(settings, "a.txt", "p1,c1\np2,c1\nbroken\n")
    [report] = loader.ingest(settings, ("forum",))
    assert (report.rows_in, report.rows_kept, report.rows_quarantined) == (3, 2, 1)
    assert io.row_count(settings, silver("forum_posts")) == 2
    q = io.read(settings, quarantine_spec("forum")).to_pylist()
    assert [(r["line"], r["reason_code"], r["raw"]) for r in q] == [(3, "missing_field", "broken")]
    status = lake_status(settings)
    assert status["loads"] == {"files": 1, "rows_in": 3, "rows_kept": 2, "rows_quarantined": 1}
    assert status["quarantine"] == {"missing_field": 1}


def test_reloading_the_same_files_changes_no_table(
    settings: LakeSettings, forum_parser: _ForumLikeParser
) -> None:
    _drop(settings, "a.txt", "p1,c1\n")
    loader.ingest(settings, ("forum",))
    before = {t["name"]: t["version"] for t in lake_status(settings)["tables"]}
    calls = forum_parser.calls
    _drop(settings, "copy-of-a.txt", "p1,c1\n")  # same bytes under another name
    assert loader.ingest(settings, ("forum",)) == []
    assert forum_parser.calls == calls
    assert {t["name"]: t["version"] for t in lake_status(settings)["tables"]} == before


def test_parser_crash_quarantines_every_line_and_commits(
    settings: LakeSettings, forum_parser: _ForumLikeParser
) -> None:
    _drop(settings, "bad.boom", "x\ny\n")
    [report] = loader.ingest(settings, ("forum",))
    assert report.status == ledger.COMMITTED
    assert report.error and "parser bug" in report.error
    q = io.read(settings, quarantine_spec("forum")).to_pylist()
    assert [r["reason_code"] for r in q] == [Reason.PARSER_ERROR.value] * 2
    assert (report.rows_in, report.rows_quarantined) == (2, 2)


def test_unsupported_file_is_quarantined_as_unreadable(
    settings: LakeSettings, forum_parser: _ForumLikeParser
) -> None:
    _drop(settings, "image.bin", b"\x89PNG\r\n\x1a\n\x00\x00")
    [report] = loader.ingest(settings, ("forum",))
    q = io.read(settings, quarantine_spec("forum")).to_pylist()
    assert {r["reason_code"] for r in q} == {"unreadable_file"}
    assert report.rows_in == report.rows_quarantined == len(q)


def test_partial_uploads_and_hidden_files_wait(
    settings: LakeSettings, forum_parser: _ForumLikeParser
) -> None:
    _drop(settings, "a.txt.part", "p1,c1\n")
    _drop(settings, ".hidden", "p2,c1\n")
    assert loader.ingest(settings, ("forum",)) == []


def test_unbalanced_parser_counts_are_a_bug(
    settings: LakeSettings, forum_parser: _ForumLikeParser, monkeypatch: pytest.MonkeyPatch
) -> None:
    def lying_parse(unit: LoadUnit, ctx: ParseContext) -> ParseResult:
        return ParseResult(files=[FileCount(unit.name, 5, 1, 1)])

    monkeypatch.setattr(forum_parser, "parse", lying_parse)
    _drop(settings, "a.txt", "p1,c1\n")
    with pytest.raises(loader.AccountingError):
        loader.ingest(settings, ("forum",))
    # The ledger shows the load as started, not committed, so the next run retries it.
    assert ledger.committed_units(settings) == set()
    assert io.read(settings, LOADS).column("status").to_pylist() == ["started"]


def test_failed_bronze_write_beside_the_silver_merge_fails_the_load_and_a_rerun_completes_it(
    settings: LakeSettings, forum_parser: _ForumLikeParser, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = io.replace_load

    def failing_bronze(settings: LakeSettings, spec: TableSpec, *args: Any, **kwargs: Any) -> int:
        if spec.name.startswith("bronze/"):
            raise OSError("disk full")
        return real(settings, spec, *args, **kwargs)

    monkeypatch.setattr(io, "replace_load", failing_bronze)
    _drop(settings, "a.txt", "p1,c1\np2,c1\n")
    with pytest.raises(OSError, match="disk full"):
        loader.ingest(settings, ("forum",))
    # Silver was merged in the meantime, but the load is not committed: the rerun retries it.
    assert ledger.committed_units(settings) == set()
    monkeypatch.setattr(io, "replace_load", real)
    [report] = loader.ingest(settings, ("forum",))
    assert report.status == ledger.COMMITTED
    assert io.row_count(settings, silver("forum_posts")) == 2
    assert io.read(settings, LOADS).column("status").to_pylist().count("committed") == 1
    bronze = [t for t in lake_status(settings)["tables"] if t["name"].startswith("bronze/")]
    assert [t["rows"] for t in bronze] == [2]


_POSTS = bronze_spec("forum", "posts")


def _wait_for_bronze(settings: LakeSettings, rows: int) -> int:
    """The bronze posts' row count once it reaches ``rows`` (or after 60 s)."""
    deadline = time.monotonic() + 60
    while io.row_count(settings, _POSTS) < rows and time.monotonic() < deadline:
        time.sleep(0.02)
    return io.row_count(settings, _POSTS)


def _bronze_keys(settings: LakeSettings) -> list[tuple[str, int]]:
    table = io.read(settings, _POSTS)
    return sorted(zip(table["_source_file"].to_pylist(), table["_line"].to_pylist(), strict=True))


def test_bronze_a_parser_offers_is_committed_while_its_parse_goes_on(
    settings: LakeSettings, forum_parser: _ForumLikeParser, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Bronze rows offered before the parse is over are in the lake before it ends, and
    only once when it has."""
    real = forum_parser.parse
    seen: list[int] = []

    def offering(unit: LoadUnit, ctx: ParseContext) -> ParseResult:
        result = real(unit, ctx)
        ctx.offer_bronze(unit, result.bronze)
        seen.append(_wait_for_bronze(settings, 3))
        return result

    monkeypatch.setattr(forum_parser, "parse", offering)
    _drop(settings, "a.txt", "p1,c1\np2,c1\nbroken\n")
    [report] = loader.ingest(settings, ("forum",))
    assert seen == [3]
    assert report.status == ledger.COMMITTED
    assert _bronze_keys(settings) == [("forum/a.txt", 1), ("forum/a.txt", 2), ("forum/a.txt", 3)]


def test_bronze_written_early_is_taken_back_when_the_parse_then_fails(
    settings: LakeSettings, forum_parser: _ForumLikeParser, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A unit quarantined whole has no bronze rows, whether or not its parser offered them
    before it failed: the loader replaces what was written early."""
    real = forum_parser.parse

    def offering_then_failing(unit: LoadUnit, ctx: ParseContext) -> ParseResult:
        result = real(unit, ctx)
        ctx.offer_bronze(unit, result.bronze)
        assert _wait_for_bronze(settings, 2) == 2
        raise RuntimeError("parser bug after the offer")

    monkeypatch.setattr(forum_parser, "parse", offering_then_failing)
    _drop(settings, "a.txt", "p1,c1\np2,c1\n")
    [report] = loader.ingest(settings, ("forum",))
    assert report.status == ledger.COMMITTED
    assert report.error and "parser bug after the offer" in report.error
    assert io.row_count(settings, _POSTS) == 0
    q = io.read(settings, quarantine_spec("forum")).to_pylist()
    assert [r["reason_code"] for r in q] == [Reason.PARSER_ERROR.value] * 2


def test_bronze_written_early_by_a_batch_parse_redone_unit_by_unit_is_there_once(
    settings: LakeSettings, forum_parser: _ForumLikeParser, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch parse that offers every unit's bronze and then fails is redone unit by unit;
    the redone results carry other tables, which the loader writes over the early rows."""
    real = forum_parser.parse

    def batch(units: list[LoadUnit], ctx: ParseContext) -> list[ParseResult | None]:
        for unit in units:
            ctx.offer_bronze(unit, real(unit, ctx).bronze)
        assert _wait_for_bronze(settings, 3) == 3
        raise RuntimeError("batch parse failed")

    monkeypatch.setattr(forum_parser, "parse_batch", batch, raising=False)
    _drop(settings, "a.txt", "p1,c1\np2,c1\n")
    _drop(settings, "b.txt", "p3,c1\n")
    reports = loader.ingest(settings, ("forum",))
    assert [r.status for r in reports] == [ledger.COMMITTED] * 2
    assert _bronze_keys(settings) == [("forum/a.txt", 1), ("forum/a.txt", 2), ("forum/b.txt", 1)]
    assert io.row_count(settings, silver("forum_posts")) == 3


def test_writing_bronze_early_loads_what_writing_it_after_the_parse_loads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every table of the demo school's load is the same whether the quiz and xAPI bronze is
    written during the parse or after it."""
    from lake.demo import generate
    from lake.tables import BRONZE_TABLES, SILVER, SOURCES

    landing = tmp_path / "landing"
    generate(landing, students=40, days=2, seed=7)
    after = LakeSettings(lake=tmp_path / "after", landing=landing)
    early = LakeSettings(lake=tmp_path / "early", landing=landing)
    monkeypatch.setattr(loader, "EARLY_BRONZE", False)
    loader.ingest(after)
    monkeypatch.setattr(loader, "EARLY_BRONZE", True)
    written: list[str] = []
    real_write = loader._EarlyBronze._write

    def spy(self: loader._EarlyBronze, rows: dict[str, pa.Table]) -> None:
        written.extend(sorted(rows))
        real_write(self, rows)

    monkeypatch.setattr(loader._EarlyBronze, "_write", spy)
    loader.ingest(early)
    assert written == ["responses", "statements"]  # the quiz batch, the xAPI batch
    specs = [silver(t.table) for t in SILVER] + [quarantine_spec(s) for s in SOURCES]
    specs += [bronze_spec(s, e) for s in SOURCES for e in BRONZE_TABLES[s]] + [LOADS]
    for spec in specs:
        assert _rows(early, spec) == _rows(after, spec), spec.name
    assert _rows(early, bronze_spec("xapi", "statements"))  # not vacuous
    assert _rows(early, bronze_spec("quiz_attempts", "responses"))


def _rows(settings: LakeSettings, spec: TableSpec) -> list[tuple[Any, ...]]:
    """A table's rows without the columns that say when they were written, sorted."""
    stamped = {"_ingested_at", "_ingest_date", "_loaded_at", "first_seen_at", "quarantined_at"}
    stamped |= {"started_at", "finished_at"} if spec is LOADS else set()
    table = io.read(settings, spec)
    keep = [c for c in table.column_names if c not in stamped]
    return sorted(tuple(map(repr, row.values())) for row in table.select(keep).to_pylist())


def test_mapping_the_next_source_ahead_loads_what_loading_in_turn_loads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With every batch worth mapping ahead, a batch mapped in a child process while an
    earlier source loads gives the same bronze, quarantine, silver and ledger rows as parsing it
    in turn: Caliper behind xAPI, and quiz attempts behind the roster (past content and forum),
    mapped before the classes they name were loaded."""
    from lake.demo import generate
    from lake.tables import BRONZE_TABLES, SILVER, SOURCES, bronze_spec

    landing = tmp_path / "landing"
    generate(landing, students=40, days=3, seed=5)
    in_turn = LakeSettings(lake=tmp_path / "in_turn", landing=landing)
    ahead = LakeSettings(lake=tmp_path / "ahead", landing=landing)
    loader.ingest(in_turn)  # demo files are far below AHEAD_MIN_BYTES: nothing goes ahead

    mapped: list[str] = []
    claimed: list[str] = []
    real_ahead, real_maps = loader._map_ahead, loader._Ahead.maps_for

    def spy_ahead(*args: Any) -> loader._Ahead | None:
        started = real_ahead(*args)
        if started is not None:
            mapped.append(started.source)
        return started

    def spy_maps(self: loader._Ahead, *args: Any) -> Any:
        maps = real_maps(self, *args)
        if maps is not None:
            claimed.append(self.source)
        return maps

    monkeypatch.setattr(loader, "AHEAD_MIN_BYTES", 0)
    monkeypatch.setattr(loader, "_map_ahead", spy_ahead)
    monkeypatch.setattr(loader._Ahead, "maps_for", spy_maps)
    reports = loader.ingest(ahead)

    assert mapped == ["quiz_attempts", "caliper"] and claimed == mapped
    assert all(r.status == ledger.COMMITTED for r in reports)
    specs = [silver(t.table) for t in SILVER] + [quarantine_spec(s) for s in SOURCES]
    specs += [bronze_spec(s, e) for s in SOURCES for e in BRONZE_TABLES[s]] + [LOADS]
    for spec in specs:
        assert _rows(ahead, spec) == _rows(in_turn, spec), spec.name
    assert _rows(ahead, bronze_spec("caliper", "events"))  # not vacuous
    assert _rows(ahead, quarantine_spec("quiz_attempts"))


def test_a_batch_mapped_ahead_is_parsed_in_turn_when_the_child_failed_or_inputs_changed(
    settings: LakeSettings, tmp_path: Path
) -> None:
    """A child that exits with an error or writes nothing, or parser inputs that changed since
    the map started (e.g. a class added meanwhile), mean the batch is parsed in the loader; the
    child is stopped and its folder removed whichever way it ends."""
    import pickle
    import subprocess
    import sys

    _drop(settings, "a.txt", "p1,c1\n")
    [unit] = discover_files(settings.landing, "forum")

    def ahead(code: str, name: str, result: object = None) -> loader._Ahead:
        out = tmp_path / name / "maps.pickle"
        out.parent.mkdir()
        if result is not None:
            out.write_bytes(pickle.dumps(result))
        child = subprocess.Popen([sys.executable, "-c", code])
        return loader._Ahead("forum", [unit], [unit], "inputs", child, out)

    failed = ahead("raise SystemExit(1)", "failed", [None])
    assert failed.maps_for([unit], "inputs") is None
    silent = ahead("pass", "silent")  # exit 0 but no file
    assert silent.maps_for([unit], "inputs") is None
    changed = ahead("pass", "changed", [None])
    assert changed.maps_for([unit], "other inputs") is None
    running = ahead("import time; time.sleep(60)", "running", [None])
    running.close()  # a map nobody claims: the child is killed
    assert running.child.returncode is not None and running.child.returncode != 0
    done = ahead("pass", "done", [None])
    assert done.maps_for([unit], "inputs") == [None]
    for a in (failed, silent, changed, running, done):
        assert not a.out.parent.exists()


@pytest.mark.parametrize("python", ["/bin/false", "/no/such/python"])
def test_a_child_that_cannot_start_or_dies_at_once_costs_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, python: str
) -> None:
    """No interpreter to start, or a child that exits before it reads its arguments: every batch
    is still loaded (parsed in turn), nothing raises."""
    import sys

    from lake.demo import generate
    from lake.tables import bronze_spec

    landing = tmp_path / "landing"
    generate(landing, students=20, days=2, seed=3)
    settings = LakeSettings(lake=tmp_path / "lake", landing=landing)
    monkeypatch.setattr(loader, "AHEAD_MIN_BYTES", 0)
    monkeypatch.setattr(sys, "executable", python)
    reports = loader.ingest(settings)
    assert reports and all(r.status == ledger.COMMITTED for r in reports)
    assert all(r.rows_in == r.rows_kept + r.rows_quarantined for r in reports)
    assert any(r.source == "caliper" and r.rows_kept for r in reports)
    assert io.row_count(settings, bronze_spec("caliper", "events")) > 0
