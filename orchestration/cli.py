"""The ``learnsmart`` command: the same code paths the Dagster assets call.

Every subcommand reads its defaults from ``LEARNSMART_LAKE`` / ``LEARNSMART_LANDING`` (default
``./data/lake`` and ``./data/landing``). Errors in the input are reported, never raised as
tracebacks: a bad path or value exits with status 2 and one line saying what is wrong.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Annotated, Any

import typer

from lake.settings import LakeSettings, SettingsError
from lake.spark.runtime import SparkSetupError
from orchestration.cli_options import LakeOpt, LandingOpt, fail
from orchestration.privacy_cli import privacy_app
from orchestration.trino.cli import trino_app

app = typer.Typer(
    name="learnsmart",
    help="LearnSmart: school exports into a Delta lakehouse, curated and served.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
lake_app = typer.Typer(help="Inspect and maintain the lakehouse.", no_args_is_help=True)
app.add_typer(lake_app, name="lake")
api_app = typer.Typer(help="The API's operational store and server.", no_args_is_help=True)
app.add_typer(api_app, name="api")
eval_app = typer.Typer(
    help="Evaluate the learner models on files in the published formats.", no_args_is_help=True
)
app.add_typer(eval_app, name="eval")
app.add_typer(privacy_app, name="privacy")
app.add_typer(trino_app, name="trino")


def _settings(
    lake: Path | None = None, landing: Path | None = None, engine: str | None = None
) -> LakeSettings:
    try:
        return LakeSettings.from_env(lake=lake, landing=landing, engine=engine)
    except SettingsError as exc:
        fail(str(exc))
        raise  # unreachable: fail() exits


@app.command("demo-data")
def demo_data(
    landing: LandingOpt = None,
    students: Annotated[int, typer.Option(min=1, help="Students in the roster.")] = 600,
    days: Annotated[int, typer.Option(min=1, help="Days of activity to simulate.")] = 120,
    seed: Annotated[int, typer.Option(help="Random seed: same seed, same files.")] = 7,
) -> None:
    """Write the demo school (every supported format, a few bad records) into the landing folder."""
    from lake.demo import generate

    s = _settings(landing=landing)
    summary = generate(s.landing, students=students, days=days, seed=seed)
    typer.echo(json.dumps(_jsonable(summary), indent=2, default=str))


@app.command("ingest")
def ingest(
    landing: LandingOpt = None,
    lake: LakeOpt = None,
    source: Annotated[
        list[str] | None,
        typer.Option("--source", help="Only these sources (repeatable); default all."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per load.")] = False,
    engine: Annotated[
        str | None,
        typer.Option(
            "--engine", help="embedded or spark [env LEARNSMART_ENGINE, default embedded]."
        ),
    ] = None,
) -> None:
    """Load every new file under LANDING/<source>/ into bronze, silver and quarantine."""
    from lake.loader import ingest as run_ingest
    from lake.tables import SOURCES

    s = _settings(lake=lake, landing=landing, engine=engine)
    if not s.landing.is_dir():
        fail(f"landing folder {s.landing} does not exist")
    unknown = sorted(set(source or ()) - set(SOURCES))
    if unknown:
        fail(f"unknown source(s) {unknown}; choose from {', '.join(SOURCES)}")
    try:
        reports = run_ingest(s, tuple(source) if source else None)
    except SparkSetupError as exc:
        fail(str(exc))
    for r in reports:
        if as_json:
            typer.echo(json.dumps(r.as_dict()))
        else:
            typer.echo(
                f"{r.status:9} {r.unit}: {r.rows_in} in, {r.rows_kept} kept, "
                f"{r.rows_quarantined} quarantined ({r.seconds:.1f}s)"
            )
    if not as_json:
        loaded = [r for r in reports if r.status == "committed"]
        typer.echo(
            f"{len(loaded)} file(s) loaded, {sum(r.rows_in for r in loaded)} rows in, "
            f"{sum(r.rows_quarantined for r in loaded)} quarantined"
        )


@lake_app.command("status")
def status(
    lake: LakeOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
) -> None:
    """Rows and Delta version of every table, load totals, quarantine counts by reason."""
    from lake.status import lake_status

    s = _settings(lake=lake)
    if not s.lake.is_dir():
        fail(f"lake folder {s.lake} does not exist")
    doc = lake_status(s)
    if as_json:
        typer.echo(json.dumps(doc))
        return
    for t in doc["tables"]:
        typer.echo(f"{t['name']:45} {t['rows']:>12,} rows  v{t['version']}")
    loads = doc["loads"]
    typer.echo(
        f"loads: {loads['files']} files, {loads['rows_in']:,} rows in, {loads['rows_kept']:,} "
        f"kept, {loads['rows_quarantined']:,} quarantined"
    )
    for code, n in doc["quarantine"].items():
        typer.echo(f"quarantine {code:25} {n:>10,}")


@lake_app.command("optimize")
def optimize(
    lake: LakeOpt = None,
    vacuum_hours: Annotated[
        int | None,
        typer.Option(help="Also vacuum files unreferenced for this many hours (>= 168)."),
    ] = None,
) -> None:
    """Compact small files of every table (and optionally vacuum old ones)."""
    from lake.maintenance import optimize_all

    s = _settings(lake=lake)
    if vacuum_hours is not None and vacuum_hours < 168:
        fail("--vacuum-hours below 168 (7 days) would break time travel for running readers")
    for name, metrics in optimize_all(s, vacuum_hours).items():
        typer.echo(f"{name}: {metrics}")


@api_app.command("seed-demo-users")
def seed_demo_users(
    out: Annotated[Path, typer.Option(help="Where to write the logins.")] = Path(
        "data/demo_users.json"
    ),
) -> None:
    """Create demo users of every role from the demo school in the lake, and the demo
    students' consent decisions (about 90% allow research use; decisions on record are kept)."""
    from api.demo_users import seed_demo_users as seed
    from api.settings import ApiSettings
    from lake.privacy.consent import seed_demo_consents

    try:
        settings = ApiSettings.from_env()
        logins = seed(settings, out)
    except SettingsError as exc:
        fail(str(exc))
    counts: dict[str, int] = {}
    for login in logins:
        counts[login["role"]] = counts.get(login["role"], 0) + 1
    students = sorted({u["student_id"] for u in logins if u.get("student_id")})
    consents = seed_demo_consents(settings.database_url, students, share=0.9, seed=0)
    typer.echo(json.dumps({"out": str(out), "users": counts, "consents": consents}))


