"""Deep Knowledge Tracing (DKT, Piech et al. 2015) trained with torch on CPU, served with numpy.

Each response is a token (skill, correct); an embedding (equivalent to DKT's one-hot input times
a weight matrix) feeds an LSTM, whose hidden state after response t gives, through a linear layer
and a sigmoid, P(correct) of the next response on every skill. The loss is the binary
cross-entropy of the next response's own skill only. Training sequences are cut into windows of
``window`` responses that overlap by half (each response is learnt once, in the window where it
has the most history before it); prediction runs over each student's whole sequence.

Torch is imported inside functions only: importing this module, loading the exported weights
(:class:`DktWeights`) and predicting with numpy (:meth:`DktWeights.predict_next`,
:meth:`DktWeights.predict_sequences`) need no torch.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from ml_assets.mastery.bkt import roc_auc
from ml_assets.mastery.kt_data import KtSequences

if TYPE_CHECKING:
    import torch

__all__ = ["DktConfig", "DktModel", "DktWeights", "fit_dkt"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class DktConfig:
    """Training settings.

    Attributes:
        hidden: LSTM hidden size (also the embedding size).
        window: Training sequences are cut into windows of this many responses.
        batch_size: Windows per batch (batches group windows of similar length).
        lr: Adam learning rate.
        dropout: Dropout on the LSTM output during training.
        max_epochs: Epochs at most.
        patience: Stop after this many epochs without a better validation AUC.
        seed: Seeds torch and the batch order.
        stride: Training windows start every ``stride`` responses (None: half a window), and a
            later window scores only the responses the one before it did not: every response
            is learnt once, with at least ``window - stride`` responses before it in its window
            (or all of its student's history), closer to prediction, which runs over the whole
            sequence. ``stride = window`` gives disjoint windows, as the reproductions.
    """

    hidden: int = 128
    window: int = 200
    batch_size: int = 128
    lr: float = 2e-3
    dropout: float = 0.2
    max_epochs: int = 15
    patience: int = 2
    seed: int = 0
    stride: int | None = None


@dataclass(frozen=True)
class DktWeights:
    """DKT weights as numpy arrays (float32), with a numpy forward pass.

    Skill ``skills[j]`` is model index ``j + 1``; index 0 stands for a skill not seen in
    training. The token of a response on index ``s`` is ``1 + 2 * s + correct`` (0 is padding).

    Attributes:
        skills: Sorted skill ids seen in training.
        embedding: ``(2 * (K + 1) + 1, E)`` token embeddings.
        w_ih, w_hh, b_ih, b_hh: LSTM weights in torch's layout (gates i, f, g, o).
        w_out, b_out: ``(K + 1, H)`` and ``(K + 1,)``: hidden state to per-skill logits.
        problems: Sorted problem ids seen in training (empty when training had none).
        problem_bias: ``(len(problems) + 1,)`` logit offset of each problem (its ease relative
            to its skill); entry 0, for no or an unseen problem, stays 0.
    """

    skills: IntArray
    embedding: npt.NDArray[np.float32]
    w_ih: npt.NDArray[np.float32]
    w_hh: npt.NDArray[np.float32]
    b_ih: npt.NDArray[np.float32]
    b_hh: npt.NDArray[np.float32]
    w_out: npt.NDArray[np.float32]
    b_out: npt.NDArray[np.float32]
    problems: IntArray
    problem_bias: npt.NDArray[np.float32]

    @property
    def hidden(self) -> int:
        """LSTM hidden size."""
        return int(self.w_hh.shape[1])

    def problem_index(self, problem_ids: npt.ArrayLike | None, size: int) -> IntArray:
        """Index of each problem id into :attr:`problem_bias` (0: none or not seen)."""
        if problem_ids is None or self.problems.size == 0:
            return np.zeros(size, dtype=np.int64)
        ids = np.asarray(problem_ids, dtype=np.int64)
        pos = np.clip(np.searchsorted(self.problems, ids), 0, self.problems.size - 1)
        return np.where(self.problems[pos] == ids, pos + 1, 0).astype(np.int64)

    def skill_index(self, skill_ids: npt.ArrayLike) -> IntArray:
        """Model index of each skill id (0 for a skill not seen in training)."""
        ids = np.asarray(skill_ids, dtype=np.int64)
        if self.skills.size == 0:
            return np.zeros(ids.shape, dtype=np.int64)
        pos = np.clip(np.searchsorted(self.skills, ids), 0, self.skills.size - 1)
        return np.where(self.skills[pos] == ids, pos + 1, 0).astype(np.int64)

    def predict_next(self, history: list[tuple[int, int]] | list[tuple[int, bool]]) -> FloatArray:
        """P(correct) of the next response on each skill of :attr:`skills`, after ``history``.

        Args:
            history: ``(skill_id, correct)`` pairs, oldest first. An empty history gives the
                output of the zero state (the model never trains on it: treat it as a rough prior).

        The probabilities are for a problem of average ease on each skill (problem offset 0).
        """
        h = np.zeros(self.hidden)
        c = np.zeros(self.hidden)
        if history:
            skill_ids, correct = zip(*history, strict=True)
            tokens = self._tokens(np.asarray(skill_ids), np.asarray(correct, dtype=np.int64))
            for token in tokens.tolist():
                h, c = self._step(self.embedding[token].astype(np.float64), h, c)
        logits = self.w_out.astype(np.float64) @ h + self.b_out
        return _sigmoid(logits[1:])

    def predict_sequences(self, seqs: KtSequences) -> FloatArray:
        """P(correct) of every response of ``seqs`` from the same student's earlier responses.

        A student's first response gets the zero-state output (see :meth:`predict_next`).
        Runs all students at once, one time step at a time (numpy, no torch).
        """
        out = np.empty(seqs.n_responses)
        lengths = seqs.lengths
        order = np.argsort(-lengths, kind="stable")
        starts = seqs.offsets[:-1][order]
        desc = lengths[order]
        index = self.skill_index(seqs.skill)
        tokens = self._tokens(seqs.skill, seqs.correct.astype(np.int64))
        bias = self.problem_bias.astype(np.float64)[
            self.problem_index(seqs.problem, seqs.n_responses)
        ]
        h = np.zeros((order.size, self.hidden))
        c = np.zeros((order.size, self.hidden))
        w_out = self.w_out.astype(np.float64)
        for t in range(int(desc[0]) if desc.size else 0):
            k = int(np.count_nonzero(desc > t))  # students longer than t come first
            rows = starts[:k] + t
            logits = np.einsum("bh,bh->b", h[:k], w_out[index[rows]]) + self.b_out[index[rows]]
            logits += bias[rows]
            out[rows] = _sigmoid(logits)
            h[:k], c[:k] = self._step(self.embedding[tokens[rows]].astype(np.float64), h[:k], c[:k])
        return out

    def to_npz(self) -> bytes:
        """The weights as the bytes of an ``.npz`` file."""
        buffer = io.BytesIO()
        np.savez(buffer, **{name: getattr(self, name) for name in _FIELDS})
        return buffer.getvalue()

    @classmethod
    def from_npz(cls, data: bytes) -> DktWeights:
        """Load weights written by :meth:`to_npz`.

        Raises:
            ValueError: A field is missing.
        """
        with np.load(io.BytesIO(data)) as arrays:
            missing = [name for name in _FIELDS if name not in arrays]
            if missing:
                raise ValueError(f"not DKT weights: missing {missing}")
            return cls(**{name: arrays[name] for name in _FIELDS})

    def _tokens(self, skill_ids: IntArray, correct: IntArray) -> IntArray:
        return 1 + 2 * self.skill_index(skill_ids) + correct

    def _step(self, x: FloatArray, h: FloatArray, c: FloatArray) -> tuple[FloatArray, FloatArray]:
        gates = x @ self.w_ih.T.astype(np.float64) + h @ self.w_hh.T.astype(np.float64)
        gates = gates + self.b_ih + self.b_hh
        i, f, g, o = np.split(gates, 4, axis=-1)
        c = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
        h = _sigmoid(o) * np.tanh(c)
        return h, c


_FIELDS = (
    "skills",
    "embedding",
    "w_ih",
    "w_hh",
    "b_ih",
    "b_hh",
    "w_out",
    "b_out",
    "problems",
    "problem_bias",
)


@dataclass
class DktModel:
    """A trained DKT model.

    Attributes:
        weights: The exported weights (numpy).
        config: The training settings.
        epochs: Epochs run.
        best_epoch: The epoch whose weights were kept (best validation AUC).
        valid_auc: Validation AUC of each epoch.
    """

    weights: DktWeights
    config: DktConfig
    epochs: int
    best_epoch: int
    valid_auc: list[float] = field(default_factory=list)

    def predict(self, seqs: KtSequences) -> FloatArray:
        """P(correct) of every response of ``seqs`` from the student's past only (torch, fast)."""
        import torch

        torch.set_num_threads(2)
        net = _build_net(self.weights)
        return _predict(net, self.weights, seqs, batch_size=256)


def fit_dkt(
    train: KtSequences, valid: KtSequences | None = None, config: DktConfig | None = None
) -> DktModel:
    """Train DKT with Adam, keeping the weights of the epoch with the best validation AUC.

    Args:
        train: Training sequences.
        valid: Sequences for early stopping (AUC of every response after each student's
            first). When None, a seeded 10% of the training students is held out for it.
        config: Settings; defaults when None.

    Raises:
        ValueError: Too few responses to train or validate on.
    """
    import torch

    config = config or DktConfig()
    torch.manual_seed(config.seed)
    torch.set_num_threads(2)
    rng = np.random.default_rng(config.seed)
    if valid is None:
        if train.n_students < 10:
            raise ValueError(f"{train.source}: too few students to hold out a validation set")
        perm = rng.permutation(train.n_students)
        n_valid = max(1, train.n_students // 10)
        valid, train = train.subset(np.sort(perm[:n_valid])), train.subset(np.sort(perm[n_valid:]))
    skills = np.unique(train.skill)
    if skills.size == 0:
        raise ValueError(f"{train.source}: no responses to train on")
    problems = np.unique(train.problem) if train.problem is not None else np.empty(0, np.int64)
    weights = _init_weights(skills, problems, config)
    net = _build_net(weights)
    batches = _train_batches(train, weights, config)
    if not batches:
        raise ValueError(f"{train.source}: no sequence has two responses to learn from")
    valid_mask = valid.position > 0
    y_valid = valid.correct[valid_mask]

    optimizer = torch.optim.Adam(net.parameters(), lr=config.lr)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    best_auc, best_epoch, best_state = -1.0, 0, None
    history: list[float] = []
    epoch = 0
    for epoch in range(1, config.max_epochs + 1):
        net.train()
        for b in rng.permutation(len(batches)).tolist():
            tokens, targets, problem, labels, mask = batches[b]
            optimizer.zero_grad()
            logits = net(tokens, dropout=config.dropout)
            picked = logits.gather(2, targets.unsqueeze(2)).squeeze(2)
            picked = picked + net.problem_bias(problem).squeeze(2)
            loss = loss_fn(picked[mask], labels[mask])
            loss.backward()
            torch.nn.utils.clip_grad_norm_(net.parameters(), 10.0)
            optimizer.step()
        auc = roc_auc(y_valid, _predict(net, weights, valid, 256)[valid_mask])
        history.append(auc)
        if auc > best_auc:
            best_auc, best_epoch = auc, epoch
            best_state = {k: v.detach().clone() for k, v in net.state_dict().items()}
        elif epoch - best_epoch >= config.patience:
            break
    assert best_state is not None
    net.load_state_dict(best_state)
    return DktModel(
        weights=_export(net, skills, problems),
        config=config,
        epochs=epoch,
        best_epoch=best_epoch,
        valid_auc=history,
    )


# --- torch internals --------------------------------------------------------------------------


def _build_net(weights: DktWeights) -> Any:
    """A torch module holding ``weights`` (float32)."""
    import torch

    class _Net(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            n_tokens, emb = weights.embedding.shape
            self.embedding = torch.nn.Embedding(n_tokens, emb, padding_idx=0)
            self.lstm = torch.nn.LSTM(emb, weights.hidden, batch_first=True)
            self.out = torch.nn.Linear(weights.hidden, weights.w_out.shape[0])
            self.problem_bias = torch.nn.Embedding(weights.problem_bias.size, 1, padding_idx=0)

        def forward(self, tokens: torch.Tensor, dropout: float = 0.0) -> torch.Tensor:
            """Logits (batch, time, K + 1) of the response after each position."""
            hidden, _ = self.lstm(self.embedding(tokens))
            if dropout and self.training:
                hidden = torch.nn.functional.dropout(hidden, dropout)
            return self.out(hidden)

    net = _Net()
    state = {
        "embedding.weight": weights.embedding,
        "lstm.weight_ih_l0": weights.w_ih,
        "lstm.weight_hh_l0": weights.w_hh,
        "lstm.bias_ih_l0": weights.b_ih,
        "lstm.bias_hh_l0": weights.b_hh,
        "out.weight": weights.w_out,
        "out.bias": weights.b_out,
        "problem_bias.weight": weights.problem_bias[:, None],
    }
    net.load_state_dict({k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in state.items()})
    return net


def _init_weights(skills: IntArray, problems: IntArray, config: DktConfig) -> DktWeights:
    """Torch's default initialisation (drawn under the seeded torch generator), as numpy."""
    import torch

    n_index = skills.size + 1
    emb = torch.nn.Embedding(2 * n_index + 1, config.hidden, padding_idx=0)
    lstm = torch.nn.LSTM(config.hidden, config.hidden, batch_first=True)
    out = torch.nn.Linear(config.hidden, n_index)
    with torch.no_grad():
        emb.weight.mul_(0.1)  # unit-variance embeddings saturate the gates at the start

    def arr(t: torch.Tensor) -> npt.NDArray[np.float32]:
        return t.detach().numpy().astype(np.float32).copy()

    return DktWeights(
        skills=skills,
        embedding=arr(emb.weight),
        w_ih=arr(lstm.weight_ih_l0),
        w_hh=arr(lstm.weight_hh_l0),
        b_ih=arr(lstm.bias_ih_l0),
        b_hh=arr(lstm.bias_hh_l0),
        w_out=arr(out.weight),
        b_out=arr(out.bias),
        problems=problems,
        problem_bias=np.zeros(problems.size + 1, dtype=np.float32),
    )


def _export(net: Any, skills: IntArray, problems: IntArray) -> DktWeights:
    state = {k: v.detach().numpy().astype(np.float32).copy() for k, v in net.state_dict().items()}
    return DktWeights(
        skills=skills,
        embedding=state["embedding.weight"],
        w_ih=state["lstm.weight_ih_l0"],
        w_hh=state["lstm.weight_hh_l0"],
        b_ih=state["lstm.bias_ih_l0"],
        b_hh=state["lstm.bias_hh_l0"],
        w_out=state["out.weight"],
        b_out=state["out.bias"],
        problems=problems,
        problem_bias=state["problem_bias.weight"][:, 0].copy(),
    )


def _train_batches(
    seqs: KtSequences, weights: DktWeights, config: DktConfig
) -> list[tuple[Any, Any, Any, Any]]:
    """Padded tensors (tokens, next skill index, next problem index, next label, mask) of
    windows of similar length."""
    import torch

    tokens = weights._tokens(seqs.skill, seqs.correct.astype(np.int64))
    index = weights.skill_index(seqs.skill)
    problem = weights.problem_index(seqs.problem, seqs.n_responses)
    starts: list[int] = []
    lengths: list[int] = []
    skips: list[int] = []
    step = min(config.stride or max(config.window // 2, 1), config.window)
    for start, length in zip(seqs.offsets[:-1].tolist(), seqs.lengths.tolist(), strict=True):
        offset = 0
        while True:
            size = min(config.window, length - offset)
            if size >= 2:
                starts.append(start + offset)
                lengths.append(size)
                # A later window scores only the responses the one before it did not reach.
                skips.append(0 if offset == 0 else max(config.window - step - 1, 0))
            if offset + size >= length:
                break
            offset += step
    order = np.argsort(np.asarray(lengths), kind="stable")
    batches = []
    for b in range(0, order.size, config.batch_size):
        chosen = order[b : b + config.batch_size]
        width = max(lengths[i] for i in chosen) - 1
        tok = np.zeros((chosen.size, width), dtype=np.int64)
        tgt = np.zeros((chosen.size, width), dtype=np.int64)
        prob = np.zeros((chosen.size, width), dtype=np.int64)
        lab = np.zeros((chosen.size, width), dtype=np.float32)
        mask = np.zeros((chosen.size, width), dtype=bool)
        for r, i in enumerate(chosen.tolist()):
            s, n = starts[i], lengths[i]
            tok[r, : n - 1] = tokens[s : s + n - 1]
            tgt[r, : n - 1] = index[s + 1 : s + n]
            prob[r, : n - 1] = problem[s + 1 : s + n]
            lab[r, : n - 1] = seqs.correct[s + 1 : s + n]
            mask[r, skips[i] : n - 1] = True
        batches.append(
            (
                torch.from_numpy(tok),
                torch.from_numpy(tgt),
                torch.from_numpy(prob),
                torch.from_numpy(lab),
                torch.from_numpy(mask),
            )
        )
    return batches


def _predict(net: Any, weights: DktWeights, seqs: KtSequences, batch_size: int) -> FloatArray:
    """P(correct) of every response over each whole sequence; the first gets the zero state."""
    import torch

    net.eval()
    tokens = weights._tokens(seqs.skill, seqs.correct.astype(np.int64))
    index = weights.skill_index(seqs.skill)
    bias = (
        net.problem_bias.weight.detach()
        .numpy()[:, 0]
        .astype(np.float64)[weights.problem_index(seqs.problem, seqs.n_responses)]
    )
    out = np.empty(seqs.n_responses)
    lengths = seqs.lengths
    order = np.argsort(lengths, kind="stable")
    first_logits = None
    with torch.no_grad():
        zero = torch.zeros(weights.hidden)
        first_logits = net.out(zero).numpy().astype(np.float64)
        for b in range(0, order.size, batch_size):
            chosen = order[b : b + batch_size]
            width = int(lengths[chosen].max())
            tok = np.zeros((chosen.size, width), dtype=np.int64)
            for r, i in enumerate(chosen.tolist()):
                s, n = int(seqs.offsets[i]), int(lengths[i])
                tok[r, :n] = tokens[s : s + n]
            logits = net(torch.from_numpy(tok)).numpy().astype(np.float64)
            for r, i in enumerate(chosen.tolist()):
                s, n = int(seqs.offsets[i]), int(lengths[i])
                out[s] = _sigmoid(first_logits[index[s]] + bias[s])
                if n > 1:
                    nxt = index[s + 1 : s + n]
                    z = logits[r, np.arange(n - 1), nxt] + bias[s + 1 : s + n]
                    out[s + 1 : s + n] = _sigmoid(z)
    return out


def _sigmoid(z: Any) -> Any:
    return 1.0 / (1.0 + np.exp(-z))
