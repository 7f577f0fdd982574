"""ParetoPruner decisions with and without per-question scores, worked out by hand.

Two objectives: quality (maximised) and latency (minimised). Three other trials sit at step 10:
P1 = (0.8, 100), P2 = (0.6, 50), P3 = (0.9, 200); their front is all three. Unless a test says
otherwise they COMPLETE with the same vector at step 90, so the history-calibrated uncertainty of
an unscored step-10 value is zero and unscored comparisons are plain point comparisons.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from scipy import stats

import ragtune as rt
from ragtune.exceptions import ConfigError
from ragtune.pruners import ParetoPruner
from ragtune.pruners.confidence import half_widths, paired_upper_bound, rung_error_half_width, variance_floor

HistoryFactory = Callable[..., Any]
MAX_MIN = ("maximize", "minimize")
OTHERS = ([0.8, 100.0], [0.6, 50.0], [0.9, 200.0])


def _rows(quality: list[float], latency: float) -> list[list[float]]:
    return [[q, latency] for q in quality]


def _history(history: HistoryFactory, **kwargs: Any) -> Any:
    kwargs = {"n_startup_trials": 0, "min_trials_at_rung": 3, **kwargs}
    h = history(ParetoPruner(**kwargs), MAX_MIN)
    for vector in OTHERS:
        h.add({10: vector, 90: vector})
    return h


@pytest.mark.parametrize("method", ["paired", "pessimistic", "point"])
def test_unscored_vectors_with_exact_history_compare_as_points(history: HistoryFactory, method: str) -> None:
    h = _history(history, method=method)
    assert h.decide({10: [0.5, 120.0]}) == [True]  # P1 is better on both
    assert h.decide({10: [0.7, 60.0]}) == [False]  # better latency than P1, better quality than P2
    assert h.decide({10: [0.8, 100.0]}) == [False]  # equal to P1: not dominated


def test_unscored_vectors_without_history_are_never_pruned(history: HistoryFactory) -> None:
    h = history(ParetoPruner(n_startup_trials=0), MAX_MIN)
    for vector in OTHERS:
        h.add({10: vector})  # nobody ran past step 10: the error of a step-10 value is unknown
    assert h.decide({10: [0.0, 999.0]}) == [False]


def test_unscored_uncertainty_is_calibrated_on_finished_trials(history: HistoryFactory) -> None:
    h = history(ParetoPruner(n_startup_trials=0, method="point"), MAX_MIN)
    # Step-10 values err by 0.1 in quality and 10 ms in latency against the final (step-90) ones.
    h.add({10: [0.8, 100.0], 90: [0.7, 110.0]})
    h.add({10: [0.6, 50.0], 90: [0.7, 40.0]})
    h.add({10: [0.9, 200.0], 90: [0.8, 210.0]})
    # rms = (0.1, 10), k = 3, a = 0.05: half-width = t_{0.95,3} * rms = (0.235, 23.5).
    t = stats.t.ppf(0.95, df=3)
    assert 0.5 + t * 0.1 < 0.8 and 120 - t * 10 > 90
    assert h.decide({10: [0.5, 120.0]}) == [False]  # optimistic (0.735, 96.5): P1's latency 100 is worse
    assert h.decide({10: [0.3, 150.0]}) == [True]  # optimistic (0.535, 126.5): P1 dominates


def test_wide_scores_keep_a_trial_that_looks_dominated(history: HistoryFactory) -> None:
    h = _history(history, method="point")
    # Quality 0.5 from 5 zeros and 5 ones: s^2 = 10 * 0.25 / 9; latency constant (no spread).
    # a = 0.05: optimistic quality = 0.5 + t_{0.95,9} * s / sqrt(10) = 0.806 > 0.8 (P1).
    t = stats.t.ppf(0.95, df=9)
    assert 0.5 + t * np.sqrt(10 * 0.25 / 9 / 10) > 0.8
    assert h.decide({10: [0.5, 120.0]}, scores={10: _rows([0.0, 1.0] * 5, 120.0)}) == [False]


def test_tight_scores_prune(history: HistoryFactory) -> None:
    h = _history(history, method="point")
    # 0.49 / 0.51 alternating: optimistic quality ~= 0.506 < 0.8 and latency has no spread -> P1 dominates.
    assert h.decide({10: [0.5, 120.0]}, scores={10: _rows([0.49, 0.51] * 5, 120.0)}) == [True]


@pytest.mark.parametrize(("method", "expected"), [("pessimistic", False), ("point", True), ("paired", True)])
def test_methods_on_scored_history(history: HistoryFactory, method: str, expected: bool) -> None:
    h = history(ParetoPruner(n_startup_trials=0, method=method), MAX_MIN)
    h.add({10: [0.8, 100.0]}, scores={10: _rows([1.0] * 8 + [0.0] * 2, 100.0)})  # s^2 = 0.1778
    h.add({10: [0.6, 50.0]}, scores={10: _rows([1.0] * 6 + [0.0] * 4, 50.0)})  # s^2 = 0.2667
    h.add({10: [0.9, 200.0]}, scores={10: _rows([1.0] * 9 + [0.0] * 1, 200.0)})  # s^2 = 0.1
    # No spread of its own: the floor is the rung's median variance, median(0.1778, 0.2667, 0.1, 0) = 0.1389.
    # point (a = 0.05): optimistic quality 0.5 + 1.833 * sqrt(0.01389) = 0.716 < 0.8 -> P1 dominates.
    # pessimistic (a = 0.025 per bound): 0.5 + 0.267 = 0.767 against P1's 0.8 - 2.262 * sqrt(0.01778)
    # = 0.498 -> nobody dominates.
    # paired vs P1: quality loss differences 0.5 - b have mean -0.3, sd 0.4216 -> upper bound
    # -0.3 + 1.833 * 0.4216 / sqrt(10) = -0.056 <= 0; latency differences are all -20 -> P1 dominates.
    assert h.decide({10: [0.5, 120.0]}, scores={10: _rows([0.5] * 10, 120.0)}) == [expected]


def test_paired_test_uses_question_alignment(history: HistoryFactory) -> None:
    a = [1.0] * 4 + [0.0] * 6  # A: 0.4, right on questions 1-4
    same = [1.0] * 6 + [0.0] * 4  # B: 0.6, right on questions 1-6 (a superset of A's)
    opposite = [0.0] * 4 + [1.0] * 6  # B': 0.6, right exactly where A is wrong
    for b, expected in ((same, True), (opposite, False)):
        h = history(ParetoPruner(n_startup_trials=0, min_trials_at_rung=1), MAX_MIN)
        h.add({20: [0.6, 100.0]}, scores={20: _rows(b * 2, 100.0)})
        # Aligned: d = loss_B - loss_A is -1 on 4 of 20 questions, else 0: mean -0.2, sd 0.41,
        # ub = -0.2 + t_{0.95,19} * 0.41 / sqrt(20) = -0.041 -> dominated. Opposite: sd 1.005,
        # ub = +0.19 -> not (an unpaired bound could not tell the two cases apart).
        assert h.decide({20: [0.4, 120.0]}, scores={20: _rows(a * 2, 120.0)}) == [expected]


def test_paired_test_reads_competitors_scores_from_its_curves_not_the_storage(
    history: HistoryFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Views keep only the latest snapshots (WINDOW 0 here); a competitor's per-question scores
    come from the pruner's curves, so repeated decisions read no old trial back."""
    from ragtune.core import trials_view

    monkeypatch.setattr(trials_view, "WINDOW", 0)
    h = history(ParetoPruner(n_startup_trials=0, min_trials_at_rung=1), MAX_MIN)
    h.add({20: [0.6, 100.0]}, scores={20: _rows(([1.0] * 6 + [0.0] * 4) * 2, 100.0)})
    reads: list[int] = []  # trials the views read back from the storage
    fetch = h.study._builder._fetch
    monkeypatch.setattr(h.study._builder, "_fetch", lambda tid: reads.append(tid) or fetch(tid))
    a = _rows(([1.0] * 4 + [0.0] * 6) * 2, 120.0)  # as in test_paired_test_uses_question_alignment
    assert [h.decide({20: [0.4, 120.0]}, scores={20: a}) for _ in range(4)] == [[True]] * 4
    competitor = h.study.trials[0].trial_id
    # Each finished trial is read at most once, when the curves take it in (the decisions' own
    # FAIL trials among them); the competitor is not read again for every decision.
    assert reads.count(competitor) <= 1 and len(reads) == len(set(reads))


