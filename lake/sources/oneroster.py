"""OneRoster CSV bundles (IMS OneRoster 1.1 and 1.2, CSV binding) into bronze and silver.

Load units. A bundle is a folder of CSV files (``landing/oneroster/<bundle>/users.csv`` ...) or a
``.zip`` of them (members may sit in a sub-folder of the zip). Every folder under
``landing/oneroster/`` that directly holds files is one bundle; files loose in
``landing/oneroster/`` itself form one bundle too; every ``.zip`` is a bundle of its own. Bundles
load in path order, so dated folders (``2026-09-01/``) load oldest first.

Files read: ``manifest``, ``orgs``, ``academicSessions``, ``courses``, ``classes``, ``users``,
``roles`` (1.2), ``enrollments`` and ``demographics`` (``.csv``, optionally gzip). Any other file in
a bundle (e.g. the gradebook files ``lineItems.csv``, ``results.csv``) has no table here and is
quarantined line by line as ``unreadable_file``, so it is reported rather than lost. Every CSV
row is kept in bronze (``oneroster__<entity>``) as received, valid or not.

Mapping to silver:

- ``orgs`` -> ``orgs``; ``academicSessions`` -> ``terms``; ``courses`` -> ``courses`` (``subjects``
  split on commas); ``classes`` -> ``classes`` (``term_id`` = the first of ``termSourcedIds``,
  ``org_id`` = ``schoolSourcedId``).
- ``users``: a user's role comes from ``users.role`` (1.1) or from ``roles.csv`` (1.2: the role
  whose ``roleType`` is ``primary``, else the first listed). Students go to ``students`` and
  ``student_identity`` only: ``student_id`` is found through any identifier already known
  (``sourced_id``, ``username``, lower-cased ``email``, ``user_id:<type>`` from ``userIds``) or
  else is a new pseudonym of ``("sourced_id", sourcedId)``; every one of those identifiers gets an
  identity row pointing to that ``student_id``, and names, emails and usernames are written there
  alone. ``grade_level`` is the first of ``grades``. ``enabledUser`` must be a boolean; disabled
  users are still loaded (silver has no account-state column; bronze keeps the flag).
  Teachers, aides, administrators (all administrator kinds), principals, counsellors and
  proctors go to ``staff`` (``staff_id`` = sourcedId).
- ``demographics`` -> ``students.birth_year`` (from ``birthDate``) and ``students.gender``
  (``male`` -> ``M``, ``female`` -> ``F`` as in OULAD, ``other`` -> ``other``, ``unspecified`` ->
  null) for students; demographics of other users are kept in bronze only.
- ``enrollments`` with role ``student`` -> ``enrollments``; with a staff role -> ``class_staff``.

Kept but not loaded into silver (counted as kept rows: they are valid records):

- guardians, parents and relatives (users, roles, enrollments and demographics of theirs), and
  extension roles (``ext:...``): bronze only;
- records with ``status`` = ``tobedeleted`` (1.1/1.2 delta exports), and enrollments whose user
  or class is ``tobedeleted`` in the same bundle: bronze only. Deletions are not propagated to
  silver by this parser.

Quarantined (with the file and line): records missing ``sourcedId`` or a field the mapping needs
(``missing_field``); bad dates or timestamps (``invalid_timestamp``); unknown ``role``,
``roleType``, ``status``, ``sex`` or boolean values, malformed ``userIds`` (``invalid_value``); a
user without any role (``spec_violation``); an enrollment, role or demographics record pointing
to a user or class present neither in the bundle nor in silver (``unknown_reference``), or whose
role contradicts the user's (``spec_violation``); a ``sourcedId`` repeated within a file
(``duplicate_record``, the first is kept); CSV-level problems as ``read_csv`` reports them.
"""

from __future__ import annotations

import functools
import re
import tempfile
import zipfile
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path, PurePosixPath
from typing import Any, ClassVar

import pyarrow as pa
import pyarrow.compute as pc

