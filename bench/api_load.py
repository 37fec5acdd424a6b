"""API load benchmark: the LearnSmart API under an open-loop load, against a bare FastAPI app.

In one run, and with the same load generator, rate and server settings, it measures:
  (a) the floor: a bare FastAPI hello-world (``bench/hello_app.py``: one auth-free GET route
      returning a cached dict) served by uvicorn;
  (b) ours: the LearnSmart API (``api.main:app``) on a lake built from the demo data
      (``make demo``), under a mix of its read endpoints called with real access tokens of many
      demo users (``data/demo_users.json``; seeded with ``learnsmart api seed-demo-users`` when
      missing), each endpoint taking an equal share of the load:
      students' progress, mastery, recommendations and classes; teachers' class roster,
      overview, at-risk list and item analysis.
Each is attacked at a constant rate (open loop: requests are sent on schedule whether or not
earlier ones have answered, so a slow server shows up as latency; past ``--max-workers``
requests in flight, a hopelessly overloaded one also as a rate not reached) for the given
duration, after a short warm-up that is not counted; then the highest rate it sustains
(p99 under 50 ms, zero errors, the requested rate actually reached) is searched for in short
steps (10 s; a failed step is tried once more): doubling from ``--rate``, then bisection to
within 5%. Latencies are sensitive to anything else running: measure on an otherwise idle
machine. The load comes from vegeta
(``scripts/vegeta.sh`` builds it with ``go install``), one uvicorn worker per server by default;
on a machine with a spare core the server is pinned to its own core(s) and vegeta to another
(``taskset``), so that the two do not compete for one.

    python bench/api_load.py [--rate 500] [--duration 60] [--json] [--targets-only]
        [--hello-only] [--base-url URL] [--users data/demo_users.json] [--lake data/lake]

Prints p50/p95/p99 latency and errors for both at ``--rate``, the highest sustained rate of each
and ratio = ours / floor (1.0: the API sustains what a bare hello-world sustains; the target is
>= 0.5, with p99 under 10 ms at 500 requests/s and zero errors). Errors are transport errors,
time-outs and every non-2xx answer. With --json, one JSON line on stdout (the table goes to
stderr): p50_ms, p95_ms, p99_ms, errors, max_rps (the LearnSmart API, or the hello-world with
--hello-only), ratio, rate, duration_s, requests, achieved_rps, targets_met and ``hello`` (the
same figures for the floor). --targets-only skips the search for the highest rate (max_rps and
ratio are then null).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = ROOT / ".venv" / "bin"

HELLO_APP = "bench.hello_app:app"
LEARNSMART_APP = "api.main:app"
DEFAULT_USERS = Path("data/demo_users.json")
DEFAULT_LAKE = Path("data/lake")

# The contract's targets.
P99_TARGET_MS = 10.0
RATIO_TARGET = 0.5
# A rate counts as sustained when p99 is under this, nothing failed and vegeta reached the rate.
SUSTAIN_P99_MS = 50.0
REACHED_RATE = 0.95
# A search step whose p99 is this many times the limit is not tried again.
HOPELESS_P99 = 20
# Tokens are renewed when they would expire within an attack plus this margin.
TOKEN_MARGIN_S = 30.0

Target = dict[str, Any]
TargetSource = list[Target] | Callable[[float], list[Target]]


def log(message: str) -> None:
    """Progress on stderr (stdout carries only the result)."""
    print(message, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------
# Load generator and servers


def vegeta_binary() -> Path:
    """The vegeta binary: ``$VEGETA`` if set, else the one ``scripts/vegeta.sh`` builds (once)."""
    if os.environ.get("VEGETA"):
        return Path(os.environ["VEGETA"])
    out = subprocess.run(
        ["bash", str(ROOT / "scripts" / "vegeta.sh")],
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    return Path(out.stdout.strip().splitlines()[-1])


@dataclass(frozen=True)
class CpuPlan:
    """Which CPUs the server and the load generator run on (empty: not pinned)."""

    server: tuple[int, ...] = ()
    load: tuple[int, ...] = ()

    @staticmethod
    def prefix(cpus: tuple[int, ...]) -> list[str]:
        """``taskset -c ...`` for the given CPUs, or nothing."""
        return ["taskset", "-c", ",".join(map(str, cpus))] if cpus else []

    def describe(self, workers: int) -> str:
        """One line for the report."""
        where = f" on CPU {','.join(map(str, self.server))}" if self.server else ""
        load = f", vegeta on CPU {','.join(map(str, self.load))}" if self.load else " (not pinned)"
        return f"{workers} uvicorn worker(s){where}{load}"


def cpu_plan(workers: int, pin: bool) -> CpuPlan:
    """Give vegeta the first CPU this process may use and the server the others.

    Only when ``taskset`` exists and there are more CPUs than server workers; otherwise nothing
    is pinned (pinning several workers to fewer cores would only make them queue).
    """
    cpus = sorted(os.sched_getaffinity(0))
    if not pin or shutil.which("taskset") is None or len(cpus) < workers + 1:
        return CpuPlan()
    return CpuPlan(server=tuple(cpus[1:]), load=(cpus[0],))


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on (now)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def raise_open_files_limit() -> None:
    """Raise this process's soft open-files limit to the hard one (inherited by vegeta and the
    servers): an overloaded open-loop step opens a connection per request in flight."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def start_server(
    app_spec: str,
    port: int,
    env: dict[str, str],
    *,
    workers: int = 1,
    cpus: tuple[int, ...] = (),
    health_path: str = "/health",
    log_file: Path | None = None,
    timeout_s: float = 120.0,
) -> subprocess.Popen[bytes]:
    """Start uvicorn serving ``app_spec`` on 127.0.0.1:``port`` and wait until it answers.

    The server runs in its own process group (``stop_server`` ends the group), without access
    log, pinned to ``cpus`` when given. Raises ``RuntimeError`` with the end of its log if it
    exits or does not answer ``health_path`` with a 2xx within ``timeout_s``.
    """
    uvicorn = VENV_BIN / "uvicorn"
    if not uvicorn.exists():
        uvicorn = Path(sys.executable).parent / "uvicorn"
    cmd = [
        *CpuPlan.prefix(cpus),
        str(uvicorn),
        app_spec,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    log_file = log_file or Path(tempfile.mkstemp(prefix="api-load-server-", suffix=".log")[1])
    with log_file.open("wb") as out:
        proc = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    url = f"http://127.0.0.1:{port}{health_path}"
    deadline = time.monotonic() + timeout_s
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"{app_spec} exited with {proc.returncode}:\n{_tail(log_file)}")
        try:
            if httpx.get(url, timeout=2.0).is_success:
                return proc
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            stop_server(proc)
            raise RuntimeError(
                f"{app_spec} did not answer {url} in {timeout_s:.0f}s:\n{_tail(log_file)}"
            )
        time.sleep(0.2)


