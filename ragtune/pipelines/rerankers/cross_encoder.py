"""Cross-encoder reranking with a sentence-transformers ``CrossEncoder`` loaded from a local folder."""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from pydantic import Field

from ragtune.exceptions import ConfigError, MissingDependencyError, StageError
from ragtune.pipelines.records import FloatArray, Hit
from ragtune.pipelines.stage import ParamStage, StageParams

__all__ = ["CrossEncoderParams", "CrossEncoderReranker"]

INSTALL_HINT = "pip install 'ragtune[embeddings]'"


class CrossEncoderParams(StageParams):
    model_path: str
    """Local folder of the cross-encoder model (nothing is downloaded)."""
    batch_size: int = Field(default=32, gt=0)
    """Query-passage pairs per forward pass."""


def _require_sentence_transformers() -> None:
    if importlib.util.find_spec("sentence_transformers") is None:
        raise MissingDependencyError(
            f"CrossEncoderReranker: needs the sentence-transformers package; {INSTALL_HINT}"
        )


class CrossEncoderReranker(ParamStage[CrossEncoderParams]):
    """Scores each (query, chunk) pair with a cross-encoder and keeps the ``k`` best.

    The model loads on the first :meth:`rerank`; ``device`` is not a parameter because it does not
    change the scores.
    """

    kind: ClassVar[str] = "cross-encoder"
    version: ClassVar[str] = "1"
    Params: ClassVar[type[StageParams]] = CrossEncoderParams

    def __init__(self, model_path: str | Path, *, batch_size: int = 32, device: str = "cpu") -> None:
        _require_sentence_transformers()
        if not Path(model_path).is_dir():
            raise ConfigError(
                f"CrossEncoderReranker: model_path must be an existing local folder, but got model_path={str(model_path)!r}"
            )
        super().__init__(model_path=str(Path(model_path).resolve()), batch_size=batch_size)
        self.device = device
        self._model: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                try:
                    from sentence_transformers import CrossEncoder
                except ImportError as e:
                    raise MissingDependencyError(
                        f"CrossEncoderReranker: cannot import sentence_transformers ({e}); {INSTALL_HINT}"
                    ) from e
                try:
                    self._model = CrossEncoder(self.params.model_path, device=self.device)
                except Exception as e:
                    raise StageError(
                        f"CrossEncoderReranker: cannot load {self.params.model_path}: {e}"
                    ) from e
            return self._model

    def rerank(
        self,
        query: str,
        hits: Sequence[Hit],
        k: int,
        *,
        vectors: FloatArray | None = None,
        query_vector: FloatArray | None = None,
    ) -> list[Hit]:
        if not hits:
            return []
        model = self._load()
        pairs = [(query, h.chunk.text) for h in hits]
        scores = np.asarray(model.predict(pairs, batch_size=self.params.batch_size), dtype=np.float64).ravel()
        order = np.lexsort((np.arange(len(hits)), -scores))[:k]
        return [
            Hit(hits[i].chunk, float(scores[i]), rank, hits[i].position)
            for rank, i in enumerate(order, start=1)
        ]
