"""HyperbandPruner: bracket sizes from Li et al. 2018, deterministic assignment, per-bracket ASHA."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from ragtune.exceptions import ConfigError
from ragtune.pruners import HyperbandPruner

HistoryFactory = Callable[..., Any]


def test_bracket_sizes_are_hyperbands_n_per_bracket() -> None:
    # Li et al. 2018, Table 1 (R = 81, eta = 3): n = 81, 34, 15, 8, 5 for s = 4 .. 0.
    assert HyperbandPruner(min_resource=1, max_resource=81).bracket_weights == (81, 34, 15, 8, 5)
    assert HyperbandPruner(min_resource=1, max_resource=27).bracket_weights == (27, 12, 6, 4)
    assert HyperbandPruner(min_resource=10, max_resource=90).bracket_weights == (9, 5, 3)
    assert HyperbandPruner(min_resource=5, max_resource=5).n_brackets == 1


def test_bracket_assignment_is_deterministic_and_follows_the_weights() -> None:
    a = HyperbandPruner(min_resource=1, max_resource=81)
    b = HyperbandPruner(min_resource=1, max_resource=81)
    numbers = np.arange(143_000)
    got = a.brackets_of(numbers)
    assert np.array_equal(got, b.brackets_of(numbers))
    assert [a.bracket_of(n) for n in range(50)] == got[:50].tolist()
    share = np.bincount(got, minlength=5) / len(numbers)
    assert np.allclose(share, np.array([81, 34, 15, 8, 5]) / 143, atol=0.005)
    # Consecutive trial numbers do not come in blocks: the first 20 already use 3+ brackets.
    assert len(set(got[:20].tolist())) >= 3
    # The seed reshuffles the assignment.
    assert not np.array_equal(
        got[:100], HyperbandPruner(min_resource=1, max_resource=81, seed=1).brackets_of(numbers[:100])
    )


def _numbers_in(pruner: HyperbandPruner, bracket: int, start: int, count: int) -> list[int]:
    return [n for n in range(start, start + 500) if pruner.bracket_of(n) == bracket][:count]


def test_trials_compete_only_within_their_bracket(history: HistoryFactory) -> None:
    pruner = HyperbandPruner(min_resource=1, max_resource=27)  # brackets 0..3; bracket 0 has rungs 1, 3, 9
    h = history(pruner)
    same = []
    # Fill trial numbers in order: bracket-0 trials report 0.5 then 0.6 at step 1; all others 0.0.
    target = _numbers_in(pruner, 0, 0, 3)[-1]  # the third bracket-0 number is the deciding trial
    for number in range(target):
        if pruner.bracket_of(number) == 0:
            same.append(number)
            h.add({1: 0.5 + 0.1 * (len(same) - 1)})
        else:
            h.add({1: 0.0, 3: 0.0, 9: 0.0, 27: 0.0})
    assert h.next_number() == target and len(same) == 2
    # n = 3 in bracket 0 -> max(1, 3 // 3) = 1 continues. 0.4 beats 0.5 and 0.6: it continues,
    # although trials of other brackets reported 0.0 at the same rung.
    assert h.decide({1: 0.4}) == [False]


def test_decision_inside_a_bracket(history: HistoryFactory) -> None:
    pruner = HyperbandPruner(min_resource=1, max_resource=27)
    h = history(pruner)
    while True:
        n = h.next_number()
        if pruner.bracket_of(n) == 0 and sum(pruner.bracket_of(k) == 0 for k in range(n)) >= 2:
            break
        h.add({1: 0.5 if pruner.bracket_of(n) == 0 else 9.0})
    # Two bracket-0 trials at 0.5; the deciding one (n = 3) at 0.55 has two better: pruned.
    assert h.decide({1: 0.55}) == [True]


def test_the_last_bracket_never_prunes(history: HistoryFactory) -> None:
    pruner = HyperbandPruner(min_resource=1, max_resource=27)  # bracket 3's first rung is 27 = R
    h = history(pruner)
    while pruner.bracket_of(h.next_number()) != 3 or h.next_number() < 10:
        h.add({1: 0.0, 3: 0.0, 9: 0.0, 27: 0.0})
    assert h.decide({1: 9.0, 3: 9.0, 9: 9.0, 27: 9.0}) == [False] * 4


def test_bracket_one_starts_at_rung_three(history: HistoryFactory) -> None:
    pruner = HyperbandPruner(min_resource=1, max_resource=27)
    h = history(pruner)
    while pruner.bracket_of(h.next_number()) != 1 or h.next_number() < 10:
        h.add({1: 0.0, 3: 0.0, 9: 0.0})
    # Step 1 is no rung in bracket 1; at step 3 every other bracket-1 trial (0.0) is better.
    assert h.decide({1: 9.0, 3: 9.0}) == [False, True]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_resource": 0}, "max_resource must be an int >= 1, but got max_resource=0"),
        ({"max_resource": 9, "min_resource": 10}, "min_resource must be <= max_resource"),
        ({"max_resource": 9, "reduction_factor": 1}, "reduction_factor must be an int >= 2"),
        ({"max_resource": 9, "seed": -3}, "seed must be an int >= 0, but got seed=-3"),
    ],
)
def test_bad_arguments(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        HyperbandPruner(**kwargs)
