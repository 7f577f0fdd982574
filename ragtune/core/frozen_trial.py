"""An immutable snapshot of one trial."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from ragtune.core.distributions import (
    AnyDistribution,
    categorical_distribution,
    float_distribution,
    int_distribution,
)
from ragtune.core.trial_state import TrialState
from ragtune.exceptions import ValidationError


def _empty() -> Mapping[Any, Any]:
    return MappingProxyType({})


#: Trial system attr holding the names given to ``set_constraint(key, value)``, in order.
CONSTRAINT_NAMES_ATTR = "ragtune:constraint_names"


class _Reports(Mapping[int, "float | tuple[float, ...]"]):
    """Read-only ``{step: value}`` over the stored vectors: a float where one value was reported."""

    __slots__ = ("_vectors",)

    def __init__(self, vectors: Mapping[int, tuple[float, ...]]) -> None:
        self._vectors = vectors

    def __getitem__(self, step: int) -> float | tuple[float, ...]:
        v = self._vectors[step]
        return v[0] if len(v) == 1 else v

    def __iter__(self) -> Iterator[int]:
        return iter(self._vectors)

    def __len__(self) -> int:
        return len(self._vectors)

    def __repr__(self) -> str:
        return repr(dict(self))


def _as_vector(value: Any) -> tuple[float, ...]:
    if isinstance(value, tuple | list):
        return tuple(float(v) for v in value)
    return (float(value),)


@dataclass(frozen=True, slots=True, eq=False)
class FrozenTrial:
    """A trial as stored: never changes once returned (storages hand out new snapshots).

    ``intermediate_values`` maps a step to the value reported at that step, as Optuna does: a float
    where one value was reported (always so in a single-objective study), a tuple where a vector was
    (one value per objective). ``intermediate_vectors`` holds every report as a tuple, which is
    what samplers and pruners read. ``intermediate_scores`` maps a step to the per-question score
    rows reported with it. ``constraints`` holds one value per constraint (``named_constraints``
    the same values by name); a trial is feasible when all are ``<= 0``.
    """

    number: int
    state: TrialState
    values: tuple[float, ...] | None = None
    params: Mapping[str, Any] = field(default_factory=_empty)
    distributions: Mapping[str, AnyDistribution] = field(default_factory=_empty)
    user_attrs: Mapping[str, Any] = field(default_factory=_empty)
    system_attrs: Mapping[str, Any] = field(default_factory=_empty)
    intermediate_values: Mapping[int, float | tuple[float, ...]] = field(default_factory=_empty)
    intermediate_scores: Mapping[int, tuple[tuple[float, ...], ...]] = field(default_factory=_empty)
    constraints: tuple[float, ...] | None = None
    datetime_start: dt.datetime | None = None
    datetime_complete: dt.datetime | None = None
    fail_reason: str | None = None
    trial_id: int = -1
    intermediate_vectors: Mapping[int, tuple[float, ...]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        given = self.intermediate_values
        if not given:  # most trials (cheap: storages build many snapshots)
            object.__setattr__(self, "intermediate_vectors", given)
            return
        vectors: Mapping[int, tuple[float, ...]]
        if isinstance(given, MappingProxyType):  # storages hand over read-only tuples: keep, do not copy
            vectors = given
        elif all(type(v) is tuple for v in given.values()):
            vectors = MappingProxyType(dict(given))  # type: ignore[arg-type]
        else:
            vectors = MappingProxyType({int(step): _as_vector(v) for step, v in given.items()})
        object.__setattr__(self, "intermediate_vectors", vectors)
        object.__setattr__(self, "intermediate_values", _Reports(vectors))

    @property
    def value(self) -> float | None:
        """The single objective value; raises for multi-objective trials."""
        if self.values is None:
            return None
        if len(self.values) != 1:
            raise ValueError(f"trial {self.number} has {len(self.values)} values; use .values")
        return self.values[0]

    @property
    def named_constraints(self) -> dict[str, float]:
        """Constraint values by name (Optuna 5's ``constraints`` form); ``{}`` when none were set.

        Names come from ``set_constraint(key, value)``; values set as a vector are named ``"0"``, ``"1"``...
        """
        if self.constraints is None:
            return {}
        names = self.system_attrs.get(CONSTRAINT_NAMES_ATTR)
        if not isinstance(names, list | tuple) or len(names) != len(self.constraints):
            names = [str(i) for i in range(len(self.constraints))]
        return {str(k): v for k, v in zip(names, self.constraints, strict=True)}

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

    # -- replaying the trial through an objective, as Optuna's FrozenTrial allows ----------------
    def suggest_float(
        self, name: str, low: float, high: float, *, step: float | None = None, log: bool = False
    ) -> float:
        """The stored value of ``name`` (so ``objective(study.best_trial)`` replays the best trial)."""
        return float(self._replay(name, float_distribution(float(low), float(high), step, log)))

    def suggest_int(self, name: str, low: int, high: int, *, step: int = 1, log: bool = False) -> int:
        return int(self._replay(name, int_distribution(int(low), int(high), int(step), log)))

    def suggest_categorical(self, name: str, choices: Sequence[Any]) -> Any:
        return self._replay(name, categorical_distribution(choices))

    def report(self, value: float | Sequence[float], step: int, **_: Any) -> None:
        """Nothing to record on a snapshot: replaying ignores reports."""

    def should_prune(self) -> bool:
        return False

    def set_user_attr(self, key: str, value: Any) -> None:
        raise ValidationError(
            f"trial {self.number} is a stored snapshot and cannot change (set_user_attr({key!r})); "
            "replay it with rt.FixedTrial(dict(trial.params)) to record attrs"
        )

    def _replay(self, name: str, distribution: AnyDistribution) -> Any:
        """The stored value of ``name`` when ``distribution`` holds it (as ``FixedTrial`` replays)."""
        if name not in self.params:
            raise ValidationError(
                f"trial {self.number} has no value for {name!r}; known: {sorted(self.params)}; "
                "replay it with the objective it was run with"
            )
        value = self.params[name]
        if not distribution.contains(value):
            raise ValidationError(
                f"trial {self.number} value {name}={value!r} is outside {distribution.describe()}; "
                "replay it with the objective it was run with"
            )
        return value

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        """Pickle and ``copy.deepcopy`` support (read-only mappings go as plain dicts)."""
        return (
            _rebuild,
            (
                self.number,
                self.state,
                self.values,
                dict(self.params),
                dict(self.distributions),
                dict(self.user_attrs),
                dict(self.system_attrs),
                dict(self.intermediate_vectors),
                dict(self.intermediate_scores),
                self.constraints,
                self.datetime_start,
                self.datetime_complete,
                self.fail_reason,
                self.trial_id,
            ),
        )

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


def _rebuild(*fields: Any) -> FrozenTrial:
    (number, state, values, params, dists, user, system, reports, scores, cons, start, end, why, tid) = fields
    return FrozenTrial(
        number=number,
        state=state,
        values=values,
        params=MappingProxyType(params),
        distributions=MappingProxyType(dists),
        user_attrs=MappingProxyType(user),
        system_attrs=MappingProxyType(system),
        intermediate_values=MappingProxyType(reports),
        intermediate_scores=MappingProxyType(scores),
        constraints=cons,
        datetime_start=start,
        datetime_complete=end,
        fail_reason=why,
        trial_id=tid,
    )
