"""The store's change feed: what each API process must drop from its caches, and when.

API processes cache what they read from the operational store on every request (an account's
state, a teacher's classes, a student's memberships, display names, whole answers built from
live mastery and profiles). A process that changes such a row drops its own cached copies at
once; every other process learns of the change from ``store_changes``:

- every ORM flush through a :class:`api.store.db.Store` session adds a ``store_changes`` row
  per watched row it inserts, changes or deletes (:func:`install`), in the same transaction,
  so a change and its record commit together or not at all;
- bulk statements that bypass the ORM's unit of work (erasure) call :func:`record` themselves;
- each process polls the feed (:class:`ChangeFeed`, one indexed query every fraction of a
  second) and drops what the new changes touch.

On PostgreSQL, ids come from a sequence when a row is inserted, so a transaction can commit a
lower id after a higher one was already read. The feed keeps such holes open and asks for them
again for ``gap_s`` seconds (a rolled-back transaction leaves a hole that never fills); SQLite
commits one writer at a time, so there ids arrive in order.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Iterable
from datetime import timedelta
from typing import Any, NamedTuple

from sqlalchemy import delete, event, func, or_, select
from sqlalchemy.orm import Session, sessionmaker

from api.store.models import (
    ClassAssignment,
    ClassMembership,
    LiveMastery,
    LiveResponse,
    StoreChange,
    StudentProfile,
    User,
    utcnow,
)

# Topics: what a change invalidates in a process (see api.deps.Services.apply_changes).
USER = "user"  # an account (key: user id): its state, role, name
TEACHER = "teacher"  # a teacher's class assignments (key: user id)
PROFILE = "profile"  # a student's profile (key: user id)
STUDENT = "student"  # a student's memberships, live mastery, name (key: student_id)
CLASS = "class"  # who is in a class (key: class_id)
ALL = "all"  # anything (an erasure): drop every cached copy (key: informative only)
TOPICS = (USER, TEACHER, PROFILE, STUDENT, CLASS, ALL)
# Holes wider than this are not waited for (a sequence jump, not transactions in flight).
_MAX_GAP = 10_000


class Change(NamedTuple):
    """One row of the feed."""

    id: int
    topic: str
    key: str


def _changes_of(obj: Any) -> list[tuple[str, str]]:
    """(topic, key) pairs a change to ``obj`` must announce (none for unwatched rows)."""
    if isinstance(obj, User):
        # A new account's id is unknown until its insert, and no process can have cached an
        # account not made yet; its student (if any) is announced by key.
        out = [] if obj.id is None else [(USER, str(obj.id))]
        if obj.student_id:
            out.append((STUDENT, obj.student_id))
        return out
    if isinstance(obj, ClassAssignment):
        return [(TEACHER, str(obj.user_id)), (CLASS, obj.class_id)]
    if isinstance(obj, ClassMembership):
        return [(STUDENT, obj.student_id), (CLASS, obj.class_id)]
    if isinstance(obj, LiveMastery | LiveResponse):
        return [(STUDENT, obj.student_id)]
    if isinstance(obj, StudentProfile):
        return [(PROFILE, str(obj.user_id))]
    return []


def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    """Add a ``store_changes`` row for each watched row this flush writes."""
    seen: set[tuple[str, str]] = set()
    changed = [o for o in session.dirty if session.is_modified(o)]  # dirty: a fresh set per read
    for obj in (*session.new, *changed, *session.deleted):
        seen.update((topic, key[:128]) for topic, key in _changes_of(obj))
    for topic, key in sorted(seen):
        session.add(StoreChange(topic=topic, key=key))


# Factories already recording. Not event.contains: SQLAlchemy's registry keys a listener by
# id(target) and keeps that key after a factory's session class is collected, so it says "yes"
# for a new factory that reuses a dead one's id, and that factory would announce nothing.
_installed: weakref.WeakSet[sessionmaker[Session]] = weakref.WeakSet()


def install(sessions: sessionmaker[Session]) -> None:
    """Record the watched changes of every session ``sessions`` makes (once per factory)."""
    if sessions not in _installed:
        event.listen(sessions, "before_flush", _before_flush)
        _installed.add(sessions)


def record(session: Session, topic: str, keys: Iterable[str]) -> None:
    """Announce changes made by statements the ORM does not track (bulk delete/update)."""
    if topic not in TOPICS:
        raise ValueError(f"unknown change topic {topic!r}")
    for key in dict.fromkeys(str(k)[:128] for k in keys):
        session.add(StoreChange(topic=topic, key=key))


class ChangeFeed:
    """One process's reader of ``store_changes``: new changes since the last read, in order.

    Starts at the feed's end (a new process has nothing cached). Not thread-safe: one poller.
    """

    def __init__(self, sessions: sessionmaker[Session], gap_s: float = 30.0) -> None:
        self.sessions = sessions
        self.gap_s = gap_s
        with sessions() as s:
            self.last_id: int = s.scalar(select(func.max(StoreChange.id))) or 0
        self._gaps: dict[int, float] = {}  # id not seen yet -> when it was first missed
        self.polled_at: float = time.monotonic()  # the end of the last poll that read the feed

    def poll(self) -> list[Change]:
        """The changes committed since the last poll (and late ones that filled a hole)."""
        now = time.monotonic()
        self._gaps = {i: t for i, t in self._gaps.items() if now - t < self.gap_s}
        query = select(StoreChange.id, StoreChange.topic, StoreChange.key)
        cond = StoreChange.id > self.last_id
        if self._gaps:
            cond = or_(cond, StoreChange.id.in_(sorted(self._gaps)))
        with self.sessions() as s:
            rows = [Change(*r) for r in s.execute(query.where(cond).order_by(StoreChange.id))]
        for c in rows:
            self._gaps.pop(c.id, None)
            if c.id > self.last_id:
                if c.id - self.last_id <= _MAX_GAP:
                    self._gaps.update({i: now for i in range(self.last_id + 1, c.id)})
                self.last_id = c.id
        self.polled_at = time.monotonic()
        return rows

    def status(self) -> dict[str, float | int]:
        """What ``/health`` shows of this reader: the last change id read and the seconds since
        a poll last read the feed (growing past a few polls: the watcher is stalled, and this
        process may serve what other processes changed)."""
        return {
            "last_id": self.last_id,
            "seconds_since_poll": round(time.monotonic() - self.polled_at, 3),
        }

    def prune(self, keep: timedelta = timedelta(days=1)) -> int:
        """Delete changes older than ``keep`` (every process has long read them)."""
        with self.sessions() as s:
            n = s.execute(delete(StoreChange).where(StoreChange.at < utcnow() - keep)).rowcount
            s.commit()
        return int(n or 0)
