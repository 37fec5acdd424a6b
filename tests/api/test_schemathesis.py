"""Schemathesis against the API's own OpenAPI schema, signed in as each role.

For every documented operation Schemathesis generates requests (its coverage cases: boundaries,
missing and wrong-typed values; then Hypothesis fuzzing, schema-valid and schema-invalid) and sends
them with the bearer token of a student, a teacher, an admin and a researcher. Each response must
be no server error, have a documented status code, content type and required headers, match the
documented body schema (problem documents included) and, for a request the schema forbids, be a
4xx.

Path parameters are drawn from Schemathesis' own strategy or, half of the time, from ids that exist
in the demo lake (a class, a student, a quiz, a thread, a user, a notification): random ids alone
would only ever reach 403 and 404.

Nothing is excluded. The fuzzed app is a private one (its own copy of the demo lake and its own
store), not the session's ``world``: fuzzing creates users, deactivates and unassigns them, and
fills the failed-login limit of the test client's address, none of which other tests may see.
Every caller signs in before any fuzzing (so the login limit cannot lock them out), and after each
request that may change state the callers are re-activated and the teacher's classes re-assigned,
so the tokens stay valid for the whole run (what an admin's PATCH or DELETE does to a user is
tested in the admin tests; here only conformance is checked). The LRS (``/xapi``) has its own
Basic credentials, which its operations get in every run (a bearer token would only ever reach its
401, which ``test_hostile_input`` covers).
"""

from __future__ import annotations

import base64
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis import Case
from schemathesis.checks import not_a_server_error
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import select

from api.demo_users import seed_demo_users
from api.main import create_app
from api.settings import ApiSettings
from api.store.models import ClassAssignment, Notification, User
from lake.settings import LakeSettings
from tests.api.conftest import ApiWorld, make_settings
from tests.conftest import Curated

ROLES = ("student", "teacher", "admin", "researcher")
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
# Fuzzing examples per operation and role (the coverage cases come on top of these).
MAX_EXAMPLES = 15
# Operations that check credentials from the request itself: 401 is their answer to bad ones.
CREDENTIAL_OPERATIONS = {"/api/v1/auth/login", "/api/v1/auth/token", "/api/v1/auth/refresh"}


@dataclass
class FuzzTarget:
    """The private app, its callers (one per role) and ids that exist in its data."""

    world: ApiWorld
    callers: dict[str, dict[str, Any]]
    assignments: list[tuple[int, str]]

    def headers(self, role: str, case: Case) -> dict[str, str]:
        """The caller's credentials for ``case``: the LRS client's on /xapi, else the role's."""
        if case.operation.path.startswith("/xapi"):
            settings = self.world.settings
            basic = base64.b64encode(f"{settings.lrs_key}:{settings.lrs_secret}".encode()).decode()
            return {"Authorization": f"Basic {basic}"}
        return self.world.headers(self.callers[role]["username"])

    def restore(self) -> None:
        """Re-activate the callers and re-assign the teacher's classes (an admin case may not)."""
        svc = self.world.services
        changed = False
        with svc.store.session() as s:
            for caller in self.callers.values():
                user = s.get(User, caller["user_id"])
                assert user is not None, "a caller's account disappeared"
                if not user.is_active:
                    user.is_active = True
                    changed = True
            for user_id, class_id in self.assignments:
                if s.get(ClassAssignment, (user_id, class_id)) is None:
                    s.add(ClassAssignment(user_id=user_id, class_id=class_id))
                    changed = True
        if changed:
            svc.invalidate()


def _known_ids(world: ApiWorld, callers: dict[str, dict[str, Any]]) -> dict[str, list[Any]]:
    """Ids in the demo data, by path parameter name: the callers' own and some of others'."""
    gold = world.services.gold
    teacher, student = callers["teacher"], callers["student"]
    classes = sorted(gold.keys("dim_classes", "class_id"))
    class_ids = list(dict.fromkeys([teacher["class_ids"][0], *student["class_ids"], *classes[:3]]))
    others = [
        u["student_id"] for u in world.of_role("student") if u["username"] != student["username"]
    ]
    content = gold.rows("dim_content", "class_id", class_ids[0])
    quiz_ids = sorted(content.filter(content["content_type"] == "quiz")["content_id"].to_list())
    thread_ids = sorted(
        set(gold.rows("forum_posts", "class_id", class_ids[0])["thread_id"].to_list())
    )
    with world.services.store.session() as s:
        user_ids = list(s.scalars(select(User.id).order_by(User.id).limit(5)))
        notification_ids = list(s.scalars(select(Notification.id).limit(3)))
    known: dict[str, list[Any]] = {
        "student_id": [student["student_id"], *others[:2]],
        "class_id": class_ids,
        "quiz_id": quiz_ids[:3],
        "thread_id": thread_ids[:3],
        "user_id": list(dict.fromkeys([*(c["user_id"] for c in callers.values()), *user_ids])),
        "notification_id": notification_ids,
    }
    missing = [name for name, values in known.items() if not values]
    assert not missing, f"the demo data has no ids for {missing}"
    return known


