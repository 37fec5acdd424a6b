"""A real API server (uvicorn, in a thread) over a copy of the curated demo lake, for the apps.

The apps talk HTTP to it exactly as in production (``LEARNSMART_API_URL``); the demo users of
every role sign in with their generated passwords.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from api.demo_users import seed_demo_users
from api.main import create_app
from api.settings import ApiSettings
from tests.api.conftest import make_settings
from tests.conftest import Curated
from tests.support.services import serve_in_thread


@dataclass
class LiveApi:
    """A running API: its address, settings and the demo logins."""

    url: str
    settings: ApiSettings
    users: list[dict[str, Any]]

    def user(self, role: str, index: int = 0) -> dict[str, Any]:
        """The ``index``-th demo user of a role."""
        return [u for u in self.users if u["role"] == role][index]


@pytest.fixture(scope="session")
def live_api(curated: Curated, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApi]:
    """The API on a free localhost port, over a private copy of the curated lake."""
    root = tmp_path_factory.mktemp("apps_api")
    shutil.copytree(curated.lake, root / "lake")
    settings = make_settings(root, root / "lake")
    users = seed_demo_users(settings, root / "demo_users.json")
    app = create_app(settings, scan_every_s=3600)
    with serve_in_thread(app) as url:
        yield LiveApi(url, settings, users)


@pytest.fixture
def api_env(live_api: LiveApi, monkeypatch: pytest.MonkeyPatch) -> LiveApi:
    """Points the apps at the live API for one test."""
    monkeypatch.setenv("LEARNSMART_API_URL", live_api.url)
    return live_api
