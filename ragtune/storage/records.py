"""A trial's record while it is written or read, and the JSON rule every backend applies to values."""

from __future__ import annotations

import copy
import datetime as dt
import gc
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from types import MappingProxyType
from typing import Any

from ragtune.core.distributions import AnyDistribution, distribution_from_json
from ragtune.core.frozen_trial import FrozenTrial
from ragtune.core.trial_state import TrialState
from ragtune.exceptions import UpdateFinishedTrialError, ValidationError

_UNFINISHED = frozenset({TrialState.RUNNING, TrialState.WAITING})
STATE_NAMES = {s: s.name for s in TrialState}
STATES_BY_NAME = {s.name: s for s in TrialState}


def dumps(value: Any, *, what: str) -> str:
    """JSON text for an attribute value; a value JSON cannot hold is a clear error."""
    try:
        return json.dumps(value, separators=(",", ":"))
    except (TypeError, ValueError) as e:
        raise ValidationError(
            f"{what} must be JSON-serialisable (str, number, bool, None, list, dict), but got "
            f"{type(value).__name__}: {e}; convert it first (e.g. str(value))"
        ) from None


def loads(text: str) -> Any:
    return json.loads(text)


def json_copy(value: Any, *, what: str) -> tuple[str, Any]:
    """``value``'s JSON text and the copy a backend keeps (what reading it back returns).

    Every backend stores attribute values as JSON, so every backend takes and returns the same
    values: a tuple comes back as a list, and a value JSON cannot hold is refused with one message.
    """
    text = dumps(value, what=what)
    return text, value if isinstance(value, _SCALARS) else loads(text)


def json_attrs(attrs: dict[str, Any], *, what: str) -> dict[str, Any]:
    """A copy of ``attrs`` checked and copied as :func:`json_copy` does each value."""
    return {key: json_copy(value, what=f"{what} {key!r}")[1] for key, value in attrs.items()}


def finished_error(number: int, state_name: str) -> UpdateFinishedTrialError:
    return UpdateFinishedTrialError(f"trial {number} is already {state_name} and cannot be changed")


@contextmanager
def no_gc() -> Iterator[None]:
    """For bulk loads: hundreds of thousands of new objects, none of them garbage, so the cyclic
    collector's passes over every live object are pure cost."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


_SCALARS = (str, int, float, bool, type(None))


_EMPTY: MappingProxyType[Any, Any] = MappingProxyType({})


def _frozen_attrs(attrs: dict[str, Any]) -> MappingProxyType[str, Any]:
    """A read-only copy no caller can reach into; scalars (the common case) need no deep copy."""
    if not attrs:
        return _EMPTY
    if all(isinstance(v, _SCALARS) for v in attrs.values()):
        return MappingProxyType(dict(attrs))
    return MappingProxyType(copy.deepcopy(attrs))


def _frozen(mapping: dict[Any, Any]) -> MappingProxyType[Any, Any]:
    return MappingProxyType(dict(mapping)) if mapping else _EMPTY


def _shared(mapping: dict[Any, Any]) -> MappingProxyType[Any, Any]:
    return MappingProxyType(mapping) if mapping else _EMPTY


@lru_cache(maxsize=4096)
def distribution(text: str) -> AnyDistribution:
    """Parse a stored distribution; studies repeat a handful of them thousands of times."""
    return distribution_from_json(text)


@lru_cache(maxsize=4096)
def distribution_json(dist: AnyDistribution) -> str:
    return dist.to_json()


@dataclass(slots=True)
class TrialRecord:
    """A trial's fields while it is read or written; :meth:`freeze` makes the public snapshot."""

    trial_id: int
    study_id: int
    number: int
    state: TrialState
    datetime_start: dt.datetime | None = None
    datetime_complete: dt.datetime | None = None
    fail_reason: str | None = None
    finish_seq: int | None = None
    params: dict[str, Any] = field(default_factory=dict)
    internals: dict[str, float] = field(default_factory=dict)
    distributions: dict[str, AnyDistribution] = field(default_factory=dict)
    user_attrs: dict[str, Any] = field(default_factory=dict)
    system_attrs: dict[str, Any] = field(default_factory=dict)
    intermediate_values: dict[int, tuple[float, ...]] = field(default_factory=dict)
    intermediate_scores: dict[int, tuple[tuple[float, ...], ...]] = field(default_factory=dict)
    constraints: tuple[float, ...] | None = None
    values: tuple[float, ...] | None = None

    @property
    def unfinished(self) -> bool:
        return self.state in _UNFINISHED

    def set_param(self, name: str, internal: float, dist: AnyDistribution) -> None:
        self.internals[name] = internal
        self.params[name] = dist.to_external(internal)
        self.distributions[name] = dist

    def freeze(self, *, share: bool = False) -> FrozenTrial:
        """The public snapshot. ``share=True`` wraps this record's containers instead of copying
        them: only for a finished record nothing will change (a snapshot cached in its place)."""
        frozen: Callable[[dict[Any, Any]], MappingProxyType[Any, Any]] = _shared if share else _frozen
        attrs: Callable[[dict[str, Any]], MappingProxyType[str, Any]] = _shared if share else _frozen_attrs
        return FrozenTrial(
            number=self.number,
            state=self.state,
            values=self.values,
            params=frozen(self.params),
            distributions=frozen(self.distributions),
            user_attrs=attrs(self.user_attrs),
            system_attrs=attrs(self.system_attrs),
            intermediate_values=frozen(self.intermediate_values),
            intermediate_scores=frozen(self.intermediate_scores),
            constraints=self.constraints,
            datetime_start=self.datetime_start,
            datetime_complete=self.datetime_complete,
            fail_reason=self.fail_reason,
            trial_id=self.trial_id,
        )


def record_from_template(
    trial_id: int, study_id: int, number: int, template: FrozenTrial | None
) -> TrialRecord:
    """A new trial: RUNNING, or a copy of ``template`` (WAITING when enqueued, finished when added)."""
    state = template.state if template is not None else TrialState.RUNNING
    now = dt.datetime.now()
    rec = TrialRecord(trial_id, study_id, number, state, now if state is TrialState.RUNNING else None)
    if template is None:
        return rec
    for name, value in template.params.items():
        dist = template.distributions[name]
        rec.set_param(name, dist.to_internal(value), dist)
    rec.user_attrs = json_attrs(dict(template.user_attrs), what="trial user attr")
    rec.system_attrs = json_attrs(dict(template.system_attrs), what="trial system attr")
    rec.intermediate_values = dict(template.intermediate_vectors)
    rec.intermediate_scores = dict(template.intermediate_scores)
    rec.constraints = template.constraints
    if state.is_finished():
        rec.values, rec.fail_reason = template.values, template.fail_reason
        rec.datetime_start = template.datetime_start or now
        rec.datetime_complete = template.datetime_complete or now
    return rec
