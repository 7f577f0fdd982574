"""``create_trial``: a :class:`FrozenTrial` built by hand, for ``Study.add_trial`` (as in Optuna)."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from typing import Any

from ragtune.core.directions import StudyDirection
from ragtune.core.distributions import AnyDistribution
from ragtune.core.frozen_trial import CONSTRAINT_NAMES_ATTR, FrozenTrial
from ragtune.core.trial import as_value_tuple
from ragtune.core.trial_state import TrialState
from ragtune.exceptions import ValidationError


def create_trial(
    *,
    state: TrialState = TrialState.COMPLETE,
    value: float | None = None,
    values: Sequence[float] | None = None,
    params: Mapping[str, Any] | None = None,
    distributions: Mapping[str, AnyDistribution] | None = None,
    user_attrs: Mapping[str, Any] | None = None,
    system_attrs: Mapping[str, Any] | None = None,
    intermediate_values: Mapping[int, float | Sequence[float]] | None = None,
    constraints: Mapping[str, float] | None = None,
) -> FrozenTrial:
    """A new trial to :meth:`~ragtune.Study.add_trial`: ``create_trial(params={"x": 2.0},
    distributions={"x": rt.FloatDistribution(low=0, high=10)}, value=4.0)``.

    ``value`` and ``values`` are exclusive; every param needs its distribution and must lie in it;
    ``constraints`` maps a name to a value (feasible when ``<= 0``). Start and end times are now
    for finished trials, start only for RUNNING ones, none for WAITING ones. ``number`` is -1
    until the trial is added to a study.
    """
    if value is not None and values is not None:
        raise ValidationError("create_trial takes value= or values=, not both")
    vector = None
    if value is not None or values is not None:
        vector = as_value_tuple(value if value is not None else list(values or ()), what="trial values")
    params = dict(params or {})
    distributions = dict(distributions or {})
    _check_params(params, distributions)
    attrs = dict(system_attrs or {})
    cons: tuple[float, ...] | None = None
    if constraints:
        cons = tuple(float(v) for v in constraints.values())
        attrs[CONSTRAINT_NAMES_ATTR] = [str(k) for k in constraints]
    now = dt.datetime.now()
    return FrozenTrial(
        number=-1,
        state=state,
        values=vector,
        params=params,
        distributions=distributions,
        user_attrs=dict(user_attrs or {}),
        system_attrs=attrs,
        intermediate_values={int(s): _report(v) for s, v in (intermediate_values or {}).items()},
        constraints=cons,
        datetime_start=None if state is TrialState.WAITING else now,
        datetime_complete=now if state.is_finished() else None,
    )


def _report(v: float | Sequence[float]) -> tuple[float, ...]:
    return as_value_tuple(v, what="intermediate values")


def _check_params(params: Mapping[str, Any], distributions: Mapping[str, AnyDistribution]) -> None:
    if set(params) != set(distributions):
        raise ValidationError(
            f"params {sorted(params)} and distributions {sorted(distributions)} must name the same "
            "parameters; give a distribution for each param"
        )
    for name, v in params.items():
        if not distributions[name].contains(v):
            raise ValidationError(
                f"param {name}={v!r} is outside {distributions[name].describe()}; fix the value or the distribution"
            )


def validate_for_study(trial: FrozenTrial, directions: Sequence[StudyDirection]) -> FrozenTrial:
    """Check a trial before ``Study.add_trial`` stores it; return it unchanged."""
    _check_params(trial.params, trial.distributions)
    if trial.state is TrialState.COMPLETE:
        if trial.values is None:
            raise ValidationError("a COMPLETE trial needs values; pass value= or values= to create_trial")
        if len(trial.values) != len(directions):
            raise ValidationError(
                f"the trial has {len(trial.values)} values, but the study has {len(directions)} objectives"
            )
        if not all(math.isfinite(v) for v in trial.values):
            raise ValidationError(f"a COMPLETE trial needs finite values, but got {trial.values}")
    elif trial.values is not None:
        raise ValidationError(f"a {trial.state.name} trial has no values; leave value/values out")
    return trial