def _tail(path: Path, chars: int = 4000) -> str:
    try:
        return path.read_text(errors="replace")[-chars:]
    except OSError:
        return ""


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    """End the server's process group: SIGTERM, then SIGKILL after 10 s."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


@contextlib.contextmanager
def serving(app_spec: str, env: dict[str, str], **kwargs: Any) -> Iterator[str]:
    """``start_server`` on a free port for the ``with`` block; yields its base URL."""
    port = free_port()
    proc = start_server(app_spec, port, env, **kwargs)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_server(proc)


# --------------------------------------------------------------------------------------------
# Attacks


@dataclass(frozen=True)
class Attacker:
    """How vegeta is run: its binary, the CPUs it is pinned to, the per-request time-out and
    the most requests it keeps in flight (``max_workers``).

    The cap keeps an overloaded step from opening a connection per late request (thousands of
    sockets, a backlog the server serves long after, and the next step measuring the mess);
    a sustained rate never comes near it (p99 under 50 ms at 10,000 requests/s is a few
    hundred in flight). When reached, vegeta falls behind the rate, and the step fails.
    """

    vegeta: Path
    cpus: tuple[int, ...] = ()
    timeout_s: float = 10.0
    workdir: Path = field(default_factory=lambda: Path(tempfile.gettempdir()))
    max_workers: int = 1000


def write_targets(targets: list[Target], path: Path) -> None:
    """vegeta's JSON target format: one object per line with method, url and header."""
    with path.open("w") as f:
        for t in targets:
            line = {"method": t.get("method", "GET"), "url": t["url"]}
            if t.get("header"):
                line["header"] = t["header"]
            f.write(json.dumps(line) + "\n")


