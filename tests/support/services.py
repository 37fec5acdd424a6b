"""Start LearnSmart's services as real processes on free localhost ports, for browser tests.

Each service runs from the venv exactly as ``make demo`` starts it (uvicorn for the API,
``streamlit run`` for the apps), in its own process group so it can be stopped with all its
children; its output goes to a log file that a failing test prints.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import uvicorn

ROOT = Path(__file__).resolve().parents[2]
BIN = ROOT / ".venv" / "bin"


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _ThreadServer(uvicorn.Server):
    def install_signal_handlers(self) -> None:  # signals belong to the main thread (pytest)
        pass


@contextmanager
def serve_in_thread(app: Any, name: str = "api", timeout_s: float = 60) -> Iterator[str]:
    """Serve an ASGI ``app`` with uvicorn in a daemon thread on a free port; yields its URL
    once it listens, and stops it on exit."""
    port = free_port()
    server = _ThreadServer(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    )
    thread = threading.Thread(target=server.run, name=name, daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout_s
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError(f"{name} died while starting")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{name} did not start in {timeout_s:.0f} s")
        time.sleep(0.1)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@dataclass
class Service:
    """A started process, its address and its log."""

    name: str
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def tail(self, n: int = 60) -> str:
        """The last ``n`` lines of the log."""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-n:])

    def stop(self) -> None:
        """SIGTERM the process group, SIGKILL after 10 s."""
        if self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


def start(
    name: str,
    args: list[str],
    env: dict[str, str],
    health_url: str,
    url: str,
    logs: Path,
    timeout_s: float = 120,
) -> Service:
    """Start ``args`` and wait until ``health_url`` answers 200 (or fail with its log)."""
    logs.mkdir(parents=True, exist_ok=True)
    log = logs / f"{name}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            args,
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    service = Service(name, url, process, log)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with {process.returncode}:\n{service.tail()}")
        try:
            if httpx.get(health_url, timeout=2).status_code == 200:
                return service
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    service.stop()
    raise RuntimeError(
        f"{name} did not answer {health_url} in {timeout_s:.0f} s:\n{service.tail()}"
    )


def start_api(env: dict[str, str], logs: Path) -> Service:
    """The API (uvicorn) on a free port."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    args = [str(BIN / "uvicorn"), "api.main:app", "--host", "127.0.0.1", "--port", str(port)]
    args += ["--no-access-log", "--log-level", "warning"]
    return start("api", args, env, f"{url}/health", url, logs)


def start_streamlit(name: str, script: str, env: dict[str, str], logs: Path) -> Service:
    """A Streamlit app (``apps/<name>/app.py``) on a free port, headless."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    args = [
        str(BIN / "streamlit"),
        "run",
        script,
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        "--server.fileWatcherType",
        "none",
        # As in production (scripts/demo.sh): no developer menu, no stack traces for people.
        "--client.toolbarMode",
        "viewer",
        "--client.showErrorDetails",
        "none",
    ]
    return start(name, args, env, f"{url}/_stcore/health", url, logs)
