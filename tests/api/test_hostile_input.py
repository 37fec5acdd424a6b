"""Hostile input gets a clear 4xx problem document, and nothing is stored.

Oversized bodies (declared, streamed without a length, or with a lying length), wrong JSON types,
SQL-injection and path-traversal strings in path, query and JSON fields, expired, forged, unsigned
(``alg=none``) and tampered tokens, and wrong LRS credentials. Every answer must be
``application/problem+json`` with ``type``, ``title`` and ``status``; a 422 never echoes the
offending value; and the operational store (every table but the audit log and the failed-login
log, which are meant to grow) and the landing folder are exactly as they were.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
import jwt
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.problems import PROBLEM_TYPE
from api.security import ISSUER
from api.store.models import AuditEvent, Base, LoginFailure, User
from tests.api.conftest import ApiWorld

V1 = "/api/v1"
LRS = "/xapi/statements"
CANARY = "CANARY-7f3a9c"
# Tables hostile requests may add to: who tried (audit) and which sign-ins failed (rate limit).
MAY_GROW = {AuditEvent.__tablename__, LoginFailure.__tablename__}
SQL_INJECTIONS = [
    "' OR '1'='1",
    "1; DROP TABLE users--",
    '" OR ""="',
    "admin'--",
    "1 UNION SELECT password_hash FROM users",
    "＇ OR ＇1＇=＇1",  # fullwidth apostrophes: NFKC folds them into '
    "s_1\x00' OR 1=1",  # a NUL byte
    "\u202e1=1 RO '",  # right-to-left override
    "ѕ_ѕtudеnt",  # Cyrillic look-alikes of Latin letters
]
PATH_TRAVERSALS = [
    "../../etc/passwd",
    "..%2f..%2fetc%2fpasswd",
    "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "%252e%252e%252fetc%252fpasswd",
    "....//....//etc/passwd",
    "..\\..\\windows\\win.ini",
    "/etc/passwd",
    "a" * 10_000,
]
HOSTILE = SQL_INJECTIONS + PATH_TRAVERSALS
HOSTILE_IDS = [f"sql{i}" for i in range(len(SQL_INJECTIONS))] + [
    f"path{i}" for i in range(len(PATH_TRAVERSALS))
]


def assert_problem(r: httpx.Response, *statuses: int) -> dict[str, Any]:
    """``r`` is a problem document with one of ``statuses`` (any 4xx when none are given)."""
    ok = r.status_code in statuses if statuses else 400 <= r.status_code < 500
    assert ok, f"{r.request.method} {r.request.url.path[:200]}: {r.status_code} {r.text[:500]}"
    assert r.headers["content-type"].split(";")[0] == "application/problem+json", r.headers
    body = r.json()
    assert body["type"].startswith(PROBLEM_TYPE), body
    assert isinstance(body["title"], str) and body["title"], body
    assert body["status"] == r.status_code, body
    return body


def _state(world: ApiWorld) -> tuple[dict[str, list[str]], dict[str, int]]:
    """Every stored row (but audit and failed logins) and every landing file with its size."""
    rows: dict[str, list[str]] = {}
    with world.services.store.session() as s:
        for table in Base.metadata.sorted_tables:
            if table.name not in MAY_GROW:
                rows[table.name] = sorted(repr(tuple(r)) for r in s.execute(select(table)))
    landing = world.settings.landing
    files = (
        {str(p.relative_to(landing)): p.stat().st_size for p in landing.rglob("*") if p.is_file()}
        if landing.exists()
        else {}
    )
    return rows, files


@contextmanager
def nothing_stored(world: ApiWorld) -> Iterator[None]:
    """Fail unless the store (but audit and failed logins) and the landing folder are unchanged."""
    rows, files = _state(world)
    yield
    after_rows, after_files = _state(world)
    changed = [t for t in rows if rows[t] != after_rows[t]]
    assert not changed, f"hostile requests changed tables {changed}"
    assert after_files == files, "hostile requests changed the landing folder"


@dataclass
class Kit:
    """Demo callers, their headers and ids to aim at (tokens fetched before any check)."""

    world: ApiWorld
    student: dict[str, Any]
    teacher: dict[str, Any]
    admin: dict[str, Any]
    class_id: str
    thread_id: str
    quiz_id: str

    def headers(self, who: dict[str, Any]) -> dict[str, str]:
        """Bearer header of a demo caller."""
        return self.world.headers(who["username"])

    def user_id(self, who: dict[str, Any]) -> int:
        """The store id of a demo caller."""
        with self.world.services.store.session() as s:
            uid = s.scalar(select(User.id).where(User.username == who["username"]))
        assert uid is not None
        return uid

    def lrs(self, key: str | None = None, secret: str | None = None) -> dict[str, str]:
        """LRS headers: Basic credentials (the real ones unless given) and the xAPI version."""
        s = self.world.settings
        key = s.lrs_key if key is None else key
        raw = f"{key}:{s.lrs_secret if secret is None else secret}"
        return {
            "Authorization": "Basic " + base64.b64encode(raw.encode()).decode(),
            "X-Experience-API-Version": "1.0.3",
        }

    def statement(self, **over: Any) -> dict[str, Any]:
        """A valid xAPI statement of the student (an ``experienced`` course page)."""
        with self.world.services.store.session() as s:
            account = s.scalar(
                select(User.lrs_account).where(User.username == self.student["username"])
            )
        content = self.world.services.gold.rows("dim_content", "class_id", self.class_id)
        page = content.filter(content["content_type"] == "page")["content_id"][0]
        st: dict[str, Any] = {
            "id": str(uuid.uuid4()),
            "actor": {
                "objectType": "Agent",
                "account": {"homePage": "https://lms.example", "name": account},
            },
            "verb": {
                "id": "http://adlnet.gov/expapi/verbs/experienced",
                "display": {"en-US": "experienced"},
            },
            "object": {"objectType": "Activity", "id": f"https://lms.example/content/{page}"},
            "context": {
                "contextActivities": {
                    "grouping": [
                        {
                            "objectType": "Activity",
                            "id": f"https://lms.example/classes/{self.class_id}",
                        }
                    ]
                }
            },
            "timestamp": "2025-10-01T10:00:00Z",
        }
        st.update(over)
        return st


@pytest.fixture(scope="module")
def kit(world: ApiWorld) -> Kit:
    """A teacher, a student of their first class, the admin; a thread and a quiz of the class."""
    teacher = world.of_role("teacher")[0]
    class_id = teacher["class_ids"][0]
    student = next(u for u in world.of_role("student") if class_id in u["class_ids"])
    gold = world.services.gold
    content = gold.rows("dim_content", "class_id", class_id)
    k = Kit(
        world=world,
        student=student,
        teacher=teacher,
        admin=world.of_role("admin")[0],
        class_id=class_id,
        thread_id=gold.rows("forum_posts", "class_id", class_id)["thread_id"][0],
        quiz_id=content.filter(content["content_type"] == "quiz")["content_id"][0],
    )
    for who in (k.student, k.teacher, k.admin):
        k.headers(who)  # signs in now: a sign-in stores a refresh token
    return k


# --- oversized bodies ---------------------------------------------------------------------------


def _chunks(total: int, size: int = 64 * 1024) -> Iterator[bytes]:
    """A JSON body of more than ``total`` bytes, in pieces of ``size``."""
    sent = 0
    yield b'{"title": "big", "body": "'
    while sent < total:
        yield b"x" * size
        sent += size
    yield b'"}'


@pytest.mark.parametrize("framing", ["content-length", "chunked", "lying-length", "bad-length"])
@pytest.mark.parametrize("target", ["login", "forum", "lrs"])
def test_oversized_bodies_are_413(kit: Kit, target: str, framing: str) -> None:
    """Over ``max_body_bytes``: 413 whether the length is declared, absent, lying or garbage."""
    world = kit.world
    limit = world.settings.max_body_bytes
    path, headers = {
        "login": (f"{V1}/auth/login", {}),
        "forum": (f"{V1}/classes/{kit.class_id}/forum/threads", kit.headers(kit.admin)),
        "lrs": (LRS, kit.lrs()),
    }[target]
    headers = {**headers, "Content-Type": "application/json"}
    content: bytes | Iterator[bytes]
    if framing == "chunked":
        content = _chunks(limit + 1)
    else:
        content = b"".join(_chunks(limit + 1))
        if framing == "lying-length":
            headers["Content-Length"] = "10"
        elif framing == "bad-length":
            headers["Content-Length"] = "ten"
    with nothing_stored(world):
        r = world.client.post(path, content=content, headers=headers)
    if framing == "chunked":
        assert "content-length" not in r.request.headers
        assert r.request.headers["transfer-encoding"] == "chunked"
    assert_problem(r, 413)


# --- wrong types ----------------------------------------------------------------------------------


def _wrong_types(kit: Kit) -> list[tuple[str, str, dict[str, Any] | None, Any]]:
    """(method, path, caller, JSON body) with values of the wrong JSON type, most with CANARY."""
    c, t = kit.class_id, kit.teacher
    return [
        ("POST", f"{V1}/auth/login", None, {"username": {"$ne": CANARY}, "password": [CANARY]}),
        ("POST", f"{V1}/auth/refresh", None, {"refresh_token": {"jti": CANARY}}),
        (
            "POST",
            f"{V1}/classes/{c}/interventions",
            t,
            {"student_id": 12345, "kind": CANARY, "notify_student": CANARY},
        ),
        # 0 and 1 are not booleans (pydantic would take them, and "yes", if not told otherwise)
        (
            "POST",
            f"{V1}/classes/{c}/interventions",
            t,
            {"student_id": "s_1", "kind": "other", "notify_student": 1, "note": CANARY},
        ),
        ("PUT", f"{V1}/admin/students/s_1/consent", kit.admin, {"granted": 0}),
        ("PUT", f"{V1}/admin/students/s_1/consent", kit.admin, {"granted": CANARY}),
        # "no" alone: were it taken as False, the (absent) user would be a 404, never the admin
        ("PATCH", f"{V1}/admin/users/999999", kit.admin, {"is_active": "no"}),
        ("PATCH", f"{V1}/admin/users/999999", kit.admin, {"display_name": [CANARY]}),
        ("POST", f"{V1}/classes/{c}/invites", t, {"valid_days": CANARY, "max_uses": [1]}),
        (
            "POST",
            f"{V1}/classes/{c}/at-risk/feedback",
            t,
            {"student_id": ["s_1"], "verdict": CANARY},
        ),
        (
            "POST",
            f"{V1}/students/me/onboarding",
            kit.student,
            {"invite_code": 1234, "interests": CANARY},
        ),
        (
            "POST",
            f"{V1}/tutor/questions",
            kit.student,
            {"class_id": [CANARY], "question": {"q": CANARY}},
        ),
        ("POST", f"{V1}/quizzes/{kit.quiz_id}/submissions", kit.student, {"responses": CANARY}),
        (
            "POST",
            f"{V1}/classes/{c}/forum/threads",
            kit.student,
            {"title": 7, "body": {"b": CANARY}},
        ),
        (
            "POST",
            f"{V1}/admin/users",
            kit.admin,
            {"username": CANARY, "role": [CANARY], "password": 1},
        ),
        ("POST", f"{V1}/admin/erasure-requests", kit.admin, {"student_id": {"id": CANARY}}),
        ("POST", f"{V1}/classes/{c}/interventions", t, [CANARY]),
        ("POST", f"{V1}/classes/{c}/interventions", t, CANARY),
    ]


def test_wrong_json_types_are_422_without_echoing_the_value(kit: Kit) -> None:
    """422 with each field's location and reason, never the value sent."""
    cases = _wrong_types(kit)
    headers = {id(who): kit.headers(who) for _m, _p, who, _b in cases if who is not None}
    with nothing_stored(kit.world):
        for method, path, who, body in cases:
            h = headers[id(who)] if who is not None else {}
            r = kit.world.client.request(method, path, json=body, headers=h)
            problem = assert_problem(r, 422)
            assert CANARY not in r.text, r.text
            assert problem["errors"], problem
            for e in problem["errors"]:
                assert set(e) == {"loc", "msg", "type"}, e


