"""The knee point of a Pareto front: the trade-off the TUI suggests first (pure numpy, no Textual).

Definition (Das 1999, "On characterizing the 'knee' of the Pareto curve based on normal-boundary
intersection", Struct. Optim. 18; the distance-to-hyperplane form of Deb & Gupta 2011,
"Understanding knee points in bicriteria problems and their implications as preferred solutions
principles", Eng. Optim. 43):

1. normalise every loss column of the front to [0, 1] with the ideal (column minimum) and nadir
   (column maximum) points; a constant column becomes 0;
2. take the extreme points (the front point that is best in each objective) and the hyperplane
   ``w . f = 1`` through them; when they do not span a hyperplane (two objectives share their best
   point) or the plane does not face the ideal point (some ``w_i <= 0``), use ``sum(f) = 1``,
   the hyperplane through the unit points, instead;
3. the knee is the point furthest from that hyperplane on the ideal side,
   ``argmax (1 - w . f) / ||w||``; ties go to the smaller sum of normalised losses, then to the
   earlier row.

With two objectives the extremes normalise to (0, 1) and (1, 0), so this is exactly "the point of
the normalised front with the largest distance to the line between the two extremes".
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["knee_index", "normalise_front"]

FloatArray = npt.NDArray[np.float64]


def normalise_front(losses: npt.ArrayLike) -> FloatArray:
    """Scale each column of ``losses`` (n, m) to [0, 1] between its minimum and maximum."""
    f = np.asarray(losses, dtype=np.float64)
    ideal = f.min(axis=0)
    span = f.max(axis=0) - ideal
    span[span <= 0] = 1.0
    out: FloatArray = (f - ideal) / span
    return out


def _hyperplane(normalised: FloatArray) -> FloatArray:
    m = normalised.shape[1]
    extremes = normalised[np.argmin(normalised, axis=0)]
    ones = np.ones(m)
    if len({int(i) for i in np.argmin(normalised, axis=0)}) == m:
        try:
            w = np.linalg.solve(extremes, ones)
        except np.linalg.LinAlgError:
            return ones
        if np.all(np.isfinite(w)) and np.all(w > 0):
            return np.asarray(w, dtype=np.float64)
    return ones


def knee_index(losses: npt.ArrayLike) -> int | None:
    """Row of the knee point of a front given as losses ``(n, m)`` (every column minimised).

    ``None`` for an empty front; the best row for one objective; see the module docstring otherwise.
    """
    f = np.asarray(losses, dtype=np.float64)
    if f.ndim != 2 or f.shape[0] == 0:
        return None
    if f.shape[0] == 1:
        return 0
    normalised = normalise_front(f)
    if f.shape[1] == 1:
        return int(np.argmin(normalised[:, 0]))
    w = _hyperplane(normalised)
    distance = (1.0 - normalised @ w) / float(np.linalg.norm(w))
    total = normalised.sum(axis=1)
    # lexsort: last key is primary -> largest distance, then smallest sum, then earliest row.
    order = np.lexsort((np.arange(f.shape[0]), total, -np.round(distance, 12)))
    return int(order[0])
