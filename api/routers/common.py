"""Small helpers shared by routers: gold rows as typed models, display names."""

from __future__ import annotations

import time
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

    def build() -> ClassSummary | None:
        rows = svc.gold.rows("dim_classes", "class_id", class_id)
        if rows.height == 0:
            return None
        return ClassSummary.model_validate(rows.row(0, named=True))

    # Built once per version of dim_classes; ClassSummary is frozen, so sharing it is safe.
    return svc.gold.memo("dim_classes", ("summary", class_id), build)


# Renamed or new accounts reach the names (and the answers showing them) through the store's
# change feed (api.store.changes); this bound is the backstop for edits made outside it.
NAMES_TTL_S = 300.0


def display_names(svc: Services, student_ids: list[str]) -> dict[str, str]:
    """student_id -> display name of the students who have an account."""
    if not student_ids:
        return {}
    now = time.monotonic()
    stamp, cache = svc.extras.get("display_names", (0.0, {}))
    if now - stamp > NAMES_TTL_S:
        stamp, cache = now, {}
        svc.extras["display_names"] = (stamp, cache)
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
