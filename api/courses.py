"""Course recommendations: classes a student is not in yet that they may want to join.

Four signals, each a share in [0, 1], blended with fixed weights:

- **peers** (implicit-feedback collaborative filtering on enrolments): for each class the
  student is in, the share of its other students who also take the candidate; the best of them.
  "Students who take Biology also take Chemistry."
- **grade**: the share of the candidate's students at the student's grade level (the onboarding
  profile's, else the roster's).
- **interest**: 1 when a word of the student's onboarding interests is in the course or class
  title.
- **language**: 1 when the class has course pages in the student's language (the tutor index
  detects each page's language), 0 when its pages are all in other languages; unknown (0.5) when
  either is unknown.

plus a small popularity term (enrolment, as a share of the largest class) that orders the rest.
A student in no class yet (cold start) gets grade, interests, language and popularity alone. The
reason of a recommendation is the signal that contributed most to its score. Classes that have
ended (``end_date`` before the lake's as-of date) are not recommended.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import polars as pl

from api.gold import Gold

WEIGHTS = {"peers": 1.0, "grade": 0.5, "interest": 0.5, "language": 0.3, "popularity": 0.1}
_WORD = re.compile(r"[^\W\d_]{3,}", re.UNICODE)


@dataclass(frozen=True)
class CourseProfile:
    """What the recommendation knows of the student."""

    student_id: str
    classes: frozenset[str]
    grade_level: str | None = None
    interests: tuple[str, ...] = ()
    language: str | None = None


def _words(text: str | None) -> set[str]:
    return {w.casefold() for w in _WORD.findall(text or "")}


def _enrolment(gold: Gold) -> dict[str, frozenset[str]]:
    """class_id -> its students (gold ``fct_student_progress``: one row per enrolment)."""

    def build() -> dict[str, frozenset[str]]:
        frame = gold.frame("fct_student_progress")
        if not frame.height:
            return {}
        grouped = frame.group_by("class_id").agg(pl.col("student_id").unique())
        return {
            c: frozenset(s)
            for c, s in zip(grouped["class_id"], grouped["student_id"].to_list(), strict=True)
        }

    return gold.memo("fct_student_progress", "students_by_class", build)  # type: ignore[no-any-return]


def _grades(gold: Gold) -> dict[str, str]:
    """student_id -> grade level, for students whose roster gives one."""

    def build() -> dict[str, str]:
        frame = gold.frame("dim_students")
        if not frame.height or "grade_level" not in frame.columns:
            return {}
        known = frame.filter(pl.col("grade_level").is_not_null())
        return dict(zip(known["student_id"], known["grade_level"], strict=True))

    return gold.memo("dim_students", "grades", build)  # type: ignore[no-any-return]


def roster_grade(gold: Gold, student_id: str) -> str | None:
    """The student's grade level in the roster, if it gives one."""
    return _grades(gold).get(student_id)


