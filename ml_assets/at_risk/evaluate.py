"""Evaluate the at-risk model on OULAD-shaped files: train on some presentations, score a later
one at each week cut-off, against the 7-day-inactivity rule (``learnsmart eval at-risk``).

The data go through the normal pipeline: the files of the requested presentations are copied
(filtered to those presentations, so a 22-presentation export does not cost 22 presentations of
ingest) into ``<tmp>/landing/oulad/``, loaded by ``lake.loader.ingest`` as ``learnsmart ingest
--source oulad`` does, and the dbt project builds ``fct_student_week_features`` and
``dim_students`` (with what they depend on) into ``<tmp>/lake/gold``, read back from Delta.

Click logs may be partial (a shared copy may hold a presentation's ``studentVle`` only up to
some day): a week is scored, and trained on, only if every day before its cut-off is covered.
The last day with clicks counts as covered only when it reaches the presentation's length (an
export cut inside a day would otherwise pass for a quiet day).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
from deltalake import DeltaTable

from lake.io import read_delta
from lake.settings import LakeSettings
from lake.sources.oulad import entity_of
from ml_assets.at_risk.fairness import fairness_report
from ml_assets.at_risk.model import (
    known,
    metrics,
    nan_to_none,
    precision_recall_f1,
    safe_auc,
    target,
)
from ml_assets.at_risk.model import train as train_model
from ml_assets.at_risk.rule import rule_flags, rule_score

ROOT = Path(__file__).resolve().parents[2]
DBT_DIR = ROOT / "transforms" / "dbt"
FEATURES_TABLE = Path("gold/features/fct_student_week_features")
STUDENTS_TABLE = Path("gold/enrollment/dim_students")
# Bronze entity -> the OU file name it comes from, in load order.
OU_NAMES = {
    "courses": "courses",
    "assessments": "assessments",
    "vle": "vle",
    "student_info": "studentInfo",
    "student_registration": "studentRegistration",
    "student_assessment": "studentAssessment",
    "student_vle": "studentVle",
}
REQUIRED_ENTITIES = tuple(OU_NAMES)
Presentation = tuple[str, str]


@dataclass(frozen=True)
class Prepared:
    """What the landing copy found: each presentation's length and last day with clicks."""

    length_days: dict[Presentation, int]
    last_click_day: dict[Presentation, int | None]


def _oulad_files(oulad_dir: Path) -> dict[str, list[Path]]:
    found: dict[str, list[Path]] = {}
    for path in sorted(p for p in oulad_dir.iterdir() if p.is_file()):
        entity = entity_of(path.name)
        if entity is not None:
            found.setdefault(entity, []).append(path)
    missing = [e for e in REQUIRED_ENTITIES if e not in found]
    if missing:
        names = ", ".join(f"{OU_NAMES[e]}*.csv" for e in missing)
        raise ValueError(f"OULAD folder {oulad_dir} has no {names} file")
    return found


def _read(path: Path) -> pl.DataFrame:
    return pl.read_csv(path, infer_schema=False, null_values=["", "?"])


def _of(df: pl.DataFrame, wanted: list[Presentation]) -> pl.DataFrame:
    keys = pl.DataFrame(
        {"code_module": [m for m, _ in wanted], "code_presentation": [p for _, p in wanted]}
    )
    return df.join(keys, on=["code_module", "code_presentation"], how="semi")


