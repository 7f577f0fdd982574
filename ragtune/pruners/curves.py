"""Trials' reported curves as flat loss arrays, with finished trials converted only once.

Pruners ask questions such as "what did every trial report at its first step >= 27?". A
:class:`Curves` answers them with array code over all reports at once; a :class:`CurveCache`
keeps the converted reports of finished trials (which never change) across calls, so one pruner
call costs O(new trials + running trials) of Python work, not a loop over the whole history.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from ragtune.core.directions import StudyDirection, loss_signs
from ragtune.core.frozen_trial import FrozenTrial
from ragtune.core.trial_state import TrialState
from ragtune.core.trials_view import TrialsView

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

_FINISHED = (int(TrialState.COMPLETE), int(TrialState.PRUNED), int(TrialState.FAIL))
Scores = tuple[tuple[float, ...], ...]  # one report's per-question rows (one value per objective)


@dataclass(frozen=True, slots=True, eq=False)
class Curves:
    """Reports of several trials as flat arrays; row ``i`` describes the trial ``numbers[i]``.

    Row ``i``'s reports are ``offsets[i]:offsets[i + 1]`` of the report arrays, in increasing step
    order. ``losses`` holds each reported vector as minimisation losses, shape ``(n_reports,
    n_objectives)``; a single value reported in a multi-objective study fills every column (each
    with that column's sign) and has ``full`` False. ``score_n`` / ``score_sd`` hold, per report
    and column, how many finite per-question scores came with it and their sample standard
    deviation (0 / NaN when the report had no scores or fewer than two); ``scores[i]`` is report
    ``i``'s per-question rows as reported (None when it had none, or when built without scores).
    """

    numbers: IntArray
    states: npt.NDArray[np.int8]
    offsets: IntArray
    steps: IntArray
    losses: FloatArray
    full: BoolArray
    score_n: IntArray
    score_sd: FloatArray
    scores: Sequence[Scores | None]

    def __len__(self) -> int:
        return len(self.numbers)

    def _count_per_row(self, mask: BoolArray) -> IntArray:
        csum = np.concatenate(([0], np.cumsum(mask, dtype=np.int64)))
        out: IntArray = csum[self.offsets[1:]] - csum[self.offsets[:-1]]
        return out

    def last_at_or_before(self, step: int) -> IntArray:
        """Per row, the index of its last report at a step ``<= step`` (-1 when there is none)."""
        count = self._count_per_row(self.steps <= step)
        out: IntArray = np.where(count > 0, self.offsets[:-1] + count - 1, -1)
        return out

    def first_at_or_after(self, step: int) -> IntArray:
        """Per row, the index of its first report at a step ``>= step`` (-1 when there is none)."""
        idx = self.offsets[:-1] + self._count_per_row(self.steps < step)
        out: IntArray = np.where(idx < self.offsets[1:], idx, -1)
        return out

    def in_states(self, *states: TrialState) -> BoolArray:
        out: BoolArray = np.isin(self.states, [int(s) for s in states])
        return out

    @classmethod
    def from_trials(
        cls, trials: Sequence[FrozenTrial], directions: Sequence[StudyDirection], *, with_scores: bool
    ) -> Curves:
        """Convert ``trials`` (one row each, in the given order)."""
        return _Chunk.of(trials, loss_signs(directions), with_scores=with_scores).as_curves()


@dataclass(slots=True)
class _Chunk:
    """Growable builder for :class:`Curves` (lists of per-trial arrays, joined on demand)."""

    numbers: IntArray
    states: npt.NDArray[np.int8]
    lengths: IntArray
    steps: IntArray
    losses: FloatArray
    full: BoolArray
    score_n: IntArray
    score_sd: FloatArray
    scores: list[Scores | None]

    @classmethod
    def empty(cls, m: int) -> _Chunk:
        return cls(
            np.empty(0, np.int64),
            np.empty(0, np.int8),
            np.empty(0, np.int64),
            np.empty(0, np.int64),
            np.empty((0, m)),
            np.empty(0, bool),
            np.empty((0, m), np.int64),
            np.empty((0, m)),
            [],
        )

    @classmethod
    def of(cls, trials: Sequence[FrozenTrial], signs: FloatArray, *, with_scores: bool) -> _Chunk:
        m = len(signs)
        steps: list[int] = []
        rows: list[tuple[float, ...]] = []
        full: list[bool] = []
        lengths: list[int] = []
        score_n: list[IntArray] = []
        score_sd: list[FloatArray] = []
        scores: list[Scores | None] = []
        for t in trials:
            ordered = sorted(t.intermediate_vectors)
            lengths.append(len(ordered))
            for s in ordered:
                v = t.intermediate_vectors[s]
                steps.append(s)
                full.append(len(v) == m)
                rows.append(v if len(v) == m else (v[0],) * m)
                raw = t.intermediate_scores.get(s) if with_scores else None
                scores.append(raw)
                if with_scores:
                    n, sd = _score_stats(raw, m)
                    score_n.append(n)
                    score_sd.append(sd)
        n_reports = len(steps)
        losses = np.asarray(rows, dtype=float).reshape(n_reports, m) * signs
        return cls(
            np.array([t.number for t in trials], dtype=np.int64),
            np.array([int(t.state) for t in trials], dtype=np.int8),
            np.array(lengths, dtype=np.int64),
            np.array(steps, dtype=np.int64),
            losses,
            np.array(full, dtype=bool),
            np.array(score_n, dtype=np.int64).reshape(n_reports, m)
            if with_scores
            else np.zeros((n_reports, m), np.int64),
            np.array(score_sd, dtype=float).reshape(n_reports, m)
            if with_scores
            else np.full((n_reports, m), np.nan),
            scores,
        )

    def head(self, n_rows: int) -> _Chunk:
        """The first ``n_rows`` trials."""
        end = int(self.lengths[:n_rows].sum())
        return _Chunk(
            self.numbers[:n_rows],
            self.states[:n_rows],
            self.lengths[:n_rows],
            self.steps[:end],
            self.losses[:end],
            self.full[:end],
            self.score_n[:end],
            self.score_sd[:end],
            self.scores[:end],
        )

    def join(self, other: _Chunk) -> _Chunk:
        def cat(a: Any, b: Any) -> Any:
            return np.concatenate([a, b])

        return _Chunk(
            cat(self.numbers, other.numbers),
            cat(self.states, other.states),
            cat(self.lengths, other.lengths),
            cat(self.steps, other.steps),
            cat(self.losses, other.losses),
            cat(self.full, other.full),
            cat(self.score_n, other.score_n),
            cat(self.score_sd, other.score_sd),
            self.scores + other.scores,
        )

    def as_curves(self) -> Curves:
        offsets = np.concatenate(([0], np.cumsum(self.lengths, dtype=np.int64)))
        return Curves(
            self.numbers,
            self.states,
            offsets,
            self.steps,
            self.losses,
            self.full,
            self.score_n,
            self.score_sd,
            self.scores,
        )


def _score_stats(rows: tuple[tuple[float, ...], ...] | None, m: int) -> tuple[IntArray, FloatArray]:
    """Count of finite scores and their sample standard deviation, per objective column."""
    if not rows:
        return np.zeros(m, np.int64), np.full(m, np.nan)
    arr = np.asarray(rows, dtype=float)
    if arr.ndim != 2 or arr.shape[1] not in (1, m):
        return np.zeros(m, np.int64), np.full(m, np.nan)
    if arr.shape[1] != m:
        arr = np.repeat(arr, m, axis=1)
    finite = np.isfinite(arr)
    n = finite.sum(axis=0).astype(np.int64)
    safe = np.where(finite, arr, 0.0)
    mean = safe.sum(axis=0) / np.maximum(n, 1)
    ss = (np.where(finite, arr - mean, 0.0) ** 2).sum(axis=0)
    sd = np.where(n >= 2, np.sqrt(ss / np.maximum(n - 1, 1)), np.nan)
    return n, sd


class CurveCache:
    """Curves of a study's trials, converting each finished trial once across calls.

    Views of one history (same ``history_id``) list finished trials first, in a fixed order; the
    cache keeps the converted prefix and extends it (a view of another study, or an older view in
    another thread, is handled too). Thread-safe: one pruner may serve several worker threads.
    """

    def __init__(self, *, with_scores: bool) -> None:
        self._with_scores = with_scores
        self._lock = threading.Lock()
        self._directions: tuple[StudyDirection, ...] = ()
        self._history = -1
        self._n = 0  # finished rows converted
        self._chunk: _Chunk | None = None

    def curves(self, view: TrialsView) -> Curves:
        """Curves of every trial in ``view`` (rows in view order)."""
        signs = loss_signs(view.directions)
        n_finished = int(np.count_nonzero(np.isin(view.states, _FINISHED)))
        with self._lock:
            if self._chunk is None or self._directions != view.directions or self._history != view.history_id:
                self._reset(view)
            chunk = self._chunk
            assert chunk is not None
            if n_finished > self._n:
                new = view.trials[self._n : n_finished]
                chunk = chunk.join(_Chunk.of(new, signs, with_scores=self._with_scores))
                self._chunk = chunk
                self._n = n_finished
        finished = chunk.head(n_finished)
        running = _Chunk.of(view.trials[n_finished:], signs, with_scores=self._with_scores)
        return finished.join(running).as_curves()

    def _reset(self, view: TrialsView) -> None:
        self._directions = view.directions
        self._history = view.history_id
        self._n = 0
        self._chunk = _Chunk.empty(view.n_objectives)