def test_bodies_that_are_not_json_are_refused_without_echo(kit: Kit) -> None:
    """Broken JSON is a 422 (where it broke), undecodable bytes a 400; neither is echoed."""
    path = f"{V1}/classes/{kit.class_id}/interventions"
    headers = {**kit.headers(kit.teacher), "Content-Type": "application/json"}
    with nothing_stored(kit.world):
        broken = kit.world.client.post(path, content=f'{{"note": "{CANARY}', headers=headers)
        undecodable = kit.world.client.post(
            path, content=b"\xff\xfe" + CANARY.encode(), headers=headers
        )
    assert_problem(broken, 422)
    assert_problem(undecodable, 400)
    assert CANARY not in broken.text and CANARY not in undecodable.text


def test_wrong_query_types_are_422_without_echo(kit: Kit) -> None:
    """Integers, booleans and patterns in the query string are checked too."""
    admin = kit.headers(kit.admin)
    for path in (
        f"{V1}/admin/users?limit={CANARY}",
        f"{V1}/admin/users?offset=-1&role={CANARY}",
        f"{V1}/notifications?unread={CANARY}",
        f"{V1}/admin/audit?actor_id={CANARY}",
    ):
        r = kit.world.client.get(path, headers=admin)
        assert_problem(r, 422)
        assert CANARY not in r.text


