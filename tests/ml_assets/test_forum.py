"""Forum classifiers: urgency model and its evaluation, language, sentiment, PII, embeddings.

Every post here is synthetic (written for these tests); the real-data test reads the shared
Penn file in place and never copies its text.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.metrics import roc_auc_score

from ml_assets.forum.evaluate import cross_validate, evaluate_split
from ml_assets.forum.language import detect_language
from ml_assets.forum.pii import Span, find_pii, scrub
from ml_assets.forum.sentiment import sentiment
from ml_assets.forum.urgency import TfidfRidge, UrgencyConfig, UrgencyModel, best_f1_threshold

URGENT = [
    "The link to the week {n} quiz is broken and the deadline is {day}, please help!",
    "My grade for assignment {n} shows zero but I submitted it before the deadline.",
    "I cannot submit homework {n}, the upload fails with an error every time. Urgent.",
    "The autograder marked my correct answer in quiz {n} as wrong, can staff fix my score?",
    "I was charged twice for the certificate and cannot reach support, please respond.",
    "The exam for module {n} closed early and I lost my attempt, what should I do?",
    "Video {n} does not load at all and the assignment is due {day}. Need help asap.",
]
MIDDLE = [
    "Does anyone know a good book about {topic} to read alongside week {n}?",
    "Is the slide deck for lecture {n} on {topic} available somewhere?",
    "Can someone explain the second example of lecture {n} about {topic}?",
]
CALM = [
    "Hello everyone, I am excited to join this course from {place}!",
    "Thanks for the great lecture on {topic}, I really enjoyed it.",
    "Greetings from {place}, happy learning to all of you.",
    "I loved the interview in week {n}, very inspiring.",
    "Nice to meet you all, I teach {topic} in {place}.",
    "Just finished week {n}, what a lovely course about {topic}.",
]
TOPICS = ["statistics", "poetry", "genetics", "marketing", "history", "networks", "ethics"]
PLACES = ["Brazil", "Kenya", "Canada", "Vietnam", "Norway", "Chile", "India"]
DAYS = ["tonight", "tomorrow", "on Friday", "in two hours", "this Sunday"]


def synthetic_posts(n: int, seed: int) -> list[tuple[str, str, float]]:
    """(poster id, text, urgency) rows: urgent 5-7, questions 3-4, chit-chat 1-2."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        kind = rng.random()
        pool, low, high = (
            (URGENT, 5, 7) if kind < 0.3 else (MIDDLE, 3, 4) if kind < 0.5 else (CALM, 1, 2)
        )
        text = rng.choice(pool).format(
            n=rng.randint(1, 9),
            day=rng.choice(DAYS),
            topic=rng.choice(TOPICS),
            place=rng.choice(PLACES),
        )
        rows.append((f"p{i // 2}", text, float(rng.randint(low, high))))
    return rows


def write_posts(path: Path, rows: list[tuple[str, str, float]]) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "post_time", "post_text", "Urgency_1_7"])
        for k, (poster, text, label) in enumerate(rows):
            writer.writerow([poster, 1_400_000_000 + k, text, label])
    return path


def hash_embed(texts: list[str]) -> npt.NDArray[np.float32]:
    """A fast stand-in for the sentence encoder (unit-length hashed bag of words)."""
    vectorizer = HashingVectorizer(n_features=384, ngram_range=(1, 2), norm="l2")
    return vectorizer.transform(texts).toarray().astype(np.float32)


def wide_embed(texts: list[str]) -> npt.NDArray[np.float32]:
    """:func:`hash_embed` followed by 64 more columns (hashed character n-grams) standing in for
    the extra poolings of :func:`ml_assets.text.embed.embed_pools`, so the pooled-features
    classifier is fitted."""
    chars = HashingVectorizer(n_features=64, analyzer="char_wb", ngram_range=(3, 4))
    extra = chars.transform(texts).toarray().astype(np.float32)
    return np.hstack([hash_embed(texts), extra])


SMALL = UrgencyConfig(inner_folds=3, svr_c=(1.0, 4.0), krr_alpha=(0.3, 1.0), tfidf_alpha=(1.0,))


@pytest.fixture(scope="module")
def train_rows() -> list[tuple[str, str, float]]:
    return synthetic_posts(160, seed=1)


@pytest.fixture(scope="module")
def test_rows() -> list[tuple[str, str, float]]:
    return synthetic_posts(80, seed=2)


@pytest.fixture(scope="module")
def fitted(train_rows: list[tuple[str, str, float]]) -> UrgencyModel:
    ids, texts, y = zip(*train_rows, strict=True)
    return UrgencyModel(SMALL, embedder=hash_embed).fit(list(texts), list(y), list(ids))


