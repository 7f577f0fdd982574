"""Splitting observed trials into TPE's good ("below", l(x)) and bad ("above", g(x)) sets."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from ragtune.core.hypervolume import front_contributions_2d, hypervolume_contributions
from ragtune.core.lru_memo import LruMemo
from ragtune.core.pareto import is_pareto_front, non_dominated_sort
from ragtune.core.trial_state import TrialState
from ragtune.core.trials_view import TrialsView

_COMPLETE = int(TrialState.COMPLETE)
_PRUNED = int(TrialState.PRUNED)


def default_gamma(n: int) -> int:
    """Size of the good set for ``n`` observations: ``min(ceil(0.1 n), 25)``.

    The linear split with beta = 0.1 that Watanabe 2023 (Sec. 3.1, Table 3) recommends, capped so
    that l(x) stays a sharp model of the best region in long runs.
    """
    return min(math.ceil(0.1 * n), 25)


def _hv_subset(points: np.ndarray, k: int) -> np.ndarray:
    """Indices of ``k`` rows of one Pareto front kept by dropping the least hypervolume contributors.

    Ozaki, Tanigaki, Watanabe, Nomura & Onishi, "Multiobjective tree-structured Parzen estimator",
    JAIR 73, 2022, Sec. 4.1: ties on the boundary front are broken by hypervolume contribution,
    removing the smallest contributor and recomputing. To bound the cost on large fronts, each
    round drops half of the surplus (at least one point); the last rounds are exact greedy steps.
    Points are normalised to [0, 1] per objective and measured against the reference 1.1.
    """
    keep = np.arange(points.shape[0])
    lo, hi = points.min(axis=0), points.max(axis=0)
    scaled = (points - lo) / np.where(hi > lo, hi - lo, 1.0)
    ref = np.full(points.shape[1], 1.1)
    while keep.size > k:
        rows = scaled[keep]
        contrib = (
            front_contributions_2d(rows, ref) if rows.shape[1] == 2 else hypervolume_contributions(rows, ref)
        )
        drop = max(1, (keep.size - k) // 2)
        keep = np.delete(keep, np.argsort(contrib, kind="stable")[:drop])
    return keep


class FrontMemo:
    """Multi-objective ranking state kept between trials for one parameter group.

    Finished trials never change and a new trial can only push others to later fronts, so the
    rows of the first fronts found last time (the reservoir: every row of rank < ``depth``), plus
    the newly finished rows that no row outside the reservoir dominates, contain every row of rank
    < ``depth``; ranking that small set gives their true ranks. Boundary-front subsets and good-set
    weights are remembered by the rows they were computed from.
    """

    def __init__(self) -> None:
        self.reservoir = np.zeros(0, dtype=np.int64)
        self.reservoir_ranks = np.zeros(0, dtype=np.int64)
        self.depth = 0
        self.seen = -1
        self._results: LruMemo[tuple[str, bytes, int], np.ndarray | None] = LruMemo(64)

    def remember(
        self, kind: str, ids: np.ndarray, k: int, compute: Callable[[], np.ndarray | None]
    ) -> np.ndarray | None:
        return self._results.get_or_create((kind, ids.tobytes(), k), compute)

    def ranks(self, losses: np.ndarray, ids: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Positions (into ``losses``) of a row set holding every row of the first fronts covering
        ``k`` rows, and their Pareto ranks."""
        stale = ids.size and int(ids.max()) < self.seen  # an older view than the last call
        if self.depth and not stale:
            new = ids > self.seen
            known = np.zeros(self.seen + 1, dtype=bool)
            known[self.reservoir] = True
            cand = new.copy()
            cand[~new] = known[ids[~new]]
            outside = losses[~cand]
            for p in np.flatnonzero(new):
                if outside.size and np.any(
                    np.all(outside <= losses[p], axis=1) & np.any(outside < losses[p], axis=1)
                ):
                    cand[p] = False  # dominated by a row of rank >= depth
            pos = np.flatnonzero(cand)
            if not cand[new].any() and np.array_equal(ids[pos], self.reservoir):
                # Nothing entered the first fronts: their ranks are those of the last call.
                self.seen = int(ids.max())
                if self.reservoir.size >= k:
                    return pos, self.reservoir_ranks
            else:
                ranks = non_dominated_sort(losses[pos])
                inside = ranks < self.depth
                if int(inside.sum()) >= k:
                    self.reservoir, self.reservoir_ranks = ids[pos[inside]], ranks[inside]
                    self.seen = int(ids.max())
                    return pos[inside], ranks[inside]
        ranks = non_dominated_sort(losses, n_below=2 * k)
        ranked = ranks < losses.shape[0]
        pos = np.flatnonzero(ranked)
        if not stale:
            self.depth = int(ranks[ranked].max()) + 1 if pos.size else 0
            self.reservoir, self.reservoir_ranks = ids[pos], ranks[ranked]
            self.seen = int(ids.max()) if ids.size else -1
        return pos, ranks[ranked]


