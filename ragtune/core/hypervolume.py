"""Exact hypervolume indicator and exclusive hypervolume contributions of loss arrays."""

from __future__ import annotations

import bisect

import numpy as np
import numpy.typing as npt

from ragtune.core.pareto import as_losses, is_pareto_front, unique_rows
from ragtune.exceptions import ValidationError

__all__ = ["front_contributions_2d", "hypervolume", "hypervolume_contributions"]

FloatArray = npt.NDArray[np.float64]


def _as_reference(reference: npt.ArrayLike, n_objectives: int) -> FloatArray:
    ref = np.asarray(reference, dtype=np.float64)
    if ref.shape != (n_objectives,):
        raise ValidationError(
            f"reference must be a 1-D array of length n_objectives={n_objectives}, but got shape={ref.shape}"
        )
    if not np.isfinite(ref).all():
        raise ValidationError(f"reference must be finite, but got reference={ref.tolist()}")
    return ref


def _hv2d(points: FloatArray, ref: FloatArray) -> float:
    """Area dominated by 2-D points that all lie strictly inside the reference box, O(n log n)."""
    order = np.lexsort((points[:, 1], points[:, 0]))
    x = points[order, 0]
    lowest_y = np.minimum.accumulate(points[order, 1])
    widths = np.diff(np.append(x, ref[0]))
    return float(np.dot(widths, ref[1] - lowest_y))


def _hv3d(points: FloatArray, ref: FloatArray) -> float:
    """Volume dominated by 3-D points strictly inside the reference box, by dimension sweep.

    Beume, Fonseca, López-Ibáñez, Paquete & Vahrenhold, "On the complexity of computing the
    hypervolume indicator", IEEE TEVC 13(5), 2009 (the 3-D dimension sweep): points enter in increasing third
    coordinate while a 2-D staircase of the (x, y) projections and its dominated area are kept up to
    date; each entering point adds the area it newly dominates. Points weakly dominated in (x, y)
    by the staircase are skipped, so dominated input is handled without a prior filter. The
    staircase lives in sorted Python lists, so every point costs one bisection plus list updates.
    """
    order = np.argsort(points[:, 2], kind="stable")
    xs_in = points[order, 0].tolist()
    ys_in = points[order, 1].tolist()
    zs = points[order, 2].tolist()
    zs.append(float(ref[2]))
    ref_x = float(ref[0])
    ref_y = float(ref[1])
    xs: list[float] = []  # staircase, x increasing and y strictly decreasing
    ys: list[float] = []
    area = 0.0
    volume = 0.0
    for i, (px, py) in enumerate(zip(xs_in, ys_in, strict=True)):
        lo = bisect.bisect_right(xs, px)
        ceiling = ys[lo - 1] if lo else ref_y
        if ceiling > py:
            # Area newly dominated: between consecutive staircase steps from px rightwards, the
            # part below the current ceiling and above py; removed steps lift the ceiling.
            hi = lo
            left = px
            while hi < len(xs) and ys[hi] >= py:
                area += (xs[hi] - left) * (ceiling - py)
                left = xs[hi]
                ceiling = ys[hi]
                hi += 1
            right = xs[hi] if hi < len(xs) else ref_x
            area += (right - left) * (ceiling - py)
            if lo and xs[lo - 1] == px:
                lo -= 1  # a step at the same x but higher y is dominated by the new point
            xs[lo:hi] = [px]
            ys[lo:hi] = [py]
        volume += area * (zs[i + 1] - zs[i])
    return volume


def _hv_wfg(points: FloatArray, ref: FloatArray) -> float:
    """Exact hypervolume for m >= 4 by WFG with a dimension-reducing sort.

    While, Bradstreet & Barone, "A fast way of calculating exact hypervolumes", IEEE TEVC 16(1),
    2012: HV(S) is the sum over points p_k of their exclusive volume with respect to
    the later points, exclhv(p_k) = inclhv(p_k) - HV(limitset(p_k)), where the limit set holds the
    component-wise maxima of p_k with each later point. Sorting by the last objective in decreasing
    order makes every limit point share p_k's last coordinate, so its hypervolume is a
    slab of height ref[-1] - p_k[-1] over an (m-1)-dimensional hypervolume.
    """
    points = unique_rows(points)[0]
    points = points[is_pareto_front(points, assume_unique_lexsorted=True)]
    points = points[np.argsort(-points[:, -1], kind="stable")]
    head = points[:, :-1]
    base = ref[:-1]
    heights = ref[-1] - points[:, -1]
    total = 0.0
    for k in range(points.shape[0]):
        box = float(np.prod(base - head[k]))
        limit = np.maximum(head[k + 1 :], head[k])
        total += heights[k] * (box - _hv(limit, base))
    return total


