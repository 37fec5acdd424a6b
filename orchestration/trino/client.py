"""Run SQL on the Trino server as one user, with a password, over HTTPS.

The server's certificate is the one the set-up generated (``<home>/etc/tls.crt``), verified on
every connection. The session ignores ``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE`` (``trust_env``
off): those variables would otherwise replace the certificate given here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import requests
import trino
from trino.auth import BasicAuthentication
from trino.exceptions import (
    HttpError,
    TrinoConnectionError,
    TrinoExternalError,
    TrinoQueryError,
    TrinoUserError,
)

from orchestration.trino.server import TrinoError

if TYPE_CHECKING:
    from orchestration.trino.server import TrinoSettings


@dataclass(frozen=True)
class TrinoClient:
    """Credentials and address of one Trino user."""

    host: str
    port: int
    user: str
    password: str = field(repr=False)
    cert: Path
    source: str = "learnsmart"
    timeout_s: float = 300.0

    @classmethod
    def for_settings(
        cls, settings: TrinoSettings, user: str, password: str, source: str = "learnsmart"
    ) -> TrinoClient:
        return cls(settings.host, settings.https_port, user, password, settings.cert, source)

    def connect(self) -> trino.dbapi.Connection:
        session = requests.Session()
        session.trust_env = False
        session.verify = str(self.cert)
        return trino.dbapi.connect(
            host=self.host,
            port=self.port,
            user=self.user,
            http_scheme="https",
            auth=BasicAuthentication(self.user, self.password),
            http_session=session,
            source=self.source,
            request_timeout=self.timeout_s,
        )

    def query(self, sql: str, params: Sequence[Any] | None = None) -> list[list[Any]]:
        """Run one statement; its rows (``[]`` for statements without any).

        Raises:
            TrinoError: with Trino's error name and message (access denied, no such table,
                bad credentials, unreachable server, ...).
        """
        return self.columns(sql, params)[1]

    def columns(
        self, sql: str, params: Sequence[Any] | None = None
    ) -> tuple[list[str], list[list[Any]]]:
        """Column names and rows of one statement (errors as in :meth:`query`)."""
        try:
            conn = self.connect()
        except Exception as exc:  # a bad URL or certificate path
            raise TrinoError(f"cannot connect to Trino: {exc}") from exc
        try:
            cur = conn.cursor()
            if params:
                cur.execute(sql, params)
            else:
                cur.execute(sql)
            rows = [list(r) for r in cur.fetchall()]
            return [d[0] for d in cur.description or []], rows
        except (TrinoUserError, TrinoExternalError, TrinoQueryError) as exc:
            raise TrinoError(f"{exc.error_name}: {exc.message}") from exc
        except HttpError as exc:
            raise TrinoError(f"Trino refused the request: {exc}") from exc
        except (requests.exceptions.SSLError, TrinoConnectionError) as exc:
            if isinstance(exc, requests.exceptions.SSLError) or "SSLError" in str(exc):
                raise TrinoError(f"TLS failed (certificate {self.cert}): {exc}") from exc
            raise TrinoError(
                f"Trino is not reachable at https://{self.host}:{self.port}: {exc}"
            ) from exc
        except requests.exceptions.ConnectionError as exc:
            raise TrinoError(
                f"Trino is not reachable at https://{self.host}:{self.port}: {exc}"
            ) from exc
        finally:
            conn.close()
