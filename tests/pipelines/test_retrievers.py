"""BM25 against a hand computation, dense top-k, and hybrid fusion (RRF and weighted) on hand examples."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ragtune.exceptions import ConfigError, StageError
from ragtune.pipelines.ranking import aggregate_docs, min_max, top_k
from ragtune.pipelines.records import Chunk, Hit
from ragtune.pipelines.retrievers import BM25, Dense, Hybrid, Retriever
from ragtune.pipelines.retrievers.hybrid import rrf_scores

TEXTS = ["the cat sat", "the dog sat on the mat", "cats and dogs"]
CHUNKS = [Chunk(f"d{i}", 0, len(t), t) for i, t in enumerate(TEXTS)]


def bm25_by_hand(k1: float = 1.2, b: float = 0.75) -> tuple[float, float]:
    n, avgdl = 3, (3 + 6 + 3) / 3
    idf_cat = math.log(1 + (n - 1 + 0.5) / (1 + 0.5))
    idf_sat = math.log(1 + (n - 2 + 0.5) / (2 + 0.5))

    def term(idf: float, tf: int, length: int) -> float:
        return idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * length / avgdl))

    d0 = term(idf_cat, 1, 3) + term(idf_sat, 1, 3)
    d1 = term(idf_sat, 1, 6)
    return d0, d1


def open_bm25(stage: BM25) -> object:
    return stage.open(stage.build(CHUNKS, None), CHUNKS, None)


def test_bm25_scores_match_a_hand_computation() -> None:
    searcher = BM25().open(BM25().build(CHUNKS, None), CHUNKS, None)
    d0, d1 = bm25_by_hand()
    np.testing.assert_allclose(searcher.scores("cat sat"), [d0, d1, 0.0], rtol=1e-12)
    positions, scores = searcher.search("Cat, SAT!", None, 10)
    assert positions.tolist() == [0, 1]  # the third chunk shares no term and is not returned
    np.testing.assert_allclose(scores, [d0, d1], rtol=1e-6)


def test_bm25_k1_and_b_reweight_without_rebuilding() -> None:
    stage = BM25(k1=2.0, b=0.3)
    searcher = stage.open(BM25().build(CHUNKS, None), CHUNKS, None)
    np.testing.assert_allclose(searcher.scores("cat sat")[:2], bm25_by_hand(2.0, 0.3), rtol=1e-12)
    assert BM25(k1=2.0).index_params() == BM25().index_params()
    assert BM25(stopwords="english").index_params() != BM25().index_params()


def test_bm25_counts_repeated_query_terms_and_drops_stopwords() -> None:
    searcher = BM25().open(BM25().build(CHUNKS, None), CHUNKS, None)
    np.testing.assert_allclose(searcher.scores("sat sat"), 2 * searcher.scores("sat"))
    no_stop = BM25(stopwords="english")
    assert no_stop.open(no_stop.build(CHUNKS, None), CHUNKS, None).search("the", None, 5)[0].size == 0
    # Without punctuation stripping "sat!" is its own term.
    raw = BM25(strip_punctuation=False)
    assert raw.open(raw.build(CHUNKS, None), CHUNKS, None).search("sat!", None, 5)[0].size == 0


def test_top_k_orders_by_score_then_position() -> None:
    positions, scores = top_k(np.array([0.1, 0.9, 0.5, 0.9]), 2)
    assert positions.tolist() == [1, 3] and scores.dtype == np.float32
    assert top_k(np.array([0.1, 0.9, 0.5]), 10)[0].tolist() == [1, 2, 0]
    assert top_k(np.array([0.1, 0.9, 0.5]), 2, candidates=np.array([0, 2]))[0].tolist() == [2, 0]
    assert top_k(np.zeros(0), 3)[0].size == 0


def test_top_k_breaks_ties_at_the_cut_by_position_so_slicing_a_deeper_top_k_equals_a_fresh_one() -> None:
    rng = np.random.default_rng(0)
    for _ in range(20):
        scores = rng.integers(0, 4, size=300).astype(np.float64)  # many ties at every cut
        candidates = rng.permutation(300)[:200]  # unsorted candidates, as a caller may pass them
        for pool in (None, candidates):
            deep, deep_scores = top_k(scores, 120, candidates=pool)
            for k in (1, 3, 10, 50, 119):
                positions, values = top_k(scores, k, candidates=pool)
                assert positions.tolist() == deep[:k].tolist()
                assert values.tolist() == deep_scores[:k].tolist()
    assert top_k(np.ones(50), 3)[0].tolist() == [0, 1, 2]
    assert top_k(np.ones(50), 3, candidates=np.array([40, 7, 30, 9]))[0].tolist() == [7, 9, 30]
    with_nan = np.array([np.nan, 0.5, np.nan, 0.5, 0.1])
    assert top_k(with_nan, 2)[0].tolist() == [1, 3]
    assert top_k(with_nan, 4)[0].tolist() == [1, 3, 4, 0]


def test_dense_is_exact_cosine_top_k() -> None:
    vectors = np.array([[1, 0], [0, 1], [0.6, 0.8]], dtype=np.float32)
    searcher = Dense().open(Dense().build(CHUNKS, vectors), CHUNKS, vectors)
    positions, scores = searcher.search("ignored", np.array([0.6, 0.8], dtype=np.float32), 2)
    assert positions.tolist() == [2, 1]
    np.testing.assert_allclose(scores, [1.0, 0.8], rtol=1e-6)
    with pytest.raises(StageError, match="query_vector=None"):
        searcher.search("q", None, 2)
    with pytest.raises(StageError, match="vectors=None"):
        Dense().open({}, CHUNKS, None)


def test_rrf_scores_on_a_hand_example() -> None:
    fused, pool = rrf_scores(4, [np.array([2, 0, 1]), np.array([0, 3])], [1.0, 1.0], 60.0)
    expected = {0: 1 / 62 + 1 / 61, 1: 1 / 63, 2: 1 / 61, 3: 1 / 62}
    np.testing.assert_allclose(fused, [expected[i] for i in range(4)])
    assert top_k(fused, 4, candidates=pool)[0].tolist() == [0, 2, 3, 1]


HYBRID_TEXTS = ["apple banana", "apple", "cherry"]
HYBRID_CHUNKS = [Chunk(f"d{i}", 0, len(t), t) for i, t in enumerate(HYBRID_TEXTS)]
HYBRID_VECTORS = np.array([[1, 0], [0, 1], [0.6, 0.8]], dtype=np.float32)
QUERY_VECTOR = np.array([1, 0], dtype=np.float32)


def hybrid_search(stage: Hybrid) -> list[int]:
    searcher = stage.open(stage.build(HYBRID_CHUNKS, HYBRID_VECTORS), HYBRID_CHUNKS, HYBRID_VECTORS)
    return searcher.search("apple", QUERY_VECTOR, 3)[0].tolist()


def test_hybrid_rrf_ranks_by_hand() -> None:
    # BM25 ranks [1, 0] (the shorter chunk first; "cherry" shares no term); dense ranks [0, 2, 1].
    # RRF: c0 = 1/61 + 1/62, c1 = 1/63 + 1/61, c2 = 1/62, so [0, 1, 2].
    assert hybrid_search(Hybrid("rrf", 0.5)) == [0, 1, 2]
    assert hybrid_search(Hybrid("rrf", 1.0)) == [0, 2, 1]  # dense alone
    assert hybrid_search(Hybrid("rrf", 0.0)) == [1, 0]  # BM25 alone: c2 is in no list it counts


def test_hybrid_weighted_is_a_convex_combination_of_min_max_scores() -> None:
    stage = Hybrid("weighted", 0.5)
    searcher = stage.open(stage.build(HYBRID_CHUNKS, HYBRID_VECTORS), HYBRID_CHUNKS, HYBRID_VECTORS)
    sparse = searcher.sparse.scores("apple")
    expected = 0.5 * min_max(np.array([1.0, 0.0, 0.6])) + 0.5 * min_max(sparse)
    positions, scores = searcher.search("apple", QUERY_VECTOR, 3)
    assert positions.tolist() == list(np.argsort(-expected, kind="stable"))
    np.testing.assert_allclose(scores, np.sort(expected)[::-1], rtol=1e-6)
    assert hybrid_search(Hybrid("weighted", 0.0))[:2] == [1, 0]


def test_hybrid_params_and_protocol() -> None:
    stage = Hybrid("weighted", 0.3, bm25=BM25(k1=0.9, stopwords="english"))
    assert stage.params.bm25.k1 == 0.9 and stage.params.bm25.stopwords == "english"
    assert Hybrid(bm25={"b": 0.5}).params.bm25.b == 0.5
    assert Hybrid(bm25={"k1": 3.0}).index_params() == Hybrid().index_params()
    assert all(isinstance(r, Retriever) for r in (BM25(), Dense(), Hybrid()))
    with pytest.raises(
        ConfigError, match=r"^Hybrid: fusion must be 'rrf', 'convex' or 'weighted', but got fusion='max'$"
    ):
        Hybrid("max")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=r"^Hybrid: weight must be <= 1.0, but got weight=1.5$"):
        Hybrid(weight=1.5)
    with pytest.raises(ConfigError, match=r"^BM25: b must be <= 1.0, but got b=2$"):
        BM25(b=2)


def hit(doc: str, score: float, rank: int) -> Hit:
    return Hit(Chunk(doc, 0, 1, "x"), score, rank, rank - 1)


def test_doc_aggregation_max_versus_sum() -> None:
    hits = [hit("A", 0.9, 1), hit("B", 0.8, 2), hit("B", 0.7, 3), hit("C", 0.5, 4), hit("A", 0.1, 5)]
    assert aggregate_docs(hits, "max") == [("A", 0.9), ("B", 0.8), ("C", 0.5)]
    summed = aggregate_docs(hits, "sum")
    assert [d for d, _ in summed] == ["B", "A", "C"]
    np.testing.assert_allclose([s for _, s in summed], [1.5, 1.0, 0.5])
    assert aggregate_docs([], "sum") == []
