"""The write primitives: merge policies, per-load replacement, key de-duplication."""

from __future__ import annotations

import json
import threading
from datetime import UTC, date, datetime
from typing import Any

import pyarrow as pa
import pytest

from lake import io
from lake.settings import LakeSettings
from lake.tables import bronze_spec, silver


def _students(rows: list[dict]) -> pa.Table:
    return pa.Table.from_pylist(rows)


def test_merge_upsert_fills_columns_from_two_sources_without_nulling(
    settings: LakeSettings,
) -> None:
    spec = silver("students")
    io.merge(settings, spec, _students([{"student_id": "s1", "gender": "F"}]), "load-a")
    io.merge(settings, spec, _students([{"student_id": "s1", "region": "Wales"}]), "load-b")
    rows = io.read(settings, spec).to_pylist()
    assert len(rows) == 1
    assert rows[0]["gender"] == "F"
    assert rows[0]["region"] == "Wales"
    assert rows[0]["_load_id"] == "load-b"


def test_merge_upsert_with_unchanged_values_updates_nothing(settings: LakeSettings) -> None:
    spec = silver("students")
    io.merge(settings, spec, _students([{"student_id": "s1", "gender": "F"}]), "a")
    metrics = io.merge(settings, spec, _students([{"student_id": "s1", "gender": "F"}]), "a")
    assert metrics["num_target_rows_updated"] == 0
    assert metrics["num_target_rows_inserted"] == 0


def test_merge_insert_only_keeps_first_version_of_an_event(settings: LakeSettings) -> None:
    spec = silver("learning_events")
    ts = datetime(2026, 9, 1, 10, tzinfo=UTC)
    first = {"event_id": "e1", "event_date": date(2026, 9, 1), "occurred_at": ts, "verb": "viewed"}
    io.merge(settings, spec, pa.Table.from_pylist([first]), "a")
    metrics = io.merge(settings, spec, pa.Table.from_pylist([{**first, "verb": "changed"}]), "b")
    assert metrics["num_target_rows_inserted"] == 0
    assert io.read(settings, spec).column("verb").to_pylist() == ["viewed"]


def test_insert_only_merge_inserts_exactly_the_keys_not_stored_in_their_partition(
    settings: LakeSettings,
) -> None:
    spec = silver("learning_events")
    ts = datetime(2026, 9, 1, 10, tzinfo=UTC)

    def event(event_id: str, day: int, verb: str) -> dict:
        return {
            "event_id": event_id,
            "event_date": date(2026, 9, day),
            "occurred_at": ts,
            "verb": verb,
        }

    def merge(*events: dict) -> dict:
        return io.merge(settings, spec, pa.Table.from_pylist(list(events)), "y")

    merge(event("e1", 1, "a"), event("e3", 2, "a"))
    batch = (event("e2", 1, "b"), event("e1", 1, "b"), event("e4", 2, "b"))
    assert merge(*batch)["num_target_rows_inserted"] == 2
    # The key matches within its partition (event_date first, as the merge predicate reads).
    assert merge(event("e1", 3, "b"))["num_target_rows_inserted"] == 1
    rows = {
        (r["event_id"], r["event_date"].day, r["verb"]) for r in io.read(settings, spec).to_pylist()
    }
    assert rows == {("e1", 1, "a"), ("e3", 2, "a"), ("e2", 1, "b"), ("e1", 3, "b"), ("e4", 2, "b")}
    again = merge(*batch)
    assert again["num_target_rows_inserted"] == 0
    assert again["files_added"] == []
    assert io.read(settings, spec).num_rows == 5


def test_merge_reports_the_files_holding_only_its_own_rows(settings: LakeSettings) -> None:
    spec = silver("learning_events")
    ts = datetime(2026, 9, 1, 10, tzinfo=UTC)

    def event(event_id: str, day: int) -> dict:
        return {"event_id": event_id, "event_date": date(2026, 9, day), "occurred_at": ts}

    first = io.merge(settings, spec, pa.Table.from_pylist([event("e1", 1)]), "a")
    second = io.merge(settings, spec, pa.Table.from_pylist([event("e2", 1)]), "b")
    dt = io.open_table(settings, spec)
    assert len(first["files_added"]) == len(second["files_added"]) == 1
    assert set(first["files_added"]) | set(second["files_added"]) == set(dt.file_uris())
    rest = io.read_delta(dt, ["event_id"], skip_files=second["files_added"])
    assert rest.column("event_id").to_pylist() == ["e1"]
    assert io.read_delta(dt, ["event_id"], skip_files=[*first["files_added"], "x"]).num_rows == 1
    # An upsert that rewrites a file mixes stored rows into it: no file is reported.
    students = silver("students")
    io.merge(settings, students, _students([{"student_id": "s1", "gender": "F"}]), "a")
    rewrite = io.merge(settings, students, _students([{"student_id": "s1", "gender": "M"}]), "b")
    assert rewrite["num_target_rows_updated"] == 1
    assert rewrite["files_added"] == []


