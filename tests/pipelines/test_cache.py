"""The on-disk cache: round trips, checksums catching corruption, LRU eviction, counters, info/clear,
and several real processes building or writing one key at once."""

from __future__ import annotations

import multiprocessing
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp

from ragtune.exceptions import CacheError, ValidationError
from ragtune.pipelines.artifacts import CorruptEntry, decode_entry, encode_entry
from ragtune.pipelines.cache import Cache
from ragtune.pipelines.keys import content_key

KEY = content_key("some", "entry")


def test_entry_round_trip_of_arrays_sparse_and_json(tmp_path: Path) -> None:
    cache = Cache(tmp_path)
    matrix = sp.random(5, 7, density=0.3, format="csr", random_state=np.random.default_rng(0))
    parts = {"a": np.arange(6, dtype=np.float32).reshape(2, 3), "m": matrix, "j": {"x": [1, "two", None]}}
    cache.put("index/test", KEY, parts)
    found = cache.get("index/test", KEY)
    assert found is not None and found.hit
    np.testing.assert_array_equal(found.artifacts["a"], parts["a"])
    assert (found.artifacts["m"] != matrix).nnz == 0
    assert found.artifacts["j"] == {"x": [1, "two", None]}
    assert cache.path_for("index/test", KEY) == tmp_path / "index" / "test" / KEY[:2] / f"{KEY}.rtc"


def test_object_arrays_are_refused_rather_than_pickled() -> None:
    with pytest.raises(ValueError):
        encode_entry({"o": np.array([object()], dtype=object)}, {})


