"""suggest_categorical returns one of *its own* choices, with its type, whatever was suggested before.

``(0, 1) == (False, True) == (0.0, 1.0)`` in Python, and they hash alike, so a cache keyed by the choice
tuple alone would hand one of them out for another (it did, until the cache was keyed by type).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

import ragtune as rt
from ragtune.samplers import RandomSampler

sys.path.insert(0, str(Path(__file__).parent))
from property_strategies import FIXED

LOOKALIKES = [[0, 1], [False, True], [0.0, 1.0], [1, 0], [True, False], [1.0, 0.0]]


def suggest_each(order: list[list[Any]]) -> list[tuple[Any, Any]]:
    """Suggest from each choice list in turn, each in a fresh study: (value, stored choices) per list."""
    out: list[tuple[Any, Any]] = []
    for i, choices in enumerate(order):
        study = rt.create_study(sampler=RandomSampler(seed=i))
        study.optimize(
            lambda trial, c=choices: 0.0 if trial.suggest_categorical("p", c) is None else 1.0, n_trials=1
        )
        trial = study.trials[0]
        out.append((trial.params["p"], trial.distributions["p"].choices))
    return out


@FIXED
@given(order=st.permutations(LOOKALIKES))
def test_lookalike_choice_lists_keep_their_types(order: list[list[Any]]) -> None:
    for choices, (value, stored) in zip(order, suggest_each(order), strict=True):
        assert any(type(c) is type(value) and c == value for c in choices), (choices, value)
        assert [type(c) for c in stored] == [type(c) for c in choices], (choices, stored)
