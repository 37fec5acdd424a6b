"""The research tables: built together from the gold marts, checked one by one before release.

One multi-asset writes ``gold/research/research_students``, ``research_student_weeks`` and
``research_class_week_aggregates`` from a single consent snapshot and a single generalisation
(``lake.privacy.research.build_release``), so the three tables always describe the same
students. Each table has a blocking check: a table with a quasi-identifier combination shared
by fewer than k students, an unsuppressed small cell, or an identifier or free-text column
fails the run.
"""

from collections.abc import Iterator

import dagster as dg

from lake.privacy import research
from lake.privacy.consent import RESEARCH, database_url_from_env, read_consents
from lake.settings import SettingsError
from orchestration.defs.learn.common import read_table
from orchestration.resources import LakeResource

GROUP = "research"
STUDENTS = dg.AssetKey(["gold", "enrollment", "dim_students"])
CLASSES = dg.AssetKey(["gold", "enrollment", "dim_classes"])
FEATURES = dg.AssetKey(["gold", "features", "fct_student_week_features"])
PROGRESS = dg.AssetKey(["gold", "progress", "fct_student_progress"])
GOLD_INPUTS = [STUDENTS, CLASSES, FEATURES, PROGRESS]
CHECK_NAME = "released_safely"


def research_key(table: str) -> dg.AssetKey:
    """Asset key of a research table (``gold/research/<table>``)."""
    return dg.AssetKey(["gold", "research", table])


STUDENTS_KEY = research_key("research_students")
STUDENT_WEEKS_KEY = research_key("research_student_weeks")
AGGREGATES_KEY = research_key("research_class_week_aggregates")

DESCRIPTIONS = {
    "research_students": "One row per consenting student released: research_id and generalised "
    "demographics (age band, gender, larger region, IMD band, disability, grade level).",
    "research_student_weeks": "One row per released student, class and week since class start: "
    "engagement, progress and grade features and outcome labels.",
    "research_class_week_aggregates": "One row per class and week: counts and means over the "
    "released students; cells under k students suppressed (nulls, is_suppressed).",
}


class ConsentStoreResource(dg.ConfigurableResource):
    """The operational store holding consent (``LEARNSMART_API_DATABASE_URL`` when empty)."""

    database_url: str = ""

    def url(self) -> str:
        """The store's SQLAlchemy URL, resolved in the process that runs the step."""
        return self.database_url or database_url_from_env()


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            research_key(t),
            deps=GOLD_INPUTS,
            group_name=GROUP,
            description=DESCRIPTIONS[t],
            metadata={"delta_path": f"gold/research/{t}"},
        )
        for t in research.TABLES
    ],
    can_subset=False,
)
def research_tables(
    context: dg.AssetExecutionContext, lake: LakeResource, consent_store: ConsentStoreResource
) -> Iterator[dg.MaterializeResult]:
    """Consenting students only, ids keyed per release, generalised to k-anonymity."""
    root = lake.settings().lake
    try:
        keys = research.ResearchKeys.from_env(root)
        k = research.research_k()
    except SettingsError as exc:
        raise dg.Failure(str(exc)) from exc
    consent = read_consents(consent_store.url(), RESEARCH)
    if not consent.store_found:
        context.log.warning(
            "no consent store (or not migrated): nobody has granted research use, "
            "so the research tables are written empty"
        )
    release = research.build_release(
        read_table(root, "gold/enrollment/dim_students"),
        read_table(root, "gold/enrollment/dim_classes"),
        read_table(root, "gold/features/fct_student_week_features"),
        read_table(root, "gold/progress/fct_student_progress"),
        consent.granted,
        keys,
        k,
    )
    frames = {
        "research_students": release.students,
        "research_student_weeks": release.student_weeks,
        "research_class_week_aggregates": release.aggregates,
    }
    report = {
        **release.report,
        "consent_store_found": consent.store_found,
        "consent_records": consent.n_records,
    }
    context.log.info(f"research release {keys.release}: {report}")
    for table, frame in frames.items():
        rows = research.write_table(root, table, frame)
        yield dg.MaterializeResult(
            asset_key=research_key(table),
            metadata={
                "rows": rows,
                "release": keys.release,
                "k": k,
                "report": dg.MetadataValue.json(report),
            },
        )


def _check(lake: LakeResource, table: str) -> dg.AssetCheckResult:
    k = research.research_k()
    passed, problems, groups = research.check_table(lake.settings().lake, table, k)
    return dg.AssetCheckResult(
        passed=passed,
        severity=dg.AssetCheckSeverity.ERROR,
        description="; ".join(problems) if problems else f"k={k} holds; no identifier columns",
        metadata={"k": k, "groups_under_k": groups, "problems": dg.MetadataValue.json(problems)},
    )


@dg.asset_check(
    asset=STUDENTS_KEY,
    name=CHECK_NAME,
    blocking=True,
    description="Every demographic combination shared by at least k students; no identifiers.",
)
def research_students_released_safely(lake: LakeResource) -> dg.AssetCheckResult:
    """k-anonymity of the demographics, and the column and value scan."""
    return _check(lake, "research_students")


@dg.asset_check(
    asset=STUDENT_WEEKS_KEY,
    name=CHECK_NAME,
    blocking=True,
    description="With research_students joined: every combination of demographics, class and "
    "withdrawal week shared by at least k students; no identifiers, no free text.",
)
def research_student_weeks_released_safely(lake: LakeResource) -> dg.AssetCheckResult:
    """k-anonymity of the joined release, and the column and value scan."""
    return _check(lake, "research_student_weeks")


@dg.asset_check(
    asset=AGGREGATES_KEY,
    name=CHECK_NAME,
    blocking=True,
    description="No cell under k students left unsuppressed; no identifiers.",
)
def research_aggregates_released_safely(lake: LakeResource) -> dg.AssetCheckResult:
    """Small-cell suppression, and the column and value scan."""
    return _check(lake, "research_class_week_aggregates")


CHECKS = [
    research_students_released_safely,
    research_student_weeks_released_safely,
    research_aggregates_released_safely,
]
