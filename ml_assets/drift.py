"""Feature drift between the data a model was trained on and the data it scores now.

The population stability index (PSI) per feature is the check Dagster runs; an Evidently
data-drift report (per-feature tests, distributions) is written beside it for a person to read.
PSI conventions (Siddiqi, *Credit Risk Scorecards*, 2006): below 0.1 stable, 0.1-0.25 a moderate
shift worth a look, above 0.25 a major shift: retrain.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

PSI_WARN = 0.1
PSI_RETRAIN = 0.25
_EPS = 1e-4  # floor for empty bins: an empty bin would make PSI infinite


def psi(expected: npt.ArrayLike, actual: npt.ArrayLike, bins: int = 10) -> float:
    """PSI of ``actual`` against ``expected``, on decile bins of ``expected``.

    Missing values (NaN) form a bin of their own, so a feature that starts arriving empty
    counts as drift. Returns 0.0 when both samples are empty.
    """
    e = np.asarray(expected, dtype=float)
    a = np.asarray(actual, dtype=float)
    if e.size == 0 or a.size == 0:
        return 0.0
    e_fin, a_fin = e[np.isfinite(e)], a[np.isfinite(a)]
    if e_fin.size:
        edges = np.unique(np.quantile(e_fin, np.linspace(0, 1, bins + 1)[1:-1]))
    else:
        edges = np.array([], dtype=float)
    # bin index per finite value (0..len(edges)), plus one bin for missing values
    e_counts = np.bincount(np.searchsorted(edges, e_fin, side="right"), minlength=edges.size + 1)
    a_counts = np.bincount(np.searchsorted(edges, a_fin, side="right"), minlength=edges.size + 1)
    e_dist = np.append(e_counts, e.size - e_fin.size) / e.size
    a_dist = np.append(a_counts, a.size - a_fin.size) / a.size
    e_dist = np.clip(e_dist, _EPS, None)
    a_dist = np.clip(a_dist, _EPS, None)
    return float(np.sum((a_dist - e_dist) * np.log(a_dist / e_dist)))


def feature_psi(
    reference: dict[str, npt.ArrayLike], current: dict[str, npt.ArrayLike]
) -> dict[str, float]:
    """PSI per feature present in both samples, sorted from most to least drifted."""
    out = {name: psi(reference[name], current[name]) for name in reference if name in current}
    return dict(sorted(out.items(), key=lambda kv: -kv[1]))


def evidently_report(
    reference: dict[str, npt.ArrayLike], current: dict[str, npt.ArrayLike], out_html: Path
) -> dict[str, Any]:
    """Write Evidently's data-drift report to ``out_html``; returns its drifted-column summary.

    Evidently is imported here only (about 20 s on two cores).
    """
    import pandas as pd
    from evidently import Report
    from evidently.presets import DataDriftPreset

    names = [n for n in reference if n in current]
    ref = pd.DataFrame({n: np.asarray(reference[n], dtype=float) for n in names})
    cur = pd.DataFrame({n: np.asarray(current[n], dtype=float) for n in names})
    # Evidently refuses a column that is empty on either side; PSI still covers it.
    empty = [n for n in names if ref[n].isna().all() or cur[n].isna().all()]
    ref, cur = ref.drop(columns=empty), cur.drop(columns=empty)
    snapshot = Report([DataDriftPreset()]).run(current_data=cur, reference_data=ref)
    out_html.parent.mkdir(parents=True, exist_ok=True)
    snapshot.save_html(str(out_html))
    summary: dict[str, Any] = {"drifted_columns": None, "drifted_share": None, "empty": empty}
    for metric in snapshot.dict().get("metrics", []):
        if str(metric.get("metric_name", "")).startswith("DriftedColumnsCount"):
            value = metric.get("value") or {}
            summary |= {
                "drifted_columns": int(value.get("count", 0)),
                "drifted_share": float(value.get("share", 0.0)),
            }
    return summary
