"""Bayesian Knowledge Tracing (BKT): the baseline mastery model.

Each skill is a two-state hidden Markov model: the student has mastered the skill or not. Before
the first attempt p(mastered) = ``p_init``; an attempt is answered correctly with probability
``1 - p_slip`` when mastered and ``p_guess`` when not; after each attempt an unmastered student
learns the skill with probability ``p_learn`` (and never forgets).

Fitting maximises the log-likelihood of every student's sequence of attempts, per skill, by a
coarse grid search followed by a pattern search. Both evaluate many parameter sets at once: the
forward recursion runs over numpy arrays of shape (n_parameter_sets, n_sequences), one step per
opportunity. Sequences that share a prefix share its forward state (they are merged into a
prefix tree), so each distinct prefix is computed once.

Input rows are the gold mart ``fct_skill_attempt_sequences``: ``student_id``, ``skill_id``,
``opportunity`` (1-based order of the student's attempts on the skill) and ``is_correct``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from itertools import product
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import polars as pl
import pyarrow as pa

__all__ = [
    "REQUIRED_COLUMNS",
    "BktModel",
    "BktParams",
    "fit_bkt",
    "roc_auc",
    "skill_mastery",
]

REQUIRED_COLUMNS: Final = ("student_id", "skill_id", "opportunity", "is_correct")

FORMAT: Final = "learnsmart.mastery.bkt"
FORMAT_VERSION: Final = 1

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]
BoolArray = npt.NDArray[np.bool_]

_NAMES: Final = ("p_init", "p_learn", "p_guess", "p_slip")

# Search bounds, in _NAMES order. guess and slip stay below 0.5 (the usual identifiability
# constraint: otherwise "mastered" and "not mastered" can swap meaning). The open ends keep every
# likelihood term positive and the logit transform of the pattern search finite.
_LOWER: Final = np.array([1e-3, 1e-4, 1e-3, 1e-3])
_UPPER: Final = np.array([0.999, 0.999, 0.499, 0.499])

# 6 x 5 x 5 x 5 = 750 starting points; spacing about 0.1-0.2, i.e. 0.5-1 in logit units, which
# the pattern search's first step (0.5 logit) bridges.
_GRID_AXES: Final = (
    (0.05, 0.2, 0.4, 0.6, 0.8, 0.95),
    (0.01, 0.05, 0.1, 0.2, 0.4),
    (0.05, 0.15, 0.25, 0.35, 0.45),
    (0.02, 0.1, 0.2, 0.3, 0.4),
)
_FIRST_STEP: Final = 0.5  # logit units
_FINAL_STEP: Final = 0.05  # at most about 0.012 in probability: below sampling error
_MAX_ITERATIONS: Final = 25
# Logits stop at +-6, i.e. within 0.25% of the bound's width (p_guess <= 0.498): an optimum on a
# bound would otherwise draw the search along it, step after step, for vanishing gains.
_LOGIT_LIMIT: Final = 6.0

# The default parameters only serve rare skills; a seeded sample of this many responses pins
# four parameters far more tightly than any one skill's data, at a fraction of the cost.
_POOLED_CAP: Final = 200_000

# Cap on elements per (parameter sets x sequences) array, so one step's working set stays in cache.
_BLOCK_ELEMENTS: Final = 1 << 15


@dataclass(frozen=True)
class BktParams:
    """The four BKT probabilities of one skill.

    Attributes:
        p_init: P(mastered) before the first attempt.
        p_learn: P(unmastered -> mastered) after each attempt.
        p_guess: P(correct | not mastered).
        p_slip: P(wrong | mastered).
    """

    p_init: float
    p_learn: float
    p_guess: float
    p_slip: float

    def __post_init__(self) -> None:
        for name in _NAMES:
            value = float(getattr(self, name))
            if not 0.0 <= value <= 1.0:  # also rejects NaN
                raise ValueError(f"{name} must be a probability in [0, 1], got {value!r}")
            object.__setattr__(self, name, value)

    def predict_correct(self, p_mastery: float) -> float:
        """P(the next attempt is correct) for a student with P(mastered) = ``p_mastery``."""
        _check_probability(p_mastery)
        return p_mastery * (1.0 - self.p_slip) + (1.0 - p_mastery) * self.p_guess

    def update(self, p_mastery: float, correct: bool) -> float:
        """P(mastered) after observing one attempt: Bayes' rule, then the learning transition."""
        p_correct = self.predict_correct(p_mastery)
        if correct:
            evidence, joint = p_correct, p_mastery * (1.0 - self.p_slip)
        else:
            evidence, joint = 1.0 - p_correct, p_mastery * self.p_slip
        # An observation the model deems impossible carries no usable evidence: keep the prior.
        posterior = joint / evidence if evidence > 0.0 else p_mastery
        # Rounding can land a hair outside [0, 1] (e.g. 1.0000000000000002) after long streaks.
        return min(1.0, max(0.0, posterior + (1.0 - posterior) * self.p_learn))

    def as_array(self) -> FloatArray:
        """The parameters as ``[p_init, p_learn, p_guess, p_slip]``."""
        return np.array([self.p_init, self.p_learn, self.p_guess, self.p_slip])