# --- SQL injection and path traversal -------------------------------------------------------------


def _path_targets(kit: Kit) -> list[tuple[str, str, dict[str, Any], Any]]:
    """(method, path template with ``{x}``, caller, body) for routes with an id in the path."""
    c, a = kit.class_id, kit.admin
    intervention = {"student_id": kit.student["student_id"], "kind": "other"}
    return [
        ("GET", f"{V1}/students/{{x}}/progress", a, None),
        ("GET", f"{V1}/students/{{x}}/mastery", a, None),
        ("GET", f"{V1}/students/{kit.student['student_id']}/classes/{{x}}/timeline", a, None),
        ("GET", f"{V1}/classes/{{x}}/roster", a, None),
        ("GET", f"{V1}/classes/{{x}}/item-analysis", a, None),
        ("GET", f"{V1}/classes/{c}/forum/threads/{{x}}", a, None),
        ("GET", f"{V1}/quizzes/{{x}}", kit.student, None),
        ("GET", f"{V1}/admin/students/{{x}}/consent", a, None),
        ("PUT", f"{V1}/admin/students/{{x}}/consent", a, {"granted": True}),
        ("POST", f"{V1}/classes/{{x}}/interventions", a, intervention),
        ("POST", f"{V1}/classes/{c}/forum/threads/{{x}}/posts", a, {"body": "hello"}),
        (
            "POST",
            f"{V1}/quizzes/{{x}}/submissions",
            kit.student,
            {"responses": [{"item_id": "i1", "response": "a"}]},
        ),
        ("PATCH", f"{V1}/admin/users/{{x}}", a, {"display_name": "hostile"}),
        ("PUT", f"{V1}/admin/users/{{x}}/classes/{c}", a, None),
        ("POST", f"{V1}/notifications/{{x}}/read", kit.student, None),
    ]


