"""The served mastery model: the best of BKT, logistic (PFA-style), DKT and their stack on the
lake's own students, behind one interface the batch scoring and the API share.

The lake's ``fct_skill_attempt_sequences`` names skills and items with strings; the knowledge-
tracing models work on integer ids, so a :class:`Vocabulary` maps them (1-based; 0 is unknown).
Each student's sequence is every response over all skills, in answer order (an item with
several skills contributes one response per skill, the usual "expanded" convention).

:class:`ServedMastery` answers one question for any kind: the probability that the student
answers the next item of a skill correctly, given everything the student answered so far
(:meth:`ServedMastery.next_correct`). It needs numpy only (DKT runs its numpy forward pass; the
stack runs each member's, then its own dot product), so the API can update mastery after a quiz
without importing torch.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from ml_assets.mastery.bkt import BktModel, fit_bkt
from ml_assets.mastery.dkt import DktWeights
from ml_assets.mastery.kt_data import KtSequences
from ml_assets.mastery.logistic import LogisticKt
from ml_assets.mastery.stack import DKT_SEEDS, TERMS, StackWeights, member_inputs

KINDS = ("bkt", "logistic", "dkt", "stack")
FORMAT_VERSION = 3  # 2 adds the stack (dkt_seed<k>.npz, stack.json), 3 its context terms; 1, 2 load
READABLE_VERSIONS = (1, 2, 3)
MIN_STUDENTS_TO_COMPARE = 20
_ORDER = ("student_id", "answered_at", "attempt_id", "item_id", "skill_id")


@dataclass(frozen=True)
class Vocabulary:
    """String skill and item ids of the lake <-> the models' integer ids (1-based)."""

    skills: tuple[str, ...]
    items: tuple[str, ...]

    @classmethod
    def of(cls, frame: pl.DataFrame) -> Vocabulary:
        """Every skill and item of ``fct_skill_attempt_sequences`` rows, sorted."""
        items = (
            frame["item_id"].drop_nulls().unique().sort().to_list() if "item_id" in frame else []
        )
        return cls(tuple(frame["skill_id"].unique().sort().to_list()), tuple(items))

    def skill_ids(self, names: list[str]) -> npt.NDArray[np.int64]:
        """Integer id of each skill name (0 for a skill the model has never seen)."""
        index = {s: i + 1 for i, s in enumerate(self.skills)}
        return np.array([index.get(n, 0) for n in names], dtype=np.int64)

    def item_ids(self, names: list[str | None]) -> npt.NDArray[np.int64]:
        """Integer id of each item name (0 for unknown or missing)."""
        index = {s: i + 1 for i, s in enumerate(self.items)}
        return np.array([index.get(n, 0) if n else 0 for n in names], dtype=np.int64)


def sequences_from_lake(frame: pl.DataFrame, vocab: Vocabulary) -> KtSequences:
    """``fct_skill_attempt_sequences`` rows as knowledge-tracing sequences, one per student."""
    rows = frame.drop_nulls(["student_id", "skill_id", "is_correct"]).sort(
        [c for c in _ORDER if c in frame.columns]
    )
    students = rows["student_id"].to_list()
    order = rows["student_id"]
    bounds = np.flatnonzero(np.r_[True, (order[1:] != order[:-1]).to_numpy()]) if len(order) else []
    offsets = np.append(np.asarray(bounds, dtype=np.int64), len(order)).astype(np.int64)
    items = rows["item_id"].to_list() if "item_id" in rows.columns else [None] * rows.height
    return KtSequences(
        source="fct_skill_attempt_sequences",
        student_ids=[students[int(b)] for b in offsets[:-1]],
        offsets=offsets,
        skill=vocab.skill_ids(rows["skill_id"].to_list()),
        correct=rows["is_correct"].cast(pl.Int8).to_numpy(),
        problem=vocab.item_ids(items),
    )


