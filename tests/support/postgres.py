"""A real PostgreSQL server for the tests, from ``scripts/postgres.sh``.

:func:`postgres_url` runs the script (which installs Debian's ``postgresql`` if needed, then
initialises and starts a throw-away cluster) at most once per process and returns its SQLAlchemy
URL. pytest-xdist workers are separate processes that may call it at the same moment, so the run is
serialised across processes with ``flock`` on ``<data dir>.lock``; threads within a process share
one cached result.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import threading
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "postgres.sh"
"""The script that installs, initialises and starts the cluster."""

# Installing the package (apt-get update + install) took about a minute on a clean Debian 12.
_TIMEOUT_S = 900.0
_STDERR_TAIL_LINES = 40

_cache: dict[tuple[Path, str], str] = {}
_cache_lock = threading.Lock()


def data_dir() -> Path:
    """The cluster's data directory, exactly as ``scripts/postgres.sh`` computes it."""
    configured = os.environ.get("LEARNSMART_PG_DIR")
    if configured:
        return Path(configured).absolute()
    return Path(os.environ.get("TMPDIR") or "/tmp") / "learnsmart-pg"


def _port() -> str:
    """The TCP port the cluster listens on (``LEARNSMART_PG_PORT``, default 55432)."""
    return os.environ.get("LEARNSMART_PG_PORT") or "55432"


def _tail(text: str | bytes | None) -> str:
    """The last lines of a captured stream, for an error message."""
    if text is None:
        return ""
    if isinstance(text, bytes):
        text = text.decode(errors="replace")
    return "\n".join(text.rstrip().splitlines()[-_STDERR_TAIL_LINES:])


def _run_script(directory: Path, port: str) -> str:
    """Run the script under the cross-process lock and return the URL it prints."""
    directory.parent.mkdir(parents=True, exist_ok=True)
    lock_path = directory.with_name(directory.name + ".lock")
    env = {
        **os.environ,
        "LEARNSMART_PG_DIR": str(directory),
        "LEARNSMART_PG_PORT": port,
        # The script takes the same lock itself unless told its caller holds it (flock locks
        # belong to an open file, so a second open of the lock file would wait on us forever).
        "LEARNSMART_PG_LOCK_HELD": "1",
    }
    # Python's descriptors are not inherited, so the server the script starts cannot keep the
    # lock held after we release it.
    with lock_path.open("a") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            proc = subprocess.run(
                ["bash", str(SCRIPT)],
                env=env,
                capture_output=True,
                text=True,
                timeout=_TIMEOUT_S,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise RuntimeError(
                f"{SCRIPT} did not finish within {_TIMEOUT_S:.0f}s; stderr tail:\n"
                f"{_tail(exc.stderr)}"
            ) from exc
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)
    lines = proc.stdout.strip().splitlines()
    url = lines[-1].strip() if lines else ""
    if proc.returncode != 0 or not url.startswith("postgresql+psycopg://"):
        raise RuntimeError(
            f"{SCRIPT} failed (exit {proc.returncode}, stdout {proc.stdout.strip()!r}); "
            f"stderr tail:\n{_tail(proc.stderr)}"
        )
    return url


def postgres_url() -> str:
    """The SQLAlchemy URL of the test cluster, starting it (and installing it) on first use.

    The script runs once per process for a given data directory and port (both from the
    environment, see ``scripts/postgres.sh``); later calls return the cached URL. A failed run is
    not cached, so a later call tries again.

    Raises:
        RuntimeError: the script failed or timed out; the message carries its stderr tail.
    """
    key = (data_dir(), _port())
    with _cache_lock:
        if key not in _cache:
            _cache[key] = _run_script(*key)
        return _cache[key]
