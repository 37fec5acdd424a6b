"""Recommender: metrics, the as-of rule, the model against popularity on a synthetic sequential
course, determinism, save/load, reasons, cold start, input errors, and the evaluations on OULAD
and on the curated demo lake."""

from __future__ import annotations

import gzip
import math
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from ml_assets.recommender.evaluate import (
    coverage,
    evaluate,
    evaluate_lake,
    evaluate_oulad,
    ndcg_at_k,
    recall_at_k,
)
from ml_assets.recommender.model import Recommender, fit
from tests.conftest import Curated

WEEKS = 10
PER_WEEK = 3


def _course(module: str, presentation: str, seed: int, n_students: int = 30) -> tuple:
    """A course whose students follow the week order: the homepage most days, this week's
    sites, the forum at a personal rate, and now and then a site they opened before."""
    rng = np.random.default_rng(seed)
    base = 1000 * (seed + 1)
    sites = [(base, "homepage", None), (base + 1, "forumng", None)]
    kinds = ("resource", "oucontent", "quiz")
    for w in range(WEEKS):
        for j in range(PER_WEEK):
            sites.append((base + 10 + w * PER_WEEK + j, kinds[j], w))
    vle = [
        {
            "id_site": s,
            "code_module": module,
            "code_presentation": presentation,
            "activity_type": kind,
            "week_from": w,
            "week_to": w,
        }
        for s, kind, w in sites
    ]
    clicks = []
    for student in range(n_students):
        sid = seed * 10_000 + student
        forum_rate = rng.uniform(0.05, 0.8)
        seen: list[int] = []
        for day in range(WEEKS * 7):
            if rng.random() > 0.6:
                continue
            week = day // 7
            opened = []
            if rng.random() < 0.8:
                opened.append(base)
            if rng.random() < forum_rate:
                opened.append(base + 1)
            for j in range(PER_WEEK):
                if rng.random() < 0.5:
                    opened.append(base + 10 + week * PER_WEEK + j)
            if seen and rng.random() < 0.3:
                opened.append(seen[int(rng.integers(len(seen)))])
            for site in opened:
                seen.append(site)
                clicks.append(
                    {
                        "code_module": module,
                        "code_presentation": presentation,
                        "id_student": sid,
                        "id_site": site,
                        "date": day,
                        "sum_click": int(rng.integers(1, 5)),
                    }
                )
    return pl.DataFrame(vle), pl.DataFrame(clicks)


@pytest.fixture(scope="module")
def oulad_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two synthetic presentations in OULAD's file shapes (one click log gzipped)."""
    folder = tmp_path_factory.mktemp("oulad")
    vle_a, clicks_a = _course("AAA", "2013J", seed=1)
    vle_b, clicks_b = _course("BBB", "2014B", seed=2)
    pl.concat([vle_a, vle_b]).write_csv(folder / "vle.csv")
    clicks_a.write_csv(folder / "studentVle_a.csv")
    (folder / "studentVle_b.csv.gz").write_bytes(gzip.compress(clicks_b.write_csv().encode()))
    return folder


