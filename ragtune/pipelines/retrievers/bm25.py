"""Okapi BM25 over a scipy sparse term matrix.

Robertson & Zaragoza (2009), "The Probabilistic Relevance Framework: BM25 and Beyond", eq. 3.15, with
the non-negative idf used by Lucene::

    score(D, Q) = sum over query terms t (each occurrence counts) of
                  idf(t) * tf(t, D) * (k1 + 1) / (tf(t, D) + k1 * (1 - b + b * |D| / avgdl))
    idf(t)      = ln(1 + (N - df(t) + 0.5) / (df(t) + 0.5))

``N`` is the number of chunks, ``df(t)`` how many contain ``t``, ``|D|`` a chunk's term count after
analysis and ``avgdl`` the mean of ``|D|``. The cached index is the raw term-count matrix, so changing
``k1`` or ``b`` reweights it when opened instead of rebuilding it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp
from pydantic import Field

from ragtune.pipelines.analyzer import AnalyzerParams, analyze, count_matrix, vocabulary_of
from ragtune.pipelines.artifacts import Artifacts
from ragtune.pipelines.ranking import top_k
from ragtune.pipelines.records import Chunk, FloatArray, IntArray
from ragtune.pipelines.stage import ParamStage, StageParams

__all__ = ["BM25", "BM25Params", "BM25Searcher", "bm25_idf"]


class BM25Params(AnalyzerParams):
    k1: float = Field(default=1.2, ge=0.0)
    """Term-frequency saturation: 0 makes BM25 binary in tf, larger values approach raw tf."""
    b: float = Field(default=0.75, ge=0.0, le=1.0)
    """Length normalisation: 0 ignores chunk length, 1 normalises fully."""


def bm25_idf(df: np.ndarray, n: int) -> np.ndarray:
    """``ln(1 + (N - df + 0.5) / (df + 0.5))`` for each document frequency."""
    df = np.asarray(df, dtype=np.float64)
    return np.log1p((n - df + 0.5) / (df + 0.5))


def build_counts(chunks: Sequence[Chunk], options: AnalyzerParams) -> dict[str, Any]:
    """The cacheable BM25 index: the sorted vocabulary and the chunk-by-term count matrix."""
    term_lists = [analyze(c.text, options) for c in chunks]
    vocabulary = vocabulary_of(term_lists)
    return {"vocabulary": list(vocabulary), "counts": count_matrix(term_lists, vocabulary)}


class BM25Searcher:
    """A BM25 index opened with given ``k1`` and ``b``: per-term weights precomputed, column-sliced per query."""

    def __init__(self, counts: Any, vocabulary: Sequence[str], params: BM25Params) -> None:
        counts = sp.csr_matrix(counts, dtype=np.float64)
        self.params = params
        self.n = counts.shape[0]
        self._vocabulary = {str(t): i for i, t in enumerate(vocabulary)}
        df = np.bincount(counts.indices, minlength=counts.shape[1])
        self.idf = bm25_idf(df, self.n)
        lengths = np.asarray(counts.sum(axis=1)).ravel()
        avgdl = float(lengths.mean()) if self.n and lengths.mean() > 0 else 1.0
        rows = np.repeat(np.arange(self.n), np.diff(counts.indptr))
        tf = counts.data
        norm = params.k1 * (1.0 - params.b + params.b * lengths[rows] / avgdl)
        weights = counts.copy()
        weights.data = self.idf[counts.indices] * tf * (params.k1 + 1.0) / (tf + norm)
        self._weights = weights.tocsc()

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every chunk for ``query`` (float64, shape ``(n,)``)."""
        counts = Counter(t for t in analyze(query, self.params) if t in self._vocabulary)
        if not counts or self.n == 0:
            return np.zeros(self.n, dtype=np.float64)
        # Sum the query terms' columns straight from the CSC arrays: slicing the matrix with scipy costs
        # more than the arithmetic for a few terms. Rows within a column are unique, so += is exact.
        weights = self._weights
        out = np.zeros(self.n, dtype=np.float64)
        for term, count in counts.items():
            column = self._vocabulary[term]
            start, end = weights.indptr[column], weights.indptr[column + 1]
            out[weights.indices[start:end]] += weights.data[start:end] * float(count)
        return out

    def search(self, query: str, query_vector: FloatArray | None, k: int) -> tuple[IntArray, FloatArray]:
        """Top ``k`` chunks sharing at least one term with ``query``."""
        scores = self.scores(query)
        return top_k(scores, k, candidates=np.flatnonzero(scores > 0))


class BM25(ParamStage[BM25Params]):
    """Sparse lexical retrieval with BM25 (see the module docstring for the exact formula).

    Tokenizer options: ``lowercase``, ``strip_punctuation``, ``stopwords`` (``"english"``, a tuple of
    words, or None) and ``stemmer`` (a Snowball language such as ``"english"``, or None). Only chunks
    sharing a term with the query are returned.
    """

    kind: ClassVar[str] = "bm25"
    version: ClassVar[str] = "1"
    Params: ClassVar[type[StageParams]] = BM25Params
    needs_vectors: ClassVar[bool] = False

    def __init__(
        self,
        k1: float = 1.2,
        b: float = 0.75,
        *,
        lowercase: bool = True,
        strip_punctuation: bool = True,
        stopwords: str | tuple[str, ...] | None = None,
        stemmer: str | None = None,
    ) -> None:
        super().__init__(
            k1=k1,
            b=b,
            lowercase=lowercase,
            strip_punctuation=strip_punctuation,
            stopwords=stopwords,
            stemmer=stemmer,
        )

    def index_params(self) -> Mapping[str, object]:
        return self.params.analyzer_options()

    def build(self, chunks: Sequence[Chunk], vectors: FloatArray | None) -> Artifacts:
        return build_counts(chunks, self.params)

    def open(self, artifacts: Artifacts, chunks: Sequence[Chunk], vectors: FloatArray | None) -> BM25Searcher:
        return BM25Searcher(artifacts["counts"], artifacts["vocabulary"], self.params)
