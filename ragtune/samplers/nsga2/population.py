"""NSGA-II parent populations: elitist survivor selection and crowded binary tournaments."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from ragtune.core.pareto import constrained_non_dominated_sort, crowding_distance, non_dominated_sort
from ragtune.samplers.nsga2.encoding import SearchEncoding, SpaceKey

__all__ = ["Population", "select_survivors"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def _ranks(losses: FloatArray, violations: FloatArray, n_below: int | None) -> IntArray:
    if np.any(violations > 0.0):
        return constrained_non_dominated_sort(losses, violations, n_below=n_below)
    return non_dominated_sort(losses, n_below=n_below)


def _front_crowding(losses: FloatArray, ranks: IntArray) -> FloatArray:
    """Crowding distance of every row within its own front."""
    crowding = np.empty(ranks.shape[0])
    for r in np.unique(ranks).tolist():
        members = np.flatnonzero(ranks == r)
        crowding[members] = crowding_distance(losses[members])
    return crowding


@dataclass(frozen=True, slots=True, eq=False)
class Population:
    """The parents of one generation (row ``i`` describes trial ``numbers[i]``).

    ``params`` maps a parameter name to internal values (NaN where the trial did not suggest
    it); ``violations`` are total constraint violations (0 = feasible, all 0 when constraints
    are ignored). ``rank`` and ``crowding`` are each parent's constraint-domination rank and
    crowding distance within its front in this population, the keys of the crowded-comparison
    operator (Deb, Pratap, Agarwal & Meyarivan 2002, Sec. III-C).
    """

    numbers: IntArray
    losses: FloatArray
    violations: FloatArray
    params: Mapping[str, FloatArray]
    rank: IntArray
    crowding: FloatArray
    _coords: dict[SpaceKey, tuple[SearchEncoding, FloatArray]] = field(default_factory=dict, repr=False)

    @classmethod
    def ranked(
        cls,
        numbers: IntArray,
        losses: FloatArray,
        violations: FloatArray,
        params: Mapping[str, FloatArray],
        ranks: IntArray | None = None,
    ) -> Population:
        """A population with crowding distances (and ranks, unless given) for its members."""
        if numbers.shape[0] == 0:
            return cls(numbers, losses, violations, params, np.zeros(0, np.int64), np.zeros(0))
        if ranks is None:
            ranks = _ranks(losses, violations, None)
        return cls(numbers, losses, violations, params, ranks, _front_crowding(losses, ranks))

    def __len__(self) -> int:
        return int(self.numbers.shape[0])

    def coords(self, key: SpaceKey, encoding: SearchEncoding) -> FloatArray:
        """Members as a ``(len, n_params)`` matrix of search coordinates (cached per space)."""
        cached = self._coords.get(key)
        if cached is not None and cached[0] is encoding:
            return cached[1]
        n = len(self)
        internal = (
            np.column_stack([self.params.get(name, np.full(n, np.nan)) for name in encoding.names])
            if encoding.names
            else np.zeros((n, 0))
        )
        coords = encoding.to_coords(internal)
        if len(self._coords) > 16:
            self._coords.clear()
        self._coords[key] = (encoding, coords)
        return coords

    def _winners(self, a: IntArray, b: IntArray) -> IntArray:
        """Crowded comparison: lower rank wins, then larger crowding distance; ties go to ``a``."""
        ra, rb = self.rank[a], self.rank[b]
        a_wins = (ra < rb) | ((ra == rb) & (self.crowding[a] >= self.crowding[b]))
        out: IntArray = np.where(a_wins, a, b)
        return out

    def tournament_pairs(self, rng: np.random.Generator, n_pairs: int) -> tuple[IntArray, IntArray]:
        """``n_pairs`` mating pairs, each parent the winner of a binary tournament.

        The four contestants of a pair are distinct when the population has four members or more,
        so the two parents of a pair differ.
        """
        n = len(self)
        if n >= 4:
            contestants = np.argpartition(rng.random((n_pairs, n)), 3, axis=1)[:, :4]
        else:
            contestants = rng.integers(n, size=(n_pairs, 4))
        return (
            self._winners(contestants[:, 0], contestants[:, 1]),
            self._winners(contestants[:, 2], contestants[:, 3]),
        )


def select_survivors(losses: FloatArray, violations: FloatArray, size: int) -> tuple[IntArray, IntArray]:
    """Indices of the ``size`` rows NSGA-II keeps from a combined parent + offspring pool, and ranks.

    Deb, Pratap, Agarwal & Meyarivan, "A fast and elitist multiobjective genetic algorithm:
    NSGA-II", IEEE TEVC 6(2), 2002, Sec. III-C: whole fronts are taken in rank order while they
    fit; the front that overflows is cut by descending crowding distance. Ranks use
    constraint-domination (Sec. VI) when any row violates a constraint. Ties in crowding keep
    the earlier row, so the choice depends only on the pool's order.

    The second array holds the kept rows' ranks: whole fronts ahead of a kept row are kept too,
    so its rank within the survivors is the same as within the pool.
    """
    n = losses.shape[0]
    if n <= size:
        return np.arange(n, dtype=np.int64), _ranks(losses, violations, None)
    ranks = _ranks(losses, violations, size)
    chosen: list[IntArray] = []
    taken = 0
    for r in np.unique(ranks).tolist():
        members = np.flatnonzero(ranks == r)
        if taken + members.shape[0] <= size:
            chosen.append(members)
            taken += members.shape[0]
        else:
            order = np.argsort(-crowding_distance(losses[members]), kind="stable")
            chosen.append(members[order[: size - taken]])
            taken = size
        if taken == size:
            break
    keep: IntArray = np.sort(np.concatenate(chosen)).astype(np.int64)
    return keep, ranks[keep]
