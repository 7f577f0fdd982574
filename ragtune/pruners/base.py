"""The pruner contract: decide from storage-backed history whether a running trial stops."""

from __future__ import annotations

import abc

from ragtune.core.frozen_trial import FrozenTrial
from ragtune.core.trials_view import TrialsView


class Pruner(abc.ABC):
    """Decides at each report whether ``trial`` should stop early.

    ``view`` is a fresh read of the study (every worker's trials, running ones included, the
    current one too: exclude it by ``trial.number``); ``trial`` is a snapshot of the current trial
    with all its intermediate values. Decisions depend only on stored data, so several workers
    sharing a storage share them.
    """

    @abc.abstractmethod
    def prune(self, view: TrialsView, trial: FrozenTrial) -> bool: ...


class NopPruner(Pruner):
    """Never prunes."""

    def prune(self, view: TrialsView, trial: FrozenTrial) -> bool:
        return False