def test_merge_folds_repeated_keys_in_one_batch_last_non_null_wins(settings: LakeSettings) -> None:
    spec = silver("students")
    batch = _students([{"student_id": "s1", "gender": "F"}, {"student_id": "s1", "gender": "M"}])
    io.merge(settings, spec, batch, "a")
    assert io.read(settings, spec).column("gender").to_pylist() == ["M"]


def test_merge_rejects_undeclared_columns(settings: LakeSettings) -> None:
    with pytest.raises(io.SchemaMismatchError, match="nickname"):
        io.merge(
            settings, silver("students"), _students([{"student_id": "s", "nickname": "x"}]), "a"
        )


def test_replace_load_twice_leaves_one_copy_of_the_load(settings: LakeSettings) -> None:
    spec = bronze_spec("xapi", "statements")
    now = datetime(2026, 9, 1, tzinfo=UTC)

    def rows(load: str, n: int) -> pa.Table:
        return pa.table(
            {
                "_load_id": [load] * n,
                "_source_file": ["f"] * n,
                "_line": list(range(1, n + 1)),
                "_ingested_at": [now] * n,
                "_ingest_date": [now.date()] * n,
                "record": ["{}"] * n,
            }
        )

    io.replace_load(settings, spec, rows("L1", 3), ["L1"])
    io.replace_load(settings, spec, rows("L2", 2), ["L2"])
    io.replace_load(settings, spec, rows("L1", 3), ["L1"], retry=True)
    ids = io.read(settings, spec).column("_load_id").to_pylist()
    assert sorted(ids) == ["L1", "L1", "L1", "L2", "L2"]
    # A retry whose load now yields nothing removes what the killed attempt wrote.
    io.replace_load(settings, spec, rows("L1", 0), ["L1"], retry=True)
    assert io.read(settings, spec).column("_load_id").to_pylist() == ["L2", "L2"]


def test_read_of_missing_table_is_empty_with_schema(settings: LakeSettings) -> None:
    t = io.read(settings, silver("classes"))
    assert t.num_rows == 0
    assert "class_id" in t.column_names
    assert io.version(settings, silver("classes")) is None


def test_merge_fold_keeps_list_columns_from_the_row_that_had_them(settings: LakeSettings) -> None:
    spec = silver("items")
    batch = pa.Table.from_pylist(
        [
            {"item_id": "q1", "skill_ids": ["alg.solve"], "stem": "2x = 4"},
            {"item_id": "q1", "stem": "2x = 6"},
        ]
    )
    io.merge(settings, spec, batch, "a")
    [row] = io.read(settings, spec).to_pylist()
    assert (row["skill_ids"], row["stem"]) == (["alg.solve"], "2x = 6")


def test_overwrite_partition_replaces_only_the_matching_day(settings: LakeSettings) -> None:
    spec = silver("learning_events")
    ts = datetime(2026, 9, 1, 10, tzinfo=UTC)

    def event(eid: str, day: int) -> dict:
        return {"event_id": eid, "event_date": date(2026, 9, day), "occurred_at": ts}

    io.merge(settings, spec, pa.Table.from_pylist([event("a", 1), event("b", 2)]), "l1")
    io.overwrite_partition(
        settings, spec, pa.Table.from_pylist([event("c", 2)]), "event_date = '2026-09-02'", "l2"
    )
    assert sorted(io.read(settings, spec).column("event_id").to_pylist()) == ["a", "c"]


def test_read_path_reads_a_table_by_its_lake_path_and_names_a_missing_one(
    settings: LakeSettings,
) -> None:
    io.merge(settings, silver("skills"), pa.table({"skill_id": ["s1"], "name": ["Fractions"]}), "l")
    rows = io.read_path(settings.lake, "silver/skills", ["skill_id", "name"])
    assert rows.to_pylist() == [{"skill_id": "s1", "name": "Fractions"}]
    with pytest.raises(io.MissingTableError, match="gold/items/dim_items is missing"):
        io.read_path(settings.lake, "gold/items/dim_items")


