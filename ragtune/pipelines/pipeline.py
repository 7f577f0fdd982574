"""``Pipeline``: the stages of one RAG configuration, with index-time ``build_index`` and query-time ``query``."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any, get_args

import numpy as np

from ragtune.datasets.types import Document
from ragtune.exceptions import ConfigError
from ragtune.pipelines.cache import Cache
from ragtune.pipelines.chunkers.base import Chunker
from ragtune.pipelines.embedders.base import Embedder
from ragtune.pipelines.guards.base import Guard
from ragtune.pipelines.index import Index, build_index, index_identity
from ragtune.pipelines.query_memo import QueryVector, Retrieved
from ragtune.pipelines.ranking import DocAggregation, aggregate_docs
from ragtune.pipelines.readers.base import Reader
from ragtune.pipelines.records import Hit, QueryResult, ReaderOutput
from ragtune.pipelines.rerankers.base import Reranker
from ragtune.pipelines.retrievers.base import Retriever
from ragtune.pipelines.stage import Stage, run_stage, stage_spec

__all__ = ["MIN_RETRIEVAL_DEPTH", "Pipeline"]

MIN_RETRIEVAL_DEPTH = 20
"""Queries retrieve at least this deep and keep the ranking; ``k`` (or ``fetch_k``) slices it."""

_ROLES: dict[str, tuple[type, str]] = {
    "chunker": (Chunker, "chunk()"),
    "retriever": (Retriever, "needs_vectors, build() and open()"),
    "embedder": (Embedder, "model_id and embed()"),
    "reranker": (Reranker, "rerank()"),
    "reader": (Reader, "read()"),
    "guard": (Guard, "check()"),
}


def _check_stage(role: str, stage: object) -> None:
    protocol, needs = _ROLES[role]
    if not isinstance(stage, protocol):
        raise ConfigError(
            f"Pipeline: {role} must have kind, version, params and {needs}, but got {role}={stage!r}"
        )


class Pipeline:
    """One RAG configuration: chunker -> (embedder) -> retriever -> (reranker) -> (reader) -> (guard).

    ``k`` is how many chunks the query returns; ``fetch_k`` how many candidates are retrieved for the
    reranker (default ``k``, or ``4 * k`` when there is a reranker). ``doc_agg`` maps chunk hits to
    documents by their best chunk (``"max"``) or the sum of their chunks' scores (``"sum"``).

    Example::

        pipeline = Pipeline(chunker=chunkers.Window(512, 64), retriever=retrievers.BM25(),
                            reader=readers.Extractive())
        index = pipeline.build_index(corpus, cache=Cache())
        result = pipeline.query(index, "What does the with statement do?")
        result.doc_ranking, result.answer, result.timings
    """

    def __init__(
        self,
        *,
        chunker: Chunker,
        retriever: Retriever,
        embedder: Embedder | None = None,
        reranker: Reranker | None = None,
        reader: Reader | None = None,
        guard: Guard | None = None,
        k: int = 10,
        fetch_k: int | None = None,
        doc_agg: DocAggregation = "max",
    ) -> None:
        _check_stage("chunker", chunker)
        _check_stage("retriever", retriever)
        for role, stage in (
            ("embedder", embedder),
            ("reranker", reranker),
            ("reader", reader),
            ("guard", guard),
        ):
            if stage is not None:
                _check_stage(role, stage)
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise ConfigError(f"Pipeline: k must be an integer >= 1, but got k={k!r}")
        if fetch_k is not None and (isinstance(fetch_k, bool) or not isinstance(fetch_k, int) or fetch_k < k):
            raise ConfigError(
                f"Pipeline: fetch_k must be an integer >= k, but got fetch_k={fetch_k!r}, k={k}"
            )
        if doc_agg not in get_args(DocAggregation):
            raise ConfigError(f"Pipeline: doc_agg must be 'max' or 'sum', but got doc_agg={doc_agg!r}")
        if retriever.needs_vectors and embedder is None:
            raise ConfigError(
                f"Pipeline: retriever {retriever.kind!r} needs an embedder, but got embedder=None"
            )
        self.chunker, self.retriever, self.embedder = chunker, retriever, embedder
        self.reranker, self.reader, self.guard = reranker, reader, guard
        self.k = k
        self.fetch_k = fetch_k if fetch_k is not None else (4 * k if reranker is not None else k)
        self.doc_agg: DocAggregation = doc_agg
        # (corpus fingerprint, index-time stage objects, index identity) of the last index queried:
        # hashing the stages' params costs about 2 ms, too much to repeat for every question.
        self._identity: tuple[str, tuple[object, ...], str] | None = None

    def __repr__(self) -> str:
        stages = ", ".join(f"{role}={stage!r}" for role, stage in self._stages().items() if stage is not None)
        return f"Pipeline({stages}, k={self.k}, fetch_k={self.fetch_k}, doc_agg={self.doc_agg!r})"

    def _stages(self) -> dict[str, Stage | None]:
        return {
            "chunker": self.chunker,
            "embedder": self.embedder,
            "retriever": self.retriever,
            "reranker": self.reranker,
            "reader": self.reader,
            "guard": self.guard,
        }

    def config(self) -> dict[str, Any]:
        """JSON-ready description: each stage's ``{"kind", "version", "params"}`` (or None), k, fetch_k, doc_agg."""
        out: dict[str, Any] = {
            role: (stage_spec(stage) if stage is not None else None) for role, stage in self._stages().items()
        }
        out.update(k=self.k, fetch_k=self.fetch_k, doc_agg=self.doc_agg)
        return out

    def build_index(self, corpus: Sequence[Document], *, cache: Cache | None = None) -> Index:
        """Chunk, embed and index ``corpus``; every index-time output goes through ``cache`` when given."""
        return build_index(
            corpus, chunker=self.chunker, embedder=self.embedder, retriever=self.retriever, cache=cache
        )

    def _index_identity(self, fingerprint: str) -> str:
        """The identity an index built by this pipeline on the corpus ``fingerprint`` has, memoised.

        Stages are immutable (frozen params), so the memo holds while the same stage objects are in
        place; assigning another chunker, embedder or retriever to the pipeline recomputes it.
        """
        stages = (self.chunker, self.embedder, self.retriever)
        memo = self._identity
        if (
            memo is None
            or memo[0] != fingerprint
            or any(a is not b for a, b in zip(memo[1], stages, strict=True))
        ):
            identity = index_identity(fingerprint, self.chunker, self.embedder, self.retriever)
            memo = self._identity = (fingerprint, stages, identity)
        return memo[2]

    def _retrieve(self, index: Index, question: str) -> tuple[Retrieved, bool]:
        state = index.state
        found = state.cached(question, self.fetch_k)
        if found is not None:
            return found, True
        # Retrieve at least MIN_RETRIEVAL_DEPTH deep (top_k is deterministic, so a slice equals a fresh
        # search): a later configuration with a larger k on this index reuses the ranking.
        depth = max(self.fetch_k, MIN_RETRIEVAL_DEPTH)
        start = time.perf_counter()
        query_vector = None
        replayed = 0.0  # embedding seconds of a memoised query vector, so timings stay honest
        if state.embedder is not None:
            embedder = state.embedder
            memo_key = (embedder.model_id, question)
            memo = state.query_vectors.get(memo_key)
            if memo is None:
                vector = run_stage(embedder, "embed", lambda: embedder.embed([question]))[0]
                vector.flags.writeable = False  # shared by every index of this model from now on
                memo = QueryVector(vector, time.perf_counter() - start)
                state.query_vectors.put(memo_key, memo)
            else:
                replayed = memo.seconds
            query_vector = memo.vector
        positions, scores = run_stage(
            self.retriever, "search", lambda: state.searcher.search(question, query_vector, depth)
        )
        retrieved = Retrieved(
            depth,
            np.asarray(positions, dtype=np.int64),
            np.asarray(scores, dtype=np.float32),
            time.perf_counter() - start + replayed,
            query_vector,
        )
        state.remember(question, retrieved)
        return retrieved, False

    def query(self, index: Index, question: str) -> QueryResult:
        """Retrieve, rerank, read and guard for one question; see :class:`QueryResult` for the fields."""
        if index.key != self._index_identity(index.corpus_fingerprint):
            raise ConfigError(
                "Pipeline: index was built with another chunker, embedder or retriever configuration; "
                "call build_index() with this pipeline"
            )
        retrieved, cached = self._retrieve(index, question)
        timings = {"retrieve": retrieved.seconds}
        depth = min(self.fetch_k, len(retrieved.positions))
        chunks = index.state.chunks
        hits = [
            Hit(chunks[int(p)], float(s), rank, int(p))
            for rank, (p, s) in enumerate(
                zip(retrieved.positions[:depth], retrieved.scores[:depth], strict=True), 1
            )
        ]
        if self.reranker is not None:
            reranker, vectors = self.reranker, index.state.vectors
            candidate_vectors = vectors[retrieved.positions[:depth]] if vectors is not None else None
            start = time.perf_counter()
            hits = run_stage(
                reranker,
                "rerank",
                lambda: reranker.rerank(
                    question, hits, self.k, vectors=candidate_vectors, query_vector=retrieved.query_vector
                ),
            )[: self.k]
            timings["rerank"] = time.perf_counter() - start
        else:
            hits = hits[: self.k]
        context = [h.chunk.text for h in hits]
        answer: str | None = None
        tokens: dict[str, int] = {}
        reader_cached: bool | None = None
        if self.reader is not None:
            reader = self.reader
            start = time.perf_counter()
            output: ReaderOutput = run_stage(reader, "read", lambda: reader.read(question, context))
            timings["read"] = time.perf_counter() - start
            if output.cached and output.seconds is not None:
                timings["read"] = output.seconds  # a cached LLM call replays its measured time
            answer, tokens, reader_cached = output.answer, dict(output.tokens), output.cached
        verdict = None
        if self.guard is not None:
            guard = self.guard
            start = time.perf_counter()
            verdict = run_stage(
                guard, "check", lambda: guard.check(question=question, answer=answer, context=context)
            )
            timings["guard"] = time.perf_counter() - start
        return QueryResult(
            question=question,
            hits=hits,
            doc_ranking=aggregate_docs(hits, self.doc_agg),
            answer=answer,
            context=context,
            verdict=verdict,
            timings=timings,
            tokens=tokens,
            retrieval_cached=cached,
            reader_cached=reader_cached,
        )
