"""What every request needs: the services, the caller, and the access rules.

Access rules (the one place they live):
- admin: everything;
- teacher: the classes assigned to them (``class_assignments``) and the students enrolled in them;
- student: themself, and the classes they are enrolled in (roster or invite code);
- researcher: no student-level data at all (researchers use Trino).
Every check on student-level data is audited, allowed or denied.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select

from api.audit import AuditLog
from api.cache import TtlCache
from api.gold import Gold
from api.observability import Metrics
from api.problems import ApiError
from api.security import OidcVerifier, Principal, TokenError, decode_own, principal_from_access
from api.settings import ApiSettings
from api.store.changes import ALL, CLASS, PROFILE, STUDENT, TEACHER, USER, Change
from api.store.db import Store
from api.store.models import ClassAssignment, ClassMembership, User

# How long access facts (account state, assignments, memberships) are kept at most. Changes
# made through the store reach every process through the change feed within a poll
# (api.store.changes); this bound is the backstop for edits made outside it (raw SQL).
_CACHE_S = 60.0
_TOKEN_CACHE_ENTRIES = 20_000


class TokenCache:
    """Principals of our own access tokens whose signature and claims were verified, kept until
    each token's ``exp`` (a bounded LRU keyed by the whole token string).

    A token is verified (HS256 signature, issuer, required claims, kind) once; later requests
    with the same string reuse the result until it expires. Expiry is checked on every hit, and
    the account's state (active, role, student) is still checked per request by the caller.
    """

    def __init__(self, max_entries: int = _TOKEN_CACHE_ENTRIES) -> None:
        self.max_entries = max_entries
        self._data: OrderedDict[str, tuple[Principal, float]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, token: str) -> Principal | None:
        """The principal of a verified, unexpired token, else None."""
        hit = self._data.get(token)
        if hit is None:
            return None
        with self._lock:
            # PyJWT refuses a token once now >= exp; so does the cache.
            if time.time() >= hit[1]:
                self._data.pop(token, None)
                return None
            if token in self._data:
                self._data.move_to_end(token)
        return hit[0]

    def put(self, token: str, principal: Principal, expires_at: float) -> None:
        """Remember a token verified just now (evicting the least recently used)."""
        with self._lock:
            self._data[token] = (principal, expires_at)
            self._data.move_to_end(token)
            while len(self._data) > self.max_entries:
                self._data.popitem(last=False)

    def __len__(self) -> int:
        return len(self._data)


@dataclass
class Services:
    """Long-lived objects of one API process."""

    settings: ApiSettings
    store: Store
    gold: Gold
    audit: AuditLog
    metrics: Metrics
    oidc: OidcVerifier | None = None
    responses: Any = None  # api.cache.ResponseCache (set by build_services)
    extras: dict[str, Any] = field(default_factory=dict)
    _users: TtlCache = field(default_factory=lambda: TtlCache(_CACHE_S))
    _teacher_classes: TtlCache = field(default_factory=lambda: TtlCache(_CACHE_S))
    _memberships: TtlCache = field(default_factory=lambda: TtlCache(_CACHE_S))
    tokens: TokenCache = field(default_factory=TokenCache)

    def invalidate(self) -> None:
        """Forget cached users and assignments (after an admin change in this process)."""
        self._users.clear()
        self._teacher_classes.clear()
        self._memberships.clear()

    def forget_everything(self) -> None:
        """Drop every cached copy of store data: access facts, display names, whole answers
        (after an erasure, here or in another process)."""
        self.invalidate()
        self.extras.pop("display_names", None)
        if self.responses is not None:
            self.responses.clear()

    def apply_changes(self, changes: Iterable[Change]) -> None:
        """Drop what this process cached about rows the store's change feed says changed
        (in any process): accounts, assignments, memberships, names and the answers built
        from them. In-process writers drop their own copies at once as well."""
        students: set[str] = set()
        classes: set[str] = set()
        for c in changes:
            if c.topic == ALL:
                self.forget_everything()
                return
            if c.topic in (USER, TEACHER, PROFILE) and c.key.isdigit():
                uid = int(c.key)
                self._users.drop(uid)
                self._teacher_classes.drop(uid)
                if c.topic == PROFILE:
                    state = self.user_state(uid)
                    if state is not None and state[2]:
                        students.add(state[2])
            elif c.topic == STUDENT:
                students.add(c.key)
            elif c.topic == CLASS:
                classes.add(c.key)
        for sid in students:
            self._memberships.drop(sid)
            classes |= self.student_classes(sid)  # their names show in class answers
        names = self.extras.get("display_names")  # api.cache.NameCache
        if names is not None and students:
            names.forget(students)
        if self.responses is not None and (students or classes):
            touched = students | classes
            self.responses.invalidate(
                lambda k: isinstance(k, tuple) and len(k) > 1 and k[1] in touched
            )

    def user_state(self, user_id: int) -> tuple[bool, str, str | None] | None:
        """(is_active, role, student_id) of a user, cached for a few seconds."""

        def load() -> tuple[bool, str, str | None] | None:
            with self.store.session() as s:
                u = s.get(User, user_id)
                return None if u is None else (u.is_active, u.role, u.student_id)

        return self._users.get(user_id, load)

    def teacher_classes(self, user_id: int) -> frozenset[str]:
        """Classes assigned to a teacher."""

        def load() -> frozenset[str]:
            with self.store.session() as s:
                rows = s.scalars(
                    select(ClassAssignment.class_id).where(ClassAssignment.user_id == user_id)
                )
                return frozenset(rows)

        return self._teacher_classes.get(user_id, load)

    def student_classes(self, student_id: str) -> frozenset[str]:
        """Classes a student is enrolled in: the roster's (gold) and those joined by invite."""

        def load() -> frozenset[str]:
            with self.store.session() as s:
                return frozenset(
                    s.scalars(
                        select(ClassMembership.class_id).where(
                            ClassMembership.student_id == student_id
                        )
                    )
                )

        def roster() -> frozenset[str]:
            rows = self.gold.rows("fct_student_progress", "student_id", student_id)
            return frozenset(rows["class_id"].to_list()) if rows.height else frozenset()

        joined = self._memberships.get(student_id, load)
        return self.gold.memo("fct_student_progress", ("classes", student_id), roster) | joined

    def class_students(self, class_id: str) -> list[str]:
        """Students enrolled in a class (roster, then invite joins)."""
        rows = self.gold.rows("fct_student_progress", "class_id", class_id)
        students = rows["student_id"].to_list() if rows.height else []
        with self.store.session() as s:
            joined = s.scalars(
                select(ClassMembership.student_id).where(ClassMembership.class_id == class_id)
            ).all()
        seen = set(students)
        return students + [j for j in joined if j not in seen]


