"""The authorization matrix: every route of the app x every caller x own/other subject.

The routes come from the app's route table; ``POLICY`` says, for each (method, path), who may
call it and on whose data:

* ``public``: no credentials needed (health, metrics, xAPI about, sign-in, token, refresh);
* ``lrs``: HTTP Basic credentials of the LRS client (a bearer token is not enough);
* ``any``: any signed-in caller of an allowed role, on no one's data in particular;
* ``owner``: the caller's own notification (someone else's is "not found", 404);
* ``self``: one student's data (``{student_id}`` in the path, or the body's student);
* ``class``: one class (``{class_id}``, or the class of ``{quiz_id}``, or the body's class);
* ``self+class``: one student within one class (both must be the caller's).

The access rules under test (``api/deps.py``): an admin reaches everything; a teacher only the
classes assigned to them and the students enrolled in those; a student only themself and the
classes they are enrolled in; a researcher no student-level or class data at all. A few
self-service routes exist for students only (their profile, onboarding, the tutor, quiz
submissions): everyone else, admins included, gets 403 there.

Each case calls one route as one caller ("anonymous" without credentials, or a user of one
role) on an "own" or an "other" subject and asserts the exact status: 401 without credentials,
403 when the role or the subject is not allowed, and the route's success status otherwise.
"Own" and "other" are chosen from the demo school for each role: for a teacher, a student of
their class (also enrolled in a class that is not theirs: the "other" class) and a student in
none of their classes; for a student, themself, a classmate, one of their classes and a class
they are not in. Admins and researchers are given the teacher's picks (two students, two
classes) and must get the same answer for both.

The callers are throw-away users made through the admin API (the teacher assigned to one demo
class, the student linked to a demo student's record), so the demo users other tests sign in
as keep their feeds, profiles and assignments; what the matrix writes (interventions, invites,
forum posts, quiz submissions, tutor questions) carries a unique tag.
"""

from __future__ import annotations

import base64
import dataclasses
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

import fastapi.routing
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from sqlalchemy import select

from api.notify import notify_users
from api.store.models import ClassAssignment, Consent, Notification, User
from tests.api.conftest import ApiWorld

Scope = Literal["public", "lrs", "any", "owner", "self", "class", "self+class"]
Builder = Callable[["Case"], dict[str, Any]]

ROLES = ("admin", "teacher", "student", "researcher")
ANONYMOUS = "anonymous"
LRS_CLIENT = "lrs-client"
DOCS_PATHS = frozenset({"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"})
VARIANTS: dict[Scope, tuple[str, ...]] = {
    "public": ("",),
    "lrs": ("",),
    "any": ("",),
    "owner": ("own-notification", "other-notification"),
    "self": ("own-student", "other-student"),
    "class": ("own-class", "other-class"),
    "self+class": ("own", "other-student", "other-class"),
}
XAPI_VERSION = {"X-Experience-API-Version": "1.0.3"}
PASSWORD = "authz-matrix-password"  # long enough for the admin API (10+ characters)


@dataclass(frozen=True)
class Policy:
    """Who may call one route, on what, and what a permitted call answers."""

    scope: Scope
    roles: frozenset[str] = frozenset()
    ok: int = 200
    body: Builder | None = None
    denied: int = 403


@dataclass(frozen=True)
class Actor:
    """A signed-in throw-away user."""

    role: str
    username: str
    user_id: int
    headers: dict[str, str]


@dataclass(frozen=True)
class Scene:
    """The "own" and "other" students and classes as one role sees them."""

    own_student: str
    other_student: str
    own_class: str
    other_class: str


@dataclass(frozen=True)
class Matrix:
    """Everything the cases need: callers, their scenes, and ids that exist in the world."""

    actors: dict[str, Actor]
    scenes: dict[str, Scene]
    quiz_of: dict[str, str]
    thread_of: dict[str, str]
    target: Actor
    login: Actor
    lrs_headers: dict[str, str]
    lrs_account: str
    statement_id: str


@dataclass(frozen=True)
class Subject:
    """The ids one case addresses."""

    student_id: str
    class_id: str
    quiz_id: str
    thread_id: str
    user_id: int
    notification_id: int


@dataclass(frozen=True)
class Case:
    """One call of the matrix, for the request builders."""

    world: ApiWorld
    matrix: Matrix
    caller: str
    subject: Subject

    @property
    def actor(self) -> Actor:
        """The caller's user (the public-route login user for the anonymous caller)."""
        return self.matrix.actors.get(self.caller, self.matrix.login)


