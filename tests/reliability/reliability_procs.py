"""Starting trial_worker.py processes and checking what a study looks like after they died."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterable
from pathlib import Path

from ragtune.core.frozen_trial import FrozenTrial
from ragtune.core.trial_state import TrialState

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
from trial_worker import value_of  # noqa: E402

REQUEUED_FROM = "requeued_from"


def unique(stem: str) -> str:
    return f"{stem}-{uuid.uuid4().hex[:10]}"


def with_query(url: str, **params: str) -> str:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return f"{url}{'&' if '?' in url else '?'}{query}"


class Proc:
    """A trial_worker.py process; its stdout is read line by line without blocking forever."""

    def __init__(self, url: str, study: str, *extra: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(HERE / "trial_worker.py"), url, study, *extra],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self._buf = b""
        self.lines: list[str] = []

    def _pull(self, timeout: float) -> bool:
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
        deadline = time.monotonic() + timeout
        while True:
            found = [line for line in self.lines if line.startswith(prefix)]
            if len(found) >= count:
                return found
            if time.monotonic() > deadline or not self._pull(0.1):
                raise AssertionError(
                    f"worker printed {len(found)} {prefix!r} lines, wanted {count}; stdout {self.lines[-5:]}, "
                    f"stderr {self.stderr()[-2000:]}"
                )

    def progress_or_exit(self, prefix: str, count: int, *, timeout: float = 60.0) -> bool:
        """Wait until ``count`` ``prefix`` lines were printed (True) or the process ended (False)."""
        deadline = time.monotonic() + timeout
        while sum(line.startswith(prefix) for line in self.lines) < count:
            if not self._pull(0.1):
                self.proc.wait(timeout=30)
                return False
            assert time.monotonic() < deadline, f"no progress within {timeout} s; stdout {self.lines[-5:]}"
        return True

    def stderr(self) -> str:
        if self.proc.poll() is None or self.proc.stderr is None:
            return ""
        return self.proc.stderr.read().decode(errors="replace")

    def wait(self, timeout: float = 120.0) -> int:
        """Wait for the process to end (reading its output); its return code (-9 after SIGKILL)."""
        deadline = time.monotonic() + timeout
        while self._pull(0.1):
            if time.monotonic() > deadline:
                self.kill()
                raise AssertionError(f"worker did not end within {timeout} s; stdout {self.lines[-5:]}")
        return self.proc.wait(timeout=30)

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)
        while self._pull(0.0):
            pass

    def done(self) -> dict[int, float]:
        """Trials this worker announced as COMPLETE (stored before the announcement)."""
        out: dict[int, float] = {}
        for line in self.lines:
            if line.startswith("DONE "):
                _, number, value = line.split()
                out[int(number)] = float(value)
        return out


def all_done(procs: Iterable[Proc]) -> dict[int, float]:
    out: dict[int, float] = {}
    for p in procs:
        for number, value in p.done().items():
            assert number not in out, f"trial {number} announced by two workers"
            out[number] = value
    return out


def check_trials(trials: list[FrozenTrial], done: dict[int, float], *, running_allowed: bool = False) -> None:
    """The invariants every crash must keep.

    Numbers are unique and gap-free; every trial a worker announced as COMPLETE is COMPLETE with the
    announced value; every COMPLETE trial carries its own value, user attr and reports (nothing mixed
    between trials); a trial failed for a dead worker with params was re-queued exactly once (never a re-queue of a
    re-queue), with its params as fixed params.
    """
    numbers = [t.number for t in trials]
    assert numbers == list(range(len(trials))), f"numbers not unique and gap-free: {numbers}"
    by_number = {t.number: t for t in trials}
    for number, value in done.items():
        t = by_number[number]
        assert t.state is TrialState.COMPLETE and t.values == (value,), (number, t.state, t.values, value)
    for t in trials:
        if t.state is TrialState.COMPLETE:
            assert t.values is not None and t.values[0] == value_of(dict(t.params)), t
            assert t.user_attrs["value"] == t.values[0]
            assert dict(t.intermediate_vectors) == {0: (t.values[0] + 1.0,), 1: (t.values[0] + 0.5,)}
        if not running_allowed:
            assert t.state is not TrialState.RUNNING, f"trial {t.number} still RUNNING"
    copies: dict[int, list[FrozenTrial]] = {}
    for t in trials:
        source = t.system_attrs.get(REQUEUED_FROM)
        if source is not None:
            copies.setdefault(int(source), []).append(t)
    for source, found in copies.items():
        assert len(found) == 1, f"trial {source} re-queued {len(found)} times"
        original = by_number[source]
        assert original.state is TrialState.FAIL, original
        assert REQUEUED_FROM not in original.system_attrs, f"re-queue of a re-queue: {source}"
        assert found[0].system_attrs["fixed_params"] == dict(original.params)
        if found[0].state is TrialState.COMPLETE:
            for name, value in original.params.items():
                assert found[0].params[name] == value
    for t in trials:
        if t.state is TrialState.FAIL and t.fail_reason and REQUEUED_FROM not in t.system_attrs:
            dead = "heartbeat" in t.fail_reason or "stopped before it finished" in t.fail_reason
            if dead and t.params:  # one that died before its first param is not worth repeating
                assert t.number in copies, f"dead worker's trial {t.number} was not re-queued"
