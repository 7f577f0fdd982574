"""Hybrid retrieval: BM25 and dense scores fused by reciprocal rank fusion or a convex combination.

With ``w`` the dense weight:

* ``rrf`` (Cormack, Clarke & Büttcher 2009, "Reciprocal rank fusion outperforms Condorcet and individual
  rank learning methods", SIGIR): ``2w / (rrf_k + rank_dense) + 2(1 - w) / (rrf_k + rank_bm25)`` with
  1-based ranks within each list's top ``depth`` (BM25 lists only chunks that share a query term); a
  chunk missing from a list gets nothing from it. ``w = 0.5`` gives the plain RRF score.
* ``convex``: ``w * mm(dense) + (1 - w) * mm(bm25)`` over each list's top ``depth``, where ``mm`` maps
  a list's scores linearly onto [0, 1] by the list's own max (-> 1) and its ``depth``-th score (-> 0),
  and a chunk missing from a list gets 0 from it (convex combination of min-max normalised scores,
  Bruch, Gai & Ingber 2023, "An Analysis of Fusion Functions for Hybrid Retrieval", ACM TOIS, eq. 2).
  Normalising over the retrieved list rather than the whole corpus keeps the scale set by the
  competitors that matter: the corpus minimum (0 for BM25, the worst cosine for dense) depends on the
  corpus and squeezes the top of one list into a sliver while the other keeps its full range. A list
  whose scores are all equal gives each of its chunks 1.
* ``weighted``: ``w * minmax(dense) + (1 - w) * minmax(bm25)``, each score vector min-max normalised
  over all chunks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import Field

from ragtune.exceptions import ConfigError
from ragtune.pipelines.artifacts import Artifacts
from ragtune.pipelines.ranking import min_max, top_k
from ragtune.pipelines.records import Chunk, FloatArray, IntArray
from ragtune.pipelines.retrievers.bm25 import BM25, BM25Params, BM25Searcher, build_counts
from ragtune.pipelines.retrievers.dense import DenseSearcher
from ragtune.pipelines.stage import ParamStage, StageParams, validate_params

__all__ = ["Fusion", "Hybrid", "HybridParams", "HybridSearcher", "convex_scores", "rrf_scores"]

Fusion = Literal["rrf", "convex", "weighted"]


class HybridParams(StageParams):
    fusion: Fusion = "rrf"
    """How BM25 and dense results are combined."""
    weight: float = Field(default=0.5, ge=0.0, le=1.0)
    """Weight of the dense side (1 - weight goes to BM25)."""
    rrf_k: float = Field(default=60.0, gt=0.0)
    """RRF's rank offset."""
    depth: int = Field(default=100, gt=0)
    """RRF and convex: how many results of each list take part (at least the pipeline's k)."""
    bm25: BM25Params = BM25Params()
    """The BM25 side's parameters."""


def rrf_scores(
    n: int, rankings: Sequence[np.ndarray], weights: Sequence[float], rrf_k: float
) -> tuple[np.ndarray, np.ndarray]:
    """Weighted RRF over ``rankings`` (chunk positions, best first): scores of all ``n`` and the fused pool.

    The pool holds the chunks of every ranking with a positive weight.
    """
    fused = np.zeros(n, dtype=np.float64)
    for ranking, weight in zip(rankings, weights, strict=True):
        ranks = np.arange(1, len(ranking) + 1, dtype=np.float64)
        fused[np.asarray(ranking, dtype=np.int64)] += weight / (rrf_k + ranks)
    counted = (np.asarray(r, np.int64) for r, w in zip(rankings, weights, strict=True) if w > 0)
    pool = np.unique(np.concatenate([np.zeros(0, np.int64), *counted]))
    return fused, pool


