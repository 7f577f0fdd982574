"""Quasi-Monte Carlo sampling with a scrambled Sobol sequence (scipy.stats.qmc)."""

from __future__ import annotations

import math
import threading
from typing import TYPE_CHECKING, Any

import numpy as np

from ragtune.core.distributions import (
    AnyDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from ragtune.core.frozen_trial import FrozenTrial
from ragtune.core.trials_view import TrialsView
from ragtune.samplers.base import Sampler, make_rng
from ragtune.samplers.random_sampler import sample_uniform

if TYPE_CHECKING:
    from ragtune.core.trial import Trial


def from_unit(u: float, d: AnyDistribution) -> Any:
    """Map ``u`` in [0, 1) to ``d`` by its inverse CDF (uniform on the internal or log scale)."""
    if isinstance(d, CategoricalDistribution):
        return d.choices[min(int(u * len(d.choices)), len(d.choices) - 1)]
    if isinstance(d, IntDistribution):
        if d.log:
            lo, hi = math.log(d.low - 0.5), math.log(d.high + 0.5)
            return d.to_external(math.exp(lo + u * (hi - lo)))
        n = (d.high - d.low) // d.step + 1
        return d.low + min(int(u * n), n - 1) * d.step
    assert isinstance(d, FloatDistribution)
    if d.step is not None:
        n = round((d.high - d.low) / d.step) + 1
        return d.to_external(d.low + min(int(u * n), n - 1) * d.step)
    if d.log:
        lo, hi = math.log(d.low), math.log(d.high)
        return float(min(math.exp(lo + u * (hi - lo)), d.high))
    return float(d.low + u * (d.high - d.low))


class QMCSampler(Sampler):
    """Trial ``n`` takes point ``n`` of a scrambled Sobol sequence over every parameter seen so far.

    The unit point is mapped into whatever range the objective suggests in that trial, so
    conditional ranges keep their low-discrepancy coverage. Parameters never seen before (the
    first trial) are drawn uniformly.
    """

    def __init__(self, *, seed: int | None = None, scramble: bool = True) -> None:
        self._seed = 0 if seed is None and not scramble else seed
        if self._seed is None:
            self._seed = int(np.random.default_rng().integers(2**31))
        self._scramble = scramble
        self._rng = make_rng(seed)
        self._lock = threading.Lock()
        self._points: dict[int, dict[str, float]] = {}

    def _unit_point(self, number: int, names: list[str]) -> dict[str, float]:
        from scipy.stats import qmc

        engine = qmc.Sobol(d=max(len(names), 1), scramble=self._scramble, seed=self._seed)
        if number:
            engine.fast_forward(number)
        u = engine.random(1)[0]
        return dict(zip(names, (float(x) for x in u), strict=False))

    def sample_relative(self, view: TrialsView, trial: Trial, search_space: Any) -> dict[str, Any]:
        names = sorted(view.distributions)
        if names:
            with self._lock:
                self._points[trial.number] = self._unit_point(trial.number, names)
        return {}

    def sample_independent(
        self, view: TrialsView, trial: Trial, name: str, distribution: AnyDistribution
    ) -> Any:
        with self._lock:
            u = self._points.get(trial.number, {}).get(name)
        if u is None:
            return sample_uniform(self._rng, distribution)
        return from_unit(u, distribution)

    def after_trial(self, view: TrialsView, trial: FrozenTrial) -> None:
        with self._lock:
            self._points.pop(trial.number, None)
