"""A read-only, array-shaped view of a study's trials for samplers and pruners.

Finished trials never change, so a :class:`TrialsViewBuilder` appends each one once to growable
numpy columns and re-reads only unfinished trials; building a view costs O(new trials), not a
Python loop over the whole history. The builder keeps arrays, not trial objects: a view holds the
snapshots of recently finished and unfinished trials, and reads older ones back from the storage
when a caller asks for them, so a worker's memory does not grow with the study.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import overload

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
    ``last_intermediate`` is each trial's last reported vector (NaN if none), as losses too, and
    ``last_steps`` its step (-1 if none). Views with the same ``history_id`` come from one builder:
    the finished rows of the longer one extend those of the shorter one.
    """

    directions: tuple[StudyDirection, ...]
    trials: Sequence[FrozenTrial]
    history_id: int
    numbers: np.ndarray
    trial_ids: np.ndarray
    states: np.ndarray
    losses: np.ndarray
    last_intermediate: np.ndarray
    last_steps: np.ndarray
    violations: np.ndarray
    params: Mapping[str, np.ndarray]
    distributions: Mapping[str, AnyDistribution]
    has_constraints: bool

    @property
    def n_objectives(self) -> int:
        return len(self.directions)

    def __len__(self) -> int:
        return int(self.numbers.shape[0])

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
            return np.zeros(len(self), dtype=bool)
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
        self.ids = np.empty(self.cap, dtype=np.int64)
        self.states = np.empty(self.cap, dtype=np.int8)
        self.values = np.empty((self.cap, n_objectives))
        self.inter = np.empty((self.cap, n_objectives))
        self.steps = np.empty(self.cap, dtype=np.int64)
        self.viol = np.empty(self.cap)
        self.params: dict[str, np.ndarray] = {}

    def _grow(self) -> None:
        self.cap *= 2
        self.numbers = np.resize(self.numbers, self.cap)
        self.ids = np.resize(self.ids, self.cap)
        self.states = np.resize(self.states, self.cap)
        self.values = np.resize(self.values, (self.cap, self.m))
        self.inter = np.resize(self.inter, (self.cap, self.m))
        self.steps = np.resize(self.steps, self.cap)
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
        self.ids[i] = t.trial_id
        self.states[i] = int(t.state)
        self.values[i] = _values_row(t, self.m) * signs
        self.inter[i] = _intermediate_row(t, self.m) * signs
        self.steps[i] = _last_step(t)
        self.viol[i] = _violation(t)
        for name, value in t.params.items():
            col = self.params.get(name)
            if col is None:
                col = np.full(self.cap, np.nan)
                self.params[name] = col
            col[i] = t.distributions[name].to_internal(value)
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
    v = t.intermediate_vectors[step]
    if len(v) == m:
        row: np.ndarray = np.asarray(v, dtype=float)
        return row
    return np.full(m, v[0] if m == 1 else np.nan)


def _last_step(t: FrozenTrial) -> int:
    step = t.last_step
    return -1 if step is None else step


def _violation(t: FrozenTrial) -> float:
    if not t.constraints:
        return 0.0
    return float(sum(max(c, 0.0) for c in t.constraints))


class _TrialRows(Sequence[FrozenTrial]):
    """The snapshots behind a view's rows: recent finished ones and unfinished ones are held, older
    finished ones are read back from the storage by trial id when asked for."""

    __slots__ = ("_fetch", "_ids", "_n", "_start", "_unfinished", "_window")

    def __init__(
        self,
        n_finished: int,
        ids: np.ndarray,
        window: list[FrozenTrial],
        start: int,
        unfinished: tuple[FrozenTrial, ...],
        fetch: Callable[[int], FrozenTrial] | None,
    ) -> None:
        self._n, self._ids, self._window, self._start = n_finished, ids, window, start
        self._unfinished, self._fetch = unfinished, fetch

    def __len__(self) -> int:
        return self._n + len(self._unfinished)

    @overload
    def __getitem__(self, i: int) -> FrozenTrial: ...

    @overload
    def __getitem__(self, i: slice) -> tuple[FrozenTrial, ...]: ...

    def __getitem__(self, i: int | slice) -> FrozenTrial | tuple[FrozenTrial, ...]:
        if isinstance(i, slice):
            return tuple(self._row(j) for j in range(*i.indices(len(self))))
        n = len(self)
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError(f"row {i} of a view with {n} trials")
        return self._row(i)

    def _row(self, i: int) -> FrozenTrial:
        if i >= self._n:
            return self._unfinished[i - self._n]
        if i >= self._start:
            return self._window[i - self._start]
        assert self._fetch is not None  # without a storage to read from, the window keeps every row
        return self._fetch(int(self._ids[i]))