def attack(targets: list[Target], rate: int, duration: float, attacker: Attacker) -> dict[str, Any]:
    """Send ``rate`` requests/s for ``duration`` s, cycling through ``targets``; return figures.

    Runs ``vegeta attack -rate=R/s -duration=Ds -format=json -targets=F | vegeta report
    -type=json`` and returns p50_ms, p95_ms, p99_ms, max_ms, mean_ms, requests, errors (requests
    without a 2xx answer: transport errors and time-outs, status 0, included), success (the 2xx
    share), status_codes, error_messages (vegeta's distinct error strings, first 5), rate (asked),
    achieved_rps (the rate vegeta actually sent at) and throughput (2xx answers/s).
    """
    if not targets:
        raise ValueError("no targets to attack")
    rate = max(1, int(rate))
    tfile = attacker.workdir / "targets.jsonl"
    write_targets(targets, tfile)
    vegeta = str(attacker.vegeta)
    pin = CpuPlan.prefix(attacker.cpus)
    attack_cmd = [
        *pin,
        vegeta,
        "attack",
        f"-rate={rate}/s",
        f"-duration={duration:g}s",
        "-format=json",
        f"-targets={tfile}",
        f"-timeout={attacker.timeout_s:g}s",
        f"-max-workers={attacker.max_workers}",
        "-max-body=0",  # read the bodies but keep none of them in the results
    ]
    with subprocess.Popen(attack_cmd, stdout=subprocess.PIPE) as atk:
        report = subprocess.run(
            [*pin, vegeta, "report", "-type=json"],
            stdin=atk.stdout,
            capture_output=True,
            text=True,
            check=False,
        )
        assert atk.stdout is not None
        atk.stdout.close()
    if atk.returncode != 0 or report.returncode != 0:
        raise RuntimeError(f"vegeta failed ({atk.returncode}/{report.returncode}): {report.stderr}")
    return summarize(json.loads(report.stdout), rate)


def summarize(report: dict[str, Any], rate: int) -> dict[str, Any]:
    """The figures ``attack`` returns, from a ``vegeta report -type=json`` document."""
    lat = report["latencies"]
    codes = {str(k): int(v) for k, v in (report.get("status_codes") or {}).items()}
    requests = int(report["requests"])
    ok = sum(n for code, n in codes.items() if code.isdigit() and 200 <= int(code) < 300)

    def ms(key: str) -> float:
        return round(lat[key] / 1e6, 3)

    return {
        "rate": rate,
        "requests": requests,
        "p50_ms": ms("50th"),
        "p95_ms": ms("95th"),
        "p99_ms": ms("99th"),
        "max_ms": ms("max"),
        "mean_ms": ms("mean"),
        "errors": requests - ok,
        "success": round(ok / requests, 6) if requests else 0.0,
        "status_codes": codes,
        "error_messages": list(report.get("errors") or [])[:5],
        "achieved_rps": round(float(report.get("rate") or 0.0), 1),
        "throughput": round(float(report.get("throughput") or 0.0), 1),
    }


def sustained(result: dict[str, Any], p99_limit_ms: float = SUSTAIN_P99_MS) -> bool:
    """p99 under the limit, zero errors, and vegeta really sent at (nearly) the asked rate."""
    return (
        result["requests"] > 0
        and result["errors"] == 0
        and result["p99_ms"] < p99_limit_ms
        and result["achieved_rps"] >= REACHED_RATE * result["rate"]
    )


def wait_idle(
    probe_url: str | None, limit_ms: float = SUSTAIN_P99_MS, max_wait_s: float = 180.0
) -> float:
    """Wait until the server answers ``probe_url`` within ``limit_ms`` twice in a row.

    An overloaded open-loop step leaves the server a backlog: requests vegeta gave up on are
    still queued and served. Returns the seconds waited (0 without a probe URL).
    """
    if not probe_url:
        return 0.0
    start = time.monotonic()
    fast = 0
    with httpx.Client(timeout=max_wait_s) as client:
        while fast < 2:
            t = time.monotonic()
            try:
                ok = client.get(probe_url).is_success
            except httpx.HTTPError:
                ok = False
            fast = fast + 1 if ok and (time.monotonic() - t) * 1e3 < limit_ms else 0
            if time.monotonic() - start > max_wait_s:
                log(f"  the server is still busy after {max_wait_s:.0f}s")
                break
            if fast < 2:
                time.sleep(0.2)
    return time.monotonic() - start


def resolve(targets: TargetSource, needed_s: float) -> list[Target]:
    """The target list itself, or what a provider returns for an attack of ``needed_s``."""
    return targets(needed_s) if callable(targets) else targets


