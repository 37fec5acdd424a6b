"""Engines benchmark: the embedded engine against Spark, on the same landing files, same machine.

For the demo school's files of N events (each size in turn, 1M and 5M by default) it times, in
the same run and on the same files, the same work on each engine:
  (a) embedded: ``lake.loader.ingest`` with ``engine="embedded"`` (delta-rs, DuckDB, polars) of
      the roster and content, then of the event sources, into a fresh lake; then the heavy gold
      build with dbt-duckdb: ``dbt run --select +fct_daily_engagement +fct_student_week_features``
      into a fresh warehouse (parse and compile included, marts written to Delta);
  (b) spark: the Spark session start-up (a local JVM), the same two ingests with
      ``engine="spark"`` (delta-spark) into another fresh lake, ``lake.spark.gold.build_gold`` of
      the same two marts from the same dbt SQL (compiled by dbt, transpiled to Spark SQL), and the
      session stop.
Each engine runs in its own process; its peak memory is the peak of the summed RSS of that
process and all its descendants (the dbt subprocess, the Spark JVM), sampled every 0.2 s. Each
lake is deleted after its phase. The files are generated once per size into the cache
(``LEARNSMART_BENCH_CACHE``, ``~/.cache/learnsmart/bench``) shared with ``bench/ingest.py``.

    python bench/engines.py [--events 1000000 5000000] [--json]

Prints, per size and engine, wall seconds, peak RSS (MiB) and the per-phase seconds, and
ratio = spark_s / embedded_s per size (the target: >= 3, the embedded engine at least three times
as fast on one machine). With --json, one JSON line on stdout (progress goes to stderr): ratio
(at the largest size), sizes (events, embedded_s, spark_s, embedded_peak_rss_mb,
spark_peak_rss_mb, ratio, the per-phase seconds of each engine, silver and gold row counts) and
machine (cpu_count, memory_mb). Exits 2 when the Spark setup is missing (``make setup-spark``).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DBT_DIR = ROOT / "transforms" / "dbt"
HEAVY_MARTS = ("fct_daily_engagement", "fct_student_week_features")
# Rosters and catalogues, loaded before the event sources that refer to them.
REFERENCE_SOURCES = ("oneroster", "oulad", "content")
SAMPLE_EVERY_S = 0.2
SPARK_SETUP_EXIT = 2


def _bench_ingest() -> Any:
    """bench/ingest.py as a module, for its landing cache (bench/ is not a package)."""
    spec = importlib.util.spec_from_file_location("bench_ingest", ROOT / "bench" / "ingest.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def landing_for(events: int, seed: int) -> Path:
    """The cached landing folder of the demo school for about ``events`` statements."""
    return _bench_ingest()._landing_for(events, seed)


def _ingest_checked(settings: Any, sources: tuple[str, ...] | None) -> None:
    from lake.loader import ingest

    failed = [r for r in ingest(settings, sources) if r.error or r.status != "committed"]
    if failed:
        sys.exit(f"ingest failed: {[f'{r.unit}: {r.status} {r.error}' for r in failed][:3]}")


def _event_sources() -> tuple[str, ...]:
    from lake.loader import SOURCE_ORDER

    return tuple(s for s in SOURCE_ORDER if s not in REFERENCE_SOURCES)


def _counts(lake: Path) -> dict[str, int]:
    """Silver events and gold mart rows, read with delta-rs after the clock has stopped."""
    from deltalake import DeltaTable

    from lake.io import delta_dataset

    def rows(path: Path) -> int:
        return delta_dataset(DeltaTable(str(path))).count_rows()

    counts = {"silver_events": rows(lake / "silver/learning_events")}
    for mart in HEAVY_MARTS:
        found = list((lake / "gold").glob(f"*/{mart}"))
        counts[f"{mart}_rows"] = rows(found[0]) if found else -1
    return counts


def _dbt_gold(lake: Path, work: Path) -> None:
    env = {
        **os.environ,
        "LEARNSMART_LAKE": str(lake),
        "LEARNSMART_WAREHOUSE": str(work / "warehouse.duckdb"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    dbt = str(Path(sys.executable).parent / "dbt")
    run = subprocess.run(
        [
            dbt,
            "run",
            "--project-dir",
            str(DBT_DIR),
            "--profiles-dir",
            str(DBT_DIR),
            "--target-path",
            str(work / "target"),
            "--log-path",
            str(work / "logs"),
            "--select",
            *(f"+{m}" for m in HEAVY_MARTS),
        ],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if run.returncode != 0:
        sys.exit(f"dbt run failed:\n{run.stdout[-4000:]}{run.stderr[-2000:]}")


def _timed(steps: list[tuple[str, Callable[[], object]]]) -> dict[str, Any]:
    """Run ``steps`` in order; total seconds and each step's seconds under its name."""
    phases: dict[str, float] = {}
    start = time.perf_counter()
    for name, step in steps:
        t = time.perf_counter()
        step()
        phases[name] = time.perf_counter() - t
    return {"seconds": time.perf_counter() - start, "phases": phases}


