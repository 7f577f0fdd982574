"""The content-addressed on-disk cache of index-time outputs (chunks, fitted models, embeddings, indexes).

Layout under ``root``: ``<role>/<stage kind>/<key[:2]>/<key>.rtc`` for entries and
``embed/<stage kind>/<model hash>/<shard>.rtc`` for embedding shards (see :mod:`.embedding_store`).
Every file is written to a temp file in its folder and renamed into place, carries sha256 checksums of
its parts (verified on every read: a corrupt entry is counted, deleted and reported as a miss, so it is
rebuilt and never served), and has its mtime touched when read so eviction is least-recently-used.
Builders of one key take an advisory lock (``fcntl.flock``, where available) so two processes building
the same key at once build it once; without the lock they would both write complete files and the last
rename would win, which is still one valid entry.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ragtune.exceptions import CacheError, ValidationError
from ragtune.pipelines.artifacts import Artifacts, CorruptEntry, decode_entry, encode_entry, write_atomic
from ragtune.pipelines.keys import safe_segment
from ragtune.pipelines.query_memo import LruMemo, QueryVector, Retrieved

if TYPE_CHECKING:
    from ragtune.pipelines.embedders.base import Embedder
    from ragtune.pipelines.embedding_store import EmbeddingStore, EmbedResult

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: atomic renames still keep entries valid
    fcntl = None  # type: ignore[assignment]

__all__ = ["BuildResult", "Cache", "StageCounts"]

SUFFIX = ".rtc"
RETRIEVALS_IN_MEMORY = 131072
"""Retrievals kept in memory, over all indexes: about 0.5 KiB each at the default depth."""
QUERY_VECTORS_IN_MEMORY = 32768
"""Query vectors kept in memory, over all models (1.5 KiB each at 384 dimensions)."""
_RESCAN_SECONDS = 30.0


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


@dataclass(frozen=True, slots=True)
class BuildResult:
    """An entry's parts, whether it came from the cache, and the seconds its original build took."""

    artifacts: dict[str, Any]
    hit: bool
    build_seconds: float
    meta: dict[str, Any] = field(default_factory=dict)


