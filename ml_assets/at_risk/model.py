"""The at-risk model: gradient-boosted trees over the week features, calibrated, with a
capacity-bound threshold and reasons in a teacher's words.

Target: a row is *at risk* when the enrolment did not end in Pass or Distinction (it ended
Withdrawn or Fail), or, while the final result is not known yet, when the student has already
withdrawn: the mart's ``label_at_risk`` (which also counts a class that ended without a
withdrawal as not at risk where the source has no final result). Rows whose outcome is still
unknown are left out of training and of every metric.

One model serves every cut-off: the week is a feature, so early and late weeks share what they
have in common (a student who stops clicking is at risk in week 3 and in week 20) and each week
still gets its own splits where the evidence differs; a model per week would see 1/30 of the rows
each and need 30 calibrations.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import polars as pl
import pyarrow as pa
import xgboost as xgb
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, roc_auc_score
from sklearn.model_selection import StratifiedGroupKFold

from ml_assets.at_risk.features import BY_NAME, FEATURE_NAMES, feature_frame, render, to_matrix

FORMAT_VERSION = 1
MODEL_FILE = "model.json"
META_FILE = "meta.json"
DEFAULT_CAPACITY = 0.15
N_REASONS = 3
BANDS = ("high", "medium", "low")
DEFAULT_PARAMS: dict[str, Any] = {
    "objective": "binary:logistic",
    "eval_metric": "logloss",
    "tree_method": "hist",
    "max_depth": 4,
    "eta": 0.05,
    "subsample": 0.8,
    "colsample_bytree": 0.8,
    "min_child_weight": 5.0,
    "lambda": 1.0,
    # Fixed: results are reproducible for a given thread count. One thread: on a shared
    # 2-core machine OpenMP threads spin against other work (BBB 2013B: 63 s with 2, 10 s with 1).
    "nthread": 1,
}
_P_FLOOR = 1e-4  # isotonic steps can reach 0 or 1; no student is certain either way


def target(frame: pl.DataFrame) -> np.ndarray:
    """1.0 at risk, 0.0 not, NaN unknown, from the mart's label columns: ``label_at_risk``
    where the mart has it (it also counts a class that ended without a withdrawal as not at
    risk where the source has no final result), else derived from ``label_is_pass`` and
    ``label_dropped_out`` as the module doc says."""
    if "label_at_risk" in frame.columns:
        return frame["label_at_risk"].cast(pl.Float64).to_numpy().astype(np.float64)
    is_pass = pl.col("label_is_pass")
    dropped = pl.col("label_dropped_out").fill_null(False)
    expr = (
        pl.when(is_pass.is_not_null())
        .then((~is_pass).cast(pl.Float64))
        .when(dropped)
        .then(pl.lit(1.0))
        .otherwise(pl.lit(None, dtype=pl.Float64))
    )
    return frame.select(expr.alias("y"))["y"].to_numpy().astype(np.float64)


def known(frame: pl.DataFrame) -> pl.DataFrame:
    """The rows of ``frame`` whose outcome is known."""
    return frame.filter(pl.Series(~np.isnan(target(frame))))


@dataclass(frozen=True)
class Calibrator:
    """Maps the booster's margin (log-odds) to a calibrated probability.

    ``isotonic``: a step function through (``x``, ``y``), linear between knots, flat beyond.
    ``platt``: ``1 / (1 + exp(-(a * margin + b)))``.
    """

    kind: Literal["isotonic", "platt"]
    x: tuple[float, ...] = ()
    y: tuple[float, ...] = ()
    a: float = 1.0
    b: float = 0.0

    def apply(self, margin: np.ndarray) -> np.ndarray:
        """Calibrated probabilities of margins."""
        if self.kind == "isotonic":
            p = np.interp(margin, np.asarray(self.x), np.asarray(self.y))
        else:
            p = 1.0 / (1.0 + np.exp(-(self.a * margin + self.b)))
        return np.clip(p, _P_FLOOR, 1.0 - _P_FLOOR)

    def as_dict(self) -> dict[str, Any]:
        """JSON-able form (``from_dict`` reads it back)."""
        return {"kind": self.kind, "x": list(self.x), "y": list(self.y), "a": self.a, "b": self.b}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Calibrator:
        """Inverse of ``as_dict``."""
        return cls(d["kind"], tuple(d["x"]), tuple(d["y"]), float(d["a"]), float(d["b"]))


def fit_calibrator(margin: np.ndarray, y: np.ndarray, kind: str) -> Calibrator:
    """Isotonic or Platt calibration of margins against 0/1 outcomes."""
    if kind == "isotonic":
        iso = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0).fit(margin, y)
        return Calibrator(
            "isotonic",
            tuple(float(v) for v in iso.X_thresholds_),
            tuple(float(v) for v in iso.y_thresholds_),
        )
    if kind == "platt":
        lr = LogisticRegression(C=1e6, max_iter=1000).fit(margin.reshape(-1, 1), y)
        return Calibrator("platt", a=float(lr.coef_[0, 0]), b=float(lr.intercept_[0]))
    raise ValueError(f"calibration must be isotonic, platt or auto, not {kind!r}")


def reliability_bins(y: np.ndarray, p: np.ndarray, n_bins: int = 10) -> list[dict[str, float]]:
    """Equal-width probability bins: count, mean predicted probability, observed rate."""
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    idx = np.clip(np.digitize(p, edges[1:-1]), 0, n_bins - 1)
    out = []
    for b in range(n_bins):
        sel = idx == b
        if sel.any():
            out.append(
                {
                    "lo": float(edges[b]),
                    "hi": float(edges[b + 1]),
                    "n": int(sel.sum()),
                    "mean_predicted": float(p[sel].mean()),
                    "observed": float(y[sel].mean()),
                }
            )
    return out


def safe_auc(y: np.ndarray, score: np.ndarray) -> float:
    """ROC AUC, NaN where only one class is present."""
    if len(np.unique(y)) < 2:
        return float("nan")
    return float(roc_auc_score(y, score))


def precision_recall_f1(y: np.ndarray, flagged: np.ndarray) -> dict[str, float]:
    """Precision, recall and F1 of boolean flags against 0/1 outcomes (0 where undefined)."""
    tp = int((flagged & (y == 1)).sum())
    n_flagged = int(flagged.sum())
    positives = int((y == 1).sum())
    precision = tp / n_flagged if n_flagged else 0.0
    recall = tp / positives if positives else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


def metrics(
    y: np.ndarray, p: np.ndarray, flagged: np.ndarray, threshold: float | None = None
) -> dict[str, Any]:
    """AUC, Brier, reliability bins and precision/recall/F1 of the flags, on known outcomes;
    with ``threshold``, also the figures of flagging every row at or above it (no capacity)."""
    out: dict[str, Any] = {
        "n": len(y),
        "positives": int((y == 1).sum()),
        "flagged": int(flagged.sum()),
        "auc": safe_auc(y, p),
        "brier": float(brier_score_loss(y, p)) if len(y) else float("nan"),
        **precision_recall_f1(y, flagged),
        "reliability": reliability_bins(y, p),
    }
    if threshold is not None:
        uncapped = precision_recall_f1(y, p >= threshold)
        out.update({f"{k}_no_capacity": v for k, v in uncapped.items()})
    return out


@dataclass
class AtRiskModel:
    """A trained at-risk model (see ``train``).

    Attributes:
        booster: the XGBoost model (margin = log-odds of at risk).
        calibrator: margin -> calibrated probability (fitted on out-of-fold margins).
        threshold: calibrated probability from which a student may be flagged (band ``high``).
        medium_threshold: calibrated probability from which a student is ``medium``.
        capacity: at most this share of each class-week is flagged ``high`` (at least one
            student); None for no limit.
        features: the input columns, in the booster's order.
        n_rounds: boosting rounds (median best round of the grouped cross-validation).
        params: XGBoost parameters.
        seed: the seed of folds and subsampling.
        cv: cross-validated figures on the training rows (AUC, Brier before and after
            calibration, reliability bins, the threshold policy).
    """

    booster: xgb.Booster
    calibrator: Calibrator
    threshold: float
    medium_threshold: float
    capacity: float | None
    features: tuple[str, ...] = FEATURE_NAMES
    n_rounds: int = 0
    params: dict[str, Any] = field(default_factory=dict)
    seed: int = 0
    cv: dict[str, Any] = field(default_factory=dict)

    def margin(self, frame: pl.DataFrame) -> np.ndarray:
        """The booster's raw log-odds for each row of a mart frame."""
        return self.booster.predict(_dmatrix(frame, self.features), output_margin=True)

    def predict_proba(self, frame: pl.DataFrame) -> np.ndarray:
        """Calibrated probability of at risk for each row of a mart frame."""
        return self.calibrator.apply(self.margin(frame))

    def contributions(self, frame: pl.DataFrame) -> np.ndarray:
        """Per-feature contributions to the margin (SHAP values from XGBoost's trees), one column
        per feature in ``features`` order, the bias term dropped."""
        c = self.booster.predict(_dmatrix(frame, self.features), pred_contribs=True)
        return np.asarray(c)[:, : len(self.features)]

    def bands(self, frame: pl.DataFrame, p: np.ndarray) -> np.ndarray:
        """``high``/``medium``/``low`` per row: ``high`` needs ``p >= threshold`` and a rank within
        the class-week's capacity; above-threshold rows beyond capacity are ``medium``."""
        ranked = frame.select("class_id", "week", "student_id").with_columns(
            p=pl.Series(p), i=pl.int_range(pl.len())
        )
        ranked = ranked.sort(
            ["class_id", "week", "p", "student_id"], descending=[False, False, True, False]
        )
        ranked = ranked.with_columns(
            rank=pl.int_range(1, pl.len() + 1).over("class_id", "week"),
            size=pl.len().over("class_id", "week"),
        ).sort("i")
        rank = ranked["rank"].to_numpy()
        size = ranked["size"].to_numpy()
        within = (
            np.ones(len(p), dtype=bool)
            if self.capacity is None
            else rank <= np.maximum(1, np.floor(self.capacity * size + 1e-9))
        )
        high = (p >= self.threshold) & within
        medium = ~high & (p >= self.medium_threshold)
        return np.where(high, "high", np.where(medium, "medium", "low"))

    def reasons(self, frame: pl.DataFrame, rows: np.ndarray | None = None) -> list[list[str]]:
        """For each row (or the selected ``rows``): up to three features that push this
        student's risk up the most, by the model's own contributions, in a teacher's words.
        Context features (week, content or assessments released) are never reasons."""
        sub = frame if rows is None else frame.filter(pl.Series(rows))
        if sub.height == 0:
            return []
        contrib = self.contributions(sub)
        values = feature_frame(sub).to_dicts()
        return [
            [render(self.features[j], values[i]) for j in top_reasons(contrib[i], self.features)]
            for i in range(sub.height)
        ]

    def score(self, frame: pl.DataFrame) -> pa.Table:
        """One row per input row: student_id, class_id, week, as_of (the cut-off date),
        probability (calibrated), band, reasons (for ``high`` and ``medium`` rows; empty for
        ``low``)."""
        p = self.predict_proba(frame)
        band = self.bands(frame, p)
        explain = band != "low"
        per_row: list[list[str]] = [[] for _ in range(frame.height)]
        for i, r in zip(np.flatnonzero(explain), self.reasons(frame, explain), strict=True):
            per_row[i] = r
        out = frame.select(
            "student_id", "class_id", pl.col("week").cast(pl.Int64), pl.col("cutoff_date")
        ).rename({"cutoff_date": "as_of"})
        out = out.with_columns(
            probability=pl.Series(p, dtype=pl.Float64),
            band=pl.Series(band, dtype=pl.String),
            reasons=pl.Series(per_row, dtype=pl.List(pl.String)),
        )
        return out.to_arrow()

    def save(self, folder: Path) -> None:
        """Write ``model.json`` (XGBoost) and ``meta.json`` (calibration, threshold, features)."""
        folder.mkdir(parents=True, exist_ok=True)
        self.booster.save_model(str(folder / MODEL_FILE))
        meta = {
            "format_version": FORMAT_VERSION,
            "features": list(self.features),
            "calibration": self.calibrator.as_dict(),
            "threshold": self.threshold,
            "medium_threshold": self.medium_threshold,
            "capacity": self.capacity,
            "n_rounds": self.n_rounds,
            "params": self.params,
            "seed": self.seed,
            "cv": self.cv,
        }
        tmp = folder / (META_FILE + ".tmp")
        tmp.write_text(json.dumps(meta, indent=2, default=_json_default))
        tmp.replace(folder / META_FILE)

    @classmethod
    def load(cls, folder: Path) -> AtRiskModel:
        """Read a model written by ``save``."""
        meta = json.loads((folder / META_FILE).read_text())
        if meta.get("format_version") != FORMAT_VERSION:
            raise ValueError(
                f"{folder}: unsupported at-risk model format {meta.get('format_version')}"
            )
        unknown = [f for f in meta["features"] if f not in BY_NAME]
        if unknown:
            raise ValueError(f"{folder}: model uses unknown feature(s) {unknown}")
        booster = xgb.Booster()
        booster.load_model(str(folder / MODEL_FILE))
        return cls(
            booster=booster,
            calibrator=Calibrator.from_dict(meta["calibration"]),
            threshold=float(meta["threshold"]),
            medium_threshold=float(meta["medium_threshold"]),
            capacity=meta["capacity"],
            features=tuple(meta["features"]),
            n_rounds=int(meta["n_rounds"]),
            params=meta["params"],
            seed=int(meta["seed"]),
            cv=meta["cv"],
        )


