"""Quality area: the Great Expectations suites of ``quality.suites`` as Dagster asset checks.

Each table with a suite gets two checks, computed in one step from one read of the table:

* ``gx_<table>``: the ``ERROR`` expectations (ranges, vocabularies, referential integrity that
  marts join on, a row drop in an insert-only table). Blocking: when it fails, the assets
  downstream of the table in the same run are not materialised.
* ``gx_<table>_warn``: the ``WARN`` expectations (unknown items in responses, unfamiliar xAPI
  verbs, growth beyond the configured factor, freshness). Reported, never blocking.

A failing check's metadata names the failing expectations, their counts and up to 20 example
rows (key columns and offending values, PII redacted) as markdown. The volume baseline lives in
``<lake>/_quality/volume/`` (see ``quality.state``). Great Expectations is imported only when a
check runs, so loading these definitions stays fast.
"""

from collections.abc import Iterator
from pathlib import Path

import dagster as dg

from orchestration.resources import LakeResource
from quality.runner import SuiteResult, check_table
from quality.suites import SUITES, Severity, Suite

_SEVERITY = {Severity.ERROR: dg.AssetCheckSeverity.ERROR, Severity.WARN: dg.AssetCheckSeverity.WARN}


def check_names(suite: Suite) -> dict[Severity, str]:
    """The Dagster check name per severity: ``gx_<table>`` and ``gx_<table>_warn``."""
    return {Severity.ERROR: f"gx_{suite.table}", Severity.WARN: f"gx_{suite.table}_warn"}


def _describe(suite: Suite, severity: Severity) -> str:
    rules = [e for e in suite.expectations if e.severity is severity]
    refs = [r for r in suite.references if r.severity is severity]
    parts = [f"{len(rules)} column rules", f"{len(refs)} references"]
    if suite.volume is not None:
        parts.append("row-count drop" if suite.volume.drop is severity else "")
        if severity is Severity.WARN:
            parts.append("row-count growth")
    if suite.freshness is not None and suite.freshness.severity is severity:
        parts.append(f"freshness of {suite.freshness.column}")
    kind = "Blocking" if severity is Severity.ERROR else "Warning-level"
    return f"{kind} Great Expectations suite of {suite.name}: " + ", ".join(p for p in parts if p)


def _metadata(result: SuiteResult, severity: Severity) -> dict[str, dg.MetadataValue]:
    mine = [o for o in result.outcomes if o.severity is severity]
    failed = result.failures(severity)
    meta: dict[str, dg.MetadataValue] = {
        "rows": dg.MetadataValue.int(result.rows),
        "expectations_evaluated": dg.MetadataValue.int(len(mine)),
        "expectations_failed": dg.MetadataValue.int(len(failed)),
        "failing_rows": dg.MetadataValue.int(sum(o.unexpected_count or 0 for o in failed)),
        "failed_expectations": dg.MetadataValue.text(
            ", ".join(f"{o.expectation}({o.column or 'table'})" for o in failed) or "none"
        ),
        "details": dg.MetadataValue.md(result.markdown(severity)),
    }
    if result.notes:
        meta["notes"] = dg.MetadataValue.text("; ".join(result.notes))
    return meta


def gx_checks(suite: Suite) -> dg.AssetChecksDefinition:
    """The two asset checks of one suite (``gx_<table>`` blocking, ``gx_<table>_warn``)."""
    key = dg.AssetKey(list(suite.asset_path))
    names = check_names(suite)

    @dg.multi_asset_check(
        specs=[
            dg.AssetCheckSpec(
                names[Severity.ERROR],
                asset=key,
                blocking=True,
                description=_describe(suite, Severity.ERROR),
            ),
            dg.AssetCheckSpec(
                names[Severity.WARN], asset=key, description=_describe(suite, Severity.WARN)
            ),
        ],
        name=f"gx_{'_'.join(suite.asset_path)}",
        can_subset=True,
        description=f"Great Expectations suite of {suite.name} (quality/suites.py).",
    )
    def _check(
        context: dg.AssetCheckExecutionContext, lake: LakeResource
    ) -> Iterator[dg.AssetCheckResult]:
        result = check_table(lake.settings(), suite)
        selected = context.selected_asset_check_keys
        for severity, name in names.items():
            if dg.AssetCheckKey(key, name) not in selected:
                continue
            failures = result.failures(severity)
            if failures:
                context.log.warning(
                    f"{name}: {len(failures)} expectation(s) failed on {suite.name}"
                )
            yield dg.AssetCheckResult(
                asset_key=key,
                check_name=name,
                passed=not failures,
                severity=_SEVERITY[severity],
                metadata=_metadata(result, severity),
            )

    return _check


DBT_MARTS = Path(__file__).resolve().parents[3] / "transforms" / "dbt" / "models" / "marts"


def has_asset(suite: Suite) -> bool:
    """Silver tables always exist as ingest assets; a gold suite is only attached while its dbt
    model ``marts/<domain>/<model>.sql`` exists (a renamed mart leaves no orphan check)."""
    if suite.layer != "gold":
        return True
    _, domain, model = suite.asset_path
    return (DBT_MARTS / domain / f"{model}.sql").is_file()


GX_CHECKS: list[dg.AssetChecksDefinition] = [gx_checks(s) for s in SUITES.values() if has_asset(s)]

defs = dg.Definitions(asset_checks=GX_CHECKS)
