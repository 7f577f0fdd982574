"""Exhaustive search over a user-given grid, each point once (in random order)."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ragtune.core.distributions import AnyDistribution, CategoricalChoice
from ragtune.core.frozen_trial import FrozenTrial
from ragtune.core.trials_view import TrialsView
from ragtune.exceptions import ConfigError, DistributionError
from ragtune.samplers.base import Sampler, make_rng
from ragtune.samplers.random_sampler import sample_uniform

if TYPE_CHECKING:
    from ragtune.core.trial import Trial

_GRID_ID = "grid_id"


class GridSampler(Sampler):
    """Visit every combination of ``search_space`` once; the study stops when all were tried.

    In conditional spaces a grid value outside the range the objective suggests this time is
    replaced by the nearest grid value inside it (or a uniform draw when none fits).
    """

    def __init__(
        self,
        search_space: Mapping[str, Sequence[CategoricalChoice]],
        *,
        seed: int | np.random.Generator | None = None,
    ) -> None:
        if not search_space:
            raise ConfigError("GridSampler needs a non-empty search_space such as {'k': [5, 10, 20]}")
        for name, values in search_space.items():
            if isinstance(values, str) or len(values) == 0:
                raise ConfigError(f"GridSampler: values of {name!r} must be a non-empty list, got {values!r}")
        self._names = sorted(search_space)
        self._values = {n: list(search_space[n]) for n in self._names}
        self._grid = list(itertools.product(*(self._values[n] for n in self._names)))
        self._rng = make_rng(seed)
        self._seen_finished: set[int] = set()
        self._n_finished_scanned = 0
        self._current: dict[int, dict[str, Any]] = {}

    @property
    def n_points(self) -> int:
        return len(self._grid)

    def _visited(self, view: TrialsView) -> set[int]:
        n_finished = int(np.count_nonzero((view.states >= 1) & (view.states <= 3)))
        for t in view.trials[self._n_finished_scanned : n_finished]:
            gid = t.system_attrs.get(_GRID_ID)
            if gid is not None:
                self._seen_finished.add(int(gid))
        self._n_finished_scanned = max(self._n_finished_scanned, n_finished)
        visited = set(self._seen_finished)
        for t in view.trials[n_finished:]:
            gid = t.system_attrs.get(_GRID_ID)
            if gid is not None:
                visited.add(int(gid))
        return visited

    def sample_relative(
        self, view: TrialsView, trial: Trial, search_space: Mapping[str, AnyDistribution]
    ) -> dict[str, Any]:
        visited = self._visited(view)
        todo = [i for i in range(len(self._grid)) if i not in visited]
        if not todo:
            gid = int(self._rng.integers(len(self._grid)))
            trial.study.stop()
        else:
            gid = todo[int(self._rng.integers(len(todo)))]
            if len(todo) == 1:
                trial.study.stop()
        trial.set_system_attr(_GRID_ID, gid)
        self._current[trial.number] = dict(zip(self._names, self._grid[gid], strict=True))
        return {}

    def sample_independent(
        self, view: TrialsView, trial: Trial, name: str, distribution: AnyDistribution
    ) -> Any:
        point = self._current.get(trial.number)
        if point is None or name not in point:
            raise ConfigError(
                f"parameter {name!r} is not in the GridSampler search space {self._names}; add it to the grid"
            )
        value = point[name]
        if distribution.contains(value):
            return value
        inside = [v for v in self._values[name] if distribution.contains(v)]
        if not inside:
            return sample_uniform(self._rng, distribution)
        try:
            target = distribution.to_internal(value)
            return min(inside, key=lambda v: abs(distribution.to_internal(v) - target))
        except (DistributionError, TypeError, ValueError):
            return inside[0]

    def after_trial(self, view: TrialsView, trial: FrozenTrial) -> None:
        self._current.pop(trial.number, None)
