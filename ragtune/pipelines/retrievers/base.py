"""The retriever protocol: build a cacheable index from chunks (and vectors), open it, search it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from ragtune.pipelines.artifacts import Artifacts
from ragtune.pipelines.records import Chunk, FloatArray, IntArray
from ragtune.pipelines.stage import Stage

__all__ = ["Retriever", "Searcher"]


@runtime_checkable
class Searcher(Protocol):
    """An opened index: ``search`` returns chunk positions and scores, best first, at most ``k``."""

    def search(self, query: str, query_vector: FloatArray | None, k: int) -> tuple[IntArray, FloatArray]: ...


@runtime_checkable
class Retriever(Stage, Protocol):
    """Index-time ``build`` (its artifacts go through the cache) and query-time ``open`` + ``search``.

    ``build`` returns arrays / sparse matrices / JSON (cacheable without pickle). ``needs_vectors`` says
    whether the pipeline must embed chunks and queries for it. A retriever may also define
    ``index_params() -> Mapping`` naming just the params its built index depends on (BM25's index does
    not depend on k1 and b); otherwise all params key the index.
    """

    @property
    def needs_vectors(self) -> bool: ...

    def build(self, chunks: Sequence[Chunk], vectors: FloatArray | None) -> Artifacts: ...

    def open(self, artifacts: Artifacts, chunks: Sequence[Chunk], vectors: FloatArray | None) -> Searcher: ...
