"""Each user's in-app notification feed."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query
from sqlalchemy import select

from api.deps import PrincipalDep, ServicesDep
from api.problems import ApiError
from api.schemas.common import Limit, Offset, Ok, Page, page
from api.schemas.community import NotificationOut
from api.store.models import Notification

router = APIRouter(prefix="/api/v1/notifications", tags=["notifications"])


@router.get("", summary="My notifications, newest first")
def feed(
    principal: PrincipalDep,
    svc: ServicesDep,
    unread: Annotated[bool, Query(description="Only unread ones.")] = False,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[NotificationOut]:
    """The caller's own feed."""
    q = select(Notification).where(Notification.user_id == principal.user_id)
    if unread:
        q = q.where(Notification.read_at.is_(None))
    with svc.store.session() as s:
        rows = s.scalars(q.order_by(Notification.id.desc())).all()
    items = [NotificationOut.model_validate(r, from_attributes=True) for r in rows]
    return page(items, limit, offset)  # type: ignore[return-value]


@router.post("/{notification_id}/read", summary="Mark a notification read")
def mark_read(
    notification_id: Annotated[int, Path(ge=1, le=2**62)],
    principal: PrincipalDep,
    svc: ServicesDep,
) -> Ok:
    """Only the owner can mark their notification."""
    with svc.store.session() as s:
        note = s.get(Notification, notification_id)
        if note is None or note.user_id != principal.user_id:
            raise ApiError(404, "No such notification.", kind="not-found")
        note.read_at = note.read_at or datetime.now(UTC)
    return Ok()
