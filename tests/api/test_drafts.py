"""Teachers review drafted quiz items; an approved draft becomes an item once the pipeline runs."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import polars as pl
import pyarrow.compute as pc
import pytest
from deltalake import write_deltalake

from lake import io
from lake.loader import ingest
from lake.tables import silver
from tests.api.conftest import ApiWorld

V1 = "/api/v1"


def _draft(class_id: str, content_id: str, n: int, passed: bool) -> dict[str, object]:
    item_id = f"qg-test-{class_id}-{n}"
    return {
        "item_id": item_id,
        "content_id": content_id,
        "class_id": class_id,
        "kind": "multiple_choice",
        "item_type": "multiple_choice",
        "stem": f"Which gas do plants take in for photosynthesis? ({n})",
        "options": [
            {"option_id": "a", "text": "carbon dioxide"},
            {"option_id": "b", "text": "oxygen"},
            {"option_id": "c", "text": "nitrogen"},
            {"option_id": "d", "text": "helium"},
        ],
        "correct_option_ids": ["a"],
        "correct_responses": [],
        "answer": "carbon dioxide",
        "source_sentence": "Plants take in carbon dioxide through their leaves.",
        "skill_ids": [],
        "max_score": 1.0,
        "checks": {"answer_in_source": True, "tutor_finds_source": passed},
        "passed": passed,
        "reasons": [] if passed else ["tutor_finds_source: not in the top 3"],
        "meta": {},
    }


@pytest.fixture(scope="module")
def drafts(world: ApiWorld) -> tuple[str, list[dict[str, object]]]:
    """Three drafts for the first demo teacher's class, written as the asset writes them."""
    teacher = world.of_role("teacher")[0]
    class_id = teacher["class_ids"][0]
    pages = world.services.gold.rows("content_pages", "class_id", class_id)
    content_id = pages["content_id"][0]
    rows = [_draft(class_id, content_id, n, passed=n != 2) for n in range(3)]
    table = pl.DataFrame(
        [
            {
                "item_id": d["item_id"],
                "content_id": d["content_id"],
                "class_id": d["class_id"],
                "kind": d["kind"],
                "stem": d["stem"],
                "answer": d["answer"],
                "passed": d["passed"],
                "reasons": d["reasons"],
                "draft": json.dumps(d),
                "drafted_at": datetime.now(UTC),
            }
            for d in rows
        ]
    )
    write_deltalake(
        str(world.settings.lake.lake / "gold/ml/ml_drafted_items"),
        table.to_arrow(),
        mode="overwrite",
    )
    return class_id, rows


def test_teacher_approves_a_draft_and_the_pipeline_makes_it_an_item(
    world: ApiWorld, drafts: tuple[str, list[dict[str, object]]]
) -> None:
    class_id, rows = drafts
    teacher = next(u for u in world.of_role("teacher") if class_id in u["class_ids"])
    headers = world.headers(teacher["username"])
    listed = world.client.get(f"{V1}/classes/{class_id}/drafts", headers=headers).json()
    assert listed["total"] == 3
    assert [d["passed_checks"] for d in listed["items"]] == [True, True, False]  # passing first
    assert listed["items"][2]["failed_checks"] == ["tutor_finds_source"]

    approve = world.client.post(
        f"{V1}/classes/{class_id}/drafts/decisions",
        json={"item_id": rows[0]["item_id"], "decision": "approve"},
        headers=headers,
    )
    assert approve.status_code == 200, approve.text
    assert approve.json()["status"] == "approved"
    reject = world.client.post(
        f"{V1}/classes/{class_id}/drafts/decisions",
        json={"item_id": rows[1]["item_id"], "decision": "reject"},
        headers=headers,
    )
    assert reject.json()["status"] == "rejected"
    again = world.client.post(
        f"{V1}/classes/{class_id}/drafts/decisions",
        json={"item_id": rows[0]["item_id"], "decision": "reject"},
        headers=headers,
    )
    assert again.status_code == 409

    pending = world.client.get(f"{V1}/classes/{class_id}/drafts", headers=headers).json()
    assert [d["item_id"] for d in pending["items"]] == [rows[2]["item_id"]]
    every = world.client.get(
        f"{V1}/classes/{class_id}/drafts", params={"status": "all"}, headers=headers
    ).json()
    assert {d["item_id"]: d["status"] for d in every["items"]} == {
        rows[0]["item_id"]: "approved",
        rows[1]["item_id"]: "rejected",
        rows[2]["item_id"]: "pending",
    }

    # only the approved draft was published, and the pipeline loads it as an item of the class
    published = sorted((world.settings.landing / "content" / "api" / class_id).glob("*.json"))
    assert [p.name for p in published] == [f"{rows[0]['item_id']}.items.json"]
    reports = ingest(world.settings.lake, sources=("content",))
    assert sum(r.rows_quarantined for r in reports) == 0, [r.as_dict() for r in reports]
    items = io.read(world.settings.lake, silver("items"))
    mine = items.filter(pc.equal(items["item_id"], rows[0]["item_id"])).to_pylist()
    assert len(mine) == 1 and mine[0]["stem"] == rows[0]["stem"]
    assert not items.filter(pc.equal(items["item_id"], rows[1]["item_id"])).num_rows


def test_unknown_drafts_and_other_classes_are_refused(
    world: ApiWorld, drafts: tuple[str, list[dict[str, object]]]
) -> None:
    class_id, rows = drafts
    teacher = next(u for u in world.of_role("teacher") if class_id in u["class_ids"])
    other = next(u for u in world.of_role("teacher") if class_id not in u["class_ids"])
    unknown = world.client.post(
        f"{V1}/classes/{class_id}/drafts/decisions",
        json={"item_id": "qg-nope", "decision": "approve"},
        headers=world.headers(teacher["username"]),
    )
    assert unknown.status_code == 404
    denied = world.client.post(
        f"{V1}/classes/{class_id}/drafts/decisions",
        json={"item_id": rows[2]["item_id"], "decision": "approve"},
        headers=world.headers(other["username"]),
    )
    assert denied.status_code == 403
    extra = world.client.post(
        f"{V1}/classes/{class_id}/drafts/decisions",
        json={"item_id": rows[2]["item_id"], "decision": "approve", "stem": "edited"},
        headers=world.headers(teacher["username"]),
    )
    assert extra.status_code == 422
    student = world.of_role("student")[0]
    assert (
        world.client.get(
            f"{V1}/classes/{class_id}/drafts", headers=world.headers(student["username"])
        ).status_code
        == 403
    )