@dataclass
class BktModel:
    """Fitted BKT parameters per skill, plus pooled ``default`` parameters for other skills.

    Attributes:
        skills: Parameters of each skill with enough responses to fit on its own.
        default: Parameters fitted on all skills pooled; used for any other skill.
        fitted_at: When the model was fitted (ISO 8601, UTC).
        n_responses: Number of responses the model was fitted on.
    """

    skills: dict[str, BktParams]
    default: BktParams
    fitted_at: str
    n_responses: int

    def params(self, skill_id: str) -> BktParams:
        """The parameters of ``skill_id``; the default parameters for a skill not fitted."""
        return self.skills.get(skill_id, self.default)

    def mastery_of(self, sequence: Sequence[bool], skill_id: str) -> float:
        """P(mastered) of ``skill_id`` after the attempts ``sequence`` (oldest first)."""
        params = self.params(skill_id)
        p = params.p_init
        for correct in sequence:
            p = params.update(p, bool(correct))
        return p

    def predict_sequences(self, df: pa.Table | pl.DataFrame) -> FloatArray:
        """P(correct) of each row given only the same student's earlier rows on the same skill.

        The result is aligned with the rows of ``df`` (any order; attempts are ordered by
        ``opportunity`` within each student and skill). A student's first attempt gets the
        skill's prior ``predict_correct(p_init)``.
        """
        seqs = _Sequences.build(df)
        predictions, _ = _forward(seqs, self._pair_params(seqs))
        out = np.empty(seqs.n_rows)
        out[seqs.row] = predictions
        return out

    def to_json(self) -> str:
        """Serialise the model (stable key order, so equal models give equal text)."""
        document = {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "fitted_at": self.fitted_at,
            "n_responses": self.n_responses,
            "default": asdict(self.default),
            "skills": {skill: asdict(p) for skill, p in sorted(self.skills.items())},
        }
        return json.dumps(document, sort_keys=True, indent=2)

    @classmethod
    def from_json(cls, text: str) -> BktModel:
        """Load a model written by :meth:`to_json`.

        Raises:
            ValueError: The text is not a BKT model of a supported version.
        """
        try:
            document = json.loads(text)
            if document.get("format") != FORMAT or document.get("version") != FORMAT_VERSION:
                raise ValueError(
                    f"not a {FORMAT} v{FORMAT_VERSION} document: "
                    f"{document.get('format')!r} v{document.get('version')!r}"
                )
            return cls(
                skills={str(k): _params_from(v) for k, v in document["skills"].items()},
                default=_params_from(document["default"]),
                fitted_at=str(document["fitted_at"]),
                n_responses=int(document["n_responses"]),
            )
        except (KeyError, TypeError, AttributeError, json.JSONDecodeError) as exc:
            raise ValueError(f"malformed BKT model: {exc}") from exc

    def _pair_params(self, seqs: _Sequences) -> FloatArray:
        """(n_pairs, 4) parameters of each (student, skill) sequence."""
        if not seqs.skills:
            return np.empty((0, 4))
        table = np.stack([self.params(skill).as_array() for skill in seqs.skills])
        return table[seqs.pair_skill]