def _tag() -> str:
    return uuid.uuid4().hex[:12]


def _sign_in(world: ApiWorld, username: str) -> dict[str, Any]:
    r = world.client.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return dict(r.json())


# --- request builders ---------------------------------------------------------------------------


def _login_body(c: Case) -> dict[str, Any]:
    return {"json": {"username": c.matrix.login.username, "password": PASSWORD}}


def _token_form(c: Case) -> dict[str, Any]:
    return {"data": {"username": c.matrix.login.username, "password": PASSWORD}}


def _refresh_body(c: Case) -> dict[str, Any]:
    return {"json": {"refresh_token": _sign_in(c.world, c.matrix.login.username)["refresh_token"]}}


def _logout_body(c: Case) -> dict[str, Any]:
    """A refresh token of the caller themself (signed in just for this case)."""
    return {"json": {"refresh_token": _sign_in(c.world, c.actor.username)["refresh_token"]}}


def _onboarding_body(c: Case) -> dict[str, Any]:
    """A fresh invite to a class the matrix's student is already enrolled in."""
    class_id = c.matrix.scenes["student"].own_class
    r = c.world.client.post(
        f"/api/v1/classes/{class_id}/invites",
        json={"max_uses": 1, "valid_days": 1},
        headers=c.matrix.actors["admin"].headers,
    )
    assert r.status_code == 201, r.text
    return {"json": {"invite_code": r.json()["code"], "interests": ["authz"], "language": "en"}}


def _flag_feedback_body(c: Case) -> dict[str, Any]:
    return {
        "json": {"student_id": c.subject.student_id, "verdict": "acknowledged", "as_of": _tag()}
    }


def _intervention_body(c: Case) -> dict[str, Any]:
    return {
        "json": {
            "student_id": c.subject.student_id,
            "kind": "other",
            "note": f"authz matrix {_tag()}",
            "notify_student": False,
        }
    }


def _invite_body(_c: Case) -> dict[str, Any]:
    return {"json": {"max_uses": 1, "valid_days": 1}}


def _draft_decision_body(_c: Case) -> dict[str, Any]:
    """A decision on a draft that does not exist: a permitted caller gets 404, nothing stored
    (the drafts' own tests decide real drafts)."""
    return {"json": {"item_id": f"qg-{_tag()}", "decision": "reject"}}


def _submission_body(c: Case) -> dict[str, Any]:
    """One answer to the quiz's first item."""
    items = c.world.services.gold.rows("dim_items", "quiz_id", c.subject.quiz_id).to_dicts()
    first = min(items, key=lambda r: (r.get("position") or 0, r["item_id"]))
    response = (first["option_ids"] or ["authz"])[0]
    return {"json": {"responses": [{"item_id": first["item_id"], "response": response}]}}


def _thread_body(_c: Case) -> dict[str, Any]:
    return {"json": {"title": f"authz matrix {_tag()}", "body": "Who may post here?"}}


def _reply_body(_c: Case) -> dict[str, Any]:
    return {"json": {"body": f"authz matrix reply {_tag()}"}}


def _tutor_body(c: Case) -> dict[str, Any]:
    return {"json": {"class_id": c.subject.class_id, "question": f"What is {_tag()} about?"}}


def _new_user_body(_c: Case) -> dict[str, Any]:
    return {"json": {"username": f"authz-new-{_tag()}", "password": PASSWORD, "role": "researcher"}}


def _patch_user_body(_c: Case) -> dict[str, Any]:
    return {"json": {"display_name": f"authz matrix {_tag()}"}}


def _consent_body(c: Case) -> dict[str, Any]:
    """The student's current research consent, written back unchanged (no record: withheld)."""
    with c.world.services.store.session() as s:
        row = s.get(Consent, (c.subject.student_id, "research"))
        granted = bool(row.granted) if row is not None else False
    return {"json": {"purpose": "research", "granted": granted}}


def _erasure_body(_c: Case) -> dict[str, Any]:
    """A made-up student: no real student is queued for erasure by this test."""
    return {"json": {"student_id": f"s_authz_{_tag()}", "reason": "authorization matrix"}}


