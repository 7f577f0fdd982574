"""Per-trial progress fed by study callbacks: a rich bar on a terminal, one plain line per trial
otherwise. Counts this run's trials done / pruned / failed; "best" is the study's best (trials of
earlier runs included), objective by objective."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from ragtune.core.directions import StudyDirection
from ragtune.core.failures import FAIL_AT_ATTR, one_line
from ragtune.core.trial_state import TrialState
from ragtune.log import default_handler

if TYPE_CHECKING:
    from ragtune.core.frozen_trial import FrozenTrial
    from ragtune.core.study import Study


class _DropTrialFailures(logging.Filter):
    """The progress prints each failed trial itself; the log's copy of that line is dropped."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not getattr(record, "ragtune_trial_failed", False)


class TrialProgress:
    """Context manager; call the instance as a study callback after each trial.

    ``plain=None`` picks the plain one-line-per-trial log when stdout is not a terminal.
    ``history`` (the study's trials before this run) seeds the best values.
    """

    def __init__(
        self,
        total: int | None,
        names: Sequence[str],
        directions: Sequence[StudyDirection],
        *,
        enabled: bool = True,
        plain: bool | None = None,
        history: Sequence[FrozenTrial] = (),
        console: Console | None = None,
    ) -> None:
        self.names = list(names)
        self.directions = list(directions)
        self.total = total
        self.enabled = enabled
        self.counts = {TrialState.COMPLETE: 0, TrialState.PRUNED: 0, TrialState.FAIL: 0}
        self.best: list[float | None] = [None] * len(names)
        self._lock = threading.Lock()
        self._console = console or Console()
        self.plain = (not self._console.is_terminal) if plain is None else plain
        self._filter = _DropTrialFailures()
        self._progress = Progress(
            TextColumn("[bold]trials"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[summary]}"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=self._console,
            disable=not enabled or self.plain,
            transient=False,
        )
        self._task = self._progress.add_task("trials", total=total, summary="")
        for t in history:
            self._update_best(t)

    def __enter__(self) -> TrialProgress:
        if self.enabled:
            default_handler.addFilter(self._filter)
        self._progress.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._progress.stop()
        default_handler.removeFilter(self._filter)

    def _update_best(self, trial: FrozenTrial) -> None:
        if trial.state is not TrialState.COMPLETE or trial.values is None or not trial.feasible:
            return
        for i, (v, d) in enumerate(zip(trial.values, self.directions, strict=True)):
            b = self.best[i]
            better = b is None or (v > b if d is StudyDirection.MAXIMIZE else v < b)
            self.best[i] = v if better else b

    def __call__(self, study: Study, trial: FrozenTrial) -> None:
        with self._lock:
            if trial.state in self.counts:
                self.counts[trial.state] += 1
            self._update_best(trial)
            if not self.enabled:
                return
            if self.plain:
                self._console.print(escape(self.trial_line(trial)), soft_wrap=True, highlight=False)
                return
            if trial.state is TrialState.FAIL:
                self._console.print(f"[red]{escape(self.trial_line(trial))}[/red]", soft_wrap=True)
            self._progress.update(self._task, advance=1, summary=self.summary())

    def trial_line(self, trial: FrozenTrial) -> str:
        """One line about a finished trial (the plain log's line; a failure's line on a terminal)."""
        if trial.state is TrialState.FAIL:
            return one_line(trial.number, trial.fail_reason, trial.system_attrs.get(FAIL_AT_ATTR))
        done = sum(self.counts.values())
        of = f"{done}/{self.total}" if self.total is not None else str(done)
        if trial.state is TrialState.COMPLETE and trial.values is not None:
            values = " ".join(f"{n}={v:.4g}" for n, v in zip(self.names, trial.values, strict=True))
            what = f"trial {trial.number} done: {values}" + ("" if trial.feasible else " (infeasible)")
        else:
            what = f"trial {trial.number} {trial.state.name.lower()}"
        return f"{what} [{of}; {self.summary()}]"

    def summary(self) -> str:
        c = self.counts
        best = "  ".join(f"{n}={b:.4g}" for n, b in zip(self.names, self.best, strict=True) if b is not None)
        return f"done {c[TrialState.COMPLETE]} pruned {c[TrialState.PRUNED]} failed {c[TrialState.FAIL]}" + (
            f" | best {best}" if best else ""
        )
