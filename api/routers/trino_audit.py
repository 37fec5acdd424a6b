"""The Trino query audit: Trino reports every completed query here; admins list them.

Trino's HTTP event listener (configured by ``orchestration/trino/server.py``) posts each
``QueryCompletedEvent`` to ``POST /api/v1/internal/trino/query-events`` with the header
``X-LearnSmart-Audit-Secret``. Its value is a secret only Trino's configuration and the API's
settings (``trino_audit_secret``, from ``LEARNSMART_TRINO_AUDIT_SECRET``) know; without it (16
characters at least) every event is refused (403). One ``query_audit`` row is kept per query
id (a retried delivery stores nothing new): user, source, times, state, SQL, tables read
(``catalog.schema.table`` from the event's I/O metadata) and the error of a failed query.

``GET /api/v1/admin/query-audit`` lists them for admins, newest first, next to the API's own
audit log (``/api/v1/admin/audit``).
"""

from __future__ import annotations

import hmac
import json
import logging
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from api.deps import ServicesDep, require_roles
from api.problems import ApiError
from api.schemas.common import Limit, Offset, Page
from api.schemas.trino_audit import QueryAuditOut, Received, TrinoQueryCompleted
from api.security import Principal
from api.store.models import QueryAudit

log = logging.getLogger("learnsmart.api")
router = APIRouter(prefix="/api/v1", tags=["admin"])
Admin = Annotated[Principal, Depends(require_roles("admin"))]
SECRET_ENV = "LEARNSMART_TRINO_AUDIT_SECRET"
RFC3339 = r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$"
SECRET_HEADER = "X-LearnSmart-Audit-Secret"
MIN_SECRET = 16
EVENT_SCHEMA = {
    "type": "object",
    "required": ["metadata", "context"],
    "description": "Trino's QueryCompletedEvent JSON (fields not used here are ignored).",
}


def _check_secret(request: Request, expected: str) -> None:
    given = request.headers.get(SECRET_HEADER, "")
    if len(expected) < MIN_SECRET:
        log.warning("Trino query event refused: %s is not set (16+ characters)", SECRET_ENV)
    elif given and hmac.compare_digest(given.encode(), expected.encode()):
        return
    # 403, not 401: no sign-in scheme helps here; only the secret of Trino's configuration.
    raise ApiError(403, "Only the Trino server may report queries.", kind="forbidden")


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


@router.post(
    "/internal/trino/query-events",
    summary="Record a completed Trino query (Trino's event listener only)",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": EVENT_SCHEMA}},
        }
    },
)
async def query_event(request: Request, svc: ServicesDep) -> Received:
    """Store one query of Trino's audit; idempotent by query id."""
    _check_secret(request, svc.settings.trino_audit_secret)
    try:
        event = TrinoQueryCompleted.model_validate(json.loads(await request.body()))
    except (ValueError, ValidationError) as exc:
        raise ApiError(422, "Not a Trino query-completed event.") from exc
    meta = event.metadata
    row = QueryAudit(
        query_id=meta.query_id,
        user=event.context.user,
        source=event.context.source,
        created_at=_utc(event.create_time),
        ended_at=_utc(event.end_time),
        state=meta.query_state,
        sql=meta.query,
        tables_read=event.tables_read(),
        error=event.error(),
    )
    try:
        with svc.store.session() as s:
            if s.scalars(select(QueryAudit.id).where(QueryAudit.query_id == meta.query_id)).first():
                return Received(query_id=meta.query_id, stored=False)
            s.add(row)
    except IntegrityError:  # the same event delivered twice at once
        return Received(query_id=meta.query_id, stored=False)
    return Received(query_id=meta.query_id, stored=True)


@router.get("/admin/query-audit", summary="The Trino query audit")
def query_audit(
    principal: Admin,
    svc: ServicesDep,
    user: Annotated[str | None, Query(min_length=1, max_length=128)] = None,
    since: Annotated[
        str | None,
        Query(
            pattern=RFC3339,
            max_length=64,
            description="Queries created at or after this RFC 3339 time (2026-01-31T12:00:00Z).",
        ),
    ] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Page[QueryAuditOut]:
    """Who ran which SQL in Trino and which tables it read, newest first."""
    q = select(QueryAudit)
    if user:
        q = q.where(QueryAudit.user == user)
    if since is not None:
        try:
            when = _utc(datetime.fromisoformat(since.upper().replace(" ", "T")))
        except (ValueError, OverflowError) as exc:  # 24:00, Feb 30, year 1 shifted below 1
            raise ApiError(422, "since is not a valid time.") from exc
        q = q.where(QueryAudit.created_at >= when)
    with svc.store.session() as s:
        total = s.scalar(select(func.count()).select_from(q.subquery())) or 0
        rows = s.scalars(
            q.order_by(QueryAudit.created_at.desc(), QueryAudit.id.desc())
            .offset(offset)
            .limit(limit)
        ).all()
    items = [QueryAuditOut.model_validate(r, from_attributes=True) for r in rows]
    return {"items": items, "total": total, "limit": limit, "offset": offset}  # type: ignore[return-value]
