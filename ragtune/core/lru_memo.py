"""``LruMemo``: the one bounded, thread-safe least-recently-used memo that ragtune's caches share."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from ragtune.exceptions import ValidationError

__all__ = ["LruMemo"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
_MISSING = object()


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

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def get(self, key: K) -> V | None:
        """The value of ``key`` (now the most recently used), or None."""
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

    def get_or_create(self, key: K, create: Callable[[], V]) -> V:
        """The value of ``key``, or ``create()`` remembered under it (a None value is remembered too).

        ``create`` runs under the memo's lock, so concurrent callers of one key get one value; keep it
        short and never call back into the same memo from it.
        """
        with self._lock:
            found = self._items.get(key, _MISSING)
            if found is not _MISSING:
                self._items.move_to_end(key)
                return found  # type: ignore[return-value]
            value = self._items[key] = create()
            while len(self._items) > self.max_entries:
                self._items.popitem(last=False)
            return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
