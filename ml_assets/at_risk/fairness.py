"""How the at-risk flags fare per demographic group.

Demographics are never model inputs; they are joined here, after scoring, from
``gold/enrollment/dim_students``. Per group: students, rows, AUC, and at the flag threshold the
false-negative rate (at-risk students not flagged: the harm of being missed) and the
false-positive rate (students flagged who were not at risk: the harm of a needless
intervention). Per attribute and metric the largest gap between two groups is named.

A group is *too small* when it has fewer than ``min_students`` students, or when the data span
several classes but the group is seen in one only (its figures would be that class's). Small
groups are reported but kept out of the gaps.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import polars as pl

from ml_assets.at_risk.model import safe_auc

ATTRIBUTES = ("gender", "age_band", "has_disability", "imd_band")
MIN_STUDENTS = 30
METRICS = ("auc", "fnr", "fpr")
_LABEL = {"auc": "AUC", "fnr": "FNR", "fpr": "FPR"}


def _rate(num: int, den: int) -> float:
    return num / den if den else float("nan")


def _group_label(value: object) -> str:
    if value is None:
        return "unknown"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def group_metrics(y: np.ndarray, p: np.ndarray, flagged: np.ndarray) -> dict[str, float]:
    """AUC, FNR and FPR of one group's rows (NaN where undefined)."""
    pos = y == 1
    return {
        "auc": safe_auc(y, p),
        "fnr": _rate(int((pos & ~flagged).sum()), int(pos.sum())),
        "fpr": _rate(int((~pos & flagged).sum()), int((~pos).sum())),
    }


def fairness_report(
    scored: pl.DataFrame,
    students: pl.DataFrame,
    attributes: tuple[str, ...] = ATTRIBUTES,
    min_students: int = MIN_STUDENTS,
) -> dict[str, Any]:
    """Per attribute present in ``students``: each group's n, AUC, FNR, FPR and whether it is
    too small, and the largest gap per metric among the groups that are not.

    Args:
        scored: one row per scored (student, class, week): ``student_id``, ``class_id``, ``y``
            (1 at risk, 0 not), ``probability`` and ``flagged`` (bool).
        students: ``dim_students`` (``student_id`` and the attribute columns).
        attributes: the columns to group by, where present.
        min_students: smallest group whose figures are compared.
    """
    present = [a for a in attributes if a in students.columns]
    joined = scored.join(
        students.select("student_id", *present).unique("student_id"), on="student_id", how="left"
    )
    n_classes_all = joined["class_id"].n_unique()
    out: dict[str, Any] = {"min_students": min_students, "attributes": {}, "largest_gaps": []}
    for attr in present:
        groups = []
        for (value,), g in sorted(joined.group_by(attr), key=lambda kv: _group_label(kv[0][0])):
            n_students = g["student_id"].n_unique()
            n_classes = g["class_id"].n_unique()
            m = group_metrics(
                g["y"].to_numpy(), g["probability"].to_numpy(), g["flagged"].to_numpy()
            )
            groups.append(
                {
                    "group": _group_label(value),
                    "n": n_students,
                    "rows": g.height,
                    "positives": int(g["y"].sum()),
                    "classes": n_classes,
                    **m,
                    "too_small": n_students < min_students or (n_classes_all > 1 and n_classes < 2),
                }
            )
        gaps = {}
        for metric in METRICS:
            usable = [g for g in groups if not g["too_small"] and not math.isnan(g[metric])]
            if len(usable) < 2:
                continue
            lo = min(usable, key=lambda g: g[metric])
            hi = max(usable, key=lambda g: g[metric])
            gap = hi[metric] - lo[metric]
            text = (
                f"{_LABEL[metric]} gap {gap:.2f} between {attr} {lo['group']} "
                f"({lo[metric]:.2f}) and {hi['group']} ({hi[metric]:.2f})"
            )
            gaps[metric] = {"gap": gap, "groups": [lo["group"], hi["group"]], "text": text}
            out["largest_gaps"].append({"attribute": attr, "metric": metric, **gaps[metric]})
        out["attributes"][attr] = {"groups": groups, "gaps": gaps}
    out["largest_gaps"].sort(key=lambda g: -g["gap"])
    return out
