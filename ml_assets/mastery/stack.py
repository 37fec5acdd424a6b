"""Stacked ensemble of the mastery models: a small logistic regression on their logits.

The stack predicts P(correct) of a response from the logit of each member's prediction for that
response (from the student's past only):

- ``dkt``: the mean logit of several DKT fits that differ only in their seed (``DKT_SEEDS``);
- ``logistic``: the PFA / Best-LR model;
- ``bkt``: BKT;

and from how much of the student it has seen, so that the weights can shift with it (DKT's
recurrent state says more after a long history, the count-based members more on a fresh
skill): ``history`` = log(1 + the student's earlier responses) and ``skill_history`` = log(1 +
their earlier responses on the skill), each on its own and times each member's logit
(:data:`TERMS`).

Its weights are fitted **only on validation predictions**: the members are trained on the
training students, predict the validation students, and the stack learns how much to trust
each of them there. The test file never takes part. The stack's own validation AUC, which
decides whether it is served, is *cross-fitted*: the validation students are split in
``folds`` seeded groups, and each group is scored by a stack fitted on the others, so the stack
is never scored on responses it was fitted on.

The fit is an L2-regularised logistic regression solved by Newton's method in numpy (no random
state: the same inputs give the same weights); prediction is a dot product, numpy only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from ml_assets.mastery.bkt import roc_auc

__all__ = [
    "CONTEXTS",
    "DKT_SEEDS",
    "MEMBERS",
    "TERMS",
    "StackWeights",
    "cross_fitted_auc",
    "cross_fitted_predictions",
    "fit_stack",
    "logit",
    "member_inputs",
]

FloatArray = npt.NDArray[np.float64]

MEMBERS: Final = ("dkt", "logistic", "bkt")
"""The models whose logits the stack combines, in order."""

CONTEXTS: Final = ("history", "skill_history")
"""How much of the student the prediction rests on: log(1 + earlier responses), in all and on
the response's skill."""

TERMS: Final = (*MEMBERS, *CONTEXTS, *(f"{m}*{c}" for c in CONTEXTS for m in MEMBERS))
"""The stack's design columns, in order: the members' logits, the contexts, and every member
logit times every context."""

DKT_SEEDS: Final = 5
"""DKT fits averaged (seeds ``seed``, ``seed + 1``, ...); 5 rather than 3 was chosen on the
validation files of the four published splits (README)."""

_EPS: Final = 1e-6


def logit(p: npt.ArrayLike) -> FloatArray:
    """log(p / (1 - p)), with p clipped to [1e-6, 1 - 1e-6]."""
    q = np.clip(np.asarray(p, dtype=np.float64), _EPS, 1.0 - _EPS)
    return np.log(q) - np.log1p(-q)


def member_inputs(
    dkt: list[FloatArray],
    logistic: FloatArray,
    bkt: FloatArray,
    history: npt.ArrayLike,
    skill_history: npt.ArrayLike,
) -> FloatArray:
    """The stack's design matrix ``(n, len(TERMS))`` from the members' probabilities.

    Args:
        dkt: One probability array per DKT seed (their logits are averaged).
        logistic: Probabilities of the logistic model.
        bkt: Probabilities of BKT.
        history: The student's number of earlier responses, per response.
        skill_history: The student's number of earlier responses on the response's skill.
    """
    if not dkt:
        raise ValueError("the stack needs at least one DKT member")
    logits = np.column_stack(
        [np.mean([logit(p) for p in dkt], axis=0), logit(logistic), logit(bkt)]
    )
    contexts = np.log1p(
        np.column_stack([np.asarray(history, np.float64), np.asarray(skill_history, np.float64)])
    )
    if contexts.shape[0] != logits.shape[0] or np.any(contexts < 0):
        raise ValueError("history counts must be one non-negative count per response")
    crossed = [
        logits[:, m] * contexts[:, c] for c in range(len(CONTEXTS)) for m in range(len(MEMBERS))
    ]
    return np.column_stack([logits, contexts, *crossed])


