"""The at-risk model: learning, determinism, calibration, reasons, leakage, fairness, capacity,
the inactivity rule, and ``learnsmart eval at-risk`` on a small OULAD-shaped export."""

from __future__ import annotations

import csv
import json
import math
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from ml_assets.at_risk.evaluate import evaluate_oulad
from ml_assets.at_risk.fairness import fairness_report
from ml_assets.at_risk.features import BY_NAME, FEATURE_NAMES, MART_COLUMNS, render, to_matrix
from ml_assets.at_risk.model import (
    AtRiskModel,
    brier_score_loss,
    known,
    report,
    target,
    top_reasons,
    train,
)
from ml_assets.at_risk.rule import rule_flags, rule_score
from orchestration.cli import app

WEEKS = range(1, 7)
# Fewer, faster rounds than the defaults keep the unit tests quick; the method is the same.
FAST: dict[str, Any] = {"max_rounds": 300, "early_stopping_rounds": 20, "params": {"eta": 0.1}}
DEMOGRAPHICS = ("gender", "age_band", "has_disability", "imd_band")


# --------------------------------------------------------------------------------------------
# A synthetic feature mart: a latent disengagement drives both inactivity and the outcome.
def synthetic_frame(n_students: int = 360, n_classes: int = 3, seed: int = 1) -> pl.DataFrame:
    """Rows shaped like fct_student_week_features: inactivity (days since last active, never
    active) carries most of the signal; scores a little; everything else is noise."""
    rng = np.random.default_rng(seed)
    rows = []
    start = date(2024, 1, 8)
    for s in range(n_students):
        cls = f"C{s % n_classes}"
        drift = rng.uniform(0, 1)  # disengagement
        at_risk = rng.uniform() < 1 / (1 + math.exp(-8 * (drift - 0.55)))
        unknown = s % 25 == 0  # outcome not known yet: never trained on
        ability = rng.normal(70 - 15 * drift, 10)
        for w in WEEKS:
            gap = rng.poisson(1 + 12 * drift * w / 6)
            never = drift > 0.9 and w <= 2
            events = int(rng.poisson(max(1.0, 25 * w * (1 - 0.2 * drift))))
            due = w // 2
            submitted = min(due, int(rng.binomial(due, 1 - 0.7 * drift))) if due else 0
            rows.append(
                {
                    "student_id": f"s{s:04d}",
                    "class_id": cls,
                    "week": w,
                    "cutoff_date": start + timedelta(days=7 * w),
                    "days_registered_before_start": float(rng.integers(-5, 60)),
                    "num_prev_attempts": float(rng.poisson(0.2)),
                    "studied_credits": float(rng.choice([30, 60, 120])),
                    "n_events_to_date": 0.0 if never else float(events),
                    "active_minutes_to_date": 0.0 if never else float(events * 2),
                    "n_active_days_to_date": 0.0 if never else float(max(1, 5 * w - gap)),
                    "n_video_events_to_date": float(rng.poisson(3)),
                    "n_quiz_events_to_date": float(rng.poisson(3)),
                    "n_forum_events_to_date": float(rng.poisson(2)),
                    "n_events_this_week": float(rng.poisson(10)),
                    "active_minutes_this_week": float(rng.poisson(20)),
                    "n_active_days_this_week": float(rng.integers(0, 8)),
                    "days_since_last_active": None if never else float(gap + 1),
                    "n_content_touched_to_date": float(rng.poisson(4 * w)),
                    "n_content_released": float(10 * w),
                    "content_touched_share": float(rng.uniform(0, 1)),
                    "n_assessments_due": float(due),
                    "n_assessments_submitted_to_date": float(submitted),
                    "n_assessments_late_to_date": 0.0,
                    "weighted_score_to_date": float(np.clip(ability, 0, 100))
                    if submitted
                    else None,
                    "mean_score_to_date": float(np.clip(ability, 0, 100)) if submitted else None,
                    "n_quiz_attempts_to_date": 0.0,
                    "mean_quiz_share_correct_to_date": None,
                    "label_final_result": None if unknown else ("Fail" if at_risk else "Pass"),
                    "label_is_pass": None if unknown else not at_risk,
                    "label_dropped_out": None if unknown else False,
                    "label_withdrew_later": False,
                }
            )
    return pl.DataFrame(rows)


