"""Every word the research explorer shows: the research tables' column docs and the UI text.

``COLUMN_DOCS`` (table -> column -> one sentence) is written from docs/privacy.md ("Research
tables"), the schemas and ladders in ``lake/privacy/research.py`` and the dbt docs of
``fct_student_week_features`` that the week features come from. The research tables carry no
column comments of their own, so this is the only place researchers read what a column means.
``tests/apps/test_research_explorer_docs.py`` checks that every declared column has a doc here.

The app is for researchers and is in English only; all of its text is in :data:`TEXT`.
"""

from __future__ import annotations

from typing import Final

NO_DOC: Final = "no description yet"

_CUTOFF = "the cut-off is the end of the row's week"

_WEEK_FEATURES: dict[str, str] = {
    "n_events_this_week": "Learning events of the student in this week of the class.",
    "active_minutes_this_week": "Active minutes of the student in this week of the class.",
    "n_active_days_this_week": "Days with any activity of the student in this week of the class.",
    "n_events_to_date": f"Learning events of the student in the class before the cut-off "
    f"({_CUTOFF}).",
    "active_minutes_to_date": "Active minutes of the student in the class before the cut-off.",
    "n_active_days_to_date": "Days with any activity of the student in the class before the "
    "cut-off.",
    "days_since_last_active": "Days from the student's last active day to the cut-off; null if "
    "the student was never active.",
    "content_touched_share": "Share (0 to 1) of the class's content released by the cut-off "
    "that the student touched.",
    "n_assessments_due": "Assessments of the class due before the cut-off.",
    "n_assessments_submitted_to_date": "Assessments the student submitted and had scored before "
    "the cut-off.",
    "n_assessments_late_to_date": "Assessments the student submitted late before the cut-off.",
    "weighted_score_to_date": "Weighted mean assessment score in percent before the cut-off: "
    "sum(weight x score) / sum(weight) over scored assessments with weight above 0.",
    "mean_score_to_date": "Unweighted mean assessment score in percent before the cut-off.",
    "n_quiz_attempts_to_date": "Quiz attempts the student submitted before the cut-off.",
    "mean_quiz_share_correct_to_date": "Mean share correct (0 to 1) of the student's quiz "
    "attempts submitted before the cut-off.",
    "label_final_result": "LABEL (looks past the cut-off): the final result of the enrolment "
    "(Pass, Distinction, Fail or Withdrawn where the source has one).",
    "label_is_pass": "LABEL (looks past the cut-off): true when the final result is Pass or "
    "Distinction.",
    "label_dropped_out": "LABEL (looks past the cut-off): true when the student withdrew at some "
    "point or ended Withdrawn.",
    "label_withdrew_later": "LABEL (looks past the cut-off): true when the student withdrew on "
    "or after the cut-off.",
    "label_at_risk": "LABEL (looks past the cut-off), the at-risk model's target: true when the "
    "enrolment ended in Fail or Withdrawn (or the student withdrew), false for a pass or a "
    "finished class without withdrawal, null while the outcome is open.",
}

_RESEARCH_ID = (
    "Pseudonymous id of a released student in this release (an HMAC of the student id with a "
    "secret and the release key): the same within a release, unlinkable across releases."
)
_CLASS_ID = "One offering of a course in a term (OneRoster class, OULAD module-presentation)."
_COURSE_ID = "The catalogue course the class is an offering of."
_WEEK = "Week since the class started: 1 is the first seven days from its start."