async def services(request: Request) -> Services:
    """The process's :class:`Services` (``async``: nothing to wait for, so no thread hop)."""
    return request.app.state.services


ServicesDep = Annotated[Services, Depends(services)]
_bearer = HTTPBearer(auto_error=False, description="An access token from /api/v1/auth/login.")


def _unauthorized(detail: str) -> ApiError:
    return ApiError(401, detail, kind="unauthorized", headers={"WWW-Authenticate": "Bearer"})


def authenticate(svc: Services, token: str) -> Principal:
    """The verified caller behind a bearer token (ours, or the configured OIDC issuer's), or a
    401 ApiError: forged, expired, wrong kind, inactive account, or an account whose role or
    student changed since the token was issued.

    Our own tokens are verified once and then served from :class:`TokenCache` until they
    expire; the account check runs on every call.
    """
    principal = svc.tokens.get(token)
    if principal is None:
        try:
            if svc.oidc is not None and svc.oidc.is_external(token):
                principal = _principal_from_oidc(svc, svc.oidc.verify(token))
            else:
                claims = decode_own(svc.settings, token, "access")
                principal = principal_from_access(claims)
                svc.tokens.put(token, principal, float(claims["exp"]))
        except TokenError as exc:
            raise _unauthorized(f"The access token is not valid ({exc}).") from exc
    state = svc.user_state(principal.user_id)
    if state is None or not state[0]:
        raise _unauthorized("This account is not active.")
    if state[1] != principal.role or state[2] != principal.student_id:
        raise _unauthorized("This account changed since the token was issued; sign in again.")
    return principal


