"""The app starts over the demo lake and each role reaches its home data."""

from __future__ import annotations

from tests.api.conftest import ApiWorld


def test_demo_users_of_every_role_exist(world: ApiWorld) -> None:
    roles = {u["role"] for u in world.users}
    assert roles == {"student", "teacher", "admin", "researcher"}
    assert all(u["class_ids"] for u in world.of_role("teacher"))


def test_teacher_sees_roster_of_own_class(world: ApiWorld) -> None:
    teacher = world.of_role("teacher")[0]
    cid = teacher["class_ids"][0]
    r = world.client.get(
        f"/api/v1/classes/{cid}/roster", headers=world.headers(teacher["username"])
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["total"] > 0 and body["items"][0]["student_id"].startswith("s_")