def course_recommendations(
    gold: Gold,
    profile: CourseProfile,
    class_languages: dict[str, Collection[str]] | None = None,
    limit: int = 5,
) -> list[dict[str, Any]]:
    """Up to ``limit`` classes for the student, best first: ``class_id``, ``course_id``,
    ``title``, ``score``, ``reason`` and the same reason as data (``reason_kind``: ``peers``,
    ``grade``, ``interest``, ``language``, ``popularity`` or ``offered``; ``reason_values``),
    for apps that word it in the reader's language. ``class_languages``: the languages of each
    class's pages (a class missing from it, or None: unknown)."""
    classes = gold.frame("dim_classes")
    if not classes.height:
        return []
    students = _enrolment(gold)
    grades = _grades(gold)
    largest = max((len(s) for s in students.values()), default=0) or 1
    wanted = set().union(*(_words(w) for w in profile.interests)) if profile.interests else set()
    rows = classes.to_dicts()
    titles = {r["class_id"]: r["class_title"] or r["course_title"] or r["class_id"] for r in rows}
    out = []
    for r in rows:
        cid = r["class_id"]
        if cid in profile.classes or _ended(r):
            continue
        theirs = students.get(cid, frozenset())
        parts: dict[str, float] = {}
        reasons: dict[str, str] = {}
        values: dict[str, dict[str, str | float]] = {}
        best_share, best_class = 0.0, None
        for mine in sorted(profile.classes):
            peers = students.get(mine, frozenset()) - {profile.student_id}
            if peers:
                share = len(peers & theirs) / len(peers)
                if share > best_share:
                    best_share, best_class = share, mine
        parts["peers"] = best_share
        if best_class is not None:
            name = titles.get(best_class, best_class)
            reasons["peers"] = f"taken by {best_share:.0%} of the students in {name}"
            values["peers"] = {"share": round(best_share, 4), "class_id": best_class, "name": name}
        graded = [grades[s] for s in theirs if s in grades]
        if profile.grade_level and graded:
            parts["grade"] = sum(g == profile.grade_level for g in graded) / len(graded)
            reasons["grade"] = f"popular with grade {profile.grade_level} students"
            values["grade"] = {"grade": profile.grade_level, "share": round(parts["grade"], 4)}
        hits = sorted(wanted & (_words(r["course_title"]) | _words(r["class_title"])))
        if hits:
            parts["interest"] = 1.0
            reasons["interest"] = f"matches your interest in {hits[0]}"
            values["interest"] = {"interest": hits[0]}
        languages = (class_languages or {}).get(cid)
        if profile.language and languages:
            parts["language"] = 1.0 if profile.language in languages else 0.0
            reasons["language"] = f"has course pages in your language ({profile.language})"
            values["language"] = {"language": profile.language}
        else:
            parts["language"] = 0.5
        parts["popularity"] = len(theirs) / largest
        reasons["popularity"] = (
            "1 student takes it" if len(theirs) == 1 else f"{len(theirs)} students take it"
        )
        values["popularity"] = {"students": float(len(theirs))}
        contrib = {k: WEIGHTS[k] * v for k, v in parts.items()}
        named = {k: v for k, v in contrib.items() if k in reasons and v > 0}
        why = max(named, key=lambda k: (named[k], -list(WEIGHTS).index(k))) if named else None
        out.append(
            {
                "class_id": cid,
                "course_id": r["course_id"],
                "title": titles[cid],
                "score": round(sum(contrib.values()), 4),
                "reason": reasons[why] if why else "offered at your school",
                "reason_kind": why or "offered",
                "reason_values": values.get(why, {}) if why else {},
            }
        )
    out.sort(key=lambda x: (-x["score"], x["class_id"]))
    return out[:limit]


def _ended(row: dict[str, Any]) -> bool:
    end, today = row.get("end_date"), row.get("as_of_date")
    return end is not None and today is not None and end < today


def evaluate_leave_one_out(
    gold: Gold, seed: int = 0, max_students: int | None = None
) -> dict[str, dict[str, float]]:
    """Hide one enrolment (in a class that has not ended) of each student in at least two
    classes and rank the open classes they are not in from the rest: hit@1 and hit@3 of the
    hidden class, for the blend above on the roster alone (no grades, interests or languages)
    and for popularity (enrolment)."""
    import random

    students = _enrolment(gold)
    open_classes = {r["class_id"] for r in gold.frame("dim_classes").to_dicts() if not _ended(r)}
    by_student: dict[str, set[str]] = {}
    for cid, members in students.items():
        for s in members:
            by_student.setdefault(s, set()).add(cid)
    # A hidden class must be one the recommender may name: open, and not the only class.
    eligible = sorted(s for s, cs in by_student.items() if len(cs) >= 2 and cs & open_classes)
    rng = random.Random(seed)
    if max_students is not None and len(eligible) > max_students:
        eligible = sorted(rng.sample(eligible, max_students))
    popular = sorted(open_classes & set(students), key=lambda c: (-len(students[c]), c))
    hits = {"model": [0, 0], "popularity": [0, 0]}
    for s in eligible:
        mine = sorted(by_student[s])
        hidden = rng.choice(sorted(by_student[s] & open_classes))
        kept = frozenset(c for c in mine if c != hidden)
        ranked = [
            r["class_id"]
            for r in course_recommendations(gold, CourseProfile(s, kept), limit=len(students))
        ]
        pop = [c for c in popular if c not in kept]
        for name, order in (("model", ranked), ("popularity", pop)):
            hits[name][0] += order[:1] == [hidden]
            hits[name][1] += hidden in order[:3]
    n = max(len(eligible), 1)
    return {
        name: {"hit@1": h1 / n, "hit@3": h3 / n, "students": float(len(eligible))}
        for name, (h1, h3) in hits.items()
    }
