"""The at-risk model's inputs: which mart columns it uses, in which order, and how each one is
said to a teacher.

Every feature comes from ``gold/features/fct_student_week_features`` (values from before the
week's cut-off only), directly or derived from mart columns of the same row. Never features:
identifiers, the cut-off date, the ``label_`` columns (they look past the cut-off) and
demographics (``dim_students``: gender, age band, disability, deprivation), which are fairness
attributes only.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import polars as pl

ID_COLUMNS = ("student_id", "class_id", "week", "cutoff_date")


@dataclass(frozen=True)
class Feature:
    """One model input.

    Attributes:
        name: column name in the feature frame.
        template: what a teacher reads, a ``str.format`` template over the row's feature values
            (``{value}`` is this feature, ``{pct}`` is it times 100, any other feature by name).
        when_missing: what a teacher reads when the value is missing (null).
        explains: whether the feature may be given as a reason; context features (the week, how
            much content or how many assessments the course released) shape the prediction
            but say nothing about the student.
        group: features that say the same thing to a teacher share a group, and a student's
            reasons name each group once (defaults to the feature's name).
    """

    name: str
    template: str
    when_missing: str = ""
    explains: bool = True
    group: str = ""

    def __post_init__(self) -> None:
        if not self.group:
            object.__setattr__(self, "group", self.name)


FEATURES: tuple[Feature, ...] = (
    Feature("week", "week {value:.0f} of the course", explains=False),
    Feature(
        "days_registered_before_start",
        "registered {value:.0f} days before the start",
        "registration day unknown",
    ),
    Feature("num_prev_attempts", "{value:.0f} earlier attempt(s) at this course"),
    Feature("studied_credits", "studying {value:.0f} credits in total"),
    Feature("n_events_to_date", "only {value:.0f} learning actions so far", group="volume"),
    Feature("active_minutes_to_date", "only {value:.0f} active minutes so far", group="volume"),
    Feature("n_active_days_to_date", "active on only {value:.0f} days so far"),
    Feature("n_video_events_to_date", "{value:.0f} video actions so far"),
    Feature("n_quiz_events_to_date", "{value:.0f} quiz actions so far"),
    Feature("n_forum_events_to_date", "{value:.0f} forum actions so far"),
    Feature("n_events_this_week", "{value:.0f} learning actions in the last week"),
    Feature("active_minutes_this_week", "{value:.0f} active minutes in the last week"),
    Feature("n_active_days_this_week", "active on {value:.0f} of the last 7 days"),
    Feature("days_since_last_active", "no activity for {value:.0f} days", "no activity at all yet"),
    Feature("n_content_touched_to_date", "opened {value:.0f} pieces of content so far"),
    Feature("n_content_released", "{value:.0f} pieces of content released", explains=False),
    Feature(
        "content_touched_share",
        "opened {pct:.0f}% of the released content",
        "no content released yet",
    ),
    Feature("n_assessments_due", "{value:.0f} assignments due so far", explains=False),
    Feature(
        "n_assessments_submitted_to_date",
        "only {value:.0f} assignment(s) submitted so far",
        group="submitted",
    ),
    Feature(
        "n_assessments_missing",
        "{value:.0f} of {n_assessments_due:.0f} assignments missing",
        group="submitted",
    ),
    Feature("n_assessments_late_to_date", "{value:.0f} assignment(s) submitted late"),
    Feature(
        "weighted_score_to_date",
        "average score {value:.0f}% so far",
        "no scored assignment yet",
        group="score",
    ),
    Feature(
        "mean_score_to_date",
        "average score {value:.0f}% so far (unweighted)",
        "no scored assignment yet",
        group="score",
    ),
    Feature("n_quiz_attempts_to_date", "{value:.0f} quiz attempts so far"),
    Feature(
        "mean_quiz_share_correct_to_date",
        "{pct:.0f}% of quiz answers correct so far",
        "no quiz attempted yet",
    ),
    Feature("active_days_share", "active on {pct:.0f}% of the course days so far"),
)
FEATURE_NAMES: tuple[str, ...] = tuple(f.name for f in FEATURES)
BY_NAME: dict[str, Feature] = {f.name: f for f in FEATURES}

# Mart columns the derived features are computed from (all present in the mart).
_DERIVED: dict[str, pl.Expr] = {
    "n_assessments_missing": (
        pl.col("n_assessments_due") - pl.col("n_assessments_submitted_to_date")
    ).clip(lower_bound=0),
    "active_days_share": (pl.col("n_active_days_to_date") / (7.0 * pl.col("week"))).clip(0.0, 1.0),
}
MART_COLUMNS: tuple[str, ...] = tuple(n for n in FEATURE_NAMES if n not in _DERIVED)


def check_columns(frame: pl.DataFrame) -> None:
    """ValueError naming the mart columns ``frame`` lacks."""
    missing = [c for c in (*ID_COLUMNS, *MART_COLUMNS) if c not in frame.columns]
    if missing:
        raise ValueError(f"feature frame lacks column(s): {', '.join(missing)}")


def feature_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """The feature columns of a mart frame, derived ones added, as Float64 in ``FEATURE_NAMES``
    order (nulls kept: the model treats them as missing)."""
    check_columns(frame)
    base = frame.select(
        [pl.col(c).cast(pl.Float64) for c in MART_COLUMNS],
    )
    derived = base.with_columns(**_DERIVED)
    return derived.select([pl.col(n).cast(pl.Float64) for n in FEATURE_NAMES])


def to_matrix(frame: pl.DataFrame) -> np.ndarray:
    """The model's input matrix (rows of ``frame``, columns ``FEATURE_NAMES``; NaN = missing)."""
    return feature_frame(frame).to_numpy().astype(np.float64)


def render(name: str, row: Mapping[str, float | None]) -> str:
    """A feature of one row in a teacher's words, with its actual value."""
    feature = BY_NAME[name]
    value = row.get(name)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return feature.when_missing or f"{name.replace('_', ' ')} unknown"
    if name == "days_registered_before_start" and value < 0:
        return f"registered {-value:.0f} days after the start"
    context = {k: (float("nan") if v is None else v) for k, v in row.items()}
    return feature.template.format(**context, value=value, pct=100.0 * value)
