"""Jobs of the curate area."""

import dagster as dg

curate_job = dg.define_asset_job(
    "curate_job",
    selection=dg.AssetSelection.groups(
        "staging",
        "intermediate",
        "gold_enrollment",
        "gold_engagement",
        "gold_progress",
        "gold_grading",
        "gold_items",
        "gold_features",
    ),
    description="dbt build of the curated layer (staging, intermediate, gold marts) and its tests.",
)
