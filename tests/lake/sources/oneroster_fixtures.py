"""Small, self-made OneRoster 1.1 and 1.2 CSV bundles for the parser tests.

Every bundle is a dict of file name -> list of rows (the first row is the header); ``write_bundle``
writes it as a folder and ``write_zip`` as a zip, both with RFC 4180 quoting (fields holding
commas, quotes or newlines are quoted).
"""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

Bundle = dict[str, list[list[str]]]

TS = "2026-08-01T12:00:00Z"

ORGS = [
    ["sourcedId", "status", "dateLastModified", "name", "type", "identifier", "parentSourcedId"],
    ["d1", "active", TS, "North District", "district", "NRD", ""],
    ["s1", "active", TS, "Lincoln High, East Campus", "school", "LHE", "d1"],
]
SESSIONS = [
    [
        "sourcedId",
        "status",
        "dateLastModified",
        "title",
        "type",
        "startDate",
        "endDate",
        "parentSourcedId",
        "schoolYear",
    ],
    ["y2026", "active", TS, "2025-2026", "schoolYear", "2025-08-15", "2026-06-15", "", "2026"],
    ["t1", "active", TS, "Fall, 2025", "term", "2025-08-15", "2025-12-20", "y2026", "2026"],
    ["t-bad", "active", TS, "Broken", "term", "2025-13-01", "2025-12-20", "y2026", "2026"],
]
COURSES = [
    [
        "sourcedId",
        "status",
        "dateLastModified",
        "schoolYearSourcedId",
        "title",
        "courseCode",
        "grades",
        "orgSourcedId",
        "subjects",
        "subjectCodes",
    ],
    ["c-alg", "active", TS, "y2026", "Algebra I", "ALG1", "09,10", "s1", "Mathematics,Algebra", ""],
]
CLASSES = [
    [
        "sourcedId",
        "status",
        "dateLastModified",
        "title",
        "grades",
        "courseSourcedId",
        "classCode",
        "classType",
        "location",
        "schoolSourcedId",
        "termSourcedIds",
        "subjects",
        "subjectCodes",
        "periods",
    ],
    [
        "k-alg-1",
        "active",
        TS,
        'Algebra I, Period 1 "honours"',
        "09",
        "c-alg",
        "ALG1-1",
        "scheduled",
        "Room 12",
        "s1",
        "t1,y2026",
        "Mathematics",
        "",
        "1,2",
    ],
    ["k-nocourse", "active", TS, "Orphan", "09", "", "X", "scheduled", "", "s1", "t1", "", "", ""],
]

USERS_12_HEADER = [
    "sourcedId",
    "status",
    "dateLastModified",
    "enabledUser",
    "username",
    "userIds",
    "givenName",
    "familyName",
    "middleName",
    "identifier",
    "email",
    "sms",
    "phone",
    "agentSourcedIds",
    "grades",
    "password",
    "userMasterIdentifier",
    "resourceSourcedIds",
    "preferredGivenName",
    "preferredMiddleName",
    "preferredFamilyName",
    "primaryOrgSourcedId",
    "pronouns",
]


def _user12(
    sid: str,
    given: str,
    family: str,
    *,
    username: str = "",
    user_ids: str = "",
    email: str = "",
    grades: str = "",
    status: str = "active",
    enabled: str = "true",
) -> list[str]:
    return [
        sid,
        status,
        TS,
        enabled,
        username,
        user_ids,
        given,
        family,
        "",
        "",
        email,
        "",
        "",
        "",
        grades,
        "",
        "",
        "",
        "",
        "",
        "",
        "s1",
        "",
    ]


