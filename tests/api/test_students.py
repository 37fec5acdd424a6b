"""Students: onboarding with an invite code, and recommendations with their reasons."""

from __future__ import annotations

from tests.api.conftest import ApiWorld


def _outsider(world: ApiWorld) -> tuple[dict, dict, str]:
    """A teacher, a student outside one of the teacher's classes, and that class."""
    for teacher in world.of_role("teacher"):
        for cid in teacher["class_ids"]:
            for student in reversed(world.of_role("student")):
                if cid not in student["class_ids"] and student["class_ids"]:
                    return teacher, student, cid
    raise AssertionError("no student outside a teacher's class in the demo lake")


def test_onboarding_joins_the_class_and_returns_first_recommendations(world: ApiWorld) -> None:
    teacher, student, cid = _outsider(world)
    invite = world.client.post(
        f"/api/v1/classes/{cid}/invites",
        json={"max_uses": 1, "valid_days": 7},
        headers=world.headers(teacher["username"]),
    )
    assert invite.status_code == 201
    code = invite.json()["code"]
    headers = world.headers(student["username"])
    r = world.client.post(
        "/api/v1/students/me/onboarding",
        json={"invite_code": code.lower(), "grade_level": "9", "interests": ["algebra"]},
        headers=headers,
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["joined_class"]["class_id"] == cid
    assert body["profile"]["onboarded"] and body["profile"]["interests"] == ["algebra"]
    recs = body["recommendations"]["items"]
    assert recs and all(rec["reason"] for rec in recs)
    assert len({rec["content_id"] for rec in recs}) == len(recs)
    mine = {
        c["class_id"]
        for c in world.client.get("/api/v1/students/me/classes", headers=headers).json()
    }
    assert cid in mine and {rec["class_id"] for rec in recs} <= mine

    # The invite was for one use only.
    other = next(u for u in world.of_role("student") if cid not in u["class_ids"] and u != student)
    again = world.client.post(
        "/api/v1/students/me/onboarding",
        json={"invite_code": code},
        headers=world.headers(other["username"]),
    )
    assert again.status_code == 404


def test_unknown_invite_code_is_refused(world: ApiWorld) -> None:
    student = world.of_role("student")[0]
    r = world.client.post(
        "/api/v1/students/me/onboarding",
        json={"invite_code": "NOPE-NOPE-NOPE"},
        headers=world.headers(student["username"]),
    )
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")


def test_recommendations_practise_the_weakest_skill_first(world: ApiWorld) -> None:
    for student in [u for u in world.of_role("student") if u["class_ids"]][:40]:
        headers = world.headers(student["username"])
        sid = student["student_id"]
        mastery = world.client.get(f"/api/v1/students/{sid}/mastery", headers=headers).json()
        if mastery and mastery[0]["probability"] < 0.8:
            break
    else:
        raise AssertionError("no demo student with a skill below 0.8 mastery")
    assert [m["probability"] for m in mastery] == sorted(m["probability"] for m in mastery)
    recs = world.client.get(f"/api/v1/students/{sid}/recommendations", headers=headers).json()
    assert recs["source"] == "baseline"
    first = recs["items"][0]
    assert first["content_type"] == "quiz"
    assert mastery[0]["name"] in first["reason"]
