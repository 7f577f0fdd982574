"""EntryStore's plain-value API (JSON and bytes by key, with a cross-process lock), used apart from Cache."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from ragtune.pipelines.entry_store import EntryStore
from ragtune.pipelines.keys import content_key


def test_json_and_bytes_round_trip_and_miss(tmp_path):
    store = EntryStore(tmp_path / "entries", max_bytes=1 << 20)
    key = content_key("prompt", "model")
    assert store.get_json("llm/chat", key) is None
    store.put_json("llm/chat", key, {"answer": "42", "tokens": [3, 5]})
    assert store.get_json("llm/chat", key) == {"answer": "42", "tokens": [3, 5]}
    store.put_bytes("blob/raw", key, b"\x00\xffbytes")
    assert store.get_bytes("blob/raw", key) == b"\x00\xffbytes"
    counts = store.counters.snapshot()["llm/chat"]
    assert (counts.hits, counts.misses) == (1, 1)
    # another store on the same folder (another process, a later run) reads the same value
    assert EntryStore(tmp_path / "entries").get_json("llm/chat", key) == {"answer": "42", "tokens": [3, 5]}


def test_a_damaged_value_is_a_miss_and_is_deleted(tmp_path):
    store = EntryStore(tmp_path)
    key = content_key("x")
    store.put_json("llm/chat", key, "ok")
    path = store.path_for("llm/chat", key)
    path.write_bytes(path.read_bytes()[:-1] + b"X")
    assert store.get_json("llm/chat", key) is None
    assert not path.exists() and store.counters.snapshot()["llm/chat"].corrupt == 1


def test_lock_makes_two_processes_compute_a_value_once(tmp_path):
    worker = textwrap.dedent(
        """
        import sys, time
        from ragtune.pipelines.entry_store import EntryStore
        store = EntryStore(sys.argv[1])
        key = "ab" * 32
        with store.lock("llm/chat", key):
            if store.get_json("llm/chat", key) is None:
                time.sleep(0.5)  # the other process waits on the lock meanwhile
                store.put_json("llm/chat", key, sys.argv[2])
                with open(sys.argv[3], "a") as log:
                    log.write(sys.argv[2] + "\\n")
        """
    )
    log = tmp_path / "computed.log"
    procs = [
        subprocess.Popen([sys.executable, "-c", worker, str(tmp_path / "c"), name, str(log)])
        for name in ("a", "b")
    ]
    assert [p.wait(timeout=60) for p in procs] == [0, 0]
    computed = log.read_text().split()
    assert len(computed) == 1
    assert EntryStore(tmp_path / "c").get_json("llm/chat", "ab" * 32) == computed[0]


def test_eviction_keeps_the_store_under_max_bytes(tmp_path):
    store = EntryStore(tmp_path, max_bytes=6000)
    for i in range(10):
        store.put_bytes("blob/raw", content_key(str(i)), bytes(1000))
    info = store.info()
    assert info["bytes"] <= 6000 and info["entries"] < 10
    assert store.get_bytes("blob/raw", content_key("9")) == bytes(1000)  # the newest survives
