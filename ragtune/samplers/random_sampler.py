"""Independent uniform (or log-uniform) random sampling."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from ragtune.core.distributions import (
    AnyDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from ragtune.core.trials_view import TrialsView
from ragtune.samplers.base import Sampler, make_rng

if TYPE_CHECKING:
    from ragtune.core.trial import Trial


def sample_uniform(rng: np.random.Generator, distribution: AnyDistribution) -> Any:
    """One draw from ``distribution``: uniform on its (log) range, grid or choices."""
    d = distribution
    if isinstance(d, CategoricalDistribution):
        return d.choices[int(rng.integers(len(d.choices)))]
    if isinstance(d, IntDistribution):
        if d.log:
            lo, hi = math.log(d.low - 0.5), math.log(d.high + 0.5)
            return d.to_external(math.exp(rng.uniform(lo, hi)))
        n = (d.high - d.low) // d.step
        return d.low + int(rng.integers(n + 1)) * d.step
    assert isinstance(d, FloatDistribution)
    if d.step is not None:
        n = round((d.high - d.low) / d.step)
        return d.to_external(d.low + int(rng.integers(n + 1)) * d.step)
    if d.log:
        return float(min(math.exp(rng.uniform(math.log(d.low), math.log(d.high))), d.high))
    return float(rng.uniform(d.low, d.high)) if d.high > d.low else d.low


class RandomSampler(Sampler):
    """Each parameter independently and uniformly at random (log-uniform for ``log=True``)."""

    def __init__(self, *, seed: int | np.random.Generator | None = None) -> None:
        self._seed = seed
        self._rng = make_rng(seed)

    def sample_independent(
        self, view: TrialsView, trial: Trial, name: str, distribution: AnyDistribution
    ) -> Any:
        return sample_uniform(self._rng, distribution)

    def reseed_rng(self, seed: int | None = None) -> None:
        self._rng = make_rng(seed)
