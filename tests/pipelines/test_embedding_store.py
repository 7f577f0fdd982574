"""The per-(model, text) embedding cache: each text embedded once per model, shards verified and merged."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest

from ragtune.exceptions import StageError
from ragtune.pipelines import embedding_store
from ragtune.pipelines.cache import Cache
from ragtune.pipelines.stage import StageParams


class CountingEmbedder:
    """A user-style embedder (no inheritance): deterministic vectors from text hashes; counts texts seen."""

    kind: ClassVar[str] = "counting"
    version: ClassVar[str] = "1"

    def __init__(self, model_id: str = "counting-model", dim: int = 4) -> None:
        self.params = StageParams()
        self.model_id = model_id
        self.dim = dim
        self.seen: list[str] = []

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.seen.extend(texts)
        rows = [np.random.default_rng(sum(map(ord, t))).standard_normal(self.dim) for t in texts]
        out = np.array(rows, dtype=np.float32).reshape(len(texts), self.dim)
        return out / np.linalg.norm(out, axis=1, keepdims=True)


def test_each_text_is_embedded_once_per_model_whatever_the_batch(tmp_path: Path) -> None:
    cache, embedder = Cache(tmp_path), CountingEmbedder()
    first = cache.embed(embedder, ["a", "b", "a", "c"])
    assert embedder.seen == ["a", "b", "c"] and first.embedded == 3 and not first.hit
    np.testing.assert_array_equal(first.vectors[0], first.vectors[2])
    second = cache.embed(embedder, ["c", "d", "b"])  # another chunking sharing two texts
    assert embedder.seen[3:] == ["d"] and second.embedded == 1
    np.testing.assert_array_equal(second.vectors[0], first.vectors[3])
    # A new process (a fresh Cache on the same folder) reads the shards instead of embedding.
    fresh = CountingEmbedder()
    third = Cache(tmp_path).embed(fresh, ["d", "a"])
    assert fresh.seen == [] and third.hit and third.build_seconds >= 0.0
    np.testing.assert_array_equal(third.vectors[0], second.vectors[1])
    # Another model id is another model.
    other = CountingEmbedder("other-model")
    Cache(tmp_path).embed(other, ["a"])
    assert other.seen == ["a"]
    counts = cache.counts["embed/counting"]
    assert counts.builds == 2 and counts.items == 4 and counts.hits == 0


def test_a_corrupt_shard_is_dropped_and_its_texts_reembedded(tmp_path: Path) -> None:
    Cache(tmp_path).embed(CountingEmbedder(), ["a", "b"])
    (shard,) = tmp_path.rglob("*.rtc")
    shard.write_bytes(shard.read_bytes()[:-10])
    cache, embedder = Cache(tmp_path), CountingEmbedder()
    result = cache.embed(embedder, ["a", "b"])
    assert embedder.seen == ["a", "b"] and result.embedded == 2
    assert cache.counts["embed/counting"].corrupt == 1


def test_shards_are_merged_when_there_are_many(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(embedding_store, "COMPACT_AT", 3)
    cache, embedder = Cache(tmp_path), CountingEmbedder()
    for i in range(6):
        cache.embed(embedder, [f"text {i}"])
    assert len(list(tmp_path.rglob("*.rtc"))) <= 3
    fresh = CountingEmbedder()
    result = Cache(tmp_path).embed(fresh, [f"text {i}" for i in range(6)])
    assert fresh.seen == [] and result.vectors.shape == (6, 4)


def test_embedder_output_is_checked(tmp_path: Path) -> None:
    class Broken(CountingEmbedder):
        def embed(self, texts: Sequence[str]) -> np.ndarray:
            return np.zeros((len(texts) + 1, 2), dtype=np.float32)

    with pytest.raises(StageError, match=r"must return an array of shape \(2, d\)"):
        Cache(tmp_path).embed(Broken(), ["a", "b"])
    assert Cache(tmp_path).embed(CountingEmbedder(), []).vectors.shape[0] == 0