def max_sustainable_rate(
    targets: TargetSource,
    attacker: Attacker,
    *,
    start: int = 500,
    step_s: float = 10.0,
    p99_limit_ms: float = SUSTAIN_P99_MS,
    tolerance: float = 0.05,
    max_rate: int = 50_000,
    min_rate: int = 10,
    cooldown_s: float = 2.0,
    retries: int = 1,
    probe_url: str | None = None,
    label: str = "",
    start_ok: bool = False,
) -> tuple[int, list[dict[str, Any]]]:
    """The highest rate (requests/s) sustained for ``step_s`` s, and every step's figures.

    Doubles from ``start`` until a step fails (halves instead if ``start`` already fails), then
    bisects between the last good and the first bad rate until they are within ``tolerance``
    of each other. 0 when not even ``min_rate`` is sustained. Each step is a fresh attack after
    ``cooldown_s`` s of quiet and, given ``probe_url`` (a cheap GET such as a health check),
    once the server answers it quickly again (an overloaded step leaves it a backlog).
    A failed step is tried again up to ``retries`` times (a rate fails only if every try
    fails), so that a moment of interference from another process does not end the search;
    not when it is far beyond the limit (p99 over 20 times it, or the rate not reached).
    ``start_ok``: ``start`` is already known to be sustained (by a longer run), so the doubling
    begins at twice it.
    """
    steps: list[dict[str, Any]] = []

    def ok(rate: int) -> bool:
        for attempt in range(retries + 1):
            time.sleep(cooldown_s)
            wait_idle(probe_url)
            result = attack(resolve(targets, step_s), rate, step_s, attacker)
            good = sustained(result, p99_limit_ms)
            steps.append({**result, "sustained": good})
            # Far beyond the limit, another try would only be slower: no retry.
            hopeless = (
                result["achieved_rps"] < REACHED_RATE * rate
                or result["p99_ms"] > HOPELESS_P99 * p99_limit_ms
            )
            last = good or hopeless or attempt == retries
            verdict = "ok" if good else "too much" if last else "failed, again"
            log(
                f"  {label} search {rate:>6}/s: p99 {result['p99_ms']:8.2f} ms, errors "
                f"{result['errors']}, sent {result['achieved_rps']:.0f}/s -> {verdict}"
            )
            if last:
                return good
        return False

    lo, hi = 0, 0
    rate = max(min_rate, start)
    if start_ok:
        lo, rate = rate, min(rate * 2, max_rate)
        if lo >= max_rate:
            return lo, steps
    while True:
        if ok(rate):
            lo = rate
            if rate >= max_rate:
                return lo, steps
            rate = min(rate * 2, max_rate)
        else:
            hi = rate
            break
    if lo == 0:
        rate = hi // 2
        while rate >= min_rate:
            if ok(rate):
                lo = rate
                break
            hi, rate = rate, rate // 2
        if lo == 0:
            return 0, steps
    while hi - lo > max(1, tolerance * lo):
        mid = (lo + hi) // 2
        if ok(mid):
            lo = mid
        else:
            hi = mid
    return lo, steps


# --------------------------------------------------------------------------------------------
# The LearnSmart side


@dataclass(frozen=True)
class Session:
    """A demo user logged in: what its read mix needs and when its access token expires."""

    role: str
    username: str
    token: str
    expires_at: float  # time.monotonic() clock
    student_id: str | None = None
    class_ids: tuple[str, ...] = ()
    refresh_token: str = field(default="", repr=False)


STUDENT_READS = (
    "/api/v1/students/{student_id}/progress",
    "/api/v1/students/{student_id}/mastery",
    "/api/v1/students/{student_id}/recommendations",
    "/api/v1/students/me/classes",
)
TEACHER_READS = (
    "/api/v1/classes/{class_id}/roster",
    "/api/v1/classes/{class_id}/overview",
    "/api/v1/classes/{class_id}/at-risk",
    "/api/v1/classes/{class_id}/item-analysis",
)


def load_users(users_file: Path) -> list[dict[str, Any]]:
    """The demo users file: a JSON list of {role, username, password, student_id | class_ids}."""
    users = json.loads(users_file.read_text())
    if not isinstance(users, list) or not users:
        raise ValueError(f"{users_file}: expected a non-empty JSON list of users")
    return users


