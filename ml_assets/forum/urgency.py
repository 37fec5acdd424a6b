"""Urgency of a forum post on the 1-7 scale: does it need an instructor's reply?

Two models, trained on labelled posts (the Penn MOOC coding scheme of Švábenský et al.,
EDM 2023: 1 = no reason to read, 7 = extremely urgent, instructor must reply):

- :class:`TfidfRidge`, the baseline: TF-IDF of word 1-2 grams and character 2-5 grams
  (within word boundaries), ridge regression. Its ridge strength is picked by grouped inner
  cross-validation on the training data (vocabulary and idf fitted once on all training texts).
- :class:`UrgencyModel`, the served model: a stack of the TF-IDF ridge, two regressors on
  all-MiniLM-L6-v2 sentence embeddings (an RBF support-vector regressor and an RBF kernel
  ridge), a ridge on both feature sets side by side ("joint") and, with the default encoder, a
  ridge on four more poolings of MiniLM over the whole post ("pooled", below). Each base model's
  hyper-parameters and the non-negative blend weights are chosen on out-of-fold predictions of
  grouped inner folds of the **training** data only; the base models are then refitted on all
  of it. Predictions are clipped to [1, 7].

A post is *urgent* when its label is >= 5 (:data:`URGENT_LABEL`). Ranking posts for urgency is
its own task: a regression fitted to the whole 1-7 scale spends its capacity on the common
low labels, so the model also trains a class-balanced logistic regression for "label >= 5" on
the joint features, and combines its log-odds with the blended score through a two-input
logistic regression fitted on the inner out-of-fold values of both
(:meth:`UrgencyModel.urgent_probability`). With the default encoder a second class-balanced
logistic regression reads four more poolings of MiniLM's token states over the whole post
(:func:`ml_assets.text.embed.embed_pools`: windows of 256 word pieces, so long posts count
whole) and its log-odds are a third input of that stack; the same poolings, standardised, feed
the "pooled" ridge regressor of the blend. :meth:`UrgencyModel.is_urgent`
compares that
probability with the threshold that maximised F1 on the same out-of-fold values.

Saved models are a folder: ``model.json`` (configuration, chosen hyper-parameters, blend,
threshold) and one joblib file per fitted scikit-learn estimator (no pickled lambdas).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import numpy.typing as npt
from scipy.optimize import nnls
from scipy.sparse import csr_matrix, hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.kernel_ridge import KernelRidge
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import GroupKFold
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVR

__all__ = [
    "LABEL_MAX",
    "LABEL_MIN",
    "URGENT_LABEL",
    "TfidfRidge",
    "UrgencyConfig",
    "UrgencyModel",
    "best_f1_threshold",
]

FloatArray = npt.NDArray[np.float64]
Embedder = Callable[[list[str]], npt.NDArray[np.float32]]

LABEL_MIN = 1.0
LABEL_MAX = 7.0
URGENT_LABEL = 5.0
FORMAT_VERSION = 4
#: Versions :meth:`UrgencyModel.load` reads (2: without the pooled-features classifier; 3:
#: without the pooled-features regressor). An older reader refuses version 4, whose blend has
#: a base it does not know.
READABLE_VERSIONS = (2, 3, 4)


def _tfidf_features() -> FeatureUnion:
    """Word 1-2 grams and character 2-5 grams, both sublinear TF-IDF."""
    return FeatureUnion(
        [
            (
                "word",
                TfidfVectorizer(
                    ngram_range=(1, 2),
                    min_df=2,
                    sublinear_tf=True,
                    strip_accents="unicode",
                    lowercase=True,
                ),
            ),
            (
                "char",
                TfidfVectorizer(
                    analyzer="char_wb",
                    ngram_range=(2, 5),
                    min_df=2,
                    sublinear_tf=True,
                    lowercase=True,
                    max_features=200_000,
                ),
            ),
        ]
    )


def _clip(values: FloatArray) -> FloatArray:
    return np.clip(values, LABEL_MIN, LABEL_MAX)


def _inner_folds(
    groups: Sequence[Any] | None, n: int, folds: int, seed: int
) -> list[tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]]:
    """Grouped folds over ``n`` training rows (each row its own group when ``groups`` is None)."""
    keys = np.arange(n) if groups is None else np.asarray([str(g) for g in groups])
    folds = max(2, min(folds, len(np.unique(keys))))
    splitter = GroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    return list(splitter.split(np.zeros(n), groups=keys))


def best_f1_threshold(scores: FloatArray, labels: FloatArray) -> float:
    """The score threshold (``score >= t`` means urgent) that maximises F1 for label >= 5.

    Ties go to the highest threshold; without any urgent label the threshold is 5.
    """
    positive = np.asarray(labels) >= URGENT_LABEL
    if not positive.any():
        return URGENT_LABEL
    order = np.argsort(-np.asarray(scores), kind="stable")
    sorted_scores = np.asarray(scores)[order]
    hits = np.cumsum(positive[order])
    predicted = np.arange(1, len(order) + 1)
    f1 = 2 * hits / (predicted + positive.sum())
    # Only cut between distinct scores: every row with the same score gets the same decision.
    last_of_value = np.r_[sorted_scores[1:] != sorted_scores[:-1], True]
    f1 = np.where(last_of_value, f1, -1.0)
    best = int(np.argmax(f1))
    return float(sorted_scores[best])


class TfidfRidge:
    """Baseline: TF-IDF (word 1-2 grams + char 2-5 grams) and ridge regression.

    ``alpha`` None picks the ridge strength from :attr:`ALPHAS` by grouped inner
    cross-validation on the training data.
    """

    ALPHAS: tuple[float, ...] = (0.3, 1.0, 3.0)

    def __init__(self, alpha: float | None = None, inner_folds: int = 5, seed: int = 0) -> None:
        self.alpha = alpha
        self.inner_folds = inner_folds
        self.seed = seed
        self.pipeline: Pipeline | None = None
        self.oof: FloatArray | None = None
        # The training texts' TF-IDF matrix, kept after fit for UrgencyModel's joint features
        # (it costs a second pass of the char analyser to recompute); never saved.
        self.train_matrix: Any = None

    def fit(
        self, texts: Sequence[str], y: Sequence[float], groups: Sequence[Any] | None = None
    ) -> TfidfRidge:
        """Fit on ``texts`` and labels ``y``; when choosing alpha, keep out-of-fold predictions
        of the chosen alpha in :attr:`oof` (used by :class:`UrgencyModel`'s blend)."""
        docs = list(texts)
        target = np.asarray(y, dtype=np.float64)
        features = _tfidf_features()
        # The vocabulary and idf are fitted once on all training texts (no labels) and shared by
        # the inner folds: refitting them per inner fold costs 5x the time (the char analyser is
        # the slow part) for a negligible difference; labels never cross an inner fold.
        x = features.fit_transform(docs)
        if self.alpha is None:
            alphas = self.ALPHAS
            preds = np.zeros((len(alphas), len(docs)))
            for train, test in _inner_folds(groups, len(docs), self.inner_folds, self.seed):
                for k, alpha in enumerate(alphas):
                    ridge = Ridge(alpha=alpha).fit(x[train], target[train])
                    preds[k, test] = ridge.predict(x[test])
            errors = [_rmse(_clip(p), target) for p in preds]
            best = int(np.argmin(errors))
            self.alpha = alphas[best]
            self.oof = _clip(preds[best])
        ridge = Ridge(alpha=self.alpha).fit(x, target)
        self.pipeline = Pipeline([("features", features), ("ridge", ridge)])
        self.train_matrix = x
        return self

    def features(self, texts: Sequence[str]) -> Any:
        """The fitted TF-IDF features of ``texts`` (a sparse matrix)."""
        if self.pipeline is None:
            raise RuntimeError("TfidfRidge is not fitted")
        return self.pipeline.named_steps["features"].transform(list(texts))

    def predict(self, texts: Sequence[str]) -> FloatArray:
        """Predicted urgency, clipped to [1, 7]."""
        return self.predict_features(self.features(texts))

    def predict_features(self, x: Any) -> FloatArray:
        """Predicted urgency from :meth:`features`, clipped to [1, 7]."""
        if self.pipeline is None:
            raise RuntimeError("TfidfRidge is not fitted")
        ridge = self.pipeline.named_steps["ridge"]
        return _clip(np.asarray(ridge.predict(x), dtype=np.float64))


def _rmse(pred: FloatArray, target: FloatArray) -> float:
    return float(np.sqrt(np.mean((pred - target) ** 2)))


@dataclass
class UrgencyConfig:
    """Search space and settings of :class:`UrgencyModel` (stored with a saved model)."""

    inner_folds: int = 5
    svr_c: tuple[float, ...] = (0.5, 1.0, 2.0, 4.0)
    svr_epsilon: float = 0.2
    krr_alpha: tuple[float, ...] = (0.1, 0.3, 1.0)
    krr_gamma: float = 1.0
    tfidf_alpha: tuple[float, ...] = TfidfRidge.ALPHAS
    joint_alpha: tuple[float, ...] = (0.3, 1.0, 3.0)
    # Inverse regularisation of the urgent classifier: set once, not searched (a grid would
    # cost 5 more sparse fits per value for a ranking metric that moves little with it).
    urgent_c: float = 3.0
    # Inverse regularisation grid of the urgent classifier on the extra poolings (chosen by
    # inner-fold ROC-AUC); empty: no such classifier.
    pool_c: tuple[float, ...] = (0.003, 0.01)
    # Ridge grid of a fifth base regressor on the extra poolings (standardised; chosen by
    # inner-fold RMSE); empty: no such regressor.
    pool_alpha: tuple[float, ...] = (100.0, 300.0, 1000.0, 3000.0, 10000.0, 30000.0)
    long_texts: str = "truncate"
    # Width of the sentence embedding at the start of each feature row; columns after it are
    # the extra poolings read by the pooled-features classifier.
    embedding_dim: int = 384
    seed: int = 0


@dataclass
class _Fitted:
    """What :meth:`UrgencyModel.fit` chose (saved as JSON)."""

    tfidf_alpha: float = 1.0
    svr_c: float = 1.0
    krr_alpha: float = 1.0
    joint_alpha: float = 1.0
    pool_c: float = 0.0
    pool_alpha: float = 0.0
    weights: dict[str, float] = field(default_factory=dict)
    intercept: float = 0.0
    threshold: float = 0.5
    score_threshold: float = URGENT_LABEL
    inner_rmse: dict[str, float] = field(default_factory=dict)
    inner_auc: dict[str, float] = field(default_factory=dict)
    n_train: int = 0


class UrgencyModel:
    """Stacked urgency regressor (TF-IDF ridge, SVR and kernel ridge on MiniLM embeddings, ridge
    on both, ridge on pooled token states) and urgent classifiers (joint features; pooled token
    states) stacked on it.

    Args:
        config: Search space; defaults to :class:`UrgencyConfig`.
        embedder: Maps texts to feature rows: a unit-length sentence embedding
            (``config.embedding_dim`` wide), optionally followed by more columns for the
            pooled-features classifier. Defaults to :func:`ml_assets.text.embed.embed_pools`
            (or :func:`ml_assets.text.embed.embed` where the model uses no extra poolings).
            Not saved: a loaded model uses the default unless given one.
    """

    #: The base regressors every model blends; "pooled" joins them when the feature rows carry
    #: the extra poolings and ``config.pool_alpha`` is not empty.
    BASES = ("tfidf", "svr", "krr", "joint")

    def __init__(self, config: UrgencyConfig | None = None, embedder: Embedder | None = None):
        self.config = config or UrgencyConfig()
        self._embedder = embedder
        self.fitted = _Fitted()
        self.tfidf: TfidfRidge | None = None
        self.svr: SVR | None = None
        self.krr: KernelRidge | None = None
        self.joint: Ridge | None = None
        self.urgent: LogisticRegression | None = None
        self.stack: LogisticRegression | None = None
        self.pools: Pipeline | None = None
        self.pooled: Pipeline | None = None
        self._krr_offset = 0.0

    # -- embeddings ---------------------------------------------------------------------------

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """Feature rows of ``texts`` as the model uses them: the sentence embedding, then (with
        the default encoder, when the model uses them) the extra poolings."""
        if self._embedder is not None:
            return self._embedder(list(texts))
        if self._uses_pools():
            from ml_assets.text.embed import embed_pools

            return embed_pools(list(texts))
        from ml_assets.text.embed import embed

        mode = "chunks" if self.config.long_texts == "chunks" else "truncate"
        return embed(list(texts), long_texts=mode)

    def _uses_pools(self) -> bool:
        """Whether the default encoder should compute the extra poolings: before fitting, when
        the configuration asks for them; after, when a model on them was fitted."""
        if self.tfidf is not None:
            return self.pools is not None or self.pooled is not None
        wanted = bool(self.config.pool_c) or bool(self.config.pool_alpha)
        return wanted and self.config.long_texts == "truncate"

    # -- fit / predict ------------------------------------------------------------------------

    def fit(
        self,
        texts: Sequence[str],
        y: Sequence[float],
        groups: Sequence[Any] | None = None,
        embeddings: npt.NDArray[np.float32] | None = None,
    ) -> UrgencyModel:
        """Fit on labelled posts.

        Args:
            texts: Post texts.
            y: Urgency labels (1-7).
            groups: Poster ids: inner folds never split a poster's posts (recommended; each
                post is its own group when None).
            embeddings: Precomputed :meth:`embed` vectors of ``texts`` (saves time when the
                same posts are fitted many times, e.g. in cross-validation).
        """
        cfg = self.config
        docs = list(texts)
        target = np.asarray(y, dtype=np.float64)
        if len(docs) != len(target) or len(docs) < 4:
            raise ValueError("need at least 4 posts, with one label per post")
        features = self.embed(docs) if embeddings is None else np.asarray(embeddings)
        emb, extra = self._split(features)
        folds = _inner_folds(groups, len(docs), cfg.inner_folds, cfg.seed)

        tfidf = TfidfRidge(alpha=None, inner_folds=cfg.inner_folds, seed=cfg.seed)
        tfidf.ALPHAS = tuple(cfg.tfidf_alpha)
        tfidf.fit(docs, target, groups)
        assert tfidf.oof is not None
        oof = {"tfidf": tfidf.oof}

        svr_oof, svr_c = _grid_oof(
            [SVR(kernel="rbf", C=c, epsilon=cfg.svr_epsilon, gamma=1.0) for c in cfg.svr_c],
            cfg.svr_c,
            emb,
            target,
            folds,
        )
        krr_oof, krr_alpha = _grid_oof(
            [KernelRidge(kernel="rbf", alpha=a, gamma=cfg.krr_gamma) for a in cfg.krr_alpha],
            cfg.krr_alpha,
            emb,
            target,
            folds,
            center=True,
        )
        joint_x = _joint(tfidf.train_matrix, emb)
        tfidf.train_matrix = None
        joint_oof, joint_alpha = _grid_oof(
            [Ridge(alpha=a) for a in cfg.joint_alpha], cfg.joint_alpha, joint_x, target, folds
        )
        oof["svr"], oof["krr"], oof["joint"] = svr_oof, krr_oof, joint_oof
        pool_alpha = 0.0
        if extra is not None and cfg.pool_alpha:
            oof["pooled"], pool_alpha = _grid_oof(
                [self._pool_regressor(a) for a in cfg.pool_alpha],
                cfg.pool_alpha,
                extra,
                target,
                folds,
            )
        bases = list(oof)

        stacked = np.column_stack([oof[name] for name in bases])
        mean = target.mean()
        weights, _ = nnls(stacked - stacked.mean(axis=0), target - mean)
        if weights.sum() == 0:
            weights = np.full(len(bases), 1.0 / len(bases))
        intercept = float(mean - stacked.mean(axis=0) @ weights)
        blended = _clip(stacked @ weights + intercept)

        positive = (target >= URGENT_LABEL).astype(np.int64)
        classes = len(np.unique(positive)) == 2
        urgent_oof = np.zeros(len(docs))
        if classes:
            for train, test in folds:
                if len(np.unique(positive[train])) == 2:
                    urgent_oof[test] = (
                        self._urgent_classifier()
                        .fit(joint_x[train], positive[train])
                        .decision_function(joint_x[test])
                    )
        pool_oof: FloatArray | None = None
        pool_c = 0.0
        if classes and extra is not None and cfg.pool_c:
            pool_oof, pool_c = self._pool_oof(extra, positive, folds)
        score_threshold = best_f1_threshold(blended, target)
        inputs = np.column_stack(
            [blended, urgent_oof] + ([pool_oof] if pool_oof is not None else [])
        )
        stack = LogisticRegression(C=1.0).fit(inputs, positive) if classes else None
        probability = (
            stack.predict_proba(inputs)[:, 1] if stack is not None else (blended >= score_threshold)
        ).astype(np.float64)

        self.fitted = _Fitted(
            tfidf_alpha=float(tfidf.alpha or 1.0),
            svr_c=float(svr_c),
            krr_alpha=float(krr_alpha),
            joint_alpha=float(joint_alpha),
            pool_c=float(pool_c),
            pool_alpha=float(pool_alpha),
            weights={name: float(w) for name, w in zip(bases, weights, strict=True)},
            intercept=intercept,
            threshold=best_f1_threshold(probability, target),
            score_threshold=score_threshold,
            inner_rmse={
                **{name: _rmse(oof[name], target) for name in bases},
                "blend": _rmse(blended, target),
            },
            inner_auc=_aucs(
                positive,
                {
                    "blend": blended,
                    "urgent": urgent_oof,
                    **({"pools": pool_oof} if pool_oof is not None else {}),
                    "stack": probability,
                },
            ),
            n_train=len(docs),
        )
        self.tfidf = tfidf
        self.svr = SVR(kernel="rbf", C=svr_c, epsilon=cfg.svr_epsilon, gamma=1.0).fit(emb, target)
        self.krr = KernelRidge(kernel="rbf", alpha=krr_alpha, gamma=cfg.krr_gamma).fit(
            emb, target - mean
        )
        self._krr_offset = float(mean)
        self.joint = Ridge(alpha=joint_alpha).fit(joint_x, target)
        self.urgent = self._urgent_classifier().fit(joint_x, positive) if classes else None
        self.stack = stack
        self.pools = (
            self._pool_classifier(pool_c).fit(extra, positive) if pool_oof is not None else None
        )
        self.pooled = (
            self._pool_regressor(pool_alpha).fit(extra, target) if "pooled" in oof else None
        )
        return self

    def _urgent_classifier(self) -> LogisticRegression:
        return LogisticRegression(C=self.config.urgent_c, class_weight="balanced", max_iter=3000)

    @staticmethod
    def _pool_regressor(alpha: float) -> Pipeline:
        return Pipeline([("scale", StandardScaler()), ("ridge", Ridge(alpha=alpha))])

    @staticmethod
    def _pool_classifier(c: float) -> Pipeline:
        return Pipeline(
            [
                ("scale", StandardScaler()),
                ("logistic", LogisticRegression(C=c, class_weight="balanced", max_iter=2000)),
            ]
        )

    def _split(
        self, features: npt.NDArray[Any]
    ) -> tuple[npt.NDArray[Any], npt.NDArray[Any] | None]:
        """(sentence embedding, extra poolings or None) of feature rows from :meth:`embed`."""
        width = self.config.embedding_dim
        if features.ndim != 2 or features.shape[1] < width:
            raise ValueError(f"expected feature rows at least {width} wide, got {features.shape}")
        extra = features[:, width:] if features.shape[1] > width else None
        return features[:, :width], extra

    def _pool_oof(
        self,
        extra: npt.NDArray[Any],
        positive: npt.NDArray[np.int64],
        folds: list[tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]],
    ) -> tuple[FloatArray, float]:
        """Inner out-of-fold log-odds of the pooled-features classifier for the C (from
        ``config.pool_c``) with the best out-of-fold ROC-AUC, and that C."""
        from sklearn.metrics import roc_auc_score

        values = self.config.pool_c
        preds = np.zeros((len(values), len(positive)))
        for train, test in folds:
            if len(np.unique(positive[train])) < 2:
                continue
            for k, c in enumerate(values):
                model = self._pool_classifier(c).fit(extra[train], positive[train])
                preds[k, test] = model.decision_function(extra[test])
        aucs = [roc_auc_score(positive, p) for p in preds]
        best = int(np.argmax(aucs))
        return preds[best], float(values[best])

    def _parts(
        self, docs: list[str], embeddings: npt.NDArray[np.float32] | None
    ) -> tuple[FloatArray, FloatArray | None]:
        """The blended score and the urgent stack's other inputs: the urgent classifier's
        log-odds, then the pooled-features classifier's (None without an urgent classifier)."""
        if self.tfidf is None or self.svr is None or self.krr is None or self.joint is None:
            raise RuntimeError("UrgencyModel is not fitted")
        features = self.embed(docs) if embeddings is None else np.asarray(embeddings)
        emb, extra = self._split(features)
        tfidf_x = self.tfidf.features(docs)
        joint_x = _joint(tfidf_x, emb)
        parts = {
            "tfidf": self.tfidf.predict_features(tfidf_x),
            "svr": _clip(np.asarray(self.svr.predict(emb), dtype=np.float64)),
            "krr": _clip(np.asarray(self.krr.predict(emb), dtype=np.float64) + self._krr_offset),
            "joint": _clip(np.asarray(self.joint.predict(joint_x), dtype=np.float64)),
        }
        if self.pooled is not None:
            if extra is None:
                raise ValueError("this model needs the extra poolings after the embedding")
            parts["pooled"] = _clip(np.asarray(self.pooled.predict(extra), dtype=np.float64))
        # In a fixed order: a saved model's weights come back sorted by name.
        total = sum(self.fitted.weights[name] * parts[name] for name in parts)
        blended = _clip(np.asarray(total, dtype=np.float64) + self.fitted.intercept)
        if self.urgent is None:
            return blended, None
        log_odds = [np.asarray(self.urgent.decision_function(joint_x), dtype=np.float64)]
        if self.pools is not None:
            if extra is None:
                raise ValueError("this model needs the extra poolings after the embedding")
            log_odds.append(np.asarray(self.pools.decision_function(extra), dtype=np.float64))
        return blended, np.column_stack(log_odds)

    def score(
        self, texts: Sequence[str], embeddings: npt.NDArray[np.float32] | None = None
    ) -> FloatArray:
        """Predicted urgency of each text on the 1-7 scale (clipped)."""
        return self.score_and_probability(texts, embeddings)[0]

    def urgent_probability(
        self, texts: Sequence[str], embeddings: npt.NDArray[np.float32] | None = None
    ) -> FloatArray:
        """Probability that each post is urgent (label >= 5): the ranking for instructors."""
        return self.score_and_probability(texts, embeddings)[1]

    def score_and_probability(
        self, texts: Sequence[str], embeddings: npt.NDArray[np.float32] | None = None
    ) -> tuple[FloatArray, FloatArray]:
        """(:meth:`score`, :meth:`urgent_probability`) in one pass over the texts."""
        docs = list(texts)
        if not docs:
            return np.zeros(0), np.zeros(0)
        blended, log_odds = self._parts(docs, embeddings)
        if self.stack is None or log_odds is None:  # trained without any urgent post
            return blended, (blended >= self.fitted.score_threshold).astype(np.float64)
        inputs = np.column_stack([blended, log_odds])
        return blended, np.asarray(self.stack.predict_proba(inputs)[:, 1], dtype=np.float64)

    def is_urgent(
        self, texts: Sequence[str], embeddings: npt.NDArray[np.float32] | None = None
    ) -> npt.NDArray[np.bool_]:
        """Whether each post needs an instructor (urgent probability >= the stored threshold)."""
        return self.urgent_probability(texts, embeddings) >= self.fitted.threshold

    @property
    def threshold(self) -> float:
        """Decision threshold on :meth:`urgent_probability` for "urgent" (label >= 5), chosen
        for F1 on the training data's out-of-fold values."""
        return self.fitted.threshold

    # -- persistence --------------------------------------------------------------------------

    def save(self, folder: Path) -> Path:
        """Write the model to ``folder`` (created); returns the folder."""
        if self.tfidf is None or self.svr is None or self.krr is None or self.joint is None:
            raise RuntimeError("UrgencyModel is not fitted")
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        joblib.dump(self.tfidf.pipeline, folder / "tfidf_ridge.joblib")
        joblib.dump(self.svr, folder / "svr.joblib")
        joblib.dump(self.krr, folder / "krr.joblib")
        joblib.dump(self.joint, folder / "joint_ridge.joblib")
        if self.urgent is not None and self.stack is not None:
            joblib.dump(self.urgent, folder / "urgent_classifier.joblib")
            joblib.dump(self.stack, folder / "urgent_stack.joblib")
        if self.pools is not None:
            joblib.dump(self.pools, folder / "urgent_pools.joblib")
        if self.pooled is not None:
            joblib.dump(self.pooled, folder / "pooled_ridge.joblib")
        doc = {
            "format_version": FORMAT_VERSION,
            "kind": "forum-urgency",
            "config": asdict(self.config),
            "fitted": asdict(self.fitted),
            "krr_offset": self._krr_offset,
        }
        (folder / "model.json").write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n")
        return folder

    @classmethod
    def load(cls, folder: Path, embedder: Embedder | None = None) -> UrgencyModel:
        """Read a model written by :meth:`save`."""
        folder = Path(folder)
        doc = json.loads((folder / "model.json").read_text())
        if doc.get("kind") != "forum-urgency" or doc.get("format_version") not in READABLE_VERSIONS:
            raise ValueError(f"{folder} does not hold a forum-urgency model of this version")
        settings = {k: tuple(v) if isinstance(v, list) else v for k, v in doc["config"].items()}
        if doc["format_version"] == 2:  # written before the pooled-features classifier
            settings.setdefault("pool_c", ())
        if doc["format_version"] <= 3:  # written before the pooled-features regressor
            settings.setdefault("pool_alpha", ())
        config = UrgencyConfig(**settings)
        model = cls(config, embedder)
        model.fitted = _Fitted(**doc["fitted"])
        model.tfidf = TfidfRidge(alpha=model.fitted.tfidf_alpha)
        model.tfidf.pipeline = joblib.load(folder / "tfidf_ridge.joblib")
        model.svr = joblib.load(folder / "svr.joblib")
        model.krr = joblib.load(folder / "krr.joblib")
        model.joint = joblib.load(folder / "joint_ridge.joblib")
        if (folder / "urgent_classifier.joblib").is_file():
            model.urgent = joblib.load(folder / "urgent_classifier.joblib")
            model.stack = joblib.load(folder / "urgent_stack.joblib")
        if (folder / "urgent_pools.joblib").is_file():
            model.pools = joblib.load(folder / "urgent_pools.joblib")
        if (folder / "pooled_ridge.joblib").is_file():
            model.pooled = joblib.load(folder / "pooled_ridge.joblib")
        model._krr_offset = float(doc["krr_offset"])
        return model


