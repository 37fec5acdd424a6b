"""Erasure in the operational store, and the whole erasure (lake + store) the CLI and the admin
API run.

``erase_from_store`` deletes every row about the student (the student's user account and what
hangs off it, consents and their history, interventions, notifications about the student, flag
feedback, at-risk states, live mastery and responses, quiz submissions, tutor questions, forum
posts, memberships, LRS statements whose actor is the student, login failures under the
student's username), anonymises what records other people's actions (audit events keep the
access but lose the student id; Trino query SQL has the identifiers replaced), closes the
student's erasure requests with the id replaced by ``erased``, and writes one ``ErasureRecord``
with counts only. On SQLite the file is then vacuumed and the WAL truncated, so deleted rows do
not survive in free pages.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, or_, select, text, update
from sqlalchemy.orm import Session

from api.store.changes import ALL
from api.store.changes import record as record_changes
from api.store.db import Store
from api.store.models import (
    AuditEvent,
    Base,
    ErasureRecord,
    ErasureRequest,
    ForumPost,
    LoginFailure,
    LrsStatement,
    QueryAudit,
    StoreChange,
    User,
    utcnow,
)
from lake.privacy.erase import (
    REDACTED,
    ErasureReport,
    Matcher,
    StudentIdentifiers,
    UnknownStudentError,
    erase_student,
    parse_student_ref,
    resolve_student,
)
from lake.settings import LakeSettings

ERASED_ID = "erased"
REASON_CODE = re.compile(r"^[a-z0-9_\-]{1,64}$")


@dataclass
class ErasureResult:
    """What one erasure did: counts per place, and the id of its ``ErasureRecord``."""

    record_id: int
    lake: ErasureReport | None
    store: dict[str, int]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready summary (no identifiers)."""
        return {
            "erasure_record_id": self.record_id,
            "lake": self.lake.as_dict() if self.lake is not None else None,
            "store": self.store,
        }


def store_identifiers(store: Store, student_id: str) -> list[str]:
    """Identifiers the store holds for the student (usernames, emails, LRS accounts)."""
    with store.session() as s:
        users = s.scalars(select(User).where(User.student_id == student_id)).all()
        return [v for u in users for v in (u.username, u.email, u.lrs_account) if v]


def _user_fk_columns() -> list[tuple[Any, Any, str]]:
    """(table, column, ondelete) of every column referencing ``users.id``."""
    out = []
    for table in Base.metadata.sorted_tables:
        for col in table.columns:
            for fk in col.foreign_keys:
                if fk.column.table.name == "users":
                    out.append((table, col, (fk.ondelete or "").upper()))
    return out


def erase_from_store(
    store: Store,
    ids: StudentIdentifiers,
    *,
    requested_by: int | None = None,
    reason_code: str = "request",
    lake_counts: dict[str, int] | None = None,
) -> tuple[int, dict[str, int]]:
    """Delete or anonymise the student's rows in every store table; write the ErasureRecord.

    Returns the record's id and the per-table counts (also stored in the record).
    """
    sid = ids.student_id
    m = Matcher(ids)
    counts: dict[str, int] = {}
    with store.session() as s:
        uids = list(
            s.scalars(
                select(User.id).where(
                    (User.student_id == sid) | User.lrs_account.in_(sorted(ids.exact))
                )
            ).all()
        )
        # Other people's rows pointing at the student's user: cascade or set null, by the FK.
        for table, col, ondelete in _user_fk_columns():
            if table.name == "users" or not uids:
                continue
            if ondelete == "CASCADE":
                n = s.execute(delete(table).where(col.in_(uids))).rowcount
            else:
                n = s.execute(update(table).where(col.in_(uids)).values({col.name: None})).rowcount
            _add(counts, table.name, n)
        _add(
            counts,
            "forum_posts",
            s.execute(
                delete(ForumPost).where(
                    or_(ForumPost.student_id == sid, ForumPost.author_id.in_(uids or [-1]))
                )
            ).rowcount,
        )
        for table in Base.metadata.sorted_tables:
            if "student_id" not in table.columns or table.name in (
                "users",
                "forum_posts",
                "audit_events",
                "erasure_requests",
            ):
                continue
            n = s.execute(delete(table).where(table.c.student_id == sid)).rowcount
            _add(counts, table.name, n)
        counts["audit_events"] = _anonymise_audit(s, sid, m)
        counts["lrs_statements"] = _delete_matching(
            s, LrsStatement, lambda r: m.deep_belongs(r.statement) or m.deep_mentions(r.statement)
        )
        counts["login_failures"] = _delete_matching(s, LoginFailure, lambda r: m.mentions(r.key))
        counts["query_audit"] = _redact_queries(s, m)
        n = 0
        for req in s.scalars(select(ErasureRequest).where(ErasureRequest.student_id == sid)):
            req.student_id = ERASED_ID
            req.status = "done"
            req.completed_at = utcnow()
            req.reason = m.redact(req.reason) if m.mentions(req.reason) else req.reason
            n += 1
        counts["erasure_requests"] = n
        counts["users"] = s.execute(delete(User).where(User.id.in_(uids))).rowcount if uids else 0
        # The change feed names students and accounts by id: forget the student's entries, then
        # (the statements above bypass the ORM's change tracking) tell every API process to drop
        # whatever it cached, without naming whom.
        counts["store_changes"] = s.execute(
            delete(StoreChange).where(StoreChange.key.in_([sid, *(str(u) for u in uids)]))
        ).rowcount
        record_changes(s, ALL, ["erasure"])
        record = ErasureRecord(
            requested_by=requested_by,
            reason_code=reason_code,
            counts={
                **{f"lake:{k}": v for k, v in (lake_counts or {}).items()},
                **{f"store:{k}": v for k, v in counts.items()},
            },
        )
        s.add(record)
        s.flush()
        record_id = record.id
    _compact(store)
    return record_id, counts


