"""The built-in TF-IDF + SVD embedder: determinism, normalisation, fitted identity, SVD routes agreeing."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from ragtune.exceptions import ConfigError, StageError
from ragtune.pipelines.embedders import Embedder, FittableEmbedder, TfidfSvdEmbedder
from ragtune.pipelines.embedders.tfidf_svd import truncated_svd

TEXTS = [
    "the cat sat on the mat",
    "a dog chased the cat",
    "stock markets fell sharply today",
    "investors sold shares as markets fell",
    "the dog and the cat are friends",
    "bond yields rose while stocks fell",
]


def test_fit_is_deterministic_and_outputs_unit_float32_rows() -> None:
    embedder = TfidfSvdEmbedder(dim=3)
    first, second = embedder.fit(TEXTS), embedder.fit(TEXTS)
    np.testing.assert_array_equal(first["components"], second["components"])
    fitted = embedder.fitted(first, corpus_key="abc")
    vectors = fitted.embed(TEXTS)
    assert vectors.dtype == np.float32 and vectors.shape == (6, 3)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
    assert fitted.model_id == "tfidf-svd/1:abc" and isinstance(fitted, Embedder)


def test_queries_land_near_their_topic() -> None:
    embedder = TfidfSvdEmbedder(dim=2, stopwords="english")
    fitted = embedder.fitted(embedder.fit(TEXTS), corpus_key="k")
    docs = fitted.embed(TEXTS)
    pets, money = fitted.embed(["cat and dog", "markets fell"])
    assert set(np.argsort(-(docs @ pets))[:2]) <= {0, 1, 4}
    assert set(np.argsort(-(docs @ money))[:2]) <= {2, 3, 5}
    assert not fitted.embed(["zzz unknown"]).any()  # no known term: a zero vector


def test_unfitted_embedder_refuses_to_embed() -> None:
    embedder = TfidfSvdEmbedder()
    assert isinstance(embedder, FittableEmbedder)
    with pytest.raises(StageError, match="must be fitted"):
        embedder.embed(["x"])
    with pytest.raises(StageError, match="no terms left"):
        TfidfSvdEmbedder(stopwords="english").fit(["the and of", "a an"])
    with pytest.raises(ConfigError, match=r"^TfidfSvdEmbedder: dim must be > 0, but got dim=0$"):
        TfidfSvdEmbedder(dim=0)


def test_gram_and_arpack_routes_find_the_same_components() -> None:
    rng = np.random.default_rng(7)
    x = sp.random(60, 40, density=0.2, format="csr", random_state=rng)
    gram = truncated_svd(x, 5, 0, method="gram")
    arpack = truncated_svd(x, 5, 0, method="arpack")
    np.testing.assert_allclose(gram, arpack, atol=1e-8)
    tall = truncated_svd(x.T.tocsr(), 5, 0, method="gram")
    np.testing.assert_allclose(
        np.abs(tall @ truncated_svd(x.T.tocsr(), 5, 0, method="arpack").T), np.eye(5), atol=1e-8
    )


def test_a_narrower_gram_fit_is_exactly_the_leading_part_of_a_wider_one() -> None:
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(300)]
    texts = [" ".join(rng.choice(words, size=30)) for _ in range(120)]
    wide, narrow = TfidfSvdEmbedder(dim=40), TfidfSvdEmbedder(dim=16)
    assert wide.fit_family() == narrow.fit_family() and "dim" not in wide.fit_family()
    wide_fit, direct = wide.fit(texts), narrow.fit(texts)
    assert wide.family_rank(wide_fit) == 40 and direct["svd"]["method"] == "gram"
    derived = narrow.fit_from(wide_fit)
    assert derived is not None
    np.testing.assert_array_equal(derived["components"], direct["components"])  # bit for bit
    assert derived["vocabulary"] == direct["vocabulary"] and derived["svd"] == direct["svd"]
    np.testing.assert_array_equal(derived["idf"], direct["idf"])
    assert wide.fit_from(direct) is None  # a narrower fit cannot serve a wider one
    arpack = {**wide_fit, "svd": {**wide_fit["svd"], "method": "arpack"}}
    assert narrow.fit_from(arpack) is None and wide.family_rank(arpack) == 0
    too_big = {**wide_fit, "svd": {**wide_fit["svd"], "min_side": 10**6}}
    assert narrow.fit_from(too_big) is None  # a direct fit of this width would use ARPACK