# -- urgency ----------------------------------------------------------------------------------


def test_urgency_model_learns_the_synthetic_signal(
    fitted: UrgencyModel,
    train_rows: list[tuple[str, str, float]],
    test_rows: list[tuple[str, str, float]],
) -> None:
    _, texts, y = zip(*test_rows, strict=True)
    labels = np.asarray(y)
    pred = fitted.score(list(texts))
    assert pred.min() >= 1 and pred.max() <= 7
    train_mean = np.mean([r[2] for r in train_rows])
    rmse = np.sqrt(np.mean((pred - labels) ** 2))
    assert rmse < np.sqrt(np.mean((train_mean - labels) ** 2)) * 0.7
    assert roc_auc_score(labels >= 5, pred) > 0.8
    urgent = fitted.is_urgent(list(texts))
    assert urgent.dtype == bool and urgent.sum() > 0
    assert set(fitted.fitted.weights) == {"tfidf", "svr", "krr", "joint"}


def test_urgent_probability_ranks_urgent_posts_and_sets_the_decision(
    fitted: UrgencyModel, test_rows: list[tuple[str, str, float]]
) -> None:
    _, texts, y = zip(*test_rows, strict=True)
    labels = np.asarray(y)
    score, probability = fitted.score_and_probability(list(texts))
    np.testing.assert_array_equal(score, fitted.score(list(texts)))
    np.testing.assert_array_equal(probability, fitted.urgent_probability(list(texts)))
    assert ((probability >= 0) & (probability <= 1)).all()
    assert roc_auc_score(labels >= 5, probability) > 0.8
    assert 0 < fitted.threshold < 1
    np.testing.assert_array_equal(fitted.is_urgent(list(texts)), probability >= fitted.threshold)
    # The inner folds measured the classifier and the stack it feeds.
    assert set(fitted.fitted.inner_auc) == {"blend", "urgent", "stack"}
    assert fitted.urgent is not None and fitted.stack is not None


def test_urgency_model_without_urgent_training_posts_falls_back_to_the_score(
    train_rows: list[tuple[str, str, float]],
) -> None:
    calm = [r for r in train_rows if r[2] < 5]
    ids, texts, y = zip(*calm, strict=True)
    model = UrgencyModel(SMALL, embedder=hash_embed).fit(list(texts), list(y), list(ids))
    assert model.urgent is None and model.stack is None
    score, probability = model.score_and_probability(list(texts))
    assert set(np.unique(probability)) <= {0.0, 1.0}
    np.testing.assert_array_equal(probability, score >= model.fitted.score_threshold)


def test_urgency_save_load_round_trip(
    fitted: UrgencyModel, test_rows: list[tuple[str, str, float]], tmp_path: Path
) -> None:
    texts = [r[1] for r in test_rows]
    folder = fitted.save(tmp_path / "urgency")
    assert sorted(p.name for p in folder.iterdir()) == [
        "joint_ridge.joblib",
        "krr.joblib",
        "model.json",
        "svr.joblib",
        "tfidf_ridge.joblib",
        "urgent_classifier.joblib",
        "urgent_stack.joblib",
    ]
    loaded = UrgencyModel.load(folder, embedder=hash_embed)
    np.testing.assert_array_equal(loaded.score(texts), fitted.score(texts))
    np.testing.assert_array_equal(
        loaded.urgent_probability(texts), fitted.urgent_probability(texts)
    )
    assert loaded.threshold == fitted.threshold
    assert loaded.config == fitted.config


