"""A small regression forest (bootstrap, random feature subsets, squared-error splits) for fANOVA.

Trees split numerical columns at midpoints between distinct values and categorical columns into
two sets of choices (choices ordered by mean target, the exact best binary split for squared
error, Breiman et al. 1984). Each leaf keeps its box: an interval per numerical column and the
allowed choices per categorical one, which is what the fANOVA decomposition needs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["Leaf", "fit_tree"]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Leaf:
    """A leaf's prediction and box: ``low``/``high`` per numerical column, ``allowed`` per categorical."""

    value: float
    low: FloatArray
    high: FloatArray
    allowed: tuple[npt.NDArray[np.bool_], ...]


def _best_split(
    x: FloatArray, y: FloatArray, n_choices: int, min_leaf: int
) -> tuple[float, float | npt.NDArray[np.bool_]] | None:
    """(gain, threshold or left-choice mask) of the best split of one column, or None."""
    n = y.size
    c_n: FloatArray
    c_s: FloatArray
    if n_choices:
        codes = x.astype(np.int64)
        counts = np.bincount(codes, minlength=n_choices)
        sums = np.bincount(codes, weights=y, minlength=n_choices)
        present = np.flatnonzero(counts)
        if present.size < 2:
            return None
        order = present[np.argsort(sums[present] / counts[present], kind="stable")]
        c_n = np.cumsum(counts[order])[:-1].astype(np.float64)
        c_s = np.cumsum(sums[order])[:-1].astype(np.float64)
    else:
        order_x = np.argsort(x, kind="stable")
        xs, ys = x[order_x], y[order_x]
        distinct = np.flatnonzero(xs[1:] > xs[:-1])  # split after position i
        if distinct.size == 0:
            return None
        c_n = (distinct + 1).astype(np.float64)
        c_s = np.cumsum(ys)[distinct]
    total = float(y.sum())
    ok = (c_n >= min_leaf) & (n - c_n >= min_leaf)
    if not ok.any():
        return None
    gain = np.where(ok, c_s**2 / np.maximum(c_n, 1) + (total - c_s) ** 2 / np.maximum(n - c_n, 1), -np.inf)
    k = int(np.argmax(gain))
    score = float(gain[k]) - total**2 / n
    if n_choices:
        mask = np.zeros(n_choices, dtype=bool)
        mask[order[: k + 1]] = True
        return score, mask
    i = int(distinct[k])
    return score, float((xs[i] + xs[i + 1]) / 2)


def fit_tree(
    x: FloatArray,
    y: FloatArray,
    n_choices: tuple[int, ...],
    *,
    rng: np.random.Generator,
    max_features: int,
    min_leaf: int = 2,
    max_depth: int = 12,
) -> list[Leaf]:
    """Grow one tree on rows ``x`` (numerical columns in [0, 1], categorical as choice indices)."""
    d = x.shape[1]
    leaves: list[Leaf] = []
    stack = [
        (
            np.arange(y.size),
            np.zeros(d),
            np.ones(d),
            tuple(np.ones(max(c, 1), dtype=bool) for c in n_choices),
            0,
        )
    ]
    while stack:
        rows, low, high, allowed, depth = stack.pop()
        yr = y[rows]
        best: tuple[float, int, float | npt.NDArray[np.bool_]] | None = None
        if depth < max_depth and rows.size >= 2 * min_leaf and float(yr.var()) > 0:
            for j in rng.permutation(d)[:max_features].tolist():
                found = _best_split(x[rows, j], yr, n_choices[j], min_leaf)
                if found is not None and found[0] > 1e-12 and (best is None or found[0] > best[0]):
                    best = (found[0], j, found[1])
        if best is None:
            leaves.append(Leaf(float(yr.mean()), low, high, allowed))
            continue
        _, j, rule = best
        if isinstance(rule, np.ndarray):
            go_left = rule[x[rows, j].astype(np.int64)]
            left_allowed = list(allowed)
            right_allowed = list(allowed)
            left_allowed[j] = allowed[j] & rule
            right_allowed[j] = allowed[j] & ~rule
            stack.append((rows[go_left], low, high, tuple(left_allowed), depth + 1))
            stack.append((rows[~go_left], low, high, tuple(right_allowed), depth + 1))
        else:
            go_left = x[rows, j] <= rule
            left_high, right_low = high.copy(), low.copy()
            left_high[j], right_low[j] = rule, rule
            stack.append((rows[go_left], low, left_high, allowed, depth + 1))
            stack.append((rows[~go_left], right_low, high, allowed, depth + 1))
    return leaves