@pytest.mark.parametrize("damage", ["truncate", "flip", "extend"])
def test_a_damaged_entry_is_detected_deleted_and_rebuilt(tmp_path: Path, damage: str) -> None:
    cache = Cache(tmp_path)
    cache.put("chunks/x", KEY, {"v": np.arange(1000, dtype=np.int64)})
    path = cache.path_for("chunks/x", KEY)
    data = bytearray(path.read_bytes())
    if damage == "truncate":
        data = data[: len(data) // 2]
    elif damage == "flip":
        data[-5] ^= 0xFF
    else:
        data += b"junk"
    path.write_bytes(bytes(data))
    with pytest.raises(CorruptEntry):
        decode_entry(bytes(data))
    calls: list[int] = []
    rebuilt = cache.get_or_build("chunks/x", KEY, lambda: calls.append(1) or {"v": np.arange(3)})
    assert calls == [1] and not rebuilt.hit and rebuilt.artifacts["v"].tolist() == [0, 1, 2]
    counts = cache.counts["chunks/x"]
    assert counts.corrupt == 1 and counts.builds == 1
    assert cache.get("chunks/x", KEY) is not None  # the rebuilt entry is served


def test_get_or_build_counts_hits_misses_and_builds(tmp_path: Path) -> None:
    cache = Cache(tmp_path)
    built = cache.get_or_build("fit/k", KEY, lambda: {"x": np.ones(2)})
    again = Cache(tmp_path).get_or_build("fit/k", KEY, lambda: pytest.fail("must not rebuild"))
    assert not built.hit and again.hit and again.build_seconds == pytest.approx(built.build_seconds)
    assert cache.counts["fit/k"].misses == 1 and cache.counts["fit/k"].builds == 1
    assert cache.builds() == 1
    cache.reset_counts()
    assert cache.counts == {}


def test_lru_eviction_keeps_recently_read_entries(tmp_path: Path) -> None:
    payload = {"v": np.zeros(250, dtype=np.float32)}  # ~1.3 KB per entry with header and npy header
    probe = Cache(tmp_path / "probe")
    probe.put("index/x", KEY, payload)
    size = probe.info()["bytes"]
    cache = Cache(tmp_path / "lru", max_bytes=int(size * 2.5))
    keys = [content_key(str(i)) for i in range(3)]
    for i, key in enumerate(keys[:2]):
        cache.put("index/x", key, payload)
        os.utime(cache.path_for("index/x", key), (1000.0 + i, 1000.0 + i))
    assert cache.get("index/x", keys[0]) is not None  # touched: now the most recently used
    cache.put("index/x", keys[2], payload)
    assert cache.get("index/x", keys[0]) is not None
    assert cache.get("index/x", keys[1]) is None  # the least recently used went
    assert cache.get("index/x", keys[2]) is not None
    assert cache.info()["bytes"] <= cache.max_bytes


def test_info_and_clear(tmp_path: Path) -> None:
    cache = Cache(tmp_path)
    cache.put("chunks/window", content_key("a"), {"c": [[1]]})
    cache.put("chunks/window", content_key("b"), {"c": [[2]]})
    cache.put("index/bm25", content_key("c"), {"c": [[3]]})
    info = cache.info()
    assert info["entries"] == 3 and info["kinds"] == {"chunks/window": 2, "index/bm25": 1}
    assert info["bytes"] == sum(info["kind_bytes"].values()) > 0
    cache.clear()
    assert cache.info()["entries"] == 0 and Cache(tmp_path / "missing").info()["entries"] == 0


def test_bad_arguments(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="max_bytes must be > 0"):
        Cache(tmp_path, max_bytes=0)
    with pytest.raises(ValidationError, match="memo_size must be >= 0, but got memo_size=-1"):
        Cache(tmp_path, memo_size=-1)
    with pytest.raises(CacheError, match="key must be a lowercase hex digest"):
        Cache(tmp_path).path_for("chunks/x", "../../etc")


# Real processes: fork where the platform has it (fast), spawn elsewhere.
_MP = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")


def _build_once(root: str, barrier: Any, queue: Any) -> None:
    cache = Cache(root)

    def slow_build() -> dict[str, np.ndarray]:
        time.sleep(0.3)
        return {"v": np.arange(100_000, dtype=np.float64)}

    barrier.wait(timeout=60)
    result = cache.get_or_build("index/shared", KEY, slow_build)
    queue.put((cache.builds(), result.hit))


def _write_many(root: str, barrier: Any, who: int) -> None:
    cache = Cache(root)
    barrier.wait(timeout=60)
    for _ in range(10):
        cache.put("index/shared", KEY, {"v": np.arange(100_000, dtype=np.float64), "who": who})


def _run_together(target: Any, *args: Any) -> None:
    barrier = _MP.Barrier(2)
    processes = [_MP.Process(target=target, args=(*args[:1], barrier, *extra)) for extra in args[1:]]
    for p in processes:
        p.start()
    for p in processes:
        p.join(timeout=120)
        assert p.exitcode == 0


def _files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and not p.name.endswith(".lock")]


def test_two_processes_building_one_key_build_it_once(tmp_path: Path) -> None:
    queue = _MP.Queue()
    _run_together(_build_once, str(tmp_path), (queue,), (queue,))
    results = sorted(queue.get(timeout=10) for _ in range(2))
    assert results == [(0, True), (1, False)]  # one built; the other waited on the lock and read it
    (entry,) = _files(tmp_path)
    artifacts, _ = decode_entry(entry.read_bytes())
    assert artifacts["v"].shape == (100_000,)


def test_two_processes_writing_one_key_leave_one_valid_entry(tmp_path: Path) -> None:
    _run_together(_write_many, str(tmp_path), (1,), (2,))
    (entry,) = _files(tmp_path)  # one entry, no temp files left behind
    artifacts, _ = decode_entry(entry.read_bytes())
    assert artifacts["who"] in (1, 2) and artifacts["v"][-1] == 99_999


def test_index_memo_keeps_the_most_recently_used(tmp_path: Path) -> None:
    cache = Cache(tmp_path, memo_size=2)
    cache.memo_put("a", 1)
    cache.memo_put("b", 2)
    assert cache.memo_get("a") == 1  # "a" is now the most recent: "b" goes first
    cache.memo_put("c", 3)
    assert (cache.memo_get("a"), cache.memo_get("b"), cache.memo_get("c")) == (1, None, 3)
    none = Cache(tmp_path, memo_size=0)
    none.memo_put("a", 1)
    assert none.memo_get("a") is None
