"""The forum assets: urgency trained on labelled posts when given, labels for every post, and
the API scoring new posts with the served model."""

from __future__ import annotations

import csv
from pathlib import Path

import dagster as dg
import polars as pl
import pytest
from deltalake import DeltaTable

from api.main import build_services
from api.urgency import UrgencyScorer
from lake.io import read_delta
from ml_assets import tracking
from orchestration.defs.learn import forum as assets
from orchestration.resources import LakeResource
from tests.api.conftest import make_settings

pytestmark = pytest.mark.slow

URGENT = [
    "The quiz link is broken and the deadline is tonight, please help urgently",
    "My grade shows zero but I submitted the assignment, can an instructor check?",
    "I cannot access the exam, it says error 403, what should I do before the deadline?",
    "The certificate payment failed twice, please fix my account",
    "Assignment 2 upload keeps failing and it is due in one hour",
]
CALM = [
    "Thanks everyone, this week's lecture was great fun",
    "Hello from Lisbon, happy to be learning with you all",
    "I enjoyed the video about photosynthesis, very clear",
    "Does anyone want to form a study group for fun?",
    "Nice explanation in the reading, I liked the examples",
]


def _labelled(path: Path) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "post_time", "post_text", "Urgency_1_7"])
        for i in range(6):
            for j, text in enumerate(URGENT):
                w.writerow([f"u{i}{j}", 0, f"{text} ({i})", 6.0 + (j % 2) * 0.5])
            for j, text in enumerate(CALM):
                w.writerow([f"c{i}{j}", 0, f"{text} ({i})", 1.0 + (j % 3) * 0.5])
    return path


def test_without_labels_nothing_is_trained_and_posts_still_get_labels(
    lake_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(assets.LABELS_ENV, raising=False)
    lake = lake_copy
    result = dg.materialize(
        [assets.forum_urgency_model, assets.forum_post_labels],
        resources={"lake": LakeResource(lake=str(lake), landing=str(tmp_path / "landing"))},
    )
    assert result.success
    meta = result.asset_materializations_for_node("forum_urgency_model")[0].metadata
    assert meta["trained"].value is False
    labels = pl.from_arrow(read_delta(DeltaTable(str(lake / assets.LABELS_TABLE))))
    posts = pl.from_arrow(read_delta(DeltaTable(str(lake / "silver/forum_posts"))))
    assert labels.height == posts.height
    assert labels["urgency"].null_count() == labels.height
    assert "body" not in labels.columns and "title" not in labels.columns  # no text copied
    assert labels["language"].null_count() < labels.height


def test_labelled_posts_train_a_served_model_the_api_uses(
    lake_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(assets.LABELS_ENV, str(_labelled(tmp_path / "labels.csv")))
    lake = lake_copy
    result = dg.materialize(
        [assets.forum_urgency_model, assets.forum_post_labels],
        resources={"lake": LakeResource(lake=str(lake), landing=str(tmp_path / "landing"))},
    )
    assert result.success
    assert (
        result.asset_materializations_for_node("forum_urgency_model")[0].metadata["trained"].value
    )
    assert tracking.champion(tracking.Tracking.for_lake(lake), assets.MODEL_NAME) is not None
    labels = pl.from_arrow(read_delta(DeltaTable(str(lake / assets.LABELS_TABLE))))
    assert labels["urgency"].is_between(1, 7).all()

    (tmp_path / "api").mkdir()
    svc = build_services(make_settings(tmp_path / "api", lake))
    scorer = svc.extras["urgency_model"]
    assert isinstance(scorer, UrgencyScorer)
    urgent = scorer("The exam page is broken and the deadline is in an hour, please help")
    calm = scorer("Lovely lecture today, thanks for the nice examples")
    assert urgent > calm + 1.0
    assert 0.0 < scorer.threshold < 1.0  # a cut-off on the urgent probability
    calm_text = "Lovely lecture today, thanks for the nice examples"
    assert scorer.assess(calm_text) == (scorer(calm_text), False)
