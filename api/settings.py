"""The API's one settings object, read from ``LEARNSMART_*`` environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from lake.settings import LakeSettings, SettingsError

DEV_JWT_SECRET = "learnsmart-development-jwt-secret-change-me"
DEV_LRS_SECRET = "learnsmart-development-lrs-secret"
DEFAULT_DATABASE_URL = "sqlite:///data/api/learnsmart.db"


def _env(name: str, default: str) -> str:
    return os.environ.get(name, default)


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise SettingsError(f"{name} must be an integer, got {raw!r}") from exc


def _float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError as exc:
        raise SettingsError(f"{name} must be a number, got {raw!r}") from exc
    if value != value:  # NaN passes every range check
        raise SettingsError(f"{name} must be a number, got {raw!r}")
    return value


@dataclass(frozen=True)
class ApiSettings:
    """Everything the API reads from its environment.

    Secrets (``jwt_secret``, ``lrs_secret``) keep a development default only while ``env`` is
    ``development``; anywhere else a placeholder is refused at start-up.

    Attributes:
        lake: the lake settings (paths, pseudonym key) the API reads gold tables from.
        database_url: SQLAlchemy URL of the operational store (SQLite by default, PostgreSQL).
        jwt_secret: HMAC key of the API's own access tokens (HS256).
        access_ttl_s / refresh_ttl_s: lifetimes of access and refresh tokens.
        oidc_issuer / oidc_audience / oidc_jwks_url: an external OpenID Connect issuer whose
            RS256/ES256 tokens are accepted (off when ``oidc_issuer`` is empty).
        lrs_key / lrs_secret: Basic-auth credentials of the xAPI LRS client.
        trino_audit_secret: the header value Trino's query events must carry.
        login_rate / login_window_s: failed logins allowed per username and client address.
        max_body_bytes: bodies larger than this are refused with 413.
        cache_check_s: how often a gold table's Delta version is checked at most.
        change_poll_s: how often the store's change feed is read (what another process
            changed in accounts, assignments, memberships, live mastery shows here this soon).
        smtp_host / smtp_port / mail_from: outgoing e-mail (off when ``smtp_host`` is empty).
    """

    lake: LakeSettings = field(default_factory=LakeSettings)
    env: str = "development"
    database_url: str = DEFAULT_DATABASE_URL
    jwt_secret: str = field(default=DEV_JWT_SECRET, repr=False)
    access_ttl_s: int = 900
    refresh_ttl_s: int = 14 * 24 * 3600
    oidc_issuer: str = ""
    oidc_audience: str = "learnsmart"
    oidc_jwks_url: str = ""
    lrs_key: str = "learnsmart-lrs"
    lrs_secret: str = field(default=DEV_LRS_SECRET, repr=False)
    # Shared with Trino's HTTP event listener (``learnsmart trino audit-secret``); empty: the
    # query-event route refuses everything.
    trino_audit_secret: str = field(default="", repr=False)
    login_rate: int = 5
    login_window_s: int = 300
    max_body_bytes: int = 1_000_000
    cache_check_s: float = 1.0
    change_poll_s: float = 0.5
    smtp_host: str = ""
    smtp_port: int = 25
    mail_from: str = "learnsmart@localhost"
    public_url: str = "http://127.0.0.1:8000"

    @classmethod
    def from_env(cls) -> ApiSettings:
        """Read the environment; refuse development secrets outside development."""
        env = _env("LEARNSMART_ENV", "development")
        lake = LakeSettings.from_env()
        settings = cls(
            lake=lake,
            env=env,
            database_url=_env("LEARNSMART_API_DATABASE_URL", DEFAULT_DATABASE_URL),
            jwt_secret=_env("LEARNSMART_API_JWT_SECRET", DEV_JWT_SECRET),
            access_ttl_s=_int("LEARNSMART_API_ACCESS_TTL_S", 900),
            refresh_ttl_s=_int("LEARNSMART_API_REFRESH_TTL_S", 14 * 24 * 3600),
            oidc_issuer=_env("LEARNSMART_API_OIDC_ISSUER", ""),
            oidc_audience=_env("LEARNSMART_API_OIDC_AUDIENCE", "learnsmart"),
            oidc_jwks_url=_env("LEARNSMART_API_OIDC_JWKS_URL", ""),
            lrs_key=_env("LEARNSMART_API_LRS_KEY", "learnsmart-lrs"),
            lrs_secret=_env("LEARNSMART_API_LRS_SECRET", DEV_LRS_SECRET),
            trino_audit_secret=_env("LEARNSMART_TRINO_AUDIT_SECRET", ""),
            login_rate=_int("LEARNSMART_API_LOGIN_RATE", 5),
            login_window_s=_int("LEARNSMART_API_LOGIN_WINDOW_S", 300),
            max_body_bytes=_int("LEARNSMART_API_MAX_BODY_BYTES", 1_000_000),
            change_poll_s=_float("LEARNSMART_API_CHANGE_POLL_S", 0.5),
            smtp_host=_env("LEARNSMART_SMTP_HOST", ""),
            smtp_port=_int("LEARNSMART_SMTP_PORT", 25),
            mail_from=_env("LEARNSMART_MAIL_FROM", "learnsmart@localhost"),
            public_url=_env("LEARNSMART_API_PUBLIC_URL", "http://127.0.0.1:8000"),
        )
        settings.check()
        return settings

    def check(self) -> None:
        """Raise :class:`SettingsError` for unsafe or inconsistent values."""
        if self.env != "development":
            for name, value, placeholder in (
                ("LEARNSMART_API_JWT_SECRET", self.jwt_secret, DEV_JWT_SECRET),
                ("LEARNSMART_API_LRS_SECRET", self.lrs_secret, DEV_LRS_SECRET),
            ):
                if value == placeholder or "change-me" in value:
                    raise SettingsError(
                        f"{name} must be set outside development (LEARNSMART_ENV={self.env!r})"
                    )
            if len(self.jwt_secret) < 32:
                raise SettingsError("LEARNSMART_API_JWT_SECRET must be at least 32 characters")
        if self.oidc_issuer and not self.oidc_jwks_url:
            raise SettingsError("LEARNSMART_API_OIDC_JWKS_URL is required with an OIDC issuer")
        if not 0 < self.change_poll_s <= 60:
            raise SettingsError("LEARNSMART_API_CHANGE_POLL_S must lie in (0, 60] seconds")
        if self.access_ttl_s <= 0 or self.refresh_ttl_s <= self.access_ttl_s:
            raise SettingsError("token lifetimes must be positive, refresh longer than access")

    @property
    def landing(self) -> Path:
        """Landing folder the API writes learner activity to (``xapi/`` statements)."""
        return self.lake.landing