def _me_body(_c: Case) -> dict[str, Any]:
    """English is every demo user's language already: the change is a no-op for other tests."""
    return {"json": {"language": "en"}}


def _statement(m: Matrix, world: ApiWorld) -> dict[str, Any]:
    base = world.settings.public_url.rstrip("/")
    class_id = m.scenes["student"].own_class
    return {
        "id": str(uuid.uuid4()),
        "actor": {"objectType": "Agent", "account": {"homePage": base, "name": m.lrs_account}},
        "verb": {
            "id": "http://adlnet.gov/expapi/verbs/experienced",
            "display": {"en-US": "experienced"},
        },
        "object": {
            "objectType": "Activity",
            "id": f"{base}/classes/{class_id}",
            "definition": {"type": "http://adlnet.gov/expapi/activities/course"},
        },
    }


def _statement_body(c: Case) -> dict[str, Any]:
    return {"json": _statement(c.matrix, c.world)}


def _statement_query(c: Case) -> dict[str, Any]:
    return {"params": {"statementId": c.matrix.statement_id}}


# --- the policy ---------------------------------------------------------------------------------

EVERYONE = frozenset(ROLES)
MEMBERS = frozenset({"admin", "teacher", "student"})
STAFF = frozenset({"admin", "teacher"})
ADMIN = frozenset({"admin"})
STUDENT = frozenset({"student"})

