"""Run a suite on a table with Great Expectations and say, per expectation, which rows fail and why.

* :func:`validate` runs a :class:`~quality.suites.Suite` on a pandas DataFrame or Arrow table,
  given what its dynamic expectations need (parent keys, the previous row count, the freshness
  reference time). Pure: it reads and writes nothing.
* :func:`check_table` does the lake side: reads the table's needed columns and the parents' keys,
  the volume baseline (``quality.state``) and the newest landing file, runs :func:`validate`, then
  records the new row count.

Great Expectations is imported inside :func:`validate` only (it takes seconds to import). Each run
uses its own ephemeral context (``gx.get_context(mode="ephemeral")``): nothing is written to disk
and nothing is sent anywhere (``GX_ANALYTICS_ENABLED=false`` unless set otherwise).
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import sys
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc

from lake import io
from lake.settings import LakeSettings
from lake.tables import silver
from quality import state
from quality.suites import Expectation, QualityConfig, Severity, Suite

if TYPE_CHECKING:
    import pandas as pd

EXAMPLES = 20
REDACTED = "<redacted>"
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_PARTIAL_SUFFIXES = (".tmp", ".part", ".partial", ".crdownload")


@dataclass(frozen=True)
class Outcome:
    """The result of one expectation on one table.

    Attributes:
        expectation: GX expectation type (``expect_column_values_to_be_between``).
        column: the column checked (``column_A`` for pairs), None for table-level expectations.
        severity: what a failure means (``ERROR`` blocks downstream assets).
        success: whether it held.
        why: the rule in words and where it comes from.
        rule: the expectation's arguments, shortened (value sets summarised).
        row_condition: the pandas condition selecting the rows checked, if any.
        element_count: rows checked (column-map expectations).
        unexpected_count: rows that failed (column-map expectations).
        observed: the observed value of aggregate expectations (row count, max).
        examples: up to 20 failing rows: key columns and offending values (PII redacted).
        error: the exception message when the expectation could not be evaluated (a failure).
    """

    expectation: str
    column: str | None
    severity: Severity
    success: bool
    why: str = ""
    rule: str = ""
    row_condition: str | None = None
    element_count: int | None = None
    unexpected_count: int | None = None
    observed: str | None = None
    examples: tuple[Mapping[str, Any], ...] = ()
    error: str | None = None


@dataclass(frozen=True)
class SuiteResult:
    """Every outcome of one suite run, with the table's row count and notes (baselines etc.)."""

    name: str
    rows: int
    outcomes: tuple[Outcome, ...]
    notes: tuple[str, ...] = ()

    def failures(self, severity: Severity | None = None) -> list[Outcome]:
        """Failed outcomes, all or of one severity."""
        return [
            o
            for o in self.outcomes
            if not o.success and (severity is None or o.severity is severity)
        ]

    def passed(self, severity: Severity | None = None) -> bool:
        """True when nothing failed (at ``severity``, if given)."""
        return not self.failures(severity)

    @property
    def severity(self) -> Severity | None:
        """The worst severity among failures, or None when everything passed."""
        if self.failures(Severity.ERROR):
            return Severity.ERROR
        return Severity.WARN if self.failures(Severity.WARN) else None

    def markdown(self, severity: Severity | None = None) -> str:
        """The failures (at ``severity``) for a data engineer: rule, counts, example rows."""
        failed = self.failures(severity)
        if not failed:
            return "All expectations passed."
        parts = []
        for o in failed:
            head = f"### {o.expectation}" + (f" on `{o.column}`" if o.column else "")
            lines = [head, f"- severity: {o.severity.value}"]
            if o.why:
                lines.append(f"- rule: {o.why}")
            if o.rule:
                lines.append(f"- expected: `{o.rule}`")
            if o.row_condition:
                lines.append(f"- rows where: `{o.row_condition}`")
            if o.unexpected_count is not None:
                lines.append(f"- failing rows: {o.unexpected_count} of {o.element_count}")
            if o.observed is not None:
                lines.append(f"- observed: {o.observed}")
            if o.error:
                lines.append(f"- could not evaluate: {o.error}")
            if o.examples:
                lines.append("")
                lines.append(_md_table(o.examples))
            parts.append("\n".join(lines))
        return "\n\n".join(parts)


@dataclass(frozen=True)
class Baseline:
    """The previous evaluation's row count for the volume expectations.

    ``deletes_since``: a Delta ``DELETE`` (erasure, retention) was committed since, so a drop is
    explained and only warns.
    """

    rows: int
    version: int | None = None
    deletes_since: bool = False


@dataclass
class _Planned:
    expectation: Expectation
    rule: str
    observed_label: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def _md_value(v: Any) -> str:
    text = "" if v is None else str(v)
    return text.replace("|", "\\|").replace("\n", " ")[:120]


