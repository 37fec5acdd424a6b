"""The forum-urgency model as the forum routes use it: a callable from post text to urgency.

The model is the folder the ``forum_urgency_model`` asset copied from the MLflow registry
(``<lake>/models/forum_urgency``). It embeds posts with MiniLM, so loading costs 10-20 s
(torch): :meth:`UrgencyScorer.warm` loads it in the background at start-up, and only the first
new post waits if it has not finished.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

log = logging.getLogger("learnsmart.api.urgency")


class UrgencyScorer:
    """Urgency of a post on the 1-7 scale, and whether it is urgent (:meth:`assess`)."""

    def __init__(self, lake: Path) -> None:
        self.folder = Path(lake) / "models" / "forum_urgency"
        self._model: Any = None
        self._lock = threading.Lock()

    def available(self) -> bool:
        """Whether a trained model is in the lake."""
        return (self.folder / "model.json").is_file()

    def _load(self) -> Any:
        if self._model is None:
            with self._lock:
                if self._model is None:
                    from ml_assets.forum.urgency import UrgencyModel

                    self._model = UrgencyModel.load(self.folder)
        return self._model

    @property
    def threshold(self) -> float:
        """The model's urgent probability from which a post counts as urgent (chosen for F1 in
        training)."""
        return float(self._load().threshold)

    def __call__(self, text: str) -> float:
        return float(self._load().score([text])[0])

    def assess(self, text: str) -> tuple[float, bool]:
        """(urgency on the 1-7 scale, whether the post is urgent) in one pass of the model."""
        model = self._load()
        score, probability = model.score_and_probability([text])
        return float(score[0]), bool(probability[0] >= model.threshold)

    def warm(self) -> None:
        """Load the model and the encoder in the background."""

        def load() -> None:
            try:
                self("warm-up")
            except Exception:  # the first post retries and reports the error
                log.exception("urgency model warm-up failed")

        threading.Thread(target=load, name="urgency-warm-up", daemon=True).start()
