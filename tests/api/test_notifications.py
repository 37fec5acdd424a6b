"""Notifications: the in-app feed, and e-mail through a real local SMTP server (aiosmtpd).

Each test builds its own app over a private copy of the curated demo lake (so it may change
gold tables and count every notification in its own store) with ``smtp_host`` pointing at an
aiosmtpd server on 127.0.0.1 that keeps every message it accepts. The app's background scanner
runs hourly, so only the scans a test calls itself happen.
"""

from __future__ import annotations

import socket
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import AbstractContextManager, suppress
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from deltalake import DeltaTable, write_deltalake
from sqlalchemy import Result, event, select
from sqlalchemy.orm import ORMExecuteState

import api.notify as notify
from api.learner import at_risk
from api.main import build_services
from api.notify import notify_users, scan_at_risk
from api.store.models import ClassAssignment, Notification, User
from lake.io import read_delta
from tests.api.conftest import ApiWorld, private_world
from tests.conftest import Curated

PROGRESS = Path("gold/progress/fct_student_progress")


# --- a real SMTP server ------------------------------------------------------------------------


@dataclass(frozen=True)
class Mail:
    """One message as the SMTP server received it."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    to: str
    subject: str
    text: str


class Inbox:
    """An aiosmtpd handler that accepts every message and keeps it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._mails: list[Mail] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802 (aiosmtpd's hook name)
        """Parse and keep the message; the client's ``send_message`` returns after this."""
        raw = envelope.content
        assert isinstance(raw, bytes)
        msg = message_from_bytes(raw, policy=policy.default)
        assert isinstance(msg, EmailMessage)
        mail = Mail(
            mail_from=str(envelope.mail_from),
            rcpt_tos=tuple(envelope.rcpt_tos),
            to=str(msg["To"]),
            subject=str(msg["Subject"]),
            text=str(msg.get_content()),
        )
        with self._lock:
            self._mails.append(mail)
        return "250 Message accepted for delivery"

    @property
    def mails(self) -> list[Mail]:
        """Every message received so far, in order."""
        with self._lock:
            return list(self._mails)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp_server() -> Iterator[tuple[int, Inbox]]:
    """A running aiosmtpd server on 127.0.0.1: (its port, its inbox)."""
    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, inbox
    finally:
        controller.stop()


# --- an app of the test's own ------------------------------------------------------------------


def _world(curated: Curated, root: Path, smtp_port: int) -> AbstractContextManager[ApiWorld]:
    return private_world(curated, root, smtp_host="127.0.0.1", smtp_port=smtp_port)


@pytest.fixture
def mail_world(
    curated: Curated, tmp_path: Path, smtp_server: tuple[int, Inbox]
) -> Iterator[tuple[ApiWorld, Inbox]]:
    """A fresh app e-mailing through the local SMTP server, and that server's inbox."""
    port, inbox = smtp_server
    with _world(curated, tmp_path, port) as world:
        yield world, inbox


@pytest.fixture
def smtp_down_world(curated: Curated, tmp_path: Path) -> Iterator[ApiWorld]:
    """A fresh app whose SMTP port has nothing listening on it."""
    with _world(curated, tmp_path, _free_port()) as world:
        yield world


# --- helpers -----------------------------------------------------------------------------------


def _notifications(world: ApiWorld) -> list[Notification]:
    with world.services.store.session() as s:
        return list(s.scalars(select(Notification).order_by(Notification.id)))


def _user(world: ApiWorld, username: str) -> User:
    with world.services.store.session() as s:
        user = s.scalars(select(User).where(User.username == username)).one()
        s.expunge(user)
        return user


def _emails(world: ApiWorld) -> dict[int, str | None]:
    with world.services.store.session() as s:
        return {u.id: u.email for u in s.scalars(select(User))}


def _teachers_by_class(world: ApiWorld) -> dict[str, set[int]]:
    with world.services.store.session() as s:
        out: dict[str, set[int]] = {}
        for a in s.scalars(select(ClassAssignment)):
            out.setdefault(a.class_id, set()).add(a.user_id)
        return out


def _busiest_class(world: ApiWorld) -> str:
    """The class with the most teachers (the demo school has one with two)."""
    by_class = _teachers_by_class(world)
    assert by_class, "the demo school should assign teachers to classes"
    return max(sorted(by_class), key=lambda c: len(by_class[c]))


def _student_of(world: ApiWorld, class_id: str, index: int = 0) -> dict[str, Any]:
    students = [u for u in world.of_role("student") if class_id in u["class_ids"]]
    assert len(students) > index, f"the demo school should have students in {class_id}"
    return sorted(students, key=lambda u: u["username"])[index]


def _teacher_of(world: ApiWorld, class_id: str) -> dict[str, Any]:
    return next(u for u in world.of_role("teacher") if class_id in u["class_ids"])


def _feed(world: ApiWorld, username: str, **params: Any) -> list[dict[str, Any]]:
    r = world.client.get("/api/v1/notifications", headers=world.headers(username), params=params)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["total"] == len(body["items"])  # the tests stay within one page
    return list(body["items"])


def _make_inactive(world: ApiWorld, student_id: str, class_id: str, days: int) -> None:
    """Rewrite gold ``fct_student_progress`` so the student was last active ``days`` ago."""
    path = world.settings.lake.lake / PROGRESS
    table = read_delta(DeltaTable(str(path)))
    hit = pc.and_(pc.equal(table["student_id"], student_id), pc.equal(table["class_id"], class_id))
    assert pc.sum(hit).as_py() == 1, "the student should have one progress row in the class"
    i = table.schema.get_field_index("days_inactive")
    column = pc.if_else(hit, pa.scalar(days, pa.int64()), table["days_inactive"])
    write_deltalake(str(path), table.set_column(i, table.schema.field(i), column), mode="overwrite")


def _flag(student_id: str, band: str) -> dict[str, Any]:
    return {
        "student_id": student_id,
        "probability": None,
        "band": band,
        "reasons": [f"test flag ({band})"],
        "as_of": "2025-09-28",
    }


# --- at-risk scan ------------------------------------------------------------------------------


def test_scan_notifies_teachers_once_in_feed_and_by_email(
    mail_world: tuple[ApiWorld, Inbox],
) -> None:
    """A student turning high-risk in gold notifies each teacher of the class once, by e-mail
    too; a second scan notifies and e-mails nobody."""
    world, inbox = mail_world
    svc = world.services
    class_id = _busiest_class(world)
    student = _student_of(world, class_id)
    sid = student["student_id"]
    _make_inactive(world, sid, class_id, days=20)  # the rule: 14+ days inactive is high band

    teachers = _teachers_by_class(world)
    expected = Counter(
        (uid, c, f["student_id"])
        for c in teachers
        for f in at_risk(svc.gold, c)[1]
        if f["band"] == "high"
        for uid in teachers[c]
    )
    ours = {(uid, class_id, sid) for uid in teachers[class_id]}
    assert ours <= set(expected), "the gold change should put the student in the high band"

    made = scan_at_risk(svc)

    notes = _notifications(world)
    assert made == len(notes) == sum(expected.values())
    assert Counter((n.user_id, n.class_id, n.student_id) for n in notes) == expected
    assert all(n.kind == "at_risk" and n.emailed_at is not None for n in notes)
    assert len({(n.user_id, n.event_key) for n in notes}) == len(notes)

    emails = _emails(world)
    mails = inbox.mails
    assert len(mails) == len(notes)  # exactly one e-mail per notification
    assert Counter((m.to, m.subject) for m in mails) == Counter(
        (emails[n.user_id], f"LearnSmart: {n.title}") for n in notes
    )
    for m in mails:
        assert m.rcpt_tos == (m.to,)
        assert m.mail_from == world.settings.mail_from
    for uid in teachers[class_id]:
        mine = [m for m in mails if m.to == emails[uid]]
        assert any("no activity for 20 days" in m.text for m in mine), mine

    for username in [u["username"] for u in world.of_role("teacher")]:
        uid = _user(world, username).id
        feed = _feed(world, username)
        assert len(feed) == sum(n for (u, _c, _s), n in expected.items() if u == uid)
        if uid in teachers[class_id]:
            item = next(i for i in feed if i["student_id"] == sid)
            assert item["kind"] == "at_risk" and item["class_id"] == class_id
            assert "no activity for 20 days" in item["body"]
            assert item["emailed_at"] is not None and item["read_at"] is None

    assert scan_at_risk(svc) == 0
    assert len(_notifications(world)) == len(notes)
    assert len(inbox.mails) == len(mails)


def test_scan_notifies_again_only_after_the_student_left_the_high_band(
    mail_world: tuple[ApiWorld, Inbox], monkeypatch: pytest.MonkeyPatch
) -> None:
    """One notification per episode: leaving the high band (to medium, or off the list) and
    coming back is a new event; staying high, or staying medium, is not."""
    world, inbox = mail_world
    svc = world.services
    class_id = _busiest_class(world)
    teachers = _teachers_by_class(world)[class_id]
    back_from_medium, back_from_gone, stays, medium = (
        _student_of(world, class_id, i)["student_id"] for i in range(4)
    )
    flags: dict[str, list[dict[str, Any]]] = {}

    def fake_at_risk(_gold: object, cid: str) -> tuple[str, list[dict[str, Any]]]:
        return "rule", list(flags.get(cid, []))

    monkeypatch.setattr(notify, "at_risk", fake_at_risk)

    def scan(*flagged: tuple[str, str]) -> int:
        flags[class_id] = [_flag(sid, band) for sid, band in flagged]
        return scan_at_risk(svc)

    def keys(sid: str) -> set[str]:
        return {n.event_key for n in _notifications(world) if n.student_id == sid}

    everyone_high = [(s, "high") for s in (back_from_medium, back_from_gone, stays)]
    assert scan(*everyone_high, (medium, "medium")) == 3 * len(teachers)
    assert scan(*everyone_high, (medium, "medium")) == 0
    assert scan((back_from_medium, "medium"), (stays, "high"), (medium, "medium")) == 0
    assert scan(*everyone_high, (medium, "medium")) == 2 * len(teachers)
    assert scan(*everyone_high, (medium, "medium")) == 0

    for sid in (back_from_medium, back_from_gone):
        assert len(keys(sid)) == 2, "a second episode is a new event, with its own key"
    assert len(keys(stays)) == 1
    assert keys(medium) == set()
    notes = _notifications(world)
    assert Counter(n.user_id for n in notes) == {uid: 5 for uid in teachers}
    assert len(inbox.mails) == len(notes) == 5 * len(teachers)


def test_a_new_episode_survives_an_api_restart(
    mail_world: tuple[ApiWorld, Inbox], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Flagged, seen unflagged, then (after a restart: new Services over the same store) flagged
    again: the teachers should hear about it again."""
    world, _inbox = mail_world
    class_id = _busiest_class(world)
    teachers = _teachers_by_class(world)[class_id]
    sid = _student_of(world, class_id)["student_id"]
    band = {"now": "high"}
    monkeypatch.setattr(
        notify,
        "at_risk",
        lambda _g, cid: ("rule", [_flag(sid, band["now"])] if cid == class_id else []),
    )
    assert scan_at_risk(world.services) == len(teachers)
    band["now"] = "medium"
    assert scan_at_risk(world.services) == 0

    restarted = build_services(world.settings)
    try:
        band["now"] = "high"
        assert scan_at_risk(restarted) == len(teachers)
    finally:
        restarted.audit.close()
        restarted.store.dispose()


# --- urgent forum posts ------------------------------------------------------------------------


def test_urgent_post_notifies_the_class_teachers_once(
    mail_world: tuple[ApiWorld, Inbox], monkeypatch: pytest.MonkeyPatch
) -> None:
    """With an urgency model, a post scoring 5+ notifies (and e-mails) each teacher of the class
    once; a calm post notifies nobody; both answers carry the score."""
    world, inbox = mail_world
    svc = world.services
    monkeypatch.setitem(svc.extras, "urgency_model", lambda text: 6.5 if "urgent" in text else 2.0)
    class_id = _busiest_class(world)
    teachers = _teachers_by_class(world)[class_id]
    student = _student_of(world, class_id)
    url = f"/api/v1/classes/{class_id}/forum/threads"
    headers = world.headers(student["username"])

    r = world.client.post(
        url, headers=headers, json={"title": "Quiz 2", "body": "This is urgent, I am stuck."}
    )
    assert r.status_code == 201, r.text
    post = r.json()
    assert post["urgency"] == 6.5 and post["is_urgent"] is True

    notes = _notifications(world)
    assert {n.user_id for n in notes} == teachers and len(notes) == len(teachers)
    for n in notes:
        assert n.event_key == f"urgent-post:{post['post_id']}"
        assert n.kind == "urgent_post" and n.class_id == class_id
        assert n.student_id == student["student_id"] and n.emailed_at is not None
    emails = _emails(world)
    assert sorted(m.to for m in inbox.mails) == sorted(str(emails[uid]) for uid in teachers)
    assert all(m.subject == "LearnSmart: An urgent forum post" for m in inbox.mails)
    teacher = _teacher_of(world, class_id)
    assert [i["kind"] for i in _feed(world, teacher["username"])] == ["urgent_post"]

    r = world.client.post(url, headers=headers, json={"title": "Quiz 3", "body": "When is it due?"})
    assert r.status_code == 201, r.text
    calm = r.json()
    assert calm["urgency"] == 2.0 and calm["is_urgent"] is False
    assert len(_notifications(world)) == len(teachers)
    assert len(inbox.mails) == len(teachers)

    monkeypatch.delitem(svc.extras, "urgency_model")
    r = world.client.post(url, headers=headers, json={"title": "Quiz 4", "body": "urgent!"})
    assert r.status_code == 201, r.text
    assert r.json()["urgency"] is None and r.json()["is_urgent"] is None
    assert len(_notifications(world)) == len(teachers)


# --- SMTP failure ------------------------------------------------------------------------------


def test_smtp_down_keeps_the_in_app_notification(
    smtp_down_world: ApiWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With nothing listening on the SMTP port, callers succeed, the notification is in the
    feed, and ``emailed_at`` stays empty."""
    world = smtp_down_world
    svc = world.services
    class_id = _busiest_class(world)
    teachers = _teachers_by_class(world)[class_id]
    student = _student_of(world, class_id)

    monkeypatch.setitem(svc.extras, "urgency_model", lambda _text: 7.0)
    r = world.client.post(
        f"/api/v1/classes/{class_id}/forum/threads",
        headers=world.headers(student["username"]),
        json={"title": "Help", "body": "urgent"},
    )
    assert r.status_code == 201, r.text

    monkeypatch.setattr(
        notify, "at_risk", lambda _g, cid: ("rule", [_flag(student["student_id"], "high")])
    )
    assert scan_at_risk(svc) == sum(len(t) for t in _teachers_by_class(world).values())

    notes = _notifications(world)
    assert {n.kind for n in notes} == {"urgent_post", "at_risk"}
    assert all(n.emailed_at is None for n in notes)
    feed = _feed(world, _teacher_of(world, class_id)["username"])
    assert sorted(i["kind"] for i in feed) == ["at_risk", "urgent_post"]
    assert all(i["emailed_at"] is None for i in feed)
    assert len([n for n in notes if n.kind == "urgent_post"]) == len(teachers)


# --- exactly once under concurrency ------------------------------------------------------------


def _race(world: ApiWorld, user_ids: list[int], threads: int, event_key: str) -> list[int]:
    """Call ``notify_users`` for one event from ``threads`` threads at once; their returns."""
    start = threading.Barrier(threads)
    made: list[int] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            start.wait(timeout=30)
            n = notify_users(
                world.services,
                user_ids,
                event_key=event_key,
                kind="test",
                title="Race",
                body="Only once.",
            )
            made.append(n)
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(timeout=60)
    assert not errors, errors
    assert len(made) == threads
    return made


def test_concurrent_notify_makes_one_notification_per_user(
    mail_world: tuple[ApiWorld, Inbox],
) -> None:
    """Eight threads notifying three users of the same event make three notifications."""
    world, inbox = mail_world
    users = sorted(_emails(world))[:3]
    made = _race(world, users, threads=8, event_key="race:plain")
    assert sum(made) == 3
    notes = [n for n in _notifications(world) if n.event_key == "race:plain"]
    assert sorted(n.user_id for n in notes) == users
    assert len(inbox.mails) == 3


def test_unique_constraint_settles_a_lost_race(
    mail_world: tuple[ApiWorld, Inbox], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every thread passes the "already notified?" check before any inserts (held at a barrier),
    so only the (user, event) unique constraint can keep the event to one notification each."""
    world, inbox = mail_world
    svc = world.services
    users = sorted(_emails(world))[:2]
    threads = 6
    after_check = threading.Barrier(threads)
    inserts: list[int] = []

    def hold_after_check(state: ORMExecuteState) -> Result[Any] | None:
        where = getattr(state.statement, "whereclause", None)
        if not (state.is_select and where is not None and "notifications.event_key" in str(where)):
            return None  # any other statement runs as usual
        checked = state.invoke_statement().freeze()  # the check, fully read (no open cursor)
        # Until every thread has checked; if the barrier breaks the insert count below says so.
        with suppress(threading.BrokenBarrierError):
            after_check.wait(timeout=10)
        return checked()

    def count_inserts(_conn: Any, _cur: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO NOTIFICATIONS"):
            inserts.append(1)

    event.listen(svc.store.sessions, "do_orm_execute", hold_after_check)
    event.listen(svc.store.engine, "before_cursor_execute", count_inserts)
    try:
        made = _race(world, users, threads=threads, event_key="race:forced")
    finally:
        event.remove(svc.store.engine, "before_cursor_execute", count_inserts)
        event.remove(svc.store.sessions, "do_orm_execute", hold_after_check)

    assert len(inserts) == threads * len(users), "every thread should have tried to insert"
    assert sum(made) == len(users)
    notes = [n for n in _notifications(world) if n.event_key == "race:forced"]
    assert sorted(n.user_id for n in notes) == users
    assert all(n.emailed_at is not None for n in notes)
    assert len(inbox.mails) == len(users)


# --- the feed ----------------------------------------------------------------------------------


def test_only_the_owner_marks_a_notification_read(mail_world: tuple[ApiWorld, Inbox]) -> None:
    """The owner marks it read (the unread filter then leaves it out); anyone else gets 404."""
    world, _inbox = mail_world
    owner, other = (u["username"] for u in world.of_role("student")[:2])
    owner_id = _user(world, owner).id
    assert (
        notify_users(
            world.services, [owner_id], event_key="read:1", kind="test", title="One", body="1"
        )
        == 1
    )
    assert (
        notify_users(
            world.services, [owner_id], event_key="read:2", kind="test", title="Two", body="2"
        )
        == 1
    )
    feed = _feed(world, owner)
    assert [i["title"] for i in feed] == ["Two", "One"]  # newest first
    note_id = feed[1]["id"]

    r = world.client.post(f"/api/v1/notifications/{note_id}/read", headers=world.headers(other))
    assert r.status_code == 404, r.text
    assert _feed(world, other) == []
    assert [i["id"] for i in _feed(world, owner, unread=True)] == [feed[0]["id"], note_id]

    r = world.client.post(f"/api/v1/notifications/{note_id}/read", headers=world.headers(owner))
    assert r.status_code == 200, r.text
    assert [i["id"] for i in _feed(world, owner, unread=True)] == [feed[0]["id"]]
    read = next(i for i in _feed(world, owner) if i["id"] == note_id)
    assert read["read_at"] is not None

    r = world.client.post("/api/v1/notifications/999999/read", headers=world.headers(owner))
    assert r.status_code == 404, r.text


# --- interventions -----------------------------------------------------------------------------


def test_intervention_notifies_the_student_when_asked(mail_world: tuple[ApiWorld, Inbox]) -> None:
    """``notify_student=True`` puts the teacher's note in the student's feed and inbox;
    without it the student hears nothing."""
    world, inbox = mail_world
    class_id = _busiest_class(world)
    teacher = _teacher_of(world, class_id)
    student = _student_of(world, class_id)
    url = f"/api/v1/classes/{class_id}/interventions"
    headers = world.headers(teacher["username"])

    r = world.client.post(
        url,
        headers=headers,
        json={"student_id": student["student_id"], "kind": "meeting", "note": "Quiet log"},
    )
    assert r.status_code == 201, r.text
    assert _feed(world, student["username"]) == []
    assert inbox.mails == []

    r = world.client.post(
        url,
        headers=headers,
        json={
            "student_id": student["student_id"],
            "kind": "message",
            "note": "Come and see me after class.",
            "notify_student": True,
        },
    )
    assert r.status_code == 201, r.text
    feed = _feed(world, student["username"])
    assert len(feed) == 1
    item = feed[0]
    assert item["kind"] == "intervention" and item["body"] == "Come and see me after class."
    assert item["student_id"] == student["student_id"] and item["class_id"] == class_id
    assert _feed(world, teacher["username"]) == []

    address = _user(world, student["username"]).email
    assert address, "demo students have an e-mail address"
    assert [m.to for m in inbox.mails] == [address]
    assert "Come and see me after class." in inbox.mails[0].text
    assert item["emailed_at"] is not None
