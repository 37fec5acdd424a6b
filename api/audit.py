"""The audit trail: who read or changed which student's data, what, and when.

Events are queued in memory and written in batches by a background thread (at most every
``flush_s`` seconds, or at once when ``flush()`` is called, e.g. by tests and at shutdown), so
an audited read costs a queue append, not a database write.
"""

from __future__ import annotations

import logging
import queue
import threading
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import insert

from api.store.db import Store
from api.store.models import AuditEvent

log = logging.getLogger("learnsmart.api.audit")


@dataclass(frozen=True)
class AuditRecord:
    """One audited access."""

    actor_id: int | None
    actor_role: str
    action: str
    resource: str
    student_id: str | None
    class_id: str | None
    status_code: int
    at: datetime


class AuditLog:
    """A batched writer of :class:`AuditRecord` rows into ``audit_events``."""

    def __init__(self, store: Store, flush_s: float = 0.5) -> None:
        self.store = store
        self.flush_s = flush_s
        self._q: queue.SimpleQueue[AuditRecord] = queue.SimpleQueue()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="audit-writer", daemon=True)
        self._thread.start()

    def record(
        self,
        *,
        actor_id: int | None,
        actor_role: str,
        action: str,
        resource: str,
        student_id: str | None = None,
        class_id: str | None = None,
        status_code: int = 200,
    ) -> None:
        """Queue one event (written within ``flush_s``)."""
        self._q.put(
            AuditRecord(
                actor_id,
                actor_role,
                action,
                resource,
                student_id,
                class_id,
                status_code,
                datetime.now(UTC),
            )
        )

    def flush(self) -> int:
        """Write every queued event now; returns how many were written."""
        batch: list[AuditRecord] = []
        with self._lock:
            while True:
                try:
                    batch.append(self._q.get_nowait())
                except queue.Empty:
                    break
            if not batch:
                return 0
            try:
                with self.store.session() as s:
                    s.execute(
                        insert(AuditEvent.__table__),  # Core executemany: no ORM bulk machinery
                        [
                            {
                                "at": r.at,
                                "actor_id": r.actor_id,
                                "actor_role": r.actor_role,
                                "action": r.action,
                                "resource": r.resource,
                                "student_id": r.student_id,
                                "class_id": r.class_id,
                                "status_code": r.status_code,
                            }
                            for r in batch
                        ],
                    )
            except Exception:
                for r in batch:  # keep them for the next flush: an audit event is never dropped
                    self._q.put(r)
                raise
        return len(batch)

    def _run(self) -> None:
        while not self._stop.wait(self.flush_s):
            try:
                self.flush()
            except Exception:  # the writer must survive a transient database error
                log.exception("audit flush failed; events stay queued for the next flush")

    def close(self) -> None:
        """Stop the writer and write what is left."""
        self._stop.set()
        self._thread.join(timeout=5)
        self.flush()