@api_app.command("migrate")
def migrate_store() -> None:
    """Bring the operational store to the newest schema (Alembic)."""
    from api.settings import ApiSettings
    from api.store.db import migrate

    try:
        settings = ApiSettings.from_env()
    except SettingsError as exc:
        fail(str(exc))
    migrate(settings.database_url)
    typer.echo(json.dumps({"database": settings.database_url.split("@")[-1], "migrated": True}))


def _existing_file(path: Path | None, what: str) -> None:
    if path is not None and not path.is_file():
        fail(f"{what} file not found: {path}")


def _presentation(text: str) -> tuple[str, str]:
    module, sep, presentation = text.strip().partition(":")
    if not sep or not module or not presentation:
        fail(f"expected MODULE:PRESENTATION (e.g. BBB:2013B), got {text!r}")
    return module, presentation


def _report(run: Callable[[], Any], as_json: bool, lines: Callable[[Any], Iterable[str]]) -> None:
    """Run an evaluation and print one JSON object (``--json``) or readable lines; input the
    evaluation cannot use (its ValueError) exits 2 with one line."""
    try:
        result = run()
    except ValueError as exc:
        fail(str(exc))
    if as_json:
        typer.echo(json.dumps(result))
        return
    for line in lines(result):
        typer.echo(line)


def _fmt(value: float | None, digits: int = 3) -> str:
    """A metric for the readable output ("n/a" when undefined, e.g. one class only)."""
    return "n/a" if value is None else f"{value:.{digits}f}"


@eval_app.command("mastery")
def eval_mastery(
    fmt: Annotated[
        str, typer.Option("--format", help="dkvmn (3 lines a student) or akt (3 or 4 lines).")
    ],
    train: Annotated[Path, typer.Option(help="Training sequences (plain or .gz).")],
    test: Annotated[Path, typer.Option(help="Test sequences (plain or .gz).")],
    valid: Annotated[
        Path | None, typer.Option(help="Validation sequences (early stopping).")
    ] = None,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
) -> None:
    """Train every mastery model on TRAIN and print each one's test AUC and accuracy."""
    if fmt not in ("dkvmn", "akt"):
        fail(f"--format must be dkvmn or akt, not {fmt!r}")
    for path, what in ((train, "train"), (test, "test"), (valid, "valid")):
        _existing_file(path, what)
    from ml_assets.mastery.evaluate import evaluate_files

    _report(
        lambda: evaluate_files(fmt, train, test, valid, seed=seed),
        as_json,
        lambda results: (
            f"{name:10} auc {_fmt(r['auc'], 4)}  accuracy {_fmt(r['accuracy'], 4)}"
            for name, r in results.items()
        ),
    )