def pick_users(users: list[dict[str, Any]], max_users: int) -> list[dict[str, Any]]:
    """Every teacher, and students spread evenly over the file, ``max_users`` in all (0: all)."""
    teachers = [u for u in users if u.get("role") == "teacher" and u.get("class_ids")]
    students = [u for u in users if u.get("role") == "student" and u.get("student_id")]
    if max_users <= 0 or len(teachers) + len(students) <= max_users:
        return teachers + students
    room = max(1, max_users - len(teachers))
    stride = len(students) / room
    return teachers + [students[int(i * stride)] for i in range(min(room, len(students)))]


def _token_request(
    client: httpx.Client, url: str, body: dict[str, str], user: dict[str, Any]
) -> Session | str:
    """POST ``body`` to a token endpoint; a session for ``user``, or why not."""
    t0 = time.monotonic()
    try:
        r = client.post(url, json=body)
    except httpx.HTTPError as exc:
        return f"{user['username']}: {exc!r}"
    if not r.is_success:
        return f"{user['username']}: HTTP {r.status_code} {r.text[:200]}"
    tokens = r.json()
    return Session(
        role=user["role"],
        username=user["username"],
        token=tokens["access_token"],
        expires_at=t0 + float(tokens.get("expires_in") or 900),
        student_id=user.get("student_id"),
        class_ids=tuple(user.get("class_ids") or ()),
        refresh_token=tokens.get("refresh_token") or "",
    )


def login_users(
    base_url: str,
    users: list[dict[str, Any]],
    concurrency: int = 4,
    previous: dict[str, Session] | None = None,
) -> list[Session]:
    """Log every user in (``POST /api/v1/auth/login``); fail if more than a tenth cannot.

    Users with a session in ``previous`` renew it with their refresh token instead
    (``POST /api/v1/auth/refresh``: no password hash to verify), falling back to a login.
    """
    previous = previous or {}

    def one(client: httpx.Client, user: dict[str, Any]) -> Session | str:
        old = previous.get(user["username"])
        if old is not None and old.refresh_token:
            renewed = _token_request(
                client,
                f"{base_url}/api/v1/auth/refresh",
                {"refresh_token": old.refresh_token},
                user,
            )
            if isinstance(renewed, Session):
                return renewed
        return _token_request(
            client,
            f"{base_url}/api/v1/auth/login",
            {"username": user["username"], "password": user["password"]},
            user,
        )

    with (
        httpx.Client(timeout=60.0) as client,
        ThreadPoolExecutor(max_workers=concurrency) as pool,
    ):
        done = list(pool.map(lambda u: one(client, u), users))
    sessions = [s for s in done if isinstance(s, Session)]
    failed = [s for s in done if isinstance(s, str)]
    if failed:
        log(f"  {len(failed)} of {len(users)} logins failed, e.g. {failed[0]}")
    if not sessions or len(failed) > len(users) / 10:
        raise RuntimeError(f"{len(failed)} of {len(users)} logins failed: {failed[:3]}")
    return sessions


def read_mix(base_url: str, sessions: list[Session], seed: int = 7) -> list[Target]:
    """vegeta targets: the eight read endpoints with equal shares, each cycling over users.

    Students read their own progress, mastery, recommendations and classes; teachers read the
    roster, overview, at-risk list and item analysis of each class they teach. Targets are
    interleaved endpoint by endpoint so that any stretch of the load has the same mix.
    """
    by_endpoint: dict[str, list[Target]] = {p: [] for p in (*STUDENT_READS, *TEACHER_READS)}

    def add(path: str, session: Session, **ids: str) -> None:
        by_endpoint[path].append(
            {
                "method": "GET",
                "url": base_url + path.format(**ids),
                "header": {"Authorization": [f"Bearer {session.token}"]},
            }
        )

    for s in sessions:
        if s.role == "student" and s.student_id:
            for path in STUDENT_READS:
                add(path, s, student_id=s.student_id)
        elif s.role == "teacher":
            for class_id in s.class_ids:
                for path in TEACHER_READS:
                    add(path, s, class_id=class_id)
    rng = random.Random(seed)
    lists = [v for v in by_endpoint.values() if v]
    for v in lists:
        rng.shuffle(v)
    n = max((len(v) for v in lists), default=0)
    return [v[i % len(v)] for i in range(n) for v in lists]


def learnsmart_targets(base_url: str, users_file: Path, max_users: int = 200) -> list[Target]:
    """Log ``max_users`` demo users in and build the read mix with their tokens."""
    users = pick_users(load_users(users_file), max_users)
    return read_mix(base_url, login_users(base_url, users))