class Cache:
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
        if max_bytes <= 0:
            raise ValidationError(f"Cache: max_bytes must be > 0, but got max_bytes={max_bytes}")
        self.root = Path(root)
        self.max_bytes = int(max_bytes)
        self.persist_retrievals = persist_retrievals
        self._counts: dict[str, StageCounts] = {}
        self._lock = threading.RLock()
        if memo_size < 0:
            raise ValidationError(f"Cache: memo_size must be >= 0, but got memo_size={memo_size}")
        self._memo: LruMemo[str, Any] = LruMemo(memo_size)
        self._bytes_estimate: int | None = None
        self._last_scan = 0.0
        self._store: EmbeddingStore | None = None
        self.retrievals: LruMemo[tuple[str, str], Retrieved] = LruMemo(RETRIEVALS_IN_MEMORY)
        self.query_vectors: LruMemo[tuple[str, str], QueryVector] = LruMemo(QUERY_VECTORS_IN_MEMORY)

    def __repr__(self) -> str:
        return f"Cache(root={str(self.root)!r}, max_bytes={self.max_bytes})"

    # -- counters -----------------------------------------------------------------------------------

    def count(self, label: str, **deltas: int) -> None:
        """Add ``deltas`` (hits=, misses=, builds=, corrupt=, items=, derived=) to ``label``'s counters."""
        with self._lock:
            counts = self._counts.setdefault(label, StageCounts())
            for name, delta in deltas.items():
                setattr(counts, name, getattr(counts, name) + delta)

    @property
    def counts(self) -> dict[str, StageCounts]:
        """A snapshot of the counters, by label."""
        with self._lock:
            return {label: StageCounts(**asdict(c)) for label, c in self._counts.items()}

    def builds(self) -> int:
        """Total stage executions counted so far (all labels)."""
        with self._lock:
            return sum(c.builds for c in self._counts.values())

    def reset_counts(self) -> None:
        with self._lock:
            self._counts.clear()

    # -- entries ------------------------------------------------------------------------------------

    def path_for(self, label: str, key: str) -> Path:
        """Where the entry ``label``/``key`` lives (``label`` is ``role/kind``)."""
        if len(key) < 8 or not all(c in "0123456789abcdef" for c in key):
            raise CacheError(f"Cache: key must be a lowercase hex digest, but got key={key!r}")
        segments = [safe_segment(s) for s in label.split("/")]
        return self.root.joinpath(*segments, key[:2], key + SUFFIX)

    def read_file(
        self, path: Path, label: str, key: str | None = None
    ) -> tuple[dict[str, Any], dict[str, Any]] | None:
        """Read and verify one entry file; a missing file is None, a corrupt one is deleted and None.

        With ``key``, an intact entry that records another label or key (a file copied or renamed
        to the wrong address) counts as corrupt too: it is never served as this key's content.
        """
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as e:
            raise CacheError(f"Cache: cannot read {path}: {e}") from e
        try:
            artifacts, meta = decode_entry(data)
        except CorruptEntry:
            self.count(label, corrupt=1)
            path.unlink(missing_ok=True)
            return None
        if key is not None and (meta.get("key") != key or meta.get("label") != label):
            self.count(label, corrupt=1)
            path.unlink(missing_ok=True)
            return None
        # Touch for LRU; the file may have been evicted since we read it, and what we read was complete.
        with contextlib.suppress(FileNotFoundError):
            os.utime(path)
        return artifacts, meta

    def write_file(self, path: Path, artifacts: Artifacts, meta: dict[str, Any]) -> None:
        """Write one entry atomically, then evict least-recently-used entries beyond ``max_bytes``."""
        data = encode_entry(artifacts, meta)
        try:
            write_atomic(path, data)
        except OSError as e:
            raise CacheError(f"Cache: cannot write {path}: {e}") from e
        with self._lock:
            if self._bytes_estimate is not None:
                self._bytes_estimate += len(data)
        self._maybe_evict(keep=path)

    def get(self, label: str, key: str) -> BuildResult | None:
        """The entry's parts if present and intact (counted as a hit), else None (counted as a miss)."""
        found = self.read_file(self.path_for(label, key), label, key)
        if found is None:
            self.count(label, misses=1)
            return None
        self.count(label, hits=1)
        artifacts, meta = found
        return BuildResult(artifacts, True, float(meta.get("build_seconds", 0.0)), meta)

    def put(self, label: str, key: str, artifacts: Artifacts, *, build_seconds: float = 0.0) -> None:
        """Store ``artifacts`` under ``label``/``key`` (replacing any previous entry)."""
        meta = {"label": label, "key": key, "created": time.time(), "build_seconds": build_seconds}
        self.write_file(self.path_for(label, key), artifacts, meta)

    def get_or_build(self, label: str, key: str, build: Callable[[], Artifacts]) -> BuildResult:
        """Return the cached entry, or run ``build`` once (under a cross-process lock), store and return it."""
        found = self.get(label, key)
        if found is not None:
            return found
        return self.build(label, key, build)

    def build(self, label: str, key: str, build: Callable[[], Artifacts]) -> BuildResult:
        """Run ``build`` and store its entry, under the key's cross-process lock; if another process
        stored the entry while this one waited for the lock, return that entry (a hit) instead."""
        path = self.path_for(label, key)
        with self.locked(path.with_suffix(".lock")):
            again = self.read_file(path, label)
            if again is not None:  # another process built it while we waited
                self.count(label, hits=1)
                artifacts, meta = again
                return BuildResult(artifacts, True, float(meta.get("build_seconds", 0.0)), meta)
            start = time.perf_counter()
            artifacts = dict(build())
            seconds = time.perf_counter() - start
            self.count(label, builds=1)
            self.put(label, key, artifacts, build_seconds=seconds)
        return BuildResult(artifacts, False, seconds, {"build_seconds": seconds})

    @contextmanager
    def locked(self, lock_path: Path) -> Iterator[None]:
        """Hold an exclusive advisory lock on ``lock_path`` (a no-op where ``fcntl`` is missing)."""
        if fcntl is None:  # pragma: no cover
            yield
            return
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        with open(lock_path, "a+b") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

    # -- embeddings ---------------------------------------------------------------------------------

    def embed(self, embedder: Embedder, texts: Sequence[str]) -> EmbedResult:
        """Embed ``texts`` with ``embedder``, computing only texts this model has never embedded."""
        with self._lock:
            if self._store is None:
                from ragtune.pipelines.embedding_store import EmbeddingStore

                self._store = EmbeddingStore(self)
            store = self._store
        return store.embed(embedder, texts)

    @property
    def store_for_retrievals(self) -> Cache | None:
        """This cache when retrievals go to disk (``persist_retrievals``), else None."""
        return self if self.persist_retrievals else None

    # -- in-process memo of opened indexes ----------------------------------------------------------

    def memo_get(self, key: str) -> Any | None:
        return self._memo.get(key)

    def memo_put(self, key: str, value: Any) -> None:
        self._memo.put(key, value)

    # -- size, eviction, housekeeping ---------------------------------------------------------------

    def _entries(self) -> list[tuple[Path, int, float]]:
        out: list[tuple[Path, int, float]] = []
        if not self.root.exists():
            return out
        for folder, _dirs, files in os.walk(self.root):
            for name in files:
                if name.endswith(SUFFIX):
                    path = Path(folder, name)
                    try:
                        st = path.stat()
                    except FileNotFoundError:
                        continue
                    out.append((path, st.st_size, st.st_mtime))
        return out

    def _maybe_evict(self, *, keep: Path) -> None:
        with self._lock:
            stale = time.monotonic() - self._last_scan > _RESCAN_SECONDS
            if not stale and self._bytes_estimate is not None and self._bytes_estimate <= self.max_bytes:
                return
        self.evict(keep=keep)

    def evict(self, *, keep: Path | None = None) -> int:
        """Delete least-recently-used entries until the cache fits ``max_bytes``; returns bytes freed."""
        entries = sorted(self._entries(), key=lambda e: e[2])
        total = sum(size for _, size, _ in entries)
        freed = 0
        for path, size, _ in entries:
            if total - freed <= self.max_bytes:
                break
            if keep is not None and path == keep:
                continue
            path.unlink(missing_ok=True)
            path.with_suffix(".lock").unlink(missing_ok=True)
            freed += size
        with self._lock:
            self._bytes_estimate = total - freed
            self._last_scan = time.monotonic()
        return freed

    def info(self) -> dict[str, Any]:
        """``{"root", "entries", "bytes", "max_bytes", "kinds": {label: entries}, "kind_bytes": {...}}``."""
        kinds: dict[str, int] = {}
        kind_bytes: dict[str, int] = {}
        entries = self._entries()
        for path, size, _ in entries:
            parts = path.relative_to(self.root).parts
            label = "/".join(parts[:2])
            kinds[label] = kinds.get(label, 0) + 1
            kind_bytes[label] = kind_bytes.get(label, 0) + size
        return {
            "root": str(self.root),
            "entries": len(entries),
            "bytes": sum(size for _, size, _ in entries),
            "max_bytes": self.max_bytes,
            "kinds": dict(sorted(kinds.items())),
            "kind_bytes": dict(sorted(kind_bytes.items())),
        }

    def clear(self) -> None:
        """Delete every entry (and lock file) under ``root`` and forget in-memory state."""
        if self.root.exists() and not self.root.is_dir():
            raise CacheError(
                f"cache folder {self.root} is a file, not a folder; pass the cache folder (--cache-dir)"
            )
        if self.root.exists():
            for child in self.root.iterdir():
                if child.is_dir():
                    shutil.rmtree(child, ignore_errors=True)
                else:
                    child.unlink(missing_ok=True)
        with self._lock:
            self._memo.clear()
            self.retrievals.clear()
            self.query_vectors.clear()
            self._bytes_estimate = 0
            self._store = None