def _ingest_steps(settings: Any) -> list[tuple[str, Callable[[], object]]]:
    """The two ingests both engines time: reference data, then the event sources."""
    return [
        ("ingest_reference_s", lambda: _ingest_checked(settings, REFERENCE_SOURCES)),
        ("ingest_events_s", lambda: _ingest_checked(settings, _event_sources())),
    ]


def phase_embedded(landing: Path, work: Path) -> dict[str, Any]:
    """Embedded engine: ingest (reference, then events) and the dbt-duckdb heavy gold build."""
    from lake.settings import LakeSettings

    settings = LakeSettings(lake=work / "lake", landing=landing, engine="embedded")
    timed = _timed(
        [
            *_ingest_steps(settings),
            ("gold_s", lambda: _dbt_gold(settings.lake.resolve(), work)),
        ]
    )
    return {**timed, **_counts(settings.lake)}


def phase_spark(landing: Path, work: Path) -> dict[str, Any]:
    """Spark engine: session start, ingest (reference, then events), build_gold, session stop."""
    from lake.settings import LakeSettings
    from lake.spark import runtime
    from lake.spark.gold import build_gold

    settings = LakeSettings(lake=work / "lake", landing=landing, engine="spark")
    timed = _timed(
        [
            ("spark_start_s", runtime.session),
            *_ingest_steps(settings),
            ("gold_s", lambda: build_gold(settings, HEAVY_MARTS)),
            ("spark_stop_s", runtime.stop),
        ]
    )
    return {**timed, **_counts(settings.lake)}


def _tree_rss(pid: int) -> int:
    """Summed RSS in bytes of a process and all its descendants (0 once it is gone)."""
    import psutil

    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    total = 0
    for p in procs:
        try:
            total += p.memory_info().rss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            # A dbt or JVM helper that exited between listing and reading.
            continue
    return total


def run_phase(engine: str, landing: Path) -> tuple[dict[str, Any], float]:
    """Run one engine's phase in a child process, in a fresh folder deleted afterwards;
    returns its result and the peak RSS of its process tree in MiB."""
    with tempfile.TemporaryDirectory(prefix=f"learnsmart-engines-{engine}-") as tmp:
        work = Path(tmp)
        result_file = work / "result.json"
        # The child's stdout (JVM and library chatter) goes to our stderr: stdout stays JSON.
        proc = subprocess.Popen(
            [
                sys.executable,
                __file__,
                "--phase",
                engine,
                "--landing",
                str(landing),
                "--out",
                str(work),
            ],
            stdout=sys.stderr,
            cwd=ROOT,
        )
        peak = 0
        while proc.poll() is None:
            peak = max(peak, _tree_rss(proc.pid))
            time.sleep(SAMPLE_EVERY_S)
        if proc.returncode == SPARK_SETUP_EXIT:
            raise SystemExit(SPARK_SETUP_EXIT)
        if proc.returncode != 0:
            raise SystemExit(f"phase {engine} failed with exit code {proc.returncode}")
        result = json.loads(result_file.read_text())
    return result, peak / 2**20


