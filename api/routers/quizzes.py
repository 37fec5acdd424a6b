"""Quizzes: list a class's quizzes, deliver one without its key, score a submission.

A submission is scored at once, returned with feedback, recorded as xAPI statements in the
landing folder (so the pipeline loads it like any LMS activity) and moves the student's skill
mastery immediately with the served mastery model.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request

from api.deps import PrincipalDep, ServicesDep, authorize_class, require_roles
from api.learner import quiz_statements, score_item, write_landing
from api.problems import ApiError
from api.routers.common import records
from api.schemas.content import (
    ItemFeedback,
    QuizItem,
    QuizOption,
    QuizOut,
    QuizSummary,
    SubmissionIn,
    SubmissionOut,
)
from api.schemas.learning import MasteryChange
from api.security import Principal
from api.store.models import QuizSubmission, User

router = APIRouter(prefix="/api/v1", tags=["quizzes"])
SafeId = Annotated[str, Path(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.:\-]+$")]


@router.get("/classes/{class_id}/quizzes", summary="Quizzes of a class")
def class_quizzes(
    class_id: SafeId, request: Request, principal: PrincipalDep, svc: ServicesDep
) -> list[QuizSummary]:
    """For the class's students, teachers and admins."""
    authorize_class(request, svc, principal, class_id, students_may=True, student_level=False)
    out = []
    for r in records(svc.gold.rows("dim_content", "class_id", class_id)):
        if r["content_type"] == "quiz":
            out.append(
                QuizSummary(
                    quiz_id=r["content_id"],
                    class_id=class_id,
                    title=r["content_title"],
                    module=r["module"],
                    week=r["week"],
                    n_items=r.get("n_items"),
                )
            )
    return out


def _quiz_items(svc: ServicesDep, quiz_id: str) -> list[dict]:
    items = records(svc.gold.rows("dim_items", "quiz_id", quiz_id))
    if not items:
        raise ApiError(404, "No such quiz.", kind="not-found")
    return sorted(items, key=lambda r: (r.get("position") or 0, r["item_id"]))


@router.get("/quizzes/{quiz_id}", summary="A quiz to take (no answer key)")
def get_quiz(
    quiz_id: SafeId, request: Request, principal: PrincipalDep, svc: ServicesDep
) -> QuizOut:
    """The quiz's items and options; correct answers are never sent."""
    items = _quiz_items(svc, quiz_id)
    class_id = items[0]["class_id"]
    authorize_class(request, svc, principal, class_id, students_may=True, student_level=False)
    title = None
    for r in records(svc.gold.rows("dim_content", "content_id", quiz_id)):
        title = r["content_title"]
    return QuizOut(
        quiz_id=quiz_id,
        class_id=class_id,
        title=title,
        items=[
            QuizItem(
                item_id=r["item_id"],
                item_type=r["item_type"] or "choice",
                stem=r["stem"],
                position=r.get("position"),
                options=[
                    QuizOption(option_id=o, text=t)
                    for o, t in zip(r["option_ids"] or [], r["option_texts"] or [], strict=False)
                ],
            )
            for r in items
        ],
    )


@router.post("/quizzes/{quiz_id}/submissions", status_code=201, summary="Submit answers to a quiz")
def submit_quiz(
    quiz_id: SafeId,
    body: SubmissionIn,
    request: Request,
    principal: Annotated[Principal, Depends(require_roles("student"))],
    svc: ServicesDep,
) -> SubmissionOut:
    """Scores the answers, returns feedback, writes xAPI statements and updates mastery."""
    items = {r["item_id"]: r for r in _quiz_items(svc, quiz_id)}
    class_id = next(iter(items.values()))["class_id"]
    authorize_class(request, svc, principal, class_id, "create", students_may=True)
    seen: set[str] = set()
    for r in body.responses:
        if r.item_id not in items:
            raise ApiError(422, f"Item {r.item_id!r} is not part of this quiz.")
        if r.item_id in seen:
            raise ApiError(422, f"Item {r.item_id!r} is answered twice.")
        seen.add(r.item_id)
    with svc.store.session() as s:
        user = s.get(User, principal.user_id)
        account = user.lrs_account if user else None
    if not account or not principal.student_id:
        raise ApiError(409, "This account is not linked to a student record; ask an admin.")
    results = [score_item(items[r.item_id], r.response) for r in body.responses]
    now = datetime.now(UTC)
    started = body.started_at or now
    if started.tzinfo is None:
        started = started.replace(tzinfo=UTC)
    if started > now:
        raise ApiError(422, "started_at is in the future.")
    attempt_id = str(uuid.uuid4())
    statements = quiz_statements(
        actor_account=account,
        home_page=svc.settings.public_url,
        class_id=class_id,
        quiz_id=quiz_id,
        attempt_id=attempt_id,
        results=results,
        started_at=started,
        submitted_at=now,
    )
    path = write_landing(svc.settings.landing, "xapi/api", attempt_id, statements)
    score = sum(r.score for r in results)
    max_score = sum(r.max_score for r in results)
    with svc.store.session() as s:
        s.add(
            QuizSubmission(
                attempt_id=attempt_id,
                student_id=principal.student_id,
                class_id=class_id,
                quiz_id=quiz_id,
                score=score,
                max_score=max_score,
                submitted_at=now,
                statements_file=str(path),
            )
        )
    changes = svc.extras["mastery"].apply(
        principal.student_id, [(k, r.is_correct) for r in results for k in r.skill_ids]
    )
    svc.responses.invalidate(lambda k: isinstance(k, tuple) and principal.student_id in k)
    return SubmissionOut(
        attempt_id=attempt_id,
        quiz_id=quiz_id,
        class_id=class_id,
        score=score,
        max_score=max_score,
        items=[
            ItemFeedback(
                item_id=r.item_id,
                is_correct=r.is_correct,
                score=r.score,
                max_score=r.max_score,
                feedback=r.feedback,
                correct_responses=r.correct_responses,
            )
            for r in results
        ],
        mastery=[MasteryChange.model_validate(c) for c in changes],
        statements_written=len(statements),
    )