V1 = "/api/v1"
POLICY: dict[tuple[str, str], Policy] = {
    # auth
    ("POST", f"{V1}/auth/login"): Policy("public", body=_login_body),
    ("POST", f"{V1}/auth/token"): Policy("public", body=_token_form),
    ("POST", f"{V1}/auth/refresh"): Policy("public", body=_refresh_body),
    ("POST", f"{V1}/auth/logout"): Policy("any", EVERYONE, body=_logout_body),
    ("GET", f"{V1}/auth/me"): Policy("any", EVERYONE),
    ("PATCH", f"{V1}/auth/me"): Policy("any", EVERYONE, body=_me_body),
    # students
    ("GET", f"{V1}/students/me"): Policy("any", STUDENT),
    ("GET", f"{V1}/students/me/classes"): Policy("any", STUDENT),
    ("GET", f"{V1}/students/me/course-recommendations"): Policy("any", STUDENT),
    ("POST", f"{V1}/students/me/onboarding"): Policy("any", STUDENT, body=_onboarding_body),
    ("GET", f"{V1}/students/{{student_id}}/progress"): Policy("self", MEMBERS),
    ("GET", f"{V1}/students/{{student_id}}/mastery"): Policy("self", MEMBERS),
    ("GET", f"{V1}/students/{{student_id}}/recommendations"): Policy("self", MEMBERS),
    ("GET", f"{V1}/students/{{student_id}}/classes/{{class_id}}/timeline"): Policy(
        "self+class", STAFF
    ),
    # classes
    ("GET", f"{V1}/classes"): Policy("any", MEMBERS),
    ("GET", f"{V1}/classes/{{class_id}}/roster"): Policy("class", STAFF),
    ("GET", f"{V1}/classes/{{class_id}}/overview"): Policy("class", STAFF),
    ("GET", f"{V1}/classes/{{class_id}}/at-risk"): Policy("class", STAFF),
    ("POST", f"{V1}/classes/{{class_id}}/at-risk/feedback"): Policy(
        "self+class", STAFF, body=_flag_feedback_body
    ),
    ("GET", f"{V1}/classes/{{class_id}}/item-analysis"): Policy("class", STAFF),
    ("GET", f"{V1}/classes/{{class_id}}/module-progress"): Policy("class", STAFF),
    ("GET", f"{V1}/classes/{{class_id}}/video-engagement"): Policy("class", STAFF),
    ("GET", f"{V1}/classes/{{class_id}}/interventions"): Policy("class", STAFF),
    ("POST", f"{V1}/classes/{{class_id}}/interventions"): Policy(
        "self+class", STAFF, ok=201, body=_intervention_body
    ),
    ("POST", f"{V1}/classes/{{class_id}}/invites"): Policy(
        "class", STAFF, ok=201, body=_invite_body
    ),
    ("GET", f"{V1}/classes/{{class_id}}/drafts"): Policy("class", STAFF),
    ("POST", f"{V1}/classes/{{class_id}}/drafts/decisions"): Policy(
        "class", STAFF, ok=404, body=_draft_decision_body
    ),
    # quizzes
    ("GET", f"{V1}/classes/{{class_id}}/quizzes"): Policy("class", MEMBERS),
    ("GET", f"{V1}/quizzes/{{quiz_id}}"): Policy("class", MEMBERS),
    ("POST", f"{V1}/quizzes/{{quiz_id}}/submissions"): Policy(
        "class", STUDENT, ok=201, body=_submission_body
    ),
    # forum
    ("GET", f"{V1}/classes/{{class_id}}/forum/threads"): Policy("class", MEMBERS),
    ("GET", f"{V1}/classes/{{class_id}}/forum/threads/{{thread_id}}"): Policy("class", MEMBERS),
    ("POST", f"{V1}/classes/{{class_id}}/forum/threads"): Policy(
        "class", MEMBERS, ok=201, body=_thread_body
    ),
    ("POST", f"{V1}/classes/{{class_id}}/forum/threads/{{thread_id}}/posts"): Policy(
        "class", MEMBERS, ok=201, body=_reply_body
    ),
    # tutor
    ("POST", f"{V1}/tutor/questions"): Policy("class", STUDENT, ok=201, body=_tutor_body),
    ("GET", f"{V1}/tutor/questions"): Policy("any", STUDENT),
    # notifications
    ("GET", f"{V1}/notifications"): Policy("any", EVERYONE),
    ("POST", f"{V1}/notifications/{{notification_id}}/read"): Policy("owner", EVERYONE, denied=404),
    # admin
    ("GET", f"{V1}/admin/users"): Policy("any", ADMIN),
    ("POST", f"{V1}/admin/users"): Policy("any", ADMIN, ok=201, body=_new_user_body),
    ("PATCH", f"{V1}/admin/users/{{user_id}}"): Policy("any", ADMIN, body=_patch_user_body),
    ("PUT", f"{V1}/admin/users/{{user_id}}/classes/{{class_id}}"): Policy("class", ADMIN),
    ("DELETE", f"{V1}/admin/users/{{user_id}}/classes/{{class_id}}"): Policy("class", ADMIN),
    ("GET", f"{V1}/admin/students/{{student_id}}/consent"): Policy("self", ADMIN),
    ("PUT", f"{V1}/admin/students/{{student_id}}/consent"): Policy(
        "self", ADMIN, body=_consent_body
    ),
    ("GET", f"{V1}/admin/students/{{student_id}}/consent/history"): Policy("self", ADMIN),
    ("POST", f"{V1}/admin/erasure-requests"): Policy("any", ADMIN, ok=201, body=_erasure_body),
    ("GET", f"{V1}/admin/erasure-requests"): Policy("any", ADMIN),
    ("POST", f"{V1}/admin/erasures"): Policy("any", ADMIN, ok=404, body=_erasure_body),
    ("GET", f"{V1}/admin/audit"): Policy("any", ADMIN),
    ("GET", f"{V1}/admin/query-audit"): Policy("any", ADMIN),
    ("POST", f"{V1}/internal/trino/query-events"): Policy("public", ok=403),  # Trino's secret
    # xAPI LRS
    ("GET", "/xapi/about"): Policy("public"),
    ("POST", "/xapi/statements"): Policy("lrs", body=_statement_body),
    ("GET", "/xapi/statements"): Policy("lrs", body=_statement_query),
    # ops
    ("GET", "/health"): Policy("public"),
    ("GET", "/metrics"): Policy("public"),
}
# Self-service routes for students only: the one place an admin is refused by design.
STUDENT_SELF_SERVICE = frozenset(k for k, p in POLICY.items() if p.roles == STUDENT)


def expected_status(policy: Policy, caller: str, variant: str) -> int:
    """The status the access rules prescribe for ``caller`` on the ``variant`` subject."""
    if policy.scope == "public":
        return policy.ok
    if policy.scope == "lrs":
        return policy.ok if caller == LRS_CLIENT else 401
    if caller == ANONYMOUS:
        return 401
    if caller not in policy.roles:
        return 403
    other = variant.startswith("other")
    if other and (caller != "admin" or policy.scope == "owner"):
        return policy.denied
    return policy.ok


def _callers(policy: Policy) -> tuple[str, ...]:
    callers = (ANONYMOUS, *ROLES)
    return (*callers, LRS_CLIENT) if policy.scope == "lrs" else callers


