"""Entries on disk: content-addressed files with checksums, cross-process locks and LRU eviction.

Layout under ``root``: ``<role>/<kind>/<key[:2]>/<key>.rtc`` (a label is ``role/kind``). Every file is
written to a temp file in its folder and renamed into place, carries sha256 checksums of its parts
(verified on every read: a corrupt entry is counted, deleted and reported as a miss, so it is rebuilt
and never served), and has its mtime touched when read so eviction is least-recently-used. Builders of
one key take an advisory lock (``fcntl.flock``, where available) so two processes building the same key
at once build it once; without the lock both would write complete files and the last rename would win,
which is still one valid entry.

Besides stage outputs (named numpy / sparse / JSON parts), an :class:`EntryStore` keeps plain values:
``get_json``/``put_json`` and ``get_bytes``/``put_bytes`` by ``(label, key)``, with :meth:`EntryStore.lock`
to compute a value once across processes. Keys are lowercase hex digests
(:func:`ragtune.pipelines.keys.content_key`).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ragtune.exceptions import CacheError, ValidationError
from ragtune.pipelines.artifacts import Artifacts, CorruptEntry, decode_entry, encode_entry, write_atomic
from ragtune.pipelines.cache_counts import CacheCounters
from ragtune.pipelines.keys import safe_segment

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: atomic renames still keep entries valid
    fcntl = None  # type: ignore[assignment]

__all__ = ["SUFFIX", "BuildResult", "EntryStore"]

SUFFIX = ".rtc"
_RESCAN_SECONDS = 30.0


@dataclass(frozen=True, slots=True)
class BuildResult:
    """An entry's parts, whether it came from the store, and the seconds its original build took."""

    artifacts: dict[str, Any]
    hit: bool
    build_seconds: float
    meta: dict[str, Any] = field(default_factory=dict)


class EntryStore:
    """A size-limited, process-safe folder of checksummed entries keyed by ``(label, key)``.

    ``counts`` counts lookups, builds and corrupt entries per label (:class:`CacheCounters`).
    """

    def __init__(self, root: str | os.PathLike[str], max_bytes: int = 2 * 1024**3) -> None:
        if max_bytes <= 0:
            raise ValidationError(f"Cache: max_bytes must be > 0, but got max_bytes={max_bytes}")
        self.root = Path(root)
        self.max_bytes = int(max_bytes)
        self.counters = CacheCounters()
        self._lock = threading.Lock()
        self._bytes_estimate: int | None = None
        self._last_scan = 0.0

    def __repr__(self) -> str:
        return f"{type(self).__name__}(root={str(self.root)!r}, max_bytes={self.max_bytes})"

    # -- files --------------------------------------------------------------------------------------

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
            if key is not None and (meta.get("key") != key or meta.get("label") != label):
                raise CorruptEntry(f"entry records {meta.get('label')}/{meta.get('key')}, not {label}/{key}")
        except CorruptEntry:
            self.counters.add(label, corrupt=1)
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
            stale = time.monotonic() - self._last_scan > _RESCAN_SECONDS
            fits = self._bytes_estimate is not None and self._bytes_estimate <= self.max_bytes
        if stale or not fits:
            self.evict(keep=path)

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

    def lock(self, label: str, key: str) -> contextlib.AbstractContextManager[None]:
        """The cross-process lock of entry ``label``/``key``: hold it to compute a value once."""
        return self.locked(self.path_for(label, key).with_suffix(".lock"))

    # -- stage outputs (named parts) ----------------------------------------------------------------

    def get(self, label: str, key: str) -> BuildResult | None:
        """The entry's parts if present and intact (counted as a hit), else None (counted as a miss)."""
        found = self.read_file(self.path_for(label, key), label, key)
        if found is None:
            self.counters.add(label, misses=1)
            return None
        self.counters.add(label, hits=1)
        artifacts, meta = found
        return BuildResult(artifacts, True, float(meta.get("build_seconds", 0.0)), meta)

    def put(self, label: str, key: str, artifacts: Artifacts, *, build_seconds: float = 0.0) -> None:
        """Store ``artifacts`` under ``label``/``key`` (replacing any previous entry)."""
        meta = {"label": label, "key": key, "created": time.time(), "build_seconds": build_seconds}
        self.write_file(self.path_for(label, key), artifacts, meta)

    def get_or_build(self, label: str, key: str, build: Callable[[], Artifacts]) -> BuildResult:
        """Return the stored entry, or run ``build`` once (under a cross-process lock), store and return it."""
        found = self.get(label, key)
        if found is not None:
            return found
        return self.build(label, key, build)

    def build(self, label: str, key: str, build: Callable[[], Artifacts]) -> BuildResult:
        """Run ``build`` and store its entry, under the key's cross-process lock; if another process
        stored the entry while this one waited for the lock, return that entry (a hit) instead."""
        path = self.path_for(label, key)
        with self.lock(label, key):
            again = self.read_file(path, label)
            if again is not None:  # another process built it while we waited
                self.counters.add(label, hits=1)
                artifacts, meta = again
                return BuildResult(artifacts, True, float(meta.get("build_seconds", 0.0)), meta)
            start = time.perf_counter()
            artifacts = dict(build())
            seconds = time.perf_counter() - start
            self.counters.add(label, builds=1)
            self.put(label, key, artifacts, build_seconds=seconds)
        return BuildResult(artifacts, False, seconds, {"build_seconds": seconds})

    # -- plain values -------------------------------------------------------------------------------

    def get_json(self, label: str, key: str) -> Any | None:
        """The JSON value stored under ``label``/``key``, or None (a miss)."""
        found = self.get(label, key)
        return None if found is None else found.artifacts.get("value")

    def put_json(self, label: str, key: str, value: Any) -> None:
        """Store a JSON-serialisable ``value`` (no NaN) under ``label``/``key``, atomically."""
        self.put(label, key, {"value": value})

    def get_bytes(self, label: str, key: str) -> bytes | None:
        """The bytes stored under ``label``/``key``, or None (a miss)."""
        found = self.get(label, key)
        data = None if found is None else found.artifacts.get("bytes")
        return None if data is None else np.asarray(data, dtype=np.uint8).tobytes()

    def put_bytes(self, label: str, key: str, data: bytes) -> None:
        """Store ``data`` under ``label``/``key``, atomically."""
        self.put(label, key, {"bytes": np.frombuffer(data, dtype=np.uint8)})

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

    def evict(self, *, keep: Path | None = None) -> int:
        """Delete least-recently-used entries until the store fits ``max_bytes``; returns bytes freed."""
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
            label = "/".join(path.relative_to(self.root).parts[:2])
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
        """Delete every entry (and lock file) under ``root``."""
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
            self._bytes_estimate = 0
