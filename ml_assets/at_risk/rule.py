"""The transparent baseline the model has to beat: "no activity for 7+ days".

A student is flagged when their last activity before the cut-off is 7 or more days old, or when
they have not been active at all (never active counts as inactive). As a ranking score (for AUC)
the rule uses the days since the last activity, never-active students first; ties (students last
active on the same day) are broken by the number of missing assignments, which can never outweigh
a whole day of inactivity.
"""

from __future__ import annotations

import numpy as np
import polars as pl

INACTIVE_DAYS = 7
# Larger than any real gap, so never-active students rank above every active one.
_NEVER_ACTIVE_DAYS = 100_000.0
_TIE_BREAK = 1e-3  # per missing assignment; 1000 missing assignments would equal one day


def rule_flags(frame: pl.DataFrame, days: int = INACTIVE_DAYS) -> np.ndarray:
    """True where the rule flags the row: ``days_since_last_active >= days`` or never active."""
    gap = frame["days_since_last_active"].cast(pl.Float64).fill_null(_NEVER_ACTIVE_DAYS)
    return (gap >= days).to_numpy()


def rule_score(frame: pl.DataFrame) -> np.ndarray:
    """The rule as a risk score: days since last active (never active highest), plus a tie-break
    of ``0.001`` per missing assignment (due before the cut-off and not submitted)."""
    gap = frame["days_since_last_active"].cast(pl.Float64).fill_null(_NEVER_ACTIVE_DAYS)
    missing = (
        (frame["n_assessments_due"] - frame["n_assessments_submitted_to_date"])
        .cast(pl.Float64)
        .fill_null(0.0)
        .clip(lower_bound=0.0)
    )
    return (gap + _TIE_BREAK * missing).to_numpy()
