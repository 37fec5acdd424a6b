"""The forum assets: an urgency model trained on labelled posts, and labels for every post.

* ``forum_urgency_model``: the stacked urgency regressor of ``ml_assets.forum.urgency``, trained
  on a file of posts labelled 1-7 (the columns of the Penn MOOC urgency data: ``id``,
  ``post_text``, ``Urgency_1_7``) named by the asset's config or
  ``LEARNSMART_FORUM_URGENCY_LABELS``.
  Without such a file nothing is trained (a school supplies its own labels, or none) and the
  API does not score posts. Registered in MLflow as ``learnsmart-forum-urgency``; the champion
  is copied to ``<lake>/models/forum_urgency``, which the API loads.
* ``forum_post_labels``: every post of silver ``forum_posts`` with its language, English
  sentiment, the kinds of personal data found in it, and (with the model) its urgency and
  whether it is urgent, in ``gold/ml/ml_forum_labels``. No post text is copied there. The API
  serves each post with its urgency and notifies teachers of the urgent ones (``api.forum``).
"""

import os
from pathlib import Path

import dagster as dg
import polars as pl
from deltalake import DeltaTable, write_deltalake

from lake.io import read_delta
from orchestration.resources import LakeResource

POSTS = dg.AssetKey(["silver", "forum_posts"])
MODEL_NAME = "learnsmart-forum-urgency"
SERVED_DIR = Path("models/forum_urgency")
LABELS_TABLE = Path("gold/ml/ml_forum_labels")
LABELS_ENV = "LEARNSMART_FORUM_URGENCY_LABELS"


class ForumUrgencyConfig(dg.Config):
    """Where the labelled posts are (empty: ``LEARNSMART_FORUM_URGENCY_LABELS``)."""

    labels_csv: str = ""
    seed: int = 0


@dg.asset(
    group_name="learn",
    description="Forum urgency model (1-7 scale), trained on labelled posts when provided.",
)
def forum_urgency_model(
    context: dg.AssetExecutionContext, lake: LakeResource, config: ForumUrgencyConfig
) -> dg.MaterializeResult:
    """Train on the labelled posts file, register, serve; nothing without such a file."""
    from ml_assets import tracking
    from ml_assets.forum.evaluate import labelled_columns, read_labelled_posts
    from ml_assets.forum.urgency import UrgencyModel

    source = config.labels_csv or os.environ.get(LABELS_ENV, "")
    if not source:
        why = f"no labelled posts ({LABELS_ENV} unset): posts are not scored for urgency"
        context.log.warning(why)
        return dg.MaterializeResult(metadata={"trained": False, "reason": why})
    try:
        texts, y, groups = labelled_columns(read_labelled_posts(Path(source)))
    except (OSError, ValueError) as exc:
        raise dg.Failure(f"labelled posts {source}: {exc}") from exc
    model = UrgencyModel().fit(texts, y, groups=groups)
    root = lake.settings().lake
    registered, _ = tracking.register_and_serve(
        tracking.Tracking.for_lake(root),
        MODEL_NAME,
        model.save,
        "ml_assets.forum.urgency:UrgencyModel.load",
        root / SERVED_DIR,
        params={"labels": Path(source).name, "seed": config.seed},
        metrics={"train_posts": float(len(texts)), "threshold": float(model.threshold)},
        reports={},
        promote=True,
        tags={"lake": str(root)},
    )
    return dg.MaterializeResult(
        metadata={
            "trained": True,
            "train_posts": len(texts),
            "threshold": dg.MetadataValue.float(float(model.threshold)),
            "registered_version": registered.version,
        }
    )


@dg.asset(
    deps=[POSTS, forum_urgency_model],
    group_name="learn",
    description="Language, sentiment, personal-data kinds and urgency of every forum post "
    "(gold/ml/ml_forum_labels).",
)
def forum_post_labels(
    context: dg.AssetExecutionContext, lake: LakeResource
) -> dg.MaterializeResult:
    """Label every post; urgency only when a model is served."""
    from ml_assets.forum.language import detect_language
    from ml_assets.forum.pii import find_pii
    from ml_assets.forum.sentiment import sentiment

    root = lake.settings().lake
    path = root / "silver" / "forum_posts"
    if not (path / "_delta_log").is_dir():
        return dg.MaterializeResult(metadata={"rows": 0})
    posts = pl.from_arrow(read_delta(DeltaTable(str(path))))
    assert isinstance(posts, pl.DataFrame)
    texts = [
        f"{t or ''}\n{b or ''}".strip() for t, b in zip(posts["title"], posts["body"], strict=True)
    ]
    languages = [
        src or det
        for src, det in zip(posts["language"].to_list(), detect_language(texts), strict=True)
    ]
    pii = [sorted({s.kind for s in find_pii(t)}) for t in texts]
    out = posts.select("post_id", "thread_id", "class_id", "created_at").with_columns(
        language=pl.Series(languages, dtype=pl.String),
        sentiment=pl.Series(sentiment(texts, languages), dtype=pl.Float64),
        pii_kinds=pl.Series(pii, dtype=pl.List(pl.String)),
        has_pii=pl.Series([bool(k) for k in pii], dtype=pl.Boolean),
    )
    urgency: list[float | None] = [None] * len(texts)
    urgent: list[bool | None] = [None] * len(texts)
    if (root / SERVED_DIR / "model.json").is_file() and texts:
        from ml_assets.forum.urgency import UrgencyModel

        model = UrgencyModel.load(root / SERVED_DIR)
        scores, probability = model.score_and_probability(texts)
        urgency = [float(s) for s in scores]
        urgent = [bool(p >= model.threshold) for p in probability]
    out = out.with_columns(
        urgency=pl.Series(urgency, dtype=pl.Float64),
        is_urgent=pl.Series(urgent, dtype=pl.Boolean),
    )
    write_deltalake(
        str(root / LABELS_TABLE), out.to_arrow(), mode="overwrite", schema_mode="overwrite"
    )
    n_urgent = int(out["is_urgent"].sum() or 0)
    context.log.info(f"{out.height} posts labelled, {n_urgent} urgent")
    return dg.MaterializeResult(
        metadata={
            "rows": out.height,
            "urgent": n_urgent,
            "scored_for_urgency": urgency[0] is not None if urgency else False,
            "with_personal_data": int(out["has_pii"].sum()),
        }
    )
