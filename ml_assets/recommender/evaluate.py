"""Offline evaluation of the recommender on OULAD-shaped click logs or on a LearnSmart lake
(``learnsmart eval recommender --oulad DIR`` / ``--lake DIR``).

Protocol (see README.md for the reasoning):

* Items are the VLE sites of a class (module-presentation, from ``vle.csv``; on a lake, the
  class's ``dim_content``); an interaction is one (student, site, day) with its clicks summed.
* Per student, interactions are ordered by (day, id_site); the last 20% (rounded up) are held
  out. The split day D is the day of the first held-out interaction; the relevant set is the
  distinct sites of the held-out part. Students with fewer than 5 interactions, or with no
  interaction before D, are not evaluated.
* Every method ranks all sites of the student's class from interactions with day < D only
  (everybody's, the student's own included); already-opened sites stay candidates for all
  methods. Ties are broken by id_site.
* The model is evaluated leave-one-class-out (in OULAD a class is a presentation): for each
  class, the ranker is trained on cut points of the *other* classes' students, inside their
  training part (before their own split), so it never sees the evaluated class and never tunes
  on any held-out part. Fewer than two classes with evaluable students is a ValueError rather
  than a weaker protocol (training on the evaluated class's own earlier cut points).
"""

from __future__ import annotations

import gzip
import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from ml_assets.recommender import lake_data
from ml_assets.recommender.lake_data import interactions_and_catalogue
from ml_assets.recommender.model import (
    FEATURES,
    MIN_INTERACTIONS,
    Recommender,
    _Data,
    _dataset,
    train_ranker,
    training_queries,
)

__all__ = [
    "coverage",
    "evaluate",
    "evaluate_lake",
    "evaluate_oulad",
    "load_oulad",
    "ndcg_at_k",
    "recall_at_k",
]

K = 10
HOLDOUT = 0.2
METHODS = ("model", "popularity", "popularity_class_week", "random")
CLICK_COLUMNS = ("code_module", "code_presentation", "id_student", "id_site", "date", "sum_click")
VLE_COLUMNS = ("id_site", "code_module", "code_presentation", "activity_type")
_CLICK_FILE = re.compile(r"studentvle.*\.csv(\.gz)?", re.IGNORECASE)


def ndcg_at_k(ranked: Sequence[Any], relevant: set[Any], k: int = K) -> float:
    """Binary-relevance NDCG@k: DCG of the top k over the DCG of an ideal list."""
    if not relevant:
        return 0.0
    dcg = sum(1.0 / math.log2(r + 2) for r, item in enumerate(ranked[:k]) if item in relevant)
    ideal = sum(1.0 / math.log2(r + 2) for r in range(min(k, len(relevant))))
    return dcg / ideal


def recall_at_k(ranked: Sequence[Any], relevant: set[Any], k: int = K) -> float:
    """Share of the relevant items found in the top k (denominator: all relevant items)."""
    if not relevant:
        return 0.0
    return len(set(ranked[:k]) & relevant) / len(relevant)


def coverage(top_lists: Sequence[Sequence[Any]], catalogue_size: int) -> float:
    """Share of the catalogue appearing in at least one top list."""
    if catalogue_size <= 0:
        return 0.0
    return len({item for top in top_lists for item in top}) / catalogue_size


def _read_csv(path: Path) -> pl.DataFrame:
    raw = gzip.decompress(path.read_bytes()) if path.name.lower().endswith(".gz") else None
    try:
        return pl.read_csv(
            raw if raw is not None else path, null_values=[""], infer_schema_length=10000
        )
    except Exception as exc:
        raise ValueError(f"cannot read {path}: {exc}") from exc


def _check(df: pl.DataFrame, columns: Sequence[str], path: Path) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"{path.name} is missing column(s) {', '.join(missing)}")


