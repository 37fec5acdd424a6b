"""Population stability index and the Evidently drift report."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ml_assets.drift import PSI_RETRAIN, PSI_WARN, evidently_report, feature_psi, psi


def test_psi_of_a_sample_against_itself_is_zero() -> None:
    x = np.random.default_rng(0).normal(size=5000)
    assert psi(x, x) == pytest.approx(0.0, abs=1e-12)


def test_psi_stays_small_for_two_draws_of_one_distribution() -> None:
    rng = np.random.default_rng(1)
    assert psi(rng.normal(size=20000), rng.normal(size=20000)) < PSI_WARN


def test_psi_flags_a_shifted_distribution_for_retraining() -> None:
    rng = np.random.default_rng(2)
    assert psi(rng.normal(size=20000), rng.normal(1.0, size=20000)) > PSI_RETRAIN


def test_psi_matches_the_textbook_formula_on_hand_made_bins() -> None:
    # expected: quartiles 0..3 equally filled; actual: half in the first bin, the rest spread
    expected = np.repeat([0.0, 1.0, 2.0, 3.0], 25)
    actual = np.concatenate([np.zeros(50), np.repeat([1.0, 2.0, 3.0], [20, 20, 10])])
    e = np.array([0.25, 0.25, 0.25, 0.25])
    a = np.array([0.5, 0.2, 0.2, 0.1])
    assert psi(expected, actual, bins=4) == pytest.approx(float(np.sum((a - e) * np.log(a / e))))


def test_psi_counts_a_feature_that_starts_arriving_missing_as_drift() -> None:
    rng = np.random.default_rng(3)
    before = rng.normal(size=5000)
    after = before.copy()
    after[: len(after) // 2] = np.nan
    assert psi(before, after) > PSI_RETRAIN


def test_psi_of_empty_samples_is_zero() -> None:
    assert psi([], [1.0, 2.0]) == 0.0


def test_feature_psi_sorts_the_most_drifted_first() -> None:
    rng = np.random.default_rng(4)
    ref = {"stable": rng.normal(size=4000), "moved": rng.normal(size=4000)}
    cur = {"stable": rng.normal(size=4000), "moved": rng.normal(2.0, size=4000), "new": [1.0]}
    out = feature_psi(ref, cur)
    assert list(out) == ["moved", "stable"]


@pytest.mark.slow
def test_evidently_report_is_written_and_names_the_drifted_columns(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    ref = {"a": rng.normal(size=800), "b": rng.normal(size=800)}
    cur = {"a": rng.normal(3.0, size=800), "b": rng.normal(size=800)}
    out = tmp_path / "drift.html"
    summary = evidently_report(ref, cur, out)
    assert out.stat().st_size > 10_000
    assert summary["drifted_columns"] == 1
    assert summary["drifted_share"] == pytest.approx(0.5)


@pytest.mark.slow
def test_evidently_report_skips_a_column_empty_on_one_side(tmp_path: Path) -> None:
    rng = np.random.default_rng(6)
    ref = {"a": rng.normal(size=300), "never_filled": np.full(300, np.nan)}
    cur = {"a": rng.normal(size=300), "never_filled": rng.normal(size=300)}
    summary = evidently_report(ref, cur, tmp_path / "drift.html")
    assert summary["empty"] == ["never_filled"]
    assert summary["drifted_columns"] == 0
