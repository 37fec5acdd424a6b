"""The suites as Dagster asset checks, run in process against a tmp lake."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pyarrow as pa

from lake import io
from lake.settings import LakeSettings
from lake.tables import silver
from orchestration.defs import ingest
from orchestration.defs import quality as quality_defs
from orchestration.defs.quality import check_names, gx_checks
from orchestration.resources import LakeResource
from quality.suites import SUITES, Severity, suite_for
from tests.quality.conftest import copy_lake


def _resource(settings: LakeSettings) -> LakeResource:
    return LakeResource(lake=str(settings.lake), landing=str(settings.landing))


def _merged(settings: LakeSettings) -> dg.Definitions:
    return dg.Definitions.merge(
        ingest.defs,
        quality_defs.defs,
        dg.Definitions(resources={"lake": _resource(settings)}, executor=dg.in_process_executor),
    )


def test_every_suite_has_a_blocking_and_a_warning_check_on_its_asset(tmp_path: Path) -> None:
    settings = LakeSettings(lake=tmp_path / "lake", landing=tmp_path / "landing")
    graph = _merged(settings).resolve_asset_graph()
    specs = {spec.key: spec for c in quality_defs.GX_CHECKS for spec in c.check_specs}
    assert set(specs) <= set(graph.asset_check_keys)
    for suite in SUITES.values():
        key = dg.AssetKey(list(suite.asset_path))
        names = check_names(suite)
        error = specs[dg.AssetCheckKey(key, names[Severity.ERROR])]
        warn = specs[dg.AssetCheckKey(key, names[Severity.WARN])]
        assert error.blocking and not warn.blocking
    assert len(specs) == 2 * len(SUITES)


def test_checks_run_with_the_ingest_assets_in_process(
    demo_lake: LakeSettings, tmp_path: Path
) -> None:
    settings = copy_lake(demo_lake, tmp_path)
    job = _merged(settings).resolve_implicit_global_asset_job_def()
    selection = [dg.AssetKey(["silver", t]) for t in ("enrollments", "learning_events")]
    result = job.execute_in_process(asset_selection=selection)
    assert result.success
    evaluations = {e.check_name: e for e in result.get_asset_check_evaluations() if e.check_name}
    for table in ("enrollments", "learning_events"):
        ev = evaluations[f"gx_{table}"]
        assert ev.passed, ev.metadata["details"]
        assert ev.severity == dg.AssetCheckSeverity.ERROR
        assert evaluations[f"gx_{table}_warn"].passed
        assert ev.metadata["rows"].value > 0
    # The volume baseline was recorded under the lake.
    assert (settings.lake / "_quality" / "volume" / "silver__learning_events.json").is_file()


def test_a_blocking_failure_stops_downstream_assets(
    demo_lake: LakeSettings, tmp_path: Path
) -> None:
    settings = copy_lake(demo_lake, tmp_path)
    spec = silver("enrollments")
    bad = [
        {"class_id": "cls-nowhere", "student_id": "s_missing", "source": "oneroster",
         "status": "active", "num_prev_attempts": -2},
    ]  # fmt: skip
    io.merge(settings, spec, pa.Table.from_pylist(bad), load_id="test")
    key = dg.AssetKey(["silver", "enrollments"])

    @dg.asset(key=key)
    def enrollments() -> None:
        """Stands in for the ingest asset: the rows are already in the lake."""

    ran: list[str] = []

    @dg.asset(deps=[key])
    def enrollment_mart() -> None:
        ran.append("mart")

    defs = dg.Definitions(
        assets=[enrollments, enrollment_mart],
        asset_checks=[gx_checks(suite_for("silver/enrollments"))],
        resources={"lake": _resource(settings)},
        executor=dg.in_process_executor,
    )
    result = defs.resolve_implicit_global_asset_job_def().execute_in_process(raise_on_error=False)
    assert not ran, "the downstream asset ran despite a blocking failure"
    [ev] = [e for e in result.get_asset_check_evaluations() if e.check_name == "gx_enrollments"]
    assert not ev.passed and ev.severity == dg.AssetCheckSeverity.ERROR
    details = ev.metadata["details"].value
    assert "cls-nowhere" in details and "s_missing" in details and "num_prev_attempts" in details
    assert ev.metadata["expectations_failed"].value == 3
    assert ev.metadata["failing_rows"].value == 3
