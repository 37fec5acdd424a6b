"""The suites as declared: every column, parent and vocabulary they name exists."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from lake.tables import SILVER, MergePolicy, silver
from quality.suites import (
    CALIPER_VERBS,
    SUITES,
    Severity,
    Volume,
    suite_for,
)

ROOT = Path(__file__).resolve().parents[2]


def test_every_silver_table_has_a_suite_with_a_volume_rule() -> None:
    for spec in SILVER:
        suite = suite_for(spec.name)
        assert suite.key == spec.key
        want = Severity.ERROR if spec.merge is MergePolicy.INSERT_ONLY else Severity.WARN
        assert suite.volume == Volume(drop=want), spec.name


def test_suites_name_only_declared_columns_and_parents() -> None:
    for suite in SUITES.values():
        if suite.layer != "silver":
            continue
        names = set(silver(suite.table).schema.names)
        assert set(suite.columns) <= names, (suite.name, set(suite.columns) - names)
        for r in suite.references:
            assert r.parent in SUITES, r
            assert r.parent_column in silver(r.parent.split("/", 1)[1]).schema.names, r


def test_required_rules_are_declared_with_their_severity() -> None:
    def rules(name: str) -> dict[tuple[str, str | None], Severity]:
        s = suite_for(name)
        out = {(e.type, e.column): e.severity for e in s.expectations}
        out |= {("ref", r.column): r.severity for r in s.references}
        return out

    events = rules("silver/learning_events")
    assert events[("ExpectColumnValuesToBeBetween", "score_scaled")] is Severity.ERROR
    assert events[("ref", "class_id")] is Severity.ERROR
    assert events[("ref", "student_id")] is Severity.ERROR
    responses = rules("silver/item_responses")
    assert responses[("ref", "item_id")] is Severity.WARN  # unknown items are kept by design
    enrollments = rules("silver/enrollments")
    assert enrollments[("ref", "class_id")] is Severity.ERROR
    assert enrollments[("ref", "student_id")] is Severity.ERROR
    assert rules("silver/assessments")[("ExpectColumnValuesToBeBetween", "weight")] is (
        Severity.ERROR
    )
    assert rules("silver/content_items")[("ExpectColumnValuesToBeBetween", "week")] is (
        Severity.ERROR
    )
    for name in ("silver/learning_events", "silver/item_responses", "silver/forum_posts"):
        f = suite_for(name).freshness
        assert f is not None and f.severity is Severity.WARN


def test_vocabularies_come_from_the_parsers_contracts() -> None:
    assert {"navigatedto", "viewed", "graded", "started"} <= CALIPER_VERBS
    author = next(
        e
        for e in suite_for("silver/forum_posts").expectations
        if e.column == "author_role" and e.type == "ExpectColumnValuesToBeInSet"
    )
    assert author.kwargs["value_set"] == ["admin", "student", "ta", "teacher"]


def test_loading_the_quality_definitions_does_not_import_great_expectations() -> None:
    code = (
        "import sys, orchestration.defs.quality as q; "
        "assert q.defs is not None; "
        "assert 'great_expectations' not in sys.modules, 'GX imported at load'"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, timeout=120)
