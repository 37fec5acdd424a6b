"""``POST /api/v1/admin/erasures``: admins only; the student's store rows are gone (the pending
request closed without the id), one ErasureRecord holds counts and no identifier, and the
SQLite file itself no longer contains the student id."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.demo_users import seed_demo_users
from api.main import create_app
from api.store.models import (
    AuditEvent,
    Consent,
    ErasureRecord,
    ErasureRequest,
    Intervention,
    User,
)
from tests.api.conftest import ApiWorld, make_settings
from tests.conftest import Curated

pytestmark = pytest.mark.slow
URL = "/api/v1/admin/erasures"


@pytest.fixture(scope="module")
def own_world(curated: Curated, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiWorld]:
    """A private app: erasure changes the lake and the store, so the shared world is not used."""
    root = tmp_path_factory.mktemp("erasure_api")
    shutil.copytree(curated.lake, root / "lake")
    shutil.copytree(curated.lake.parent / "landing", root / "landing")
    settings = make_settings(root, root / "lake")
    users = seed_demo_users(settings, root / "demo_users.json")
    app = create_app(settings, scan_every_s=3600)
    with TestClient(app) as client:
        yield ApiWorld(settings, app, client, users)


def _student(world: ApiWorld) -> tuple[str, str]:
    """(username, student_id) of a demo student user."""
    with world.services.store.session() as s:
        u = s.scalars(select(User).where(User.role == "student").order_by(User.id)).first()
        assert u is not None and u.student_id
        return u.username, u.student_id


@pytest.mark.parametrize("role", ["teacher", "student", "researcher"])
def test_only_admins(own_world: ApiWorld, role: str) -> None:
    user = own_world.of_role(role)[0]["username"]
    _, sid = _student(own_world)
    r = own_world.client.post(URL, json={"student": sid}, headers=own_world.headers(user))
    assert r.status_code == 403
    r = own_world.client.post(URL, json={"student": sid})
    assert r.status_code == 401


def test_unknown_and_malformed(own_world: ApiWorld) -> None:
    admin = own_world.headers(own_world.of_role("admin")[0]["username"])
    r = own_world.client.post(URL, json={"student": "oneroster:stu-99999"}, headers=admin)
    assert r.status_code == 404
    r = own_world.client.post(URL, json={"student": "no-colon"}, headers=admin)
    assert r.status_code == 422
    r = own_world.client.post(URL, json={"reason": "request"}, headers=admin)
    assert r.status_code == 422


def test_admin_erases_student_everywhere(own_world: ApiWorld) -> None:
    w = own_world
    admin_name = w.of_role("admin")[0]["username"]
    admin = w.headers(admin_name)
    username, sid = _student(w)
    student_headers = w.headers(username)  # a token issued before the erasure
    store = w.services.store
    with store.session() as s:
        s.add(Consent(student_id=sid, purpose="research", granted=True))
        s.add(Intervention(class_id="cls-x", student_id=sid, kind="call", note="called home"))
        s.add(
            AuditEvent(
                actor_id=1,
                actor_role="teacher",
                action="read",
                resource=f"/api/v1/students/{sid}/progress",
                student_id=sid,
                status_code=200,
            )
        )
    r = w.client.post(
        "/api/v1/admin/erasure-requests",
        json={"student_id": sid, "reason": "parent asked"},
        headers=admin,
    )
    assert r.status_code == 201, r.text
    request_id = r.json()["id"]

    r = w.client.post(URL, json={"student": sid, "reason": "withdrawal"}, headers=admin)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["verified"] is True
    assert body["store"]["users"] == 1
    assert body["store"]["consents"] >= 1
    assert body["store"]["interventions"] >= 1
    assert sid not in r.text and username not in r.text

    with store.session() as s:
        assert s.scalars(select(User).where(User.student_id == sid)).all() == []
        assert s.scalars(select(Consent).where(Consent.student_id == sid)).all() == []
        assert s.scalars(select(Intervention).where(Intervention.student_id == sid)).all() == []
        audit = s.scalars(select(AuditEvent).where(AuditEvent.resource.contains(sid))).all()
        assert audit == []
        req = s.get(ErasureRequest, request_id)
        assert req is not None and req.status == "done" and req.student_id == "erased"
        rec = s.get(ErasureRecord, body["erasure_record_id"])
        assert rec is not None
        assert rec.reason_code == "withdrawal"
        assert rec.counts["store:users"] == 1
        assert rec.counts["lake:silver/students"] == 1
        blob = json.dumps({"counts": rec.counts, "reason": rec.reason_code, "by": rec.requested_by})
        assert sid not in blob and username not in blob
    # The student's own token no longer works (the user is gone).
    assert w.client.get("/api/v1/auth/me", headers=student_headers).status_code in (401, 404)
    # Nothing of the student survives in the SQLite file's bytes (deleted pages vacuumed).
    db = Path(w.settings.database_url.removeprefix("sqlite:///"))
    for f in (db, db.with_name(db.name + "-wal")):
        if f.exists():
            assert sid.encode() not in f.read_bytes()
    # Erasing again: the student is unknown now.
    r = w.client.post(URL, json={"student": sid}, headers=admin)
    assert r.status_code == 404