async def current_principal(
    request: Request,
    svc: ServicesDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The verified caller, from a bearer token (ours, or the configured OIDC issuer's).

    ``async`` so that FastAPI runs it on the event loop: a verified token is a dictionary hit
    and the account state a cached lookup (a database read at most every few seconds).
    """
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise _unauthorized("A bearer access token is required.")
    principal = authenticate(svc, credentials.credentials)
    request.state.user_id = principal.user_id
    return principal


def _principal_from_oidc(svc: Services, claims: dict[str, Any]) -> Principal:
    """The local user an issuer's subject is linked to."""
    subject = str(claims["sub"])

    def load() -> Principal | None:
        with svc.store.session() as s:
            u = s.scalars(select(User).where(User.oidc_subject == subject)).first()
            if u is None:
                return None
            return Principal(u.id, u.username, u.role, u.student_id, u.language)

    principal = svc._users.get(("oidc", subject), load)
    if principal is None:
        raise TokenError("no LearnSmart account is linked to this identity")
    return principal


PrincipalDep = Annotated[Principal, Depends(current_principal)]


def require_roles(*roles: str) -> Callable[..., Principal]:
    """A dependency that admits only callers with one of ``roles`` (403 otherwise).

    The roles are also kept on the dependency (``check.roles``) for the fast read path
    (:mod:`api.fastpath`), which applies the same rule without FastAPI's dependency injection.
    """

    async def check(principal: PrincipalDep) -> Principal:
        if principal.role not in roles:
            raise ApiError(403, "Your role may not use this endpoint.", kind="forbidden")
        return principal

    check.roles = frozenset(roles)  # type: ignore[attr-defined]
    return check


def _resource(request: Request) -> str:
    path = getattr(request.scope.get("route"), "path", None)
    return path if path is not None else request.url.path


def authorize_student(
    request: Request,
    svc: Services,
    principal: Principal,
    student_id: str,
    action: str = "read",
    class_id: str | None = None,
) -> None:
    """Allow ``principal`` to ``action`` one student's data, or raise 403; audited either way."""
    allowed = False
    if principal.role == "admin":
        allowed = True
    elif principal.role == "student":
        allowed = principal.student_id is not None and principal.student_id == student_id
    elif principal.role == "teacher":
        mine = svc.teacher_classes(principal.user_id)
        theirs = svc.student_classes(student_id)
        allowed = bool(mine & theirs) and (class_id is None or class_id in mine & theirs)
    svc.audit.record(
        actor_id=principal.user_id,
        actor_role=principal.role,
        action=action,
        resource=_resource(request),
        student_id=student_id,
        class_id=class_id,
        status_code=200 if allowed else 403,
    )
    if not allowed:
        raise ApiError(403, "You may not access this student's data.", kind="forbidden")


def authorize_class(
    request: Request,
    svc: Services,
    principal: Principal,
    class_id: str,
    action: str = "read",
    *,
    students_may: bool = False,
    student_level: bool = True,
) -> None:
    """Allow access to a class (its teachers, admins; its students when ``students_may``)."""
    allowed = False
    if principal.role == "admin":
        allowed = True
    elif principal.role == "teacher":
        allowed = class_id in svc.teacher_classes(principal.user_id)
    elif principal.role == "student" and students_may and principal.student_id:
        allowed = class_id in svc.student_classes(principal.student_id)
    if student_level or not allowed:
        svc.audit.record(
            actor_id=principal.user_id,
            actor_role=principal.role,
            action=action,
            resource=_resource(request),
            class_id=class_id,
            status_code=200 if allowed else 403,
        )
    if not allowed:
        raise ApiError(403, "You may not access this class.", kind="forbidden")