def test_dedupe_on_key_keeps_first_row_per_composite_key_with_nulls_as_one_value() -> None:
    data = pa.table(
        {
            "a": ["x", "x", "y", None, None, "x"],
            "b": [1, 2, 1, 1, 1, 1],
            "v": ["first", "other", "y1", "null-first", "null-second", "repeat"],
        }
    )
    kept = io.dedupe_on_key(data, ("a", "b"), io.MergePolicy.INSERT_ONLY)
    assert kept.column("v").to_pylist() == ["first", "other", "y1", "null-first"]


def test_dedupe_on_key_returns_distinct_rows_unchanged_in_order() -> None:
    data = pa.table({"a": ["c", "a", "b"], "b": [1, 1, 1], "v": [3, 1, 2]})
    for policy in (io.MergePolicy.INSERT_ONLY, io.MergePolicy.UPSERT):
        assert io.dedupe_on_key(data, ("a", "b"), policy).equals(data)


def test_dedupe_on_key_upsert_folds_last_non_null_per_column() -> None:
    data = pa.table({"k": ["s1", "s2", "s1"], "g": ["F", "M", None], "r": [None, None, "Wales"]})
    folded = io.dedupe_on_key(data, ("k",), io.MergePolicy.UPSERT).to_pylist()
    assert folded == [{"k": "s1", "g": "F", "r": "Wales"}, {"k": "s2", "g": "M", "r": None}]


def _bronze_rows(days: list[date], records: list[str | None]) -> pa.Table:
    now = datetime(2026, 9, 1, 8, 30, 15, 123456, tzinfo=UTC)
    n = len(days)
    return pa.table(
        {
            "_load_id": ["L1"] * n,
            "_source_file": ["xapi/a.jsonl"] * n,
            "_line": list(range(1, n + 1)),
            "_ingested_at": [now] * n,
            "_ingest_date": days,
            "record": records,
        },
        schema=bronze_spec("xapi", "statements").schema,
    )


