"""The RAG layer: pipeline stages, ``Pipeline`` (index time and query time) and the content-addressed ``Cache``.

Importing this package imports numpy, scipy and pydantic only: pretrained embedders and the
cross-encoder load their frameworks on first use.
"""

from __future__ import annotations

from ragtune.pipelines import chunkers, embedders, guards, readers, rerankers, retrievers, templates
from ragtune.pipelines.cache import Cache, StageCounts
from ragtune.pipelines.chunkers.base import Chunker
from ragtune.pipelines.embedders.base import Embedder, FittableEmbedder
from ragtune.pipelines.guards.base import Guard
from ragtune.pipelines.index import Index
from ragtune.pipelines.keys import corpus_fingerprint
from ragtune.pipelines.llm_cache import LLMCache
from ragtune.pipelines.model_server import ModelServer, serve_model
from ragtune.pipelines.pipeline import Pipeline
from ragtune.pipelines.readers.base import Reader
from ragtune.pipelines.records import Chunk, Hit, QueryResult, ReaderOutput, Verdict
from ragtune.pipelines.rerankers.base import Reranker
from ragtune.pipelines.retrievers.base import Retriever, Searcher
from ragtune.pipelines.stage import ParamStage, Stage, StageParams

__all__ = [
    "Cache",
    "Chunk",
    "Chunker",
    "Embedder",
    "FittableEmbedder",
    "Guard",
    "Hit",
    "Index",
    "LLMCache",
    "ModelServer",
    "ParamStage",
    "Pipeline",
    "QueryResult",
    "Reader",
    "ReaderOutput",
    "Reranker",
    "Retriever",
    "Searcher",
    "Stage",
    "StageCounts",
    "StageParams",
    "Verdict",
    "chunkers",
    "corpus_fingerprint",
    "embedders",
    "guards",
    "readers",
    "rerankers",
    "retrievers",
    "serve_model",
    "templates",
]
