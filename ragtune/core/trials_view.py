"""A read-only, array-shaped view of a study's trials for samplers and pruners.

Finished trials never change, so a :class:`TrialsViewBuilder` appends each one once to growable
numpy columns and re-reads only unfinished trials; building a view costs O(new trials), not a
Python loop over the whole history.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from ragtune.core.directions import StudyDirection, loss_signs
from ragtune.core.distributions import AnyDistribution
from ragtune.core.frozen_trial import FrozenTrial
from ragtune.core.trial_state import TrialState


@dataclass(frozen=True, slots=True, eq=False)
class TrialsView:
    """Trials of one study as aligned arrays (row i describes ``trials[i]``).

    Finished trials come first (in the order they finished), then unfinished ones (RUNNING and
    WAITING). Arrays are read-only. ``params[name]`` holds internal values with NaN where the trial
    did not suggest ``name``. ``losses`` are minimisation losses (NaN unless COMPLETE);
    ``last_intermediate`` is each trial's last reported vector (NaN if none), as losses too.
    """

    directions: tuple[StudyDirection, ...]
    trials: tuple[FrozenTrial, ...]
    numbers: np.ndarray
    states: np.ndarray
    losses: np.ndarray
    last_intermediate: np.ndarray
    violations: np.ndarray
    params: Mapping[str, np.ndarray]
    distributions: Mapping[str, AnyDistribution]
    has_constraints: bool

    @property
    def n_objectives(self) -> int:
        return len(self.directions)

    def __len__(self) -> int:
        return len(self.trials)

    def mask(self, *states: TrialState) -> np.ndarray:
        """Boolean mask of rows in any of ``states``."""
        return np.isin(self.states, [int(s) for s in states])

    @property
    def complete(self) -> np.ndarray:
        out: np.ndarray = self.states == int(TrialState.COMPLETE)
        return out

    @property
    def feasible(self) -> np.ndarray:
        out: np.ndarray = self.violations <= 0.0
        return out

    def param_present(self, name: str) -> np.ndarray:
        col = self.params.get(name)
        if col is None:
            return np.zeros(len(self.trials), dtype=bool)
        present: np.ndarray = ~np.isnan(col)
        return present


def _readonly(a: np.ndarray) -> np.ndarray:
    """Freeze ``a`` (always a fresh slice or array here, never a stored buffer)."""
    a.flags.writeable = False
    return a


class _Columns:
    """Growable columnar store of finished trials (amortised O(1) append)."""

    def __init__(self, n_objectives: int) -> None:
        self.m = n_objectives
        self.n = 0
        self.cap = 64
        self.numbers = np.empty(self.cap, dtype=np.int64)
        self.states = np.empty(self.cap, dtype=np.int8)
        self.values = np.empty((self.cap, n_objectives))
        self.inter = np.empty((self.cap, n_objectives))
        self.viol = np.empty(self.cap)
        self.params: dict[str, np.ndarray] = {}
        self.trials: list[FrozenTrial] = []

    def _grow(self) -> None:
        self.cap *= 2
        self.numbers = np.resize(self.numbers, self.cap)
        self.states = np.resize(self.states, self.cap)
        self.values = np.resize(self.values, (self.cap, self.m))
        self.inter = np.resize(self.inter, (self.cap, self.m))
        self.viol = np.resize(self.viol, self.cap)
        for k, col in self.params.items():
            new = np.full(self.cap, np.nan)
            new[: self.n] = col[: self.n]
            self.params[k] = new

    def append(self, t: FrozenTrial, signs: np.ndarray) -> None:
        if self.n == self.cap:
            self._grow()
        i = self.n
        self.numbers[i] = t.number
        self.states[i] = int(t.state)
        self.values[i] = _values_row(t, self.m) * signs
        self.inter[i] = _intermediate_row(t, self.m) * signs
        self.viol[i] = _violation(t)
        for name, value in t.params.items():
            col = self.params.get(name)
            if col is None:
                col = np.full(self.cap, np.nan)
                self.params[name] = col
            col[i] = t.distributions[name].to_internal(value)
        self.trials.append(t)
        self.n += 1


def _values_row(t: FrozenTrial, m: int) -> np.ndarray:
    if t.state is TrialState.COMPLETE and t.values is not None and len(t.values) == m:
        row: np.ndarray = np.asarray(t.values, dtype=float)
        return row
    return np.full(m, np.nan)


def _intermediate_row(t: FrozenTrial, m: int) -> np.ndarray:
    step = t.last_step
    if step is None:
        return np.full(m, np.nan)
    v = t.intermediate_values[step]
    if len(v) == m:
        row: np.ndarray = np.asarray(v, dtype=float)
        return row
    return np.full(m, v[0] if m == 1 else np.nan)


def _violation(t: FrozenTrial) -> float:
    if not t.constraints:
        return 0.0
    return float(sum(max(c, 0.0) for c in t.constraints))


class TrialsViewBuilder:
    """Keeps the finished part of a study's view and refreshes it from storage deltas."""

    def __init__(self, directions: Sequence[StudyDirection]) -> None:
        self.directions = tuple(directions)
        self._signs = loss_signs(self.directions)
        self._cols = _Columns(len(self.directions))
        self._dists: dict[str, AnyDistribution] = {}
        self._has_constraints = False
        self.cursor = 0
        self._lock = threading.Lock()
        self._appended: set[int] = set()  # numbers of the finished trials in the columns

    def build(
        self, new_finished: Sequence[FrozenTrial], unfinished: Sequence[FrozenTrial], cursor: int
    ) -> TrialsView:
        with self._lock:
            cols = self._cols
            for t in new_finished:
                # Threads of one study read deltas from the same cursor concurrently: a trial two
                # deltas both hold is appended once.
                if t.number in self._appended:
                    continue
                self._appended.add(t.number)
                cols.append(t, self._signs)
                self._note(t)
            self.cursor = max(self.cursor, cursor)
            if any(t.number in self._appended for t in unfinished):  # an older delta than the columns
                unfinished = [t for t in unfinished if t.number not in self._appended]
            for t in unfinished:
                self._note(t)
            return self._view(unfinished)

    def _note(self, t: FrozenTrial) -> None:
        for name, d in t.distributions.items():
            self._dists[name] = d
        if t.constraints:
            self._has_constraints = True

    def _view(self, unfinished: Sequence[FrozenTrial]) -> TrialsView:
        c, n, m, u = self._cols, self._cols.n, len(self.directions), len(unfinished)
        if u == 0:
            numbers, states = c.numbers[:n], c.states[:n]
            losses, inter, viol = c.values[:n], c.inter[:n], c.viol[:n]
            params = {k: col[:n] for k, col in c.params.items()}
            trials = tuple(c.trials)
        else:
            numbers = np.concatenate([c.numbers[:n], [t.number for t in unfinished]])
            states = np.concatenate([c.states[:n], np.array([int(t.state) for t in unfinished], np.int8)])
            losses = np.concatenate([c.values[:n], np.full((u, m), np.nan)])
            inter = np.concatenate(
                [c.inter[:n], np.array([_intermediate_row(t, m) * self._signs for t in unfinished])]
            )
            viol = np.concatenate([c.viol[:n], [_violation(t) for t in unfinished]])
            names = set(c.params) | {k for t in unfinished for k in t.params}
            params = {}
            for k in names:
                col = np.full(n + u, np.nan)
                if k in c.params:
                    col[:n] = c.params[k][:n]
                for j, t in enumerate(unfinished):
                    if k in t.params:
                        col[n + j] = t.distributions[k].to_internal(t.params[k])
                params[k] = col
            trials = (*c.trials, *unfinished)
        return TrialsView(
            directions=self.directions,
            trials=trials,
            numbers=_readonly(numbers),
            states=_readonly(states),
            losses=_readonly(losses),
            last_intermediate=_readonly(inter),
            violations=_readonly(viol),
            params=MappingProxyType({k: _readonly(v) for k, v in params.items()}),
            distributions=MappingProxyType(dict(self._dists)),
            has_constraints=self._has_constraints,
        )
