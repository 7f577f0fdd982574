"""Disk cache faults: truncated, altered, deleted and half-written entries are detected, rebuilt, never served.

The faults are applied to real entry files of real index builds (chunks, fitted TF-IDF/SVD models,
embedding shards, BM25 and dense indexes), and to entries written by processes killed with SIGKILL
at chosen points (mid-write, before the rename, while holding a build lock) and at random times.
"""

from __future__ import annotations

import os
import random
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ragtune.datasets import Document
from ragtune.pipelines import Cache, Pipeline, chunkers, embedders, retrievers
from ragtune.pipelines.artifacts import CorruptEntry, decode_entry

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
import cache_worker  # noqa: E402

CORPUS = tuple(
    Document(
        f"d{i}", " ".join(f"topic{(i * j) % 13} word{i}-{j} shared text" for j in range(12)), f"title {i}"
    )
    for i in range(40)
)
QUESTIONS = ("topic3 word5", "shared text", "word17-2 topic7", "title 9")


def dense() -> Pipeline:
    return Pipeline(
        chunker=chunkers.Window(160, 32),
        embedder=embedders.TfidfSvdEmbedder(dim=12),
        retriever=retrievers.Dense(),
        k=5,
    )


def bm25() -> Pipeline:
    return Pipeline(chunker=chunkers.Window(160, 32), retriever=retrievers.BM25(), k=5)


def snapshot(pipeline: Pipeline, cache: Cache) -> dict[str, Any]:
    """Everything a trial would see from this index: chunks, vectors and rankings of a few questions."""
    index = pipeline.build_index(CORPUS, cache=cache)
    return {
        "chunks": index.chunks,
        "vectors": None if index.vectors is None else index.vectors.copy(),
        "rankings": [[d for d, _ in pipeline.query(index, q).doc_ranking] for q in QUESTIONS],
        "stages": dict(index.stages),
    }


def same(a: dict[str, Any], b: dict[str, Any]) -> None:
    assert a["chunks"] == b["chunks"]
    assert a["rankings"] == b["rankings"]
    if a["vectors"] is None:
        assert b["vectors"] is None
    else:
        np.testing.assert_array_equal(a["vectors"], b["vectors"])


def entries(root: Path) -> list[Path]:
    return sorted(root.rglob("*.rtc"))


def all_decode(root: Path) -> None:
    for path in entries(root):
        decode_entry(path.read_bytes())  # raises CorruptEntry on a bad file


def label_of(root: Path, path: Path) -> str:
    return "/".join(path.relative_to(root).parts[:2])


# -- the faults -----------------------------------------------------------------------------------


def truncate_half(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def truncate_empty(path: Path) -> None:
    path.write_bytes(b"")


def truncate_last_byte(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:-1])


def flip_payload_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[-1] ^= 0x40
    path.write_bytes(bytes(data))


def flip_header_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[5 + 8 + 32 + 3] ^= 0x01  # inside the header JSON
    path.write_bytes(bytes(data))


