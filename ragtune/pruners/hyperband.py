"""Hyperband: several asynchronous successive-halving brackets, one designated objective."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from ragtune.core.frozen_trial import FrozenTrial
from ragtune.core.trials_view import TrialsView
from ragtune.exceptions import ConfigError
from ragtune.pruners.base import Pruner
from ragtune.pruners.checks import check_int, check_objective_index
from ragtune.pruners.curves import CurveCache, Curves
from ragtune.pruners.successive_halving import COMPETING_STATES, crossed_rungs, promoted_at_rungs

_U64 = np.uint64


def _mix64(x: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """The SplitMix64 finaliser (Steele, Lea & Flood 2014, "Fast splittable pseudorandom number
    generators", OOPSLA): a fixed bijection of 64-bit ints that spreads consecutive inputs."""
    with np.errstate(over="ignore"):
        z = x + _U64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> _U64(30))) * _U64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> _U64(27))) * _U64(0x94D049BB133111EB)
        out: npt.NDArray[np.uint64] = z ^ (z >> _U64(31))
    return out


class HyperbandPruner(Pruner):
    """Hyperband (Li et al. 2018, "Hyperband: A Novel Bandit-Based Approach to Hyperparameter
    Optimization", JMLR 18(185), Algorithm 1) run asynchronously: each bracket is the ASHA rule of
    :class:`~ragtune.pruners.SuccessiveHalvingPruner` (Li et al. 2020) with its own early-stopping
    rate.

    With ``s_max = floor(log_eta(max_resource / min_resource))`` there are ``s_max + 1`` brackets.
    Bracket ``b`` (``0 <= b <= s_max``) puts its first rung at ``min_resource * eta**b``: bracket 0
    is the most aggressive, bracket ``s_max`` hardly prunes (it is Hyperband's "run everything to
    R" bracket when ``min_resource * eta**s_max == max_resource``). Rungs stay below
    ``max_resource``, so a trial that ran the full resource is never stopped.

    **Bracket assignment** is a deterministic function of the trial number (any worker computes
    the same one, no storage write needed): ``SplitMix64(number + seed) mod W`` picks a bracket in
    proportion to Hyperband's number of configurations per bracket, ``n = ceil((s_max + 1) /
    (s + 1) * eta**s)`` with ``s = s_max - b`` (Algorithm 1, line 3); since a configuration in
    bracket ``b`` costs about ``R / n`` resource, every bracket gets about the same total budget,
    as in Hyperband. A trial is compared only with trials of its own bracket.

    In a multi-objective study the rule reads column ``objective`` of the reported vectors and
    ``view.directions[objective]``; a single reported value is taken as that objective's value.
    """

    def __init__(
        self,
        *,
        min_resource: int = 1,
        max_resource: int,
        reduction_factor: int = 3,
        objective: int = 0,
        seed: int | None = None,
    ) -> None:
        self._min_resource = check_int("min_resource", min_resource, minimum=1)
        self._max_resource = check_int("max_resource", max_resource, minimum=1)
        self._eta = check_int("reduction_factor", reduction_factor, minimum=2)
        self._objective = check_int("objective", objective, minimum=0)
        self._seed = 0 if seed is None else check_int("seed", seed, minimum=0)
        if self._min_resource > self._max_resource:
            raise ConfigError(
                f"min_resource must be <= max_resource, but got min_resource={min_resource}, "
                f"max_resource={max_resource}"
            )
        s_max = 0
        while self._min_resource * self._eta ** (s_max + 1) <= self._max_resource:
            s_max += 1
        # Index b is the early-stopping rate; Hyperband's s counts the other way (s = s_max - b).
        self._weights = np.array(
            [-(-(s_max + 1) * self._eta**s // (s + 1)) for s in range(s_max, -1, -1)], dtype=np.int64
        )
        self._cumulative = np.cumsum(self._weights)
        self._cache = CurveCache(with_scores=False)

    def __repr__(self) -> str:
        return (
            f"HyperbandPruner(min_resource={self._min_resource}, max_resource={self._max_resource}, "
            f"reduction_factor={self._eta}, objective={self._objective}, seed={self._seed})"
        )

    @property
    def n_brackets(self) -> int:
        return len(self._weights)

    @property
    def bracket_weights(self) -> tuple[int, ...]:
        """Hyperband's configurations per bracket, indexed by early-stopping rate."""
        return tuple(int(w) for w in self._weights)

    def brackets_of(self, numbers: npt.ArrayLike) -> npt.NDArray[np.int64]:
        """The bracket (its early-stopping rate) of each trial number."""
        x = np.asarray(numbers, dtype=np.int64).astype(np.uint64) + _U64(self._seed)
        h = _mix64(np.atleast_1d(x)) % _U64(int(self._cumulative[-1]))
        out: npt.NDArray[np.int64] = np.searchsorted(self._cumulative, h.astype(np.int64), side="right")
        return out.astype(np.int64)

    def bracket_of(self, number: int) -> int:
        return int(self.brackets_of([number])[0])

    def prune(self, view: TrialsView, trial: FrozenTrial) -> bool:
        check_objective_index(self._objective, view)
        bracket = self.bracket_of(trial.number)
        rungs = crossed_rungs(
            trial,
            min_resource=self._min_resource,
            reduction_factor=self._eta,
            rate=bracket,
            max_resource=self._max_resource,
        )
        if not rungs:
            return False
        curves = self._cache.curves(view)
        population = (
            curves.in_states(*COMPETING_STATES)
            & (curves.numbers != trial.number)
            & (self.brackets_of(curves.numbers) == bracket)
        )
        own = Curves.from_trials([trial], view.directions, with_scores=False)
        return not promoted_at_rungs(
            curves,
            population,
            float(own.losses[-1, self._objective]),
            rungs,
            reduction_factor=self._eta,
            bootstrap_count=0,
            objective=self._objective,
        )
