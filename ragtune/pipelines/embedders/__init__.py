"""Embedders: the built-in TF-IDF + SVD one, and pretrained models loaded lazily.

``SentenceTransformerEmbedder`` and ``OnnxEmbedder`` are imported on first access (PEP 562), so importing
this package never imports torch or onnxruntime.
"""

from __future__ import annotations

import importlib
from typing import Any

from ragtune.pipelines.embedders.base import Embedder, FittableEmbedder
from ragtune.pipelines.embedders.tfidf_svd import FittedTfidfSvd, TfidfSvdEmbedder

__all__ = [
    "Embedder",
    "FittableEmbedder",
    "FittedTfidfSvd",
    "OnnxEmbedder",
    "SentenceTransformerEmbedder",
    "TfidfSvdEmbedder",
]

_LAZY = {
    "SentenceTransformerEmbedder": "ragtune.pipelines.embedders.sentence_transformer",
    "OnnxEmbedder": "ragtune.pipelines.embedders.onnx",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
