"""A class forum's posts as the API serves them, and which urgent ones still wait for staff.

Posts come from two places: the lake (silver ``forum_posts``, loaded from the school's forum
exports and from the posts written through the API) and the operational store (posts written
through the API, served before the pipeline has loaded them). Their urgency comes from the
pipeline's labels (gold ``ml_forum_labels``, the ``forum_post_labels`` asset) for lake posts,
and from the API's own scoring at write time for posts written through it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from api.store.models import ForumPost

if TYPE_CHECKING:
    from api.deps import Services

# Authors whose reply answers a post that needs an instructor.
STAFF_ROLES = frozenset({"teacher", "ta", "admin"})
# Urgent posts older than this, counted back from the class forum's newest post, are history,
# not news: a school loading a year of forum exports is not sent a year of notifications.
URGENT_WINDOW = timedelta(days=14)


_EARLIEST = datetime.min.replace(tzinfo=UTC)


def as_utc(v: datetime | None) -> datetime:
    """A timestamp as an aware UTC datetime (naive ones are UTC; None sorts first)."""
    if v is None:
        return _EARLIEST
    return v if v.tzinfo else v.replace(tzinfo=UTC)


def _labels(svc: Services, class_id: str) -> dict[str, dict[str, Any]]:
    """post_id -> the pipeline's labels of the class's posts (none before the first run)."""
    if not svc.gold.exists("ml_forum_labels"):
        return {}
    frame = svc.gold.rows("ml_forum_labels", "class_id", class_id)
    return {r["post_id"]: r for r in frame.to_dicts()} if frame.height else {}


def class_posts(svc: Services, class_id: str) -> list[dict[str, Any]]:
    """Every post of the class: the lake's, then the store's not loaded yet, each with
    ``urgency`` (1-7) and ``is_urgent`` where something scored it. A lake post takes the
    pipeline's labels; a post the pipeline loaded but has not labelled yet keeps the score the
    API gave it when it was written. ``language`` is the post's own, else the detected one."""
    frame = svc.gold.rows("forum_posts", "class_id", class_id)
    lake = frame.to_dicts() if frame.height else []
    labels = _labels(svc, class_id)
    by_id: dict[str, dict[str, Any]] = {}
    for p in lake:
        label = labels.get(p["post_id"], {})
        p["urgency"] = label.get("urgency")
        p["is_urgent"] = label.get("is_urgent")
        p["language"] = p.get("language") or label.get("language")
        by_id[p["post_id"]] = p
    with svc.store.session() as s:
        live = s.scalars(select(ForumPost).where(ForumPost.class_id == class_id)).all()
    for post in live:
        known = by_id.get(post.post_id)
        if known is not None:
            if known["urgency"] is None and known["is_urgent"] is None:
                known["urgency"], known["is_urgent"] = post.urgency, post.is_urgent
            continue
        lake.append(
            {
                "post_id": post.post_id,
                "thread_id": post.thread_id,
                "parent_post_id": post.parent_post_id,
                "author_id": post.student_id,
                "author_role": post.author_role,
                "created_at": post.created_at,
                "title": post.title,
                "body": post.body,
                "language": post.language,
                "urgency": post.urgency,
                "is_urgent": post.is_urgent,
            }
        )
    return lake


def waiting_urgent_posts(
    posts: list[dict[str, Any]], window: timedelta | None = None
) -> list[dict[str, Any]]:
    """The urgent posts of one class (``class_posts``) that still need an instructor: no staff
    member has posted in their thread since, and they are at most ``window`` (default
    ``URGENT_WINDOW``) older than the class forum's newest post. Oldest first."""
    if not posts:
        return []
    window = URGENT_WINDOW if window is None else window
    newest = max(as_utc(p["created_at"]) for p in posts)
    cutoff = newest - window if newest - _EARLIEST > window else _EARLIEST
    last_staff: dict[str, datetime] = {}
    for p in posts:
        if p.get("author_role") in STAFF_ROLES:
            at = as_utc(p["created_at"])
            if at > last_staff.get(p["thread_id"], _EARLIEST):
                last_staff[p["thread_id"]] = at
    waiting = [
        p
        for p in posts
        if p.get("is_urgent")
        and p.get("author_role") not in STAFF_ROLES
        and as_utc(p["created_at"]) >= cutoff
        and last_staff.get(p["thread_id"], _EARLIEST) <= as_utc(p["created_at"])
    ]
    return sorted(waiting, key=lambda p: (as_utc(p["created_at"]), p["post_id"]))
