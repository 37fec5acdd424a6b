"""The tutor's index: course-page passages for BM25 and MiniLM retrieval.

``tutor_index`` splits every course page (silver ``content_pages``) into cited passages, embeds
them with the packaged all-MiniLM-L6-v2 and writes the index to ``<lake>/models/tutor`` (swapped
in whole), which the API loads; the run is logged to MLflow and registered as
``learnsmart-tutor`` like the learner models.
"""

from pathlib import Path

import dagster as dg

from orchestration.resources import LakeResource

PAGES = dg.AssetKey(["silver", "content_pages"])
MODEL_NAME = "learnsmart-tutor"
SERVED_DIR = Path("models/tutor")


@dg.asset(
    deps=[PAGES],
    group_name="learn",
    description="Tutor index: cited passages of the course pages, BM25 + MiniLM vectors.",
)
def tutor_index(context: dg.AssetExecutionContext, lake: LakeResource) -> dg.MaterializeResult:
    """Build the index of every class's course pages; register it; serve it."""
    from ml_assets import tracking
    from ml_assets.tutor.index import TutorIndex

    root = lake.settings().lake
    if not (root / "silver" / "content_pages" / "_delta_log").is_dir():
        context.log.warning("no course pages in the lake: the tutor has nothing to answer from")
        return dg.MaterializeResult(metadata={"built": False, "passages": 0})
    index = TutorIndex.from_lake(root)
    languages = sorted({p.language or "?" for p in index.passages})
    registered, _ = tracking.register_and_serve(
        tracking.Tracking.for_lake(root),
        MODEL_NAME,
        index.save,
        "ml_assets.tutor.index:TutorIndex.load",
        root / SERVED_DIR,
        params={"encoder": "all-MiniLM-L6-v2", "fusion": "reciprocal rank (k=60)"},
        metrics={
            "passages": float(len(index.passages)),
            "classes": float(len(index.class_ids())),
        },
        reports={"languages": {"languages": languages}},
        promote=True,
        tags={"lake": str(root)},
    )
    return dg.MaterializeResult(
        metadata={
            "built": True,
            "passages": len(index.passages),
            "classes": len(index.class_ids()),
            "languages": dg.MetadataValue.json(languages),
            "registered_version": registered.version,
            "path": dg.MetadataValue.path(str(root / SERVED_DIR)),
        }
    )
