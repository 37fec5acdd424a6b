"""Train every mastery model on a knowledge-tracing split and score it on the test file.

Metric: next-response prediction over **every test response except each student's first** (the
convention of the published DKVMN/AKT reproductions, which score every response after the
first): AUC, and accuracy at threshold 0.5. Every model predicts each response from the same
student's earlier responses only, over the student's whole sequence.

The served model is the one with the best AUC on the validation file (or, without one, on a
seeded 10% of the training students held out from every model's training); the test file never
takes part in any choice.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from ml_assets.mastery.bkt import fit_bkt, roc_auc
from ml_assets.mastery.dkt import fit_dkt
from ml_assets.mastery.kt_data import FORMATS, KtSequences, read_kt
from ml_assets.mastery.logistic import fit_logistic

__all__ = ["MODELS", "evaluate_files", "evaluate_sequences"]

FloatArray = npt.NDArray[np.float64]
Predictor = Callable[[KtSequences], FloatArray]

MODELS = ("bkt", "logistic", "dkt")


def evaluate_files(
    fmt: str, train: Path, test: Path, valid: Path | None, seed: int = 0
) -> dict[str, dict[str, Any]]:
    """Train ``bkt``, ``logistic`` and ``dkt`` on ``train`` and score them on ``test``.

    Args:
        fmt: ``dkvmn`` or ``akt`` (see :mod:`ml_assets.mastery.kt_data`).
        train: Training sequences.
        test: Test sequences (scored only).
        valid: Validation sequences, for DKT's early stopping and for choosing the served
            model; when None, a seeded 10% of the training students serves instead.
        seed: Seeds the held-out split and DKT.

    Returns:
        Per model: ``auc`` and ``accuracy`` (threshold 0.5) on every test response after each
        student's first, ``n_test`` (responses scored), ``train_s`` (seconds to fit) and
        ``served`` (True for exactly one model: the best validation AUC).

    Raises:
        ValueError: Unknown format, unreadable or malformed files, or data the evaluation
            cannot use (no scored responses, one class only, no skill shared with training).
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose from {', '.join(FORMATS)}")
    return evaluate_sequences(
        read_kt(train, fmt),
        read_kt(test, fmt),
        None if valid is None else read_kt(valid, fmt),
        seed=seed,
    )


def evaluate_sequences(
    train: KtSequences,
    test: KtSequences,
    valid: KtSequences | None,
    seed: int = 0,
    models: tuple[str, ...] = MODELS,
) -> dict[str, dict[str, Any]]:
    """:func:`evaluate_files` on sequences already read (``models`` picks a subset)."""
    unknown = sorted(set(models) - set(MODELS))
    if unknown or not models:
        raise ValueError(f"unknown models {unknown}; choose from {', '.join(MODELS)}")
    if valid is None:
        if train.n_students < 10:
            raise ValueError(f"{train.source}: too few students to hold out a validation set")
        perm = np.random.default_rng(seed).permutation(train.n_students)
        n_valid = max(1, train.n_students // 10)
        valid = train.subset(np.sort(perm[:n_valid]))
        train = train.subset(np.sort(perm[n_valid:]))
    _check_usable(train, "train")
    y_valid, valid_mask = _check_usable(valid, "valid")
    y_test, test_mask = _check_usable(test, "test")
    if not np.isin(test.skill, train.skill).any():
        raise ValueError(f"{test.source}: no skill in common with {train.source}")

    results: dict[str, dict[str, Any]] = {}
    valid_auc: dict[str, float] = {}
    for name in models:
        started = time.perf_counter()
        predict = _FITTERS[name](train, valid, seed)
        train_s = time.perf_counter() - started
        valid_auc[name] = roc_auc(y_valid, predict(valid)[valid_mask])
        p = predict(test)[test_mask]
        results[name] = {
            "auc": roc_auc(y_test, p),
            "accuracy": float(np.mean((p >= 0.5) == (y_test == 1))),
            "n_test": int(y_test.size),
            "train_s": round(train_s, 2),
            "valid_auc": valid_auc[name],
            "served": False,
        }
    results[max(valid_auc, key=lambda n: valid_auc[n])]["served"] = True
    return results


def _check_usable(seqs: KtSequences, what: str) -> tuple[npt.NDArray[np.int8], npt.NDArray[Any]]:
    """Labels and mask of the scored responses (all but each student's first)."""
    mask = seqs.position > 0
    y = seqs.correct[mask]
    if y.size == 0:
        raise ValueError(f"{seqs.source}: no {what} student has two responses to score")
    if y.min() == y.max():
        raise ValueError(f"{seqs.source}: every scored {what} response has the same label")
    return y, mask


def _bkt_frame(seqs: KtSequences) -> pl.DataFrame:
    """The BKT input table: student, skill, opportunity (1-based, per student and skill)."""
    frame = pl.DataFrame(
        {"student_id": seqs.student_index, "skill_id": seqs.skill, "is_correct": seqs.correct}
    )
    return frame.with_columns(
        opportunity=pl.int_range(1, pl.len() + 1).over("student_id", "skill_id")
    )


def _fit_bkt(train: KtSequences, valid: KtSequences, seed: int) -> Predictor:
    model = fit_bkt(_bkt_frame(train), seed=seed)
    return lambda seqs: model.predict_sequences(_bkt_frame(seqs))


def _fit_logistic(train: KtSequences, valid: KtSequences, seed: int) -> Predictor:
    with warnings.catch_warnings():
        # lbfgs may stop at max_iter a hair short of its tolerance; the fit is still usable.
        warnings.simplefilter("ignore")
        model = fit_logistic(train)
    return model.predict


def _fit_dkt(train: KtSequences, valid: KtSequences, seed: int) -> Predictor:
    from ml_assets.mastery.dkt import DktConfig

    return fit_dkt(train, valid, DktConfig(seed=seed)).predict


_FITTERS: dict[str, Callable[[KtSequences, KtSequences, int], Predictor]] = {
    "bkt": _fit_bkt,
    "logistic": _fit_logistic,
    "dkt": _fit_dkt,
}
