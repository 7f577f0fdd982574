"""Generation bookkeeping of NSGA-II, derived only from stored trials.

Every trial NSGA-II starts carries its generation in the system attr ``nsga2:generation``.
Generation ``g`` is complete once ``population_size`` of its trials are COMPLETE; the next trial
to start then belongs to ``g + 1``. The parents of generation ``g >= 1`` are the survivors
(:func:`select_survivors`) of the parents of ``g - 1`` followed by the first ``population_size``
COMPLETE trials of ``g - 1`` in finishing order. Finishing order is stored, so every worker, and
a sampler built after a restart, derives the same parents; trials of ``g - 1`` that complete
later (stragglers of parallel workers) count as evaluations but are not parents.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from ragtune.core.trial_state import TrialState
from ragtune.core.trials_view import TrialsView
from ragtune.samplers.nsga2.population import Population, select_survivors

__all__ = ["GENERATION_KEY", "GenerationLedger"]

GENERATION_KEY = "nsga2:generation"

# Generations kept in memory below the newest parent population; a worker thread holding a view
# that many generations old is implausible, and older data would only matter after a reset.
_KEEP_GENERATIONS = 4

_COMPLETE = int(TrialState.COMPLETE)
_UNFINISHED = (int(TrialState.RUNNING), int(TrialState.WAITING))


def generation_of(attrs: Mapping[str, Any]) -> int | None:
    """The stored generation in a trial's system attrs, or None (not an NSGA-II trial)."""
    g = attrs.get(GENERATION_KEY)
    if isinstance(g, int) and not isinstance(g, bool) and g >= 0:
        return g
    return None


@dataclass(slots=True)
class _Offspring:
    """The first ``population_size`` COMPLETE trials of one generation, in finishing order."""

    numbers: list[int]
    losses: list[npt.NDArray[np.float64]]
    violations: list[float]
    params: list[dict[str, float]]


class GenerationLedger:
    """What one sampler knows about one study's generations; fed incrementally from views.

    The finished rows of a :class:`TrialsView` only ever grow (in finishing order), so each
    finished trial is read once; parents are computed once per generation and cached.
    """

    def __init__(self, population_size: int, *, use_constraints: bool) -> None:
        self.population_size = population_size
        self.use_constraints = use_constraints
        self._reset()

    def _reset(self) -> None:
        self._seen: list[int] = []  # numbers of the finished rows read so far, in view order
        self._max_finished_generation = -1
        self._offspring: dict[int, _Offspring] = {}
        self._parents: dict[int, Population] = {}

    def _consistent(self, view: TrialsView, n_finished: int) -> bool:
        """Whether the view's finished rows start with the ones already read."""
        k = min(n_finished, len(self._seen))
        return k == 0 or int(view.numbers[k - 1]) == self._seen[k - 1]

    def update(self, view: TrialsView) -> int:
        """Read the trials that finished since the last call; return the view's finished count.

        A view older than one already read (another worker thread built it earlier) adds nothing.
        """
        states = view.states
        n_finished = int(states.shape[0])
        while n_finished and int(states[n_finished - 1]) in _UNFINISHED:
            n_finished -= 1  # unfinished rows come last
        if not self._consistent(view, n_finished):
            self._reset()  # another study, or a history rebuilt from scratch: start over
        for i in range(len(self._seen), n_finished):
            self._seen.append(int(view.numbers[i]))
            g = generation_of(view.trials[i].system_attrs)
            if g is None:
                continue
            self._max_finished_generation = max(self._max_finished_generation, g)
            if int(states[i]) == _COMPLETE:
                self._record(view, i, g)
        return n_finished

    def _record(self, view: TrialsView, i: int, g: int) -> None:
        off = self._offspring.get(g)
        if off is None:
            off = self._offspring[g] = _Offspring([], [], [], [])
        if len(off.numbers) >= self.population_size:
            return
        off.numbers.append(int(view.numbers[i]))
        off.losses.append(np.array(view.losses[i], dtype=np.float64))
        off.violations.append(float(view.violations[i]) if self.use_constraints else 0.0)
        row: dict[str, float] = {}
        for name, col in view.params.items():
            v = float(col[i])
            if v == v:  # not NaN
                row[name] = v
        off.params.append(row)

    def n_complete(self, generation: int) -> int:
        """COMPLETE trials of ``generation`` seen so far (at most ``population_size``)."""
        off = self._offspring.get(generation)
        return 0 if off is None else len(off.numbers)

    def current_generation(self, view: TrialsView, n_finished: int) -> int:
        """The generation a trial starting now belongs to (``n_finished`` from :meth:`update`)."""
        latest = self._max_finished_generation
        for i in range(n_finished, len(view.trials)):
            g = generation_of(view.trials[i].system_attrs)
            if g is not None and g > latest:
                latest = g
        if latest < 0:
            return 0
        return latest + 1 if self.n_complete(latest) >= self.population_size else latest

    def parents(self, generation: int) -> Population:
        """The parent population of ``generation`` (empty for generation 0)."""
        cached = self._parents.get(generation)
        if cached is not None:
            return cached
        start = generation
        while start > 0 and start - 1 not in self._parents:
            start -= 1
        pop = self._parents.get(start - 1, _empty_population()) if start > 0 else _empty_population()
        for g in range(max(start, 1), generation + 1):
            pop = self._select(pop, self._offspring.get(g - 1))
            if self.n_complete(g - 1) >= self.population_size:
                self._parents[g] = pop  # inputs are final only once g - 1 is full
                self._forget_before(g - _KEEP_GENERATIONS)
        return pop

    def _forget_before(self, generation: int) -> None:
        for g in [g for g in self._parents if g < generation]:
            del self._parents[g]
        for g in [g for g in self._offspring if g < generation - 1]:
            del self._offspring[g]

    def _select(self, previous: Population, off: _Offspring | None) -> Population:
        if off is None or not off.numbers:
            return previous
        n_prev, n_off = len(previous), len(off.numbers)
        names = set(previous.params).union(*off.params)
        params: dict[str, npt.NDArray[np.float64]] = {}
        for name in names:
            col = np.full(n_prev + n_off, np.nan)
            if name in previous.params:
                col[:n_prev] = previous.params[name]
            col[n_prev:] = [row.get(name, np.nan) for row in off.params]
            params[name] = col
        numbers = np.concatenate([previous.numbers, np.array(off.numbers, dtype=np.int64)])
        losses = np.vstack([previous.losses, *off.losses]) if n_prev else np.array(off.losses)
        violations = np.concatenate([previous.violations, np.array(off.violations)])
        keep, ranks = select_survivors(losses, violations, self.population_size)
        return Population.ranked(
            numbers[keep],
            losses[keep],
            violations[keep],
            {k: v[keep] for k, v in params.items()},
            ranks,
        )


def _empty_population() -> Population:
    return Population.ranked(np.zeros(0, dtype=np.int64), np.zeros((0, 0)), np.zeros(0), {})
