"""Administration: users and roles, class assignments, consent, erasure requests, audit log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from sqlalchemy import select

from api.deps import ServicesDep, authorize_student, require_roles
from api.problems import ApiError
from api.schemas.admin import (
    AdminUserOut,
    AuditOut,
    ConsentChangeOut,
    ConsentIn,
    ConsentOut,
    ErasureIn,
    ErasureOut,
    UserIn,
    UserPatch,
)
from api.schemas.common import Limit, Offset, Ok, Page, page
from api.security import Principal, hash_password
from api.store.models import (
    AuditEvent,
    ClassAssignment,
    Consent,
    ConsentChange,
    ErasureRequest,
    User,
    utcnow,
)
from lake.privacy.consent import PURPOSES as CONSENT_PURPOSES

router = APIRouter(prefix="/api/v1/admin", tags=["admin"])
Admin = Annotated[Principal, Depends(require_roles("admin"))]
SafeId = Annotated[str, Path(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.:\-]+$")]
UserId = Annotated[int, Path(ge=1, le=2**62)]


def _out(svc: ServicesDep, user: User) -> AdminUserOut:
    classes = sorted(svc.teacher_classes(user.id)) if user.role == "teacher" else []
    return AdminUserOut.model_validate(
        {
            **{c: getattr(user, c) for c in AdminUserOut.model_fields if c != "class_ids"},
            "class_ids": classes,
        }
    )


@router.get("/users", summary="Users")
def users(
    principal: Admin,
    svc: ServicesDep,
    role: Annotated[str | None, Query(pattern="^(student|teacher|admin|researcher)$")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[AdminUserOut]:
    """Every user, optionally of one role."""
    q = select(User).order_by(User.id)
    if role:
        q = q.where(User.role == role)
    with svc.store.session() as s:
        rows = s.scalars(q).all()
    items = [_out(svc, u) for u in rows[offset : offset + limit]]
    return {"items": items, "total": len(rows), "limit": limit, "offset": offset}  # type: ignore[return-value]


@router.post("/users", status_code=201, summary="Create a user")
def create_user(body: UserIn, principal: Admin, svc: ServicesDep) -> AdminUserOut:
    """A password user, or an SSO user linked by ``oidc_subject``."""
    if body.role == "student" and not body.student_id:
        raise ApiError(422, "A student user needs a student_id.")
    if body.role != "student" and body.student_id:
        raise ApiError(422, "Only student users have a student_id.")
    if not body.password and not body.oidc_subject:
        raise ApiError(422, "Give a password or an oidc_subject.")
    with svc.store.session() as s:
        if s.scalars(select(User.id).where(User.username == body.username)).first():
            raise ApiError(409, "That username is taken.", kind="conflict")
        if (
            body.oidc_subject
            and s.scalars(select(User.id).where(User.oidc_subject == body.oidc_subject)).first()
        ):
            raise ApiError(409, "That identity is already linked to a user.", kind="conflict")
        user = User(
            username=body.username,
            password_hash=hash_password(body.password) if body.password else None,
            role=body.role,
            display_name=body.display_name,
            email=body.email,
            student_id=body.student_id,
            lrs_account=body.lrs_account,
            oidc_subject=body.oidc_subject or None,  # "" is no identity (unique)
            language=body.language,
        )
        s.add(user)
        s.flush()
    svc.invalidate()
    return _out(svc, user)


@router.patch("/users/{user_id}", summary="Change a user")
def patch_user(
    user_id: UserId, body: UserPatch, principal: Admin, svc: ServicesDep
) -> AdminUserOut:
    """Deactivate, rename, reset a password, change the language."""
    with svc.store.session() as s:
        user = s.get(User, user_id)
        if user is None:
            raise ApiError(404, "No such user.", kind="not-found")
        changes = body.model_dump(exclude_unset=True)
        if "password" in changes:
            pw = changes.pop("password")
            user.password_hash = hash_password(pw) if pw else user.password_hash
        for k, v in changes.items():
            if v is not None:
                setattr(user, k, v)
    svc.invalidate()
    return _out(svc, user)


@router.put("/users/{user_id}/classes/{class_id}", summary="Assign a teacher to a class")
def assign(user_id: UserId, class_id: SafeId, principal: Admin, svc: ServicesDep) -> Ok:
    """Idempotent."""
    with svc.store.session() as s:
        user = s.get(User, user_id)
        if user is None or user.role != "teacher":
            raise ApiError(404, "No such teacher.", kind="not-found")
        if svc.gold.rows("dim_classes", "class_id", class_id).height == 0:
            raise ApiError(404, "No such class.", kind="not-found")
        if s.get(ClassAssignment, (user_id, class_id)) is None:
            s.add(ClassAssignment(user_id=user_id, class_id=class_id))
    svc.invalidate()
    return Ok()


@router.delete("/users/{user_id}/classes/{class_id}", summary="Unassign a teacher from a class")
def unassign(user_id: UserId, class_id: SafeId, principal: Admin, svc: ServicesDep) -> Ok:
    """Idempotent."""
    with svc.store.session() as s:
        row = s.get(ClassAssignment, (user_id, class_id))
        if row is not None:
            s.delete(row)
    svc.invalidate()
    return Ok()


@router.get("/students/{student_id}/consent", summary="A student's consent")
def get_consent(
    student_id: SafeId, request: Request, principal: Admin, svc: ServicesDep
) -> list[ConsentOut]:
    """Every purpose, in a fixed order; a purpose never recorded reads as not granted."""
    authorize_student(request, svc, principal, student_id)
    with svc.store.session() as s:
        rows = s.scalars(select(Consent).where(Consent.student_id == student_id)).all()
    on_record = {r.purpose: r for r in rows}
    return [
        ConsentOut.model_validate(on_record[p], from_attributes=True)
        if p in on_record
        else ConsentOut(student_id=student_id, purpose=p, granted=False, updated_at=None)
        for p in CONSENT_PURPOSES
    ]


@router.put("/students/{student_id}/consent", summary="Record a student's consent")
def put_consent(
    student_id: SafeId, body: ConsentIn, request: Request, principal: Admin, svc: ServicesDep
) -> ConsentOut:
    """Grant or withdraw consent for a purpose; every decision is added to the history.

    Research builds read the current decision: a withdrawal takes the student out of the
    research tables at the next build."""
    authorize_student(request, svc, principal, student_id, "update")
    now = utcnow()
    with svc.store.session() as s:
        row = s.get(Consent, (student_id, body.purpose))
        if row is None:
            row = Consent(student_id=student_id, purpose=body.purpose, granted=body.granted)
            s.add(row)
        row.granted = body.granted
        row.updated_by = principal.user_id
        row.updated_at = now
        s.add(
            ConsentChange(
                student_id=student_id,
                purpose=body.purpose,
                granted=body.granted,
                changed_at=now,
                changed_by=principal.user_id,
            )
        )
        s.flush()
        return ConsentOut.model_validate(row, from_attributes=True)


@router.get(
    "/students/{student_id}/consent/history", summary="A student's consent decisions over time"
)
def consent_history(
    student_id: SafeId,
    request: Request,
    principal: Admin,
    svc: ServicesDep,
    purpose: Annotated[str | None, Query(pattern="^(research|analytics)$")] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Page[ConsentChangeOut]:
    """Every recorded decision, oldest first (optionally for one purpose)."""
    authorize_student(request, svc, principal, student_id)
    q = select(ConsentChange).where(ConsentChange.student_id == student_id)
    if purpose:
        q = q.where(ConsentChange.purpose == purpose)
    with svc.store.session() as s:
        rows = s.scalars(q.order_by(ConsentChange.id)).all()
    items = [ConsentChangeOut.model_validate(r, from_attributes=True) for r in rows]
    return page(items, limit, offset)  # type: ignore[return-value]


@router.post("/erasure-requests", status_code=201, summary="Request a student's erasure")
def request_erasure(
    body: ErasureIn, request: Request, principal: Admin, svc: ServicesDep
) -> ErasureOut:
    """Recorded as pending; the lake's privacy job carries it out and marks it done."""
    authorize_student(request, svc, principal, body.student_id, "erase")
    with svc.store.session() as s:
        row = ErasureRequest(
            student_id=body.student_id, requested_by=principal.user_id, reason=body.reason
        )
        s.add(row)
        s.flush()
        return ErasureOut.model_validate(row, from_attributes=True)


