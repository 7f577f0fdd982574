"""Trial bookkeeping written once: numbering, claiming, the rules for changing a trial, snapshots.

:class:`TrialBook` keeps a study's trials in memory under one lock. The in-memory store is this
class and nothing more; the DuckDB store is this class with every change written through to its
file (the ``_write_*`` hooks) before it is made in memory, so a change that failed to reach the
file is not made at all and one that returned is on disk. PostgreSQL, where other processes number
and finish trials, keeps the same rules in SQL and shares the records and checks of
:mod:`ragtune.storage.records`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
from abc import abstractmethod
from collections.abc import Container, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from ragtune.core.distributions import AnyDistribution
from ragtune.core.frozen_trial import FrozenTrial
from ragtune.core.trial_state import TrialState
from ragtune.exceptions import TrialNotFound
from ragtune.storage.base import Storage, TrialsDelta
from ragtune.storage.records import (
    TrialRecord,
    finished_error,
    json_copy,
    no_gc,
    record_from_template,
)


@dataclass(slots=True)
class StudyTrials:
    """One study's trials: ids by number, ids in finishing order, and the unfinished ones."""

    trial_ids: list[int] = field(default_factory=list)
    finished: list[int] = field(default_factory=list)
    unfinished: dict[int, None] = field(default_factory=dict)


