"""What is in the lake: every table's rows and Delta version, load totals, quarantine by reason."""

from __future__ import annotations

from typing import Any

import pyarrow.compute as pc

from lake import io, ledger
from lake.settings import LakeSettings
from lake.tables import ALL_TABLES, QUARANTINE


def lake_status(settings: LakeSettings) -> dict[str, Any]:
    """The ``learnsmart lake status --json`` document.

    ``{"tables": [{"name", "layer", "rows", "version"}...], "loads": {"files", "rows_in",
    "rows_kept", "rows_quarantined"}, "quarantine": {reason_code: rows}}``; tables that were
    never written are left out.
    """
    tables = []
    for name, spec in ALL_TABLES.items():
        v = io.version(settings, spec)
        if v is None:
            continue
        tables.append(
            {
                "name": name,
                "layer": spec.layer.value,
                "rows": io.row_count(settings, spec),
                "version": v,
            }
        )
    reasons: dict[str, int] = {}
    for spec in QUARANTINE:
        codes = io.read(settings, spec, columns=["reason_code"]).column("reason_code")
        if len(codes) == 0:
            continue
        counts = pc.value_counts(codes)
        for item in counts.to_pylist():
            reasons[item["values"]] = reasons.get(item["values"], 0) + int(item["counts"])
    return {
        "tables": tables,
        "loads": ledger.totals(settings),
        "quarantine": dict(sorted(reasons.items())),
    }
