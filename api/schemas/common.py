"""Shared response shapes: pages of results and simple acknowledgements."""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel, Field

Limit = Annotated[int, Query(ge=1, le=500, description="Items per page (1-500).")]
Offset = Annotated[int, Query(ge=0, le=10_000_000, description="Items to skip.")]
T = TypeVar("T")
Id = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.:\-]+$")]


class Page(BaseModel, Generic[T]):
    """One page of a list: the items, the total across pages and the window asked for."""

    items: list[T]
    total: int
    limit: int
    offset: int


def page(items: list[T], limit: int, offset: int) -> dict[str, object]:
    """Cut ``items`` to the requested window (validated by the route's ``Page[...]`` model)."""
    window = items[offset : offset + limit]
    return {"items": window, "total": len(items), "limit": limit, "offset": offset}


class Ok(BaseModel):
    """An acknowledgement."""

    ok: bool = True
    detail: str | None = Field(default=None, max_length=500)
