"""Erasure of a student, carried out synchronously by an admin.

``POST /api/v1/admin/erasures`` resolves the student (``<source_system>:<source_id>`` or a
``student_id``), removes them from the landing folder, every lake table and artefact (the files
are rewritten and their history vacuumed; a scan then proves no file still holds an
identifier), then from the operational store, and answers with the counts of the
``ErasureRecord`` it wrote (no personal data). Synchronous on purpose: the caller learns that
the erasure is complete, or why it is not; on the demo lake it takes seconds. A pending
``erasure_requests`` row of the student is closed and loses its student id.
"""

from __future__ import annotations

import threading
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from api.deps import ServicesDep, require_roles
from api.privacy import REASON_CODE
from api.problems import ApiError
from api.security import Principal

router = APIRouter(prefix="/api/v1/admin", tags=["admin"])
Admin = Annotated[Principal, Depends(require_roles("admin"))]

# One erasure at a time per process: each rewrites every table it touches.
_LOCK = threading.Lock()


class ErasureCommand(BaseModel):
    """Whom to erase (``student``, or ``student_id``) and why.

    ``reason`` is kept as a reason code (``request``, ``withdrawal``, ...: 1-64 of a-z, 0-9,
    ``_``, ``-``); any other text is recorded as ``other``, since the record holds no free text.
    """

    student: str | None = Field(
        default=None,
        min_length=3,
        max_length=512,
        description="<source_system>:<source_id> (e.g. oneroster:stu-00001) or a student_id.",
    )
    student_id: str | None = Field(default=None, min_length=3, max_length=64)
    reason: str = Field(default="request", max_length=2000)

    def ref(self) -> str:
        """The student reference the erasure resolves."""
        if self.student:
            return self.student
        if self.student_id:
            return f"student_id:{self.student_id}"
        raise ApiError(422, "Give student (<source_system>:<source_id>) or student_id.")

    def reason_code(self) -> str:
        """The reason as a code (``other`` for free text)."""
        return self.reason if REASON_CODE.match(self.reason) else "other"


class ErasureDone(BaseModel):
    """The record of a completed erasure: counts per place, no identifiers."""

    erasure_record_id: int
    verified: bool
    lake: dict[str, Any] | None
    store: dict[str, int]


@router.post("/erasures", status_code=201, summary="Erase a student everywhere")
def erase(body: ErasureCommand, principal: Admin, svc: ServicesDep) -> ErasureDone:
    """Carried out before the answer: landing, lake, artefacts, store; verified by a scan."""
    from api.privacy import erase_everywhere  # the lake stack loads on first use
    from lake.privacy.erase import (
        ErasureError,
        StudentRefError,
        UnknownStudentError,
    )

    with _LOCK:
        try:
            result = erase_everywhere(
                svc.settings.lake,
                svc.store,
                body.ref(),
                reason_code=body.reason_code(),
                requested_by=principal.user_id,
            )
        except StudentRefError as exc:
            raise ApiError(422, str(exc)) from None
        except UnknownStudentError:
            raise ApiError(404, "No such student.", kind="not-found") from None
        except ErasureError as exc:
            raise ApiError(409, f"The erasure could not complete: {exc}", kind="conflict") from None
    svc.forget_everything()
    out = result.as_dict()
    return ErasureDone(
        erasure_record_id=out["erasure_record_id"],
        verified=bool(result.lake and result.lake.verified),
        lake=out["lake"],
        store=out["store"],
    )