def convex_scores(
    n: int, lists: Sequence[tuple[np.ndarray, np.ndarray]], weights: Sequence[float]
) -> tuple[np.ndarray, np.ndarray]:
    """Convex fusion of min-max normalised ``lists`` of (positions, scores), best first: scores of all
    ``n`` chunks and the fused pool (the chunks of every list with a positive weight).

    Each list is normalised over its own scores: its best maps to 1, its last to 0 (all 1 when equal).
    """
    fused = np.zeros(n, dtype=np.float64)
    pool: list[np.ndarray] = [np.zeros(0, np.int64)]
    for (positions, scores), weight in zip(lists, weights, strict=True):
        positions = np.asarray(positions, dtype=np.int64)
        if len(positions) == 0:
            continue
        values = np.asarray(scores, dtype=np.float64)
        low, high = float(values.min()), float(values.max())
        scaled = (values - low) / (high - low) if high > low else np.ones_like(values)
        fused[positions] += weight * scaled
        if weight > 0:
            pool.append(positions)
    return fused, np.unique(np.concatenate(pool))


class HybridSearcher:
    def __init__(self, sparse: BM25Searcher, dense: DenseSearcher, params: HybridParams) -> None:
        self.sparse, self.dense, self.params = sparse, dense, params

    def search(self, query: str, query_vector: FloatArray | None, k: int) -> tuple[IntArray, FloatArray]:
        p = self.params
        sparse = self.sparse.scores(query)
        dense = np.asarray(self.dense.scores(query_vector), dtype=np.float64)
        if p.fusion == "weighted":
            return top_k(p.weight * min_max(dense) + (1.0 - p.weight) * min_max(sparse), k)
        depth = max(p.depth, k)
        dense_top, dense_scores = top_k(dense, depth)
        sparse_top, sparse_scores = top_k(sparse, depth, candidates=np.flatnonzero(sparse > 0))
        if p.fusion == "convex":
            fused, pool = convex_scores(
                len(dense),
                [(dense_top, dense_scores), (sparse_top, sparse_scores)],
                [p.weight, 1.0 - p.weight],
            )
            return top_k(fused, k, candidates=pool)
        fused, pool = rrf_scores(
            len(dense), [dense_top, sparse_top], [2.0 * p.weight, 2.0 * (1.0 - p.weight)], p.rrf_k
        )
        return top_k(fused, k, candidates=pool)


class Hybrid(ParamStage[HybridParams]):
    """BM25 + dense retrieval fused by ``rrf``, ``convex`` or ``weighted`` (formulas: module docstring).

    ``bm25`` takes a :class:`BM25` stage or its params for the sparse side; the pipeline's embedder
    provides the dense side.
    """

    kind: ClassVar[str] = "hybrid"
    version: ClassVar[str] = "1"
    Params: ClassVar[type[StageParams]] = HybridParams
    needs_vectors: ClassVar[bool] = True

    def __init__(
        self,
        fusion: Fusion = "rrf",
        weight: float = 0.5,
        rrf_k: float = 60.0,
        *,
        depth: int = 100,
        bm25: BM25 | BM25Params | Mapping[str, Any] | None = None,
    ) -> None:
        sparse: BM25Params
        if bm25 is None:
            sparse = BM25Params()
        elif isinstance(bm25, BM25Params):
            sparse = bm25
        elif isinstance(bm25, BM25):
            sparse = bm25.params
        elif isinstance(bm25, Mapping):
            sparse = validate_params("Hybrid", BM25Params, bm25)
        else:
            raise ConfigError(
                f"Hybrid: bm25 must be a BM25 stage, BM25Params or a mapping, but got bm25={bm25!r}"
            )
        super().__init__(fusion=fusion, weight=weight, rrf_k=rrf_k, depth=depth, bm25=sparse)

    def index_params(self) -> Mapping[str, object]:
        return {"bm25": self.params.bm25.analyzer_options()}

    def build(self, chunks: Sequence[Chunk], vectors: FloatArray | None) -> Artifacts:
        return build_counts(chunks, self.params.bm25)

    def open(
        self, artifacts: Artifacts, chunks: Sequence[Chunk], vectors: FloatArray | None
    ) -> HybridSearcher:
        sparse = BM25Searcher(artifacts["counts"], artifacts["vocabulary"], self.params.bm25)
        return HybridSearcher(sparse, DenseSearcher(vectors), self.params)
