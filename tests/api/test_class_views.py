"""The class views the teacher dashboard draws (heatmap, video engagement) and self-service
settings (``PATCH /auth/me``)."""

from __future__ import annotations

from deltalake import DeltaTable

from lake.io import read_delta
from tests.api.conftest import ApiWorld

V1 = "/api/v1"


def _teacher(world: ApiWorld) -> dict:
    return world.of_role("teacher")[0]


def _gold(world: ApiWorld, path: str, class_id: str) -> list[dict]:
    table = read_delta(DeltaTable(str(world.settings.lake.lake / "gold" / path)))
    return [r for r in table.to_pylist() if r["class_id"] == class_id]


def test_module_progress_has_one_cell_per_student_and_module(world: ApiWorld) -> None:
    teacher = _teacher(world)
    class_id = teacher["class_ids"][0]
    r = world.client.get(
        f"{V1}/classes/{class_id}/module-progress", headers=world.headers(teacher["username"])
    )
    assert r.status_code == 200, r.text
    cells = r.json()
    expected = _gold(world, "progress/fct_student_module_progress", class_id)
    assert len(cells) == len([e for e in expected if e["module"] is not None]) > 0
    pairs = {(c["student_id"], c["module"]) for c in cells}
    assert len(pairs) == len(cells)
    by_pair = {(e["student_id"], e["module"]): e for e in expected}
    for c in cells:
        assert 0 <= c["content_touched_share"] <= 1
        assert (
            c["n_content_touched"] == by_pair[(c["student_id"], c["module"])]["n_content_touched"]
        )
    assert any(c["display_name"] for c in cells)


def test_video_engagement_follows_each_video_segment_by_segment(world: ApiWorld) -> None:
    teacher = _teacher(world)
    class_id = teacher["class_ids"][0]
    r = world.client.get(
        f"{V1}/classes/{class_id}/video-engagement", headers=world.headers(teacher["username"])
    )
    assert r.status_code == 200, r.text
    segments = r.json()
    expected = _gold(world, "engagement/fct_video_segments", class_id)
    assert len(segments) == len(expected) > 0
    assert sum(s["n_views"] for s in segments) == sum(e["n_views"] for e in expected)
    for video in {s["video_id"] for s in segments}:
        starts = [s["segment_start_s"] for s in segments if s["video_id"] == video]
        assert starts == sorted(starts)


def test_a_teacher_cannot_see_another_teachers_heatmap(world: ApiWorld) -> None:
    teachers = world.of_role("teacher")
    mine = set(teachers[0]["class_ids"])
    other = next(c for t in teachers[1:] for c in t["class_ids"] if c not in mine)
    for view in ("module-progress", "video-engagement"):
        r = world.client.get(
            f"{V1}/classes/{other}/{view}", headers=world.headers(teachers[0]["username"])
        )
        assert r.status_code == 403, (view, r.text)


def test_a_user_changes_their_language_and_it_sticks(world: ApiWorld) -> None:
    student = world.of_role("student")[-1]
    headers = world.headers(student["username"])
    r = world.client.patch(f"{V1}/auth/me", json={"language": "es"}, headers=headers)
    assert r.status_code == 200, r.text
    assert r.json()["language"] == "es"
    assert world.client.get(f"{V1}/auth/me", headers=headers).json()["language"] == "es"
    assert world.client.get(f"{V1}/students/me", headers=headers).json()["language"] == "es"


def test_changing_settings_refuses_bad_input_and_keeps_the_old_value(world: ApiWorld) -> None:
    student = world.of_role("student")[-2]
    headers = world.headers(student["username"])
    before = world.client.get(f"{V1}/auth/me", headers=headers).json()["language"]
    for body in ({"language": "de"}, {}, {"role": "admin"}, {"language": "es", "username": "x"}):
        r = world.client.patch(f"{V1}/auth/me", json=body, headers=headers)
        assert r.status_code == 422, (body, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
    after = world.client.get(f"{V1}/auth/me", headers=headers)
    assert after.json()["language"] == before
    assert after.json()["role"] == "student"
