"""Classes: lists, roster, overview, at-risk students, item analysis, interventions, invites."""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import Response
from sqlalchemy import select

from api.deps import PrincipalDep, ServicesDep, authorize_class, authorize_student, require_roles
from api.learner import at_risk
from api.notify import notify_users
from api.problems import ApiError
from api.routers.common import NAMES_TTL_S, class_summary, display_names, records
from api.schemas.classes import (
    FlagFeedbackIn,
    InterventionIn,
    InterventionOut,
    InviteIn,
    InviteOut,
)
from api.schemas.common import Limit, Offset, Ok, Page, page
from api.schemas.learning import (
    AtRiskList,
    ClassOverview,
    ClassSummary,
    ItemAnalysis,
    ItemStats,
    ModuleProgressCell,
    QuizReliability,
    RosterEntry,
    VideoSegment,
)
from api.security import Principal
from api.store.models import ClassInvite, FlagFeedback, Intervention, User

router = APIRouter(prefix="/api/v1/classes", tags=["classes"])
ClassId = Annotated[str, Path(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.:\-]+$")]
Staff = Annotated[Principal, Depends(require_roles("teacher", "admin"))]


def _known(svc: ServicesDep, class_id: str) -> ClassSummary:
    summary = class_summary(svc, class_id)
    if summary is None:
        raise ApiError(404, "No such class.", kind="not-found")
    return summary


@router.get("", summary="Classes I may see")
def list_classes(principal: PrincipalDep, svc: ServicesDep) -> list[ClassSummary]:
    """Admins: every class; teachers: their classes; students: their enrolments."""
    if principal.role == "admin":
        ids = sorted(svc.gold.keys("dim_classes", "class_id"))
    elif principal.role == "teacher":
        ids = sorted(svc.teacher_classes(principal.user_id))
    elif principal.role == "student" and principal.student_id:
        ids = sorted(svc.student_classes(principal.student_id))
    else:
        raise ApiError(403, "Your role may not use this endpoint.", kind="forbidden")
    out = [class_summary(svc, c) for c in ids]
    return [c for c in out if c is not None]


@router.get("/{class_id}/roster", summary="Students of a class", response_model=Page[RosterEntry])
def roster(
    class_id: ClassId,
    request: Request,
    principal: Staff,
    svc: ServicesDep,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Response:
    """The class's students with their headline progress."""
    authorize_class(request, svc, principal, class_id)
    _known(svc, class_id)

    def build() -> Page[RosterEntry]:
        rows = records(svc.gold.rows("fct_student_progress", "class_id", class_id))
        names = display_names(svc, [r["student_id"] for r in rows])
        items = [{**r, "display_name": names.get(r["student_id"])} for r in rows]
        items.sort(key=lambda r: (r["display_name"] or "~", r["student_id"]))
        return Page[RosterEntry].model_validate(page(items, limit, offset))

    return svc.responses.respond(
        ("roster", class_id, limit, offset),
        ("fct_student_progress",),
        Page[RosterEntry],
        build,
        ttl_s=NAMES_TTL_S,
    )


@router.get(
    "/{class_id}/overview",
    summary="A class at a glance, week by week",
    response_model=ClassOverview,
)
def overview(class_id: ClassId, request: Request, principal: Staff, svc: ServicesDep) -> Response:
    """Enrolment, weekly active share, submissions and mean scores per week."""
    authorize_class(request, svc, principal, class_id, student_level=False)
    info = _known(svc, class_id)

    def build() -> ClassOverview:
        weeks = records(svc.gold.rows("fct_class_week_overview", "class_id", class_id))
        return ClassOverview.model_validate({"class_info": info, "weeks": weeks})

    return svc.responses.respond(
        ("overview", class_id), ("dim_classes", "fct_class_week_overview"), ClassOverview, build
    )


@router.get(
    "/{class_id}/at-risk", summary="Students at risk, with reasons", response_model=AtRiskList
)
def at_risk_list(
    class_id: ClassId, request: Request, principal: Staff, svc: ServicesDep
) -> Response:
    """The at-risk model's flags (or the transparent rule until the model is trained)."""
    authorize_class(request, svc, principal, class_id)
    _known(svc, class_id)

    def build() -> AtRiskList:
        source, flagged = at_risk(svc.gold, class_id)
        names = display_names(svc, [f["student_id"] for f in flagged])
        students = [{**f, "display_name": names.get(f["student_id"])} for f in flagged]
        return AtRiskList.model_validate(
            {"class_id": class_id, "source": source, "students": students}
        )

    return svc.responses.respond(
        ("at-risk", class_id),
        ("ml_at_risk_scores", "fct_student_progress"),
        AtRiskList,
        build,
        ttl_s=NAMES_TTL_S,
    )


@router.post("/{class_id}/at-risk/feedback", summary="Acknowledge a flag or mark it not useful")
def flag_feedback(
    class_id: ClassId, body: FlagFeedbackIn, request: Request, principal: Staff, svc: ServicesDep
) -> Ok:
    """Stored for the at-risk model's evaluation."""
    authorize_student(request, svc, principal, body.student_id, "update", class_id=class_id)
    with svc.store.session() as s:
        s.add(
            FlagFeedback(
                class_id=class_id,
                student_id=body.student_id,
                teacher_id=principal.user_id,
                verdict=body.verdict,
                as_of=body.as_of,
            )
        )
    return Ok()


@router.get(
    "/{class_id}/item-analysis",
    summary="Item difficulty, discrimination, reliability",
    response_model=ItemAnalysis,
)
def item_analysis(
    class_id: ClassId, request: Request, principal: Staff, svc: ServicesDep
) -> Response:
    """Per item: difficulty, discrimination, option shares and flags; per quiz: KR-20/alpha."""
    authorize_class(request, svc, principal, class_id, student_level=False)
    _known(svc, class_id)
    return svc.responses.respond(
        ("item-analysis", class_id),
        ("fct_item_statistics", "dim_items", "fct_quiz_reliability"),
        ItemAnalysis,
        lambda: _item_analysis(svc, class_id),
    )


def _item_analysis(svc: ServicesDep, class_id: str) -> ItemAnalysis:
    stats = records(svc.gold.rows("fct_item_statistics", "class_id", class_id))
    stems = {
        r["item_id"]: r["stem"]
        for q in {s["quiz_id"] for s in stats}
        for r in records(svc.gold.rows("dim_items", "quiz_id", q))
    }
    items = []
    for r in stats:
        shares = r.get("option_shares")
        if isinstance(shares, str):
            shares = json.loads(shares)
        flagged = bool(r.get("is_too_easy") or r.get("is_too_hard")) or bool(
            r.get("has_negative_discrimination")
        )
        items.append(
            ItemStats.model_validate(
                {**r, "option_shares": shares, "stem": stems.get(r["item_id"]), "flagged": flagged}
            )
        )
    quizzes = []
    for q in sorted({i.quiz_id for i in items}):
        for r in records(svc.gold.rows("fct_quiz_reliability", "quiz_id", q)):
            quizzes.append(QuizReliability.model_validate(r))
    return ItemAnalysis(class_id=class_id, items=items, quizzes=quizzes)


@router.get(
    "/{class_id}/module-progress",
    summary="Progress heatmap: each student's share of each module touched",
    response_model=list[ModuleProgressCell],
)
def module_progress(
    class_id: ClassId, request: Request, principal: Staff, svc: ServicesDep
) -> Response:
    """One row per student and module (students x modules), sorted by student then module."""
    authorize_class(request, svc, principal, class_id)
    _known(svc, class_id)

    def build() -> list[ModuleProgressCell]:
        rows = records(svc.gold.rows("fct_student_module_progress", "class_id", class_id))
        names = display_names(svc, sorted({r["student_id"] for r in rows}))
        cells = [
            ModuleProgressCell.model_validate({**r, "display_name": names.get(r["student_id"])})
            for r in rows
            if r.get("module") is not None
        ]
        cells.sort(key=lambda c: (c.display_name or "~", c.student_id, c.module))
        return cells

    return svc.responses.respond(
        ("module-progress", class_id),
        ("fct_student_module_progress",),
        list[ModuleProgressCell],
        build,
        ttl_s=NAMES_TTL_S,
    )


@router.get(
    "/{class_id}/video-engagement",
    summary="Views across each video's length",
    response_model=list[VideoSegment],
)
def video_engagement(
    class_id: ClassId, request: Request, principal: Staff, svc: ServicesDep
) -> Response:
    """Per video and segment: views, unique viewers and repeat views (no student-level data)."""
    authorize_class(request, svc, principal, class_id, student_level=False)
    _known(svc, class_id)

    def build() -> list[VideoSegment]:
        titles = {
            r["content_id"]: r.get("content_title")
            for r in records(svc.gold.rows("dim_content", "class_id", class_id))
        }
        rows = records(svc.gold.rows("fct_video_segments", "class_id", class_id))
        out = [VideoSegment.model_validate({**r, "title": titles.get(r["video_id"])}) for r in rows]
        out.sort(key=lambda v: (v.title or v.video_id, v.video_id, v.segment_index))
        return out

    return svc.responses.respond(
        ("video-engagement", class_id),
        ("fct_video_segments", "dim_content"),
        list[VideoSegment],
        build,
    )


@router.get("/{class_id}/interventions", summary="Interventions logged in a class")
def list_interventions(
    class_id: ClassId,
    request: Request,
    principal: Staff,
    svc: ServicesDep,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[InterventionOut]:
    """Newest first."""
    authorize_class(request, svc, principal, class_id)
    with svc.store.session() as s:
        rows = s.scalars(
            select(Intervention)
            .where(Intervention.class_id == class_id)
            .order_by(Intervention.created_at.desc(), Intervention.id.desc())
        ).all()
    items = [InterventionOut.model_validate(r, from_attributes=True) for r in rows]
    return page(items, limit, offset)  # type: ignore[return-value]


@router.post("/{class_id}/interventions", status_code=201, summary="Log an intervention")
def create_intervention(
    class_id: ClassId, body: InterventionIn, request: Request, principal: Staff, svc: ServicesDep
) -> InterventionOut:
    """Logs it; with ``notify_student`` the student gets an in-app notification (and e-mail)."""
    authorize_student(request, svc, principal, body.student_id, "create", class_id=class_id)
    with svc.store.session() as s:
        row = Intervention(
            class_id=class_id,
            student_id=body.student_id,
            teacher_id=principal.user_id,
            kind=body.kind,
            note=body.note,
        )
        s.add(row)
        s.flush()
        out = InterventionOut.model_validate(row, from_attributes=True)
        student_users = s.scalars(select(User.id).where(User.student_id == body.student_id)).all()
    if body.notify_student and student_users:
        notify_users(
            svc,
            list(student_users),
            event_key=f"intervention:{out.id}",
            kind="intervention",
            title="A message from your teacher",
            body=body.note or f"Your teacher logged a {body.kind.replace('_', ' ')} for you.",
            student_id=body.student_id,
            class_id=class_id,
        )
    return out


@router.post("/{class_id}/invites", status_code=201, summary="Create an invite code")
def create_invite(
    class_id: ClassId, body: InviteIn, request: Request, principal: Staff, svc: ServicesDep
) -> InviteOut:
    """A code students enter at onboarding to join this class."""
    authorize_class(request, svc, principal, class_id, "create", student_level=False)
    _known(svc, class_id)
    code = "-".join(secrets.token_hex(2).upper() for _ in range(3))
    expires = datetime.now(UTC) + timedelta(days=body.valid_days)
    with svc.store.session() as s:
        s.add(
            ClassInvite(
                code=code,
                class_id=class_id,
                created_by=principal.user_id,
                expires_at=expires,
                max_uses=body.max_uses,
            )
        )
    return InviteOut(code=code, class_id=class_id, expires_at=expires, max_uses=body.max_uses)
