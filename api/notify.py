"""Notifications: an in-app feed per user, and e-mail through SMTP when configured.

Each event has a key (``at-risk:<class>:<student>:<episode>``, ``urgent-post:<post>``, ...); a
unique constraint on (user, key) means an event never notifies the same person twice, even
from two API processes at once.
"""

from __future__ import annotations

import logging
import smtplib
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from api.forum import class_posts, waiting_urgent_posts
from api.learner import at_risk
from api.store.models import AtRiskState, ClassAssignment, Notification, User

if TYPE_CHECKING:
    from api.deps import Services

log = logging.getLogger("learnsmart.api.notify")


def notify_users(
    svc: Services,
    user_ids: list[int],
    *,
    event_key: str,
    kind: str,
    title: str,
    body: str,
    student_id: str | None = None,
    class_id: str | None = None,
) -> int:
    """Notify each user once per ``event_key``; returns how many new notifications were made."""
    made = 0
    for uid in sorted(set(user_ids)):
        try:
            with svc.store.session() as s:
                if s.scalars(
                    select(Notification.id).where(
                        Notification.user_id == uid, Notification.event_key == event_key
                    )
                ).first():
                    continue
                note = Notification(
                    user_id=uid,
                    event_key=event_key,
                    kind=kind,
                    title=title,
                    body=body,
                    student_id=student_id,
                    class_id=class_id,
                )
                s.add(note)
                s.flush()
                note_id = note.id
                email = s.get(User, uid).email  # type: ignore[union-attr]
        except IntegrityError:
            continue  # another process made it first: still exactly once
        made += 1
        if email and svc.settings.smtp_host:
            _email(svc, note_id, email, title, body)
    return made


def _email(svc: Services, note_id: int, to: str, title: str, body: str) -> None:
    msg = EmailMessage()
    msg["From"] = svc.settings.mail_from
    msg["To"] = to
    msg["Subject"] = f"LearnSmart: {title}"
    msg.set_content(f"{body}\n\nOpen LearnSmart to see more.")
    try:
        with smtplib.SMTP(svc.settings.smtp_host, svc.settings.smtp_port, timeout=10) as smtp:
            smtp.send_message(msg)
    except (OSError, smtplib.SMTPException):
        log.exception("e-mail not sent; the in-app notification stands", extra={"id": note_id})
        return
    with svc.store.session() as s:
        note = s.get(Notification, note_id)
        if note is not None:
            note.emailed_at = datetime.now(UTC)


def assigned_classes(svc: Services) -> list[str]:
    """The classes that have at least one teacher assigned (those a scan notifies about)."""
    with svc.store.session() as s:
        return sorted(set(s.scalars(select(ClassAssignment.class_id))))


def notify_urgent_post(
    svc: Services,
    teachers: list[int],
    class_id: str,
    post_id: str,
    title: str | None,
    body: str,
    student_id: str | None,
) -> int:
    """Notify the class's ``teachers`` of one urgent post, once each (key
    ``urgent-post:<post>``, whether the post was scored at write time or labelled by the
    pipeline); returns notifications made."""
    return notify_users(
        svc,
        teachers,
        event_key=f"urgent-post:{post_id}",
        kind="urgent_post",
        title="An urgent forum post",
        body=(title or body)[:200],
        student_id=student_id,
        class_id=class_id,
    )


def class_teachers(svc: Services, class_id: str) -> list[int]:
    """User ids of the teachers assigned to a class."""
    with svc.store.session() as s:
        return list(
            s.scalars(select(ClassAssignment.user_id).where(ClassAssignment.class_id == class_id))
        )


def scan_at_risk(svc: Services) -> int:
    """Notify teachers when a student turns at-risk (high band); returns notifications made.

    One notification per episode: a student still flagged at the next scan is not notified
    again; one who was seen unflagged and is flagged again starts a new episode. Whether each
    student is flagged is kept in ``at_risk_states``, so episodes survive API restarts.
    """
    made = 0
    for class_id in assigned_classes(svc):
        source, flagged = at_risk(svc.gold, class_id)
        high = {f["student_id"]: f for f in flagged if f["band"] == "high"}
        starts: list[tuple[str, int]] = []
        with svc.store.session() as s:
            states = {
                st.student_id: st
                for st in s.scalars(select(AtRiskState).where(AtRiskState.class_id == class_id))
            }
            now = datetime.now(UTC)
            for sid, st in states.items():
                if st.is_flagged and sid not in high:
                    st.is_flagged, st.updated_at = False, now
            for sid in high:
                st = states.get(sid)
                if st is None:
                    st = AtRiskState(class_id=class_id, student_id=sid, is_flagged=False, episode=0)
                    s.add(st)
                if not st.is_flagged:
                    st.is_flagged, st.episode, st.updated_at = True, st.episode + 1, now
                # Notify for the current episode even if it began earlier: a crash between the
                # state change and the notification must not lose it (the key de-duplicates).
                starts.append((sid, st.episode))
        teachers = class_teachers(svc, class_id)
        for sid, episode in starts:
            f = high[sid]
            made += notify_users(
                svc,
                teachers,
                event_key=f"at-risk:{class_id}:{sid}:{episode}",
                kind="at_risk",
                title="A student needs attention",
                body="; ".join(f["reasons"]) + f" (flagged by the {source}).",
                student_id=sid,
                class_id=class_id,
            )
    return made


def scan_urgent_posts(svc: Services) -> int:
    """Notify a class's teachers of each urgent post that still waits for staff (see
    ``api.forum.waiting_urgent_posts``); returns notifications made.

    This is how the posts the pipeline loaded and labelled (gold ``ml_forum_labels``) reach
    teachers; a post written through the API is notified at once when it is scored. Both use
    the key ``urgent-post:<post>``, so no post notifies a teacher twice.
    """
    made = 0
    for class_id in assigned_classes(svc):
        waiting = waiting_urgent_posts(class_posts(svc, class_id))
        if not waiting:
            continue
        teachers = class_teachers(svc, class_id)
        for post in waiting:
            made += notify_urgent_post(
                svc,
                teachers,
                class_id,
                post["post_id"],
                post.get("title"),
                post["body"],
                post.get("author_id") if post.get("author_role") == "student" else None,
            )
    return made