def test_pooled_features_classifier_joins_the_urgent_stack(
    train_rows: list[tuple[str, str, float]],
    test_rows: list[tuple[str, str, float]],
    tmp_path: Path,
) -> None:
    ids, texts, y = zip(*train_rows, strict=True)
    model = UrgencyModel(SMALL, embedder=wide_embed).fit(list(texts), list(y), list(ids))
    assert model.pools is not None and model.stack is not None
    assert model.stack.coef_.shape == (1, 3)  # score, joint classifier, pooled classifier
    assert model.fitted.pool_c in SMALL.pool_c
    assert set(model.fitted.inner_auc) == {"blend", "urgent", "pools", "stack"}
    # The same poolings feed a fifth base regressor of the blend.
    assert model.pooled is not None and model.fitted.pool_alpha in SMALL.pool_alpha
    assert set(model.fitted.weights) == {*UrgencyModel.BASES, "pooled"}
    assert set(model.fitted.inner_rmse) == {*UrgencyModel.BASES, "pooled", "blend"}
    probe = [r[1] for r in test_rows]
    labels = np.asarray([r[2] for r in test_rows])
    probability = model.urgent_probability(probe)
    assert roc_auc_score(labels >= 5, probability) > 0.8
    folder = model.save(tmp_path / "pooled")
    assert (folder / "urgent_pools.joblib").is_file()
    assert (folder / "pooled_ridge.joblib").is_file()
    loaded = UrgencyModel.load(folder, embedder=wide_embed)
    np.testing.assert_array_equal(loaded.urgent_probability(probe), probability)
    np.testing.assert_array_equal(loaded.score(probe), model.score(probe))
    with pytest.raises(ValueError, match="extra poolings"):
        model.urgent_probability(probe, embeddings=hash_embed(probe))
    with pytest.raises(ValueError, match="at least 384 wide"):
        model.score(probe, embeddings=hash_embed(probe)[:, :10])


@pytest.mark.parametrize("version", [2, 3])
def test_urgency_loads_an_older_model(
    version: int, fitted: UrgencyModel, test_rows: list[tuple[str, str, float]], tmp_path: Path
) -> None:
    """Models saved before the pooled-features classifier (format 2) or regressor (format 3)
    still load and score."""
    import json

    folder = fitted.save(tmp_path / f"v{version}")
    doc = json.loads((folder / "model.json").read_text())
    doc["format_version"] = version
    del doc["config"]["pool_alpha"], doc["fitted"]["pool_alpha"]
    if version == 2:
        for key in ("pool_c", "embedding_dim"):
            del doc["config"][key]
        del doc["fitted"]["pool_c"]
    (folder / "model.json").write_text(json.dumps(doc))
    loaded = UrgencyModel.load(folder, embedder=hash_embed)
    assert loaded.config.pool_alpha == () and loaded.pooled is None
    assert (loaded.config.pool_c == ()) == (version == 2) and loaded.pools is None
    probe = [r[1] for r in test_rows]
    np.testing.assert_array_equal(
        loaded.urgent_probability(probe), fitted.urgent_probability(probe)
    )
    doc["format_version"] = 1
    (folder / "model.json").write_text(json.dumps(doc))
    with pytest.raises(ValueError, match="of this version"):
        UrgencyModel.load(folder)


def test_urgency_is_deterministic_for_a_seed(
    fitted: UrgencyModel,
    train_rows: list[tuple[str, str, float]],
    test_rows: list[tuple[str, str, float]],
) -> None:
    ids, texts, y = zip(*train_rows, strict=True)
    again = UrgencyModel(SMALL, embedder=hash_embed).fit(list(texts), list(y), list(ids))
    probe = [r[1] for r in test_rows]
    np.testing.assert_array_equal(again.score(probe), fitted.score(probe))
    assert again.fitted == fitted.fitted


def test_tfidf_baseline_and_threshold(train_rows: list[tuple[str, str, float]]) -> None:
    _, texts, y = zip(*train_rows, strict=True)
    baseline = TfidfRidge(inner_folds=3).fit(list(texts), list(y))
    assert baseline.alpha in TfidfRidge.ALPHAS
    assert baseline.oof is not None and baseline.oof.shape == (len(y),)
    assert best_f1_threshold(np.array([1.0, 2.0, 6.0, 6.5]), np.array([1, 2, 5, 6])) == 6.0
    assert best_f1_threshold(np.array([1.0, 2.0]), np.array([1, 2])) == 5.0


@pytest.mark.slow
def test_evaluate_split_contract(
    tmp_path: Path,
    train_rows: list[tuple[str, str, float]],
    test_rows: list[tuple[str, str, float]],
) -> None:
    train = write_posts(tmp_path / "train.csv", train_rows)
    test = write_posts(tmp_path / "test.csv", test_rows)
    result = evaluate_split(train, test, seed=0)
    keys = {"rmse", "spearman", "auc", "pr_auc", "f1"}
    assert keys | {"n_test", "baseline", "mean_baseline_rmse"} <= set(result)
    assert keys == set(result["baseline"])
    assert result["n_test"] == len(test_rows)
    assert result["rmse"] < result["mean_baseline_rmse"]
    assert result["auc"] > 0.8


