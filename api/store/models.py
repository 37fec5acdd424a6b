"""The operational store: users, roles, classes, consent, interventions, notifications, audit.

Student-level analytics stay in the lakehouse; this store holds what the API itself owns. Rows
refer to students by their pseudonymous ``student_id`` (the lake's key), never by name.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> datetime:
    """Timezone-aware now (UTC)."""
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware timestamp, stored in UTC.

    SQLite keeps no offset and hands timestamps back naive; they are UTC, and are read back as
    such (PostgreSQL's ``timestamptz`` is aware already).
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Aware values are converted to UTC before they are stored."""
        if value is not None and value.tzinfo is not None:
            return value.astimezone(UTC)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Naive values read back are UTC."""
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    """Declarative base; every table's metadata lives on it (Alembic compares against it)."""

    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UtcDateTime(),
        dict[str, Any]: JSON,
    }


class User(Base):
    """A person who signs in: one of the four roles.

    ``student_id`` links a student user to the lake; ``lrs_account`` is the identifier their
    learning activity is written under (an identifier the lake resolves to ``student_id``).
    """

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(128), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(16))
    display_name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str | None] = mapped_column(String(320))
    student_id: Mapped[str | None] = mapped_column(String(64), index=True)
    staff_id: Mapped[str | None] = mapped_column(String(64))
    lrs_account: Mapped[str | None] = mapped_column(String(256))
    oidc_subject: Mapped[str | None] = mapped_column(String(256), unique=True)
    language: Mapped[str] = mapped_column(String(8), default="en")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class StudentProfile(Base):
    """What a student tells us at onboarding."""

    __tablename__ = "student_profiles"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    grade_level: Mapped[str | None] = mapped_column(String(32))
    interests: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    onboarded_at: Mapped[datetime | None] = mapped_column()


class ClassAssignment(Base):
    """A teacher assigned to a class: the classes a teacher may see."""

    __tablename__ = "class_assignments"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    class_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    assigned_at: Mapped[datetime] = mapped_column(default=utcnow)


class ClassMembership(Base):
    """A student who joined a class through the API (invite code), beside the roster's."""

    __tablename__ = "class_memberships"

    student_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    class_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)


class ClassInvite(Base):
    """An invite code that lets a student join a class."""

    __tablename__ = "class_invites"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    class_id: Mapped[str] = mapped_column(String(128), index=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column()
    max_uses: Mapped[int | None] = mapped_column(Integer)
    uses: Mapped[int] = mapped_column(Integer, default=0)


class RefreshToken(Base):
    """A refresh token (only its id is stored); rotated on use, revoked on logout."""

    __tablename__ = "refresh_tokens"

    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    expires_at: Mapped[datetime] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()


class LoginFailure(Base):
    """A failed login, counted per username and client to rate-limit guessing."""

    __tablename__ = "login_failures"
    __table_args__ = (Index("ix_login_failures_key_at", "key", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(300))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class Consent(Base):
    """A student's consent for one purpose (``research``), with who recorded it."""

    __tablename__ = "consents"

    student_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(32), primary_key=True)
    granted: Mapped[bool] = mapped_column(Boolean)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class ErasureRequest(Base):
    """A request to erase a student everywhere (carried out by the lake's privacy job)."""

    __tablename__ = "erasure_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    student_id: Mapped[str] = mapped_column(String(64), index=True)
    requested_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    reason: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="pending")
    completed_at: Mapped[datetime | None] = mapped_column()