def load_oulad(oulad_dir: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Read ``studentVle*.csv[.gz]`` and ``vle.csv`` into (interactions, catalogue) in the
    model's schema; ``class_id`` is ``<code_module>_<code_presentation>``.

    Raises:
        ValueError: when the folder, the click logs or vle.csv are missing, or lack columns.
    """
    oulad_dir = Path(oulad_dir)
    if not oulad_dir.is_dir():
        raise ValueError(f"OULAD folder {oulad_dir} does not exist")
    files = sorted(p for p in oulad_dir.iterdir() if p.is_file() and _CLICK_FILE.fullmatch(p.name))
    if not files:
        raise ValueError(f"no studentVle*.csv or studentVle*.csv.gz click log in {oulad_dir}")
    vle_path = oulad_dir / "vle.csv"
    if not vle_path.is_file():
        raise ValueError(f"vle.csv (the site catalogue) is missing in {oulad_dir}")
    parts = []
    for path in files:
        df = _read_csv(path)
        _check(df, CLICK_COLUMNS, path)
        parts.append(df.select(CLICK_COLUMNS))
    class_id = pl.concat_str(["code_module", "code_presentation"], separator="_").alias("class_id")
    interactions = pl.concat(parts, how="vertical_relaxed").select(
        pl.col("id_student").alias("student_id"),
        class_id,
        pl.col("id_site").cast(pl.Int64).alias("item_id"),
        pl.col("date").cast(pl.Int64).alias("day"),
        pl.col("sum_click").cast(pl.Float64).alias("clicks"),
    )
    vle = _read_csv(vle_path)
    _check(vle, VLE_COLUMNS, vle_path)
    opt = [
        pl.col(c).cast(pl.Float64, strict=False) if c in vle.columns else pl.lit(None).alias(c)
        for c in ("week_from", "week_to")
    ]
    catalogue = vle.select(
        pl.col("id_site").cast(pl.Int64).alias("item_id"), class_id, "activity_type", *opt
    )
    present = interactions.select("class_id").unique()
    return interactions, catalogue.join(present, on="class_id", how="semi")


def _top(scores: np.ndarray, *tiebreak: np.ndarray) -> np.ndarray:
    """Indices of the top K of each row: by score, then tie-breakers, then item order."""
    out = np.empty((scores.shape[0], min(K, scores.shape[1])), dtype=np.int64)
    idx = np.arange(scores.shape[1])
    for q in range(scores.shape[0]):
        keys = [idx] + [-t[q] for t in reversed(tiebreak)] + [-scores[q]]
        out[q] = np.lexsort(keys)[: out.shape[1]]
    return out


def evaluate_oulad(
    oulad_dir: Path, seed: int = 0, max_students: int | None = None
) -> dict[str, dict[str, float]]:
    """:func:`evaluate` on OULAD click logs (:func:`load_oulad`; a class is a presentation).

    Raises:
        ValueError: on missing files or columns, or fewer than two presentations with
            evaluable students (the model is trained on the other presentations).
    """
    interactions, catalogue = load_oulad(Path(oulad_dir))
    return evaluate(interactions, catalogue, seed=seed, max_students=max_students)


def evaluate_lake(
    lake_dir: Path,
    seed: int = 0,
    max_students: int | None = None,
    content_features: bool = True,
) -> dict[str, dict[str, float]]:
    """:func:`evaluate` on a LearnSmart lake (the demo school's silver ``learning_events`` over
    gold ``dim_content``, with page texts, skills and graded answers, read exactly as the
    recommender assets read them). ``content_features=False`` drops the titles' embeddings,
    the skills and the answers (the ablation of the content-similarity and skill-need
    features).

    Raises:
        ValueError: when the folder or one of its tables is missing, or fewer than two classes
            have evaluable students (the model is trained on the other classes).
    """
    lake_dir = Path(lake_dir)
    if not lake_dir.is_dir():
        raise ValueError(f"lake folder {lake_dir} does not exist")
    interactions, catalogue = interactions_and_catalogue(lake_dir)
    answers = lake_data.responses(lake_dir)
    if not content_features:
        catalogue = catalogue.drop("text", "skills").with_columns(titled=pl.lit(False))
        answers = None
    return evaluate(
        interactions, catalogue, seed=seed, max_students=max_students, responses=answers
    )


def evaluate(
    interactions: pl.DataFrame,
    catalogue: pl.DataFrame,
    seed: int = 0,
    max_students: int | None = None,
    responses: pl.DataFrame | None = None,
) -> dict[str, dict[str, float]]:
    """NDCG@10, recall@10 and catalogue coverage of the model and the baselines, on the
    temporal split of the module docstring, leave-one-class-out for the model.

    ``interactions``, ``catalogue`` and the optional graded ``responses`` are in the model's
    schema (see ``model.py``); answers are read as of the split day like everything else.
    ``max_students`` evaluates (and trains on) a seeded sample of that many students.
    Returns ``{method: {"ndcg@10", "recall@10", "coverage", "n_users", "n_items",
    "ndcg@10 <class>"...}}`` for ``model``, ``popularity``, ``popularity_class_week``,
    ``popularity_last_7_days`` and ``random``.

    Raises:
        ValueError: on missing columns, or fewer than two classes with evaluable students (the
            model is always trained on the other classes, never on the evaluated one).
    """
    data = _Data(interactions, catalogue, responses)

    split: dict[tuple[str, Any], int] = {}
    for cid, cls in data.classes.items():
        for sid, st in cls.students.items():
            n = len(st.days)
            p = n - math.ceil(HOLDOUT * n)
            if n >= MIN_INTERACTIONS and st.days[0] < st.days[p]:
                split[(cid, sid)] = p
    keys = sorted(split, key=lambda key: (key[0], str(key[1])))
    if max_students is not None and max_students < len(keys):
        rng = np.random.default_rng(seed)
        chosen = sorted(rng.choice(len(keys), size=max_students, replace=False).tolist())
        keys = [keys[i] for i in chosen]
    sample = set(keys)
    classes = sorted({cid for cid, _ in keys})
    if len(classes) < 2:
        raise ValueError(
            "the evaluation needs at least two classes (presentations) with evaluable "
            f"students (found {classes}): the model is trained on the other classes"
        )

    # Training sets per class, built once and reused by every fold that trains on that class.
    train_sets = {}
    for cid in classes:
        queries = training_queries(
            data, label_limit=split, classes=[cid], students=sample, seed=seed
        )
        if queries.get(cid):
            train_sets[cid] = _dataset(data, queries)

    per_method: dict[str, dict[str, list[float]]] = {}
    tops: dict[str, list[list[Any]]] = {}
    n_items = sum(data.classes[c].n for c in classes)
    methods = (*METHODS, "popularity_last_7_days")
    for cid in classes:
        others = [train_sets[c] for c in classes if c != cid and c in train_sets]
        if not others:
            raise ValueError(f"no training cut points outside {cid}")
        x = np.concatenate([o[0] for o in others])
        y = np.concatenate([o[1] for o in others])
        offsets = np.cumsum([0] + [int(o[2].max()) + 1 for o in others[:-1]])
        qid = np.concatenate([o[2] + off for o, off in zip(others, offsets, strict=True)])
        booster, used = train_ranker(x, y, qid, seed=seed)
        rec = Recommender(booster, data, seed, used)

        cls = data.classes[cid]
        students = [sid for c, sid in keys if c == cid]
        queries = [(sid, int(cls.students[sid].days[split[(cid, sid)]])) for sid in students]
        relevant = [
            set(np.unique(cls.students[sid].items[split[(cid, sid)] :]).tolist())
            for sid in students
        ]
        rng = np.random.default_rng([seed, classes.index(cid)])
        for start in range(0, len(queries), 500):
            chunk = queries[start : start + 500]
            rel = relevant[start : start + 500]
            scores, feats = rec.score_batch(cid, chunk)
            last7 = feats.x[:, :, FEATURES.index("class_share_last7")].astype(np.float64)
            ranked = {
                "model": _top(scores),
                "popularity": _top(feats.clicks_all),
                "popularity_class_week": _top(feats.clicks_week, feats.clicks_all),
                "popularity_last_7_days": _top(last7, feats.clicks_all),
                "random": np.stack([rng.permutation(cls.n)[:K] for _ in chunk]),
            }
            for method, top in ranked.items():
                acc = per_method.setdefault(method, {})
                for q, row in enumerate(top):
                    items = row.tolist()
                    nd = ndcg_at_k(items, rel[q])
                    acc.setdefault("ndcg@10", []).append(nd)
                    acc.setdefault("recall@10", []).append(recall_at_k(items, rel[q]))
                    acc.setdefault(f"ndcg@10 {cid}", []).append(nd)
                    tops.setdefault(method, []).append([(cid, i) for i in items])

    out: dict[str, dict[str, float]] = {}
    for method in methods:
        acc = per_method[method]
        out[method] = {name: float(np.mean(values)) for name, values in acc.items()}
        out[method]["coverage"] = coverage(tops[method], n_items)
        out[method]["n_users"] = float(len(acc["ndcg@10"]))
        out[method]["n_items"] = float(n_items)
    return out