def _md_table(rows: tuple[Mapping[str, Any], ...]) -> str:
    cols = list(dict.fromkeys(c for r in rows for c in r))
    out = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    out += ["| " + " | ".join(_md_value(r.get(c)) for c in cols) + " |" for r in rows]
    return "\n".join(out)


def _plain(v: Any) -> Any:
    """JSON/markdown-friendly scalar: numpy scalars to Python, times to ISO text, NaN to None."""
    if hasattr(v, "item") and not isinstance(v, str | bytes):
        with contextlib.suppress(ValueError, AttributeError):
            v = v.item()
    if isinstance(v, float) and math.isnan(v):
        return None
    if isinstance(v, datetime | date):
        return v.isoformat()
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return v


def _rule_text(kwargs: Mapping[str, Any], value_set_label: str | None = None) -> str:
    parts = []
    for k, v in kwargs.items():
        if k in ("column", "column_A", "column_B") or v is None or v is False:
            continue
        if k == "value_set":
            shown = value_set_label or (
                repr(list(v)) if len(v) <= 12 else f"{len(v)} values: {list(v)[:8]}..."
            )
            parts.append(f"value_set={shown}")
        else:
            parts.append(f"{k}={_plain(v)}")
    cols = [str(kwargs[c]) for c in ("column_A", "column_B") if c in kwargs]
    if cols:
        parts.insert(0, " >= ".join(cols) if kwargs.get("or_equal") else " > ".join(cols))
    return ", ".join(parts)


def _plan(
    suite: Suite,
    parents: Mapping[str, Collection[Any]],
    baseline: Baseline | None,
    freshness_reference: datetime | None,
    config: QualityConfig,
    empty: bool,
) -> tuple[list[_Planned], list[str]]:
    planned = [_Planned(e, _rule_text(e.kwargs)) for e in suite.expectations]
    notes: list[str] = []
    for r in suite.references:
        key = f"{r.parent}.{r.parent_column}"
        if key not in parents:
            notes.append(f"reference {r.column} -> {key} skipped: parent keys not given")
            continue
        values = sorted(parents[key])
        e = Expectation(
            "ExpectColumnValuesToBeInSet",
            {"column": r.column, "value_set": values},
            r.severity,
            r.why or f"{r.column} values are {key} keys",
            r.row_condition,
        )
        planned.append(_Planned(e, _rule_text(e.kwargs, f"<{len(values)} keys of {key}>")))
    if suite.volume is not None:
        if baseline is None:
            notes.append("volume: no previous evaluation to compare with")
        else:
            drop = suite.volume.drop
            why = f"rows never drop (previous evaluation: {baseline.rows} rows)"
            if baseline.deletes_since and drop is Severity.ERROR:
                drop = Severity.WARN
                why += "; a Delta DELETE since then explains a drop, so it only warns"
            e = Expectation(
                "ExpectTableRowCountToBeBetween", {"min_value": baseline.rows}, drop, why
            )
            planned.append(_Planned(e, _rule_text(e.kwargs)))
            growth = suite.volume.max_growth or config.max_growth
            if baseline.rows > 0:
                limit = math.ceil(baseline.rows * growth)
                e = Expectation(
                    "ExpectTableRowCountToBeBetween",
                    {"max_value": limit},
                    Severity.WARN,
                    f"rows grow at most {growth:g}x per evaluation (previous: {baseline.rows})",
                )
                planned.append(_Planned(e, _rule_text(e.kwargs)))
    f = suite.freshness
    if f is not None:
        if empty:
            notes.append(f"freshness of {f.column}: table is empty, nothing to check")
        elif freshness_reference is None:
            notes.append(f"freshness of {f.column} skipped: no reference time")
        else:
            window = f.window or config.freshness_window
            oldest_ok = freshness_reference - window
            e = Expectation(
                "ExpectColumnMaxToBeBetween",
                {"column": f.column, "min_value": oldest_ok},
                f.severity,
                f"latest {f.column} is within {window} of {freshness_reference.isoformat()} "
                f"(newest landing file of {', '.join(f.sources)}, or now)",
            )
            planned.append(_Planned(e, _rule_text(e.kwargs)))
    return planned, notes


def _guard_spark_connect() -> None:
    """Let Great Expectations import without Spark Connect where pyspark would exit instead.

    GX probes ``pyspark.sql.connect`` on import. When its gRPC dependencies are missing (they are
    here: the Spark engine uses classic pyspark) and the process's ``__main__`` has no file (a
    ``python -c`` run, a pytest-xdist worker), pyspark takes the import for a doctest run and
    calls ``sys.exit(0)``, which GX does not catch, so the first GX import of such a process
    died. The probe is made here first; if it exits or fails, the module is marked missing, and
    GX's own probe then fails with the ``ImportError`` it handles (no Spark Connect support).
    """
    if "pyspark.sql.connect" in sys.modules:
        return
    try:
        import pyspark.sql.connect  # noqa: F401
    except (ImportError, SystemExit) as exc:
        if isinstance(exc, ModuleNotFoundError) and exc.name == "pyspark":
            return  # no pyspark at all: GX handles that itself
        sys.modules["pyspark.sql.connect"] = None  # type: ignore[assignment]


