"""The built-in offline embedder: TF-IDF fitted on the chunk texts, reduced by truncated SVD (LSA).

Deerwester et al. (1990), "Indexing by latent semantic analysis", JASIS 41(6): a text's TF-IDF vector
``x`` (l2-normalised) is projected on the top right singular vectors ``V_k`` of the chunk-term matrix,
``x V_k``, then l2-normalised. TF-IDF weights are ``tf' * idf`` with ``tf' = 1 + ln(tf)`` (sublinear)
or ``tf``, and the smoothed ``idf = ln((1 + N) / (1 + df)) + 1``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import Field

from ragtune.exceptions import StageError
from ragtune.pipelines.analyzer import AnalyzerParams, analyze, count_matrix
from ragtune.pipelines.artifacts import Artifacts
from ragtune.pipelines.embedders.base import l2_normalise
from ragtune.pipelines.records import FloatArray
from ragtune.pipelines.stage import ParamStage, StageParams

__all__ = ["FittedTfidfSvd", "TfidfSvdEmbedder", "TfidfSvdParams", "truncated_svd"]

_DENSE_FACTOR = 4  # up to max(4 * dim, 2048) rows or columns, eigendecomposing the Gram matrix is faster
_DENSE_SIDE = 2048


class TfidfSvdParams(AnalyzerParams):
    dim: int = Field(default=256, gt=0)
    """Number of SVD components (fewer when the chunk-term matrix has lower rank)."""
    min_df: int = Field(default=1, ge=1)
    """Drop terms found in fewer chunks."""
    max_df: float = Field(default=1.0, gt=0.0, le=1.0)
    """Drop terms found in more than this fraction of chunks."""
    sublinear_tf: bool = True
    """Use ``1 + ln(tf)`` instead of raw counts."""
    seed: int = 0
    """Seed of ARPACK's start vector, so fits are reproducible."""


def _tfidf(
    term_lists: Sequence[Sequence[str]], vocabulary: dict[str, int], idf: np.ndarray, sublinear: bool
) -> Any:
    # Weights and row norms computed on the CSR arrays in place: one sparse matrix instead of the four
    # that .multiply() and a diagonal product allocate (per-call overhead dominates a one-query embed).
    matrix = count_matrix(term_lists, vocabulary)
    data = matrix.data
    if sublinear:
        np.log(data, out=data)
        data += 1.0
    data *= idf[matrix.indices]
    rows = np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))
    norms = np.sqrt(np.bincount(rows, weights=data * data, minlength=matrix.shape[0]))
    norms[norms == 0] = 1.0
    data /= norms[rows]
    return matrix


def _flip_signs(components: np.ndarray) -> np.ndarray:
    # Singular vectors are defined up to sign; fix it so the largest-magnitude entry is positive.
    biggest = np.argmax(np.abs(components), axis=1)
    signs = np.sign(components[np.arange(len(components)), biggest])
    signs[signs == 0] = 1.0
    return np.asarray(components * signs[:, None])


def svd_method(
    shape: tuple[int, int], dim: int, method: Literal["auto", "gram", "arpack"] = "auto"
) -> Literal["gram", "arpack"]:
    """The method :func:`truncated_svd` uses for a matrix of ``shape`` (see there)."""
    if method != "auto":
        return method
    return "gram" if min(shape) <= max(_DENSE_FACTOR * dim, _DENSE_SIDE) else "arpack"


def truncated_svd(
    x: Any, dim: int, seed: int, *, method: Literal["auto", "gram", "arpack"] = "auto"
) -> np.ndarray:
    """The top ``dim`` right singular vectors of sparse ``x`` as a ``(k, n_terms)`` array, k <= dim.

    ``arpack`` is ``scipy.sparse.linalg.svds`` with a seeded start vector. ``gram`` eigendecomposes the
    smaller Gram matrix (``x x^T`` or ``x^T x``) and keeps components whose singular value is above 1e-5 of
    the largest; ``auto`` uses it when a side is at most ``max(4 * dim, 2048)`` (it is exact there, faster,
    and ARPACK needs ``dim < min(x.shape)``). Signs are fixed so each component's largest entry is positive.
    """
    n, m = x.shape
    if svd_method(x.shape, dim, method) == "gram":
        small_side_rows = n <= m
        gram = (x @ x.T) if small_side_rows else (x.T @ x)
        values, vectors = np.linalg.eigh(gram.toarray())
        order = np.argsort(values)[::-1][:dim]
        keep = order[values[order] > 1e-10 * max(float(values.max()), 1e-300)]
        if small_side_rows:
            components = (x.T @ vectors[:, keep]).T / np.sqrt(values[keep])[:, None]
        else:
            components = vectors[:, keep].T
    else:
        from scipy.sparse.linalg import svds  # heavy import, only needed for large fits

        k = min(dim, min(n, m) - 1)
        v0 = np.random.default_rng(seed).uniform(-1.0, 1.0, size=min(n, m))
        _, singular, vt = svds(x, k=k, v0=v0, solver="arpack")
        components = vt[np.argsort(singular)[::-1]]
    return _flip_signs(np.asarray(components, dtype=np.float64))