BAD_FILES = {
    "missing column": ("id,post_time,post_text\n1,1,hello\n", "missing column"),
    "empty file": ("", "empty"),
    "header only": ("id,post_time,post_text,Urgency_1_7\n", "no posts"),
    "non-numeric label": ('id,post_time,post_text,Urgency_1_7\n1,1,"hi",high\n', "not numeric"),
    "label outside 1-7": ("id,post_time,post_text,Urgency_1_7\n1,1,hi,9\n", "outside 1-7"),
    "missing label": ("id,post_time,post_text,Urgency_1_7\n1,1,hi,\n", "missing"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_evaluate_rejects_bad_files(case: str, tmp_path: Path) -> None:
    content, message = BAD_FILES[case]
    bad = tmp_path / "bad.csv"
    bad.write_text(content)
    good = write_posts(tmp_path / "good.csv", synthetic_posts(20, seed=3))
    with pytest.raises(ValueError, match=message):
        evaluate_split(bad, good)
    with pytest.raises(ValueError, match=message):
        evaluate_split(good, bad)
    with pytest.raises(ValueError, match=message):
        cross_validate(bad, folds=3)


# -- language and sentiment -------------------------------------------------------------------


def test_detect_language() -> None:
    texts = [
        "When is the deadline for the second assignment? I cannot find it anywhere.",
        "¿Cuándo es la fecha límite de la segunda tarea? No la encuentro en ninguna parte.",
        "Quand est la date limite du deuxième devoir ? Je ne la trouve nulle part.",
        "Wann ist die Abgabefrist für die zweite Aufgabe? Ich finde sie nirgends.",
        "ok",
        "",
        None,
    ]
    assert detect_language(texts) == ["en", "es", "fr", "de", None, None, None]


def test_vader_sentiment_english_only() -> None:
    scores = sentiment(
        [
            "I love this course, the lectures are wonderful and so helpful!",
            "This is terrible, the quiz is broken and I am really angry.",
            "Me encanta este curso, las clases son maravillosas y muy útiles.",
            "",
        ]
    )
    assert scores[0] is not None and scores[0] > 0.5
    assert scores[1] is not None and scores[1] < -0.5
    assert scores[2] is None and scores[3] is None
    assert sentiment(["great, thanks!"], languages=["en"])[0] > 0  # type: ignore[operator]
    assert sentiment(["great, thanks!"], languages=["fr"]) == [None]


# -- PII --------------------------------------------------------------------------------------

SCRUB_CASES = [
    ("Email me at john.doe@example.com please", "Email me at [EMAIL] please"),
    ("Write to a.b-c+tag@uni.ac.uk.", "Write to [EMAIL]."),
    ("Call me on +44 20 7946 0958 tonight", "Call me on [PHONE] tonight"),
    ("US: (555) 123-4567, 555-123-4567, 555.123.4567", "US: [PHONE], [PHONE], [PHONE]"),
    ("FR 06 12 34 56 78, DE 030 1234 5678", "FR [PHONE], DE [PHONE]"),
    ("+1-555-123-4567 is my cell", "[PHONE] is my cell"),
    ("My student ID: 123456, matric S1234567", "My student ID: [ID], matric [ID]"),
    ("student number 4455667 here", "student number [ID] here"),
    ("my enrolment no. is 20231234567", "my enrolment no. is [ID]"),
    ("ping @maria_g about it", "ping [HANDLE] about it"),
    ("see https://www.linkedin.com/in/jsmith", "see [URL]"),
    ("my notes: https://example.org/~jsmith/notes.pdf.", "my notes: [URL]."),
    (
        "Hi all, my name is Maria Lopez and I live in Lima.",
        "Hi all, my name is [NAME] and I live in Lima.",
    ),
    ("I'm Carlos. I'm stuck on week 3.", "I'm [NAME]. I'm stuck on week 3."),
    ("Dr. Smith and Prof. Anna Berg said so.", "Dr. [NAME] and Prof. [NAME] said so."),
    ("Dear Anna, the link is broken.", "Dear [NAME], the link is broken."),
    (
        "The quiz is broken. Please help!\n\nThanks,\nMaria",
        "The quiz is broken. Please help!\n\nThanks,\n[NAME]",
    ),
    ("Great lecture!\n-- John Smith", "Great lecture!\n-- [NAME]"),
    ("Best regards, Wei Zhang", "Best regards, [NAME]"),
]
UNCHANGED = [
    "Python is great. The answer is 3.14159 and 100,000 people took it in 2015.",
    "Question 4 on Quiz 2 has score 85/100 at 10:30 on 12/05/2023 (deadline 2023-01-15).",
    "Dear Professor, the link in Week 4 is broken.",
    "I'm Not sure. I'm Stuck. I am Happy with it.",
    "Thanks, everyone! See you next week.",
    "Thanks in advance",
    "Hello World! printing works",
    "The course page https://www.coursera.org/learn/python-data has the slides.",
    "Statistics and Genetics are fun. Monday is the start.",
    "Use the @property decorator, e.g. x@y is a matrix product.",
    "The formula is 2*x + 3 = 11, so x = 4; see chapter 12, pages 120-135.",
    "Version 3.10.4 fixed it; ISBN 978-0-13-468599-1.",
]


@pytest.mark.parametrize(("text", "expected"), SCRUB_CASES)
def test_scrub_replaces_personal_data(text: str, expected: str) -> None:
    assert scrub(text) == expected


@pytest.mark.parametrize("text", UNCHANGED)
def test_scrub_leaves_ordinary_text_alone(text: str) -> None:
    assert find_pii(text) == []
    assert scrub(text) == text


def test_find_pii_spans_and_all_urls() -> None:
    text = "Mail jo@ex.com or see https://docs.python.org/3/"
    spans = find_pii(text)
    assert spans == [Span(5, 14, "EMAIL")]
    assert text[spans[0].start : spans[0].end] == "jo@ex.com"
    assert scrub(text, all_urls=True) == "Mail [EMAIL] or see [URL]"
    assert find_pii("") == []


# -- embeddings -------------------------------------------------------------------------------


@pytest.mark.slow
def test_embed_normalised_and_semantic() -> None:
    from ml_assets.text.embed import DIMENSION, embed

    vectors = embed(
        [
            "When is the assignment due?",
            "What is the deadline for the homework?",
            "I love hiking in the mountains with my dog.",
            "",
        ]
    )
    assert vectors.shape == (4, DIMENSION) == (4, 384)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors[:3], axis=1), 1.0, atol=1e-5)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.2
    long = embed(["deadline " * 600], long_texts="chunks")
    np.testing.assert_allclose(np.linalg.norm(long, axis=1), 1.0, atol=1e-5)
    assert embed([]).shape == (0, 384)


