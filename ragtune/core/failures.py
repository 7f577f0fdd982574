"""Describing a failed trial in one line: the exception, its message's first line, and where in the
user's code it was raised (the innermost frame outside ragtune, the standard library and
site-packages)."""

from __future__ import annotations

import logging
import os
import sysconfig
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ragtune.core.trial_state import TrialState

if TYPE_CHECKING:
    from ragtune.core.frozen_trial import FrozenTrial
    from ragtune.core.study import Study

_log = logging.getLogger("ragtune.optimize")

FAIL_AT_ATTR = "ragtune:fail_at"
"""Trial system attribute: ``file:line`` of the user's code a failed trial was raised from."""

_RAGTUNE_DIR = str(Path(__file__).resolve().parents[1]) + os.sep
_LIBRARY_DIRS = tuple(
    {
        str(Path(p).resolve()) + os.sep
        for key in ("stdlib", "platstdlib", "purelib", "platlib")
        if (p := sysconfig.get_paths().get(key))
    }
)
_MAX_MESSAGE = 300


def failure_reason(error: BaseException) -> str:
    """``Type: first line of the message`` (shortened to a few hundred characters)."""
    text = str(error).strip()
    first = text.splitlines()[0] if text else ""
    if len(first) > _MAX_MESSAGE:
        first = first[: _MAX_MESSAGE - 3] + "..."
    return f"{type(error).__name__}: {first}" if first else type(error).__name__


def failure_location(error: BaseException) -> str | None:
    """``path:line`` of the innermost traceback frame in the user's own code, or ``None``.

    A path under the current folder is shown relative to it."""
    tb = error.__traceback__
    found: tuple[str, int] | None = None
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if _is_user_file(filename):
            found = (filename, tb.tb_lineno)
        tb = tb.tb_next
    if found is None:
        return None
    return f"{_display_path(found[0])}:{found[1]}"


def _is_user_file(filename: str) -> bool:
    if filename.startswith("<"):
        return False
    try:
        resolved = str(Path(filename).resolve())
    except OSError:
        return False
    if resolved.startswith(_RAGTUNE_DIR):
        return False
    return not any(resolved.startswith(d) for d in _LIBRARY_DIRS)


def _display_path(filename: str) -> str:
    try:
        rel = os.path.relpath(filename)
    except ValueError:
        return filename
    return filename if rel.startswith("..") else rel


def one_line(number: int, reason: str | None, location: str | None) -> str:
    """``trial 3 failed: RuntimeError: boom (at pipe.py:12)``."""
    where = f" (at {location})" if location else ""
    return f"trial {number} failed: {reason or 'unknown reason'}{where}"


@dataclass(slots=True)
class FailureGroup:
    """Failed trials that share one reason and place."""

    reason: str
    location: str | None
    numbers: list[int] = field(default_factory=list)

    def line(self) -> str:
        where = f" (at {self.location})" if self.location else ""
        shown = ", ".join(map(str, self.numbers[:8])) + (", ..." if len(self.numbers) > 8 else "")
        return f"{len(self.numbers)} x {self.reason}{where}  [trial {shown}]"


def group_failures(trials: Sequence[FrozenTrial]) -> list[FailureGroup]:
    """The FAIL trials grouped by (reason, location), largest group first."""
    groups: dict[tuple[str, str | None], FailureGroup] = {}
    for t in trials:
        if t.state is not TrialState.FAIL:
            continue
        key = (t.fail_reason or "unknown reason", t.system_attrs.get(FAIL_AT_ATTR))
        groups.setdefault(key, FailureGroup(*key)).numbers.append(t.number)
    return sorted(groups.values(), key=lambda g: (-len(g.numbers), g.numbers[0]))


class StopOnRepeatedFailure:
    """A study callback: when the first ``limit`` trials of a run all failed for the same reason at
    the same place, stop the study (``stopped`` then holds the group) instead of burning the budget
    on a mistake every trial repeats."""

    def __init__(self, limit: int = 5) -> None:
        self.limit = limit
        self.stopped: FailureGroup | None = None
        self._seen: list[FrozenTrial] = []
        self._lock = threading.Lock()
        self._other = False

    def __call__(self, study: Study, trial: FrozenTrial) -> None:
        with self._lock:
            if self._other or self.stopped is not None:
                return
            if trial.state is not TrialState.FAIL:
                self._other = True
                return
            self._seen.append(trial)
            if len(self._seen) < self.limit:
                return
            groups = group_failures(self._seen)
            if len(groups) == 1:
                self.stopped = groups[0]
                _log.warning(
                    "stopping early: the first %d trials all failed the same way: %s%s; fix that and run again",
                    len(self._seen),
                    self.stopped.reason,
                    f" (at {self.stopped.location})" if self.stopped.location else "",
                )
                study.stop()
            else:
                self._other = True


__all__ = [
    "FAIL_AT_ATTR",
    "FailureGroup",
    "StopOnRepeatedFailure",
    "failure_location",
    "failure_reason",
    "group_failures",
    "one_line",
]