USERS_12 = [
    USERS_12_HEADER,
    _user12(
        "u-st1",
        "Zoë",
        "Ñúñez",
        username="zoe.nunez",
        user_ids="{LMS:abc},{SIS:123}",
        email="Zoe.Nunez@Example.edu",
        grades="09",
    ),
    _user12(
        "u-st2", "Liam", "O'Brien, Jr.", username="liam.ob", email="liam@example.edu", grades="10"
    ),
    _user12("u-st3", "Gone", "Away", username="gone", status="tobedeleted", grades="09"),
    _user12("u-t1", "Ana", "Lima", username="alima", email="ana.lima@example.edu"),
    _user12("u-aide1", "Bo", "Berg", username="bberg"),
    _user12("u-adm1", "Cy", "Chen", username="cchen"),
    _user12("u-g1", "Gail", "Ñúñez", username="gail"),
    _user12("u-p1", "Pat", "O'Brien", username="pat"),
    _user12("u-r1", "Rae", "Ñúñez", username="rae"),
    _user12("u-bad", "Bad", "Flag", enabled="maybe"),
    _user12("", "No", "Id"),
    _user12("u-norole", "No", "Role"),
]

ROLES_HEADER = [
    "sourcedId",
    "status",
    "dateLastModified",
    "userSourcedId",
    "roleType",
    "role",
    "beginDate",
    "endDate",
    "orgSourcedId",
    "userProfileSourcedId",
]


def _role(sid: str, user: str, role: str, role_type: str = "primary") -> list[str]:
    return [sid, "active", TS, user, role_type, role, "", "", "s1", ""]


ROLES_12 = [
    ROLES_HEADER,
    _role("r1", "u-st1", "student"),
    _role("r2", "u-st2", "student"),
    _role("r3", "u-st3", "student"),
    _role("r4", "u-t1", "teacher"),
    _role("r4b", "u-t1", "parent", "secondary"),
    _role("r5", "u-aide1", "aide"),
    _role("r6", "u-adm1", "siteAdministrator"),
    _role("r7", "u-g1", "guardian"),
    _role("r8", "u-p1", "parent"),
    _role("r9", "u-r1", "relative"),
    _role("r-bad-role", "u-st1", "wizard", "secondary"),
    _role("r-ghost", "u-ghost", "student"),
]

ENROLLMENTS_HEADER = [
    "sourcedId",
    "status",
    "dateLastModified",
    "classSourcedId",
    "schoolSourcedId",
    "userSourcedId",
    "role",
    "primary",
    "beginDate",
    "endDate",
]


def _enr(
    sid: str,
    cls: str,
    user: str,
    role: str,
    primary: str = "false",
    begin: str = "2025-08-15",
    status: str = "active",
) -> list[str]:
    return [sid, status, TS, cls, "s1", user, role, primary, begin, ""]


ENROLLMENTS_12 = [
    ENROLLMENTS_HEADER,
    _enr("e1", "k-alg-1", "u-st1", "student"),
    _enr("e2", "k-alg-1", "u-st2", "student"),
    _enr("e3", "k-alg-1", "u-t1", "teacher", primary="true"),
    _enr("e4", "k-alg-1", "u-aide1", "aide"),
    _enr("e5", "k-alg-1", "u-st3", "student"),
    _enr("e-del", "k-alg-1", "u-st2", "student", status="tobedeleted"),
    _enr("e-no-class", "k-missing", "u-st1", "student"),
    _enr("e-no-user", "k-alg-1", "u-ghost", "student"),
    _enr("e-bad-date", "k-alg-1", "u-st2", "student", begin="15/08/2025"),
    _enr("e-bad-role", "k-alg-1", "u-st2", "wizard"),
    _enr("e-mismatch", "k-alg-1", "u-t1", "student"),
]

DEMOGRAPHICS_HEADER = ["sourcedId", "status", "dateLastModified", "birthDate", "sex"]
DEMOGRAPHICS = [
    DEMOGRAPHICS_HEADER,
    ["u-st1", "active", TS, "2010-03-04", "female"],
    ["u-st2", "active", TS, "2009-11-30", "male"],
    ["u-t1", "active", TS, "1980-01-01", "female"],
    ["u-g1", "active", TS, "2010-02-30", "female"],
]

