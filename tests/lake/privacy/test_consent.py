"""Consent read from the operational store, and the demo's seeded decisions."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from api.settings import DEFAULT_DATABASE_URL
from api.store.db import Store, migrate
from api.store.models import Consent, ConsentChange
from lake.privacy import consent as c


@pytest.fixture
def store_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'api.db'}"
    migrate(url)
    return url


def test_default_store_is_the_apis() -> None:
    assert c.DEFAULT_DATABASE_URL == DEFAULT_DATABASE_URL


def test_missing_store_means_nobody_consented_and_is_not_created(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'nowhere' / 'api.db'}"
    snap = c.read_consents(url)
    assert snap.granted == frozenset() and snap.store_found is False
    assert not (tmp_path / "nowhere").exists()


def test_only_current_grants_for_the_purpose_count(store_url: str) -> None:
    store = Store(store_url)
    with store.session() as s:
        s.add_all(
            [
                Consent(student_id="s_yes", purpose="research", granted=True),
                Consent(student_id="s_no", purpose="research", granted=False),
                Consent(student_id="s_other", purpose="analytics", granted=True),
            ]
        )
    store.dispose()
    snap = c.read_consents(store_url, "research")
    assert snap.granted == frozenset({"s_yes"}) and snap.n_records == 2 and snap.store_found
    assert c.granted_student_ids(store_url, "analytics") == {"s_other"}
    with pytest.raises(ValueError):
        c.read_consents(store_url, "marketing")


def test_demo_consents_are_deterministic_realistic_and_keep_earlier_decisions(
    store_url: str, tmp_path: Path
) -> None:
    students = [f"s_{i:04d}" for i in range(400)]
    store = Store(store_url)
    with store.session() as s:
        s.add(Consent(student_id="s_0000", purpose="research", granted=False))
    counts = c.seed_demo_consents(store_url, students, share=0.9, seed=7)
    assert counts["kept"] == 1
    refused = counts["research_refused"]
    assert counts["research_granted"] + refused == 399
    assert 20 <= refused <= 60  # about 10% of 399
    assert counts["analytics_granted"] == 400
    granted = c.granted_student_ids(store_url)
    assert "s_0000" not in granted and len(granted) == counts["research_granted"]

    with store.session() as s:
        history = s.scalars(select(ConsentChange)).all()
    assert len(history) == 399 + 400 and all(h.changed_by is None for h in history)

    again = c.seed_demo_consents(store_url, students, share=0.9, seed=7)
    assert again["kept"] == 800 and again["research_granted"] == 0
    other = f"sqlite:///{tmp_path / 'other.db'}"
    migrate(other)
    c.seed_demo_consents(other, students, share=0.9, seed=7)
    assert c.granted_student_ids(other) - {"s_0000"} == granted
    store.dispose()


def test_seeding_an_unmigrated_store_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(c.ConsentStoreError, match="migrate"):
        c.seed_demo_consents(f"sqlite:///{tmp_path / 'bare.db'}", ["s_1"])
