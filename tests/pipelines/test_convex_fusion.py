"""Convex fusion of min-max normalised scores over each retriever's top list, on hand examples."""

from __future__ import annotations

import numpy as np

from ragtune.pipelines.ranking import top_k
from ragtune.pipelines.records import Chunk
from ragtune.pipelines.retrievers import Hybrid
from ragtune.pipelines.retrievers.bm25 import BM25Params
from ragtune.pipelines.retrievers.hybrid import HybridParams, HybridSearcher, convex_scores

TEXTS = ["apple banana", "apple", "cherry"]
CHUNKS = [Chunk(f"d{i}", 0, len(t), t) for i, t in enumerate(TEXTS)]
VECTORS = np.array([[1, 0], [0, 1], [0.6, 0.8]], dtype=np.float32)
QUERY = np.array([1, 0], dtype=np.float32)


def search(stage: Hybrid, k: int = 3) -> tuple[list[int], list[float]]:
    searcher = stage.open(stage.build(CHUNKS, VECTORS), CHUNKS, VECTORS)
    positions, scores = searcher.search("apple", QUERY, k)
    return positions.tolist(), scores.tolist()


def test_convex_scores_on_a_hand_example() -> None:
    dense = (np.array([2, 0, 1]), np.array([0.9, 0.5, 0.1]))  # -> 1, 0.5, 0 after min-max
    sparse = (np.array([0, 3]), np.array([4.0, 2.0]))  # -> 1, 0
    fused, pool = convex_scores(5, [dense, sparse], [0.5, 0.5])
    np.testing.assert_allclose(fused, [0.5 * 0.5 + 0.5 * 1.0, 0.0, 0.5, 0.0, 0.0])
    assert pool.tolist() == [0, 1, 2, 3]  # chunk 4 is in no list
    assert top_k(fused, 5, candidates=pool)[0].tolist() == [0, 2, 1, 3]
    # A one-chunk (or all-equal) list gives full credit; an empty list gives nothing.
    fused, pool = convex_scores(
        3, [(np.array([1]), np.array([7.0])), (np.zeros(0, np.int64), np.zeros(0))], [0.3, 0.7]
    )
    np.testing.assert_allclose(fused, [0.0, 0.3, 0.0])
    assert pool.tolist() == [1]
    # A zero-weight list adds no candidates.
    _, pool = convex_scores(5, [dense, sparse], [1.0, 0.0])
    assert pool.tolist() == [0, 1, 2]


def test_hybrid_convex_ranks_by_hand() -> None:
    # dense cosines [1.0, 0.0, 0.6] -> [1, 0, 0.6]; BM25 lists c1 above c0 (shorter) -> c1 1, c0 0.
    positions, scores = search(Hybrid("convex", 0.5))
    assert positions == [0, 1, 2]  # c0/c1 tie: the lower position first
    np.testing.assert_allclose(scores, [0.5, 0.5, 0.3], rtol=1e-6)
    positions, scores = search(Hybrid("convex", 0.7))
    assert positions == [0, 2, 1]
    np.testing.assert_allclose(scores, [0.7, 0.42, 0.3], rtol=1e-6)
    assert search(Hybrid("convex", 0.0))[0] == [1, 0]  # BM25 alone: cherry shares no term
    # depth=1 (k=1): each list is its best chunk alone, which gets full credit: c0 (dense), c1 (BM25).
    positions, scores = search(Hybrid("convex", 0.6, depth=1), k=1)
    assert positions == [0]
    np.testing.assert_allclose(scores, [0.6], rtol=1e-6)


class Fixed:
    """A searcher side whose scores are given (BM25's ``scores(query)``, dense's ``scores(vector)``)."""

    def __init__(self, scores: np.ndarray) -> None:
        self._scores = scores

    def scores(self, query: object) -> np.ndarray:
        return self._scores


def test_convex_matches_an_independent_reference_on_random_scores() -> None:
    rng = np.random.default_rng(7)
    n, depth = 50, 12
    for _ in range(20):
        a, b = rng.normal(size=n), np.where(rng.random(n) < 0.5, rng.gamma(2.0, size=n), 0.0)
        w = float(rng.random())
        lists = []
        for scores, floor in ((a, None), (b, 0.0)):
            ranked = sorted(
                (i for i in range(n) if floor is None or scores[i] > floor), key=lambda i: (-scores[i], i)
            )
            top = ranked[:depth]
            lists.append({i: scores[i] for i in top})
        expected = np.zeros(n)
        for weight, listed in zip((w, 1 - w), lists, strict=True):
            if listed:
                lo, hi = min(listed.values()), max(listed.values())
                for i, s in listed.items():
                    expected[i] += weight * ((s - lo) / (hi - lo) if hi > lo else 1.0)
        pool = sorted(set(lists[0]) | (set(lists[1]) if w < 1 else set()))
        best = sorted(pool, key=lambda i: (-expected[i], i))[:5]
        params = HybridParams(fusion="convex", weight=w, depth=depth, bm25=BM25Params())
        searcher = HybridSearcher(Fixed(b), Fixed(a), params)  # type: ignore[arg-type]
        positions, scores = searcher.search("q", np.zeros(2, np.float32), 5)
        assert positions.tolist() == best
        np.testing.assert_allclose(scores, expected[best], rtol=1e-5, atol=1e-6)
