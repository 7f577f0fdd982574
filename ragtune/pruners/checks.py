"""Argument checks shared by the pruners, in ragtune's "x must be ..., but got x=..." format."""

from __future__ import annotations

import numbers

from ragtune.core.trials_view import TrialsView
from ragtune.exceptions import ConfigError


def check_int(name: str, value: object, *, minimum: int) -> int:
    """``value`` as an int ``>= minimum`` (bools are not ints here)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or int(value) < minimum:
        raise ConfigError(f"{name} must be an int >= {minimum}, but got {name}={value!r}")
    return int(value)


def check_float(name: str, value: object, *, low: float, high: float, closed: bool = True) -> float:
    """``value`` as a float in ``[low, high]`` (``(low, high)`` with ``closed=False``)."""
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
    if ok:
        f = float(value)  # type: ignore[arg-type]
        ok = low <= f <= high if closed else low < f < high
    if not ok:
        interval = f"[{low}, {high}]" if closed else f"({low}, {high})"
        raise ConfigError(f"{name} must be a number in {interval}, but got {name}={value!r}")
    return float(value)  # type: ignore[arg-type]


def check_objective_index(objective: int, view: TrialsView) -> None:
    """The designated objective must exist in the study the pruner is asked about."""
    if objective >= view.n_objectives:
        raise ConfigError(
            f"objective must be < the study's number of objectives ({view.n_objectives}), "
            f"but got objective={objective}; pass objective=0..{view.n_objectives - 1}"
        )