def test_paired_test_kept_for_objectives_with_scores_when_another_has_none(history: HistoryFactory) -> None:
    """A p95 latency has no per-question value (NaN column): quality is still tested paired and
    latency falls back to its unpaired, history-calibrated bound (exact here: 0)."""
    a = [1.0] * 4 + [0.0] * 6
    same = [1.0] * 6 + [0.0] * 4
    opposite = [0.0] * 4 + [1.0] * 6
    nan = float("nan")
    for b, expected in ((same, True), (opposite, False)):
        h = history(ParetoPruner(n_startup_trials=0, min_trials_at_rung=1), MAX_MIN)
        for _ in range(2):  # calibration: finished trials whose step-20 value was their final one
            h.add({20: [0.0, 999.0], 90: [0.0, 999.0]})
        h.add({20: [0.6, 100.0]}, scores={20: [[q, nan] for q in b * 2]})
        # Quality as in test_paired_test_uses_question_alignment (ub -0.041 aligned, +0.19
        # opposite); latency ub = 100 - 120 = -20. Unpaired bounds could not prune on quality:
        # B's 0.6 - t_{0.975,19} * 0.503 / sqrt(20) = 0.365 is below A's 0.4 + 0.235 = 0.635.
        assert h.decide({20: [0.4, 120.0]}, scores={20: [[q, nan] for q in a * 2]}) == [expected]


