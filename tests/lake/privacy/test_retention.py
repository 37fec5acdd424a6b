"""Retention: periods per family from the environment; the sweep deletes (or blanks) exactly
what is older than the cutoff, leaves no older table version holding it, and a dry run changes
nothing."""

from __future__ import annotations

import hashlib
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow.compute as pc
import pytest
from deltalake import DeltaTable

from api.store.db import Store, migrate
from api.store.models import AuditEvent, QueryAudit
from lake import io
from lake.privacy.retention import DEFAULT_DAYS, RetentionPolicy, apply_retention, describe
from lake.settings import LakeSettings, SettingsError
from lake.tables import silver
from tests.conftest import Curated

# The demo's activity starts 2025-09-08 and runs 21 days: a cutoff of 2025-09-18 splits it.
CUTOFF = datetime(2025, 9, 18, tzinfo=UTC)


def test_policy_defaults_and_environment() -> None:
    assert RetentionPolicy.from_env({}).days == DEFAULT_DAYS
    p = RetentionPolicy.from_env(
        {"LEARNSMART_RETENTION_EVENTS_DAYS": "30", "LEARNSMART_RETENTION_AUDIT_DAYS": "off"}
    )
    assert p.days["events"] == 30
    assert p.days["audit"] is None
    assert p.days["attempts"] == DEFAULT_DAYS["attempts"]
    now = datetime(2026, 1, 31, tzinfo=UTC)
    assert p.cutoff("events", now) == now - timedelta(days=30)
    assert p.cutoff("audit", now) is None
    for bad in ("0", "-3", "ten"):
        with pytest.raises(SettingsError):
            RetentionPolicy.from_env({"LEARNSMART_RETENTION_FORUM_TEXT_DAYS": bad})
    d = describe(p)
    assert d["events"]["variable"] == "LEARNSMART_RETENTION_EVENTS_DAYS"
    assert "silver/learning_events" in d["events"]["tables"]


def _digests(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and "_locks" not in p.parts
    }


@pytest.fixture
def lake_copy(curated: Curated, tmp_path: Path) -> LakeSettings:
    shutil.copytree(curated.lake, tmp_path / "lake")
    shutil.copytree(curated.lake.parent / "landing", tmp_path / "landing")
    return LakeSettings(lake=tmp_path / "lake", landing=tmp_path / "landing")


def _policy(now: datetime) -> RetentionPolicy:
    days = (now - CUTOFF).days
    return RetentionPolicy(days=dict.fromkeys(("events", "attempts", "forum_text", "audit"), days))


@pytest.mark.slow
def test_sweep_deletes_expired_rows_only(lake_copy: LakeSettings, tmp_path: Path) -> None:
    s = lake_copy
    now = datetime(2026, 3, 1, tzinfo=UTC)
    events = io.read(s, silver("learning_events"))
    posts = io.read(s, silver("forum_posts"))
    responses = io.read(s, silver("item_responses"))
    old_events = int(pc.sum(pc.less(events.column("occurred_at"), CUTOFF)).as_py())
    assert 0 < old_events < events.num_rows
    kept_events = sorted(
        str(r)
        for r in events.filter(pc.greater_equal(events.column("occurred_at"), CUTOFF)).to_pylist()
    )
    old_posts = int(pc.sum(pc.less(posts.column("created_at"), CUTOFF)).as_py())
    assert old_posts > 0
    old_xapi_files = [
        p for p in (s.landing / "xapi").rglob("*") if p.is_file() and p.parent.name < "2025-09-18"
    ]
    assert old_xapi_files

    # Dry run: counts, no change.
    digests = _digests(s.lake) | {f"L/{k}": v for k, v in _digests(s.landing).items()}
    dry = apply_retention(s, _policy(now), now=now, dry_run=True)
    assert dry["families"]["events"]["tables"]["silver/learning_events"] == old_events
    assert digests == _digests(s.lake) | {f"L/{k}": v for k, v in _digests(s.landing).items()}

    out = apply_retention(s, _policy(now), now=now)
    assert out["families"]["events"]["tables"]["silver/learning_events"] == old_events
    after = io.read(s, silver("learning_events"))
    assert sorted(str(r) for r in after.to_pylist()) == kept_events
    after_resp = io.read(s, silver("item_responses"))
    assert not pc.any(pc.less(after_resp.column("answered_at"), CUTOFF)).as_py()
    assert after_resp.num_rows == int(
        pc.sum(pc.greater_equal(responses.column("answered_at"), CUTOFF)).as_py()
    )
    # Forum text blanked, posts kept (counts stay right).
    after_posts = io.read(s, silver("forum_posts"))
    assert after_posts.num_rows == posts.num_rows
    old = after_posts.filter(pc.less(after_posts.column("created_at"), CUTOFF))
    assert old.num_rows == old_posts
    assert old.column("body").null_count == old.num_rows
    new = after_posts.filter(pc.greater_equal(after_posts.column("created_at"), CUTOFF))
    assert new.column("body").null_count == 0
    # Landing files of expired days are gone; later ones stay.
    assert not any(p.exists() for p in old_xapi_files)
    assert any((s.landing / "xapi").rglob("*.jsonl"))
    # No earlier version keeps the expired rows.
    dt = DeltaTable(str(s.lake / "silver" / "learning_events"))
    with pytest.raises(Exception):  # noqa: B017 (delta-rs raises its own error types)
        DeltaTable(str(s.lake / "silver" / "learning_events"), version=0)
    assert len(dt.history()) <= 2
    # A second sweep finds nothing left to do.
    again = apply_retention(s, _policy(now), now=now)
    assert again["families"]["events"]["tables"] == {}


def test_audit_family_in_the_store(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'api.db'}"
    migrate(url)
    store = Store(url)
    now = datetime(2026, 3, 1, tzinfo=UTC)
    with store.session() as sess:
        for days in (400, 10):
            sess.add(
                AuditEvent(
                    at=now - timedelta(days=days),
                    actor_id=1,
                    actor_role="teacher",
                    action="read",
                    resource=f"/r/{days}",
                    status_code=200,
                )
            )
            sess.add(
                QueryAudit(
                    query_id=f"q{days}",
                    user="r",
                    state="FINISHED",
                    sql="select 1",
                    received_at=now - timedelta(days=days),
                )
            )
    settings = LakeSettings(lake=tmp_path / "lake", landing=tmp_path / "landing")
    policy = RetentionPolicy(days={**DEFAULT_DAYS, "audit": 365})
    out = apply_retention(settings, policy, now=now, database_url=url)
    assert out["families"]["audit"]["tables"] == {
        "store/audit_events": 1,
        "store/query_audit": 1,
    }
    with store.session() as sess:
        from sqlalchemy import select

        assert sess.scalars(select(AuditEvent.resource)).all() == ["/r/10"]
        assert sess.scalars(select(QueryAudit.query_id)).all() == ["q10"]
    store.dispose()
    skipped = apply_retention(settings, policy, now=now)
    assert skipped["families"]["audit"]["skipped"] == "no database_url"