_history_ids = itertools.count()

#: Finished snapshots a builder keeps besides those of the latest delta (older ones are re-read).
WINDOW = 256


class TrialsViewBuilder:
    """Keeps the finished part of a study's view as arrays and refreshes it from storage deltas.

    ``fetch`` reads a finished trial back by trial id (``Storage.get_trial``); with it, the builder
    keeps the snapshots of only the latest delta and the :data:`WINDOW` before it. Without it, every
    snapshot stays in memory.
    """

    def __init__(
        self, directions: Sequence[StudyDirection], fetch: Callable[[int], FrozenTrial] | None = None
    ) -> None:
        self.directions = tuple(directions)
        self._signs = loss_signs(self.directions)
        self._cols = _Columns(len(self.directions))
        self._fetch = fetch
        self._window: list[FrozenTrial] = []  # snapshots of the last len(_window) finished rows
        self._history_id = next(_history_ids)
        self._dists: dict[str, AnyDistribution] = {}
        self._has_constraints = False
        self.cursor = 0
        self._lock = threading.Lock()
        self._seen = np.zeros(64, dtype=bool)  # by trial number: finished trials in the columns

    def _appended(self, number: int) -> bool:
        return number < self._seen.shape[0] and bool(self._seen[number])

    def _mark(self, number: int) -> None:
        if number >= self._seen.shape[0]:
            grown = np.zeros(max(2 * self._seen.shape[0], number + 1), dtype=bool)
            grown[: self._seen.shape[0]] = self._seen
            self._seen = grown
        self._seen[number] = True

    def build(
        self, new_finished: Sequence[FrozenTrial], unfinished: Sequence[FrozenTrial], cursor: int
    ) -> TrialsView:
        with self._lock:
            cols = self._cols
            if self._fetch is not None and len(self._window) > 2 * WINDOW:
                self._window = self._window[-WINDOW:]  # a new list: views built earlier keep theirs
            for t in new_finished:
                # Threads of one study read deltas from the same cursor concurrently: a trial two
                # deltas both hold is appended once.
                if self._appended(t.number):
                    continue
                self._mark(t.number)
                cols.append(t, self._signs)
                self._window.append(t)
                self._note(t)
            self.cursor = max(self.cursor, cursor)
            if any(self._appended(t.number) for t in unfinished):  # an older delta than the columns
                unfinished = [t for t in unfinished if not self._appended(t.number)]
            for t in unfinished:
                self._note(t)
            return self._view(tuple(unfinished))

    def _note(self, t: FrozenTrial) -> None:
        for name, d in t.distributions.items():
            self._dists[name] = d
        if t.constraints:
            self._has_constraints = True

    def _view(self, unfinished: tuple[FrozenTrial, ...]) -> TrialsView:
        c, n, m, u = self._cols, self._cols.n, len(self.directions), len(unfinished)
        if u == 0:
            numbers, ids, states = c.numbers[:n], c.ids[:n], c.states[:n]
            losses, inter, steps, viol = c.values[:n], c.inter[:n], c.steps[:n], c.viol[:n]
            params = {k: col[:n] for k, col in c.params.items()}
        else:
            numbers = np.concatenate([c.numbers[:n], [t.number for t in unfinished]])
            ids = np.concatenate([c.ids[:n], [t.trial_id for t in unfinished]])
            states = np.concatenate([c.states[:n], np.array([int(t.state) for t in unfinished], np.int8)])
            losses = np.concatenate([c.values[:n], np.full((u, m), np.nan)])
            inter = np.concatenate(
                [c.inter[:n], np.array([_intermediate_row(t, m) * self._signs for t in unfinished])]
            )
            steps = np.concatenate([c.steps[:n], [_last_step(t) for t in unfinished]])
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
        ids = _readonly(ids)
        return TrialsView(
            directions=self.directions,
            trials=_TrialRows(n, ids, self._window, n - len(self._window), unfinished, self._fetch),
            history_id=self._history_id,
            numbers=_readonly(numbers),
            trial_ids=ids,
            states=_readonly(states),
            losses=_readonly(losses),
            last_intermediate=_readonly(inter),
            last_steps=_readonly(steps),
            violations=_readonly(viol),
            params=MappingProxyType({k: _readonly(v) for k, v in params.items()}),
            distributions=MappingProxyType(dict(self._dists)),
            has_constraints=self._has_constraints,
        )