def _gx_context() -> Any:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    _guard_spark_connect()
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    ctx = gx.get_context(mode="ephemeral")
    ctx.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    return ctx


def _examples(result: Mapping[str, Any], redact: Collection[str]) -> tuple[dict[str, Any], ...]:
    rows = result.get("partial_unexpected_index_list")
    if not rows:
        values = result.get("partial_unexpected_list") or []
        rows = [{"value": v} for v in values]
    out = []
    for row in list(rows)[:EXAMPLES]:
        if not isinstance(row, Mapping):
            row = {"value": row}
        out.append({k: REDACTED if k in redact else _plain(v) for k, v in row.items()})
    return tuple(out)


def _exception_message(info: Any) -> str | None:
    """The first exception message in a GX ``exception_info``: either one dict or a dict of them
    by metric (when a metric could not be computed, e.g. a missing column)."""
    if not isinstance(info, Mapping):
        return None
    if info.get("raised_exception"):
        return str(info.get("exception_message"))
    for v in info.values():
        if isinstance(v, Mapping) and v.get("raised_exception"):
            return str(v.get("exception_message"))
    return None


def validate(
    suite: Suite,
    data: pa.Table | pd.DataFrame,
    *,
    parents: Mapping[str, Collection[Any]] | None = None,
    baseline: Baseline | None = None,
    freshness_reference: datetime | None = None,
    config: QualityConfig | None = None,
) -> SuiteResult:
    """Run ``suite`` on ``data`` and return every outcome.

    Args:
        suite: the declared expectations.
        data: the table (at least ``suite.columns``).
        parents: keys of referenced tables, by ``"<parent>.<parent_column>"``
            (``"silver/classes.class_id"``); references without them are skipped with a note.
        baseline: the previous evaluation's row count; None skips the volume expectations.
        freshness_reference: the time the newest value should be close to; None skips freshness.
        config: windows and factors (default: from the environment).
    """
    config = config or QualityConfig.from_env()
    df = data.to_pandas() if isinstance(data, pa.Table) else data
    planned, notes = _plan(
        suite, parents or {}, baseline, freshness_reference, config, empty=len(df) == 0
    )
    if not planned:
        return SuiteResult(suite.name, len(df), (), tuple(notes))

    ctx = _gx_context()  # first: it imports GX behind the Spark Connect guard
    import great_expectations as gx
    import great_expectations.expectations as gxe

    batch = (
        ctx.data_sources.add_pandas("lake")
        .add_dataframe_asset(suite.name.replace("/", "__"))
        .add_batch_definition_whole_dataframe("whole")
    )
    gx_suite = gx.ExpectationSuite(name=suite.name)
    for i, p in enumerate(planned):
        e = p.expectation
        cls = getattr(gxe, e.type)
        extra: dict[str, Any] = {"meta": {"qid": i}}
        if e.row_condition:
            extra |= {"row_condition": e.row_condition, "condition_parser": "pandas"}
        gx_suite.add_expectation(cls(**e.kwargs, **extra))
    gx_suite = ctx.suites.add(gx_suite)
    vd = ctx.validation_definitions.add(
        gx.ValidationDefinition(name=f"{suite.name}-validation", data=batch, suite=gx_suite)
    )
    key = [k for k in suite.key if k in df.columns]
    result_format: dict[str, Any] = {
        "result_format": "SUMMARY",
        "partial_unexpected_count": EXAMPLES,
    }
    if key:
        result_format["unexpected_index_column_names"] = key
    res = vd.run(batch_parameters={"dataframe": df}, result_format=result_format)

    outcomes: list[Outcome] = []
    for r in res.results:
        p = planned[int(r.expectation_config.meta["qid"])]
        e = p.expectation
        result = dict(r.result or {})
        error = _exception_message(r.exception_info)
        observed = result.get("observed_value")
        outcomes.append(
            Outcome(
                expectation=r.expectation_config.type,
                column=e.column,
                severity=e.severity,
                success=bool(r.success) and error is None,
                why=e.why,
                rule=p.rule,
                row_condition=e.row_condition,
                element_count=result.get("element_count"),
                unexpected_count=result.get("unexpected_count"),
                observed=None if observed is None else str(_plain(observed)),
                examples=() if r.success else _examples(result, suite.redact),
                error=error,
            )
        )
    outcomes.sort(key=lambda o: (o.success, o.severity is not Severity.ERROR))
    return SuiteResult(suite.name, len(df), tuple(outcomes), tuple(notes))


