"""Index time: corpus -> chunks -> (fitted embedder, vectors) -> retriever index, every output cached.

Cache keys chain from the corpus fingerprint: ``chunks = key(chunker, corpus)``,
``fit = key(embedder, chunks)``, embeddings per (model_id, text), and
``index = key(retriever, chunks [, model_id])`` over the params the retriever's index depends on.
An opened index is also remembered in memory by the cache (a few of them), so trials that differ only in
query-time stages reuse it, along with its per-question retrieval cache.
"""

from __future__ import annotations

import functools
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ragtune.datasets.types import Document
from ragtune.exceptions import RagtuneError, StageError, ValidationError
from ragtune.pipelines.artifacts import Artifacts
from ragtune.pipelines.cache import BuildResult, Cache
from ragtune.pipelines.chunkers.base import Chunker
from ragtune.pipelines.embedders.base import Embedder, FittableEmbedder, check_embeddings
from ragtune.pipelines.keys import content_key, corpus_fingerprint, stage_key
from ragtune.pipelines.records import Chunk, FloatArray, IntArray
from ragtune.pipelines.retrievers.base import Retriever, Searcher
from ragtune.pipelines.stage import Stage

__all__ = ["Index", "IndexState", "Retrieved", "build_index", "embedder_identity", "index_identity"]

RETRIEVAL_CACHE_SIZE = 65536


@dataclass(frozen=True, slots=True)
class Retrieved:
    """One question's retrieval at some depth, with the seconds it took and the query vector used."""

    depth: int
    positions: IntArray
    scores: FloatArray
    seconds: float
    query_vector: FloatArray | None