def test_append_writes_one_file_per_date_partition_with_statistics(
    settings: LakeSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(io, "APPEND_FILE_ROWS", 2)  # three rows of one day: two files
    spec = bronze_spec("xapi", "statements")
    d1, d2 = date(2026, 9, 1), date(2026, 9, 2)
    long_record = "x" * (io.STATS_MAX_CHARS + 1)
    rows = _bronze_rows([d1, d2, d1, d1], ["{}", None, long_record, '{"a":1}'])
    io.replace_load(settings, spec, rows, ["L1"])

    dt = io.open_existing(settings, spec)
    assert dt is not None
    back = io.read(settings, spec).sort_by("_line")
    assert back.equals(rows)  # every value, timestamps to the microsecond, partition dates
    adds = pa.table(dt.get_add_actions(flatten=False)).to_pylist()
    by_day: dict[str, list[dict]] = {}
    for add in adds:
        day = add["partition"]["_ingest_date"].isoformat()
        by_day.setdefault(day, []).append(add)
        assert add["path"].startswith(f"_ingest_date={day}/")
    assert sorted(by_day) == ["2026-09-01", "2026-09-02"]
    assert sorted(a["num_records"] for a in by_day["2026-09-01"]) == [1, 2]
    (day2,) = by_day["2026-09-02"]
    assert day2["null_count"]["record"] == 1
    assert day2["min"]["_line"] == 2 and day2["max"]["_line"] == 2
    # Timestamps in milliseconds, the minimum rounded down and the maximum up (the rows are at
    # .123456); no min/max for strings past the limit.
    stamps = pa.table(dt.get_add_actions(flatten=True)).select(
        ["min._ingested_at", "max._ingested_at"]
    )
    assert set(stamps.column(0).to_pylist()) == {datetime(2026, 9, 1, 8, 30, 15, 123000, UTC)}
    assert set(stamps.column(1).to_pylist()) == {datetime(2026, 9, 1, 8, 30, 15, 124000, UTC)}
    for add in by_day["2026-09-01"]:
        if add["num_records"] == 2:
            assert add["min"]["record"] is None and add["max"]["record"] is None
            assert add["min"]["_line"] == 1 and add["max"]["_line"] == 3


def test_a_large_append_is_split_into_files_written_at_once(
    settings: LakeSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rows enough for every write thread are cut into that many files, written side by side
    (the Parquet writer is single-threaded); each file holds its own rows and statistics."""
    monkeypatch.setattr(io, "PARALLEL_FILE_ROWS", 3)
    monkeypatch.setattr(io, "WRITE_THREADS", 2)
    threads: set[int] = set()
    both = threading.Barrier(2)  # broken, after 30 s, unless two writes run at once
    real = io.pq.write_table

    def spy(*args: Any, **kwargs: Any) -> None:
        threads.add(threading.get_ident())
        if threading.current_thread() is not threading.main_thread():
            both.wait(timeout=30)
        real(*args, **kwargs)

    monkeypatch.setattr(io.pq, "write_table", spy)
    spec = bronze_spec("xapi", "statements")
    rows = _bronze_rows([date(2026, 9, 1)] * 7, [f'{{"n":{i}}}' for i in range(7)])
    io.replace_load(settings, spec, rows, ["L1"])
    dt = io.open_existing(settings, spec)
    assert dt is not None
    adds = pa.table(dt.get_add_actions(flatten=False)).to_pylist()
    assert sorted(a["num_records"] for a in adds) == [3, 4]
    assert sorted((a["min"]["_line"], a["max"]["_line"]) for a in adds) == [(1, 4), (5, 7)]
    assert io.read(settings, spec).sort_by("_line").equals(rows)
    assert len(threads) == 2 and threading.get_ident() not in threads
    # Fewer rows than that for each thread: one file, written where the caller is.
    threads.clear()
    io.replace_load(settings, spec, rows.slice(0, 5), ["L2"])
    assert threads == {threading.get_ident()}


def test_append_statistics_let_a_reader_skip_files(settings: LakeSettings) -> None:
    spec = bronze_spec("xapi", "statements")
    io.replace_load(settings, spec, _bronze_rows([date(2026, 9, 1)] * 2, ["{}", "{}"]), ["L1"])
    second = _bronze_rows([date(2026, 9, 1)] * 2, ["{}", "{}"])
    second = second.set_column(2, "_line", pa.array([10, 11], pa.int64()))
    io.replace_load(settings, spec, second, ["L1"])
    dt = io.open_existing(settings, spec)
    assert dt is not None
    dataset = io.delta_dataset(dt)
    # The log's statistics become each file's guarantee: only the second file can match.
    fragments = list(dataset.get_fragments(filter=pa.compute.field("_line") >= 10))
    assert len(fragments) == 1
    assert fragments[0].to_table().column("_line").to_pylist() == [10, 11]


def test_append_of_a_table_not_partitioned_by_dates_goes_through_delta_rs(
    settings: LakeSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    real = io.write_deltalake

    def spy(*args: object, **kwargs: object) -> None:
        calls.append(str(kwargs.get("mode")))
        real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(io, "write_deltalake", spy)
    spec = bronze_spec("xapi", "statements")
    rows = _bronze_rows([date(2026, 9, 1)], ["{}"])
    nulls = rows.set_column(4, "_ingest_date", pa.nulls(1, pa.date32()))
    dt = io.open_table(settings, spec)
    calls.clear()
    with io.table_lock(settings, spec):
        io.append(dt, spec, nulls)  # a null partition value: delta-rs writes it
    assert calls == ["append"]
    calls.clear()
    io.replace_load(settings, spec, rows, ["L1"])
    assert calls == []
    assert io.read(settings, spec).num_rows == 2


def test_first_merge_appends_with_statistics_of_the_right_columns_after_list_columns(
    settings: LakeSettings,
) -> None:
    # The footer counts a list column as a leaf "<name>.list.element"; the columns after the
    # four lists of silver/items (max_score, position) must get their own statistics.
    rows = pa.Table.from_pylist(
        [
            {"item_id": "i1", "option_ids": ["a", "b"], "skill_ids": ["s"], "max_score": 2.0,
             "position": 7},
            {"item_id": "i2", "option_ids": None, "skill_ids": [], "max_score": 1.0,
             "position": 3},
        ]
    )  # fmt: skip
    spec = silver("items")
    io.merge(settings, spec, rows, "L1")
    dt = io.open_existing(settings, spec)
    assert dt is not None
    (add,) = pa.table(dt.get_add_actions(flatten=True)).to_pylist()
    assert (add["min.max_score"], add["max.max_score"]) == (1.0, 2.0)
    assert (add["min.position"], add["max.position"]) == (3, 7)
    assert (add["min.item_id"], add["max.item_id"]) == ("i1", "i2")
    # No min/max for a list column (its footer statistics are its elements'), in the log itself.
    log = io.table_path(settings, spec) / "_delta_log" / f"{dt.version():020d}.json"
    (stats,) = [
        json.loads(json.loads(line)["add"]["stats"])
        for line in log.read_text().splitlines()
        if '"add"' in line
    ]
    assert "option_ids" not in stats["minValues"] and "skill_ids" not in stats["maxValues"]
    assert stats["minValues"]["position"] == 3
    back = io.read(settings, spec).sort_by("item_id")
    assert back.column("option_ids").to_pylist() == [["a", "b"], None]
    assert back.column("position").to_pylist() == [7, 3]