from lake.quarantine import QuarantineBuilder, Reason
from lake.sources.base import (
    FileCount,
    LoadUnit,
    ParseContext,
    ParseResult,
    UnsupportedFileError,
    is_ignored,
)
from lake.sources.common import (
    MAX_RECORD_BYTES,
    FileReadError,
    bronze_records,
    read_bytes,
    read_csv,
)
from lake.tables import silver

SOURCE = "oneroster"
SOURCED_ID = "sourced_id"

# Lower-cased file name (without .csv / .csv.gz) -> bronze entity.
ENTITIES: dict[str, str] = {
    "manifest": "manifest",
    "orgs": "orgs",
    "academicsessions": "academic_sessions",
    "courses": "courses",
    "classes": "classes",
    "users": "users",
    "roles": "roles",
    "enrollments": "enrollments",
    "demographics": "demographics",
}
REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "manifest": ("propertyName", "value"),
    **{e: ("sourcedId",) for e in ENTITIES.values() if e != "manifest"},
}
# Largest zip member read; a larger one makes the whole zip unreadable (zip-bomb guard).
MAX_MEMBER_BYTES = 1 << 30

STUDENT = "student"
STAFF_ROLES = (
    "teacher",
    "aide",
    "administrator",
    "districtAdministrator",
    "siteAdministrator",
    "systemAdministrator",
    "principal",
    "counselor",
    "proctor",
)
NOT_LOADED_ROLES = ("guardian", "parent", "relative")
ROLES: dict[str, str] = {r.lower(): r for r in (STUDENT, *STAFF_ROLES, *NOT_LOADED_ROLES)}
ROLE_TYPES = ("primary", "secondary")
STATUSES = ("active", "tobedeleted")
SEX = {"male": "M", "female": "F", "other": "other", "unspecified": None}
BOOLS = {"true": True, "false": False, "1": True, "0": False}

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$"
)
_USER_ID = re.compile(r"\{([^{}:]+):([^{}]*)\}")
_USER_IDS = re.compile(r"^\{[^{}:]+:[^{}]*\}(\s*,\s*\{[^{}:]+:[^{}]*\})*$")

Row = dict[str, Any]