def prepare_landing(oulad_dir: Path, wanted: list[Presentation], landing: Path) -> Prepared:
    """Copy the rows of ``wanted`` presentations into ``landing/oulad``; ValueError for missing
    files or a presentation absent from ``courses``."""
    files = _oulad_files(oulad_dir)
    out = landing / "oulad"
    out.mkdir(parents=True, exist_ok=True)
    courses = pl.concat([_read(p) for p in files["courses"]], how="diagonal_relaxed")
    known = set(zip(courses["code_module"], courses["code_presentation"], strict=True))
    unknown = [f"{m}:{p}" for m, p in wanted if (m, p) not in known]
    if unknown:
        raise ValueError(
            f"unknown presentation(s) {', '.join(unknown)}: not in courses.csv of {oulad_dir}"
        )
    courses = _of(courses, wanted)
    length = {
        (r["code_module"], r["code_presentation"]): int(r["module_presentation_length"])
        for r in courses.iter_rows(named=True)
    }
    assessment_ids: set[str] = set()
    last_click: dict[Presentation, int | None] = dict.fromkeys(wanted)
    for entity in REQUIRED_ENTITIES:
        for i, path in enumerate(files[entity]):
            df = _read(path)
            if entity == "student_assessment":
                df = df.filter(pl.col("id_assessment").is_in(sorted(assessment_ids)))
            else:
                df = _of(df, wanted)
            if entity == "assessments":
                assessment_ids |= set(df["id_assessment"].drop_nulls())
            if entity == "student_vle" and df.height:
                days = df.group_by("code_module", "code_presentation").agg(
                    pl.col("date").cast(pl.Int64, strict=False).max()
                )
                for m, p, d in days.iter_rows():
                    prev = last_click[(m, p)]
                    last_click[(m, p)] = d if prev is None else max(prev, d)
            if df.height or entity != "student_vle":
                stem = path.name.split(".")[0]
                df.write_csv(out / f"{stem}_{i}.csv")
    return Prepared(length_days=length, last_click_day=last_click)


