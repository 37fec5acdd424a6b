"""Data-quality suites for the lakehouse: Great Expectations suites declared as data, run on
silver tables (and gold marts) and reported as Dagster asset checks.

* ``quality.suites``: one :class:`~quality.suites.Suite` per table, as data: static expectations
  (ranges, vocabularies, column pairs) plus the dynamic ones resolved at run time: referential
  integrity (:class:`~quality.suites.Reference`), volume change (:class:`~quality.suites.Volume`)
  and freshness (:class:`~quality.suites.Freshness`). Every expectation has a severity: ``ERROR``
  when a failure would make a downstream table wrong (the Dagster check ``gx_<table>`` is blocking),
  ``WARN`` otherwise (``gx_<table>_warn``).
* ``quality.runner``: runs a suite on a pandas or Arrow table through an ephemeral Great
  Expectations context and returns a typed :class:`~quality.runner.SuiteResult` (pass/fail per
  expectation, severity, counts, up to 20 failing rows: key columns and offending values).
* ``quality.state``: the row counts of earlier evaluations, for the volume expectations, kept in
  ``<lake>/_quality/volume/<layer>__<table>.json`` (see that module for why a file in the lake).

Great Expectations (about 5-10 s to import) is imported only inside the functions that run a
suite, so importing the suites or the Dagster definitions stays fast.
"""

from quality.suites import SUITES, Severity, Suite, suite_for

__all__ = ["SUITES", "Severity", "Suite", "suite_for"]