def _add(counts: dict[str, int], name: str, n: int | None) -> None:
    counts[name] = counts.get(name, 0) + max(int(n or 0), 0)


def _anonymise_audit(s: Session, sid: str, m: Matcher) -> int:
    n = 0
    for ev in s.scalars(select(AuditEvent).where(AuditEvent.student_id == sid)):
        ev.student_id = None
        ev.resource = m.redact(ev.resource) if m.mentions(ev.resource) else ev.resource
        n += 1
    for ev in s.scalars(select(AuditEvent).where(AuditEvent.resource.contains(sid))):
        ev.resource = m.redact(ev.resource)
        n += 1
    return n


def _delete_matching(s: Session, model: Any, hit: Any) -> int:
    n = 0
    for row in s.scalars(select(model)).all():
        if hit(row):
            s.delete(row)
            n += 1
    return n


def _redact_queries(s: Session, m: Matcher) -> int:
    n = 0
    for q in s.scalars(select(QueryAudit)).all():
        if m.mentions(q.sql):
            q.sql = m.redact(q.sql)
            n += 1
        if q.error and m.mentions(q.error):
            q.error = m.redact(q.error)
    return n


def _compact(store: Store) -> None:
    """SQLite keeps deleted rows in free pages and the WAL: vacuum and truncate the WAL."""
    if store.engine.dialect.name != "sqlite":
        return
    with store.engine.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        conn.execute(text("VACUUM"))
        conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))


def resolve_everywhere(settings: LakeSettings, store: Store | None, ref: str) -> StudentIdentifiers:
    """The student's identifiers from the lake, plus the store's; a ``student_id`` known only to
    the store (no lake rows) is accepted too."""
    try:
        ids = resolve_student(settings, ref)
    except UnknownStudentError:
        system, value = parse_student_ref(ref)
        if store is None or system not in (None, "student", "student_id"):
            raise
        extra = store_identifiers(store, value)
        with store.session() as s:
            known = extra or s.scalars(select(User.id).where(User.student_id == value)).first()
        if not known:
            raise
        return StudentIdentifiers(
            student_id=value,
            exact=frozenset({value.lower(), *(e.lower() for e in extra)}),
        )
    if store is not None:
        extra = store_identifiers(store, ids.student_id)
        if extra:
            ids = StudentIdentifiers(
                student_id=ids.student_id,
                exact=ids.exact | {e.strip().lower() for e in extra},
                mentions=ids.mentions,
                research_ids=ids.research_ids,
            )
    return ids


def erase_everywhere(
    settings: LakeSettings,
    store: Store | None,
    ref: str,
    *,
    reason_code: str = "request",
    requested_by: int | None = None,
    extra_identifiers: Iterable[str] = (),
) -> ErasureResult:
    """Resolve, erase from the lake (landing, tables, artefacts; verified by a scan), then from
    the store with one ``ErasureRecord``. Unknown students raise before anything changes."""
    if not REASON_CODE.match(reason_code):
        raise ValueError("reason code: 1-64 of a-z, 0-9, '_' and '-'")
    ids = resolve_everywhere(settings, store, ref)
    extra = {e.strip().lower() for e in extra_identifiers if e and e.strip()}
    if extra:
        ids = StudentIdentifiers(ids.student_id, ids.exact | extra, ids.mentions, ids.research_ids)
    report = erase_student(settings, ref, ids=ids)
    if store is None:
        return ErasureResult(record_id=0, lake=report, store={})
    record_id, counts = erase_from_store(
        store,
        ids,
        requested_by=requested_by,
        reason_code=reason_code,
        lake_counts=report.counts(),
    )
    return ErasureResult(record_id=record_id, lake=report, store=counts)


__all__ = [
    "ERASED_ID",
    "REDACTED",
    "ErasureResult",
    "erase_everywhere",
    "erase_from_store",
    "resolve_everywhere",
    "store_identifiers",
]
