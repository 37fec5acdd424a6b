"""The LearnSmart API: ``uvicorn api.main:app`` (or ``create_app`` in tests).

Start-up migrates the operational store, loads the gold tables into the cache and starts the
audit writer, the notification scanner and the store's change-feed watcher; shutdown flushes
the audit log.
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from api import problems
from api.audit import AuditLog
from api.cache import ResponseCache
from api.deps import Services
from api.fastpath import FastReadRoutes, FastReads
from api.gold import Gold
from api.learner import MasteryService
from api.lrs import statements as lrs
from api.notify import scan_at_risk, scan_urgent_posts
from api.observability import Metrics, RequestMiddleware, configure_logging
from api.routers import (
    admin,
    auth,
    classes,
    drafts,
    forum,
    notifications,
    privacy,
    quizzes,
    students,
    trino_audit,
    tutor,
)
from api.security import OidcVerifier
from api.settings import ApiSettings
from api.store.changes import ChangeFeed
from api.store.db import Store, migrate
from api.tutor import TutorService
from api.urgency import UrgencyScorer

log = logging.getLogger("learnsmart.api")
DESCRIPTION = """
The one door to student-level data in LearnSmart.

* **Sign in** at `/api/v1/auth/login` (or the *Authorize* button) to get a bearer token.
* **Roles:** a student sees only themself; a teacher only the classes assigned to them; an
  admin everything; a researcher no student-level data (researchers use Trino).
