"""The reranker protocol: reorder retrieved candidates and keep the best ``k``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from ragtune.pipelines.records import FloatArray, Hit
from ragtune.pipelines.stage import Stage

__all__ = ["Reranker"]


@runtime_checkable
class Reranker(Stage, Protocol):
    """Reorders ``hits`` (the retrieved candidates, best first) and returns at most ``k`` of them.

    ``vectors`` holds the candidates' embeddings (row ``i`` for ``hits[i]``) and ``query_vector`` the
    query's, when the pipeline has an embedder; both are None otherwise. Returned hits carry the
    reranker's scores and new 1-based ranks.
    """

    def rerank(
        self,
        query: str,
        hits: Sequence[Hit],
        k: int,
        *,
        vectors: FloatArray | None = None,
        query_vector: FloatArray | None = None,
    ) -> list[Hit]: ...
