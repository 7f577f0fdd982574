"""Index time: corpus -> chunks -> (fitted embedder, vectors) -> retriever index, every output cached.

Cache keys chain from the corpus fingerprint: ``chunks = key(chunker, corpus)``,
``fit = key(embedder, chunks)``, embeddings per (model_id, text), and
``index = key(retriever, chunks [, model_id])`` over the params the retriever's index depends on.
An opened index is also remembered in memory by the cache (a few of them), so trials that differ only in
query-time stages reuse it; the cache's query-time memos (retrievals per (index, question), query
vectors per (model, question)) outlive it, so a configuration seen before costs no retrieval at all.
:meth:`IndexState.save` writes the retrievals to disk as well (:mod:`ragtune.pipelines.retrieval_store`),
and opening an index reads them back, so other processes and later runs share them too.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ragtune.core.lru_memo import LruMemo
from ragtune.datasets.types import Document
from ragtune.exceptions import StageError, ValidationError
from ragtune.pipelines.artifacts import Artifacts
from ragtune.pipelines.cache import Cache
from ragtune.pipelines.chunkers.base import Chunker
from ragtune.pipelines.embedders.base import Embedder, FittableEmbedder, check_embeddings
from ragtune.pipelines.entry_store import BuildResult
from ragtune.pipelines.keys import content_key, corpus_fingerprint, stage_key
from ragtune.pipelines.query_memo import QueryVector, Retrieved
from ragtune.pipelines.records import Chunk, FloatArray
from ragtune.pipelines.retrieval_store import IndexRankings
from ragtune.pipelines.retrievers.base import Retriever, Searcher
from ragtune.pipelines.stage import run_stage

__all__ = ["Index", "IndexState", "Retrieved", "build_index", "embedder_identity", "index_identity"]

RETRIEVAL_CACHE_SIZE = 65536


@dataclass(slots=True)
class IndexState:
    """What queries need, shared by every :class:`Index` handle of the same configuration.

    ``retrievals`` maps ``(key, question)`` to its :class:`Retrieved`, ``query_vectors`` maps
    ``(embedder model_id, question)`` to its :class:`QueryVector`; with a cache both are the cache's
    memos, shared by every index (and every trial) it serves, and they outlive the opened index.
    """

    key: str
    chunks: tuple[Chunk, ...]
    vectors: FloatArray | None
    embedder: Embedder | None
    searcher: Searcher
    build_seconds: float
    retrievals: LruMemo[tuple[str, str], Retrieved] = field(
        default_factory=lambda: LruMemo(RETRIEVAL_CACHE_SIZE)
    )
    query_vectors: LruMemo[tuple[str, str], QueryVector] = field(
        default_factory=lambda: LruMemo(RETRIEVAL_CACHE_SIZE)
    )
    rankings: IndexRankings | None = None
    """The disk entry that keeps this index's retrievals (see :mod:`retrieval_store`); None: memory only."""
    unsaved: dict[str, Retrieved] = field(default_factory=dict)

    def cached(self, question: str, depth: int) -> Retrieved | None:
        """The cached retrieval for ``question`` if it went at least ``depth`` deep."""
        found = self.retrievals.get((self.key, question))
        return found if found is not None and found.depth >= depth else None

    def remember(self, question: str, retrieved: Retrieved) -> None:
        self.retrievals.put((self.key, question), retrieved)
        if self.rankings is not None:
            self.unsaved[question] = retrieved

    def save(self) -> None:
        """Write the retrievals made since the last save to the disk entry for this index."""
        if self.rankings is None or not self.unsaved:
            return
        batch, self.unsaved = self.unsaved, {}
        self.rankings.save(batch)


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

    def save(self) -> None:
        """Write the rankings made on this index since the last save to the cache's disk entry for it
        (a no-op without a cache, or with ``persist_retrievals=False``)."""
        self.state.save()

    def close(self) -> None:
        """Save, then let go of this handle (the in-memory memo may keep the opened index for reuse)."""
        self.save()

    def __enter__(self) -> Index:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return (
            f"Index(chunks={len(self.state.chunks)}, index_seconds={self.index_seconds:.3f}, "
            f"cache_hits={self.cache_hits}, cache_builds={self.cache_builds})"
        )


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
        for c in run_stage(chunker, "chunk", functools.partial(chunker.chunk, doc)):
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
            fit = note("fit", _fit(cache, embedder, fit_key, chunks_key, texts))
            fitted = run_stage(embedder, "fit", lambda: embedder.fitted(fit.artifacts, corpus_key=fit_key))
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
            lambda: run_stage(retriever, "build", functools.partial(retriever.build, chunks, vectors)),
        ),
    )
    searcher = run_stage(retriever, "open", lambda: retriever.open(built.artifacts, chunks, vectors))
    memos = () if cache is None else (cache.retrievals, cache.query_vectors, cache.rankings(key))
    state = IndexState(key, chunks, vectors, fitted, searcher, seconds, *memos)
    if state.rankings is not None:  # what other processes or earlier runs ranked here costs nothing now
        for question, retrieved in state.rankings.load().items():
            if state.cached(question, retrieved.depth) is None:
                state.retrievals.put((key, question), retrieved)
    if cache is not None:
        cache.memo_put(key, state)
    hits = sum(1 for s in stages.values() if s == "hit")
    return Index(state, fingerprint, time.perf_counter() - started, hits, len(stages) - hits, stages)