def _cases() -> Iterator[Any]:
    for (method, path), policy in POLICY.items():
        for caller in _callers(policy):
            variants = VARIANTS[policy.scope]
            for variant in variants if caller in ROLES else variants[:1]:
                label = caller if caller not in ROLES or not variant else f"{caller} {variant}"
                yield pytest.param(method, path, caller, variant, id=f"{method} {path} {label}")


CASES = list(_cases())


# --- the route table ----------------------------------------------------------------------------


def _route_table(app: FastAPI) -> dict[tuple[str, str], APIRoute]:
    """(method, path) -> route of every app route but the documentation's.

    FastAPI versions that include routers lazily keep them behind ``iter_route_contexts``;
    older ones list every route in ``app.routes``.
    """
    iter_contexts = getattr(fastapi.routing, "iter_route_contexts", None)
    entries: list[Any] = list(iter_contexts(app.routes)) if iter_contexts else list(app.routes)
    table: dict[tuple[str, str], APIRoute] = {}
    for entry in entries:
        path = entry.path
        if path in DOCS_PATHS:
            continue
        route = getattr(entry, "original_route", entry)
        assert isinstance(route, APIRoute), f"{path} is not an API route: {route!r}"
        for method in entry.methods or ():
            assert (method, path) not in table, f"{method} {path} is routed twice"
            table[(method, path)] = route
    return table


def test_policy_covers_exactly_the_app_routes(world: ApiWorld) -> None:
    """A route without a policy (or a policy without a route) fails here."""
    routes = set(_route_table(world.app))
    assert routes, "the app should have routes"
    assert sorted(routes - set(POLICY)) == [], "routes without a POLICY entry"
    assert sorted(set(POLICY) - routes) == [], "POLICY entries for routes the app lacks"


def test_every_route_taking_a_body_has_a_body_builder(world: ApiWorld) -> None:
    """Routes with a declared body get a valid one, so allowed cases reach the handler."""
    missing = [
        key
        for key, route in _route_table(world.app).items()
        if route.body_field is not None and POLICY[key].body is None
    ]
    assert missing == []


def test_policy_follows_the_access_rules() -> None:
    """The table itself states the rules: researchers never reach student or class data,
    admins reach every signed-in route but students' self-service, and path ids match scopes."""
    for (method, path), p in POLICY.items():
        where = f"{method} {path}"
        if p.scope in ("self", "class", "self+class"):
            assert "researcher" not in p.roles, where
        if p.scope in ("public", "lrs"):
            assert not p.roles, where
        elif (method, path) not in STUDENT_SELF_SERVICE:
            assert "admin" in p.roles, where
        if "{student_id}" in path:
            assert p.scope in ("self", "self+class"), where
        if "{class_id}" in path or "{quiz_id}" in path:
            assert p.scope in ("class", "self+class"), where
        if "{notification_id}" in path:
            assert p.scope == "owner", where
    assert STUDENT_SELF_SERVICE, "students' self-service routes are listed"
    assert all(POLICY[k].scope in ("any", "class") for k in STUDENT_SELF_SERVICE)


def test_matrix_has_every_route_role_and_variant() -> None:
    """Each route is called without credentials and by each role on each variant."""
    seen = {(c.values[0], c.values[1], c.values[2], c.values[3]) for c in CASES}
    for (method, path), p in POLICY.items():
        assert (method, path, ANONYMOUS, VARIANTS[p.scope][0]) in seen
        for role in ROLES:
            for variant in VARIANTS[p.scope]:
                assert (method, path, role, variant) in seen


# --- the world the matrix runs in ---------------------------------------------------------------


