"""Sign-in, tokens and the signed-in user."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Role = Literal["student", "teacher", "admin", "researcher"]


class LoginRequest(BaseModel):
    """Username and password."""

    username: str = Field(min_length=1, max_length=128)
    password: str = Field(min_length=1, max_length=256)


class RefreshRequest(BaseModel):
    """A refresh token to exchange (or revoke)."""

    refresh_token: str = Field(min_length=1, max_length=2048)


class TokenPair(BaseModel):
    """An access token (short-lived) and a refresh token (rotated on each use)."""

    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="Seconds until the access token expires.")
    role: Role


class UserOut(BaseModel):
    """A user as the API shows them."""

    id: int
    username: str
    role: Role
    display_name: str
    student_id: str | None = None
    language: str
    is_active: bool


class MePatch(BaseModel):
    """What a signed-in user may change about themselves."""

    model_config = ConfigDict(extra="forbid")

    language: Literal["en", "es", "fr"] | None = None
    display_name: str | None = Field(default=None, min_length=1, max_length=200)
