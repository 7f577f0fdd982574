"""A trial being assembled from rows or writes, and the JSON encoding of attributes and params."""

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
from ragtune.exceptions import ValidationError

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