def bkt_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """BKT's input (student, skill, opportunity, is_correct) from the lake rows."""
    return frame.select("student_id", "skill_id", "opportunity", "is_correct").drop_nulls()


@dataclass
class ServedMastery:
    """One served kind (``bkt``, ``logistic``, ``dkt`` or ``stack``) with BKT kept beside it.

    BKT is always kept: it also gives P(mastered), the quantity teachers read on mastery
    bars, next to the served model's P(correct next). A ``stack`` needs ``logistic``, ``dkt``,
    ``dkt_more`` (the other DKT seeds) and ``stack`` (its weights); its members are the DKTs
    (logits averaged), the logistic model and BKT.
    """

    kind: str
    vocab: Vocabulary
    bkt: BktModel
    logistic: LogisticKt | None = None
    dkt: DktWeights | None = None
    dkt_more: tuple[DktWeights, ...] = ()
    stack: StackWeights | None = None
    metrics: dict[str, Any] = field(default_factory=dict)
    note: str = ""  # why the kinds were not compared, when they were not

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown mastery model kind {self.kind!r}")
        if (
            (self.kind in ("logistic", "stack") and self.logistic is None)
            or (self.kind in ("dkt", "stack") and self.dkt is None)
            or (self.kind == "stack" and self.stack is None)
        ):
            raise ValueError(f"a {self.kind} model needs its weights")

    def next_correct(self, history: list[tuple[str, bool]], skills: list[str]) -> dict[str, float]:
        """P(the next response on each of ``skills`` is correct) after ``history``.

        ``history`` is every (skill_id, correct) response of the student, oldest first.
        """
        if not skills:
            return {}
        if self.kind == "bkt":
            return self._bkt_next(history, skills)
        if self.kind == "dkt":
            assert self.dkt is not None
            return self._dkt_next(self.dkt, history, skills)
        if self.kind == "logistic":
            return self._logistic_next(history, skills)
        assert self.stack is not None and self.dkt is not None
        dkts = [self._dkt_next(w, history, skills) for w in (self.dkt, *self.dkt_more)]
        lr = self._logistic_next(history, skills)
        bkt = self._bkt_next(history, skills)
        on_skill = Counter(k for k, _ in history)
        x = member_inputs(
            [np.array([d[s] for s in skills]) for d in dkts],
            np.array([lr[s] for s in skills]),
            np.array([bkt[s] for s in skills]),
            np.full(len(skills), len(history)),
            np.array([on_skill[s] for s in skills]),
        )
        return dict(zip(skills, self.stack.predict(x).tolist(), strict=True))

    def _bkt_next(self, history: list[tuple[str, bool]], skills: list[str]) -> dict[str, float]:
        out = {}
        for s in skills:
            params = self.bkt.params(s)
            p = self.bkt.mastery_of([c for k, c in history if k == s], s)
            out[s] = params.predict_correct(p)
        return out

    def _dkt_next(
        self, weights: DktWeights, history: list[tuple[str, bool]], skills: list[str]
    ) -> dict[str, float]:
        ids = self.vocab.skill_ids([k for k, _ in history])
        correct = [int(c) for _, c in history]
        p_all = weights.predict_next(list(zip(ids.tolist(), correct, strict=True)))
        index = weights.skill_index(self.vocab.skill_ids(skills))
        # index 0 is a skill DKT never saw: its output row is untrained, use the mean
        fallback = float(np.mean(p_all)) if p_all.size else 0.5
        return {
            s: float(p_all[i - 1]) if i > 0 else fallback
            for s, i in zip(skills, index.tolist(), strict=True)
        }

    def _logistic_next(
        self, history: list[tuple[str, bool]], skills: list[str]
    ) -> dict[str, float]:
        assert self.logistic is not None
        ids = self.vocab.skill_ids([k for k, _ in history])
        correct = [int(c) for _, c in history]
        # One probe per skill: the history, then a response on the skill whose prediction
        # (from the past only) is the answer; the probe's own outcome is never used.
        n = len(history)
        probe_ids = self.vocab.skill_ids(skills)
        skill_col = np.concatenate([np.tile(ids, len(skills)).reshape(len(skills), n),
                                    probe_ids[:, None]], axis=1).ravel()  # fmt: skip
        correct_col = np.tile(np.array([*correct, 0], dtype=np.int8), len(skills))
        offsets = np.arange(len(skills) + 1, dtype=np.int64) * (n + 1)
        probes = KtSequences(
            source="probe",
            student_ids=list(skills),
            offsets=offsets,
            skill=skill_col.astype(np.int64),
            correct=correct_col,
            problem=np.zeros(skill_col.size, dtype=np.int64),
        )
        p = self.logistic.predict(probes)
        return {s: float(p[(i + 1) * (n + 1) - 1]) for i, s in enumerate(skills)}

    def mastery_table(self, frame: pl.DataFrame) -> pl.DataFrame:
        """Every (student, skill) practised in ``frame``: ``p_correct_next`` from the served
        model, ``p_mastered`` from BKT, ``n_responses``."""
        rows = frame.drop_nulls(["student_id", "skill_id", "is_correct"]).sort(
            [c for c in _ORDER if c in frame.columns]
        )
        out: list[dict[str, Any]] = []
        for (student,), g in rows.group_by("student_id", maintain_order=True):
            history = list(zip(g["skill_id"].to_list(), g["is_correct"].to_list(), strict=True))
            counts: dict[str, int] = {}
            for s, _ in history:
                counts[s] = counts.get(s, 0) + 1
            nxt = self.next_correct(history, sorted(counts))
            for s in sorted(counts):
                out.append(
                    {
                        "student_id": student,
                        "skill_id": s,
                        "p_correct_next": min(1.0, max(0.0, nxt[s])),
                        "p_mastered": self.bkt.mastery_of([c for k, c in history if k == s], s),
                        "n_responses": counts[s],
                    }
                )
        schema = {
            "student_id": pl.String,
            "skill_id": pl.String,
            "p_correct_next": pl.Float64,
            "p_mastered": pl.Float64,
            "n_responses": pl.Int64,
        }
        return pl.DataFrame(out, schema=schema)

    def save(self, folder: Path) -> None:
        """Write the model to ``folder`` (JSON for BKT and the vocabulary, npz for weights)."""
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "bkt.json").write_text(self.bkt.to_json())
        if self.dkt is not None:
            (folder / "dkt.npz").write_bytes(self.dkt.to_npz())
        for k, weights in enumerate(self.dkt_more, start=1):
            (folder / f"dkt_seed{k}.npz").write_bytes(weights.to_npz())
        if self.stack is not None:
            (folder / "stack.json").write_text(self.stack.to_json())
        if self.logistic is not None:
            lr = self.logistic
            arrays = {"skills": lr.skills, "coef": lr.coef, "intercept": np.array([lr.intercept])}
            if lr.problems is not None:
                arrays["problems"] = lr.problems
            np.savez(folder / "logistic.npz", window=np.array([lr.window]), **arrays)
        meta = {
            "format_version": FORMAT_VERSION if self.kind == "stack" else 1,
            "kind": self.kind,
            "dkt_more": len(self.dkt_more),
            "skills": list(self.vocab.skills),
            "items": list(self.vocab.items),
            "metrics": self.metrics,
            "note": self.note,
        }
        tmp = folder / "served.json.tmp"
        tmp.write_text(json.dumps(meta, indent=2))
        tmp.replace(folder / "served.json")

    @classmethod
    def load(cls, folder: Path) -> ServedMastery:
        """Read a model written by :meth:`save`."""
        meta = json.loads((folder / "served.json").read_text())
        if meta.get("format_version") not in READABLE_VERSIONS:
            raise ValueError(f"{folder}: unsupported mastery format {meta.get('format_version')}")
        logistic = None
        if (folder / "logistic.npz").is_file():
            with np.load(folder / "logistic.npz") as a:
                logistic = LogisticKt(
                    skills=a["skills"],
                    problems=a.get("problems", None),
                    coef=a["coef"],
                    intercept=float(a["intercept"][0]),
                    window=int(a["window"][0]),
                )
        dkt = None
        if (folder / "dkt.npz").is_file():
            dkt = DktWeights.from_npz((folder / "dkt.npz").read_bytes())
        dkt_more = tuple(
            DktWeights.from_npz((folder / f"dkt_seed{k}.npz").read_bytes())
            for k in range(1, int(meta.get("dkt_more", 0)) + 1)
        )
        stack = None
        if (folder / "stack.json").is_file():
            stack = StackWeights.from_json((folder / "stack.json").read_text())
        return cls(
            kind=meta["kind"],
            vocab=Vocabulary(tuple(meta["skills"]), tuple(meta["items"])),
            bkt=BktModel.from_json((folder / "bkt.json").read_text()),
            logistic=logistic,
            dkt=dkt,
            dkt_more=dkt_more,
            stack=stack,
            metrics=meta.get("metrics", {}),
            note=meta.get("note", ""),
        )


