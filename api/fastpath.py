"""A pure-ASGI fast path for the hot GET read routes.

Under load, most of a read's cost was FastAPI's machinery around it, not the read: dependency
injection, and a thread-pool hop for each synchronous dependency and for the endpoint (with the
GIL handed back and forth each time). The endpoints themselves are cheap, because their bodies
come from :class:`api.cache.ResponseCache`.

:class:`FastReads` serves the routes listed in :data:`HOT_ROUTES` by calling the *same* endpoint
functions with the *same* arguments FastAPI would resolve, on the event loop:

- the path must match the route's template, with every path parameter valid under the route's
  own constraints (validated with the route's own ``Path(...)`` field info);
- there must be no query string (query parameters take their declared defaults);
- the caller is authenticated by :func:`api.deps.authenticate` (what ``current_principal``
  calls), and a role-restricted route applies the roles of its ``require_roles`` dependency;
- the endpoint then runs the usual access rules (``authorize_student``/``authorize_class``,
  audited as always) and returns its cached body.

Anything it is not sure about goes, untouched, to the normal FastAPI route: another method or
path, a query string, a missing or unusual ``Authorization`` header, an invalid or expired token,
an inactive account, a role the route refuses, an invalid path parameter. Nothing has happened
by then (no audit record, no state), so FastAPI answers exactly as it would have. Errors raised
once the endpoint runs (403 from the access rules, 404) are answered as problem documents by the
same function the app's exception handler uses.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

import fastapi.routing
from fastapi import FastAPI, Request
from fastapi.routing import APIRoute
from pydantic import TypeAdapter, ValidationError
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from api.deps import Services, authenticate, current_principal, services
from api.problems import ApiError, problem_response
from api.security import Principal

# The read routes worth a fast path (the benchmark's read mix and the dashboards' hot reads).
HOT_ROUTES: tuple[str, ...] = (
    "/api/v1/students/{student_id}/progress",
    "/api/v1/students/{student_id}/mastery",
    "/api/v1/students/{student_id}/recommendations",
    "/api/v1/students/me/classes",
    "/api/v1/classes/{class_id}/roster",
    "/api/v1/classes/{class_id}/overview",
    "/api/v1/classes/{class_id}/at-risk",
    "/api/v1/classes/{class_id}/item-analysis",
    "/api/v1/classes/{class_id}/module-progress",
    "/api/v1/classes/{class_id}/video-engagement",
)
_PARAM = re.compile(r"{([A-Za-z_][A-Za-z0-9_]*)}")


class NotFastError(Exception):
    """A route cannot be served by the fast path (a parameter kind it does not resolve)."""


@dataclass(frozen=True)
class FastRoute:
    """One route the fast path serves and how to resolve its endpoint's arguments."""

    route: APIRoute
    pattern: re.Pattern[str]
    endpoint: Callable[..., Any]
    path_params: dict[str, TypeAdapter[Any]]
    defaults: dict[str, Any]
    request_param: str | None
    services_param: str | None
    principal_param: str | None
    roles: frozenset[str] | None  # None: any signed-in caller


def _compile(route: APIRoute) -> FastRoute:
    """The fast form of ``route``, or NotFastError when it uses anything but path parameters,
    query parameters with defaults, the request, the services and the (role-checked) caller."""
    dependant = route.dependant
    if dependant.header_params or dependant.cookie_params or dependant.body_params:
        raise NotFastError(f"{route.path}: header, cookie or body parameters")
    if dependant.response_param_name or dependant.background_tasks_param_name:
        raise NotFastError(f"{route.path}: response or background-task parameters")
    if dependant.websocket_param_name or dependant.http_connection_param_name:
        raise NotFastError(f"{route.path}: connection parameters")
    services_param = principal_param = None
    roles: frozenset[str] | None = None
    for dep in dependant.dependencies:
        call = dep.call
        if call is services:
            services_param = dep.name
        elif call is current_principal:
            principal_param = dep.name
        elif isinstance(getattr(call, "roles", None), frozenset):
            principal_param, roles = dep.name, call.roles  # type: ignore[union-attr]
        else:
            raise NotFastError(f"{route.path}: dependency {call!r}")
    if principal_param is None or services_param is None:
        raise NotFastError(f"{route.path}: not an authenticated route")
    path_params: dict[str, TypeAdapter[Any]] = {}
    for field in dependant.path_params:
        # The route's own constraints (length, pattern), validated as FastAPI validates them.
        path_params[field.name] = TypeAdapter(
            Annotated[field.field_info.annotation, field.field_info]
        )
    defaults: dict[str, Any] = {}
    for field in dependant.query_params:
        if field.field_info.is_required():
            raise NotFastError(f"{route.path}: required query parameter {field.name}")
        defaults[field.name] = field.field_info.get_default(call_default_factory=True)
    names = _PARAM.findall(route.path)
    if sorted(names) != sorted(path_params):
        raise NotFastError(f"{route.path}: path parameters differ from the template")
    regex = "".join(
        re.escape(part) if i % 2 == 0 else f"(?P<{part}>[^/]+)"
        for i, part in enumerate(_PARAM.split(route.path))
    )
    endpoint = dependant.call
    if endpoint is None or inspect.iscoroutinefunction(endpoint):
        raise NotFastError(f"{route.path}: not a plain function endpoint")
    return FastRoute(
        route=route,
        pattern=re.compile(regex),
        endpoint=endpoint,
        path_params=path_params,
        defaults=defaults,
        request_param=dependant.request_param_name,
        services_param=services_param,
        principal_param=principal_param,
        roles=roles,
    )


