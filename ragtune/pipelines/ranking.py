"""Ranking arithmetic: deterministic top-k, min-max normalisation, and mapping chunk hits to documents."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np

from ragtune.pipelines.records import FloatArray, Hit, IntArray

__all__ = ["DocAggregation", "aggregate_docs", "min_max", "top_k"]

DocAggregation = Literal["max", "sum"]


def top_k(scores: np.ndarray, k: int, *, candidates: np.ndarray | None = None) -> tuple[IntArray, FloatArray]:
    """Positions and scores of the ``k`` highest ``scores`` (among ``candidates`` if given), best first.

    The ranking is total and deterministic: score descending, then position ascending (NaN scores rank
    last). Ties at the cut are resolved the same way, so ``top_k(s, k)`` is always the first ``k`` of
    ``top_k(s, K)`` for any ``K >= k``: a cached deeper retrieval sliced to ``k`` equals a fresh one.
    ``argpartition`` keeps the cost linear in the number of scores.
    """
    pool = np.arange(len(scores), dtype=np.int64) if candidates is None else np.asarray(candidates, np.int64)
    if k <= 0 or len(pool) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    values = np.asarray(scores, dtype=np.float64)[pool]
    if k < len(pool):
        # argpartition's choice among scores equal to the k-th is arbitrary: keep every score above
        # the k-th, then fill with the tied ones at the lowest positions.
        keys = np.where(np.isnan(values), -np.inf, values)
        cut = keys[np.argpartition(-keys, k - 1)[k - 1]]
        above = np.flatnonzero(keys > cut)
        tied = np.flatnonzero(keys == cut)
        if len(above) + len(tied) > k:
            tied = tied[_tie_order(pool[tied], values[tied])[: k - len(above)]]
        keep = np.concatenate([above, tied])
        pool, values = pool[keep], values[keep]
    order = np.lexsort((pool, -np.nan_to_num(values, nan=0.0), np.isnan(values)))
    return pool[order], values[order].astype(np.float32)


def _tie_order(positions: np.ndarray, values: np.ndarray) -> np.ndarray:
    # Among keys equal at the cut (which may mix -inf scores and NaN), real scores before NaN, then position.
    return np.lexsort((positions, np.isnan(values)))


def min_max(scores: np.ndarray) -> np.ndarray:
    """Scores rescaled to [0, 1]; a constant vector becomes all zeros."""
    scores = np.asarray(scores, dtype=np.float64)
    if scores.size == 0:
        return scores
    low, high = float(scores.min()), float(scores.max())
    if high <= low:
        return np.zeros_like(scores)
    return (scores - low) / (high - low)


def aggregate_docs(hits: Sequence[Hit], how: DocAggregation = "max") -> list[tuple[str, float]]:
    """Documents of ranked chunk ``hits`` with one score each, best first.

    ``max``: a document scores its best chunk's score and ranks where its first chunk ranked.
    ``sum``: a document scores the sum of its chunks' scores (suited to non-negative scores such as BM25
    and RRF), ranked by that sum, ties by first appearance.
    """
    first: dict[str, int] = {}
    best: dict[str, float] = {}
    total: dict[str, float] = {}
    for i, hit in enumerate(hits):
        doc = hit.chunk.doc_id
        if doc not in first:
            first[doc] = i
            best[doc] = hit.score
            total[doc] = 0.0
        best[doc] = max(best[doc], hit.score)
        total[doc] += hit.score
    if how == "max":
        return [(doc, best[doc]) for doc in sorted(first, key=first.__getitem__)]
    return [(doc, total[doc]) for doc in sorted(first, key=lambda d: (-total[d], first[d]))]
