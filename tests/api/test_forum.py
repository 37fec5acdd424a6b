"""A class forum's posts with the pipeline's urgency labels (``api/forum.py``), as the forum
routes serve them and as the notification scan reads them.

Each app here runs over its own copy of the curated demo lake, into which a test writes the
gold ``ml_forum_labels`` table the ``forum_post_labels`` asset would write (the curated lake has
no urgency model, so it has no labels).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from deltalake import DeltaTable, write_deltalake
from sqlalchemy import select

from api.forum import waiting_urgent_posts
from api.notify import scan_urgent_posts
from api.store.models import ClassAssignment, ForumPost, Notification
from lake.io import read_delta
from orchestration.defs.learn.forum import LABELS_TABLE
from tests.api.conftest import ApiWorld, private_world
from tests.conftest import Curated


@pytest.fixture
def forum_world(curated: Curated, tmp_path: Path) -> Iterator[ApiWorld]:
    """A fresh app over a private copy of the curated lake (its scanner runs hourly: only the
    scans a test calls happen)."""
    with private_world(curated, tmp_path) as world:
        yield world


def _posts(world: ApiWorld) -> pl.DataFrame:
    path = world.settings.lake.lake / "silver" / "forum_posts"
    frame = pl.from_arrow(read_delta(DeltaTable(str(path))))
    assert isinstance(frame, pl.DataFrame)
    return frame


def _write_labels(world: ApiWorld, urgent: set[str]) -> None:
    """Gold labels for every post, in the asset's columns: ``urgent`` posts score 6, others 2."""
    posts = _posts(world)
    labels = posts.select("post_id", "thread_id", "class_id", "created_at").with_columns(
        language=pl.lit("en"),
        sentiment=pl.lit(0.0),
        pii_kinds=pl.lit([], dtype=pl.List(pl.String)),
        has_pii=pl.lit(False),
        urgency=pl.when(pl.col("post_id").is_in(sorted(urgent))).then(6.0).otherwise(2.0),
        is_urgent=pl.col("post_id").is_in(sorted(urgent)),
    )
    write_deltalake(str(world.settings.lake.lake / LABELS_TABLE), labels.to_arrow())


def _teachers(world: ApiWorld, class_id: str) -> set[int]:
    with world.services.store.session() as s:
        return set(
            s.scalars(select(ClassAssignment.user_id).where(ClassAssignment.class_id == class_id))
        )


def _notes(world: ApiWorld) -> list[Notification]:
    with world.services.store.session() as s:
        return list(s.scalars(select(Notification).order_by(Notification.id)))


def _class_with_answered_thread(world: ApiWorld) -> tuple[str, pl.DataFrame]:
    """A class with teachers whose forum has a student post a teacher answered later, and its
    posts."""
    posts = _posts(world)
    for class_id in sorted(set(posts["class_id"])):
        if not _teachers(world, class_id):
            continue
        mine = posts.filter(pl.col("class_id") == class_id)
        if _answered(mine):
            return class_id, mine
    raise AssertionError("the demo forum should have a thread a teacher answered")


def _with_last_staff_post(posts: pl.DataFrame) -> pl.DataFrame:
    """The students' posts, each with the time of the last teacher post in its thread (null
    when none)."""
    staff = (
        posts.filter(pl.col("author_role") == "teacher")
        .group_by("thread_id")
        .agg(last_staff=pl.col("created_at").max())
    )
    return (
        posts.filter(pl.col("author_role") == "student")
        .join(staff, on="thread_id", how="left")
        .sort("created_at", "post_id")
    )


def _answered(posts: pl.DataFrame) -> list[str]:
    """Student posts followed in their thread by a teacher's post, oldest first."""
    rows = _with_last_staff_post(posts)
    return rows.filter(pl.col("created_at") < pl.col("last_staff"))["post_id"].to_list()


def _unanswered(posts: pl.DataFrame) -> pl.DataFrame:
    """Student posts after which nobody on staff posted in their thread, oldest first."""
    rows = _with_last_staff_post(posts)
    return rows.filter(
        pl.col("last_staff").is_null() | (pl.col("last_staff") <= pl.col("created_at"))
    )


def test_lake_posts_carry_the_pipeline_labels_and_urgent_threads_come_first_for_staff(
    forum_world: ApiWorld,
) -> None:
    """A loaded post shows its labelled urgency; the teacher's thread list starts with the
    threads holding an urgent post, a student's list is by activity only."""
    world = forum_world
    class_id, posts = _class_with_answered_thread(world)
    target = _unanswered(posts).row(0, named=True)
    _write_labels(world, {target["post_id"]})
    teacher = next(u for u in world.of_role("teacher") if class_id in u["class_ids"])
    url = f"/api/v1/classes/{class_id}/forum/threads"

    r = world.client.get(url, headers=world.headers(teacher["username"]), params={"limit": 500})
    assert r.status_code == 200, r.text
    threads = r.json()["items"]
    assert [t["is_urgent"] for t in threads].count(True) == 1
    assert threads[0]["thread_id"] == target["thread_id"] and threads[0]["is_urgent"]

    r = world.client.get(f"{url}/{target['thread_id']}", headers=world.headers(teacher["username"]))
    assert r.status_code == 200, r.text
    by_id = {p["post_id"]: p for p in r.json()}
    assert by_id[target["post_id"]]["urgency"] == 6.0
    assert by_id[target["post_id"]]["is_urgent"] is True
    assert all(
        p["urgency"] == 2.0 and p["is_urgent"] is False
        for p in by_id.values()
        if p["post_id"] != target["post_id"]
    )

    student = next(u for u in world.of_role("student") if class_id in u["class_ids"])
    r = world.client.get(url, headers=world.headers(student["username"]), params={"limit": 500})
    assert r.status_code == 200, r.text
    last = [t["last_post_at"] for t in r.json()["items"]]
    assert last == sorted(last, reverse=True)  # activity order, urgent or not


