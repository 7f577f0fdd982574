"""Synthetic studies whose parameter importance is known (used by the tests and benchmarks/importance.py).

The objective (minimised) takes a trial from ragtune or from Optuna (both suggest the same way):
``drive`` sets most of the value, ``noise`` is never used, ``cond`` exists only when
``branch == "a"`` and matters there; ``branch`` itself matters a little (branch ``b`` pays a
constant 1.5, branch ``a`` pays ``2 * cond``, 1.0 on average).
"""

from __future__ import annotations

from typing import Any

import numpy as np


def objective(trial: Any, rng: np.random.Generator) -> float:
    drive = trial.suggest_float("drive", 0.0, 1.0)
    trial.suggest_float("noise", 0.0, 1.0)
    branch = trial.suggest_categorical("branch", ["a", "b"])
    extra = 2.0 * trial.suggest_float("cond", 0.0, 1.0) if branch == "a" else 1.5
    return float(4.0 * drive + extra + 0.1 * rng.normal())


def two_objectives(trial: Any, rng: np.random.Generator) -> tuple[float, float]:
    """First objective as above (minimised); the second (maximised) is driven by ``noise`` alone."""
    first = objective(trial, rng)
    return first, float(3.0 * trial.params["noise"] + 0.1 * rng.normal())