@pytest.fixture(scope="module")
def fuzz(curated: Curated, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FuzzTarget]:
    """A private app over a copy of the demo lake, its callers signed in, some ids to aim at."""
    root = tmp_path_factory.mktemp("api-fuzz")
    shutil.copytree(curated.lake, root / "lake")
    settings = make_settings(root, root / "lake", access_ttl_s=3600)
    users = seed_demo_users(settings, root / "demo_users.json")
    app = create_app(settings, scan_every_s=3600)
    # No lifespan here: Schemathesis' ASGI transport starts the app's (once) and it is shut below.
    world = ApiWorld(settings, app, TestClient(app), users)
    teacher = world.of_role("teacher")[0]
    student = next(u for u in world.of_role("student") if teacher["class_ids"][0] in u["class_ids"])
    callers = {
        "student": student,
        "teacher": teacher,
        "admin": world.of_role("admin")[0],
        "researcher": world.of_role("researcher")[0],
    }
    for role, caller in callers.items():
        me = world.client.get("/api/v1/auth/me", headers=world.headers(caller["username"]))
        assert me.status_code == 200 and me.json()["role"] == role, me.text
        callers[role] = {**caller, "user_id": me.json()["id"]}
    # A notification for the student, so marking one read can succeed.
    r = world.client.post(
        f"/api/v1/classes/{teacher['class_ids'][0]}/interventions",
        json={"student_id": student["student_id"], "kind": "message", "notify_student": True},
        headers=world.headers(teacher["username"]),
    )
    assert r.status_code == 201, r.text
    with world.services.store.session() as s:
        assignments = [
            (a.user_id, a.class_id)
            for a in s.scalars(
                select(ClassAssignment).where(
                    ClassAssignment.user_id == callers["teacher"]["user_id"]
                )
            )
        ]
    served = world.client.get("/openapi.json").json()
    assert served == OPENAPI, (
        "the fuzzed app serves another schema than the one tests were made from"
    )
    KNOWN.update(_known_ids(world, callers))
    target = FuzzTarget(world, callers, assignments)
    yield target
    asgi.shutdown_lifespans()


def _openapi_document() -> dict[str, Any]:
    """The OpenAPI document ``create_app`` serves (the same for every store and lake)."""
    with tempfile.TemporaryDirectory() as tmp:
        lake = LakeSettings(lake=Path(tmp) / "lake", landing=Path(tmp) / "landing")
        app = create_app(ApiSettings(lake=lake, database_url="sqlite://"))
        svc = app.state.services
        try:
            return app.openapi()
        finally:
            svc.audit.close()
            svc.store.dispose()


# Test items are made per operation when the module is collected, so the schema is read then;
# the ``fuzz`` fixture checks that its app serves this very document.
OPENAPI = _openapi_document()
# The callers' real credentials are sent with every case, so the security scheme's parameter
# (Authorization) is not generated nor mutated (hostile tokens: test_hostile_input).
schema = schemathesis.openapi.from_dict(
    OPENAPI,
    config=schemathesis.Config.from_dict({"generation": {"with-security-parameters": False}}),
)
# Ids in the fuzzed app's data, by path parameter name (filled in by the ``fuzz`` fixture).
KNOWN: dict[str, list[Any]] = {}


@schema.hook
def before_generate_path_parameters(
    context: schemathesis.HookContext, strategy: st.SearchStrategy[Any]
) -> st.SearchStrategy[Any]:
    """Half of the path parameters are ids that exist (random ids only reach 403 and 404)."""
    operation = context.operation
    assert operation is not None
    names = [p.name for p in operation.path_parameters]
    if not names:
        return strategy
    real = st.fixed_dictionaries(
        {n: st.deferred(lambda n=n: st.sampled_from(KNOWN[n])) for n in names}
    )
    return st.one_of(strategy, real)


@pytest.mark.parametrize("role", ROLES)
@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_responses_conform_to_the_schema(case: Case, role: str, fuzz: FuzzTarget) -> None:
    """No server error; documented status, content type, headers and body; invalid input: 4xx."""
    try:
        response = case.call_and_validate(
            app=fuzz.world.app, headers=fuzz.headers(role, case), checks=CHECKS
        )
    finally:
        if case.method.upper() != "GET":
            fuzz.restore()
    # A refused caller would make every later case a conformant but meaningless 401.
    assert response.status_code != 401 or case.operation.path in CREDENTIAL_OPERATIONS, (
        f"the {role}'s credentials were refused: {response.text}"
    )
