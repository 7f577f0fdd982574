"""The records pipeline stages pass around: chunks, scored hits, verdicts, query results, array aliases."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeAlias

import numpy as np
import numpy.typing as npt

__all__ = ["Chunk", "FloatArray", "Hit", "IntArray", "QueryResult", "ReaderOutput", "Verdict"]

FloatArray: TypeAlias = npt.NDArray[np.float32]
"""float32 vectors and matrices (embeddings, scores)."""
IntArray: TypeAlias = npt.NDArray[np.int64]
"""int64 positions (chunk indices)."""


@dataclass(frozen=True, slots=True)
class Chunk:
    """A piece of one document: ``text`` is normally ``document.text[start:end]`` (character offsets)."""

    doc_id: str
    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class Hit:
    """One retrieved chunk: its position in the index, its score and its 1-based rank."""

    chunk: Chunk
    score: float
    rank: int
    position: int

    @property
    def doc_id(self) -> str:
        return self.chunk.doc_id


@dataclass(frozen=True, slots=True)
class Verdict:
    """A guard's decision; ``reasons`` say what failed (empty when ``passed``)."""

    passed: bool
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ReaderOutput:
    """What a reader returns: the answer text and token counts (``prompt`` / ``completion``) if it used any.

    LLM readers with a call cache also say whether the answer came from it (``cached``; None when no
    cache was used) and the generation's ``seconds``: measured, or replayed from the cache entry.
    """

    answer: str
    tokens: dict[str, int] = field(default_factory=dict)
    cached: bool | None = None
    seconds: float | None = None


@dataclass(slots=True)
class QueryResult:
    """Everything one query produced.

    ``hits`` are the final ranked chunks (at most ``k``); ``doc_ranking`` maps them to documents
    (best first) with the pipeline's ``doc_agg``; ``timings`` holds seconds per query-time stage
    (``retrieve``, ``rerank``, ``read``, ``guard``), ``tokens`` the LLM token counts.
    ``retrieval_cached`` is true when the ranking came from the index's in-memory retrieval cache; its
    ``retrieve`` timing is then the one measured when it was computed. ``reader_cached`` is the
    reader's :attr:`ReaderOutput.cached` (an LLM-call cache hit replays the ``read`` timing too).
    """

    question: str
    hits: list[Hit]
    doc_ranking: list[tuple[str, float]]
    answer: str | None = None
    context: list[str] = field(default_factory=list)
    verdict: Verdict | None = None
    timings: dict[str, float] = field(default_factory=dict)
    tokens: dict[str, int] = field(default_factory=dict)
    retrieval_cached: bool = False
    reader_cached: bool | None = None

    @property
    def latency_seconds(self) -> float:
        """Sum of the query-time stage timings."""
        return float(sum(self.timings.values()))

    @property
    def doc_ids(self) -> list[str]:
        """Document ids of ``doc_ranking``, best first."""
        return [doc_id for doc_id, _ in self.doc_ranking]
