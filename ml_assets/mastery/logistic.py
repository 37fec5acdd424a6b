"""Logistic knowledge tracing: PFA / "Best-LR" style (Gervet et al. 2020).

P(correct) of a response is a logistic regression on features computed from the same student's
earlier responses only (never the response itself or later ones):

- skill one-hot (the skill's difficulty), and problem one-hot when the file has problem ids;
- per skill, log(1 + prior correct) and log(1 + prior wrong) on that skill, each in a column of
  its own skill (PFA: every skill learns at its own rate);
- shared: log(1 + prior correct / wrong) on this skill, in total over all skills, in the last
  ``window`` attempts on this skill and in the last ``window`` responses overall; log(1 + prior
  attempts at this problem); whether this is the first attempt at the skill.

Features are built with vectorised numpy over the flat sequences (a stable sort by group, a
cumulative sum, and differences), so there is no Python loop per response. Fitting uses
scikit-learn's L2-regularised ``LogisticRegression`` (lbfgs, deterministic); prediction needs only
numpy and scipy (a sparse matrix-vector product).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
from scipy import sparse

from ml_assets.mastery.kt_data import KtSequences

__all__ = ["LogisticKt", "build_features", "fit_logistic"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

# Shared (dense) feature columns, in order.
DENSE_FEATURES: Final = (
    "log_skill_correct",
    "log_skill_wrong",
    "log_total_correct",
    "log_total_wrong",
    "log_recent_skill_correct",
    "log_recent_skill_wrong",
    "log_recent_total_correct",
    "log_recent_total_wrong",
    "log_problem_attempts",
    "first_skill_attempt",
)


@dataclass(frozen=True)
class LogisticKt:
    """A fitted logistic knowledge-tracing model.

    Attributes:
        skills: Sorted skill ids seen in training (the skill columns, in order).
        problems: Sorted problem ids seen in training; None when training had no problem ids.
        coef: One weight per feature column (see :func:`build_features`).
        intercept: The bias.
        window: Length of the recent-history windows.
    """

    skills: IntArray
    problems: IntArray | None
    coef: FloatArray
    intercept: float
    window: int

    def predict(self, seqs: KtSequences) -> FloatArray:
        """P(correct) of every response of ``seqs``, each from the same student's past only.

        Skills and problems not seen in training get no one-hot weight (only the shared
        features speak for them).
        """
        x = build_features(seqs, self.skills, self.problems, window=self.window)
        z = x @ self.coef + self.intercept
        return 1.0 / (1.0 + np.exp(-z))


def fit_logistic(
    train: KtSequences, *, c: float = 1.0, window: int = 5, max_iter: int = 500
) -> LogisticKt:
    """Fit the logistic model on every response of ``train``.

    Args:
        train: Training sequences.
        c: Inverse L2 regularisation strength (scikit-learn's ``C``).
        window: Length of the recent-history windows.
        max_iter: lbfgs iterations at most.

    Raises:
        ValueError: No responses, or only one class of response.
    """
    from sklearn.linear_model import LogisticRegression

    if train.n_responses == 0:
        raise ValueError(f"{train.source}: no responses to fit on")
    y = train.correct.astype(np.int64)
    if y.min() == y.max():
        raise ValueError(f"{train.source}: every response is {'correct' if y[0] else 'wrong'}")
    skills = np.unique(train.skill)
    problems = None if train.problem is None else np.unique(train.problem)
    x = build_features(train, skills, problems, window=window)
    model = LogisticRegression(C=c, solver="lbfgs", max_iter=max_iter, tol=1e-5)
    model.fit(x, y)
    return LogisticKt(
        skills=skills,
        problems=problems,
        coef=model.coef_[0].astype(np.float64),
        intercept=float(model.intercept_[0]),
        window=window,
    )


def build_features(
    seqs: KtSequences, skills: IntArray, problems: IntArray | None, *, window: int = 5
) -> sparse.csr_matrix:
    """The sparse feature matrix, one row per response, from each student's past only.

    Columns: ``len(skills)`` skill one-hots, ``len(skills)`` per-skill log(1 + prior correct),
    ``len(skills)`` per-skill log(1 + prior wrong), the :data:`DENSE_FEATURES`, then
    ``len(problems)`` problem one-hots (none when ``problems`` is None).
    """
    n = seqs.n_responses
    n_skills = skills.size
    student = seqs.student_index
    correct = seqs.correct.astype(np.int64)
    skill_col = _lookup(skills, seqs.skill)  # -1: not seen in training

    skill_key = student * (int(seqs.skill.max(initial=0)) + 1) + seqs.skill
    sc, sn, rsc, rsn = _prior_counts(skill_key, correct, window)
    tc, tn, rtc, rtn = _prior_counts(student, correct, window)
    dense = [
        np.log1p(sc),
        np.log1p(sn - sc),
        np.log1p(tc),
        np.log1p(tn - tc),
        np.log1p(rsc),
        np.log1p(rsn - rsc),
        np.log1p(rtc),
        np.log1p(rtn - rtc),
    ]
    if seqs.problem is not None:
        problem_key = student * (int(seqs.problem.max(initial=0)) + 1) + seqs.problem
        _, pn, _, _ = _prior_counts(problem_key, correct, window)
        dense.append(np.log1p(pn))
    else:
        dense.append(np.zeros(n))
    dense.append((sn == 0).astype(np.float64))

    known = skill_col >= 0
    rows_k = np.flatnonzero(known)
    cols_k = skill_col[known]
    row_parts = [rows_k, rows_k, rows_k]
    col_parts = [cols_k, n_skills + cols_k, 2 * n_skills + cols_k]
    val_parts = [np.ones(rows_k.size), dense[0][known], dense[1][known]]

    base = 3 * n_skills
    for j, values in enumerate(dense):
        row_parts.append(np.arange(n))
        col_parts.append(np.full(n, base + j))
        val_parts.append(values)
    n_cols = base + len(DENSE_FEATURES)

    if problems is not None:
        if seqs.problem is not None:
            problem_col = _lookup(problems, seqs.problem)
            seen = problem_col >= 0
            row_parts.append(np.flatnonzero(seen))
            col_parts.append(n_cols + problem_col[seen])
            val_parts.append(np.ones(int(seen.sum())))
        n_cols += problems.size

    matrix = sparse.csr_matrix(
        (np.concatenate(val_parts), (np.concatenate(row_parts), np.concatenate(col_parts))),
        shape=(n, n_cols),
    )
    matrix.eliminate_zeros()
    return matrix


def _lookup(vocab: IntArray, ids: IntArray) -> IntArray:
    """Column of each id in the sorted ``vocab``; -1 where absent."""
    if vocab.size == 0:
        return np.full(ids.size, -1, dtype=np.int64)
    pos = np.clip(np.searchsorted(vocab, ids), 0, vocab.size - 1)
    return np.where(vocab[pos] == ids, pos, -1).astype(np.int64)


def _prior_counts(
    key: IntArray, correct: IntArray, window: int
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Per response: prior correct and prior attempts in its group (responses sharing ``key``),
    and the same over the group's last ``window`` prior responses.

    Rows are in time order within each student (the file order), so a stable sort by key keeps
    each group's responses in time order; counts are then differences of one cumulative sum.
    """
    n = key.size
    order = np.argsort(key, kind="stable")
    k = key[order]
    idx = np.arange(n)
    new = np.ones(n, dtype=bool)
    new[1:] = k[1:] != k[:-1]
    start = np.maximum.accumulate(np.where(new, idx, 0))
    cum = np.concatenate([[0], np.cumsum(correct[order])])  # correct before sorted row i
    recent_start = np.maximum(start, idx - window)
    out = np.empty((4, n))
    out[0, order] = cum[idx] - cum[start]
    out[1, order] = idx - start
    out[2, order] = cum[idx] - cum[recent_start]
    out[3, order] = idx - recent_start
    return out[0], out[1], out[2], out[3]