class LearnSmartTargets:
    """A target provider that renews the users' tokens before they would expire during the
    next attack (the API's access tokens live 15 minutes by default): logins first, then
    refresh-token exchanges."""

    def __init__(self, base_url: str, users_file: Path, max_users: int = 200) -> None:
        self.base_url = base_url
        self.users = pick_users(load_users(users_file), max_users)
        self._sessions: dict[str, Session] = {}
        self._targets: list[Target] = []
        self._valid_until = 0.0
        self.renewals = 0

    def __call__(self, needed_s: float) -> list[Target]:
        """Targets whose tokens stay valid for at least ``needed_s`` s more."""
        if time.monotonic() + needed_s + TOKEN_MARGIN_S > self._valid_until:
            t = time.monotonic()
            sessions = login_users(self.base_url, self.users, previous=self._sessions)
            self._sessions = {s.username: s for s in sessions}
            self.renewals += 1
            self._targets = read_mix(self.base_url, sessions)
            self._valid_until = min(s.expires_at for s in sessions)
            log(
                f"  {'logged in' if self.renewals == 1 else 'renewed the tokens of'} "
                f"{len(sessions)} users ({time.monotonic() - t:.1f}s); "
                f"{len(self._targets)} targets"
            )
        return self._targets


def preflight(targets: list[Target]) -> list[str]:
    """One request per distinct endpoint; the ones that do not answer 2xx (as warnings)."""
    seen: dict[str, Target] = {}
    for t in targets:
        parts = t["url"].split("/")
        # http: / "" / host / api / v1 / students|classes / <id> / <read>: drop the id
        key = "/".join(parts[:6] + parts[7:]) if "/api/v1/" in t["url"] else t["url"]
        seen.setdefault(key, t)
    problems = []
    with httpx.Client(timeout=30.0) as client:
        for t in seen.values():
            headers = {k: v[0] for k, v in (t.get("header") or {}).items()}
            try:
                r = client.request(t.get("method", "GET"), t["url"], headers=headers)
            except httpx.HTTPError as exc:
                problems.append(f"{t['url']}: {exc!r}")
                continue
            if not r.is_success:
                problems.append(f"{t['url']}: HTTP {r.status_code} {r.text[:200]}")
    return problems


# --------------------------------------------------------------------------------------------
# The run


def measure(
    name: str,
    targets: TargetSource,
    attacker: Attacker,
    args: argparse.Namespace,
    probe_url: str | None = None,
    server_log: Path | None = None,
) -> dict[str, Any]:
    """Warm up, attack at ``--rate`` for ``--duration``, then search the highest rate.

    ``probe_url``: a cheap GET that tells when the server has drained a backlog (see
    ``wait_idle``). When the server answered 5xx, the end of its log (``server_log``) goes to
    stderr.
    """
    first = resolve(targets, args.warmup + args.duration + 60)
    for problem in preflight(first):
        log(f"  warning: {name}: {problem}")
    if args.warmup > 0:
        attack(first, args.rate, args.warmup, attacker)
        wait_idle(probe_url)
    log(f"{name}: {args.rate}/s for {args.duration:g}s")
    result = attack(resolve(targets, args.duration), args.rate, args.duration, attacker)
    log(
        f"  p50 {result['p50_ms']} ms, p95 {result['p95_ms']} ms, p99 {result['p99_ms']} ms, "
        f"errors {result['errors']} of {result['requests']}"
    )
    if result["errors"]:
        messages = [m[:160] for m in result["error_messages"]]
        log(f"  status codes: {result['status_codes']}; vegeta errors: {messages}")
        if server_log is not None and any(c.startswith("5") for c in result["status_codes"]):
            log(f"  end of the server's log:\n{_tail(server_log, 3000)}")
    result["max_rps"] = None
    if not args.targets_only:
        result["max_rps"], result["search"] = max_sustainable_rate(
            targets,
            attacker,
            start=args.rate,
            step_s=args.step_duration,
            tolerance=args.tolerance,
            max_rate=args.max_rate,
            cooldown_s=args.cooldown,
            retries=args.retries,
            probe_url=probe_url,
            label=name,
            start_ok=sustained(result),
        )
    return result


