"""The life cycle of a trial."""

from __future__ import annotations

import enum


class TrialState(enum.IntEnum):
    """RUNNING -> COMPLETE | PRUNED | FAIL; WAITING trials are enqueued and not started yet.

    Prints like Optuna's: ``str(TrialState.COMPLETE) == "TrialState.COMPLETE"``.
    """

    RUNNING = 0
    COMPLETE = 1
    PRUNED = 2
    FAIL = 3
    WAITING = 4

    def __str__(self) -> str:
        return f"{type(self).__name__}.{self.name}"

    def __format__(self, format_spec: str) -> str:
        return format(str(self), format_spec)

    def is_finished(self) -> bool:
        return self in (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)