def fit_bkt(
    df: pa.Table | pl.DataFrame,
    *,
    min_responses: int = 30,
    seed: int = 0,
    n_threads: int | None = None,
) -> BktModel:
    """Fit BKT parameters per skill by maximum likelihood.

    Args:
        df: One row per attempt, with ``student_id``, ``skill_id``, ``opportunity``
            and ``is_correct`` (other columns are ignored).
        min_responses: Skills with fewer responses get no parameters of their own; they use
            the default parameters, fitted on all skills pooled.
        seed: Seeds the sample of sequences that the default parameters are fitted on when the
            data hold more than 200,000 responses. The result depends only on data and seed.
        n_threads: Skills fitted concurrently (numpy releases the GIL); default: the CPU count.

    Raises:
        ValueError: No responses, missing columns, nulls, or a repeated
            (student_id, skill_id, opportunity).
    """
    seqs = _Sequences.build(df)
    if seqs.n_rows == 0:
        raise ValueError("no responses to fit BKT on")
    skill_rows = np.bincount(seqs.pair_skill, weights=seqs.lengths, minlength=len(seqs.skills))
    own = [i for i, n in enumerate(skill_rows) if n >= min_responses]

    rng = np.random.default_rng(seed)
    pooled = np.arange(seqs.n_pairs)
    if seqs.n_rows > _POOLED_CAP:
        shuffled = rng.permutation(seqs.n_pairs)
        n_taken = int(np.searchsorted(np.cumsum(seqs.lengths[shuffled]), _POOLED_CAP, "right"))
        pooled = np.sort(shuffled[: max(n_taken, 1)])

    tasks = [pooled] + [np.flatnonzero(seqs.pair_skill == i) for i in own]
    workers = n_threads or min(os.cpu_count() or 1, 8)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        fitted = list(pool.map(lambda pairs: _fit_one(_PrefixTree.build(seqs, pairs)), tasks))
    return BktModel(
        skills={seqs.skills[i]: p for i, p in zip(own, fitted[1:], strict=True)},
        default=fitted[0],
        fitted_at=datetime.now(UTC).isoformat(),
        n_responses=seqs.n_rows,
    )


def skill_mastery(model: BktModel, df: pa.Table | pl.DataFrame) -> pa.Table:
    """Current mastery of every (student, skill) in ``df``, after all its observed attempts.

    Returns:
        One row per student and skill, sorted by them: ``student_id``, ``skill_id``,
        ``probability`` (P(mastered)), ``p_correct_next`` (P(next attempt correct)) and
        ``n_responses``.
    """
    seqs = _Sequences.build(df)
    params = model._pair_params(seqs)
    _, mastery = _forward(seqs, params)
    p_correct_next = params[:, 2] + mastery * (1.0 - params[:, 3] - params[:, 2])
    table = pa.table(
        {
            "student_id": pa.array(seqs.pair_student, pa.string()),
            "skill_id": pa.array([seqs.skills[i] for i in seqs.pair_skill], pa.string()),
            "probability": pa.array(mastery, pa.float64()),
            "p_correct_next": pa.array(p_correct_next, pa.float64()),
            "n_responses": pa.array(seqs.lengths, pa.int64()),
        }
    )
    return table.sort_by([("student_id", "ascending"), ("skill_id", "ascending")])