def test_without_labels_lake_posts_have_no_urgency(forum_world: ApiWorld) -> None:
    """Before the pipeline labels anything, no loaded post is urgent (nothing is made up)."""
    world = forum_world
    class_id, posts = _class_with_answered_thread(world)
    teacher = next(u for u in world.of_role("teacher") if class_id in u["class_ids"])
    r = world.client.get(
        f"/api/v1/classes/{class_id}/forum/threads/{posts['thread_id'][0]}",
        headers=world.headers(teacher["username"]),
    )
    assert r.status_code == 200, r.text
    assert all(p["urgency"] is None and p["is_urgent"] is None for p in r.json())
    assert scan_urgent_posts(world.services) == 0


def test_a_loaded_api_post_keeps_its_score_until_the_pipeline_labels_it(
    forum_world: ApiWorld,
) -> None:
    """A post written through the API and loaded by the pipeline, not labelled yet, keeps the
    urgency the API gave it; once labelled, the label speaks."""
    world = forum_world
    class_id, posts = _class_with_answered_thread(world)
    post = posts.filter(pl.col("author_role") == "student").row(0, named=True)
    with world.services.store.session() as s:  # as if the API had written it
        s.add(
            ForumPost(
                post_id=post["post_id"],
                thread_id=post["thread_id"],
                class_id=class_id,
                author_role="student",
                body=post["body"],
                urgency=6.5,
                is_urgent=True,
                created_at=post["created_at"],
            )
        )
    teacher = next(u for u in world.of_role("teacher") if class_id in u["class_ids"])
    url = f"/api/v1/classes/{class_id}/forum/threads/{post['thread_id']}"

    def served() -> dict[str, Any]:
        r = world.client.get(url, headers=world.headers(teacher["username"]))
        assert r.status_code == 200, r.text
        mine = [p for p in r.json() if p["post_id"] == post["post_id"]]
        assert len(mine) == 1  # the lake's copy, not twice
        return dict(mine[0])

    assert (served()["urgency"], served()["is_urgent"]) == (6.5, True)
    _write_labels(world, set())
    assert (served()["urgency"], served()["is_urgent"]) == (2.0, False)


def test_scan_notifies_teachers_of_urgent_posts_still_waiting_for_staff_once(
    forum_world: ApiWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Of three urgent posts, only the recent one no teacher answered notifies the class's
    teachers; the answered one and the one older than the window do not; a second scan makes
    nothing new."""
    world = forum_world
    class_id, posts = _class_with_answered_thread(world)
    newest = posts["created_at"].max()
    open_posts = _unanswered(posts)
    stale, waiting = open_posts.row(0, named=True), open_posts.row(-1, named=True)
    assert isinstance(newest, datetime) and stale["created_at"] < waiting["created_at"]
    # The curated forum spans days, not the 14-day window: a window that ends between the two.
    middle = stale["created_at"] + (waiting["created_at"] - stale["created_at"]) / 2
    monkeypatch.setattr("api.forum.URGENT_WINDOW", newest - middle)
    answered = _answered(posts)[-1]
    _write_labels(world, {waiting["post_id"], stale["post_id"], answered})
    teachers = _teachers(world, class_id)

    made = scan_urgent_posts(world.services)

    notes = _notes(world)
    assert made == len(notes) == len(teachers)
    assert {n.user_id for n in notes} == teachers
    for n in notes:
        assert n.event_key == f"urgent-post:{waiting['post_id']}"
        assert n.kind == "urgent_post" and n.class_id == class_id
        assert n.student_id == waiting["author_id"]
    assert scan_urgent_posts(world.services) == 0
    assert len(_notes(world)) == len(notes)


# --- the rule alone ----------------------------------------------------------------------------

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _post(pid: str, thread: str, role: str, hours: float, urgent: bool | None) -> dict[str, Any]:
    return {
        "post_id": pid,
        "thread_id": thread,
        "author_role": role,
        "created_at": T0 + timedelta(hours=hours),
        "is_urgent": urgent,
    }


def test_waiting_urgent_posts_rule() -> None:
    """Urgent student posts wait until a staff member (teacher, TA, admin) posts in their thread
    after them; a staff post before them does not count; posts older than the window before the
    forum's newest post are history; unscored and calm posts never wait."""
    posts = [
        _post("a", "t1", "student", 0, True),
        _post("b", "t1", "ta", 1, None),  # answers a
        _post("c", "t2", "teacher", 2, None),
        _post("d", "t2", "student", 3, True),  # after the teacher's post: waits
        _post("e", "t3", "student", 4, None),
        _post("f", "t3", "student", 5, False),
        _post("g", "t4", "student", -24 * 20, True),  # 20 days before the newest post
        _post("h", "t5", "admin", 6, True),  # staff posts never wait for staff
        _post("i", "t6", "student", 7, True),
        _post("j", "t6", "student", 8, True),
    ]
    assert [p["post_id"] for p in waiting_urgent_posts(posts)] == ["d", "i", "j"]
    wide = waiting_urgent_posts(posts, window=timedelta(days=30))
    assert [p["post_id"] for p in wide] == ["g", "d", "i", "j"]
    assert waiting_urgent_posts([]) == []
    naive = [{**p, "created_at": p["created_at"].replace(tzinfo=None)} for p in posts]
    assert [p["post_id"] for p in waiting_urgent_posts(naive)] == ["d", "i", "j"]
    undated = [{**p, "created_at": None} for p in posts[:1]]
    assert [p["post_id"] for p in waiting_urgent_posts(undated)] == ["a"]
