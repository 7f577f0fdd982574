"""Embedders: the built-in TF-IDF + SVD one, pretrained models loaded lazily, and models by short name.

``available()`` lists the models installed here (``"minilm"``, ``"minilm-int8"``, ``"minilm-l3"``,
``"glove-50d"``, ``"tfidf-svd"``) and ``by_name(name)`` builds one, so the embedding model is an ordinary
categorical knob. ``SentenceTransformerEmbedder``, ``OnnxEmbedder`` and ``GloveEmbedder`` are imported on
first access (PEP 562), so importing this package never imports torch or onnxruntime.
"""

from __future__ import annotations

import importlib
from typing import Any

from ragtune.pipelines.embedders.base import Embedder, FittableEmbedder
from ragtune.pipelines.embedders.catalogue import available, by_name
from ragtune.pipelines.embedders.tfidf_svd import FittedTfidfSvd, TfidfSvdEmbedder

__all__ = [
    "Embedder",
    "FittableEmbedder",
    "FittedTfidfSvd",
    "GloveEmbedder",
    "OnnxEmbedder",
    "SentenceTransformerEmbedder",
    "TfidfSvdEmbedder",
    "available",
    "by_name",
]

_LAZY = {
    "SentenceTransformerEmbedder": "ragtune.pipelines.embedders.sentence_transformer",
    "OnnxEmbedder": "ragtune.pipelines.embedders.onnx",
    "GloveEmbedder": "ragtune.pipelines.embedders.glove",
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
