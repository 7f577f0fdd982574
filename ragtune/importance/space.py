"""The search space of finished trials as columns in ``[0, 1]`` (NaN where a trial lacks a param)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ragtune.core.distributions import AnyDistribution, CategoricalDistribution, IntDistribution
from ragtune.core.frozen_trial import FrozenTrial

__all__ = ["ParamColumn", "param_columns"]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class ParamColumn:
    """One parameter across trials.

    ``values`` are in ``[0, 1]`` for numerical params (log-scaled first when the distribution is) and
    choice indices for categoricals; NaN where the trial did not suggest the param (a conditional
    branch it did not take). ``grid`` lists the distinct points an integer param can take in that
    scale when there are few of them (``None`` for continuous params and categoricals).
    """

    name: str
    values: FloatArray
    n_choices: int
    grid: FloatArray | None = None

    @property
    def categorical(self) -> bool:
        return self.n_choices > 0

    @property
    def present(self) -> npt.NDArray[np.bool_]:
        return np.isfinite(self.values)


def _scale(dist: AnyDistribution) -> Callable[[float], float]:
    assert not isinstance(dist, CategoricalDistribution)
    low, high = float(dist.low), float(dist.high)
    if dist.log:
        lo, span = math.log(low), math.log(high) - math.log(low)
        return lambda v: (math.log(v) - lo) / span if span > 0 else 0.5
    span = high - low
    return lambda v: (float(v) - low) / span if span > 0 else 0.5


MAX_GRID = 64
"""An integer param with at most this many values is treated as a grid of its own points."""


def _merged(dists: list[AnyDistribution]) -> AnyDistribution:
    """One distribution covering every stored one of a name (ranges can differ between trials)."""
    last = dists[-1]
    if isinstance(last, CategoricalDistribution):
        return last
    same = [d for d in dists if type(d) is type(last) and d.log == last.log]
    low, high = min(d.low for d in same), max(d.high for d in same)
    return last.model_copy(update={"low": low, "high": high})


def param_columns(trials: Sequence[FrozenTrial], names: Sequence[str] | None = None) -> list[ParamColumn]:
    """Columns for ``names`` (default: every param any trial suggested, in first-seen order)."""
    seen: dict[str, list[AnyDistribution]] = {}
    for t in trials:
        for k, d in t.distributions.items():
            seen.setdefault(k, []).append(d)
    order = list(names) if names is not None else list(seen)
    out = []
    for name in order:
        if name not in seen:
            continue
        dist = _merged(seen[name])
        col = np.full(len(trials), np.nan)
        if isinstance(dist, CategoricalDistribution):
            for i, t in enumerate(trials):
                if name in t.params and dist.contains(t.params[name]):
                    col[i] = dist.index(t.params[name])
            out.append(ParamColumn(name, col, len(dist.choices)))
            continue
        scale = _scale(dist)
        for i, t in enumerate(trials):
            v = t.params.get(name)
            if isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v):
                col[i] = min(max(scale(float(v)), 0.0), 1.0)
        grid = None
        if isinstance(dist, IntDistribution):
            n = (dist.high - dist.low) // dist.step + 1
            if n <= MAX_GRID:
                grid = np.array([scale(dist.low + k * dist.step) for k in range(n)])
        out.append(ParamColumn(name, col, 0, grid))
    return out
