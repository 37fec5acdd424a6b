"""Sign-in with a password, token refresh (rotation) and sign-out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.security import OAuth2PasswordRequestForm
from sqlalchemy import delete, func, select

from api.deps import PrincipalDep, Services, ServicesDep
from api.problems import ApiError
from api.schemas.auth import LoginRequest, MePatch, RefreshRequest, TokenPair, UserOut
from api.schemas.common import Ok
from api.security import (
    Principal,
    TokenError,
    decode_own,
    issue_access_token,
    issue_refresh_token,
    verify_password,
)
from api.store.models import LoginFailure, RefreshToken, User

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])
_FAILED = ApiError(401, "Unknown username or wrong password.", kind="invalid-credentials")


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _check_rate(svc: Services, keys: list[str]) -> None:
    """429 when a username/client pair (or a client overall) failed too often lately."""
    since = datetime.now(UTC) - timedelta(seconds=svc.settings.login_window_s)
    with svc.store.session() as s:
        s.execute(delete(LoginFailure).where(LoginFailure.at < since))
        for key, limit in zip(
            keys, (svc.settings.login_rate, svc.settings.login_rate * 4), strict=True
        ):
            n = s.scalar(
                select(func.count()).where(LoginFailure.key == key, LoginFailure.at >= since)
            )
            if (n or 0) >= limit:
                raise ApiError(
                    429,
                    "Too many failed sign-ins; wait a few minutes and try again.",
                    kind="too-many-requests",
                    headers={"Retry-After": str(svc.settings.login_window_s)},
                )


def _tokens(svc: Services, user: User) -> TokenPair:
    principal = Principal(user.id, user.username, user.role, user.student_id, user.language)
    refresh, jti, exp = issue_refresh_token(svc.settings, user.id)
    with svc.store.session() as s:
        s.add(RefreshToken(jti=jti, user_id=user.id, expires_at=datetime.fromtimestamp(exp, UTC)))
    return TokenPair(
        access_token=issue_access_token(svc.settings, principal),
        refresh_token=refresh,
        expires_in=svc.settings.access_ttl_s,
        role=user.role,  # type: ignore[arg-type]
    )


def _login(svc: Services, request: Request, username: str, password: str) -> TokenPair:
    keys = [f"user:{username.lower()}|{_client(request)}", f"client:{_client(request)}"]
    _check_rate(svc, keys)
    with svc.store.session() as s:
        user = s.scalars(select(User).where(User.username == username)).first()
    if user is None or not user.is_active or not verify_password(user.password_hash, password):
        with svc.store.session() as s:
            s.add_all([LoginFailure(key=k) for k in keys])
        raise _FAILED
    return _tokens(svc, user)


@router.post("/login", summary="Sign in with a username and password")
def login(body: LoginRequest, request: Request, svc: ServicesDep) -> TokenPair:
    """Returns an access token and a refresh token. Failed attempts are rate-limited."""
    return _login(svc, request, body.username, body.password)


@router.post("/token", summary="OAuth2 password flow (for the interactive docs)")
def token(
    form: Annotated[OAuth2PasswordRequestForm, Depends()], request: Request, svc: ServicesDep
) -> TokenPair:
    """The same as ``/login``, as an OAuth2 password form."""
    return _login(svc, request, form.username, form.password)


@router.post("/refresh", summary="Exchange a refresh token for new tokens")
def refresh(body: RefreshRequest, svc: ServicesDep) -> TokenPair:
    """The refresh token is single-use: it is revoked and a new pair issued."""
    try:
        claims = decode_own(svc.settings, body.refresh_token, "refresh")
    except TokenError as exc:
        raise ApiError(
            401, f"The refresh token is not valid ({exc}).", kind="unauthorized"
        ) from exc
    now = datetime.now(UTC)
    with svc.store.session() as s:
        row = s.get(RefreshToken, claims["jti"])
        if row is None or row.revoked_at is not None:
            raise ApiError(401, "The refresh token was revoked or used.", kind="unauthorized")
        row.revoked_at = now
        user = s.get(User, row.user_id)
    if user is None or not user.is_active:
        raise ApiError(401, "This account is not active.", kind="unauthorized")
    return _tokens(svc, user)


@router.post("/logout", summary="Revoke a refresh token")
def logout(body: RefreshRequest, principal: PrincipalDep, svc: ServicesDep) -> Ok:
    """Revokes the refresh token (access tokens expire on their own within minutes)."""
    try:
        claims = decode_own(svc.settings, body.refresh_token, "refresh")
    except TokenError as exc:
        raise ApiError(400, f"The refresh token is not valid ({exc}).") from exc
    with svc.store.session() as s:
        row = s.get(RefreshToken, claims["jti"])
        if row is None or row.user_id != principal.user_id:
            raise ApiError(400, "This refresh token is not yours.")
        row.revoked_at = row.revoked_at or datetime.now(UTC)
    return Ok()


@router.get("/me", summary="The signed-in user")
def me(principal: PrincipalDep, svc: ServicesDep) -> UserOut:
    """Who the access token belongs to."""
    with svc.store.session() as s:
        user = s.get(User, principal.user_id)
    if user is None:
        raise ApiError(404, "User not found.")
    return UserOut.model_validate(user, from_attributes=True)


@router.patch("/me", summary="Change my own settings (language, display name)")
def update_me(body: MePatch, principal: PrincipalDep, svc: ServicesDep) -> UserOut:
    """The apps call this when a user picks their language."""
    changes = body.model_dump(exclude_none=True)
    if not changes:
        raise ApiError(422, "Nothing to change: send a language or a display name.")
    with svc.store.session() as s:
        user = s.get(User, principal.user_id)
        if user is None:
            raise ApiError(404, "User not found.")
        for name, value in changes.items():
            setattr(user, name, value)
        s.flush()
        return UserOut.model_validate(user, from_attributes=True)
