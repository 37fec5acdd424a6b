"""Class forums: threads and posts from the lake plus those written through the API.

A new post is written to the operational store (served at once) and to ``landing/forum`` so the
pipeline loads it like any forum export. When the urgency model exists, new posts are scored
and the class's teachers notified of urgent ones; the lake's posts carry the pipeline's labels
(``api.forum``), and the API's scanner notifies of those (``api.notify.scan_urgent_posts``).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request

from api.deps import PrincipalDep, ServicesDep, authorize_class
from api.forum import as_utc, class_posts
from api.learner import write_landing
from api.notify import class_teachers, notify_urgent_post
from api.problems import ApiError
from api.routers.common import display_names
from api.schemas.common import Limit, Offset, Page, page
from api.schemas.community import ForumPostOut, ForumThread, PostIn, ThreadIn
from api.security import Principal
from api.store.models import ForumPost, User

router = APIRouter(prefix="/api/v1/classes/{class_id}/forum", tags=["forum"])
SafeId = Annotated[str, Path(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.:\-]+$")]
URGENT = 5.0  # "urgent" in the labels (>= 5 of 7); a trained scorer decides for itself


@router.get("/threads", summary="Threads of a class forum (urgent first for staff)")
def threads(
    class_id: SafeId,
    request: Request,
    principal: PrincipalDep,
    svc: ServicesDep,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[ForumThread]:
    """Newest activity first; teachers and admins see urgent threads on top."""
    authorize_class(request, svc, principal, class_id, students_may=True, student_level=False)
    by_thread: dict[str, list[dict[str, Any]]] = {}
    for p in class_posts(svc, class_id):
        by_thread.setdefault(p["thread_id"], []).append(p)
    out = []
    for tid, posts in by_thread.items():
        posts.sort(key=lambda p: as_utc(p["created_at"]))
        out.append(
            ForumThread(
                thread_id=tid,
                class_id=class_id,
                title=posts[0].get("title"),
                created_at=posts[0]["created_at"],
                last_post_at=posts[-1]["created_at"],
                n_posts=len(posts),
                is_urgent=any(p.get("is_urgent") for p in posts),
            )
        )
    staff = principal.role in ("teacher", "admin")
    out.sort(key=lambda t: (not (staff and t.is_urgent), -as_utc(t.last_post_at).timestamp()))
    return page(out, limit, offset)  # type: ignore[return-value]


@router.get("/threads/{thread_id}", summary="Posts of a thread")
def thread_posts(
    class_id: SafeId, thread_id: SafeId, request: Request, principal: PrincipalDep, svc: ServicesDep
) -> list[ForumPostOut]:
    """Oldest first."""
    authorize_class(request, svc, principal, class_id, students_may=True, student_level=False)
    posts = [p for p in class_posts(svc, class_id) if p["thread_id"] == thread_id]
    if not posts:
        raise ApiError(404, "No such thread.", kind="not-found")
    names = display_names(svc, [p["author_id"] for p in posts if p.get("author_id")])
    posts.sort(key=lambda p: as_utc(p["created_at"]))
    return [
        ForumPostOut.model_validate({**p, "author_name": names.get(p.get("author_id") or "")})
        for p in posts
    ]


def _write(
    svc: ServicesDep,
    principal: Principal,
    class_id: str,
    thread_id: str | None,
    title: str | None,
    body: str,
    parent: str | None,
) -> ForumPostOut:
    post_id = f"api-{uuid.uuid4().hex[:20]}"
    thread = thread_id or post_id
    with svc.store.session() as s:
        user = s.get(User, principal.user_id)
        author = (user.lrs_account or user.staff_id or user.username) if user else None
        language = user.language if user else None
    scorer = svc.extras.get("urgency_model")
    text = f"{title or ''}\n{body}"
    urgency: float | None = None
    urgent: bool | None = None
    if hasattr(scorer, "assess"):  # the trained model decides "urgent" by its own probability
        urgency, urgent = scorer.assess(text)
    elif scorer:
        urgency = float(scorer(text))
        urgent = urgency >= URGENT
    role = "student" if principal.role == "student" else principal.role
    now = datetime.now(UTC)
    with svc.store.session() as s:
        s.add(
            ForumPost(
                post_id=post_id,
                thread_id=thread,
                parent_post_id=parent,
                class_id=class_id,
                author_id=principal.user_id,
                author_role=role,
                student_id=principal.student_id,
                title=title,
                body=body,
                language=language,
                urgency=urgency,
                is_urgent=urgent,
                created_at=now,
            )
        )
    write_landing(
        svc.settings.landing,
        "forum/api",
        post_id,
        [
            {
                "post_id": post_id,
                "thread_id": thread,
                "parent_post_id": parent,
                "class_id": class_id,
                "author_id": author,
                "author_role": "admin" if role == "researcher" else role,
                "created_at": now.isoformat(),
                "title": title,
                "body": body,
                "language": language,
            }
        ],
    )
    if urgent:
        notify_urgent_post(
            svc,
            class_teachers(svc, class_id),
            class_id,
            post_id,
            title,
            body,
            principal.student_id,
        )
    return ForumPostOut(
        post_id=post_id,
        thread_id=thread,
        parent_post_id=parent,
        author_role=role,
        created_at=now,
        title=title,
        body=body,
        language=language,
        urgency=urgency,
        is_urgent=urgent,
    )


@router.post("/threads", status_code=201, summary="Start a thread")
def new_thread(
    class_id: SafeId, body: ThreadIn, request: Request, principal: PrincipalDep, svc: ServicesDep
) -> ForumPostOut:
    """Its first post; scored for urgency when the model exists."""
    authorize_class(request, svc, principal, class_id, "create", students_may=True)
    return _write(svc, principal, class_id, None, body.title, body.body, None)


@router.post("/threads/{thread_id}/posts", status_code=201, summary="Reply in a thread")
def reply(
    class_id: SafeId,
    thread_id: SafeId,
    body: PostIn,
    request: Request,
    principal: PrincipalDep,
    svc: ServicesDep,
) -> ForumPostOut:
    """A reply; scored for urgency when the model exists."""
    authorize_class(request, svc, principal, class_id, "create", students_may=True)
    if not any(p["thread_id"] == thread_id for p in class_posts(svc, class_id)):
        raise ApiError(404, "No such thread.", kind="not-found")
    return _write(
        svc, principal, class_id, thread_id, None, body.body, body.parent_post_id or thread_id
    )