def top_reasons(contrib: np.ndarray, features: tuple[str, ...]) -> list[int]:
    """Indexes of the (at most three) explaining features with the largest positive
    contribution, largest first, one per reason group (a weighted and an unweighted average
    score are one reason, said once)."""
    picked: list[int] = []
    groups: set[str] = set()
    for j in np.argsort(-contrib, kind="stable"):
        f = BY_NAME[features[j]]
        if contrib[j] <= 0 or len(picked) == N_REASONS:
            break
        if f.explains and f.group not in groups:
            picked.append(int(j))
            groups.add(f.group)
    return picked


def _dmatrix(frame: pl.DataFrame, features: tuple[str, ...]) -> xgb.DMatrix:
    x = to_matrix(frame)
    if features != FEATURE_NAMES:
        x = x[:, [FEATURE_NAMES.index(f) for f in features]]
    return xgb.DMatrix(x, feature_names=list(features), missing=np.nan, nthread=1)


def _json_default(o: object) -> object:
    if isinstance(o, np.generic):
        return o.item()
    raise TypeError(f"not JSON-able: {type(o)}")


def train(
    frame: pl.DataFrame,
    seed: int = 0,
    *,
    capacity: float | None = DEFAULT_CAPACITY,
    min_precision: float | None = None,
    calibration: Literal["isotonic", "platt", "auto"] = "auto",
    n_folds: int = 5,
    max_rounds: int = 1000,
    early_stopping_rounds: int = 50,
    params: dict[str, Any] | None = None,
) -> AtRiskModel:
    """Train the at-risk model on a mart frame (rows with an unknown outcome are dropped).

    Grouped cross-validation (``n_folds`` folds of students, so one student's weeks are never
    split across folds) picks the number of boosting rounds (median early-stopping round) and
    gives out-of-fold margins; the calibrator is fitted on those, and the final booster is
    trained on every row. ``calibration="auto"`` is isotonic from 1000 training rows on, Platt
    below (isotonic steps overfit small samples).

    Flag policy (band ``high``): the students of a class-week ranked by probability, the top
    ``capacity`` share of them (15%, at least one: what a teacher can follow up each week)
    among those at or above ``threshold``. The threshold is a floor, so a class with few
    students at risk does not fill its quota with safe ones: by default the calibrated
    probability that maximises the out-of-fold F1 of the training rows, or with
    ``min_precision`` the lowest probability whose out-of-fold precision reaches that target.
    ``medium``: not ``high`` but at or above the lower of the threshold and the training rate of
    at-risk rows (above threshold but beyond capacity, or above the average risk).
    """
    if capacity is not None and not 0 < capacity <= 1:
        raise ValueError(f"capacity must be in (0, 1], not {capacity}")
    # Same data, same model: the mart's row order is not stable from one build to the next.
    rows = known(frame).sort("class_id", "student_id", "week")
    y = target(rows)
    if rows.height < 20 or len(np.unique(y)) < 2:
        raise ValueError(
            f"need at least 20 rows with a known outcome and both outcomes; got {rows.height}"
        )
    students = rows["student_id"].to_numpy()
    n_students = len(np.unique(students))
    k = min(n_folds, n_students)
    if k < 2:
        raise ValueError("need at least two students to cross-validate")
    full = {**DEFAULT_PARAMS, **(params or {}), "seed": seed}
    x = to_matrix(rows)
    folds = list(
        StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=seed).split(x, y, students)
    )
    oof = np.zeros(len(y))
    fold_of = np.zeros(len(y), dtype=int)
    best_rounds = []
    for f, (tr, va) in enumerate(folds):
        dtr = xgb.DMatrix(x[tr], label=y[tr], feature_names=list(FEATURE_NAMES), nthread=1)
        dva = xgb.DMatrix(x[va], label=y[va], feature_names=list(FEATURE_NAMES), nthread=1)
        b = xgb.train(
            full,
            dtr,
            num_boost_round=max_rounds,
            evals=[(dva, "valid")],
            early_stopping_rounds=early_stopping_rounds,
            verbose_eval=False,
        )
        best = int(b.best_iteration) + 1
        best_rounds.append(best)
        oof[va] = b.predict(dva, output_margin=True, iteration_range=(0, best))
        fold_of[va] = f
    n_rounds = int(np.median(best_rounds))
    dall = xgb.DMatrix(x, label=y, feature_names=list(FEATURE_NAMES), nthread=1)
    booster = xgb.train(full, dall, num_boost_round=n_rounds, verbose_eval=False)

    kind = ("isotonic" if len(y) >= 1000 else "platt") if calibration == "auto" else calibration
    calibrator = fit_calibrator(oof, y, kind)
    # Honest held-out calibration figures: each fold calibrated by the other folds only.
    held_out = np.zeros(len(y))
    for f in range(k):
        sel = fold_of == f
        held_out[sel] = fit_calibrator(oof[~sel], y[~sel], kind).apply(oof[sel])
    uncalibrated = 1.0 / (1.0 + np.exp(-oof))
    oof_p = calibrator.apply(oof)

    if min_precision is not None:
        threshold = _precision_threshold(y, oof_p, min_precision)
        policy = f"lowest probability with out-of-fold precision >= {min_precision}"
    else:
        threshold = _f1_threshold(y, oof_p)
        policy = "probability maximising the out-of-fold F1"
    if capacity is not None:
        policy += f"; at most the top {capacity:.0%} of each class-week"
    prevalence = float(y.mean())
    cv = {
        "n_rows": len(y),
        "n_students": n_students,
        "positives": int(y.sum()),
        "folds": k,
        "best_rounds": best_rounds,
        "auc": safe_auc(y, oof),
        "brier_uncalibrated": float(brier_score_loss(y, uncalibrated)),
        "brier_calibrated": float(brier_score_loss(y, held_out)),
        "reliability_uncalibrated": reliability_bins(y, uncalibrated),
        "reliability_calibrated": reliability_bins(y, held_out),
        "calibration": kind,
        "threshold_policy": policy,
        "capacity": capacity,
        "prevalence": prevalence,
    }
    return AtRiskModel(
        booster=booster,
        calibrator=calibrator,
        threshold=threshold,
        medium_threshold=min(prevalence, threshold),
        capacity=capacity,
        n_rounds=n_rounds,
        params=full,
        seed=seed,
        cv=cv,
    )