@eval_app.command("at-risk")
def eval_at_risk(
    oulad: Annotated[Path, typer.Option(help="Folder of OULAD-shaped CSV files.")],
    train: Annotated[str, typer.Option(help="MODULE:PRESENTATION[,...] to train on.")],
    test: Annotated[str, typer.Option(help="MODULE:PRESENTATION to test on.")],
    weeks: Annotated[str, typer.Option(help="Week cut-offs, e.g. 2,4,8,12,16.")] = "2,4,8,12,16",
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
) -> None:
    """Ingest OULAD-shaped files, train on some presentations, score a later one per week."""
    if not oulad.is_dir():
        fail(f"OULAD folder not found: {oulad}")
    train_ids = [_presentation(t) for t in train.split(",") if t.strip()]
    if not train_ids:
        fail("--train names no presentation")
    test_id = _presentation(test)
    try:
        week_list = sorted({int(w) for w in weeks.split(",") if w.strip()})
    except ValueError:
        fail(f"--weeks must be whole numbers separated by commas, not {weeks!r}")
    if not week_list or week_list[0] < 1:
        fail("--weeks needs at least one week >= 1")
    from ml_assets.at_risk.evaluate import evaluate_oulad

    _report(
        lambda: evaluate_oulad(oulad, train_ids, test_id, week_list, seed=seed),
        as_json,
        lambda result: (
            f"week {w['week']:>3}  auc {_fmt(w['auc'])}  f1 {_fmt(w['f1'])}  "
            f"brier {_fmt(w['brier'])}  rule_auc {_fmt(w['rule_auc'])}"
            for w in result["weeks"]
        ),
    )


@eval_app.command("recommender")
def eval_recommender(
    oulad: Annotated[
        Path | None, typer.Option(help="Folder of OULAD-shaped CSV files (or --lake).")
    ] = None,
    lake: Annotated[
        Path | None,
        typer.Option(help="A LearnSmart lake with silver and gold built (or --oulad)."),
    ] = None,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    max_students: Annotated[
        int | None, typer.Option(min=1, help="Evaluate on at most this many students.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
) -> None:
    """Temporal-split evaluation (each student's last 20% held out) of the recommender and its
    baselines: NDCG@10, Recall@10 and catalogue coverage per method, on OULAD click logs
    (--oulad) or on a lake's own learning events (--lake); exactly one of the two."""
    if (oulad is None) == (lake is None):
        fail("give exactly one of --oulad DIR (OULAD click logs) or --lake DIR (a lake)")
    from ml_assets.recommender.evaluate import evaluate_lake, evaluate_oulad

    if oulad is not None:
        if not oulad.is_dir():
            fail(f"OULAD folder not found: {oulad}")
        folder, evaluate = oulad, evaluate_oulad
    else:
        assert lake is not None
        if not lake.is_dir():
            fail(f"lake folder not found: {lake}")
        folder, evaluate = lake, evaluate_lake

    _report(
        lambda: evaluate(folder, seed=seed, max_students=max_students),
        as_json,
        lambda result: (
            f"{name:22} ndcg@10 {_fmt(r['ndcg@10'])}  recall@10 {_fmt(r['recall@10'])}  "
            f"coverage {_fmt(r['coverage'])}"
            for name, r in result.items()
        ),
    )


@eval_app.command("forum-urgency")
def eval_forum_urgency(
    train: Annotated[Path, typer.Option(help="CSV of labelled posts to train on.")],
    test: Annotated[Path, typer.Option(help="CSV of labelled posts to score (same columns).")],
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
) -> None:
    """Train the forum-urgency model on TRAIN; print RMSE, Spearman, AUC, PR-AUC, F1 on TEST."""
    for path, what in ((train, "train"), (test, "test")):
        _existing_file(path, what)
    from ml_assets.forum.evaluate import evaluate_split

    _report(
        lambda: evaluate_split(train, test, seed=seed),
        as_json,
        lambda result: (
            f"{name:9} rmse {_fmt(r['rmse'])}  spearman {_fmt(r['spearman'])}  "
            f"auc {_fmt(r['auc'])}  pr_auc {_fmt(r['pr_auc'])}  f1 {_fmt(r['f1'])}"
            for name, r in (("model", result), ("baseline", result["baseline"]))
        ),
    )


def _jsonable(obj: object) -> object:
    from dataclasses import asdict, is_dataclass

    return asdict(obj) if is_dataclass(obj) and not isinstance(obj, type) else obj


def main() -> None:
    """Console-script entry point."""
    app(prog_name="learnsmart")


if __name__ == "__main__":
    sys.exit(main())
