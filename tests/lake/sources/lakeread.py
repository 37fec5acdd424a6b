"""Reading lake tables as polars frames in parser tests, and the accounting every load keeps."""

from __future__ import annotations

import polars as pl

from lake import io
from lake.settings import LakeSettings
from lake.tables import LOADS, TableSpec, quarantine_spec, silver


def frame(settings: LakeSettings, spec: TableSpec) -> pl.DataFrame:
    """The current version of a table as a polars frame."""
    df = pl.from_arrow(io.read(settings, spec))
    assert isinstance(df, pl.DataFrame)
    return df


def silver_frame(settings: LakeSettings, table: str) -> pl.DataFrame:
    """A silver table as a frame."""
    return frame(settings, silver(table))


def quarantine_frame(settings: LakeSettings, source: str) -> pl.DataFrame:
    """A source's quarantine table as a frame."""
    return frame(settings, quarantine_spec(source))


def ledger_frame(settings: LakeSettings) -> pl.DataFrame:
    """The load ledger as a frame."""
    return frame(settings, LOADS)


def assert_balanced(settings: LakeSettings, source: str) -> None:
    """Every load committed, every file's rows accounted for, quarantine matching the ledger."""
    ledger = ledger_frame(settings)
    assert ledger.height > 0
    assert (ledger["status"] == "committed").all()
    assert (ledger["rows_in"] == ledger["rows_kept"] + ledger["rows_quarantined"]).all()
    assert ledger["rows_quarantined"].sum() == quarantine_frame(settings, source).height
