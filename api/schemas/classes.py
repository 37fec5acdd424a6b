"""Teachers' actions on a class: interventions, invites, feedback on flags."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from api.schemas.common import Id


class InterventionIn(BaseModel):
    """An intervention to log for a student of the class."""

    student_id: Id
    kind: Literal["message", "meeting", "extra_practice", "call_home", "referral", "other"]
    note: str = Field(default="", max_length=4000)
    notify_student: StrictBool = False


class InterventionOut(BaseModel):
    """A logged intervention."""

    id: int
    class_id: str
    student_id: str
    teacher_id: int | None
    kind: str
    note: str
    created_at: datetime


class InviteIn(BaseModel):
    """Options of a new invite code."""

    max_uses: int | None = Field(default=None, ge=1, le=10_000)
    valid_days: int = Field(default=14, ge=1, le=365)


class InviteOut(BaseModel):
    """An invite code students can join the class with."""

    code: str
    class_id: str
    expires_at: datetime | None
    max_uses: int | None


class FlagFeedbackIn(BaseModel):
    """A teacher's verdict on an at-risk flag."""

    student_id: Id
    verdict: Literal["acknowledged", "not_useful"]
    as_of: str | None = Field(default=None, max_length=32)


class DraftOption(BaseModel):
    """One option of a drafted multiple-choice item."""

    option_id: str
    text: str


class DraftOut(BaseModel):
    """A drafted quiz item with its automatic checks and the teacher's decision."""

    item_id: str
    content_id: str
    class_id: str
    kind: Literal["cloze", "multiple_choice"]
    stem: str
    options: list[DraftOption]
    answer: str
    source_sentence: str
    passed_checks: bool
    failed_checks: list[str]
    status: Literal["pending", "approved", "rejected"]
    decided_at: datetime | None = None


class DraftDecisionIn(BaseModel):
    """Approve (publish to students after the next pipeline run) or reject a draft."""

    model_config = ConfigDict(extra="forbid")

    item_id: str = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.:\-]+$")
    decision: Literal["approve", "reject"]
