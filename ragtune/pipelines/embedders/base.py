"""The embedder protocols: plain (pretrained) embedders and embedders fitted on the corpus at index time."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np

from ragtune.exceptions import StageError
from ragtune.pipelines.artifacts import Artifacts
from ragtune.pipelines.records import FloatArray
from ragtune.pipelines.stage import Stage

__all__ = ["Embedder", "FittableEmbedder", "check_embeddings", "l2_normalise"]


@runtime_checkable
class Embedder(Stage, Protocol):
    """Turns texts into L2-normalised float32 vectors.

    ``model_id`` names the model's identity for the per-(model, text) embedding cache: the model path or
    name for pretrained models, and something that includes the fitted-corpus key for fitted ones.
    ``embed`` batches internally and returns an ``(len(texts), d)`` float32 array.
    """

    @property
    def model_id(self) -> str: ...

    def embed(self, texts: Sequence[str]) -> FloatArray: ...


@runtime_checkable
class FittableEmbedder(Embedder, Protocol):
    """An embedder that must be fitted on the chunk texts first (TF-IDF + SVD, for example).

    ``fit`` returns the fitted state as cacheable artifacts (arrays, sparse matrices, JSON);
    ``fitted`` rebuilds a ready :class:`Embedder` from them, whose ``model_id`` includes ``corpus_key``.
    """

    def fit(self, texts: Sequence[str]) -> Artifacts: ...

    def fitted(self, artifacts: Artifacts, *, corpus_key: str) -> Embedder: ...


def l2_normalise(matrix: np.ndarray) -> FloatArray:
    """Rows scaled to unit L2 norm as float32; all-zero rows stay zero."""
    out = np.array(matrix, dtype=np.float32)  # a copy: callers' arrays are never modified
    if out.ndim != 2:
        out = out.reshape(len(out), -1)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    np.divide(out, norms, out=out, where=norms > 0)
    return out


def check_embeddings(name: str, vectors: object, n: int) -> FloatArray:
    """Validate an embedder's output: a 2-D array with ``n`` rows, returned as float32."""
    array = np.asarray(vectors)
    if array.ndim != 2 or array.shape[0] != n:
        raise StageError(
            f"{name}: embed() must return an array of shape ({n}, d), but got shape={array.shape}"
        )
    return np.ascontiguousarray(array, dtype=np.float32)
