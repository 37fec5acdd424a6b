"""Students: their profile and classes, onboarding, progress, mastery, recommendations, timeline.

Routes with ``{student_id}`` serve the student themself, the teachers of their classes and
admins; each access is audited.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import Response
from sqlalchemy import select

from api.courses import CourseProfile, course_recommendations, roster_grade
from api.deps import PrincipalDep, ServicesDep, authorize_student, require_roles
from api.learner import recommendations
from api.problems import ApiError
from api.routers.common import class_summary, records
from api.schemas.learning import (
    ClassProgress,
    ClassSummary,
    CourseRecommendation,
    ModuleProgress,
    Onboarding,
    OnboardingResult,
    Recommendations,
    SkillMastery,
    StudentProfileOut,
    Timeline,
)
from api.security import Principal
from api.store.models import ClassInvite, ClassMembership, Intervention, StudentProfile, User

# Answers that read the operational store too (live mastery, profile) are dropped when this
# process changes them (a submission, onboarding) and, for changes made by another process, when
# the store's change feed reports them (api.store.changes, within a poll). This bound is only the
# backstop for edits made outside the store's sessions.
LIVE_TTL_S = 300.0
MASTERY_TABLES = ("ml_skill_mastery", "fct_skill_attempt_sequences", "skills")
router = APIRouter(prefix="/api/v1/students", tags=["students"])
StudentId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:\-]+$")]
StudentOnly = Annotated[Principal, Depends(require_roles("student"))]


def _profile(svc: ServicesDep, principal: Principal) -> StudentProfileOut:
    with svc.store.session() as s:
        user = s.get(User, principal.user_id)
        prof = s.get(StudentProfile, principal.user_id)
    if user is None:
        raise ApiError(404, "User not found.")
    interests = list((prof.interests or {}).get("topics", [])) if prof else []
    return StudentProfileOut(
        user_id=user.id,
        username=user.username,
        display_name=user.display_name,
        student_id=user.student_id,
        language=user.language,
        grade_level=prof.grade_level if prof else None,
        interests=interests,
        onboarded=bool(prof and prof.onboarded_at),
    )


@router.get("/me", summary="My profile")
def me(principal: StudentOnly, svc: ServicesDep) -> StudentProfileOut:
    """The signed-in student's profile."""
    return _profile(svc, principal)


@router.get("/me/classes", summary="My classes", response_model=list[ClassSummary])
def my_classes(principal: StudentOnly, svc: ServicesDep) -> Response:
    """Classes the signed-in student is enrolled in."""
    classes = tuple(sorted(svc.student_classes(principal.student_id or "")))

    def build() -> list[ClassSummary]:
        out = [class_summary(svc, c) for c in classes]
        return [c for c in out if c is not None]

    return svc.responses.respond(("classes", classes), ("dim_classes",), list[ClassSummary], build)


@router.get(
    "/me/course-recommendations",
    summary="Classes I might join",
    response_model=list[CourseRecommendation],
)
def my_course_recommendations(principal: StudentOnly, svc: ServicesDep) -> Response:
    """Classes the signed-in student is not in yet, best first, each with a reason: taken by
    the students of their classes, popular at their grade level, matching their interests, with
    pages in their language (``api.courses``)."""
    sid = principal.student_id or ""
    profile = _profile(svc, principal)
    mine = frozenset(svc.student_classes(sid)) if sid else frozenset()
    course_profile = CourseProfile(
        student_id=sid,
        classes=mine,
        grade_level=profile.grade_level or (roster_grade(svc.gold, sid) if sid else None),
        interests=tuple(profile.interests),
        language=profile.language,
    )

    def build() -> list[CourseRecommendation]:
        tutor = svc.extras.get("tutor")
        languages = tutor.class_languages() if tutor is not None else None
        items = course_recommendations(svc.gold, course_profile, languages or None)
        return [CourseRecommendation.model_validate(i) for i in items]

    return svc.responses.respond(
        ("course-recommendations", sid, course_profile),
        ("dim_classes", "dim_students", "fct_student_progress"),
        list[CourseRecommendation],
        build,
        ttl_s=LIVE_TTL_S,
    )


