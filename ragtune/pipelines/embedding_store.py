"""The per-model embedding store: each text is embedded once per model, whatever chunking produced it.

A model's vectors live in shards under ``<cache>/embed/<kind>/<sha256(model_id)[:32]>/``; each shard holds
the sha256 digests of its texts, their float32 vectors and the seconds each took to embed. A process
keeps an in-memory digest -> (shard, row) map per model, so a lookup is a dict access; new shards
written by other processes are picked up by listing the folder. Embedding of missing texts runs under
the model's advisory lock, one shard per batch, so an interrupted run keeps what it embedded. When a
model has many shards they are merged into one.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ragtune.core.lru_memo import LruMemo
from ragtune.exceptions import CacheError
from ragtune.pipelines.embedders.base import Embedder, check_embeddings
from ragtune.pipelines.entry_store import EntryStore
from ragtune.pipelines.keys import content_key, safe_segment, text_digest
from ragtune.pipelines.records import FloatArray

__all__ = ["EmbedResult", "EmbeddingStore"]

SHARD_TEXTS = 4096
COMPACT_AT = 32
MODELS_IN_MEMORY = 4


@dataclass(frozen=True, slots=True)
class EmbedResult:
    """Vectors for the requested texts (in order) and what it took.

    ``embedded`` counts texts computed by this call; ``build_seconds`` is the measured cost of embedding
    all requested texts from scratch (replayed from the shards for texts found there).
    """

    vectors: FloatArray
    embedded: int
    build_seconds: float

    @property
    def hit(self) -> bool:
        return self.embedded == 0


@dataclass(slots=True)
class _ModelView:
    folder: Path
    label: str
    rows: dict[bytes, tuple[int, int]] = field(default_factory=dict)
    vectors: list[FloatArray] = field(default_factory=list)
    seconds: list[np.ndarray] = field(default_factory=list)
    loaded: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, digests: np.ndarray, vectors: FloatArray, seconds: np.ndarray) -> None:
        if self.vectors and vectors.shape[1] != self.vectors[0].shape[1]:
            raise CacheError(
                f"Cache: embeddings of one model must share a dimension, but got "
                f"d={vectors.shape[1]} and d={self.vectors[0].shape[1]} in {self.folder}"
            )
        fresh = [i for i, d in enumerate(digests) if bytes(d) not in self.rows]
        if not fresh:
            return
        shard = len(self.vectors)
        self.vectors.append(np.ascontiguousarray(vectors[fresh], dtype=np.float32))
        self.seconds.append(np.asarray(seconds, dtype=np.float64)[fresh])
        for row, i in enumerate(fresh):
            self.rows[bytes(digests[i])] = (shard, row)


class EmbeddingStore:
    """Each text embedded once per model, kept in shards of an :class:`EntryStore` (``Cache.embed`` uses it)."""

    def __init__(self, entries: EntryStore) -> None:
        self._entries = entries
        self._views: LruMemo[str, _ModelView] = LruMemo(MODELS_IN_MEMORY)

    def _view(self, embedder: Embedder) -> _ModelView:
        folder = (
            self._entries.root / "embed" / safe_segment(embedder.kind) / content_key(embedder.model_id)[:32]
        )
        return self._views.get_or_create(
            embedder.model_id, lambda: _ModelView(folder=folder, label=f"embed/{embedder.kind}")
        )

    def _shard_files(self, view: _ModelView) -> list[Path]:
        if not view.folder.exists():
            return []
        return sorted(view.folder.glob("*.rtc"))

    def _refresh(self, view: _ModelView) -> None:
        for path in self._shard_files(view):
            if path.name in view.loaded:
                continue
            found = self._entries.read_file(path, view.label)
            if found is None:
                continue
            parts, _meta = found
            try:
                view.add(parts["digests"], parts["vectors"], parts["seconds"])
            except KeyError as e:
                raise CacheError(f"Cache: embedding shard {path} lacks part {e}") from e
            view.loaded.add(path.name)

    def _write_shard(
        self, view: _ModelView, digests: np.ndarray, vectors: FloatArray, seconds: np.ndarray
    ) -> str:
        name = content_key(*(bytes(d).hex() for d in digests))[:40] + ".rtc"
        meta = {"label": view.label, "texts": len(digests)}
        self._entries.write_file(
            view.folder / name, {"digests": digests, "vectors": vectors, "seconds": seconds}, meta
        )
        view.loaded.add(name)
        return name

    def _missing(self, view: _ModelView, texts: Sequence[str], digests: list[bytes]) -> dict[bytes, str]:
        missing: dict[bytes, str] = {}
        for text, digest in zip(texts, digests, strict=True):
            if digest not in view.rows and digest not in missing:
                missing[digest] = text
        return missing

    def embed(self, embedder: Embedder, texts: Sequence[str]) -> EmbedResult:
        digests = [text_digest(t) for t in texts]
        view = self._view(embedder)
        embedded = 0
        with view.lock:
            self._refresh(view)
            if not self._missing(view, texts, digests):
                self._entries.counters.add(view.label, hits=1)
            else:
                self._entries.counters.add(view.label, misses=1)
                with self._entries.locked(view.folder / "model.lock"):
                    self._refresh(view)
                    missing = self._missing(view, texts, digests)
                    if missing:
                        embedded = self._embed_missing(embedder, view, missing)
                        self._entries.counters.add(view.label, builds=1, items=embedded)
                        if len(self._shard_files(view)) > COMPACT_AT:
                            self._compact(view)
                    else:
                        self._entries.counters.add(view.label, hits=1)
            return self._assemble(view, digests, embedded)

    def _embed_missing(self, embedder: Embedder, view: _ModelView, missing: dict[bytes, str]) -> int:
        items = list(missing.items())
        for start in range(0, len(items), SHARD_TEXTS):
            batch = items[start : start + SHARD_TEXTS]
            t0 = time.perf_counter()
            vectors = check_embeddings(
                type(embedder).__name__, embedder.embed([t for _, t in batch]), len(batch)
            )
            per_text = (time.perf_counter() - t0) / len(batch)
            digests = np.frombuffer(b"".join(d for d, _ in batch), dtype=np.uint8).reshape(len(batch), 32)
            seconds = np.full(len(batch), per_text, dtype=np.float64)
            self._write_shard(view, digests, vectors, seconds)
            view.add(digests, vectors, seconds)
        return len(items)

    def _compact(self, view: _ModelView) -> None:
        # Runs under the model lock after a refresh, so every shard on disk is in ``view``.
        old = self._shard_files(view)
        digests = list(view.rows)
        positions = [view.rows[d] for d in digests]
        vectors = np.stack([view.vectors[s][r] for s, r in positions])
        seconds = np.array([view.seconds[s][r] for s, r in positions])
        packed = np.frombuffer(b"".join(digests), dtype=np.uint8).reshape(len(digests), 32)
        merged = self._write_shard(view, packed, vectors, seconds)
        for path in old:
            if path.name != merged:
                path.unlink(missing_ok=True)

    def _assemble(self, view: _ModelView, digests: list[bytes], embedded: int) -> EmbedResult:
        if not digests:
            dim = view.vectors[0].shape[1] if view.vectors else 0
            return EmbedResult(np.zeros((0, dim), dtype=np.float32), embedded, 0.0)
        positions = np.array([view.rows[d] for d in digests], dtype=np.int64)
        dim = view.vectors[0].shape[1]
        out = np.empty((len(digests), dim), dtype=np.float32)
        seconds = 0.0
        for shard in np.unique(positions[:, 0]):
            mask = positions[:, 0] == shard
            rows = positions[mask, 1]
            out[mask] = view.vectors[shard][rows]
            seconds += float(view.seconds[shard][rows].sum())
        return EmbedResult(out, embedded, seconds)
