"""The operational store on a real PostgreSQL (installed and started by scripts/postgres.sh):
the same models and migrations as SQLite, exercised through the app."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import create_engine, inspect, select, text
from sqlalchemy.engine import make_url

from api.store.changes import ChangeFeed
from api.store.db import Store, alembic_config, migrate
from api.store.models import AuditEvent, Base, Intervention, StoreChange
from tests.api.conftest import private_world
from tests.conftest import Curated
from tests.support.postgres import postgres_url

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    """A fresh database of its own on the test cluster (dropped afterwards)."""
    base = postgres_url()
    name = f"ls_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(base).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_migrations_create_every_table_and_downgrade_cleanly(pg_url: str) -> None:
    migrate(pg_url)
    engine = create_engine(pg_url)
    tables = set(inspect(engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    command.downgrade(alembic_config(pg_url), "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    migrate(pg_url)
    assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())
    engine.dispose()


def test_the_app_runs_on_postgresql(pg_url: str, curated: Curated, tmp_path: Path) -> None:
    with private_world(curated, tmp_path, database_url=pg_url) as world:
        client, app = world.client, world.app
        teacher = world.of_role("teacher")[0]
        cid = teacher["class_ids"][0]
        r = client.post(
            "/api/v1/auth/login",
            json={"username": teacher["username"], "password": teacher["password"]},
        )
        assert r.status_code == 200
        headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
        roster = client.get(f"/api/v1/classes/{cid}/roster", headers=headers).json()
        sid = roster["items"][0]["student_id"]
        made = client.post(
            f"/api/v1/classes/{cid}/interventions",
            json={"student_id": sid, "kind": "meeting", "note": "on postgres"},
            headers=headers,
        )
        assert made.status_code == 201
        listed = client.get(f"/api/v1/classes/{cid}/interventions", headers=headers).json()
        assert listed["items"][0]["note"] == "on postgres"
        created = made.json()["created_at"]
        assert created.endswith("Z") or "+00:00" in created
        app.state.services.audit.flush()
        with app.state.services.store.session() as s:
            assert s.scalar(select(Intervention.note).where(Intervention.student_id == sid))
            events = s.scalars(select(AuditEvent).where(AuditEvent.student_id == sid)).all()
            assert {e.action for e in events} >= {"create"}
        assert app.state.services.store.engine.dialect.name == "postgresql"


def test_the_change_feed_delivers_a_change_committed_after_a_later_one(pg_url: str) -> None:
    # PostgreSQL hands out ids at insert time: the lower id of a slower transaction commits last.
    migrate(pg_url)
    store = Store(pg_url)
    try:
        feed = ChangeFeed(store.sessions)
        slow = store.sessions()
        slow.add(StoreChange(topic="student", key="slow"))
        slow.flush()  # takes its id now, commits later
        with store.session() as s:
            s.add(StoreChange(topic="student", key="fast"))
        assert [c.key for c in feed.poll()] == ["fast"]
        slow.commit()
        slow.close()
        assert [c.key for c in feed.poll()] == ["slow"]
        assert feed.poll() == []
    finally:
        store.dispose()