def _best_by_losses(
    losses: np.ndarray, k: int, ids: np.ndarray | None = None, memo: FrontMemo | None = None
) -> np.ndarray:
    """Indices of the ``k`` best rows: by value for one objective (best first), by Pareto rank and HV
    otherwise.

    ``ids`` (the rows' view indices, ascending) and ``memo`` let several objectives reuse the
    previous trial's ranking.
    """
    n = losses.shape[0]
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    if losses.shape[1] == 1:  # best first
        if 4 * k < n:  # only the best k are needed: partition, then order those
            best = np.argpartition(losses[:, 0], k)[:k]
            return best[np.argsort(losses[best, 0], kind="stable")]
        return np.argsort(losses[:, 0], kind="stable")[:k]
    if k >= n:
        return np.arange(n)
    if memo is None or ids is None:
        pos, ranks = np.arange(n), non_dominated_sort(losses, n_below=k)
    else:
        pos, ranks = memo.ranks(losses, ids, k)
    chosen: list[np.ndarray] = []
    taken = 0
    for r in np.unique(ranks):
        front = pos[ranks == r]
        if taken + front.size <= k:
            chosen.append(front)
        else:
            need = k - taken
            points = losses[front]

            def subset(points: np.ndarray = points, need: int = need) -> np.ndarray:
                return _hv_subset(points, need)

            found = (
                subset() if memo is None or ids is None else memo.remember("subset", ids[front], need, subset)
            )
            keep = found if found is not None else np.arange(need)
            chosen.append(front[keep])
        taken += chosen[-1].size
        if taken >= k:
            break
    return np.concatenate(chosen)


