"""Retrievers: BM25 (sparse), Dense (exact cosine top-k) and Hybrid (RRF or weighted fusion)."""

from __future__ import annotations

from ragtune.pipelines.retrievers.base import Retriever, Searcher
from ragtune.pipelines.retrievers.bm25 import BM25
from ragtune.pipelines.retrievers.dense import Dense
from ragtune.pipelines.retrievers.hybrid import Hybrid

__all__ = ["BM25", "Dense", "Hybrid", "Retriever", "Searcher"]
