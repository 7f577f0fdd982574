"""``Cache``: the content-addressed cache of index-time outputs, plus the in-memory memos trials share.

The parts, one job each:

- :mod:`ragtune.pipelines.entry_store`: entries on disk (checksums, atomic writes, locks, eviction);
  :class:`Cache` is an :class:`~ragtune.pipelines.entry_store.EntryStore`.
- :mod:`ragtune.pipelines.embedding_store`: embeddings per model (``Cache.embed``).
- :mod:`ragtune.pipelines.retrieval_store`: rankings per index (``Cache.rankings``).
- :mod:`ragtune.pipelines.query_memo`: in-memory memos of retrievals and query vectors.
- :mod:`ragtune.pipelines.cache_counts`: per-label counters (``Cache.counts``).

Layout under ``root``: ``<role>/<stage kind>/<key[:2]>/<key>.rtc`` for entries and
``embed/<stage kind>/<model hash>/<shard>.rtc`` for embedding shards.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ragtune.core.lru_memo import LruMemo
from ragtune.exceptions import ValidationError
from ragtune.pipelines.cache_counts import StageCounts
from ragtune.pipelines.embedding_store import EmbeddingStore, EmbedResult
from ragtune.pipelines.entry_store import BuildResult, EntryStore
from ragtune.pipelines.query_memo import QueryVector, Retrieved
from ragtune.pipelines.retrieval_store import IndexRankings

if TYPE_CHECKING:
    from ragtune.pipelines.embedders.base import Embedder

__all__ = ["BuildResult", "Cache", "StageCounts"]

RETRIEVALS_IN_MEMORY = 131072
"""Retrievals kept in memory, over all indexes: about 0.5 KiB each at the default depth."""
QUERY_VECTORS_IN_MEMORY = 32768
"""Query vectors kept in memory, over all models (1.5 KiB each at 384 dimensions)."""


class Cache(EntryStore):
    """A size-limited, process-safe store of index-time stage outputs keyed by content.

    ``Cache(root=".ragtune/cache", max_bytes=2 * 1024**3)``. ``counts`` holds per-label
    :class:`StageCounts` (labels are ``"chunks/window"``, ``"fit/tfidf-svd"``, ``"embed/tfidf-svd"``,
    ``"index/bm25"``, ...) so callers can count stage executions.

    In memory, the cache also keeps a few opened indexes (``memo_size``), every question's
    retrieval per index configuration (``retrievals``) and every question's vector per embedding
    model (``query_vectors``), so a configuration, or a model, seen before costs no query-time work.
    With ``persist_retrievals`` (the default) the retrievals also go to disk, one entry per index
    configuration (:mod:`ragtune.pipelines.retrieval_store`), so other processes and later runs on
    the same folder reuse them; turn it off to measure query time afresh on a warm index cache.
    """

    def __init__(
        self,
        root: str | os.PathLike[str] = ".ragtune/cache",
        max_bytes: int = 2 * 1024**3,
        *,
        memo_size: int = 4,
        persist_retrievals: bool = True,
    ) -> None:
        super().__init__(root, max_bytes)
        if memo_size < 0:
            raise ValidationError(f"Cache: memo_size must be >= 0, but got memo_size={memo_size}")
        self.persist_retrievals = persist_retrievals
        self._indexes: LruMemo[str, Any] = LruMemo(memo_size)
        self._embeddings = EmbeddingStore(self)
        self.retrievals: LruMemo[tuple[str, str], Retrieved] = LruMemo(RETRIEVALS_IN_MEMORY)
        self.query_vectors: LruMemo[tuple[str, str], QueryVector] = LruMemo(QUERY_VECTORS_IN_MEMORY)

    # -- counters -----------------------------------------------------------------------------------

    def count(self, label: str, **deltas: int) -> None:
        """Add ``deltas`` (hits=, misses=, builds=, corrupt=, items=, derived=) to ``label``'s counters."""
        self.counters.add(label, **deltas)

    @property
    def counts(self) -> dict[str, StageCounts]:
        """A snapshot of the counters, by label."""
        return self.counters.snapshot()

    def builds(self) -> int:
        """Total stage executions counted so far (all labels)."""
        return self.counters.builds()

    def reset_counts(self) -> None:
        self.counters.reset()

    # -- embeddings per model, rankings per index ---------------------------------------------------

    def embed(self, embedder: Embedder, texts: Sequence[str]) -> EmbedResult:
        """Embed ``texts`` with ``embedder``, computing only texts this model has never embedded."""
        return self._embeddings.embed(embedder, texts)

    def rankings(self, index_key: str) -> IndexRankings | None:
        """The disk entry for the rankings made on index ``index_key`` (None: ``persist_retrievals`` off)."""
        return IndexRankings(self, index_key) if self.persist_retrievals else None

    # -- in-process memo of opened indexes ----------------------------------------------------------

    def memo_get(self, key: str) -> Any | None:
        return self._indexes.get(key)

    def memo_put(self, key: str, value: Any) -> None:
        self._indexes.put(key, value)

    # -- housekeeping -------------------------------------------------------------------------------

    def clear(self) -> None:
        """Delete every entry (and lock file) under ``root`` and forget in-memory state."""
        super().clear()
        self._indexes.clear()
        self.retrievals.clear()
        self.query_vectors.clear()
        self._embeddings = EmbeddingStore(self)