def _joint(tfidf_x: Any, emb: npt.NDArray[Any]) -> Any:
    """TF-IDF features and sentence embeddings side by side (sparse, CSR)."""
    return hstack([tfidf_x, csr_matrix(np.asarray(emb, dtype=np.float64))]).tocsr()


def _aucs(positive: npt.NDArray[np.int64], scores: dict[str, FloatArray]) -> dict[str, float]:
    """ROC-AUC of each score for ``positive`` (empty with one class)."""
    from sklearn.metrics import roc_auc_score

    if len(np.unique(positive)) < 2:
        return {}
    return {name: float(roc_auc_score(positive, v)) for name, v in scores.items()}


def _grid_oof(
    estimators: list[Any],
    values: Sequence[float],
    x: npt.NDArray[Any],
    y: FloatArray,
    folds: list[tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]],
    center: bool = False,
) -> tuple[FloatArray, float]:
    """Out-of-fold predictions of each candidate; returns the best one's and its value."""
    preds = np.zeros((len(estimators), len(y)))
    for train, test in folds:
        offset = y[train].mean() if center else 0.0
        for k, estimator in enumerate(estimators):
            estimator.fit(x[train], y[train] - offset)
            preds[k, test] = estimator.predict(x[test]) + offset
    preds = _clip(preds)
    errors = [_rmse(p, y) for p in preds]
    best = int(np.argmin(errors))
    return preds[best], float(values[best])
