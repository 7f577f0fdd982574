"""Search coordinates for NSGA-II: distributions mapped to bounded real boxes and back.

A numeric parameter's coordinate is its internal value, or its logarithm for ``log=True``; an
integer or stepped parameter's box is widened by half a step at each end so that, after
rounding, the end points are as likely as the inner grid points. A categorical parameter's
coordinate is its choice index.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from ragtune.core.distributions import (
    AnyDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)

__all__ = ["SearchEncoding", "SpaceKey", "encode_space", "space_key"]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


SpaceKey = tuple[tuple[str, ...], tuple[int, ...]]


def space_key(space: Mapping[str, AnyDistribution]) -> SpaceKey:
    """A cheap identity for a search space (distributions are cached, so ids repeat)."""
    return tuple(space), tuple(map(id, space.values()))


def _box(d: AnyDistribution) -> tuple[float, float, bool]:
    """``(low, high, log)`` of ``d``'s coordinate box."""
    if isinstance(d, CategoricalDistribution):
        return 0.0, float(len(d.choices) - 1), False
    if isinstance(d, IntDistribution):
        half = 0.5 * d.step
        if d.log:
            return math.log(d.low - half), math.log(d.high + half), True
        return d.low - half, d.high + half, False
    assert isinstance(d, FloatDistribution)
    if d.log:
        return math.log(d.low), math.log(d.high), True
    half = 0.5 * d.step if d.step is not None else 0.0
    return d.low - half, d.high + half, False


@dataclass(frozen=True, slots=True, eq=False)
class SearchEncoding:
    """Per-parameter boxes of one search space, aligned with ``names``."""

    names: tuple[str, ...]
    distributions: tuple[AnyDistribution, ...]
    low: FloatArray
    high: FloatArray
    log: BoolArray
    categorical: BoolArray
    n_choices: npt.NDArray[np.int64]
    plain: tuple[bool, ...]  # float without log or step: a clipped coordinate is the value

    def to_coords(self, internal: FloatArray) -> FloatArray:
        """Internal values (rows or one vector, NaN = absent) to coordinates."""
        with np.errstate(invalid="ignore", divide="ignore"):
            out: FloatArray = np.where(self.log, np.log(np.where(self.log, internal, 1.0)), internal)
        return out

    def to_internal(self, coords: FloatArray) -> FloatArray:
        """Coordinates back to internal values (before rounding to a grid)."""
        out: FloatArray = np.where(self.log, np.exp(np.where(self.log, coords, 0.0)), coords)
        return out

    def decode(self, internal: list[float], defined: list[bool]) -> dict[str, Any]:
        """External values of the ``defined`` entries of one row of internal values."""
        return {
            name: value if plain else dist.to_external(value)
            for name, dist, plain, value, ok in zip(
                self.names, self.distributions, self.plain, internal, defined, strict=True
            )
            if ok
        }


def encode_space(space: Mapping[str, AnyDistribution]) -> SearchEncoding:
    """The :class:`SearchEncoding` of ``space`` (in its iteration order)."""
    names = tuple(space)
    dists = tuple(space.values())
    boxes = [_box(d) for d in dists]
    return SearchEncoding(
        names=names,
        distributions=dists,
        low=np.array([b[0] for b in boxes], dtype=np.float64),
        high=np.array([b[1] for b in boxes], dtype=np.float64),
        log=np.array([b[2] for b in boxes], dtype=bool),
        categorical=np.array([isinstance(d, CategoricalDistribution) for d in dists], dtype=bool),
        n_choices=np.array(
            [len(d.choices) if isinstance(d, CategoricalDistribution) else 0 for d in dists],
            dtype=np.int64,
        ),
        plain=tuple(isinstance(d, FloatDistribution) and not d.log and d.step is None for d in dists),
    )
