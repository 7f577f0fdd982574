"""An immutable snapshot of one trial."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from ragtune.core.distributions import AnyDistribution
from ragtune.core.trial_state import TrialState


def _empty() -> Mapping[Any, Any]:
    return MappingProxyType({})


@dataclass(frozen=True, slots=True, eq=False)
class FrozenTrial:
    """A trial as stored: never changes once returned (storages hand out new snapshots).

    ``intermediate_values`` maps a step to the vector reported at that step (one value per
    objective); ``intermediate_scores`` maps a step to per-question score rows reported with it.
    ``constraints`` holds one value per constraint; a trial is feasible when all are ``<= 0``.
    """

    number: int
    state: TrialState
    values: tuple[float, ...] | None = None
    params: Mapping[str, Any] = field(default_factory=_empty)
    distributions: Mapping[str, AnyDistribution] = field(default_factory=_empty)
    user_attrs: Mapping[str, Any] = field(default_factory=_empty)
    system_attrs: Mapping[str, Any] = field(default_factory=_empty)
    intermediate_values: Mapping[int, tuple[float, ...]] = field(default_factory=_empty)
    intermediate_scores: Mapping[int, tuple[tuple[float, ...], ...]] = field(default_factory=_empty)
    constraints: tuple[float, ...] | None = None
    datetime_start: dt.datetime | None = None
    datetime_complete: dt.datetime | None = None
    fail_reason: str | None = None
    trial_id: int = -1

    @property
    def value(self) -> float | None:
        """The single objective value; raises for multi-objective trials."""
        if self.values is None:
            return None
        if len(self.values) != 1:
            raise ValueError(f"trial {self.number} has {len(self.values)} values; use .values")
        return self.values[0]

    @property
    def last_step(self) -> int | None:
        return max(self.intermediate_values) if self.intermediate_values else None

    @property
    def duration(self) -> dt.timedelta | None:
        if self.datetime_start is None or self.datetime_complete is None:
            return None
        return self.datetime_complete - self.datetime_start

    @property
    def feasible(self) -> bool:
        return self.constraints is None or all(c <= 0 for c in self.constraints)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FrozenTrial):
            return NotImplemented
        return (self.trial_id, self.number, self.state, self.values, dict(self.params)) == (
            other.trial_id,
            other.number,
            other.state,
            other.values,
            dict(other.params),
        )

    def __hash__(self) -> int:
        return hash((self.trial_id, self.number))

    def __repr__(self) -> str:
        return (
            f"FrozenTrial(number={self.number}, state={self.state.name}, values={self.values}, "
            f"params={dict(self.params)})"
        )
