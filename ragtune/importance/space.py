"""The search space of finished trials as columns in ``[0, 1]`` (NaN where a trial lacks a param)."""

from __future__ import annotations

import math
from collections.abc import Sequence
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


def _scaled(dist: AnyDistribution, raw: FloatArray) -> FloatArray:
    """``raw`` mapped to [0, 1] over the distribution's range (log first when it is log-scaled)."""
    assert not isinstance(dist, CategoricalDistribution)
    low, high = float(dist.low), float(dist.high)
    with np.errstate(invalid="ignore", divide="ignore"):
        if dist.log:
            raw = np.where(raw > 0, np.log(np.where(raw > 0, raw, 1.0)), np.nan)
            low, high = math.log(low), math.log(high)
        scaled = (raw - low) / (high - low) if high > low else np.where(np.isfinite(raw), 0.5, np.nan)
    return np.asarray(np.clip(scaled, 0.0, 1.0), dtype=np.float64)


_MISSING = object()
MAX_GRID = 64
"""An integer param with at most this many values is treated as a grid of its own points."""


def _distinct(dists: list[AnyDistribution]) -> list[AnyDistribution]:
    out: list[AnyDistribution] = []
    for d in dists:
        if not any(d is o or d == o for o in out):
            out.append(d)
    return out


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
    last: dict[str, AnyDistribution] = {}
    for t in trials:
        for k, d in t.distributions.items():
            if last.get(k) is not d:  # storages often share one object per distribution
                last[k] = d
                seen.setdefault(k, []).append(d)
    order = list(names) if names is not None else list(seen)
    out = []
    for name in order:
        if name not in seen:
            continue
        dist = _merged(_distinct(seen[name]))
        col = np.full(len(trials), np.nan)
        if isinstance(dist, CategoricalDistribution):
            index = {(type(c), c): i for i, c in enumerate(dist.choices)}
            for i, t in enumerate(trials):
                v = t.params.get(name, _MISSING)
                if v is not _MISSING:
                    j = index.get((type(v), v))
                    col[i] = j if j is not None else (dist.index(v) if dist.contains(v) else np.nan)
            out.append(ParamColumn(name, col, len(dist.choices)))
            continue
        raw = np.array(
            [
                float(v)
                if isinstance(v := t.params.get(name), int | float) and not isinstance(v, bool)
                else np.nan
                for t in trials
            ]
        )
        col = _scaled(dist, raw)
        grid = None
        if isinstance(dist, IntDistribution):
            n = (dist.high - dist.low) // dist.step + 1
            if n <= MAX_GRID:
                grid = _scaled(dist, np.array([float(dist.low + k * dist.step) for k in range(n)]))
        out.append(ParamColumn(name, col, 0, grid))
    return out
