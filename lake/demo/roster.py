"""The demo roster: students, staff and enrollments, and its OneRoster 1.2 CSV bundle.

Header names and value vocabularies follow the IMS OneRoster 1.2 CSV binding. OneRoster 1.2 moved
a user's organisations out of ``users.csv`` into ``roles.csv`` (one row per user and org, with
``roleType`` primary or secondary), so students enrolled at both schools have two role rows; the
comma lists of the binding show up in ``grades``, ``termSourcedIds``, ``subjects``,
``subjectCodes``, ``userIds`` and ``agentSourcedIds``.
"""

from __future__ import annotations

import csv
import functools
import io
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from lake.demo._io import write_text
from lake.demo.content import Catalog
from lake.demo.names import ADMINS, CULTURE_WEIGHTS, CULTURES, SUFFIXES, TEACHERS

DISTRICT = ("org-district-demo", "Lakeside Unified School District", "LUSD-01")
SCHOOLS: dict[str, tuple[str, str]] = {
    "sch-north": ("Northgate High School", "NHS-0412"),
    "sch-river": ("Riverside Academy", "RVA-0877"),
}
STUDENT_DOMAIN = "students.lakeside.example"
STAFF_DOMAIN = "lakeside.example"
MAX_CLASSES = 4

_ASCII_FOLD = str.maketrans(
    {"ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ø": "o", "Ø": "O", "ß": "ss", "ð": "d", "æ": "ae"}
)

MANIFEST_FILES = (
    "academicSessions",
    "categories",
    "classes",
    "classResources",
    "courses",
    "courseResources",
    "demographics",
    "enrollments",
    "lineItemLearningObjectiveIds",
    "lineItems",
    "lineItemScoreScales",
    "orgs",
    "resources",
    "resultLearningObjectiveIds",
    "results",
    "resultScoreScales",
    "roles",
    "scoreScales",
    "userProfiles",
    "userResources",
    "users",
)
BULK_FILES = {
    "academicSessions",
    "classes",
    "courses",
    "demographics",
    "enrollments",
    "orgs",
    "roles",
    "users",
}

HEADERS: dict[str, tuple[str, ...]] = {
    "orgs": (
        "sourcedId",
        "status",
        "dateLastModified",
        "name",
        "type",
        "identifier",
        "parentSourcedId",
    ),
    "academicSessions": (
        "sourcedId",
        "status",
        "dateLastModified",
        "title",
        "type",
        "startDate",
        "endDate",
        "parentSourcedId",
        "schoolYear",
    ),
    "courses": (
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
    ),
    "classes": (
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
    ),
    "users": (
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
    ),
    "roles": (
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
    ),
    "enrollments": (
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
    ),
    "demographics": (
        "sourcedId",
        "status",
        "dateLastModified",
        "birthDate",
        "sex",
        "americanIndianOrAlaskaNative",
        "asian",
        "blackOrAfricanAmerican",
        "nativeHawaiianOrOtherPacificIslander",
        "white",
        "demographicRaceTwoOrMoreRaces",
        "hispanicOrLatinoEthnicity",
        "countryOfBirthCode",
        "stateOfBirthAbbreviation",
        "cityOfBirth",
        "publicSchoolResidenceStatus",
    ),
}

# culture -> (country code, state, city) of birth for a minority of students born abroad
_BIRTHPLACES: dict[str, tuple[str, str, str]] = {
    "es": ("MX", "", "Querétaro"),
    "fr": ("CA", "", "Montréal"),
    "de": ("DE", "", "München"),
    "pl": ("PL", "", "Kraków"),
    "vi": ("VN", "", "Đà Nẵng"),
    "ng": ("NG", "", "Lagos"),
    "in": ("IN", "", "Bengaluru"),
    "zh": ("CN", "", "Chengdu"),
    "ar": ("EG", "", "Alexandria"),
    "nordic": ("IS", "", "Reykjavík"),
    "tr": ("TR", "", "İzmir"),
    "en": ("US", "OR", "Portland"),
}


@dataclass(frozen=True)
class Roster:
    """Students and their enrollments, as arrays the simulation indexes by student number."""

    student_ids: list[str]
    school: np.ndarray  # (N,) 0 north, 1 river
    enrolled: np.ndarray  # (N, MAX_CLASSES) class index, -1 padded
    n_enrolled: np.ndarray  # (N,) number of classes
    class_teachers: dict[int, list[str]]  # class index -> staff sourcedIds, primary first
    term_start: date
    term_end: date

    @property
    def n(self) -> int:
        """Number of students."""
        return len(self.student_ids)