@pytest.mark.parametrize("payload", HOSTILE, ids=HOSTILE_IDS)
def test_hostile_path_parameters_are_4xx(kit: Kit, payload: str) -> None:
    """Each payload as one encoded path segment and as written: a 4xx, no file content leaks."""
    targets = _path_targets(kit)
    headers = {id(who): kit.headers(who) for _m, _p, who, _b in targets}
    with nothing_stored(kit.world):
        for method, template, who, body in targets:
            # As written too, where an HTTP client can send it (not NUL or other controls).
            raw = [payload] if payload.isprintable() else []
            for segment in [quote(payload, safe=""), *raw]:
                url = template.replace("{x}", segment)
                r = kit.world.client.request(method, url, json=body, headers=headers[id(who)])
                assert_problem(r)
                assert "root:" not in r.text and "[fonts]" not in r.text


@pytest.mark.parametrize("payload", HOSTILE, ids=HOSTILE_IDS)
def test_hostile_query_parameters_are_4xx_or_match_nothing(kit: Kit, payload: str) -> None:
    """Checked parameters refuse the payload; the audit log's free-text filter finds nothing.

    ``/admin/audit?student_id=`` is a plain filter (at most 64 characters): a payload there is a
    student id no one has, so the answer is an empty page, not the whole log an injection would
    return.
    """
    admin = kit.headers(kit.admin)
    client = kit.world.client
    sid = kit.student["student_id"]
    # An audited read, so the log has a row an injection into its filter could reveal.
    assert client.get(f"{V1}/students/{sid}/progress", headers=admin).status_code == 200
    mine = client.get(f"{V1}/admin/audit", params={"student_id": sid}, headers=admin)
    assert mine.status_code == 200 and mine.json()["total"] > 0, mine.text
    with nothing_stored(kit.world):
        for path, params in (
            (f"{V1}/admin/users", {"role": payload}),
            (f"{V1}/classes/{kit.class_id}/roster", {"limit": payload}),
            (f"{V1}/classes/{kit.class_id}/roster", {"offset": payload}),
            (f"{V1}/notifications", {"unread": payload}),
            (f"{V1}/admin/audit", {"actor_id": payload}),
        ):
            assert_problem(client.get(path, params=params, headers=admin))
        r = client.get(LRS, params={"statementId": payload}, headers=kit.lrs())
        assert_problem(r)
        audit = client.get(f"{V1}/admin/audit", params={"student_id": payload}, headers=admin)
    if len(payload) > 64:
        assert_problem(audit, 422)
    else:
        assert audit.status_code == 200, audit.text
        assert audit.json()["total"] == 0, "a payload in the audit filter matched rows"