def _hv(points: FloatArray, ref: FloatArray) -> float:
    """Hypervolume of points that all lie strictly inside the reference box."""
    n, m = points.shape
    if n == 0:
        return 0.0
    if m == 1:
        return float(ref[0] - points[:, 0].min())
    if n == 1:
        return float(np.prod(ref - points[0]))
    if m == 2:
        return _hv2d(points, ref)
    if m == 3:
        return _hv3d(points, ref)
    return _hv_wfg(points, ref)


def hypervolume(losses: npt.ArrayLike, reference: npt.ArrayLike) -> float:
    """Exact volume of the region dominated by ``losses`` and bounded by ``reference`` (all minimised).

    Rows that are not strictly better than ``reference`` in every objective add nothing and are
    dropped. Algorithms: m = 1 a minimum, m = 2 a sort-and-sweep O(n log n), m = 3 the dimension
    sweep of Beume et al. 2009 (O(n log n) comparisons), m >= 4 WFG (While et al. 2012) reduced to
    the 3-D sweep at the innermost level.
    """
    points = as_losses(losses)
    ref = _as_reference(reference, points.shape[1])
    inside = points[np.all(points < ref, axis=1)]
    return _hv(inside, ref)


def hypervolume_contributions(losses: npt.ArrayLike, reference: npt.ArrayLike) -> FloatArray:
    """Exclusive hypervolume of every row: ``HV(all) - HV(all rows but this one)``.

    Rows outside the reference box, dominated rows and rows with an identical copy contribute 0.
    A front point's contribution is inclhv(p) - HV(limit set of p), the exclusive volume of While et
    al. 2012, which avoids subtracting two large, nearly equal volumes; the limit set only
    needs the other front points and the points p dominates (any other point's limit is dominated).
    For m = 2 it is the rectangle between p's two front neighbours, less the part of it covered by
    points that p dominates (only computed when there are such points).
    """
    points = as_losses(losses)
    n, m = points.shape
    ref = _as_reference(reference, m)
    contributions = np.zeros(n)
    candidates = np.flatnonzero(np.all(points < ref, axis=1))
    if candidates.size == 0:
        return contributions
    unique, inverse, counts = unique_rows(points[candidates])
    on_front = is_pareto_front(unique, assume_unique_lexsorted=True)
    front = unique[on_front]
    behind = unique[~on_front]
    if m == 1:
        # The single front point is the best value; up to the second-best value it is alone.
        values = np.array([(unique[1, 0] if unique.shape[0] > 1 else ref[0]) - front[0, 0]])
    elif m == 2:
        values = _contributions_2d(front, behind, ref)
    else:
        values = np.empty(front.shape[0])
        for j, p in enumerate(front):
            dominated_by_p = behind[np.all(behind >= p, axis=1)]
            others = np.concatenate([np.delete(front, j, axis=0), dominated_by_p])
            values[j] = np.prod(ref - p) - _hv(np.maximum(others, p), ref)
    per_unique = np.zeros(unique.shape[0])
    front_ids = np.flatnonzero(on_front)
    per_unique[front_ids] = np.where(counts[front_ids] == 1, values, 0.0)
    contributions[candidates] = per_unique[inverse]
    return contributions


def front_contributions_2d(front: FloatArray, reference: FloatArray) -> FloatArray:
    """:func:`hypervolume_contributions` of the rows of one two-objective front, in the rows' order.

    For rows that all lie inside the reference box and none of which dominates another (copies
    allowed: an identical copy's contribution is zero on both sides). Sorted by the first objective,
    each row's exclusive area is the rectangle up to its neighbours: the general function's
    arithmetic, without its duplicate and dominance passes.
    """
    order = np.lexsort((front[:, 1], front[:, 0]))
    out = np.empty(front.shape[0])
    out[order] = _contributions_2d(front[order], front[:0], reference)
    return out


def _contributions_2d(front: FloatArray, behind: FloatArray, ref: FloatArray) -> FloatArray:
    """Exclusive areas of a unique lexsorted 2-D front (x increasing, y strictly decreasing)."""
    next_x = np.append(front[1:, 0], ref[0])
    prev_y = np.insert(front[:-1, 1], 0, ref[1])
    values = (next_x - front[:, 0]) * (prev_y - front[:, 1])
    if behind.shape[0] == 0:
        return values
    for j in range(front.shape[0]):
        corner = np.array([next_x[j], prev_y[j]])
        # Points inside p's exclusive rectangle are dominated by p alone; they keep that part.
        inside = behind[np.all(behind < corner, axis=1) & np.all(behind >= front[j], axis=1)]
        if inside.shape[0]:
            values[j] -= _hv(inside, corner)
    return values
