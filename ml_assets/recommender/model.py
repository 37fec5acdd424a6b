"""Next-content recommender: rank the sites (pages, resources, quizzes, forums) of a student's
class by how likely the student is to open each of them next, with a reason per item.

A gradient-boosted ranker (XGBoost, ``rank:ndcg``) scores every site of the class from features
computed "as of" a day, from interactions strictly before that day only:

* what the class does now: share of the class's student-days on the site over the last 3 and 7
  days and in the current calendar week, and over the whole past;
* the student's own history: days they opened the site, their share of active days, clicks,
  days since they last opened it, whether they opened it on their last active day or last week,
  time-decayed revisits, their habit for the site's activity type, the size of their history;
* pace: where the student is in the course relative to the class (the day the class's visits
  on a site are centred on, against the student's recent centre and their frontier);
* item-to-item transitions: P(site | a site opened on the student's previous active day),
  learned from everybody's consecutive active days before the day;
* course structure: release week (``week_from``/``week_to``) relative to the current week,
  days since the class first opened the site, and its activity type;
* content (when the data has it): MiniLM cosine similarity between the site's title + text and
  the other sites the student opened on their last 3 active days, and skill need (1 - the
  student's mastery, from their graded answers before the day, of the skills the site
  practises). Missing (NaN) without titles / skills / answers, and then left out of the model.

Usage::

    rec = fit(interactions, catalogue, seed=0)
    rec.recommend(student_id, class_id, as_of_day=120, k=10)  # [Recommendation(...), ...]
    rec.save(folder); rec = Recommender.load(folder)

``interactions`` needs ``student_id, class_id, item_id, day`` (``clicks`` optional, default 1);
``catalogue`` needs ``item_id, class_id`` (``activity_type, week_from, week_to, title, text,
skills`` optional). Interactions on items missing from the class's catalogue are ignored.
``responses`` (optional, ``fit(..., responses=...)``): graded answers ``student_id, class_id,
day, skill, correct``.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl
import xgboost as xgb

__all__ = [
    "FEATURES",
    "Recommendation",
    "Recommender",
    "fit",
    "prepare_catalogue",
    "prepare_interactions",
    "prepare_responses",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

# The types seen in OULAD's vle.csv, most frequent first; anything else maps to "other".
ACTIVITY_TYPES = (
    "resource",
    "subpage",
    "oucontent",
    "forumng",
    "url",
    "quiz",
    "homepage",
    "ouwiki",
    "glossary",
    "oucollaborate",
    "dataplus",
    "page",
    "questionnaire",
    "externalquiz",
    "other",
)
_BASE_FEATURES = (
    "class_share_all",
    "class_log_visits_all",
    "class_share_last7",
    "class_share_last3",
    "class_share_last28",
    "class_share_week",
    "class_days_per_visitor",
    "class_reach",
    "class_rank_last7",
    "class_click_share_last7",
    "site_age_days",
    "week_from_rel",
    "week_to_rel",
    "trans_last_mean",
    "trans_last_max",
    "trans_recent_mean",
    "own_days",
    "own_share_days",
    "own_click_share",
    "own_recency_days",
    "own_on_last_day",
    "own_days_last7",
    "own_days_last28",
    "student_active_days",
    "student_days_since_active",
    "student_distinct_items",
    "course_day",
    # Added to lift the ranker (see README, "Training"): time-decayed revisits, the student's
    # habit for the candidate's activity type, the size of their history (which sets how many
    # interactions the next window holds), and where the student is in the course relative to
    # the class (the day the class's visits on an item are centred on, against the centre of
    # the student's last 3 active days, and the first-open day against the student's frontier).
    "own_decay7",
    "own_decay28",
    "own_type_share",
    "student_log_interactions",
    "class_center_rel",
    "center_gap",
    "frontier_gap",
)
# Content similarity (MiniLM cosine between the candidate's title + text and the other items of
# the student's last 3 active days) and skill need (1 - the student's mastery, as of the day, of
# the skills the candidate practises). NaN when the catalogue has no titles / skills or the
# student has no answer on the skill yet; a feature that is NaN in every training row is left
# out of the model (so OULAD, without titles or skills, trains exactly as before).
_CONTENT_FEATURES = ("sim_recent_max", "sim_recent_mean", "skill_need", "skill_weakest")
FEATURES: tuple[str, ...] = (
    _BASE_FEATURES + tuple(f"type_{t}" for t in ACTIVITY_TYPES) + _CONTENT_FEATURES
)
_F = {name: i for i, name in enumerate(FEATURES)}

# Feature -> reason family; query-level features move every candidate alike, so they never
# explain why one item beats another.
_REASON_GROUP = {
    "class_share_last7": "class_week",
    "class_share_last3": "class_week",
    "class_share_week": "class_week",
    "class_rank_last7": "class_week",
    "class_click_share_last7": "class_week",
    "class_share_last28": "popular",
    "class_days_per_visitor": "popular",
    "class_reach": "popular",
    "class_share_all": "popular",
    "class_log_visits_all": "popular",
    "site_age_days": "release",
    "week_from_rel": "release",
    "week_to_rel": "release",
    "trans_last_mean": "transition",
    "trans_last_max": "transition",
    "trans_recent_mean": "transition",
    "own_days": "revisit",
    "own_share_days": "revisit",
    "own_click_share": "revisit",
    "own_recency_days": "revisit",
    "own_on_last_day": "revisit",
    "own_days_last7": "revisit",
    "own_days_last28": "revisit",
    "own_decay7": "revisit",
    "own_decay28": "revisit",
    "own_type_share": "habit",
    "class_center_rel": "class_week",
    "center_gap": "pace",
    "frontier_gap": "pace",
}
for _t in ACTIVITY_TYPES:
    _REASON_GROUP[f"type_{_t}"] = "type"
_REASON_GROUP.update(
    sim_recent_max="similar", sim_recent_mean="similar", skill_need="skill", skill_weakest="skill"
)
# Prior of the smoothed per-skill mastery: (correct + 1) / (answers + 2).
_MASTERY_PRIOR = (1.0, 2.0)
# Below this cosine a recently opened item is not called "similar" in a reason.
_SIMILAR_MIN = 0.3
# Below this share of the student's interactions an activity type is not "often" opened.
_HABIT_MIN = 0.2

# Cut points per student when training: fractions of the sequence used as history; the label is
# the next quarter of that history (so history : label = 80 : 20, as in the evaluation).
CUT_FRACTIONS = (0.5, 0.65, 0.8)
MIN_INTERACTIONS = 5
MAX_QUERIES_PER_CLASS = 1500

PARAMS: dict[str, Any] = {
    "objective": "rank:ndcg",
    "eval_metric": "ndcg@10",
    "lambdarank_pair_method": "topk",
    # With top-k pairs this is the truncation: pairs are built from each query's current top 32
    # (10 before), so relevant items ranked just below the top 10 are pulled up too; chosen on
    # the inner split (README, "Inner validation").
    "lambdarank_num_pair_per_sample": 32,
    "ndcg_exp_gain": False,
    "tree_method": "hist",
    "learning_rate": 0.08,
    "max_depth": 6,
    "min_child_weight": 5.0,
    "subsample": 0.8,
    "colsample_bytree": 0.8,
    "nthread": 1,
}
# Rounds: early stopping on a seeded 15% of the training queries (see train_ranker); ROUNDS
# only when there are too few queries to set some aside.
MAX_ROUNDS = 1000
EARLY_STOPPING_ROUNDS = 50
EARLY_STOPPING_SHARE = 0.15
MIN_QUERIES_TO_STOP = 20
ROUNDS = 200

INTERACTION_COLUMNS = ("student_id", "class_id", "item_id", "day")
CATALOGUE_COLUMNS = ("item_id", "class_id")
RESPONSE_COLUMNS = ("student_id", "class_id", "day", "skill", "correct")


@dataclass(frozen=True)
class Recommendation:
    """One recommended item: its id, the model's score and a reason in the student's words."""

    item_id: Any
    score: float
    reason: str


def _require(df: pl.DataFrame, columns: Iterable[str], what: str) -> None:
    if not isinstance(df, pl.DataFrame):
        raise ValueError(f"{what} must be a polars DataFrame, got {type(df).__name__}")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(
            f"{what} is missing column(s) {', '.join(missing)} (has: {', '.join(df.columns)})"
        )


def prepare_interactions(interactions: pl.DataFrame) -> pl.DataFrame:
    """Validate and aggregate interactions to one row per (class, student, item, day).

    Returns columns ``class_id, student_id, item_id, day (Int64), clicks (Float64)`` sorted by
    class, student, day and item (the deterministic order used for every split).

    Raises:
        ValueError: when a required column is missing or ``day`` is not numeric.
    """
    _require(interactions, INTERACTION_COLUMNS, "interactions")
    if not interactions.schema["day"].is_numeric():
        raise ValueError(f"interactions.day must be numeric, got {interactions.schema['day']}")
    clicks = pl.col("clicks") if "clicks" in interactions.columns else pl.lit(1.0)
    return (
        interactions.select(
            pl.col("class_id").cast(pl.String),
            "student_id",
            "item_id",
            pl.col("day").cast(pl.Int64),
            clicks.cast(pl.Float64).fill_null(1.0).alias("clicks"),
        )
        .drop_nulls(["class_id", "student_id", "item_id", "day"])
        .group_by("class_id", "student_id", "item_id", "day")
        .agg(pl.col("clicks").sum())
        .sort("class_id", "student_id", "day", "item_id")
    )


def prepare_catalogue(catalogue: pl.DataFrame) -> pl.DataFrame:
    """Validate the catalogue; fill optional columns.

    Returns columns ``class_id, item_id, activity_type, week_from, week_to, title, text, skills,
    titled``, one row per (class, item), sorted. ``titled`` says whether the title is real (a
    missing title is filled with "<activity type> <item id>" for reasons, but only real titles
    and texts are embedded); ``skills`` is a list of skill labels (empty when unknown).

    Raises:
        ValueError: when ``item_id`` or ``class_id`` is missing.
    """
    _require(catalogue, CATALOGUE_COLUMNS, "catalogue")
    cols = catalogue.columns

    def opt(name: str, default: pl.Expr, dtype: Any) -> pl.Expr:
        if name in cols:
            return pl.col(name).cast(dtype, strict=False).alias(name)
        return default.cast(dtype).alias(name)

    titled = (
        pl.col("titled").cast(pl.Boolean).fill_null(False)
        if "titled" in cols
        else (pl.col("title").is_not_null() if "title" in cols else pl.lit(False))
    )
    skills = (
        pl.col("skills").cast(pl.List(pl.String)).list.drop_nulls().fill_null([])
        if "skills" in cols
        else pl.lit([], dtype=pl.List(pl.String))
    )
    out = catalogue.select(
        pl.col("class_id").cast(pl.String),
        "item_id",
        opt("activity_type", pl.lit("other"), pl.String).fill_null("other"),
        opt("week_from", pl.lit(None), pl.Float64),
        opt("week_to", pl.lit(None), pl.Float64),
        opt("title", pl.lit(None), pl.String),
        opt("text", pl.lit(None), pl.String),
        skills.alias("skills"),
        titled.alias("titled"),
    ).drop_nulls(["class_id", "item_id"])
    out = out.with_columns(
        pl.col("activity_type").str.to_lowercase(),
        pl.col("title").fill_null(
            pl.concat_str(
                [pl.col("activity_type"), pl.col("item_id").cast(pl.String)], separator=" "
            )
        ),
    )
    return out.unique(["class_id", "item_id"], keep="first").sort("class_id", "item_id")


def prepare_responses(responses: pl.DataFrame | None) -> pl.DataFrame:
    """Validate graded answers ``student_id, class_id, day, skill, correct`` (one row per answer
    and skill; ``skill`` is the label the catalogue's ``skills`` lists use). ``None`` is no
    answers.

    Raises:
        ValueError: when a column is missing.
    """
    schema = {
        "class_id": pl.String,
        "student_id": pl.String,
        "day": pl.Int64,
        "skill": pl.String,
        "correct": pl.Float64,
    }
    if responses is None:
        return pl.DataFrame(schema=schema)
    _require(responses, RESPONSE_COLUMNS, "responses")
    return (
        responses.select(
            pl.col("class_id").cast(pl.String),
            "student_id",
            pl.col("day").cast(pl.Int64),
            pl.col("skill").cast(pl.String),
            pl.col("correct").cast(pl.Float64),
        )
        .drop_nulls()
        .sort("class_id", "student_id", "day", "skill")
    )


@dataclass
class _Student:
    days: IntArray
    items: IntArray
    clicks: FloatArray


@dataclass
class _Class:
    """Everything about one class needed to compute features as of any day."""

    class_id: str
    items: list[Any]
    index: dict[Any, int]
    activity: list[str]
    titles: list[str]
    week_from: FloatArray
    week_to: FloatArray
    day0: int
    cum_visits: FloatArray  # [d, i]: student-days on item i on days < day0 + d
    cum_clicks: FloatArray
    cum_dayw: FloatArray  # [d, i]: sum of the days of the student-days counted in cum_visits
    cum_first: FloatArray  # [d, i]: students whose first day on item i is before day0 + d
    cum_students: FloatArray  # [d]: students with any interaction before day0 + d
    first_day: FloatArray
    students: dict[Any, _Student]
    pair_day: IntArray  # transitions (a -> b) sorted by the day b was opened
    pair_code: IntArray  # a * n_items + b
    # Cosine similarity between items with a real title (NaN where either has none), or None.
    similarity: FloatArray | None = None
    skill_labels: list[str] = field(default_factory=list)
    item_skills: list[IntArray] = field(default_factory=list)  # skill indices per item
    # Per student: answer days, skill indices and correctness (1/0), sorted by day.
    answers: dict[Any, tuple[IntArray, IntArray, FloatArray]] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return len(self.items)

    def _at(self, day: int) -> int:
        return int(np.clip(day - self.day0, 0, self.cum_visits.shape[0] - 1))


def _build_class(
    class_id: str,
    cat: pl.DataFrame,
    inter: pl.DataFrame,
    answers: pl.DataFrame | None = None,
    vectors: npt.NDArray[np.float32] | None = None,
) -> _Class:
    """``vectors``: unit embeddings of the catalogue rows (NaN rows for untitled items)."""
    items = cat["item_id"].to_list()
    index = {item: i for i, item in enumerate(items)}
    n = len(items)
    inter = inter.with_columns(
        pl.col("item_id").replace_strict(index, default=None, return_dtype=pl.Int64).alias("ix")
    ).drop_nulls("ix")
    if inter.height:
        day0 = int(inter["day"].min())  # type: ignore[arg-type]
        day1 = int(inter["day"].max())  # type: ignore[arg-type]
    else:
        day0 = day1 = 0
    n_days = day1 - day0 + 1
    d = (inter["day"].to_numpy() - day0).astype(np.int64)
    ix = inter["ix"].to_numpy().astype(np.int64)
    visits = np.bincount(d * n + ix, minlength=n_days * n).reshape(n_days, n).astype(np.float64)
    clicks = np.bincount(
        d * n + ix, weights=inter["clicks"].to_numpy(), minlength=n_days * n
    ).reshape(n_days, n)
    cum_visits = np.zeros((n_days + 1, n))
    np.cumsum(visits, axis=0, out=cum_visits[1:])
    cum_clicks = np.zeros((n_days + 1, n))
    np.cumsum(clicks, axis=0, out=cum_clicks[1:])
    cum_dayw = np.zeros((n_days + 1, n))
    np.cumsum(
        visits * np.arange(day0, day0 + n_days, dtype=np.float64)[:, None], axis=0, out=cum_dayw[1:]
    )
    firsts = inter.group_by("student_id", "ix").agg(pl.col("day").min())
    fd = (firsts["day"].to_numpy() - day0).astype(np.int64)
    first_visits = np.bincount(
        fd * n + firsts["ix"].to_numpy().astype(np.int64), minlength=n_days * n
    ).reshape(n_days, n)
    cum_first = np.zeros((n_days + 1, n))
    np.cumsum(first_visits, axis=0, out=cum_first[1:])
    starts = inter.group_by("student_id").agg(pl.col("day").min())["day"].to_numpy() - day0
    cum_students = np.zeros(n_days + 1)
    np.cumsum(np.bincount(starts.astype(np.int64), minlength=n_days), out=cum_students[1:])
    seen = visits > 0
    first_day = np.where(seen.any(axis=0), seen.argmax(axis=0) + day0, np.nan).astype(np.float64)

    students: dict[Any, _Student] = {}
    sids = inter["student_id"].to_list()
    days = inter["day"].to_numpy().astype(np.int64)
    cl = inter["clicks"].to_numpy().astype(np.float64)
    # Rows are sorted by student, day, item (prepare_interactions), so each student is a run.
    start = 0
    for pos in range(1, len(sids) + 1):
        if pos == len(sids) or sids[pos] != sids[start]:
            students[sids[start]] = _Student(days[start:pos], ix[start:pos], cl[start:pos])
            start = pos

    # Transitions between consecutive active days of a student: every site of the earlier day
    # to every site of the later one, dated by the later day.
    sd = inter.select("student_id", "day", "ix").with_columns(
        pl.col("day").rank("dense").over("student_id").cast(pl.Int64).alias("r")
    )
    pairs = sd.join(
        sd.select("student_id", (pl.col("r") - 1).alias("r"), pl.col("ix").alias("to"), "day"),
        on=["student_id", "r"],
        suffix="_to",
    )
    pairs = pairs.sort("day_to")
    pair_day = pairs["day_to"].to_numpy().astype(np.int64)
    pair_code = (pairs["ix"].to_numpy() * n + pairs["to"].to_numpy()).astype(np.int64)

    similarity = None
    if vectors is not None and np.isfinite(vectors).all(axis=1).any():
        similarity = (vectors.astype(np.float64) @ vectors.T.astype(np.float64)).astype(np.float64)
    skill_lists = cat["skills"].to_list()
    skill_labels = sorted({sk for sks in skill_lists for sk in (sks or [])})
    skill_index = {sk: j for j, sk in enumerate(skill_labels)}
    item_skills = [
        np.array(sorted({skill_index[sk] for sk in (sks or [])}), dtype=np.int64)
        for sks in skill_lists
    ]
    by_student: dict[Any, tuple[IntArray, IntArray, FloatArray]] = {}
    if answers is not None and answers.height and skill_labels:
        known = answers.filter(pl.col("skill").is_in(skill_labels)).with_columns(
            pl.col("skill").replace_strict(skill_index, return_dtype=pl.Int64).alias("sx")
        )
        for key, part in known.partition_by("student_id", as_dict=True).items():
            by_student[key[0]] = (
                part["day"].to_numpy().astype(np.int64),
                part["sx"].to_numpy().astype(np.int64),
                part["correct"].to_numpy().astype(np.float64),
            )

    return _Class(
        class_id=class_id,
        items=items,
        index=index,
        activity=cat["activity_type"].to_list(),
        titles=cat["title"].to_list(),
        week_from=cat["week_from"].to_numpy().astype(np.float64),
        week_to=cat["week_to"].to_numpy().astype(np.float64),
        day0=day0,
        cum_visits=cum_visits,
        cum_clicks=cum_clicks,
        cum_dayw=cum_dayw,
        cum_first=cum_first,
        cum_students=cum_students,
        first_day=first_day,
        students=students,
        pair_day=pair_day,
        pair_code=pair_code,
        similarity=similarity,
        skill_labels=skill_labels,
        item_skills=item_skills,
        answers=by_student,
    )


def _share(x: FloatArray) -> FloatArray:
    total = float(x.sum())
    return x / total if total > 0 else np.zeros_like(x)


@dataclass
class _QueryFeatures:
    """Features of every item of a class for a batch of (student, day) queries."""

    x: npt.NDArray[np.float32]  # (n_queries, n_items, n_features)
    clicks_all: FloatArray  # (n_queries, n_items): class clicks before the day
    clicks_week: FloatArray  # class clicks in the day's calendar week, before the day
    last_day_items: list[IntArray] = field(default_factory=list)
    recent_items: list[IntArray] = field(default_factory=list)  # the last 3 active days
    weakest_skill: list[int] = field(default_factory=list)  # skill index as of the day, or -1


def _history(st: _Student | None, day: int) -> tuple[IntArray, IntArray, FloatArray]:
    if st is None:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0)
    k = int(np.searchsorted(st.days, day, side="left"))
    return st.days[:k], st.items[:k], st.clicks[:k]


def _features(cls: _Class, queries: Sequence[tuple[Any, int]]) -> _QueryFeatures:
    """Features of all items of ``cls`` for each (student, day) query, from days < day only."""
    n, nq = cls.n, len(queries)
    x = np.full((nq, n, len(FEATURES)), np.nan, dtype=np.float32)
    clicks_all = np.zeros((nq, n))
    clicks_week = np.zeros((nq, n))
    last_items: list[IntArray] = [np.zeros(0, dtype=np.int64)] * nq
    recent_items: list[IntArray] = [np.zeros(0, dtype=np.int64)] * nq
    weakest_skill = [-1] * nq
    n_skills = len(cls.skill_labels)
    has_skill = np.array([sk.size > 0 for sk in cls.item_skills], dtype=bool)
    member = np.zeros((n, n_skills), dtype=bool)
    for j, sk in enumerate(cls.item_skills):
        member[j, sk] = True
    types = np.array(
        [
            ACTIVITY_TYPES.index(a) if a in ACTIVITY_TYPES else len(ACTIVITY_TYPES) - 1
            for a in cls.activity
        ]
    )
    onehot = np.zeros((n, len(ACTIVITY_TYPES)), dtype=np.float32)
    onehot[np.arange(n), types] = 1.0
    type0 = _F[f"type_{ACTIVITY_TYPES[0]}"]

    trans = np.zeros(n * n)
    done = 0
    order = sorted(range(nq), key=lambda q: queries[q][1])
    for q in order:
        student, day = queries[q]
        # Add transitions whose later day is before the query day: a growing matrix, so a batch
        # of queries costs one pass over the transitions.
        end = int(np.searchsorted(cls.pair_day, day, side="left"))
        if end > done:
            trans += np.bincount(cls.pair_code[done:end], minlength=n * n)
            done = end
        f = x[q]
        i, i7, i3 = cls._at(day), cls._at(day - 7), cls._at(day - 3)
        iw = cls._at(7 * math.floor(day / 7))
        v_all = cls.cum_visits[i]
        v7 = v_all - cls.cum_visits[i7]
        c_all = cls.cum_clicks[i]
        clicks_all[q] = c_all
        clicks_week[q] = c_all - cls.cum_clicks[iw]
        f[:, _F["class_share_all"]] = _share(v_all)
        f[:, _F["class_log_visits_all"]] = np.log1p(v_all)
        f[:, _F["class_share_last7"]] = _share(v7)
        f[:, _F["class_share_last3"]] = _share(v_all - cls.cum_visits[i3])
        f[:, _F["class_share_week"]] = _share(v_all - cls.cum_visits[iw])
        f[:, _F["class_share_last28"]] = _share(v_all - cls.cum_visits[cls._at(day - 28)])
        reached = cls.cum_first[i]
        f[:, _F["class_days_per_visitor"]] = np.divide(
            v_all, reached, out=np.full(n, np.nan), where=reached > 0
        )
        f[:, _F["class_reach"]] = reached / max(float(cls.cum_students[i]), 1.0)
        f[:, _F["course_day"]] = day
        rank = np.empty(n)
        rank[np.argsort(-v7, kind="stable")] = np.arange(n)
        f[:, _F["class_rank_last7"]] = 1.0 - rank / max(n, 1)
        f[:, _F["class_click_share_last7"]] = _share(c_all - cls.cum_clicks[i7])
        f[:, _F["site_age_days"]] = np.where(cls.first_day < day, day - cls.first_day, np.nan)
        week = math.floor(day / 7)
        f[:, _F["week_from_rel"]] = cls.week_from - week
        f[:, _F["week_to_rel"]] = cls.week_to - week
        f[:, type0 : type0 + len(ACTIVITY_TYPES)] = onehot
        # Day the class's visits on each item are centred on (NaN: nobody opened it yet).
        center = np.divide(cls.cum_dayw[i], v_all, out=np.full(n, np.nan), where=v_all > 0)
        f[:, _F["class_center_rel"]] = center - day
        opened = np.where(cls.first_day < day, cls.first_day, np.nan)

        h_days, h_items, h_clicks = _history(cls.students.get(student), day)
        if h_days.size:
            active = np.unique(h_days)
            last = h_items[h_days == active[-1]]
            recent = h_items[h_days >= active[max(0, active.size - 3)]]
            last_items[q] = last
            recent_items[q] = np.unique(recent)
            if cls.similarity is not None:
                _similarity_features(f, cls.similarity, recent_items[q])
            tm = trans.reshape(n, n)
            rows = tm[last]
            sums = rows.sum(axis=1, keepdims=True)
            p_last = np.divide(rows, sums, out=np.zeros_like(rows), where=sums > 0)
            f[:, _F["trans_last_mean"]] = p_last.mean(axis=0)
            f[:, _F["trans_last_max"]] = p_last.max(axis=0)
            rrows = tm[np.unique(recent)]
            rsums = rrows.sum(axis=1, keepdims=True)
            p_recent = np.divide(rrows, rsums, out=np.zeros_like(rrows), where=rsums > 0)
            f[:, _F["trans_recent_mean"]] = p_recent.mean(axis=0)
            own_days = np.bincount(h_items, minlength=n).astype(np.float64)
            f[:, _F["own_days"]] = own_days
            f[:, _F["own_share_days"]] = own_days / active.size
            f[:, _F["own_click_share"]] = _share(np.bincount(h_items, h_clicks, minlength=n))
            last_seen = np.full(n, -np.inf)
            np.maximum.at(last_seen, h_items, h_days.astype(np.float64))
            f[:, _F["own_recency_days"]] = np.where(np.isfinite(last_seen), day - last_seen, np.nan)
            f[:, _F["own_on_last_day"]] = np.isin(np.arange(n), last)
            f[:, _F["own_days_last7"]] = np.bincount(h_items[h_days >= day - 7], minlength=n)
            f[:, _F["own_days_last28"]] = np.bincount(h_items[h_days >= day - 28], minlength=n)
            f[:, _F["student_active_days"]] = active.size
            f[:, _F["student_distinct_items"]] = np.unique(h_items).size
            f[:, _F["student_days_since_active"]] = day - active[-1]
            age = (day - h_days).astype(np.float64)
            f[:, _F["own_decay7"]] = np.bincount(h_items, 0.5 ** (age / 7.0), minlength=n)
            f[:, _F["own_decay28"]] = np.bincount(h_items, 0.5 ** (age / 28.0), minlength=n)
            by_type = np.bincount(types[h_items], minlength=len(ACTIVITY_TYPES))
            f[:, _F["own_type_share"]] = by_type[types] / h_items.size
            f[:, _F["student_log_interactions"]] = np.log1p(h_items.size)
            # Every item the student opened before the day has class visits before it, so the
            # student's centre and frontier are finite.
            f[:, _F["center_gap"]] = center - float(np.mean(center[recent]))
            f[:, _F["frontier_gap"]] = opened - float(np.max(opened[h_items]))
        else:
            for name in ("own_days", "own_share_days", "own_click_share", "own_on_last_day"):
                f[:, _F[name]] = 0.0
            f[:, _F["own_days_last7"]] = 0.0
            f[:, _F["own_days_last28"]] = 0.0
            f[:, _F["own_decay7"]] = 0.0
            f[:, _F["own_decay28"]] = 0.0
            f[:, _F["student_active_days"]] = 0.0
            f[:, _F["student_log_interactions"]] = 0.0
        answers = cls.answers.get(student) if n_skills else None
        if answers is not None:
            k = int(np.searchsorted(answers[0], day, side="left"))
            if k:
                sx, correct = answers[1][:k], answers[2][:k]
                n_answers = np.bincount(sx, minlength=n_skills).astype(np.float64)
                n_correct = np.bincount(sx, correct, minlength=n_skills)
                a, b = _MASTERY_PRIOR
                mastery = np.where(n_answers > 0, (n_correct + a) / (n_answers + b), np.inf)
                weakest = int(np.argmin(mastery))
                weakest_skill[q] = weakest
                lowest = np.where(member, mastery[None, :], np.inf).min(axis=1)
                f[:, _F["skill_need"]] = np.where(np.isfinite(lowest), 1.0 - lowest, np.nan)
                f[:, _F["skill_weakest"]] = np.where(has_skill, member[:, weakest], np.nan)
    return _QueryFeatures(x, clicks_all, clicks_week, last_items, recent_items, weakest_skill)


def _similarity_features(
    f: npt.NDArray[np.float32], similarity: FloatArray, recent: IntArray
) -> None:
    """Max and mean cosine between each item and the *other* recently opened items."""
    if not recent.size:
        return
    sim = similarity[:, recent].copy()
    sim[recent, np.arange(recent.size)] = np.nan  # an item is not "similar" to itself
    valid = np.isfinite(sim)
    count = valid.sum(axis=1)
    top = np.where(valid, sim, -np.inf).max(axis=1)
    total = np.where(valid, sim, 0.0).sum(axis=1)
    f[:, _F["sim_recent_max"]] = np.where(count > 0, top, np.nan)
    f[:, _F["sim_recent_mean"]] = np.divide(
        total, count, out=np.full(total.shape, np.nan), where=count > 0
    )


_EMBEDDINGS: dict[str, npt.NDArray[np.float32]] = {}  # text -> unit vector, per process


def _embed_catalogue(catalogue: pl.DataFrame) -> npt.NDArray[np.float32] | None:
    """MiniLM vectors of "title. text" for titled items (NaN rows for the others); None when no
    item has a real title or the encoder is not installed."""
    titled = catalogue["titled"].to_numpy()
    if not titled.any():
        return None
    texts = [
        f"{t}. {x}" if x else str(t)
        for t, x in zip(catalogue["title"].to_list(), catalogue["text"].to_list(), strict=True)
    ]
    todo = sorted({texts[i] for i in np.flatnonzero(titled) if texts[i] not in _EMBEDDINGS})
    if todo:
        from ml_assets.text.embed import embed

        try:
            vectors = embed(todo)
        except RuntimeError as exc:  # the encoder package is missing: no similarity features
            logging.getLogger(__name__).warning("no content similarity: %s", exc)
            return None
        _EMBEDDINGS.update(zip(todo, vectors, strict=True))
    out = np.full((catalogue.height, 384), np.nan, dtype=np.float32)
    for i in np.flatnonzero(titled):
        out[i] = _EMBEDDINGS[texts[i]]
    return out


class _Data:
    """Prepared interactions, catalogue and graded answers, indexed per class."""

    def __init__(
        self,
        interactions: pl.DataFrame,
        catalogue: pl.DataFrame,
        responses: pl.DataFrame | None = None,
    ) -> None:
        self.interactions = prepare_interactions(interactions)
        self.catalogue = prepare_catalogue(catalogue)
        self.responses = prepare_responses(responses)
        self.classes: dict[str, _Class] = {}
        by_class = {
            key[0]: part
            for key, part in self.interactions.partition_by("class_id", as_dict=True).items()
        }
        answers = {
            key[0]: part
            for key, part in self.responses.partition_by("class_id", as_dict=True).items()
        }
        for key, cat in self.catalogue.partition_by("class_id", as_dict=True).items():
            cid = str(key[0])
            empty = self.interactions.clear()
            self.classes[cid] = _build_class(
                cid, cat, by_class.get(cid, empty), answers.get(cid), _embed_catalogue(cat)
            )


def training_queries(
    data: _Data,
    label_limit: dict[tuple[str, Any], int] | None = None,
    classes: Iterable[str] | None = None,
    students: set[tuple[str, Any]] | None = None,
    max_per_class: int | None = MAX_QUERIES_PER_CLASS,
    seed: int = 0,
) -> dict[str, list[tuple[Any, int, IntArray]]]:
    """Cut points per class: (student, as-of day, relevant item indices).

    For each student with at least ``MIN_INTERACTIONS`` interactions, and for each fraction in
    ``CUT_FRACTIONS`` of the first ``label_limit[(class, student)]`` interactions (all when not
    given), the history is the interactions before the cut position and the label is the
    distinct items of the next quarter of that history, never past the limit. The as-of day is
    the day of the first label interaction; features use days before it only. At most
    ``max_per_class`` cut points per class are kept (a seeded sample) to bound training time.
    """
    out: dict[str, list[tuple[Any, int, IntArray]]] = {}
    for cid, cls in data.classes.items():
        if classes is not None and cid not in classes:
            continue
        rows: list[tuple[Any, int, IntArray]] = []
        for sid, st in cls.students.items():
            if students is not None and (cid, sid) not in students:
                continue
            limit = len(st.days) if label_limit is None else label_limit.get((cid, sid), 0)
            if limit < MIN_INTERACTIONS:
                continue
            for frac in CUT_FRACTIONS:
                p = round(frac * limit)
                end = min(limit, p + max(1, math.ceil(p / 4)))
                if p <= 0 or p >= end:
                    continue
                day = int(st.days[p])
                if st.days[0] >= day:
                    continue
                rows.append((sid, day, np.unique(st.items[p:end])))
        if max_per_class is not None and len(rows) > max_per_class:
            rng = np.random.default_rng([seed, len(rows)])
            keep = np.sort(rng.choice(len(rows), size=max_per_class, replace=False))
            rows = [rows[i] for i in keep]
        out[cid] = rows
    return out


def _dataset(
    data: _Data, queries: dict[str, list[tuple[Any, int, IntArray]]]
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32], IntArray]:
    xs, ys, qids = [], [], []
    qid = 0
    for cid, rows in queries.items():
        if not rows:
            continue
        cls = data.classes[cid]
        feats = _features(cls, [(s, d) for s, d, _ in rows])
        for q, (_, _, rel) in enumerate(rows):
            y = np.zeros(cls.n, dtype=np.float32)
            y[rel] = 1.0
            xs.append(feats.x[q])
            ys.append(y)
            qids.append(np.full(cls.n, qid, dtype=np.int64))
            qid += 1
    if not xs:
        raise ValueError(
            f"no training cut points: every student needs at least {MIN_INTERACTIONS} "
            "interactions on two or more days"
        )
    return np.concatenate(xs), np.concatenate(ys), np.concatenate(qids)


def train_ranker(
    x: npt.NDArray[np.float32], y: npt.NDArray[np.float32], qid: IntArray, seed: int = 0
) -> tuple[xgb.Booster, tuple[str, ...]]:
    """Fit the ranker on a dataset of :data:`FEATURES` columns; a content feature that is NaN in
    every row (no titles, no skills in the data) is left out. Returns the booster and the
    features it reads, in order.

    The number of rounds is chosen on the training data only: a seeded
    ``EARLY_STOPPING_SHARE`` of the training queries is set aside, boosting stops once their
    NDCG@10 has not improved for ``EARLY_STOPPING_ROUNDS`` rounds (at most ``MAX_ROUNDS``), and
    the booster is cut to its best round. With fewer than ``MIN_QUERIES_TO_STOP`` queries it
    trains ``ROUNDS`` rounds on all of them."""
    keep = [
        j
        for j, name in enumerate(FEATURES)
        if name not in _CONTENT_FEATURES or bool(np.isfinite(x[:, j]).any())
    ]
    used = tuple(FEATURES[j] for j in keep)
    names = list(used)
    params = {**PARAMS, "seed": seed}
    queries = np.unique(qid)
    if queries.size < MIN_QUERIES_TO_STOP:
        dm = xgb.DMatrix(x[:, keep], label=y, qid=qid, feature_names=names)
        return xgb.train(params, dm, num_boost_round=ROUNDS), used
    rng = np.random.default_rng([seed, int(queries.size)])
    n_valid = max(1, round(EARLY_STOPPING_SHARE * queries.size))
    valid = np.isin(qid, rng.choice(queries, size=n_valid, replace=False))
    fit_part = xgb.DMatrix(
        x[~valid][:, keep], label=y[~valid], qid=qid[~valid], feature_names=names
    )
    valid_part = xgb.DMatrix(x[valid][:, keep], label=y[valid], qid=qid[valid], feature_names=names)
    booster = xgb.train(
        params,
        fit_part,
        num_boost_round=MAX_ROUNDS,
        evals=[(valid_part, "valid")],
        early_stopping_rounds=EARLY_STOPPING_ROUNDS,
        verbose_eval=False,
    )
    best = int(booster.best_iteration) + 1
    logging.getLogger(__name__).info("ranker: %d rounds (early stopping)", best)
    return booster[:best], used


def train_booster(
    data: _Data, queries: dict[str, list[tuple[Any, int, IntArray]]], seed: int = 0
) -> tuple[xgb.Booster, tuple[str, ...]]:
    """Fit the ranker on the given cut points (see :func:`train_ranker`)."""
    return train_ranker(*_dataset(data, queries), seed=seed)


def _words(text: str) -> set[str]:
    return {w for w in "".join(c.lower() if c.isalnum() else " " for c in text).split() if w}


class Recommender:
    """A trained ranker plus the interaction history it reads features from."""

    def __init__(
        self,
        booster: xgb.Booster,
        data: _Data,
        seed: int = 0,
        features: Sequence[str] = FEATURES,
    ) -> None:
        self.booster = booster
        self.data = data
        self.seed = seed
        self.features = tuple(features)
        self._columns = [_F[name] for name in self.features]

    def with_interactions(
        self, interactions: pl.DataFrame, responses: pl.DataFrame | None = None
    ) -> Recommender:
        """The same trained model reading features from another interaction history (and
        graded answers; by default the ones it has)."""
        answers = self.data.responses if responses is None else responses
        data = _Data(interactions, self.data.catalogue, answers)
        return Recommender(self.booster, data, self.seed, self.features)

    def score_batch(
        self, class_id: str, queries: Sequence[tuple[Any, int]]
    ) -> tuple[FloatArray, _QueryFeatures]:
        """Scores (n_queries, n_items) for (student, as-of day) queries of one class."""
        cls = self._class(class_id)
        feats = _features(cls, queries)
        nq, n, _ = feats.x.shape
        x = feats.x[:, :, self._columns].reshape(nq * n, len(self._columns))
        dm = xgb.DMatrix(x, feature_names=list(self.features))
        scores = self.booster.predict(dm).reshape(nq, n).astype(np.float64)
        return scores, feats

    def _class(self, class_id: str) -> _Class:
        cls = self.data.classes.get(str(class_id))
        if cls is None:
            raise ValueError(f"unknown class {class_id!r}: not in the catalogue")
        return cls

    def recommend(
        self,
        student_id: Any,
        class_id: str,
        as_of_day: int,
        k: int = 10,
        interests: Sequence[str] | None = None,
    ) -> list[Recommendation]:
        """The top ``k`` items of the class for the student as of ``as_of_day``.

        Only interactions before ``as_of_day`` are read. Already-opened items stay candidates
        (students revisit course pages). A student with no interaction before the day gets the
        cold-start ranking: class popularity of the last 7 days, with up to half of the list
        taken by items whose title or activity type matches one of ``interests``.

        Raises:
            ValueError: on an unknown class or ``k < 1``.
        """
        if k < 1:
            raise ValueError(f"k must be at least 1, got {k}")
        cls = self._class(class_id)
        day = int(as_of_day)
        st = cls.students.get(student_id)
        if st is None or not np.any(st.days < day):
            return self._cold_start(cls, day, k, interests or ())
        scores, feats = self.score_batch(cls.class_id, [(student_id, day)])
        s = scores[0]
        top = np.lexsort((np.arange(cls.n), -s))[:k]
        x = feats.x[0, top]
        contribs = self.booster.predict(
            xgb.DMatrix(x[:, self._columns], feature_names=list(self.features)),
            pred_contribs=True,
        )[:, : len(self.features)]
        trans = self._transitions(cls, day)
        return [
            Recommendation(
                cls.items[i],
                float(s[i]),
                self._reason(
                    cls,
                    i,
                    x[r],
                    dict(zip(self.features, contribs[r].tolist(), strict=True)),
                    feats,
                    trans,
                    day,
                ),
            )
            for r, i in enumerate(top)
        ]

    @staticmethod
    def _transitions(cls: _Class, day: int) -> FloatArray:
        end = int(np.searchsorted(cls.pair_day, day, side="left"))
        return np.bincount(cls.pair_code[:end], minlength=cls.n * cls.n).reshape(cls.n, cls.n)

    @staticmethod
    def _reason(
        cls: _Class,
        item: int,
        f: npt.NDArray[np.float32],
        contrib: dict[str, float],
        feats: _QueryFeatures,
        trans: FloatArray,
        day: int,
    ) -> str:
        """The reason family with the largest positive contribution for one query's item."""
        last = feats.last_day_items[0]
        groups: dict[str, float] = {}
        for name, c in contrib.items():
            g = _REASON_GROUP.get(name)
            if g is not None:
                groups[g] = groups.get(g, 0.0) + float(c)
        ranked = sorted(groups.items(), key=lambda kv: -kv[1])
        own = int(f[_F["own_days"]])
        for group, value in ranked:
            if value <= 0:
                break
            if group == "skill" and f[_F["skill_weakest"]] == 1 and feats.weakest_skill[0] >= 0:
                return f"practises {cls.skill_labels[feats.weakest_skill[0]]}, your weakest skill"
            if group == "similar" and cls.similarity is not None:
                recent = feats.recent_items[0]
                recent = recent[recent != item]
                sims = cls.similarity[item, recent] if recent.size else np.zeros(0)
                if sims.size and np.nanmax(np.nan_to_num(sims, nan=-1.0)) >= _SIMILAR_MIN:
                    prev = int(recent[int(np.argmax(np.nan_to_num(sims, nan=-1.0)))])
                    return f"similar to {cls.titles[prev]} you opened"
            if group == "class_week" and f[_F["class_share_last7"]] > 0:
                return "your class is working on this this week"
            if group == "transition" and last.size and trans[last, item].sum() > 0:
                prev = int(last[np.argmax(trans[last, item])])
                return f"next after {cls.titles[prev]} you opened"
            if group == "revisit" and own >= 2:
                return f"you came back to this {own} times"
            if group == "revisit" and own == 1:
                return "you opened this recently"
            if group == "release":
                wf = cls.week_from[item]
                age = f[_F["site_age_days"]]
                if (not np.isnan(wf) and wf == math.floor(day / 7)) or (0 <= age < 7):
                    return "released this week"
                if not np.isnan(wf):
                    return f"planned for week {int(wf) + 1} of your course"
            if group == "popular" and f[_F["class_share_all"]] > 0:
                return "popular with your class"
            if group == "habit" and f[_F["own_type_share"]] >= _HABIT_MIN:
                return f"you often open {cls.activity[item]} content"
            if group == "pace" and np.isfinite(f[_F["center_gap"]]):
                return "next for where you are in the course"
        if own >= 2:
            return f"you came back to this {own} times"
        if f[_F["class_share_last7"]] > 0:
            return "your class is working on this this week"
        return f"a {cls.activity[item]} in your course"

    def _cold_start(
        self, cls: _Class, day: int, k: int, interests: Sequence[str]
    ) -> list[Recommendation]:
        i, i7 = cls._at(day), cls._at(day - 7)
        week = _share(cls.cum_visits[i] - cls.cum_visits[i7])
        overall = _share(cls.cum_visits[i])
        wf = np.nan_to_num(cls.week_from, nan=1e6)
        closeness = -np.abs(wf - math.floor(day / 7))
        order = np.lexsort((np.arange(cls.n), -closeness, -overall, -week))
        wanted = set().union(*(_words(w) for w in interests)) if interests else set()
        matches = [
            int(j)
            for j in order
            if wanted and wanted & (_words(cls.titles[j]) | _words(cls.activity[j]))
        ]
        chosen = matches[: math.ceil(k / 2)]
        chosen += [int(j) for j in order if int(j) not in chosen][: k - len(chosen)]
        out = []
        for j in chosen:
            if j in matches:
                hit = sorted(wanted & (_words(cls.titles[j]) | _words(cls.activity[j])))[0]
                reason = f"matches your interest in {hit}"
            elif week[j] > 0:
                reason = "your class is working on this this week"
            elif overall[j] > 0:
                reason = "popular with your class"
            elif not np.isnan(cls.week_from[j]) and cls.week_from[j] == math.floor(day / 7):
                reason = "released this week"
            else:
                reason = f"a {cls.activity[j]} in your course"
            out.append(Recommendation(cls.items[j], float(week[j]), reason))
        return out

    def save(self, folder: Path) -> None:
        """Write ``model.json`` (XGBoost), ``meta.json``, ``catalogue.json``,
        ``interactions.npz`` and ``responses.npz`` to ``folder`` (created if needed). No
        pickle."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        self.booster.save_model(folder / "model.json")
        inter = self.data.interactions
        meta = {
            "features": list(self.features),
            "seed": self.seed,
            "params": PARAMS,
            "rounds": self.booster.num_boosted_rounds(),
            "dtypes": {c: str(t) for c, t in inter.schema.items()},
        }
        (folder / "meta.json").write_text(json.dumps(meta, indent=2))
        (folder / "catalogue.json").write_text(
            json.dumps(
                {
                    "schema": {c: str(t) for c, t in self.data.catalogue.schema.items()},
                    "rows": self.data.catalogue.to_dicts(),
                }
            )
        )
        np.savez_compressed(folder / "interactions.npz", **_arrays(inter))
        np.savez_compressed(folder / "responses.npz", **_arrays(self.data.responses))

    @classmethod
    def load(cls, folder: Path) -> Recommender:
        """Read a recommender written by :meth:`save`.

        Raises:
            ValueError: when a file is missing or was written for other features.
        """
        folder = Path(folder)
        for name in ("model.json", "meta.json", "catalogue.json", "interactions.npz"):
            if not (folder / name).is_file():
                raise ValueError(f"{folder} is not a saved recommender: {name} is missing")
        meta = json.loads((folder / "meta.json").read_text())
        if not set(meta["features"]) <= set(FEATURES):
            raise ValueError(f"{folder} was saved with other features than this version uses")
        booster = xgb.Booster()
        booster.load_model(folder / "model.json")
        cat_json = json.loads((folder / "catalogue.json").read_text())
        catalogue = pl.DataFrame(cat_json["rows"], infer_schema_length=None)
        item_dtype = _dtype(cat_json["schema"]["item_id"])
        catalogue = catalogue.with_columns(pl.col("item_id").cast(item_dtype))
        with np.load(folder / "interactions.npz", allow_pickle=False) as z:
            inter = pl.DataFrame({c: z[c] for c in z.files})
        inter = inter.with_columns(
            pl.col(c).cast(_dtype(t)) for c, t in meta["dtypes"].items() if c in inter.columns
        )
        responses = None
        if (folder / "responses.npz").is_file():  # absent in folders saved before answers
            with np.load(folder / "responses.npz", allow_pickle=False) as z:
                responses = pl.DataFrame({c: z[c] for c in z.files})
            if responses.height:
                responses = responses.with_columns(
                    pl.col(c).cast(_dtype(meta["dtypes"][c])) for c in ("class_id", "student_id")
                )
            else:
                responses = None
        data = _Data(inter, catalogue, responses)
        return cls(booster, data, int(meta["seed"]), meta["features"])


def _arrays(frame: pl.DataFrame) -> dict[str, npt.NDArray[Any]]:
    return {
        c: frame[c].to_numpy()
        if frame[c].dtype.is_numeric()
        else np.array(frame[c].to_list(), dtype=str)
        for c in frame.columns
    }


def _dtype(name: str) -> Any:
    table = {
        "Int64": pl.Int64,
        "Int32": pl.Int32,
        "Float64": pl.Float64,
        "String": pl.String,
        "UInt32": pl.UInt32,
        "UInt64": pl.UInt64,
    }
    return table.get(name, pl.String)


def fit(
    interactions: pl.DataFrame,
    catalogue: pl.DataFrame,
    seed: int = 0,
    responses: pl.DataFrame | None = None,
) -> Recommender:
    """Train the ranker on cut points of every student's whole history and return it with that
    history (see :func:`training_queries`). ``responses`` (graded answers per skill, see
    :func:`prepare_responses`) feed the skill-need features when the catalogue lists skills.

    Raises:
        ValueError: on missing columns or when no student has enough history to train on.
    """
    data = _Data(interactions, catalogue, responses)
    booster, features = train_booster(data, training_queries(data, seed=seed), seed=seed)
    return Recommender(booster, data, seed, features)
