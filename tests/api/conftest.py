"""An API over a copy of the small curated demo lake, with demo users of every role.

The world is built once per test session (and per xdist worker): tests that change the
operational store use their own rows (their own intervention, their own invite) so they do not
depend on each other's order.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.demo_users import seed_demo_users
from api.main import create_app
from api.settings import ApiSettings
from lake.settings import LakeSettings
from tests.conftest import Curated


@dataclass
class ApiWorld:
    """A running app (TestClient), its settings and the demo logins."""

    settings: ApiSettings
    app: FastAPI
    client: TestClient
    users: list[dict[str, Any]]
    _tokens: dict[str, str] = field(default_factory=dict)

    def token(self, username: str) -> str:
        """An access token for a demo user (cached for the session)."""
        if username not in self._tokens:
            user = next(u for u in self.users if u["username"] == username)
            r = self.client.post(
                "/api/v1/auth/login",
                json={"username": username, "password": user["password"]},
            )
            assert r.status_code == 200, r.text
            self._tokens[username] = r.json()["access_token"]
        return self._tokens[username]

    def headers(self, username: str) -> dict[str, str]:
        """Authorization header of a demo user."""
        return {"Authorization": f"Bearer {self.token(username)}"}

    def of_role(self, role: str) -> list[dict[str, Any]]:
        """Demo users of a role."""
        return [u for u in self.users if u["role"] == role]

    @property
    def services(self) -> Any:
        """The app's Services."""
        return self.app.state.services


def make_settings(root: Path, lake: Path, **overrides: Any) -> ApiSettings:
    """API settings over ``lake`` with a SQLite store and a landing folder under ``root``."""
    values: dict[str, Any] = {
        "lake": LakeSettings(lake=lake, landing=root / "landing"),
        "database_url": f"sqlite:///{root / 'api.db'}",
        "cache_check_s": 0.0,
    }
    values.update(overrides)
    return ApiSettings(**values)


@contextmanager
def private_world(curated: Curated, root: Path, **overrides: Any) -> Iterator[ApiWorld]:
    """A fresh app over a private copy of the curated lake under ``root`` (a test may change
    its gold tables and count every row of its own store); its scanner runs hourly, so only the
    scans a test calls happen. ``overrides``: settings (``make_settings``)."""
    shutil.copytree(curated.lake, root / "lake")
    settings = make_settings(root, root / "lake", **overrides)
    users = seed_demo_users(settings, root / "demo_users.json")
    app = create_app(settings, scan_every_s=3600)
    with TestClient(app) as client:
        yield ApiWorld(settings, app, client, users)


@pytest.fixture(scope="session")
def world(curated: Curated, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiWorld]:
    """The app with demo users, started once per session."""
    root = tmp_path_factory.mktemp("api")
    shutil.copytree(curated.lake, root / "lake")  # private copy: the API writes to it
    settings = make_settings(root, root / "lake")
    users = seed_demo_users(settings, root / "demo_users.json")
    app = create_app(settings, scan_every_s=3600)
    with TestClient(app) as client:
        yield ApiWorld(settings, app, client, users)


def load_users(path: Path) -> list[dict[str, Any]]:
    """Logins written by ``seed_demo_users``."""
    return json.loads(path.read_text())
