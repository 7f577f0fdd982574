"""Multi-objective pruning: stop a trial that is confidently dominated at its rung."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import numpy.typing as npt

from ragtune.core.directions import loss_signs
from ragtune.core.frozen_trial import FrozenTrial
from ragtune.core.pareto import is_pareto_front
from ragtune.core.trial_state import TrialState
from ragtune.core.trials_view import TrialsView
from ragtune.exceptions import ConfigError
from ragtune.pruners.base import Pruner
from ragtune.pruners.checks import check_float, check_int
from ragtune.pruners.confidence import (
    half_widths,
    paired_upper_bound,
    rung_error_half_width,
    variance_floor,
)
from ragtune.pruners.curves import CurveCache, Curves
from ragtune.pruners.successive_halving import COMPETING_STATES

FloatArray = npt.NDArray[np.float64]
Method = Literal["paired", "pessimistic", "point"]


class ParetoPruner(Pruner):
    """Prune a trial when, at its rung, another trial confidently dominates it on every objective.

    Built for partial evaluation sets (``step`` = questions answered so far, per-question scores
    reported with ``trial.report(vector, step, scores=rows)``). Decision when the trial reports at
    step ``s`` (previous report at ``p``), in minimisation losses:

    1. **Rung.** With ``rungs=None`` every report is a rung (``r = s``); otherwise the rung is the
       largest configured rung in ``(p, s]`` and nothing is decided between rungs. A trial's
       vector *at rung r* is its first report at a step ``>= r``.
    2. **Guards.** Keep the trial while fewer than ``n_startup_trials`` trials are COMPLETE, while
       fewer than ``min_trials_at_rung`` other trials (running, complete or pruned, from every
       worker; failed ones excluded) have a full vector at the rung, or when the trial reported one
       value in a multi-objective study.
    3. **Bounds of one trial** (per objective, one-sided, level ``1 - a``): ``loss -/+ t_{1-a,n-1}
       * s_eff / sqrt(n)`` around the reported value, ``s_eff`` the larger of the trial's score
       standard deviation and the median one at the rung (a few identical scores do not make a
       point). A single score: infinite. **No scores:** the half-width is calibrated on history,
       ``t_{1-a,k} * rms`` of ``(value at rung - final value)`` over the ``k`` COMPLETE trials that
       ran past the rung (infinite while ``k < 2``); the pruner never needs scores, but a noisy
       early value is not taken at face value either.
    4. **Rule**, by ``method`` (``a = 1 - confidence``):

       - ``"paired"`` (default): prune iff some other trial ``B`` whose point vector dominates the
         trial's passes, on every objective ``j``, the one-sided paired t-test on per-question
         loss differences ``d = B - A``: ``ub_j = (L_B - L_A)_j + t_{1-a,n-1} * sd(d_j) / sqrt(n)
         <= 0``, with ``ub_j < 0`` for some ``j``. Rows are paired by position (the evaluator asks
         every trial the same questions in the same seeded order), so per-question difficulty
         cancels; with unrelated rows the differences are still i.i.d. and the test stays valid,
         only less sharp. A pair without equally many scores is compared as ``"pessimistic"``.
       - ``"pessimistic"``: prune iff the trial's optimistic vector (lower bounds) is dominated by
         the Pareto front (:func:`ragtune.core.pareto.is_pareto_front`) of the other trials'
         pessimistic vectors (upper bounds), each bound at level ``1 - a/2``.
       - ``"point"``: the trial's optimistic vector (level ``1 - a``) against the others' point
         vectors; prunes more, ignores the others' noise.

    "B dominates A" is the intersection of ``m`` per-objective statements, so it is an
    intersection-union test (Berger 1982, Technometrics 24(4); Casella & Berger, Statistical
    Inference, Thm 8.3.23): each objective is tested at the full level ``a`` and the chance that a
    pruned trial's full-set vector is in truth not weakly dominated by that ``B``'s is ``<= a`` per
    comparison - if the questions seen so far behave like a random sample of the eval set (the
    evaluator's seeded shuffled order provides that), and with no correction for the several
    trials and rungs a trial is compared with (measured in ``docs/benchmarks.md``: 3 of 87 true-front
    trials pruned at 10 of 90 questions, hypervolume within 0.3%). For aggregates that are not
    means (a p95 latency) the interval around the reported value is an approximation.
    """

    def __init__(
        self,
        *,
        rungs: Sequence[int] | None = None,
        confidence: float = 0.95,
        n_startup_trials: int = 5,
        min_trials_at_rung: int = 3,
        method: Method = "paired",
    ) -> None:
        self._rungs: tuple[int, ...] | None = None
        if rungs is not None:
            ok = isinstance(rungs, Sequence) and not isinstance(rungs, str) and len(rungs) > 0
            if ok:
                try:
                    self._rungs = tuple(sorted({check_int("rung", r, minimum=1) for r in rungs}))
                except ConfigError:
                    ok = False
            if not ok:
                raise ConfigError(
                    f"rungs must be None or a non-empty sequence of ints >= 1, but got rungs={rungs!r}"
                )
        self._confidence = check_float("confidence", confidence, low=0.0, high=1.0, closed=False)
        self._n_startup = check_int("n_startup_trials", n_startup_trials, minimum=0)
        self._min_at_rung = check_int("min_trials_at_rung", min_trials_at_rung, minimum=1)
        if method not in ("paired", "pessimistic", "point"):
            raise ConfigError(f"method must be 'paired', 'pessimistic' or 'point', but got method={method!r}")
        self._method: Method = method
        self._cache = CurveCache(with_scores=True)

    def __repr__(self) -> str:
        return (
            f"ParetoPruner(rungs={self._rungs}, confidence={self._confidence}, "
            f"n_startup_trials={self._n_startup}, min_trials_at_rung={self._min_at_rung}, "
            f"method={self._method!r})"
        )

    def _rung(self, trial: FrozenTrial) -> int | None:
        steps = sorted(trial.intermediate_vectors)
        if not steps:
            return None
        latest, previous = steps[-1], (steps[-2] if len(steps) > 1 else -1)
        if self._rungs is None:
            return latest
        crossed = [r for r in self._rungs if previous < r <= latest]
        return crossed[-1] if crossed else None

    def prune(self, view: TrialsView, trial: FrozenTrial) -> bool:
        rung = self._rung(trial)
        if rung is None:
            return False
        m = view.n_objectives
        if len(trial.intermediate_vectors[max(trial.intermediate_vectors)]) != m:
            return False
        if int(np.count_nonzero(view.mask(TrialState.COMPLETE))) < self._n_startup:
            return False
        curves = self._cache.curves(view)
        others = curves.in_states(*COMPETING_STATES) & (curves.numbers != trial.number)
        idx = curves.first_at_or_after(rung)[others]
        idx = idx[idx >= 0]
        idx = idx[curves.full[idx]]
        if len(idx) < self._min_at_rung:
            return False
        own = Curves.from_trials([trial], view.directions, with_scores=True)
        # Intersection-union test (Berger 1982): "B dominates A" is the intersection of the m
        # per-objective statements, so each is tested at the full level; only the two bounds of a
        # difference share it.
        alpha = (1.0 - self._confidence) / (1 if self._method == "point" else 2)
        own_hw, other_hw = self._half_widths(curves, idx, own, rung, trial.number, alpha)
        optimistic = own.losses[-1] - own_hw
        if not np.all(np.isfinite(optimistic)):
            return False
        if self._method == "point":
            return _dominated_by_front(optimistic, curves.losses[idx])
        if self._method == "pessimistic":
            return _dominated_by_front(optimistic, curves.losses[idx] + other_hw)
        return self._paired(view, trial, curves, idx, own.losses[-1], optimistic, other_hw)

    def _half_widths(
        self, curves: Curves, idx: npt.NDArray[np.int64], own: Curves, rung: int, number: int, alpha: float
    ) -> tuple[FloatArray, FloatArray]:
        """Half-widths of the trial's vector (shape ``(m,)``) and of the others' (``(k, m)``)."""
        n_all = np.vstack([curves.score_n[idx], own.score_n[-1:]])
        sd_all = np.vstack([curves.score_sd[idx], own.score_sd[-1:]])
        floor = variance_floor(n_all, sd_all)
        without = np.full(curves.losses.shape[1], np.inf)
        if np.any(n_all == 0):
            without = _calibrated(curves, rung, number, alpha)
        hw = half_widths(n_all, sd_all, alpha=alpha, floor=floor, without_scores=without)
        return hw[-1], hw[:-1]

    def _paired(
        self,
        view: TrialsView,
        trial: FrozenTrial,
        curves: Curves,
        idx: npt.NDArray[np.int64],
        own_loss: FloatArray,
        optimistic: FloatArray,
        other_hw: FloatArray,
    ) -> bool:
        losses = curves.losses[idx]
        candidates = np.all(losses <= own_loss, axis=1) & np.any(losses < own_loss, axis=1)
        if not candidates.any():
            return False
        signs = loss_signs(view.directions)
        own_rows = _score_matrix(trial.intermediate_scores.get(max(trial.intermediate_vectors)), len(signs))
        m = len(signs)
        paired_alpha = 1.0 - self._confidence
        # Most clearly dominating first: the first success decides.
        order = np.argsort(np.max(losses - own_loss, axis=1), kind="stable")
        for k in order[candidates[order]]:
            other_rows = _score_matrix(curves.scores[int(idx[k])], m)
            ub = losses[k] + other_hw[k] - optimistic
            if own_rows is not None and other_rows is not None and own_rows.shape == other_rows.shape:
                # Paired test on every objective whose per-question scores both trials have; an
                # aggregate with no per-question value (NaN column, e.g. a p95 latency) keeps the
                # unpaired bound above.
                cols = np.all(np.isfinite(own_rows), axis=0) & np.all(np.isfinite(other_rows), axis=0)
                if cols.any():
                    diff = (other_rows[:, cols] - own_rows[:, cols]) * signs[cols]
                    center = (losses[k] - own_loss)[cols]
                    ub[cols] = paired_upper_bound(diff, center, alpha=paired_alpha)
            if np.all(ub <= 0.0) and np.any(ub < 0.0):
                return True
        return False


def _dominated_by_front(point: FloatArray, others: FloatArray) -> bool:
    others = others[np.all(np.isfinite(others), axis=1)]
    if len(others) == 0:
        return False
    front = others[is_pareto_front(others)]
    return bool(np.any(np.all(front <= point, axis=1) & np.any(front < point, axis=1)))


def _calibrated(curves: Curves, rung: int, number: int, alpha: float) -> FloatArray:
    """Half-width for unscored reports from COMPLETE trials' (value at rung - final value)."""
    at_rung = curves.first_at_or_after(rung)
    last = curves.offsets[1:] - 1
    use = curves.in_states(TrialState.COMPLETE) & (curves.numbers != number) & (at_rung >= 0)
    use &= at_rung < last
    use_idx = np.flatnonzero(use)
    full = curves.full[at_rung[use_idx]] & curves.full[last[use_idx]]
    use_idx = use_idx[full]
    return rung_error_half_width(curves.losses[at_rung[use_idx]], curves.losses[last[use_idx]], alpha=alpha)


def _score_matrix(rows: tuple[tuple[float, ...], ...] | None, m: int) -> FloatArray | None:
    """Per-question scores as an ``(n, m)`` array (NaN where an objective has no per-question
    value), or None when unusable for a paired test."""
    if not rows or len(rows) < 2:
        return None
    arr = np.asarray(rows, dtype=float)
    if arr.ndim != 2 or arr.shape[1] != m:
        return None
    return arr
