"""Parameter groups TPE models jointly, with arrays of their finished trials kept across trials."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ragtune.core.distributions import AnyDistribution
from ragtune.core.lru_memo import LruMemo
from ragtune.core.trial_state import TrialState
from ragtune.core.trials_view import TrialsView
from ragtune.samplers.tpe.parzen import truncation_log_mass
from ragtune.samplers.tpe.space import UnitSpace, unit_dim
from ragtune.samplers.tpe.split import FrontMemo

_MAX_GROUPS = 64
_COMPLETE = int(TrialState.COMPLETE)
_PRUNED = int(TrialState.PRUNED)
_RUNNING = int(TrialState.RUNNING)


class Group:
    """One group of parameters with fixed distributions, and arrays over the study's finished trials.

    Finished trials never change and keep their row in every later view, so each call only adds
    the rows that finished since the previous one: their unit coordinates, whether they can be
    observations (COMPLETE or PRUNED, every parameter present and inside its range), and the
    truncation masses of their kernels. Masses depend on the bandwidths too; the bad set's are
    snapped to a grid (:func:`~ragtune.samplers.tpe.fit.quantize`), so a column is recomputed only
    when its bandwidth moves to another grid point. For univariate TPE's neighbour bandwidths the
    usable rows are also kept sorted by each numeric column, merged with the new rows each call.
    """

    def __init__(self, names: Sequence[str], dists: Sequence[AnyDistribution]) -> None:
        self.names = list(names)
        self.dists = list(dists)
        self.space = UnitSpace([unit_dim(d) for d in dists])
        d = self.space.d
        self.n = 0
        self.unit = np.empty((64, d))
        self.usable = np.zeros(0, dtype=np.int64)
        self.sigma = np.full(len(self.space.num), np.nan)
        self.n_mass = 0
        self.mass = np.empty((64, len(self.space.num)))
        self.fronts = FrontMemo()
        self.by_value = np.zeros((len(self.space.num), 0), dtype=np.int64)

    def _internal(self, view: TrialsView, rows: slice | np.ndarray) -> np.ndarray:
        cols = []
        for name in self.names:
            col = view.params.get(name)
            cols.append(np.full(len(view.states[rows]), np.nan) if col is None else col[rows])
        return np.stack(cols, axis=1)

    def update(self, view: TrialsView, n_finished: int) -> None:
        start = self.n
        if n_finished <= start:
            return
        if self.unit.shape[0] < n_finished:
            cap = max(n_finished, 2 * self.unit.shape[0])
            self.unit = np.resize(self.unit, (cap, self.space.d))
            self.mass = np.resize(self.mass, (cap, len(self.space.num)))
        x = self._internal(view, slice(start, n_finished))
        states = view.states[start:n_finished]
        ok = self.space.contains(x) & ((states == _COMPLETE) | (states == _PRUNED))
        self.unit[start:n_finished] = self.space.to_unit(x)
        self.usable = np.concatenate([self.usable, start + np.flatnonzero(ok)])
        self.n = n_finished

    def rows(self, view: TrialsView, n_finished: int, *, running: bool) -> np.ndarray:
        """Rows usable as observations: finished ones, then RUNNING ones that hold the group (liar)."""
        self.update(view, n_finished)
        done = self.usable if self.n == n_finished else self.usable[self.usable < n_finished]
        if not running or n_finished == len(view.states):
            return done
        pending = n_finished + np.flatnonzero(view.states[n_finished:] == _RUNNING)
        if pending.size:
            pending = pending[self.space.contains(self._internal(view, pending))]
        return np.concatenate([done, pending]) if pending.size else done

    def coords(self, view: TrialsView, rows: np.ndarray, n_finished: int) -> np.ndarray:
        """Unit coordinates at ``rows`` of the view (finished rows from the cache)."""
        if rows.size == 0 or rows[-1] < n_finished:
            out: np.ndarray = self.unit[rows]
            return out
        done = rows < n_finished
        out = np.empty((rows.size, self.space.d))
        out[done] = self.unit[rows[done]]
        out[~done] = self.space.to_unit(self._internal(view, rows[~done]))
        return out

    def column_order(self, rows: np.ndarray) -> np.ndarray | None:
        """``argsort`` of each numeric column of the unit coordinates at ``rows``: (d_numeric, len(rows)).

        ``rows`` must be ascending usable finished rows (None is returned otherwise). The kept
        order of all usable rows is merged with the rows added since the last call (a stable sort
        of nearly sorted columns runs in linear time), then restricted to ``rows``.
        """
        num = self.space.num
        if not num:
            return None
        known = self.by_value.shape[1]
        if known < self.usable.size:
            fresh = np.broadcast_to(self.usable[known:], (len(num), self.usable.size - known))
            merged = np.concatenate([self.by_value, fresh], axis=1)
            values = self.unit[merged, np.array(num)[:, None]]
            self.by_value = np.take_along_axis(merged, np.argsort(values, axis=1, kind="stable"), axis=1)
        if rows.size == 0 or rows[-1] >= self.n:
            return None
        position = np.full(self.n, -1, dtype=np.int64)
        position[rows] = np.arange(rows.size)
        mapped = position[self.by_value]
        keep = mapped >= 0
        if int(keep[0].sum()) != rows.size:  # some rows are not usable
            return None
        out: np.ndarray = mapped[keep].reshape(len(num), rows.size)
        return out

    def log_mass(self, sigma: np.ndarray, rows: np.ndarray, unit: np.ndarray, n_finished: int) -> np.ndarray:
        """Truncation log masses (len(rows), d_numeric) of kernels with bandwidths ``sigma`` at ``rows``.

        ``unit`` holds the rows' unit coordinates (every column of the group).
        """
        num = self.space.num
        changed = np.flatnonzero(sigma != self.sigma)
        if changed.size:
            cols = [num[k] for k in changed]
            self.mass[: self.n_mass, changed] = truncation_log_mass(
                self.unit[: self.n_mass][:, cols], sigma[changed]
            )
            self.sigma = sigma.copy()
        limit = min(self.n, n_finished)
        if self.n_mass < limit:
            fresh = self.unit[self.n_mass : limit]
            self.mass[self.n_mass : limit] = truncation_log_mass(
                fresh if self.space.all_cont else fresh[:, num], sigma
            )
            self.n_mass = limit
        # A view older than the cache must not read rows it still sees unfinished from it.
        done = rows < min(self.n_mass, n_finished)
        if rows.size == 0 or done.all():
            out: np.ndarray = self.mass[rows]
            return out
        out = np.empty((rows.size, len(num)))
        out[done] = self.mass[rows[done]]
        rest = unit[~done]
        out[~done] = truncation_log_mass(rest if self.space.all_cont else rest[:, num], sigma)
        return out


class GroupCache:
    """Recently sampled :class:`Group` objects, keyed by names and distributions (LRU).

    Lookups first try the distributions' identities (storages hand out the same objects again),
    then equality.
    """

    def __init__(self) -> None:
        self._groups: LruMemo[tuple[object, ...], Group] = LruMemo(_MAX_GROUPS)
        self._by_id: LruMemo[tuple[object, ...], tuple[Group, tuple[AnyDistribution, ...]]] = LruMemo(
            4 * _MAX_GROUPS
        )

    def get(self, names: Sequence[str], dists: Sequence[AnyDistribution]) -> Group:
        key = (*names, *map(id, dists))
        hit = self._by_id.get(key)
        if hit is not None and all(a is b for a, b in zip(hit[1], dists, strict=True)):
            return hit[0]
        g = self._groups.get_or_create((*names, *dists), lambda: Group(names, dists))
        self._by_id.put(key, (g, tuple(dists)))
        return g