@pytest.mark.parametrize("payload", HOSTILE, ids=HOSTILE_IDS)
def test_hostile_json_fields_are_4xx(kit: Kit, payload: str) -> None:
    """Ids, codes and credentials in bodies refuse the payload; sign-in fails, never succeeds."""
    c, world = kit.class_id, kit.world
    teacher, student, admin = (kit.headers(w) for w in (kit.teacher, kit.student, kit.admin))
    # Sign-ins from an address of their own: the failures count against it, not the shared one.
    stranger = TestClient(world.app, client=(f"198.51.100.{HOSTILE.index(payload) + 1}", 40000))
    with nothing_stored(world):
        for who in (payload, kit.admin["username"]):
            r = stranger.post(f"{V1}/auth/login", json={"username": who, "password": payload})
            assert_problem(r, 401, 422)
        assert_problem(
            stranger.post(f"{V1}/auth/refresh", json={"refresh_token": payload}), 401, 422
        )
        for path, headers, body in (
            (f"{V1}/classes/{c}/interventions", teacher, {"student_id": payload, "kind": "other"}),
            (
                f"{V1}/classes/{c}/at-risk/feedback",
                teacher,
                {"student_id": payload, "verdict": "acknowledged"},
            ),
            (
                f"{V1}/tutor/questions",
                student,
                {"class_id": payload, "question": "what is a cell?"},
            ),
            (f"{V1}/students/me/onboarding", student, {"invite_code": payload}),
            (
                f"{V1}/quizzes/{kit.quiz_id}/submissions",
                student,
                {"responses": [{"item_id": payload, "response": "a"}]},
            ),
            (
                f"{V1}/classes/{c}/forum/threads/{kit.thread_id}/posts",
                student,
                {"body": "hello", "parent_post_id": payload},
            ),
            (
                f"{V1}/admin/users",
                admin,
                {"username": payload, "password": "long-enough-password", "role": "teacher"},
            ),
            (
                f"{V1}/admin/users",
                admin,
                {
                    "username": "hostile-student",
                    "role": "student",
                    "password": "long-enough-password",
                    "student_id": payload,
                },
            ),
            (f"{V1}/admin/erasure-requests", admin, {"student_id": payload}),
            (LRS, kit.lrs(), kit.statement(id=payload)),
            (LRS, kit.lrs(), kit.statement(verb={"id": payload})),
        ):
            assert_problem(world.client.post(path, json=body, headers=headers))


