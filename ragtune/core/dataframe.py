"""Trials as a pandas DataFrame, shaped like Optuna's ``trials_dataframe`` (pandas is imported lazily)."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ragtune.core.directions import StudyDirection
from ragtune.core.frozen_trial import FrozenTrial
from ragtune.exceptions import ValidationError

if TYPE_CHECKING:
    import pandas as pd

#: Optuna's default ``attrs``, then ragtune's constraints and failure reasons (columns only when set).
DEFAULT_ATTRS: tuple[str, ...] = (
    "number",
    "value",
    "datetime_start",
    "datetime_complete",
    "duration",
    "params",
    "user_attrs",
    "system_attrs",
    "state",
    "constraints",
    "fail_reason",
)
_KNOWN = frozenset(
    (*DEFAULT_ATTRS, "values", "intermediate_values", "distributions", "trial_id", "last_step")
)
#: System attrs that are ragtune's bookkeeping, never a column.
_PRIVATE_PREFIX = "ragtune:"

Column = tuple[str, Any]  # (attr, key): ("number", ""), ("params", "x"), ("values", "ndcg@10")


def _keyed(attr: str, mappings: list[Mapping[Any, Any]], cols: dict[Column, list[Any]]) -> None:
    """One column per key (sorted, as Optuna does); NaN where a trial lacks the key."""
    keys = sorted(set(itertools.chain.from_iterable(mappings)), key=lambda k: (str(type(k)), k))
    for k in keys:
        cols[(attr, k)] = [m.get(k, float("nan")) for m in mappings]


def _system_attrs(t: FrozenTrial) -> dict[str, Any]:
    return {k: v for k, v in t.system_attrs.items() if not str(k).startswith(_PRIVATE_PREFIX)}


_SCALARS: dict[str, Callable[[FrozenTrial], Any]] = {
    "number": lambda t: t.number,
    "state": lambda t: t.state.name,
    "datetime_start": lambda t: t.datetime_start,
    "datetime_complete": lambda t: t.datetime_complete,
    "duration": lambda t: t.duration,
    "trial_id": lambda t: t.trial_id,
    "last_step": lambda t: t.last_step,
}


def _values(
    trials: Sequence[FrozenTrial],
    attr: str,
    m: int,
    metric_names: Sequence[str] | None,
    cols: dict[Column, list[Any]],
) -> None:
    # Optuna: "value" in a multi-objective study means "values"; a single unnamed value is "value".
    if attr == "value" and m > 1:
        attr = "values"
    for i in range(m):
        key: Any = metric_names[i] if metric_names is not None else ("" if attr == "value" else i)
        cols[(attr, key)] = [t.values[i] if t.values is not None else float("nan") for t in trials]


def trials_to_dataframe(
    trials: Sequence[FrozenTrial],
    directions: Sequence[StudyDirection],
    *,
    attrs: Sequence[str] = DEFAULT_ATTRS,
    multi_index: bool = False,
    metric_names: Sequence[str] | None = None,
) -> pd.DataFrame:
    """One row per trial (ordered as given), one column per ``attrs`` entry, in ``attrs`` order.

    Keyed fields (params, user_attrs, system_attrs, intermediate_values, constraints, distributions)
    give a column per key: ``params_x`` (flat) or ``("params", "x")`` (``multi_index=True``).
    Objective columns are ``value``/``values_0``... or ``value_<name>``/``values_<name>`` with metric
    names. ``constraints`` and ``fail_reason`` only appear when some trial has them. ragtune's own
    system attrs (keys starting ``ragtune:``) are never columns.
    """
    import pandas as pd

    if isinstance(attrs, str):
        attrs = (attrs,)
    unknown = [a for a in attrs if a not in _KNOWN]
    if unknown:
        raise ValidationError(
            f"trials_dataframe(attrs=...) got unknown fields {unknown}; choose from {sorted(_KNOWN)}"
        )
    if not trials:
        return pd.DataFrame([])
    trials = list(trials)
    cols: dict[Column, list[Any]] = {}
    for attr in dict.fromkeys(attrs):
        if attr in _SCALARS:
            cols[(attr, "")] = [_SCALARS[attr](t) for t in trials]
        elif attr in ("value", "values"):
            _values(trials, attr, len(directions), metric_names, cols)
        elif attr == "params":
            _keyed(attr, [t.params for t in trials], cols)
        elif attr == "distributions":
            _keyed(attr, [{k: d.describe() for k, d in t.distributions.items()} for t in trials], cols)
        elif attr == "user_attrs":
            _keyed(attr, [t.user_attrs for t in trials], cols)
        elif attr == "system_attrs":
            _keyed(attr, [_system_attrs(t) for t in trials], cols)
        elif attr == "intermediate_values":
            _keyed(attr, [t.intermediate_values for t in trials], cols)
        elif attr == "constraints":
            _keyed(attr, [t.named_constraints for t in trials], cols)
        elif attr == "fail_reason" and any(t.fail_reason for t in trials):
            cols[(attr, "")] = [t.fail_reason for t in trials]
    if multi_index:
        df = pd.DataFrame({k: v for k, v in cols.items()})
        df.columns = pd.MultiIndex.from_tuples(list(cols))
        return df
    return pd.DataFrame({_flat(attr, key): v for (attr, key), v in cols.items()})


def _flat(attr: str, key: Any) -> str:
    return attr if key == "" else f"{attr}_{key}"
