"""Evaluate the forum-urgency model against the TF-IDF + ridge baseline.

Input files have the columns of the Penn MOOC urgency data: ``id`` (poster id), ``post_time``
(optional here), ``post_text`` and ``Urgency_1_7`` (a number from 1 to 7). Metrics:

- ``rmse`` and ``spearman`` of the predicted score against the label;
- ``auc`` (ROC) and ``pr_auc`` (average precision) for *urgent* = label >= 5, ranked by the
  predicted score;
- ``f1`` for urgent at the model's stored threshold (chosen on training data only).

The test posts never take part in fitting or in any choice (hyper-parameters, blend weights,
threshold); :func:`cross_validate` splits by poster so no poster is on both sides.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl
from scipy.stats import spearmanr
from sklearn.metrics import average_precision_score, f1_score, roc_auc_score
from sklearn.model_selection import GroupKFold

from ml_assets.forum.urgency import (
    LABEL_MAX,
    LABEL_MIN,
    URGENT_LABEL,
    TfidfRidge,
    UrgencyConfig,
    UrgencyModel,
    best_f1_threshold,
)

__all__ = ["cross_validate", "evaluate_split"]

REQUIRED = ("id", "post_text", "Urgency_1_7")
FloatArray = npt.NDArray[np.float64]


def evaluate_split(train_csv: Path, test_csv: Path, seed: int = 0) -> dict[str, Any]:
    """Train on ``train_csv``, score ``test_csv``.

    Returns:
        ``{"rmse", "spearman", "auc", "pr_auc", "f1", "n_test", "baseline": {same metric
        keys, for TF-IDF + ridge}, "mean_baseline_rmse", "n_train", "threshold",
        "wall_s"}``. ``auc``/``pr_auc`` are None when the test file has only one class.

    Raises:
        ValueError: on missing columns, an empty file, non-numeric labels or labels outside
            1-7.
    """
    started = time.perf_counter()
    train = read_labelled_posts(Path(train_csv))
    test = read_labelled_posts(Path(test_csv))
    texts, y, groups = labelled_columns(train)
    test_texts, test_y, _ = labelled_columns(test)

    model = UrgencyModel(UrgencyConfig(seed=seed))
    model.fit(texts, y, groups)
    pred, probability = model.score_and_probability(test_texts)
    baseline = _require_baseline(model)
    base_threshold = best_f1_threshold(_require(baseline.oof), y)
    base_pred = baseline.predict(test_texts)

    return {
        **_metrics(pred, test_y, model.threshold, probability),
        "n_test": len(test_y),
        "n_train": len(y),
        "threshold": model.threshold,
        "baseline": _metrics(base_pred, test_y, base_threshold),
        "mean_baseline_rmse": _rmse(np.full(len(test_y), y.mean()), test_y),
        "wall_s": round(time.perf_counter() - started, 1),
    }


def cross_validate(csv: Path, folds: int = 10, seed: int = 0) -> dict[str, Any]:
    """Grouped k-fold cross-validation by poster id (``id``) on one labelled file.

    Sentence embeddings are computed once for all posts (they depend on the text only); every
    fitted choice is made inside the training folds.

    Returns:
        ``{"model": pooled metrics, "baseline": pooled metrics (TF-IDF + ridge),
        "mean_baseline_rmse", "per_fold": [{"fold", "n_test", "model": {...}, "baseline":
        {...}, "mean_baseline_rmse", "threshold", "weights"}], "folds", "n", "n_posters",
        "seed", "wall_s"}``. Pooled metrics are computed on all out-of-fold predictions
        together; ``f1`` uses each fold's own threshold.
    """
    started = time.perf_counter()
    posts = read_labelled_posts(Path(csv))
    texts, y, groups = labelled_columns(posts)
    n_groups = len(set(groups))
    if n_groups < folds:
        raise ValueError(f"{csv}: {n_groups} posters, fewer than {folds} folds")
    config = UrgencyConfig(seed=seed)
    embeddings = UrgencyModel(config).embed(texts)

    pred = np.zeros(len(y))
    probability = np.zeros(len(y))
    base_pred = np.zeros(len(y))
    mean_pred = np.zeros(len(y))
    urgent_pred = np.zeros(len(y), dtype=bool)
    base_urgent = np.zeros(len(y), dtype=bool)
    per_fold: list[dict[str, Any]] = []
    splitter = GroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    for k, (train, test) in enumerate(splitter.split(np.zeros(len(y)), groups=groups)):
        train_texts = [texts[i] for i in train]
        test_texts = [texts[i] for i in test]
        train_groups = [groups[i] for i in train]
        model = UrgencyModel(config).fit(train_texts, y[train], train_groups, embeddings[train])
        pred[test], probability[test] = model.score_and_probability(test_texts, embeddings[test])
        urgent_pred[test] = probability[test] >= model.threshold
        baseline = _require_baseline(model)
        base_threshold = best_f1_threshold(_require(baseline.oof), y[train])
        base_pred[test] = baseline.predict(test_texts)
        base_urgent[test] = base_pred[test] >= base_threshold
        mean_pred[test] = y[train].mean()
        per_fold.append(
            {
                "fold": k,
                "n_test": len(test),
                "model": _metrics(pred[test], y[test], model.threshold, probability[test]),
                "baseline": _metrics(base_pred[test], y[test], base_threshold),
                "mean_baseline_rmse": _rmse(mean_pred[test], y[test]),
                "threshold": model.threshold,
                "weights": model.fitted.weights,
                "chosen": {
                    "tfidf_alpha": model.fitted.tfidf_alpha,
                    "svr_c": model.fitted.svr_c,
                    "krr_alpha": model.fitted.krr_alpha,
                    "joint_alpha": model.fitted.joint_alpha,
                    "pool_c": model.fitted.pool_c,
                    "pool_alpha": model.fitted.pool_alpha,
                },
            }
        )

    positive = y >= URGENT_LABEL
    pooled = _metrics(pred, y, None, probability)
    pooled["f1"] = float(f1_score(positive, urgent_pred, zero_division=0))
    base_pooled = _metrics(base_pred, y, None)
    base_pooled["f1"] = float(f1_score(positive, base_urgent, zero_division=0))
    return {
        "model": pooled,
        "baseline": base_pooled,
        "mean_baseline_rmse": _rmse(mean_pred, y),
        "per_fold": per_fold,
        "folds": folds,
        "n": len(y),
        "n_posters": n_groups,
        "seed": seed,
        "wall_s": round(time.perf_counter() - started, 1),
    }


def _require_baseline(model: UrgencyModel) -> TfidfRidge:
    """The model's own TF-IDF + ridge component: fitted exactly as a stand-alone baseline
    would be (same features, alpha chosen by the same grouped inner folds), so reusing it
    saves fitting it twice."""
    if model.tfidf is None:
        raise RuntimeError("the model is not fitted")
    return model.tfidf


def _require(values: FloatArray | None) -> FloatArray:
    if values is None:
        raise RuntimeError("the baseline kept no out-of-fold predictions")
    return values


def _rmse(pred: FloatArray, target: FloatArray) -> float:
    return float(np.sqrt(np.mean((np.asarray(pred) - np.asarray(target)) ** 2)))


def _metrics(
    pred: FloatArray,
    target: FloatArray,
    threshold: float | None,
    urgent_rank: FloatArray | None = None,
) -> dict[str, Any]:
    """rmse and spearman of ``pred``; auc, pr_auc (None with one class) and f1 at ``threshold``
    of ``urgent_rank`` (the model's urgent probability; ``pred`` itself when None)."""
    rank = pred if urgent_rank is None else urgent_rank
    positive = np.asarray(target) >= URGENT_LABEL
    both = 0 < positive.sum() < len(positive)
    rho = spearmanr(pred, target).statistic if len(target) > 1 else float("nan")
    out: dict[str, Any] = {
        "rmse": _rmse(pred, target),
        "spearman": None if np.isnan(rho) else float(rho),
        "auc": float(roc_auc_score(positive, rank)) if both else None,
        "pr_auc": float(average_precision_score(positive, rank)) if both else None,
        "f1": None,
    }
    if threshold is not None:
        out["f1"] = float(f1_score(positive, np.asarray(rank) >= threshold, zero_division=0))
    return out


def labelled_columns(posts: pl.DataFrame) -> tuple[list[str], FloatArray, list[str]]:
    """(texts, urgency labels, poster ids) of a file read by :func:`read_labelled_posts`."""
    return (
        posts["post_text"].to_list(),
        posts["Urgency_1_7"].to_numpy().astype(np.float64),
        posts["id"].to_list(),
    )


def read_labelled_posts(path: Path) -> pl.DataFrame:
    """Read and check a labelled posts file; blank rows are dropped.

    Returns ``id`` (str; a row number when missing), ``post_text`` (str, "" when missing)
    and ``Urgency_1_7`` (float).
    """
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise ValueError(f"{path}: the file is empty")
    try:
        raw = pl.read_csv(path, infer_schema=False)
    except pl.exceptions.NoDataError as exc:
        raise ValueError(f"{path}: the file is empty") from exc
    except pl.exceptions.ComputeError as exc:
        raise ValueError(f"{path}: not a readable CSV file ({exc})") from exc
    missing = [c for c in REQUIRED if c not in raw.columns]
    if missing:
        raise ValueError(
            f"{path}: missing column(s) {', '.join(missing)}; expected {', '.join(REQUIRED)}"
        )
    raw = raw.with_row_index("_row", offset=2)  # 1-based file line of each record (header = 1)
    stripped = [pl.col(c).str.strip_chars().replace("", None) for c in REQUIRED]
    raw = raw.with_columns(stripped).filter(~pl.all_horizontal(pl.col(REQUIRED).is_null()))
    if raw.height == 0:
        raise ValueError(f"{path}: the file has no posts")
    labels = raw["Urgency_1_7"].cast(pl.Float64, strict=False)
    bad = raw.filter(labels.is_null() | labels.is_nan())
    if bad.height:
        rows = ", ".join(str(r) for r in bad["_row"].head(5).to_list())
        raise ValueError(f"{path}: Urgency_1_7 is missing or not numeric in record(s) {rows}")
    outside = raw.filter((labels < LABEL_MIN) | (labels > LABEL_MAX))
    if outside.height:
        rows = ", ".join(str(r) for r in outside["_row"].head(5).to_list())
        raise ValueError(f"{path}: Urgency_1_7 outside 1-7 in record(s) {rows}")
    return raw.select(
        pl.coalesce(pl.col("id"), pl.format("row-{}", pl.col("_row"))).alias("id"),
        pl.col("post_text").fill_null(""),
        labels.alias("Urgency_1_7"),
    )