class TfidfSvdEmbedder(ParamStage[TfidfSvdParams]):
    """TF-IDF + truncated SVD embeddings, fitted on the chunk texts at index time; needs no model.

    The pipeline calls :meth:`fit` on the chunk texts (cached under the chunks' key) and embeds with the
    :class:`FittedTfidfSvd` from :meth:`fitted`, whose ``model_id`` includes that key. Calling
    :meth:`embed` on the unfitted embedder is an error.
    """

    kind: ClassVar[str] = "tfidf-svd"
    version: ClassVar[str] = "1"
    Params: ClassVar[type[StageParams]] = TfidfSvdParams

    def __init__(
        self,
        dim: int = 256,
        *,
        min_df: int = 1,
        max_df: float = 1.0,
        sublinear_tf: bool = True,
        lowercase: bool = True,
        strip_punctuation: bool = True,
        stopwords: str | tuple[str, ...] | None = "english",
        stemmer: str | None = None,
        seed: int = 0,
    ) -> None:
        super().__init__(
            dim=dim,
            min_df=min_df,
            max_df=max_df,
            sublinear_tf=sublinear_tf,
            lowercase=lowercase,
            strip_punctuation=strip_punctuation,
            stopwords=stopwords,
            stemmer=stemmer,
            seed=seed,
        )

    @property
    def model_id(self) -> str:
        """A placeholder: only the fitted embedder has an identity (it includes the fitted-corpus key)."""
        return f"{self.kind}/{self.version}:unfitted"

    def embed(self, texts: Sequence[str]) -> FloatArray:
        raise StageError(
            "TfidfSvdEmbedder: must be fitted before embed(); use fitted(fit(texts), corpus_key=...)"
        )

    def fit(self, texts: Sequence[str]) -> Artifacts:
        """Vocabulary, idf and SVD components fitted on ``texts``."""
        p = self.params
        term_lists = [analyze(t, p) for t in texts]
        df: dict[str, int] = {}
        for terms in term_lists:
            for term in set(terms):
                df[term] = df.get(term, 0) + 1
        n = len(term_lists)
        vocab = sorted(t for t, c in df.items() if c >= p.min_df and c <= p.max_df * n)
        if not vocab:
            raise StageError(
                f"TfidfSvdEmbedder: no terms left to fit on, but got {n} texts "
                f"(min_df={p.min_df}, max_df={p.max_df}, stopwords={p.stopwords!r})"
            )
        vocabulary = {t: i for i, t in enumerate(vocab)}
        dfs = np.array([df[t] for t in vocab], dtype=np.float64)
        idf = np.log((1.0 + n) / (1.0 + dfs)) + 1.0
        x = _tfidf(term_lists, vocabulary, idf, p.sublinear_tf)
        components = truncated_svd(x, p.dim, p.seed)
        svd = {"method": svd_method(x.shape, p.dim), "min_side": int(min(x.shape)), "dim": p.dim}
        return {"vocabulary": vocab, "idf": idf, "components": components.astype(np.float32), "svd": svd}

    # -- sharing one fit between widths (see index.py: fits of one family derive from the widest) ----

    def fit_family(self) -> dict[str, Any]:
        """The params every fit of this family shares: all but ``dim``.

        With the ``gram`` method the SVD is a full eigendecomposition of the Gram matrix, and each
        component is computed on its own, so the ``dim`` leading components of a fit of width
        ``D >= dim`` are exactly (bit for bit) the components a fit of width ``dim`` computes.
        """
        return self.params.model_dump(mode="json", exclude={"dim"})

    def family_rank(self, artifacts: Artifacts) -> int:
        """How wide a fit these artifacts can serve by slicing: their width under ``gram``, else 0."""
        svd = artifacts.get("svd")
        if not isinstance(svd, dict) or svd.get("method") != "gram":
            return 0
        return int(svd["dim"])

    def fit_from(self, family: Artifacts) -> Artifacts | None:
        """This fit sliced out of a wider ``gram`` fit of the same family, or None when it would differ
        from fitting directly (the direct fit would use ARPACK, or the family fit is narrower)."""
        svd = family.get("svd")
        dim = self.params.dim
        if not isinstance(svd, dict) or svd.get("method") != "gram" or int(svd["dim"]) < dim:
            return None
        if svd_method((int(svd["min_side"]), int(svd["min_side"])), dim) != "gram":
            return None
        components = np.asarray(family["components"])[:dim]
        return {
            "vocabulary": family["vocabulary"],
            "idf": family["idf"],
            "components": np.ascontiguousarray(components),
            "svd": {**svd, "dim": dim},
        }

    def fitted(self, artifacts: Artifacts, *, corpus_key: str) -> FittedTfidfSvd:
        return FittedTfidfSvd(self.params, artifacts, corpus_key=corpus_key)


class FittedTfidfSvd:
    """A :class:`TfidfSvdEmbedder` fitted on one set of texts; ``model_id`` names that fit."""

    kind: ClassVar[str] = TfidfSvdEmbedder.kind
    version: ClassVar[str] = TfidfSvdEmbedder.version

    def __init__(self, params: TfidfSvdParams, artifacts: Artifacts, *, corpus_key: str) -> None:
        self.params = params
        self._vocabulary = {str(t): i for i, t in enumerate(artifacts["vocabulary"])}
        self._idf = np.asarray(artifacts["idf"], dtype=np.float64)
        self._components_t = np.ascontiguousarray(np.asarray(artifacts["components"], dtype=np.float32).T)
        self._model_id = f"{self.kind}/{self.version}:{corpus_key}"

    def __repr__(self) -> str:
        return f"FittedTfidfSvd(model_id={self._model_id!r}, dim={self.dim})"

    @property
    def model_id(self) -> str:
        return self._model_id

    @property
    def dim(self) -> int:
        return int(self._components_t.shape[1])

    def embed(self, texts: Sequence[str]) -> FloatArray:
        term_lists = [analyze(t, self.params) for t in texts]
        x = _tfidf(term_lists, self._vocabulary, self._idf, self.params.sublinear_tf)
        # float32 on both sides: a float64 operand would make scipy copy the whole component matrix.
        return l2_normalise(np.asarray(x.astype(np.float32) @ self._components_t))
