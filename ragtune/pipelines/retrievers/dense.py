"""Dense retrieval: exact top-k by inner product over l2-normalised vectors (cosine similarity)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import numpy as np

from ragtune.exceptions import StageError
from ragtune.pipelines.artifacts import Artifacts
from ragtune.pipelines.ranking import top_k
from ragtune.pipelines.records import Chunk, FloatArray, IntArray
from ragtune.pipelines.stage import ParamStage, StageParams

__all__ = ["Dense", "DenseParams", "DenseSearcher"]


class DenseParams(StageParams):
    """Dense retrieval has no parameters: the embedder decides the vectors."""


class DenseSearcher:
    """Brute-force inner product against the chunk matrix, top-k with ``argpartition``."""

    def __init__(self, vectors: FloatArray | None) -> None:
        if vectors is None:
            raise StageError(
                "Dense: needs chunk vectors, but got vectors=None (give the pipeline an embedder)"
            )
        self.vectors = np.ascontiguousarray(vectors, dtype=np.float32)

    def scores(self, query_vector: FloatArray | None) -> np.ndarray:
        """Cosine similarity of every chunk to the query (float32, shape ``(n,)``)."""
        if query_vector is None:
            raise StageError("Dense: needs a query vector, but got query_vector=None")
        if len(self.vectors) == 0:
            return np.zeros(0, dtype=np.float32)
        return np.asarray(self.vectors @ np.asarray(query_vector, dtype=np.float32).ravel())

    def search(self, query: str, query_vector: FloatArray | None, k: int) -> tuple[IntArray, FloatArray]:
        return top_k(self.scores(query_vector), k)


class Dense(ParamStage[DenseParams]):
    """Exact nearest chunks by cosine similarity; the pipeline's embedder embeds chunks and queries."""

    kind: ClassVar[str] = "dense"
    version: ClassVar[str] = "1"
    Params: ClassVar[type[StageParams]] = DenseParams
    needs_vectors: ClassVar[bool] = True

    def __init__(self) -> None:
        super().__init__()

    def build(self, chunks: Sequence[Chunk], vectors: FloatArray | None) -> Artifacts:
        return {}  # the vectors are the index, and they are cached per text already

    def open(
        self, artifacts: Artifacts, chunks: Sequence[Chunk], vectors: FloatArray | None
    ) -> DenseSearcher:
        return DenseSearcher(vectors)
