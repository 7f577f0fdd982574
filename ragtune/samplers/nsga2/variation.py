"""NSGA-II offspring in batches: crossover of tournament-picked pairs, then mutation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from ragtune.samplers.nsga2.encoding import SearchEncoding
from ragtune.samplers.nsga2.operators import (
    polynomial_mutation,
    simulated_binary_crossover,
    uniform_crossover,
)

__all__ = ["VariationSettings", "make_offspring"]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]

# Deb's NSGA-II reference code applies SBX to each variable with probability 1/2 and hands
# the two SBX values to the two children in random order.
_SBX_VARIABLE_PROB = 0.5


@dataclass(frozen=True, slots=True)
class VariationSettings:
    """Operator settings of :class:`~ragtune.samplers.NSGAIISampler` (validated there)."""

    crossover: Literal["uniform", "sbx"]
    crossover_prob: float
    swapping_prob: float
    eta_c: float
    eta_m: float
    mutation_prob: float | None


def _crossover(
    rng: np.random.Generator,
    encoding: SearchEncoding,
    p1: FloatArray,
    p2: FloatArray,
    settings: VariationSettings,
) -> tuple[FloatArray, FloatArray]:
    low, high, categorical = encoding.low, encoding.high, encoding.categorical
    if settings.crossover == "uniform":
        c1, c2 = uniform_crossover(rng, p1, p2, swapping_prob=settings.swapping_prob)
    else:
        u1, u2 = uniform_crossover(rng, p1, p2, swapping_prob=settings.swapping_prob)
        s1, s2 = simulated_binary_crossover(rng, p1, p2, low, high, eta=settings.eta_c)
        draws = rng.random((2, *p1.shape))
        flip = draws[0] < 0.5
        s1, s2 = np.where(flip, s2, s1), np.where(flip, s1, s2)
        crossed = draws[1] < _SBX_VARIABLE_PROB
        c1 = np.where(categorical, u1, np.where(crossed, s1, p1))
        c2 = np.where(categorical, u2, np.where(crossed, s2, p2))
    keep = rng.random((p1.shape[0], 1)) >= settings.crossover_prob
    return np.where(keep, p1, c1), np.where(keep, p2, c2)


def _mutate(
    rng: np.random.Generator,
    encoding: SearchEncoding,
    children: FloatArray,
    present: BoolArray,
    settings: VariationSettings,
) -> FloatArray:
    if settings.mutation_prob is not None:
        prob: FloatArray | float = settings.mutation_prob
    else:
        prob = 1.0 / np.maximum(np.count_nonzero(present, axis=1), 1)[:, None]
    draws = rng.random((2, *children.shape))
    mutate = present & (draws[0] < prob)
    categorical = encoding.categorical
    numeric = mutate & ~categorical
    if numeric.any():
        moved = polynomial_mutation(rng, children, encoding.low, encoding.high, eta=settings.eta_m)
        children = np.where(numeric, moved, children)
    redraw = mutate & categorical
    if redraw.any():
        children = np.where(redraw, np.floor(draws[1] * encoding.n_choices), children)
    return children


def make_offspring(
    rng: np.random.Generator,
    encoding: SearchEncoding,
    parents: FloatArray,
    first: IntArray,
    second: IntArray,
    settings: VariationSettings,
) -> tuple[FloatArray, BoolArray]:
    """Children of the parent pairs ``(parents[first[k]], parents[second[k]])``, two per pair.

    ``parents`` holds search coordinates, one row per parent, NaN where a parent did not suggest
    a parameter. Returns ``(children, defined)`` of shape ``(2 * len(first), n_params)``; an
    entry is defined only where both parents had it (the caller samples the rest at random).

    Each pair is crossed with probability ``crossover_prob`` (else the children copy the
    parents): uniform crossover, or for ``"sbx"`` simulated binary crossover on numbers and
    uniform crossover on categories. Every defined entry then mutates with probability
    ``mutation_prob`` (default ``1 / number of defined entries`` of that child): polynomial
    mutation for numbers, a uniform re-draw for categories. Results lie in the encoding's box.
    """
    low, high = encoding.low, encoding.high
    x1, x2 = parents[first], parents[second]
    present = ~(np.isnan(x1) | np.isnan(x2))
    # Clip as well: a parameter's range may have narrowed since the parents were evaluated.
    p1 = np.clip(np.where(present, x1, low), low, high)
    p2 = np.clip(np.where(present, x2, low), low, high)
    c1, c2 = _crossover(rng, encoding, p1, p2, settings)
    n_pairs, n_params = p1.shape
    children = np.stack([c1, c2], axis=1).reshape(2 * n_pairs, n_params)
    defined = np.repeat(present, 2, axis=0)
    return _mutate(rng, encoding, children, defined, settings), defined
