"""``learnsmart privacy``: erase a student everywhere, apply the retention periods.

Errors in the input exit with status 2 and one line (as every ``learnsmart`` command): a badly
formed student reference, an unknown student, an unusable setting.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated

import typer

from lake.settings import LakeSettings, SettingsError
from orchestration.cli_options import LakeOpt, LandingOpt, fail

privacy_app = typer.Typer(
    help="Erasure of a student and the retention periods.", no_args_is_help=True
)
retention_app = typer.Typer(help="Retention periods per table family.", no_args_is_help=True)
privacy_app.add_typer(retention_app, name="retention")

DbOpt = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        help="Operational store [env LEARNSMART_API_DATABASE_URL, default the API's SQLite].",
    ),
]


def _settings(lake: Path | None, landing: Path | None) -> LakeSettings:
    try:
        s = LakeSettings.from_env(lake=lake, landing=landing)
    except SettingsError as exc:
        fail(str(exc))
        raise
    if not s.lake.is_dir():
        fail(f"no lake at {s.lake}")
    return s


def _database_url(explicit: str | None, skip: bool) -> str | None:
    """The store to erase from; None when skipped. A SQLite file that does not exist is an
    error (it would be created empty, and the student's store rows would be missed)."""
    if skip:
        return None
    from api.settings import DEFAULT_DATABASE_URL

    url = explicit or os.environ.get("LEARNSMART_API_DATABASE_URL") or DEFAULT_DATABASE_URL
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        if str(path) != ":memory:" and not path.is_file():
            fail(f"no operational store at {path} (give --database-url, or --skip-store)")
    return url


@privacy_app.command("erase")
def erase(
    student: Annotated[
        str,
        typer.Option(
            "--student", help="<source_system>:<source_id> (e.g. oneroster:stu-00001) or s_..."
        ),
    ],
    reason: Annotated[
        str, typer.Option("--reason", help="Reason code kept in the record (a-z, 0-9, _ -).")
    ] = "request",
    lake: LakeOpt = None,
    landing: LandingOpt = None,
    database_url: DbOpt = None,
    skip_store: Annotated[
        bool, typer.Option("--skip-store", help="Erase from the lake only.")
    ] = False,
) -> None:
    """Remove a student from landing, every lake table and artefact, and the store; prints the
    counts (no identifiers)."""
    from api.privacy import REASON_CODE, erase_everywhere
    from lake.privacy.erase import (
        ErasureError,
        StudentRefError,
        UnknownStudentError,
        parse_student_ref,
    )

    try:
        parse_student_ref(student)
    except StudentRefError as exc:
        fail(str(exc))
    if not REASON_CODE.match(reason):
        fail("--reason: 1-64 of a-z, 0-9, '_' and '-'")
    s = _settings(lake, landing)
    url = _database_url(database_url, skip_store)
    store = None
    if url is not None:
        from api.store.db import Store

        store = Store(url)
    try:
        result = erase_everywhere(s, store, student, reason_code=reason)
    except (StudentRefError, UnknownStudentError) as exc:
        fail(str(exc).strip("'\""))
    except ErasureError as exc:
        fail(str(exc))
    finally:
        if store is not None:
            store.dispose()
    typer.echo(json.dumps(result.as_dict(), indent=2, default=str))


@retention_app.command("apply")
def retention_apply(
    lake: LakeOpt = None,
    landing: LandingOpt = None,
    database_url: DbOpt = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Count what has expired; change nothing.")
    ] = False,
    skip_store: Annotated[
        bool, typer.Option("--skip-store", help="Leave the store's audit tables alone.")
    ] = False,
) -> None:
    """Delete (or blank) what is older than its family's retention period, then vacuum."""
    from lake.privacy.retention import RetentionPolicy, apply_retention

    s = _settings(lake, landing)
    try:
        policy = RetentionPolicy.from_env()
    except SettingsError as exc:
        fail(str(exc))
        raise
    url = _database_url(database_url, skip_store)
    out = apply_retention(s, policy, dry_run=dry_run, database_url=url)
    typer.echo(json.dumps(out, indent=2, default=str))


@retention_app.command("show")
def retention_show() -> None:
    """The periods in force, their variables and the tables each family covers."""
    from lake.privacy.retention import RetentionPolicy, describe

    try:
        policy = RetentionPolicy.from_env()
    except SettingsError as exc:
        fail(str(exc))
        raise
    typer.echo(json.dumps(describe(policy), indent=2))
