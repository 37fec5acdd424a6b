"""Small helpers shared by routers: gold rows as typed models, display names."""

from __future__ import annotations

from typing import Any

import polars as pl
from sqlalchemy import select

from api.deps import Services
from api.schemas.learning import ClassSummary
from api.store.models import User


def records(frame: pl.DataFrame) -> list[dict[str, Any]]:
    """Rows as dicts (empty for an empty or missing table)."""
    return frame.to_dicts() if frame.height else []


def class_summary(svc: Services, class_id: str) -> ClassSummary | None:
    """The class's dimension row, or None when the lake does not know it."""
    rows = svc.gold.rows("dim_classes", "class_id", class_id)
    if rows.height == 0:
        return None
    return ClassSummary.model_validate(rows.row(0, named=True))


def display_names(svc: Services, student_ids: list[str]) -> dict[str, str]:
    """student_id -> display name of the students who have an account."""
    if not student_ids:
        return {}
    key = "display_names"
    cache = svc.extras.setdefault(key, {})
    missing = [s for s in student_ids if s not in cache]
    if missing:
        with svc.store.session() as s:
            for chunk_start in range(0, len(missing), 500):
                chunk = missing[chunk_start : chunk_start + 500]
                for sid, name in s.execute(
                    select(User.student_id, User.display_name).where(User.student_id.in_(chunk))
                ):
                    cache[sid] = name
        for sid in missing:
            cache.setdefault(sid, None)
    return {s: cache[s] for s in student_ids if cache.get(s)}
