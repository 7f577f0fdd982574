"""Rerankers: MMR diversification and an optional cross-encoder (sentence-transformers, loaded lazily)."""

from __future__ import annotations

from ragtune.pipelines.rerankers.base import Reranker
from ragtune.pipelines.rerankers.cross_encoder import CrossEncoderReranker
from ragtune.pipelines.rerankers.mmr import MMR

__all__ = ["MMR", "CrossEncoderReranker", "Reranker"]
