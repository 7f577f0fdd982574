"""SuccessiveHalvingPruner (ASHA) decisions on hand-built curves, worked out by hand.

With min_resource=1 and reduction_factor=3 the rungs are steps 1, 3, 9, 27, ...; at a rung with n
trials (the deciding one included) a trial continues iff fewer than max(1, n // 3) others are
strictly better there.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import ragtune as rt
from ragtune.exceptions import ConfigError
from ragtune.pruners import SuccessiveHalvingPruner

HistoryFactory = Callable[..., Any]


def _five(history: HistoryFactory, **kwargs: Any) -> Any:
    """Five finished trials with losses 0.1 .. 0.5 at rung 1 (and 0.05 .. 0.45 at rung 3)."""
    h = history(SuccessiveHalvingPruner(**kwargs))
    for v in (0.1, 0.2, 0.3, 0.4, 0.5):
        h.add({1: v, 3: v - 0.05})
    return h


def test_first_trial_always_continues(history: HistoryFactory) -> None:
    h = history(SuccessiveHalvingPruner())
    assert h.decide({1: 100.0, 3: 100.0}) == [False, False]


def test_top_third_at_a_rung_continues(history: HistoryFactory) -> None:
    h = _five(history)
    # n = 6 at rung 1 -> the best 2 continue.
    assert h.decide({1: 0.15}) == [False]  # one trial (0.1) is better
    assert h.decide({1: 0.25}) == [True]  # two are better
    assert h.decide({1: 0.2}) == [False]  # ties favour the deciding trial: only 0.1 is strictly better


def test_decides_only_when_a_rung_is_crossed(history: HistoryFactory) -> None:
    h = _five(history)
    # Step 2 is between rungs: no decision however bad. Step 3 is rung 3: n = 6, 0.05 and 0.15 beat 0.3.
    assert h.decide({1: 0.0, 2: 99.0, 3: 0.3}) == [False, False, True]
    assert h.decide({1: 0.0, 2: 99.0, 3: 0.1}) == [False, False, False]


def test_a_report_that_jumps_over_rungs_is_checked_at_each(history: HistoryFactory) -> None:
    h = _five(history)
    # One report at step 10 crosses rungs 1, 3 and 9; at rung 9 nobody else is there (n = 1: continue),
    # but at rung 1 (others valued at their step-1 report) 0.12 has one better -> continue;
    # at rung 3 (others at step 3: 0.05 .. 0.45) 0.12 has one better (0.05) -> continue.
    assert h.decide({10: 0.12}) == [False]
    # 0.2: at rung 3, 0.05 and 0.15 are better -> pruned.
    assert h.decide({10: 0.2}) == [True]


def test_min_early_stopping_rate_moves_the_first_rung(history: HistoryFactory) -> None:
    h = _five(history, min_early_stopping_rate=1)
    assert h.decide({1: 99.0, 3: 0.3}) == [False, True]  # rungs are 3, 9, ...


def test_max_resource_removes_the_rung_at_the_full_budget(history: HistoryFactory) -> None:
    h = _five(history, max_resource=3)
    assert h.decide({1: 0.0, 3: 99.0}) == [False, False]


def test_bootstrap_count(history: HistoryFactory) -> None:
    h = history(SuccessiveHalvingPruner(bootstrap_count=3))
    h.add({1: 0.1})
    assert h.decide({1: 0.9}) == [False]  # only 2 trials at the rung: everyone continues
    h.add({1: 0.2})
    assert h.decide({1: 0.9}) == [True]  # 3 trials: max(1, 3 // 3) = 1 continues


def test_running_and_pruned_trials_count_failed_ones_do_not(history: HistoryFactory) -> None:
    h = history(SuccessiveHalvingPruner())
    h.add({1: 5.0}, rt.TrialState.FAIL)
    h.add({1: 5.0}, rt.TrialState.FAIL)
    assert h.decide({1: 1.0}) == [False]  # the failures are not competitors
    h.running({1: 0.1})  # another worker's trial
    h.add({1: 0.2}, rt.TrialState.PRUNED)
    # n = 3 (running 0.1, pruned 0.2, this one): only the best continues.
    assert h.decide({1: 0.15}) == [True]
    assert h.decide({1: 0.05}) == [False]


def test_maximisation(history: HistoryFactory) -> None:
    h = history(SuccessiveHalvingPruner(), ("maximize",))
    for v in (0.1, 0.2, 0.3, 0.4, 0.5):
        h.add({1: v})
    assert h.decide({1: 0.45}) == [False]  # 0.5 better: 1 < 2
    assert h.decide({1: 0.35}) == [True]  # 0.4 and 0.5 better


def test_auto_min_resource(history: HistoryFactory) -> None:
    h = history(SuccessiveHalvingPruner(min_resource="auto"))
    assert h.decide({1: 9.0, 3: 9.0}) == [False, False]  # nothing complete: R unknown
    h.add({3: 0.1, 9: 0.1, 27: 0.1})  # R = 27 -> min_resource = 27 // 9 = 3: rungs 3 and 9
    h.add({3: 0.2, 9: 0.2, 27: 0.2})
    h.add({3: 0.3, 9: 0.3, 27: 0.3})
    # rung 1 no longer exists; at rung 3 n = 4 -> the best one continues; step 27 is the full budget.
    assert h.decide({1: 9.0, 3: 0.15}) == [False, True]
    assert h.decide({3: 0.05, 9: 0.05, 27: 9.0}) == [False, False, False]


def test_designated_objective(history: HistoryFactory) -> None:
    h = history(SuccessiveHalvingPruner(objective=1), ("maximize", "minimize"))
    for v in (0.1, 0.2, 0.3):
        h.add({1: [v, v]})
    # n = 4: only the best on objective 1 (minimised) continues.
    assert h.decide({1: [0.0, 0.05]}) == [False]
    assert h.decide({1: [9.0, 0.15]}) == [True]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"min_resource": 0}, "min_resource must be an int >= 1 or 'auto', but got min_resource=0"),
        ({"min_resource": "half"}, "min_resource must be an int >= 1 or 'auto', but got min_resource='half'"),
        ({"reduction_factor": 1}, "reduction_factor must be an int >= 2, but got reduction_factor=1"),
        ({"min_early_stopping_rate": -1}, "min_early_stopping_rate must be an int >= 0"),
        ({"bootstrap_count": 1.5}, "bootstrap_count must be an int >= 0, but got bootstrap_count=1.5"),
        ({"min_resource": 10, "max_resource": 5}, "min_resource must be <= max_resource"),
    ],
)
def test_bad_arguments(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        SuccessiveHalvingPruner(**kwargs)