def _f1_threshold(y: np.ndarray, p: np.ndarray) -> float:
    order = np.argsort(-p, kind="stable")
    ps = p[order]
    tp = np.cumsum(y[order])
    n = np.arange(1, len(y) + 1)
    f1 = 2 * tp / (n + y.sum())
    last = np.r_[ps[1:] != ps[:-1], True]  # only cut between distinct probabilities
    best = int(np.argmax(np.where(last, f1, -1.0)))
    return float(ps[best])


def _precision_threshold(y: np.ndarray, p: np.ndarray, target_precision: float) -> float:
    order = np.argsort(-p, kind="stable")
    tp = np.cumsum(y[order])
    precision = tp / np.arange(1, len(y) + 1)
    ok = np.flatnonzero(precision >= target_precision)
    if len(ok) == 0:
        return float(p.max()) + 1e-9  # nobody reaches the target: flag no one
    return float(p[order][ok[-1]])


def report(model: AtRiskModel, frame: pl.DataFrame) -> dict[str, Any]:
    """AUC, Brier, reliability bins and F1/precision/recall of the ``high`` flags (threshold
    and capacity) on the rows of ``frame`` with a known outcome."""
    rows = known(frame)
    y = target(rows)
    scored = model.score(rows)
    p = np.asarray(scored.column("probability"))
    flagged = np.asarray(scored.column("band")) == "high"
    out = metrics(y, p, flagged, model.threshold)
    out["threshold"] = model.threshold
    out["capacity"] = model.capacity
    return out


def nan_to_none(obj: Any) -> Any:
    """``obj`` with every NaN float replaced by None (JSON has no NaN)."""
    if isinstance(obj, float) and math.isnan(obj):
        return None
    if isinstance(obj, dict):
        return {k: nan_to_none(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [nan_to_none(v) for v in obj]
    return obj
