"""The xAPI LRS subset: Basic auth, the version header, all-or-nothing validation, GET by id."""

from __future__ import annotations

import base64
import uuid
from typing import Any

import pytest

from api.store.models import User
from tests.api.conftest import ApiWorld

URL = "/xapi/statements"


def _auth(world: ApiWorld, secret: str | None = None) -> dict[str, str]:
    s = world.settings
    raw = f"{s.lrs_key}:{secret if secret is not None else s.lrs_secret}".encode()
    return {
        "Authorization": "Basic " + base64.b64encode(raw).decode(),
        "X-Experience-API-Version": "1.0.3",
    }


def _statement(world: ApiWorld, **over: Any) -> dict[str, Any]:
    student = next(u for u in world.of_role("student") if u["class_ids"])
    with world.services.store.session() as s:
        account = s.query(User).filter(User.username == student["username"]).one().lrs_account
    cid = student["class_ids"][0]
    content = world.services.gold.rows("dim_content", "class_id", cid)
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
                "grouping": [{"objectType": "Activity", "id": f"https://lms.example/classes/{cid}"}]
            }
        },
        "timestamp": "2025-10-01T10:00:00Z",
    }
    st.update(over)
    return st


def _landed(world: ApiWorld) -> list[str]:
    folder = world.settings.landing / "xapi" / "lrs"
    return sorted(p.name for p in folder.rglob("*.jsonl")) if folder.exists() else []


def test_post_one_then_get_it_back(world: ApiWorld) -> None:
    st = _statement(world)
    r = world.client.post(URL, json=st, headers=_auth(world))
    assert r.status_code == 200, r.text
    assert r.json() == [st["id"]]
    assert r.headers["x-experience-api-version"] == "1.0.3"
    got = world.client.get(URL, params={"statementId": st["id"]}, headers=_auth(world))
    assert got.status_code == 200
    assert got.json()["verb"] == st["verb"] and "stored" in got.json()


def test_post_an_array_assigns_missing_ids(world: ApiWorld) -> None:
    a, b = _statement(world), _statement(world)
    del b["id"]
    before = _landed(world)
    r = world.client.post(URL, json=[a, b], headers=_auth(world))
    assert r.status_code == 200, r.text
    ids = r.json()
    assert ids[0] == a["id"] and uuid.UUID(ids[1])
    assert len(_landed(world)) == len(before) + 1


def test_a_batch_with_one_invalid_statement_is_refused_whole(world: ApiWorld) -> None:
    good = _statement(world)
    bad = _statement(world, verb={"id": "not an iri"})
    before = _landed(world)
    r = world.client.post(URL, json=[good, bad], headers=_auth(world))
    assert r.status_code == 400
    assert "statement 1" in r.json()["detail"]
    assert _landed(world) == before
    gone = world.client.get(URL, params={"statementId": good["id"]}, headers=_auth(world))
    assert gone.status_code == 404


def test_same_id_with_other_content_conflicts_and_same_content_is_idempotent(
    world: ApiWorld,
) -> None:
    st = _statement(world)
    assert world.client.post(URL, json=st, headers=_auth(world)).status_code == 200
    before = _landed(world)
    again = world.client.post(URL, json=st, headers=_auth(world))
    assert again.status_code == 200 and _landed(world) == before
    changed = dict(st, timestamp="2025-10-02T10:00:00Z")
    assert world.client.post(URL, json=changed, headers=_auth(world)).status_code == 409


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Experience-API-Version": "1.0.3"},
        {"Authorization": "Basic !!!", "X-Experience-API-Version": "1.0.3"},
    ],
    ids=["nothing", "no-credentials", "malformed-credentials"],
)
def test_missing_or_malformed_credentials_are_401(world: ApiWorld, headers: dict) -> None:
    r = world.client.post(URL, json=_statement(world), headers=headers)
    assert r.status_code == 401
    assert r.headers["www-authenticate"].startswith("Basic")


def test_wrong_secret_is_401_and_missing_version_is_400(world: ApiWorld) -> None:
    assert (
        world.client.post(URL, json=_statement(world), headers=_auth(world, "x")).status_code == 401
    )
    headers = _auth(world)
    del headers["X-Experience-API-Version"]
    assert world.client.post(URL, json=_statement(world), headers=headers).status_code == 400
    headers["X-Experience-API-Version"] = "2.0.0"
    assert world.client.post(URL, json=_statement(world), headers=headers).status_code == 400


def test_about_is_public(world: ApiWorld) -> None:
    r = world.client.get("/xapi/about")
    assert r.status_code == 200 and "1.0.3" in r.json()["version"]
