"""``learnsmart trino ...``: install, start, stop and query the researchers' Trino server.

Settings come from options, then ``LEARNSMART_TRINO_*`` / ``LEARNSMART_LAKE``, then defaults (the
deployment in ``data/trino`` beside the lake, HTTPS on 8443, readiness HTTP on 8080). Trino's
users and passwords are those of the demo users file (``data/demo_users.json``: ``trino_user`` /
``trino_password``, generated there once when missing). Errors exit with status 2 and one line.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from orchestration.cli_options import LakeOpt, fail
from orchestration.trino.server import (
    ADMIN_USER,
    TrinoError,
    TrinoServer,
    TrinoSettings,
    install,
)

trino_app = typer.Typer(
    help="The researchers' Trino server (HTTPS, password login, read-only research catalog).",
    no_args_is_help=True,
)

HomeOpt = Annotated[
    Path | None,
    typer.Option(
        "--home", help="Deployment folder [env LEARNSMART_TRINO_HOME, default <lake>/../trino]."
    ),
]
UsersOpt = Annotated[
    Path | None,
    typer.Option(
        "--users",
        help="Demo users file with the Trino logins "
        "[env LEARNSMART_DEMO_USERS, default <lake>/../demo_users.json].",
    ),
]
HttpsOpt = Annotated[
    int | None, typer.Option("--https-port", help="[env LEARNSMART_TRINO_HTTPS_PORT, 8443]")
]
HttpOpt = Annotated[
    int | None, typer.Option("--http-port", help="[env LEARNSMART_TRINO_HTTP_PORT, 8080]")
]


def _settings(
    lake: Path | None,
    home: Path | None,
    users: Path | None = None,
    https_port: int | None = None,
    http_port: int | None = None,
    **more: Any,
) -> TrinoSettings:
    try:
        return TrinoSettings.from_env(
            lake=lake,
            home=home,
            users_file=users.resolve() if users else None,
            https_port=https_port,
            http_port=http_port,
            **more,
        )
    except TrinoError as exc:
        fail(str(exc))
        raise  # unreachable


def _logins(settings: TrinoSettings) -> dict[str, str]:
    from api.demo_users import trino_logins

    try:
        return trino_logins(settings.users_file)
    except (OSError, ValueError) as exc:
        fail(f"cannot read the Trino logins from {settings.users_file}: {exc}")
        raise  # unreachable


def _echo(doc: Any) -> None:
    typer.echo(json.dumps(doc, indent=2, default=str))


@trino_app.command("install")
def install_cmd() -> None:
    """Download (once, from Maven Central) and unpack the trimmed Trino 476 into the cache."""
    try:
        path = install(log=lambda m: typer.echo(m, err=True))
    except TrinoError as exc:
        fail(str(exc))
    typer.echo(str(path))


@trino_app.command("start")
def start_cmd(
    lake: LakeOpt = None,
    home: HomeOpt = None,
    users: UsersOpt = None,
    https_port: HttpsOpt = None,
    http_port: HttpOpt = None,
    heap: Annotated[
        str | None, typer.Option(help="JVM heap [env LEARNSMART_TRINO_HEAP, 2G]")
    ] = None,
    audit_url: Annotated[
        str | None,
        typer.Option(
            help="Where completed queries are posted ('' for nowhere) "
            "[env LEARNSMART_TRINO_AUDIT_URL, the API on 127.0.0.1:8000]."
        ),
    ] = None,
    timeout: Annotated[float, typer.Option(help="Seconds to wait until it answers.")] = 180,
) -> None:
    """Install if needed, configure and start Trino; returns when it answers queries."""
    s = _settings(lake, home, users, https_port, http_port, heap=heap, audit_url=audit_url)
    server = TrinoServer(s)
    try:
        server.start(_logins(s), timeout=timeout)
    except TrinoError as exc:
        fail(str(exc))
    _echo(server.status())


@trino_app.command("stop")
def stop_cmd(lake: LakeOpt = None, home: HomeOpt = None) -> None:
    """Stop the server (SIGTERM to its process group)."""
    stopped = TrinoServer(_settings(lake, home)).stop()
    typer.echo("stopped" if stopped else "not running")


@trino_app.command("status")
def status_cmd(lake: LakeOpt = None, home: HomeOpt = None) -> None:
    """Whether it runs (exit status 1 when not), its URL, certificate and version."""
    doc = TrinoServer(_settings(lake, home)).status()
    _echo(doc)
    if not doc["running"]:
        raise typer.Exit(code=1)


@trino_app.command("audit-secret")
def audit_secret_cmd(lake: LakeOpt = None, home: HomeOpt = None) -> None:
    """Print the secret Trino sends with query events (the API's LEARNSMART_TRINO_AUDIT_SECRET)."""
    try:
        typer.echo(TrinoServer(_settings(lake, home)).secrets()["audit_secret"])
    except TrinoError as exc:
        fail(str(exc))


@trino_app.command("register")
def register_cmd(
    lake: LakeOpt = None,
    home: HomeOpt = None,
    users: UsersOpt = None,
    https_port: HttpsOpt = None,
) -> None:
    """Register the gold Delta tables (lakehouse.<domain>.<table>); drop vanished ones."""
    from orchestration.trino.client import TrinoClient
    from orchestration.trino.register import register_gold

    s = _settings(lake, home, users, https_port)
    admin = TrinoClient.for_settings(s, ADMIN_USER, _logins(s)[ADMIN_USER], "learnsmart-register")
    try:
        done = register_gold(admin, s.lake)
    except TrinoError as exc:
        fail(str(exc))
        raise  # unreachable
    _echo(done.as_dict())


@trino_app.command("query")
def query_cmd(
    user: Annotated[str, typer.Option(help="Trino user (admin or researcher).")],
    sql: Annotated[str, typer.Option(help="One SQL statement.")],
    password: Annotated[
        str | None,
        typer.Option(
            envvar="LEARNSMART_TRINO_PASSWORD",
            help="The user's password [default: from the demo users file].",
        ),
    ] = None,
    lake: LakeOpt = None,
    home: HomeOpt = None,
    users: UsersOpt = None,
    https_port: HttpsOpt = None,
) -> None:
    """Run SQL as a user over HTTPS; prints a JSON object with columns and rows."""
    from orchestration.trino.client import TrinoClient

    s = _settings(lake, home, users, https_port)
    if password is None:
        password = _logins(s).get(user)
        if password is None:
            fail(f"no password for Trino user {user!r} in {s.users_file}")
    client = TrinoClient.for_settings(s, user, password or "", "learnsmart-cli")
    try:
        columns, rows = client.columns(sql)
    except TrinoError as exc:
        fail(str(exc))
        raise  # unreachable
    _echo({"columns": columns, "rows": rows})