class TrialBook(Storage):
    """The trial half of the Storage contract over records in memory (thread-safe, one lock)."""

    def __init__(self, *, lock: threading.RLock | None = None, next_trial_id: int = 0) -> None:
        self._lock = lock if lock is not None else threading.RLock()
        self._by_study: dict[int, StudyTrials] = {}
        self._records: dict[int, TrialRecord] = {}
        self._frozen: dict[int, FrozenTrial] = {}  # snapshots of finished trials: they never change
        self._next_trial_id = next_trial_id

    # -- what a backend decides -----------------------------------------------------------------
    @abstractmethod
    def _study_trials(self, study_id: int) -> StudyTrials:
        """The study's trials (loaded on first use by a persistent backend); StudyNotFound if none."""

    def _find(self, trial_id: int) -> TrialRecord | None:
        """The trial's record; a persistent backend loads the study holding it first if need be."""
        return self._records.get(trial_id)

    # Write-through hooks: called under the lock before the change is made in memory; ``rec`` is
    # the trial as it was before the change. Raising leaves memory unchanged.
    def _write_new(self, rec: TrialRecord) -> None:
        """A new trial (RUNNING, or an enqueued or added copy of a template with its details)."""

    def _write_claim(self, rec: TrialRecord, start: dt.datetime) -> None:
        """The WAITING trial ``rec`` becomes RUNNING at ``start``."""

    def _write_param(
        self, rec: TrialRecord, name: str, internal: float, dist: AnyDistribution, external: Any
    ) -> None: ...

    def _write_attr(self, rec: TrialRecord, key: str, text: str, *, system: bool) -> None: ...

    def _write_constraints(self, rec: TrialRecord, constraints: tuple[float, ...]) -> None: ...

    def _write_report(
        self,
        rec: TrialRecord,
        step: int,
        values: tuple[float, ...],
        scores: tuple[tuple[float, ...], ...] | None,
    ) -> None: ...

    def _write_finish(self, done: TrialRecord) -> None:
        """``done`` is the finished record (state, values, finish_seq set) that replaces the running one."""

    # -- creating and claiming ------------------------------------------------------------------
    def create_new_trial(self, study_id: int, template: FrozenTrial | None = None) -> FrozenTrial:
        with self._lock:
            st = self._study_trials(study_id)
            rec = record_from_template(self._next_trial_id, study_id, len(st.trial_ids), template)
            if not rec.unfinished:
                rec.finish_seq = len(st.finished) + 1
            self._write_new(rec)
            self._next_trial_id += 1
            self._records[rec.trial_id] = rec
            st.trial_ids.append(rec.trial_id)
            if rec.unfinished:
                st.unfinished[rec.trial_id] = None
                return rec.freeze()
            st.finished.append(rec.trial_id)
            return self._snapshot(rec)

    def claim_waiting_trial(self, study_id: int) -> FrozenTrial | None:
        with self._lock:
            for tid in self._study_trials(study_id).unfinished:
                rec = self._records[tid]
                if rec.state is TrialState.WAITING:
                    start = dt.datetime.now()
                    self._write_claim(rec, start)
                    rec.state, rec.datetime_start = TrialState.RUNNING, start
                    return rec.freeze()
            return None

    # -- writing to an unfinished trial ---------------------------------------------------------
    def _running(self, trial_id: int) -> TrialRecord:
        rec = self._find(trial_id)
        if rec is None:
            raise TrialNotFound(f"no trial with id {trial_id}")
        if not rec.unfinished:
            raise finished_error(rec.number, rec.state.name)
        return rec

    def set_trial_param(
        self, trial_id: int, name: str, internal: float, distribution: AnyDistribution
    ) -> None:
        internal = float(internal)
        external = distribution.to_external(internal)
        with self._lock:
            rec = self._running(trial_id)
            self._write_param(rec, name, internal, distribution, external)
            rec.internals[name] = internal
            rec.params[name] = external
            rec.distributions[name] = distribution

    def _set_attr(self, trial_id: int, key: str, value: Any, *, system: bool) -> None:
        text, copy = json_copy(value, what=f"trial {'system' if system else 'user'} attr {key!r}")
        with self._lock:
            rec = self._running(trial_id)
            self._write_attr(rec, key, text, system=system)
            (rec.system_attrs if system else rec.user_attrs)[key] = copy

    def set_trial_user_attr(self, trial_id: int, key: str, value: Any) -> None:
        self._set_attr(trial_id, key, value, system=False)

    def set_trial_system_attr(self, trial_id: int, key: str, value: Any) -> None:
        self._set_attr(trial_id, key, value, system=True)

    def set_trial_constraints(self, trial_id: int, constraints: tuple[float, ...]) -> None:
        constraints = tuple(float(c) for c in constraints)
        with self._lock:
            rec = self._running(trial_id)
            self._write_constraints(rec, constraints)
            rec.constraints = constraints

    def set_trial_intermediate_value(
        self,
        trial_id: int,
        step: int,
        values: tuple[float, ...],
        scores: tuple[tuple[float, ...], ...] | None = None,
    ) -> None:
        values = tuple(values)
        with self._lock:
            rec = self._running(trial_id)
            self._write_report(rec, step, values, scores)
            rec.intermediate_values[step] = values
            if scores is not None:
                rec.intermediate_scores[step] = scores

    def finish_trial(
        self,
        trial_id: int,
        state: TrialState,
        values: tuple[float, ...] | None = None,
        fail_reason: str | None = None,
    ) -> FrozenTrial:
        with self._lock:
            rec = self._running(trial_id)
            st = self._by_study[rec.study_id]
            done = dataclasses.replace(
                rec,
                state=state,
                values=tuple(values) if values is not None else None,
                fail_reason=fail_reason,
                datetime_complete=dt.datetime.now(),
                finish_seq=len(st.finished) + 1,
            )
            self._write_finish(done)
            self._records[trial_id] = done
            del st.unfinished[trial_id]
            st.finished.append(trial_id)
            return self._snapshot(done)

    # -- reading --------------------------------------------------------------------------------
    def _snapshot(self, rec: TrialRecord) -> FrozenTrial:
        if rec.unfinished:
            return rec.freeze()
        cached = self._frozen.get(rec.trial_id)
        if cached is None:
            cached = self._frozen[rec.trial_id] = rec.freeze(share=True)
        return cached

    def get_trial(self, trial_id: int) -> FrozenTrial:
        with self._lock:
            rec = self._find(trial_id)
            if rec is None:
                raise TrialNotFound(f"no trial with id {trial_id}")
            return self._snapshot(rec)

    def get_trial_id_from_number(self, study_id: int, number: int) -> int:
        with self._lock:
            ids = self._study_trials(study_id).trial_ids
            if not 0 <= number < len(ids):
                raise TrialNotFound(f"no trial number {number} in this study ({len(ids)} trials)")
            return ids[number]

    def get_all_trials(
        self, study_id: int, *, states: Container[TrialState] | None = None
    ) -> list[FrozenTrial]:
        with self._lock, no_gc():
            out = [self._snapshot(self._records[tid]) for tid in self._study_trials(study_id).trial_ids]
        return out if states is None else [t for t in out if t.state in states]

    def get_n_trials(self, study_id: int, *, states: Container[TrialState] | None = None) -> int:
        with self._lock:
            st = self._study_trials(study_id)
            if states is None:
                return len(st.trial_ids)
            return sum(1 for tid in st.trial_ids if self._records[tid].state in states)

    def read_trials_since(self, study_id: int, cursor: int) -> TrialsDelta:
        with self._lock:
            st = self._study_trials(study_id)
            with no_gc():
                finished = [self._snapshot(self._records[tid]) for tid in st.finished[cursor:]]
            unfinished = [self._records[tid].freeze() for tid in st.unfinished]
            return TrialsDelta(finished, unfinished, len(st.finished))

    def _forget_study(self, study_id: int) -> None:
        """Drop a deleted study's trials from memory."""
        with self._lock:
            st = self._by_study.pop(study_id, None)
            for tid in st.trial_ids if st is not None else ():
                self._records.pop(tid, None)
                self._frozen.pop(tid, None)


#: System attr on a re-queued trial: the number of the failed trial it repeats.
REQUEUED_FROM = "requeued_from"


class _FailedTrial(Protocol):
    """What the re-queue rule reads of a failed trial (a storage record or a FrozenTrial)."""

    @property
    def number(self) -> int: ...

    @property
    def params(self) -> Mapping[str, Any]: ...

    @property
    def system_attrs(self) -> Mapping[str, Any]: ...


def requeue_template(failed: _FailedTrial) -> FrozenTrial | None:
    """The WAITING copy of a dead worker's trial; None when it was itself a re-queue, or when it
    died before it had any params (a copy would just be a new trial)."""
    if REQUEUED_FROM in failed.system_attrs:
        return None
    fixed: dict[str, Any] = dict(failed.system_attrs.get("fixed_params") or {})
    fixed.update(failed.params)
    if not fixed:
        return None
    return FrozenTrial(
        number=-1,
        state=TrialState.WAITING,
        system_attrs={"fixed_params": fixed, REQUEUED_FROM: failed.number},
    )