def roc_auc(y_true: npt.ArrayLike, score: npt.ArrayLike) -> float:
    """Area under the ROC curve by the rank (Mann-Whitney U) formula; ties count one half.

    Raises:
        ValueError: Lengths differ, or ``y_true`` lacks positives or negatives.
    """
    y = np.asarray(y_true, dtype=bool).ravel()
    s = np.asarray(score, dtype=np.float64).ravel()
    if y.shape != s.shape:
        raise ValueError(f"{y.size} labels but {s.size} scores")
    n_pos = int(y.sum())
    n_neg = y.size - n_pos
    if n_pos == 0 or n_neg == 0:
        raise ValueError("AUC needs both positive and negative labels")
    order = np.argsort(s, kind="stable")
    sorted_s = s[order]
    # Average 1-based rank of each run of tied scores.
    starts = np.flatnonzero(np.r_[True, sorted_s[1:] != sorted_s[:-1]])
    ends = np.r_[starts[1:], s.size]
    ranks = np.empty(s.size)
    ranks[order] = np.repeat((starts + ends + 1) / 2.0, ends - starts)
    return float((ranks[y].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


# --- data layout ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Sequences:
    """The input as (student, skill) sequences ("pairs"), rows sorted by skill, student, order.

    Pairs are numbered in that sort order, so each skill's pairs are contiguous, and each pair's
    rows are contiguous and in opportunity order.
    """

    n_rows: int
    row: IntArray  # original row index of each sorted row
    correct: BoolArray  # per sorted row
    starts: IntArray  # per pair: first sorted row
    lengths: IntArray  # per pair: number of rows
    pair_skill: IntArray  # per pair: index into skills
    pair_student: list[str]
    skills: list[str]  # sorted

    @property
    def n_pairs(self) -> int:
        """Number of (student, skill) sequences."""
        return self.starts.size

    @classmethod
    def build(cls, df: pa.Table | pl.DataFrame) -> _Sequences:
        """Validate and sort the attempts."""
        frame = df if isinstance(df, pl.DataFrame) else pl.from_arrow(df)
        if not isinstance(frame, pl.DataFrame):
            raise TypeError(f"expected a table, got {type(df).__name__}")
        missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
        if missing:
            raise ValueError(f"missing columns: {missing}")
        frame = frame.select(
            pl.col("student_id").cast(pl.String),
            pl.col("skill_id").cast(pl.String),
            pl.col("opportunity").cast(pl.Int64),
            pl.col("is_correct").cast(pl.Boolean),
        ).with_row_index("row")
        nulls = {c: n for c, n in frame.null_count().row(0, named=True).items() if n}
        if nulls:
            raise ValueError(f"null values in {nulls}")
        frame = frame.sort("skill_id", "student_id", "opportunity")
        same_skill = pl.col("skill_id") == pl.col("skill_id").shift(1)
        same_pair = same_skill & (pl.col("student_id") == pl.col("student_id").shift(1))
        flags = frame.select(
            new_pair=~same_pair.fill_null(False),
            new_skill=~same_skill.fill_null(False),
            repeated=(same_pair & (pl.col("opportunity") == pl.col("opportunity").shift(1)))
            .fill_null(False)
            .any(),
        )
        if frame.height and flags["repeated"][0]:
            raise ValueError("repeated (student_id, skill_id, opportunity)")
        new_pair = flags["new_pair"].to_numpy()
        starts = np.flatnonzero(new_pair)
        skill_of_row = np.cumsum(flags["new_skill"].to_numpy()) - 1
        return cls(
            n_rows=frame.height,
            row=frame["row"].to_numpy().astype(np.intp),
            correct=frame["is_correct"].to_numpy().astype(bool),
            starts=starts,
            lengths=np.diff(np.r_[starts, frame.height]).astype(np.intp),
            pair_skill=skill_of_row[starts].astype(np.intp),
            pair_student=frame["student_id"].gather(starts).to_list(),
            skills=frame["skill_id"].unique(maintain_order=True).to_list(),
        )

    def level_major(self, pairs: IntArray) -> tuple[IntArray, IntArray, IntArray]:
        """Rows of ``pairs`` by opportunity, then by pair length (longest first).

        Returns:
            ``rows``, the sorted-row indices; ``active``, the number of pairs still going at
            each opportunity; ``by_length``, positions in ``pairs`` longest first (the pair
            ranks). Opportunity t's rows are ``rows[sum(active[:t]):][:active[t]]``, and they
            belong to the ``active[t]`` longest pairs, in rank order at every t: so a state
            array indexed by rank needs only its first ``active[t]`` entries, with no padding.
        """
        lengths = self.lengths[pairs]
        by_length = np.argsort(-lengths, kind="stable").astype(np.intp)
        if pairs.size == 0:
            return np.empty(0, np.intp), np.empty(0, np.intp), by_length
        descending = lengths[by_length]
        active = np.searchsorted(-descending, -np.arange(descending[0]), side="left")
        rank_starts = self.starts[pairs][by_length]
        rank = np.repeat(np.arange(pairs.size), descending)
        position = np.arange(rank.size) - np.repeat(np.cumsum(descending) - descending, descending)
        order = np.lexsort((rank, position))
        return (rank_starts[rank] + position)[order], active.astype(np.intp), by_length


@dataclass(frozen=True)
class _Level:
    """One opportunity of a prefix tree: its distinct prefixes, the correct-ending ones first."""

    parent: IntArray  # index of each node's prefix at the previous level
    n_correct: int  # nodes [0, n_correct) end with a correct answer, the rest with a wrong one
    count: FloatArray  # sequences through each node


@dataclass(frozen=True)
class _PrefixTree:
    """Distinct prefixes of a set of sequences, by level; the likelihood's sufficient statistic."""

    levels: list[_Level]

    @classmethod
    def build(cls, seqs: _Sequences, pairs: IntArray) -> _PrefixTree:
        """Merge the sequences of ``pairs`` into a prefix tree."""
        rows, active, _ = seqs.level_major(pairs)
        correct = seqs.correct[rows]
        node = np.zeros(pairs.size, np.intp)  # each pair's node at the current level, by rank
        n_nodes = 1
        levels = []
        offset = 0
        for k in active.tolist():
            # Correct answers sort first, each side by parent.
            key = np.where(correct[offset : offset + k], 0, n_nodes) + node[:k]
            unique, inverse, count = np.unique(key, return_inverse=True, return_counts=True)
            n_correct = int(np.searchsorted(unique, n_nodes))
            levels.append(_Level(unique % n_nodes, n_correct, count.astype(np.float64)))
            node[:k] = inverse
            n_nodes = unique.size
            offset += k
        return cls(levels)

    @property
    def max_width(self) -> int:
        """Largest number of nodes on one level."""
        return max((lv.parent.size for lv in self.levels), default=1)

    def log_likelihood(self, params: FloatArray) -> FloatArray:
        """Log-likelihood of all sequences under each row of ``params`` (n, 4)."""
        block = max(1, _BLOCK_ELEMENTS // self.max_width)
        return np.concatenate(
            [self._log_likelihood(params[i : i + block]) for i in range(0, len(params), block)]
        )

    def _log_likelihood(self, params: FloatArray) -> FloatArray:
        init, learn, guess, slip = (params[:, j : j + 1] for j in range(4))
        spread = 1.0 - slip - guess  # P(correct | mastered) - P(correct | not mastered)
        keep_correct = (1.0 - slip) * (1.0 - learn)
        keep_wrong = slip * (1.0 - learn)
        not_guess = 1.0 - guess
        total = np.zeros(len(params))
        mastery = init
        for level in self.levels:
            prior = mastery[:, level.parent]
            mastery = np.empty_like(prior)
            k = level.n_correct
            for side, lo, hi in ((True, 0, k), (False, k, prior.shape[1])):
                if lo == hi:
                    continue
                p = prior[:, lo:hi]
                if side:
                    evidence = guess + spread * p
                    np.multiply(p, keep_correct, out=mastery[:, lo:hi])
                else:
                    evidence = not_guess - spread * p
                    np.multiply(p, keep_wrong, out=mastery[:, lo:hi])
                mastery[:, lo:hi] /= evidence
                mastery[:, lo:hi] += learn
                total += np.log(evidence) @ level.count[lo:hi]
        return total


# --- fitting ----------------------------------------------------------------------------------


def _fit_one(tree: _PrefixTree) -> BktParams:
    """Grid search, then pattern search in logit space; deterministic."""
    grid = np.array(list(product(*_GRID_AXES)))
    scores = tree.log_likelihood(grid)
    best_u = np.clip(_to_logit(grid[int(np.argmax(scores))]), -_LOGIT_LIMIT, _LOGIT_LIMIT)
    best = float(np.max(scores))
    # All 3^4 - 1 moves of -step, 0 or +step per coordinate, so correlated parameters (p_init
    # against p_guess) can move together; plus 2 and 4 times the last successful move, which
    # speeds the walk along the ridges that such correlations make.
    moves = np.array([m for m in product((-1.0, 0.0, 1.0), repeat=4) if any(m)])
    step = _FIRST_STEP
    last = np.zeros(4)
    for _ in range(_MAX_ITERATIONS):
        offsets = np.vstack([step * moves, 2.0 * last, 4.0 * last])
        candidates = np.clip(best_u + offsets, -_LOGIT_LIMIT, _LOGIT_LIMIT)
        scores = tree.log_likelihood(_from_logit(candidates))
        i = int(np.argmax(scores))
        if scores[i] > best:
            last = candidates[i] - best_u
            best, best_u = float(scores[i]), candidates[i]
        else:
            last = np.zeros(4)
            step /= 2.0
            if step < _FINAL_STEP:
                break
    p = _from_logit(best_u[None, :])[0]
    return BktParams(*(float(v) for v in p))


def _to_logit(p: FloatArray) -> FloatArray:
    x = (p - _LOWER) / (_UPPER - _LOWER)
    return np.log(x / (1.0 - x))


def _from_logit(u: FloatArray) -> FloatArray:
    return _LOWER + (_UPPER - _LOWER) / (1.0 + np.exp(-u))


# --- prediction -------------------------------------------------------------------------------


def _forward(seqs: _Sequences, params: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Run every pair's sequence through BKT with its own parameters.

    Returns:
        P(correct) of each sorted row before its observation, and P(mastered) of each pair
        after its last observation.
    """
    predictions = np.empty(seqs.n_rows)
    rows, active, by_length = seqs.level_major(np.arange(seqs.n_pairs))
    init, learn, guess, slip = (params[by_length, j] for j in range(4))
    mastery = init.copy()
    offset = 0
    for k in active.tolist():
        at = rows[offset : offset + k]
        m = mastery[:k]
        p_correct = guess[:k] + m * (1.0 - slip[:k] - guess[:k])
        predictions[at] = p_correct
        correct = seqs.correct[at]
        evidence = np.where(correct, p_correct, 1.0 - p_correct)
        joint = m * np.where(correct, 1.0 - slip[:k], slip[:k])
        with np.errstate(divide="ignore", invalid="ignore"):
            posterior = np.where(evidence > 0.0, joint / evidence, m)
        mastery[:k] = np.clip(posterior + (1.0 - posterior) * learn[:k], 0.0, 1.0)
        offset += k
    final = np.empty(seqs.n_pairs)
    final[by_length] = mastery
    return predictions, final


# --- helpers ----------------------------------------------------------------------------------


def _check_probability(p: float) -> None:
    if not 0.0 <= p <= 1.0:  # also rejects NaN
        raise ValueError(f"p_mastery must be in [0, 1], got {p!r}")


def _params_from(value: Any) -> BktParams:
    return BktParams(**{name: float(value[name]) for name in _NAMES})
