"""LruMemo: the one LRU memo behind the cache's memos, the embedding store's models and TPE's memos."""

from __future__ import annotations

import threading

import pytest

from ragtune.core.lru_memo import LruMemo
from ragtune.exceptions import ValidationError


def test_least_recently_used_entry_goes_first():
    memo: LruMemo[str, int] = LruMemo(2)
    memo.put("a", 1)
    memo.put("b", 2)
    assert memo.get("a") == 1  # "b" is now the least recently used
    memo.put("c", 3)
    assert ("a" in memo, "b" in memo, "c" in memo) == (True, False, True) and len(memo) == 2


def test_get_or_create_remembers_none_and_creates_once():
    memo: LruMemo[str, int | None] = LruMemo(4)
    calls: list[str] = []

    def create() -> None:
        calls.append("x")

    assert memo.get_or_create("k", create) is None
    assert memo.get_or_create("k", create) is None
    assert calls == ["x"]


def test_concurrent_callers_of_one_key_share_one_value():
    memo: LruMemo[str, object] = LruMemo(4)
    barrier = threading.Barrier(8)
    got: list[object] = []

    def worker() -> None:
        barrier.wait()
        got.append(memo.get_or_create("model", object))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert len(got) == 8 and all(g is got[0] for g in got)


def test_zero_keeps_nothing_and_negative_is_an_error():
    memo: LruMemo[str, int] = LruMemo(0)
    memo.put("a", 1)
    assert memo.get("a") is None
    with pytest.raises(ValidationError, match="max_entries must be >= 0"):
        LruMemo(-1)