def _scenes(world: ApiWorld) -> dict[str, Scene]:
    """Own/other students and classes for a teacher of one class and for one student."""
    svc = world.services
    classes = sorted(svc.gold.keys("dim_classes", "class_id"))
    students = sorted(u["student_id"] for u in world.of_role("student"))
    enrolled = {s: frozenset(svc.student_classes(s)) for s in students}
    teacher: Scene | None = None
    for class_id in classes:
        # Own: a student of this class who is also in a class that is not the teacher's.
        own = [s for s in students if class_id in enrolled[s] and enrolled[s] - {class_id}]
        other = [s for s in students if enrolled[s] and class_id not in enrolled[s]]
        if own and other:
            other_class = sorted(enrolled[own[0]] - {class_id})[0]
            teacher = Scene(own[0], other[0], class_id, other_class)
            break
    assert teacher is not None, "the demo school should have a class with outsiders"
    student: Scene | None = None
    for sid in reversed(students):  # away from the first students other tests sign in as
        mine = sorted(enrolled[sid])
        outside = [c for c in classes if c not in enrolled[sid]]
        mates = [s for s in students if s != sid and mine and mine[0] in enrolled[s]]
        if mine and outside and mates:
            student = Scene(sid, mates[0], mine[0], outside[0])
            break
    assert student is not None, "the demo school should have a student with classmates"
    for scene in (teacher, student):
        assert scene.own_student != scene.other_student
        assert scene.own_class != scene.other_class
    return {"teacher": teacher, "student": student, "admin": teacher, "researcher": teacher}


def _make_user(world: ApiWorld, admin: dict[str, str], role: str, **fields: Any) -> Actor:
    username = f"authz-{role}-{_tag()}"
    body = {"username": username, "password": PASSWORD, "role": role, **fields}
    r = world.client.post(f"{V1}/admin/users", json=body, headers=admin)
    assert r.status_code == 201, r.text
    token = _sign_in(world, username)["access_token"]
    return Actor(role, username, int(r.json()["id"]), {"Authorization": f"Bearer {token}"})


def _quiz_of(world: ApiWorld, class_id: str) -> str:
    gold = world.services.gold
    content = gold.rows("dim_content", "class_id", class_id)
    for quiz_id in sorted(content.filter(content["content_type"] == "quiz")["content_id"]):
        if gold.rows("dim_items", "quiz_id", quiz_id).height:
            return str(quiz_id)
    raise AssertionError(f"the demo school should have a quiz with items in {class_id}")


def _thread_of(world: ApiWorld, class_id: str, admin: dict[str, str]) -> str:
    """A forum thread of the class: one from the lake, else one started for the matrix."""
    posts = world.services.gold.rows("forum_posts", "class_id", class_id)
    if posts.height:
        return str(sorted(posts["thread_id"])[0])
    r = world.client.post(
        f"{V1}/classes/{class_id}/forum/threads",
        json={"title": f"authz matrix {_tag()}", "body": "A thread for the matrix."},
        headers=admin,
    )
    assert r.status_code == 201, r.text
    return str(r.json()["thread_id"])


@pytest.fixture(scope="module")
def matrix(world: ApiWorld) -> Iterator[Matrix]:
    """Throw-away callers of every role, the scenes they see, and ids the cases address."""
    demo_admin = world.headers(world.of_role("admin")[0]["username"])
    scenes = _scenes(world)
    with world.services.store.session() as s:
        lrs_account = s.scalars(
            select(User.lrs_account).where(
                User.student_id == scenes["student"].own_student, User.role == "student"
            )
        ).first()
    assert lrs_account, "demo students have an LRS account"
    actors = {
        "admin": _make_user(world, demo_admin, "admin"),
        "researcher": _make_user(world, demo_admin, "researcher"),
        "teacher": _make_user(world, demo_admin, "teacher"),
        "student": _make_user(
            world,
            demo_admin,
            "student",
            student_id=scenes["student"].own_student,
            lrs_account=lrs_account,
        ),
    }
    teacher_class = scenes["teacher"].own_class
    r = world.client.put(
        f"{V1}/admin/users/{actors['teacher'].user_id}/classes/{teacher_class}",
        headers=demo_admin,
    )
    assert r.status_code == 200, r.text
    target = _make_user(world, demo_admin, "teacher")
    login = _make_user(world, demo_admin, "researcher")
    classes = sorted({c for sc in scenes.values() for c in (sc.own_class, sc.other_class)})
    admin = actors["admin"].headers
    key, secret = world.settings.lrs_key, world.settings.lrs_secret
    basic = base64.b64encode(f"{key}:{secret}".encode()).decode()
    m = Matrix(
        actors=actors,
        scenes=scenes,
        quiz_of={c: _quiz_of(world, c) for c in classes},
        thread_of={c: _thread_of(world, c, admin) for c in classes},
        target=target,
        login=login,
        lrs_headers={"Authorization": f"Basic {basic}"},
        lrs_account=lrs_account,
        statement_id="",
    )
    statement = _statement(m, world)
    r = world.client.post(
        "/xapi/statements", json=statement, headers={**m.lrs_headers, **XAPI_VERSION}
    )
    assert r.status_code == 200, r.text
    yield dataclasses.replace(m, statement_id=statement["id"])

    # Leave no throw-away teacher on a class, and no throw-away user able to sign in.
    throwaway = [*actors.values(), target, login]
    with world.services.store.session() as s:
        assigned = s.execute(
            select(ClassAssignment.user_id, ClassAssignment.class_id).where(
                ClassAssignment.user_id.in_([a.user_id for a in throwaway])
            )
        ).all()
    for user_id, class_id in assigned:
        r = world.client.delete(
            f"{V1}/admin/users/{user_id}/classes/{class_id}", headers=demo_admin
        )
        assert r.status_code == 200, r.text
    for a in throwaway:
        r = world.client.patch(
            f"{V1}/admin/users/{a.user_id}", json={"is_active": False}, headers=demo_admin
        )
        assert r.status_code == 200, r.text


