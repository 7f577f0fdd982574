"""Counters of the cache: lookups, builds and corrupt entries per ``role/kind`` label, thread-safe."""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass

__all__ = ["CacheCounters", "StageCounts"]


@dataclass(slots=True)
class StageCounts:
    """Lookups and executions of one ``role/kind`` label.

    ``hits``/``misses`` count lookups, ``builds`` stage executions, ``corrupt`` entries that failed
    their checksum and were deleted, ``items`` texts embedded (embedding labels only), ``derived``
    entries computed from another cached entry instead of running the stage (a narrower SVD fit taken
    from a wider one of the same TF-IDF matrix, for example).
    """

    hits: int = 0
    misses: int = 0
    builds: int = 0
    corrupt: int = 0
    items: int = 0
    derived: int = 0


class CacheCounters:
    """:class:`StageCounts` by label, safe to update from several threads."""

    def __init__(self) -> None:
        self._counts: dict[str, StageCounts] = {}
        self._lock = threading.Lock()

    def add(self, label: str, **deltas: int) -> None:
        """Add ``deltas`` (hits=, misses=, builds=, corrupt=, items=, derived=) to ``label``'s counts."""
        with self._lock:
            counts = self._counts.setdefault(label, StageCounts())
            for name, delta in deltas.items():
                setattr(counts, name, getattr(counts, name) + delta)

    def snapshot(self) -> dict[str, StageCounts]:
        """A copy of the counts, by label."""
        with self._lock:
            return {label: StageCounts(**asdict(c)) for label, c in self._counts.items()}

    def builds(self) -> int:
        """Total stage executions counted so far (all labels)."""
        with self._lock:
            return sum(c.builds for c in self._counts.values())

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()