def run_hello(attacker: Attacker, plan: CpuPlan, args: argparse.Namespace) -> dict[str, Any]:
    """The floor: the bare hello-world, started here with the same uvicorn settings."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with serving(
        HELLO_APP,
        env,
        workers=args.workers,
        cpus=plan.server,
        health_path="/",
        log_file=attacker.workdir / "hello.log",
    ) as base:
        url = f"{base}/"
        return measure("hello-world", [{"method": "GET", "url": url}], attacker, args, url)


def learnsmart_env(args: argparse.Namespace) -> dict[str, str]:
    """The environment the API (and the seeding of its demo users) runs with."""
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "LEARNSMART_LAKE": str((ROOT / args.lake).resolve()),
        "LEARNSMART_ENV": "development",
    }
    if args.database_url:
        env["LEARNSMART_API_DATABASE_URL"] = args.database_url
    return env


def seed_users(env: dict[str, str], out: Path) -> None:
    """``learnsmart api seed-demo-users``: the demo users, in the API's store and in ``out``."""
    log(f"no {out}: seeding the demo users (learnsmart api seed-demo-users)")
    cli = VENV_BIN / "learnsmart"
    if not cli.exists():
        cli = Path(sys.executable).parent / "learnsmart"
    subprocess.run(
        [str(cli), "api", "seed-demo-users", "--out", str(out)],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=sys.stderr,  # stdout carries only the result
    )


def check_learnsmart_inputs(args: argparse.Namespace) -> None:
    """Fail before the hello-world run, not after it: a lake with gold tables (unless
    ``--base-url``) and the users file (seeded into the API's store when missing)."""
    users = ROOT / args.users  # an absolute --users stays as it is
    if args.base_url:
        if not users.is_file():
            sys.exit(f"no users file at {users}: pass the running API's one with --users")
        return
    lake = (ROOT / args.lake).resolve()
    if not any((lake / "gold").glob("*/*/_delta_log")):
        sys.exit(f"no gold tables in {lake}: run `make demo` first, or pass --lake or --base-url")
    if not users.is_file():
        seed_users(learnsmart_env(args), users)


def run_learnsmart(attacker: Attacker, plan: CpuPlan, args: argparse.Namespace) -> dict[str, Any]:
    """Ours: the LearnSmart API (started here on the demo lake unless ``--base-url``)."""
    users = ROOT / args.users
    if args.base_url:
        base = args.base_url.rstrip("/")
        targets = LearnSmartTargets(base, users, args.max_users)
        return measure("LearnSmart", targets, attacker, args, f"{base}/health")
    with serving(
        LEARNSMART_APP,
        learnsmart_env(args),
        workers=args.workers,
        cpus=plan.server,
        health_path="/health",
        log_file=attacker.workdir / "learnsmart.log",
        timeout_s=args.startup_timeout,
    ) as base:
        targets = LearnSmartTargets(base, users, args.max_users)
        server_log = attacker.workdir / "learnsmart.log"
        return measure("LearnSmart", targets, attacker, args, f"{base}/health", server_log)


PUBLIC_KEYS = ("p50_ms", "p95_ms", "p99_ms", "errors", "max_rps")


def report(
    hello: dict[str, Any], ours: dict[str, Any] | None, args: argparse.Namespace, setup: str
) -> dict[str, Any]:
    """The JSON result, and the table (stdout, or stderr with --json)."""
    main = ours or hello
    ratio = None
    if ours is not None and ours["max_rps"] is not None and hello["max_rps"]:
        ratio = round(ours["max_rps"] / hello["max_rps"], 3)
    targets_met = None
    if ours is not None:
        targets_met = ours["p99_ms"] < P99_TARGET_MS and ours["errors"] == 0
        if ratio is not None:
            targets_met = targets_met and ratio >= RATIO_TARGET
    result: dict[str, Any] = {
        **{k: main[k] for k in PUBLIC_KEYS},
        "ratio": ratio,
        "server": "learnsmart" if ours is not None else "hello",
        "rate": args.rate,
        "duration_s": args.duration,
        "requests": main["requests"],
        "achieved_rps": main["achieved_rps"],
        "targets_met": targets_met,
        "workers": args.workers,
        "hello": {k: hello[k] for k in (*PUBLIC_KEYS, "requests", "achieved_rps")},
    }
    out = sys.stderr if args.json else sys.stdout
    rows = [("hello-world", hello)] + ([("LearnSmart", ours)] if ours is not None else [])
    print(
        f"\nOpen-loop load (vegeta) at {args.rate} requests/s for {args.duration:g}s; {setup}",
        file=out,
    )
    print(
        f"{'server':<12} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>7} {'requests':>9}"
        f" {'max rps (p99<50ms)':>19}",
        file=out,
    )
    for name, r in rows:
        max_rps = "-" if r["max_rps"] is None else str(r["max_rps"])
        print(
            f"{name:<12} {r['p50_ms']:>8.2f} {r['p95_ms']:>8.2f} {r['p99_ms']:>8.2f}"
            f" {r['errors']:>7} {r['requests']:>9} {max_rps:>19}",
            file=out,
        )
    if ours is not None:
        fast = ours["p99_ms"] < P99_TARGET_MS and not ours["errors"]
        print(
            f"ratio LearnSmart / hello-world max rps: {ratio if ratio is not None else '-'}"
            f" (target >= {RATIO_TARGET}); p99 at {args.rate}/s under {P99_TARGET_MS:g} ms with"
            f" zero errors: {'yes' if fast else 'no'}",
            file=out,
        )
    return result


