"""The fast read path (``api/fastpath.py``) answers exactly as the FastAPI routes do.

Every request below is made twice, once through the fast path and once with it switched off
(so FastAPI's dependency injection and route handle it), and the two answers must agree: status,
content type, challenge header, body bytes, and the audit record it leaves. Requests the fast
path is not sure about (a query string, an invalid path parameter, a refused role, a bad token)
must reach FastAPI untouched. Token verification is cached until a token's expiry: an expired or
altered token is still refused, and a deactivated account is still locked out.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import jwt
import pytest
from fastapi import APIRouter, Depends, FastAPI, Header
from fastapi.responses import Response
from jwt.utils import base64url_decode, base64url_encode
from sqlalchemy import func, select

from api.deps import PrincipalDep, ServicesDep, TokenCache
from api.fastpath import HOT_ROUTES, FastReadRoutes, NotFastError
from api.security import Principal, hash_password
from api.store.models import AuditEvent, User
from tests.api.conftest import ApiWorld


@contextmanager
def _fast(world: ApiWorld, enabled: bool) -> Iterator[None]:
    routes = world.app.state.fast_reads
    before = routes.enabled
    routes.enabled = enabled
    try:
        yield
    finally:
        routes.enabled = before


def _audit(world: ApiWorld) -> tuple[int, tuple[Any, ...] | None]:
    """How many audit events there are, and the last one's content (no id, no time)."""
    world.services.audit.flush()
    with world.services.store.session() as s:
        n = s.scalar(select(func.count()).select_from(AuditEvent)) or 0
        last = s.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).first()
    if last is None:
        return n, None
    return n, (
        last.actor_id,
        last.actor_role,
        last.action,
        last.resource,
        last.student_id,
        last.class_id,
        last.status_code,
    )


def _call(world: ApiWorld, path: str, headers: dict[str, str]) -> tuple[Any, ...]:
    before, _ = _audit(world)
    r = world.client.get(path, headers=headers)
    after, last = _audit(world)
    return (
        r.status_code,
        r.headers.get("content-type"),
        r.headers.get("www-authenticate"),
        r.content,
        after - before,
        last if after > before else None,
    )


def _cases(world: ApiWorld) -> list[tuple[str, str, dict[str, str]]]:
    teacher = world.of_role("teacher")[0]
    mine = set(teacher["class_ids"])
    cid = teacher["class_ids"][0]
    other_class = next(c for u in world.of_role("teacher") for c in u["class_ids"] if c not in mine)
    own = next(u for u in world.of_role("student") if mine & set(u["class_ids"]))
    other = next(
        u for u in world.of_role("student") if u["class_ids"] and not mine & set(u["class_ids"])
    )
    t = world.headers(teacher["username"])
    st = world.headers(own["username"])
    adm = world.headers(world.of_role("admin")[0]["username"])
    res = world.headers(world.of_role("researcher")[0]["username"])
    sid, oid = own["student_id"], other["student_id"]
    cases = [
        ("student reads own progress", f"/api/v1/students/{sid}/progress", st),
        ("student reads own mastery", f"/api/v1/students/{sid}/mastery", st),
        ("student reads own recommendations", f"/api/v1/students/{sid}/recommendations", st),
        ("student reads own classes", "/api/v1/students/me/classes", st),
        ("student reads another's progress", f"/api/v1/students/{oid}/progress", st),
        ("student reads a roster", f"/api/v1/classes/{cid}/roster", st),
        ("teacher reads own student", f"/api/v1/students/{sid}/progress", t),
        ("teacher reads other student", f"/api/v1/students/{oid}/mastery", t),
        ("teacher on a student-only route", "/api/v1/students/me/classes", t),
        ("teacher reads other class", f"/api/v1/classes/{other_class}/at-risk", t),
        ("admin reads an unknown class", "/api/v1/classes/no-such-class/roster", adm),
        ("researcher reads a student", f"/api/v1/students/{sid}/progress", res),
        ("anonymous", f"/api/v1/students/{sid}/progress", {}),
        ("not a bearer", f"/api/v1/students/{sid}/progress", {"Authorization": "Basic eDp5"}),
        (
            "lower-case scheme",
            f"/api/v1/students/{sid}/progress",
            {"Authorization": "bearer " + st["Authorization"].split(" ", 1)[1]},
        ),
        ("forged token", f"/api/v1/students/{sid}/progress", {"Authorization": "Bearer x.y.z"}),
        ("query string", f"/api/v1/classes/{cid}/roster?limit=3&offset=1", t),
        ("bad query", f"/api/v1/classes/{cid}/roster?limit=0", t),
        ("too long a student id", f"/api/v1/students/{'s' * 65}/progress", t),
        ("bad characters", "/api/v1/students/a%20b/progress", t),
        ("trailing slash", f"/api/v1/students/{sid}/progress/", st),
    ]
    cases += [
        (f"teacher reads {p}", p.format(class_id=cid), t) for p in HOT_ROUTES if "{class_id}" in p
    ]
    return cases