MANIFEST_12 = [
    ["propertyName", "value"],
    ["manifest.version", "1.0"],
    ["oneroster.version", "1.2"],
    ["file.users", "bulk"],
    ["source.systemName", "Test SIS, v2"],
]


def bundle_12() -> Bundle:
    """A 1.2 bundle with every kind of user and a handful of records that break the binding."""
    return {
        "manifest.csv": MANIFEST_12,
        "orgs.csv": ORGS,
        "academicSessions.csv": SESSIONS,
        "courses.csv": COURSES,
        "classes.csv": CLASSES,
        "users.csv": USERS_12,
        "roles.csv": ROLES_12,
        "enrollments.csv": ENROLLMENTS_12,
        "demographics.csv": DEMOGRAPHICS,
    }


USERS_11 = [
    [
        "sourcedId",
        "status",
        "dateLastModified",
        "enabledUser",
        "orgSourcedIds",
        "role",
        "username",
        "userIds",
        "givenName",
        "familyName",
        "middleName",
        "identifier",
        "email",
        "sms",
        "phone",
        "agentSourcedIds",
        "grades",
        "password",
    ],
    [
        "v-st1",
        "",
        "",
        "true",
        "s1,d1",
        "student",
        "mia.k",
        "{LMS:mia-lms}",
        "Mia",
        "Kovač",
        "",
        "",
        "mia@example.edu",
        "",
        "",
        "v-g1",
        "11",
        "",
    ],
    [
        "v-t1",
        "",
        "",
        "true",
        "s1",
        "teacher",
        "tkay",
        "",
        "Tom",
        "Kay",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
    ],
    [
        "v-g1",
        "",
        "",
        "true",
        "s1",
        "guardian",
        "gk",
        "",
        "Gus",
        "Kovač",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
    ],
    ["v-bad", "", "", "true", "s1", "pupil", "", "", "Bad", "Role", "", "", "", "", "", "", "", ""],
]
CLASSES_11 = [
    CLASSES[0],
    [
        "k-geo",
        "",
        "",
        "Geometry",
        "11",
        "c-geo",
        "GEO",
        "scheduled",
        "",
        "s1",
        "t1",
        "",
        "",
        "",
    ],
]
COURSES_11 = [
    COURSES[0],
    ["c-geo", "", "", "y2026", "Geometry", "GEO", "11", "s1", "Mathematics", ""],
]
ENROLLMENTS_11 = [
    ENROLLMENTS_HEADER,
    _enr("f1", "k-geo", "v-st1", "student", status=""),
    _enr("f2", "k-geo", "v-t1", "teacher", primary="true", status=""),
    _enr("f3", "k-geo", "v-nobody", "student", status=""),
]


def bundle_11() -> Bundle:
    """A 1.1 bundle: the role is a users.csv column, there is no roles.csv."""
    return {
        "manifest.csv": [["propertyName", "value"], ["oneroster.version", "1.1"]],
        "orgs.csv": ORGS,
        "academicSessions.csv": SESSIONS[:3],
        "courses.csv": COURSES_11,
        "classes.csv": CLASSES_11,
        "users.csv": USERS_11,
        "enrollments.csv": ENROLLMENTS_11,
    }


def csv_bytes(rows: list[list[str]]) -> bytes:
    """RFC 4180 CSV text (CRLF) of ``rows``, UTF-8."""
    buf = io.StringIO()
    csv.writer(buf, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n").writerows(rows)
    return buf.getvalue().encode("utf-8")


def write_bundle(folder: Path, bundle: Bundle) -> Path:
    """Write ``bundle`` as a folder of CSV files; returns the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in bundle.items():
        (folder / name).write_bytes(csv_bytes(rows))
    return folder


def write_zip(path: Path, bundle: Bundle, prefix: str = "") -> Path:
    """Write ``bundle`` as a zip (members optionally under ``prefix/``); returns the zip path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, rows in bundle.items():
            zf.writestr(f"{prefix}{name}", csv_bytes(rows))
    return path
