"""The tutor index asset, and the API answering from it (grounded, cited, or declining)."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest
from fastapi.testclient import TestClient

from api.demo_users import seed_demo_users
from api.main import create_app
from ml_assets import tracking
from ml_assets.tutor.index import TutorIndex
from orchestration.defs.learn.tutor import MODEL_NAME, SERVED_DIR, tutor_index
from orchestration.resources import LakeResource
from tests.api.conftest import make_settings

pytestmark = pytest.mark.slow


def _ask(client: TestClient, user: dict, class_id: str, question: str) -> dict:
    token = client.post(
        "/api/v1/auth/login", json={"username": user["username"], "password": user["password"]}
    ).json()["access_token"]
    r = client.post(
        "/api/v1/tutor/questions",
        json={"class_id": class_id, "question": question},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert r.status_code == 201, r.text
    return r.json()


def test_tutor_index_is_built_registered_and_answers_through_the_api(
    lake_copy: Path, tmp_path: Path
) -> None:
    lake = lake_copy
    (tmp_path / "api").mkdir()
    settings = make_settings(tmp_path / "api", lake)
    users = seed_demo_users(settings, tmp_path / "api" / "demo_users.json")
    student = next(u for u in users if u["role"] == "student")
    class_id = student["class_ids"][0]

    # before the index exists the API answers extractively
    with TestClient(create_app(settings, scan_every_s=3600)) as client:
        before = _ask(client, student, class_id, "What will we learn in this class?")
    assert before["method"] == "extractive-bm25"

    result = dg.materialize(
        [tutor_index],
        resources={"lake": LakeResource(lake=str(lake), landing=str(tmp_path / "landing"))},
    )
    assert result.success
    meta = result.asset_materializations_for_node("tutor_index")[0].metadata
    assert meta["built"].value is True and meta["passages"].value > 0
    assert tracking.champion(tracking.Tracking.for_lake(lake), MODEL_NAME) is not None
    index = TutorIndex.load(lake / SERVED_DIR)
    mine = [p for p in index.passages if p.class_id == class_id]
    assert mine and all(p.class_id in index.class_ids() for p in index.passages)
    page = max(mine, key=lambda p: p.word_count)
    question = " ".join(page.text.split()[:25])

    with TestClient(create_app(settings, scan_every_s=3600)) as client:
        grounded = _ask(client, student, class_id, question)
        declined = _ask(client, student, class_id, "Who won the football world cup final in 1998?")
    assert grounded["method"] == "hybrid-bm25-minilm-rrf"
    assert grounded["is_answerable"] is True and grounded["offer_teacher"] is False
    assert page.content_id in {s["content_id"] for s in grounded["sources"]}
    own = {p.content_id for p in mine}
    assert {s["content_id"] for s in grounded["sources"]} <= own  # never another class's page
    assert declined["is_answerable"] is False and declined["offer_teacher"] is True
    assert declined["sources"] == []
