"""MMR selection order on a hand example, MMR over TF-IDF fallback vectors, and the cross-encoder's hint."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ragtune.exceptions import ConfigError, MissingDependencyError
from ragtune.pipelines.records import Chunk, Hit
from ragtune.pipelines.rerankers import MMR, CrossEncoderReranker, Reranker
from ragtune.pipelines.rerankers.mmr import mmr_order


def test_mmr_order_by_hand() -> None:
    query_sim = np.array([0.9, 0.85, 0.5])
    pair_sim = np.array([[1.0, 0.95, 0.1], [0.95, 1.0, 0.2], [0.1, 0.2, 1.0]])
    # lambda 0.7: step 1 picks 0 (0.63); step 2: c1 = 0.595 - 0.3 * 0.95 = 0.31, c2 = 0.35 - 0.3 * 0.1 = 0.32;
    # step 3 takes c1 at 0.595 - 0.3 * max(0.95, 0.2) = 0.31.
    order = mmr_order(query_sim, pair_sim, 3, 0.7)
    assert [i for i, _ in order] == [0, 2, 1]
    np.testing.assert_allclose([s for _, s in order], [0.63, 0.32, 0.31])
    assert [i for i, _ in mmr_order(query_sim, pair_sim, 3, 1.0)] == [0, 1, 2]
    assert [i for i, _ in mmr_order(query_sim, pair_sim, 2, 0.7)] == [0, 2]


def hits_for(texts: list[str]) -> list[Hit]:
    return [Hit(Chunk(f"d{i}", 0, len(t), t), 1.0 - i / 10, i + 1, 10 + i) for i, t in enumerate(texts)]


def test_mmr_rerank_with_vectors_keeps_positions_and_renumbers_ranks() -> None:
    hits = hits_for(["a", "a'", "b"])
    vectors = np.array([[1.0, 0.0], [0.99, 0.141], [0.6, 0.8]], dtype=np.float32)
    query = np.array([1.0, 0.0], dtype=np.float32)
    # Query similarities 1, 0.99, 0.6; the first pick is candidate 0 either way. Then, with lambda 0.3:
    # near-duplicate 0.3 * 0.99 - 0.7 * 0.99 = -0.396 < diverse 0.3 * 0.6 - 0.7 * 0.6 = -0.24.
    out = MMR(0.3).rerank("q", hits, 3, vectors=vectors, query_vector=query)
    assert [h.position for h in out] == [10, 12, 11]
    assert [h.rank for h in out] == [1, 2, 3]
    np.testing.assert_allclose([h.score for h in out], [0.3, -0.24, -0.396], atol=1e-3)
    # With lambda 0.7 relevance wins: 0.7 * 0.99 - 0.3 * 0.99 = 0.396 > 0.7 * 0.6 - 0.3 * 0.6 = 0.24.
    assert [h.position for h in MMR(0.7).rerank("q", hits, 2, vectors=vectors, query_vector=query)] == [
        10,
        11,
    ]


def test_mmr_falls_back_to_tfidf_vectors_without_embeddings() -> None:
    hits = hits_for(["apple banana", "apple banana", "apple cherry"])
    out = MMR(0.5).rerank("apple", hits, 3)
    assert [h.position for h in out] == [10, 12, 11]
    assert MMR().rerank("x", [], 3) == []
    assert isinstance(MMR(), Reranker)


def test_mmr_validates_lambda() -> None:
    with pytest.raises(ConfigError, match=r"^MMR: lambda_ must be <= 1.0, but got lambda_=1.5$"):
        MMR(1.5)


def test_cross_encoder_without_sentence_transformers_names_the_extra(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr("importlib.util.find_spec", lambda name, *args: None)
    with pytest.raises(MissingDependencyError, match=r"pip install 'ragtune\[embeddings\]'"):
        CrossEncoderReranker(str(tmp_path))