@router.post("/me/onboarding", summary="Join a class with an invite code and set my profile")
def onboarding(body: Onboarding, principal: StudentOnly, svc: ServicesDep) -> OnboardingResult:
    """Joins the invite's class, saves grade level, interests and language, and returns the
    first recommendations."""
    if not principal.student_id:
        raise ApiError(409, "This student account is not linked to a student record.")
    now = datetime.now(UTC)
    with svc.store.session() as s:
        invite = s.get(ClassInvite, body.invite_code.upper())
        expires = invite.expires_at if invite else None
        if expires is not None and expires.tzinfo is None:
            expires = expires.replace(tzinfo=UTC)
        if (
            invite is None
            or (expires is not None and expires < now)
            or (invite.max_uses is not None and invite.uses >= invite.max_uses)
        ):
            raise ApiError(
                404, "This invite code is unknown or has expired.", kind="invalid-invite"
            )
        class_id = invite.class_id
        if s.get(ClassMembership, (principal.student_id, class_id)) is None:
            s.add(ClassMembership(student_id=principal.student_id, class_id=class_id))
            invite.uses += 1
        prof = s.get(StudentProfile, principal.user_id) or StudentProfile(user_id=principal.user_id)
        prof.grade_level = body.grade_level
        prof.interests = {"topics": [t.strip()[:64] for t in body.interests if t.strip()]}
        prof.onboarded_at = now
        s.merge(prof)
        user = s.get(User, principal.user_id)
        if user is not None:
            user.language = body.language
    svc.invalidate()
    svc.responses.invalidate(lambda k: isinstance(k, tuple) and principal.student_id in k)
    summary = class_summary(svc, class_id) or ClassSummary(class_id=class_id)
    profile = _profile(svc, principal)
    mastery = svc.extras["mastery"].current(principal.student_id)
    source, items = recommendations(
        svc.gold,
        mastery,
        sorted(svc.student_classes(principal.student_id)),
        principal.student_id,
        profile.interests,
        language=profile.language,
        page_languages=_page_languages(svc),
    )
    return OnboardingResult(
        profile=profile,
        joined_class=summary,
        recommendations=Recommendations.model_validate({"source": source, "items": items}),
    )


@router.get(
    "/{student_id}/progress",
    summary="A student's progress per class and module",
    response_model=list[ClassProgress],
)
def progress(
    student_id: StudentId, request: Request, principal: PrincipalDep, svc: ServicesDep
) -> Response:
    """Progress in each class the caller may see (teachers: only their classes)."""
    authorize_student(request, svc, principal, student_id)
    visible = frozenset(_visible_classes(svc, principal, student_id))
    return svc.responses.respond(
        ("progress", student_id, visible),
        ("fct_student_progress", "fct_student_module_progress"),
        list[ClassProgress],
        lambda: _progress(svc, student_id, visible),
    )


def _progress(svc: ServicesDep, student_id: str, visible: frozenset[str]) -> list[ClassProgress]:
    modules: dict[str, list[ModuleProgress]] = {}
    for r in records(svc.gold.rows("fct_student_module_progress", "student_id", student_id)):
        modules.setdefault(r["class_id"], []).append(ModuleProgress.model_validate(r))
    out = []
    for r in records(svc.gold.rows("fct_student_progress", "student_id", student_id)):
        if r["class_id"] in visible:
            out.append(
                ClassProgress.model_validate({**r, "modules": modules.get(r["class_id"], [])})
            )
    return out


def _visible_classes(svc: ServicesDep, principal: Principal, student_id: str) -> set[str]:
    theirs = set(svc.student_classes(student_id))
    if principal.role == "teacher":
        return theirs & set(svc.teacher_classes(principal.user_id))
    return theirs


