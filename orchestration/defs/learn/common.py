"""What the learn assets share: reading a lake table they depend on."""

from pathlib import Path

import dagster as dg
import polars as pl
from deltalake import DeltaTable

from lake.io import read_delta


def read_table(lake: Path, relative: str, columns: list[str] | None = None) -> pl.DataFrame:
    """A Delta table of the lake as polars; a clear failure when an upstream asset is missing."""
    path = lake / relative
    if not (path / "_delta_log").is_dir():
        raise dg.Failure(f"{relative} is missing: materialise the assets that build it first")
    frame = pl.from_arrow(read_delta(DeltaTable(str(path)), columns=columns))
    assert isinstance(frame, pl.DataFrame)
    return frame
