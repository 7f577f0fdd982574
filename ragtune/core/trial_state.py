"""The life cycle of a trial."""

from __future__ import annotations

import enum


class TrialState(enum.IntEnum):
    """RUNNING -> COMPLETE | PRUNED | FAIL; WAITING trials are enqueued and not started yet."""

    RUNNING = 0
    COMPLETE = 1
    PRUNED = 2
    FAIL = 3
    WAITING = 4

    def is_finished(self) -> bool:
        return self in (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)
