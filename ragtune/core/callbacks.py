"""Ready-made callbacks for ``Study.optimize(callbacks=[...])``."""

from __future__ import annotations

from collections.abc import Container
from typing import TYPE_CHECKING

from ragtune.core.frozen_trial import FrozenTrial
from ragtune.core.trial_state import TrialState

if TYPE_CHECKING:
    from ragtune.core.study import Study


class MaxTrialsCallback:
    """Stop the study once it holds ``n_trials`` trials in ``states`` (across all workers)."""

    def __init__(
        self, n_trials: int, *, states: Container[TrialState] | None = (TrialState.COMPLETE,)
    ) -> None:
        self.n_trials = n_trials
        self.states = states

    def __call__(self, study: Study, trial: FrozenTrial) -> None:
        if study.n_trials(states=self.states) >= self.n_trials:
            study.stop()