def flip_magic(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[0] ^= 0xFF
    path.write_bytes(bytes(data))


def append_garbage(path: Path) -> None:
    with open(path, "ab") as f:
        f.write(b"\x00garbage")


def zero_middle(path: Path) -> None:
    data = bytearray(path.read_bytes())
    mid = len(data) // 2
    data[mid : mid + 64] = bytes(min(64, len(data) - mid))
    path.write_bytes(bytes(data))


def delete(path: Path) -> None:
    path.unlink()


CORRUPTIONS: dict[str, Callable[[Path], None]] = {
    "truncate_half": truncate_half,
    "truncate_empty": truncate_empty,
    "truncate_last_byte": truncate_last_byte,
    "flip_payload_byte": flip_payload_byte,
    "flip_header_byte": flip_header_byte,
    "flip_magic": flip_magic,
    "append_garbage": append_garbage,
    "zero_middle": zero_middle,
}
FAULTS: dict[str, Callable[[Path], None]] = {**CORRUPTIONS, "delete": delete}


# -- index builds ---------------------------------------------------------------------------------


@pytest.mark.parametrize("make", [dense, bm25], ids=["dense", "bm25"])
@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_every_entry_damaged_is_rebuilt_and_results_are_unchanged(
    tmp_path: Path, make: Any, fault: str
) -> None:
    root = tmp_path / "cache"
    reference = snapshot(make(), Cache(root=root))
    damaged = entries(root)
    assert damaged, "the build wrote no cache entries"
    for path in damaged:
        FAULTS[fault](path)

    healing = Cache(root=root)  # a new process: nothing remembered in memory
    same(reference, snapshot(make(), healing))
    counts = healing.counts
    for path in damaged:
        label = label_of(root, path)
        if label.startswith("fit-family/"):
            # A copy of the widest fit of a family, stored with put() when that fit is rebuilt.
            assert path.exists() and counts[f"fit/{label.split('/', 1)[1]}"].builds >= 1, (label, counts)
        else:
            assert counts[label].builds >= 1, (label, counts[label])
        if fault in CORRUPTIONS:
            assert counts[label].corrupt >= 1, (label, counts[label])
    all_decode(root)

    healed = Cache(root=root)
    again = snapshot(make(), healed)
    same(reference, again)
    assert healed.builds() == 0 and set(again["stages"].values()) == {"hit"}, healed.counts


@pytest.mark.parametrize("fault", ["truncate_half", "flip_payload_byte", "append_garbage", "delete"])
def test_one_damaged_entry_among_good_ones(tmp_path: Path, fault: str) -> None:
    """Only the damaged step is rebuilt; the intact ones are served from the cache."""
    root = tmp_path / "cache"
    reference = snapshot(dense(), Cache(root=root))
    for victim in entries(root):
        FAULTS[fault](victim)
        cache = Cache(root=root)
        same(reference, snapshot(dense(), cache))
        label = label_of(root, victim)
        # A fit may come back derived from its family's widest fit (an exact slice), not refitted.
        rebuilt = {lab for lab, c in cache.counts.items() if c.builds or c.derived}
        if label.startswith("fit-family/"):
            # Read only when a fit of the family is missing: every fit is intact here, so nothing
            # is rebuilt; the first read finds the damage, deletes the entry and never serves it.
            assert not rebuilt, cache.counts
            assert cache.get(label, victim.name.removesuffix(".rtc")) is None
            all_decode(root)
            continue
        assert label in rebuilt, (label, cache.counts)
        if not label.startswith(("chunks/", "fit/")):  # their rebuild may cascade to steps keyed after them
            assert rebuilt == {label}, (label, cache.counts)
        all_decode(root)


@pytest.mark.parametrize("fault", sorted(CORRUPTIONS))
def test_get_never_returns_a_corrupt_entry(tmp_path: Path, fault: str) -> None:
    cache = Cache(root=tmp_path)
    k = cache_worker.key(1)
    cache.put(cache_worker.LABEL, k, cache_worker.expected(1))
    path = cache.path_for(cache_worker.LABEL, k)
    CORRUPTIONS[fault](path)
    with pytest.raises(CorruptEntry):
        decode_entry(path.read_bytes())
    assert cache.get(cache_worker.LABEL, k) is None
    assert cache.counts[cache_worker.LABEL].corrupt == 1 and not path.exists()
    built = cache.get_or_build(cache_worker.LABEL, k, lambda: cache_worker.expected(1))
    assert not built.hit
    np.testing.assert_array_equal(
        cache.get(cache_worker.LABEL, k).artifacts["values"], cache_worker.expected(1)["values"]
    )  # type: ignore[union-attr,index]


def test_an_entry_at_the_wrong_address_is_not_served(tmp_path: Path) -> None:
    cache = Cache(root=tmp_path)
    a, b = cache_worker.key(1), cache_worker.key(2)
    cache.put(cache_worker.LABEL, a, cache_worker.expected(1))
    cache.put(cache_worker.LABEL, b, cache_worker.expected(2))
    # A misplaced file (restored backup, copy into the wrong folder, filesystem damage) is a valid entry.
    cache.path_for(cache_worker.LABEL, b).write_bytes(cache.path_for(cache_worker.LABEL, a).read_bytes())
    found = cache.get(cache_worker.LABEL, b)
    assert found is None or np.array_equal(found.artifacts["values"], cache_worker.expected(2)["values"])


def test_damaged_embedding_shard_re_embeds_only_its_texts(tmp_path: Path) -> None:
    root = tmp_path / "cache"
    first = Cache(root=root)
    reference = snapshot(dense(), first)
    texts = first.counts["embed/tfidf-svd"].items
    shards = sorted((root / "embed").rglob("*.rtc"))
    assert len(shards) == 1 and texts > 0
    truncate_half(shards[0])
    cache = Cache(root=root)
    same(reference, snapshot(dense(), cache))
    c = cache.counts["embed/tfidf-svd"]
    assert c.corrupt == 1 and c.items == texts and c.builds == 1
    assert cache.counts["chunks/window"].builds == 0 and cache.counts["fit/tfidf-svd"].builds == 0


def test_cache_info_and_eviction_ignore_damaged_and_temp_files(tmp_path: Path) -> None:
    root = tmp_path / "cache"
    snapshot(bm25(), Cache(root=root))
    (root / "index" / "bm25" / ".tmp-orphan.part").write_bytes(b"half a file")
    for path in entries(root):
        truncate_half(path)
    cache = Cache(root=root, max_bytes=1)
    info = cache.info()
    assert info["entries"] == len(entries(root))
    cache.evict()
    assert entries(root) == []


# -- real processes killed at chosen points -------------------------------------------------------


def check_served_entries(root: Path, n: int) -> int:
    """Every entry a fresh cache serves is exactly its key's value; returns how many were served."""
    cache = Cache(root=root)
    served = 0
    for i in range(n):
        found = cache.get(cache_worker.LABEL, cache_worker.key(i))
        if found is None:
            continue
        served += 1
        want = cache_worker.expected(i)
        np.testing.assert_array_equal(found.artifacts["values"], want["values"])
        assert found.artifacts["meta"] == want["meta"]
    all_decode(root)
    return served


def build_here(root: Path, i: int) -> bool:
    """get_or_build key ``i`` in this process with a fresh cache; whether it was a hit."""
    result = Cache(root=root).get_or_build(
        cache_worker.LABEL, cache_worker.key(i), lambda: cache_worker.expected(i)
    )
    return result.hit


@pytest.mark.parametrize("mode", ["die-mid-write", "die-before-rename"])
def test_writer_killed_while_writing_leaves_no_entry(tmp_path: Path, mode: str) -> None:
    proc = cache_worker.start(tmp_path, mode, 3)
    proc.join(timeout=60)
    assert proc.exitcode == -signal.SIGKILL
    leftovers = list(tmp_path.rglob(".tmp-*.part"))
    assert leftovers, "the worker died before creating its temp file"
    assert entries(tmp_path) == [] and check_served_entries(tmp_path, 4) == 0
    assert build_here(tmp_path, 3) is False
    assert check_served_entries(tmp_path, 4) == 1 and build_here(tmp_path, 3) is True


def test_builder_killed_holding_the_lock_does_not_block_others(tmp_path: Path) -> None:
    holder = cache_worker.start(tmp_path, "die-in-build", 5)
    try:
        deadline = time.monotonic() + 60
        while not (tmp_path / "building").exists():
            assert holder.is_alive() and time.monotonic() < deadline, "the builder never started"
            time.sleep(0.01)
        os.kill(holder.pid, signal.SIGKILL)
        holder.join(timeout=30)
        assert holder.exitcode == -signal.SIGKILL
    finally:
        if holder.is_alive():
            holder.kill()
    # This would hang (and time out) if the dead builder's flock outlived it.
    assert build_here(tmp_path, 5) is False
    assert build_here(tmp_path, 5) is True


def kill_writers_at_random(root: Path, *, rounds: int, writers: int, n_keys: int, seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(rounds):
        procs = [cache_worker.start(root, "loop", n_keys) for _ in range(writers)]
        try:
            time.sleep(rng.uniform(0.05, 0.3))  # writes in flight
            for p in procs:
                time.sleep(rng.uniform(0.0, 0.02))
                os.kill(p.pid, signal.SIGKILL)
            for p in procs:
                p.join(timeout=30)
                assert p.exitcode == -signal.SIGKILL
        finally:
            for p in procs:
                if p.is_alive():
                    p.kill()
        check_served_entries(root, n_keys)


def test_writers_killed_at_random_times_never_leave_a_servable_bad_entry(tmp_path: Path, rounds: Any) -> None:
    kill_writers_at_random(tmp_path, rounds=rounds(6, 40), writers=2, n_keys=6, seed=10)
    assert check_served_entries(tmp_path, 6) > 0


@pytest.mark.slow
def test_many_writers_killed_while_a_reader_reads(tmp_path: Path) -> None:
    """Long run: 4 writers killed at random, 40 rounds; a reader process checks every entry it is served."""
    reader = cache_worker.context().Process(
        target=cache_worker.read_forever, args=(str(tmp_path), 8), daemon=True
    )
    reader.start()
    try:
        kill_writers_at_random(tmp_path, rounds=40, writers=4, n_keys=8, seed=11)
        assert reader.is_alive(), "the reader was served a wrong entry (it exits with code 3)"
        assert list(tmp_path.rglob(".tmp-*.part")), "no kill landed inside a write"
    finally:
        reader.kill()
        reader.join(timeout=30)
    assert check_served_entries(tmp_path, 8) > 0
