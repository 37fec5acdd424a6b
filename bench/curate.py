"""Curate benchmark: ``dbt build`` of the curated layer against a plain DuckDB aggregation.

On the demo school's 100K-daily-active-user day (``--students 100000 --days 1``, about 3.3M
statements; generated and ingested once into a cached lake) it times, in the same run:
  (a) the floor: DuckDB reading silver/learning_events (through deltalake, as dbt does) and
      aggregating it to one row per student, class and day (the heaviest mart's core: events,
      active minutes by the gap method, distinct content, counts by content type), no tests, no
      Delta write;
  (b) ours: a full ``dbt build`` (every staging view, intermediate and gold table, every data and
      unit test, every mart also written to Delta) into a fresh warehouse, and within it the
      time dbt spent on fct_daily_engagement itself (from run_results.json).

    python bench/curate.py [--students 100000] [--days 1] [--reingest] [--json]

Prints the timings and ratio = floor_s / mart_s (1.0: the mart costs what the bare aggregation
costs). With --json, one JSON line: students, days, events, floor_s, dbt_build_s, mart_s, ratio,
build_ratio (floor_s / dbt_build_s), ingest_s (the day's ingest, timed when the cached lake was
built) and ingest_plus_curate_s.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CACHE = Path(os.environ.get("LEARNSMART_BENCH_CACHE", Path.home() / ".cache/learnsmart/bench"))
DBT_DIR = ROOT / "transforms" / "dbt"

FLOOR_SQL = """
with events as (
    select
        student_id, class_id, event_date, content_id, event_count, duration_s, occurred_at,
        coalesce(c.content_type, lower(e.object_type)) as content_type,
        lead(occurred_at) over (
            partition by student_id, e.class_id, event_date order by occurred_at, event_id
        ) as next_at
    from le as e
    left join ci as c using (content_id)
    where not coalesce(is_voided, false)
)
select
    student_id, class_id, event_date,
    count(*) as n_events,
    sum(case
        when event_count is not null then 30 * event_count
        when next_at is not null
            then least(date_diff('millisecond', occurred_at, next_at) / 1000.0, 600)
        else least(coalesce(duration_s, 60), 600)
    end) / 60.0 as active_minutes,
    count(distinct content_id) as n_distinct_content,
    count(*) filter (where content_type = 'page') as n_page_events,
    count(*) filter (where content_type = 'video') as n_video_events,
    count(*) filter (where content_type = 'quiz') as n_quiz_events