def _route_table(app: FastAPI) -> list[tuple[str, set[str], Any, int]]:
    """(path, methods, route, dependencies as included) of every route, in matching order.

    FastAPI versions that include routers lazily keep them behind ``iter_route_contexts``
    (an included router's own dependencies then live on the inclusion context, not on the
    route); older ones list every route in ``app.routes``.
    """
    iter_contexts = getattr(fastapi.routing, "iter_route_contexts", None)
    entries: list[Any] = list(iter_contexts(app.routes)) if iter_contexts else list(app.routes)
    table = []
    for entry in entries:
        if not getattr(entry, "path", None):
            continue
        route = getattr(entry, "original_route", entry)
        included = getattr(entry, "_route_context", None)
        deps = getattr(included, "dependencies", None)
        n_deps = len(deps) if deps is not None else len(getattr(route, "dependencies", ()))
        table.append((entry.path, set(entry.methods or ()), route, n_deps))
    return table


def _segments_overlap(a: str, b: str) -> bool:
    """Whether some path could match both templates (``{x}`` matches any one segment; a
    ``{x:path}`` parameter any rest of the path)."""
    sa, sb = a.strip("/").split("/"), b.strip("/").split("/")
    for x, y in zip(sa, sb, strict=False):
        if x.endswith(":path}") or y.endswith(":path}"):
            return True
        if x != y and not x.startswith("{") and not y.startswith("{"):
            return False
    return len(sa) == len(sb)


class FastReadRoutes:
    """The compiled hot routes of one app, and a switch (tests compare both paths)."""

    def __init__(self, app: FastAPI, paths: tuple[str, ...] = HOT_ROUTES) -> None:
        self.enabled = True
        self.routes: list[FastRoute] = []
        self._table = _route_table(app)
        for path in paths:
            entry = next(
                (
                    e
                    for e in self._table
                    if e[0] == path and "GET" in e[1] and isinstance(e[2], APIRoute)
                ),
                None,
            )
            if entry is None:
                raise NotFastError(f"no GET route {path}")
            if entry[3] != len(entry[2].dependencies):
                raise NotFastError(f"{path}: its router was included with dependencies")
            self.routes.append(_compile(entry[2]))
        self.services: Services = app.state.services
        self.served = 0
        self.passed = 0
        self._check_shadowing()

    def _check_shadowing(self) -> None:
        """Refuse a fast route that an earlier route of the app would match first (FastAPI
        picks the first route whose template matches, whatever its constraints); a mount
        (no methods) shadows what lies under it."""
        for fast in self.routes:
            for path, methods, route, _ in self._table:
                if route is fast.route:
                    break
                if ("GET" in methods and _segments_overlap(path, fast.route.path)) or (
                    not methods and fast.route.path.startswith(path.rstrip("/") + "/")
                ):
                    raise NotFastError(f"{fast.route.path} is shadowed by {path}")

    def match(self, path: str) -> tuple[FastRoute, dict[str, Any]] | None:
        """The fast route of ``path`` and its validated path parameters, else None."""
        for fast in self.routes:
            m = fast.pattern.fullmatch(path)
            if m is None:
                continue
            params: dict[str, Any] = {}
            try:
                for name, value in m.groupdict().items():
                    params[name] = fast.path_params[name].validate_python(value)
            except ValidationError:
                return None  # FastAPI answers 422
            return fast, params
        return None


def _bearer_token(scope: Scope) -> str | None:
    """The token of a plain ``Authorization: Bearer <token>`` header (exactly one), else None."""
    found = None
    for name, value in scope["headers"]:
        if name == b"authorization":
            if found is not None:
                return None
            found = value
    if found is None or not found.startswith(b"Bearer "):
        return None
    token = found[7:]
    if not token or b" " in token:
        return None
    return token.decode("latin-1")


class FastReads:
    """ASGI middleware: the hot GET read routes without FastAPI's dependency injection.

    Sits inside :class:`api.observability.RequestMiddleware` (which times and logs every
    request by its route template, taken from ``scope["route"]`` as for routed requests).
    """

    def __init__(self, app: ASGIApp, routes: FastReadRoutes) -> None:
        self.app = app
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "GET"
            or not self.routes.enabled
            or scope.get("query_string")
            or scope.get("root_path")
        ):
            await self.app(scope, receive, send)
            return
        response = self._serve(scope)
        if response is None:
            self.routes.passed += 1
            await self.app(scope, receive, send)
            return
        self.routes.served += 1
        await response(scope, receive, send)

    def _serve(self, scope: Scope) -> Response | None:
        """The response of a hot route, or None to let FastAPI handle the request."""
        hit = self.routes.match(scope["path"])
        if hit is None:
            return None
        fast, params = hit
        token = _bearer_token(scope)
        if token is None:
            return None
        svc: Services = self.routes.services
        try:
            principal: Principal = authenticate(svc, token)
        except ApiError:
            return None  # FastAPI answers 401, with its challenge
        if fast.roles is not None and principal.role not in fast.roles:
            return None  # FastAPI answers 403
        scope.setdefault("state", {})["user_id"] = principal.user_id
        scope["route"] = fast.route
        scope["endpoint"] = fast.endpoint
        scope["path_params"] = params
        request = Request(scope)
        kwargs: dict[str, Any] = {**fast.defaults, **params}
        kwargs[fast.services_param or "svc"] = svc
        kwargs[fast.principal_param or "principal"] = principal
        if fast.request_param:
            kwargs[fast.request_param] = request
        try:
            result = fast.endpoint(**kwargs)
        except ApiError as exc:
            return problem_response(
                request, exc.status, exc.detail, kind=exc.kind, headers=exc.headers
            )
        if not isinstance(result, Response):
            raise TypeError(f"{fast.route.path} must return a Response for the fast path")
        return result