def main() -> None:
    """Measure the hello-world floor, then the LearnSmart API, and print the figures."""
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--rate", type=int, default=500, help="requests/s (default 500)")
    ap.add_argument("--duration", type=float, default=60.0, help="seconds at --rate (60)")
    ap.add_argument("--json", action="store_true", help="print one JSON line")
    ap.add_argument(
        "--targets-only",
        action="store_true",
        help="only the run at --rate: skip the search for the highest sustained rate",
    )
    ap.add_argument("--hello-only", action="store_true", help="measure the hello-world only")
    ap.add_argument(
        "--base-url", help="attack this running LearnSmart API instead of one started here"
    )
    ap.add_argument("--users", type=Path, default=DEFAULT_USERS, help="demo users JSON file")
    ap.add_argument("--max-users", type=int, default=200, help="users logged in (0: all)")
    ap.add_argument(
        "--lake",
        type=Path,
        default=Path(os.environ.get("LEARNSMART_LAKE") or DEFAULT_LAKE),
        help="lake the API serves (default $LEARNSMART_LAKE or data/lake, built by `make demo`)",
    )
    ap.add_argument(
        "--database-url",
        default=os.environ.get("LEARNSMART_API_DATABASE_URL"),
        help="the API's operational store (default: $LEARNSMART_API_DATABASE_URL or the API's)",
    )
    ap.add_argument("--workers", type=int, default=1, help="uvicorn workers per server (1)")
    ap.add_argument(
        "--no-pin",
        dest="pin",
        action="store_false",
        help="do not pin the server and vegeta to separate CPUs with taskset",
    )
    ap.add_argument("--warmup", type=float, default=5.0, help="uncounted seconds first (5)")
    ap.add_argument("--step-duration", type=float, default=10.0, help="seconds per search step")
    ap.add_argument("--tolerance", type=float, default=0.05, help="search precision (0.05)")
    ap.add_argument("--max-rate", type=int, default=50_000, help="search ceiling, requests/s")
    ap.add_argument(
        "--retries", type=int, default=1, help="tries again of a failed search step (1)"
    )
    ap.add_argument("--cooldown", type=float, default=2.0, help="quiet seconds between steps")
    ap.add_argument("--timeout", type=float, default=10.0, help="per-request time-out, s")
    ap.add_argument(
        "--max-workers", type=int, default=1000, help="most requests vegeta keeps in flight"
    )
    ap.add_argument("--startup-timeout", type=float, default=180.0, help="API start-up, s")
    args = ap.parse_args()

    if not args.hello_only:
        check_learnsmart_inputs(args)
    raise_open_files_limit()
    plan = cpu_plan(args.workers, args.pin)
    setup = plan.describe(args.workers)
    if args.base_url and not args.hello_only:
        setup += f" (LearnSmart: the API already running at {args.base_url})"
    vegeta = vegeta_binary()
    log(f"vegeta: {vegeta}; {setup}")
    with tempfile.TemporaryDirectory(prefix="api-load-") as tmp:
        attacker = Attacker(vegeta, plan.load, args.timeout, Path(tmp), args.max_workers)
        hello = run_hello(attacker, plan, args)
        ours = None if args.hello_only else run_learnsmart(attacker, plan, args)
    result = report(hello, ours, args, setup)
    if args.json:
        print(json.dumps(result))


if __name__ == "__main__":
    main()