def _fit(
    cache: Cache | None, embedder: FittableEmbedder, fit_key: str, chunks_key: str, texts: list[str]
) -> BuildResult:
    """The fit, from the cache, derived from a wider fit of its family, or run.

    An embedder may define ``fit_family() -> Mapping`` (the params its fits share apart from a width),
    ``family_rank(artifacts) -> int`` (how wide a fit those artifacts can serve exactly; 0: none) and
    ``fit_from(family_artifacts) -> Artifacts | None`` (this fit taken from a family member, exactly,
    or None). The widest exact fit of each family is kept under ``fit-family/<kind>``; a fit derived
    from it counts as ``derived`` and replays the family fit's build seconds.
    """
    label = f"fit/{embedder.kind}"
    run = functools.partial(embedder.fit, texts)
    family_of = getattr(embedder, "fit_family", None)
    if cache is None or not callable(family_of):
        return _step(cache, label, fit_key, lambda: run_stage(embedder, "fit", run))
    found = cache.get(label, fit_key)
    if found is not None:
        return found
    family_label = f"fit-family/{embedder.kind}"
    family_key = stage_key(embedder, chunks_key, params=family_of())
    family = cache.get(family_label, family_key)
    if family is not None:
        derived = run_stage(embedder, "fit", lambda: embedder.fit_from(family.artifacts))  # type: ignore[attr-defined]
        if derived is not None:
            cache.put(label, fit_key, derived, build_seconds=family.build_seconds)
            cache.count(label, derived=1)
            return BuildResult(dict(derived), True, family.build_seconds)
    result = cache.build(label, fit_key, lambda: run_stage(embedder, "fit", run))
    rank = embedder.family_rank(result.artifacts)  # type: ignore[attr-defined]
    if rank > 0 and (family is None or rank > embedder.family_rank(family.artifacts)):  # type: ignore[attr-defined]
        cache.put(family_label, family_key, result.artifacts, build_seconds=result.build_seconds)
    return result


def _embed(cache: Cache | None, embedder: Embedder, texts: list[str]) -> tuple[FloatArray, BuildResult]:
    if cache is not None:
        result = run_stage(embedder, "embed", lambda: cache.embed(embedder, texts))
        return result.vectors, BuildResult({}, result.hit, result.build_seconds)
    start = time.perf_counter()
    raw = run_stage(embedder, "embed", lambda: embedder.embed(texts))
    vectors = check_embeddings(type(embedder).__name__, raw, len(texts))
    return np.ascontiguousarray(vectors), BuildResult({}, False, time.perf_counter() - start)