@functools.cache
def _ascii(name: str) -> str:
    folded = unicodedata.normalize("NFKD", name.translate(_ASCII_FOLD))
    return "".join(ch for ch in folded if ch.isascii() and ch.isalnum()).lower()


def build_roster(
    rng: np.random.Generator, catalog: Catalog, students: int, term_start: date, term_end: date
) -> Roster:
    """Draw schools and class enrollments for ``students`` students."""
    width = max(5, len(str(students)))
    ids = [f"stu-{i + 1:0{width}d}" for i in range(students)]
    keys = [c.key for c in catalog.classes]
    by_school = {s: [keys.index(c.key) for c in catalog.classes if c.school == s] for s in SCHOOLS}
    school = (rng.random(students) >= 0.58).astype(np.int64)  # 58% north
    cross = rng.random(students)
    enrolled = np.full((students, MAX_CLASSES), -1, dtype=np.int64)
    north, river = by_school["sch-north"], by_school["sch-river"]
    for s, own, other, p_cross in ((0, north, river, 0.3), (1, river, north, 0.5)):
        rows = np.flatnonzero(school == s)
        enrolled[rows, : len(own)] = own
        # Cross-enrolled students take the other school's first class (English or Algebra).
        extra = rows[cross[rows] < p_cross]
        enrolled[extra, len(own)] = other[0]
    n_enrolled = (enrolled >= 0).sum(axis=1)
    teachers: dict[int, list[str]] = {i: [] for i in range(len(keys))}
    for tid, _g, _f, key in TEACHERS:
        teachers[keys.index(key)].append(tid)
    return Roster(
        student_ids=ids,
        school=school,
        enrolled=enrolled,
        n_enrolled=n_enrolled,
        class_teachers=teachers,
        term_start=term_start,
        term_end=term_end,
    )


