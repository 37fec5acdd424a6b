"""A small, typed client of the LearnSmart API used by the apps.

Every failure becomes an :class:`ApiError` whose ``message`` is a sentence a person can read
(the API's problem ``detail``, or what went wrong with the connection): the apps show it and
never a stack trace.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import httpx

API_PREFIX = "/api/v1"
DEFAULT_API_URL = "http://127.0.0.1:8000"
TIMEOUT_S = 30.0


def api_url() -> str:
    """The API's base address (``LEARNSMART_API_URL``, default the demo's)."""
    return os.environ.get("LEARNSMART_API_URL", DEFAULT_API_URL).rstrip("/")


class ApiError(Exception):
    """A request the API refused or could not answer, with a readable ``message``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message

    @property
    def is_denied(self) -> bool:
        """The caller is not allowed (403) or not signed in (401)."""
        return self.status in (401, 403)


def _message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        detail = body.get("detail") or body.get("title")
        if isinstance(detail, str) and detail:
            return detail
        errors = body.get("errors")
        if isinstance(errors, list) and errors:
            first = errors[0]
            if isinstance(first, dict) and first.get("msg"):
                return str(first["msg"])
    return f"The service answered {response.status_code} {response.reason_phrase}."


@dataclass
class ApiClient:
    """Calls the API as one user (``token``), or anonymously to sign in."""

    base_url: str
    token: str | None = None
    timeout_s: float = TIMEOUT_S

    def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        headers = {"Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        try:
            response = httpx.request(
                method,
                f"{self.base_url}{API_PREFIX}{path}",
                headers=headers,
                timeout=self.timeout_s,
                **kwargs,
            )
        except httpx.TimeoutException as exc:
            raise ApiError(0, "The LearnSmart service took too long to answer.") from exc
        except httpx.HTTPError as exc:
            raise ApiError(0, "The LearnSmart service cannot be reached right now.") from exc
        if response.status_code >= 400:
            raise ApiError(response.status_code, _message(response))
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        """GET ``path`` (below ``/api/v1``) and return its JSON."""
        return self._request("GET", path, params=params)

    def post(self, path: str, body: dict[str, Any] | None = None) -> Any:
        """POST a JSON body to ``path`` and return the JSON answer."""
        return self._request("POST", path, json=body or {})

    def patch(self, path: str, body: dict[str, Any]) -> Any:
        """PATCH a JSON body to ``path`` and return the JSON answer."""
        return self._request("PATCH", path, json=body)

    def login(self, username: str, password: str) -> dict[str, Any]:
        """Sign in; returns the token pair (``access_token``, ``refresh_token``, ``role``)."""
        return self.post("/auth/login", {"username": username, "password": password})

    def all_pages(self, path: str, params: dict[str, Any] | None = None) -> list[Any]:
        """Every item of a paged list (``items``/``total``), fetched 200 at a time."""
        items: list[Any] = []
        offset = 0
        while True:
            page = self.get(path, {**(params or {}), "limit": 200, "offset": offset})
            items.extend(page["items"])
            offset += len(page["items"])
            if not page["items"] or offset >= page["total"]:
                return items
