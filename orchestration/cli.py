"""The ``learnsmart`` command: the same code paths the Dagster assets call.

Every subcommand reads its defaults from ``LEARNSMART_LAKE`` / ``LEARNSMART_LANDING`` (default
``./data/lake`` and ``./data/landing``). Errors in the input are reported, never raised as
tracebacks: a bad path or value exits with status 2 and one line saying what is wrong.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from lake.settings import LakeSettings, SettingsError

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

LakeOpt = Annotated[
    Path | None,
    typer.Option("--lake", help="Lakehouse folder [env LEARNSMART_LAKE, default ./data/lake]."),
]
LandingOpt = Annotated[
    Path | None,
    typer.Option(
        "--landing", help="Landing folder [env LEARNSMART_LANDING, default ./data/landing]."
    ),
]


def _settings(lake: Path | None = None, landing: Path | None = None) -> LakeSettings:
    try:
        return LakeSettings.from_env(lake=lake, landing=landing)
    except SettingsError as exc:
        _fail(str(exc))
        raise  # unreachable: _fail exits


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code=2)


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
) -> None:
    """Load every new file under LANDING/<source>/ into bronze, silver and quarantine."""
    from lake.loader import ingest as run_ingest
    from lake.tables import SOURCES

    s = _settings(lake=lake, landing=landing)
    if not s.landing.is_dir():
        _fail(f"landing folder {s.landing} does not exist")
    unknown = sorted(set(source or ()) - set(SOURCES))
    if unknown:
        _fail(f"unknown source(s) {unknown}; choose from {', '.join(SOURCES)}")
    reports = run_ingest(s, tuple(source) if source else None)
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
        _fail(f"lake folder {s.lake} does not exist")
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
        _fail("--vacuum-hours below 168 (7 days) would break time travel for running readers")
    for name, metrics in optimize_all(s, vacuum_hours).items():
        typer.echo(f"{name}: {metrics}")


@api_app.command("seed-demo-users")
def seed_demo_users(
    out: Annotated[Path, typer.Option(help="Where to write the logins.")] = Path(
        "data/demo_users.json"
    ),
) -> None:
    """Create demo users of every role from the demo school in the lake."""
    from api.demo_users import seed_demo_users as seed
    from api.settings import ApiSettings

    try:
        logins = seed(ApiSettings.from_env(), out)
    except SettingsError as exc:
        _fail(str(exc))
    counts: dict[str, int] = {}
    for login in logins:
        counts[login["role"]] = counts.get(login["role"], 0) + 1
    typer.echo(json.dumps({"out": str(out), "users": counts}))


@api_app.command("migrate")
def migrate_store() -> None:
    """Bring the operational store to the newest schema (Alembic)."""
    from api.settings import ApiSettings
    from api.store.db import migrate

    try:
        settings = ApiSettings.from_env()
    except SettingsError as exc:
        _fail(str(exc))
    migrate(settings.database_url)
    typer.echo(json.dumps({"database": settings.database_url.split("@")[-1], "migrated": True}))


def _jsonable(obj: object) -> object:
    from dataclasses import asdict, is_dataclass

    return asdict(obj) if is_dataclass(obj) and not isinstance(obj, type) else obj


def main() -> None:
    """Console-script entry point."""
    app(prog_name="learnsmart")


if __name__ == "__main__":
    sys.exit(main())