def test_fast_and_fastapi_answers_agree(world: ApiWorld) -> None:
    routes = world.app.state.fast_reads
    served = routes.served
    for name, path, headers in _cases(world):
        with _fast(world, True):
            fast = _call(world, path, headers)
        with _fast(world, False):
            slow = _call(world, path, headers)
        assert fast == slow, name
    assert routes.served > served, "the fast path served none of the hot reads"


def test_the_fast_path_serves_hot_reads_and_passes_the_rest_on(world: ApiWorld) -> None:
    teacher = world.of_role("teacher")[0]
    cid = teacher["class_ids"][0]
    headers = world.headers(teacher["username"])
    routes = world.app.state.fast_reads
    served, passed = routes.served, routes.passed
    assert world.client.get(f"/api/v1/classes/{cid}/overview", headers=headers).status_code == 200
    assert (routes.served, routes.passed) == (served + 1, passed)
    r = world.client.get(f"/api/v1/classes/{cid}/roster?limit=2", headers=headers)
    assert r.status_code == 200 and len(r.json()["items"]) == 2
    assert routes.served == served + 1  # a query string goes to FastAPI
    r = world.client.get(f"/api/v1/classes/{cid}/roster", headers={"Authorization": "Bearer a.b.c"})
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    assert (routes.served, routes.passed) == (served + 1, passed + 1)


def test_fast_reads_are_audited_with_the_route_template(world: ApiWorld) -> None:
    teacher = world.of_role("teacher")[0]
    own = next(
        u for u in world.of_role("student") if set(teacher["class_ids"]) & set(u["class_ids"])
    )
    before, _ = _audit(world)
    r = world.client.get(
        f"/api/v1/students/{own['student_id']}/recommendations",
        headers=world.headers(teacher["username"]),
    )
    assert r.status_code == 200
    after, last = _audit(world)
    assert after == before + 1
    assert last is not None
    assert last[1:] == (
        "teacher",
        "read",
        "/api/v1/students/{student_id}/recommendations",
        own["student_id"],
        None,
        200,
    )


def _token_like(world: ApiWorld, username: str, **changes: Any) -> str:
    claims = jwt.decode(world.token(username), options={"verify_signature": False})
    claims.update(changes)
    return jwt.encode(claims, world.settings.jwt_secret, algorithm="HS256")


def test_a_cached_token_is_refused_once_it_expires(world: ApiWorld) -> None:
    student = world.of_role("student")[0]
    now = int(time.time())
    token = _token_like(world, student["username"], exp=now + 2, jti="short-lived")
    path = f"/api/v1/students/{student['student_id']}/mastery"
    headers = {"Authorization": f"Bearer {token}"}
    assert world.client.get(path, headers=headers).status_code == 200
    assert world.services.tokens.get(token) is not None, "a verified token is cached"
    time.sleep(max(0.0, now + 2 - time.time()) + 0.1)
    r = world.client.get(path, headers=headers)
    assert r.status_code == 401 and "expired" in r.json()["detail"]
    assert world.services.tokens.get(token) is None


