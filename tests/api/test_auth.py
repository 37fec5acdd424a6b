"""Sign-in, refresh rotation, sign-out, rate limiting and single sign-on through a JWKS."""

from __future__ import annotations

import json
import shutil
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient
from jwt.algorithms import RSAAlgorithm

from api.demo_users import seed_demo_users
from api.main import create_app
from api.security import hash_password
from api.store.models import User
from tests.api.conftest import ApiWorld, make_settings, private_world
from tests.conftest import Curated

LOGIN = "/api/v1/auth/login"


def _new_user(world: ApiWorld, username: str, password: str, role: str = "researcher") -> int:
    with world.services.store.session() as s:
        u = User(username=username, password_hash=hash_password(password), role=role)
        s.add(u)
        s.flush()
        return u.id


def test_login_returns_tokens_and_me(world: ApiWorld) -> None:
    admin = world.of_role("admin")[0]
    r = world.client.post(
        LOGIN, json={"username": admin["username"], "password": admin["password"]}
    )
    assert r.status_code == 200
    body = r.json()
    assert body["token_type"] == "bearer" and body["role"] == "admin"
    me = world.client.get(
        "/api/v1/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"}
    )
    assert me.status_code == 200 and me.json()["username"] == admin["username"]


def test_wrong_password_and_unknown_user_get_the_same_answer(world: ApiWorld) -> None:
    _new_user(world, "auth-same-answer", "correct horse battery")
    a = world.client.post(LOGIN, json={"username": "auth-same-answer", "password": "nope"})
    b = world.client.post(LOGIN, json={"username": "auth-nobody-here", "password": "nope"})
    assert a.status_code == b.status_code == 401
    assert a.json()["detail"] == b.json()["detail"]
    assert a.headers["content-type"].startswith("application/problem+json")


def test_refresh_rotates_and_a_used_refresh_token_is_refused(world: ApiWorld) -> None:
    _new_user(world, "auth-refresh", "long enough password")
    first = world.client.post(
        LOGIN, json={"username": "auth-refresh", "password": "long enough password"}
    ).json()
    second = world.client.post(
        "/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}
    )
    assert second.status_code == 200
    assert second.json()["refresh_token"] != first["refresh_token"]
    replay = world.client.post(
        "/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}
    )
    assert replay.status_code == 401


def test_logout_revokes_the_refresh_token(world: ApiWorld) -> None:
    _new_user(world, "auth-logout", "long enough password")
    pair = world.client.post(
        LOGIN, json={"username": "auth-logout", "password": "long enough password"}
    ).json()
    headers = {"Authorization": f"Bearer {pair['access_token']}"}
    out = world.client.post(
        "/api/v1/auth/logout", json={"refresh_token": pair["refresh_token"]}, headers=headers
    )
    assert out.status_code == 200
    again = world.client.post("/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert again.status_code == 401


def test_access_token_is_not_a_refresh_token(world: ApiWorld) -> None:
    access = world.token(world.of_role("admin")[0]["username"])
    r = world.client.post("/api/v1/auth/refresh", json={"refresh_token": access})
    assert r.status_code == 401


def test_deactivated_user_is_locked_out_within_the_cache_window(world: ApiWorld) -> None:
    uid = _new_user(world, "auth-deactivated", "long enough password")
    token = world.client.post(
        LOGIN, json={"username": "auth-deactivated", "password": "long enough password"}
    ).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert world.client.get("/api/v1/auth/me", headers=headers).status_code == 200
    admin = world.headers(world.of_role("admin")[0]["username"])
    r = world.client.patch(f"/api/v1/admin/users/{uid}", json={"is_active": False}, headers=admin)
    assert r.status_code == 200
    assert world.client.get("/api/v1/auth/me", headers=headers).status_code == 401
    relogin = world.client.post(
        LOGIN, json={"username": "auth-deactivated", "password": "long enough password"}
    )
    assert relogin.status_code == 401


@pytest.fixture
def fresh_app(curated: Curated, tmp_path: Path) -> Iterator[tuple[TestClient, list[dict]]]:
    """An app of its own (rate-limit counters are per store)."""
    with private_world(curated, tmp_path, login_rate=3) as world:
        yield world.client, world.users


def test_login_is_rate_limited_per_user_and_client(fresh_app: tuple[TestClient, list]) -> None:
    client, users = fresh_app
    teacher = next(u for u in users if u["role"] == "teacher")
    for _ in range(3):
        r = client.post(LOGIN, json={"username": teacher["username"], "password": "wrong"})
        assert r.status_code == 401
    blocked = client.post(
        LOGIN, json={"username": teacher["username"], "password": teacher["password"]}
    )
    assert blocked.status_code == 429
    assert int(blocked.headers["retry-after"]) > 0
    other = next(u for u in users if u["role"] == "admin")
    ok = client.post(LOGIN, json={"username": other["username"], "password": other["password"]})
    assert ok.status_code == 200, "one user's lock-out must not lock out others"


class _Jwks(BaseHTTPRequestHandler):
    body = b"{}"

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture(scope="module")
def sso(
    curated: Curated, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[TestClient, rsa.RSAPrivateKey, str]]:
    """An app that trusts an issuer whose JWKS (a key pair made here) is served on localhost."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
    jwk.update({"kid": "test-key-1", "use": "sig", "alg": "RS256"})
    handler = type("Jwks", (_Jwks,), {"body": json.dumps({"keys": [jwk]}).encode()})
    server = HTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    issuer = "https://idp.school.example"
    tmp_path = tmp_path_factory.mktemp("sso")
    shutil.copytree(curated.lake, tmp_path / "lake")
    settings = make_settings(
        tmp_path,
        tmp_path / "lake",
        oidc_issuer=issuer,
        oidc_audience="learnsmart",
        oidc_jwks_url=f"http://127.0.0.1:{server.server_port}/jwks.json",
    )
    seed_demo_users(settings, tmp_path / "users.json")
    app = create_app(settings, scan_every_s=3600)
    with app.state.services.store.session() as s:
        teacher = s.query(User).filter(User.role == "teacher").first()
        assert teacher is not None
        teacher.oidc_subject = "idp|teacher-1"
    try:
        with TestClient(app) as client:
            yield client, key, issuer
    finally:
        server.shutdown()


def _idp_token(key: rsa.RSAPrivateKey, issuer: str, **over: object) -> str:
    now = int(time.time())
    claims = {"iss": issuer, "aud": "learnsmart", "sub": "idp|teacher-1", "iat": now}
    claims["exp"] = now + 300
    claims.update(over)
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": "test-key-1"})


def test_sso_token_from_the_issuer_signs_in_the_linked_user(sso: tuple) -> None:
    client, key, issuer = sso
    r = client.get(
        "/api/v1/auth/me", headers={"Authorization": f"Bearer {_idp_token(key, issuer)}"}
    )
    assert r.status_code == 200, r.text
    assert r.json()["role"] == "teacher"


@pytest.mark.parametrize(
    "over",
    [
        {"aud": "someone-else"},
        {"exp": int(time.time()) - 60},
        {"sub": "idp|nobody-linked"},
    ],
    ids=["wrong-audience", "expired", "unlinked-subject"],
)
def test_sso_tokens_that_must_fail(sso: tuple, over: dict) -> None:
    client, key, issuer = sso
    token = _idp_token(key, issuer, **over)
    r = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401


def test_sso_token_signed_by_another_key_fails(sso: tuple) -> None:
    client, _key, issuer = sso
    impostor = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    r = client.get(
        "/api/v1/auth/me", headers={"Authorization": f"Bearer {_idp_token(impostor, issuer)}"}
    )
    assert r.status_code == 401
