"""Consent per student and purpose through the admin routes, with its history kept.

Each test uses a student id of its own (an admin may record consent for any id), so the
history it reads holds only its own decisions.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from lake.privacy.consent import PURPOSES, granted_student_ids
from tests.api.conftest import ApiWorld

V1 = "/api/v1/admin/students"


def _sid() -> str:
    return f"s_consent_{uuid.uuid4().hex[:12]}"


def _admin(world: ApiWorld) -> dict[str, str]:
    return world.headers(world.of_role("admin")[0]["username"])


def _problem(r: httpx.Response, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].split(";")[0] == "application/problem+json"
    body = r.json()
    assert body["status"] == status
    return dict(body)


def _put(world: ApiWorld, sid: str, purpose: str, granted: bool) -> httpx.Response:
    return world.client.put(
        f"{V1}/{sid}/consent", json={"purpose": purpose, "granted": granted}, headers=_admin(world)
    )


def test_get_lists_every_purpose_missing_ones_not_granted(world: ApiWorld) -> None:
    sid = _sid()
    r = world.client.get(f"{V1}/{sid}/consent", headers=_admin(world))
    assert r.status_code == 200, r.text
    assert [(c["purpose"], c["granted"], c["updated_at"]) for c in r.json()] == [
        ("research", False, None),
        ("analytics", False, None),
    ]
    assert _put(world, sid, "analytics", True).status_code == 200
    got = {
        c["purpose"]: c
        for c in world.client.get(f"{V1}/{sid}/consent", headers=_admin(world)).json()
    }
    assert list(got) == list(PURPOSES)
    assert got["analytics"]["granted"] is True and got["analytics"]["updated_at"] is not None
    assert got["research"]["granted"] is False and got["research"]["updated_at"] is None


def test_every_decision_is_kept_in_order(world: ApiWorld) -> None:
    sid = _sid()
    admin_id = world.client.get("/api/v1/auth/me", headers=_admin(world)).json()["id"]
    steps = [("research", True), ("analytics", True), ("research", False), ("research", False)]
    for purpose, granted in steps:
        r = _put(world, sid, purpose, granted)
        assert r.status_code == 200, r.text
        assert r.json()["purpose"] == purpose and r.json()["granted"] is granted
        assert r.json()["updated_by"] == admin_id

    r = world.client.get(f"{V1}/{sid}/consent/history", headers=_admin(world))
    assert r.status_code == 200, r.text
    page = r.json()
    assert page["total"] == 4
    items = page["items"]
    assert [(h["purpose"], h["granted"]) for h in items] == steps
    assert all(h["student_id"] == sid and h["changed_by"] == admin_id for h in items)
    assert [h["changed_at"] for h in items] == sorted(h["changed_at"] for h in items)
    assert [h["id"] for h in items] == sorted(h["id"] for h in items)

    only = world.client.get(
        f"{V1}/{sid}/consent/history", params={"purpose": "analytics"}, headers=_admin(world)
    ).json()
    assert [(h["purpose"], h["granted"]) for h in only["items"]] == [("analytics", True)]
    window = world.client.get(
        f"{V1}/{sid}/consent/history", params={"limit": 2, "offset": 1}, headers=_admin(world)
    ).json()
    assert [h["id"] for h in window["items"]] == [h["id"] for h in items[1:3]]

    current = world.client.get(f"{V1}/{sid}/consent", headers=_admin(world)).json()
    assert {c["purpose"]: c["granted"] for c in current} == {"research": False, "analytics": True}


def test_research_builds_read_what_the_api_recorded(world: ApiWorld) -> None:
    sid = _sid()
    url = world.settings.database_url
    assert _put(world, sid, "research", True).status_code == 200
    assert sid in granted_student_ids(url, "research")
    assert sid not in granted_student_ids(url, "analytics")
    assert _put(world, sid, "research", False).status_code == 200
    assert sid not in granted_student_ids(url, "research")


@pytest.mark.parametrize(
    "body",
    [
        {"purpose": "marketing", "granted": True},
        {"purpose": "research", "granted": "yes"},
        {"purpose": "research"},
        {"purpose": "research", "granted": True, "note": "extra"},
    ],
    ids=["unknown-purpose", "not-a-boolean", "no-decision", "extra-field"],
)
def test_invalid_decisions_are_problems(world: ApiWorld, body: dict[str, Any]) -> None:
    sid = _sid()
    r = world.client.put(f"{V1}/{sid}/consent", json=body, headers=_admin(world))
    _problem(r, 422)
    history = world.client.get(f"{V1}/{sid}/consent/history", headers=_admin(world)).json()
    assert history["total"] == 0


def test_history_filter_is_validated(world: ApiWorld) -> None:
    r = world.client.get(
        f"{V1}/{_sid()}/consent/history", params={"purpose": "x"}, headers=_admin(world)
    )
    _problem(r, 422)


def test_consent_routes_are_for_admins_only(world: ApiWorld) -> None:
    student = world.of_role("student")[0]
    own = student["student_id"]  # a student may not read or set even their own record here
    callers = [
        world.headers(student["username"]),
        world.headers(world.of_role("teacher")[0]["username"]),
        world.headers(world.of_role("researcher")[0]["username"]),
    ]
    for headers in callers:
        _problem(world.client.get(f"{V1}/{own}/consent", headers=headers), 403)
        _problem(world.client.get(f"{V1}/{own}/consent/history", headers=headers), 403)
        r = world.client.put(
            f"{V1}/{own}/consent", json={"purpose": "research", "granted": True}, headers=headers
        )
        _problem(r, 403)
    _problem(world.client.get(f"{V1}/{own}/consent/history"), 401)
