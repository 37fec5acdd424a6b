"""Course recommendations (``api/courses.py``): the blend on a small lake written here, where
every share is known, and the route on the curated demo school."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest
from deltalake import write_deltalake

from api.courses import CourseProfile, course_recommendations, evaluate_leave_one_out
from api.gold import SPECS, Gold
from tests.api.conftest import ApiWorld

TODAY = date(2026, 3, 1)


def _write(lake: Path, name: str, frame: pl.DataFrame) -> None:
    write_deltalake(str(lake / SPECS[name].path), frame.to_arrow())


@pytest.fixture
def gold(tmp_path: Path) -> Gold:
    """Five classes: chem is taken by 3 of bio's 4 other students, art by 1 of them; history
    is the grade-10 class; latin has ended; music has no students yet."""
    classes = [
        ("bio", "Biology", None),
        ("chem", "Chemistry", None),
        ("art", "Art studio", None),
        ("hist", "World history", None),
        ("latin", "Latin", date(2026, 1, 15)),
        ("music", "Music", None),
    ]
    _write(
        tmp_path,
        "dim_classes",
        pl.DataFrame(
            {
                "class_id": [c for c, _, _ in classes],
                "course_id": [f"crs-{c}" for c, _, _ in classes],
                "course_title": [t for _, t, _ in classes],
                "class_title": [f"{t} - Period 1" for _, t, _ in classes],
                "end_date": [e for _, _, e in classes],
                "as_of_date": [TODAY] * len(classes),
            },
            schema_overrides={"end_date": pl.Date},
        ),
    )
    enrol = {
        "bio": ["me", "a", "b", "c", "d"],
        "chem": ["a", "b", "c", "x"],
        "art": ["d", "y"],
        "hist": ["t1", "t2", "t3", "a"],
        "latin": ["a", "b", "c", "d"],
    }
    pairs = [(s, c) for c, ss in enrol.items() for s in ss]
    _write(
        tmp_path,
        "fct_student_progress",
        pl.DataFrame({"student_id": [s for s, _ in pairs], "class_id": [c for _, c in pairs]}),
    )
    grades = {"t1": "10", "t2": "10", "t3": "10", "a": "9", "b": "9", "c": "9", "d": "9"}
    _write(
        tmp_path,
        "dim_students",
        pl.DataFrame({"student_id": list(grades), "grade_level": list(grades.values())}),
    )
    return Gold(tmp_path, check_s=0.0)


def test_peers_decide_for_a_student_with_classes(gold: Gold) -> None:
    """Chemistry (3 of Biology's 4 other students) comes before Art (1 of 4); the student's own
    class and the class that has ended are never recommended."""
    out = course_recommendations(gold, CourseProfile("me", frozenset({"bio"})), limit=10)
    ids = [r["class_id"] for r in out]
    assert ids[0] == "chem" and ids.index("chem") < ids.index("art")
    assert "bio" not in ids and "latin" not in ids
    assert set(ids) == {"chem", "art", "hist", "music"}
    assert out[0]["reason"] == "taken by 75% of the students in Biology - Period 1"
    assert out[0]["reason_kind"] == "peers"
    assert out[0]["reason_values"] == {
        "share": 0.75,
        "class_id": "bio",
        "name": "Biology - Period 1",
    }
    assert [r["score"] for r in out] == sorted((r["score"] for r in out), reverse=True)


def test_cold_start_uses_grade_interests_and_language(gold: Gold) -> None:
    """With no class yet: the grade-10 class leads for a grade-10 student; an interest in music
    lifts Music (no students) above the rest; a class whose pages are all in another language
    falls behind one in the student's language."""
    grade10 = course_recommendations(gold, CourseProfile("new", frozenset(), grade_level="10"))
    assert grade10[0]["class_id"] == "hist"
    assert grade10[0]["reason"] == "popular with grade 10 students"

    musical = course_recommendations(
        gold, CourseProfile("new", frozenset(), interests=("music", "singing"))
    )
    assert musical[0]["class_id"] == "music"
    assert musical[0]["reason"] == "matches your interest in music"
    assert (musical[0]["reason_kind"], musical[0]["reason_values"]) == (
        "interest",
        {"interest": "music"},
    )

    languages = {"chem": {"en"}, "art": {"es"}, "hist": {"en"}, "music": {"en"}, "bio": {"en"}}
    spanish = course_recommendations(
        gold, CourseProfile("new", frozenset(), language="es"), languages, limit=10
    )
    order = [r["class_id"] for r in spanish]
    assert order[0] == "art"
    assert spanish[0]["reason"] == "has course pages in your language (es)"
    english = course_recommendations(
        gold, CourseProfile("new", frozenset(), language="en"), languages, limit=10
    )
    assert [r["class_id"] for r in english].index("art") > order.index("art")


def test_leave_one_out_finds_a_hidden_class_by_its_peers_where_popularity_fails(
    tmp_path: Path,
) -> None:
    """Six students take both "core" and "pair"; ten others take "big". Hiding either of a
    student's classes, the blend finds it first (its peers all take it), popularity names "big"
    first every time."""
    core = [f"s{i}" for i in range(6)]
    pairs = [(s, c) for s in core for c in ("core", "pair")] + [(f"o{i}", "big") for i in range(10)]
    _write(
        tmp_path,
        "fct_student_progress",
        pl.DataFrame({"student_id": [s for s, _ in pairs], "class_id": [c for _, c in pairs]}),
    )
    _write(
        tmp_path,
        "dim_classes",
        pl.DataFrame(
            {
                "class_id": ["core", "pair", "big"],
                "course_id": ["c1", "c2", "c3"],
                "course_title": ["Core", "Pair", "Big"],
                "class_title": [None, None, None],
                "end_date": [None, None, None],
                "as_of_date": [TODAY] * 3,
            },
            schema_overrides={"end_date": pl.Date, "class_title": pl.String},
        ),
    )
    _write(tmp_path, "dim_students", pl.DataFrame({"student_id": ["o0"], "grade_level": ["9"]}))

    result = evaluate_leave_one_out(Gold(tmp_path, check_s=0.0), seed=0)

    assert result["model"] == {"hit@1": 1.0, "hit@3": 1.0, "students": 6.0}
    assert result["popularity"] == {"hit@1": 0.0, "hit@3": 1.0, "students": 6.0}


def test_the_route_recommends_other_classes_to_a_student_only(world: ApiWorld) -> None:
    """A student gets classes they are not in, each with a reason; a teacher may not ask."""
    student = world.of_role("student")[0]
    r = world.client.get(
        "/api/v1/students/me/course-recommendations", headers=world.headers(student["username"])
    )
    assert r.status_code == 200, r.text
    items = r.json()
    mine = set(student["class_ids"])
    assert all(i["class_id"] not in mine and i["reason"] for i in items)
    assert [i["score"] for i in items] == sorted((i["score"] for i in items), reverse=True)
    teacher = world.of_role("teacher")[0]
    r = world.client.get(
        "/api/v1/students/me/course-recommendations", headers=world.headers(teacher["username"])
    )
    assert r.status_code == 403
