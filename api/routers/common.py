"""Small helpers shared by routers: gold rows as typed models, display names."""

from __future__ import annotations

from typing import Any

import polars as pl
from sqlalchemy import select

from api.cache import NameCache
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
    cache = svc.extras.get("display_names")
    if cache is None:
        cache = svc.extras.setdefault("display_names", NameCache(NAMES_TTL_S))

    def load(missing: list[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        with svc.store.session() as s:
            for start in range(0, len(missing), 500):
                chunk = missing[start : start + 500]
                for sid, name in s.execute(
                    select(User.student_id, User.display_name).where(User.student_id.in_(chunk))
                ):
                    found[sid] = name
        return found

    return cache.names(student_ids, load)
