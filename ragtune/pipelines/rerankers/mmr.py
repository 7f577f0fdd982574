"""Maximal Marginal Relevance reranking over chunk embeddings.

Carbonell & Goldstein (1998), "The use of MMR, diversity-based reranking for reordering documents and
producing summaries", SIGIR, eq. 1: repeatedly select

    argmax over unselected D_i of  lambda * sim(D_i, Q) - (1 - lambda) * max over selected D_j of sim(D_i, D_j)

with cosine similarity. Without embeddings (a BM25-only pipeline) the candidates and the query are
vectorised with TF-IDF fitted on the candidates alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import numpy as np
from pydantic import Field

from ragtune.pipelines.analyzer import AnalyzerParams, analyze, count_matrix, vocabulary_of
from ragtune.pipelines.embedders.base import l2_normalise
from ragtune.pipelines.records import FloatArray, Hit
from ragtune.pipelines.stage import ParamStage, StageParams

__all__ = ["MMR", "MMRParams", "mmr_order", "tfidf_vectors"]

_TFIDF_OPTIONS = AnalyzerParams(stopwords="english")


class MMRParams(StageParams):
    lambda_: float = Field(default=0.7, ge=0.0, le=1.0)
    """Relevance weight: 1 ranks by similarity to the query alone, 0 by novelty alone."""


def tfidf_vectors(texts: Sequence[str]) -> FloatArray:
    """l2-normalised TF-IDF rows for ``texts``, idf ``ln((1 + n) / (1 + df)) + 1`` over ``texts`` themselves."""
    term_lists = [analyze(t, _TFIDF_OPTIONS) for t in texts]
    counts = count_matrix(term_lists, vocabulary_of(term_lists))
    df = np.bincount(counts.indices, minlength=counts.shape[1])
    idf = np.log((1.0 + len(texts)) / (1.0 + df)) + 1.0
    return l2_normalise(counts.multiply(idf[None, :]).toarray())


def mmr_order(query_sim: np.ndarray, pair_sim: np.ndarray, k: int, lambda_: float) -> list[tuple[int, float]]:
    """Greedy MMR selection: ``(candidate index, MMR score when selected)`` for ``k`` candidates.

    Ties go to the earlier candidate (the better-ranked one).
    """
    n = len(query_sim)
    chosen: list[tuple[int, float]] = []
    available = np.ones(n, dtype=bool)
    redundancy = np.full(n, -np.inf)
    for _ in range(min(k, n)):
        penalty = np.where(np.isfinite(redundancy), redundancy, 0.0)
        score = lambda_ * query_sim - (1.0 - lambda_) * penalty
        score = np.where(available, score, -np.inf)
        best = int(np.argmax(score))
        chosen.append((best, float(score[best])))
        available[best] = False
        redundancy = np.maximum(redundancy, pair_sim[best])
    return chosen


class MMR(ParamStage[MMRParams]):
    """Diversify the top ``k``: trade similarity to the query against similarity to chunks already chosen."""

    kind: ClassVar[str] = "mmr"
    version: ClassVar[str] = "1"
    Params: ClassVar[type[StageParams]] = MMRParams

    def __init__(self, lambda_: float = 0.7) -> None:
        super().__init__(lambda_=lambda_)

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
        if vectors is None or query_vector is None:
            both = tfidf_vectors([query, *(h.chunk.text for h in hits)])
            query_vector, vectors = both[0], both[1:]
        docs = np.asarray(vectors, dtype=np.float64)
        q = np.asarray(query_vector, dtype=np.float64).ravel()
        order = mmr_order(docs @ q, docs @ docs.T, k, self.params.lambda_)
        return [
            Hit(hits[i].chunk, score, rank, hits[i].position)
            for rank, (i, score) in enumerate(order, start=1)
        ]
