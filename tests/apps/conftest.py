"""A real API server (uvicorn, in a thread) over a copy of the curated demo lake, for the apps.

The apps talk HTTP to it exactly as in production (``LEARNSMART_API_URL``); the demo users of
every role sign in with their generated passwords.
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import uvicorn

from api.demo_users import seed_demo_users
from api.main import create_app
from api.settings import ApiSettings
from tests.api.conftest import make_settings
from tests.conftest import Curated


@dataclass
class LiveApi:
    """A running API: its address, settings and the demo logins."""

    url: str
    settings: ApiSettings
    users: list[dict[str, Any]]

    def user(self, role: str, index: int = 0) -> dict[str, Any]:
        """The ``index``-th demo user of a role."""
        return [u for u in self.users if u["role"] == role][index]


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def live_api(curated: Curated, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApi]:
    """The API on a free localhost port, over a private copy of the curated lake."""
    root = tmp_path_factory.mktemp("apps_api")
    shutil.copytree(curated.lake, root / "lake")
    settings = make_settings(root, root / "lake")
    users = seed_demo_users(settings, root / "demo_users.json")
    app = create_app(settings, scan_every_s=3600)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    else:
        raise RuntimeError("the API did not start")
    yield LiveApi(url, settings, users)
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def api_env(live_api: LiveApi, monkeypatch: pytest.MonkeyPatch) -> LiveApi:
    """Points the apps at the live API for one test."""
    monkeypatch.setenv("LEARNSMART_API_URL", live_api.url)
    return live_api
