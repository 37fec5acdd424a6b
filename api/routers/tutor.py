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
from api.tutor import passages, rank

router = APIRouter(prefix="/api/v1/tutor", tags=["tutor"])
StudentOnly = Annotated[Principal, Depends(require_roles("student"))]
NO_MATCH = "I could not find this in your course pages. Try other words, or ask in the class forum."


@router.post("/questions", status_code=201, summary="Ask the tutor a question")
def ask(
    body: TutorQuestionIn, request: Request, principal: StudentOnly, svc: ServicesDep
) -> TutorAnswer:
    """Answers from the class's course pages (extractive: quoted passages with their pages)."""
    authorize_class(request, svc, principal, body.class_id, "create", students_may=True)
    pages = records(svc.gold.rows("content_pages", "class_id", body.class_id))
    best = rank(body.question, passages(pages), k=2)
    answer = "\n\n".join(f"From “{p.title}”:\n{p.text}" for _s, p in best) if best else NO_MATCH
    sources = [
        {"content_id": p.content_id, "title": p.title, "module": p.module, "score": round(s, 3)}
        for s, p in best
    ]
    with svc.store.session() as s:
        row = TutorQuestion(
            student_id=principal.student_id or "",
            class_id=body.class_id,
            question=body.question,
            answer=answer,
            sources={"method": "extractive-bm25", "sources": sources},
        )
        s.add(row)
        s.flush()
        out = TutorAnswer(
            id=row.id,
            question=row.question,
            answer=answer,
            method="extractive-bm25",
            sources=sources,  # type: ignore[arg-type]
            created_at=row.created_at,
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
        )
        for r in rows
    ]
    return page(items, limit, offset)  # type: ignore[return-value]
