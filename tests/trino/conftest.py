"""A real Trino 476 server over a small lake, with the API receiving its query events.

Once per session (per pytest-xdist worker; the cached installation is made under a file lock,
so two workers never install at the same time, and each worker then starts its own server on
free ports):

* a lake with a few Delta tables written by delta-rs, ``gold/research/*`` among them;
* the API (``create_app``) served by uvicorn on a free port, its store holding the demo admin and
  researcher (``seed_demo_users``, which also writes their Trino logins) and a teacher;
* Trino installed (cached), configured from those logins with its HTTP event listener posting to
  the API with the audit secret, started, and the gold tables registered.

Everything is stopped at the end of the session.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import requests
from deltalake import write_deltalake

from api.demo_users import seed_demo_users, trino_logins
from api.main import create_app
from api.security import hash_password
from api.settings import ApiSettings
from api.store.db import Store
from api.store.models import User
from lake.settings import LakeSettings
from orchestration.trino.client import TrinoClient
from orchestration.trino.register import Registration, register_gold
from orchestration.trino.server import (
    ADMIN_USER,
    DEFAULT_AUDIT_PATH,
    RESEARCHER_USER,
    TrinoServer,
    TrinoSettings,
)
from tests.support.services import free_port, serve_in_thread

TEACHER = ("trino-test-teacher", "teacher-password-123")

# Small Delta tables by (domain, table): rows.
TABLES = {
    ("engagement", "fct_daily_engagement"): 1_000,
    ("items", "dim_items"): 50,
    ("research", "research_students"): 200,
    ("research", "research_student_weeks"): 300,
}


def write_table(lake: Path, domain: str, table: str, rows: int) -> Path:
    """A Delta table at ``<lake>/gold/<domain>/<table>`` (two appends, so two versions)."""
    path = lake / "gold" / domain / table
    frame = pl.DataFrame(
        {
            "id": [f"{table}-{i:05d}" for i in range(rows)],
            "n": pl.Series(range(rows), dtype=pl.Int64),
            "score": [i * 0.25 for i in range(rows)],
        }
    )
    half = rows // 2
    write_deltalake(str(path), frame.head(half))
    write_deltalake(str(path), frame.slice(half), mode="append")
    return path


@dataclass
class TrinoWorld:
    """The running server and API, and ways to call them."""

    settings: TrinoSettings
    server: TrinoServer
    logins: dict[str, str]
    api_url: str
    api_settings: ApiSettings
    audit_secret: str
    first_registration: Registration
    users: list[dict[str, Any]]

    @property
    def lake(self) -> Path:
        return self.settings.lake

    def client(self, user: str, password: str | None = None) -> TrinoClient:
        pw = self.logins[user] if password is None else password
        return TrinoClient.for_settings(self.settings, user, pw, "pytest")

    @property
    def admin(self) -> TrinoClient:
        return self.client(ADMIN_USER)

    @property
    def researcher(self) -> TrinoClient:
        return self.client(RESEARCHER_USER)

    def api(self) -> requests.Session:
        session = requests.Session()
        session.trust_env = False
        return session

    def token(self, username: str, password: str) -> dict[str, str]:
        r = self.api().post(
            f"{self.api_url}/api/v1/auth/login",
            json={"username": username, "password": password},
            timeout=30,
        )
        assert r.status_code == 200, r.text
        return {"Authorization": f"Bearer {r.json()['access_token']}"}

    def demo(self, role: str) -> dict[str, Any]:
        return next(u for u in self.users if u["username"] == f"demo-{role}")


@pytest.fixture(scope="session")
def trino_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TrinoWorld]:
    root = tmp_path_factory.mktemp("trino")
    lake = root / "lake"
    for (domain, table), rows in TABLES.items():
        write_table(lake, domain, table, rows)

    # The API, with the demo admin and researcher (and their Trino logins) and a teacher.
    secret = "pytest-audit-" + os.urandom(16).hex()
    api_settings = ApiSettings(
        lake=LakeSettings(lake=lake, landing=root / "landing"),
        database_url=f"sqlite:///{root / 'api.db'}",
        cache_check_s=0.0,
        trino_audit_secret=secret,
    )
    users_file = root / "demo_users.json"
    users = seed_demo_users(api_settings, users_file)
    store = Store(api_settings.database_url)
    with store.session() as s:
        s.add(User(username=TEACHER[0], role="teacher", password_hash=hash_password(TEACHER[1])))
    store.dispose()
    app = create_app(api_settings, scan_every_s=3600)
    stack = ExitStack()
    api_url = stack.enter_context(serve_in_thread(app, name="api-for-trino"))

    settings = TrinoSettings(
        lake=lake.resolve(),
        home=(root / "trino").resolve(),
        users_file=users_file,
        https_port=free_port(),
        http_port=free_port(),
        heap="1G",
        audit_url=f"{api_url}{DEFAULT_AUDIT_PATH}",
        audit_secret=secret,
    )
    server = TrinoServer(settings)
    logins = trino_logins(users_file)
    try:
        server.start(logins, timeout=240)
        admin = TrinoClient.for_settings(settings, ADMIN_USER, logins[ADMIN_USER], "pytest")
        first = register_gold(admin, lake)
        yield TrinoWorld(
            settings=settings,
            server=server,
            logins=logins,
            api_url=api_url,
            api_settings=api_settings,
            audit_secret=secret,
            first_registration=first,
            users=users,
        )
    finally:
        server.stop()
        stack.close()