def _pruned_keys(view: TrialsView, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sort keys of pruned rows, most promising first: minus the step they ran to (no report and
    step 0 tie), then their last report (a Pareto rank for several objectives)."""
    last = view.last_steps[rows]
    steps = np.where(last > 0, -last, 1).astype(float)
    inter = view.last_intermediate[rows]
    finite = np.isfinite(inter).all(axis=1)
    score = np.full(rows.size, np.inf)
    if finite.any():
        if inter.shape[1] == 1:
            score[finite] = inter[finite, 0]
        else:
            score[finite] = non_dominated_sort(inter[finite]).astype(float)
    return steps, score


def _best_pruned(view: TrialsView, rows: np.ndarray, k: int) -> np.ndarray:
    """Positions in ``rows`` of the ``k`` most promising pruned rows, best first: those that ran
    furthest, then by their last report."""
    steps, score = _pruned_keys(view, rows)
    out: np.ndarray = np.lexsort((score, steps))[:k]
    return out


def good_ranking(
    view: TrialsView,
    rows: np.ndarray,
    gamma: Callable[[int], int],
    *,
    constraints: bool,
    memo: FrontMemo | None = None,
) -> np.ndarray:
    """Positions in ``rows`` (indices into ``view``) of the good set, most preferred first.

    The good set takes ``gamma(n)`` of the ``n`` COMPLETE or PRUNED rows in this order of
    preference: complete feasible trials (best losses first; for several objectives by Pareto
    rank and hypervolume contribution, in no particular order within the set), complete infeasible
    ones by total violation (with ``constraints``), then pruned trials by how far they ran and
    their last intermediate value. RUNNING rows (the constant liar) and every other row always go
    to the bad set.
    """
    states = view.states[rows]
    complete = states == _COMPLETE
    pruned = states == _PRUNED
    n = int(complete.sum() + pruned.sum())
    need = min(max(int(gamma(n)), 0), n)
    picks: list[np.ndarray] = []
    if need == 0:
        return np.zeros(0, dtype=np.int64)
    viol = view.violations[rows]
    if constraints and view.has_constraints:
        feasible = complete & (viol <= 0.0)
        infeasible = complete & ~feasible
    else:
        feasible, infeasible = complete, np.zeros(rows.size, dtype=bool)
    pos = np.flatnonzero(feasible)
    if pos.size:
        picks.append(pos[_best_by_losses(view.losses[rows[pos]], need, rows[pos], memo)])
        need -= picks[-1].size
    if need > 0 and infeasible.any():
        pos = np.flatnonzero(infeasible)
        picks.append(pos[np.argsort(viol[pos], kind="stable")[:need]])
        need -= picks[-1].size
    if need > 0 and pruned.any():
        pos = np.flatnonzero(pruned)
        picks.append(pos[_best_pruned(view, rows[pos], need)])
    return np.concatenate(picks) if picks else np.zeros(0, dtype=np.int64)


def split_good(
    view: TrialsView,
    rows: np.ndarray,
    gamma: Callable[[int], int],
    *,
    constraints: bool,
    memo: FrontMemo | None = None,
) -> np.ndarray:
    """Boolean mask over ``rows`` of the good set (:func:`good_ranking`, which gives its order)."""
    good = np.zeros(rows.size, dtype=bool)
    good[good_ranking(view, rows, gamma, constraints=constraints, memo=memo)] = True
    return good


#: Weight of the worst observation of the good set relative to the best (single objective).
RANK_WEIGHT_FLOOR = 0.5


def rank_log_weights(n: int, floor: float = RANK_WEIGHT_FLOOR) -> np.ndarray | None:
    """Log weights of ``n`` good observations in order of preference (:func:`good_ranking`), one
    objective: linear from 1 for the best to ``floor`` for the worst.

    l(x) then puts more of its mass (and of its candidates) near the best points found, as
    weighted recombination does in evolution strategies (Hansen, "The CMA evolution strategy: a
    tutorial", arXiv:1604.00772, Sec. 3.1, with linear rather than logarithmic weights). Measured
    side by side with Optuna in docs/benchmarks.md. None (uniform) for fewer than two observations.
    """
    if n < 2:
        return None
    out: np.ndarray = np.log(1.0 - (1.0 - floor) * np.arange(n) / (n - 1))
    return out


def good_log_weights(
    view: TrialsView, good_rows: np.ndarray, memo: FrontMemo | None = None
) -> np.ndarray | None:
    """Log weights of the good set's observations for several objectives (None: uniform).

    MOTPE (Ozaki et al. 2022, Sec. 4.2) weights each good observation by its hypervolume
    contribution within the good set, so l(x) favours the parts of the front that add most.
    Observations contributing nothing (dominated inside the good set, or not COMPLETE) keep a
    tenth of the mean weight so that l(x) still covers them.
    """
    if view.n_objectives < 2 or good_rows.size < 2:
        return None
    if memo is not None:
        return memo.remember("weights", good_rows, 0, lambda: good_log_weights(view, good_rows))
    losses = view.losses[good_rows]
    finite = np.flatnonzero(np.isfinite(losses).all(axis=1))
    if finite.size < 2:
        return None
    pts = losses[finite]
    front = np.flatnonzero(is_pareto_front(pts))
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    scaled = (pts[front] - lo) / np.where(hi > lo, hi - lo, 1.0)
    contrib = np.zeros(good_rows.size)
    contrib[finite[front]] = hypervolume_contributions(scaled, np.full(pts.shape[1], 1.1))
    mean = contrib.mean()
    if mean <= 0.0:
        return None
    out: np.ndarray = np.log(np.maximum(contrib / mean, 0.1))
    return out