@dataclass(slots=True)
class IndexState:
    """What queries need, shared by every :class:`Index` handle of the same configuration."""

    key: str
    chunks: tuple[Chunk, ...]
    vectors: FloatArray | None
    embedder: Embedder | None
    searcher: Searcher
    build_seconds: float
    retrieval: OrderedDict[str, Retrieved] = field(default_factory=OrderedDict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def cached(self, question: str, depth: int) -> Retrieved | None:
        """The cached retrieval for ``question`` if it went at least ``depth`` deep."""
        with self.lock:
            found = self.retrieval.get(question)
            if found is None or found.depth < depth:
                return None
            self.retrieval.move_to_end(question)
            return found

    def remember(self, question: str, retrieved: Retrieved) -> None:
        with self.lock:
            self.retrieval[question] = retrieved
            self.retrieval.move_to_end(question)
            while len(self.retrieval) > RETRIEVAL_CACHE_SIZE:
                self.retrieval.popitem(last=False)


@dataclass(slots=True)
class Index:
    """A built index and how building it went.

    ``index_seconds`` is the wall time of this ``build_index`` call (small when the cache served it);
    ``build_seconds`` is what building it from scratch took, replayed from the cache's records, so it
    does not depend on what earlier trials left in the cache. ``stages`` says per step (``chunks``,
    ``fit``, ``embed``, ``index``) whether it was ``"hit"``, ``"built"`` or served from ``"memory"``.
    """

    state: IndexState
    corpus_fingerprint: str
    index_seconds: float
    cache_hits: int
    cache_builds: int
    stages: dict[str, str]

    @property
    def chunks(self) -> tuple[Chunk, ...]:
        return self.state.chunks

    @property
    def vectors(self) -> FloatArray | None:
        return self.state.vectors

    @property
    def build_seconds(self) -> float:
        return self.state.build_seconds

    @property
    def key(self) -> str:
        return self.state.key

    def __repr__(self) -> str:
        return (
            f"Index(chunks={len(self.state.chunks)}, index_seconds={self.index_seconds:.3f}, "
            f"cache_hits={self.cache_hits}, cache_builds={self.cache_builds})"
        )


def _guarded(stage: Stage, role: str, run: Callable[[], Any]) -> Any:
    """Run a stage call, translating errors from user code into StageError naming the stage."""
    try:
        return run()
    except RagtuneError:
        raise
    except Exception as e:
        raise StageError(f"{stage.kind}: {role} failed: {type(e).__name__}: {e}") from e


def _step(cache: Cache | None, label: str, key: str, build: Callable[[], Artifacts]) -> BuildResult:
    if cache is not None:
        return cache.get_or_build(label, key, build)
    start = time.perf_counter()
    artifacts = dict(build())
    return BuildResult(artifacts, False, time.perf_counter() - start)


def embedder_identity(embedder: Embedder | None, chunks_key: str) -> str:
    """What identifies an embedder's vectors before fitting: the fit key, or the pretrained model id."""
    if embedder is None:
        return ""
    if isinstance(embedder, FittableEmbedder):
        return stage_key(embedder, chunks_key)
    return embedder.model_id


def index_identity(
    fingerprint: str, chunker: Chunker, embedder: Embedder | None, retriever: Retriever
) -> str:
    """Key of everything an opened index depends on (retriever with all its params)."""
    chunks_key = stage_key(chunker, fingerprint)
    return content_key(
        "opened-index", chunks_key, embedder_identity(embedder, chunks_key), stage_key(retriever, chunks_key)
    )


def _chunk_rows(chunker: Chunker, corpus: Sequence[Document]) -> Artifacts:
    rows: list[list[Any]] = []
    for doc in corpus:
        for c in _guarded(chunker, "chunk", functools.partial(chunker.chunk, doc)):
            rows.append([str(c.doc_id), int(c.start), int(c.end), str(c.text)])
    return {"chunks": rows}


def build_index(
    corpus: Sequence[Document],
    *,
    chunker: Chunker,
    embedder: Embedder | None,
    retriever: Retriever,
    cache: Cache | None,
) -> Index:
    """Chunk, fit, embed and index ``corpus``, each step through ``cache`` when one is given."""
    started = time.perf_counter()
    if len(corpus) == 0:
        raise ValidationError("build_index: corpus must hold at least one document, but got 0 documents")
    fingerprint = corpus_fingerprint(corpus)
    key = index_identity(fingerprint, chunker, embedder, retriever)
    if cache is not None and (state := cache.memo_get(key)) is not None:
        names = ["chunks"]
        if embedder is not None:
            names += ["fit", "embed"] if isinstance(embedder, FittableEmbedder) else ["embed"]
        steps = dict.fromkeys([*names, "index"], "memory")
        return Index(state, fingerprint, time.perf_counter() - started, len(steps), 0, steps)

    stages: dict[str, str] = {}
    seconds = 0.0

    def note(step: str, result: BuildResult) -> BuildResult:
        nonlocal seconds
        stages[step] = "hit" if result.hit else "built"
        seconds += result.build_seconds
        return result

    chunks_key = stage_key(chunker, fingerprint)
    rows = note(
        "chunks", _step(cache, f"chunks/{chunker.kind}", chunks_key, lambda: _chunk_rows(chunker, corpus))
    )
    chunks = tuple(Chunk(str(d), int(s), int(e), str(t)) for d, s, e, t in rows.artifacts["chunks"])
    if not chunks:
        raise StageError(f"{chunker.kind}: produced no chunks from {len(corpus)} documents")
    texts = [c.text for c in chunks]

    vectors: FloatArray | None = None
    fitted: Embedder | None = None
    inputs = [chunks_key]
    if embedder is not None:
        fitted = embedder
        if isinstance(embedder, FittableEmbedder):
            fit_key = stage_key(embedder, chunks_key)
            fit_texts = functools.partial(embedder.fit, texts)
            fit = note(
                "fit",
                _step(cache, f"fit/{embedder.kind}", fit_key, lambda: _guarded(embedder, "fit", fit_texts)),
            )
            fitted = _guarded(embedder, "fit", lambda: embedder.fitted(fit.artifacts, corpus_key=fit_key))
        vectors, embed_result = _embed(cache, fitted, texts)
        note("embed", embed_result)
        if retriever.needs_vectors:
            inputs.append(content_key(fitted.model_id))

    index_params: Mapping[str, Any] | None = None
    if callable(getattr(retriever, "index_params", None)):
        index_params = retriever.index_params()  # type: ignore[attr-defined]
    index_key = stage_key(retriever, inputs, params=index_params)
    built = note(
        "index",
        _step(
            cache,
            f"index/{retriever.kind}",
            index_key,
            lambda: _guarded(retriever, "build", functools.partial(retriever.build, chunks, vectors)),
        ),
    )
    searcher = _guarded(retriever, "open", lambda: retriever.open(built.artifacts, chunks, vectors))
    state = IndexState(key, chunks, vectors, fitted, searcher, seconds)
    if cache is not None:
        cache.memo_put(key, state)
    hits = sum(1 for s in stages.values() if s == "hit")
    return Index(state, fingerprint, time.perf_counter() - started, hits, len(stages) - hits, stages)


def _embed(cache: Cache | None, embedder: Embedder, texts: list[str]) -> tuple[FloatArray, BuildResult]:
    if cache is not None:
        result = _guarded(embedder, "embed", lambda: cache.embed(embedder, texts))
        return result.vectors, BuildResult({}, result.hit, result.build_seconds)
    start = time.perf_counter()
    raw = _guarded(embedder, "embed", lambda: embedder.embed(texts))
    vectors = check_embeddings(type(embedder).__name__, raw, len(texts))
    return np.ascontiguousarray(vectors), BuildResult({}, False, time.perf_counter() - start)
