"""Drafted quiz items: cloze and multiple-choice drafts from every course page, checked.

``drafted_items`` drafts items from silver ``content_pages`` (``ml_assets.question_gen``),
runs the automatic checks (answer in the source, distinct and plausible distractors, a
well-formed stem, the tutor finding the source page) and writes every draft with its check
results to ``gold/ml/ml_drafted_items``; the pass shares are logged to MLflow (experiment
``learnsmart-question-gen``). Drafts reach students only after a teacher approves them.
"""

import json
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import polars as pl
from deltalake import write_deltalake

from orchestration.resources import LakeResource

PAGES = dg.AssetKey(["silver", "content_pages"])
EXPERIMENT = "learnsmart-question-gen"
DRAFTS_TABLE = Path("gold/ml/ml_drafted_items")


@dg.asset(
    deps=[PAGES],
    group_name="learn",
    description="Quiz item drafts from the course pages, with their automatic checks "
    "(gold/ml/ml_drafted_items); teachers approve them before students see them.",
)
def drafted_items(context: dg.AssetExecutionContext, lake: LakeResource) -> dg.MaterializeResult:
    """Draft and check items for every page; overwrite the gold table."""
    from ml_assets import tracking
    from ml_assets.question_gen.evaluate import evaluate

    root = lake.settings().lake
    if not (root / "silver" / "content_pages" / "_delta_log").is_dir():
        return dg.MaterializeResult(metadata={"drafts": 0})
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "drafts.jsonl"
        summary = evaluate(root, drafts_out=out)
        drafts = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    stamp = datetime.now(UTC)
    table = pl.DataFrame(
        [
            {
                "item_id": d["item_id"],
                "content_id": d["content_id"],
                "class_id": d["class_id"],
                "kind": d["kind"],
                "stem": d["stem"],
                "answer": d["answer"],
                "passed": bool(d["passed"]),
                "reasons": list(d.get("reasons") or []),
                "draft": json.dumps(d, ensure_ascii=False),
                "drafted_at": stamp,
            }
            for d in drafts
        ],
        schema={
            "item_id": pl.String,
            "content_id": pl.String,
            "class_id": pl.String,
            "kind": pl.String,
            "stem": pl.String,
            "answer": pl.String,
            "passed": pl.Boolean,
            "reasons": pl.List(pl.String),
            "draft": pl.String,
            "drafted_at": pl.Datetime("us", "UTC"),
        },
    ).unique("item_id", keep="first", maintain_order=True)
    write_deltalake(
        str(root / DRAFTS_TABLE), table.to_arrow(), mode="overwrite", schema_mode="overwrite"
    )
    run_id = tracking.log_run(
        tracking.Tracking.for_lake(root),
        EXPERIMENT,
        params={"pages": summary.get("pages"), "classes": summary.get("classes")},
        metrics={
            "drafts": float(table.height),
            "pass_share": float(summary.get("pass_share") or 0.0),
        },
        reports={"summary": summary},
    )
    context.log.info(f"{table.height} drafts, pass share {summary.get('pass_share')}")
    return dg.MaterializeResult(
        metadata={
            "drafts": table.height,
            "passed": int(table["passed"].sum()),
            "pass_share": dg.MetadataValue.float(float(summary.get("pass_share") or 0.0)),
            "per_check": dg.MetadataValue.json(summary.get("per_check", {})),
            "mlflow_run_id": run_id,
        }
    )
