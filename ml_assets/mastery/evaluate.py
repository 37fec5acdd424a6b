"""Train every mastery model on a knowledge-tracing split and score it on the test file.

Metric: next-response prediction over **every test response except each student's first** (the
convention of the published DKVMN/AKT reproductions, which score every response after the
first): AUC, and accuracy at threshold 0.5. Every model predicts each response from the same
student's earlier responses only, over the student's whole sequence.

The ``stack`` model (:mod:`ml_assets.mastery.stack`) is a logistic regression on the logits of
the others (DKT averaged over ``DKT_SEEDS`` seeds, logistic, BKT) and on how many earlier
responses the student has (in all and on the skill), fitted on the validation predictions only;
its validation AUC is cross-fitted over the validation students.

The served model is the one with the best AUC on the validation file (or, without one, on a
seeded 10% of the training students held out from every model's training); the test file never
takes part in any choice or fit.
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
from ml_assets.mastery.stack import DKT_SEEDS, cross_fitted_auc, fit_stack, member_inputs

__all__ = ["MODELS", "evaluate_files", "evaluate_sequences"]

FloatArray = npt.NDArray[np.float64]
Predictor = Callable[[KtSequences], FloatArray]

MODELS = ("bkt", "logistic", "dkt", "stack")
STACK_MEMBERS = ("bkt", "logistic", "dkt")


def evaluate_files(
    fmt: str, train: Path, test: Path, valid: Path | None, seed: int = 0
) -> dict[str, dict[str, Any]]:
    """Train ``bkt``, ``logistic``, ``dkt`` and ``stack`` on ``train`` and score them on ``test``.

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
        ``served`` (True for exactly one model: the best validation AUC), ``valid_auc``.
        ``stack`` also has ``coef`` (per term of :data:`~ml_assets.mastery.stack.TERMS`),
        ``intercept``, ``dkt_seeds`` and the AUCs of
        the plain DKT seed average (``dkt_mean_auc``, ``dkt_mean_valid_auc``).

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
    """:func:`evaluate_files` on sequences already read (``models`` picks a subset; ``stack``
    fits its members even when they are not asked for, and reports only what was asked)."""
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
    p_valid: dict[str, FloatArray] = {}
    p_test: dict[str, FloatArray] = {}
    fit_s: dict[str, float] = {}
    needed = [n for n in MODELS if n in models or ("stack" in models and n in STACK_MEMBERS)]
    for name in needed:
        if name == "stack":
            results[name] = _evaluate_stack(
                train, valid, test, seed, p_valid, p_test, fit_s, valid_mask, test_mask
            )
            valid_auc[name] = results[name]["valid_auc"]
            continue
        started = time.perf_counter()
        predict = _FITTERS[name](train, valid, seed)
        fit_s[name] = time.perf_counter() - started
        p_valid[name], p_test[name] = predict(valid), predict(test)
        if name not in models:
            continue
        valid_auc[name] = roc_auc(y_valid, p_valid[name][valid_mask])
        results[name] = _scores(y_test, p_test[name][test_mask], fit_s[name], valid_auc[name])
    results[max(valid_auc, key=lambda n: valid_auc[n])]["served"] = True
    return results


def _scores(
    y_test: npt.NDArray[Any], p: FloatArray, train_s: float, valid_auc: float
) -> dict[str, Any]:
    return {
        "auc": roc_auc(y_test, p),
        "accuracy": float(np.mean((p >= 0.5) == (y_test == 1))),
        "n_test": int(y_test.size),
        "train_s": round(train_s, 2),
        "valid_auc": valid_auc,
        "served": False,
    }


def _evaluate_stack(
    train: KtSequences,
    valid: KtSequences,
    test: KtSequences,
    seed: int,
    p_valid: dict[str, FloatArray],
    p_test: dict[str, FloatArray],
    fit_s: dict[str, float],
    valid_mask: npt.NDArray[Any],
    test_mask: npt.NDArray[Any],
) -> dict[str, Any]:
    """The stacked ensemble (:mod:`ml_assets.mastery.stack`) on the members already fitted.

    Trains the extra DKT seeds, fits the stack on the *validation* predictions only, scores it
    on the test file; its ``valid_auc`` is cross-fitted over the validation students. The entry
    also carries the stack's weights (``coef`` per term, ``intercept``), which the served
    model reuses, and the figures of the plain DKT seed average (``dkt_mean_*``).
    """
    from ml_assets.mastery.dkt import DktConfig

    started = time.perf_counter()
    dkt_valid, dkt_test = [p_valid["dkt"]], [p_test["dkt"]]
    for k in range(1, DKT_SEEDS):
        model = fit_dkt(train, valid, DktConfig(seed=seed + k))
        dkt_valid.append(model.predict(valid))
        dkt_test.append(model.predict(test))
    train_s = time.perf_counter() - started
    y_valid, y_test = valid.correct[valid_mask], test.correct[test_mask]

    def design(
        seqs: KtSequences,
        dkts: list[FloatArray],
        preds: dict[str, FloatArray],
        mask: npt.NDArray[Any],
    ) -> FloatArray:
        return member_inputs(
            [p[mask] for p in dkts],
            preds["logistic"][mask],
            preds["bkt"][mask],
            seqs.position[mask],
            seqs.skill_position[mask],
        )

    x_valid = design(valid, dkt_valid, p_valid, valid_mask)
    x_test = design(test, dkt_test, p_test, test_mask)
    stack = fit_stack(x_valid, y_valid)
    valid_auc = cross_fitted_auc(x_valid, y_valid, valid.student_index[valid_mask], seed=seed)
    train_s += sum(fit_s[m] for m in STACK_MEMBERS)
    out = _scores(y_test, stack.predict(x_test), train_s, valid_auc)
    out["coef"] = dict(zip(stack.terms, stack.coef, strict=True))
    out["intercept"] = stack.intercept
    out["dkt_seeds"] = DKT_SEEDS
    out["dkt_mean_valid_auc"] = roc_auc(y_valid, x_valid[:, 0])
    out["dkt_mean_auc"] = roc_auc(y_test, x_test[:, 0])
    return out


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
