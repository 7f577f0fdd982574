"""Percentile and median stopping rules on one designated objective."""

from __future__ import annotations

import numpy as np

from ragtune.core.frozen_trial import FrozenTrial
from ragtune.core.trial_state import TrialState
from ragtune.core.trials_view import TrialsView
from ragtune.pruners.base import Pruner
from ragtune.pruners.checks import check_float, check_int, check_objective_index
from ragtune.pruners.curves import CurveCache, Curves


class PercentilePruner(Pruner):
    """Stop a trial whose value is worse than a percentile of finished trials' values at its step.

    The median stopping rule of Golovin et al. 2017 ("Google Vizier: A Service for Black-Box
    Optimization", KDD, Sec. 3.2.2), generalised from the median to any percentile.

    Decision, when the trial reports at step ``s`` (its largest reported step):

    1. Never prune while fewer than ``n_startup_trials`` trials are COMPLETE, while
       ``s < n_warmup_steps``, or when ``(s - n_warmup_steps) % interval_steps != 0``.
    2. The reference set is every COMPLETE trial (from every worker) that reported at some step
       ``<= s``; its value is the **last value it reported at a step <= s** (the nearest step not
       past ``s``, so a trial is never compared with others that had more resource). Running and
       pruned trials are not in the reference set: like Vizier, the rule compares with trials that
       ran to the end, so it cannot be loosened by the trials it pruned. Fewer than
       ``n_min_trials`` reference values: keep the trial.
    3. With values turned into minimisation losses, prune iff the trial's loss at ``s`` is
       strictly greater than the ``percentile``-th percentile (linear interpolation) of the
       reference losses. ``percentile=25`` thus keeps only trials in the best quarter; ties keep.

    In a multi-objective study the rule reads column ``objective`` of the reported vectors and
    ``view.directions[objective]``; a single value reported in such a study is taken as the
    designated objective's value.
    """

    def __init__(
        self,
        percentile: float,
        *,
        n_startup_trials: int = 5,
        n_warmup_steps: int = 0,
        interval_steps: int = 1,
        n_min_trials: int = 1,
        objective: int = 0,
    ) -> None:
        self._percentile = check_float("percentile", percentile, low=0.0, high=100.0)
        self._n_startup = check_int("n_startup_trials", n_startup_trials, minimum=0)
        self._n_warmup = check_int("n_warmup_steps", n_warmup_steps, minimum=0)
        self._interval = check_int("interval_steps", interval_steps, minimum=1)
        self._n_min = check_int("n_min_trials", n_min_trials, minimum=1)
        self._objective = check_int("objective", objective, minimum=0)
        self._cache = CurveCache(with_scores=False)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(percentile={self._percentile}, n_startup_trials={self._n_startup}, "
            f"n_warmup_steps={self._n_warmup}, interval_steps={self._interval}, "
            f"n_min_trials={self._n_min}, objective={self._objective})"
        )

    def prune(self, view: TrialsView, trial: FrozenTrial) -> bool:
        check_objective_index(self._objective, view)
        step = trial.last_step
        if step is None or step < self._n_warmup or (step - self._n_warmup) % self._interval:
            return False
        if int(np.count_nonzero(view.mask(TrialState.COMPLETE))) < self._n_startup:
            return False
        curves = self._cache.curves(view)
        reference = curves.in_states(TrialState.COMPLETE) & (curves.numbers != trial.number)
        idx = curves.last_at_or_before(step)[reference]
        idx = idx[idx >= 0]
        if len(idx) < self._n_min:
            return False
        ref_losses = curves.losses[idx, self._objective]
        own = Curves.from_trials([trial], view.directions, with_scores=False)
        own_loss = float(own.losses[-1, self._objective])
        threshold = float(np.percentile(ref_losses, self._percentile))
        return own_loss > threshold


class MedianPruner(PercentilePruner):
    """Stop a trial whose value is worse than the median of finished trials' values at its step.

    :class:`PercentilePruner` with ``percentile=50`` (the median stopping rule of Golovin et al.
    2017); see there for the exact decision rule.
    """

    def __init__(
        self,
        *,
        n_startup_trials: int = 5,
        n_warmup_steps: int = 0,
        interval_steps: int = 1,
        n_min_trials: int = 1,
        objective: int = 0,
    ) -> None:
        super().__init__(
            50.0,
            n_startup_trials=n_startup_trials,
            n_warmup_steps=n_warmup_steps,
            interval_steps=interval_steps,
            n_min_trials=n_min_trials,
            objective=objective,
        )

    def __repr__(self) -> str:
        return (
            f"MedianPruner(n_startup_trials={self._n_startup}, n_warmup_steps={self._n_warmup}, "
            f"interval_steps={self._interval}, n_min_trials={self._n_min}, objective={self._objective})"
        )