class _RecordError(Exception):
    """A record breaks the binding (internal control flow, never escapes ``parse``)."""

    def __init__(self, code: Reason, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


def entity_of(file_name: str) -> str | None:
    """The bronze entity of a bundle member by its file name (case-insensitive), or None."""
    low = file_name.lower()
    for suffix in (".csv.gz", ".csv"):
        if low.endswith(suffix):
            return ENTITIES.get(low[: -len(suffix)])
    return None


def split_list(value: str | None) -> list[str]:
    """A comma-separated list field (``grades``, ``subjects``, ``termSourcedIds``)."""
    if not value:
        return []
    return [v.strip() for v in value.split(",") if v.strip()]


def parse_user_ids(value: str | None) -> list[tuple[str, str]]:
    """``{LMS:abc},{SIS:123}`` -> ``[("LMS", "abc"), ("SIS", "123")]``; raises ValueError."""
    if not value:
        return []
    if not _USER_IDS.match(value):
        raise ValueError(f"userIds {value[:80]!r} is not a list of {{type:identifier}}")
    return [(t.strip(), v.strip()) for t, v in _USER_ID.findall(value) if v.strip()]


# A roster repeats few distinct dates and modification times across its rows (a whole export
# often shares one dateLastModified), so each distinct value is checked once.
_VALUE_CACHE = 4096


@functools.lru_cache(maxsize=_VALUE_CACHE)
def _date_value(value: str) -> date | None:
    """The date of a ``YYYY-MM-DD`` value, None when it is not one."""
    if not _DATE.match(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


@functools.lru_cache(maxsize=_VALUE_CACHE)
def _is_datetime(value: str) -> bool:
    """True for an ISO 8601 date-time as the binding writes ``dateLastModified``."""
    if not _DATETIME.match(value):
        return False
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def _date(row: Row, col: str) -> date | None:
    value = row.get(col)
    if value is None:
        return None
    parsed = _date_value(value)
    if parsed is None:
        raise _RecordError(
            Reason.INVALID_TIMESTAMP, f"{col} {value[:80]!r} is not a date (YYYY-MM-DD)"
        )
    return parsed


def _bool(row: Row, col: str) -> bool | None:
    value = row.get(col)
    if value is None:
        return None
    if value.lower() not in BOOLS:
        raise _RecordError(Reason.INVALID_VALUE, f"{col} {value[:80]!r} is not true or false")
    return BOOLS[value.lower()]


def _required(row: Row, *cols: str) -> None:
    for col in cols:
        if row.get(col) is None:
            raise _RecordError(Reason.MISSING_FIELD, f"{col} is empty")


def _role(value: str | None, col: str = "role") -> str:
    """Canonical role name; ``ext:`` extension roles pass through as they are."""
    if value is None:
        raise _RecordError(Reason.MISSING_FIELD, f"{col} is empty")
    if value.startswith("ext:"):
        return value
    role = ROLES.get(value.lower())
    if role is None:
        raise _RecordError(Reason.INVALID_VALUE, f"{col} {value[:80]!r} is not a OneRoster role")
    return role


def _kind(role: str) -> str:
    if role == STUDENT:
        return "student"
    if role in STAFF_ROLES:
        return "staff"
    return "other"


@dataclass
class _Member:
    """One CSV of a bundle as read: valid-looking rows plus where to count them."""

    display: str
    count_key: str
    entity: str | None
    rows_in: int = 0
    quarantined: int = 0
    rows: list[Row] = field(default_factory=list)


@dataclass
class _Bundle:
    """State of one bundle while it is parsed."""

    unit: LoadUnit
    ctx: ParseContext
    result: ParseResult
    members: list[_Member] = field(default_factory=list)

    def entity_rows(self, entity: str) -> tuple[_Member | None, list[Row]]:
        for m in self.members:
            if m.entity == entity:
                return m, m.rows
        return None, []

    def reject(self, member: _Member, row: Row, code: Reason, reason: str) -> None:
        self.result.quarantine.add(member.display, row["_line"], code, reason, row["_raw"])
        member.quarantined += 1


def _common_checks(row: Row, entity: str) -> None:
    if len(row["_raw"]) > MAX_RECORD_BYTES:
        raise _RecordError(Reason.RECORD_TOO_LARGE, f"record of {len(row['_raw'])} chars")
    if entity == "manifest":
        _required(row, "propertyName")
        return
    _required(row, "sourcedId")
    status = row.get("status")
    if status is not None:
        if status.lower() not in STATUSES:
            raise _RecordError(
                Reason.INVALID_VALUE, f"status {status[:80]!r} is not active or tobedeleted"
            )
        row["status"] = status.lower()
    modified = row.get("dateLastModified")
    if modified is not None and not _is_datetime(modified):
        raise _RecordError(
            Reason.INVALID_TIMESTAMP,
            f"dateLastModified {modified[:80]!r} is not an ISO 8601 date-time",
        )


def _deleted(row: Row) -> bool:
    return row.get("status") == "tobedeleted"


class OneRosterParser:
    """Parser for OneRoster 1.1 / 1.2 CSV bundles (see the module docstring)."""

    source: ClassVar[str] = SOURCE

    def discover(self, landing: Path) -> list[LoadUnit]:
        """One unit per bundle folder and per zip, in path order."""
        root = landing / SOURCE
        if not root.is_dir():
            return []
        by_folder: dict[Path, list[Path]] = defaultdict(list)
        units: list[LoadUnit] = []
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            rel = path.relative_to(landing)
            if is_ignored(rel):
                continue
            if path.suffix.lower() == ".zip":
                units.append(LoadUnit(source=SOURCE, name=rel.as_posix(), files=(path,)))
            else:
                by_folder[path.parent].append(path)
        for folder, files in by_folder.items():
            name = folder.relative_to(landing).as_posix()
            units.append(LoadUnit(source=SOURCE, name=name, files=tuple(sorted(files))))
        return sorted(units, key=lambda u: u.name)

    def parse(self, unit: LoadUnit, ctx: ParseContext) -> ParseResult:
        """Parse one bundle; bad records go to quarantine, never raise on records."""
        bundle = _Bundle(unit=unit, ctx=ctx, result=ParseResult())
        with _members(unit) as members:
            for display, count_key, path in members:
                self._read_member(bundle, display, count_key, path)
        _map_bundle(bundle)
        # One count per CSV, zip members included (the ledger then has a row per member).
        counts: dict[str, list[int]] = {}
        for m in bundle.members:
            c = counts.setdefault(m.display, [0, 0])
            c[0] += m.rows_in
            c[1] += m.quarantined
        for f in unit.files:
            key = unit.member_name(f)
            if not any(d == key or d.startswith(key + "/") for d in counts):
                counts[key] = [0, 0]  # an empty zip still gets its ledger row
        for key, (rows_in, quarantined) in counts.items():
            bundle.result.files.append(FileCount(key, rows_in, rows_in - quarantined, quarantined))
        return bundle.result

    def _read_member(self, bundle: _Bundle, display: str, count_key: str, path: Path) -> None:
        entity = entity_of(PurePosixPath(display).name)
        member = _Member(display=display, count_key=count_key, entity=entity)
        bundle.members.append(member)
        if entity is None:
            _quarantine_whole_file(
                member,
                path,
                bundle.result.quarantine,
                "not a OneRoster file this loader reads (no bronze table for it)",
            )
            return
        if any(m.entity == entity for m in bundle.members[:-1]):
            member.entity = None
            _quarantine_whole_file(
                member,
                path,
                bundle.result.quarantine,
                f"a second {entity} file in the same bundle",
            )
            return
        q = QuarantineBuilder()
        try:
            csv = read_csv(path, display, q, required=REQUIRED_COLUMNS[entity])
            if len(set(csv.table.column_names)) != csv.table.num_columns:
                raise FileReadError(f"repeated column names in header {csv.table.column_names}")
        except FileReadError as exc:
            member.entity = None
            _quarantine_whole_file(member, path, bundle.result.quarantine, f"{entity}: {exc}")
            return
        bundle.result.quarantine.absorb(q)
        member.rows_in = csv.rows_in
        member.quarantined = csv.quarantined
        bronze = bronze_records(csv.table, display)
        bundle.result.bronze[entity] = bronze
        # Trimmed, blank -> null, in Arrow; columns named like our own "_" working keys are
        # dropped (bronze keeps them).
        table = csv.table
        cols: dict[str, pa.Array | pa.ChunkedArray] = {}
        for name in table.column_names:
            if name.startswith("_"):
                continue
            col = pc.utf8_trim_whitespace(table.column(name))
            cols[name] = pc.if_else(pc.equal(col, ""), pa.scalar(None, pa.string()), col)
        cols["_line"] = table.column("_line")
        cols["_raw"] = bronze.column("record")
        # Column by column into Python, then zipped into rows: about twice as fast as
        # Table.to_pylist, which builds each row's dict through Arrow scalars.
        names = list(cols)
        values = [c.to_pylist() for c in cols.values()]
        member.rows = [dict(zip(names, row, strict=True)) for row in zip(*values, strict=True)]


@contextmanager
def _members(unit: LoadUnit) -> Iterator[list[tuple[str, str, Path]]]:
    """(display name, ledger file name, readable path) for each CSV of the bundle."""
    if not (len(unit.files) == 1 and unit.files[0].suffix.lower() == ".zip"):
        yield [(f"{unit.name}/{f.name}", unit.member_name(f), f) for f in unit.files]
        return
    zpath = unit.files[0]
    try:
        archive = zipfile.ZipFile(zpath)
    except (zipfile.BadZipFile, OSError) as exc:
        raise UnsupportedFileError(f"not a readable zip file: {exc}") from exc
    with archive, tempfile.TemporaryDirectory(prefix="oneroster-") as tmp:
        out = []
        infos = [
            i
            for i in archive.infolist()
            if not i.is_dir()
            and not is_ignored(Path(i.filename))
            and not i.filename.startswith("__MACOSX/")
        ]
        for n, info in enumerate(sorted(infos, key=lambda i: i.filename)):
            if info.file_size > MAX_MEMBER_BYTES:
                raise UnsupportedFileError(
                    f"zip member {info.filename} is {info.file_size} bytes, over the limit"
                )
            target = Path(tmp) / f"{n}.csv"
            try:
                target.write_bytes(archive.read(info))
            except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
                raise UnsupportedFileError(f"zip member {info.filename}: {exc}") from exc
            basename = PurePosixPath(info.filename).name
            out.append((f"{unit.name}/{basename}", unit.member_name(zpath), target))
        yield out


def _quarantine_whole_file(member: _Member, path: Path, q: QuarantineBuilder, reason: str) -> None:
    try:
        data = read_bytes(path)
    except FileReadError:
        data = path.read_bytes()
    lines = data.splitlines() or [b""]
    for i, raw in enumerate(lines, start=1):
        q.add(member.display, i, Reason.UNREADABLE_FILE, reason, raw)
    member.rows_in += len(lines)
    member.quarantined += len(lines)


# ---------------------------------------------------------------------------------------------
# Mapping a read bundle into silver.


def _validate(bundle: _Bundle, entity: str, check: Any = None) -> list[Row]:
    """Rows of ``entity`` passing the common checks, ``check`` (may raise ``_RecordError``) and
    the one-``sourcedId``-per-file rule; the others are quarantined."""
    member, rows = bundle.entity_rows(entity)
    if member is None:
        return []
    kept: list[Row] = []
    seen: set[str] = set()
    for row in rows:
        try:
            _common_checks(row, entity)
            if check is not None:
                check(row)
            sid = row.get("sourcedId")
            if sid is not None:
                if sid in seen:
                    raise _RecordError(
                        Reason.DUPLICATE_RECORD, f"sourcedId {sid[:80]!r} repeats an earlier row"
                    )
                seen.add(sid)
        except _RecordError as r:
            bundle.reject(member, row, r.code, r.reason)
            continue
        kept.append(row)
    return kept


def _table(name: str, rows: list[Row]) -> pa.Table:
    spec = silver(name)
    cols = list(rows[0]) if rows else []
    return pa.table({c: pa.array([r[c] for r in rows], spec.schema.field(c).type) for c in cols})


def _put(bundle: _Bundle, name: str, rows: list[Row]) -> None:
    if rows:
        bundle.result.silver[name] = _table(name, rows)


def _map_bundle(b: _Bundle) -> None:
    _validate(b, "manifest")

    orgs = _validate(b, "orgs")
    _put(
        b,
        "orgs",
        [
            {
                "org_id": r["sourcedId"],
                "source": SOURCE,
                "name": r.get("name"),
                "org_type": r.get("type"),
                "parent_org_id": r.get("parentSourcedId"),
            }
            for r in orgs
            if not _deleted(r)
        ],
    )

    def session_check(r: Row) -> None:
        r["_start"], r["_end"] = _date(r, "startDate"), _date(r, "endDate")

    sessions = _validate(b, "academic_sessions", session_check)
    _put(
        b,
        "terms",
        [
            {
                "term_id": r["sourcedId"],
                "source": SOURCE,
                "title": r.get("title"),
                "term_type": r.get("type"),
                "start_date": r["_start"],
                "end_date": r["_end"],
                "parent_term_id": r.get("parentSourcedId"),
                "school_year": r.get("schoolYear"),
            }
            for r in sessions
            if not _deleted(r)
        ],
    )

    courses = _validate(b, "courses")
    _put(
        b,
        "courses",
        [
            {
                "course_id": r["sourcedId"],
                "source": SOURCE,
                "title": r.get("title"),
                "course_code": r.get("courseCode"),
                "org_id": r.get("orgSourcedId"),
                "subjects": split_list(r.get("subjects")) or None,
            }
            for r in courses
            if not _deleted(r)
        ],
    )

    classes = _validate(b, "classes", lambda r: _required(r, "courseSourcedId"))
    _put(
        b,
        "classes",
        [
            {
                "class_id": r["sourcedId"],
                "course_id": r["courseSourcedId"],
                "source": SOURCE,
                "title": r.get("title"),
                "class_code": r.get("classCode"),
                "term_id": next(iter(split_list(r.get("termSourcedIds"))), None),
                "org_id": r.get("schoolSourcedId"),
            }
            for r in classes
            if not _deleted(r)
        ],
    )

    users = _map_users(b)
    _map_enrollments(b, users, {r["sourcedId"]: r for r in classes})


@dataclass
class _Users:
    """Users of the bundle that survived validation, by sourcedId, with their kind."""

    rows: dict[str, Row]
    kind: dict[str, str]
    student_ids: dict[str, str]


def _user_check(r: Row) -> None:
    r["_enabled"] = _bool(r, "enabledUser")
    if r.get("role") is not None:
        r["role"] = _role(r["role"])
    try:
        r["_user_ids"] = parse_user_ids(r.get("userIds"))
    except ValueError as exc:
        raise _RecordError(Reason.INVALID_VALUE, str(exc)) from None


def _map_users(b: _Bundle) -> _Users:
    ctx = b.ctx
    identity = ctx.identity_map()
    silver_staff = ctx.known_ids("staff", "staff_id")
    users_member, _ = b.entity_rows("users")
    users = _validate(b, "users", _user_check)
    valid_users = {r["sourcedId"] for r in users}

    def known_user(uid: str) -> bool:
        return uid in valid_users or (SOURCED_ID, uid) in identity or uid in silver_staff

    def role_check(r: Row) -> None:
        _required(r, "userSourcedId", "role", "roleType")
        r["role"] = _role(r["role"])
        if r["roleType"].lower() not in ROLE_TYPES:
            raise _RecordError(
                Reason.INVALID_VALUE,
                f"roleType {r['roleType'][:80]!r} is not primary or secondary",
            )
        r["roleType"] = r["roleType"].lower()
        _date(r, "beginDate")
        _date(r, "endDate")
        if not known_user(r["userSourcedId"]):
            raise _RecordError(
                Reason.UNKNOWN_REFERENCE,
                f"user {r['userSourcedId'][:80]!r} is in neither this bundle nor silver",
            )

    roles_by_user: dict[str, list[Row]] = defaultdict(list)
    for r in _validate(b, "roles", role_check):
        if not _deleted(r):
            roles_by_user[r["userSourcedId"]].append(r)

    kinds: dict[str, str] = {}
    kept: dict[str, Row] = {}
    for r in users:
        uid = r["sourcedId"]
        user_roles = roles_by_user.get(uid, [])
        primary = [x for x in user_roles if x["roleType"] == "primary"] or user_roles
        if primary:
            r["_role"] = primary[0]["role"]
            r["_org"] = primary[0].get("orgSourcedId")
        elif r.get("role") is not None:
            r["_role"] = r["role"]
        elif (SOURCED_ID, uid) in identity:
            r["_role"] = STUDENT
        elif uid in silver_staff:
            r["_role"] = None
            kinds[uid] = "staff"
        else:
            assert users_member is not None
            b.reject(
                users_member,
                r,
                Reason.SPEC_VIOLATION,
                "user has no role (no role column and no roles.csv record)",
            )
            continue
        kinds.setdefault(uid, _kind(r["_role"]) if r["_role"] else "staff")
        kept[uid] = r

    students = [r for uid, r in kept.items() if kinds[uid] == "student"]
    student_ids, new_students = _resolve_students(ctx, students)

    demographics = _map_demographics(b, kept, kinds, student_ids)
    now = ctx.now
    identity_rows: list[Row] = []
    student_rows: list[Row] = []
    staff_rows: list[Row] = []
    for uid, r in kept.items():
        if _deleted(r):
            continue
        org = (
            r.get("primaryOrgSourcedId")
            or r.get("primaryOrg")
            or r.get("_org")
            or next(iter(split_list(r.get("orgSourcedIds"))), None)
        )
        if kinds[uid] == "student":
            sid = student_ids[uid]
            email = r.get("email")
            names = {
                "student_id": sid,
                "source": SOURCE,
                "given_name": r.get("givenName"),
                "family_name": r.get("familyName"),
                "email": email,
                "username": r.get("username"),
            }
            for id_type, value in _identifiers(r):
                identity_rows.append({"identifier_type": id_type, "identifier": value, **names})
            demo = demographics.pop(sid, {})
            student_rows.append(
                {
                    "student_id": sid,
                    "source": SOURCE,
                    "org_id": org,
                    "grade_level": next(iter(split_list(r.get("grades"))), None),
                    "birth_year": demo.get("birth_year"),
                    "gender": demo.get("gender"),
                    "first_seen_at": now if uid in new_students else None,
                }
            )
        elif kinds[uid] == "staff":
            staff_rows.append(
                {
                    "staff_id": uid,
                    "source": SOURCE,
                    "source_id": uid,
                    "role": r.get("_role"),
                    "org_id": org,
                    "given_name": r.get("givenName"),
                    "family_name": r.get("familyName"),
                    "email": r.get("email"),
                    "username": r.get("username"),
                }
            )
    # Demographics of students already in silver (not in this bundle's users).
    for sid, demo in demographics.items():
        student_rows.append(
            {
                "student_id": sid,
                "source": SOURCE,
                "org_id": None,
                "grade_level": None,
                "birth_year": demo.get("birth_year"),
                "gender": demo.get("gender"),
                "first_seen_at": None,
            }
        )
    _put(b, "student_identity", identity_rows)
    _put(b, "students", student_rows)
    _put(b, "staff", staff_rows)
    return _Users(rows=kept, kind=kinds, student_ids=student_ids)


def _identifiers(r: Row) -> list[tuple[str, str]]:
    """Every identifier of a user row as (identifier_type, identifier)."""
    ids = [(SOURCED_ID, r["sourcedId"])]
    if r.get("username"):
        ids.append(("username", r["username"]))
    if r.get("email"):
        ids.append(("email", r["email"].lower()))
    ids += [(f"user_id:{t}", v) for t, v in r.get("_user_ids", [])]
    return ids


def _resolve_students(ctx: ParseContext, students: list[Row]) -> tuple[dict[str, str], set[str]]:
    """sourcedId -> student_id: through any identifier already known, else a new pseudonym of
    the sourcedId; also the sourcedIds that got a new pseudonym."""
    identity = ctx.identity_map()
    out: dict[str, str] = {}
    new: list[str] = []
    for r in students:
        uid = r["sourcedId"]
        found = next((identity[i] for i in _identifiers(r) if i in identity), None)
        if found is not None:
            out[uid] = found
        else:
            new.append(uid)
    new = list(dict.fromkeys(new))
    out.update(zip(new, ctx.pseudonyms(SOURCED_ID, new), strict=True))
    return out, set(new)


def _map_demographics(
    b: _Bundle, users: dict[str, Row], kinds: dict[str, str], student_ids: dict[str, str]
) -> dict[str, dict[str, Any]]:
    """student_id -> {birth_year, gender} from demographics of students (bundle or silver)."""
    identity = b.ctx.identity_map()
    silver_staff = b.ctx.known_ids("staff", "staff_id")

    def check(r: Row) -> None:
        born = _date(r, "birthDate")
        r["_birth_year"] = born.year if born else None
        sex = r.get("sex")
        if sex is not None and sex.lower() not in SEX:
            raise _RecordError(
                Reason.INVALID_VALUE,
                f"sex {sex[:80]!r} is not one of {', '.join(SEX)}",
            )
        r["_gender"] = SEX[sex.lower()] if sex is not None else None
        uid = r["sourcedId"]
        if uid not in users and (SOURCED_ID, uid) not in identity and uid not in silver_staff:
            raise _RecordError(
                Reason.UNKNOWN_REFERENCE, f"user {uid[:80]!r} is in neither this bundle nor silver"
            )

    out: dict[str, dict[str, Any]] = {}
    for r in _validate(b, "demographics", check):
        uid = r["sourcedId"]
        if _deleted(r):
            continue
        if uid in users:
            if kinds.get(uid) != "student" or _deleted(users[uid]):
                continue
            sid = student_ids[uid]
        elif (SOURCED_ID, uid) in identity:
            sid = identity[(SOURCED_ID, uid)]
        else:
            continue
        out[sid] = {"birth_year": r["_birth_year"], "gender": r["_gender"]}
    return out


def _map_enrollments(b: _Bundle, users: _Users, classes: dict[str, Row]) -> None:
    ctx = b.ctx
    identity = ctx.identity_map()
    silver_classes = ctx.known_ids("classes", "class_id")
    silver_staff = ctx.known_ids("staff", "staff_id")

    def check(r: Row) -> None:
        _required(r, "classSourcedId", "userSourcedId", "role")
        r["role"] = _role(r["role"])
        r["_primary"] = _bool(r, "primary")
        r["_begin"], r["_end"] = _date(r, "beginDate"), _date(r, "endDate")
        cid, uid = r["classSourcedId"], r["userSourcedId"]
        if cid not in classes and cid not in silver_classes:
            raise _RecordError(
                Reason.UNKNOWN_REFERENCE, f"class {cid[:80]!r} is in neither this bundle nor silver"
            )
        in_silver_student = (SOURCED_ID, uid) in identity
        in_silver_staff = uid in silver_staff
        if uid not in users.rows and not in_silver_student and not in_silver_staff:
            raise _RecordError(
                Reason.UNKNOWN_REFERENCE,
                f"user {uid[:80]!r} is neither a valid user of this bundle nor in silver",
            )
        kind = _kind(r["role"])
        if kind == "other":
            return
        user_kind = users.kind.get(uid) or ("student" if in_silver_student else "staff")
        if user_kind != kind:
            raise _RecordError(
                Reason.SPEC_VIOLATION,
                f"enrollment role {r['role']} but user {uid[:80]!r} is not a {kind}",
            )

    enrollments: list[Row] = []
    class_staff: list[Row] = []
    for r in _validate(b, "enrollments", check):
        cid, uid = r["classSourcedId"], r["userSourcedId"]
        user, klass = users.rows.get(uid), classes.get(cid)
        if _deleted(r) or (user and _deleted(user)) or (klass and _deleted(klass)):
            continue
        kind = _kind(r["role"])
        if kind == "student":
            sid = users.student_ids.get(uid) or identity[(SOURCED_ID, uid)]
            enrollments.append(
                {
                    "class_id": cid,
                    "student_id": sid,
                    "source": SOURCE,
                    "status": "active",
                    "begin_date": r["_begin"],
                    "end_date": r["_end"],
                    "is_primary": r["_primary"],
                }
            )
        elif kind == "staff":
            class_staff.append(
                {"class_id": cid, "staff_id": uid, "role": r["role"], "is_primary": r["_primary"]}
            )
    _put(b, "enrollments", enrollments)
    _put(b, "class_staff", class_staff)


PARSER = OneRosterParser()

__all__ = ["PARSER", "OneRosterParser", "entity_of", "parse_user_ids", "split_list"]
