"""Research area: the anonymised tables researchers query through Trino (``gold/research/``).

Built only from students whose research consent is granted, with release-keyed research ids,
quasi-identifiers generalised to k-anonymity and small aggregate cells suppressed; each table
has a blocking check (``lake.privacy.research``, ``docs/privacy-research.md``).
"""

import dagster as dg

from orchestration.defs.research.assets import (
    AGGREGATES_KEY,
    CHECKS,
    STUDENT_WEEKS_KEY,
    STUDENTS_KEY,
    ConsentStoreResource,
    research_aggregates_released_safely,
    research_student_weeks_released_safely,
    research_students_released_safely,
    research_tables,
)

__all__ = [
    "AGGREGATES_KEY",
    "STUDENTS_KEY",
    "STUDENT_WEEKS_KEY",
    "ConsentStoreResource",
    "defs",
    "research_aggregates_released_safely",
    "research_student_weeks_released_safely",
    "research_students_released_safely",
    "research_tables",
]

defs = dg.Definitions(
    assets=[research_tables],
    asset_checks=CHECKS,
    resources={"consent_store": ConsentStoreResource()},
)