# --- tokens ---------------------------------------------------------------------------------------


def _b64(data: dict[str, Any]) -> str:
    """``data`` as a JWT segment: base64url of its JSON, unpadded."""
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _claims(kit: Kit, who: dict[str, Any], **over: Any) -> dict[str, Any]:
    """Access-token claims for a demo caller, as the API issues them."""
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "sub": str(kit.user_id(who)),
        "name": who["username"],
        "role": who["role"],
        "sid": who.get("student_id"),
        "lang": "en",
        "typ": "access",
        "iat": now,
        "exp": now + 600,
        "jti": secrets.token_hex(8),
    }
    claims.update(over)
    return claims


def _tampered_role(kit: Kit) -> str:
    """The student's real token with ``role: admin`` in its payload and its signature kept."""
    header, _payload, signature = kit.world.token(kit.student["username"]).split(".")
    claims = jwt.decode(
        kit.world.token(kit.student["username"]), options={"verify_signature": False}
    )
    return f"{header}.{_b64({**claims, 'role': 'admin'})}.{signature}"


def _nobody(kit: Kit) -> str:
    """A correctly signed access token for a user id the store has never had."""
    with kit.world.services.store.session() as s:
        missing = (s.scalar(select(func.max(User.id))) or 0) + 10_000
    claims = _claims(kit, kit.admin, sub=str(missing), name="nobody")
    return jwt.encode(claims, kit.world.settings.jwt_secret, algorithm="HS256")


SECRET_BYTES = 48  # a forger's key is as long as a real one: the wrong key, not a weak one
TOKENS: dict[str, Callable[[Kit], str]] = {
    "garbage": lambda k: "not.a.jwt",
    "expired": lambda k: jwt.encode(
        _claims(k, k.admin, iat=int(time.time()) - 7200, exp=int(time.time()) - 3600),
        k.world.settings.jwt_secret,
        algorithm="HS256",
    ),
    "forged": lambda k: jwt.encode(
        _claims(k, k.admin), secrets.token_hex(SECRET_BYTES), algorithm="HS256"
    ),
    "alg-none": lambda k: f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(_claims(k, k.admin))}.",
    "alg-None": lambda k: f"{_b64({'alg': 'None'})}.{_b64(_claims(k, k.admin))}.",
    "alg-none-with-signature": lambda k: (
        f"{_b64({'alg': 'none'})}.{_b64(_claims(k, k.admin))}."
        + k.world.token(k.admin["username"]).split(".")[2]
    ),
    "hs512": lambda k: jwt.encode(
        _claims(k, k.admin), k.world.settings.jwt_secret, algorithm="HS512"
    ),
    "refresh-as-access": lambda k: jwt.encode(
        {**_claims(k, k.admin), "typ": "refresh"}, k.world.settings.jwt_secret, algorithm="HS256"
    ),
    "no-expiry": lambda k: jwt.encode(
        {c: v for c, v in _claims(k, k.admin).items() if c != "exp"},
        k.world.settings.jwt_secret,
        algorithm="HS256",
    ),
    "other-issuer": lambda k: jwt.encode(
        _claims(k, k.admin, iss="https://evil.example"), k.world.settings.jwt_secret, "HS256"
    ),
    "nonexistent-user": _nobody,
    "role-tampered": _tampered_role,
    "role-resigned-wrong-key": lambda k: jwt.encode(
        _claims(k, k.student, role="admin"), secrets.token_hex(SECRET_BYTES), algorithm="HS256"
    ),
    # Signed with the real key (a leaked key): the store's role still wins.
    "role-resigned-real-key": lambda k: jwt.encode(
        _claims(k, k.student, role="admin"), k.world.settings.jwt_secret, algorithm="HS256"
    ),
}