def _notification(world: ApiWorld, user_id: int) -> int:
    """A new notification in ``user_id``'s feed."""
    key = f"authz-matrix:{_tag()}"
    made = notify_users(
        world.services, [user_id], event_key=key, kind="test", title="Authz", body="matrix"
    )
    assert made == 1
    with world.services.store.session() as s:
        note_id = s.scalars(
            select(Notification.id).where(
                Notification.user_id == user_id, Notification.event_key == key
            )
        ).one()
    return int(note_id)


def _subject(world: ApiWorld, m: Matrix, policy: Policy, caller: str, variant: str) -> Subject:
    scene = m.scenes.get(caller, m.scenes["teacher"])
    student = scene.other_student if variant == "other-student" else scene.own_student
    class_id = scene.other_class if variant == "other-class" else scene.own_class
    note = 0
    if policy.scope == "owner":
        owner = m.actors.get(caller, m.target) if variant == "own-notification" else m.target
        note = _notification(world, owner.user_id)
    return Subject(
        student_id=student,
        class_id=class_id,
        quiz_id=m.quiz_of[class_id],
        thread_id=m.thread_of[class_id],
        user_id=m.target.user_id,
        notification_id=note,
    )


def test_scenes_are_what_their_names_say(world: ApiWorld, matrix: Matrix) -> None:
    """The "own" picks are within the caller's reach and the "other" ones outside it."""
    svc = world.services
    t = matrix.scenes["teacher"]
    mine = svc.teacher_classes(matrix.actors["teacher"].user_id)
    assert mine == {t.own_class}
    assert t.own_class in svc.student_classes(t.own_student)
    assert t.other_class in svc.student_classes(t.own_student)
    assert not mine & svc.student_classes(t.other_student)
    s = matrix.scenes["student"]
    theirs = svc.student_classes(s.own_student)
    assert s.own_class in theirs and s.other_class not in theirs
    assert s.own_class in svc.student_classes(s.other_student)
    for class_id, quiz_id in matrix.quiz_of.items():
        assert svc.gold.rows("dim_items", "quiz_id", quiz_id)["class_id"][0] == class_id


@pytest.mark.parametrize(("method", "path", "caller", "variant"), CASES)
def test_authorization_matrix(
    world: ApiWorld, matrix: Matrix, method: str, path: str, caller: str, variant: str
) -> None:
    """The route answers the caller exactly as the access rules prescribe."""
    policy = POLICY[(method, path)]
    want = expected_status(policy, caller, variant)
    subject = _subject(world, matrix, policy, caller, variant)
    case = Case(world, matrix, caller, subject)
    request = policy.body(case) if policy.body is not None else {}
    headers: dict[str, str] = {}
    if caller in matrix.actors:
        headers.update(matrix.actors[caller].headers)
    elif caller == LRS_CLIENT:
        headers.update(matrix.lrs_headers)
    if policy.scope == "lrs":
        headers.update(XAPI_VERSION)
    url = path.format(**subject.__dict__)

    r = world.client.request(method, url, headers=headers, **request)

    assert r.status_code == want, (
        f"{method} {url} as {caller} ({variant or 'no subject'}): "
        f"expected {want}, got {r.status_code}: {r.text[:500]}"
    )
    if want == 401:
        assert r.headers.get("www-authenticate"), "a 401 names its scheme"
    if want in (403, 404) and want != policy.ok:
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["status"] == want
