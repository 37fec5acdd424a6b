"""Inner validation: the evaluation protocol applied to the training parts only.

Every design choice of the ranker (features, training rounds) is made here, never on the held-out
interactions of :func:`ml_assets.recommender.evaluate.evaluate`: each evaluable student's
interactions are cut to their training part (the first 80%, exactly as ``evaluate`` splits them;
students ``evaluate`` does not evaluate keep everything), and the same protocol (80/20 split per
student, leave-one-class-out ranker, the same baselines) runs on that truncated log. The held-out
20% of the outer split is neither a label nor a feature here.

    .venv/bin/python -m ml_assets.recommender.inner_validation ../shared/datasets/oulad
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import numpy as np
import polars as pl

from ml_assets.recommender.evaluate import HOLDOUT, evaluate, load_oulad
from ml_assets.recommender.model import MIN_INTERACTIONS, _Data

__all__ = ["evaluate_inner", "training_parts"]


def training_parts(interactions: pl.DataFrame, catalogue: pl.DataFrame) -> pl.DataFrame:
    """The interactions ``evaluate`` may learn from: each evaluable student's first
    ``n - ceil(0.2 n)`` (in the evaluation's order), everybody else's all, in the model's schema
    (``class_id, student_id, item_id, day, clicks``)."""
    data = _Data(interactions, catalogue)
    parts = []
    for cid, cls in data.classes.items():
        for sid, st in cls.students.items():
            n = len(st.days)
            p = n - math.ceil(HOLDOUT * n)
            keep = p if n >= MIN_INTERACTIONS and st.days[0] < st.days[p] else n
            parts.append(
                pl.DataFrame(
                    {
                        "class_id": [cid] * keep,
                        "student_id": [sid] * keep,
                        "item_id": [cls.items[i] for i in st.items[:keep]],
                        "day": st.days[:keep],
                        "clicks": st.clicks[:keep],
                    }
                )
            )
    return pl.concat(parts, how="vertical_relaxed")


def evaluate_inner(
    interactions: pl.DataFrame, catalogue: pl.DataFrame, seed: int = 0
) -> dict[str, dict[str, float]]:
    """:func:`evaluate` on :func:`training_parts` (the inner split)."""
    return evaluate(training_parts(interactions, catalogue), catalogue, seed=seed)


if __name__ == "__main__":
    inter, cat = load_oulad(Path(sys.argv[1]))
    out = evaluate_inner(inter, cat)
    summary = {m: {k: round(v, 4) for k, v in r.items()} for m, r in out.items()}
    print(json.dumps(summary, indent=1))
    print("ratio", np.round(out["model"]["ndcg@10"] / out["popularity_class_week"]["ndcg@10"], 4))
