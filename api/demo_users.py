"""Demo users of every role, made from the demo school in the lake.

Teachers come from the roster's staff and their class assignments; students from the roster
(their LRS account is their roster ``sourcedId``, which the lake resolves to their pseudonym);
plus an admin and a researcher. Passwords are generated once and written, with each user's role
and the student or classes they belong to, to ``data/demo_users.json`` (never committed).

The demo admin and researcher also carry their Trino login (``trino_user``: ``admin`` and
``researcher``; ``trino_password``), generated once as well: Trino's password file is derived
from these entries (:func:`trino_logins`, called before the users are seeded when Trino starts
first).
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

from deltalake import DeltaTable
from sqlalchemy import select

from api.security import hash_password
from api.settings import ApiSettings
from api.store.db import Store, migrate
from api.store.models import ClassAssignment, User
from lake.io import read_delta


def _silver(settings: ApiSettings, table: str) -> list[dict[str, Any]]:
    path = settings.lake.lake / "silver" / table
    if not (path / "_delta_log").exists():
        return []
    return read_delta(DeltaTable(str(path))).to_pylist()


def _password(role: str) -> str:
    return f"{role}-{secrets.token_urlsafe(9)}"


TRINO_USERS = {"admin": "admin", "researcher": "researcher"}  # demo role -> Trino user


def _trino_fields(entry: dict[str, Any], role: str) -> dict[str, str]:
    """The entry's Trino login, kept when it has one, else generated."""
    return {
        "trino_user": entry.get("trino_user") or TRINO_USERS[role],
        "trino_password": entry.get("trino_password") or f"trino-{secrets.token_urlsafe(18)}",
    }


def trino_logins(out: Path) -> dict[str, str]:
    """Trino user -> password of the demo admin and researcher, generated once into ``out``.

    Needs no lake or store: Trino may start before the demo users are seeded. Entries missing
    from ``out`` are added (with their API password, which :func:`seed_demo_users` keeps).
    """
    users = json.loads(out.read_text()) if out.exists() else []
    logins: dict[str, str] = {}
    changed = False
    for role in TRINO_USERS:
        username = f"demo-{role}"
        entry = next((u for u in users if u.get("username") == username), None)
        if entry is None:
            entry = {"role": role, "username": username, "password": _password(role)}
            users.insert(0 if role == "admin" else 1, entry)
        fields = _trino_fields(entry, role)
        if any(entry.get(k) != v for k, v in fields.items()):
            entry.update(fields)
            changed = True
        logins[fields["trino_user"]] = fields["trino_password"]
    if changed:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(out.name + ".tmp")
        tmp.write_text(json.dumps(users, indent=1))
        tmp.chmod(0o600)
        tmp.replace(out)
    return logins


def seed_demo_users(settings: ApiSettings, out: Path) -> list[dict[str, Any]]:
    """Create (or keep) the demo users; returns and writes their logins."""
    migrate(settings.database_url)
    store = Store(settings.database_url)
    previous = {u["username"]: u for u in json.loads(out.read_text())} if out.exists() else {}
    logins: list[dict[str, Any]] = []
    staff = [s for s in _silver(settings, "staff") if (s.get("role") or "") == "teacher"]
    class_staff = _silver(settings, "class_staff")
    identity = _silver(settings, "student_identity")
    by_student: dict[str, dict[str, Any]] = {}
    for row in identity:
        entry = by_student.setdefault(row["student_id"], {})
        entry[row["identifier_type"]] = row["identifier"]
        entry.setdefault("name", f"{row.get('given_name') or ''} {row.get('family_name') or ''}")
        entry.setdefault("email", row.get("email"))
        entry.setdefault("username", row.get("username"))
    enrol = _silver(settings, "enrollments")
    student_classes: dict[str, list[str]] = {}
    for e in enrol:
        student_classes.setdefault(e["student_id"], []).append(e["class_id"])

    # One hash for all demo students: hashing 600 passwords with argon2 would take a minute.
    earlier = next((u for u in previous.values() if u.get("role") == "student"), {})
    student_password = earlier.get("password") or _password("student")
    student_hash = hash_password(student_password)

    def upsert(s: Any, username: str, role: str, password: str, **fields: Any) -> User:
        user = s.scalars(select(User).where(User.username == username)).first()
        if user is None:
            user = User(username=username, role=role, **fields)
            s.add(user)
        user.password_hash = (
            student_hash if password == student_password else hash_password(password)
        )
        s.flush()
        return user

    with store.session() as s:
        for role, name in (("admin", "Demo Administrator"), ("researcher", "Demo Researcher")):
            username = f"demo-{role}"
            password = previous.get(username, {}).get("password") or _password(role)
            upsert(s, username, role, password, display_name=name, email=f"{role}@demo.example")
            entry = {"role": role, "username": username, "password": password}
            entry.update(_trino_fields(previous.get(username, {}), role))
            logins.append(entry)
        for t in staff:
            username = t.get("username") or t["staff_id"]
            password = previous.get(username, {}).get("password") or _password("teacher")
            user = upsert(
                s,
                username,
                "teacher",
                password,
                display_name=f"{t.get('given_name') or ''} {t.get('family_name') or ''}".strip(),
                email=t.get("email"),
                staff_id=t["staff_id"],
            )
            classes = sorted({c["class_id"] for c in class_staff if c["staff_id"] == t["staff_id"]})
            for c in classes:
                if s.get(ClassAssignment, (user.id, c)) is None:
                    s.add(ClassAssignment(user_id=user.id, class_id=c))
            if classes:
                logins.append(
                    {
                        "role": "teacher",
                        "username": username,
                        "password": password,
                        "class_ids": classes,
                    }
                )
        for sid, ids in sorted(by_student.items()):
            username = ids.get("username") or ids.get("sourced_id")
            if not username:
                continue
            upsert(
                s,
                username,
                "student",
                student_password,
                display_name=ids["name"].strip(),
                email=ids.get("email"),
                student_id=sid,
                lrs_account=ids.get("sourced_id") or username,
            )
            logins.append(
                {
                    "role": "student",
                    "username": username,
                    "password": student_password,
                    "student_id": sid,
                    "class_ids": sorted(student_classes.get(sid, [])),
                }
            )
    store.dispose()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(logins, indent=1))
    return logins
