"""Params a PostgreSQL worker suggests, written in batches shortly after (or with the trial's next write).

An objective suggests its params in a burst at its start; one statement for the burst instead of
one per param takes most of the per-trial database work away. A background thread writes what
has waited ``delay`` seconds, so a worker killed during a long evaluation has its params in the
database (and the re-queued copy repeats them); any other write to the trial, and finishing it,
first takes that trial's pending params into its own transaction.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

Row = dict[str, Any]


class ParamBuffer:
    """Pending param rows per trial and the thread that writes them ``delay`` seconds later.

    ``write(rows)`` stores rows and returns the ids of trials it could write to; rows of any other
    trial were refused (the trial finished meanwhile) and :meth:`take` raises ``refused(trial_id)``.
    """

    def __init__(
        self,
        write: Callable[[list[Row]], set[int]],
        refused: Callable[[int], BaseException],
        *,
        delay: float,
    ) -> None:
        self._write = write
        self._refused = refused
        self._delay = delay
        self._cv = threading.Condition()
        self._pending: dict[int, dict[str, Row]] = {}
        self._in_flight: set[int] = set()
        self._errors: dict[int, BaseException] = {}
        self._thread: threading.Thread | None = None
        self._closed = False

    def add(self, row: Row) -> None:
        with self._cv:
            first = not self._pending
            self._pending.setdefault(row["trial_id"], {})[row["name"]] = row
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="ragtune-param-writer", daemon=True)
                self._thread.start()
            if first:  # the writer sleeps until a burst starts, then waits out the delay anyway
                self._cv.notify_all()

    def take(self, trial_id: int) -> list[Row]:
        """The trial's rows not written yet (the caller writes them), after any write in flight."""
        with self._cv:
            while trial_id in self._in_flight:
                self._cv.wait()
            error = self._errors.pop(trial_id, None)
            rows = list(self._pending.pop(trial_id, {}).values())
        if error is not None:
            raise error
        return rows

    def forget(self, trial_id: int) -> None:
        with self._cv:
            self._pending.pop(trial_id, None)
            self._errors.pop(trial_id, None)

    def _run(self) -> None:
        while True:
            with self._cv:
                while not self._pending and not self._closed:
                    self._cv.wait()
                if self._closed and not self._pending:
                    return
            with self._cv:
                deadline = time.monotonic() + self._delay  # let the rest of the burst arrive
                while not self._closed and (left := deadline - time.monotonic()) > 0:
                    self._cv.wait(left)
                batch, self._pending = self._pending, {}
                self._in_flight = set(batch)
            if not batch:  # the trials' own writes took everything meanwhile
                continue
            rows = [r for by_name in batch.values() for r in by_name.values()]
            try:
                written = self._write(rows)
                failures: dict[int, BaseException] = {
                    tid: self._refused(tid) for tid in batch if tid not in written
                }
            except Exception as e:  # the next write to each trial reports it
                failures = dict.fromkeys(batch, e)
            with self._cv:
                self._errors.update(failures)
                self._in_flight = set()
                self._cv.notify_all()

    def close(self) -> None:
        """Write what is pending, then stop the thread."""
        with self._cv:
            self._closed = True
            self._cv.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join(timeout=30)
