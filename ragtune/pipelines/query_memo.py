"""What the in-process memos of query-time work hold: query vectors per (model, question) and
retrievals per (index, question), each kept in a :class:`~ragtune.core.lru_memo.LruMemo`."""

from __future__ import annotations

from dataclasses import dataclass

from ragtune.pipelines.records import FloatArray, IntArray

__all__ = ["QueryVector", "Retrieved"]


@dataclass(frozen=True, slots=True)
class Retrieved:
    """One question's retrieval at some depth, with the seconds it took and the query vector used."""

    depth: int
    positions: IntArray
    scores: FloatArray
    seconds: float
    query_vector: FloatArray | None


@dataclass(frozen=True, slots=True)
class QueryVector:
    """A question's embedding under one model and the seconds computing it took (replayed in timings)."""

    vector: FloatArray
    seconds: float
