"""Variation kernels of NSGA-II on bounded real vectors: uniform crossover, SBX, polynomial mutation.

Every kernel works element-wise on float arrays of shape ``(..., n_params)`` in search
coordinates (``low`` and ``high`` broadcast against them) and keeps each entry inside
``[low, high]``. Batches of offspring are produced in one call, so per-trial cost stays small.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["polynomial_mutation", "simulated_binary_crossover", "uniform_crossover"]

FloatArray = npt.NDArray[np.float64]

# Parents closer than this are treated as equal: SBX then copies them instead of dividing by ~0.
_MIN_GAP = 1e-14


def uniform_crossover(
    rng: np.random.Generator, x1: FloatArray, x2: FloatArray, *, swapping_prob: float
) -> tuple[FloatArray, FloatArray]:
    """Two complementary children: each entry swaps between the parents with ``swapping_prob``.

    Uniform crossover (Syswerda, "Uniform crossover in genetic algorithms", ICGA 1989); the first
    child takes ``x2``'s entry where a swap is drawn and ``x1``'s elsewhere, the second the rest.
    """
    swap = rng.random(x1.shape) < swapping_prob
    return np.where(swap, x2, x1), np.where(swap, x1, x2)


def simulated_binary_crossover(
    rng: np.random.Generator,
    x1: FloatArray,
    x2: FloatArray,
    low: FloatArray,
    high: FloatArray,
    *,
    eta: float,
) -> tuple[FloatArray, FloatArray]:
    """Two children of ``x1`` and ``x2`` by simulated binary crossover (SBX), bounded.

    Deb & Agrawal, "Simulated binary crossover for continuous search space", Complex Systems 9,
    1995: with ``u ~ U[0, 1)`` the spread factor is ``beta_q = (2u)^(1/(eta+1))`` for ``u <= 1/2``
    and ``(1 / (2(1-u)))^(1/(eta+1))`` otherwise, and the children are
    ``c = (y1 + y2)/2 -/+ beta_q (y2 - y1)/2`` with ``y1 <= y2``. Large ``eta`` keeps children
    close to their parents. For bounded variables the density of ``beta_q`` is truncated where a
    child would leave ``[low, high]``: with ``beta = 1 + 2 (distance to the bound) / (y2 - y1)``
    and ``alpha = 2 - beta^-(eta+1)`` the factor ``2u`` becomes ``alpha u`` (and ``2(1-u)`` becomes
    ``2 - alpha u``), which is the bounded SBX of Deb's NSGA-II reference code (described in
    Deb, Sindhya & Okabe, GECCO 2007). At ``u -> 1`` a child lands exactly on its bound.

    Entries whose parents coincide are copied unchanged. Returns ``(lower child, upper child)``.
    """
    y1 = np.minimum(x1, x2)
    y2 = np.maximum(x1, x2)
    gap = y2 - y1
    crossed = gap > _MIN_GAP
    safe_gap = np.where(crossed, gap, 1.0)
    u = rng.random(gap.shape)
    power = 1.0 / (eta + 1.0)

    def spread(distance_to_bound: FloatArray) -> FloatArray:
        beta = 1.0 + 2.0 * np.maximum(distance_to_bound, 0.0) / safe_gap
        alpha = 2.0 - beta ** -(eta + 1.0)
        au = alpha * u
        contracting = au <= 1.0
        base = np.where(contracting, au, 1.0 / np.maximum(2.0 - au, 1e-300))
        out: FloatArray = base**power
        return out

    mid = 0.5 * (y1 + y2)
    c1 = np.clip(mid - 0.5 * spread(y1 - low) * gap, low, high)
    c2 = np.clip(mid + 0.5 * spread(high - y2) * gap, low, high)
    return np.where(crossed, c1, x1), np.where(crossed, c2, x2)


def polynomial_mutation(
    rng: np.random.Generator, x: FloatArray, low: FloatArray, high: FloatArray, *, eta: float
) -> FloatArray:
    """Every entry of ``x`` perturbed by bounded polynomial mutation.

    Deb & Goyal, "A combined genetic adaptive search (GeneAS) for engineering design", Computer
    Science and Informatics 26(4), 1996, in the bounded form of Deb & Deb, "Analysing mutation
    schemes for real-parameter genetic algorithms", IJAISC 4(1), 2014: with
    ``d1 = (x - low) / (high - low)``, ``d2 = (high - x) / (high - low)`` and ``u ~ U[0, 1)``,
    ``delta_q = (2u + (1-2u)(1-d1)^(eta+1))^(1/(eta+1)) - 1`` for ``u < 1/2`` and
    ``1 - (2(1-u) + 2(u-1/2)(1-d2)^(eta+1))^(1/(eta+1))`` otherwise; the mutant is
    ``x + delta_q (high - low)``, which lies in ``[low, high]`` by construction. Large ``eta``
    gives small perturbations. Entries with ``low == high`` stay put.
    """
    span = high - low
    safe_span = np.where(span > 0.0, span, 1.0)
    xc = np.clip(x, low, high)
    d1 = (xc - low) / safe_span
    d2 = (high - xc) / safe_span
    u = rng.random(xc.shape)
    power = 1.0 / (eta + 1.0)
    # Both bases are >= 0 for every u in [0, 1) (each branch is evaluated for all u).
    down = (2.0 * u + (1.0 - 2.0 * u) * (1.0 - d1) ** (eta + 1.0)) ** power - 1.0
    up = 1.0 - (2.0 * (1.0 - u) + 2.0 * (u - 0.5) * (1.0 - d2) ** (eta + 1.0)) ** power
    delta = np.where(u < 0.5, down, up)
    out: FloatArray = np.clip(xc + delta * span, low, high)
    return out