def synthetic_students(frame: pl.DataFrame) -> pl.DataFrame:
    """dim_students-shaped demographics: two large gender groups and a 5-student group."""
    ids = sorted(frame["student_id"].unique())
    return pl.DataFrame(
        {
            "student_id": ids,
            "gender": ["X" if i < 5 else ("F" if i % 2 else "M") for i in range(len(ids))],
            "age_band": ["0-35" if i % 3 else "35-55" for i in range(len(ids))],
            "has_disability": [i % 7 == 0 for i in range(len(ids))],
            "imd_band": [f"{10 * (i % 4)}-{10 * (i % 4) + 10}%" for i in range(len(ids))],
        }
    )


@pytest.fixture(scope="module")
def frame() -> pl.DataFrame:
    return synthetic_frame()


@pytest.fixture(scope="module")
def split(frame: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    return frame.filter(pl.col("class_id") != "C2"), frame.filter(pl.col("class_id") == "C2")


@pytest.fixture(scope="module")
def model(split: tuple[pl.DataFrame, pl.DataFrame]) -> AtRiskModel:
    return train(split[0], seed=0, **FAST)


def test_the_model_learns_that_inactivity_means_risk(
    model: AtRiskModel, split: tuple[pl.DataFrame, pl.DataFrame]
) -> None:
    r = report(model, split[1])
    assert r["auc"] > 0.8
    # Inactivity is the planted signal, so it dominates the model's own attributions.
    contrib = np.abs(model.contributions(known(split[1]))).mean(axis=0)
    top = FEATURE_NAMES[int(np.argmax(contrib))]
    assert top in ("days_since_last_active", "n_active_days_to_date", "active_days_share")


def test_rows_with_an_unknown_outcome_are_not_trained_on(
    model: AtRiskModel, split: tuple[pl.DataFrame, pl.DataFrame]
) -> None:
    y = target(split[0])
    assert np.isnan(y).any()
    assert model.cv["n_rows"] == int((~np.isnan(y)).sum())
    withdrawn_pending = pl.DataFrame(
        {"label_is_pass": [None, None, True, False], "label_dropped_out": [True, None, False, True]}
    )
    np.testing.assert_array_equal(target(withdrawn_pending), [1.0, np.nan, 0.0, 1.0])
    # The mart's own target wins where present (a finished class without a final result).
    with_mart_label = withdrawn_pending.with_columns(
        label_at_risk=pl.Series([True, False, False, None], dtype=pl.Boolean)
    )
    np.testing.assert_array_equal(target(with_mart_label), [1.0, 0.0, 0.0, np.nan])


def test_training_is_deterministic_for_a_seed(
    model: AtRiskModel, split: tuple[pl.DataFrame, pl.DataFrame], tmp_path: Path
) -> None:
    # The same rows in another order (a rebuilt mart) train the same model.
    again = train(split[0].sample(fraction=1.0, shuffle=True, seed=5), seed=0, **FAST)
    np.testing.assert_array_equal(model.predict_proba(split[1]), again.predict_proba(split[1]))
    assert again.threshold == model.threshold
    model.save(tmp_path / "a")
    again.save(tmp_path / "b")
    assert (tmp_path / "a/model.json").read_bytes() == (tmp_path / "b/model.json").read_bytes()


def test_calibration_on_held_out_data_does_not_hurt_and_bins_are_sane(
    model: AtRiskModel, split: tuple[pl.DataFrame, pl.DataFrame]
) -> None:
    cv = model.cv
    assert cv["brier_calibrated"] <= cv["brier_uncalibrated"] + 0.01
    test = known(split[1])
    y = target(test)
    raw = 1 / (1 + np.exp(-model.margin(test)))
    assert brier_score_loss(y, model.predict_proba(test)) <= brier_score_loss(y, raw) + 0.01
    for bins, n in (
        (cv["reliability_calibrated"], cv["n_rows"]),
        (report(model, test)["reliability"], len(y)),
    ):
        assert sum(b["n"] for b in bins) == n
        for b in bins:
            assert b["lo"] - 1e-9 <= b["mean_predicted"] <= b["hi"] + 1e-9
            assert 0 <= b["observed"] <= 1
        # Calibrated: in well-filled bins the observed rate is near the predicted one.
        assert all(abs(b["observed"] - b["mean_predicted"]) < 0.25 for b in bins if b["n"] >= 50)


def test_reasons_are_the_top_positive_contributions_in_plain_words(
    model: AtRiskModel, split: tuple[pl.DataFrame, pl.DataFrame]
) -> None:
    test = split[1]
    scored = pl.from_arrow(model.score(test))
    assert isinstance(scored, pl.DataFrame)
    assert scored.columns == [
        "student_id", "class_id", "week", "as_of", "probability", "band", "reasons"
    ]  # fmt: skip
    explained = (scored["band"] != "low").to_numpy()
    assert explained.any()
    assert all(len(r) == 0 for r in scored.filter(pl.col("band") == "low")["reasons"])
    rows = test.filter(pl.Series(explained))
    contrib = model.contributions(rows)
    values = rows.with_columns(
        n_assessments_missing=pl.col("n_assessments_due")
        - pl.col("n_assessments_submitted_to_date"),
        active_days_share=(pl.col("n_active_days_to_date") / (7.0 * pl.col("week"))).clip(0, 1),
    ).to_dicts()
    reasons = scored.filter(pl.Series(explained))["reasons"].to_list()
    for c, row, got in zip(contrib, values, reasons, strict=True):
        picked = top_reasons(c, model.features)
        assert got == [render(model.features[j], row) for j in picked]
        assert all(c[j] > 0 for j in picked) and len(picked) <= 3
        floor = min(c[j] for j in picked) if len(picked) == 3 else 0.0
        used = {BY_NAME[model.features[j]].group for j in picked}
        for k, name in enumerate(model.features):
            f = BY_NAME[name]
            if k not in picked and f.explains and f.group not in used:
                assert c[k] <= floor + 1e-9
    high = scored.filter(pl.col("band") == "high")
    assert any("no activity" in r for rs in high["reasons"] for r in rs)


def test_reasons_read_like_a_teacher_would_say_them() -> None:
    row = {
        "days_since_last_active": 12.0,
        "n_assessments_missing": 2.0,
        "n_assessments_due": 3.0,
        "weighted_score_to_date": 38.2,
        "content_touched_share": 0.2,
    }
    assert render("days_since_last_active", row) == "no activity for 12 days"
    assert render("n_assessments_missing", row) == "2 of 3 assignments missing"
    assert render("weighted_score_to_date", row) == "average score 38% so far"
    assert render("content_touched_share", row) == "opened 20% of the released content"
    assert render("days_since_last_active", {"days_since_last_active": None}) == (
        "no activity at all yet"
    )


def test_no_label_identifier_or_demographic_is_a_feature_and_rows_see_no_later_week(
    model: AtRiskModel, frame: pl.DataFrame
) -> None:
    assert not [f for f in FEATURE_NAMES if f.startswith("label_")]
    assert not set(FEATURE_NAMES) & {"student_id", "class_id", "cutoff_date", *DEMOGRAPHICS}
    assert not [c for c in MART_COLUMNS if c.startswith("label_")]
    # A week-w row's features are computed from that row alone: dropping every later week
    # (what was not known at w's cut-off) changes nothing.
    w = 3
    upto = frame.filter(pl.col("week") <= w)
    full = to_matrix(frame)[(frame["week"] <= w).to_numpy()]
    np.testing.assert_array_equal(to_matrix(upto), full)
    # Scoring cannot read the outcome: other labels, same probabilities.
    flipped = upto.with_columns(
        label_is_pass=~pl.col("label_is_pass"), label_final_result=pl.lit("Withdrawn")
    )
    np.testing.assert_array_equal(model.predict_proba(upto), model.predict_proba(flipped))


def test_flags_respect_the_teacher_capacity_per_class_week(
    model: AtRiskModel, frame: pl.DataFrame
) -> None:
    assert model.threshold != 0.5
    assert model.capacity == 0.15
    scored = pl.from_arrow(model.score(frame))
    assert isinstance(scored, pl.DataFrame)
    per = scored.group_by("class_id", "week").agg(n=pl.len(), high=(pl.col("band") == "high").sum())
    assert (per["high"] <= np.maximum(1, np.floor(0.15 * per["n"]))).all()
    assert per["high"].sum() > 0
    assert (scored.filter(pl.col("band") == "high")["probability"] >= model.threshold).all()
    # The flagged are the most likely: nobody unflagged in a class-week outranks a flagged one.
    edge = scored.group_by("class_id", "week").agg(
        lo_high=pl.col("probability").filter(pl.col("band") == "high").min(),
        hi_other=pl.col("probability").filter(pl.col("band") != "high").max(),
    )
    assert edge.drop_nulls().select((pl.col("lo_high") >= pl.col("hi_other")).all()).item()


def test_a_precision_target_moves_the_threshold(split: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    strict = train(split[0], seed=0, min_precision=0.9, capacity=None, **FAST)
    assert "precision >= 0.9" in strict.cv["threshold_policy"]
    test = known(split[1])
    flagged = strict.predict_proba(test) >= strict.threshold
    y = target(test)
    assert flagged.sum() > 0 and y[flagged].mean() >= 0.75


def test_a_saved_model_scores_the_same(
    model: AtRiskModel, split: tuple[pl.DataFrame, pl.DataFrame], tmp_path: Path
) -> None:
    model.save(tmp_path / "m")
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == ["meta.json", "model.json"]
    meta = json.loads((tmp_path / "m/meta.json").read_text())
    assert meta["features"] == list(FEATURE_NAMES) and meta["threshold"] == model.threshold
    loaded = AtRiskModel.load(tmp_path / "m")
    assert loaded.score(split[1]).equals(model.score(split[1]))


def test_fairness_reports_groups_gaps_and_small_groups(
    model: AtRiskModel, split: tuple[pl.DataFrame, pl.DataFrame], frame: pl.DataFrame
) -> None:
    test = known(split[1])
    scored = pl.from_arrow(model.score(test))
    assert isinstance(scored, pl.DataFrame)
    rows = scored.select("student_id", "class_id", "week", "probability").with_columns(
        y=pl.Series(target(test)), flagged=scored["band"] == "high"
    )
    # Students of other classes (5 with gender X among them) make a group seen in too few rows.
    doc = fairness_report(rows, synthetic_students(frame))
    assert set(doc["attributes"]) == set(DEMOGRAPHICS)
    gender = {g["group"]: g for g in doc["attributes"]["gender"]["groups"]}
    assert gender["F"]["n"] >= 30 and not gender["F"]["too_small"]
    assert gender["X"]["too_small"]
    for g in gender.values():
        # NaN where a group has no at-risk (FNR) or no safe (FPR) student
        assert not (g["fnr"] < 0 or g["fnr"] > 1 or g["fpr"] < 0 or g["fpr"] > 1)
    fnr = doc["attributes"]["gender"]["gaps"]["fnr"]
    assert set(fnr["groups"]) == {"F", "M"}
    assert fnr["text"].startswith(f"FNR gap {fnr['gap']:.2f} between gender ")
    assert doc["largest_gaps"] == sorted(doc["largest_gaps"], key=lambda g: -g["gap"])


def test_the_rule_flags_a_week_of_inactivity_and_never_active() -> None:
    f = pl.DataFrame(
        {
            "days_since_last_active": [1.0, 6.0, 7.0, 30.0, None, 7.0],
            "n_assessments_due": [1.0, 1.0, 1.0, 1.0, 1.0, 3.0],
            "n_assessments_submitted_to_date": [1.0, 1.0, 1.0, 0.0, 0.0, 0.0],
        }
    )
    assert rule_flags(f).tolist() == [False, False, True, True, True, True]
    s = rule_score(f)
    assert s[4] > s[3] > s[5] > s[2] > s[1] > s[0]  # never active first; missing breaks ties


# --------------------------------------------------------------------------------------------
# A small OULAD-shaped export: module TST, presentations 2013B (train) and 2013J (test, clicks
# only up to day LAST_J_DAY like the shared copy of BBB 2013J).
LENGTH = 84
LAST_J_DAY = 45  # weeks 1..6 complete (days < 42 covered; day 45 may be partial)


def _write(path: Path, rows: list[list[object]]) -> None:
    with path.open("w", newline="") as fh:
        csv.writer(fh, quoting=csv.QUOTE_ALL).writerows(rows)


def write_oulad(folder: Path, n_students: int = 70, seed: int = 4) -> dict[str, object]:
    """Write courses, vle, assessments, studentInfo, studentRegistration, studentAssessment and
    studentVle for TST 2013B and 2013J; return what the tests check against."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    pres = ("2013B", "2013J")
    _write(
        folder / "courses.csv",
        [["code_module", "code_presentation", "module_presentation_length"]]
        + [["TST", p, LENGTH] for p in pres],
    )
    sites = {p: [1000 + 100 * i + k for k in range(8)] for i, p in enumerate(pres)}
    _write(
        folder / "vle.csv",
        [["id_site", "code_module", "code_presentation", "activity_type", "week_from", "week_to"]]
        + [[s, "TST", p, "resource", "", ""] for p in pres for s in sites[p]],
    )
    tmas = {p: [(5000 + 10 * i + k, 14 + 21 * k) for k in range(3)] for i, p in enumerate(pres)}
    _write(
        folder / "assessments.csv",
        [["code_module", "code_presentation", "id_assessment", "assessment_type", "date", "weight"]]
        + [["TST", p, a, "TMA", d, 20] for p in pres for a, d in tmas[p]]
        + [["TST", p, 5900 + i, "Exam", "", 100] for i, p in enumerate(pres)],
    )
    info = [
        [
            "code_module", "code_presentation", "id_student", "gender", "region",
            "highest_education", "imd_band", "age_band", "num_of_prev_attempts",
            "studied_credits", "disability", "final_result",
        ]
    ]  # fmt: skip
    reg = [["code_module", "code_presentation", "id_student", "date_registration",
            "date_unregistration"]]  # fmt: skip
    sa = [["id_assessment", "id_student", "date_submitted", "is_banked", "score"]]
    vle = [["code_module", "code_presentation", "id_student", "id_site", "date", "sum_click"]]
    expected_n: dict[int, int] = {}
    for i, p in enumerate(pres):
        for s in range(n_students):
            sid = 10_000 * (i + 1) + s
            drift = rng.uniform()
            stop = int(LENGTH * (1.2 - drift)) if drift > 0.4 else LENGTH + 1
            withdrawn = drift > 0.8
            unreg = stop + 3 if withdrawn and stop + 3 < LENGTH else None
            result = "Withdrawn" if unreg is not None else ("Fail" if drift > 0.55 else "Pass")
            info.append(
                [
                    "TST", p, sid, "F" if s % 2 else "M", "Wales", "A Level",
                    f"{10 * (s % 3)}-{10 * (s % 3) + 10}%", "0-35" if s % 4 else "35-55",
                    0, 60, "Y" if s % 9 == 0 else "N", result,
                ]
            )  # fmt: skip
            reg.append(["TST", p, sid, -10, "" if unreg is None else unreg])
            for a, due in tmas[p]:
                if due < stop:
                    score = int(np.clip(rng.normal(75 - 30 * drift, 8), 0, 100))
                    sa.append([a, sid, due - 1, 0, score])
            for day in range(-5, min(stop, LENGTH)):
                if p == "2013J" and day > LAST_J_DAY:
                    break
                if rng.uniform() < 0.6 - 0.3 * drift:
                    vle.append(["TST", p, sid, sites[p][day % 8], day, int(rng.integers(1, 6))])
            if p == "2013J":
                for w in (2, 4):
                    if unreg is None or unreg >= 7 * w:
                        expected_n[w] = expected_n.get(w, 0) + 1
    _write(folder / "studentInfo.csv", info)
    _write(folder / "studentRegistration.csv", reg)
    _write(folder / "studentAssessment.csv", sa)
    _write(folder / "studentVle.csv", vle)
    return {"expected_n": expected_n}


@pytest.fixture(scope="module")
def oulad(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, object]]:
    folder = tmp_path_factory.mktemp("oulad")
    return folder, write_oulad(folder)


def test_cli_eval_at_risk_prints_week_figures_and_skips_weeks_without_clicks(
    oulad: tuple[Path, dict[str, object]],
) -> None:
    folder, facts = oulad
    args = ["eval", "at-risk", "--oulad", str(folder), "--train", "TST:2013B"]
    result = CliRunner().invoke(app, [*args, "--test", "TST:2013J", "--weeks", "2,4,9", "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["train"] == ["TST:2013B"] and doc["test"] == "TST:2013J"
    assert doc["last_complete_week"] == 6  # clicks up to day 45: days < 42 are covered
    assert [w["week"] for w in doc["weeks"]] == [2, 4]
    assert [s["week"] for s in doc["skipped_weeks"]] == [9]
    for w in doc["weeks"]:
        assert {"week", "auc", "f1", "brier", "rule_auc", "n", "positives"} <= set(w)
        assert 0 <= w["auc"] <= 1 and 0 <= w["brier"] <= 1
    # Only students still registered at the cut-off are scored.
    assert {w["week"]: w["n"] for w in doc["weeks"]} == facts["expected_n"]
    assert 0 < doc["threshold"] < 1
    assert "gender" in doc["fairness"]["attributes"]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--test", "TST:2014B"], "unknown presentation"),
        (["--test", "TST:2013B"], "also a training one"),
        (["--test", "TST:2013J", "--weeks", "2,x"], "--weeks"),
        (["--test", "TST:2013J", "--weeks", "0"], "--weeks"),
    ],
)
def test_cli_eval_at_risk_rejects_bad_arguments(
    oulad: tuple[Path, dict[str, object]], extra: list[str], message: str
) -> None:
    folder, _ = oulad
    args = ["eval", "at-risk", "--oulad", str(folder), "--train", "TST:2013B", *extra]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    assert message in result.output


def test_evaluate_names_a_missing_file(tmp_path: Path) -> None:
    write_oulad(tmp_path, n_students=5)
    (tmp_path / "studentVle.csv").unlink()
    with pytest.raises(ValueError, match=r"no studentVle\*\.csv file"):
        evaluate_oulad(tmp_path, [("TST", "2013B")], ("TST", "2013J"), [2])


@pytest.mark.slow
@pytest.mark.real_data
def test_real_oulad_beats_the_inactivity_rule_by_week_8(datasets_dir: Path) -> None:
    doc = evaluate_oulad(datasets_dir / "oulad", [("BBB", "2013B")], ("BBB", "2013J"), [4, 8])
    week8 = next(w for w in doc["weeks"] if w["week"] == 8)
    assert week8["auc"] > week8["rule_auc"]
    assert week8["auc"] > 0.75
