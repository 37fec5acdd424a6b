"""Consent per student and purpose: read from the operational store, and seeded for the demo.

The API owns the ``consents`` table (one row per student and purpose, the current decision)
and ``consent_history`` (every change, appended). This module reads them with SQLAlchemy Core
by table name, so the lake library does not import the web application.

No record means *not granted*: a student is in a research release only after someone recorded
their consent. A store that does not exist yet (no file, or not migrated) holds no consent.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

PURPOSES: tuple[str, ...] = ("research", "analytics")
RESEARCH = "research"
ANALYTICS = "analytics"
DATABASE_URL_ENV = "LEARNSMART_API_DATABASE_URL"
# The API's default store (api.settings.DEFAULT_DATABASE_URL; a test keeps the two equal).
DEFAULT_DATABASE_URL = "sqlite:///data/api/learnsmart.db"

_CONSENTS = sa.table(
    "consents",
    sa.column("student_id", sa.String),
    sa.column("purpose", sa.String),
    sa.column("granted", sa.Boolean),
    sa.column("updated_at", sa.DateTime(timezone=True)),
    sa.column("updated_by", sa.Integer),
)
_HISTORY = sa.table(
    "consent_history",
    sa.column("student_id", sa.String),
    sa.column("purpose", sa.String),
    sa.column("granted", sa.Boolean),
    sa.column("changed_at", sa.DateTime(timezone=True)),
    sa.column("changed_by", sa.Integer),
)


class ConsentStoreError(RuntimeError):
    """The operational store cannot take consents (not migrated)."""


@dataclass(frozen=True)
class ConsentSnapshot:
    """The students who granted one purpose, as read at one moment.

    Attributes:
        purpose: the purpose asked about.
        granted: student_ids whose current decision for ``purpose`` is granted.
        n_records: decisions on record for ``purpose`` (granted or withdrawn).
        store_found: False when the store (or its ``consents`` table) does not exist.
    """

    purpose: str
    granted: frozenset[str]
    n_records: int
    store_found: bool


def database_url_from_env() -> str:
    """The operational store's URL, as the API reads it (``LEARNSMART_API_DATABASE_URL``)."""
    return os.environ.get(DATABASE_URL_ENV) or DEFAULT_DATABASE_URL


def _missing_sqlite_file(url: str) -> bool:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return False
    db = parsed.database
    return bool(db) and db != ":memory:" and not Path(str(db)).exists()


def _check_purpose(purpose: str) -> None:
    if purpose not in PURPOSES:
        raise ValueError(f"unknown consent purpose {purpose!r}; expected one of {PURPOSES}")


def read_consents(database_url: str | None = None, purpose: str = RESEARCH) -> ConsentSnapshot:
    """Who granted ``purpose`` now. A missing store or table reads as nobody (never created)."""
    _check_purpose(purpose)
    url = database_url or database_url_from_env()
    if _missing_sqlite_file(url):
        return ConsentSnapshot(purpose, frozenset(), 0, store_found=False)
    engine = sa.create_engine(url)
    try:
        if not sa.inspect(engine).has_table("consents"):
            return ConsentSnapshot(purpose, frozenset(), 0, store_found=False)
        q = sa.select(_CONSENTS.c.student_id, _CONSENTS.c.granted).where(
            _CONSENTS.c.purpose == purpose
        )
        with engine.connect() as conn:
            rows = conn.execute(q).all()
    finally:
        engine.dispose()
    granted = frozenset(str(sid) for sid, ok in rows if ok)
    return ConsentSnapshot(purpose, granted, len(rows), store_found=True)


def granted_student_ids(database_url: str | None = None, purpose: str = RESEARCH) -> set[str]:
    """student_ids whose consent for ``purpose`` is granted (no record: not granted)."""
    return set(read_consents(database_url, purpose).granted)


def _share_bucket(seed: int, purpose: str, student_id: str) -> float:
    digest = hashlib.sha256(f"{seed}:{purpose}:{student_id}".encode()).hexdigest()
    return int(digest[:8], 16) / 0x1_0000_0000


def seed_demo_consents(
    database_url: str,
    student_ids: Iterable[str],
    share: float = 0.9,
    seed: int = 0,
    analytics_share: float = 1.0,
) -> dict[str, int]:
    """Record demo consent decisions: about ``share`` of the students grant research use, the
    rest refuse; ``analytics_share`` grant analytics. Deterministic in ``seed`` and the ids.

    Decisions already on record are kept (an admin's choice is never overwritten by a re-seed).
    Each new decision is also written to ``consent_history`` (``changed_by`` empty: the demo).
    Returns counts: ``research_granted``, ``research_refused``, ``analytics_granted``,
    ``analytics_refused`` (new decisions only) and ``kept`` (decisions already on record).
    """
    if not 0.0 <= share <= 1.0 or not 0.0 <= analytics_share <= 1.0:
        raise ValueError("shares must lie in [0, 1]")
    ids = sorted(set(student_ids))
    counts = {f"{p}_{s}": 0 for p in PURPOSES for s in ("granted", "refused")}
    counts["kept"] = 0
    engine = sa.create_engine(database_url)
    try:
        inspector = sa.inspect(engine)
        if not (inspector.has_table("consents") and inspector.has_table("consent_history")):
            raise ConsentStoreError(
                "the operational store has no consent tables: run `learnsmart api migrate` first"
            )
        now = datetime.now(UTC)
        with engine.begin() as conn:
            existing = {
                (str(sid), str(p))
                for sid, p in conn.execute(sa.select(_CONSENTS.c.student_id, _CONSENTS.c.purpose))
            }
            decisions = []
            for sid in ids:
                for purpose, cut in ((RESEARCH, share), (ANALYTICS, analytics_share)):
                    if (sid, purpose) in existing:
                        counts["kept"] += 1
                        continue
                    ok = _share_bucket(seed, purpose, sid) < cut
                    counts[f"{purpose}_{'granted' if ok else 'refused'}"] += 1
                    decisions.append({"student_id": sid, "purpose": purpose, "granted": ok})
            if decisions:
                conn.execute(
                    sa.insert(_CONSENTS),
                    [{**d, "updated_at": now, "updated_by": None} for d in decisions],
                )
                conn.execute(
                    sa.insert(_HISTORY),
                    [{**d, "changed_at": now, "changed_by": None} for d in decisions],
                )
    finally:
        engine.dispose()
    return counts
