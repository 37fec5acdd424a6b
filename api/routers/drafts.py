"""Drafted quiz items: a class's teachers review them; an approved draft is published.

Drafts come from the ``drafted_items`` asset (``gold/ml/ml_drafted_items``). Approving one
writes a one-item bank (``learnsmart.item_bank/1``, the quiz "Practice: <page title>") to
``landing/content/api/<class>/``, which the pipeline loads like any item bank: students see the
item only after that, never a draft.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi import Path as PathParam
from sqlalchemy import select

from api.deps import ServicesDep, authorize_class, require_roles
from api.problems import ApiError
from api.schemas.classes import DraftDecisionIn, DraftOut
from api.schemas.common import Limit, Offset, Page, page
from api.security import Principal
from api.store.models import DraftDecision

router = APIRouter(prefix="/api/v1/classes/{class_id}/drafts", tags=["classes"])
ClassId = Annotated[str, PathParam(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.:\-]+$")]
Staff = Annotated[Principal, Depends(require_roles("teacher", "admin"))]
STATUS = {"approve": "approved", "reject": "rejected"}


def _drafts(svc: ServicesDep, class_id: str) -> list[dict[str, Any]]:
    rows = svc.gold.rows("ml_drafted_items", "class_id", class_id)
    return [json.loads(r) for r in rows["draft"].to_list()] if rows.height else []


def _out(draft: dict[str, Any], decision: DraftDecision | None) -> DraftOut:
    return DraftOut(
        item_id=draft["item_id"],
        content_id=draft["content_id"],
        class_id=draft["class_id"],
        kind=draft["kind"],
        stem=draft["stem"],
        options=draft.get("options") or [],
        answer=draft["answer"],
        source_sentence=draft.get("source_sentence") or "",
        passed_checks=bool(draft.get("passed")),
        failed_checks=sorted(k for k, ok in (draft.get("checks") or {}).items() if not ok),
        status=STATUS[decision.decision] if decision else "pending",  # type: ignore[arg-type]
        decided_at=decision.decided_at if decision else None,
    )


@router.get("", summary="Drafted quiz items of a class, to review")
def list_drafts(
    class_id: ClassId,
    request: Request,
    principal: Staff,
    svc: ServicesDep,
    status: Annotated[
        Literal["pending", "approved", "rejected", "all"], Query(description="Which drafts.")
    ] = "pending",
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[DraftOut]:
    """Drafts that passed every automatic check first, then the rest (with what failed)."""
    authorize_class(request, svc, principal, class_id, student_level=False)
    drafts = _drafts(svc, class_id)
    with svc.store.session() as s:
        decided = {
            d.item_id: d
            for d in s.scalars(select(DraftDecision).where(DraftDecision.class_id == class_id))
        }
        out = [_out(d, decided.get(d["item_id"])) for d in drafts]
    if status != "all":
        out = [d for d in out if d.status == status]
    out.sort(key=lambda d: (not d.passed_checks, d.content_id, d.item_id))
    return page(out, limit, offset)  # type: ignore[return-value]


@router.post("/decisions", summary="Approve or reject a drafted item")
def decide(
    class_id: ClassId,
    body: DraftDecisionIn,
    request: Request,
    principal: Staff,
    svc: ServicesDep,
) -> DraftOut:
    """Approve (publish it for the next pipeline run) or reject; a draft is decided once."""
    authorize_class(request, svc, principal, class_id, "update", student_level=False)
    draft = next((d for d in _drafts(svc, class_id) if d["item_id"] == body.item_id), None)
    if draft is None:
        raise ApiError(404, "No such draft in this class.", kind="not-found")
    with svc.store.session() as s:
        if s.get(DraftDecision, body.item_id) is not None:
            raise ApiError(409, "This draft has already been decided.", kind="conflict")
        bank = None
        if body.decision == "approve":
            bank = str(_publish(svc, class_id, draft))
        row = DraftDecision(
            item_id=body.item_id,
            class_id=class_id,
            decision=body.decision,
            teacher_id=principal.user_id,
            decided_at=datetime.now(UTC),
            bank_file=bank,
        )
        s.add(row)
        s.flush()
        return _out(draft, row)


def _publish(svc: ServicesDep, class_id: str, draft: dict[str, Any]) -> Path:
    """Write the approved draft as a one-item bank into the landing folder (atomically)."""
    from ml_assets.question_gen.draft import DraftItem

    pages = svc.gold.rows("content_pages", "class_id", class_id)
    page_row = next((p for p in pages.to_dicts() if p["content_id"] == draft["content_id"]), {})
    bank = {
        "schema": "learnsmart.item_bank/1",
        "class_id": class_id,
        "quiz_id": f"qg-practice-{draft['content_id']}",
        "title": f"Practice: {page_row.get('title') or draft['content_id']}",
        "module": page_row.get("module"),
        "week": page_row.get("week"),
        "skills": [],
        "items": [DraftItem.from_dict(draft).to_item()],
    }
    folder = svc.settings.landing / "content" / "api" / class_id
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{draft['item_id']}.items.json"
    tmp = folder / f".{draft['item_id']}.items.json.tmp"
    tmp.write_text(json.dumps(bank, ensure_ascii=False, indent=2), encoding="utf-8")
    tmp.replace(target)
    return target
