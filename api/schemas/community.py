"""Forum, tutor and notification shapes."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from api.schemas.common import Id


class ForumThread(BaseModel):
    """A thread: its first post's title and activity."""

    thread_id: str
    class_id: str
    title: str | None
    created_at: datetime | None
    last_post_at: datetime | None
    n_posts: int
    is_urgent: bool = False


class ForumPostOut(BaseModel):
    """A post; ``urgency`` (1-7) when the urgency model has scored it."""

    post_id: str
    thread_id: str
    parent_post_id: str | None = None
    author_role: str | None = None
    author_name: str | None = None
    created_at: datetime | None
    title: str | None = None
    body: str
    language: str | None = None
    urgency: float | None = None
    is_urgent: bool | None = None


class ThreadIn(BaseModel):
    """A new thread."""

    title: str = Field(min_length=1, max_length=300)
    body: str = Field(min_length=1, max_length=20_000)


class PostIn(BaseModel):
    """A reply in a thread."""

    body: str = Field(min_length=1, max_length=20_000)
    parent_post_id: Id | None = None


class TutorQuestionIn(BaseModel):
    """A question for the tutor, about one of the student's classes."""

    class_id: Id
    question: str = Field(min_length=3, max_length=2000)


class TutorSource(BaseModel):
    """A course page an answer is taken from."""

    content_id: str
    title: str | None
    module: str | None = None
    section: str | None = None
    score: float


class TutorAnswer(BaseModel):
    """An answer grounded in course pages, citing them."""

    id: int
    question: str
    answer: str
    method: str
    sources: list[TutorSource]
    created_at: datetime
    is_answerable: bool = True
    offer_teacher: bool = Field(
        default=False, description="Nothing relevant found: offer to ask the teacher."
    )
    language: str | None = Field(default=None, description="Detected language of the question.")
    confidence: float | None = None


class NotificationOut(BaseModel):
    """One notification in the feed."""

    id: int
    kind: str
    title: str
    body: str
    student_id: str | None = None
    class_id: str | None = None
    created_at: datetime
    read_at: datetime | None = None
    emailed_at: datetime | None = None
