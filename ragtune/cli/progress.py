"""A rich progress bar fed by study callbacks: trials done / pruned / failed, best values, ETA."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from ragtune.core.directions import StudyDirection
from ragtune.core.trial_state import TrialState

if TYPE_CHECKING:
    from ragtune.core.frozen_trial import FrozenTrial
    from ragtune.core.study import Study


class TrialProgress:
    """Context manager; call the instance as a study callback after each trial."""

    def __init__(
        self,
        total: int | None,
        names: Sequence[str],
        directions: Sequence[StudyDirection],
        *,
        enabled: bool = True,
    ) -> None:
        self.names = list(names)
        self.directions = list(directions)
        self.counts = {TrialState.COMPLETE: 0, TrialState.PRUNED: 0, TrialState.FAIL: 0}
        self.best: list[float | None] = [None] * len(names)
        self._lock = threading.Lock()
        self._progress = Progress(
            TextColumn("[bold]trials"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[summary]}"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            disable=not enabled,
            transient=False,
        )
        self._task = self._progress.add_task("trials", total=total, summary="")

    def __enter__(self) -> TrialProgress:
        self._progress.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._progress.stop()

    def __call__(self, study: Study, trial: FrozenTrial) -> None:
        with self._lock:
            if trial.state in self.counts:
                self.counts[trial.state] += 1
            if trial.state is TrialState.COMPLETE and trial.values is not None and trial.feasible:
                for i, (v, d) in enumerate(zip(trial.values, self.directions, strict=True)):
                    b = self.best[i]
                    better = b is None or (v > b if d is StudyDirection.MAXIMIZE else v < b)
                    self.best[i] = v if better else b
            self._progress.update(self._task, advance=1, summary=self.summary())

    def summary(self) -> str:
        c = self.counts
        best = "  ".join(f"{n}={b:.4g}" for n, b in zip(self.names, self.best, strict=True) if b is not None)
        return f"done {c[TrialState.COMPLETE]} pruned {c[TrialState.PRUNED]} failed {c[TrialState.FAIL]}" + (
            f" | best {best}" if best else ""
        )
