"""Structured JSON logs, Prometheus metrics and the request middleware that feeds both.

Logs carry the route template (``/api/v1/students/{student_id}/progress``), never the concrete
path, query or body: no personal data reaches application logs.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from datetime import UTC, datetime
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_RESERVED = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


_ENCODER = json.JSONEncoder(default=str)  # one encoder: json.dumps(default=...) builds one a call


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message and the record's extras."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for k, v in record.__dict__.items():
            if k not in _RESERVED and k[0] != "_":
                out[k] = v
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return _ENCODER.encode(out)


def configure_logging(level: str = "INFO") -> None:
    """Send ``learnsmart.*`` logs as JSON lines to stderr."""
    logger = logging.getLogger("learnsmart")
    if any(isinstance(h.formatter, JsonFormatter) for h in logger.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False


class Metrics:
    """The API's Prometheus metrics, in a registry of their own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.latency = Histogram(
            "learnsmart_http_request_duration_seconds",
            "Request latency by route template, method and status class.",
            ["route", "method", "status"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
            registry=self.registry,
        )
        self.errors = Counter(
            "learnsmart_http_errors",
            "Responses with status >= 500 by route template.",
            ["route"],
            registry=self.registry,
        )

    def add_cache_collector(self, gold: Any) -> None:
        """Expose the gold cache's hits and misses (reloads)."""

        class _Cache:
            def collect(self) -> Any:
                hits = CounterMetricFamily(
                    "learnsmart_gold_cache_hits", "Gold reads served from the cache."
                )
                hits.add_metric([], gold.hits)
                misses = CounterMetricFamily(
                    "learnsmart_gold_cache_misses", "Gold reads that (re)loaded a table version."
                )
                misses.add_metric([], gold.misses)
                return [hits, misses]

        self.registry.register(_Cache())


class RequestMiddleware:
    """Times every request, counts errors, refuses oversized bodies, logs one line per request."""

    def __init__(self, app: ASGIApp, metrics: Metrics, max_body_bytes: int) -> None:
        self.app = app
        self.metrics = metrics
        self.max_body = max_body_bytes
        self.log = logging.getLogger("learnsmart.api.access")
        self._series: dict[tuple[str, str, int], Any] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500
        length = _content_length(scope)
        if length is not None and length > self.max_body:
            await _too_large(scope, send)
            self._observe(scope, 413, start)
            return
        received = 0
        refused = False
        started = False

        async def limited_receive() -> Message:
            nonlocal received, refused
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body:
                    refused = True
                    raise _BodyTooLargeError
            return message

        async def capture_send(message: Message) -> None:
            nonlocal status, started
            if refused and not started:
                # The app's own answer to the refused read (FastAPI turns any error while it
                # parses a body into a 400) is dropped: the client gets the 413 sent below.
                return
            if message["type"] == "http.response.start":
                status = message["status"]
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, capture_send)
        except _BodyTooLargeError:
            pass
        finally:
            if refused and not started:
                await _too_large(scope, send)
                status = 413
            self._observe(scope, status, start)

    def _observe(self, scope: Scope, status: int, start: float) -> None:
        elapsed = time.perf_counter() - start
        route = getattr(scope.get("route"), "path", "unmatched")
        method = scope["method"]
        key = (route, method, status // 100)
        series = self._series.get(key)
        if series is None:  # labels() takes a lock and builds a tuple: resolve each series once
            series = self._series[key] = self.metrics.latency.labels(
                route, method, f"{status // 100}xx"
            )
        series.observe(elapsed)
        if status >= 500:
            self.metrics.errors.labels(route).inc()
        if self.log.isEnabledFor(logging.INFO):
            # makeRecord + handle: what log.info does, without looking up the caller's source
            # line on every request (the JSON line does not show it).
            self.log.handle(
                self.log.makeRecord(
                    self.log.name,
                    logging.INFO,
                    __file__,
                    0,
                    "request",
                    (),
                    None,
                    extra={
                        "method": method,
                        "route": route,
                        "status": status,
                        "ms": round(elapsed * 1000, 2),
                        "user": scope.get("state", {}).get("user_id"),
                    },
                )
            )


class _BodyTooLargeError(Exception):
    pass


def _content_length(scope: Scope) -> int | None:
    for k, v in scope.get("headers", ()):
        if k == b"content-length":
            try:
                return int(v)
            except ValueError:
                return None
    return None


async def _too_large(scope: Scope, send: Send) -> None:
    body = json.dumps(
        {
            "type": "https://learnsmart.example/problems/content-too-large",
            "title": "Content Too Large",
            "status": 413,
            "detail": "The request body is larger than this API accepts.",
            "instance": scope.get("path", ""),
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
