"""Every read or change of a student's data is audited; application logs carry no personal data."""

from __future__ import annotations

import logging

from sqlalchemy import select

from api.observability import JsonFormatter
from api.store.models import AuditEvent
from tests.api.conftest import ApiWorld


def _events(world: ApiWorld, student_id: str) -> list[AuditEvent]:
    world.services.audit.flush()
    with world.services.store.session() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.student_id == student_id)))


def _teacher_and_students(world: ApiWorld) -> tuple[dict, str, str]:
    teacher = world.of_role("teacher")[0]
    mine = set(teacher["class_ids"])
    own = next(u for u in world.of_role("student") if mine & set(u["class_ids"]))
    other = next(
        u for u in world.of_role("student") if u["class_ids"] and not mine & set(u["class_ids"])
    )
    return teacher, own["student_id"], other["student_id"]


def test_allowed_and_denied_reads_are_both_audited(world: ApiWorld) -> None:
    teacher, own, other = _teacher_and_students(world)
    headers = world.headers(teacher["username"])
    before_own, before_other = len(_events(world, own)), len(_events(world, other))
    assert world.client.get(f"/api/v1/students/{own}/progress", headers=headers).status_code == 200
    assert world.client.get(f"/api/v1/students/{other}/mastery", headers=headers).status_code == 403
    own_events, other_events = _events(world, own), _events(world, other)
    assert len(own_events) == before_own + 1 and len(other_events) == before_other + 1
    allowed, denied = own_events[-1], other_events[-1]
    assert (allowed.actor_role, allowed.action, allowed.status_code) == ("teacher", "read", 200)
    assert allowed.resource == "/api/v1/students/{student_id}/progress"
    assert denied.status_code == 403 and denied.resource.endswith("/mastery")


def test_changes_are_audited_with_their_action(world: ApiWorld) -> None:
    teacher, own, _other = _teacher_and_students(world)
    cid = next(c for c in teacher["class_ids"] if own in world.services.class_students(c))
    r = world.client.post(
        f"/api/v1/classes/{cid}/interventions",
        json={"student_id": own, "kind": "meeting", "note": "audit test"},
        headers=world.headers(teacher["username"]),
    )
    assert r.status_code == 201
    last = _events(world, own)[-1]
    assert (last.action, last.class_id) == ("create", cid)


def test_admin_reads_the_audit_log_by_student(world: ApiWorld) -> None:
    teacher, own, _other = _teacher_and_students(world)
    world.client.get(f"/api/v1/students/{own}/progress", headers=world.headers(teacher["username"]))
    admin = world.headers(world.of_role("admin")[0]["username"])
    r = world.client.get("/api/v1/admin/audit", params={"student_id": own}, headers=admin)
    assert r.status_code == 200
    body = r.json()
    assert body["total"] >= 1 and all(e["student_id"] == own for e in body["items"])


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []
        self.setFormatter(JsonFormatter())

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


def test_application_logs_carry_no_personal_data(world: ApiWorld) -> None:
    teacher, own, other = _teacher_and_students(world)
    student = next(u for u in world.of_role("student") if u["student_id"] == own)
    handler = _Collect()
    logger = logging.getLogger("learnsmart")
    logger.addHandler(handler)
    try:
        world.client.post(
            "/api/v1/auth/login", json={"username": student["username"], "password": "wrong!"}
        )
        for sid in (own, other):
            world.client.get(
                f"/api/v1/students/{sid}/progress", headers=world.headers(teacher["username"])
            )
        world.client.get(
            f"/api/v1/students/{own}/mastery", headers=world.headers(student["username"])
        )
    finally:
        logger.removeHandler(handler)
    text = "\n".join(handler.lines)
    assert '"route": "/api/v1/students/{student_id}/progress"' in text
    for secret in (own, other, student["username"], teacher["username"], "wrong!"):
        assert secret not in text