# The real development secret is short for HS512; that token is refused whatever its key.
@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
@pytest.mark.parametrize("kind", list(TOKENS))
def test_bad_tokens_are_401_with_a_challenge(kit: Kit, kind: str) -> None:
    """Reads and writes with the token are refused: 401, ``WWW-Authenticate: Bearer``."""
    token = TOKENS[kind](kit)
    headers = {"Authorization": f"Bearer {token}"}
    body = {"student_id": kit.student["student_id"], "kind": "message", "notify_student": True}
    with nothing_stored(kit.world):
        responses = [
            kit.world.client.get(f"{V1}/auth/me", headers=headers),
            kit.world.client.get(f"{V1}/admin/users", headers=headers),
            kit.world.client.post(
                f"{V1}/classes/{kit.class_id}/interventions", json=body, headers=headers
            ),
        ]
    for r in responses:
        assert_problem(r, 401)
        assert r.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Token abc", "Bearer a b c"],
    ids=["none", "scheme-only", "empty", "basic", "other-scheme", "spaces"],
)
def test_missing_or_malformed_bearer_is_401(kit: Kit, authorization: str | None) -> None:
    """No usable bearer token: 401 with a challenge."""
    headers = {"Authorization": authorization} if authorization is not None else {}
    r = kit.world.client.get(f"{V1}/auth/me", headers=headers)
    assert_problem(r, 401)
    assert r.headers["www-authenticate"] == "Bearer"


# --- the LRS --------------------------------------------------------------------------------------


def _lrs_credentials(kit: Kit) -> dict[str, dict[str, str]]:
    """Wrong, malformed and missing LRS credentials, by name."""
    version = {"X-Experience-API-Version": "1.0.3"}
    return {
        "wrong-secret": kit.lrs(secret="not-the-secret"),
        "wrong-key": kit.lrs(key="someone-else"),
        "empty-secret": kit.lrs(secret=""),
        "sql-in-key": kit.lrs(key="' OR '1'='1", secret="' OR '1'='1"),
        "malformed-base64": {"Authorization": "Basic !!!not-base64", **version},
        "not-utf8": {
            "Authorization": "Basic " + base64.b64encode(b"\xff\xfe:\xff").decode(),
            **version,
        },
        "bearer-token": {**kit.headers(kit.admin), **version},
        "none": version,
    }


def test_wrong_lrs_credentials_are_401_and_store_nothing(kit: Kit) -> None:
    """Every wrong credential: 401 with a Basic challenge, for writes and reads."""
    credentials = _lrs_credentials(kit)
    statement = kit.statement()
    with nothing_stored(kit.world):
        for name, headers in credentials.items():
            for r in (
                kit.world.client.post(LRS, json=statement, headers=headers),
                kit.world.client.get(LRS, params={"statementId": statement["id"]}, headers=headers),
            ):
                assert_problem(r, 401)
                assert r.headers["www-authenticate"].startswith("Basic"), name


def test_an_lrs_batch_with_one_invalid_statement_stores_nothing(kit: Kit) -> None:
    """All or nothing: 400 naming the bad statement; its valid neighbour is not kept either."""
    good = kit.statement()
    bad = kit.statement(actor={"objectType": "Agent", "name": "no identifier"})
    lrs_landing = kit.world.settings.landing / "xapi" / "lrs"
    with nothing_stored(kit.world):
        r = kit.world.client.post(LRS, json=[good, bad], headers=kit.lrs())
        gone = kit.world.client.get(LRS, params={"statementId": good["id"]}, headers=kit.lrs())
    problem = assert_problem(r, 400)
    assert "statement 1" in problem["detail"] and "statement 0" not in problem["detail"]
    assert_problem(gone, 404)
    # The good statement on its own is accepted: the batch was refused for the bad one alone.
    landed = set(lrs_landing.rglob("*.jsonl")) if lrs_landing.exists() else set()
    alone = kit.world.client.post(LRS, json=good, headers=kit.lrs())
    assert alone.status_code == 200, alone.text
    assert len(set(lrs_landing.rglob("*.jsonl")) - landed) == 1
