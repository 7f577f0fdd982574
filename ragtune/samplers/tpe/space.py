"""Unit coordinates for distributions: the space TPE's Parzen estimators work in.

A numeric parameter maps into ``[0, 1]`` (on the log scale for ``log=True``); a grid (``step`` or an
int) is a *discrete* dimension whose points own equal-width bins (or, for ``log=True`` ints, the bins
``[log(k - 1/2), log(k + 1/2)]`` of Watanabe 2023, Sec. 3.2); a categorical parameter keeps its
choice index.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ragtune.core.distributions import (
    AnyDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)

CONTINUOUS = 0
DISCRETE = 1
CATEGORICAL = 2


@dataclass(frozen=True, slots=True)
class UnitDim:
    """How one distribution maps to unit coordinates.

    ``kind`` is :data:`CONTINUOUS`, :data:`DISCRETE` or :data:`CATEGORICAL`; ``size`` is the number
    of grid points or choices (0 for continuous). ``lo`` and ``hi`` bound the (log) range whose
    affine image is ``[0, 1]``; for a discrete grid of ``size`` points with ``step``, point ``k``
    sits at ``(k + 1/2) / size``.
    """

    kind: int
    size: int
    lo: float
    hi: float
    log: bool
    step: float

    @property
    def numeric(self) -> bool:
        return self.kind != CATEGORICAL

    def _span(self) -> float:
        return self.hi - self.lo if self.hi > self.lo else 1.0

    def to_unit(self, internal: np.ndarray) -> np.ndarray:
        """Unit coordinates of internal values (NaN stays NaN; values off the range fall outside)."""
        x = np.asarray(internal, dtype=float)
        if self.kind == CATEGORICAL:
            return x.copy()
        if self.kind == DISCRETE and not self.log:
            return (np.round((x - self.lo) / self.step) + 0.5) / self.size
        if self.log:
            with np.errstate(divide="ignore", invalid="ignore"):
                x = np.log(x)
        return (x - self.lo) / self._span()

    def from_unit(self, u: np.ndarray) -> np.ndarray:
        """Internal values of unit coordinates, snapped onto the grid and clipped into the range."""
        u = np.asarray(u, dtype=float)
        out: np.ndarray
        if self.kind == CATEGORICAL:
            out = np.clip(np.round(u), 0, self.size - 1)
        elif self.kind == DISCRETE and not self.log:
            out = self.lo + np.clip(np.floor(u * self.size), 0, self.size - 1) * self.step
        elif not self.log:
            out = self.lo + np.clip(u, 0.0, 1.0) * self._span()
        elif self.kind == DISCRETE:
            x = np.exp(self.lo + np.clip(u, 0.0, 1.0) * self._span())
            out = np.clip(np.round(x), math.ceil(math.exp(self.lo)), math.floor(math.exp(self.hi)))
        else:
            x = np.exp(self.lo + np.clip(u, 0.0, 1.0) * self._span())
            out = np.clip(x, math.exp(self.lo), math.exp(self.hi))
        return out

    def snap(self, u: np.ndarray) -> np.ndarray:
        """Unit coordinates of the grid points (or choices) that ``u`` falls on."""
        if self.kind == CONTINUOUS:
            out: np.ndarray = np.clip(u, 0.0, 1.0)
            return out
        return self.to_unit(self.from_unit(u))

    def bins(self, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Lower and upper unit edges of the bins of the discrete points at ``u``."""
        if not self.log:
            k = np.floor(u * self.size)
            return k / self.size, (k + 1.0) / self.size
        x = self.from_unit(u)
        span = self._span()
        return (np.log(x - 0.5) - self.lo) / span, (np.log(x + 0.5) - self.lo) / span

    def max_bin_width(self) -> float:
        """Widest bin of a discrete dimension in unit coordinates (the lowest point's, on a log scale)."""
        if not self.log:
            return 1.0 / self.size
        low = math.exp(self.lo) + 0.5
        return (math.log(low + 0.5) - math.log(low - 0.5)) / self._span()

    def log_bin_width(self, u: np.ndarray) -> np.ndarray:
        """Log width of the bins of the discrete points at ``u``."""
        if not self.log:
            return np.full(u.shape, -math.log(self.size))
        lo, hi = self.bins(u)
        out: np.ndarray = np.log(hi - lo)
        return out

    def contains(self, internal: np.ndarray) -> np.ndarray:
        """Which internal values lie inside the range (NaN is outside)."""
        x = np.asarray(internal, dtype=float)
        if self.kind == CATEGORICAL:
            return (x >= 0) & (x < self.size)
        if self.log:
            lo, hi = math.exp(self.lo), math.exp(self.hi)
            if self.kind == DISCRETE:
                lo, hi = lo + 0.5, hi - 0.5
        elif self.kind == DISCRETE:
            lo, hi = self.lo, self.lo + (self.size - 1) * self.step
        else:
            lo, hi = self.lo, self.hi
        tol = 1e-9 * max(1.0, abs(lo), abs(hi))
        out: np.ndarray = (x >= lo - tol) & (x <= hi + tol)
        return out

    def grid(self) -> np.ndarray:
        """Unit coordinates of every point of a discrete or categorical dimension."""
        if self.kind == CATEGORICAL:
            return np.arange(self.size, dtype=float)
        if self.kind == DISCRETE and not self.log:
            return (np.arange(self.size) + 0.5) / self.size
        lo, hi = math.ceil(math.exp(self.lo)), math.floor(math.exp(self.hi))
        return self.to_unit(np.arange(lo, hi + 1, dtype=float))


