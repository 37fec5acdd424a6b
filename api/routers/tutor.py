"""The tutor: a student asks about a class; the answer quotes and cites the course pages."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from sqlalchemy import select

from api.deps import ServicesDep, authorize_class, require_roles
from api.routers.common import records
from api.schemas.common import Limit, Offset, Page, page
from api.schemas.community import TutorAnswer, TutorQuestionIn
from api.security import Principal
from api.store.models import TutorQuestion

router = APIRouter(prefix="/api/v1/tutor", tags=["tutor"])
StudentOnly = Annotated[Principal, Depends(require_roles("student"))]


@router.post("/questions", status_code=201, summary="Ask the tutor a question")
def ask(
    body: TutorQuestionIn, request: Request, principal: StudentOnly, svc: ServicesDep
) -> TutorAnswer:
    """Answers from the class's course pages: cited passages, or a refusal that offers to ask
    the teacher when nothing relevant is found."""
    authorize_class(request, svc, principal, body.class_id, "create", students_may=True)
    pages = records(svc.gold.rows("content_pages", "class_id", body.class_id))
    reply = svc.extras["tutor"].ask(body.question, body.class_id, pages)
    answer, sources = reply["answer"], reply["sources"]
    extra = {k: reply[k] for k in ("is_answerable", "offer_teacher", "language", "confidence")}
    with svc.store.session() as s:
        row = TutorQuestion(
            student_id=principal.student_id or "",
            class_id=body.class_id,
            question=body.question,
            answer=answer,
            sources={"method": reply["method"], "sources": sources, **extra},
        )
        s.add(row)
        s.flush()
        out = TutorAnswer(
            id=row.id,
            question=row.question,
            answer=answer,
            method=reply["method"],
            sources=sources,  # type: ignore[arg-type]
            created_at=row.created_at,
            **extra,
        )
    return out


@router.get("/questions", summary="My questions and their answers")
def my_questions(
    principal: StudentOnly, svc: ServicesDep, limit: Limit = 20, offset: Offset = 0
) -> Page[TutorAnswer]:
    """Newest first."""
    with svc.store.session() as s:
        rows = s.scalars(
            select(TutorQuestion)
            .where(TutorQuestion.student_id == (principal.student_id or ""))
            .order_by(TutorQuestion.id.desc())
        ).all()
    items = [
        TutorAnswer(
            id=r.id,
            question=r.question,
            answer=r.answer,
            method=(r.sources or {}).get("method", "extractive-bm25"),
            sources=(r.sources or {}).get("sources", []),
            created_at=r.created_at,
            is_answerable=(r.sources or {}).get("is_answerable", True),
            offer_teacher=(r.sources or {}).get("offer_teacher", False),
            language=(r.sources or {}).get("language"),
            confidence=(r.sources or {}).get("confidence"),
        )
        for r in rows
    ]
    return page(items, limit, offset)  # type: ignore[return-value]