@dataclass(frozen=True)
class StackWeights:
    """The fitted stack: P = sigmoid(intercept + coef . design[:, terms]).

    Attributes:
        coef: One weight per term, in the order of ``terms``.
        intercept: The bias.
        terms: The design columns the weights apply to: :data:`TERMS`, or :data:`MEMBERS` alone
            for stacks saved before the context terms existed (they still load and predict).
    """

    coef: tuple[float, ...]
    intercept: float
    terms: tuple[str, ...] = TERMS

    def __post_init__(self) -> None:
        if len(self.coef) != len(self.terms):
            raise ValueError(f"{len(self.coef)} weights for {len(self.terms)} terms")
        if self.terms not in (TERMS, MEMBERS):
            raise ValueError(f"unsupported stack terms {self.terms}; expected {TERMS}")

    def predict(self, design: npt.ArrayLike) -> FloatArray:
        """P(correct) from a design matrix of :data:`TERMS` columns (:func:`member_inputs`)."""
        x = np.asarray(design, dtype=np.float64)
        if x.ndim != 2 or x.shape[1] != len(TERMS):
            raise ValueError(f"design of shape {x.shape}; expected (n, {len(TERMS)})")
        x = x[:, [TERMS.index(t) for t in self.terms]]
        z = x @ np.asarray(self.coef, dtype=np.float64) + self.intercept
        return 1.0 / (1.0 + np.exp(-z))

    def to_json(self) -> str:
        """The weights as JSON."""
        return json.dumps(
            {"terms": list(self.terms), "coef": list(self.coef), "intercept": self.intercept}
        )

    @classmethod
    def from_json(cls, text: str) -> StackWeights:
        """Load weights written by :meth:`to_json` (or by the member-only stack before it).

        Raises:
            ValueError: Not stack weights, or terms other than :data:`TERMS` / :data:`MEMBERS`.
        """
        data = json.loads(text)
        try:
            terms = tuple(data["terms"] if "terms" in data else data["members"])
            coef = tuple(float(c) for c in data["coef"])
            intercept = float(data["intercept"])
        except (KeyError, TypeError) as exc:
            raise ValueError(f"not stack weights: {exc}") from exc
        return cls(coef=coef, intercept=intercept, terms=terms)


def fit_stack(
    inputs: npt.ArrayLike, y: npt.ArrayLike, l2: float = 1.0, max_iter: int = 50
) -> StackWeights:
    """L2 logistic regression (penalty ``l2 / 2 * |coef|^2``, intercept free) by Newton's method.

    Args:
        inputs: ``(n, len(TERMS))`` validation design (:func:`member_inputs`).
        y: 0/1 labels of the same responses.
        l2: Penalty strength (as scikit-learn's ``C = 1 / l2`` on the summed log-loss).
        max_iter: Newton steps at most (it converges in well under ten on these inputs).

    Raises:
        ValueError: Shapes differ, or the labels are all one class.
    """
    x = np.asarray(inputs, dtype=np.float64)
    t = np.asarray(y, dtype=np.float64).ravel()
    if x.ndim != 2 or x.shape[0] != t.size:
        raise ValueError(f"inputs {x.shape} do not match {t.size} labels")
    if t.size == 0 or t.min() == t.max():
        raise ValueError("the stack needs both correct and wrong responses to fit")
    design = np.column_stack([np.ones(t.size), x])
    penalty = np.full(design.shape[1], l2)
    penalty[0] = 0.0
    w = np.zeros(design.shape[1])
    mean = float(np.clip(t.mean(), _EPS, 1.0 - _EPS))
    w[0] = np.log(mean / (1.0 - mean))
    for _ in range(max_iter):
        p = 1.0 / (1.0 + np.exp(-(design @ w)))
        grad = design.T @ (p - t) + penalty * w
        hess = (design * (p * (1.0 - p))[:, None]).T @ design + np.diag(penalty + 1e-9)
        step = np.linalg.solve(hess, grad)
        w -= step
        if float(np.max(np.abs(step))) < 1e-10:
            break
    return StackWeights(coef=tuple(float(v) for v in w[1:]), intercept=float(w[0]))


def cross_fitted_predictions(
    inputs: npt.ArrayLike,
    y: npt.ArrayLike,
    groups: npt.ArrayLike,
    seed: int = 0,
    folds: int = 5,
) -> FloatArray:
    """Out-of-fold stack predictions: each group of students is scored by a stack fitted on the
    other groups (groups drawn with ``seed``), so no response is scored by a stack fitted on it.

    Args:
        inputs: ``(n, len(TERMS))`` design.
        y: Labels.
        groups: Student number of each response (all of a student's responses share a fold).
        seed: Seeds the assignment of students to folds.
        folds: Number of folds (fewer when there are fewer students).
    """
    x = np.asarray(inputs, dtype=np.float64)
    t = np.asarray(y).ravel()
    g = np.asarray(groups).ravel()
    students = np.unique(g)
    k = max(2, min(folds, students.size))
    fold_of = np.empty(students.size, dtype=np.int64)
    fold_of[np.random.default_rng(seed).permutation(students.size)] = np.arange(students.size) % k
    fold = fold_of[np.searchsorted(students, g)]
    out = np.empty(t.size)
    for f in range(k):
        held = fold == f
        if not held.any():
            continue
        out[held] = fit_stack(x[~held], t[~held]).predict(x[held])
    return out


def cross_fitted_auc(
    inputs: npt.ArrayLike, y: npt.ArrayLike, groups: npt.ArrayLike, seed: int = 0
) -> float:
    """AUC of :func:`cross_fitted_predictions`."""
    return roc_auc(y, cross_fitted_predictions(inputs, y, groups, seed=seed))
