"""What the learn assets share: reading a lake table they depend on."""

from pathlib import Path

import dagster as dg
import polars as pl

from lake.io import MissingTableError, read_path


def read_table(lake: Path, relative: str, columns: list[str] | None = None) -> pl.DataFrame:
    """A Delta table of the lake as polars; a clear failure when an upstream asset is missing."""
    try:
        frame = pl.from_arrow(read_path(lake, relative, columns))
    except MissingTableError as exc:
        raise dg.Failure(str(exc)) from exc
    assert isinstance(frame, pl.DataFrame)
    return frame
