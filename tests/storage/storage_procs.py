"""Starting and reading storage_worker.py processes from the tests (real processes, no mocks)."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

WORKER = Path(__file__).with_name("storage_worker.py")


def unique(stem: str) -> str:
    return f"{stem}-{uuid.uuid4().hex[:10]}"


class Worker:
    """A storage_worker.py process whose stdout is read line by line without blocking forever."""

    def __init__(self, mode: str, url: str, study: str, *extra: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(WORKER), mode, url, study, *extra],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self._buf = b""
        self.lines: list[str] = []  # every line read so far

    def _pull(self, timeout: float) -> bool:
        """Read what is there; False when stdout is closed."""
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        ready, _, _ = select.select([fd], [], [], timeout)
        if not ready:
            return True
        chunk = os.read(fd, 65536)
        if not chunk:
            return False
        self._buf += chunk
        *done, self._buf = self._buf.split(b"\n")
        self.lines += [d.decode() for d in done]
        return True

    def wait_for(self, prefix: str, *, count: int = 1, timeout: float = 60.0) -> list[str]:
        """Block until ``count`` lines starting with ``prefix`` were printed in all; return them."""
        deadline = time.monotonic() + timeout
        while True:
            found = [line for line in self.lines if line.startswith(prefix)]
            if len(found) >= count:
                return found
            if time.monotonic() > deadline or not self._pull(0.1):
                err = (
                    self.proc.stderr.read().decode()
                    if self.proc.poll() is not None and self.proc.stderr
                    else ""
                )
                raise AssertionError(
                    f"worker printed {len(found)} {prefix!r} lines, wanted {count}; {err[-3000:]}"
                )

    def kill9(self) -> None:
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)
        while self._pull(0.0):  # lines the worker printed before it died
            pass

    def finish(self, timeout: float = 300.0) -> list[str]:
        """Wait for a normal exit and return all stdout lines."""
        out, err = self.proc.communicate(timeout=timeout)
        assert self.proc.returncode == 0, err.decode()[-3000:]
        rest, self._buf = self._buf + out, b""
        self.lines += [x for x in rest.decode().splitlines() if x]
        return self.lines

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.kill9()
