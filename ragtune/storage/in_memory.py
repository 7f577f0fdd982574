"""Thread-safe in-memory storage for tests, notebooks and single-process runs."""

from __future__ import annotations

import copy
import datetime as dt
import threading
from collections.abc import Container, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from ragtune.core.directions import StudyDirection
from ragtune.core.distributions import AnyDistribution
from ragtune.core.frozen_trial import FrozenTrial
from ragtune.core.trial_state import TrialState
from ragtune.exceptions import (
    DuplicatedStudyError,
    StudyNotFound,
    TrialNotFound,
    UpdateFinishedTrialError,
)
from ragtune.storage.base import Storage, StudySummary, TrialsDelta


def _copy(attrs: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(attrs) if attrs else {}


@dataclass(slots=True)
class _MutableTrial:
    trial_id: int
    study_id: int
    number: int
    state: TrialState
    datetime_start: dt.datetime | None
    params: dict[str, Any] = field(default_factory=dict)
    distributions: dict[str, AnyDistribution] = field(default_factory=dict)
    user_attrs: dict[str, Any] = field(default_factory=dict)
    system_attrs: dict[str, Any] = field(default_factory=dict)
    intermediate_values: dict[int, tuple[float, ...]] = field(default_factory=dict)
    intermediate_scores: dict[int, tuple[tuple[float, ...], ...]] = field(default_factory=dict)
    constraints: tuple[float, ...] | None = None
    values: tuple[float, ...] | None = None
    datetime_complete: dt.datetime | None = None
    fail_reason: str | None = None

    def freeze(self) -> FrozenTrial:
        return FrozenTrial(
            number=self.number,
            state=self.state,
            values=self.values,
            params=MappingProxyType(dict(self.params)),
            distributions=MappingProxyType(dict(self.distributions)),
            user_attrs=MappingProxyType(_copy(self.user_attrs)),
            system_attrs=MappingProxyType(_copy(self.system_attrs)),
            intermediate_values=MappingProxyType(dict(self.intermediate_values)),
            intermediate_scores=MappingProxyType(dict(self.intermediate_scores)),
            constraints=self.constraints,
            datetime_start=self.datetime_start,
            datetime_complete=self.datetime_complete,
            fail_reason=self.fail_reason,
            trial_id=self.trial_id,
        )


@dataclass(slots=True)
class _Study:
    study_id: int
    name: str
    directions: tuple[StudyDirection, ...]
    created: dt.datetime
    user_attrs: dict[str, Any] = field(default_factory=dict)
    system_attrs: dict[str, Any] = field(default_factory=dict)
    trial_ids: list[int] = field(default_factory=list)
    finished_order: list[int] = field(default_factory=list)
    unfinished: dict[int, None] = field(default_factory=dict)


class InMemoryStorage(Storage):
    """Everything in Python objects guarded by one lock; finished snapshots are cached."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._studies: dict[int, _Study] = {}
        self._names: dict[str, int] = {}
        self._trials: dict[int, _MutableTrial] = {}
        self._frozen: dict[int, FrozenTrial] = {}
        self._next_study = 0
        self._next_trial = 0

    # -- studies ---------------------------------------------------------------------------
    def create_new_study(self, directions: Sequence[StudyDirection], study_name: str) -> int:
        with self._lock:
            if study_name in self._names:
                raise DuplicatedStudyError(
                    f"a study named {study_name!r} exists already; pass load_if_exists=True to reuse it"
                )
            sid = self._next_study
            self._next_study += 1
            self._studies[sid] = _Study(sid, study_name, tuple(directions), dt.datetime.now())
            self._names[study_name] = sid
            return sid

    def _study(self, study_id: int) -> _Study:
        try:
            return self._studies[study_id]
        except KeyError:
            raise StudyNotFound(f"no study with id {study_id}") from None

    def delete_study(self, study_id: int) -> None:
        with self._lock:
            s = self._study(study_id)
            for tid in s.trial_ids:
                self._trials.pop(tid, None)
                self._frozen.pop(tid, None)
            del self._names[s.name]
            del self._studies[study_id]

    def get_study_id_from_name(self, study_name: str) -> int:
        with self._lock:
            try:
                return self._names[study_name]
            except KeyError:
                raise StudyNotFound(
                    f"no study named {study_name!r}; existing: {sorted(self._names) or 'none'}"
                ) from None

    def get_study_name_from_id(self, study_id: int) -> str:
        with self._lock:
            return self._study(study_id).name

    def get_study_directions(self, study_id: int) -> tuple[StudyDirection, ...]:
        with self._lock:
            return self._study(study_id).directions

    def get_all_studies(self) -> list[StudySummary]:
        with self._lock:
            return [
                StudySummary(
                    s.study_id,
                    s.name,
                    s.directions,
                    len(s.trial_ids),
                    copy.deepcopy(s.user_attrs),
                    s.created,
                    copy.deepcopy(s.system_attrs),
                )
                for s in self._studies.values()
            ]

    def set_study_user_attr(self, study_id: int, key: str, value: Any) -> None:
        with self._lock:
            self._study(study_id).user_attrs[key] = copy.deepcopy(value)

    def get_study_user_attrs(self, study_id: int) -> dict[str, Any]:
        with self._lock:
            return copy.deepcopy(self._study(study_id).user_attrs)

    def set_study_system_attr(self, study_id: int, key: str, value: Any) -> None:
        with self._lock:
            self._study(study_id).system_attrs[key] = copy.deepcopy(value)

    def get_study_system_attrs(self, study_id: int) -> dict[str, Any]:
        with self._lock:
            return copy.deepcopy(self._study(study_id).system_attrs)

    # -- trials ----------------------------------------------------------------------------
    def create_new_trial(self, study_id: int, template: FrozenTrial | None = None) -> FrozenTrial:
        with self._lock:
            s = self._study(study_id)
            tid = self._next_trial
            self._next_trial += 1
            state = template.state if template is not None else TrialState.RUNNING
            t = _MutableTrial(
                tid,
                study_id,
                len(s.trial_ids),
                state,
                dt.datetime.now() if state is TrialState.RUNNING else None,
            )
            if template is not None:
                t.params = dict(template.params)
                t.distributions = dict(template.distributions)
                t.user_attrs = copy.deepcopy(dict(template.user_attrs))
                t.system_attrs = copy.deepcopy(dict(template.system_attrs))
                t.intermediate_values = dict(template.intermediate_vectors)
                t.intermediate_scores = dict(template.intermediate_scores)
                t.constraints = template.constraints
                if state.is_finished():
                    t.values, t.fail_reason = template.values, template.fail_reason
                    t.datetime_start = template.datetime_start or dt.datetime.now()
                    t.datetime_complete = template.datetime_complete or dt.datetime.now()
            self._trials[tid] = t
            s.trial_ids.append(tid)
            if state.is_finished():
                s.finished_order.append(tid)
            else:
                s.unfinished[tid] = None
            return t.freeze()

    def claim_waiting_trial(self, study_id: int) -> FrozenTrial | None:
        with self._lock:
            s = self._study(study_id)
            for tid in s.unfinished:
                t = self._trials[tid]
                if t.state is TrialState.WAITING:
                    t.state = TrialState.RUNNING
                    t.datetime_start = dt.datetime.now()
                    return t.freeze()
            return None

    def _running(self, trial_id: int) -> _MutableTrial:
        t = self._trials.get(trial_id)
        if t is None:
            raise TrialNotFound(f"no trial with id {trial_id}")
        if t.state.is_finished():
            raise UpdateFinishedTrialError(
                f"trial {t.number} is already {t.state.name} and cannot be changed"
            )
        return t

    def set_trial_param(
        self, trial_id: int, name: str, internal: float, distribution: AnyDistribution
    ) -> None:
        with self._lock:
            t = self._running(trial_id)
            t.params[name] = distribution.to_external(internal)
            t.distributions[name] = distribution

    def set_trial_intermediate_value(
        self,
        trial_id: int,
        step: int,
        values: tuple[float, ...],
        scores: tuple[tuple[float, ...], ...] | None = None,
    ) -> None:
        with self._lock:
            t = self._running(trial_id)
            t.intermediate_values[step] = tuple(values)
            if scores is not None:
                t.intermediate_scores[step] = scores

    def set_trial_user_attr(self, trial_id: int, key: str, value: Any) -> None:
        with self._lock:
            self._running(trial_id).user_attrs[key] = copy.deepcopy(value)

    def set_trial_system_attr(self, trial_id: int, key: str, value: Any) -> None:
        with self._lock:
            self._running(trial_id).system_attrs[key] = copy.deepcopy(value)

    def set_trial_constraints(self, trial_id: int, constraints: tuple[float, ...]) -> None:
        with self._lock:
            self._running(trial_id).constraints = tuple(constraints)

    def finish_trial(
        self,
        trial_id: int,
        state: TrialState,
        values: tuple[float, ...] | None = None,
        fail_reason: str | None = None,
    ) -> FrozenTrial:
        with self._lock:
            t = self._running(trial_id)
            t.state = state
            t.values = tuple(values) if values is not None else None
            t.fail_reason = fail_reason
            t.datetime_complete = dt.datetime.now()
            s = self._studies[t.study_id]
            del s.unfinished[trial_id]
            s.finished_order.append(trial_id)
            frozen = t.freeze()
            self._frozen[trial_id] = frozen
            return frozen

    def _snapshot(self, t: _MutableTrial) -> FrozenTrial:
        if t.state.is_finished():
            cached = self._frozen.get(t.trial_id)
            if cached is None:
                cached = self._frozen[t.trial_id] = t.freeze()
            return cached
        return t.freeze()

    def get_trial(self, trial_id: int) -> FrozenTrial:
        with self._lock:
            t = self._trials.get(trial_id)
            if t is None:
                raise TrialNotFound(f"no trial with id {trial_id}")
            return self._snapshot(t)

    def get_trial_id_from_number(self, study_id: int, number: int) -> int:
        with self._lock:
            ids = self._study(study_id).trial_ids
            if not 0 <= number < len(ids):
                raise TrialNotFound(f"no trial number {number} in this study ({len(ids)} trials)")
            return ids[number]

    def get_all_trials(
        self, study_id: int, *, states: Container[TrialState] | None = None
    ) -> list[FrozenTrial]:
        with self._lock:
            out = [self._snapshot(self._trials[tid]) for tid in self._study(study_id).trial_ids]
        return out if states is None else [t for t in out if t.state in states]

    def get_n_trials(self, study_id: int, *, states: Container[TrialState] | None = None) -> int:
        with self._lock:
            s = self._study(study_id)
            if states is None:
                return len(s.trial_ids)
            return sum(1 for tid in s.trial_ids if self._trials[tid].state in states)

    def read_trials_since(self, study_id: int, cursor: int) -> TrialsDelta:
        with self._lock:
            s = self._study(study_id)
            finished = [self._snapshot(self._trials[tid]) for tid in s.finished_order[cursor:]]
            unfinished = [self._trials[tid].freeze() for tid in s.unfinished]
            return TrialsDelta(finished, unfinished, len(s.finished_order))

    def describe(self) -> str:
        return "in-memory storage"
