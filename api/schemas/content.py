"""Quizzes (delivered without their key), submissions and their scoring."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from api.schemas.common import Id
from api.schemas.learning import MasteryChange


class QuizSummary(BaseModel):
    """A quiz of a class."""

    quiz_id: str
    class_id: str
    title: str | None
    module: str | None = None
    week: int | None = None
    n_items: int | None = None


class QuizItem(BaseModel):
    """A question as a student sees it: no answer key."""

    item_id: str
    item_type: str
    stem: str | None
    position: int | None = None
    options: list[QuizOption] = Field(default_factory=list)


class QuizOption(BaseModel):
    """An answer option."""

    option_id: str
    text: str


class QuizOut(BaseModel):
    """A quiz ready to take."""

    quiz_id: str
    class_id: str
    title: str | None
    items: list[QuizItem]


class ItemResponse(BaseModel):
    """A student's answer to one item: an option id, or the text of a short answer."""

    item_id: Id
    response: str = Field(min_length=1, max_length=1000)


class SubmissionIn(BaseModel):
    """A submitted quiz."""

    responses: list[ItemResponse] = Field(min_length=1, max_length=200)
    started_at: datetime | None = None


class ItemFeedback(BaseModel):
    """How one answer was scored."""

    item_id: str
    is_correct: bool
    score: float
    max_score: float
    feedback: str
    correct_responses: list[str]


class SubmissionOut(BaseModel):
    """The scored submission, the feedback per item and the mastery it moved."""

    attempt_id: str
    quiz_id: str
    class_id: str
    score: float
    max_score: float
    items: list[ItemFeedback]
    mastery: list[MasteryChange]
    statements_written: int


QuizItem.model_rebuild()