def test_one_score_means_no_knowledge(history: HistoryFactory) -> None:
    h = _history(history)
    assert h.decide({10: [0.5, 120.0]}, scores={10: [[0.5, 120.0]]}) == [False]


def test_configured_rungs(history: HistoryFactory) -> None:
    h = history(ParetoPruner(rungs=[10, 30], n_startup_trials=0), MAX_MIN)
    for vector in OTHERS:
        h.add({10: vector, 30: vector})
    # Step 5 is below the first rung; step 12 crosses rung 10 (others valued at their step-10 report);
    # step 20 crosses nothing.
    assert h.decide({5: [0.0, 999.0], 12: [0.5, 120.0], 20: [0.0, 999.0]}) == [False, True, False]


def test_guards(history: HistoryFactory) -> None:
    assert _history(history, min_trials_at_rung=4).decide({10: [0.5, 120.0]}) == [False]
    assert _history(history, n_startup_trials=4).decide({10: [0.5, 120.0]}) == [False]
    # One reported value in a two-objective study cannot be compared on both objectives.
    assert _history(history).decide({10: 0.1}) == [False]


def test_who_competes(history: HistoryFactory) -> None:
    h = history(ParetoPruner(n_startup_trials=0, min_trials_at_rung=1), MAX_MIN)
    for _ in range(2):  # calibration: two finished trials whose step-10 value was exact
        h.add({10: [0.0, 999.0], 90: [0.0, 999.0]})
    h.add({10: [0.9, 10.0]}, rt.TrialState.FAIL)
    h.add({10: 0.9})  # a single value: no vector to compare with
    assert h.decide({10: [0.5, 120.0]}) == [False]
    h.running({10: [0.8, 100.0]})  # another worker's running trial counts
    assert h.decide({10: [0.5, 120.0]}) == [True]


def test_three_objectives(history: HistoryFactory) -> None:
    h = history(ParetoPruner(n_startup_trials=0, min_trials_at_rung=1), ("maximize", "minimize", "maximize"))
    h.add({10: [0.8, 100.0, 0.9], 90: [0.8, 100.0, 0.9]})
    h.add({10: [0.0, 999.0, 0.0], 90: [0.0, 999.0, 0.0]})
    assert h.decide({10: [0.7, 110.0, 0.95]}) == [False]
    assert h.decide({10: [0.7, 110.0, 0.85]}) == [True]


def test_bound_helpers() -> None:
    n = np.array([[10, 0], [10, 0], [1, 0], [10, 0]])
    sd = np.array([[0.1, np.nan], [0.3, np.nan], [np.nan, np.nan], [0.0, np.nan]])
    floor = variance_floor(n, sd)
    assert floor == pytest.approx([0.01, 0.0])  # median of 0.01, 0.09, 0 -> 0.01; no scores -> 0
    hw = half_widths(n, sd, alpha=0.05, floor=floor, without_scores=np.array([7.0, 8.0]))
    t = stats.t.ppf(0.95, df=9)
    assert hw[:, 0] == pytest.approx(
        [t * 0.1 / np.sqrt(10), t * 0.3 / np.sqrt(10), np.inf, t * 0.1 / np.sqrt(10)]
    )
    assert np.all(hw[:, 1] == 8.0)
    assert np.all(np.isinf(rung_error_half_width(np.zeros((1, 2)), np.ones((1, 2)), alpha=0.05)))
    assert rung_error_half_width(np.zeros((4, 1)), np.full((4, 1), 2.0), alpha=0.05) == pytest.approx(
        [stats.t.ppf(0.95, df=4) * 2.0]
    )
    d = np.array([[-1.0], [0.0], [-2.0]])
    assert paired_upper_bound(d, np.array([-1.0]), alpha=0.1) == pytest.approx(
        [-1.0 + stats.t.ppf(0.9, df=2) * 1.0 / np.sqrt(3)]
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"confidence": 1.0}, r"confidence must be a number in \(0.0, 1.0\), but got confidence=1.0"),
        ({"rungs": []}, r"rungs must be None or a non-empty sequence of ints >= 1, but got rungs=\[\]"),
        ({"rungs": [0, 5]}, r"rungs must be None or .*, but got rungs=\[0, 5\]"),
        ({"min_trials_at_rung": 0}, "min_trials_at_rung must be an int >= 1"),
        ({"method": "mean"}, "method must be 'paired', 'pessimistic' or 'point', but got method='mean'"),
    ],
)
def test_bad_arguments(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        ParetoPruner(**kwargs)