def _csv(header: tuple[str, ...], rows: list[tuple[str, ...]] | list[list[str]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


def write_oneroster(
    rng: np.random.Generator, roster: Roster, catalog: Catalog, folder: Path, school_year: str
) -> tuple[dict[str, int], int]:
    """Write the nine CSV files of a OneRoster 1.2 bulk bundle into ``folder``.

    Returns (data rows per file, bytes written). Names, birth dates and demographics are drawn
    from ``rng``; CRLF line endings as most SIS exports use.
    """
    modified = f"{(roster.term_start - timedelta(days=7)).isoformat()}T06:00:00.000Z"
    active = ("active", modified)
    start, end = roster.term_start.isoformat(), roster.term_end.isoformat()
    sy_start = date(roster.term_start.year, 8, 25).isoformat()
    sy_end = date(roster.term_start.year + 1, 6, 19).isoformat()
    sy_id = f"sy-{roster.term_start.year}-{str(roster.term_start.year + 1)[2:]}"
    term_id = f"term-{school_year}"
    term_title = f"{'Fall' if roster.term_start.month >= 7 else 'Spring'} {roster.term_start.year}"
    files: dict[str, list[tuple[str, ...]] | list[list[str]]] = {}

    files["orgs"] = [
        (DISTRICT[0], *active, DISTRICT[1], "district", DISTRICT[2], ""),
        *[
            (sid, *active, name, "school", ident, DISTRICT[0])
            for sid, (name, ident) in SCHOOLS.items()
        ],
    ]
    files["academicSessions"] = [
        (sy_id, *active, f"{roster.term_start.year}-{roster.term_start.year + 1}", "schoolYear",
         sy_start, sy_end, "", str(roster.term_start.year + 1)),
        (term_id, *active, term_title, "term", start, end, sy_id, str(roster.term_start.year + 1)),
    ]  # fmt: skip
    files["courses"] = [
        (f"crs-{c.key}", *active, sy_id, c.title, c.course_code, ",".join(c.grades), c.school,
         c.subject, c.subject_code)
        for c in catalog.classes
    ]  # fmt: skip
    files["classes"] = [
        (cid, *active, f"{c.title} - Period {c.period}", ",".join(c.grades), f"crs-{c.key}",
         f"{c.key.upper()}-P{c.period}", "scheduled", c.location, c.school, term_id, c.subject,
         c.subject_code, c.period)
        for c, cid in zip(catalog.classes, catalog.class_ids, strict=True)
    ]  # fmt: skip

    users: list[list[str]] = []
    roles: list[tuple[str, ...]] = []
    demographics: list[tuple[str, ...]] = []
    enrollments: list[tuple[str, ...]] = []
    school_ids = list(SCHOOLS)
    cultures = list(CULTURES)
    weights = np.array([CULTURE_WEIGHTS[c] for c in cultures])
    n = roster.n
    culture_ix = rng.choice(len(cultures), size=n, p=weights / weights.sum())
    sex_draw = rng.random(n)
    name_draw = rng.integers(0, 1 << 30, size=(n, 3))
    birth_offset = rng.integers(0, 730, size=n)
    extras = rng.random((n, 6))
    # Two guardians: the first has two children, the second one.
    guardians = {"grd-001": [0, 1][: min(2, n)], "grd-002": [2] if n > 2 else []}
    agents: dict[int, list[str]] = {}
    for gid, kids in guardians.items():
        for k in kids:
            agents.setdefault(k, []).append(gid)
    ident_base = (roster.term_start.year % 100) * 100_000
    class_grades = [c.grades for c in catalog.classes]
    names: list[tuple[str, str]] = []
    for i, sid in enumerate(roster.student_ids):
        culture = cultures[culture_ix[i]]
        female, male, family = CULTURES[culture]
        sex = "female" if sex_draw[i] < 0.49 else "male" if sex_draw[i] < 0.97 else "other"
        pool = female if sex == "female" else male if sex == "male" else female + male
        given = pool[name_draw[i, 0] % len(pool)]
        fam = family[name_draw[i, 1] % len(family)]
        if extras[i, 0] < 0.01:
            fam = f"{fam}, {SUFFIXES[name_draw[i, 2] % len(SUFFIXES)]}"
        middle = pool[name_draw[i, 2] % len(pool)] if extras[i, 1] < 0.15 else ""
        names.append((given, fam))
        ident = f"S{ident_base + i + 1}"
        uname = f"{_ascii(given)[:1]}{_ascii(fam.split(',')[0])}{i + 1}"
        email = f"{_ascii(given)}.{_ascii(fam.split(',')[0])}{i + 1}@{STUDENT_DOMAIN}"
        classes = [int(c) for c in roster.enrolled[i, : roster.n_enrolled[i]]]
        grade = class_grades[classes[0]][0] if roster.school[i] == 0 else "10"
        primary = school_ids[roster.school[i]]
        users.append(
            [sid, *active, "true", uname, f"{{SIS:{ident}}},{{LMS:{uname}}}", given, fam, middle,
             ident, email, "", "", ",".join(agents.get(i, [])), grade, "", ident, "",
             given[:3] if extras[i, 2] < 0.03 else "", "", "", primary,
             "they/them" if sex == "other" else ""]
        )  # fmt: skip
        orgs_of = sorted({catalog.classes[c].school for c in classes}, key=lambda s: s != primary)
        for j, org in enumerate(orgs_of):
            roles.append(
                (f"rol-{sid}-{j + 1}", *active, sid, "primary" if j == 0 else "secondary",
                 "student", start, end, org, "")
            )  # fmt: skip
        born = date(roster.term_start.year - 15, 1, 1) + timedelta(days=int(birth_offset[i]))
        abroad = extras[i, 3] < 0.12
        country, state, city = _BIRTHPLACES[culture] if abroad else ("US", "OR", "Portland")
        race = ["false"] * 6
        race[int(extras[i, 4] * 5.999)] = "true"
        demographics.append(
            (sid, *active, born.isoformat(), sex, *race,
             "true" if culture == "es" else "false", country, state, city, "")
        )  # fmt: skip
        for c in classes:
            enrollments.append(
                (f"enr-{catalog.class_ids[c]}-{sid}", *active, catalog.class_ids[c],
                 catalog.classes[c].school, sid, "student", "false", start, end)
            )  # fmt: skip

    for gid, kids in guardians.items():
        if not kids:
            continue
        given = ("Carmen", "Thi Lan")[int(gid[-1]) - 1]
        fam = names[kids[0]][1].split(",")[0]
        uname = f"{_ascii(given)}.{_ascii(fam)}.{gid[-3:]}"
        users.append(
            [gid, *active, "true", uname, "", given, fam, "", "", f"{uname}@family.example", "",
             "+1-503-555-01" + gid[-2:], ",".join(roster.student_ids[k] for k in kids), "", "",
             "", "", "", "", "", school_ids[roster.school[kids[0]]], ""]
        )  # fmt: skip
        roles.append(
            (f"rol-{gid}-1", *active, gid, "primary", "guardian", start, end,
             school_ids[roster.school[kids[0]]], "")
        )  # fmt: skip
    keys = [c.key for c in catalog.classes]
    for tid, given, fam, key in TEACHERS:
        school = catalog.classes[keys.index(key)].school
        uname = f"{_ascii(given)[:1]}{_ascii(fam.split(',')[0])}"
        users.append(
            [tid, *active, "true", uname, f"{{SIS:{tid.upper()}}}", given, fam, "", tid.upper(),
             f"{uname}@{STAFF_DOMAIN}", "", "", "", "", "", "", "", "", "", "", school, ""]
        )  # fmt: skip
        roles.append((f"rol-{tid}-1", *active, tid, "primary", "teacher", start, end, school, ""))
    for c, tids in roster.class_teachers.items():
        for j, tid in enumerate(tids):
            enrollments.append(
                (f"enr-{catalog.class_ids[c]}-{tid}", *active, catalog.class_ids[c],
                 catalog.classes[c].school, tid, "teacher", "true" if j == 0 else "false",
                 start, end)
            )  # fmt: skip
    for aid, given, fam in ADMINS:
        uname = f"{_ascii(given)[:1]}{_ascii(fam)}"
        users.append(
            [aid, *active, "true", uname, f"{{SIS:{aid.upper()}}}", given, fam, "", aid.upper(),
             f"{uname}@{STAFF_DOMAIN}", "", "", "", "", "", "", "", "", "", "", DISTRICT[0], ""]
        )  # fmt: skip
        roles.append(
            (f"rol-{aid}-1", *active, aid, "primary", "administrator", start, end, DISTRICT[0], "")
        )  # fmt: skip
        for j, s in enumerate(SCHOOLS, start=2):
            roles.append(
                (f"rol-{aid}-{j}", *active, aid, "secondary", "administrator", start, end, s, "")
            )  # fmt: skip

    files["users"] = users
    files["roles"] = roles
    files["enrollments"] = enrollments
    files["demographics"] = demographics

    written = 0
    manifest = [("manifest.version", "1.0"), ("oneroster.version", "1.2")]
    manifest += [(f"file.{f}", "bulk" if f in BULK_FILES else "absent") for f in MANIFEST_FILES]
    manifest += [("source.systemName", "LearnSmart Demo SIS"), ("source.systemCode", "LSDEMO")]
    written += write_text(folder / "manifest.csv", _csv(("propertyName", "value"), manifest))
    counts = {"manifest": len(manifest)}
    for name, rows in files.items():
        written += write_text(folder / f"{name}.csv", _csv(HEADERS[name], rows))
        counts[name] = len(rows)
    return counts, written


WITHDRAWAL_LAG_DAYS = 14  # schools record a withdrawal a couple of weeks after the last visit


def write_withdrawals(
    roster: Roster, catalog: Catalog, folder: Path, withdrawn_on: dict[int, date]
) -> tuple[int, int]:
    """Write a OneRoster 1.2 *delta* bundle that ends the enrollments of withdrawn students.

    ``withdrawn_on`` maps a student's index to the day the school recorded the withdrawal; each
    of the student's enrollments is re-sent (same ``sourcedId``) with that ``endDate``, earlier
    than the class's end, which is how SIS exports show a student who left a class. Returns
    (enrollment rows, bytes written); nothing is written when nobody withdrew.
    """
    if not withdrawn_on:
        return 0, 0
    start = roster.term_start.isoformat()
    rows: list[tuple[str, ...]] = []
    for i, day in sorted(withdrawn_on.items()):
        sid = roster.student_ids[i]
        modified = f"{day.isoformat()}T06:00:00.000Z"
        for c in (int(c) for c in roster.enrolled[i, : roster.n_enrolled[i]]):
            rows.append(
                (f"enr-{catalog.class_ids[c]}-{sid}", "active", modified, catalog.class_ids[c],
                 catalog.classes[c].school, sid, "student", "false", start, day.isoformat())
            )  # fmt: skip
    manifest = [("manifest.version", "1.0"), ("oneroster.version", "1.2")]
    manifest += [(f"file.{f}", "delta" if f == "enrollments" else "absent") for f in MANIFEST_FILES]
    manifest += [("source.systemName", "LearnSmart Demo SIS"), ("source.systemCode", "LSDEMO")]
    written = write_text(folder / "manifest.csv", _csv(("propertyName", "value"), manifest))
    written += write_text(folder / "enrollments.csv", _csv(HEADERS["enrollments"], rows))
    return len(rows), written
