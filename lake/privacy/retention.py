"""Retention: how long each family of personal data is kept, and the sweep that deletes what
has expired (then vacuums with zero retention and drops older log entries, as erasure does, so
expired rows do not survive in an earlier table version).

Families, their tables and the column that dates a row (UTC), default period, variable:

* **events** (730 days, ``LEARNSMART_RETENTION_EVENTS_DAYS``): silver/learning_events
  (occurred_at), bronze xAPI and Caliper (_ingest_date), quarantine/xapi and caliper
  (quarantined_at), gold/engagement/fct_daily_engagement (event_date); landing/xapi, caliper.
* **attempts** (730 days, ``LEARNSMART_RETENTION_ATTEMPTS_DAYS``): silver/quiz_attempts
  (submitted_at), silver/item_responses (answered_at), bronze quiz responses, quarantine,
  gold/grading/fct_quiz_attempts, gold/items/fct_skill_attempt_sequences; landing/quiz_attempts.
* **forum_text** (365 days, ``LEARNSMART_RETENTION_FORUM_TEXT_DAYS``): silver/forum_posts has
  title and body blanked (created_at; the post's existence stays for counts); bronze forum and
  quarantine rows are deleted; landing/forum.
* **audit** (365 days, ``LEARNSMART_RETENTION_AUDIT_DAYS``): the store's audit_events (at) and
  query_audit (received_at).

A variable set to ``off`` disables its family; otherwise it must be a whole number of days of
at least 1. The Dagster asset ``retention_sweep`` runs :func:`apply_retention` daily.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from deltalake import DeltaTable

from lake import io
from lake.privacy.erase import _locked, _rewrite_table, _walk_files, purge_history
from lake.settings import LakeSettings, SettingsError

FAMILIES: tuple[str, ...] = ("events", "attempts", "forum_text", "audit")
DEFAULT_DAYS: dict[str, int] = {"events": 730, "attempts": 730, "forum_text": 365, "audit": 365}
ENV = "LEARNSMART_RETENTION_{}_DAYS"


@dataclass(frozen=True)
class Rule:
    """One table of a family: the column dating its rows, and what expiry does."""

    table: str
    column: str
    blank: tuple[str, ...] = ()  # columns nulled instead of deleting the row


RULES: dict[str, tuple[Rule, ...]] = {
    "events": (
        Rule("silver/learning_events", "occurred_at"),
        Rule("bronze/xapi__statements", "_ingest_date"),
        Rule("bronze/caliper__events", "_ingest_date"),
        Rule("quarantine/xapi", "quarantined_at"),
        Rule("quarantine/caliper", "quarantined_at"),
        Rule("gold/engagement/fct_daily_engagement", "event_date"),
    ),
    "attempts": (
        Rule("silver/quiz_attempts", "submitted_at"),
        Rule("silver/item_responses", "answered_at"),
        Rule("bronze/quiz_attempts__responses", "_ingest_date"),
        Rule("quarantine/quiz_attempts", "quarantined_at"),
        Rule("gold/grading/fct_quiz_attempts", "submitted_at"),
        Rule("gold/items/fct_skill_attempt_sequences", "answered_at"),
    ),
    "forum_text": (
        Rule("silver/forum_posts", "created_at", blank=("title", "body")),
        Rule("bronze/forum__posts", "_ingest_date"),
        Rule("quarantine/forum", "quarantined_at"),
    ),
    "audit": (),
}
LANDING: dict[str, tuple[str, ...]] = {
    "events": ("xapi", "caliper"),
    "attempts": ("quiz_attempts",),
    "forum_text": ("forum",),
}


@dataclass(frozen=True)
class RetentionPolicy:
    """Days kept per family (None: kept for ever)."""

    days: Mapping[str, int | None] = field(default_factory=lambda: dict(DEFAULT_DAYS))

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> RetentionPolicy:
        """Defaults overridden by ``LEARNSMART_RETENTION_<FAMILY>_DAYS`` (``off`` disables)."""
        env = os.environ if environ is None else environ
        days: dict[str, int | None] = {}
        for fam in FAMILIES:
            var = ENV.format(fam.upper())
            raw = env.get(var, "").strip()
            if not raw:
                days[fam] = DEFAULT_DAYS[fam]
            elif raw.lower() == "off":
                days[fam] = None
            else:
                try:
                    n = int(raw)
                except ValueError:
                    raise SettingsError(
                        f"{var} must be a number of days or 'off', got {raw!r}"
                    ) from None
                if n < 1:
                    raise SettingsError(f"{var} must be at least 1 day, got {n}")
                days[fam] = n
        return cls(days=days)

    def cutoff(self, family: str, now: datetime) -> datetime | None:
        """Rows dated before this instant have expired (None: the family is kept)."""
        d = self.days.get(family)
        return None if d is None else now - timedelta(days=d)


def _expired_mask(col: pa.ChunkedArray, cutoff: datetime) -> pa.ChunkedArray:
    t = col.type
    if pa.types.is_date(t):
        scalar = pa.scalar(cutoff.date(), t)
    elif pa.types.is_timestamp(t):
        value = cutoff if t.tz else cutoff.replace(tzinfo=None)
        scalar = pa.scalar(value, t)
    else:
        raise TypeError(f"cannot date rows by a {t} column")
    return pc.fill_null(pc.less(col, scalar), False)


def _apply_rule(lake: Path, rule: Rule, cutoff: datetime, dry_run: bool) -> int:
    path = lake / rule.table
    if not (path / "_delta_log").is_dir():
        return 0
    with _locked(lake, path):
        dt = DeltaTable(str(path))
        table = io.read_delta(dt)
        if rule.column not in table.column_names or table.num_rows == 0:
            return 0
        expired = _expired_mask(table.column(rule.column), cutoff)
        if rule.blank:
            blanks = [c for c in rule.blank if c in table.column_names]
            hit = expired
            for c in blanks:
                hit = pc.and_(hit, pc.invert(pc.is_null(table.column(c))))
            n = int(pc.sum(pc.cast(hit, pa.int64())).as_py() or 0)
            if n == 0 or dry_run:
                return n
            for c in blanks:
                i = table.column_names.index(c)
                col = table.column(c)
                table = table.set_column(
                    i, table.schema.field(i), pc.if_else(expired, pa.nulls(1, col.type)[0], col)
                )
            new = table
        else:
            n = int(pc.sum(pc.cast(expired, pa.int64())).as_py() or 0)
            if n == 0 or dry_run:
                return n
            new = table.filter(pc.invert(expired))
        _rewrite_table(path, new)
        purge_history(path)
        return n


def _landing_expired(landing: Path, folders: tuple[str, ...], cutoff: datetime) -> list[Path]:
    from lake.sources.base import LoadUnit

    out = []
    for folder in folders:
        for f in _walk_files(landing / folder):
            unit = LoadUnit(folder, f.relative_to(landing).as_posix(), (f,))
            if unit.landing_date < cutoff.date():
                out.append(f)
    return out


def _apply_audit(database_url: str, cutoff: datetime, dry_run: bool) -> dict[str, int]:
    from sqlalchemy import delete, func, select

    from api.store.db import Store
    from api.store.models import AuditEvent, QueryAudit

    store = Store(database_url)
    try:
        out = {}
        with store.session() as s:
            for name, model, col in (
                ("store/audit_events", AuditEvent, AuditEvent.at),
                ("store/query_audit", QueryAudit, QueryAudit.received_at),
            ):
                if dry_run:
                    n = s.scalar(select(func.count()).select_from(model).where(col < cutoff))
                else:
                    n = s.execute(delete(model).where(col < cutoff)).rowcount
                out[name] = int(n or 0)
        if not dry_run and any(out.values()):
            from api.privacy import _compact

            _compact(store)
        return out
    finally:
        store.dispose()


def apply_retention(
    settings: LakeSettings,
    policy: RetentionPolicy | None = None,
    *,
    now: datetime | None = None,
    dry_run: bool = False,
    database_url: str | None = None,
) -> dict[str, Any]:
    """Delete (or blank) every expired row and landing file; returns counts per family and
    table. With ``dry_run`` nothing changes and the counts say what would go. The audit family
    needs ``database_url`` (the operational store); without it, it is reported as skipped."""
    policy = policy or RetentionPolicy.from_env()
    now = now or datetime.now(UTC)
    out: dict[str, Any] = {"dry_run": dry_run, "as_of": now.isoformat(), "families": {}}
    for fam in FAMILIES:
        cutoff = policy.cutoff(fam, now)
        entry: dict[str, Any] = {"days": policy.days.get(fam)}
        out["families"][fam] = entry
        if cutoff is None:
            entry["skipped"] = "off"
            continue
        entry["cutoff"] = cutoff.isoformat()
        tables = {r.table: _apply_rule(settings.lake, r, cutoff, dry_run) for r in RULES[fam]}
        entry["tables"] = {k: v for k, v in tables.items() if v}
        files = _landing_expired(settings.landing, LANDING.get(fam, ()), cutoff)
        if not dry_run:
            for f in files:
                f.unlink()
        entry["landing_files"] = len(files)
        if fam == "audit":
            if database_url is None:
                entry["skipped"] = "no database_url"
            else:
                entry["tables"] = _apply_audit(database_url, cutoff, dry_run)
    return out


def describe(policy: RetentionPolicy | None = None) -> dict[str, Any]:
    """The periods in force and what each family covers (for docs and the CLI)."""
    policy = policy or RetentionPolicy.from_env()
    return {
        fam: {
            "days": policy.days.get(fam),
            "variable": ENV.format(fam.upper()),
            "tables": [r.table for r in RULES[fam]]
            + (["store/audit_events", "store/query_audit"] if fam == "audit" else []),
            "landing": list(LANDING.get(fam, ())),
        }
        for fam in FAMILIES
    }
