"""Administration: users, class assignments, consent, erasure requests, the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from api.schemas.auth import Role
from api.schemas.common import Id


class UserIn(BaseModel):
    """A new user."""

    username: str = Field(min_length=3, max_length=128, pattern=r"^[A-Za-z0-9_.@\-]+$")
    password: str | None = Field(default=None, min_length=10, max_length=256)
    role: Role
    display_name: str = Field(default="", max_length=200)
    email: str | None = Field(default=None, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")
    student_id: Id | None = None
    lrs_account: str | None = Field(default=None, max_length=256)
    oidc_subject: str | None = Field(default=None, max_length=256)
    language: Literal["en", "es", "fr"] = "en"


class UserPatch(BaseModel):
    """Changes to a user (only the fields given)."""

    display_name: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")
    password: str | None = Field(default=None, min_length=10, max_length=256)
    is_active: StrictBool | None = None
    language: Literal["en", "es", "fr"] | None = None


class AdminUserOut(BaseModel):
    """A user as an admin sees them."""

    id: int
    username: str
    role: Role
    display_name: str
    email: str | None
    student_id: str | None
    language: str
    is_active: bool
    class_ids: list[str] = Field(default_factory=list)
    created_at: datetime


# The purposes a student consents to, one decision each (lake.privacy.consent.PURPOSES).
Purpose = Literal["research", "analytics"]


class ConsentIn(BaseModel):
    """A consent decision for one purpose."""

    model_config = ConfigDict(extra="forbid")

    purpose: Purpose = "research"
    granted: StrictBool


class ConsentOut(BaseModel):
    """A student's current consent for a purpose (``updated_at`` empty: never recorded)."""

    student_id: str
    purpose: Purpose
    granted: bool
    updated_at: datetime | None
    updated_by: int | None = None


class ConsentChangeOut(BaseModel):
    """One recorded consent decision, in the order they were made."""

    id: int
    student_id: str
    purpose: Purpose
    granted: bool
    changed_at: datetime
    changed_by: int | None


class ErasureIn(BaseModel):
    """A request to erase a student."""

    student_id: Id
    reason: str = Field(default="", max_length=2000)


class ErasureOut(BaseModel):
    """An erasure request and where it stands."""

    id: int
    student_id: str
    requested_by: int | None
    requested_at: datetime
    reason: str
    status: str
    completed_at: datetime | None


class AuditOut(BaseModel):
    """One audited access."""

    id: int
    at: datetime
    actor_id: int | None
    actor_role: str
    action: str
    resource: str
    student_id: str | None
    class_id: str | None
    status_code: int
