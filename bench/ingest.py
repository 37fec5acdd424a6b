"""Ingest benchmark: xAPI events + quiz item responses to silver, against the plain-read floor.

The files: N xAPI statements and R quiz item responses (default 300,000, the issue's workload)
cut from one generated day of the demo school (the first N lines of its statements file and the
first R rows of its responses file; its roster and content whole), cached per (N, R, seed).
On them it times, in the same run and on the same files:
  (a) the floor: DuckDB ``read_json`` of the statements (schema given, not sampled) flattened to
      every field silver keeps (event, actor, class and parent activities, result, answer,
      video times, extensions) plus a plain CSV read of the quiz responses, then
      ``write_deltalake`` of both, no validation;
  (b) ours: ``lake.loader.ingest`` of the xapi and quiz_attempts sources into a lake that already
      holds the roster and content (validation, identity, quarantine, bronze, merge, ledger).
Each phase runs in its own process, so peak RSS is that phase's alone.

    python bench/ingest.py [--events 1000000] [--responses 300000] [--rounds 1] [--json]

Prints events/s, peak RSS and ratio = floor_s / ours_s (1.0 = as fast as the bare read; the
target is >= 0.5). With --json, one JSON line with events, responses (silver item responses: the
quiz file's and the xAPI ``answered`` statements'), quiz_responses (rows of the quiz file),
floor_s, ours_s, ratio, peak_rss_mb (ours) and floor_peak_rss_mb. With ``--rounds N`` the pair of
phases runs N times: the times and the ratio are then medians (the ratio the median of each
pair's), peak RSS the largest, and ``rounds`` lists each pair's floor_s, ours_s and ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# The generator's 100K-daily-active-user day averages about this many statements per student.
EVENTS_PER_STUDENT_GUESS = 40
# ... and at least this many (33 measured at 25K and 125K students): a day of events / this many
# students holds N statements to cut.
EVENTS_PER_STUDENT_MIN = 30
RESPONSES_DEFAULT = 300_000
# The floor's statement schema: the parts of a statement whose fields silver keeps (events,
# answers, video times, extensions), given to ``read_json`` rather than sampled from the file:
# with every silver field it reads 1M statements in 2.1-2.8 s, where the sampled schema took
# 3.4-3.5 s for ten of them.
FLOOR_COLUMNS = {
    "id": "VARCHAR",
    "actor": "STRUCT(account STRUCT(name VARCHAR), mbox VARCHAR)",
    "verb": "STRUCT(id VARCHAR)",
    "object": "STRUCT(id VARCHAR, definition STRUCT(type VARCHAR))",
    "result": "STRUCT(duration VARCHAR, success BOOLEAN, completion BOOLEAN, response VARCHAR, "
    "score STRUCT(scaled DOUBLE, raw DOUBLE, max DOUBLE), extensions JSON)",
    "context": "STRUCT(registration VARCHAR, contextActivities STRUCT(parent STRUCT(id VARCHAR)[], "
    '"grouping" STRUCT(id VARCHAR)[]), extensions JSON)',
    "timestamp": "VARCHAR",
}
VIDEO = "https://w3id.org/xapi/video/extensions/"
CACHE = Path(os.environ.get("LEARNSMART_BENCH_CACHE", Path.home() / ".cache/learnsmart/bench"))


def _landing_for(events: int, seed: int) -> Path:
    """The cached landing folder of one generated day for about ``events`` statements (every
    source; ``bench/engines.py`` loads them all)."""
    return _day(max(100, events // EVENTS_PER_STUDENT_GUESS), seed)


def _day(students: int, seed: int) -> Path:
    from lake.demo import generate

    landing = CACHE / f"landing-s{students}-d1-seed{seed}"
    if not (landing / ".complete").exists():
        shutil.rmtree(landing, ignore_errors=True)
        t = time.perf_counter()
        generate(landing, students=students, days=1, seed=seed)
        (landing / ".complete").write_text("ok")
        print(
            f"generated {students} students x 1 day in {time.perf_counter() - t:.1f}s",
            file=sys.stderr,
        )
    return landing


def _bench_landing(events: int, responses: int, seed: int) -> Path:
    """The benchmark's files: exactly ``events`` statements and ``responses`` quiz responses,
    cut from a generated day large enough to hold them (see the module docstring)."""
    landing = CACHE / f"ingest-e{events}-r{responses}-seed{seed}"
    if (landing / ".complete").exists():
        return landing
    shutil.rmtree(landing, ignore_errors=True)
    day = _day(max(100, -(-events // EVENTS_PER_STUDENT_MIN)), seed)
    for source in ("oneroster", "content"):
        shutil.copytree(day / source, landing / source)
    for source, keep, header in (("xapi", events, 0), ("quiz_attempts", responses, 1)):
        (src,) = _files(day, source)
        target = landing / Path(src).relative_to(day)
        target.parent.mkdir(parents=True)
        if _copy_lines(Path(src), target, keep + header) < keep + header:
            raise SystemExit(f"{src} holds fewer than {keep} records: generate a larger day")
    (landing / ".complete").write_text("ok")
    return landing


def _copy_lines(src: Path, target: Path, lines: int) -> int:
    """Copy the first ``lines`` lines of ``src`` to ``target``; returns how many it copied."""
    copied = 0
    with src.open("rb") as fin, target.open("wb") as fout:
        for line in fin:
            if copied == lines:
                break
            fout.write(line)
            copied += 1
    return copied


def _files(landing: Path, source: str) -> list[str]:
    return sorted(
        str(p) for p in (landing / source).rglob("*") if p.is_file() and not p.name.startswith(".")
    )


def phase_floor(landing: Path, out: Path) -> dict[str, float]:
    """The bare read + flatten + write of the same files, no validation."""
    import duckdb
    from deltalake import write_deltalake

    t = time.perf_counter()
    con = duckdb.connect()
    con.execute("SET autoinstall_known_extensions=false")
    xapi = _files(landing, "xapi")
    events = con.sql(
        f"""
        select
          id as event_id,
          actor.account.name as actor_name,
          actor.mbox as actor_mbox,
          verb.id as verb,
          object.id as object_id,
          object.definition.type as object_type,
          try_cast(timestamp as timestamptz) as occurred_at,
          context.contextActivities."grouping"[1].id as class_iri,
          context.contextActivities.parent[1].id as parent_id,
          result.duration as duration,
          result.score.scaled as score_scaled,
          result.score.raw as score_raw,
          result.score.max as score_max,
          result.success as is_success,
          result.completion as is_completion,
          result.response as response,
          context.registration as attempt_id,
          try_cast(result.extensions->>'$."{VIDEO}time"' as double) as video_time_s,
          try_cast(result.extensions->>'$."{VIDEO}time-from"' as double) as video_time_from_s,
          try_cast(result.extensions->>'$."{VIDEO}time-to"' as double) as video_time_to_s,
          case when context.extensions is not null or result.extensions is not null then
            '{{"context":' || coalesce(context.extensions::varchar, 'null') || ',"result":'
            || coalesce(result.extensions::varchar, 'null') || '}}' end as extensions,
          id as statement_id
        from read_json({xapi!r}, format='newline_delimited', ignore_errors=true,
                       maximum_object_size=16777216, columns={FLOOR_COLUMNS!r})
        """
    ).arrow()
    if hasattr(events, "read_all"):
        events = events.read_all()
    write_deltalake(str(out / "floor_events"), events, mode="overwrite")
    quiz = _files(landing, "quiz_attempts")
    csvs = [f for f in quiz if f.endswith(".csv")]
    responses = 0
    if csvs:
        r = con.sql(
            f"select * from read_csv({csvs!r}, all_varchar=true, ignore_errors=true)"
        ).arrow()
        if hasattr(r, "read_all"):
            r = r.read_all()
        write_deltalake(str(out / "floor_responses"), r, mode="overwrite")
        responses = r.num_rows
    return {"seconds": time.perf_counter() - t, "events": events.num_rows, "responses": responses}


def phase_ours(landing: Path, out: Path) -> dict[str, float]:
    """Our load of the xapi and quiz_attempts sources, roster and content loaded beforehand."""
    from lake import io
    from lake.loader import ingest
    from lake.settings import LakeSettings
    from lake.tables import silver

    settings = LakeSettings(lake=out / "lake", landing=landing)
    ingest(settings, ("oneroster", "content"))
    t = time.perf_counter()
    reports = ingest(settings, ("quiz_attempts", "xapi"))
    seconds = time.perf_counter() - t
    return {
        "seconds": seconds,
        "rows_in": sum(r.rows_in for r in reports),
        "quarantined": sum(r.rows_quarantined for r in reports),
        "events": io.row_count(settings, silver("learning_events")),
        "responses": io.row_count(settings, silver("item_responses")),
    }


def _run_phase(phase: str, landing: Path, out: Path) -> tuple[dict[str, float], float]:
    """Run one phase in a child process; returns its result and peak RSS in MiB."""
    proc = subprocess.Popen(
        [sys.executable, __file__, "--phase", phase, "--landing", str(landing), "--out", str(out)],
        stdout=subprocess.PIPE,
    )
    assert proc.stdout is not None
    output = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"phase {phase} failed with exit code {proc.returncode}")
    return json.loads(output), usage.ru_maxrss / 1024


def main() -> None:
    """Parse arguments and run the benchmark (or one phase, in a child process)."""
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--events", type=int, default=1_000_000, help="xAPI statements to load")
    ap.add_argument(
        "--responses", type=int, default=RESPONSES_DEFAULT, help="quiz item responses to load"
    )
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="pairs of phases to run (floor then ours, each pair on the same files); with more "
        "than one the figures are the medians, each pair's own in 'rounds'",
    )
    ap.add_argument("--json", action="store_true", help="print one JSON line")
    ap.add_argument("--phase", choices=["floor", "ours"], help=argparse.SUPPRESS)
    ap.add_argument("--landing", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.phase:
        fn = phase_floor if args.phase == "floor" else phase_ours
        print(json.dumps(fn(args.landing, args.out)))
        return

    if args.events < 1 or args.responses < 0 or args.rounds < 1:
        ap.error("--events and --rounds must be at least 1 and --responses at least 0")
    landing = _bench_landing(args.events, args.responses, args.seed)
    pairs = []
    for _ in range(args.rounds):
        with tempfile.TemporaryDirectory(prefix="learnsmart-bench-") as tmp:
            floor, floor_rss = _run_phase("floor", landing, Path(tmp))
            ours, ours_rss = _run_phase("ours", landing, Path(tmp))
        pairs.append((floor, floor_rss, ours, ours_rss))
    floor_s = statistics.median(f["seconds"] for f, _, _, _ in pairs)
    ours_s = statistics.median(o["seconds"] for _, _, o, _ in pairs)
    # The median of each pair's ratio: a pair shares the machine's state of the moment, which on
    # a shared machine changes by tens of percent from one minute to the next.
    ratio = statistics.median(f["seconds"] / o["seconds"] for f, _, o, _ in pairs)
    floor, _, ours, _ = pairs[0]
    result = {
        "events": int(floor["events"]),
        "responses": int(ours["responses"]),
        "quiz_responses": int(floor["responses"]),
        "silver_events": int(ours["events"]),
        "rows_quarantined": int(ours["quarantined"]),
        "floor_s": round(floor_s, 2),
        "ours_s": round(ours_s, 2),
        "ratio": round(ratio, 3),
        "events_per_s": round(floor["events"] / ours_s),
        "peak_rss_mb": round(max(r for _, _, _, r in pairs)),
        "floor_peak_rss_mb": round(max(r for _, r, _, _ in pairs)),
    }
    if args.rounds > 1:
        result["rounds"] = [
            {
                "floor_s": round(f["seconds"], 2),
                "ours_s": round(o["seconds"], 2),
                "ratio": round(f["seconds"] / o["seconds"], 3),
            }
            for f, _, o, _ in pairs
        ]
    if args.json:
        print(json.dumps(result))
        return
    print(f"events (statements)     {result['events']:>12,}")
    print(f"item responses (silver) {result['responses']:>12,}")
    print(f"quiz file responses     {result['quiz_responses']:>12,}")
    for label, secs, rss in (
        ("floor: read+flatten+write", result["floor_s"], result["floor_peak_rss_mb"]),
        ("ours:  load to silver    ", result["ours_s"], result["peak_rss_mb"]),
    ):
        print(f"{label} {secs:>8.2f} s  peak RSS {rss:,} MiB")
    print(f"events/s (ours)         {result['events_per_s']:>12,}")
    print(f"ratio floor/ours        {result['ratio']:>12.3f}   (target >= 0.5)")
    for k, r in enumerate(result.get("rounds", []), start=1):
        print(
            f"  round {k}: floor {r['floor_s']:.2f} s, ours {r['ours_s']:.2f} s, "
            f"ratio {r['ratio']:.3f}"
        )


if __name__ == "__main__":
    main()