# ---------------------------------------------------------------------------------------------
# The lake side.


def landing_reference(landing: Path, sources: Collection[str]) -> datetime | None:
    """When the newest landing file of ``sources`` was delivered: the end of the last
    ``YYYY-MM-DD`` day in its path (the day it belongs to, docs/formats.md), else its mtime.
    Hidden files and partial uploads are ignored, as the loader ignores them."""
    best: datetime | None = None
    for src in sources:
        root = landing / src
        if not root.is_dir():
            continue
        for p in root.rglob("*"):
            rel = p.relative_to(root)
            if (
                not p.is_file()
                or any(part.startswith(".") for part in rel.parts)
                or p.suffix.lower() in _PARTIAL_SUFFIXES
            ):
                continue
            when: datetime | None = None
            for day in reversed(_DAY.findall(rel.as_posix())):
                try:
                    d = date.fromisoformat(day)
                except ValueError:
                    continue
                when = datetime.combine(d + timedelta(days=1), time(), UTC)
                break
            if when is None:
                when = datetime.fromtimestamp(p.stat().st_mtime, UTC)
            best = when if best is None or when > best else best
    return best


def _open_delta(path: Path) -> Any:
    from deltalake import DeltaTable
    from deltalake.exceptions import TableNotFoundError

    try:
        return DeltaTable(str(path))
    except TableNotFoundError:
        return None


def _read(settings: LakeSettings, name: str, columns: list[str]) -> tuple[pa.Table | None, Any]:
    """The needed columns of table ``name`` (silver: empty with its schema when never written;
    gold: None when missing) and its DeltaTable (None when missing)."""
    dt = _open_delta(settings.lake / name)
    if name.startswith("silver/"):
        spec = silver(name.split("/", 1)[1])
        cols = [c for c in columns if c in spec.schema.names]
        return io.read(settings, spec, columns=cols), dt
    if dt is None:
        return None, None
    names = {f.name for f in dt.schema().fields}
    cols = [c for c in columns if c in names]
    return io.read_delta(dt, cols), dt


def _keys(table: pa.Table, column: str) -> list[Any]:
    return pc.unique(table.column(column).combine_chunks()).drop_null().to_pylist()


def _deleted_since(dt: Any, version: int | None) -> bool:
    """True when a Delta DELETE was committed after ``version``."""
    if version is None or dt is None or dt.version() <= version:
        return False
    history = dt.history(dt.version() - version)
    return any(
        h.get("operation") == "DELETE" and int(h.get("version", version + 1)) > version
        for h in history
    )


def check_table(
    settings: LakeSettings,
    suite: Suite,
    *,
    config: QualityConfig | None = None,
    now: datetime | None = None,
    record: bool = True,
) -> SuiteResult:
    """Run ``suite`` on its table in the lake, then (``record``) store the row count as the next
    evaluation's volume baseline."""
    config = config or QualityConfig.from_env()
    now = now or datetime.now(UTC)
    data, dt = _read(settings, suite.name, suite.columns)
    if data is None:
        missing = Outcome(
            expectation="table_exists",
            column=None,
            severity=Severity.ERROR,
            success=False,
            why=f"the Delta table {suite.name} exists",
            error=f"no Delta table at {settings.lake / suite.name}",
        )
        return SuiteResult(suite.name, 0, (missing,))

    parents: dict[str, list[Any]] = {}
    for r in suite.references:
        key = f"{r.parent}.{r.parent_column}"
        if key in parents:
            continue
        if r.parent == suite.name and r.parent_column in data.column_names:
            parents[key] = _keys(data, r.parent_column)
        else:
            parent, _ = _read(settings, r.parent, [r.parent_column])
            parents[key] = [] if parent is None else _keys(parent, r.parent_column)

    baseline = None
    version = dt.version() if dt is not None else None
    notes: list[str] = []
    prev = state.previous(settings, suite.name)
    if prev is not None:
        if prev.version is not None and version is not None and version < prev.version:
            notes.append(
                f"volume: Delta version went back from {prev.version} to {version} "
                "(table recreated?): baseline reset"
            )
        else:
            baseline = Baseline(prev.rows, prev.version, _deleted_since(dt, prev.version))

    reference: datetime | None = None
    if suite.freshness is not None:
        if config.freshness_reference == "now":
            reference = now
        else:
            reference = landing_reference(settings.landing, suite.freshness.sources) or now

    result = validate(
        suite,
        data,
        parents=parents,
        baseline=baseline,
        freshness_reference=reference,
        config=config,
    )
    if record:
        state.record(settings, suite.name, data.num_rows, version, now)
    if notes:
        result = SuiteResult(result.name, result.rows, result.outcomes, (*notes, *result.notes))
    return result