def fit_served(frame: pl.DataFrame, seed: int = 0, holdout_share: float = 0.2) -> ServedMastery:
    """Compare the kinds on held-out students, then fit the chosen one on everyone.

    The served kind is the best *validation* AUC (a tenth of the training students), as in
    :func:`ml_assets.mastery.evaluate.evaluate_sequences`; the held-out students' figures
    (``metrics``) are what the run reports. BKT is fitted on everyone in any case. When the
    stack wins, its members (logistic, ``DKT_SEEDS`` DKTs) are refitted on everyone and the
    stack keeps the weights it was fitted with on the validation students of the comparison
    (the usual stacking recipe: members refitted, combiner kept).
    """
    from ml_assets.mastery.dkt import DktConfig, fit_dkt
    from ml_assets.mastery.evaluate import evaluate_sequences
    from ml_assets.mastery.logistic import fit_logistic

    vocab = Vocabulary.of(frame)
    seqs = sequences_from_lake(frame, vocab)
    bkt = fit_bkt(bkt_frame(frame), seed=seed)
    if seqs.n_students < MIN_STUDENTS_TO_COMPARE:
        note = f"only {seqs.n_students} students with responses: BKT served without comparison"
        return ServedMastery("bkt", vocab, bkt, note=note)
    perm = np.random.default_rng(seed).permutation(seqs.n_students)
    n_test = max(2, int(seqs.n_students * holdout_share))
    test, train = seqs.subset(np.sort(perm[:n_test])), seqs.subset(np.sort(perm[n_test:]))
    try:
        metrics = evaluate_sequences(train, test, None, seed=seed)
    except ValueError as exc:  # e.g. a split with one label only: nothing to compare on
        return ServedMastery("bkt", vocab, bkt, note=f"BKT served without comparison: {exc}")
    kind = next(k for k, v in metrics.items() if v["served"])
    logistic = fit_logistic(seqs) if kind in ("logistic", "stack") else None
    n_dkt = {"dkt": 1, "stack": DKT_SEEDS}.get(kind, 0)
    dkts = [fit_dkt(seqs, None, DktConfig(seed=seed + k)).weights for k in range(n_dkt)]
    stack = None
    if kind == "stack":
        entry = metrics["stack"]
        stack = StackWeights(
            coef=tuple(float(entry["coef"][t]) for t in TERMS),
            intercept=float(entry["intercept"]),
        )
    return ServedMastery(
        kind,
        vocab,
        bkt,
        logistic=logistic,
        dkt=dkts[0] if dkts else None,
        dkt_more=tuple(dkts[1:]),
        stack=stack,
        metrics=metrics,
    )
