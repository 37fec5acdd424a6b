"""Quizzes: delivered without the key, scored with feedback, recorded as xAPI statements that
the pipeline loads, and mastery moved at once."""

from __future__ import annotations

import json
from typing import Any

import pyarrow.compute as pc
import pytest

from lake import io
from lake.loader import ingest
from lake.tables import silver
from tests.api.conftest import ApiWorld


def _student_and_quiz(world: ApiWorld) -> tuple[dict[str, Any], str, list[dict[str, Any]]]:
    gold = world.services.gold
    for student in world.of_role("student"):
        for cid in student["class_ids"]:
            quizzes = gold.rows("dim_content", "class_id", cid)
            quizzes = quizzes.filter(quizzes["content_type"] == "quiz")
            if quizzes.height:
                qid = quizzes["content_id"][0]
                items = gold.rows("dim_items", "quiz_id", qid).to_dicts()
                if items:
                    return student, qid, items
    pytest.fail("the demo lake has no student with a quiz")


def test_quiz_is_delivered_without_its_answer_key(world: ApiWorld) -> None:
    student, qid, items = _student_and_quiz(world)
    r = world.client.get(f"/api/v1/quizzes/{qid}", headers=world.headers(student["username"]))
    assert r.status_code == 200
    body = r.json()
    assert len(body["items"]) == len(items)
    text = json.dumps(body)
    assert "correct" not in text
    assert all(o["option_id"] and o["text"] for i in body["items"] for o in i["options"])


def test_submission_is_scored_recorded_loaded_and_moves_mastery(world: ApiWorld) -> None:
    student, qid, items = _student_and_quiz(world)
    headers = world.headers(student["username"])
    right = items[0]
    wrong = items[1] if len(items) > 1 else None
    responses = [{"item_id": right["item_id"], "response": right["correct_option_ids"][0]}]
    if wrong is not None:
        bad = next(o for o in wrong["option_ids"] if o not in wrong["correct_option_ids"])
        responses.append({"item_id": wrong["item_id"], "response": bad})
    r = world.client.post(
        f"/api/v1/quizzes/{qid}/submissions", json={"responses": responses}, headers=headers
    )
    assert r.status_code == 201, r.text
    out = r.json()
    assert out["items"][0]["is_correct"] is True and out["items"][0]["feedback"] == "Correct."
    if wrong is not None:
        assert out["items"][1]["is_correct"] is False
        assert out["items"][1]["feedback"].startswith("Not quite")
    assert out["score"] == right["max_score"]
    assert out["statements_written"] == len(responses) + 1

    # Mastery moved at once, with the served model, for the right item's skills.
    moved = {m["skill_id"]: m for m in out["mastery"]}
    for skill in right["skill_ids"]:
        assert skill in moved
    if wrong is None:
        assert all(m["after"] > m["before"] for m in moved.values())
    mastery = world.client.get(
        f"/api/v1/students/{student['student_id']}/mastery", headers=headers
    ).json()
    live = {m["skill_id"]: m for m in mastery if m["source"] == "live"}
    assert set(moved) <= set(live)
    for sid, m in moved.items():
        assert live[sid]["probability"] == pytest.approx(m["after"])

    # The statements land in landing/xapi and the pipeline loads them as this student's attempt.
    files = list((world.settings.landing / "xapi" / "api").rglob(f"{out['attempt_id']}.jsonl"))
    assert len(files) == 1
    reports = ingest(world.settings.lake, sources=("xapi",))
    assert sum(r.rows_quarantined for r in reports) == 0, [r.as_dict() for r in reports]
    responses_t = io.read(world.settings.lake, silver("item_responses"))
    mine = responses_t.filter(pc.equal(responses_t["attempt_id"], out["attempt_id"]))
    assert mine.num_rows == len(responses)
    assert set(mine["student_id"].to_pylist()) == {student["student_id"]}
    attempts = io.read(world.settings.lake, silver("quiz_attempts"))
    attempt = attempts.filter(pc.equal(attempts["attempt_id"], out["attempt_id"])).to_pylist()
    assert len(attempt) == 1 and attempt[0]["score"] == out["score"]


@pytest.mark.parametrize(
    "responses, status",
    [
        ([{"item_id": "not-in-this-quiz", "response": "a"}], 422),
        ([], 422),
        ([{"item_id": "x", "response": ""}], 422),
    ],
    ids=["foreign-item", "empty", "empty-response"],
)
def test_bad_submissions_are_refused_and_nothing_is_written(
    world: ApiWorld, responses: list[dict[str, str]], status: int
) -> None:
    student, qid, _items = _student_and_quiz(world)
    landing = world.settings.landing / "xapi" / "api"
    before = sorted(landing.rglob("*.jsonl")) if landing.exists() else []
    r = world.client.post(
        f"/api/v1/quizzes/{qid}/submissions",
        json={"responses": responses},
        headers=world.headers(student["username"]),
    )
    assert r.status_code == status
    after = sorted(landing.rglob("*.jsonl")) if landing.exists() else []
    assert after == before


def test_a_student_cannot_take_a_quiz_of_a_class_they_are_not_in(world: ApiWorld) -> None:
    student, _qid, _items = _student_and_quiz(world)
    gold = world.services.gold
    theirs = set(student["class_ids"])
    other = [c for c in gold.keys("dim_classes", "class_id") if c not in theirs]
    if not other:
        pytest.skip("every demo class has this student")  # pragma: no cover
    content = gold.rows("dim_content", "class_id", other[0])
    qid = content.filter(content["content_type"] == "quiz")["content_id"][0]
    r = world.client.get(f"/api/v1/quizzes/{qid}", headers=world.headers(student["username"]))
    assert r.status_code == 403