def unit_dim(dist: AnyDistribution) -> UnitDim:
    """The :class:`UnitDim` of a distribution."""
    if isinstance(dist, CategoricalDistribution):
        return UnitDim(CATEGORICAL, len(dist.choices), 0.0, 0.0, False, 1.0)
    if isinstance(dist, IntDistribution):
        if dist.log:
            lo, hi = math.log(dist.low - 0.5), math.log(dist.high + 0.5)
            return UnitDim(DISCRETE, dist.high - dist.low + 1, lo, hi, True, 1.0)
        size = (dist.high - dist.low) // dist.step + 1
        return UnitDim(DISCRETE, size, float(dist.low), float(dist.high), False, float(dist.step))
    assert isinstance(dist, FloatDistribution)
    if dist.step is not None:
        size = round((dist.high - dist.low) / dist.step) + 1
        return UnitDim(DISCRETE, size, dist.low, dist.high, False, dist.step)
    if dist.log:
        return UnitDim(CONTINUOUS, 0, math.log(dist.low), math.log(dist.high), True, 0.0)
    return UnitDim(CONTINUOUS, 0, dist.low, dist.high, False, 0.0)


class UnitSpace:
    """Several :class:`UnitDim` columns, with continuous columns transformed in one vectorised step.

    Index lists name the columns of each kind: ``num`` (numeric), ``cat`` (categorical), ``cont``
    (continuous), ``disc`` (grid); ``num_disc`` gives the positions of grid columns within ``num``.
    """

    def __init__(self, dims: list[UnitDim]) -> None:
        self.dims = dims
        self.d = len(dims)
        self.num = [j for j, u in enumerate(dims) if u.numeric]
        self.cat = [j for j, u in enumerate(dims) if u.kind == CATEGORICAL]
        self.cont = [j for j, u in enumerate(dims) if u.kind == CONTINUOUS]
        self.disc = [j for j, u in enumerate(dims) if u.kind == DISCRETE]
        self.num_disc = [k for k, j in enumerate(self.num) if dims[j].kind == DISCRETE]
        self.all_cont = len(self.cont) == self.d
        cont = [dims[j] for j in self.cont]
        self._lo = np.array([u.lo for u in cont])
        self._span = np.array([u._span() for u in cont])
        self._log = [k for k, u in enumerate(cont) if u.log]
        self._low = np.array([math.exp(u.lo) if u.log else u.lo for u in cont])
        self._high = np.array([math.exp(u.hi) if u.log else u.hi for u in cont])
        self.grid_floor = np.array([0.5 / u.size if u.kind == DISCRETE else 0.0 for u in dims if u.numeric])
        self.sizes = np.array([dims[j].size for j in self.cat], dtype=float)

    def _cols(self, a: np.ndarray) -> np.ndarray:
        out: np.ndarray = a if self.all_cont else a[:, self.cont]
        return out

    def to_unit(self, internal: np.ndarray) -> np.ndarray:
        """Unit coordinates of an (n, d) array of internal values."""
        out = np.empty(internal.shape)
        if self.cont:
            x = self._cols(internal).copy()
            if self._log:
                with np.errstate(divide="ignore", invalid="ignore"):
                    x[:, self._log] = np.log(x[:, self._log])
            x -= self._lo
            x /= self._span
            if self.all_cont:
                return x
            out[:, self.cont] = x
        for j in self.disc + self.cat:
            out[:, j] = self.dims[j].to_unit(internal[:, j])
        return out

    def from_unit(self, unit: np.ndarray) -> np.ndarray:
        """Internal values (snapped and clipped into range) of an (n, d) array of unit coordinates."""
        out = np.empty(unit.shape)
        if self.cont:
            x: np.ndarray = np.clip(self._cols(unit), 0.0, 1.0) * self._span + self._lo
            if self._log:
                x[:, self._log] = np.exp(x[:, self._log])
            x = np.clip(x, self._low, self._high)
            if self.all_cont:
                return x
            out[:, self.cont] = x
        for j in self.disc + self.cat:
            out[:, j] = self.dims[j].from_unit(unit[:, j])
        return out

    def contains(self, internal: np.ndarray) -> np.ndarray:
        """Rows of an (n, d) array of internal values that lie inside every range (NaN is outside)."""
        ok = np.ones(internal.shape[0], dtype=bool)
        if self.cont:
            x = self._cols(internal)
            tol = 1e-9 * np.maximum(1.0, np.maximum(np.abs(self._low), np.abs(self._high)))
            ok &= ((x >= self._low - tol) & (x <= self._high + tol)).all(axis=1)
        for j in self.disc + self.cat:
            ok &= self.dims[j].contains(internal[:, j])
        return ok

    def numeric_part(self, a: np.ndarray) -> np.ndarray:
        """The numeric columns of an (n, d) array."""
        out: np.ndarray = a if len(self.num) == self.d else a[:, self.num]
        return out

    def snap(self, unit: np.ndarray) -> np.ndarray:
        """Grid columns of unit coordinates moved onto their grid points (others unchanged)."""
        for j in self.disc:
            unit[:, j] = self.dims[j].snap(unit[:, j])
        return unit
