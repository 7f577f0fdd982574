"""In-process memos of query-time work shared by trials: query vectors per (model, question) and
retrievals per (index, question), each a thread-safe LRU bounded by its number of entries."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

from ragtune.exceptions import ValidationError
from ragtune.pipelines.records import FloatArray, IntArray

__all__ = ["LruMemo", "QueryVector", "Retrieved"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


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


class LruMemo(Generic[K, V]):
    """A dict that keeps its ``max_entries`` most recently used entries (0: none); safe to share across threads."""

    def __init__(self, max_entries: int) -> None:
        if max_entries < 0:
            raise ValidationError(f"LruMemo: max_entries must be >= 0, but got max_entries={max_entries}")
        self.max_entries = max_entries
        self._items: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: K) -> V | None:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: K, value: V) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.max_entries:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