* **Errors** are RFC 9457 problem details (`application/problem+json`).
* **Lists** are paginated with `limit` and `offset`.
* Every read or change of a student's data is audited.
"""


def build_services(settings: ApiSettings) -> Services:
    """The long-lived objects of one process (store migrated, caches empty)."""
    migrate(settings.database_url)
    store = Store(settings.database_url)
    gold = Gold(settings.lake.lake, settings.cache_check_s)
    metrics = Metrics()
    metrics.add_cache_collector(gold)
    svc = Services(
        settings=settings,
        store=store,
        gold=gold,
        audit=AuditLog(store),
        metrics=metrics,
        oidc=OidcVerifier(settings) if settings.oidc_issuer else None,
    )
    svc.responses = ResponseCache(gold)
    svc.extras["mastery"] = MasteryService(gold, store, settings.lake.lake)
    svc.extras["tutor"] = TutorService(settings.lake.lake)
    urgency = UrgencyScorer(settings.lake.lake)
    if urgency.available():
        svc.extras["urgency_model"] = urgency
    return svc


def _scanner(svc: Services, stop: threading.Event, every_s: float) -> None:
    """Every ``every_s`` seconds, notify teachers of students turning at-risk and of urgent
    forum posts the pipeline labelled (``api.notify``)."""
    while not stop.wait(every_s):
        try:
            scan_at_risk(svc)
        except Exception:  # keep scanning: a failed scan is retried at the next tick
            log.exception("at-risk scan failed")
        try:
            scan_urgent_posts(svc)
        except Exception:
            log.exception("urgent post scan failed")


def _watcher(svc: Services, feed: ChangeFeed, stop: threading.Event, every_s: float) -> None:
    """Apply the store's change feed to this process's caches every ``every_s`` seconds."""
    pruned_at = time.monotonic()
    while not stop.wait(every_s):
        try:
            changes = feed.poll()
            if changes:
                svc.apply_changes(changes)
            if time.monotonic() - pruned_at > 600:
                pruned_at = time.monotonic()
                feed.prune()
        except Exception:  # keep watching: a failed poll is retried at the next tick
            log.exception("change feed poll failed")


def create_app(settings: ApiSettings | None = None, *, scan_every_s: float = 300.0) -> FastAPI:
    """A configured application (settings from the environment when not given)."""
    settings = settings or ApiSettings.from_env()
    configure_logging()
    svc = build_services(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        svc.gold.warm()
        if svc.gold.exists("fct_skill_attempt_sequences"):
            svc.extras["mastery"].model()  # load (or, without an artefact, fit) before serving
        svc.extras["tutor"].warm()
        if isinstance(svc.extras.get("urgency_model"), UrgencyScorer):
            svc.extras["urgency_model"].warm()
        # What start-up built (gold indexes, models, imported modules) lives as long as the
        # process: move it out of the cyclic collector's reach, so that a full collection no
        # longer walks it (hundreds of milliseconds, during which no request is answered).
        # Acyclic garbage among these objects is still freed by reference counting.
        gc.collect()
        gc.freeze()
        stop = threading.Event()
        thread = threading.Thread(
            target=_scanner, args=(svc, stop, scan_every_s), name="notify-scan", daemon=True
        )
        thread.start()
        feed = ChangeFeed(svc.store.sessions)
        svc.extras["change_feed"] = feed  # for /health
        watcher = threading.Thread(
            target=_watcher,
            args=(svc, feed, stop, settings.change_poll_s),
            name="change-feed",
            daemon=True,
        )
        watcher.start()
        log.info("api started", extra={"store": svc.store.engine.dialect.name})
        try:
            yield
        finally:
            stop.set()
            svc.audit.close()
            svc.store.dispose()

    app = FastAPI(
        title="LearnSmart API",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        openapi_tags=[
            {"name": "auth", "description": "Sign-in, tokens, sign-out."},
            {"name": "students", "description": "A student's profile and learning data."},
            {"name": "classes", "description": "Teachers' views of a class."},
            {"name": "quizzes", "description": "Quizzes and scored submissions."},
            {"name": "forum", "description": "Class forums."},
            {"name": "tutor", "description": "Questions answered from course pages."},
            {"name": "notifications", "description": "In-app notifications."},
            {"name": "admin", "description": "Users, assignments, consent, erasure, audit."},
            {"name": "xapi", "description": "An xAPI 1.0.3 LRS subset (Basic auth)."},
            {"name": "ops", "description": "Health and metrics."},
        ],
    )
    app.state.services = svc
    problems.install(app)
    # The problem documents each router can answer with. 400: a body that is not JSON text;
    # 413: any request, from the middleware. A 401 outside /auth always carries a challenge
    # (Bearer; Basic on /xapi).
    challenge = {401: {"WWW-Authenticate": True}}
    for router, statuses, headers in (
        (
            auth.router,
            (400, 401, 404, 413, 422, 429),
            {401: {"WWW-Authenticate": False}, 429: {"Retry-After": True}},
        ),
        (students.router, (400, 401, 403, 404, 409, 413, 422), challenge),
        (classes.router, (400, 401, 403, 404, 413, 422), challenge),
        (drafts.router, (400, 401, 403, 404, 409, 413, 422), challenge),
        (quizzes.router, (400, 401, 403, 404, 409, 413, 422), challenge),
        (forum.router, (400, 401, 403, 404, 413, 422), challenge),
        (tutor.router, (400, 401, 403, 413, 422), challenge),
        (notifications.router, (401, 404, 413, 422), challenge),
        (admin.router, (400, 401, 403, 404, 409, 413, 422), challenge),
        (privacy.router, (400, 401, 403, 404, 409, 413, 422), challenge),
        (trino_audit.router, (400, 401, 403, 413, 422), challenge),
        (lrs.router, (400, 401, 404, 409, 413, 422), challenge),
    ):
        app.include_router(router, responses=problems.error_responses(*statuses, headers=headers))

    @app.get(
        "/health",
        tags=["ops"],
        summary="Liveness and readiness",
        responses=problems.error_responses(413),
    )
    def health() -> JSONResponse:
        """Up, with the gold tables' versions the cache serves and, once started, the state of
        the store's change feed reader (``last_id``, ``seconds_since_poll``)."""
        versions = {name: t.snapshot()[0].version for name, t in svc.gold.tables.items()}
        body: dict[str, Any] = {"status": "ok", "gold_versions": versions}
        feed = svc.extras.get("change_feed")
        if feed is not None:
            body["change_feed"] = feed.status()
        return JSONResponse(body)

    @app.get(
        "/metrics",
        tags=["ops"],
        summary="Prometheus metrics",
        response_class=PlainTextResponse,
        responses=problems.error_responses(413),
    )
    def metrics() -> Response:
        """Request latency histograms, errors and gold-cache hits."""
        return Response(generate_latest(svc.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    # Inside the request middleware, so fast reads are timed, counted and logged like any other.
    app.state.fast_reads = FastReadRoutes(app)
    app.add_middleware(FastReads, routes=app.state.fast_reads)
    app.add_middleware(
        RequestMiddleware, metrics=svc.metrics, max_body_bytes=settings.max_body_bytes
    )
    return app


def __getattr__(name: str) -> FastAPI:
    """``api.main:app`` for uvicorn, built on first access from the environment."""
    if name == "app":
        global app
        app = create_app()
        return app
    raise AttributeError(name)
