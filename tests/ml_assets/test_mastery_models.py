"""Tests of the knowledge-tracing readers, the logistic and DKT models and their evaluation.

Fast tests use students simulated in tmp_path: every skill follows BKT with its own difficulty,
and each student works through skills in runs (as in the ASSISTments files), so both the skill
and the student's past carry signal.
"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from ml_assets.mastery.bkt import roc_auc
from ml_assets.mastery.dkt import DktConfig, DktModel, DktWeights, fit_dkt
from ml_assets.mastery.evaluate import evaluate_files, evaluate_sequences
from ml_assets.mastery.kt_data import KtSequences, read_kt
from ml_assets.mastery.logistic import fit_logistic
from orchestration.cli import app

SMALL_DKT = DktConfig(hidden=24, window=50, batch_size=32, lr=1e-2, max_epochs=4, patience=2)

Student = tuple[list[int], list[int], list[int]]  # problems, skills, responses


def simulate(n_students: int, seed: int, n_skills: int = 8) -> list[Student]:
    """Students answering runs of 3-8 attempts per skill; BKT per skill, problems per skill."""
    rng = np.random.default_rng(seed)
    p_init = np.linspace(0.1, 0.8, n_skills)
    p_learn = rng.uniform(0.1, 0.3, n_skills)
    guess, slip = 0.15, 0.1
    students = []
    for _ in range(n_students):
        mastered = rng.random(n_skills) < p_init
        problems: list[int] = []
        skills: list[int] = []
        responses: list[int] = []
        for _ in range(int(rng.integers(2, 7))):
            skill = int(rng.integers(n_skills))
            for _ in range(int(rng.integers(3, 9))):
                u = rng.random()
                correct = u >= slip if mastered[skill] else u < guess
                problems.append(100 * (skill + 1) + int(rng.integers(5)))
                skills.append(skill + 1)
                responses.append(int(correct))
                mastered[skill] |= rng.random() < p_learn[skill]
        students.append((problems, skills, responses))
    return students


def write(
    path: Path, students: list[Student], layout: str, *, compress: bool = False, tail: str = ""
) -> Path:
    """Write ``students`` as ``dkvmn`` (3 lines), ``akt4`` or ``akt3``; ``tail`` ends data lines."""
    lines: list[str] = []
    for i, (problems, skills, responses) in enumerate(students):
        lines.append(f"{len(skills)},{1000 + i}" if layout == "akt4" else str(len(skills)))
        if layout == "akt4":
            lines.append(",".join(map(str, problems)) + tail)
        lines.append(",".join(map(str, skills)) + tail)
        lines.append(",".join(map(str, responses)) + tail)
    data = ("\n".join(lines) + "\n").encode()
    path.write_bytes(gzip.compress(data, mtime=0) if compress else data)
    return path


@pytest.fixture(scope="module")
def split(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Train / valid / test files of simulated students, DKVMN layout."""
    root = tmp_path_factory.mktemp("kt")
    return {
        name: write(root / f"{name}.csv", simulate(n, seed), "dkvmn")
        for name, n, seed in (("train", 240, 1), ("valid", 60, 2), ("test", 80, 3))
    }


@pytest.fixture(scope="module")
def seqs(split: dict[str, Path]) -> dict[str, KtSequences]:
    return {name: read_kt(path, "dkvmn") for name, path in split.items()}


def scored(seqs: KtSequences, p: np.ndarray) -> float:
    """AUC over every response after each student's first."""
    mask = seqs.position > 0
    return roc_auc(seqs.correct[mask], p[mask])


# --- readers ----------------------------------------------------------------------------------


def test_dkvmn_plain_and_gzip_read_the_same(tmp_path: Path) -> None:
    students = simulate(5, seed=0)
    plain = read_kt(write(tmp_path / "a.csv", students, "dkvmn"), "dkvmn")
    # gzip under a name without .gz: detected from the magic bytes
    zipped = read_kt(write(tmp_path / "b.txt", students, "dkvmn", compress=True), "dkvmn")
    assert plain.n_students == zipped.n_students == 5
    assert plain.problem is None
    np.testing.assert_array_equal(plain.skill, zipped.skill)
    np.testing.assert_array_equal(plain.correct, zipped.correct)
    assert plain.skill.tolist() == [s for _, sk, _ in students for s in sk]
    assert plain.lengths.tolist() == [len(sk) for _, sk, _ in students]