def test_an_altered_cached_token_is_refused(world: ApiWorld) -> None:
    student = world.of_role("student")[0]
    token = world.token(student["username"])
    path = f"/api/v1/students/{student['student_id']}/progress"
    assert world.client.get(path, headers={"Authorization": f"Bearer {token}"}).status_code == 200
    head, payload, sig = token.split(".")
    forged_payload = base64url_encode(  # same claims, but another student
        base64url_decode(payload).replace(student["student_id"].encode(), b"someone-else")
    ).decode()
    for forged in (f"{head}.{payload}.{sig[:-2]}AA", f"{head}.{forged_payload}.{sig}"):
        r = world.client.get(path, headers={"Authorization": f"Bearer {forged}"})
        assert r.status_code == 401


def test_a_deactivated_account_is_locked_out_of_fast_reads(world: ApiWorld) -> None:
    with world.services.store.session() as s:
        u = User(username="fast-admin", password_hash=hash_password("long enough pw"), role="admin")
        s.add(u)
        s.flush()
        uid = u.id
    token = world.client.post(
        "/api/v1/auth/login", json={"username": "fast-admin", "password": "long enough pw"}
    ).json()["access_token"]
    cid = world.of_role("teacher")[0]["class_ids"][0]
    headers = {"Authorization": f"Bearer {token}"}
    assert world.client.get(f"/api/v1/classes/{cid}/roster", headers=headers).status_code == 200
    admin = world.headers(world.of_role("admin")[0]["username"])
    r = world.client.patch(f"/api/v1/admin/users/{uid}", json={"is_active": False}, headers=admin)
    assert r.status_code == 200
    r = world.client.get(f"/api/v1/classes/{cid}/roster", headers=headers)
    assert r.status_code == 401


def test_token_cache_is_bounded_and_honours_expiry() -> None:
    cache = TokenCache(max_entries=2)
    p = Principal(1, "u", "student", "s1")
    cache.put("a", p, time.time() + 60)
    cache.put("b", p, time.time() + 60)
    assert cache.get("a") is p  # "a" is now the most recently used
    cache.put("c", p, time.time() + 60)
    assert len(cache) == 2 and cache.get("b") is None and cache.get("a") is p
    cache.put("old", p, time.time() - 1)
    assert cache.get("old") is None


@pytest.mark.parametrize("path", HOT_ROUTES)
def test_hot_routes_stay_in_the_openapi_schema(world: ApiWorld, path: str) -> None:
    schema = world.client.get("/openapi.json").json()
    assert "get" in schema["paths"][path]
    assert "200" in schema["paths"][path]["get"]["responses"]


def test_routes_the_fast_path_cannot_mirror_are_refused() -> None:
    app = FastAPI()
    app.state.services = object()

    @app.get("/x/me/progress")
    def shadow() -> None:
        """Matched before the route below for student_id == "me"."""

    @app.get("/x/{student_id}/progress")
    def progress(student_id: str, principal: PrincipalDep, svc: ServicesDep) -> Response:
        """A route the fast path could serve, were it not shadowed."""
        raise AssertionError

    @app.get("/y/{student_id}")
    def with_header(
        student_id: str, principal: PrincipalDep, svc: ServicesDep, x_h: Annotated[str, Header()]
    ) -> Response:
        """A header parameter the fast path does not resolve."""
        raise AssertionError

    router = APIRouter(prefix="/z")

    @router.get("/{student_id}")
    def guarded(student_id: str, principal: PrincipalDep, svc: ServicesDep) -> Response:
        """Included with a dependency of the inclusion."""
        raise AssertionError

    app.include_router(router, dependencies=[Depends(lambda: None)])
    with pytest.raises(NotFastError, match="shadowed"):
        FastReadRoutes(app, ("/x/{student_id}/progress",))
    with pytest.raises(NotFastError, match="header"):
        FastReadRoutes(app, ("/y/{student_id}",))
    with pytest.raises(NotFastError, match="dependenc"):
        FastReadRoutes(app, ("/z/{student_id}",))
