"""MedianPruner / PercentilePruner decisions on hand-built curves, worked out by hand."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import ragtune as rt
from ragtune.exceptions import ConfigError
from ragtune.pruners import MedianPruner, PercentilePruner, Pruner

HistoryFactory = Callable[..., Any]

# Three COMPLETE minimisation curves; medians per step: step 0 -> 2.0, step 1 -> 1.6, step 2 -> 1.2.
A = {0: 1.0, 1: 0.8, 2: 0.6}
B = {0: 2.0, 1: 1.6, 2: 1.2}
C = {0: 3.0, 1: 2.4, 2: 1.8}


def _abc(history: HistoryFactory, pruner: Pruner, directions: tuple[str, ...] = ("minimize",)) -> Any:
    h = history(pruner, directions)
    for curve in (A, B, C):
        h.add(curve)
    return h


def test_prunes_strictly_worse_than_the_median_at_the_same_step(history: HistoryFactory) -> None:
    h = _abc(history, MedianPruner(n_startup_trials=3))
    assert h.decide({0: 2.5}) == [True]  # 2.5 > median 2.0
    assert h.decide({0: 2.0}) == [False]  # a tie keeps the trial
    assert h.decide({0: 1.5, 1: 1.7, 2: 1.0}) == [False, True, False]  # 1.7 > 1.6; 1.0 < 1.2


def test_uses_the_last_value_at_or_before_the_step_when_steps_differ(history: HistoryFactory) -> None:
    h = _abc(history, MedianPruner(n_startup_trials=3))
    # At step 5 the others' nearest earlier report is step 2: median 1.2.
    assert h.decide({5: 1.3}) == [True]
    assert h.decide({5: 1.1}) == [False]
    # At step 1 the others' step-1 values count (median 1.6), not their later step-2 ones.
    assert h.decide({1: 1.5}) == [False]


def test_startup_warmup_and_interval(history: HistoryFactory) -> None:
    assert _abc(history, MedianPruner(n_startup_trials=4)).decide({0: 9.0}) == [False]
    assert _abc(history, MedianPruner(n_startup_trials=3, n_warmup_steps=1)).decide({0: 9.0, 1: 9.0}) == [
        False,
        True,
    ]
    # interval 2 from warm-up 0: steps 0 and 2 are checked, step 1 is not.
    h = _abc(history, MedianPruner(n_startup_trials=3, interval_steps=2))
    assert h.decide({0: 0.0, 1: 9.0, 2: 9.0}) == [False, False, True]


def test_reference_set_is_complete_trials_only(history: HistoryFactory) -> None:
    h = _abc(history, MedianPruner(n_startup_trials=3))
    # Very good pruned, failed and running trials do not move the median (still 2.0 at step 0).
    h.add({0: 0.1}, rt.TrialState.PRUNED)
    h.add({0: 0.1}, rt.TrialState.FAIL)
    h.running({0: 0.1})
    assert h.decide({0: 1.9}) == [False]
    assert h.decide({0: 2.1}) == [True]


def test_n_min_trials(history: HistoryFactory) -> None:
    assert _abc(history, MedianPruner(n_startup_trials=0, n_min_trials=4)).decide({0: 9.0}) == [False]
    assert _abc(history, MedianPruner(n_startup_trials=0, n_min_trials=3)).decide({0: 9.0}) == [True]


def test_percentile_with_maximisation(history: HistoryFactory) -> None:
    h = history(PercentilePruner(25.0, n_startup_trials=0), ("maximize",))
    for v in (1.0, 2.0, 3.0, 4.0):
        h.add({0: v})
    # Losses -4..-1: their 25th percentile is -3.25, so a value below 3.25 is outside the best quarter.
    assert h.decide({0: 3.0}) == [True]
    assert h.decide({0: 3.5}) == [False]


def test_designated_objective_of_a_multi_objective_study(history: HistoryFactory) -> None:
    h = history(MedianPruner(n_startup_trials=0, objective=1), ("minimize", "maximize"))
    for v in (1.0, 2.0, 3.0):
        h.add({0: [10.0 - v, v]})  # objective 1 is maximised: median 2.0
    assert h.decide({0: [0.0, 1.5]}) == [True]  # best on objective 0, below the median on 1
    assert h.decide({0: [99.0, 2.5]}) == [False]
    assert h.decide({0: 1.5}) == [True]  # a single reported value is the designated objective's


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"percentile": 101.0}, "percentile must be a number in [0.0, 100.0], but got percentile=101.0"),
        ({"percentile": 50, "n_startup_trials": -1}, "n_startup_trials must be an int >= 0"),
        (
            {"percentile": 50, "interval_steps": 0},
            "interval_steps must be an int >= 1, but got interval_steps=0",
        ),
        ({"percentile": 50, "n_min_trials": True}, "n_min_trials must be an int >= 1"),
        ({"percentile": 50, "objective": -1}, "objective must be an int >= 0"),
    ],
)
def test_bad_arguments(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        PercentilePruner(**kwargs)  # type: ignore[arg-type]


def test_objective_out_of_range_is_an_error(history: HistoryFactory) -> None:
    h = _abc(history, MedianPruner(n_startup_trials=0, objective=2))
    with pytest.raises(ConfigError, match="objective must be < the study's number of objectives"):
        h.decide({0: 1.0})
