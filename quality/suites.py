"""Every data-quality suite, declared once per table, as data.

A :class:`Suite` names a table (``silver/<table>`` or ``gold/<domain>/<model>``), its key (the
columns that name a failing row) and its expectations:

* :class:`Expectation`: a Great Expectations expectation as its class name and keyword arguments
  (ranges, allowed values, not-null, regexes, column pairs), optionally on the rows a pandas
  ``row_condition`` selects (vocabularies differ per ``source``);
* :class:`Reference`: referential integrity, ``column`` values (nulls allowed) must be keys of a
  parent table; resolved at run time into ``ExpectColumnValuesToBeInSet``;
* :class:`Volume`: the row count compared with the previous evaluation (a drop in an insert-only
  table is an error, a drop elsewhere or a growth beyond ``max_growth`` x a warning); resolved into
  ``ExpectTableRowCountToBeBetween``;
* :class:`Freshness`: the newest ``<event>_at`` is no older than a window before the newest
  landing file of the table's sources (or now); resolved into ``ExpectColumnMaxToBeBetween``.

Severity: ``ERROR`` when a failure would make a downstream table wrong (wrong joins, sums or
vocabularies in the marts): the Dagster check ``gx_<table>`` is blocking. ``WARN`` for everything
else (``gx_<table>_warn``). Vocabularies come from the parsers' documented contracts
(``lake/sources/*.py`` docstrings and ``docs/formats.md``) and the standards they implement, never
from observed data.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from lake.sources.caliper import ACTIONS as CALIPER_ACTIONS
from lake.tables import SILVER, SOURCES, MergePolicy, silver


class Severity(StrEnum):
    """How bad a failed expectation is; maps to ``dagster.AssetCheckSeverity``."""

    ERROR = "ERROR"
    WARN = "WARN"


ERROR, WARN = Severity.ERROR, Severity.WARN


@dataclass(frozen=True)
class Expectation:
    """One Great Expectations expectation, as data.

    Attributes:
        type: the GX expectation class name, e.g. ``ExpectColumnValuesToBeBetween``.
        kwargs: its keyword arguments (``column``, ``min_value``, ``value_set``, ...).
        severity: ``ERROR`` (blocks downstream assets) or ``WARN``.
        why: one sentence for the data engineer: the rule and where it comes from.
        row_condition: a pandas ``DataFrame.query`` expression; only those rows are checked.
    """

    type: str
    kwargs: Mapping[str, Any]
    severity: Severity = ERROR
    why: str = ""
    row_condition: str | None = None

    @property
    def column(self) -> str | None:
        """The column checked (``column_A`` for pairs), or None for table-level expectations."""
        col = self.kwargs.get("column") or self.kwargs.get("column_A")
        return str(col) if col is not None else None

    @property
    def columns(self) -> tuple[str, ...]:
        """Every column the expectation reads."""
        names = [self.kwargs.get(k) for k in ("column", "column_A", "column_B")]
        return tuple(str(n) for n in names if n is not None)


@dataclass(frozen=True)
class Reference:
    """Referential integrity: non-null ``column`` values are ``parent_column`` values of
    ``parent`` (a table name such as ``silver/classes``)."""

    column: str
    parent: str
    parent_column: str
    severity: Severity = ERROR
    why: str = ""
    row_condition: str | None = None


@dataclass(frozen=True)
class Volume:
    """Row count against the previous evaluation.

    Attributes:
        drop: severity of a smaller count than last time (``ERROR`` for insert-only tables:
            their rows are never removed except by a Delta ``DELETE``, which demotes it to WARN).
        max_growth: a count above ``max_growth`` x the previous one is a warning; None uses
            :attr:`QualityConfig.max_growth`.
    """

    drop: Severity = WARN
    max_growth: float | None = None


@dataclass(frozen=True)
class Freshness:
    """The newest ``column`` value is at most ``window`` older than the reference time: the
    newest landing file of ``sources`` (its path's day, else its mtime) or now."""

    column: str
    sources: tuple[str, ...]
    window: timedelta | None = None
    severity: Severity = WARN


@dataclass(frozen=True)
class Suite:
    """The expectations of one table.

    Attributes:
        name: ``silver/<table>`` or ``gold/<domain>/<model>``: the Delta path under the lake
            and, split on ``/``, the Dagster asset key.
        key: the columns that identify a row in failing examples.
        redact: columns whose values never appear in examples (PII).
    """

    name: str
    key: tuple[str, ...]
    expectations: tuple[Expectation, ...] = ()
    references: tuple[Reference, ...] = ()
    volume: Volume | None = field(default_factory=Volume)
    freshness: Freshness | None = None
    redact: tuple[str, ...] = ()

    @property
    def layer(self) -> str:
        """``silver`` or ``gold``."""
        return self.name.split("/", 1)[0]

    @property
    def table(self) -> str:
        """The table's last name segment (``learning_events``, ``fct_daily_engagement``)."""
        return self.name.rsplit("/", 1)[-1]

    @property
    def asset_path(self) -> tuple[str, ...]:
        """Dagster asset key path of the table."""
        return tuple(self.name.split("/"))

    @property
    def columns(self) -> list[str]:
        """Columns to read: the key and every column an expectation touches, in first-use order."""
        names: list[str] = list(self.key)
        for e in self.expectations:
            names += e.columns
            names += _condition_columns(e.row_condition)
        for r in self.references:
            names.append(r.column)
            names += _condition_columns(r.row_condition)
        if self.freshness is not None:
            names.append(self.freshness.column)
        return list(dict.fromkeys(names))


def _condition_columns(condition: str | None) -> list[str]:
    """Column names in a row condition of the simple form used here (``col == 'x'``)."""
    if not condition:
        return []
    return [condition.split("=", 1)[0].split("!", 1)[0].strip()]


@dataclass(frozen=True)
class QualityConfig:
    """Run-time knobs, from ``LEARNSMART_QUALITY_*`` environment variables.

    Attributes:
        freshness_window: default window of :class:`Freshness` (``..._FRESHNESS_HOURS``, 48).
        freshness_reference: ``landing`` (newest landing file of the table's sources, default)
            or ``now`` (``..._FRESHNESS_REFERENCE``).
        max_growth: default growth factor that warns (``..._MAX_GROWTH``, 10).
    """

    freshness_window: timedelta = timedelta(hours=48)
    freshness_reference: str = "landing"
    max_growth: float = 10.0

    @classmethod
    def from_env(cls) -> QualityConfig:
        """Configuration from the environment, with the defaults above."""
        env = os.environ
        reference = env.get("LEARNSMART_QUALITY_FRESHNESS_REFERENCE", "landing").lower()
        if reference not in ("landing", "now"):
            raise ValueError(
                f"LEARNSMART_QUALITY_FRESHNESS_REFERENCE must be landing or now, not {reference!r}"
            )
        return cls(
            freshness_window=timedelta(
                hours=float(env.get("LEARNSMART_QUALITY_FRESHNESS_HOURS", "48"))
            ),
            freshness_reference=reference,
            max_growth=float(env.get("LEARNSMART_QUALITY_MAX_GROWTH", "10")),
        )


# ---------------------------------------------------------------------------------------------
# Builders: short names so the declarations below read as a table of rules.


def between(
    column: str,
    lo: float | None = None,
    hi: float | None = None,
    *,
    severity: Severity = ERROR,
    why: str = "",
    strict_min: bool = False,
    when: str | None = None,
) -> Expectation:
    """``lo <= column <= hi`` (``lo < column`` with ``strict_min``); nulls pass."""
    kwargs: dict[str, Any] = {"column": column, "min_value": lo, "max_value": hi}
    if strict_min:
        kwargs["strict_min"] = True
    return Expectation("ExpectColumnValuesToBeBetween", kwargs, severity, why, when)


def in_set(
    column: str,
    values: tuple[str, ...] | frozenset[str],
    *,
    severity: Severity = ERROR,
    why: str = "",
    when: str | None = None,
) -> Expectation:
    """``column`` takes only ``values``; nulls pass."""
    return Expectation(
        "ExpectColumnValuesToBeInSet",
        {"column": column, "value_set": sorted(values)},
        severity,
        why,
        when,
    )


def not_in_set(
    column: str, values: tuple[str, ...], *, why: str = "", when: str | None = None
) -> Expectation:
    """``column`` never takes any of ``values``."""
    return Expectation(
        "ExpectColumnValuesToNotBeInSet",
        {"column": column, "value_set": list(values)},
        ERROR,
        why,
        when,
    )


def not_null(column: str, *, severity: Severity = ERROR, why: str = "") -> Expectation:
    """``column`` is never null."""
    return Expectation("ExpectColumnValuesToNotBeNull", {"column": column}, severity, why)


def matches(column: str, regex: str, *, severity: Severity = ERROR, why: str = "") -> Expectation:
    """Non-null ``column`` values match ``regex`` (anchored by the pattern itself)."""
    return Expectation(
        "ExpectColumnValuesToMatchRegex", {"column": column, "regex": regex}, severity, why
    )


def at_least(a: str, b: str, *, severity: Severity = ERROR, why: str = "") -> Expectation:
    """``a >= b`` on rows where both are present."""
    return Expectation(
        "ExpectColumnPairValuesAToBeGreaterThanB",
        {
            "column_A": a,
            "column_B": b,
            "or_equal": True,
            "ignore_row_if": "either_value_is_missing",
        },
        severity,
        why,
    )


def ref(
    column: str,
    parent: str,
    parent_column: str | None = None,
    *,
    severity: Severity = ERROR,
    why: str = "",
    when: str | None = None,
) -> Reference:
    """``column`` values (nulls allowed) are keys of ``silver/<parent>``."""
    return Reference(column, f"silver/{parent}", parent_column or column, severity, why, when)


def source_is(source: str) -> str:
    """Row condition selecting the rows of one source (``source == "xapi"``)."""
    return f'source == "{source}"'


# ---------------------------------------------------------------------------------------------
# Vocabularies, each from a documented contract.


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# lake/sources/*.py: every parser's SOURCE.
SOURCE_NAMES: tuple[str, ...] = SOURCES
# lake/sources/oulad.py: "studentVle rows become one learning_events row each (verb interacted)".
OULAD_VERBS = ("interacted",)
# lake/sources/caliper.py: "verb the lowercased action" of the Caliper 1.2 action vocabulary.
CALIPER_VERBS = frozenset(a.lower() for a in CALIPER_ACTIONS)
# lake/sources/xapi.py: verb = the last segment of verb.id, an open vocabulary (any IRI). Known:
# the ADL vocabulary (xAPI 1.0.3 / ADL registry), cmi5, the xAPI video profile and the common
# verbs of the id.tincanapi.com registry. Others only WARN: a new profile may need mapping.
XAPI_KNOWN_VERBS = _words(
    """abandoned answered asked attempted attended commented completed exited experienced failed
    imported initialized interacted launched logged-in logged-out mastered passed paused played
    preferred progressed registered responded resumed satisfied scored seeked shared suspended
    terminated waived
    bookmarked downloaded enrolled liked opened rated read replied reviewed searched skipped
    submitted unenrolled viewed"""
)
# docs/formats.md (content pages): content_type is page (default), video, resource, quiz, forum.
CONTENT_TYPES = ("page", "video", "resource", "quiz", "forum")
# OULAD documentation (vle.csv activity_type), copied as content_type for source oulad.
OULAD_ACTIVITY_TYPES = _words(
    """dataplus dualpane externalquiz folder forumng glossary homepage htmlactivity
    oucollaborate oucontent ouelluminate ouwiki page questionnaire quiz repeatactivity resource
    sharedsubpage subpage url"""
)
# docs/formats.md (item banks): multiple_choice, multiple_response, true_false, short_answer.
ITEM_TYPES = ("multiple_choice", "multiple_response", "true_false", "short_answer")
# docs/formats.md (forum): author_role student / teacher / ta / admin.
AUTHOR_ROLES = ("student", "teacher", "ta", "admin")
# lake/sources/oneroster.py: teachers, aides, administrators (all kinds), principals,
# counsellors and proctors go to staff (OneRoster 1.2 role vocabulary, canonical case).
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
# lake/sources/oneroster.py: tobedeleted records stay in bronze, so silver rows are active; OULAD
# registrations are registered, or unregistered when date_unregistration is set.
ONEROSTER_ENROLLMENT_STATUSES = ("active",)
OULAD_ENROLLMENT_STATUSES = ("registered", "unregistered")
# OULAD documentation (studentInfo.final_result).
OULAD_FINAL_RESULTS = ("Distinction", "Fail", "Pass", "Withdrawn")
# lake/sources/oulad.py: assessment_type TMA, CMA or Exam.
ASSESSMENT_TYPES = ("CMA", "Exam", "TMA")
# lake/sources/oneroster.py: male -> M, female -> F (as in OULAD), other -> other.
GENDERS = ("F", "M", "other")
# lake/sources/content.py: source_format markdown or html.
PAGE_FORMATS = ("html", "markdown")
# OneRoster 1.2: OrgType and SessionType enumerations (not validated by the parser: WARN).
ORG_TYPES = ("department", "district", "local", "national", "school", "state")
TERM_TYPES = ("gradingPeriod", "schoolYear", "semester", "term")
# lake/sources/forum.py: a language that is not a BCP 47 tag is set null.
BCP47 = r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$"
# Event tables feed these silver tables (docs/formats.md, the parsers' docstrings).
EVENT_SOURCES_OF = {
    "learning_events": ("xapi", "caliper"),
    "item_responses": ("quiz_attempts", "xapi"),
    "forum_posts": ("forum",),
}
PII = ("given_name", "family_name", "email", "username", "identifier")
THIS_YEAR = datetime.now(UTC).year


def _source_set(sources: tuple[str, ...] = SOURCE_NAMES) -> Expectation:
    return in_set("source", sources, why="source is one of the parsers' SOURCE names")


def _nonneg(column: str, what: str) -> Expectation:
    return between(column, 0, None, why=f"{what} is never negative")


_SILVER_RULES: dict[str, dict[str, Any]] = {
    "students": {
        "expectations": (
            _source_set(),
            in_set("gender", GENDERS, why="OneRoster sex and OULAD gender map to M / F / other"),
            between(
                "birth_year",
                1900,
                THIS_YEAR,
                severity=WARN,
                why="a birth year after 1900 and not in the future",
            ),
            not_null("first_seen_at", severity=WARN, why="every student has a first sighting"),
        ),
    },
    "student_identity": {
        "expectations": (not_null("student_id", why="every identifier resolves to a student"),),
        "references": (ref("student_id", "students", why="identities point at a student"),),
        "redact": PII,
    },
    "staff": {
        "expectations": (
            _source_set(),
            in_set("role", STAFF_ROLES, why="OneRoster staff roles (lake/sources/oneroster.py)"),
        ),
        "references": (ref("org_id", "orgs", severity=WARN, why="a staff member's org exists"),),
        "redact": PII,
    },
    "orgs": {
        "expectations": (
            in_set("org_type", ORG_TYPES, severity=WARN, why="OneRoster 1.2 OrgType vocabulary"),
        ),
        "references": (
            ref("parent_org_id", "orgs", "org_id", severity=WARN, why="parent org is loaded"),
        ),
    },
    "terms": {
        "expectations": (
            in_set("term_type", TERM_TYPES, severity=WARN, why="OneRoster 1.2 SessionType"),
            at_least("end_date", "start_date", why="a term ends on or after its start"),
        ),
        "references": (
            ref("parent_term_id", "terms", "term_id", severity=WARN, why="parent term loaded"),
        ),
    },
    "courses": {
        "expectations": (_source_set(),),
        "references": (ref("org_id", "orgs", severity=WARN, why="a course's org is loaded"),),
    },
    "classes": {
        "expectations": (
            _source_set(),
            at_least("end_date", "start_date", why="a class ends on or after its start"),
            _nonneg("length_days", "a presentation length"),
        ),
        "references": (
            ref("course_id", "courses", severity=WARN, why="a class's course is in the catalogue"),
            ref("term_id", "terms", severity=WARN, why="a class's term is loaded"),
        ),
    },
    "class_staff": {
        "expectations": (
            in_set("role", STAFF_ROLES, why="class staff hold a OneRoster staff role"),
        ),
        "references": (
            ref("class_id", "classes", why="staff teach a known class"),
            ref("staff_id", "staff", why="class staff are in staff"),
        ),
    },
    "enrollments": {
        "expectations": (
            _source_set(("oneroster", "oulad")),
            in_set(
                "status",
                ONEROSTER_ENROLLMENT_STATUSES,
                why="OneRoster tobedeleted rows never reach silver",
                when=source_is("oneroster"),
            ),
            in_set(
                "status",
                OULAD_ENROLLMENT_STATUSES,
                why="OULAD registrations are registered or unregistered",
                when=source_is("oulad"),
            ),
            in_set(
                "final_result",
                OULAD_FINAL_RESULTS,
                severity=WARN,
                why="OULAD final_result vocabulary",
            ),
            _nonneg("num_prev_attempts", "a count of previous attempts"),
            _nonneg("studied_credits", "studied credits"),
            at_least(
                "unregistered_at",
                "registered_at",
                severity=WARN,
                why="unregistration follows registration",
            ),
        ),
        "references": (
            ref("class_id", "classes", why="an enrollment's class is a known class"),
            ref("student_id", "students", why="an enrolled student is in students"),
        ),
    },
    "content_items": {
        "expectations": (
            in_set(
                "content_type",
                CONTENT_TYPES,
                why="docs/formats.md: page, video, resource, quiz, forum",
                when=source_is("content"),
            ),
            in_set(
                "content_type",
                OULAD_ACTIVITY_TYPES,
                severity=WARN,
                why="OULAD vle activity_type vocabulary",
                when=source_is("oulad"),
            ),
            between("week", 0, 1000, why="docs/formats.md: week within 0..1000"),
            at_least("week_to", "week", severity=WARN, why="week_to is the last week, >= week"),
        ),
        "references": (ref("class_id", "classes", why="content belongs to a known class"),),
    },
    "content_pages": {
        "expectations": (
            in_set("source_format", PAGE_FORMATS, why="pages are markdown or html"),
            _nonneg("word_count", "a word count"),
            between("week", 0, 1000, why="docs/formats.md: week within 0..1000"),
        ),
        "references": (
            ref("content_id", "content_items", why="every page has its content_items row"),
            ref("class_id", "classes", why="a page belongs to a known class"),
        ),
    },
    "skills": {
        "references": (ref("class_id", "classes", severity=WARN, why="a skill's class exists"),),
    },
    "items": {
        "expectations": (
            in_set("item_type", ITEM_TYPES, why="docs/formats.md item bank item types"),
            between("max_score", 0, None, strict_min=True, why="docs/formats.md: max_score > 0"),
            between("position", 1, None, why="positions count items from 1"),
        ),
        "references": (
            ref("class_id", "classes", why="an item bank belongs to a known class"),
            ref("quiz_id", "content_items", "content_id", why="every quiz is a content_items row"),
        ),
    },
    "assessments": {
        "expectations": (
            in_set("assessment_type", ASSESSMENT_TYPES, why="OULAD assessment types"),
            between("weight", 0, 100, why="an assessment weight is a percentage in [0, 100]"),
            between("max_score", 0, None, strict_min=True, severity=WARN, why="max_score > 0"),
        ),
        "references": (ref("class_id", "classes", why="an assessment's class is known"),),
    },
    "assessment_results": {
        "expectations": (
            _nonneg("score", "a score"),
            between(
                "score",
                0,
                100,
                severity=WARN,
                why="OULAD scores are 0..100",
                when=source_is("oulad"),
            ),
        ),
        "references": (
            ref("assessment_id", "assessments", why="results are for known assessments"),
            ref("student_id", "students", why="a result's student is in students"),
            ref("class_id", "classes", why="a result's class is known"),
        ),
    },
    "learning_events": {
        "expectations": (
            _source_set(("caliper", "oulad", "xapi")),
            not_null("occurred_at", why="every event has its time (UTC)"),
            not_null("verb", why="every event has a verb"),
            in_set(
                "verb", OULAD_VERBS, why="OULAD clicks are 'interacted'", when=source_is("oulad")
            ),
            in_set(
                "verb",
                CALIPER_VERBS,
                why="lowercased Caliper 1.2 actions",
                when=source_is("caliper"),
            ),
            in_set(
                "verb",
                XAPI_KNOWN_VERBS,
                severity=WARN,
                why="xAPI verbs outside the ADL / cmi5 / video vocabularies (maybe a new profile)",
                when=source_is("xapi"),
            ),
            not_in_set(
                "verb",
                ("voided",),
                why="voiding statements go to statement_voids, never to events",
                when=source_is("xapi"),
            ),
            between("score_scaled", -1, 1, why="xAPI result.score.scaled is in [-1, 1]"),
            _nonneg("duration_s", "a duration"),
            _nonneg("event_count", "an event count (OULAD sum_click)"),
            _nonneg("video_time_s", "a video position"),
            _nonneg("video_time_from_s", "a video position"),
            _nonneg("video_time_to_s", "a video position"),
        ),
        "references": (
            ref("class_id", "classes", why="an event's class, when set, is a known class"),
            ref("student_id", "students", why="an event's student, when set, is in students"),
        ),
        "freshness": Freshness("occurred_at", EVENT_SOURCES_OF["learning_events"]),
    },
    "statement_voids": {
        "expectations": (
            not_null("voiding_statement_id", why="a void names the voiding statement"),
            not_null("voided_at", severity=WARN, why="a void has its time"),
        ),
    },
    "quiz_attempts": {
        "expectations": (
            _source_set(("quiz_attempts", "xapi")),
            between("attempt_number", 1, None, why="docs/formats.md: attempt_number >= 1"),
            _nonneg("score", "a score"),
            between("max_score", 0, None, strict_min=True, why="docs/formats.md: max_score > 0"),
            at_least("max_score", "score", why="an attempt scores at most its max_score"),
            at_least("submitted_at", "started_at", why="an attempt is submitted after it starts"),
        ),
        "references": (
            ref("student_id", "students", why="an attempt's student is in students"),
            ref("class_id", "classes", why="docs/formats.md: unknown classes are quarantined"),
        ),
    },
    "item_responses": {
        "expectations": (
            _source_set(("quiz_attempts", "xapi")),
            not_null("answered_at", why="docs/formats.md: answered_at is required"),
            _nonneg("score", "docs/formats.md: score"),
            _nonneg("duration_s", "docs/formats.md: duration_s"),
        ),
        "references": (
            ref("attempt_id", "quiz_attempts", why="every response's attempt is derived"),
            ref("student_id", "students", why="a response's student is in students"),
            ref("class_id", "classes", why="docs/formats.md: unknown classes are quarantined"),
            ref(
                "item_id",
                "items",
                severity=WARN,
                why="docs/formats.md: an item not (yet) in a bank is kept; item marts lack it",
            ),
        ),
        "freshness": Freshness("answered_at", EVENT_SOURCES_OF["item_responses"]),
    },
    "forum_posts": {
        "expectations": (
            _source_set(("forum",)),
            not_null("created_at", why="docs/formats.md: created_at is required"),
            in_set("author_role", AUTHOR_ROLES, why="docs/formats.md: forum author roles"),
            matches("language", BCP47, severity=WARN, why="language is a BCP 47 tag or null"),
        ),
        "references": (
            ref("class_id", "classes", why="docs/formats.md: unknown classes are quarantined"),
            ref(
                "author_id",
                "students",
                "student_id",
                why="student authors are pseudonymised students",
                when='author_role == "student"',
            ),
            ref(
                "thread_id",
                "forum_posts",
                "post_id",
                severity=WARN,
                why="a thread's first post is loaded",
            ),
            ref(
                "parent_post_id",
                "forum_posts",
                "post_id",
                severity=WARN,
                why="the post replied to is loaded",
            ),
        ),
        "freshness": Freshness("created_at", EVENT_SOURCES_OF["forum_posts"]),
    },
}


def _silver_suite(table: str) -> Suite:
    spec = silver(table)
    rules = _SILVER_RULES.get(table, {})
    drop = ERROR if spec.merge is MergePolicy.INSERT_ONLY else WARN
    return Suite(
        name=spec.name,
        key=spec.key,
        expectations=tuple(rules.get("expectations", ())),
        references=tuple(rules.get("references", ())),
        volume=Volume(drop=drop),
        freshness=rules.get("freshness"),
        redact=tuple(rules.get("redact", ())),
    )


SILVER_SUITES: tuple[Suite, ...] = tuple(_silver_suite(t.table) for t in SILVER)
# Gold marts (transforms/dbt/models/marts/<domain>/<model>.sql, Delta at <lake>/gold/...): the
# invariants their documented columns promise. Marts are rebuilt, so a drop only warns.
GOLD_SUITES: tuple[Suite, ...] = (
    Suite(
        name="gold/grading/fct_quiz_attempts",
        key=("attempt_id",),
        expectations=(
            not_null("attempt_id", why="the mart's key"),
            between("share_correct", 0, 1, why="a share of items answered correctly"),
            _nonneg("total_score", "a total score"),
            _nonneg("n_correct", "a count of correct items"),
            _nonneg("n_items_answered", "a count of items answered"),
            at_least("n_items_answered", "n_correct", why="correct items were answered"),
        ),
        references=(
            ref("student_id", "students", why="mart rows are about known students"),
            ref("class_id", "classes", why="mart rows are about known classes"),
        ),
    ),
    Suite(
        name="gold/grading/fct_assessment_results",
        key=("assessment_id", "student_id"),
        expectations=(
            between("weight", 0, 100, why="an assessment weight is a percentage in [0, 100]"),
            _nonneg("score", "a score"),
        ),
        references=(
            ref("assessment_id", "assessments", why="results are for known assessments"),
            ref("student_id", "students", why="mart rows are about known students"),
        ),
    ),
    Suite(
        name="gold/engagement/fct_daily_engagement",
        key=("student_id", "class_id", "event_date"),
        expectations=(
            _nonneg("n_events", "an event count"),
            between("active_minutes", 0, 24 * 60, why="active minutes fit in one day"),
            at_least("last_event_at", "first_event_at", why="a day's last event is not first"),
        ),
        references=(
            ref("student_id", "students", why="mart rows are about known students"),
            ref("class_id", "classes", why="mart rows are about known classes"),
        ),
    ),
)
SUITES: dict[str, Suite] = {s.name: s for s in (*SILVER_SUITES, *GOLD_SUITES)}


def suite_for(name: str) -> Suite:
    """The suite of a table named ``silver/<table>`` or ``gold/<domain>/<model>``."""
    return SUITES[name]