@router.get(
    "/{student_id}/mastery",
    summary="A student's mastery per skill",
    response_model=list[SkillMastery],
)
def mastery(
    student_id: StudentId, request: Request, principal: PrincipalDep, svc: ServicesDep
) -> Response:
    """The probability of answering the next item on each skill correctly (weakest first)."""
    authorize_student(request, svc, principal, student_id)
    return svc.responses.respond(
        ("mastery", student_id),
        MASTERY_TABLES,
        list[SkillMastery],
        lambda: [SkillMastery.model_validate(m) for m in svc.extras["mastery"].current(student_id)],
        ttl_s=LIVE_TTL_S,
    )


@router.get(
    "/{student_id}/recommendations",
    summary="What a student should study next",
    response_model=Recommendations,
)
def student_recommendations(
    student_id: StudentId, request: Request, principal: PrincipalDep, svc: ServicesDep
) -> Response:
    """Recommendations with a reason each."""
    authorize_student(request, svc, principal, student_id)
    visible = frozenset(_visible_classes(svc, principal, student_id))
    return svc.responses.respond(
        ("recommendations", student_id, visible),
        (
            *MASTERY_TABLES,
            "dim_items",
            "dim_content",
            "fct_student_module_progress",
            "ml_recommendations",
        ),
        Recommendations,
        lambda: _recommendations(svc, student_id, visible),
        ttl_s=LIVE_TTL_S,
    )


def _page_languages(svc: ServicesDep) -> dict[str, str]:
    tutor = svc.extras.get("tutor")
    return tutor.page_languages() if tutor is not None else {}


def _recommendations(svc: ServicesDep, student_id: str, visible: frozenset[str]) -> Recommendations:
    interests: list[str] = []
    language: str | None = None
    with svc.store.session() as s:
        user = s.scalars(select(User).where(User.student_id == student_id)).first()
        prof = s.get(StudentProfile, user.id) if user else None
        if prof:
            interests = list((prof.interests or {}).get("topics", []))
        if user is not None:
            language = user.language
    source, items = recommendations(
        svc.gold,
        svc.extras["mastery"].current(student_id),
        sorted(visible),
        student_id,
        interests,
        language=language,
        page_languages=_page_languages(svc),
    )
    return Recommendations.model_validate({"source": source, "items": items})


@router.get(
    "/{student_id}/classes/{class_id}/timeline",
    summary="A student's timeline in a class, beside the class averages",
)
def timeline(
    student_id: StudentId,
    class_id: Annotated[str, Path(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.:\-]+$")],
    request: Request,
    principal: Annotated[Principal, Depends(require_roles("teacher", "admin"))],
    svc: ServicesDep,
) -> Timeline:
    """Activity per day, quiz attempts and interventions, with the class's weekly figures."""
    authorize_student(request, svc, principal, student_id, class_id=class_id)
    days = [
        r
        for r in records(svc.gold.rows("fct_daily_engagement", "student_id", student_id))
        if r["class_id"] == class_id
    ]
    attempts = [
        r
        for r in records(svc.gold.rows("fct_quiz_attempts", "student_id", student_id))
        if r["class_id"] == class_id
    ]
    with svc.store.session() as s:
        interventions = s.scalars(
            select(Intervention)
            .where(Intervention.student_id == student_id, Intervention.class_id == class_id)
            .order_by(Intervention.created_at)
        ).all()
    return Timeline.model_validate(
        {
            "student_id": student_id,
            "class_id": class_id,
            "days": [{**d, "date": d["event_date"]} for d in days],
            "attempts": attempts,
            "interventions": [
                {"id": i.id, "kind": i.kind, "note": i.note, "created_at": i.created_at}
                for i in interventions
            ],
            "class_weeks": records(svc.gold.rows("fct_class_week_overview", "class_id", class_id)),
        }
    )