def check_spark_setup() -> None:
    """Exit 2 with the fix when the Spark engine cannot start (before any time is spent)."""
    from lake.spark.runtime import SparkSetupError, delta_jars, java_home

    try:
        if importlib.util.find_spec("pyspark") is None:
            raise SparkSetupError("pyspark is not installed; run `make setup-spark`")
        if not os.environ.get("LEARNSMART_SPARK_REMOTE"):
            delta_jars()
            java_home()
    except SparkSetupError as exc:
        print(f"error: the Spark engine is not set up: {exc}", file=sys.stderr)
        raise SystemExit(SPARK_SETUP_EXIT) from exc


def machine() -> dict[str, int]:
    """CPU count and total memory of this machine."""
    import psutil

    return {
        "cpu_count": os.cpu_count() or 0,
        "memory_mb": round(psutil.virtual_memory().total / 2**20),
    }


def _rounded(phases: dict[str, float]) -> dict[str, float]:
    return {k: round(v, 2) for k, v in phases.items()}


def bench_size(events: int, seed: int) -> dict[str, Any]:
    """Both engines on the landing files of one size: embedded first, then Spark."""
    landing = landing_for(events, seed)
    print(f"[{events:,} events] embedded ...", file=sys.stderr)
    emb, emb_rss = run_phase("embedded", landing)
    print(f"[{events:,} events] spark ...", file=sys.stderr)
    spk, spk_rss = run_phase("spark", landing)
    counts = {k: v for k, v in emb.items() if k not in ("seconds", "phases")}
    spark_counts = {k: v for k, v in spk.items() if k not in ("seconds", "phases")}
    if counts != spark_counts:
        # Timings of engines that did different work compare nothing: say so loudly.
        print(
            f"warning: row counts differ: embedded {counts}, spark {spark_counts}", file=sys.stderr
        )
    return {
        "events": events,
        "embedded_s": round(emb["seconds"], 2),
        "spark_s": round(spk["seconds"], 2),
        "embedded_peak_rss_mb": round(emb_rss),
        "spark_peak_rss_mb": round(spk_rss),
        "ratio": round(spk["seconds"] / emb["seconds"], 3),
        "embedded_phases": _rounded(emb["phases"]),
        "spark_phases": _rounded(spk["phases"]),
        "rows": counts,
        "spark_rows": spark_counts,
    }


def _print_table(result: dict[str, Any]) -> None:
    m = result["machine"]
    print(f"machine: {m['cpu_count']} CPUs, {m['memory_mb']:,} MiB")
    for size in result["sizes"]:
        print(
            f"\n{size['events']:,} events requested "
            f"({size['rows']['silver_events']:,} silver events)"
        )
        for engine in ("embedded", "spark"):
            phases = "  ".join(f"{k[:-2]} {v:.1f}s" for k, v in size[f"{engine}_phases"].items())
            print(
                f"  {engine:<9} {size[f'{engine}_s']:>9.2f} s  "
                f"peak RSS {size[f'{engine}_peak_rss_mb']:>7,} MiB   ({phases})"
            )
        print(f"  ratio spark/embedded {size['ratio']:.2f}   (target >= 3)")
    print(f"\nratio at the largest size {result['ratio']:.2f}   (target >= 3)")


def main() -> None:
    """Parse arguments and run the benchmark (or one engine's phase, in a child process)."""
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--events",
        type=int,
        nargs="+",
        default=[1_000_000, 5_000_000],
        help="xAPI statements per size (approx.)",
    )
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--json", action="store_true", help="print one JSON line")
    ap.add_argument("--phase", choices=["embedded", "spark"], help=argparse.SUPPRESS)
    ap.add_argument("--landing", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.phase:
        from lake.spark.runtime import SparkSetupError

        fn = phase_embedded if args.phase == "embedded" else phase_spark
        try:
            result = fn(args.landing, args.out)
        except SparkSetupError as exc:
            print(f"error: the Spark engine is not set up: {exc}", file=sys.stderr)
            raise SystemExit(SPARK_SETUP_EXIT) from exc
        (args.out / "result.json").write_text(json.dumps(result))
        return

    check_spark_setup()
    sizes = [bench_size(n, args.seed) for n in sorted(args.events)]
    result = {"ratio": sizes[-1]["ratio"], "sizes": sizes, "machine": machine()}
    if args.json:
        print(json.dumps(result))
    else:
        _print_table(result)


if __name__ == "__main__":
    main()
