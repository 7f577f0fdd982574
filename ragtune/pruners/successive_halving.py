"""Asynchronous successive halving (ASHA) on one designated objective."""

from __future__ import annotations

from typing import Literal

import numpy as np
import numpy.typing as npt

from ragtune.core.frozen_trial import FrozenTrial
from ragtune.core.trial_state import TrialState
from ragtune.core.trials_view import TrialsView
from ragtune.exceptions import ConfigError
from ragtune.pruners.base import Pruner
from ragtune.pruners.checks import check_int, check_objective_index
from ragtune.pruners.curves import CurveCache, Curves

#: Trials whose reports count in a rung: everything that ran, except failures.
COMPETING_STATES = (TrialState.RUNNING, TrialState.COMPLETE, TrialState.PRUNED)


def crossed_rungs(
    trial: FrozenTrial, *, min_resource: int, reduction_factor: int, rate: int, max_resource: int | None
) -> list[int]:
    """Rung resources ``min_resource * eta**(rate + k)`` (``k >= 0``, below ``max_resource``) that
    the trial's latest report crossed: ``previous step < rung <= latest step``."""
    steps = sorted(trial.intermediate_vectors)
    if not steps:
        return []
    latest = steps[-1]
    previous = steps[-2] if len(steps) > 1 else -1
    out: list[int] = []
    rung = min_resource * reduction_factor**rate
    while rung <= latest and (max_resource is None or rung < max_resource):
        if rung > previous:
            out.append(rung)
        rung *= reduction_factor
    return out


def promoted_at_rungs(
    curves: Curves,
    population: npt.NDArray[np.bool_],
    own_loss: float,
    rungs: list[int],
    *,
    reduction_factor: int,
    bootstrap_count: int,
    objective: int,
) -> bool:
    """Whether a trial with loss ``own_loss`` at each of ``rungs`` is promoted past all of them.

    At rung ``r`` the competitors are the ``population`` rows with a report at a step ``>= r``
    (their value at the rung is that first report). With ``n`` trials at the rung (the deciding
    one included) the trial is promoted iff fewer than ``max(1, n // reduction_factor)``
    competitors have a strictly smaller loss: the top ``1/eta`` of Li et al. 2020 (Algorithm 2),
    where the best trial so far always continues and ties favour the deciding trial. A rung
    reached by fewer than ``bootstrap_count`` trials promotes everyone.
    """
    for rung in rungs:
        idx = curves.first_at_or_after(rung)[population]
        idx = idx[idx >= 0]
        n = len(idx) + 1
        if n < bootstrap_count:
            continue
        n_better = int(np.count_nonzero(curves.losses[idx, objective] < own_loss))
        if n_better >= max(1, n // reduction_factor):
            return False
    return True


class SuccessiveHalvingPruner(Pruner):
    """Asynchronous successive halving (Li et al. 2020, "A System for Massively Parallel
    Hyperparameter Tuning", MLSys, Algorithm 2), applied at report time.

    Rungs sit at resources (steps) ``r_k = min_resource * reduction_factor**(min_early_stopping_rate
    + k)`` for ``k = 0, 1, ...`` (below ``max_resource`` when that is known: a trial that reached the
    full resource is never stopped). When a report crosses rung ``r_k`` (previous reported step
    ``< r_k <=`` this step), the trial is ranked, by its value at this report, against every other
    trial of the study that reached the rung - running ones of other workers included, failed ones
    excluded - each valued at its first report at a step ``>= r_k``. It continues iff it is in the
    top ``max(1, n // reduction_factor)`` of the ``n`` trials at the rung (ties favour it);
    otherwise it is pruned. Ranks are computed from storage at decision time, so, as in ASHA,
    early trials are promoted more easily and no trial waits for a rung to fill. Between rungs
    nothing is decided.

    ``min_resource="auto"`` sets ``min_resource = max(1, R // reduction_factor**2)``: for
    ``reduction_factor=3`` and ``R`` a multiple of 9, the ladder R/9, R/3 (then the full R), which
    is the RAG evaluator's ladder of questions. ``R`` is ``max_resource`` when given, otherwise the largest step any COMPLETE trial
    reported (no pruning until one has completed). ``bootstrap_count`` makes each rung promote
    everyone until that many trials (the deciding one included) have reached it.

    In a multi-objective study the rule reads column ``objective`` of the reported vectors and
    ``view.directions[objective]``; a single reported value is taken as that objective's value.
    """

    def __init__(
        self,
        *,
        min_resource: int | Literal["auto"] = 1,
        reduction_factor: int = 3,
        min_early_stopping_rate: int = 0,
        bootstrap_count: int = 0,
        objective: int = 0,
        max_resource: int | None = None,
    ) -> None:
        if min_resource != "auto" and (
            isinstance(min_resource, bool) or not isinstance(min_resource, int) or min_resource < 1
        ):
            raise ConfigError(
                f"min_resource must be an int >= 1 or 'auto', but got min_resource={min_resource!r}"
            )
        self._min_resource = min_resource
        self._eta = check_int("reduction_factor", reduction_factor, minimum=2)
        self._rate = check_int("min_early_stopping_rate", min_early_stopping_rate, minimum=0)
        self._bootstrap = check_int("bootstrap_count", bootstrap_count, minimum=0)
        self._objective = check_int("objective", objective, minimum=0)
        self._max_resource = (
            None if max_resource is None else check_int("max_resource", max_resource, minimum=1)
        )
        if isinstance(min_resource, int) and max_resource is not None and min_resource > max_resource:
            raise ConfigError(
                f"min_resource must be <= max_resource, but got min_resource={min_resource}, "
                f"max_resource={max_resource}"
            )
        self._cache = CurveCache(with_scores=False)

    def __repr__(self) -> str:
        return (
            f"SuccessiveHalvingPruner(min_resource={self._min_resource!r}, reduction_factor={self._eta}, "
            f"min_early_stopping_rate={self._rate}, bootstrap_count={self._bootstrap}, "
            f"objective={self._objective}, max_resource={self._max_resource})"
        )

    def _resources(self, curves: Curves | None) -> tuple[int, int | None] | None:
        if self._min_resource != "auto":
            return int(self._min_resource), self._max_resource
        full = self._max_resource
        if full is None:
            assert curves is not None
            ends = curves.offsets[1:]
            done = curves.in_states(TrialState.COMPLETE) & (ends > curves.offsets[:-1])
            if not done.any():
                return None
            full = int(curves.steps[ends[done] - 1].max())
        return max(1, full // self._eta**2), full

    def prune(self, view: TrialsView, trial: FrozenTrial) -> bool:
        check_objective_index(self._objective, view)
        if trial.last_step is None:
            return False
        # Only "auto" without max_resource needs the history before knowing the rungs.
        needs_history = self._min_resource == "auto" and self._max_resource is None
        curves = self._cache.curves(view) if needs_history else None
        resources = self._resources(curves)
        if resources is None:
            return False
        min_resource, max_resource = resources
        rungs = crossed_rungs(
            trial,
            min_resource=min_resource,
            reduction_factor=self._eta,
            rate=self._rate,
            max_resource=max_resource,
        )
        if not rungs:
            return False
        if curves is None:
            curves = self._cache.curves(view)
        population = curves.in_states(*COMPETING_STATES) & (curves.numbers != trial.number)
        own = Curves.from_trials([trial], view.directions, with_scores=False)
        own_loss = float(own.losses[-1, self._objective])
        return not promoted_at_rungs(
            curves,
            population,
            own_loss,
            rungs,
            reduction_factor=self._eta,
            bootstrap_count=self._bootstrap,
            objective=self._objective,
        )