from events
group by all
"""


def landing_for(students: int, days: int, seed: int) -> Path:
    """The demo school's landing files for this size, generated once and kept (the same cache
    as ``bench/ingest.py``), so the lake can be rebuilt without generating them again."""
    from lake.demo import generate

    landing = CACHE / f"landing-s{students}-d{days}-seed{seed}"
    if not (landing / ".complete").exists():
        shutil.rmtree(landing, ignore_errors=True)
        generate(landing, students=students, days=days, seed=seed)
        (landing / ".complete").write_text("ok")
    return landing


def lake_for(students: int, days: int, seed: int, reingest: bool = False) -> Path:
    """A cached lake with the demo school ingested to silver (built on first use, or again with
    ``reingest``, which times the ingest anew)."""
    from lake.loader import ingest
    from lake.settings import LakeSettings

    root = CACHE / f"curate-s{students}-d{days}-seed{seed}"
    if reingest or not (root / ".complete").exists():
        shutil.rmtree(root, ignore_errors=True)
        landing = landing_for(students, days, seed)
        settings = LakeSettings(lake=root / "lake", landing=landing)
        t = time.perf_counter()
        failed = [r for r in ingest(settings) if r.error or r.status != "committed"]
        ingest_s = time.perf_counter() - t
        if failed:
            # Never cache a lake a failed load left half empty.
            sys.exit(f"ingest failed for {[f'{r.unit}: {r.error}' for r in failed][:3]}")
        # The ingest time is kept with the cache: it was measured when the lake was built.
        (root / ".complete").write_text(json.dumps({"ingest_s": round(ingest_s, 1)}))
        print(f"ingested the day in {ingest_s:.0f}s", file=sys.stderr)
    return root / "lake"


def cached_ingest_seconds(lake: Path) -> float | None:
    """Seconds the ingest of the cached lake took when it was built (None for old caches)."""
    try:
        return float(json.loads((lake.parent / ".complete").read_text())["ingest_s"])
    except (ValueError, KeyError, TypeError):
        return None


def floor(lake: Path) -> tuple[float, int]:
    """Seconds for the bare read + aggregation, and the number of events read."""
    import duckdb
    from deltalake import DeltaTable

    t = time.perf_counter()
    con = duckdb.connect()
    con.execute("set threads = 2")
    con.register("le_arrow", DeltaTable(str(lake / "silver/learning_events")).to_pyarrow_table())
    con.register("ci_arrow", DeltaTable(str(lake / "silver/content_items")).to_pyarrow_table())
    con.execute("create table le as select * from le_arrow")
    con.execute("create table ci as select content_id, content_type from ci_arrow")
    n = con.execute("select count(*) from le").fetchone()[0]
    con.execute(f"create table daily as {FLOOR_SQL}")
    return time.perf_counter() - t, n


def ours(lake: Path, work: Path) -> tuple[float, float]:
    """Seconds for a full ``dbt build`` and for its fct_daily_engagement model alone."""
    copy = work / "lake"
    shutil.copytree(lake, copy, ignore=shutil.ignore_patterns("gold"))
    env = {
        **os.environ,
        "LEARNSMART_LAKE": str(copy),
        "LEARNSMART_WAREHOUSE": str(work / "warehouse.duckdb"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    dbt = str(Path(sys.executable).parent / "dbt")
    args = ["--project-dir", str(DBT_DIR), "--profiles-dir", str(DBT_DIR)]
    target = work / "target"
    subprocess.run(
        [dbt, "parse", *args, "--target-path", str(target)],
        env=env,
        check=True,
        cwd=ROOT,
        capture_output=True,
    )
    t = time.perf_counter()
    run = subprocess.run(
        [dbt, "build", *args, "--target-path", str(target), "--log-path", str(work / "logs")],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    build_s = time.perf_counter() - t
    if run.returncode != 0:
        sys.exit(run.stdout[-4000:])
    results = json.loads((target / "run_results.json").read_text())["results"]
    mart_s = next(
        r["execution_time"] for r in results if r["unique_id"].endswith(".fct_daily_engagement")
    )
    return build_s, mart_s


def main() -> None:
    """Time both phases on the same lake and print the figures."""
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--students", type=int, default=100_000)
    ap.add_argument("--days", type=int, default=1)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--json", action="store_true", help="print one JSON line")
    ap.add_argument(
        "--reingest",
        action="store_true",
        help="rebuild the cached lake from the cached landing files, timing the ingest again",
    )
    args = ap.parse_args()
    lake = lake_for(args.students, args.days, args.seed, reingest=args.reingest)
    floor_s, events = floor(lake)
    with tempfile.TemporaryDirectory(prefix="curate-bench-") as tmp:
        build_s, mart_s = ours(lake, Path(tmp))
    result = {
        "students": args.students,
        "days": args.days,
        "events": events,
        "floor_s": round(floor_s, 2),
        "dbt_build_s": round(build_s, 2),
        "mart_s": round(mart_s, 2),
        "ratio": round(floor_s / mart_s, 3),
        "build_ratio": round(floor_s / build_s, 3),
        "ingest_s": cached_ingest_seconds(lake),
    }
    if result["ingest_s"] is not None:
        result["ingest_plus_curate_s"] = round(result["ingest_s"] + build_s, 1)
    if args.json:
        print(json.dumps(result))
    else:
        print(
            f"{events:,} events: bare DuckDB aggregation {floor_s:.1f}s; dbt build {build_s:.1f}s, "
            f"of which fct_daily_engagement {mart_s:.1f}s; ratio floor/mart {result['ratio']}, "
            f"floor/build {result['build_ratio']}"
        )
        if result["ingest_s"] is not None:
            print(
                f"ingest of the day (when cached) {result['ingest_s']:.0f}s; ingest + curate "
                f"{result['ingest_plus_curate_s']:.0f}s (target: under 120s)"
            )


if __name__ == "__main__":
    main()
