"""Tests of the stacked mastery ensemble: its fit, its use in the evaluation (fitted on the
validation predictions only, never on the test file) and its served form (numpy only).

The evaluation tests replace the members' fitters with cheap deterministic predictors, so they
check the stack's plumbing in well under a second; the real members are covered by
``test_mastery_models.py``.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest

import ml_assets.mastery.evaluate as evaluate
from ml_assets.mastery.bkt import fit_bkt, roc_auc
from ml_assets.mastery.dkt import DktConfig, DktWeights
from ml_assets.mastery.kt_data import KtSequences
from ml_assets.mastery.logistic import fit_logistic
from ml_assets.mastery.served import ServedMastery, Vocabulary, bkt_frame, sequences_from_lake
from ml_assets.mastery.stack import (
    DKT_SEEDS,
    MEMBERS,
    TERMS,
    StackWeights,
    cross_fitted_auc,
    cross_fitted_predictions,
    fit_stack,
    logit,
    member_inputs,
)

# --- the stack itself -------------------------------------------------------------------------


# A known stack: DKT's weight grows with the student's history, the logistic one's shrinks on a
# skill the student has practised.
TRUE_COEF = {
    "dkt": 0.8,
    "logistic": 0.6,
    "bkt": -0.2,
    "dkt*history": 0.25,
    "logistic*skill_history": -0.2,
}


def synthetic(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A design of three members and their contexts, labels drawn from :data:`TRUE_COEF`, and a
    student per row."""
    rng = np.random.default_rng(seed)
    x = member_inputs(
        [1.0 / (1.0 + np.exp(-rng.normal(size=n)))],
        1.0 / (1.0 + np.exp(-rng.normal(size=n))),
        1.0 / (1.0 + np.exp(-rng.normal(size=n))),
        rng.integers(0, 200, n),
        rng.integers(0, 30, n),
    )
    coef = np.array([TRUE_COEF.get(t, 0.0) for t in TERMS])
    z = 0.3 + x @ coef
    y = (rng.random(n) < 1.0 / (1.0 + np.exp(-z))).astype(np.int8)
    return x, y, rng.integers(0, n // 20, n)


def test_fit_stack_recovers_known_weights_and_is_deterministic() -> None:
    x, y, _ = synthetic(300_000, seed=0)
    stack = fit_stack(x, y)
    assert stack.terms == TERMS
    expected = [TRUE_COEF.get(t, 0.0) for t in TERMS]
    np.testing.assert_allclose(stack.coef, expected, atol=0.06)
    assert abs(stack.intercept - 0.3) < 0.15
    # The intercept alone trades off against the history terms (log counts near 4-5 with little
    # spread); the linear predictor it forms with them is what must come back.
    z_true = 0.3 + x @ np.array(expected)
    z_fit = stack.intercept + x @ np.asarray(stack.coef)
    assert np.mean(np.abs(z_fit - z_true)) < 0.03
    assert fit_stack(x, y) == stack  # no random state: same inputs, same weights
    p = stack.predict(x)
    assert p.shape == (x.shape[0],) and np.all((p > 0) & (p < 1))


def test_fit_stack_rejects_unusable_input() -> None:
    x, y, _ = synthetic(100, seed=1)
    with pytest.raises(ValueError, match="both correct and wrong"):
        fit_stack(x, np.ones_like(y))
    with pytest.raises(ValueError, match="do not match"):
        fit_stack(x[:-1], y)


def test_cross_fitted_predictions_never_see_their_own_labels() -> None:
    x, y, groups = synthetic(4_000, seed=2)
    p = cross_fitted_predictions(x, y, groups, seed=0)
    np.testing.assert_array_equal(p, cross_fitted_predictions(x, y, groups, seed=0))
    assert not np.array_equal(p, cross_fitted_predictions(x, y, groups, seed=1))
    # Relabel one student: the out-of-fold predictions of that student's own rows do not move.
    student = groups == groups[0]
    flipped = y.copy()
    flipped[student] ^= 1
    np.testing.assert_array_equal(cross_fitted_predictions(x, flipped, groups)[student], p[student])
    assert cross_fitted_auc(x, y, groups) == roc_auc(y, p)


def test_member_inputs_average_dkt_logits_and_cross_them_with_the_history() -> None:
    a, b = np.array([0.2, 0.9]), np.array([0.4, 0.7])
    bkt = np.array([0.1, 0.99])
    x = member_inputs([a, b], np.array([0.5, 0.5]), bkt, [0, 9], [0, 3])
    assert x.shape == (2, len(TERMS))
    col = {t: x[:, j] for j, t in enumerate(TERMS)}
    np.testing.assert_allclose(col["dkt"], (logit(a) + logit(b)) / 2)
    np.testing.assert_allclose(col["logistic"], 0.0, atol=1e-12)
    np.testing.assert_allclose(col["history"], [0.0, np.log(10)])
    np.testing.assert_allclose(col["skill_history"], [0.0, np.log(4)])
    np.testing.assert_allclose(col["bkt*history"], logit(bkt) * [0.0, np.log(10)])
    np.testing.assert_allclose(col["dkt*skill_history"], col["dkt"] * [0.0, np.log(4)])
    np.testing.assert_allclose(logit([0.0, 1.0]), [-13.8155, 13.8155], atol=1e-3)  # clipped
    with pytest.raises(ValueError, match="at least one DKT"):
        member_inputs([], a, a, [0, 1], [0, 1])
    with pytest.raises(ValueError, match="non-negative count per response"):
        member_inputs([a], a, a, [0, -1], [0, 0])
    with pytest.raises(ValueError, match="non-negative count per response"):
        member_inputs([a], a, a, [0], [0])


def test_stack_weights_json_round_trip() -> None:
    stack = StackWeights(coef=tuple(0.1 * k for k in range(len(TERMS))), intercept=-0.05)
    assert StackWeights.from_json(stack.to_json()) == stack
    with pytest.raises(ValueError, match="unsupported stack terms"):
        StackWeights.from_json('{"members": ["dkt"], "coef": [1.0], "intercept": 0.0}')
    with pytest.raises(ValueError, match="weights for"):
        StackWeights(coef=(1.0,), intercept=0.0)
    with pytest.raises(ValueError, match="not stack weights"):
        StackWeights.from_json('{"coef": [1.0]}')


def test_a_member_only_stack_saved_before_the_context_terms_still_predicts() -> None:
    old = StackWeights.from_json(
        '{"members": ["dkt", "logistic", "bkt"], "coef": [0.9, 0.2, 0.1], "intercept": -0.05}'
    )
    assert old.terms == MEMBERS
    x, _, _ = synthetic(50, seed=3)
    z = -0.05 + x[:, :3] @ np.array([0.9, 0.2, 0.1])
    np.testing.assert_allclose(old.predict(x), 1.0 / (1.0 + np.exp(-z)))
    with pytest.raises(ValueError, match="expected"):
        old.predict(x[:, :3])


# --- in the evaluation: fitted on validation predictions only ---------------------------------


def sequences(n_students: int, seed: int) -> KtSequences:
    rng = np.random.default_rng(seed)
    lengths = rng.integers(5, 30, n_students)
    offsets = np.r_[0, np.cumsum(lengths)].astype(np.int64)
    n = int(offsets[-1])
    ability = np.repeat(rng.normal(size=n_students), lengths)
    skill = rng.integers(1, 6, n).astype(np.int64)
    correct = (rng.random(n) < 1 / (1 + np.exp(-(ability + 0.3 * skill - 0.9)))).astype(np.int8)
    return KtSequences(
        source=f"sim{seed}",
        student_ids=[str(i) for i in range(n_students)],
        offsets=offsets,
        skill=skill,
        correct=correct,
        problem=None,
    )


def past_rate(seqs: KtSequences) -> np.ndarray:
    """Each response's student's share correct so far (0.5 before the first)."""
    out = np.empty(seqs.n_responses)
    for s, e in zip(seqs.offsets[:-1].tolist(), seqs.offsets[1:].tolist(), strict=True):
        c = np.cumsum(seqs.correct[s:e])
        out[s] = 0.5
        out[s + 1 : e] = (c[:-1] + 1) / (np.arange(1, e - s) + 2)
    return out


class FakeDkt:
    """A stand-in for a trained DKT: a seed-dependent function of the student's past."""

    def __init__(self, seed: int) -> None:
        self.seed = seed

    def predict(self, seqs: KtSequences) -> np.ndarray:
        z = 3.0 * (past_rate(seqs) - 0.5) + 0.05 * self.seed * np.sin(seqs.skill)
        return 1.0 / (1.0 + np.exp(-z))


@pytest.fixture
def fake_members(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    """Cheap members; records the (train, valid) student counts each DKT fit was given."""
    fits: list[tuple[int, int]] = []

    def fake_fit_dkt(train: KtSequences, valid: KtSequences, config: Any) -> FakeDkt:
        fits.append((train.n_students, valid.n_students))
        return FakeDkt(config.seed)

    def fake_dkt(train: KtSequences, valid: KtSequences, seed: int) -> Any:
        return fake_fit_dkt(train, valid, DktConfig(seed=seed)).predict

    def fake_logistic(train: KtSequences, valid: KtSequences, seed: int) -> Any:
        return lambda seqs: 1.0 / (1.0 + np.exp(-(0.3 * seqs.skill - 0.9 + past_rate(seqs))))

    monkeypatch.setattr(evaluate, "fit_dkt", fake_fit_dkt)
    monkeypatch.setitem(evaluate._FITTERS, "dkt", fake_dkt)
    monkeypatch.setitem(evaluate._FITTERS, "logistic", fake_logistic)
    return fits


def test_evaluation_fits_the_stack_on_validation_only(fake_members: list[tuple[int, int]]) -> None:
    train, valid, test = sequences(120, 1), sequences(40, 2), sequences(50, 3)
    results = evaluate.evaluate_sequences(train, test, valid, seed=0)
    assert list(results) == ["bkt", "logistic", "dkt", "stack"]
    assert fake_members == [(120, 40)] * DKT_SEEDS  # every DKT seed trains on train only
    stack = results["stack"]
    assert list(stack["coef"]) == list(TERMS) and stack["dkt_seeds"] == DKT_SEEDS
    assert sum(r["served"] for r in results.values()) == 1
    served = next(r for r in results.values() if r["served"])
    assert served["valid_auc"] == max(r["valid_auc"] for r in results.values())

    # The weights are those of a stack fitted on the members' validation predictions ...
    bkt = evaluate._fit_bkt(train, valid, 0)
    mask = valid.position > 0
    x = member_inputs(
        [FakeDkt(k).predict(valid)[mask] for k in range(DKT_SEEDS)],
        evaluate._FITTERS["logistic"](train, valid, 0)(valid)[mask],
        bkt(valid)[mask],
        valid.position[mask],
        valid.skill_position[mask],
    )
    expected = fit_stack(x, valid.correct[mask])
    assert tuple(stack["coef"][t] for t in TERMS) == expected.coef
    assert stack["intercept"] == expected.intercept
    assert stack["valid_auc"] == cross_fitted_auc(
        x, valid.correct[mask], valid.student_index[mask], seed=0
    )

    # ... so the test labels change the test scores, never the stack or the choice.
    flipped = replace(test, correct=(1 - test.correct).astype(np.int8))
    again = evaluate.evaluate_sequences(train, flipped, valid, seed=0)
    assert again["stack"]["coef"] == stack["coef"]
    assert again["stack"]["intercept"] == stack["intercept"]
    assert again["stack"]["valid_auc"] == stack["valid_auc"]
    assert again["stack"]["auc"] != stack["auc"]
    assert [r["served"] for r in again.values()] == [r["served"] for r in results.values()]


def test_evaluation_stack_without_valid_uses_held_out_train(
    fake_members: list[tuple[int, int]],
) -> None:
    train, test = sequences(100, 4), sequences(30, 5)
    first = evaluate.evaluate_sequences(train, test, None, seed=3, models=("stack",))
    assert list(first) == ["stack"] and first["stack"]["served"]
    assert fake_members == [(90, 10)] * DKT_SEEDS  # a tenth of train held out for the stack
    again = evaluate.evaluate_sequences(train, test, None, seed=3, models=("stack",))
    assert {k: v for k, v in again["stack"].items() if k != "train_s"} == {
        k: v for k, v in first["stack"].items() if k != "train_s"
    }


# --- served: numpy only -----------------------------------------------------------------------

SKILLS = ("alg.a", "alg.b", "geo.c")


def lake_frame(n_students: int, seed: int) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for s in range(n_students):
        counts: dict[str, int] = {}
        for t in range(int(rng.integers(4, 12))):
            skill = SKILLS[int(rng.integers(len(SKILLS)))]
            counts[skill] = counts.get(skill, 0) + 1
            rows.append(
                {
                    "student_id": f"s{s}",
                    "skill_id": skill,
                    "item_id": f"{skill}.{int(rng.integers(3))}",
                    "answered_at": t,
                    "opportunity": counts[skill],
                    "is_correct": bool(rng.random() < 0.4 + 0.05 * counts[skill]),
                }
            )
    return pl.DataFrame(rows)


def random_dkt(n_skills: int, hidden: int, seed: int) -> DktWeights:
    rng = np.random.default_rng(seed)

    def arr(*shape: int) -> np.ndarray:
        return (0.3 * rng.normal(size=shape)).astype(np.float32)

    return DktWeights(
        skills=np.arange(1, n_skills + 1, dtype=np.int64),
        embedding=arr(2 * (n_skills + 1) + 1, hidden),
        w_ih=arr(4 * hidden, hidden),
        w_hh=arr(4 * hidden, hidden),
        b_ih=arr(4 * hidden),
        b_hh=arr(4 * hidden),
        w_out=arr(n_skills + 1, hidden),
        b_out=arr(n_skills + 1),
        problems=np.empty(0, dtype=np.int64),
        problem_bias=np.zeros(1, dtype=np.float32),
    )


@pytest.fixture(scope="module")
def served_stack() -> ServedMastery:
    frame = lake_frame(40, seed=7)
    vocab = Vocabulary.of(frame)
    return ServedMastery(
        "stack",
        vocab,
        fit_bkt(bkt_frame(frame), seed=0),
        logistic=fit_logistic(sequences_from_lake(frame, vocab)),
        dkt=random_dkt(len(SKILLS), 6, seed=0),
        dkt_more=tuple(random_dkt(len(SKILLS), 6, seed=k) for k in range(1, DKT_SEEDS)),
        stack=StackWeights(
            coef=(0.8, 0.3, 0.1, 0.05, -0.02, 0.1, -0.05, 0.02, -0.1, 0.03, 0.01), intercept=0.05
        ),
    )


def test_served_stack_combines_its_members(served_stack: ServedMastery) -> None:
    history = [("alg.a", True), ("alg.b", False), ("alg.a", True), ("unknown", False)]
    skills = [*SKILLS, "never.seen"]
    got = served_stack.next_correct(history, skills)
    members = {
        kind: ServedMastery(
            kind,
            served_stack.vocab,
            served_stack.bkt,
            logistic=served_stack.logistic,
            dkt=weights,
        ).next_correct(history, skills)
        for kind, weights in (("bkt", None), ("logistic", None))
    }
    dkts = [
        ServedMastery("dkt", served_stack.vocab, served_stack.bkt, dkt=w).next_correct(
            history, skills
        )
        for w in (served_stack.dkt, *served_stack.dkt_more)
    ]
    assert served_stack.stack is not None
    on_skill = {"alg.a": 2, "alg.b": 1, "geo.c": 0, "never.seen": 0}
    for s in skills:
        x = member_inputs(
            [np.array([d[s]]) for d in dkts],
            np.array([members["logistic"][s]]),
            np.array([members["bkt"][s]]),
            [len(history)],
            [on_skill[s]],
        )
        assert got[s] == pytest.approx(float(served_stack.stack.predict(x)[0]), abs=1e-12)
        assert 0.0 < got[s] < 1.0


def test_served_stack_needs_its_parts(served_stack: ServedMastery) -> None:
    with pytest.raises(ValueError, match="needs its weights"):
        replace(served_stack, stack=None)
    with pytest.raises(ValueError, match="needs its weights"):
        replace(served_stack, logistic=None)


def test_served_stack_round_trips_and_loads_without_torch(
    served_stack: ServedMastery, tmp_path: Path
) -> None:
    served_stack.save(tmp_path / "model")
    loaded = ServedMastery.load(tmp_path / "model")
    assert loaded.kind == "stack" and len(loaded.dkt_more) == DKT_SEEDS - 1
    assert loaded.stack == served_stack.stack
    history = [("alg.b", True), ("geo.c", False)]
    assert loaded.next_correct(history, list(SKILLS)) == served_stack.next_correct(
        history, list(SKILLS)
    )
    code = (
        "import sys; from pathlib import Path; "
        "from ml_assets.mastery.served import ServedMastery; "
        f"m = ServedMastery.load(Path({str(tmp_path / 'model')!r})); "
        "p = m.next_correct([('alg.a', True)], ['alg.a', 'geo.c']); "
        "print('torch' in sys.modules, len(p))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False 2"