@router.get("/erasure-requests", summary="Erasure requests")
def erasure_requests(
    principal: Admin, svc: ServicesDep, limit: Limit = 50, offset: Offset = 0
) -> Page[ErasureOut]:
    """Newest first."""
    with svc.store.session() as s:
        rows = s.scalars(select(ErasureRequest).order_by(ErasureRequest.id.desc())).all()
    items = [ErasureOut.model_validate(r, from_attributes=True) for r in rows]
    return page(items, limit, offset)  # type: ignore[return-value]


@router.get("/audit", summary="The audit log")
def audit(
    principal: Admin,
    svc: ServicesDep,
    student_id: Annotated[str | None, Query(max_length=64)] = None,
    actor_id: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Page[AuditOut]:
    """Who read or changed which student's data, newest first."""
    svc.audit.flush()
    q = select(AuditEvent)
    if student_id:
        q = q.where(AuditEvent.student_id == student_id)
    if actor_id:
        q = q.where(AuditEvent.actor_id == actor_id)
    with svc.store.session() as s:
        total = len(s.scalars(q.with_only_columns(AuditEvent.id)).all())
        rows = s.scalars(q.order_by(AuditEvent.id.desc()).offset(offset).limit(limit)).all()
    items = [AuditOut.model_validate(r, from_attributes=True) for r in rows]
    return {"items": items, "total": total, "limit": limit, "offset": offset}  # type: ignore[return-value]
