"""Which silver tables each bronze table feeds: the edges Dagster draws from bronze to silver."""

_IDENTITY = ("students", "student_identity")

BRONZE_FEEDS: dict[tuple[str, str], tuple[str, ...]] = {
    ("oneroster", "manifest"): (),
    ("oneroster", "orgs"): ("orgs",),
    ("oneroster", "academic_sessions"): ("terms",),
    ("oneroster", "courses"): ("courses",),
    ("oneroster", "classes"): ("classes",),
    ("oneroster", "users"): (*_IDENTITY, "staff"),
    ("oneroster", "roles"): ("staff",),
    ("oneroster", "enrollments"): ("enrollments", "class_staff"),
    ("oneroster", "demographics"): ("students",),
    ("oulad", "courses"): ("courses", "classes"),
    ("oulad", "assessments"): ("assessments",),
    ("oulad", "vle"): ("content_items",),
    ("oulad", "student_info"): (*_IDENTITY, "enrollments"),
    ("oulad", "student_registration"): ("enrollments",),
    ("oulad", "student_assessment"): ("assessment_results",),
    ("oulad", "student_vle"): ("learning_events",),
    ("xapi", "statements"): (
        *_IDENTITY,
        "learning_events",
        "statement_voids",
        "quiz_attempts",
        "item_responses",
    ),
    ("caliper", "events"): (*_IDENTITY, "learning_events"),
    ("quiz_attempts", "responses"): (*_IDENTITY, "quiz_attempts", "item_responses"),
    ("forum", "posts"): (*_IDENTITY, "forum_posts"),
    ("content", "pages"): ("content_items", "content_pages"),
    ("content", "item_banks"): ("content_items", "skills", "items"),
}


def sources_feeding(silver_table: str) -> set[str]:
    """Sources whose loads write ``silver_table``."""
    return {src for (src, _), tables in BRONZE_FEEDS.items() if silver_table in tables}


def bronze_feeding(silver_table: str) -> list[tuple[str, str]]:
    """(source, entity) of every bronze table that feeds ``silver_table``."""
    return [be for be, tables in BRONZE_FEEDS.items() if silver_table in tables]