def test_dkvmn_trailing_commas_blank_lines_and_user_ids(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("\n3,77\n4,4,5,\n1,0,1,\n\n2\n6,6\n0,1\n\n\n")
    s = read_kt(path, "dkvmn")
    assert s.student_ids == ["77", "1"]
    assert s.skill.tolist() == [4, 4, 5, 6, 6]
    assert s.correct.tolist() == [1, 0, 1, 0, 1]
    assert s.offsets.tolist() == [0, 3, 5]
    frame = s.to_frame()
    assert frame.columns == ["student", "student_id", "position", "skill", "problem", "correct"]
    assert frame["position"].to_list() == [0, 1, 2, 0, 1]
    assert frame["problem"].null_count() == 5


@pytest.mark.parametrize("compress", [False, True])
def test_akt_detects_four_and_three_line_blocks(tmp_path: Path, compress: bool) -> None:
    students = simulate(6, seed=4)
    four = read_kt(write(tmp_path / "4.csv", students, "akt4", compress=compress, tail=","), "akt")
    three = read_kt(write(tmp_path / "3.csv", students, "akt3", compress=compress), "akt")
    assert four.problem is not None
    assert four.problem.tolist() == [p for p, _, _ in students for p in p]
    assert three.problem is None
    np.testing.assert_array_equal(four.skill, three.skill)
    np.testing.assert_array_equal(four.correct, three.correct)
    assert four.student_ids[0] == "1000"


def test_akt_label_header_is_not_the_length(tmp_path: Path) -> None:
    # AKT's own files: "student_index,user_id" on the first line.
    path = tmp_path / "akt.csv"
    path.write_text("1274,82295\n11,12,13\n1,1,2\n1,0,1\n")
    s = read_kt(path, "akt")
    assert s.student_ids == ["82295"]
    assert s.problem is not None and s.problem.tolist() == [11, 12, 13]
    assert s.skill.tolist() == [1, 1, 2]


@pytest.mark.parametrize(
    ("fmt", "text", "line"),
    [
        ("dkvmn", "2\n1,2\n", None),  # line count not a multiple of 3
        ("dkvmn", "2\n1,x\n0,1\n", 2),  # non-numeric
        ("dkvmn", "2\n1,2\n0,2\n", 3),  # response not 0/1
        ("dkvmn", "3\n1,2\n0,1\n", 2),  # length mismatch
        ("dkvmn", "two\n1,2\n0,1\n", 1),  # non-numeric length
        ("dkvmn", "2\n1,-2\n0,1\n", 2),  # negative id
        ("dkvmn", "", None),  # empty
        ("dkvmn", "\n\n", None),  # blank only
        ("akt", "1,9\n5,6\n1,1,1\n0,1\n", 3),  # 4 lines that do not agree
        ("akt", "2\n5,6\n1,1\n0,1\n2\n", None),  # neither 3 nor 4 lines a block
        ("nope", "2\n1,2\n0,1\n", None),
    ],
)
def test_readers_reject_bad_input(tmp_path: Path, fmt: str, text: str, line: int | None) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(ValueError) as info:
        read_kt(path, fmt)
    if fmt != "nope":
        assert str(path) in str(info.value)
    if line is not None:
        assert f"line {line}" in str(info.value)


def test_positions_count_earlier_responses_in_all_and_on_the_skill() -> None:
    seqs = KtSequences(
        source="t",
        student_ids=["a", "b"],
        offsets=np.array([0, 5, 8], dtype=np.int64),
        skill=np.array([3, 1, 3, 3, 1, 1, 2, 1], dtype=np.int64),
        correct=np.zeros(8, dtype=np.int8),
        problem=None,
    )
    assert seqs.position.tolist() == [0, 1, 2, 3, 4, 0, 1, 2]
    assert seqs.skill_position.tolist() == [0, 0, 1, 2, 1, 0, 0, 1]
    # a subset renumbers from each student's own first response
    assert seqs.subset([1]).skill_position.tolist() == [0, 0, 1]


def test_reader_rejects_corrupt_gzip(tmp_path: Path) -> None:
    path = tmp_path / "bad.gz"
    path.write_bytes(gzip.compress(b"3\n1,2,3\n0,1,1\n")[:-6])
    with pytest.raises(ValueError, match=r"bad\.gz"):
        read_kt(path, "dkvmn")


# --- logistic ---------------------------------------------------------------------------------


def test_logistic_beats_chance_and_is_deterministic(seqs: dict[str, KtSequences]) -> None:
    first = fit_logistic(seqs["train"])
    auc = scored(seqs["test"], first.predict(seqs["test"]))
    assert auc > 0.75
    again = fit_logistic(seqs["train"])
    assert scored(seqs["test"], again.predict(seqs["test"])) == auc


def test_logistic_uses_problem_ids(tmp_path: Path) -> None:
    students = simulate(150, seed=5)
    s = read_kt(write(tmp_path / "p.csv", students, "akt4"), "akt")
    model = fit_logistic(s)
    assert model.problems is not None and model.problems.size == 40
    assert model.coef.size == 3 * 8 + 10 + 40


def test_logistic_features_use_only_the_past(seqs: dict[str, KtSequences]) -> None:
    model = fit_logistic(seqs["train"])
    test = seqs["test"]
    before = model.predict(test)
    cut = int(test.offsets[1]) + 4  # the 5th response of the second student
    flipped = replace(test, correct=test.correct.copy())
    flipped.correct[cut] ^= 1
    after = model.predict(flipped)
    np.testing.assert_array_equal(before[: cut + 1], after[: cut + 1])
    assert not np.array_equal(
        before[cut + 1 : int(test.offsets[2])], after[cut + 1 : int(test.offsets[2])]
    )
    np.testing.assert_array_equal(before[int(test.offsets[2]) :], after[int(test.offsets[2]) :])


# --- DKT --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dkt(seqs: dict[str, KtSequences]) -> DktModel:
    return fit_dkt(seqs["train"], seqs["valid"], SMALL_DKT)


def test_dkt_beats_chance_and_is_deterministic(dkt: DktModel, seqs: dict[str, KtSequences]) -> None:
    auc = scored(seqs["test"], dkt.predict(seqs["test"]))
    assert auc > 0.7
    assert 1 <= dkt.best_epoch <= dkt.epochs <= SMALL_DKT.max_epochs
    again = fit_dkt(seqs["train"], seqs["valid"], SMALL_DKT)
    assert scored(seqs["test"], again.predict(seqs["test"])) == auc
    np.testing.assert_array_equal(again.weights.w_hh, dkt.weights.w_hh)


@pytest.mark.parametrize(("window", "stride"), [(4, 2), (4, None), (5, 2), (4, 4), (4, 9)])
def test_dkt_training_windows_learn_every_response_once(window: int, stride: int | None) -> None:
    from ml_assets.mastery.dkt import _init_weights, _train_batches

    lengths = [1, 2, 4, 5, 7, 13]
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    # Each response's label is its own position in its student's sequence (odd = correct), and
    # its skill is that position: the batches then say which response each target is.
    position = np.concatenate([np.arange(k) for k in lengths])
    seqs = KtSequences(
        source="t",
        student_ids=[str(i) for i in range(len(lengths))],
        offsets=offsets,
        skill=position.astype(np.int64) + 1,
        correct=(position % 2).astype(np.int8),
        problem=None,
    )
    config = DktConfig(hidden=4, window=window, stride=stride, batch_size=2)
    weights = _init_weights(np.unique(seqs.skill), np.empty(0, np.int64), config)
    learnt: list[int] = []
    context: list[int] = []
    for _, target, _, _, mask in _train_batches(seqs, weights, config):
        rows, cols = np.nonzero(mask.numpy())
        learnt += (target.numpy()[rows, cols] - 1).tolist()  # skill index -> position
        context += (cols + 1).tolist()  # responses before it in its window
    step = min(stride or window // 2, window)
    expected = [p for k in lengths for p in range(1, k)]
    if step < window:
        # Overlapping windows: every response after a student's first, once (none twice, none
        # left out), with window - stride responses before it in its window or all its history.
        assert sorted(learnt) == sorted(expected)
        for pos, ctx in zip(learnt, context, strict=True):
            assert ctx == pos or ctx >= window - step
    else:
        # Disjoint windows (the reproductions' way): the first response of a later window is
        # nobody's target.
        assert sorted(learnt) == sorted(p for p in expected if p % window)


def test_dkt_predictions_use_only_the_past(dkt: DktModel, seqs: dict[str, KtSequences]) -> None:
    test = seqs["test"]
    cut = int(test.offsets[3]) + 5
    flipped = replace(test, correct=test.correct.copy())
    flipped.correct[cut] ^= 1
    before, after = dkt.predict(test), dkt.predict(flipped)
    np.testing.assert_array_equal(before[: cut + 1], after[: cut + 1])
    assert not np.allclose(
        before[cut + 1 : int(test.offsets[4])], after[cut + 1 : int(test.offsets[4])]
    )


def test_dkt_numpy_forward_matches_torch(dkt: DktModel, seqs: dict[str, KtSequences]) -> None:
    import torch

    from ml_assets.mastery.dkt import _build_net

    test = seqs["test"].subset(np.arange(20))
    np.testing.assert_allclose(dkt.weights.predict_sequences(test), dkt.predict(test), atol=1e-5)

    weights = DktWeights.from_npz(dkt.weights.to_npz())  # the served form round-trips
    history = list(zip(test.skill[:12].tolist(), test.correct[:12].tolist(), strict=True))
    numpy_p = weights.predict_next(history)
    net = _build_net(weights).eval()
    tokens = torch.from_numpy(weights._tokens(test.skill[:12], test.correct[:12].astype(np.int64)))
    with torch.no_grad():
        torch_p = torch.sigmoid(net(tokens[None, :])[0, -1, 1:]).numpy()
    assert numpy_p.shape == (weights.skills.size,)
    np.testing.assert_allclose(numpy_p, torch_p, atol=1e-5)


def test_dkt_problem_offsets_numpy_matches_torch(tmp_path: Path) -> None:
    s = read_kt(write(tmp_path / "p.csv", simulate(60, seed=6), "akt4"), "akt")
    model = fit_dkt(s, s, replace(SMALL_DKT, max_epochs=2))
    assert model.weights.problems.size == 40
    assert np.any(model.weights.problem_bias[1:] != 0) and model.weights.problem_bias[0] == 0
    np.testing.assert_allclose(model.weights.predict_sequences(s), model.predict(s), atol=1e-5)


def test_dkt_module_imports_without_torch() -> None:
    code = (
        "import sys, ml_assets.mastery.dkt, ml_assets.mastery.evaluate; "
        "print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# --- evaluation and CLI -----------------------------------------------------------------------

KEYS = {"auc", "accuracy", "n_test", "train_s", "served"}


def test_evaluate_files_contract(split: dict[str, Path]) -> None:
    results = evaluate_files("dkvmn", split["train"], split["test"], split["valid"], seed=0)
    assert set(results) == {"bkt", "logistic", "dkt", "stack"}
    for r in results.values():
        assert set(r) >= KEYS
        assert r["n_test"] == read_kt(split["test"], "dkvmn").n_responses - 80
        assert 0.5 < r["auc"] <= 1.0 and 0.0 <= r["accuracy"] <= 1.0
    assert sum(r["served"] for r in results.values()) == 1
    served = next(r for r in results.values() if r["served"])
    assert served["valid_auc"] == max(r["valid_auc"] for r in results.values())


def test_evaluate_without_valid_holds_out_train(seqs: dict[str, KtSequences]) -> None:
    results = evaluate_sequences(seqs["train"], seqs["test"], None, models=("bkt", "logistic"))
    assert sum(r["served"] for r in results.values()) == 1


def test_evaluate_rejects_unusable_input(tmp_path: Path, split: dict[str, Path]) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(ValueError, match="empty"):
        evaluate_files("dkvmn", split["train"], empty, None)
    other = tmp_path / "other.csv"
    other.write_text("3\n90,91,92\n0,1,1\n2\n93,93\n1,0\n")
    with pytest.raises(ValueError, match="no skill in common"):
        evaluate_files("dkvmn", split["train"], other, split["valid"])
    with pytest.raises(ValueError, match="unknown format"):
        evaluate_files("csv", split["train"], split["test"], None)


def test_cli_eval_mastery_json(split: dict[str, Path]) -> None:
    runner = CliRunner()
    args = ["eval", "mastery", "--format", "dkvmn", "--train", str(split["train"])]
    args += ["--test", str(split["test"]), "--valid", str(split["valid"]), "--json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout.strip().splitlines()[-1])
    assert set(doc) == {"bkt", "logistic", "dkt", "stack"}
    assert all(set(r) >= KEYS for r in doc.values())
    assert sum(r["served"] for r in doc.values()) == 1


@pytest.mark.parametrize("problem", ["missing", "format"])
def test_cli_eval_mastery_bad_arguments_exit_2(split: dict[str, Path], problem: str) -> None:
    fmt = "dkvmn" if problem == "missing" else "parquet"
    test = split["test"].parent / "absent.csv" if problem == "missing" else split["test"]
    args = ["eval", "mastery", "--format", fmt, "--train", str(split["train"])]
    result = CliRunner().invoke(app, [*args, "--test", str(test), "--json"])
    assert result.exit_code == 2


# --- real data --------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.real_data
def test_real_assist2009_served_model(datasets_dir: Path) -> None:
    # The smallest real file (valid fold 1, ~45K responses) as the training set keeps the full
    # evaluation, DKT seeds and the stack included, affordable in CI; the test file is the real one.
    # How long it takes is a benchmark's business (`learnsmart eval mastery` prints train_s).
    base = datasets_dir / "kt" / "dkvmn_splits" / "assist2009_updated"
    results = evaluate_files(
        "dkvmn",
        base / "assist2009_updated_valid1.csv.gz",
        base / "assist2009_updated_test.csv.gz",
        None,
    )
    assert sum(r["served"] for r in results.values()) == 1
    served = next(r for r in results.values() if r["served"])
    assert served["auc"] > 0.7, results
