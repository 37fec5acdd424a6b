"""Shared text utilities: offline sentence embeddings (:mod:`ml_assets.text.embed`).

Used by the forum classifiers and meant for reuse by other text features (tutor retrieval,
recommender). Nothing here downloads anything: the encoder ships inside a Python package.
"""
