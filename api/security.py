"""Passwords (argon2id), the API's own JWTs (HS256) and tokens from an OpenID Connect issuer."""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from api.settings import ApiSettings

ROLES = ("student", "teacher", "admin", "researcher")
ISSUER = "learnsmart-api"
_hasher = PasswordHasher()
# Verifying against this keeps a failed login for an unknown user as slow as for a known one.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class TokenError(Exception):
    """A token is missing, malformed, expired, forged or of the wrong kind."""


def hash_password(password: str) -> str:
    """An argon2id hash of ``password``."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; the same work whether or not the user exists."""
    try:
        ok = _hasher.verify(password_hash or _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return False
    return ok and password_hash is not None


@dataclass(frozen=True)
class Principal:
    """Who is calling: taken from a verified access token."""

    user_id: int
    username: str
    role: str
    student_id: str | None = None
    language: str = "en"
    token_id: str = field(default="", repr=False)


def issue_access_token(settings: ApiSettings, principal: Principal) -> str:
    """A short-lived HS256 access token carrying the caller's id, role and student."""
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "sub": str(principal.user_id),
        "name": principal.username,
        "role": principal.role,
        "sid": principal.student_id,
        "lang": principal.language,
        "typ": "access",
        "iat": now,
        "exp": now + settings.access_ttl_s,
        "jti": secrets.token_hex(8),
    }
    return jwt.encode(claims, settings.jwt_secret, algorithm="HS256")


def issue_refresh_token(settings: ApiSettings, user_id: int) -> tuple[str, str, int]:
    """A refresh token, its id (stored server-side so it can be revoked) and its expiry."""
    now = int(time.time())
    jti = secrets.token_hex(16)
    exp = now + settings.refresh_ttl_s
    claims = {"iss": ISSUER, "sub": str(user_id), "typ": "refresh", "iat": now, "exp": exp}
    claims["jti"] = jti
    return jwt.encode(claims, settings.jwt_secret, algorithm="HS256"), jti, exp


def decode_own(settings: ApiSettings, token: str, kind: str) -> dict[str, Any]:
    """Claims of one of our tokens of ``kind`` (``access`` or ``refresh``), else TokenError.

    Only HS256 is accepted: ``alg=none`` and algorithm-confusion tokens are refused.
    """
    try:
        claims = jwt.decode(
            token,
            settings.jwt_secret,
            algorithms=["HS256"],
            issuer=ISSUER,
            options={"require": ["exp", "iat", "sub", "typ", "jti", "iss"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise TokenError("token expired") from exc
    except jwt.PyJWTError as exc:
        raise TokenError("invalid token") from exc
    if claims.get("typ") != kind:
        raise TokenError(f"not an {kind} token")
    return claims


def principal_from_access(claims: dict[str, Any]) -> Principal:
    """The caller described by verified access-token claims."""
    role = claims.get("role")
    if role not in ROLES:
        raise TokenError("token has no valid role")
    try:
        user_id = int(claims["sub"])
    except (TypeError, ValueError) as exc:
        raise TokenError("token subject is not a user id") from exc
    return Principal(
        user_id=user_id,
        username=str(claims.get("name", "")),
        role=role,
        student_id=claims.get("sid"),
        language=str(claims.get("lang") or "en"),
        token_id=str(claims.get("jti", "")),
    )


class OidcVerifier:
    """Verifies tokens of an external OpenID Connect issuer through its JWKS.

    Keys are fetched from ``oidc_jwks_url`` and cached; a token signed with an unknown ``kid``
    makes the client refetch the key set (key rotation).
    """

    ALGORITHMS = ("RS256", "ES256", "PS256")

    def __init__(self, settings: ApiSettings) -> None:
        self.settings = settings
        self._client = jwt.PyJWKClient(
            settings.oidc_jwks_url, cache_keys=True, lifespan=300, timeout=5
        )
        self._lock = threading.Lock()

    def is_external(self, token: str) -> bool:
        """True when ``token`` claims to come from the configured issuer (unverified peek)."""
        try:
            claims = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            return False
        return bool(self.settings.oidc_issuer) and claims.get("iss") == self.settings.oidc_issuer

    def verify(self, token: str) -> dict[str, Any]:
        """Verified claims of an issuer token, else TokenError."""
        try:
            header = jwt.get_unverified_header(token)
            if header.get("alg") not in self.ALGORITHMS:
                raise TokenError("algorithm not allowed")
            with self._lock:
                key = self._client.get_signing_key_from_jwt(token)
            return jwt.decode(
                token,
                key.key,
                algorithms=list(self.ALGORITHMS),
                audience=self.settings.oidc_audience,
                issuer=self.settings.oidc_issuer,
                options={"require": ["exp", "iat", "sub", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise TokenError("token expired") from exc
        except (jwt.PyJWTError, jwt.PyJWKClientError) as exc:
            raise TokenError("invalid token") from exc
