"""Pareto dominance, (constrained) non-dominated sorting and crowding distance on loss arrays."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from ragtune.exceptions import ValidationError

__all__ = [
    "as_losses",
    "constrained_non_dominated_sort",
    "crowding_distance",
    "dominates",
    "is_pareto_front",
    "non_dominated_sort",
]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]


def as_losses(losses: npt.ArrayLike, *, name: str = "losses") -> FloatArray:
    """Return ``losses`` as a finite float array of shape ``(n_points, n_objectives)``.

    Raises :class:`~ragtune.exceptions.ValidationError` for another shape, zero objectives or a
    NaN / infinite entry (the message names the first offending row).
    """
    arr = np.asarray(losses, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[1] == 0:
        raise ValidationError(
            f"{name} must be a 2-D array of shape (n_points, n_objectives) with n_objectives >= 1, "
            f"but got shape={arr.shape}"
        )
    finite = np.isfinite(arr)
    if not finite.all():
        row = int(np.flatnonzero(~finite.all(axis=1))[0])
        raise ValidationError(f"{name} must be finite, but got {name}[{row}]={arr[row].tolist()}")
    return arr


def dominates(a: npt.ArrayLike, b: npt.ArrayLike) -> bool:
    """Whether loss vector ``a`` Pareto-dominates ``b``: ``a <= b`` everywhere and ``a < b`` somewhere."""
    pa = np.asarray(a, dtype=np.float64)
    pb = np.asarray(b, dtype=np.float64)
    if pa.ndim != 1 or pa.shape != pb.shape:
        raise ValidationError(
            f"a and b must be 1-D loss vectors of the same length, but got shapes {pa.shape} and {pb.shape}"
        )
    return bool(np.all(pa <= pb) and np.any(pa < pb))


def _front_of_unique_lexsorted(points: FloatArray) -> BoolArray:
    """Non-dominated mask of rows that are unique and sorted lexicographically (column 0 first).

    In that order no row can be dominated by a later one, so the first remaining row is always on
    the front; it then removes every row it weakly dominates (Kung, Luccio & Preparata 1975 give
    the same scan for m = 2 as a running minimum).
    """
    n, m = points.shape
    on_front = np.zeros(n, dtype=bool)
    if n == 0:
        return on_front
    if m == 1:
        on_front[0] = True
        return on_front
    if m == 2:
        # Rows are sorted by x (then y); a row is dominated iff some earlier row has y <= its y.
        prev_min = np.minimum.accumulate(points[:, 1])
        on_front[0] = True
        on_front[1:] = points[1:, 1] < prev_min[:-1]
        return on_front
    remaining = np.arange(n)
    while remaining.size:
        head = remaining[0]
        on_front[head] = True
        rest = remaining[1:]
        # Unique rows: "not weakly dominated by head" == "better than head somewhere".
        remaining = rest[np.any(points[rest] < points[head], axis=1)]
    return on_front


def unique_rows(points: FloatArray) -> tuple[FloatArray, IntArray, IntArray]:
    """Unique rows of a finite 2-D array in lexicographic order (column 0 most significant), the
    inverse map (``unique[inverse] == points``) and each unique row's count.

    What ``np.unique(points, axis=0, return_inverse=True, return_counts=True)`` returns, from one
    ``lexsort`` and a comparison of neighbours: numpy's row-wise unique goes through a structured
    view and costs 50-100 us even on a handful of rows, and the samplers call this every trial.
    """
    n = points.shape[0]
    order = np.lexsort(points.T[::-1])
    ordered = points[order]
    starts = np.ones(n, dtype=bool)
    if n > 1:
        np.any(ordered[1:] != ordered[:-1], axis=1, out=starts[1:])
    inverse = np.empty(n, dtype=np.int64)
    inverse[order] = np.cumsum(starts) - 1
    counts = np.diff(np.append(np.flatnonzero(starts), n)).astype(np.int64)
    return ordered[starts], inverse, counts


def is_pareto_front(losses: npt.ArrayLike, *, assume_unique_lexsorted: bool = False) -> BoolArray:
    """Mask of the rows of ``losses`` that no other row dominates; every copy of a front row is on it.

    With ``assume_unique_lexsorted=True`` the caller promises that the rows are unique and sorted
    lexicographically with column 0 most significant (as :func:`numpy.unique` with ``axis=0``
    returns them), which skips the sort.

    Cost: O(n log n) for two objectives, O(n * front size) vectorised row comparisons otherwise.
    """
    points = as_losses(losses)
    if assume_unique_lexsorted:
        return _front_of_unique_lexsorted(points)
    unique, inverse, _ = unique_rows(points)
    return _front_of_unique_lexsorted(unique)[inverse]


def _ranks_of_unique(unique: FloatArray, counts: IntArray, n_below: int | None, unranked: int) -> IntArray:
    ranks = np.full(unique.shape[0], unranked, dtype=np.int64)
    remaining = np.arange(unique.shape[0])
    n_ranked = 0
    rank = 0
    while remaining.size and (n_below is None or n_ranked < n_below):
        # A subset of unique lexsorted rows is still unique and lexsorted.
        front = _front_of_unique_lexsorted(unique[remaining])
        ranks[remaining[front]] = rank
        n_ranked += int(counts[remaining[front]].sum())
        remaining = remaining[~front]
        rank += 1
    return ranks


def non_dominated_sort(losses: npt.ArrayLike, *, n_below: int | None = None) -> IntArray:
    """Pareto rank of every row: 0 for the non-dominated front, 1 for the front once it is removed, ...

    Same ranks as the fast non-dominated sort of Deb, Pratap, Agarwal & Meyarivan, "A fast and
    elitist multiobjective genetic algorithm: NSGA-II", IEEE TEVC 6(2), 2002, Sec. III-A, computed
    by peeling fronts with :func:`is_pareto_front`'s scan after one lexicographic sort. Identical
    rows get identical ranks.

    ``n_below``: stop once at least ``n_below`` rows are ranked (whole fronts are always ranked, so
    more may be); every row left unranked gets rank ``len(losses)``, larger than any real rank.
    """
    points = as_losses(losses)
    n = points.shape[0]
    if n_below is not None and n_below < 0:
        raise ValidationError(f"n_below must be >= 0 or None, but got n_below={n_below}")
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    unique, inverse, counts = unique_rows(points)
    return _ranks_of_unique(unique, counts, n_below, n)[inverse]


def constrained_non_dominated_sort(
    losses: npt.ArrayLike, violations: npt.ArrayLike, *, n_below: int | None = None
) -> IntArray:
    """Ranks under constraint-domination (Deb, Pratap, Agarwal & Meyarivan 2002, Sec. VI, Def. 1).

    A feasible row (``violation <= 0``) beats every infeasible one; feasible rows are ranked by
    :func:`non_dominated_sort`; infeasible rows come after the last feasible rank, ordered by total
    violation (smaller is better, equal violations share a rank). ``violations`` is the 1-D total
    constraint violation per row. ``n_below`` is passed on to the feasible sort, and, when the
    feasible rows already reach it, infeasible rows are left unranked too (rank ``len(losses)``).
    """
    points = as_losses(losses)
    n = points.shape[0]
    viol = np.asarray(violations, dtype=np.float64)
    if viol.shape != (n,):
        raise ValidationError(
            f"violations must be a 1-D array with one value per row of losses (length {n}), "
            f"but got shape={viol.shape}"
        )
    if np.isnan(viol).any():
        row = int(np.flatnonzero(np.isnan(viol))[0])
        raise ValidationError(f"violations must not be NaN, but got violations[{row}]=nan")
    feasible = viol <= 0.0
    ranks = np.full(n, n, dtype=np.int64)
    n_feasible = int(feasible.sum())
    next_rank = 0
    if n_feasible:
        feasible_ranks = non_dominated_sort(points[feasible], n_below=n_below)
        feasible_ranks[feasible_ranks == n_feasible] = n
        ranks[feasible] = feasible_ranks
        if n_below is not None and int(np.count_nonzero(feasible_ranks < n)) >= n_below:
            return ranks
        next_rank = int(feasible_ranks.max()) + 1
    if n_feasible < n:
        _, dense = np.unique(viol[~feasible], return_inverse=True)
        ranks[~feasible] = next_rank + dense.reshape(-1)
    return ranks


def crowding_distance(losses: npt.ArrayLike) -> FloatArray:
    """Crowding distance of every row of one front (Deb et al. 2002, Sec. III-B).

    Per objective the rows are sorted (stably), the two extreme rows get ``inf`` and every other row
    adds the gap between its neighbours divided by the objective's range. Objectives with zero range
    carry no information and are skipped. With two rows or fewer every distance is ``inf``. Of several
    identical extreme rows only the first in sort order is a boundary row.
    """
    points = as_losses(losses)
    n, m = points.shape
    if n <= 2:
        return np.full(n, np.inf)
    distance = np.zeros(n)
    for k in range(m):
        order = np.argsort(points[:, k], kind="stable")
        values = points[order, k]
        span = values[-1] - values[0]
        if span <= 0.0:
            continue
        distance[order[1:-1]] += (values[2:] - values[:-2]) / span
        distance[order[[0, -1]]] = np.inf
    return distance