@pytest.mark.slow
def test_embed_pools_blocks() -> None:
    from ml_assets.text.embed import DIMENSION, POOLS, embed, embed_pools

    texts = ["The quiz link is broken, please help.", "", "deadline " * 300 + "my dog " * 300]
    pools = embed_pools(texts)
    assert pools.shape == (3, len(POOLS) * DIMENSION) and pools.dtype == np.float32
    blocks = {name: pools[:, k * DIMENSION : (k + 1) * DIMENSION] for k, name in enumerate(POOLS)}
    # The first block is what embed() gives by default (the truncated text).
    np.testing.assert_allclose(blocks["first"], embed(texts), atol=1e-5)
    for name in ("first", "mean", "mean_layer5", "cls"):
        np.testing.assert_allclose(np.linalg.norm(blocks[name], axis=1), 1.0, atol=1e-5)
    # A one-window post: mean and max over windows are its own vector; a long post differs.
    np.testing.assert_allclose(blocks["mean"][:2], blocks["first"][:2], atol=1e-5)
    np.testing.assert_allclose(blocks["max"][:2], blocks["first"][:2], atol=1e-5)
    assert not np.allclose(blocks["mean"][2], blocks["first"][2], atol=1e-4)
    assert embed_pools([]).shape == (0, len(POOLS) * DIMENSION)


# -- real data --------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.real_data
def test_real_penn_urgency_cross_validation(datasets_dir: Path, tmp_path: Path) -> None:
    """3-fold grouped CV on the posts of a seeded 40% of the Penn posters (the whole file takes
    longer than 3 minutes to embed on 2 CPU cores); the subset lives in tmp_path only.

    Each fold trains on about 750 posts, so the floors sit below the full-file figures in the
    README (10-fold, 2,820 posts: AUC 0.90); measured here: AUC 0.84 vs the baseline's 0.78."""
    import polars as pl

    source = datasets_dir / "forum_urgency_penn" / "All_Courses_REDACTED_CODED.csv"
    posts = pl.read_csv(source, infer_schema=False).drop_nulls("Urgency_1_7")
    posters = posts["id"].unique().sort().sample(fraction=0.4, seed=0)
    subset = tmp_path / "penn_subset.csv"
    posts.filter(pl.col("id").is_in(posters.implode())).write_csv(subset)
    result = cross_validate(subset, folds=3, seed=0)
    assert result["model"]["rmse"] < result["baseline"]["rmse"] + 0.02, result
    assert result["model"]["auc"] > 0.80, result
    assert result["model"]["rmse"] < result["mean_baseline_rmse"]