def run_dbt(lake: Path, *args: str) -> None:
    """Run the dbt project against ``lake`` (warehouse next to it); RuntimeError with its log."""
    env = {
        **os.environ,
        "LEARNSMART_LAKE": str(lake.resolve()),
        "LEARNSMART_WAREHOUSE": str((lake.parent / "warehouse.duckdb").resolve()),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    dbt = str(Path(sys.executable).parent / "dbt")
    work = lake.parent
    run = subprocess.run(
        [
            dbt,
            *args,
            "--project-dir",
            str(DBT_DIR),
            "--profiles-dir",
            str(DBT_DIR),
            "--target-path",
            str(work / "dbt_target"),
            "--log-path",
            str(work / "dbt_logs"),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    if run.returncode != 0:
        raise RuntimeError(
            f"dbt {' '.join(args)} failed:\n{run.stdout[-4000:]}{run.stderr[-2000:]}"
        )


def build_gold(oulad_dir: Path, wanted: list[Presentation], work: Path) -> Prepared:
    """Landing copy, ingest and the dbt models the at-risk model needs, under ``work``."""
    from lake.loader import ingest

    settings = LakeSettings(lake=work / "lake", landing=work / "landing")
    prepared = prepare_landing(oulad_dir, wanted, settings.landing)
    ingest(settings, ("oulad",))
    run_dbt(settings.lake, "run", "--select", "+fct_student_week_features", "+dim_students")
    return prepared


def read_gold(lake: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The feature mart and ``dim_students`` of a lake, as polars frames."""
    features = pl.from_arrow(read_delta(DeltaTable(str(lake / FEATURES_TABLE))))
    students = pl.from_arrow(read_delta(DeltaTable(str(lake / STUDENTS_TABLE))))
    assert isinstance(features, pl.DataFrame) and isinstance(students, pl.DataFrame)
    return features, students


def class_id(p: Presentation) -> str:
    """The lake's class_id of an OULAD presentation (``lake.sources.oulad``: ``BBB_2013J``)."""
    return f"{p[0]}_{p[1]}"


def last_complete_week(prepared: Prepared, p: Presentation) -> int:
    """The last week whose every day before the cut-off has click data; ValueError if the
    presentation has no clicks at all."""
    last = prepared.last_click_day.get(p)
    if last is None:
        raise ValueError(f"no studentVle rows for presentation {p[0]}:{p[1]}")
    covered = last if last >= prepared.length_days[p] else last - 1
    return (covered + 1) // 7  # week w covers days < 7w


def evaluate_oulad(
    oulad_dir: Path,
    train: list[tuple[str, str]],
    test: tuple[str, str],
    weeks: list[int],
    seed: int = 0,
) -> dict[str, Any]:
    """Ingest OULAD-shaped files, train on ``train`` presentations, score ``test`` per week.

    Returns ``train``, ``test``, ``threshold`` (and the flag policy), ``weeks`` (per scored
    week: week, n, positives, auc, f1, precision, recall, brier, rule_auc, rule_f1, flagged and
    the figures without the capacity limit), ``skipped_weeks`` (week and reason: beyond the
    test presentation's last complete week of clicks, or no rows), ``last_complete_week``,
    ``fairness`` (pooled over the scored weeks), ``training`` (cross-validated figures) and
    ``seconds``. ValueError for a missing folder or file, an unknown presentation, a test
    presentation among the training ones, or presentations without clicks.
    """
    started = time.monotonic()
    oulad_dir = Path(oulad_dir)
    if not oulad_dir.is_dir():
        raise ValueError(f"OULAD folder not found: {oulad_dir}")
    if not train:
        raise ValueError("no training presentation given")
    if test in train:
        raise ValueError(f"test presentation {test[0]}:{test[1]} is also a training one")
    if not weeks or min(weeks) < 1:
        raise ValueError("weeks must be whole numbers >= 1")
    wanted = list(dict.fromkeys([*train, test]))
    with tempfile.TemporaryDirectory(prefix="learnsmart-atrisk-") as tmp:
        prepared = build_gold(oulad_dir, wanted, Path(tmp))
        features, students = read_gold(Path(tmp) / "lake")
    built = time.monotonic() - started

    train_rows = pl.concat(
        [
            features.filter(
                (pl.col("class_id") == class_id(p))
                & (pl.col("week") <= last_complete_week(prepared, p))
            )
            for p in train
        ]
    )
    model = train_model(train_rows, seed=seed)
    trained = time.monotonic() - started - built

    last_week = last_complete_week(prepared, test)
    # Sorted: the mart's row order varies between builds, sums over rows should not.
    test_rows = features.filter(pl.col("class_id") == class_id(test)).sort("student_id", "week")
    results, skipped, pooled = [], [], []
    for week in sorted(set(weeks)):
        if week > last_week:
            skipped.append(
                {
                    "week": week,
                    "reason": f"after the last week with complete click data ({last_week}) "
                    f"of {test[0]}:{test[1]}",
                }
            )
            continue
        rows = test_rows.filter(pl.col("week") == week)
        scored = pl.from_arrow(model.score(rows))
        assert isinstance(scored, pl.DataFrame)
        y_all = target(rows)
        ok = ~np.isnan(y_all)
        if not ok.any():
            skipped.append({"week": week, "reason": "no student with a known outcome"})
            continue
        y = y_all[ok]
        p = scored["probability"].to_numpy()[ok]
        flagged = (scored["band"] == "high").to_numpy()[ok]
        kept = rows.filter(pl.Series(ok))
        m = metrics(y, p, flagged, model.threshold)
        rule = {"auc": safe_auc(y, rule_score(kept)), **precision_recall_f1(y, rule_flags(kept))}
        results.append(
            {
                "week": week,
                **m,
                "rule_auc": rule["auc"],
                "rule_f1": rule["f1"],
                "rule_precision": rule["precision"],
                "rule_recall": rule["recall"],
                "rule_flagged": int(rule_flags(kept).sum()),
            }
        )
        pooled.append(
            kept.select("student_id", "class_id", "week").with_columns(
                y=pl.Series(y), probability=pl.Series(p), flagged=pl.Series(flagged)
            )
        )
    fairness = (
        {"weeks": [r["week"] for r in results], **fairness_report(pl.concat(pooled), students)}
        if pooled
        else {}
    )
    cv = {k: v for k, v in model.cv.items() if not k.startswith("reliability")}
    return nan_to_none(
        {
            "train": [f"{m}:{p}" for m, p in train],
            "test": f"{test[0]}:{test[1]}",
            "seed": seed,
            "threshold": model.threshold,
            "medium_threshold": model.medium_threshold,
            "capacity": model.capacity,
            "threshold_policy": model.cv["threshold_policy"],
            "last_complete_week": last_week,
            "weeks": results,
            "skipped_weeks": skipped,
            "fairness": fairness,
            "training": {
                "rows": train_rows.height,
                "rows_known_outcome": known(train_rows).height,
                "n_rounds": model.n_rounds,
                **cv,
            },
            "seconds": {
                "ingest_and_dbt": round(built, 1),
                "train": round(trained, 1),
                "total": round(time.monotonic() - started, 1),
            },
        }
    )