class Intervention(Base):
    """Something a teacher did for a student (message, meeting, extra practice, ...)."""

    __tablename__ = "interventions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    class_id: Mapped[str] = mapped_column(String(128), index=True)
    student_id: Mapped[str] = mapped_column(String(64), index=True)
    teacher_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(32))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Notification(Base):
    """One message in a user's in-app feed; ``event_key`` makes each event notify once."""

    __tablename__ = "notifications"
    __table_args__ = (UniqueConstraint("user_id", "event_key", name="uq_notifications_event"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    event_key: Mapped[str] = mapped_column(String(256))
    kind: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    student_id: Mapped[str | None] = mapped_column(String(64))
    class_id: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column()
    emailed_at: Mapped[datetime | None] = mapped_column()


class AuditEvent(Base):
    """Who read or changed which student's data, what, and when."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_student_at", "student_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(Integer)
    actor_role: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(16))
    resource: Mapped[str] = mapped_column(String(200))
    student_id: Mapped[str | None] = mapped_column(String(64))
    class_id: Mapped[str | None] = mapped_column(String(128))
    status_code: Mapped[int] = mapped_column(Integer)


class ForumPost(Base):
    """A forum post written through the API (imported posts stay in the lake)."""

    __tablename__ = "forum_posts"

    post_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    thread_id: Mapped[str] = mapped_column(String(64), index=True)
    parent_post_id: Mapped[str | None] = mapped_column(String(64))
    class_id: Mapped[str] = mapped_column(String(128), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    author_role: Mapped[str] = mapped_column(String(16))
    student_id: Mapped[str | None] = mapped_column(String(64))
    title: Mapped[str | None] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(8))
    urgency: Mapped[float | None] = mapped_column(Float)
    is_urgent: Mapped[bool | None] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class QuizSubmission(Base):
    """A scored quiz submission; its statements went to ``landing/xapi``."""

    __tablename__ = "quiz_submissions"

    attempt_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    student_id: Mapped[str] = mapped_column(String(64), index=True)
    class_id: Mapped[str] = mapped_column(String(128))
    quiz_id: Mapped[str] = mapped_column(String(128))
    score: Mapped[float] = mapped_column(Float)
    max_score: Mapped[float] = mapped_column(Float)
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    statements_file: Mapped[str] = mapped_column(String(500))


class TutorQuestion(Base):
    """A question a student asked the tutor, with the answer and its sources."""

    __tablename__ = "tutor_questions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    student_id: Mapped[str] = mapped_column(String(64), index=True)
    class_id: Mapped[str] = mapped_column(String(128))
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text)
    sources: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LiveMastery(Base):
    """A student's skill mastery updated at once after a quiz submission (served model).

    Newer than the batch ``ml_skill_mastery`` row for the same skill until the next batch run.
    """

    __tablename__ = "live_mastery"

    student_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    skill_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    probability: Mapped[float] = mapped_column(Float)
    n_responses: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class LiveResponse(Base):
    """A response a student submitted through the API, in order: the served mastery model
    replays the student's history (gold, then these) to update mastery at once. Responses the
    lake already holds (answered at or before the student's latest gold response) are ignored.
    """

    __tablename__ = "live_responses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    student_id: Mapped[str] = mapped_column(String(64), index=True)
    skill_id: Mapped[str] = mapped_column(String(128))
    is_correct: Mapped[bool] = mapped_column(Boolean)
    answered_at: Mapped[datetime] = mapped_column(default=utcnow)


class DraftDecision(Base):
    """A teacher's decision on a drafted quiz item; an approved one was published as an item
    bank file in ``landing/content/api/`` (students see it once the pipeline loads it)."""

    __tablename__ = "draft_decisions"

    item_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    class_id: Mapped[str] = mapped_column(String(128), index=True)
    decision: Mapped[str] = mapped_column(String(16))
    teacher_id: Mapped[int] = mapped_column(Integer)
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)
    bank_file: Mapped[str | None] = mapped_column(String(500), nullable=True)


class FlagFeedback(Base):
    """A teacher's response to an at-risk flag: acknowledged, or not useful (model evaluation)."""

    __tablename__ = "flag_feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    class_id: Mapped[str] = mapped_column(String(128), index=True)
    student_id: Mapped[str] = mapped_column(String(64))
    teacher_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    verdict: Mapped[str] = mapped_column(String(16))
    as_of: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AtRiskState(Base):
    """Whether a student of a class is flagged (high band) now, and how many episodes began.

    Persisted so that an episode (flagged, later unflagged, flagged again) notifies teachers
    once per episode across API restarts.
    """

    __tablename__ = "at_risk_states"

    class_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    student_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    is_flagged: Mapped[bool] = mapped_column(Boolean)
    episode: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class LrsStatement(Base):
    """An xAPI statement received by the LRS endpoint (kept for ``GET ?statementId=``)."""

    __tablename__ = "lrs_statements"

    statement_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    stored_at: Mapped[datetime] = mapped_column(default=utcnow)
    statement: Mapped[dict[str, Any]] = mapped_column(JSON)
    landing_file: Mapped[str] = mapped_column(String(500))


class ConsentChange(Base):
    """One change of a student's consent for a purpose (the history behind ``consents``)."""

    __tablename__ = "consent_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    student_id: Mapped[str] = mapped_column(String(64), index=True)
    purpose: Mapped[str] = mapped_column(String(32))
    granted: Mapped[bool] = mapped_column(Boolean)
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    changed_by: Mapped[int | None] = mapped_column(Integer, nullable=True)


class QueryAudit(Base):
    """A query someone ran in Trino: who, when, the SQL and the tables it read."""

    __tablename__ = "query_audit"
    __table_args__ = (UniqueConstraint("query_id", name="uq_query_audit_query_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    query_id: Mapped[str] = mapped_column(String(128))
    user: Mapped[str] = mapped_column(String(128), index=True)
    source: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime | None] = mapped_column(nullable=True, index=True)
    ended_at: Mapped[datetime | None] = mapped_column(nullable=True)
    state: Mapped[str] = mapped_column(String(32))
    sql: Mapped[str] = mapped_column(Text)
    tables_read: Mapped[list[str]] = mapped_column(JSON, default=list)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class ErasureRecord(Base):
    """That an erasure happened, and how many rows it removed where: no personal data."""

    __tablename__ = "erasure_records"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    erased_at: Mapped[datetime] = mapped_column(default=utcnow)
    requested_by: Mapped[int | None] = mapped_column(Integer, nullable=True)
    reason_code: Mapped[str] = mapped_column(String(64))
    counts: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)


class StoreChange(Base):
    """One change to a row that API processes cache (an account, an assignment, a membership,
    live mastery, a profile, an erasure): the change feed each process polls to drop what it
    cached, so that a change made by one process shows in every other one within a poll.

    Written in the same transaction as the change itself (see :mod:`api.store.changes`).
    """

    __tablename__ = "store_changes"
    # Ids are never reused (SQLite would reuse them once pruning empties the table, and a
    # process that read up to id N would then miss the new changes below it).
    __table_args__: ClassVar[dict[str, Any]] = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    topic: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(128))
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
