"""Processes that write to a ragtune cache and die by SIGKILL at a chosen point (started by the tests).

The tests start :func:`run` in child processes forked from the test process, which has ragtune imported,
so a child is writing within milliseconds. Every value is a deterministic function of its key
(:func:`expected`), so a reader can tell a correct entry from a wrong one.

Modes:
  loop               put entries for keys 0..n-1 forever, round-robin (the parent kills it at random)
  die-mid-write      start writing key n, kill itself after half of the bytes reached the temp file
  die-before-rename  write key n's temp file completely, kill itself just before the rename
  die-in-build       take key n's build lock through get_or_build, write a marker file, then hang
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from pathlib import Path
from typing import Any

import numpy as np

LABEL = "fault/entry"
ROWS = 256 * 1024  # 2 MiB of float64 per entry: big enough for a kill to land inside a write


def key(i: int) -> str:
    return f"{i:064x}"


def expected(i: int) -> dict[str, Any]:
    return {"values": np.arange(ROWS, dtype=np.float64) * (i + 1), "meta": {"i": i, "name": f"entry {i}"}}


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


class _HalfWriter:
    """Stands in for the temp file: writes half of what it is given, then the process dies."""

    def __init__(self, handle: Any) -> None:
        self.handle = handle

    def __enter__(self) -> _HalfWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def write(self, data: bytes) -> int:
        self.handle.write(data[: len(data) // 2])
        self.handle.flush()
        die()
        return 0


def run(root: str, mode: str, n: int) -> None:
    from ragtune.pipelines import Cache
    from ragtune.pipelines import artifacts as artifacts_module

    cache = Cache(root=root)
    if mode == "loop":
        i = 0
        while True:
            cache.put(LABEL, key(i % n), expected(i % n))
            i += 1
    elif mode == "die-mid-write":
        real_fdopen = os.fdopen
        artifacts_module.os.fdopen = lambda fd, *a, **k: _HalfWriter(real_fdopen(fd, *a, **k))  # type: ignore[assignment]
        cache.put(LABEL, key(n), expected(n))
    elif mode == "die-before-rename":
        artifacts_module.os.replace = lambda src, dst: die()  # type: ignore[assignment]
        cache.put(LABEL, key(n), expected(n))
    elif mode == "die-in-build":

        def build() -> dict[str, Any]:
            (Path(root) / "building").write_text(str(os.getpid()))
            time.sleep(600)
            return expected(n)

        cache.get_or_build(LABEL, key(n), build)
    else:
        raise ValueError(f"unknown mode {mode!r}")


def read_forever(root: str, n: int) -> None:
    """Read keys 0..n-1 in a loop; exit with code 3 the first time an entry is not its key's value."""
    from ragtune.pipelines import Cache

    cache = Cache(root=root)
    while True:
        for i in range(n):
            found = cache.get(LABEL, key(i))
            if found is not None and not np.array_equal(found.artifacts["values"], expected(i)["values"]):
                os._exit(3)


_CONTEXT: Any = None


def context() -> Any:
    """Children are forked from the test process, which has ragtune imported, so they start at once."""
    global _CONTEXT
    if _CONTEXT is None:
        _CONTEXT = multiprocessing.get_context("fork")
    return _CONTEXT


def start(root: Path, mode: str, n: int) -> Any:
    proc = context().Process(target=run, args=(str(root), mode, n), daemon=True)
    proc.start()
    return proc