def _model_frames(vle: pl.DataFrame, clicks: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    class_id = pl.concat_str(["code_module", "code_presentation"], separator="_").alias("class_id")
    interactions = clicks.select(
        pl.col("id_student").alias("student_id"),
        class_id,
        pl.col("id_site").alias("item_id"),
        pl.col("date").alias("day"),
        pl.col("sum_click").alias("clicks"),
    )
    catalogue = vle.select(
        pl.col("id_site").alias("item_id"),
        class_id,
        "activity_type",
        "week_from",
        "week_to",
        pl.format("{} of week {}", "activity_type", "week_from").alias("title"),
    )
    return interactions, catalogue


@pytest.fixture(scope="module")
def frames() -> tuple[pl.DataFrame, pl.DataFrame]:
    return _model_frames(*_course("AAA", "2013J", seed=1))


@pytest.fixture(scope="module")
def rec(frames: tuple[pl.DataFrame, pl.DataFrame]) -> Recommender:
    return fit(*frames, seed=0)


def _as_tuples(recs: list) -> list[tuple]:
    return [(r.item_id, round(r.score, 6), r.reason) for r in recs]


def test_metrics_on_hand_made_rankings() -> None:
    ranked = ["a", "b", "c", "d"]
    assert ndcg_at_k(ranked, {"a"}) == pytest.approx(1.0)
    assert ndcg_at_k(ranked, {"b"}) == pytest.approx(1 / math.log2(3))
    # Two relevant items at ranks 1 and 3; the ideal list has them at ranks 1 and 2.
    ideal = 1 + 1 / math.log2(3)
    assert ndcg_at_k(ranked, {"a", "c"}) == pytest.approx((1 + 1 / math.log2(4)) / ideal)
    assert ndcg_at_k(ranked, {"z"}) == 0.0
    assert ndcg_at_k(ranked, set()) == 0.0
    # Only the top 10 count; the ideal DCG is capped at 10 relevant items.
    long = [str(i) for i in range(20)]
    assert ndcg_at_k(long, {"15"}) == 0.0
    assert ndcg_at_k(long, {str(i) for i in range(12)}) == pytest.approx(1.0)
    assert recall_at_k(ranked, {"a", "c", "z", "y"}) == pytest.approx(0.5)
    assert recall_at_k(long, {"15", "0"}) == pytest.approx(0.5)
    assert coverage([["a", "b"], ["b", "c"]], 6) == pytest.approx(0.5)
    assert coverage([], 6) == 0.0


def test_no_future_leakage(rec: Recommender, frames: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    interactions, _ = frames
    student = interactions["student_id"][0]
    day = 40
    before = rec.recommend(student, "AAA_2013J", day)
    # Drop everything from the as-of day on, and add made-up future clicks everywhere.
    past = interactions.filter(pl.col("day") < day)
    future = interactions.filter(pl.col("day") >= day).with_columns(
        (pl.col("day") + 3).alias("day"), pl.lit(99.0).alias("clicks")
    )
    for changed in (
        past,
        pl.concat([past, future, future.with_columns(pl.col("day") - 2)], how="vertical_relaxed"),
    ):
        after = rec.with_interactions(changed).recommend(student, "AAA_2013J", day)
        assert _as_tuples(after) == _as_tuples(before)
    # A different day does see new data (the check above is not vacuous).
    assert _as_tuples(rec.recommend(student, "AAA_2013J", day + 14)) != _as_tuples(before)


def test_model_beats_popularity_on_sequential_course(oulad_dir: Path) -> None:
    result = evaluate_oulad(oulad_dir, seed=0)
    assert set(result) >= {"model", "popularity", "popularity_class_week", "random"}
    for scores in result.values():
        assert {"ndcg@10", "recall@10", "coverage"} <= set(scores)
        assert 0.0 <= scores["ndcg@10"] <= 1.0
        assert 0.0 < scores["coverage"] <= 1.0
        assert scores["n_users"] == result["model"]["n_users"] > 40
    assert result["model"]["ndcg@10"] > result["popularity"]["ndcg@10"] + 0.05
    assert result["model"]["ndcg@10"] > result["random"]["ndcg@10"]
    assert evaluate_oulad(oulad_dir, seed=0, max_students=20)["model"]["n_users"] == 20


def test_deterministic_from_seed(rec: Recommender, frames: tuple) -> None:
    again = fit(*frames, seed=0)
    student = frames[0]["student_id"][5]
    for day in (20, 45):
        assert _as_tuples(again.recommend(student, "AAA_2013J", day)) == _as_tuples(
            rec.recommend(student, "AAA_2013J", day)
        )


def test_save_load_round_trip(rec: Recommender, frames: tuple, tmp_path: Path) -> None:
    rec.save(tmp_path / "rec")
    assert not list((tmp_path / "rec").glob("*.pkl"))
    loaded = Recommender.load(tmp_path / "rec")
    for student in frames[0]["student_id"].unique().sort()[:5]:
        assert _as_tuples(loaded.recommend(student, "AAA_2013J", 33)) == _as_tuples(
            rec.recommend(student, "AAA_2013J", 33)
        )


def test_every_recommendation_has_a_reason(rec: Recommender, frames: tuple) -> None:
    known = (
        "your class is working on this this week",
        "next after ",
        "you came back to this ",
        "you opened this recently",
        "released this week",
        "planned for week ",
        "popular with your class",
        "similar to ",
        "practises ",
        "you often open ",
        "next for where you are in the course",
        "a ",
    )
    reasons = set()
    for student in frames[0]["student_id"].unique().sort()[:10]:
        recs = rec.recommend(student, "AAA_2013J", 50, k=10)
        assert len(recs) == 10
        assert len({r.item_id for r in recs}) == 10
        assert [r.score for r in recs] == sorted((r.score for r in recs), reverse=True)
        for r in recs:
            assert r.reason and r.reason.startswith(known), r.reason
            reasons.add(r.reason.split(" ")[0])
    assert len(reasons) >= 2  # the reasons follow the features, not one fixed sentence


def test_cold_start(rec: Recommender) -> None:
    recs = rec.recommend("new-student", "AAA_2013J", 30, k=6)
    assert len(recs) == 6
    assert all(r.reason for r in recs)
    assert recs[0].reason == "your class is working on this this week"
    week = [r.item_id for r in recs if r.item_id >= 1010 + 4 * PER_WEEK]
    assert week  # this week's sites (week 4) are among them
    keen = rec.recommend("new-student", "AAA_2013J", 30, k=6, interests=["Quiz"])
    matched = [r for r in keen if r.reason == "matches your interest in quiz"]
    assert len(matched) == 3
    # A class with no click yet: the sites planned for the current week come first.
    empty = rec.with_interactions(pl.DataFrame(schema=rec.data.interactions.schema))
    first = empty.recommend("new-student", "AAA_2013J", 14, k=3)
    assert [r.reason for r in first] == ["released this week"] * 3


def test_bad_input_raises_clear_errors(frames: tuple, tmp_path: Path, oulad_dir: Path) -> None:
    interactions, catalogue = frames
    with pytest.raises(ValueError, match=r"interactions is missing column.*day"):
        fit(interactions.drop("day"), catalogue)
    with pytest.raises(ValueError, match=r"catalogue is missing column.*class_id"):
        fit(interactions, catalogue.drop("class_id"))
    with pytest.raises(ValueError, match="does not exist"):
        evaluate_oulad(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match=r"no studentVle\*\.csv"):
        evaluate_oulad(tmp_path / "empty")
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "studentVle.csv").write_text((oulad_dir / "studentVle_a.csv").read_text())
    with pytest.raises(ValueError, match=r"vle\.csv .* is missing"):
        evaluate_oulad(broken)
    pl.read_csv(oulad_dir / "vle.csv").drop("activity_type").write_csv(broken / "vle.csv")
    with pytest.raises(ValueError, match=r"vle\.csv is missing column.*activity_type"):
        evaluate_oulad(broken)
    with pytest.raises(ValueError, match="not a saved recommender"):
        Recommender.load(tmp_path / "empty")
    rec = fit(interactions, catalogue)
    with pytest.raises(ValueError, match="unknown class"):
        rec.recommend(1, "ZZZ_2099J", 10)


@pytest.mark.slow
@pytest.mark.real_data
def test_oulad_model_beats_class_week_popularity(datasets_dir: Path) -> None:
    result = evaluate_oulad(datasets_dir / "oulad", seed=0, max_students=300)
    assert result["model"]["n_users"] == 300
    assert result["model"]["ndcg@10"] > result["popularity_class_week"]["ndcg@10"]
    assert result["popularity_class_week"]["ndcg@10"] > result["popularity"]["ndcg@10"]
    assert result["random"]["ndcg@10"] < result["popularity"]["ndcg@10"]


@pytest.mark.slow
def test_evaluate_lake_on_the_curated_demo_lake(curated: Curated) -> None:
    """The same protocol on the demo school's own events (silver learning_events over gold
    dim_content, as the assets read them), leave-one-class-out."""
    result = evaluate_lake(curated.lake, seed=0)
    assert set(result) >= {"model", "popularity", "popularity_class_week", "random"}
    n_users = result["model"]["n_users"]
    assert n_users > 0
    for method, metrics in result.items():
        assert metrics["n_users"] == n_users, method
        for name in ("ndcg@10", "recall@10", "coverage"):
            assert 0.0 <= metrics[name] <= 1.0, (method, name)
    assert result["model"]["ndcg@10"] > result["random"]["ndcg@10"]
    assert result["model"]["recall@10"] > result["random"]["recall@10"]


def test_evaluate_needs_two_classes_and_an_existing_lake(
    frames: tuple[pl.DataFrame, pl.DataFrame], tmp_path: Path
) -> None:
    with pytest.raises(ValueError, match="at least two classes"):
        evaluate(*frames, seed=0)
    with pytest.raises(ValueError, match="does not exist"):
        evaluate_lake(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match=r"gold/enrollment/dim_classes is missing"):
        evaluate_lake(tmp_path / "empty")


def _skilled(
    frames: tuple[pl.DataFrame, pl.DataFrame],
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """The synthetic course with a skill per week's quiz and answers: every student answers
    each quiz of weeks 0-3 on day 7*week + 6, right except on week 2's skill."""
    interactions, catalogue = frames
    catalogue = catalogue.with_columns(
        skills=pl.when(pl.col("activity_type") == "quiz")
        .then(pl.concat_list(pl.format("skill {}", pl.col("week_from").cast(pl.Int64))))
        .otherwise(pl.lit([], dtype=pl.List(pl.String)))
    )
    students = interactions["student_id"].unique().sort().to_list()
    answers = pl.DataFrame(
        [
            {
                "student_id": s,
                "class_id": "AAA_2013J",
                "day": 7 * w + 6,
                "skill": f"skill {w}",
                "correct": float(w != 2),
            }
            for s in students
            for w in range(4)
        ]
    )
    return interactions, catalogue, answers


def test_skill_need_and_similarity_are_past_only_and_missing_without_data(
    frames: tuple[pl.DataFrame, pl.DataFrame],
) -> None:
    from ml_assets.recommender.model import FEATURES, _Data, _features

    interactions, catalogue, answers = _skilled(frames)
    data = _Data(interactions, catalogue, answers)
    cls = data.classes["AAA_2013J"]
    student = interactions["student_id"].min()
    quiz = {w: cls.index[1000 * 2 + 10 + w * PER_WEEK + 2] for w in range(4)}
    f = {name: j for j, name in enumerate(FEATURES)}
    early, late = _features(cls, [(student, 20), (student, 30)]).x
    # as of day 20 the answers of days 6 and 13 count (weeks 0, 1), not day 20's (week 2)
    assert early[quiz[0], f["skill_need"]] == pytest.approx(1 - 2 / 3)
    assert np.isnan(early[quiz[2], f["skill_need"]])
    assert late[quiz[2], f["skill_need"]] == pytest.approx(1 - 1 / 3)
    assert late[quiz[2], f["skill_weakest"]] == 1.0 and late[quiz[0], f["skill_weakest"]] == 0.0
    assert np.isnan(late[cls.index[2000], f["skill_weakest"]])  # the homepage has no skill
    # titled items have a cosine similarity to the other recently opened items
    assert np.isfinite(late[:, f["sim_recent_max"]]).any()
    assert np.nanmax(late[:, f["sim_recent_max"]]) <= 1.0 + 1e-5
    # without titles, skills or answers (OULAD), the content features are missing ...
    bare = _Data(interactions, catalogue.drop("title", "skills"))
    x = _features(bare.classes["AAA_2013J"], [(student, 30)]).x[0]
    for name in ("sim_recent_max", "sim_recent_mean", "skill_need", "skill_weakest"):
        assert np.isnan(x[:, f[name]]).all(), name
    # ... and left out of the trained model
    plain = fit(interactions, catalogue.drop("title", "skills"), seed=0)
    assert "skill_need" not in plain.features and "sim_recent_max" not in plain.features


def test_skill_features_train_reason_and_survive_save_load(
    frames: tuple[pl.DataFrame, pl.DataFrame], tmp_path: Path
) -> None:
    from ml_assets.recommender.model import _features

    interactions, catalogue, answers = _skilled(frames)
    rec = fit(interactions, catalogue, seed=0, responses=answers)
    assert {"skill_need", "skill_weakest", "sim_recent_max"} <= set(rec.features)
    rec.save(tmp_path / "m")
    loaded = Recommender.load(tmp_path / "m")
    assert loaded.features == rec.features
    student = interactions["student_id"].min()
    assert _as_tuples(loaded.recommend(student, "AAA_2013J", 40)) == _as_tuples(
        rec.recommend(student, "AAA_2013J", 40)
    )
    # the reason wording of the two content families
    cls = rec.data.classes["AAA_2013J"]
    feats = _features(cls, [(student, 40)])
    quiz2 = cls.index[1000 * 2 + 10 + 2 * PER_WEEK + 2]
    trans = rec._transitions(cls, 40)
    reason = rec._reason(cls, quiz2, feats.x[0, quiz2], {"skill_need": 1.0}, feats, trans, 40)
    assert reason == "practises skill 2, your weakest skill"
    recent = [int(i) for i in feats.recent_items[0]]
    other = next(i for i in range(cls.n) if i not in recent)
    reason = rec._reason(cls, other, feats.x[0, other], {"sim_recent_max": 1.0}, feats, trans, 40)
    assert reason.startswith("similar to ") and reason.endswith(" you opened")


def _tiny() -> tuple[pl.DataFrame, pl.DataFrame]:
    """Student 1 opens the homepage (item 1) on day 0 and resource 2 on day 7; student 2 opens
    the homepage on day 0, resource 3 on day 10 and quiz 4 on days 12 and 20; student 1 opens
    the quiz on day 14."""
    catalogue = pl.DataFrame(
        {
            "item_id": [1, 2, 3, 4],
            "class_id": ["C"] * 4,
            "activity_type": ["homepage", "resource", "resource", "quiz"],
        }
    )
    interactions = pl.DataFrame(
        {
            "student_id": [1, 1, 2, 2, 2, 2, 1],
            "class_id": ["C"] * 7,
            "item_id": [1, 2, 1, 3, 4, 4, 4],
            "day": [0, 7, 0, 10, 12, 20, 14],
        }
    )
    return interactions, catalogue


def test_decay_habit_and_pace_features_by_hand() -> None:
    from ml_assets.recommender.model import FEATURES, _Data, _features

    interactions, catalogue = _tiny()
    cls = _Data(interactions, catalogue).classes["C"]
    f = {name: j for j, name in enumerate(FEATURES)}
    x = _features(cls, [(1, 14), (1, 11)]).x
    at14 = {name: x[0, :, j].tolist() for name, j in f.items()}
    assert at14["own_decay7"] == pytest.approx([0.25, 0.5, 0.0, 0.0])
    assert at14["own_decay28"] == pytest.approx([0.5 ** (14 / 28), 0.5 ** (7 / 28), 0.0, 0.0])
    # half of student 1's interactions are on a homepage, half on resources
    assert at14["own_type_share"] == pytest.approx([0.5, 0.5, 0.5, 0.0])
    assert at14["student_log_interactions"] == pytest.approx([math.log(3)] * 4)
    # the class's visits are centred on days 0, 7, 10 and 12; student 1's last active days
    # (0 and 7) on day 3.5; their frontier is item 2, first opened on day 7
    assert at14["class_center_rel"] == pytest.approx([-14, -7, -4, -2])
    assert at14["center_gap"] == pytest.approx([-3.5, 3.5, 6.5, 8.5])
    assert at14["frontier_gap"] == pytest.approx([-7, 0, 3, 5])
    # as of day 11 nobody has opened the quiz yet: no centre, no first day
    at11 = x[1]
    assert np.isnan(at11[3, f["class_center_rel"]]) and np.isnan(at11[3, f["frontier_gap"]])
    assert at11[2, f["frontier_gap"]] == pytest.approx(3)


def test_every_feature_is_past_only() -> None:
    """Features as of day D are the same from the whole log, from the log before D only, and
    from a log with made-up interactions on D and after (for every feature, new ones included)."""
    from ml_assets.recommender.model import _Data, _features

    interactions, catalogue = _model_frames(*_course("AAA", "2013J", seed=1))
    students = interactions["student_id"].unique().sort().to_list()[:5]
    day = 40
    past = interactions.filter(pl.col("day") < day)
    future = interactions.filter(pl.col("day") >= day).with_columns(
        pl.col("item_id").shuffle(seed=3), pl.lit(50).alias("clicks")
    )
    made_up = pl.concat([past, future], how="vertical_relaxed")
    queries = [(s, day) for s in students]
    ref = _features(_Data(interactions, catalogue).classes["AAA_2013J"], queries).x
    for log in (past, made_up):
        x = _features(_Data(log, catalogue).classes["AAA_2013J"], queries).x
        np.testing.assert_array_equal(x, ref)
    later = _features(_Data(interactions, catalogue).classes["AAA_2013J"], [(students[0], 60)])
    assert not np.array_equal(later.x[0], ref[0], equal_nan=True)  # not vacuous


def test_habit_and_pace_reasons(rec: Recommender, frames: tuple) -> None:
    from ml_assets.recommender.model import _features

    assert {"own_decay7", "own_type_share", "center_gap", "frontier_gap"} <= set(rec.features)
    student = frames[0]["student_id"].min()
    cls = rec.data.classes["AAA_2013J"]
    feats = _features(cls, [(student, 40)])
    trans = rec._transitions(cls, 40)
    home = cls.index[2000]
    reason = rec._reason(cls, home, feats.x[0, home], {"own_type_share": 1.0}, feats, trans, 40)
    assert reason == "you often open homepage content"
    reason = rec._reason(cls, home, feats.x[0, home], {"center_gap": 1.0}, feats, trans, 40)
    assert reason == "next for where you are in the course"


def test_rounds_are_early_stopped_on_training_queries_only() -> None:
    from ml_assets.recommender import model

    rng = np.random.default_rng(0)
    n_items = 8

    def dataset(n_queries: int) -> tuple:
        x = rng.normal(size=(n_queries * n_items, len(model.FEATURES))).astype(np.float32)
        y = (x[:, 0] + rng.normal(size=x.shape[0]) > 1).astype(np.float32)
        return x, y, np.repeat(np.arange(n_queries), n_items)

    booster, used = model.train_ranker(*dataset(60), seed=0)
    assert 1 <= booster.num_boosted_rounds() < model.MAX_ROUNDS
    assert used == model.FEATURES  # no feature is NaN everywhere here
    few, _ = model.train_ranker(*dataset(model.MIN_QUERIES_TO_STOP - 1), seed=0)
    assert few.num_boosted_rounds() == model.ROUNDS  # too few queries to set some aside
