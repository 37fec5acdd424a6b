"""What every ``learnsmart`` subcommand shares: the lake and landing options and one-line
errors (exit status 2)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, NoReturn

import typer

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


def fail(message: str) -> NoReturn:
    """Print ``error: <message>`` on stderr and exit with status 2."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code=2)