COLUMN_DOCS: dict[str, dict[str, str]] = {
    "research_students": {
        "research_id": _RESEARCH_ID,
        "age_band": "Age at the student's first class start, generalised to a 5- or 10-year band "
        "(or a band the source gave, such as 0-35), or 'any'.",
        "gender": "Gender as the source reports it, or 'any' when generalised away.",
        "region_area": "Larger area of the student's region (North of England, Midlands, South "
        "of England, Scotland, Wales, Ireland, other), or 'any'; the region itself is never "
        "released.",
        "imd_band": "Deprivation (IMD) band of the student's area as a 10% or 20% band, or 'any'.",
        "has_disability": "Whether the student declared a disability; null when withheld by the "
        "generalisation or unknown.",
        "grade_level": "Grade level, generalised to school phase (primary, middle, high) or "
        "'any' where needed for k-anonymity.",
    },
    "research_student_weeks": {
        "research_id": _RESEARCH_ID + " Joins to research_students.",
        "class_id": _CLASS_ID,
        "course_id": _COURSE_ID,
        "week": _WEEK,
        "withdrawn_week": "Week since class start in which the student withdrew, generalised to a "
        "4-week block (such as 5-8) or 'any'; null when the student did not withdraw.",
        **_WEEK_FEATURES,
    },
    "research_class_week_aggregates": {
        "class_id": _CLASS_ID,
        "course_id": _COURSE_ID,
        "week": _WEEK,
        "n_students": "Released students of the class in that week; null when the cell is "
        "suppressed (fewer than k students).",
        "share_active": "Share of those students with at least one event in the week; null when "
        "suppressed.",
        "mean_active_minutes_this_week": "Class mean of the active minutes in the week; null "
        "when suppressed.",
        "mean_n_events_this_week": "Class mean of the learning events in the week; null when "
        "suppressed.",
        "mean_content_touched_share": "Class mean of the share of released content touched; "
        "null when suppressed.",
        "mean_score_to_date": "Class mean of the unweighted mean assessment score (percent) to "
        "date; null when suppressed.",
        "mean_quiz_share_correct_to_date": "Class mean of the quiz share correct to date; null "
        "when suppressed.",
        "is_suppressed": "True when the cell counts fewer than k students: its count and every "
        "value are then null.",
    },
}


def column_doc(table: str, column: str) -> str:
    """The doc of one column, or :data:`NO_DOC`."""
    return COLUMN_DOCS.get(table, {}).get(column, NO_DOC)


TEXT: dict[str, str] = {
    "title": "LearnSmart research explorer",
    "sign_in_title": "Sign in to Trino",
    "sign_in_intro": (
        "Use your Trino researcher login. You can read the anonymised tables of the read-only "
        "`research` catalog (schema `research`); everything else is denied by Trino."
    ),
    "user": "Trino user",
    "password": "Password",
    "sign_in": "Sign in",
    "sign_out": "Sign out",
    "signed_in_as": "Signed in as **{user}** at {url}",
    "tables": "Research tables",
    "tables_intro": "Click a table's button to put a query on it into the editor.",
    "use_table": "Query {table}",
    "no_tables": "No research tables are registered yet.",
    "column_header": "| column | type | description |\n|---|---|---|",
    "sql": "SQL (one SELECT or WITH query)",
    "limit": "Row limit (at most {max})",
    "run": "Run",
    "results": "Results",
    "rows": "{n} rows.",
    "rows_capped": "The first {n} rows: the query returns more, raise the row limit "
    "(at most {max}) or aggregate in SQL.",
    "plot": "Plot",
    "x": "x",
    "y": "y (numeric)",
    "kind": "Chart",
    "draw": "Draw",
    "download": "Download CSV",
    "nothing_yet": "Run a query to see its rows here.",
    # errors, each a sentence
    "need_user": "Enter your Trino user name.",
    "need_password": "Enter your password.",
    "bad_login": "Sign-in failed: Trino did not accept this user name and password.",
    "unreachable": "The Trino server is not reachable at {url}; is it running (make demo)?",
    "tls": "The connection to Trino failed its certificate check (certificate {cert}).",
    "not_signed_in": "Sign in first.",
    "empty_sql": "Write a query first.",
    "unclosed": "The query has an unclosed {what}.",
    "several": "Only one statement can be run at a time; this text holds {n}.",
    "not_select": "Only SELECT or WITH queries can be run here (the research catalog is "
    "read-only); this statement starts with {word}.",
    "bad_limit": "The row limit must be a whole number from 1 to {max}.",
    "denied": "Trino denied this query: researchers may only read the research catalog "
    "(research.research.*). Trino said: {detail}",
    "trino_failed": "Trino could not run this query: {detail}",
    "no_column": "The result has no column {column!r}.",
    "y_not_numeric": "Pick a numeric column for y; {column!r} is not numeric.",
    "bad_kind": "The chart kind must be one of {kinds}.",
    "no_rows_to_plot": "There are no rows to plot.",
}
