"""Choosing TPE's suggestion among scored candidates, skipping configurations already tried."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping, Sequence

import numpy as np

from ragtune.core.distributions import AnyDistribution
from ragtune.core.trial_state import TrialState
from ragtune.core.trials_view import TrialsView
from ragtune.samplers.tpe.space import UnitSpace

_WAITING = int(TrialState.WAITING)
_MAX_ENUMERATED = 4096
_EXTRA_DRAWS = 256

Scorer = Callable[[np.ndarray], np.ndarray]


def uniform_candidates(rng: np.random.Generator, space: UnitSpace, n: int) -> np.ndarray:
    """``n`` uniform draws in unit coordinates (log-uniform for log scales, uniform over grids)."""
    out = rng.random((n, space.d))
    for k, j in enumerate(space.cat):
        out[:, j] = np.floor(out[:, j] * space.sizes[k])
    return space.snap(out)


def _keys(values: np.ndarray) -> list[tuple[float, ...]]:
    return [tuple(r) for r in np.round(values, 9).tolist()]


def _seen(
    view: TrialsView, names: Sequence[str], cond: Mapping[str, tuple[AnyDistribution, float]]
) -> set[tuple[float, ...]]:
    """Configurations on ``names`` of (non-waiting) trials that agree with this trial on ``cond``."""
    if any(n not in view.params for n in names):
        return set()
    rows = view.states != _WAITING
    for p, (_, value) in cond.items():
        col = view.params.get(p)
        if col is None:
            return set()
        rows &= np.abs(col - value) <= 1e-9 * max(1.0, abs(value))
    cols = np.stack([view.params[n] for n in names], axis=1)[rows]
    cols = cols[~np.isnan(cols).any(axis=1)]
    return set(_keys(cols))


def _grid(space: UnitSpace) -> np.ndarray | None:
    if math.prod(d.size for d in space.dims) > _MAX_ENUMERATED:
        return None
    return np.array(list(itertools.product(*(d.grid().tolist() for d in space.dims))), dtype=float)


def choose_candidate(
    view: TrialsView,
    names: Sequence[str],
    space: UnitSpace,
    cand: np.ndarray,
    scores: np.ndarray,
    scorer: Scorer | None,
    cond: Mapping[str, tuple[AnyDistribution, float]],
    dedup: bool,
    rng: np.random.Generator,
    drawn: np.ndarray | None = None,
) -> np.ndarray:
    """Internal values of the best-scoring candidate (rows of ``cand`` are unit coordinates).

    With ``dedup`` (every parameter discrete), candidates equal to a configuration some trial
    already has are skipped; if all are, the best untried point of the whole (small) grid is
    taken, scored by ``scorer`` (uniformly at random without one), or of extra random draws for
    large grids. Only when every configuration was tried is a duplicate returned.
    """
    if not dedup:
        best: np.ndarray = space.from_unit(cand[[int(np.argmax(scores))]])[0]
        return best
    order = np.argsort(-scores, kind="stable")
    internal = space.from_unit(cand)
    seen = _seen(view, names, cond)
    if drawn is not None:
        seen.update(_keys(drawn))
    if not seen:
        first: np.ndarray = internal[order[0]]
        return first
    keys = _keys(internal)
    for i in order:
        if keys[i] not in seen:
            found: np.ndarray = internal[i]
            return found
    pool = _grid(space)
    if pool is None:
        pool = uniform_candidates(rng, space, _EXTRA_DRAWS)
    pool_internal = space.from_unit(pool)
    free = np.array([k not in seen for k in _keys(pool_internal)], dtype=bool)
    if not free.any():
        again: np.ndarray = internal[order[0]]
        return again
    idx = np.flatnonzero(free)
    pick = int(idx[rng.integers(idx.size)]) if scorer is None else int(idx[int(np.argmax(scorer(pool[idx])))])
    out: np.ndarray = pool_internal[pick]
    return out
